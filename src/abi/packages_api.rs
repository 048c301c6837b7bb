//! EnumerateSecurityPackages, QuerySecurityPackageInfo, FreeContextBuffer.
#![allow(non_snake_case)]

use std::ffi::c_void;

use crate::abi::attributes::alloc_package_infos;
use crate::abi::boundary::ffi_boundary;
use crate::abi::boundary::{self};
use crate::abi::memory;
use crate::abi::strings::{read_cstr, Ansi, Encoding, Wide};
use crate::abi::types::*;
use crate::packages;
use crate::vocabulary::*;

unsafe fn enumerate<E: Encoding>(count: *mut ULONG, out: *mut *mut c_void) -> SECURITY_STATUS {
    if count.is_null() || out.is_null() {
        return SEC_E_INVALID_PARAMETER;
    }
    let infos: Vec<_> = packages::all().iter().map(|p| p.info()).collect();
    let block = alloc_package_infos::<E>(&infos);
    if block.is_null() {
        return SEC_E_INSUFFICIENT_MEMORY;
    }
    // SAFETY: both pointers are non-NULL; the caller provides writable storage.
    unsafe {
        if !boundary::write(count, infos.len() as u32) || !boundary::write(out, block) {
            memory::free(block.cast());
            return SEC_E_INVALID_PARAMETER;
        }
    }
    SEC_E_OK
}

/// Lists the security packages opensspi provides. On success `*ppPackageInfo`
/// is one block (array and strings) that the caller frees with FreeContextBuffer.
/// NULL arguments: SEC_E_INVALID_PARAMETER (Windows crashes).
#[no_mangle]
pub unsafe extern "C" fn EnumerateSecurityPackagesW(
    pcPackages: *mut ULONG,
    ppPackageInfo: *mut PSecPkgInfoW,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "EnumerateSecurityPackagesW",
        enumerate::<Wide>(pcPackages, ppPackageInfo.cast())
    )
}

/// The UTF-8 form of EnumerateSecurityPackagesW.
#[no_mangle]
pub unsafe extern "C" fn EnumerateSecurityPackagesA(
    pcPackages: *mut ULONG,
    ppPackageInfo: *mut PSecPkgInfoA,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "EnumerateSecurityPackagesA",
        enumerate::<Ansi>(pcPackages, ppPackageInfo.cast())
    )
}

unsafe fn query_info<E: Encoding>(name: *const E::Unit, out: *mut *mut c_void) -> SECURITY_STATUS {
    // SAFETY: a non-NULL name is a NUL-terminated string by contract.
    let Ok(Some(name)) = (unsafe { read_cstr::<E>(name) }) else {
        return SEC_E_SECPKG_NOT_FOUND;
    };
    let Some(package) = packages::find(&name) else {
        return SEC_E_SECPKG_NOT_FOUND;
    };
    if out.is_null() {
        return SEC_E_INVALID_PARAMETER;
    }
    let block = alloc_package_infos::<E>(&[package.info()]);
    if block.is_null() {
        return SEC_E_INSUFFICIENT_MEMORY;
    }
    // SAFETY: `out` is non-NULL and writable by contract.
    if !unsafe { boundary::write(out, block) } {
        memory::free(block.cast());
        return SEC_E_INVALID_PARAMETER;
    }
    SEC_E_OK
}

/// Describes one package, matched case-insensitively. `*ppPackageInfo` is
/// freed with FreeContextBuffer. An unknown name: SEC_E_SECPKG_NOT_FOUND,
/// and `*ppPackageInfo` is not written.
#[no_mangle]
pub unsafe extern "C" fn QuerySecurityPackageInfoW(
    pszPackageName: *mut SEC_WCHAR,
    ppPackageInfo: *mut PSecPkgInfoW,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "QuerySecurityPackageInfoW",
        query_info::<Wide>(pszPackageName, ppPackageInfo.cast())
    )
}

/// The UTF-8 form of QuerySecurityPackageInfoW.
#[no_mangle]
pub unsafe extern "C" fn QuerySecurityPackageInfoA(
    pszPackageName: *mut SEC_CHAR,
    ppPackageInfo: *mut PSecPkgInfoA,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "QuerySecurityPackageInfoA",
        query_info::<Ansi>(pszPackageName.cast(), ppPackageInfo.cast())
    )
}

/// FreeContextBuffer's body.
///
/// # Safety
/// `p` is anything: only pointers opensspi handed out are freed.
unsafe fn free_buffer(p: *mut c_void) -> SECURITY_STATUS {
    if p.is_null() || memory::free(p.cast()) {
        SEC_E_OK
    } else {
        SEC_E_INVALID_HANDLE
    }
}

/// Frees memory opensspi allocated for the caller (package info, allocated
/// tokens, attribute strings and keys). NULL: SEC_E_OK. A pointer opensspi
/// did not hand out, or one already freed: SEC_E_INVALID_HANDLE, and nothing
/// is freed.
#[no_mangle]
pub unsafe extern "C" fn FreeContextBuffer(pvContextBuffer: *mut c_void) -> SECURITY_STATUS {
    ffi_boundary!("FreeContextBuffer", free_buffer(pvContextBuffer))
}
