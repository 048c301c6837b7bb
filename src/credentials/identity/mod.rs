//! SEC_WINNT_AUTH_IDENTITY_A/W and _EX_A/_EX_W, decoded from `pAuthData`
//! into an `AuthIdentity`, for every package that takes an explicit
//! identity (NTLM, Negotiate, Kerberos).
//!
//! The structure's own Flags decide the string encoding (ANSI = UTF-8 bytes,
//! UNICODE = UTF-16), whatever entry point it came through. Exactly one of
//! the two must be set, as Microsoft documents: Flags with neither or both
//! are SEC_E_INVALID_PARAMETER (SspiZeroAuthIdentity, which cannot fail,
//! then assumes its entry point's encoding). The EX form is recognised, as
//! Windows does, by `Version == SEC_WINNT_AUTH_IDENTITY_VERSION` and a
//! `Length` at least the EX size; longer structures that start with the EX
//! fields (WinPR's `SEC_WINNT_AUTH_IDENTITY_WINPR`) are read by that
//! prefix. A PasswordLength above SSPI_CREDENTIALS_HASH_LENGTH_OFFSET means
//! the password field holds an NT hash as 32 hex digits, of length
//! PasswordLength minus that offset (WinPR's convention, which FreeRDP's
//! callers use).

pub mod ex2;

use zeroize::Zeroizing;

use super::layout::{size_of_fields, Field, Fields};
use crate::package::{AuthData, AuthIdentity, SecResult};
use crate::text::{Ansi, Encoding, Wide};
use crate::vocabulary::*;

/// Longest user, domain, password or package list accepted, in characters.
const MAX_FIELD: u32 = 32 * 1024;

use Field::{Ptr, U32};

/// SEC_WINNT_AUTH_IDENTITY's fields: User, UserLength, Domain,
/// DomainLength, Password, PasswordLength, Flags.
const PLAIN: &[Field] = &[Ptr, U32, Ptr, U32, Ptr, U32, U32];
/// SEC_WINNT_AUTH_IDENTITY_EX's: Version, Length, then as PLAIN, then
/// PackageList, PackageListLength.
const EX: &[Field] = &[U32, U32, Ptr, U32, Ptr, U32, Ptr, U32, U32, Ptr, U32];

/// The size of SEC_WINNT_AUTH_IDENTITY_A/W on this platform.
pub const PLAIN_SIZE: usize = size_of_fields(PLAIN);
/// The size of SEC_WINNT_AUTH_IDENTITY_EXA/EXW on this platform.
pub const EX_SIZE: usize = size_of_fields(EX);

/// A counted string field: its address and its length in characters.
#[derive(Clone, Copy, Debug, Default)]
struct Counted {
    address: usize,
    chars: u32,
}

/// The fields common to both identity forms.
#[derive(Debug)]
struct Raw {
    user: Counted,
    domain: Counted,
    password: Counted,
    package_list: Counted,
    flags: u32,
}

/// The identity structure `auth` points at, recognised and read as fields.
fn raw(auth: &AuthData<'_>) -> SecResult<Raw> {
    let head = auth.head(8).ok_or(SEC_E_INVALID_PARAMETER)?;
    let mut h = Fields::new(head);
    let (version, length) = (h.u32(), h.u32());
    let counted = |f: &mut Fields<'_>| Counted {
        address: f.ptr(),
        chars: f.u32(),
    };
    if version == SEC_WINNT_AUTH_IDENTITY_VERSION && length as usize >= EX_SIZE {
        let mut f = Fields::new(auth.head(EX_SIZE).ok_or(SEC_E_INVALID_PARAMETER)?);
        f.u32();
        f.u32();
        let (user, domain, password) = (counted(&mut f), counted(&mut f), counted(&mut f));
        let flags = f.u32();
        let package_list = counted(&mut f);
        Ok(Raw {
            user,
            domain,
            password,
            package_list,
            flags,
        })
    } else if version == SEC_WINNT_AUTH_IDENTITY_VERSION_2 {
        // Self-relative: `decode` and `password_bytes` read it (`ex2`).
        Err(SEC_E_UNKNOWN_CREDENTIALS.into())
    } else {
        let mut f = Fields::new(auth.head(PLAIN_SIZE).ok_or(SEC_E_INVALID_PARAMETER)?);
        let (user, domain, password) = (counted(&mut f), counted(&mut f), counted(&mut f));
        Ok(Raw {
            user,
            domain,
            password,
            package_list: Counted::default(),
            flags: f.u32(),
        })
    }
}

/// Whether a structure with these Flags, given to an entry point of this
/// width, holds UTF-16 strings.
fn is_wide(flags: u32, entry_wide: bool) -> bool {
    if flags & SEC_WINNT_AUTH_IDENTITY_UNICODE != 0 {
        true
    } else if flags & SEC_WINNT_AUTH_IDENTITY_ANSI != 0 {
        false
    } else {
        entry_wide
    }
}

/// The characters a password field really holds (an NT hash's 32 digits
/// under WinPR's convention), and whether it is such a hash.
fn password_chars(stated: u32) -> (u32, bool) {
    match stated.checked_sub(SSPI_CREDENTIALS_HASH_LENGTH_OFFSET) {
        Some(hex) if hex > 0 => (hex, true),
        _ => (stated, false),
    }
}

/// The bytes of a counted string field; `None` for a NULL address without
/// characters.
fn units<'a>(auth: &AuthData<'a>, field: Counted, wide: bool) -> SecResult<Option<&'a [u8]>> {
    if field.chars > MAX_FIELD {
        return Err(SEC_E_INVALID_PARAMETER.into());
    }
    if field.address == 0 && field.chars == 0 {
        return Ok(None);
    }
    let unit = if wide { 2 } else { 1 };
    auth.at(field.address, field.chars as usize * unit, unit)
        .map(Some)
        .ok_or(SEC_E_INVALID_PARAMETER.into())
}

/// UTF-16 code units from their bytes, in this machine's byte order (as
/// the caller's `SEC_WCHAR` array holds them).
fn utf16(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_ne_bytes([c[0], c[1]]))
        .collect()
}

fn text(bytes: Option<&[u8]>, wide: bool) -> SecResult<Option<String>> {
    let bad = || SEC_E_INVALID_PARAMETER.into();
    bytes
        .map(|b| match wide {
            true => Wide::decode(&utf16(b)).ok_or_else(bad),
            false => Ansi::decode(b).ok_or_else(bad),
        })
        .transpose()
}

fn secret(bytes: Option<&[u8]>, wide: bool) -> SecResult<Option<Zeroizing<String>>> {
    let bad = || SEC_E_INVALID_PARAMETER.into();
    bytes
        .map(|b| match wide {
            true => Wide::decode_secret(&Zeroizing::new(utf16(b))).ok_or_else(bad),
            false => Ansi::decode_secret(b).ok_or_else(bad),
        })
        .transpose()
}

/// Decodes the identity `auth` points at (an A or W, plain or EX
/// structure). SEC_E_UNKNOWN_CREDENTIALS for the EX2 and marshalled forms,
/// SEC_E_INVALID_PARAMETER for a malformed one, or one whose Flags do not
/// name exactly one encoding.
pub fn decode(auth: &AuthData<'_>) -> SecResult<AuthIdentity> {
    if let Some(bytes) = ex2_bytes(auth)? {
        return ex2::decode(bytes);
    }
    let raw = raw(auth)?;
    if raw.flags & SEC_WINNT_AUTH_IDENTITY_MARSHALLED != 0 {
        return Err(SEC_E_UNKNOWN_CREDENTIALS.into());
    }
    let encodings = SEC_WINNT_AUTH_IDENTITY_ANSI | SEC_WINNT_AUTH_IDENTITY_UNICODE;
    if raw.flags & encodings == 0 || raw.flags & encodings == encodings {
        return Err(SEC_E_INVALID_PARAMETER.into());
    }
    let wide = is_wide(raw.flags, auth.wide());
    let user = text(units(auth, raw.user, wide)?, wide)?;
    let domain = text(units(auth, raw.domain, wide)?, wide)?;
    let package_list = text(units(auth, raw.package_list, wide)?, wide)?;
    let (chars, is_hash) = password_chars(raw.password.chars);
    let password_field = Counted {
        address: raw.password.address,
        chars,
    };
    let password = secret(units(auth, password_field, wide)?, wide)?;
    let (password, nt_hash) = match (is_hash, password) {
        (true, Some(hex)) => (None, Some(parse_nt_hash(&hex)?)),
        (true, None) => return Err(SEC_E_INVALID_PARAMETER.into()),
        (false, p) => (p, None),
    };
    Ok(AuthIdentity {
        user,
        domain,
        password,
        nt_hash,
        package_list,
        keytab: None,
        flags: raw.flags,
    })
}

/// The whole of an EX2 identity (Version SEC_WINNT_AUTH_IDENTITY_VERSION_2,
/// cbStructureLength bytes from its start), or `None` for another form.
pub fn ex2_bytes<'a>(auth: &AuthData<'a>) -> SecResult<Option<&'a [u8]>> {
    let head = auth
        .head(ex2::HEADER_LEN.min(12))
        .ok_or(SEC_E_INVALID_PARAMETER)?;
    if u32::from_ne_bytes([head[0], head[1], head[2], head[3]]) != SEC_WINNT_AUTH_IDENTITY_VERSION_2
    {
        return Ok(None);
    }
    let length = u32::from_ne_bytes([head[8], head[9], head[10], head[11]]) as usize;
    if !(ex2::HEADER_LEN..=ex2::MAX_LEN).contains(&length) {
        return Err(SEC_E_INVALID_PARAMETER.into());
    }
    auth.head(length)
        .map(Some)
        .ok_or(SEC_E_INVALID_PARAMETER.into())
}

/// Where the password of the identity `auth` points at lies: (address,
/// length in bytes), for SspiZeroAuthIdentity, which overwrites it.
pub fn password_bytes(auth: &AuthData<'_>) -> SecResult<(usize, usize)> {
    if let Some(bytes) = ex2_bytes(auth)? {
        // The packed credentials' bytes, inside the structure.
        let (offset, len) = ex2::secret_range(bytes).ok_or(SEC_E_INVALID_PARAMETER)?;
        return Ok((bytes.as_ptr() as usize + offset, len));
    }
    let raw = raw(auth)?;
    let (chars, _) = password_chars(raw.password.chars);
    if chars > MAX_FIELD {
        return Err(SEC_E_INVALID_PARAMETER.into());
    }
    let unit = if is_wide(raw.flags, auth.wide()) {
        2
    } else {
        1
    };
    Ok((raw.password.address, chars as usize * unit))
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

#[cfg(test)]
mod tests {
    use std::mem::size_of;
    use std::ptr::NonNull;

    use super::*;
    use crate::abi::types::{
        SEC_WINNT_AUTH_IDENTITY_A, SEC_WINNT_AUTH_IDENTITY_EXA, SEC_WINNT_AUTH_IDENTITY_EXW,
        SEC_WINNT_AUTH_IDENTITY_W,
    };

    /// A view of a live structure.
    fn view<T>(s: &T, wide: bool) -> AuthData<'_> {
        // SAFETY: `s` is a live identity structure whose strings the test
        // keeps alive.
        unsafe { AuthData::new(NonNull::from(s).cast(), wide) }
    }

    #[test]
    fn layouts_are_sspi_h_s() {
        assert_eq!(PLAIN_SIZE, size_of::<SEC_WINNT_AUTH_IDENTITY_W>());
        assert_eq!(PLAIN_SIZE, size_of::<SEC_WINNT_AUTH_IDENTITY_A>());
        assert_eq!(EX_SIZE, size_of::<SEC_WINNT_AUTH_IDENTITY_EXW>());
        assert_eq!(EX_SIZE, size_of::<SEC_WINNT_AUTH_IDENTITY_EXA>());
    }

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
        // The A entry point honours the UNICODE flag.
        let id = decode(&view(&w, false)).unwrap();
        assert_eq!(id.user.as_deref(), Some("alice"));
        assert_eq!(id.domain, None);
        assert_eq!(id.password.as_deref().map(|s| s.as_str()), Some("pässword"));
        assert_eq!(
            password_bytes(&view(&w, false)).unwrap(),
            (pw.as_ptr() as usize, 2 * pw.len())
        );

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
        // The W entry point honours the ANSI flag.
        let id = decode(&view(&a, true)).unwrap();
        assert_eq!(id.domain.as_deref(), Some("CONTOSO"));
        assert_eq!(id.package_list.as_deref(), Some("NTLM"));
        assert_eq!(id.user, None);
        assert!(id.password.is_none() && id.nt_hash.is_none());

        let bad = SEC_WINNT_AUTH_IDENTITY_A {
            User: std::ptr::null_mut(),
            UserLength: 3,
            Domain: std::ptr::null_mut(),
            DomainLength: 0,
            Password: std::ptr::null_mut(),
            PasswordLength: 0,
            Flags: SEC_WINNT_AUTH_IDENTITY_ANSI,
        };
        // NULL with a length is refused before any read.
        assert_eq!(
            decode(&view(&bad, false)).unwrap_err(),
            SEC_E_INVALID_PARAMETER
        );
    }

    #[test]
    fn an_nt_hash_in_the_password_field() {
        let decode_hex = |hex: &mut [u8; 32]| {
            let a = SEC_WINNT_AUTH_IDENTITY_A {
                User: b"u".as_ptr().cast_mut(),
                UserLength: 1,
                Domain: std::ptr::null_mut(),
                DomainLength: 0,
                Password: hex.as_mut_ptr(),
                PasswordLength: SSPI_CREDENTIALS_HASH_LENGTH_OFFSET + 32,
                Flags: SEC_WINNT_AUTH_IDENTITY_ANSI,
            };
            decode(&view(&a, false))
        };
        let id = decode_hex(&mut b"8846F7EAEE8FB117AD06BDD830B7586C".to_owned()).unwrap();
        assert!(id.password.is_none());
        assert_eq!(
            id.nt_hash.as_deref(),
            Some(&[
                0x88, 0x46, 0xF7, 0xEA, 0xEE, 0x8F, 0xB1, 0x17, 0xAD, 0x06, 0xBD, 0xD8, 0x30, 0xB7,
                0x58, 0x6C
            ])
        );
        assert_eq!(
            decode_hex(&mut b"x846F7EAEE8FB117AD06BDD830B7586C".to_owned()).unwrap_err(),
            SEC_E_INVALID_PARAMETER
        );
    }
}

/// Identity structures for tests, owning their strings.
#[cfg(test)]
pub mod testing {
    use std::ptr::NonNull;

    use crate::abi::types::SEC_WINNT_AUTH_IDENTITY_EXA;
    use crate::package::AuthData;
    use crate::vocabulary::*;

    /// A SEC_WINNT_AUTH_IDENTITY_EXA (ANSI) and the strings it points at;
    /// `None` fields are NULL pointers.
    pub struct OwnedIdentity {
        /// What `ex` points at: kept alive, never read here.
        _strings: [Option<Vec<u8>>; 4],
        ex: SEC_WINNT_AUTH_IDENTITY_EXA,
    }

    impl OwnedIdentity {
        pub fn new(
            user: Option<&str>,
            domain: Option<&str>,
            password: Option<&str>,
            package_list: Option<&str>,
        ) -> Self {
            let owned = |s: Option<&str>| s.map(|s| s.as_bytes().to_vec());
            let mut strings = [
                owned(user),
                owned(domain),
                owned(password),
                owned(package_list),
            ];
            let mut field = |i: usize| match &mut strings[i] {
                Some(v) => (v.as_mut_ptr(), v.len() as u32),
                None => (std::ptr::null_mut(), 0),
            };
            let (u, d, p, l) = (field(0), field(1), field(2), field(3));
            let ex = SEC_WINNT_AUTH_IDENTITY_EXA {
                Version: SEC_WINNT_AUTH_IDENTITY_VERSION,
                Length: std::mem::size_of::<SEC_WINNT_AUTH_IDENTITY_EXA>() as u32,
                User: u.0,
                UserLength: u.1,
                Domain: d.0,
                DomainLength: d.1,
                Password: p.0,
                PasswordLength: p.1,
                Flags: SEC_WINNT_AUTH_IDENTITY_ANSI,
                PackageList: l.0,
                PackageListLength: l.1,
            };
            OwnedIdentity {
                _strings: strings,
                ex,
            }
        }

        /// The structure as `pAuthData`.
        pub fn view(&self) -> AuthData<'_> {
            // SAFETY: `ex` is a live EX identity whose pointers are into
            // `strings`, which `self` keeps alive and unchanged.
            unsafe { AuthData::new(NonNull::from(&self.ex).cast(), false) }
        }
    }
}
