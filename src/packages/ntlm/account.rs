//! NTLM credentials as AcquireCredentialsHandle makes them: whose identity
//! a client presents, and which accounts a server accepts.
//!
//! - An explicit identity (`DOMAIN\user`, `user@REALM`, or user and domain
//!   apart; a password, or an NT hash by WinPR's length convention) is the
//!   client's identity, and the one account its server side accepts.
//! - Empty user, domain and password: anonymous (a NULL session).
//! - NULL auth data (or an identity whose fields are all NULL): the
//!   `NTLM_USER_FILE` file. A client uses its first account, read when the
//!   credential is acquired; a server looks each logon up in the file as it
//!   is when the logon arrives.

use std::path::Path;

use zeroize::Zeroizing;

use super::credentials::{Credentials, Secret, UserStore};
use super::text::eq_ignore_case;
use super::user_file::UserFile;
use crate::credentials::identity;
use crate::env::Env;
use crate::package::{AcquireRequest, AuthIdentity, CredentialUse, SecResult};
use crate::vocabulary::*;

/// The environment variable naming the accounts file.
pub const USER_FILE_VAR: &str = "NTLM_USER_FILE";

/// Where an NTLM credential's identity comes from.
#[derive(Debug)]
pub enum Account {
    /// An explicit identity. `user` is as given (a UPN stays whole, with an
    /// empty domain, as MS-NLMP says); `DOMAIN\user` is split.
    Explicit {
        user: String,
        domain: String,
        /// Held as the NT hash: the password itself is not kept.
        secret: Secret,
    },
    /// Empty user, domain and password: anonymous authentication.
    Anonymous,
    /// NULL auth data: the accounts of `NTLM_USER_FILE`. `first` is the
    /// file's first account when the credential was acquired (the client's
    /// identity), `None` when the file was missing or empty.
    Default {
        first: Option<(String, String, Secret)>,
    },
}

/// An NTLM credential (what a CredHandle holds for this package).
#[derive(Debug)]
pub struct NtlmCredentials {
    pub account: Account,
}

impl NtlmCredentials {
    /// Builds the credential AcquireCredentialsHandle asked for.
    /// SEC_E_NO_CREDENTIALS for NULL auth data on an outbound-only
    /// credential when no `NTLM_USER_FILE` account can be read.
    pub fn acquire(request: AcquireRequest<'_>) -> SecResult<Self> {
        let identity = request.auth.as_ref().map(identity::decode).transpose()?;
        Self::from_identity(identity, request.usage, request.env)
    }

    /// `acquire` with the identity decoded (`None`: NULL auth data).
    pub fn from_identity(
        identity: Option<AuthIdentity>,
        usage: CredentialUse,
        env: &dyn Env,
    ) -> SecResult<Self> {
        if identity.as_ref().is_some_and(|id| id.keytab.is_some()) {
            // Packed credentials NTLM cannot use (a Kerberos keytab).
            return Err(SEC_E_UNKNOWN_CREDENTIALS.into());
        }
        let null_auth_data = identity.is_none();
        let account = match identity {
            Some(id)
                if id.user.is_none()
                    && id.domain.is_none()
                    && id.password.is_none()
                    && id.nt_hash.is_none() =>
            {
                Self::default_account(env)
            }
            Some(id) => {
                let (user, domain) = split_user(id.user.unwrap_or_default(), id.domain);
                let secret = match (id.nt_hash, id.password) {
                    (Some(hash), _) => Some(Secret::NtHash(hash)),
                    (None, Some(p)) if !p.is_empty() => Some(Secret::Password(p)),
                    (None, _) => None,
                };
                match secret {
                    None if user.is_empty() && domain.is_empty() => Account::Anonymous,
                    secret => {
                        let secret = secret.unwrap_or(Secret::Password(Zeroizing::default()));
                        Account::Explicit {
                            secret: secret.derive(&user, &domain),
                            user,
                            domain,
                        }
                    }
                }
            }
            None => Self::default_account(env),
        };
        // NULL auth data for an outbound-only credential needs an account
        // now; an identity structure whose fields are all NULL is accepted,
        // as Windows does, and fails at InitializeSecurityContext instead.
        if null_auth_data && usage.outbound() && !usage.inbound() {
            if let Account::Default { first: None } = account {
                return Err(SEC_E_NO_CREDENTIALS.into());
            }
        }
        Ok(NtlmCredentials { account })
    }

    fn default_account(env: &dyn Env) -> Account {
        let first = read_user_file(env).and_then(|f| {
            f.first().map(|e| {
                (
                    e.user.clone(),
                    e.domain.clone(),
                    e.secret.derive(&e.user, &e.domain),
                )
            })
        });
        Account::Default { first }
    }

    /// The name SECPKG_CRED_ATTR_NAMES reports: `DOMAIN\user`, or `user`.
    pub fn display_name(&self) -> String {
        match &self.account {
            Account::Explicit { user, domain, .. }
            | Account::Default {
                first: Some((user, domain, _)),
            } => qualified_name(domain, user),
            Account::Anonymous => ANONYMOUS_NAME.to_owned(),
            Account::Default { first: None } => String::new(),
        }
    }

    /// The identity a client presents; `None` when there is none
    /// (SEC_E_NO_CREDENTIALS).
    pub fn client_identity(&self, null_session: bool) -> Option<Credentials> {
        if null_session {
            return Some(Credentials::Anonymous);
        }
        match &self.account {
            Account::Explicit {
                user,
                domain,
                secret,
            }
            | Account::Default {
                first: Some((user, domain, secret)),
            } => Some(Credentials::User {
                user: user.clone(),
                domain: domain.clone(),
                secret: secret.clone(),
            }),
            Account::Anonymous => Some(Credentials::Anonymous),
            Account::Default { first: None } => None,
        }
    }

    /// The accounts a server side accepts (the file's as it is now, for
    /// default credentials).
    pub fn server_store(&self, env: &dyn Env) -> Box<dyn UserStore + '_> {
        match &self.account {
            Account::Explicit {
                user,
                domain,
                secret,
            } => Box::new(OneAccount {
                user,
                domain,
                secret,
            }),
            Account::Anonymous | Account::Default { .. } => {
                Box::new(read_user_file(env).unwrap_or_default())
            }
        }
    }
}

/// The name Windows gives an anonymous logon.
pub const ANONYMOUS_NAME: &str = "NT AUTHORITY\\ANONYMOUS LOGON";

/// `DOMAIN\user`, or `user` alone without a domain.
pub fn qualified_name(domain: &str, user: &str) -> String {
    if domain.is_empty() {
        user.to_owned()
    } else {
        format!("{domain}\\{user}")
    }
}

/// Splits `DOMAIN\user` when no domain was given.
fn split_user(user: String, domain: Option<String>) -> (String, String) {
    match domain {
        Some(d) if !d.is_empty() => (user, d),
        _ => match user.split_once('\\') {
            Some((d, u)) => (u.to_owned(), d.to_owned()),
            None => (user, String::new()),
        },
    }
}

/// The parsed `NTLM_USER_FILE`, or `None` when unset or unreadable.
fn read_user_file(env: &dyn Env) -> Option<UserFile> {
    let path = env.var(USER_FILE_VAR)?;
    let bytes = env.read_file(Path::new(&path))?;
    Some(UserFile::parse(std::str::from_utf8(&bytes).ok()?))
}

/// The single account an explicit inbound credential accepts. The user name
/// matches case-insensitively; the domain matches when equal
/// (case-insensitively) or when either side leaves it empty.
struct OneAccount<'a> {
    user: &'a str,
    domain: &'a str,
    secret: &'a Secret,
}

impl OneAccount<'_> {
    fn matches(&self, user: &str, domain: &str) -> bool {
        let domain_ok =
            self.domain.is_empty() || domain.is_empty() || eq_ignore_case(self.domain, domain);
        eq_ignore_case(self.user, user) && domain_ok
    }
}

impl UserStore for OneAccount<'_> {
    fn nt_hash(&self, user: &str, domain: &str) -> Option<Zeroizing<[u8; 16]>> {
        self.matches(user, domain).then(|| self.secret.nt_hash())
    }

    fn response_key(
        &self,
        user: &str,
        domain: &str,
        key_domain: &str,
    ) -> Option<Zeroizing<[u8; 16]>> {
        // The secret has NTOWFv2 computed ahead for the account's own names.
        self.matches(user, domain)
            .then(|| self.secret.response_key(user, key_domain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::SystemEnv;

    /// A credential for both uses from this identity.
    fn acquire(
        user: Option<&str>,
        domain: Option<&str>,
        password: Option<&str>,
    ) -> SecResult<NtlmCredentials> {
        let id = AuthIdentity {
            user: user.map(str::to_owned),
            domain: domain.map(str::to_owned),
            password: password.map(|p| Zeroizing::new(p.to_owned())),
            ..AuthIdentity::default()
        };
        NtlmCredentials::from_identity(Some(id), CredentialUse(SECPKG_CRED_BOTH), &SystemEnv)
    }

    #[test]
    fn splits_domain_user_only_without_a_domain() {
        assert_eq!(
            split_user("CORP\\bob".into(), None),
            ("bob".into(), "CORP".into())
        );
        assert_eq!(
            split_user("bob@corp.example".into(), Some(String::new())),
            ("bob@corp.example".into(), String::new())
        );
        assert_eq!(
            split_user("bob".into(), Some("X".into())),
            ("bob".into(), "X".into())
        );
    }

    #[test]
    fn empty_identity_is_anonymous_and_names_are_qualified() {
        let anon = acquire(Some(""), Some(""), Some("")).unwrap();
        assert!(matches!(anon.account, Account::Anonymous));
        assert_eq!(anon.display_name(), ANONYMOUS_NAME);
        let bob = acquire(Some("CORP\\bob"), None, Some("pw")).unwrap();
        assert_eq!(bob.display_name(), "CORP\\bob");
        let upn = acquire(Some("bob@corp"), Some(""), Some("pw")).unwrap();
        assert_eq!(upn.display_name(), "bob@corp");
    }

    #[test]
    fn one_account_matches_user_case_insensitively_and_domain_loosely() {
        let secret = Secret::Password(Zeroizing::new("pw".into()));
        let store = OneAccount {
            user: "Bob",
            domain: "CORP",
            secret: &secret,
        };
        assert!(store.nt_hash("bob", "corp").is_some());
        assert!(store.nt_hash("BOB", "").is_some());
        assert!(store.nt_hash("bob", "OTHER").is_none());
        assert!(store.nt_hash("alice", "CORP").is_none());
    }
}
