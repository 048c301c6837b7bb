//! String encodings used on the wire: UTF-16LE ("Unicode") and OEM, plus the
//! upper-casing NTOWFv2 applies to user names.

use super::error::Error;

/// `s` as UTF-16LE bytes.
pub fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Decodes UTF-16LE bytes; an odd length or an unpaired surrogate is
/// `InvalidToken`.
pub fn from_utf16le(bytes: &[u8]) -> Result<String, Error> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::InvalidToken);
    }
    let units = bytes.chunks_exact(2).map(|pair| match pair {
        [lo, hi] => u16::from_le_bytes([*lo, *hi]),
        _ => 0,
    });
    char::decode_utf16(units)
        .map(|unit| unit.map_err(|_| Error::InvalidToken))
        .collect()
}

/// `s` in the OEM character set, taken here as ISO-8859-1: characters
/// above U+00FF become `?`.
pub fn oem(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// Decodes OEM (ISO-8859-1) bytes; never fails.
pub fn from_oem(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Encodes `s` as the message's negotiated character set.
pub fn encode(s: &str, unicode: bool) -> Vec<u8> {
    if unicode {
        utf16le(s)
    } else {
        oem(s)
    }
}

/// Decodes a message string in the negotiated character set.
pub fn decode(bytes: &[u8], unicode: bool) -> Result<String, Error> {
    if unicode {
        from_utf16le(bytes)
    } else {
        Ok(from_oem(bytes))
    }
}

/// Upper-cases one character by a one-to-one mapping, as Windows does
/// (a character whose upper case is several characters, like `ß`, is kept).
fn upcase_char(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Upper-cases `s` character by character (see `upcase_char`); this is the
/// transformation NTOWFv2 applies to the user name.
pub fn upcase(s: &str) -> String {
    s.chars().map(upcase_char).collect()
}

/// Case-insensitive equality under the same mapping as `upcase`.
pub fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars().map(upcase_char).eq(b.chars().map(upcase_char))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_round_trip() {
        assert_eq!(utf16le("Ab"), vec![0x41, 0, 0x62, 0]);
        assert_eq!(from_utf16le(&[0x41, 0, 0x62, 0]), Ok("Ab".to_string()));
        assert_eq!(utf16le("\u{1D11E}"), vec![0x34, 0xd8, 0x1e, 0xdd]);
        assert_eq!(
            from_utf16le(&[0x34, 0xd8, 0x1e, 0xdd]),
            Ok("\u{1D11E}".to_string())
        );
        assert_eq!(from_utf16le(&[0x41]), Err(Error::InvalidToken));
        assert_eq!(from_utf16le(&[0x34, 0xd8]), Err(Error::InvalidToken));
    }

    #[test]
    fn oem_and_case() {
        assert_eq!(oem("aé€"), vec![b'a', 0xe9, b'?']);
        assert_eq!(from_oem(&[b'a', 0xe9]), "aé");
        assert_eq!(upcase("user-é-ß"), "USER-É-ß");
        assert!(eq_ignore_case("Administrator", "ADMINISTRATOR"));
        assert!(!eq_ignore_case("admin", "admin2"));
    }
}
