//! Who authenticates: a client's identity and secret, and the server's
//! lookup of NT hashes.

use zeroize::Zeroizing;

use super::crypto::nt_hash;

/// A user's secret: a password or its NT hash (NTOWFv1).
#[derive(Clone)]
pub enum Secret {
    /// A clear-text password.
    Password(Zeroizing<String>),
    /// MD4 of the UTF-16LE password.
    NtHash(Zeroizing<[u8; 16]>),
}

impl Secret {
    /// The NT hash of this secret.
    pub fn nt_hash(&self) -> Zeroizing<[u8; 16]> {
        match self {
            Secret::Password(password) => nt_hash(password),
            Secret::NtHash(hash) => hash.clone(),
        }
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Password(..)"),
            Secret::NtHash(_) => f.write_str("NtHash(..)"),
        }
    }
}

/// The identity a client authenticates as.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// Anonymous authentication (MS-NLMP 3.1.5.1.2): no user, empty NT
    /// response, one-byte zero LM response.
    Anonymous,
    /// A named user.
    User {
        /// User name, sent as given.
        user: String,
        /// Domain name, sent as given and used as given in NTOWFv2.
        domain: String,
        /// Password or NT hash.
        secret: Secret,
    },
}

/// The server's account database.
pub trait UserStore {
    /// The NT hash of `user` in `domain` (the names as the client sent
    /// them), or `None` for an unknown user. Implementations compare user
    /// names case-insensitively.
    fn nt_hash(&self, user: &str, domain: &str) -> Option<Zeroizing<[u8; 16]>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_hashes() {
        let p = Secret::Password(Zeroizing::new("Password".to_string()));
        let h = Secret::NtHash(p.nt_hash());
        assert_eq!(*p.nt_hash(), *h.nt_hash());
        assert_eq!(format!("{p:?}"), "Password(..)");
    }
}
