//! Reading SEC_WINNT_AUTH_IDENTITY_A/W and _EX_A/_EX_W into `AuthIdentity`.
//!
//! The structure's own Flags decide the string encoding (ANSI = UTF-8 bytes,
//! UNICODE = UTF-16), whatever entry point it came through; with neither
//! flag, the entry point's encoding is used. The EX form is recognised, as
//! Windows does, by `Version == SEC_WINNT_AUTH_IDENTITY_VERSION` and a
//! `Length` at least the EX size; longer structures that start with the EX
//! fields (WinPR's `SEC_WINNT_AUTH_IDENTITY_WINPR`) are read by that prefix.

use std::ffi::c_void;
use std::mem::size_of;

use zeroize::Zeroizing;

use crate::abi::boundary;
use crate::abi::strings::{read_counted, Ansi, Encoding, Wide};
use crate::abi::types::{SEC_WINNT_AUTH_IDENTITY_EXW, SEC_WINNT_AUTH_IDENTITY_W};
use crate::package::{AuthIdentity, SecResult};
use crate::vocabulary::*;

/// Longest user, domain, password or package list accepted, in characters.
const MAX_FIELD: u32 = 32 * 1024;

/// The fields common to both identity forms, as raw pointers.
struct RawIdentity {
    user: (*const c_void, u32),
    domain: (*const c_void, u32),
    password: (*const c_void, u32),
    package_list: (*const c_void, u32),
    flags: u32,
}

/// The identity structure at `p`, recognised and read as raw fields.
///
/// # Safety
/// `p` must be NULL or point at one of the identity structures.
unsafe fn raw_identity(p: *const c_void) -> SecResult<RawIdentity> {
    // SAFETY: every identity structure is at least 8 bytes and pointer-aligned.
    let head: [u32; 2] = unsafe { boundary::read(p.cast()) }.ok_or(SEC_E_INVALID_PARAMETER)?;
    if head[0] == SEC_WINNT_AUTH_IDENTITY_VERSION
        && head[1] as usize >= size_of::<SEC_WINNT_AUTH_IDENTITY_EXW>()
    {
        // SAFETY: Version and Length say this is (at least) the EX structure;
        // the A and W forms have the same layout.
        let ex: SEC_WINNT_AUTH_IDENTITY_EXW =
            unsafe { boundary::read(p.cast()) }.ok_or(SEC_E_INVALID_PARAMETER)?;
        Ok(RawIdentity {
            user: (ex.User as *const c_void, ex.UserLength),
            domain: (ex.Domain as *const c_void, ex.DomainLength),
            password: (ex.Password as *const c_void, ex.PasswordLength),
            package_list: (ex.PackageList as *const c_void, ex.PackageListLength),
            flags: ex.Flags,
        })
    } else if head[0] == SEC_WINNT_AUTH_IDENTITY_VERSION_2 {
        // The packed EX2 form is not supported (yet).
        Err(SEC_E_UNKNOWN_CREDENTIALS.into())
    } else {
        // SAFETY: not an EX structure, so the plain one (A and W share a layout).
        let id: SEC_WINNT_AUTH_IDENTITY_W =
            unsafe { boundary::read(p.cast()) }.ok_or(SEC_E_INVALID_PARAMETER)?;
        Ok(RawIdentity {
            user: (id.User as *const c_void, id.UserLength),
            domain: (id.Domain as *const c_void, id.DomainLength),
            password: (id.Password as *const c_void, id.PasswordLength),
            package_list: (std::ptr::null(), 0),
            flags: id.Flags,
        })
    }
}

/// Whether a structure with these Flags holds UTF-16 strings.
fn is_wide<E: Encoding>(flags: u32) -> bool {
    if flags & SEC_WINNT_AUTH_IDENTITY_UNICODE != 0 {
        true
    } else if flags & SEC_WINNT_AUTH_IDENTITY_ANSI != 0 {
        false
    } else {
        E::WIDE
    }
}

/// Overwrites the password of the identity at `p` with zeros, in place
/// (SspiZeroAuthIdentity on a structure opensspi did not allocate).
///
/// # Safety
/// As `read_identity`, and the password's characters must be writable.
pub unsafe fn zero_password<E: Encoding>(p: *const c_void) -> SecResult<()> {
    // SAFETY: forwarded contract.
    let raw = unsafe { raw_identity(p) }?;
    let (pw, len) = raw.password;
    let chars = if len > SSPI_CREDENTIALS_HASH_LENGTH_OFFSET {
        len - SSPI_CREDENTIALS_HASH_LENGTH_OFFSET
    } else {
        len
    };
    let unit = if is_wide::<E>(raw.flags) { 2 } else { 1 };
    if chars > MAX_FIELD {
        return Err(SEC_E_INVALID_PARAMETER.into());
    }
    // SAFETY: `Password` holds `chars` characters of `unit` bytes, writable, by the
    // caller's contract; `bytes_mut` refuses NULL with a length.
    if let Some(bytes) = unsafe { boundary::bytes_mut(pw.cast_mut(), chars as usize * unit) } {
        bytes.fill(0);
    }
    Ok(())
}

/// Reads the identity at `p` (an A or W, plain or EX structure).
///
/// # Safety
/// `p` must be NULL or point at one of the identity structures, whose
/// string pointers hold at least the stated number of characters.
pub unsafe fn read_identity<E: Encoding>(p: *const c_void) -> SecResult<AuthIdentity> {
    // SAFETY: forwarded contract.
    let raw = unsafe { raw_identity(p) }?;
    if raw.flags & SEC_WINNT_AUTH_IDENTITY_MARSHALLED != 0 {
        return Err(SEC_E_UNKNOWN_CREDENTIALS.into());
    }
    let wide = is_wide::<E>(raw.flags);
    // SAFETY: `User` holds `UserLength` characters of the encoding the Flags name, by the
    // caller's contract; `units` caps the length and `read_counted` refuses NULL with a
    // length and misalignment.
    let user = unsafe { field(wide, raw.user) }?;
    // SAFETY: `Domain` holds `DomainLength` characters of that encoding by the caller's
    // contract, checked as for `User`.
    let domain = unsafe { field(wide, raw.domain) }?;
    // SAFETY: `PackageList` holds `PackageListLength` characters by the caller's contract
    // (NULL and 0 for the plain structure), checked as for `User`.
    let package_list = unsafe { field(wide, raw.package_list) }?;
    let (password, nt_hash) = match raw.password {
        (p, len) if len > SSPI_CREDENTIALS_HASH_LENGTH_OFFSET => {
            let hex_len = len - SSPI_CREDENTIALS_HASH_LENGTH_OFFSET;
            // SAFETY: WinPR's convention: the buffer holds `hex_len` characters.
            let hex = unsafe { secret(wide, (p, hex_len)) }?.ok_or(SEC_E_INVALID_PARAMETER)?;
            (None, Some(parse_nt_hash(&hex)?))
        }
        // SAFETY: `PasswordLength` characters at `Password`, by the caller's contract.
        raw_password => (unsafe { secret(wide, raw_password) }?, None),
    };
    Ok(AuthIdentity {
        user,
        domain,
        password,
        nt_hash,
        package_list,
        flags: raw.flags,
    })
}

/// 32 hex digits as the 16 bytes of an NT hash.
fn parse_nt_hash(hex: &str) -> SecResult<Zeroizing<[u8; 16]>> {
    let digits = hex.as_bytes();
    if digits.len() != 32 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(SEC_E_INVALID_PARAMETER.into());
    }
    let mut out = Zeroizing::new([0u8; 16]);
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let text = std::str::from_utf8(pair).map_err(|_| SEC_E_INVALID_PARAMETER)?;
        *byte = u8::from_str_radix(text, 16).map_err(|_| SEC_E_INVALID_PARAMETER)?;
    }
    Ok(out)
}

unsafe fn units<'a, U: Copy>((p, len): (*const c_void, u32)) -> SecResult<Option<&'a [U]>> {
    if len > MAX_FIELD {
        return Err(SEC_E_INVALID_PARAMETER.into());
    }
    // SAFETY: `len` units at `p` by the caller's contract.
    unsafe { read_counted(p.cast::<U>(), len) }.map_err(|()| SEC_E_INVALID_PARAMETER.into())
}

unsafe fn field(wide: bool, raw: (*const c_void, u32)) -> SecResult<Option<String>> {
    fn decode<E: Encoding>(u: Option<&[E::Unit]>) -> SecResult<Option<String>> {
        u.map(|u| E::decode(u).ok_or(SEC_E_INVALID_PARAMETER.into()))
            .transpose()
    }
    // SAFETY: forwarded contract.
    unsafe {
        if wide {
            decode::<Wide>(units(raw)?)
        } else {
            decode::<Ansi>(units(raw)?)
        }
    }
}

unsafe fn secret(wide: bool, raw: (*const c_void, u32)) -> SecResult<Option<Zeroizing<String>>> {
    fn decode<E: Encoding>(u: Option<&[E::Unit]>) -> SecResult<Option<Zeroizing<String>>> {
        u.map(|u| E::decode_secret(u).ok_or(SEC_E_INVALID_PARAMETER.into()))
            .transpose()
    }
    // SAFETY: forwarded contract.
    unsafe {
        if wide {
            decode::<Wide>(units(raw)?)
        } else {
            decode::<Ansi>(units(raw)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::types::{SEC_WINNT_AUTH_IDENTITY_A, SEC_WINNT_AUTH_IDENTITY_EXA};

    #[test]
    fn reads_every_form() {
        let mut user: Vec<u16> = "alice".encode_utf16().collect();
        let mut pw: Vec<u16> = "pässword".encode_utf16().collect();
        let w = SEC_WINNT_AUTH_IDENTITY_W {
            User: user.as_mut_ptr(),
            UserLength: 5,
            Domain: std::ptr::null_mut(),
            DomainLength: 0,
            Password: pw.as_mut_ptr(),
            PasswordLength: pw.len() as u32,
            Flags: SEC_WINNT_AUTH_IDENTITY_UNICODE,
        };
        // SAFETY: `w` and its strings are live.
        let id = unsafe { read_identity::<Ansi>((&w as *const SEC_WINNT_AUTH_IDENTITY_W).cast()) }
            .unwrap();
        assert_eq!(id.user.as_deref(), Some("alice"));
        assert_eq!(id.domain, None);
        assert_eq!(id.password.as_deref().map(|s| s.as_str()), Some("pässword"));

        let mut dom = *b"CONTOSOxx";
        let mut list = *b"NTLM";
        let a = SEC_WINNT_AUTH_IDENTITY_EXA {
            Version: SEC_WINNT_AUTH_IDENTITY_VERSION,
            Length: size_of::<SEC_WINNT_AUTH_IDENTITY_EXA>() as u32,
            User: std::ptr::null_mut(),
            UserLength: 0,
            Domain: dom.as_mut_ptr(),
            DomainLength: 7,
            Password: std::ptr::null_mut(),
            PasswordLength: 0,
            Flags: SEC_WINNT_AUTH_IDENTITY_ANSI,
            PackageList: list.as_mut_ptr(),
            PackageListLength: 4,
        };
        // SAFETY: as above; the W entry point honours the ANSI flag.
        let id =
            unsafe { read_identity::<Wide>((&a as *const SEC_WINNT_AUTH_IDENTITY_EXA).cast()) }
                .unwrap();
        assert_eq!(id.domain.as_deref(), Some("CONTOSO"));
        assert_eq!(id.package_list.as_deref(), Some("NTLM"));

        let bad = SEC_WINNT_AUTH_IDENTITY_A {
            User: std::ptr::null_mut(),
            UserLength: 3,
            Domain: std::ptr::null_mut(),
            DomainLength: 0,
            Password: std::ptr::null_mut(),
            PasswordLength: 0,
            Flags: SEC_WINNT_AUTH_IDENTITY_ANSI,
        };
        // SAFETY: NULL with a length is refused before any read.
        let r = unsafe { read_identity::<Ansi>((&bad as *const SEC_WINNT_AUTH_IDENTITY_A).cast()) };
        assert_eq!(r.unwrap_err(), SEC_E_INVALID_PARAMETER);
    }
}
