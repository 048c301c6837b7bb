//! QueryContextAttributes for a Kerberos context. SIZES, FLAGS,
//! PACKAGE_INFO and NEGOTIATION_INFO answer at any stage; the others need
//! an established context (SEC_E_INVALID_HANDLE before).

use zeroize::Zeroizing;

use super::context::KerberosContext;
use super::INFO;
use crate::package::{ContextAttribute, SecResult};
use crate::vocabulary::*;

/// Windows' SIZES for Kerberos (Wine's values): a signature and a
/// security trailer of at most 64 bytes, blocks of 8.
const MAX_SIGNATURE: u32 = 64;
const SECURITY_TRAILER: u32 = 64;
const BLOCK_SIZE: u32 = 8;

/// The value of `attribute` for `ctx`.
pub fn query(ctx: &KerberosContext, attribute: u32) -> SecResult<ContextAttribute> {
    let est = ctx.established().ok();
    match attribute {
        SECPKG_ATTR_SIZES => {
            // aes256-cts-hmac-sha384-192's sealed trailer (72 bytes) is
            // longer than Windows' enctypes need.
            let trailer = est
                .map(|e| e.session.wrap_trailer_len(true) as u32)
                .unwrap_or(0)
                .max(SECURITY_TRAILER);
            return Ok(ContextAttribute::Sizes {
                max_token: INFO.max_token,
                max_signature: MAX_SIGNATURE,
                block_size: BLOCK_SIZE,
                security_trailer: trailer,
            });
        }
        SECPKG_ATTR_FLAGS => return Ok(ContextAttribute::Flags(ctx.ret_flags())),
        SECPKG_ATTR_PACKAGE_INFO => return Ok(ContextAttribute::PackageInfo(&INFO)),
        SECPKG_ATTR_NEGOTIATION_INFO => {
            return Ok(ContextAttribute::NegotiationInfo {
                package: &INFO,
                state: if est.is_some() {
                    SECPKG_NEGOTIATION_COMPLETE
                } else {
                    SECPKG_NEGOTIATION_IN_PROGRESS
                },
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
    let key = &est.session.key;
    Ok(match attribute {
        SECPKG_ATTR_NAMES => ContextAttribute::Names(est.client.text()),
        SECPKG_ATTR_NATIVE_NAMES => ContextAttribute::NativeNames {
            client: est.client.text(),
            server: est.server.text(),
        },
        SECPKG_ATTR_LIFESPAN => ContextAttribute::Lifespan {
            start: est.start,
            expiry: est.end,
        },
        SECPKG_ATTR_SESSION_KEY => {
            ContextAttribute::SessionKey(Zeroizing::new(key.bytes().to_vec()))
        }
        SECPKG_ATTR_KEY_INFO => ContextAttribute::KeyInfo {
            signature_algorithm_name: checksum_name(key.enctype.checksum_type()),
            encrypt_algorithm_name: key.enctype.name(),
            key_size: (key.bytes().len() * 8) as u32,
            signature_algorithm: key.enctype.checksum_type() as u32,
            encrypt_algorithm: key.enctype.number() as u32,
        },
        // SECPKG_ATTR_AUTHORITY: the realm that issued the ticket.
        _ => ContextAttribute::Authority(est.server.realm.clone()),
    })
}

/// The checksum type's name (RFC 3961/8009).
fn checksum_name(cksumtype: i32) -> &'static str {
    match cksumtype {
        15 => "hmac-sha1-96-aes128",
        16 => "hmac-sha1-96-aes256",
        19 => "hmac-sha256-128-aes128",
        20 => "hmac-sha384-192-aes256",
        _ => "hmac-md5-rc4",
    }
}
