//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`).
//!
//! The feature also makes the system environment deterministic (randomness
//! from a counter that `reset` rewinds, a fixed clock), so that an input
//! replays exactly: it must never be enabled in a build that is shipped.
//! Targets that go through the ABI call `crate::abi` directly.

pub use crate::packages::credssp::fuzz::messages as credssp_messages;

/// A CredSSP exchange with one TSRequest's plaintext fuzzed.
pub fn credssp_exchange(data: &[u8]) {
    crate::packages::credssp::fuzz::exchange(data);
}
pub use crate::packages::kerberos::fuzz::{
    files as kerberos_files, krb5_conf, messages as kerberos_messages, tokens as kerberos_tokens,
};
pub use crate::packages::negotiate::fuzz::tokens as spnego_tokens;
pub use crate::packages::schannel::fuzz::{handshake as tls_handshake, records as tls_records};

/// The bytes as a SEC_WINNT_AUTH_IDENTITY_EX2 (and its packed credentials):
/// decoded, and the secret's range found, without a read outside them.
pub fn identity_ex2(data: &[u8]) {
    use crate::credentials::identity::ex2;
    if let Ok(id) = ex2::decode(data) {
        // Each string lies inside (they may overlap).
        let chars = |s: &Option<String>| s.as_ref().map_or(0, |s| s.encode_utf16().count());
        assert!(2 * chars(&id.user) <= data.len() && 2 * chars(&id.domain) <= data.len());
        assert!(id.keytab.as_ref().map_or(0, |k| k.len()) <= data.len());
    }
    if let Some((at, len)) = ex2::secret_range(data) {
        assert!(at + len <= data.len());
    }
}
pub use crate::packages::ntlm::fuzz::{messages as ntlm_messages, user_file as ntlm_user_file};

/// Rewinds the deterministic randomness: call it at the start of each input.
pub fn reset() {
    crate::env::deterministic::reset();
}
