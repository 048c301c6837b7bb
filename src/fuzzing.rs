//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`).
//!
//! The feature also makes the system environment deterministic (randomness
//! from a counter that `reset` rewinds, a fixed clock), so that an input
//! replays exactly: it must never be enabled in a build that is shipped.
//! Targets that go through the ABI call `crate::abi` directly.

pub use crate::packages::kerberos::fuzz::{
    files as kerberos_files, krb5_conf, messages as kerberos_messages, tokens as kerberos_tokens,
};
pub use crate::packages::negotiate::fuzz::tokens as spnego_tokens;
pub use crate::packages::ntlm::fuzz::{messages as ntlm_messages, user_file as ntlm_user_file};

/// Rewinds the deterministic randomness: call it at the start of each input.
pub fn reset() {
    crate::env::deterministic::reset();
}
