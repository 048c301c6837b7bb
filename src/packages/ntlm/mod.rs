//! NTLM (MS-NLMP). This module holds the package's registry entry and its
//! credentials; the handshake and message protection arrive with the NTLM
//! protocol core (issue 3), until then Initialize/AcceptSecurityContext
//! return SEC_E_UNSUPPORTED_FUNCTION.

// The sans-IO protocol core (MS-NLMP): messages, keys, initiator and
// acceptor state machines, message protection. Not wired to the ABI yet.
#[allow(missing_docs)]
pub mod av_pairs;
pub mod bindings;
pub mod client;
pub mod context;
pub mod credentials;
pub mod crypto;
pub mod env;
pub mod error;
pub mod flags;
pub mod keystream;
pub mod messages;
pub mod server;
pub mod session;
pub mod text;
pub mod user_file;
pub mod wire;

use zeroize::Zeroizing;

use crate::package::*;
use crate::vocabulary::*;

/// The NTLM package.
pub struct Ntlm;

/// Windows' values for NTLM (QuerySecurityPackageInfo).
pub static INFO: PackageInfo = PackageInfo {
    name: "NTLM",
    comment: "NTLM Security Package",
    capabilities: 0x82B37,
    version: 1,
    rpc_id: 10,
    max_token: 2888,
};

/// Where NTLM credentials come from.
#[derive(Debug)]
pub enum Account {
    /// An explicit identity. `user` is as given (a UPN stays whole, with an
    /// empty domain, as MS-NLMP says); `DOMAIN\user` is split.
    Explicit {
        user: String,
        domain: String,
        password: Zeroizing<String>,
    },
    /// NULL auth data: the accounts of the `NTLM_USER_FILE` file.
    Default,
}

/// NTLM credentials.
#[derive(Debug)]
pub struct NtlmCredentials {
    pub usage: CredentialUse,
    pub account: Account,
}

impl NtlmCredentials {
    /// The name SECPKG_CRED_ATTR_NAMES reports: `DOMAIN\user`, or `user`.
    pub fn display_name(&self) -> String {
        match &self.account {
            Account::Explicit { user, domain, .. } if domain.is_empty() => user.clone(),
            Account::Explicit { user, domain, .. } => format!("{domain}\\{user}"),
            Account::Default => std::env::var("USER").unwrap_or_default(),
        }
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

fn user_file_readable() -> bool {
    std::env::var_os("NTLM_USER_FILE")
        .is_some_and(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
}

impl Package for Ntlm {
    type Credentials = NtlmCredentials;
    type Context = ();

    fn info(&self) -> &'static PackageInfo {
        &INFO
    }

    fn acquire_credentials(&self, request: AcquireRequest) -> SecResult<(NtlmCredentials, i64)> {
        let account = match request.identity {
            Some(id) if id.user.is_some() || id.domain.is_some() || id.password.is_some() => {
                let (user, domain) = split_user(id.user.unwrap_or_default(), id.domain);
                Account::Explicit {
                    user,
                    domain,
                    password: id.password.unwrap_or_default(),
                }
            }
            // An identity whose fields are all NULL is accepted, as Windows
            // does; the default account is looked up when it is used.
            Some(_) => Account::Default,
            None => {
                if request.usage.outbound() && !request.usage.inbound() && !user_file_readable() {
                    return Err(SEC_E_NO_CREDENTIALS);
                }
                Account::Default
            }
        };
        Ok((
            NtlmCredentials {
                usage: request.usage,
                account,
            },
            NEVER_EXPIRES,
        ))
    }

    fn query_credentials(
        &self,
        cred: &NtlmCredentials,
        attribute: u32,
    ) -> SecResult<CredentialAttribute> {
        match attribute {
            SECPKG_CRED_ATTR_NAMES => Ok(CredentialAttribute::Names(cred.display_name())),
            _ => Err(SEC_E_UNSUPPORTED_FUNCTION),
        }
    }

    fn initialize(
        &self,
        _cred: &NtlmCredentials,
        _input: &StepInput<'_>,
    ) -> SecResult<((), StepOutput)> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    fn accept(
        &self,
        _cred: &NtlmCredentials,
        _input: &StepInput<'_>,
    ) -> SecResult<((), StepOutput)> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    fn step(
        &self,
        _cred: Option<&NtlmCredentials>,
        _ctx: &mut (),
        _input: &StepInput<'_>,
    ) -> SecResult<StepOutput> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    fn query_context(&self, _ctx: &(), _attribute: u32) -> SecResult<ContextAttribute> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
