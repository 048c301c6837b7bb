//! SEC_WINNT_AUTH_IDENTITY_EX2: Windows' self-relative identity, every
//! field an offset from the structure's start, the strings UTF-16LE
//! counted in bytes, and the secret as packed credentials of a type named
//! by a GUID (SEC_WINNT_AUTH_PACKED_CREDENTIALS). Decoded from the
//! structure's bytes alone: every offset and length is checked against
//! cbStructureLength, and a lie is SEC_E_INVALID_PARAMETER, never a read
//! outside.
//!
//! ```text
//! EX2:    Version u32 (0x201) | cbHeaderLength u16 | pad | cbStructureLength u32
//!         | UserOffset u32 | UserLength u16 | pad | DomainOffset u32 | DomainLength u16 | pad
//!         | PackedCredentialsOffset u32 | PackedCredentialsLength u16 | pad | Flags u32
//!         | PackageListOffset u32 | PackageListLength u16 | pad          (48 bytes)
//! packed: cbHeaderLength u16 | cbStructureLength u16 | CredType GUID (16)
//!         | ByteArrayOffset u32 | ByteArrayLength u16 | pad              (28 bytes)
//! ```
//! The byte array's offset counts from the packed credentials' start.
//! Packed credentials built by a compiler whose `unsigned long` is 64 bits
//! (sspilib's KeytabCredential on Linux) widen the GUID's Data1 and the
//! byte array's offset: cbHeaderLength 48, Data1 in 8 bytes at 8, Data2..4
//! at 16, ByteArrayOffset in 8 bytes at 32, ByteArrayLength at 40. Both
//! are taken, told apart by cbHeaderLength.

use zeroize::Zeroizing;

use crate::package::{AuthIdentity, SecResult};
use crate::text::{Encoding, Wide};
use crate::vocabulary::*;

/// The EX2 structure's size (cbHeaderLength).
pub const HEADER_LEN: usize = 48;
/// The largest EX2 identity taken (a keytab of many keys fits easily).
pub const MAX_LEN: usize = 1 << 20;
/// SEC_WINNT_AUTH_PACKED_CREDENTIALS' size.
const PACKED_HEADER_LEN: usize = 28;
/// Its size with a 64-bit `unsigned long`.
const PACKED_HEADER_LEN_LP64: usize = 48;

/// SEC_WINNT_AUTH_DATA_TYPE_PASSWORD, 28bfc32f-10f6-4738-98d1-1ac061df716a,
/// as a GUID's bytes (Data1..3 little-endian).
pub const PASSWORD: [u8; 16] = guid(
    0x28bf_c32f,
    0x10f6,
    0x4738,
    [0x98, 0xd1, 0x1a, 0xc0, 0x61, 0xdf, 0x71, 0x6a],
);
/// SEC_WINNT_AUTH_DATA_TYPE_KEYTAB, d587aae8-f78f-4455-a112-c934beee7ce1.
pub const KEYTAB: [u8; 16] = guid(
    0xd587_aae8,
    0xf78f,
    0x4455,
    [0xa1, 0x12, 0xc9, 0x34, 0xbe, 0xee, 0x7c, 0xe1],
);

/// A GUID's in-memory bytes on a little-endian machine (Windows' layout).
const fn guid(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> [u8; 16] {
    let a = d1.to_le_bytes();
    let b = d2.to_le_bytes();
    let c = d3.to_le_bytes();
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4], d4[5],
        d4[6], d4[7],
    ]
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A 64-bit `unsigned long` whose value fits 32 bits.
fn u64_as_u32_at(b: &[u8], at: usize) -> Option<u32> {
    match u32_at(b, at + 4)? {
        0 => u32_at(b, at),
        _ => None,
    }
}

/// The packed credentials' type (a GUID's Windows bytes) and where their
/// byte array lies in them (offset, length), in either layout.
fn packed_fields(packed: &[u8]) -> Option<([u8; 16], u32, u16)> {
    let header = usize::from(u16_at(packed, 0)?);
    if usize::from(u16_at(packed, 2)?) > packed.len() || packed.len() < header {
        return None;
    }
    match header {
        PACKED_HEADER_LEN => Some((
            packed[4..20].try_into().ok()?,
            u32_at(packed, 20)?,
            u16_at(packed, 24)?,
        )),
        PACKED_HEADER_LEN_LP64 => {
            let mut guid = [0u8; 16];
            guid[..4].copy_from_slice(&u64_as_u32_at(packed, 8)?.to_le_bytes());
            guid[4..].copy_from_slice(packed.get(16..28)?);
            Some((guid, u64_as_u32_at(packed, 32)?, u16_at(packed, 40)?))
        }
        _ => None,
    }
}

/// `len` bytes at `offset` of `b`; empty for a zero length (whatever the
/// offset), `None` when they do not lie inside.
fn range(b: &[u8], offset: u32, len: u16) -> Option<&[u8]> {
    if len == 0 {
        return Some(&[]);
    }
    let start = usize::try_from(offset).ok()?;
    b.get(start..start.checked_add(usize::from(len))?)
}

/// A UTF-16LE string field (`None` when empty).
fn string(b: &[u8], offset: u32, len: u16) -> Option<Option<String>> {
    let bytes = range(b, offset, len)?;
    if bytes.len() % 2 != 0 {
        return None;
    }
    if bytes.is_empty() {
        return Some(None);
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Wide::decode(&units).map(Some)
}

/// Where the packed credentials' secret lies in `bytes` (an EX2 identity):
/// its offset and length, for SspiZeroAuthIdentity; (0, 0) without one.
pub fn secret_range(b: &[u8]) -> Option<(usize, usize)> {
    let packed_at = u32_at(b, 28)?;
    let packed = range(b, packed_at, u16_at(b, 32)?)?;
    if packed.is_empty() {
        return Some((0, 0));
    }
    let (_, data_at, data_len) = packed_fields(packed)?;
    let data = range(packed, data_at, data_len)?;
    if data.is_empty() {
        return Some((0, 0));
    }
    Some((packed_at as usize + data_at as usize, data.len()))
}

/// Decodes an EX2 identity from its `bytes` (exactly cbStructureLength).
/// Packed credentials of another type than a password or a keytab are
/// SEC_E_UNKNOWN_CREDENTIALS.
pub fn decode(bytes: &[u8]) -> SecResult<AuthIdentity> {
    decode_fields(bytes)
        .ok_or(SEC_E_INVALID_PARAMETER.into())
        .and_then(|r| r)
}

fn decode_fields(b: &[u8]) -> Option<SecResult<AuthIdentity>> {
    if u32_at(b, 0)? != SEC_WINNT_AUTH_IDENTITY_VERSION_2
        || usize::from(u16_at(b, 4)?) < HEADER_LEN
        || u32_at(b, 8)? as usize != b.len()
        || b.len() < HEADER_LEN
    {
        return None;
    }
    let user = string(b, u32_at(b, 12)?, u16_at(b, 16)?)?;
    let domain = string(b, u32_at(b, 20)?, u16_at(b, 24)?)?;
    let packed = range(b, u32_at(b, 28)?, u16_at(b, 32)?)?;
    let flags = u32_at(b, 36)?;
    let package_list = string(b, u32_at(b, 40)?, u16_at(b, 44)?)?;
    let mut id = AuthIdentity {
        user,
        domain,
        package_list,
        flags,
        ..AuthIdentity::default()
    };
    if !packed.is_empty() {
        let (cred_type, data_at, data_len) = packed_fields(packed)?;
        let data = range(packed, data_at, data_len)?;
        match cred_type {
            PASSWORD => {
                if data.len() % 2 != 0 {
                    return None;
                }
                let units = Zeroizing::new(
                    data.chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect::<Vec<u16>>(),
                );
                id.password = Some(Wide::decode_secret(&units)?);
            }
            KEYTAB => id.keytab = Some(Zeroizing::new(data.to_vec())),
            _ => return Some(Err(SEC_E_UNKNOWN_CREDENTIALS.into())),
        }
    }
    Some(Ok(id))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// An EX2 identity as Windows lays it out: the header, then the
    /// strings and the packed credentials.
    pub fn build(
        user: &str,
        domain: &str,
        cred_type: [u8; 16],
        cred: &[u8],
        package_list: &str,
    ) -> Vec<u8> {
        let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let mut out = vec![0u8; HEADER_LEN];
        let put = |out: &mut Vec<u8>, at: usize, data: &[u8]| {
            if !data.is_empty() {
                let off = out.len() as u32;
                out[at..at + 4].copy_from_slice(&off.to_le_bytes());
                out[at + 4..at + 6].copy_from_slice(&(data.len() as u16).to_le_bytes());
                out.extend_from_slice(data);
            }
        };
        put(&mut out, 12, &utf16(user));
        put(&mut out, 20, &utf16(domain));
        let mut packed = vec![0u8; PACKED_HEADER_LEN];
        packed[..2].copy_from_slice(&(PACKED_HEADER_LEN as u16).to_le_bytes());
        packed[4..20].copy_from_slice(&cred_type);
        packed[20..24].copy_from_slice(&(PACKED_HEADER_LEN as u32).to_le_bytes());
        packed[24..26].copy_from_slice(&(cred.len() as u16).to_le_bytes());
        packed.extend_from_slice(cred);
        let total = packed.len() as u16;
        packed[2..4].copy_from_slice(&total.to_le_bytes());
        put(&mut out, 28, &packed);
        put(&mut out, 40, &utf16(package_list));
        out[..4].copy_from_slice(&SEC_WINNT_AUTH_IDENTITY_VERSION_2.to_le_bytes());
        out[4..6].copy_from_slice(&(HEADER_LEN as u16).to_le_bytes());
        out[36..40].copy_from_slice(&SEC_WINNT_AUTH_IDENTITY_UNICODE.to_le_bytes());
        let len = out.len() as u32;
        out[8..12].copy_from_slice(&len.to_le_bytes());
        out
    }

    #[test]
    fn layouts_are_sspi_h_s() {
        use crate::abi::types::{SEC_WINNT_AUTH_IDENTITY_EX2, SEC_WINNT_AUTH_PACKED_CREDENTIALS};
        assert_eq!(
            std::mem::size_of::<SEC_WINNT_AUTH_IDENTITY_EX2>(),
            HEADER_LEN
        );
        assert_eq!(
            std::mem::size_of::<SEC_WINNT_AUTH_PACKED_CREDENTIALS>(),
            PACKED_HEADER_LEN
        );
        assert_eq!(
            std::mem::offset_of!(SEC_WINNT_AUTH_IDENTITY_EX2, cbStructureLength),
            8
        );
        assert_eq!(
            std::mem::offset_of!(SEC_WINNT_AUTH_IDENTITY_EX2, PackedCredentialsOffset),
            28
        );
        assert_eq!(std::mem::offset_of!(SEC_WINNT_AUTH_IDENTITY_EX2, Flags), 36);
        assert_eq!(
            std::mem::offset_of!(SEC_WINNT_AUTH_IDENTITY_EX2, PackageListLength),
            44
        );
    }

    #[test]
    fn guids_are_windows_bytes() {
        // 28bfc32f-10f6-4738-98d1-1ac061df716a in memory.
        assert_eq!(
            PASSWORD,
            [
                0x2f, 0xc3, 0xbf, 0x28, 0xf6, 0x10, 0x38, 0x47, 0x98, 0xd1, 0x1a, 0xc0, 0x61, 0xdf,
                0x71, 0x6a
            ]
        );
        assert_eq!(&KEYTAB[..4], [0xe8, 0xaa, 0x87, 0xd5]);
    }

    #[test]
    fn a_password_and_a_keytab() {
        let pw: Vec<u8> = "Passw0rd!"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let id = decode(&build("alice", "CONTOSO", PASSWORD, &pw, "!NTLM")).unwrap();
        assert_eq!(id.user.as_deref(), Some("alice"));
        assert_eq!(id.domain.as_deref(), Some("CONTOSO"));
        assert_eq!(
            id.password.as_deref().map(String::as_str),
            Some("Passw0rd!")
        );
        assert_eq!(id.package_list.as_deref(), Some("!NTLM"));
        assert!(id.keytab.is_none());
        let id = decode(&build("alice@R", "", KEYTAB, b"\x05\x02keytab", "")).unwrap();
        assert_eq!(
            id.keytab.as_deref().map(|k| &k[..]),
            Some(&b"\x05\x02keytab"[..])
        );
        assert_eq!((id.domain, id.password.is_none()), (None, true));
        // Another type of packed credentials.
        let cert = guid(
            0x235f_69ad,
            0x73fb,
            0x4dbc,
            [0x82, 0x03, 0x06, 0x29, 0xe7, 0x39, 0x33, 0x9b],
        );
        assert_eq!(
            decode(&build("a", "", cert, b"x", "")).unwrap_err(),
            SEC_E_UNKNOWN_CREDENTIALS
        );
    }

    /// The packed credentials as a 64-bit `unsigned long` lays them out.
    fn widened(ex2: &[u8]) -> Vec<u8> {
        let at = u32::from_le_bytes(ex2[28..32].try_into().unwrap()) as usize;
        let len = usize::from(u16::from_le_bytes(ex2[32..34].try_into().unwrap()));
        let old = &ex2[at..at + len];
        let data = &old[PACKED_HEADER_LEN..];
        let mut p = vec![0u8; PACKED_HEADER_LEN_LP64];
        p[..2].copy_from_slice(&(PACKED_HEADER_LEN_LP64 as u16).to_le_bytes());
        p[2..4].copy_from_slice(&((PACKED_HEADER_LEN_LP64 + data.len()) as u16).to_le_bytes());
        p[8..12].copy_from_slice(&old[4..8]);
        p[16..28].copy_from_slice(&old[8..20]);
        p[32..36].copy_from_slice(&(PACKED_HEADER_LEN_LP64 as u32).to_le_bytes());
        p[40..42].copy_from_slice(&(data.len() as u16).to_le_bytes());
        p.extend_from_slice(data);
        let mut out = ex2[..at].to_vec();
        out[32..34].copy_from_slice(&(p.len() as u16).to_le_bytes());
        out.extend_from_slice(&p);
        let total = out.len() as u32;
        out[8..12].copy_from_slice(&total.to_le_bytes());
        out
    }

    #[test]
    fn the_lp64_layout_of_sspilib() {
        let b = widened(&build("alice@R", "", KEYTAB, b"\x05\x02keys", ""));
        let id = decode(&b).unwrap();
        assert_eq!(
            id.keytab.as_deref().map(|k| &k[..]),
            Some(&b"\x05\x02keys"[..])
        );
        let (at, len) = secret_range(&b).unwrap();
        assert_eq!(&b[at..at + len], b"\x05\x02keys");
        // A Data1 or offset whose upper half is not zero is a lie.
        let p = u32::from_le_bytes(b[28..32].try_into().unwrap()) as usize;
        for upper in [p + 12, p + 36] {
            let mut bad = b.clone();
            bad[upper] = 1;
            assert_eq!(decode(&bad).unwrap_err(), SEC_E_INVALID_PARAMETER);
        }
    }

    #[test]
    fn the_secret_lies_where_zeroing_finds_it() {
        let b = build("alice", "", KEYTAB, b"\x05\x02secret", "");
        let (at, len) = secret_range(&b).unwrap();
        assert_eq!(&b[at..at + len], b"\x05\x02secret");
        // Packed credentials with an empty secret: nothing to zero.
        assert_eq!(
            secret_range(&build("a", "", KEYTAB, b"", "")).map(|r| r.1),
            Some(0)
        );
    }

    #[test]
    fn lies_are_refused() {
        let good = build("alice", "CONTOSO", KEYTAB, b"\x05\x02", "");
        // Every truncation (cbStructureLength then disagrees), and every
        // offset or length pointing past the end.
        for n in 0..good.len() {
            assert!(decode(&good[..n]).is_err(), "{n}");
        }
        for at in [12usize, 20, 28, 40] {
            let mut bad = good.clone();
            bad[at..at + 4].copy_from_slice(&(good.len() as u32 - 1).to_le_bytes());
            bad[at + 4..at + 6].copy_from_slice(&4u16.to_le_bytes());
            assert_eq!(decode(&bad).unwrap_err(), SEC_E_INVALID_PARAMETER, "{at}");
            bad[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
            assert_eq!(decode(&bad).unwrap_err(), SEC_E_INVALID_PARAMETER, "{at}");
        }
        // The packed credentials' byte array past their end.
        let mut bad = good.clone();
        let packed_at = u32::from_le_bytes(good[28..32].try_into().unwrap()) as usize;
        bad[packed_at + 24..packed_at + 26].copy_from_slice(&300u16.to_le_bytes());
        assert_eq!(decode(&bad).unwrap_err(), SEC_E_INVALID_PARAMETER);
        // An odd UTF-16 length.
        let mut bad = good.clone();
        bad[16..18].copy_from_slice(&9u16.to_le_bytes());
        assert_eq!(decode(&bad).unwrap_err(), SEC_E_INVALID_PARAMETER);
    }
}
