//! Cryptography the packages share and no maintained crate provides in the
//! form they need: RC4 whose state can be exported (see `rc4`), and the
//! channel-binding hash of NTLM and Kerberos (`bindings`).

pub mod bindings;
pub mod rc4;
