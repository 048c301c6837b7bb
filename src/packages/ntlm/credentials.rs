//! Who authenticates: a client's identity and secret, and the server's
//! lookup of NT hashes.

use zeroize::Zeroizing;

use super::crypto::{nt_hash, ntowf_v2};

/// A user's secret: a password or its NT hash (NTOWFv1).
#[derive(Clone)]
pub enum Secret {
    /// A clear-text password.
    Password(Zeroizing<String>),
    /// MD4 of the UTF-16LE password.
    NtHash(Zeroizing<[u8; 16]>),
    /// An NT hash with its NTOWFv2 for one user and domain computed ahead,
    /// so that a client's handshakes do not recompute it.
    Derived {
        nt_hash: Zeroizing<[u8; 16]>,
        user: String,
        domain: String,
        response_key: Zeroizing<[u8; 16]>,
    },
}

impl Secret {
    /// The NT hash of this secret.
    pub fn nt_hash(&self) -> Zeroizing<[u8; 16]> {
        match self {
            Secret::Password(password) => nt_hash(password),
            Secret::NtHash(hash) | Secret::Derived { nt_hash: hash, .. } => hash.clone(),
        }
    }

    /// This secret as an NT hash with NTOWFv2 for `user` in `domain`
    /// computed ahead.
    pub fn derive(&self, user: &str, domain: &str) -> Secret {
        let hash = self.nt_hash();
        Secret::Derived {
            response_key: ntowf_v2(&hash, user, domain),
            nt_hash: hash,
            user: user.to_owned(),
            domain: domain.to_owned(),
        }
    }

    /// NTOWFv2 (ResponseKeyNT) for `user` in `domain`.
    pub fn response_key(&self, user: &str, domain: &str) -> Zeroizing<[u8; 16]> {
        match self {
            Secret::Derived {
                user: u,
                domain: d,
                response_key,
                ..
            } if u == user && d == domain => response_key.clone(),
            _ => ntowf_v2(&self.nt_hash(), user, domain),
        }
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Password(..)"),
            Secret::NtHash(_) => f.write_str("NtHash(..)"),
            Secret::Derived { user, domain, .. } => write!(f, "Derived({domain}\\{user}, ..)"),
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

    /// NTOWFv2 of that user's secret over `user` and `key_domain` (the
    /// domain the client may have keyed it with), or `None` for an unknown
    /// user. A store may have it computed ahead.
    fn response_key(
        &self,
        user: &str,
        domain: &str,
        key_domain: &str,
    ) -> Option<Zeroizing<[u8; 16]>> {
        self.nt_hash(user, domain)
            .map(|hash| ntowf_v2(&hash, user, key_domain))
    }
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
        let d = p.derive("User", "Domain");
        assert_eq!(*d.nt_hash(), *h.nt_hash());
        assert_eq!(
            *d.response_key("User", "Domain"),
            *h.response_key("User", "Domain")
        );
        assert_eq!(
            *d.response_key("User", "Other"),
            *h.response_key("User", "Other")
        );
        assert_ne!(
            *d.response_key("User", "Other"),
            *d.response_key("User", "Domain")
        );
        assert_eq!(format!("{d:?}"), "Derived(Domain\\User, ..)");
    }
}
