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

fn alloc_str<E: Encoding>(s: &str) -> SecResult<*mut E::Unit> {
    let p = memory::alloc_units(&E::encode_nul(s));
    if p.is_null() {
        Err(SEC_E_INSUFFICIENT_MEMORY.into())
    } else {
        Ok(p)
    }
}

fn alloc_info<E: Encoding>(info: &PackageInfo) -> SecResult<*mut c_void> {
    let p = alloc_package_infos::<E>(&[info]);
    if p.is_null() {
        Err(SEC_E_INSUFFICIENT_MEMORY.into())
    } else {
        Ok(p)
    }
}

/// Size of the structure QueryContextAttributes writes for `attribute`, or
/// `None` for an attribute opensspi does not know.
pub fn context_attribute_size(attribute: u32) -> Option<usize> {
    let ptr = size_of::<*mut c_void>();
    Some(match attribute {
        SECPKG_ATTR_SIZES => size_of::<SecPkgContext_Sizes>(),
        SECPKG_ATTR_STREAM_SIZES => size_of::<SecPkgContext_StreamSizes>(),
        SECPKG_ATTR_NAMES | SECPKG_ATTR_AUTHORITY | SECPKG_ATTR_PACKAGE_INFO => ptr,
        SECPKG_ATTR_NATIVE_NAMES => 2 * ptr,
        SECPKG_ATTR_LIFESPAN => size_of::<SecPkgContext_Lifespan>(),
        SECPKG_ATTR_SESSION_KEY => size_of::<SecPkgContext_SessionKey>(),
        SECPKG_ATTR_FLAGS => size_of::<SecPkgContext_Flags>(),
        SECPKG_ATTR_NEGOTIATION_INFO => size_of::<SecPkgContext_NegotiationInfoW>(),
        SECPKG_ATTR_KEY_INFO => size_of::<SecPkgContext_KeyInfoW>(),
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
/// caller frees with FreeContextBuffer. Nothing is written on failure.
///
/// # Safety
/// `out` must point at writable memory of `context_attribute_size(attr)` bytes.
pub unsafe fn write_context_attribute<E: Encoding>(
    out: *mut c_void,
    value: ContextAttribute,
) -> SecResult<()> {
    // SAFETY: by this function's contract `out` has room for the attribute's structure,
    // and each arm writes exactly the structure `context_attribute_size` sizes;
    // `boundary::write` checks NULL and alignment.
    let ok = unsafe {
        match value {
            ContextAttribute::Sizes {
                max_token,
                max_signature,
                block_size,
                security_trailer,
            } => boundary::write(
                out.cast(),
                SecPkgContext_Sizes {
                    cbMaxToken: max_token,
                    cbMaxSignature: max_signature,
                    cbBlockSize: block_size,
                    cbSecurityTrailer: security_trailer,
                },
            ),
            ContextAttribute::StreamSizes {
                header,
                trailer,
                max_message,
                buffers,
                block_size,
            } => boundary::write(
                out.cast(),
                SecPkgContext_StreamSizes {
                    cbHeader: header,
                    cbTrailer: trailer,
                    cbMaximumMessage: max_message,
                    cBuffers: buffers,
                    cbBlockSize: block_size,
                },
            ),
            ContextAttribute::Names(name) | ContextAttribute::Authority(name) => {
                boundary::write(out.cast(), alloc_str::<E>(&name)?)
            }
            ContextAttribute::NativeNames { client, server } => {
                let c = alloc_str::<E>(&client)?;
                let s = match alloc_str::<E>(&server) {
                    Ok(s) => s,
                    Err(e) => {
                        memory::free(c.cast());
                        return Err(e);
                    }
                };
                boundary::write(out.cast(), [c, s])
            }
            ContextAttribute::Lifespan { start, expiry } => boundary::write(
                out.cast(),
                SecPkgContext_Lifespan {
                    tsStart: filetime(start),
                    tsExpiry: filetime(expiry),
                },
            ),
            ContextAttribute::SessionKey(key) => {
                let p = memory::alloc_copy(&key);
                if p.is_null() {
                    return Err(SEC_E_INSUFFICIENT_MEMORY.into());
                }
                boundary::write(
                    out.cast(),
                    SecPkgContext_SessionKey {
                        SessionKeyLength: key.len() as u32,
                        SessionKey: p,
                    },
                )
            }
            ContextAttribute::Flags(flags) => {
                boundary::write(out.cast(), SecPkgContext_Flags { Flags: flags })
            }
            ContextAttribute::PackageInfo(info) => {
                boundary::write(out.cast(), alloc_info::<E>(info)?)
            }
            ContextAttribute::NegotiationInfo { package, state } => boundary::write(
                out.cast(),
                SecPkgContext_NegotiationInfoW {
                    PackageInfo: alloc_info::<E>(package)?.cast(),
                    NegotiationState: state,
                },
            ),
            ContextAttribute::KeyInfo {
                signature_algorithm_name,
                encrypt_algorithm_name,
                key_size,
                signature_algorithm,
                encrypt_algorithm,
            } => {
                let s = alloc_str::<E>(signature_algorithm_name)?;
                let e = match alloc_str::<E>(encrypt_algorithm_name) {
                    Ok(e) => e,
                    Err(err) => {
                        memory::free(s.cast());
                        return Err(err);
                    }
                };
                boundary::write(
                    out.cast(),
                    KeyInfo {
                        signature_name: s,
                        encrypt_name: e,
                        key_size,
                        signature_algorithm,
                        encrypt_algorithm,
                    },
                )
            }
        }
    };
    if ok {
        Ok(())
    } else {
        Err(SEC_E_INTERNAL_ERROR.into())
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
    match value {
        CredentialAttribute::Names(name) => {
            let p = alloc_str::<E>(&name)?;
            // SAFETY: `out` holds one pointer by the caller's contract.
            if unsafe { boundary::write(out.cast(), p) } {
                Ok(())
            } else {
                memory::free(p.cast());
                Err(SEC_E_INTERNAL_ERROR.into())
            }
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
