//! The Sspi* helpers for identity structures (SspiEncodeStringsAsAuthIdentity
//! and the rest), with Windows' semantics. An "opaque" identity opensspi
//! makes is one allocation holding a SEC_WINNT_AUTH_IDENTITY_EXW and its
//! UTF-16 strings; AcquireCredentialsHandle takes it like any EX identity,
//! and SspiFreeAuthIdentity frees it (and the strings
//! SspiEncodeAuthIdentityAsStrings returns), zeroing the memory first.
//! Credential Manager does not exist here: SspiPrepareForCredRead and
//! SspiPrepareForCredWrite return SEC_E_UNSUPPORTED_FUNCTION.
#![allow(non_snake_case)]

use std::ffi::c_void;
use std::mem::size_of;
use std::ptr::NonNull;

use zeroize::Zeroizing;

use crate::abi::boundary::ffi_boundary;
use crate::abi::boundary::{self};
use crate::abi::memory;
use crate::abi::strings::{read_cstr, read_cstr_secret, Encoding, Wide};
use crate::abi::types::*;
use crate::credentials::identity;
use crate::package::{AuthData, AuthIdentity, SecResult};
use crate::vocabulary::*;

/// The identity's password as text: the password, or the NT hash as its 32
/// hex digits (WinPR's convention, which `read_identity` reads back).
fn password_text(id: &AuthIdentity) -> Option<Zeroizing<String>> {
    match (&id.nt_hash, &id.password) {
        (Some(h), _) => Some(Zeroizing::new(
            h.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        )),
        (None, p) => p.clone(),
    }
}

/// An identity as one block: the EXW structure, then each string
/// NUL-terminated. NULL when memory is exhausted.
fn alloc_identity(id: &AuthIdentity) -> *mut SEC_WINNT_AUTH_IDENTITY_EXW {
    let text = password_text(id);
    let password = text.as_deref().map(String::as_str);
    let fields = [
        id.user.as_deref(),
        id.domain.as_deref(),
        password,
        id.package_list.as_deref(),
    ];
    let encoded: Vec<Option<Zeroizing<Vec<u16>>>> = fields
        .iter()
        .map(|f| f.map(|s| Zeroizing::new(Wide::encode_nul(s))))
        .collect();
    let head = size_of::<SEC_WINNT_AUTH_IDENTITY_EXW>();
    let total = head + encoded.iter().flatten().map(|u| u.len() * 2).sum::<usize>();
    let block = memory::alloc(total);
    if block.is_null() {
        return std::ptr::null_mut();
    }
    let mut offset = head;
    let mut place = |units: &Option<Zeroizing<Vec<u16>>>| -> (*mut u16, u32) {
        match units {
            None => (std::ptr::null_mut(), 0),
            Some(u) => {
                // SAFETY: the block holds `total` bytes: the header and every
                // string, laid out in this order; offsets stay even, so each
                // string is aligned for u16.
                let at = unsafe { block.add(offset) }.cast::<u16>();
                // SAFETY: `u.len()` units fit at `at` (counted in `total`).
                unsafe { std::ptr::copy_nonoverlapping(u.as_ptr(), at, u.len()) };
                offset += u.len() * 2;
                (at, (u.len() - 1) as u32)
            }
        }
    };
    let (user, user_len) = place(&encoded[0]);
    let (domain, domain_len) = place(&encoded[1]);
    let (pw, mut pw_len) = place(&encoded[2]);
    let (list, list_len) = place(&encoded[3]);
    if id.nt_hash.is_some() {
        pw_len += SSPI_CREDENTIALS_HASH_LENGTH_OFFSET;
    }
    let ex = SEC_WINNT_AUTH_IDENTITY_EXW {
        Version: SEC_WINNT_AUTH_IDENTITY_VERSION,
        Length: head as u32,
        User: user,
        UserLength: user_len,
        Domain: domain,
        DomainLength: domain_len,
        Password: pw,
        PasswordLength: pw_len,
        Flags: SEC_WINNT_AUTH_IDENTITY_UNICODE
            | (id.flags & !(SEC_WINNT_AUTH_IDENTITY_ANSI | SEC_WINNT_AUTH_IDENTITY_UNICODE)),
        PackageList: list,
        PackageListLength: list_len,
    };
    let p = block.cast::<SEC_WINNT_AUTH_IDENTITY_EXW>();
    // SAFETY: the block starts with room for the structure and is 16-aligned.
    unsafe { p.write(ex) };
    p
}

/// Writes a freshly allocated identity through `out`.
///
/// # Safety
/// `out` must be NULL or point at a writable pointer.
unsafe fn hand_out(
    id: &AuthIdentity,
    out: *mut PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SecResult<SECURITY_STATUS> {
    if out.is_null() || !out.is_aligned() {
        return Err(SEC_E_INVALID_PARAMETER.into());
    }
    let block = alloc_identity(id);
    if block.is_null() {
        return Err(SEC_E_INSUFFICIENT_MEMORY.into());
    }
    // SAFETY: checked non-NULL and aligned; writable by the caller's contract.
    unsafe { boundary::write(out, block.cast::<c_void>()) };
    Ok(SEC_E_OK)
}

/// SspiEncodeStringsAsAuthIdentity's body.
///
/// # Safety
/// Each string is NULL or NUL-terminated UTF-16; `out` is NULL or writable.
unsafe fn encode_strings(
    user: *const SEC_WCHAR,
    domain: *const SEC_WCHAR,
    password: *const SEC_WCHAR,
    out: *mut PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SecResult<SECURITY_STATUS> {
    let bad = |()| SEC_E_INVALID_PARAMETER;
    // SAFETY: forwarded contract; `read_cstr` checks NULL and alignment and
    // stops at the NUL.
    let user = unsafe { read_cstr::<Wide>(user) }.map_err(bad)?;
    // SAFETY: as above.
    let domain = unsafe { read_cstr::<Wide>(domain) }.map_err(bad)?;
    // SAFETY: as above.
    let password = unsafe { read_cstr_secret::<Wide>(password) }.map_err(bad)?;
    let id = AuthIdentity {
        user,
        domain,
        password,
        flags: SEC_WINNT_AUTH_IDENTITY_UNICODE,
        ..AuthIdentity::default()
    };
    // SAFETY: forwarded contract.
    unsafe { hand_out(&id, out) }
}

/// Builds an opaque identity from a user name, a domain and a password (the
/// "packed credentials string"); any may be NULL. Free the result with
/// SspiFreeAuthIdentity.
#[no_mangle]
pub unsafe extern "C" fn SspiEncodeStringsAsAuthIdentity(
    pszUserName: *const SEC_WCHAR,
    pszDomainName: *const SEC_WCHAR,
    pszPackedCredentialsString: *const SEC_WCHAR,
    ppAuthIdentity: *mut PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "SspiEncodeStringsAsAuthIdentity",
        encode_strings(
            pszUserName,
            pszDomainName,
            pszPackedCredentialsString,
            ppAuthIdentity
        )
    )
}

/// The identity structure at `p`, decoded (strings in UTF-16 unless its
/// Flags say ANSI). NULL is SEC_E_INVALID_PARAMETER.
///
/// # Safety
/// A non-NULL `p` must point at an identity structure whose strings hold
/// their stated lengths.
unsafe fn read_identity(p: *const c_void) -> SecResult<AuthIdentity> {
    let p = NonNull::new(p.cast_mut()).ok_or(SEC_E_INVALID_PARAMETER)?;
    // SAFETY: forwarded contract.
    identity::decode(&unsafe { AuthData::new(p, true) })
}

/// Overwrites the password of the identity structure at `p` with zeros, in
/// place (SspiZeroAuthIdentity on a structure opensspi did not allocate).
///
/// # Safety
/// As `read_identity`, and the password's characters must be writable.
unsafe fn zero_password(p: *const c_void) -> SecResult<()> {
    let p = NonNull::new(p.cast_mut()).ok_or(SEC_E_INVALID_PARAMETER)?;
    // SAFETY: forwarded contract.
    let (address, len) = identity::password_bytes(&unsafe { AuthData::new(p, true) })?;
    // SAFETY: the password's `len` bytes at `address` are writable by the caller's contract;
    // `bytes_mut` refuses NULL with a length.
    if let Some(bytes) = unsafe { boundary::bytes_mut(address as *mut c_void, len) } {
        bytes.fill(0);
    }
    Ok(())
}

/// SspiEncodeAuthIdentityAsStrings' body.
///
/// # Safety
/// `identity` is NULL or an identity structure; each out pointer is NULL or
/// writable for a pointer.
unsafe fn encode_identity(
    identity: *const c_void,
    user_out: *mut *const SEC_WCHAR,
    domain_out: *mut *const SEC_WCHAR,
    password_out: *mut *const SEC_WCHAR,
) -> SecResult<SECURITY_STATUS> {
    if user_out.is_null() || domain_out.is_null() {
        return Err(SEC_E_INVALID_PARAMETER.into());
    }
    // SAFETY: forwarded contract.
    let id = unsafe { read_identity(identity) }?;
    let copy = |s: Option<&str>| -> SecResult<*const SEC_WCHAR> {
        match s {
            None => Ok(std::ptr::null()),
            Some(s) => {
                let units = Zeroizing::new(Wide::encode_nul(s));
                let p = memory::alloc_units(&units);
                if p.is_null() {
                    Err(SEC_E_INSUFFICIENT_MEMORY.into())
                } else {
                    Ok(p.cast_const())
                }
            }
        }
    };
    let text = password_text(&id);
    let password = text.as_deref().map(String::as_str);
    let user = copy(id.user.as_deref())?;
    let domain = copy(id.domain.as_deref())?;
    let packed = if password_out.is_null() {
        std::ptr::null()
    } else {
        copy(password)?
    };
    // SAFETY: forwarded contract; `write` checks NULL and alignment.
    unsafe {
        boundary::write(user_out, user);
        boundary::write(domain_out, domain);
        boundary::write(password_out, packed);
    }
    Ok(SEC_E_OK)
}

/// The user name, domain and password of an identity (any of the A, W and
/// EX forms) as separate UTF-16 strings; an absent field gives NULL. Free
/// each with SspiFreeAuthIdentity. `ppszPackedCredentialsString` may be
/// NULL when the password is not wanted.
#[no_mangle]
pub unsafe extern "C" fn SspiEncodeAuthIdentityAsStrings(
    pAuthIdentity: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    ppszUserName: *mut *const SEC_WCHAR,
    ppszDomainName: *mut *const SEC_WCHAR,
    ppszPackedCredentialsString: *mut *const SEC_WCHAR,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "SspiEncodeAuthIdentityAsStrings",
        encode_identity(
            pAuthIdentity,
            ppszUserName,
            ppszDomainName,
            ppszPackedCredentialsString
        )
    )
}

/// SspiCopyAuthIdentity's body.
///
/// # Safety
/// `identity` is NULL or an identity structure; `out` is NULL or writable.
unsafe fn copy_identity(
    identity: *const c_void,
    out: *mut PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: forwarded contract.
    let id = unsafe { read_identity(identity) }?;
    // An EX2 identity is self-relative: copied byte for byte, so that its
    // packed credentials (a keytab) come along.
    if let Some(p) = NonNull::new(identity.cast_mut()) {
        // SAFETY: forwarded contract (`read_identity` read it already).
        if let Some(bytes) = identity::ex2_bytes(&unsafe { AuthData::new(p, true) })? {
            if out.is_null() || !out.is_aligned() {
                return Err(SEC_E_INVALID_PARAMETER.into());
            }
            let block = memory::alloc_copy(bytes);
            if block.is_null() {
                return Err(SEC_E_INSUFFICIENT_MEMORY.into());
            }
            // SAFETY: checked non-NULL and aligned; writable by the caller's contract.
            unsafe { boundary::write(out, block.cast::<c_void>()) };
            return Ok(SEC_E_OK);
        }
    }
    // SAFETY: forwarded contract.
    unsafe { hand_out(&id, out) }
}

/// A copy of an identity: an EX2 one as it is, any of the A, W and EX forms
/// as an opaque EXW identity. Free it with SspiFreeAuthIdentity.
#[no_mangle]
pub unsafe extern "C" fn SspiCopyAuthIdentity(
    AuthData: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    AuthDataCopy: *mut PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "SspiCopyAuthIdentity",
        copy_identity(AuthData, AuthDataCopy)
    )
}

/// SspiFreeAuthIdentity's and SspiLocalFree's body: frees what opensspi
/// handed out, zeroing it first; anything else is ignored.
///
/// # Safety
/// `p` is anything.
unsafe fn free_identity(p: *mut c_void) -> SECURITY_STATUS {
    memory::free(p.cast());
    SEC_E_OK
}

/// Frees an identity or a string that the Sspi* helpers returned, zeroing
/// it first. NULL, and pointers opensspi did not hand out, are ignored.
#[no_mangle]
pub unsafe extern "C" fn SspiFreeAuthIdentity(AuthData: PSEC_WINNT_AUTH_IDENTITY_OPAQUE) {
    ffi_boundary!("SspiFreeAuthIdentity", free_identity(AuthData));
}

/// Frees memory an Sspi* helper returned (as SspiFreeAuthIdentity).
#[no_mangle]
pub unsafe extern "C" fn SspiLocalFree(DataBuffer: *mut c_void) {
    ffi_boundary!("SspiLocalFree", free_identity(DataBuffer));
}

/// SspiZeroAuthIdentity's body.
///
/// # Safety
/// `identity` is NULL, opensspi's own allocation, or a caller's identity
/// structure with a writable password.
unsafe fn zero_identity(identity: *mut c_void) -> SECURITY_STATUS {
    if !identity.is_null() && !memory::zero(identity.cast()) {
        // SAFETY: forwarded contract.
        let _ = unsafe { zero_password(identity) };
    }
    SEC_E_OK
}

/// Zeroes an identity: all of it for one opensspi allocated (which stays
/// allocated: free it with SspiFreeAuthIdentity), the password's characters
/// for a caller's own structure. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn SspiZeroAuthIdentity(AuthData: PSEC_WINNT_AUTH_IDENTITY_OPAQUE) {
    ffi_boundary!("SspiZeroAuthIdentity", zero_identity(AuthData));
}

/// Whether an identity is encrypted (SspiEncryptAuthIdentity): never, for
/// opensspi does not encrypt identities in memory.
#[no_mangle]
pub unsafe extern "C" fn SspiIsAuthIdentityEncrypted(
    EncryptedAuthData: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
) -> BOOLEAN {
    let _ = EncryptedAuthData;
    0
}

/// Credential Manager's target for reading an identity: unsupported (there
/// is no Credential Manager on Unix).
#[no_mangle]
#[allow(unused_variables)]
pub unsafe extern "C" fn SspiPrepareForCredRead(
    AuthIdentity: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    pszTargetName: *const SEC_WCHAR,
    pCredmanCredentialType: *mut ULONG,
    ppszCredmanTargetName: *mut *const SEC_WCHAR,
) -> SECURITY_STATUS {
    SEC_E_UNSUPPORTED_FUNCTION
}

/// Credential Manager's form of an identity for writing: unsupported (there
/// is no Credential Manager on Unix).
#[no_mangle]
#[allow(unused_variables)]
pub unsafe extern "C" fn SspiPrepareForCredWrite(
    AuthIdentity: PSEC_WINNT_AUTH_IDENTITY_OPAQUE,
    pszTargetName: *const SEC_WCHAR,
    pCredmanCredentialType: *mut ULONG,
    ppszCredmanTargetName: *mut *const SEC_WCHAR,
    ppszCredmanUserName: *mut *const SEC_WCHAR,
    ppCredentialBlob: *mut *mut u8,
    pCredentialBlobSize: *mut ULONG,
) -> SECURITY_STATUS {
    SEC_E_UNSUPPORTED_FUNCTION
}
