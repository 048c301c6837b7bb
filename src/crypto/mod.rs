//! Cryptography the packages share and no maintained crate provides in the
//! form they need: RC4 whose state can be exported (see `rc4`), and the
//! channel-binding hash of NTLM and Kerberos (`bindings`), and a
//! constant-time comparison.

pub mod bindings;
pub mod rc4;

/// Equality of two byte strings in time independent of where they differ
/// (their lengths are not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    core::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::ct_eq;

    #[test]
    fn constant_time_equality() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(ct_eq(b"", b""));
    }
}
