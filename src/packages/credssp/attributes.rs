//! QueryContextAttributes on a CredSSP context: the TLS channel's
//! attributes (STREAM_SIZES, CONNECTION_INFO, certificates, ...), the
//! Negotiate exchange's (NAMES, NATIVE_NAMES, NEGOTIATION_INFO), and the
//! delegated credentials (SECPKG_ATTR_CREDS and SECPKG_ATTR_CREDS_2).

use zeroize::Zeroizing;

use crate::package::*;
use crate::packages::negotiate::NEGOTIATE;
use crate::packages::schannel::SCHANNEL;
use crate::vocabulary::*;

use super::context::CredsspContext;
use super::messages::PasswordCreds;
use super::INFO;

/// KERB_LOGON_SUBMIT_TYPE's KerbInteractiveLogon.
const KERB_INTERACTIVE_LOGON: u32 = 2;
/// sizeof(KERB_INTERACTIVE_LOGON) on LP64: MessageType (4, padded to 8)
/// and three UNICODE_STRINGs of 16 bytes.
const LOGON_LEN: usize = 56;

/// The delegated credentials as a packed KERB_INTERACTIVE_LOGON, the form
/// Windows gives for SECPKG_ATTR_CREDS_2: the structure, then the domain,
/// user and password in UTF-16LE with no terminator, each UNICODE_STRING's
/// Buffer holding the offset of its characters from the structure's
/// start. Wiped when dropped.
pub fn packed_logon(creds: &PasswordCreds) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; LOGON_LEN]);
    out[..4].copy_from_slice(&KERB_INTERACTIVE_LOGON.to_ne_bytes());
    for (i, text) in [&creds.domain, &creds.user, &creds.password]
        .into_iter()
        .enumerate()
    {
        let at = 8 + 16 * i;
        // A UNICODE_STRING holds at most 65534 bytes.
        let len = text.len().min(0xFFFE) & !1;
        let offset = out.len();
        out[at..at + 2].copy_from_slice(&(len as u16).to_ne_bytes());
        out[at + 2..at + 4].copy_from_slice(&(len as u16).to_ne_bytes());
        out[at + 8..at + 16].copy_from_slice(&(offset as u64).to_ne_bytes());
        out.extend_from_slice(&text[..len]);
    }
    out
}

/// QueryContextAttributes.
pub fn query(ctx: &CredsspContext, attribute: u32) -> SecResult<ContextAttribute> {
    match attribute {
        SECPKG_ATTR_PACKAGE_INFO => Ok(ContextAttribute::PackageInfo(&INFO)),
        // Server only, once the credentials have arrived.
        SECPKG_ATTR_CREDS | SECPKG_ATTR_CREDS_2 => match (ctx.role(), ctx.delegated()) {
            (Role::Initiator, _) => Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
            (Role::Acceptor, None) => Err(SEC_E_INVALID_HANDLE.into()),
            (Role::Acceptor, Some(creds)) => Ok(ContextAttribute::ClientCreds(
                attribute,
                packed_logon(creds),
            )),
        },
        SECPKG_ATTR_NAMES | SECPKG_ATTR_NATIVE_NAMES | SECPKG_ATTR_NEGOTIATION_INFO => {
            let inner = ctx.inner().ok_or(SEC_E_INVALID_HANDLE)?;
            Package::query_context(&NEGOTIATE, inner, attribute)
        }
        _ => Package::query_context(&SCHANNEL, ctx.tls(), attribute),
    }
}
