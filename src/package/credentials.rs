//! What AcquireCredentialsHandle passes to a package.

use zeroize::Zeroizing;

use crate::vocabulary::*;

/// Whether a credential is for initiating, accepting, or both
/// (SECPKG_CRED_OUTBOUND / _INBOUND / _BOTH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialUse(pub u32);

impl CredentialUse {
    pub fn inbound(self) -> bool {
        self.0 & SECPKG_CRED_INBOUND != 0
    }
    pub fn outbound(self) -> bool {
        self.0 & SECPKG_CRED_OUTBOUND != 0
    }
}

/// An explicit identity from SEC_WINNT_AUTH_IDENTITY(_EX), decoded. `None`
/// means the caller passed a NULL pointer for that field, `Some("")` an
/// empty string; packages tell the two apart (NTLM: NULL user means the
/// default account, an empty one means anonymous).
#[derive(Clone, Debug, Default)]
pub struct AuthIdentity {
    pub user: Option<String>,
    pub domain: Option<String>,
    pub password: Option<Zeroizing<String>>,
    /// The NT hash given instead of a password (PasswordLength above
    /// SSPI_CREDENTIALS_HASH_LENGTH_OFFSET, WinPR's convention); `password`
    /// is then `None`.
    pub nt_hash: Option<Zeroizing<[u8; 16]>>,
    /// The EX structure's comma-separated PackageList, for Negotiate.
    pub package_list: Option<String>,
    /// The identity's Flags field (SEC_WINNT_AUTH_IDENTITY_*).
    pub flags: u32,
}

/// Everything AcquireCredentialsHandle passes to a package.
#[derive(Clone, Debug)]
pub struct AcquireRequest {
    pub principal: Option<String>,
    pub usage: CredentialUse,
    /// `None`: NULL auth data, the package's default credentials.
    pub identity: Option<AuthIdentity>,
}
