//! QueryContextAttributes on a CredSSP context: the TLS channel's
//! attributes (STREAM_SIZES, CONNECTION_INFO, certificates, ...), the
//! Negotiate exchange's (NAMES, NATIVE_NAMES, NEGOTIATION_INFO, and
//! NEGOTIATION_PACKAGE: the package it chose), and the
//! delegated credentials (SECPKG_ATTR_CREDS and SECPKG_ATTR_CREDS_2).

use zeroize::Zeroizing;

use crate::credentials::layout::{size_of_fields, Field};
use crate::package::*;
use crate::packages::negotiate::NEGOTIATE;
use crate::packages::schannel::SCHANNEL;
use crate::vocabulary::*;

use super::context::CredsspContext;
use super::messages::PasswordCreds;
use super::INFO;

/// KERB_LOGON_SUBMIT_TYPE's KerbInteractiveLogon.
const KERB_INTERACTIVE_LOGON: u32 = 2;
const PTR: usize = std::mem::size_of::<usize>();
/// sizeof(UNICODE_STRING): two USHORTs, padded to a pointer, and a pointer.
const USTR_LEN: usize = size_of_fields(&[Field::U32, Field::Ptr]);
/// sizeof(KERB_INTERACTIVE_LOGON): MessageType, padded to a pointer, and
/// three UNICODE_STRINGs.
const LOGON_LEN: usize = PTR + 3 * USTR_LEN;

/// The delegated credentials as a packed KERB_INTERACTIVE_LOGON, the form
/// Windows gives for SECPKG_ATTR_CREDS_2: the structure, then the domain,
/// user and password in UTF-16LE with no terminator, each UNICODE_STRING's
/// Buffer holding the offset of its characters from the structure's
/// start. Wiped when dropped.
pub fn packed_logon(creds: &PasswordCreds) -> Zeroizing<Vec<u8>> {
    let strings = [&creds.domain, &creds.user, &creds.password];
    // A UNICODE_STRING holds at most 65534 bytes.
    let lens = strings.map(|t| t.len().min(0xFFFE) & !1);
    let mut out = Zeroizing::new(Vec::with_capacity(LOGON_LEN + lens.iter().sum::<usize>()));
    out.resize(LOGON_LEN, 0);
    out[..4].copy_from_slice(&KERB_INTERACTIVE_LOGON.to_ne_bytes());
    for (i, (text, len)) in strings.into_iter().zip(lens).enumerate() {
        let at = PTR + USTR_LEN * i;
        let offset = out.len();
        out[at..at + 2].copy_from_slice(&(len as u16).to_ne_bytes());
        out[at + 2..at + 4].copy_from_slice(&(len as u16).to_ne_bytes());
        out[at + USTR_LEN - PTR..at + USTR_LEN].copy_from_slice(&offset.to_ne_bytes());
        out.extend_from_slice(&text[..len]);
    }
    out
}

/// QueryContextAttributes. Before the exchange is over only PACKAGE_INFO
/// answers: an incomplete context is SEC_E_INVALID_HANDLE (Microsoft's
/// "QueryContextAttributes (CredSSP)").
pub fn query(ctx: &CredsspContext, attribute: u32) -> SecResult<ContextAttribute> {
    if attribute != SECPKG_ATTR_PACKAGE_INFO && !ctx.established() {
        return Err(SEC_E_INVALID_HANDLE.into());
    }
    match attribute {
        SECPKG_ATTR_PACKAGE_INFO => Ok(ContextAttribute::PackageInfo(&INFO)),
        // Server only.
        SECPKG_ATTR_CREDS | SECPKG_ATTR_CREDS_2 => match (ctx.role(), ctx.delegated()) {
            (Role::Initiator, _) => Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
            (Role::Acceptor, None) => Err(SEC_E_INVALID_HANDLE.into()),
            (Role::Acceptor, Some(creds)) => Ok(ContextAttribute::ClientCreds(
                attribute,
                packed_logon(creds),
            )),
        },
        SECPKG_ATTR_NEGOTIATION_PACKAGE => {
            let inner = ctx.inner().ok_or(SEC_E_INVALID_HANDLE)?;
            match Package::query_context(&NEGOTIATE, inner, SECPKG_ATTR_NEGOTIATION_INFO)? {
                ContextAttribute::NegotiationInfo { package, .. } => {
                    Ok(ContextAttribute::NegotiationPackage(package))
                }
                _ => Err(SEC_E_INTERNAL_ERROR.into()),
            }
        }
        SECPKG_ATTR_NAMES | SECPKG_ATTR_NATIVE_NAMES | SECPKG_ATTR_NEGOTIATION_INFO => {
            let inner = ctx.inner().ok_or(SEC_E_INVALID_HANDLE)?;
            Package::query_context(&NEGOTIATE, inner, attribute)
        }
        _ => Package::query_context(&SCHANNEL, ctx.tls(), attribute),
    }
}
