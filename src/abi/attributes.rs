//! Writing package info and attribute values in their C form, for A or W.
//!
//! The A and W structures differ only in their string pointer type, so each
//! is written through a private generic mirror (`PkgInfo<U>`, ...) whose
//! layout a test pins to the public A and W types.

use std::ffi::c_void;
use std::mem::size_of;

use crate::abi::boundary;
use crate::abi::memory;
use crate::abi::strings::Encoding;
use crate::abi::types::*;
use crate::package::{ContextAttribute, CredentialAttribute, PackageInfo, SecResult};
use crate::vocabulary::*;

/// SecPkgInfoA/W with the string type as a parameter.
#[repr(C)]
struct PkgInfo<U> {
    capabilities: ULONG,
    version: USHORT,
    rpc_id: USHORT,
    max_token: ULONG,
    name: *mut U,
    comment: *mut U,
}

/// SecPkgContext_KeyInfoA/W with the string type as a parameter.
#[repr(C)]
struct KeyInfo<U> {
    signature_name: *mut U,
    encrypt_name: *mut U,
    key_size: ULONG,
    signature_algorithm: ULONG,
    encrypt_algorithm: ULONG,
}

/// Allocates an array of package infos with their strings in the same
/// block (freed by one FreeContextBuffer). NULL when memory is exhausted.
pub fn alloc_package_infos<E: Encoding>(infos: &[&PackageInfo]) -> *mut c_void {
    type NamePair<U> = (Vec<U>, Vec<U>);
    let strings: Vec<NamePair<E::Unit>> = infos
        .iter()
        .map(|i| (E::encode_nul(i.name), E::encode_nul(i.comment)))
        .collect();
    let head = size_of::<PkgInfo<E::Unit>>() * infos.len();
    let unit = size_of::<E::Unit>();
    let total = head
        + strings
            .iter()
            .map(|(n, c)| (n.len() + c.len()) * unit)
            .sum::<usize>();
    let block = memory::alloc(total);
    if block.is_null() {
        return block.cast();
    }
    let mut offset = head;
    for (i, (info, (name, comment))) in infos.iter().zip(&strings).enumerate() {
        // SAFETY: `block` holds `total` bytes: the array, then every string;
        // offsets stay inside it, and ALIGN (16) aligns the array while every
        // string offset is a multiple of the unit size.
        unsafe {
            let name_ptr = block.add(offset).cast::<E::Unit>();
            std::ptr::copy_nonoverlapping(name.as_ptr(), name_ptr, name.len());
            offset += name.len() * unit;
            let comment_ptr = block.add(offset).cast::<E::Unit>();
            std::ptr::copy_nonoverlapping(comment.as_ptr(), comment_ptr, comment.len());
            offset += comment.len() * unit;
            block.cast::<PkgInfo<E::Unit>>().add(i).write(PkgInfo {
                capabilities: info.capabilities,
                version: info.version,
                rpc_id: info.rpc_id,
                max_token: info.max_token,
                name: name_ptr,
                comment: comment_ptr,
            });
        }
    }
    block.cast()
}

/// Memory allocated for the caller (freed with FreeContextBuffer) that is
/// handed over only once the whole attribute is written: dropped without
/// `hand_over`, it is freed.
#[derive(Default)]
struct Handout(Vec<*mut u8>);

impl Handout {
    fn keep<T>(&mut self, p: *mut T) -> SecResult<*mut T> {
        if p.is_null() {
            return Err(SEC_E_INSUFFICIENT_MEMORY.into());
        }
        self.0.push(p.cast());
        Ok(p)
    }
    /// A NUL-terminated copy of `s` in the encoding `E`.
    fn str<E: Encoding>(&mut self, s: &str) -> SecResult<*mut E::Unit> {
        self.keep(memory::alloc_units(&E::encode_nul(s)))
    }
    /// A one-element package info block.
    fn info<E: Encoding>(&mut self, info: &PackageInfo) -> SecResult<*mut c_void> {
        self.keep(alloc_package_infos::<E>(&[info]))
    }
    /// A copy of `bytes`.
    fn bytes(&mut self, bytes: &[u8]) -> SecResult<*mut u8> {
        self.keep(memory::alloc_copy(bytes))
    }
    /// The caller owns the memory from now on.
    fn hand_over(mut self) {
        self.0.clear();
    }
}

impl Drop for Handout {
    fn drop(&mut self) {
        for p in self.0.drain(..) {
            memory::free(p);
        }
    }
}

/// Writes `value` at `out`, then hands the memory it points at over.
///
/// # Safety
/// `out` must be NULL (refused) or writable for a `T`.
unsafe fn put<T>(out: *mut c_void, value: T, handout: Handout) -> SecResult<()> {
    // SAFETY: forwarded contract; `write` checks NULL and alignment.
    if unsafe { boundary::write(out.cast::<T>(), value) } {
        handout.hand_over();
        Ok(())
    } else {
        Err(SEC_E_INTERNAL_ERROR.into())
    }
}

/// Size of the structure QueryContextAttributes writes for `attribute`, or
/// `None` for an attribute opensspi does not know.
pub fn context_attribute_size(attribute: u32) -> Option<usize> {
    let ptr = size_of::<*mut c_void>();
    Some(match attribute {
        SECPKG_ATTR_SIZES => size_of::<SecPkgContext_Sizes>(),
        SECPKG_ATTR_STREAM_SIZES => size_of::<SecPkgContext_StreamSizes>(),
        SECPKG_ATTR_NAMES
        | SECPKG_ATTR_AUTHORITY
        | SECPKG_ATTR_PACKAGE_INFO
        | SECPKG_ATTR_NEGOTIATION_PACKAGE => ptr,
        SECPKG_ATTR_NATIVE_NAMES => 2 * ptr,
        SECPKG_ATTR_LIFESPAN => size_of::<SecPkgContext_Lifespan>(),
        SECPKG_ATTR_SESSION_KEY => size_of::<SecPkgContext_SessionKey>(),
        SECPKG_ATTR_FLAGS => size_of::<SecPkgContext_Flags>(),
        SECPKG_ATTR_NEGOTIATION_INFO => size_of::<SecPkgContext_NegotiationInfoW>(),
        SECPKG_ATTR_KEY_INFO => size_of::<SecPkgContext_KeyInfoW>(),
        SECPKG_ATTR_CONNECTION_INFO => size_of::<SecPkgContext_ConnectionInfo>(),
        SECPKG_ATTR_CIPHER_INFO => size_of::<SecPkgContext_CipherInfo>(),
        SECPKG_ATTR_APPLICATION_PROTOCOL => size_of::<SecPkgContext_ApplicationProtocol>(),
        SECPKG_ATTR_REMOTE_CERT_CONTEXT | SECPKG_ATTR_LOCAL_CERT_CONTEXT => ptr,
        SECPKG_ATTR_SESSION_INFO => size_of::<SecPkgContext_SessionInfo>(),
        SECPKG_ATTR_CREDS | SECPKG_ATTR_CREDS_2 => size_of::<SecPkgContext_ClientCreds>(),
        SECPKG_ATTR_ENDPOINT_BINDINGS | SECPKG_ATTR_UNIQUE_BINDINGS => {
            size_of::<SecPkgContext_Bindings>()
        }
        _ => return None,
    })
}

fn filetime(t: i64) -> TimeStamp {
    TimeStamp {
        LowPart: t as u32,
        HighPart: (t >> 32) as i32,
    }
}

/// Writes an expiry time through an optional out pointer.
///
/// # Safety
/// A non-NULL `p` must point at a writable TimeStamp.
pub unsafe fn write_expiry(p: *mut TimeStamp, t: i64) {
    // SAFETY: forwarded contract; NULL is skipped.
    unsafe { boundary::write(p, filetime(t)) };
}

/// Writes a context attribute's C form at `out`, allocating what the
/// caller frees with FreeContextBuffer. Nothing is written, and nothing is
/// left allocated, on failure.
///
/// # Safety
/// `out` must point at writable memory of `context_attribute_size(attr)` bytes.
pub unsafe fn write_context_attribute<E: Encoding>(
    out: *mut c_void,
    value: ContextAttribute,
) -> SecResult<()> {
    let mut h = Handout::default();
    // SAFETY: (every arm) `out` has room for the structure of the attribute
    // `value` answers, by this function's contract, and each arm writes
    // exactly that structure (the one `context_attribute_size` sizes).
    unsafe {
        match value {
            ContextAttribute::Sizes {
                max_token,
                max_signature,
                block_size,
                security_trailer,
            } => {
                let sizes = SecPkgContext_Sizes {
                    cbMaxToken: max_token,
                    cbMaxSignature: max_signature,
                    cbBlockSize: block_size,
                    cbSecurityTrailer: security_trailer,
                };
                put(out, sizes, h)
            }
            ContextAttribute::StreamSizes {
                header,
                trailer,
                max_message,
                buffers,
                block_size,
            } => {
                let sizes = SecPkgContext_StreamSizes {
                    cbHeader: header,
                    cbTrailer: trailer,
                    cbMaximumMessage: max_message,
                    cBuffers: buffers,
                    cbBlockSize: block_size,
                };
                put(out, sizes, h)
            }
            ContextAttribute::Names(name) | ContextAttribute::Authority(name) => {
                put(out, h.str::<E>(&name)?, h)
            }
            ContextAttribute::NativeNames { client, server } => {
                let names = [h.str::<E>(&client)?, h.str::<E>(&server)?];
                put(out, names, h)
            }
            ContextAttribute::Lifespan { start, expiry } => {
                let span = SecPkgContext_Lifespan {
                    tsStart: filetime(start),
                    tsExpiry: filetime(expiry),
                };
                put(out, span, h)
            }
            ContextAttribute::SessionKey(key) => {
                let key = SecPkgContext_SessionKey {
                    SessionKeyLength: key.len() as u32,
                    SessionKey: h.bytes(&key)?,
                };
                put(out, key, h)
            }
            ContextAttribute::ClientCreds(_, creds) => {
                let creds = SecPkgContext_ClientCreds {
                    AuthBufferLen: creds.len() as u32,
                    AuthBuffer: h.bytes(&creds)?,
                };
                put(out, creds, h)
            }
            ContextAttribute::Flags(flags) => put(out, SecPkgContext_Flags { Flags: flags }, h),
            ContextAttribute::PackageInfo(info) | ContextAttribute::NegotiationPackage(info) => {
                put(out, h.info::<E>(info)?, h)
            }
            ContextAttribute::NegotiationInfo { package, state } => {
                let nego = SecPkgContext_NegotiationInfoW {
                    PackageInfo: h.info::<E>(package)?.cast(),
                    NegotiationState: state,
                };
                put(out, nego, h)
            }
            ContextAttribute::KeyInfo {
                signature_algorithm_name,
                encrypt_algorithm_name,
                key_size,
                signature_algorithm,
                encrypt_algorithm,
            } => {
                let info = KeyInfo {
                    signature_name: h.str::<E>(signature_algorithm_name)?,
                    encrypt_name: h.str::<E>(encrypt_algorithm_name)?,
                    key_size,
                    signature_algorithm,
                    encrypt_algorithm,
                };
                put(out, info, h)
            }
            ContextAttribute::ConnectionInfo(v) => {
                let info = SecPkgContext_ConnectionInfo {
                    dwProtocol: v[0],
                    aiCipher: v[1],
                    dwCipherStrength: v[2],
                    aiHash: v[3],
                    dwHashStrength: v[4],
                    aiExch: v[5],
                    dwExchStrength: v[6],
                };
                put(out, info, h)
            }
            ContextAttribute::CipherInfo(c) => put(out, cipher_info(&c), h),
            ContextAttribute::ApplicationProtocol(id) => {
                let mut p = SecPkgContext_ApplicationProtocol {
                    ProtoNegoStatus: if id.is_empty() {
                        SecApplicationProtocolNegotiationStatus_None
                    } else {
                        SecApplicationProtocolNegotiationStatus_Success
                    },
                    ProtoNegoExt: if id.is_empty() {
                        SecApplicationProtocolNegotiationExt_None
                    } else {
                        SecApplicationProtocolNegotiationExt_ALPN
                    },
                    ProtocolIdSize: id.len().min(255) as u8,
                    ProtocolId: [0; 255],
                };
                let n = id.len().min(255);
                p.ProtocolId[..n].copy_from_slice(&id[..n]);
                put(out, p, h)
            }
            ContextAttribute::Certificate(_, der) => {
                let context = crate::abi::certificates::new_context(&der, None)?;
                if boundary::write(out.cast::<PCCERT_CONTEXT>(), context) {
                    Ok(())
                } else {
                    crate::certificates::release(context as usize);
                    Err(SEC_E_INTERNAL_ERROR.into())
                }
            }
            ContextAttribute::SessionInfo { flags, id } => {
                let mut info = SecPkgContext_SessionInfo {
                    dwFlags: flags,
                    cbSessionId: id.len().min(32) as u32,
                    rgbSessionId: [0; 32],
                };
                info.rgbSessionId[..id.len().min(32)].copy_from_slice(&id[..id.len().min(32)]);
                put(out, info, h)
            }
            ContextAttribute::Bindings(_, bytes) => {
                let b = SecPkgContext_Bindings {
                    BindingsLength: bytes.len() as u32,
                    Bindings: h.bytes(&bytes)?.cast(),
                };
                put(out, b, h)
            }
        }
    }
}

/// UTF-16 of `s` in a fixed WCHAR array, NUL-terminated (cut to fit).
fn wide_field(s: &str) -> [SEC_WCHAR; 64] {
    let mut field = [0u16; 64];
    for (slot, unit) in field.iter_mut().take(63).zip(s.encode_utf16()) {
        *slot = unit;
    }
    field
}

fn cipher_info(c: &crate::package::CipherInfo) -> SecPkgContext_CipherInfo {
    SecPkgContext_CipherInfo {
        dwVersion: SECPKGCONTEXT_CIPHERINFO_V1,
        dwProtocol: c.protocol,
        dwCipherSuite: c.suite,
        dwBaseCipherSuite: c.suite,
        szCipherSuite: wide_field(&c.suite_name),
        szCipher: wide_field(c.cipher),
        dwCipherLen: c.cipher_len,
        dwCipherBlockLen: c.cipher_block_len,
        szHash: wide_field(c.hash),
        dwHashLen: c.hash_len,
        szExchange: wide_field(c.exchange),
        dwMinExchangeLen: c.min_exchange_len,
        dwMaxExchangeLen: c.max_exchange_len,
        szCertificate: wide_field(c.certificate),
        dwKeyType: c.key_type,
    }
}

/// Writes a credential attribute's C form at `out`.
///
/// # Safety
/// `out` must point at writable memory for the attribute's structure.
pub unsafe fn write_credential_attribute<E: Encoding>(
    out: *mut c_void,
    value: CredentialAttribute,
) -> SecResult<()> {
    let mut h = Handout::default();
    match value {
        CredentialAttribute::Names(name) => {
            let name = h.str::<E>(&name)?;
            // SAFETY: `out` holds one pointer by this function's contract.
            unsafe { put(out, name, h) }
        }
        CredentialAttribute::SupportedProtocols(bits) => {
            let value = SecPkgCred_SupportedProtocols {
                grbitProtocol: bits,
            };
            // SAFETY: `out` holds the structure by this function's contract.
            unsafe { put(out, value, h) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of};

    #[test]
    fn mirrors_match_public_layouts() {
        assert_eq!(size_of::<PkgInfo<u16>>(), size_of::<SecPkgInfoW>());
        assert_eq!(size_of::<PkgInfo<u8>>(), size_of::<SecPkgInfoA>());
        assert_eq!(
            offset_of!(PkgInfo<u8>, comment),
            offset_of!(SecPkgInfoA, Comment)
        );
        assert_eq!(
            size_of::<KeyInfo<u16>>(),
            size_of::<SecPkgContext_KeyInfoW>()
        );
        assert_eq!(
            offset_of!(KeyInfo<u8>, encrypt_algorithm),
            offset_of!(SecPkgContext_KeyInfoA, EncryptAlgorithm)
        );
        assert_eq!(align_of::<PkgInfo<u8>>(), align_of::<SecPkgInfoA>());
    }
}
