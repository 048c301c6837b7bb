//! The two string encodings of SSPI: UTF-8 for the A entry points and for
//! structures flagged ANSI, UTF-16 (`SEC_WCHAR`, 16-bit) for the W entry
//! points and structures flagged UNICODE. Pure conversions; reading the
//! caller's memory is the ABI layer's.

use zeroize::Zeroizing;

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
