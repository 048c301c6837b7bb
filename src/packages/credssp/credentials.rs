//! A CredSSP credential: a Schannel credential for the TLS channel, a
//! Negotiate credential for the authentication inside it, and (for an
//! initiator) the password credentials it delegates.
//!
//! `pAuthData` is Windows' CREDSSP_CRED, or CREDSSP_CRED_EX (Type
//! CredsspCredEx, Version 0) around one. pSchannelCred is an
//! SCH_CREDENTIALS or SCHANNEL_CRED as the Schannel package takes it (NULL:
//! Schannel's defaults); pSpnegoCred a SEC_WINNT_AUTH_IDENTITY(_EX, _EX2)
//! as Negotiate takes it (NULL: Negotiate's default credentials, with
//! nothing to delegate). NULL pAuthData is both defaults.

use zeroize::Zeroizing;

use crate::credentials::identity;
use crate::credentials::layout::{size_of_fields, Field, Fields};
use crate::package::*;
use crate::packages::negotiate::{NegotiateCredentials, NEGOTIATE};
use crate::packages::schannel::SchannelCredentials;
use crate::vocabulary::*;

use super::messages::PasswordCreds;

/// sizeof(CREDSSP_CRED): Type and two pointers.
const CRED_LEN: usize = size_of_fields(&[Field::U32, Field::Ptr, Field::Ptr]);
/// FIELD_OFFSET(CREDSSP_CRED_EX, Cred): four ULONGs before it.
const CRED_EX_INNER: usize = size_of_fields(&[Field::U32; 4]);
/// sizeof(CREDSSP_CRED_EX).
const CRED_EX_LEN: usize = CRED_EX_INNER + CRED_LEN;

/// What AcquireCredentialsHandle("CREDSSP") holds.
pub struct CredsspCredentials {
    pub usage: CredentialUse,
    pub schannel: SchannelCredentials,
    pub negotiate: NegotiateCredentials,
    /// The credentials an initiator delegates (from pSpnegoCred's
    /// password identity); `None` with default credentials.
    pub delegate: Option<PasswordCreds>,
}

/// The user, domain and password to delegate, as TSPasswordCreds carries
/// them: a `DOMAIN\user` name with no domain is split.
fn delegated(id: &AuthIdentity) -> Option<PasswordCreds> {
    let password = id.password.as_ref()?;
    let user = id.user.clone().unwrap_or_default();
    let (domain, user) = match (&id.domain, user.split_once('\\')) {
        (Some(d), _) if !d.is_empty() => (d.clone(), user),
        (_, Some((d, u))) => (d.to_string(), u.to_string()),
        (d, None) => (d.clone().unwrap_or_default(), user),
    };
    // Sized once (UTF-16 takes at most twice UTF-8's bytes), so that no
    // reallocation leaves a copy behind.
    let utf16 = |s: &str| {
        let mut out = Zeroizing::new(Vec::with_capacity(2 * s.len()));
        out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        out
    };
    Some(PasswordCreds {
        domain: utf16(&domain),
        user: utf16(&user),
        password: utf16(password),
    })
}

impl CredsspCredentials {
    /// AcquireCredentialsHandle for CredSSP. An unknown CREDSSP_CRED Type,
    /// smart-card credentials (CredsspCertificateCreds) or a CREDSSP_CRED_EX
    /// of another version: SEC_E_UNKNOWN_CREDENTIALS.
    // The CREDSPP_SUBMIT_TYPE values keep credssp.h's names.
    #[allow(non_upper_case_globals)]
    pub fn acquire(request: AcquireRequest<'_>) -> SecResult<Self> {
        let (schannel_auth, spnego_auth) = match request.auth {
            None => (None, None),
            Some(auth) => {
                let head = auth.head(CRED_LEN).ok_or(SEC_E_INVALID_PARAMETER)?;
                let mut cred = head;
                if Fields::new(head).u32() == CredsspCredEx {
                    let ex = auth.head(CRED_EX_LEN).ok_or(SEC_E_INVALID_PARAMETER)?;
                    let mut f = Fields::new(ex);
                    let (_, version, flags) = (f.u32(), f.u32(), f.u32());
                    if version != CREDSSP_CRED_EX_VERSION || flags & !CREDSSP_FLAG_REDIRECT != 0 {
                        return Err(SEC_E_UNKNOWN_CREDENTIALS.into());
                    }
                    cred = &ex[CRED_EX_INNER..];
                }
                let mut f = Fields::new(cred);
                let (kind, schannel, spnego) = (f.u32(), f.ptr(), f.ptr());
                let (use_schannel, use_spnego) = match kind {
                    CredsspPasswordCreds => (false, true),
                    CredsspSchannelCreds => (true, false),
                    CredsspSubmitBufferBoth | CredsspSubmitBufferBothOld => (true, true),
                    // Smart-card logon is not supported.
                    CredsspCertificateCreds => return Err(SEC_E_UNKNOWN_CREDENTIALS.into()),
                    _ => return Err(SEC_E_UNKNOWN_CREDENTIALS.into()),
                };
                (
                    auth.follow(schannel).filter(|_| use_schannel),
                    auth.follow(spnego).filter(|_| use_spnego),
                )
            }
        };
        let schannel = SchannelCredentials::acquire(AcquireRequest {
            principal: None,
            auth: schannel_auth,
            ..request.clone()
        })?;
        let delegate = match (&spnego_auth, request.usage.outbound()) {
            (Some(auth), true) => delegated(&identity::decode(auth)?),
            _ => None,
        };
        let (negotiate, _) = Package::acquire_credentials(
            &NEGOTIATE,
            AcquireRequest {
                auth: spnego_auth,
                ..request.clone()
            },
        )?;
        Ok(CredsspCredentials {
            usage: request.usage,
            schannel,
            negotiate,
            delegate,
        })
    }
}
