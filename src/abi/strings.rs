//! The two string encodings of the ABI: `A` entry points take UTF-8, `W`
//! entry points UTF-16 (`SEC_WCHAR`, 16-bit, not `wchar_t`). Every export
//! that takes or returns strings has one body generic over `Encoding`.

use zeroize::Zeroizing;

use crate::abi::boundary;
pub use crate::text::{Ansi, Encoding, Wide};

/// Longest NUL-terminated string read from a caller (package and target
/// names); longer input is refused rather than read without bound.
pub const MAX_CSTR: usize = 64 * 1024;

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
