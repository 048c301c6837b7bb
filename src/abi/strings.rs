//! The two string encodings of the ABI: `A` entry points take UTF-8, `W`
//! entry points UTF-16 (`SEC_WCHAR`, 16-bit, not `wchar_t`). Every export
//! that takes or returns strings has one body generic over `Encoding`.

use zeroize::Zeroizing;

use crate::abi::boundary;

/// Longest NUL-terminated string read from a caller (package and target
/// names); longer input is refused rather than read without bound.
pub const MAX_CSTR: usize = 64 * 1024;

/// A string encoding of the ABI: `Ansi` (UTF-8 bytes) or `Wide` (UTF-16).
pub trait Encoding: 'static {
    /// One code unit.
    type Unit: Copy + Default + PartialEq + 'static;
    /// Whether this is the UTF-16 encoding.
    const WIDE: bool;
    /// Decodes code units; `None` for invalid text.
    fn decode(units: &[Self::Unit]) -> Option<String>;
    /// Decodes a secret; the result (and no intermediate copy) holds it.
    fn decode_secret(units: &[Self::Unit]) -> Option<Zeroizing<String>>;
    /// Encodes `s` followed by a NUL unit.
    fn encode_nul(s: &str) -> Vec<Self::Unit>;
}

/// UTF-8, for the A entry points.
pub struct Ansi;
/// UTF-16, for the W entry points.
pub struct Wide;

impl Encoding for Ansi {
    type Unit = u8;
    const WIDE: bool = false;
    fn decode(units: &[u8]) -> Option<String> {
        std::str::from_utf8(units).ok().map(str::to_owned)
    }
    fn decode_secret(units: &[u8]) -> Option<Zeroizing<String>> {
        std::str::from_utf8(units)
            .ok()
            .map(|s| Zeroizing::new(s.to_owned()))
    }
    fn encode_nul(s: &str) -> Vec<u8> {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        v
    }
}

impl Encoding for Wide {
    type Unit = u16;
    const WIDE: bool = true;
    fn decode(units: &[u16]) -> Option<String> {
        String::from_utf16(units).ok()
    }
    fn decode_secret(units: &[u16]) -> Option<Zeroizing<String>> {
        // Size the string exactly first, so that it never reallocates and
        // leaves no stray copy of the secret behind.
        let mut len = 0;
        for c in char::decode_utf16(units.iter().copied()) {
            len += c.ok()?.len_utf8();
        }
        let mut s = Zeroizing::new(String::with_capacity(len));
        for c in char::decode_utf16(units.iter().copied()).flatten() {
            s.push(c);
        }
        Some(s)
    }
    fn encode_nul(s: &str) -> Vec<u16> {
        let mut v: Vec<u16> = s.encode_utf16().collect();
        v.push(0);
        v
    }
}

/// Reads a NUL-terminated string; `Ok(None)` for a NULL pointer, `Err(())`
/// for invalid text or a string longer than `MAX_CSTR`.
///
/// # Safety
/// A non-NULL `p` must point at a NUL-terminated string of `E::Unit`s.
#[allow(clippy::result_unit_err)]
pub unsafe fn read_cstr<E: Encoding>(p: *const E::Unit) -> Result<Option<String>, ()> {
    // SAFETY: forwarded contract.
    match unsafe { cstr_units::<E::Unit>(p) }? {
        Some(units) => E::decode(units).map(Some).ok_or(()),
        None => Ok(None),
    }
}

/// `read_cstr` for a secret: the text is zeroed when dropped.
///
/// # Safety
/// As `read_cstr`.
#[allow(clippy::result_unit_err)]
pub unsafe fn read_cstr_secret<E: Encoding>(
    p: *const E::Unit,
) -> Result<Option<Zeroizing<String>>, ()> {
    // SAFETY: forwarded contract.
    match unsafe { cstr_units::<E::Unit>(p) }? {
        Some(units) => E::decode_secret(units).map(Some).ok_or(()),
        None => Ok(None),
    }
}

/// The units of a NUL-terminated string, without the NUL.
///
/// # Safety
/// As `read_cstr`.
unsafe fn cstr_units<'a, U: Copy + Default + PartialEq>(
    p: *const U,
) -> Result<Option<&'a [U]>, ()> {
    if p.is_null() {
        return Ok(None);
    }
    if !p.is_aligned() {
        return Err(());
    }
    let mut n = 0;
    // SAFETY: the string is NUL-terminated (caller's contract) and we stop at
    // the first NUL, never reading past it.
    while unsafe { *p.add(n) } != U::default() {
        n += 1;
        if n > MAX_CSTR {
            return Err(());
        }
    }
    // SAFETY: the `n` units before the NUL were just read.
    unsafe { boundary::slice(p, n) }.map(Some).ok_or(())
}

/// Reads a counted string (no NUL): `Ok(None)` for a NULL pointer.
///
/// # Safety
/// A non-NULL `p` must point at `len` units.
#[allow(clippy::result_unit_err)]
pub unsafe fn read_counted<'a, U: Copy>(p: *const U, len: u32) -> Result<Option<&'a [U]>, ()> {
    if p.is_null() {
        return if len == 0 { Ok(None) } else { Err(()) };
    }
    // SAFETY: `len` units by the caller's contract; the borrow does not
    // outlive the export that reads it (callers copy out immediately).
    unsafe { boundary::slice(p, len as usize) }
        .map(Some)
        .ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let w = Wide::encode_nul("Dömain𝄞");
        assert_eq!(*w.last().unwrap(), 0);
        assert_eq!(Wide::decode(&w[..w.len() - 1]).unwrap(), "Dömain𝄞");
        assert_eq!(&*Wide::decode_secret(&w[..w.len() - 1]).unwrap(), "Dömain𝄞");
        assert!(Wide::decode_secret(&[0xD800]).is_none());
        assert_eq!(Ansi::encode_nul("ab"), b"ab\0");
        assert!(Ansi::decode(&[0xff]).is_none());
        // SAFETY: NUL-terminated arrays.
        unsafe {
            assert_eq!(read_cstr::<Wide>(w.as_ptr()).unwrap().unwrap(), "Dömain𝄞");
            assert_eq!(read_cstr::<Ansi>(std::ptr::null()), Ok(None));
        }
    }
}
