//! A Negotiate credential: one credential of each mechanism the caller's
//! identity allows, acquired from the mechanism's own package with the same
//! request.

use super::mechs::{allowed, Mech};
use crate::credentials::identity;
use crate::package::{AcquireRequest, AnyCredentials, CredentialUse, Error, SecResult};

/// A mechanism and its credential.
pub struct MechCredential {
    pub mech: &'static Mech,
    pub cred: AnyCredentials,
}

/// What a Negotiate CredHandle holds.
pub struct NegotiateCredentials {
    /// The usable mechanisms, most preferred first. Empty when the
    /// identity's PackageList allows none: the credential exists, and the
    /// first Initialize/AcceptSecurityContext fails with
    /// SEC_E_NO_CREDENTIALS, as on Windows.
    mechs: Vec<MechCredential>,
    usage: CredentialUse,
}

impl core::fmt::Debug for NegotiateCredentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names: Vec<_> = self.mechs.iter().map(|m| m.mech.name()).collect();
        f.debug_struct("NegotiateCredentials")
            .field("mechs", &names)
            .field("usage", &self.usage)
            .finish()
    }
}

impl NegotiateCredentials {
    /// Acquires a credential from every mechanism of `mechs` that the
    /// identity's PackageList allows and that has credentials to give.
    /// When the PackageList allows none, a credential without mechanisms;
    /// when every allowed mechanism fails, the first one's error. Returns
    /// the credentials and the earliest expiry.
    pub fn acquire(mechs: &[&'static Mech], request: AcquireRequest) -> SecResult<(Self, i64)> {
        let identity = request.auth.as_ref().map(identity::decode).transpose()?;
        let list = identity.and_then(|i| i.package_list);
        let mut acquired = Vec::new();
        let mut expiry = i64::MAX;
        let mut first_error: Option<Error> = None;
        for &mech in mechs.iter().filter(|m| allowed(list.as_deref(), m.name())) {
            match mech.package.acquire_credentials(request.clone()) {
                Ok((cred, until)) => {
                    expiry = expiry.min(until);
                    acquired.push(MechCredential { mech, cred });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let (true, Some(e)) = (acquired.is_empty(), first_error) {
            return Err(e);
        }
        Ok((
            NegotiateCredentials {
                mechs: acquired,
                usage: request.usage,
            },
            expiry,
        ))
    }

    /// The usable mechanisms, most preferred first.
    pub fn mechs(&self) -> &[MechCredential] {
        &self.mechs
    }

    /// The credential of `mech`, if this credential allows it.
    pub fn for_mech(&self, mech: &Mech) -> Option<&AnyCredentials> {
        self.mechs
            .iter()
            .find(|m| core::ptr::eq(m.mech, mech))
            .map(|m| &m.cred)
    }

    /// The most preferred mechanism and its credential, if any.
    pub fn first(&self) -> Option<&MechCredential> {
        self.mechs.first()
    }
}
