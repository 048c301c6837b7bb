//! AcquireCredentialsHandle, FreeCredentialsHandle, Query/Set credential
//! attributes, AddCredentials.
#![allow(non_snake_case)]

use std::ffi::c_void;
use std::mem::size_of;
use std::ptr::NonNull;
use std::sync::Arc;

use crate::abi::attributes::{write_credential_attribute, write_expiry};
use crate::abi::boundary::ffi_boundary;
use crate::abi::boundary::{self};
use crate::abi::strings::{read_cstr, Ansi, Encoding, Wide};
use crate::abi::types::*;
use crate::env::SystemEnv;
use crate::handles::Id;
use crate::package::{AcquireRequest, AuthData, CredentialUse, DynPackage, SecResult};
use crate::packages;
use crate::state::{Credential, CREDENTIALS};
use crate::trace::{self, names};
use crate::vocabulary::*;

/// Finds the package a caller names, or SEC_E_SECPKG_NOT_FOUND.
///
/// # Safety
/// A non-NULL `name` must be a NUL-terminated string.
pub unsafe fn package_named<E: Encoding>(
    name: *const E::Unit,
) -> SecResult<&'static dyn DynPackage> {
    // SAFETY: forwarded contract.
    match unsafe { read_cstr::<E>(name) } {
        Ok(Some(n)) => match packages::find(&n) {
            Some(p) => {
                trace::note_package(p.info().name);
                Ok(p)
            }
            None => {
                trace::note(format_args!(" package={}", trace::Quoted(&n)));
                Err(SEC_E_SECPKG_NOT_FOUND.into())
            }
        },
        _ => Err(SEC_E_SECPKG_NOT_FOUND.into()),
    }
}

/// The live credential a caller's handle names, or SEC_E_INVALID_HANDLE.
///
/// # Safety
/// A non-NULL `h` must point at a readable SecHandle.
pub unsafe fn credential(h: *const SecHandle) -> SecResult<Arc<Credential>> {
    // SAFETY: forwarded contract.
    let h = unsafe { boundary::read_handle(h) };
    trace::note(format_args!(" cred={}", Id(h)));
    let cred = CREDENTIALS
        .get(h.ok_or(SEC_E_INVALID_HANDLE)?)
        .ok_or(SEC_E_INVALID_HANDLE)?;
    trace::note_package(cred.package.info().name);
    Ok(cred)
}

unsafe fn acquire<E: Encoding>(
    principal: *const E::Unit,
    package: *const E::Unit,
    usage: ULONG,
    auth: *const c_void,
    out: *mut SecHandle,
    expiry: *mut TimeStamp,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: `package` (`pszPackage`) is NULL or a NUL-terminated string by the caller's
    // contract; `package_named` reads it with `read_cstr`, which checks NULL and alignment.
    let package = unsafe { package_named::<E>(package) }?;
    // The documented fCredentialUse bits; anything else (0xFFFFFFFF, the
    // reserved high bits) is as unknown as a use with neither direction.
    const KNOWN_USES: ULONG = SECPKG_CRED_BOTH
        | SECPKG_CRED_DEFAULT
        | SECPKG_CRED_AUTOLOGON_RESTRICTED
        | SECPKG_CRED_PROCESS_POLICY_ONLY;
    if usage & SECPKG_CRED_BOTH == 0 || usage & !KNOWN_USES != 0 {
        return Err(SEC_E_UNKNOWN_CREDENTIALS.into());
    }
    if out.is_null() || !out.is_aligned() {
        return Err(SEC_E_INVALID_HANDLE.into());
    }
    // SAFETY: `principal` (`pszPrincipal`) is NULL or a NUL-terminated string by the caller's
    // contract; `read_cstr` checks NULL and alignment and stops at the NUL or at MAX_CSTR.
    let principal = unsafe { read_cstr::<E>(principal) }.map_err(|()| SEC_E_INVALID_PARAMETER)?;
    let auth = NonNull::new(auth.cast_mut()).map(|p| {
        // SAFETY: a non-NULL `pAuthData` points at the structure the package documents
        // (an identity, for NTLM and Negotiate), valid for this call, by the caller's contract.
        unsafe { AuthData::new(p, E::WIDE) }
    });
    trace::note(format_args!(
        " use={} identity={}",
        names::flags("SECPKG_CRED_", usage),
        if auth.is_some() { "given" } else { "default" }
    ));
    let usage = CredentialUse(usage & SECPKG_CRED_BOTH);
    let (state, expires) = package.acquire_credentials(AcquireRequest {
        principal,
        usage,
        auth,
        env: &SystemEnv,
    })?;
    let handle = CREDENTIALS.insert(Arc::new(Credential {
        package,
        usage,
        state,
    }));
    trace::note(format_args!(" -> cred={}", Id(Some(handle))));
    // SAFETY: `out` (`phCredential`) was checked non-NULL and aligned above and is writable,
    // and `expiry` is NULL or a writable TimeStamp, by the caller's contract; `write_expiry`
    // skips NULL and misaligned pointers.
    unsafe {
        boundary::write(out, handle);
        write_expiry(expiry, expires);
    }
    Ok(SEC_E_OK)
}

/// Acquires credentials of a package. `pAuthData` is NULL (the package's
/// default credentials) or a SEC_WINNT_AUTH_IDENTITY_A/W or _EXA/_EXW,
/// copied before return. On success `*phCredential` is a new handle that
/// FreeCredentialsHandle frees; `ptsExpiry` (optional) gets its expiry.
/// `pvLogonId`, `pGetKeyFn` and `pvGetKeyArgument` are ignored.
#[no_mangle]
pub unsafe extern "C" fn AcquireCredentialsHandleW(
    pszPrincipal: *mut SEC_WCHAR,
    pszPackage: *mut SEC_WCHAR,
    fCredentialUse: ULONG,
    _pvLogonId: *mut c_void,
    pAuthData: *mut c_void,
    _pGetKeyFn: SEC_GET_KEY_FN,
    _pvGetKeyArgument: *mut c_void,
    phCredential: PCredHandle,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "AcquireCredentialsHandleW",
        acquire::<Wide>(
            pszPrincipal,
            pszPackage,
            fCredentialUse,
            pAuthData,
            phCredential,
            ptsExpiry,
        )
    )
}

/// The UTF-8 form of AcquireCredentialsHandleW.
#[no_mangle]
pub unsafe extern "C" fn AcquireCredentialsHandleA(
    pszPrincipal: *mut SEC_CHAR,
    pszPackage: *mut SEC_CHAR,
    fCredentialUse: ULONG,
    _pvLogonId: *mut c_void,
    pAuthData: *mut c_void,
    _pGetKeyFn: SEC_GET_KEY_FN,
    _pvGetKeyArgument: *mut c_void,
    phCredential: PCredHandle,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "AcquireCredentialsHandleA",
        acquire::<Ansi>(
            pszPrincipal.cast(),
            pszPackage.cast(),
            fCredentialUse,
            pAuthData,
            phCredential,
            ptsExpiry,
        )
    )
}

/// FreeCredentialsHandle's body.
///
/// # Safety
/// `h` is NULL or points at a SecHandle.
unsafe fn free_credential(h: *const SecHandle) -> SECURITY_STATUS {
    // SAFETY: forwarded contract; `read_handle` checks NULL and alignment.
    let h = unsafe { boundary::read_handle(h) };
    trace::note(format_args!(" cred={}", Id(h)));
    match h.and_then(|h| CREDENTIALS.remove(h)) {
        Some(cred) => {
            trace::note_package(cred.package.info().name);
            SEC_E_OK
        }
        None => SEC_E_INVALID_HANDLE,
    }
}

/// Frees a credentials handle. Contexts made with it keep working until
/// they are deleted. An invalid or already freed handle: SEC_E_INVALID_HANDLE.
#[no_mangle]
pub unsafe extern "C" fn FreeCredentialsHandle(phCredential: PCredHandle) -> SECURITY_STATUS {
    ffi_boundary!("FreeCredentialsHandle", free_credential(phCredential))
}

unsafe fn query_credentials<E: Encoding>(
    h: *const SecHandle,
    attribute: ULONG,
    out: *mut c_void,
    room: Option<ULONG>,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: forwarded contract.
    let cred = unsafe { credential(h) }?;
    // SECPKG_ATTR_SUPPORTED_PROTOCOLS is a ULONG; the others hold pointers.
    let align = if attribute == SECPKG_ATTR_SUPPORTED_PROTOCOLS {
        std::mem::align_of::<ULONG>()
    } else {
        std::mem::align_of::<*mut c_void>()
    };
    if out.is_null() || !(out as usize).is_multiple_of(align) {
        return Err(SEC_E_INTERNAL_ERROR.into());
    }
    if attribute == SECPKG_CRED_ATTR_NAMES
        && room.is_some_and(|r| (r as usize) < size_of::<SecPkgCredentials_NamesW>())
    {
        return Err(SEC_E_BUFFER_TOO_SMALL.into());
    }
    let value = cred.package.query_credentials(&cred.state, attribute)?;
    // SAFETY: `out` has room for the attribute's structure by contract.
    unsafe { write_credential_attribute::<E>(out, value) }?;
    Ok(SEC_E_OK)
}

/// Queries a credential attribute (SECPKG_CRED_ATTR_NAMES: the user name,
/// freed with FreeContextBuffer). An attribute the package lacks:
/// SEC_E_UNSUPPORTED_FUNCTION; NULL `pBuffer`: SEC_E_INTERNAL_ERROR, as Windows.
#[no_mangle]
pub unsafe extern "C" fn QueryCredentialsAttributesW(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "QueryCredentialsAttributesW",
        query_credentials::<Wide>(phCredential, ulAttribute, pBuffer, None)
    )
}

/// The UTF-8 form of QueryCredentialsAttributesW.
#[no_mangle]
pub unsafe extern "C" fn QueryCredentialsAttributesA(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "QueryCredentialsAttributesA",
        query_credentials::<Ansi>(phCredential, ulAttribute, pBuffer, None)
    )
}

/// QueryCredentialsAttributesW with the size of `pBuffer`: a buffer smaller
/// than the attribute's structure is SEC_E_BUFFER_TOO_SMALL.
#[no_mangle]
pub unsafe extern "C" fn QueryCredentialsAttributesExW(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "QueryCredentialsAttributesExW",
        query_credentials::<Wide>(phCredential, ulAttribute, pBuffer, Some(cbBuffer))
    )
}

/// The UTF-8 form of QueryCredentialsAttributesExW.
#[no_mangle]
pub unsafe extern "C" fn QueryCredentialsAttributesExA(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "QueryCredentialsAttributesExA",
        query_credentials::<Ansi>(phCredential, ulAttribute, pBuffer, Some(cbBuffer))
    )
}

unsafe fn set_credentials(
    h: *const SecHandle,
    attribute: ULONG,
    value: *const c_void,
    len: ULONG,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: forwarded contract.
    let cred = unsafe { credential(h) }?;
    // SAFETY: `len` readable bytes at `value` by contract.
    let value = unsafe { boundary::bytes(value, len as usize) }.ok_or(SEC_E_INTERNAL_ERROR)?;
    cred.package
        .set_credentials(&cred.state, attribute, value)?;
    Ok(SEC_E_OK)
}

/// Sets a credential attribute. Attributes a package does not take:
/// SEC_E_UNSUPPORTED_FUNCTION.
#[no_mangle]
pub unsafe extern "C" fn SetCredentialsAttributesW(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "SetCredentialsAttributesW",
        set_credentials(phCredential, ulAttribute, pBuffer, cbBuffer)
    )
}

/// The UTF-8 form of SetCredentialsAttributesW.
#[no_mangle]
pub unsafe extern "C" fn SetCredentialsAttributesA(
    phCredential: PCredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "SetCredentialsAttributesA",
        set_credentials(phCredential, ulAttribute, pBuffer, cbBuffer)
    )
}

unsafe fn add_credentials<E: Encoding>(
    h: *const SecHandle,
    package: *const E::Unit,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: forwarded contract.
    unsafe { credential(h) }?;
    // SAFETY: forwarded contract.
    unsafe { package_named::<E>(package) }?;
    Err(SEC_E_UNSUPPORTED_FUNCTION.into())
}

/// Adds credentials to an existing handle. No opensspi package supports it:
/// SEC_E_UNSUPPORTED_FUNCTION for a valid handle and package.
#[no_mangle]
pub unsafe extern "C" fn AddCredentialsW(
    hCredentials: PCredHandle,
    _pszPrincipal: *mut SEC_WCHAR,
    pszPackage: *mut SEC_WCHAR,
    _fCredentialUse: ULONG,
    _pAuthData: *mut c_void,
    _pGetKeyFn: SEC_GET_KEY_FN,
    _pvGetKeyArgument: *mut c_void,
    _ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "AddCredentialsW",
        add_credentials::<Wide>(hCredentials, pszPackage)
    )
}

/// The UTF-8 form of AddCredentialsW.
#[no_mangle]
pub unsafe extern "C" fn AddCredentialsA(
    hCredentials: PCredHandle,
    _pszPrincipal: *mut SEC_CHAR,
    pszPackage: *mut SEC_CHAR,
    _fCredentialUse: ULONG,
    _pAuthData: *mut c_void,
    _pGetKeyFn: SEC_GET_KEY_FN,
    _pvGetKeyArgument: *mut c_void,
    _ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "AddCredentialsA",
        add_credentials::<Ansi>(hCredentials, pszPackage.cast())
    )
}
