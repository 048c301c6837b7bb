//! The three NTLM messages (MS-NLMP 2.2.1): NEGOTIATE, CHALLENGE and
//! AUTHENTICATE, parsed by their field offsets and encoded with a VERSION.
//!
//! Parsing borrows from the input and allocates nothing. A payload field
//! must lie within the input and after the message's fixed header; bytes
//! after the last field are tolerated and reported through `len`, the
//! message's own extent.

use super::error::Error;
use super::flags::NEGOTIATE_VERSION;
use super::wire::{array, bytes, put, u16_at, u32_at};

/// The 8-byte signature that starts every message.
pub const SIGNATURE: [u8; 8] = *b"NTLMSSP\0";
/// MessageType of NEGOTIATE_MESSAGE.
pub const TYPE_NEGOTIATE: u32 = 1;
/// MessageType of CHALLENGE_MESSAGE.
pub const TYPE_CHALLENGE: u32 = 2;
/// MessageType of AUTHENTICATE_MESSAGE.
pub const TYPE_AUTHENTICATE: u32 = 3;

/// The VERSION this implementation sends: 10.0 build 20348, NTLM revision 15.
pub const OUR_VERSION: [u8; 8] = [10, 0, 0x7c, 0x4f, 0, 0, 0, 0x0f];

/// Fixed part of NEGOTIATE before the optional VERSION.
const NEGOTIATE_FIXED: usize = 32;
/// Fixed part of CHALLENGE before the optional VERSION.
const CHALLENGE_FIXED: usize = 48;
/// Fixed part of AUTHENTICATE before the optional VERSION.
const AUTHENTICATE_FIXED: usize = 64;
/// Where the VERSION sits in an AUTHENTICATE message.
const AUTHENTICATE_VERSION_OFFSET: usize = 64;
/// Where the MIC sits in an AUTHENTICATE message.
pub const MIC_OFFSET: usize = 72;
/// Length of the MIC.
pub const MIC_LEN: usize = 16;
/// Length of the VERSION structure.
const VERSION_LEN: usize = 8;

/// Checks the signature and message type.
fn check_header(buf: &[u8], message_type: u32) -> Result<(), Error> {
    if array::<8>(buf, 0)? != SIGNATURE || u32_at(buf, 8)? != message_type {
        return Err(Error::InvalidToken);
    }
    Ok(())
}

/// The `(offset, len)` of the payload field described at `at`, validated
/// against the input and the fixed header; `None` for an empty field (whose
/// offset is then ignored, as some senders leave it zero).
fn field_at(buf: &[u8], at: usize, fixed: usize) -> Result<Option<(usize, usize)>, Error> {
    let len = usize::from(u16_at(buf, at)?);
    let offset = usize::try_from(u32_at(buf, at + 4)?).map_err(|_| Error::InvalidToken)?;
    if len == 0 {
        return Ok(None);
    }
    if offset < fixed {
        return Err(Error::InvalidToken);
    }
    bytes(buf, offset, len)?;
    Ok(Some((offset, len)))
}

/// The fields of one message, as read from the wire.
struct Fields<'a> {
    buf: &'a [u8],
    fields: [Option<(usize, usize)>; 6],
    count: usize,
}

impl<'a> Fields<'a> {
    /// Reads `N` field descriptors at the given header offsets.
    fn read<const N: usize>(buf: &'a [u8], at: [usize; N], fixed: usize) -> Result<Self, Error> {
        let mut fields = [None; 6];
        for (slot, &desc) in fields.iter_mut().zip(at.iter()) {
            *slot = field_at(buf, desc, fixed)?;
        }
        Ok(Fields {
            buf,
            fields,
            count: N,
        })
    }

    /// The bytes of field `i` (empty if absent).
    fn get(&self, i: usize) -> &'a [u8] {
        match self.fields.get(i).copied().flatten() {
            Some((offset, len)) => self.buf.get(offset..offset + len).unwrap_or(&[]),
            None => &[],
        }
    }

    fn present(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.fields.iter().take(self.count).flatten().copied()
    }

    /// Where the payload starts: the lowest offset of a non-empty field,
    /// or the end of the input when every field is empty.
    fn payload_start(&self) -> usize {
        self.present()
            .map(|(offset, _)| offset)
            .min()
            .unwrap_or(self.buf.len())
    }

    /// The end of the last non-empty field.
    fn payload_end(&self) -> usize {
        self.present()
            .map(|(offset, len)| offset + len)
            .max()
            .unwrap_or(0)
    }

    /// The VERSION at `at`, when flagged and not overlapping the payload.
    /// A message that ends exactly before a flagged VERSION has none (older
    /// clients send such a NEGOTIATE); one that ends inside it is
    /// truncated: `InvalidToken`.
    fn version(&self, flags: u32, at: usize) -> Result<Option<[u8; 8]>, Error> {
        if flags & NEGOTIATE_VERSION == 0 || self.payload_start() < at + VERSION_LEN {
            let len = self.buf.len();
            if flags & NEGOTIATE_VERSION != 0 && len > at && len < at + VERSION_LEN {
                return Err(Error::InvalidToken);
            }
            return Ok(None);
        }
        array::<8>(self.buf, at).map(Some)
    }
}

/// Builds a message: fixed header first, then payload fields appended.
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A header of `header_len` zero bytes with signature and type set.
    fn new(header_len: usize, message_type: u32) -> Result<Self, Error> {
        let mut buf = vec![0u8; header_len];
        put(&mut buf, 0, &SIGNATURE)?;
        put(&mut buf, 8, &message_type.to_le_bytes())?;
        Ok(Writer { buf })
    }

    /// Appends `data` to the payload and describes it at `desc_at`.
    fn field(&mut self, desc_at: usize, data: &[u8]) -> Result<(), Error> {
        let len = u16::try_from(data.len()).map_err(|_| Error::InvalidParameter)?;
        let offset = u32::try_from(self.buf.len()).map_err(|_| Error::InvalidParameter)?;
        put(&mut self.buf, desc_at, &len.to_le_bytes())?;
        put(&mut self.buf, desc_at + 2, &len.to_le_bytes())?;
        put(&mut self.buf, desc_at + 4, &offset.to_le_bytes())?;
        self.buf.extend_from_slice(data);
        Ok(())
    }

    fn put(&mut self, at: usize, data: &[u8]) -> Result<(), Error> {
        put(&mut self.buf, at, data)
    }
}

/// A NEGOTIATE_MESSAGE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiate<'a> {
    /// NegotiateFlags.
    pub flags: u32,
    /// DomainName (OEM), usually empty.
    pub domain: &'a [u8],
    /// Workstation (OEM), usually empty.
    pub workstation: &'a [u8],
    /// VERSION, when flagged and present.
    pub version: Option<[u8; 8]>,
    /// The message's extent within the input.
    pub len: usize,
}

impl<'a> Negotiate<'a> {
    /// Parses a NEGOTIATE_MESSAGE.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        check_header(buf, TYPE_NEGOTIATE)?;
        let flags = u32_at(buf, 12)?;
        let fields = Fields::read(buf, [16, 24], NEGOTIATE_FIXED)?;
        let version = fields.version(flags, NEGOTIATE_FIXED)?;
        let header = NEGOTIATE_FIXED + version.map_or(0, |_| VERSION_LEN);
        Ok(Negotiate {
            flags,
            domain: fields.get(0),
            workstation: fields.get(1),
            version,
            len: header.max(fields.payload_end()),
        })
    }

    /// Encodes a NEGOTIATE_MESSAGE; the VERSION is written when `flags`
    /// has NEGOTIATE_VERSION.
    pub fn encode(flags: u32, domain: &[u8], workstation: &[u8]) -> Result<Vec<u8>, Error> {
        let with_version = flags & NEGOTIATE_VERSION != 0;
        let header = NEGOTIATE_FIXED + if with_version { VERSION_LEN } else { 0 };
        let mut w = Writer::new(header, TYPE_NEGOTIATE)?;
        w.put(12, &flags.to_le_bytes())?;
        if with_version {
            w.put(NEGOTIATE_FIXED, &OUR_VERSION)?;
        }
        w.field(16, domain)?;
        w.field(24, workstation)?;
        Ok(w.buf)
    }
}

/// A CHALLENGE_MESSAGE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge<'a> {
    /// NegotiateFlags.
    pub flags: u32,
    /// TargetName, in the negotiated character set.
    pub target_name: &'a [u8],
    /// ServerChallenge.
    pub server_challenge: [u8; 8],
    /// TargetInfo: an AV pair list.
    pub target_info: &'a [u8],
    /// VERSION, when flagged and present.
    pub version: Option<[u8; 8]>,
    /// The message's extent within the input.
    pub len: usize,
}

impl<'a> Challenge<'a> {
    /// Parses a CHALLENGE_MESSAGE.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        check_header(buf, TYPE_CHALLENGE)?;
        let flags = u32_at(buf, 20)?;
        let server_challenge = array::<8>(buf, 24)?;
        let fields = Fields::read(buf, [12, 40], CHALLENGE_FIXED)?;
        let version = fields.version(flags, CHALLENGE_FIXED)?;
        let header = CHALLENGE_FIXED + version.map_or(0, |_| VERSION_LEN);
        Ok(Challenge {
            flags,
            target_name: fields.get(0),
            server_challenge,
            target_info: fields.get(1),
            version,
            len: header.max(fields.payload_end()),
        })
    }

    /// Encodes a CHALLENGE_MESSAGE; the VERSION is written when `flags`
    /// has NEGOTIATE_VERSION.
    pub fn encode(
        flags: u32,
        target_name: &[u8],
        server_challenge: &[u8; 8],
        target_info: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let with_version = flags & NEGOTIATE_VERSION != 0;
        let header = CHALLENGE_FIXED + if with_version { VERSION_LEN } else { 0 };
        let mut w = Writer::new(header, TYPE_CHALLENGE)?;
        w.put(20, &flags.to_le_bytes())?;
        w.put(24, server_challenge)?;
        if with_version {
            w.put(CHALLENGE_FIXED, &OUR_VERSION)?;
        }
        w.field(12, target_name)?;
        w.field(40, target_info)?;
        Ok(w.buf)
    }
}

/// An AUTHENTICATE_MESSAGE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticate<'a> {
    /// The responses, names, key and flags, as `encode` takes them.
    pub fields: AuthenticateFields<'a>,
    /// VERSION, when flagged and present.
    pub version: Option<[u8; 8]>,
    /// The 16 bytes where a MIC would be, when the header has room for one
    /// (whether a MIC is really there is said by the NTLMv2 blob's
    /// MsvAvFlags).
    pub mic: Option<[u8; 16]>,
    /// The message's extent within the input.
    pub len: usize,
}

/// The contents of an AUTHENTICATE_MESSAGE to encode, strings already in
/// the negotiated character set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthenticateFields<'a> {
    /// LmChallengeResponse.
    pub lm_response: &'a [u8],
    /// NtChallengeResponse.
    pub nt_response: &'a [u8],
    /// DomainName.
    pub domain: &'a [u8],
    /// UserName.
    pub user: &'a [u8],
    /// Workstation.
    pub workstation: &'a [u8],
    /// EncryptedRandomSessionKey.
    pub encrypted_session_key: &'a [u8],
    /// NegotiateFlags.
    pub flags: u32,
}

impl<'a> Authenticate<'a> {
    /// Parses an AUTHENTICATE_MESSAGE.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        check_header(buf, TYPE_AUTHENTICATE)?;
        let flags = u32_at(buf, 60)?;
        let fields = Fields::read(buf, [12, 20, 28, 36, 44, 52], AUTHENTICATE_FIXED)?;
        let version = fields.version(flags, AUTHENTICATE_VERSION_OFFSET)?;
        let mic_end = MIC_OFFSET + MIC_LEN;
        let mic = if fields.payload_start() >= mic_end {
            array::<16>(buf, MIC_OFFSET).ok()
        } else {
            None
        };
        let header = if mic.is_some() {
            mic_end
        } else {
            AUTHENTICATE_FIXED + version.map_or(0, |_| VERSION_LEN)
        };
        Ok(Authenticate {
            fields: AuthenticateFields {
                lm_response: fields.get(0),
                nt_response: fields.get(1),
                domain: fields.get(2),
                user: fields.get(3),
                workstation: fields.get(4),
                encrypted_session_key: fields.get(5),
                flags,
            },
            version,
            mic,
            len: header.max(fields.payload_end()),
        })
    }

    /// Encodes an AUTHENTICATE_MESSAGE with a VERSION and a zeroed MIC
    /// field at [`MIC_OFFSET`], which the caller fills in afterwards.
    pub fn encode(f: &AuthenticateFields<'_>) -> Result<Vec<u8>, Error> {
        let flags = f.flags | NEGOTIATE_VERSION;
        let mut w = Writer::new(MIC_OFFSET + MIC_LEN, TYPE_AUTHENTICATE)?;
        w.put(60, &flags.to_le_bytes())?;
        w.put(AUTHENTICATE_VERSION_OFFSET, &OUR_VERSION)?;
        w.field(28, f.domain)?;
        w.field(36, f.user)?;
        w.field(44, f.workstation)?;
        w.field(12, f.lm_response)?;
        w.field(20, f.nt_response)?;
        w.field(52, f.encrypted_session_key)?;
        Ok(w.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::super::crypto::tests::hex;
    use super::super::flags::*;
    use super::*;

    #[test]
    fn negotiate_round_trip() {
        let flags = NEGOTIATE_UNICODE | NEGOTIATE_VERSION | NEGOTIATE_NTLM;
        let msg = Negotiate::encode(flags, b"DOM", b"WS").expect("encodes");
        assert_eq!(msg.len(), 40 + 5);
        let parsed = Negotiate::parse(&msg).expect("parses");
        assert_eq!(parsed.flags, flags);
        assert_eq!(parsed.domain, b"DOM");
        assert_eq!(parsed.workstation, b"WS");
        assert_eq!(parsed.version, Some(OUR_VERSION));
        assert_eq!(parsed.len, msg.len());
        // Trailing bytes are not part of the message.
        let mut longer = msg.clone();
        longer.extend_from_slice(b"junk");
        assert_eq!(Negotiate::parse(&longer).expect("parses").len, msg.len());
    }

    #[test]
    fn negotiate_without_version_or_payload() {
        let msg = Negotiate::encode(NEGOTIATE_UNICODE, b"", b"").expect("encodes");
        assert_eq!(msg.len(), 32);
        let parsed = Negotiate::parse(&msg).expect("parses");
        assert_eq!(parsed.version, None);
        assert_eq!(parsed.len, 32);
    }

    #[test]
    fn challenge_round_trip() {
        let flags = NEGOTIATE_UNICODE | NEGOTIATE_VERSION | NEGOTIATE_TARGET_INFO;
        let info = hex("02000c0044006f006d00610069006e00 00000000");
        let msg =
            Challenge::encode(flags, b"D\0", &[1, 2, 3, 4, 5, 6, 7, 8], &info).expect("encodes");
        let parsed = Challenge::parse(&msg).expect("parses");
        assert_eq!(parsed.flags, flags);
        assert_eq!(parsed.target_name, b"D\0");
        assert_eq!(parsed.server_challenge, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(parsed.target_info, &info[..]);
        assert_eq!(parsed.version, Some(OUR_VERSION));
        assert_eq!(parsed.len, msg.len());
    }

    #[test]
    fn authenticate_round_trip() {
        let f = AuthenticateFields {
            lm_response: &[0; 24],
            nt_response: &[7; 60],
            domain: b"D\0",
            user: b"U\0",
            workstation: b"W\0",
            encrypted_session_key: &[9; 16],
            flags: NEGOTIATE_UNICODE,
        };
        let msg = Authenticate::encode(&f).expect("encodes");
        let parsed = Authenticate::parse(&msg).expect("parses");
        assert_eq!(parsed.fields.lm_response, &[0; 24]);
        assert_eq!(parsed.fields.nt_response, &[7; 60][..]);
        assert_eq!(parsed.fields.domain, b"D\0");
        assert_eq!(parsed.fields.user, b"U\0");
        assert_eq!(parsed.fields.workstation, b"W\0");
        assert_eq!(parsed.fields.encrypted_session_key, &[9; 16]);
        assert_eq!(parsed.fields.flags, NEGOTIATE_UNICODE | NEGOTIATE_VERSION);
        assert_eq!(parsed.version, Some(OUR_VERSION));
        assert_eq!(parsed.mic, Some([0; 16]));
        assert_eq!(parsed.len, msg.len());
    }

    #[test]
    fn rejects_bad_headers_and_fields() {
        let msg = Negotiate::encode(NEGOTIATE_UNICODE, b"DOM", b"").expect("encodes");
        // Wrong type.
        assert_eq!(Challenge::parse(&msg), Err(Error::InvalidToken));
        // Wrong signature.
        let mut bad = msg.clone();
        bad[0] = b'X';
        assert_eq!(Negotiate::parse(&bad), Err(Error::InvalidToken));
        // Field beyond the end.
        let mut bad = msg.clone();
        bad[16] = 200;
        assert_eq!(Negotiate::parse(&bad), Err(Error::InvalidToken));
        // Field inside the fixed header.
        let mut bad = msg.clone();
        bad[20..24].copy_from_slice(&4u32.to_le_bytes());
        assert_eq!(Negotiate::parse(&bad), Err(Error::InvalidToken));
        // Offset near u32::MAX must not overflow.
        let mut bad = msg.clone();
        bad[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Negotiate::parse(&bad), Err(Error::InvalidToken));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let f = AuthenticateFields {
            lm_response: &[0; 24],
            nt_response: &[7; 60],
            user: b"U\0",
            ..Default::default()
        };
        let auth = Authenticate::encode(&f).expect("encodes");
        let chal =
            Challenge::encode(NEGOTIATE_VERSION, b"T", &[0; 8], &[0, 0, 0, 0]).expect("encodes");
        let neg = Negotiate::encode(NEGOTIATE_VERSION, b"D", b"W").expect("encodes");
        for cut in 0..auth.len() {
            assert_eq!(Authenticate::parse(&auth[..cut]), Err(Error::InvalidToken));
        }
        for cut in 0..chal.len() {
            assert_eq!(Challenge::parse(&chal[..cut]), Err(Error::InvalidToken));
        }
        for cut in 0..neg.len() {
            assert_eq!(Negotiate::parse(&neg[..cut]), Err(Error::InvalidToken));
        }
    }
}
