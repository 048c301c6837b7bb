//! Certificate contexts: the CERT_CONTEXT structures opensspi hands out
//! (a peer's certificate from QueryContextAttributes, a certificate loaded
//! with its key for a Schannel credential), CertFreeCertificateContext and
//! CertDuplicateCertificateContext to release and share them, and the
//! `OpenSspi` extensions that load a certificate with its private key.
//!
//! The two `Cert*` functions exist because a program frees the context
//! SECPKG_ATTR_REMOTE_CERT_CONTEXT gives it with CertFreeCertificateContext,
//! crypt32's function on Windows. They act only on contexts opensspi made;
//! any other pointer is left alone.
#![allow(non_snake_case)]

use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;

use crate::abi::boundary::{self, ffi_boundary};
use crate::abi::strings::{read_cstr, Ansi, Encoding, Wide};
use crate::abi::types::*;
use crate::certificates;
use crate::env::{Env, SystemEnv};
use crate::package::SecResult;
use crate::vocabulary::*;

/// A CERT_CONTEXT and the DER it points at: two allocations made with
/// `Box::into_raw`, so that no move of their owner invalidates the
/// pointers handed to the program, and given back when the last reference
/// goes (`Drop`).
struct Block {
    context: *mut CERT_CONTEXT,
    der: *mut [u8],
}

// SAFETY: `Block` is the sole owner of both allocations; the program only
// reads them through the pointers it was given, and they are freed once,
// by the registry, under its lock.
unsafe impl Send for Block {}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: both pointers come from `Box::into_raw` in `new_context`
        // and are dropped only here, once.
        unsafe {
            drop(Box::from_raw(self.context));
            drop(Box::from_raw(self.der));
        }
    }
}

/// A new CERT_CONTEXT holding `der` (and, for a credential, its key), with
/// one reference: CertFreeCertificateContext frees it.
pub fn new_context(
    der: &[u8],
    key: Option<Arc<rustls::sign::CertifiedKey>>,
) -> SecResult<PCCERT_CONTEXT> {
    let len = u32::try_from(der.len()).map_err(|_| SEC_E_INVALID_PARAMETER)?;
    let bytes: Box<[u8]> = der.into();
    let der_ptr = Box::into_raw(bytes);
    let context = Box::into_raw(Box::new(CERT_CONTEXT {
        dwCertEncodingType: X509_ASN_ENCODING | PKCS_7_ASN_ENCODING,
        pbCertEncoded: der_ptr.cast::<u8>(),
        cbCertEncoded: len,
        pCertInfo: std::ptr::null_mut(),
        hCertStore: std::ptr::null_mut(),
    }));
    let block = Block {
        context,
        der: der_ptr,
    };
    certificates::insert(
        context as usize,
        Arc::new(der.to_vec()),
        key,
        Box::new(block),
    );
    Ok(context)
}

/// Releases a reference to a certificate context from opensspi; the last
/// frees it. Returns TRUE, as crypt32 does, for NULL and for contexts
/// opensspi did not make (which it leaves alone).
#[no_mangle]
pub unsafe extern "C" fn CertFreeCertificateContext(pCertContext: PCCERT_CONTEXT) -> i32 {
    let address = pCertContext as usize;
    boundary::guard("CertFreeCertificateContext", || {
        certificates::release(address);
        1
    })
}

/// Another reference to a certificate context from opensspi: the same
/// pointer, freed once more with CertFreeCertificateContext. NULL for
/// NULL or a context opensspi did not make.
#[no_mangle]
pub unsafe extern "C" fn CertDuplicateCertificateContext(
    pCertContext: PCCERT_CONTEXT,
) -> PCCERT_CONTEXT {
    let address = pCertContext as usize;
    let known = std::panic::catch_unwind(|| certificates::duplicate(address)).unwrap_or(false);
    if known {
        pCertContext
    } else {
        std::ptr::null()
    }
}

/// Makes a certificate context that carries its key, from PEM or DER
/// bytes: `cert` holds the certificate (PEM: the chain, leaf first, and
/// perhaps the key); `key`, when given, holds the private key (PKCS#8,
/// PKCS#1 or SEC1 in PEM; PKCS#8 in DER).
fn load(cert: &[u8], key: Option<&[u8]>) -> SecResult<PCCERT_CONTEXT> {
    let (chain, key_in_cert) = certificates::parse_pem_or_der(cert);
    let key = match key {
        Some(k) => certificates::parse_key(k),
        None => key_in_cert,
    };
    let (Some(leaf), Some(key)) = (chain.first().cloned(), key) else {
        return Err(SEC_E_UNKNOWN_CREDENTIALS.into());
    };
    let chain: Vec<CertificateDer<'static>> = chain;
    let certified = certificates::certified_key(chain, key)?;
    new_context(&leaf, Some(certified))
}

/// A certificate context from a PKCS#12 file's bytes.
fn load_pkcs12(bytes: &[u8], password: &str) -> SecResult<PCCERT_CONTEXT> {
    let certified = certificates::parse_pkcs12(bytes, password)?;
    let leaf = certified
        .cert
        .first()
        .ok_or(SEC_E_UNKNOWN_CREDENTIALS)?
        .clone();
    new_context(&leaf, Some(certified))
}

/// Writes a new context to `out`.
///
/// # Safety
/// `out` is NULL or writable for a pointer.
unsafe fn hand_out(result: SecResult<PCCERT_CONTEXT>, out: *mut PCCERT_CONTEXT) -> SecResult<i32> {
    if out.is_null() || !out.is_aligned() {
        if let Ok(p) = result {
            certificates::release(p as usize);
        }
        return Err(SEC_E_INVALID_PARAMETER.into());
    }
    let p = result?;
    // SAFETY: `out` was checked non-NULL and aligned, and is writable by
    // the caller's contract.
    unsafe { boundary::write(out, p) };
    Ok(SEC_E_OK)
}

/// A file the program named, through the environment: unreadable is
/// SEC_E_NO_CREDENTIALS.
fn read(path: &str) -> SecResult<zeroize::Zeroizing<Vec<u8>>> {
    SystemEnv
        .read_file(&PathBuf::from(path))
        .ok_or(SEC_E_NO_CREDENTIALS.into())
}

unsafe fn from_files<E: Encoding>(
    cert: *const E::Unit,
    key: *const E::Unit,
    out: *mut PCCERT_CONTEXT,
) -> SecResult<i32> {
    // SAFETY: NULL or NUL-terminated strings by the caller's contract;
    // `read_cstr` checks NULL and alignment.
    let (cert, key) = unsafe { (read_cstr::<E>(cert), read_cstr::<E>(key)) };
    let (Ok(Some(cert)), Ok(key)) = (cert, key) else {
        return Err(SEC_E_INVALID_PARAMETER.into());
    };
    let cert = read(&cert)?;
    let key = key.map(|k| read(&k)).transpose()?;
    // SAFETY: forwarded contract.
    unsafe { hand_out(load(&cert, key.as_deref().map(|k| &k[..])), out) }
}

/// An opensspi extension: loads a certificate (PEM, with its chain, or
/// DER) and its private key (PEM or DER; `pszKeyFile` NULL when the PEM
/// certificate file holds the key too) into a new certificate context
/// for a Schannel credential's paCred. Free it with
/// CertFreeCertificateContext (a credential acquired with it keeps its own
/// copy). Unreadable files: SEC_E_NO_CREDENTIALS; no certificate, no key,
/// or a key that is not the certificate's: SEC_E_UNKNOWN_CREDENTIALS.
#[no_mangle]
pub unsafe extern "C" fn OpenSspiCertificateFromFilesA(
    pszCertFile: *const SEC_CHAR,
    pszKeyFile: *const SEC_CHAR,
    ppCertContext: *mut PCCERT_CONTEXT,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "OpenSspiCertificateFromFilesA",
        from_files::<Ansi>(pszCertFile.cast(), pszKeyFile.cast(), ppCertContext)
    )
}

/// The UTF-16 form of OpenSspiCertificateFromFilesA.
#[no_mangle]
pub unsafe extern "C" fn OpenSspiCertificateFromFilesW(
    pszCertFile: *const SEC_WCHAR,
    pszKeyFile: *const SEC_WCHAR,
    ppCertContext: *mut PCCERT_CONTEXT,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "OpenSspiCertificateFromFilesW",
        from_files::<Wide>(pszCertFile, pszKeyFile, ppCertContext)
    )
}

unsafe fn from_memory(
    cert: *const u8,
    cert_len: ULONG,
    key: *const u8,
    key_len: ULONG,
    out: *mut PCCERT_CONTEXT,
) -> SecResult<i32> {
    // SAFETY: `cert_len` readable bytes at `cert` by contract; `bytes`
    // refuses NULL with a length.
    let cert = unsafe { boundary::bytes(cert.cast(), cert_len as usize) }
        .ok_or(SEC_E_INVALID_PARAMETER)?;
    let key = if key.is_null() {
        None
    } else {
        // SAFETY: as for `cert`.
        Some(
            unsafe { boundary::bytes(key.cast(), key_len as usize) }
                .ok_or(SEC_E_INVALID_PARAMETER)?,
        )
    };
    // SAFETY: forwarded contract.
    unsafe { hand_out(load(cert, key), out) }
}

/// An opensspi extension: OpenSspiCertificateFromFilesA with the files'
/// bytes given in memory (`pbKey` NULL when `pbCert` is PEM holding the
/// key too).
#[no_mangle]
pub unsafe extern "C" fn OpenSspiCertificateFromMemory(
    pbCert: *const u8,
    cbCert: ULONG,
    pbKey: *const u8,
    cbKey: ULONG,
    ppCertContext: *mut PCCERT_CONTEXT,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "OpenSspiCertificateFromMemory",
        from_memory(pbCert, cbCert, pbKey, cbKey, ppCertContext)
    )
}

unsafe fn from_pkcs12_file<E: Encoding>(
    file: *const E::Unit,
    password: *const E::Unit,
    out: *mut PCCERT_CONTEXT,
) -> SecResult<i32> {
    // SAFETY: NULL or NUL-terminated strings by the caller's contract;
    // `read_cstr` checks NULL and alignment.
    let (file, password) = unsafe { (read_cstr::<E>(file), read_cstr::<E>(password)) };
    let (Ok(Some(file)), Ok(password)) = (file, password) else {
        return Err(SEC_E_INVALID_PARAMETER.into());
    };
    let password = zeroize::Zeroizing::new(password.unwrap_or_default());
    let bytes = read(&file)?;
    // SAFETY: forwarded contract.
    unsafe { hand_out(load_pkcs12(&bytes, &password), out) }
}

/// An opensspi extension: loads the certificate (with its chain) and
/// private key of a PKCS#12 file (.pfx, .p12; PBES2 or the legacy 3DES/RC2
/// encryption) into a new certificate context for a Schannel credential's
/// paCred, freed with CertFreeCertificateContext. `pszPassword` NULL is an
/// empty password. Unreadable file: SEC_E_NO_CREDENTIALS; wrong password:
/// SEC_E_LOGON_DENIED; no key or an unreadable file:
/// SEC_E_UNKNOWN_CREDENTIALS.
#[no_mangle]
pub unsafe extern "C" fn OpenSspiCertificateFromPkcs12FileA(
    pszFile: *const SEC_CHAR,
    pszPassword: *const SEC_CHAR,
    ppCertContext: *mut PCCERT_CONTEXT,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "OpenSspiCertificateFromPkcs12FileA",
        from_pkcs12_file::<Ansi>(pszFile.cast(), pszPassword.cast(), ppCertContext)
    )
}

/// The UTF-16 form of OpenSspiCertificateFromPkcs12FileA.
#[no_mangle]
pub unsafe extern "C" fn OpenSspiCertificateFromPkcs12FileW(
    pszFile: *const SEC_WCHAR,
    pszPassword: *const SEC_WCHAR,
    ppCertContext: *mut PCCERT_CONTEXT,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "OpenSspiCertificateFromPkcs12FileW",
        from_pkcs12_file::<Wide>(pszFile, pszPassword, ppCertContext)
    )
}
