//! QueryContextAttributes for an NTLM context, with Windows' values.
//! SIZES, FLAGS, PACKAGE_INFO and NEGOTIATION_INFO answer at any stage; the
//! others need an established context (SEC_E_INVALID_HANDLE before).
//! STREAM_SIZES, like every attribute not listed, is
//! SEC_E_UNSUPPORTED_FUNCTION, as on Windows.

use zeroize::Zeroizing;

use super::account::{qualified_name, ANONYMOUS_NAME};
use super::context::NtlmContext;
use super::established::Established;
use super::flags::NEGOTIATE_EXTENDED_SESSIONSECURITY;
use super::session::{key_bits, SIGNATURE_LEN};
use super::INFO;
use crate::package::Role;
use crate::package::{ContextAttribute, SecResult, NEVER_EXPIRES};
use crate::vocabulary::*;

/// Signature algorithm of SECPKG_ATTR_KEY_INFO with extended session
/// security (HMAC-MD5) and without it (RC4-CRC32), as Windows numbers them.
const SIG_HMAC_MD5: u32 = 0xffff_ff76;
const SIG_RC4_CRC32: u32 = 0xffff_ff7c;

/// The authenticated client's `DOMAIN\user` (or the anonymous logon's name).
fn client_name(est: &Established) -> String {
    if est.is_anonymous() {
        ANONYMOUS_NAME.to_owned()
    } else {
        qualified_name(est.domain(), est.user())
    }
}

/// The value of `attribute` for `ctx`.
pub fn query(ctx: &NtlmContext, attribute: u32) -> SecResult<ContextAttribute> {
    let state = if ctx.is_complete() {
        SECPKG_NEGOTIATION_COMPLETE
    } else {
        SECPKG_NEGOTIATION_IN_PROGRESS
    };
    match attribute {
        SECPKG_ATTR_SIZES => {
            return Ok(ContextAttribute::Sizes {
                max_token: INFO.max_token,
                max_signature: SIGNATURE_LEN as u32,
                block_size: 0,
                security_trailer: SIGNATURE_LEN as u32,
            })
        }
        SECPKG_ATTR_FLAGS => return Ok(ContextAttribute::Flags(ctx.ret_flags())),
        SECPKG_ATTR_PACKAGE_INFO => return Ok(ContextAttribute::PackageInfo(&INFO)),
        SECPKG_ATTR_NEGOTIATION_INFO => {
            return Ok(ContextAttribute::NegotiationInfo {
                package: &INFO,
                state,
            })
        }
        SECPKG_ATTR_NAMES
        | SECPKG_ATTR_NATIVE_NAMES
        | SECPKG_ATTR_LIFESPAN
        | SECPKG_ATTR_SESSION_KEY
        | SECPKG_ATTR_KEY_INFO
        | SECPKG_ATTR_AUTHORITY => {}
        _ => return Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
    }
    let est = ctx.established()?;
    Ok(match attribute {
        SECPKG_ATTR_NAMES => ContextAttribute::Names(client_name(est)),
        SECPKG_ATTR_NATIVE_NAMES => ContextAttribute::NativeNames {
            client: client_name(est),
            server: match ctx.role() {
                Role::Initiator => ctx.target().unwrap_or_default().to_owned(),
                Role::Acceptor => est.client_target_name().unwrap_or_default().to_owned(),
            },
        },
        SECPKG_ATTR_LIFESPAN => ContextAttribute::Lifespan {
            start: ctx.established_at(),
            expiry: NEVER_EXPIRES,
        },
        SECPKG_ATTR_SESSION_KEY => {
            ContextAttribute::SessionKey(Zeroizing::new(est.session_key().to_vec()))
        }
        SECPKG_ATTR_KEY_INFO => {
            let ess = est.flags() & NEGOTIATE_EXTENDED_SESSIONSECURITY != 0;
            ContextAttribute::KeyInfo {
                signature_algorithm_name: if ess { "HMAC-MD5" } else { "RSADSI RC4-CRC32" },
                encrypt_algorithm_name: "RSADSI RC4",
                key_size: key_bits(est.flags()),
                signature_algorithm: if ess { SIG_HMAC_MD5 } else { SIG_RC4_CRC32 },
                encrypt_algorithm: CALG_RC4,
            }
        }
        // SECPKG_ATTR_AUTHORITY: the domain that authenticated the user.
        _ => ContextAttribute::Authority(match ctx.role() {
            Role::Initiator => est.target_names().nb_domain.clone(),
            Role::Acceptor if est.domain().is_empty() => est.target_names().nb_domain.clone(),
            Role::Acceptor => est.domain().to_owned(),
        }),
    })
}
