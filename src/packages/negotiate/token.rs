//! SPNEGO's tokens (RFC 4178 section 4.2), encoded and decoded with the
//! `der` crate.
//!
//! The initiator's first token is a NegTokenInit inside the GSS-API framing
//! `[APPLICATION 0] { thisMech = SPNEGO, NegotiationToken }` (RFC 2743
//! section 3.1); every later token in both directions is a bare
//! NegotiationToken carrying a NegTokenResp. Decoding is strict DER: each
//! length is checked against the bytes actually present before anything is
//! read or allocated, so a token can only make the decoder allocate in
//! proportion to its own size. Bytes after a complete token are ignored.

use der::asn1::{
    Application, BitStringRef, ContextSpecific, GeneralStringRef, ObjectIdentifier, OctetStringRef,
};
use der::{
    Choice, Decode, DecodeValue, Encode, EncodeValue, Enumerated, ErrorKind, FixedTag, Header,
    Length, Reader, Sequence, SliceReader, Tag, TagMode, TagNumber, Writer,
};

/// SPNEGO's own OID, 1.3.6.1.5.5.2 (RFC 4178 section 3).
pub const SPNEGO_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.2");

/// A token that is not well-formed SPNEGO DER.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

impl From<der::Error> for Malformed {
    fn from(_: der::Error) -> Self {
        Malformed
    }
}

/// The most mechanisms a MechTypeList may name (Windows offers four); a
/// longer list is refused rather than stored.
pub const MAX_MECHS: usize = 32;

/// MechTypeList: `SEQUENCE OF MechType`, at most [`MAX_MECHS`] long.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MechTypeList(pub Vec<ObjectIdentifier>);

impl<'a> DecodeValue<'a> for MechTypeList {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, _header: Header) -> der::Result<Self> {
        let mut mechs = Vec::new();
        while !reader.is_finished() {
            if mechs.len() == MAX_MECHS {
                return Err(reader.error(ErrorKind::Overlength));
            }
            mechs.push(ObjectIdentifier::decode(reader)?);
        }
        Ok(MechTypeList(mechs))
    }
}

impl EncodeValue for MechTypeList {
    fn value_len(&self) -> der::Result<Length> {
        self.0.value_len()
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.0.encode_value(writer)
    }
}

impl FixedTag for MechTypeList {
    const TAG: Tag = Tag::Sequence;
}

/// NegTokenResp's negState.
#[derive(Clone, Copy, Debug, Enumerated, PartialEq, Eq)]
#[repr(u32)]
pub enum NegState {
    AcceptCompleted = 0,
    AcceptIncomplete = 1,
    Reject = 2,
    RequestMic = 3,
}

/// The initiator's first token (RFC 4178 section 4.2.1).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct NegTokenInit<'a> {
    /// The mechanisms the initiator offers, most preferred first.
    #[asn1(context_specific = "0")]
    pub mech_types: MechTypeList,
    /// RFC 2478's context flags, kept for compatibility; ignored.
    #[asn1(context_specific = "1", optional = "true")]
    pub req_flags: Option<BitStringRef<'a>>,
    /// The optimistic first token of `mech_types[0]`.
    #[asn1(context_specific = "2", optional = "true")]
    pub mech_token: Option<&'a OctetStringRef>,
    #[asn1(context_specific = "3", optional = "true")]
    pub mech_list_mic: Option<&'a OctetStringRef>,
}

/// Every later token (RFC 4178 section 4.2.2).
#[derive(Clone, Debug, Default, Sequence, PartialEq, Eq)]
pub struct NegTokenResp<'a> {
    /// Required in the acceptor's first reply; the initiator sends none.
    #[asn1(context_specific = "0", optional = "true")]
    pub neg_state: Option<NegState>,
    /// The acceptor's choice, in its first reply only.
    #[asn1(context_specific = "1", optional = "true")]
    pub supported_mech: Option<ObjectIdentifier>,
    #[asn1(context_specific = "2", optional = "true")]
    pub response_token: Option<&'a OctetStringRef>,
    #[asn1(context_specific = "3", optional = "true")]
    pub mech_list_mic: Option<&'a OctetStringRef>,
}

#[derive(Clone, Debug, Choice, PartialEq, Eq)]
enum NegotiationToken<'a> {
    #[asn1(context_specific = "0", constructed = "true")]
    Init(NegTokenInit<'a>),
    #[asn1(context_specific = "1", constructed = "true")]
    Resp(NegTokenResp<'a>),
}

/// RFC 2743's InitialContextToken, whose `[APPLICATION 0]` tag is added by
/// `Application` (IMPLICIT, so it replaces the SEQUENCE tag).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
struct InitialContextToken<'a> {
    this_mech: ObjectIdentifier,
    inner: NegotiationToken<'a>,
}

/// The same framing around MS-SPNG's `[0] NegTokenInit2`.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
struct InitialContextToken2<'a> {
    this_mech: ObjectIdentifier,
    inner: ContextSpecific<NegTokenInit2<'a>>,
}

/// `value` (an InitialContextToken) under its `[APPLICATION 0]` tag, as DER.
fn framed<T: der::EncodeValue + der::Tagged + der::IsConstructed>(
    value: T,
) -> Result<Vec<u8>, Malformed> {
    let framed = Application {
        tag_number: TagNumber(0),
        tag_mode: TagMode::Implicit,
        value,
    };
    Ok(framed.to_der()?)
}

/// MS-SPNG's NegHints (section 2.2.1).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
struct NegHints<'a> {
    #[asn1(context_specific = "0", optional = "true")]
    hint_name: Option<GeneralStringRef<'a>>,
    #[asn1(context_specific = "1", optional = "true")]
    hint_address: Option<&'a OctetStringRef>,
}

/// MS-SPNG's NegTokenInit2: the acceptor's unsolicited first token, listing
/// its mechanisms (section 2.2.1).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
struct NegTokenInit2<'a> {
    #[asn1(context_specific = "0", optional = "true")]
    mech_types: Option<MechTypeList>,
    #[asn1(context_specific = "1", optional = "true")]
    req_flags: Option<BitStringRef<'a>>,
    #[asn1(context_specific = "2", optional = "true")]
    mech_token: Option<&'a OctetStringRef>,
    #[asn1(context_specific = "3", optional = "true")]
    neg_hints: Option<NegHints<'a>>,
    #[asn1(context_specific = "4", optional = "true")]
    mech_list_mic: Option<&'a OctetStringRef>,
}

/// The hint name Windows sends (MS-SPNG 3.2.5.2), as a DER GeneralString.
const HINT_NAME: &[u8] = b"\x1b\x24not_defined_in_RFC4178@please_ignore";

/// The acceptor's NegTokenInit2 offering `mechs`, with Windows' hint name.
pub fn encode_init2(mechs: &[ObjectIdentifier]) -> Result<Vec<u8>, Malformed> {
    let init2 = NegTokenInit2 {
        mech_types: Some(MechTypeList(mechs.to_vec())),
        req_flags: None,
        mech_token: None,
        neg_hints: Some(NegHints {
            hint_name: Some(GeneralStringRef::from_der(HINT_NAME)?),
            hint_address: None,
        }),
        mech_list_mic: None,
    };
    framed(InitialContextToken2 {
        this_mech: SPNEGO_OID,
        inner: ContextSpecific {
            tag_number: TagNumber(0),
            tag_mode: TagMode::Explicit,
            value: init2,
        },
    })
}

/// The bytes of an optional OCTET STRING field.
pub fn bytes(field: Option<&OctetStringRef>) -> Option<&[u8]> {
    field.map(OctetStringRef::as_bytes)
}

/// An OCTET STRING field for `data`; `None` for no data.
fn octets(data: Option<&[u8]>) -> Result<Option<&OctetStringRef>, Malformed> {
    data.map(|d| OctetStringRef::new(d).map_err(Malformed::from))
        .transpose()
}

/// The DER MechTypeList of `mechs`: what NegTokenInit carries and what the
/// mechListMIC covers.
pub fn encode_mech_types(mechs: &[ObjectIdentifier]) -> Result<Vec<u8>, Malformed> {
    Ok(MechTypeList(mechs.to_vec()).to_der()?)
}

/// The initiator's first token.
pub fn encode_init(
    mechs: &[ObjectIdentifier],
    mech_token: Option<&[u8]>,
) -> Result<Vec<u8>, Malformed> {
    let init = NegTokenInit {
        mech_types: MechTypeList(mechs.to_vec()),
        req_flags: None,
        mech_token: octets(mech_token)?,
        mech_list_mic: None,
    };
    framed(InitialContextToken {
        this_mech: SPNEGO_OID,
        inner: NegotiationToken::Init(init),
    })
}

/// A NegTokenResp.
pub fn encode_resp(
    neg_state: Option<NegState>,
    supported_mech: Option<ObjectIdentifier>,
    response_token: Option<&[u8]>,
    mech_list_mic: Option<&[u8]>,
) -> Result<Vec<u8>, Malformed> {
    let resp = NegTokenResp {
        neg_state,
        supported_mech,
        response_token: octets(response_token)?,
        mech_list_mic: octets(mech_list_mic)?,
    };
    Ok(NegotiationToken::Resp(resp).to_der()?)
}

/// The initiator's first token: a framed NegTokenInit.
pub fn decode_init(token: &[u8]) -> Result<NegTokenInit<'_>, Malformed> {
    let mut reader = SliceReader::new(token)?;
    let framed =
        Application::<InitialContextToken<'_>>::decode_implicit(&mut reader, TagNumber(0))?
            .ok_or(Malformed)?;
    match framed.value {
        InitialContextToken {
            this_mech,
            inner: NegotiationToken::Init(init),
        } if this_mech == SPNEGO_OID => Ok(init),
        _ => Err(Malformed),
    }
}

/// A later token: a bare NegTokenResp.
pub fn decode_resp(token: &[u8]) -> Result<NegTokenResp<'_>, Malformed> {
    let mut reader = SliceReader::new(token)?;
    match NegotiationToken::decode(&mut reader)? {
        NegotiationToken::Resp(resp) => Ok(resp),
        NegotiationToken::Init(_) => Err(Malformed),
    }
}

/// Whether `token` begins like an initiator's first SPNEGO token (the GSS
/// framing tag), as opposed to a mechanism's raw token.
pub fn looks_framed(token: &[u8]) -> bool {
    SliceReader::new(token)
        .and_then(|reader| der::Tag::peek(&reader))
        .is_ok_and(|t| t.class() == der::Class::Application && t.number() == TagNumber(0))
}

/// Length of the DER TLV at the start of `bytes`, when it is complete.
#[cfg(test)]
fn first_tlv_len(bytes: &[u8]) -> Option<usize> {
    use der::Reader;
    let mut reader = SliceReader::new(bytes).ok()?;
    let header = der::Header::decode(&mut reader).ok()?;
    let header_len = usize::try_from(reader.position()).ok()?;
    let body = usize::try_from(header.length()).ok()?;
    Some(header_len + body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    const NTLM: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.2.10");
    const MS_KRB5: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.48018.1.2.2");
    const KRB5: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113554.1.2.2");
    const NEGOEX: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.2.30");

    /// A 40-byte NTLM NEGOTIATE, as Windows sends it.
    fn ntlm_negotiate() -> Vec<u8> {
        unhex("4e544c4d5353500001000000978208e2000000000000000000000000000000000a00614a0000000f")
    }

    #[test]
    fn init_with_ntlm_matches_windows_framing() {
        // The layout of Windows' NegTokenInit offering only NTLM, with its
        // 40-byte NEGOTIATE as mechToken.
        let header = unhex(
            "6048 0606 2b0601050502 a03e 303c a00e 300c 060a 2b0601040182370202 0a a22a 0428",
        );
        let token = encode_init(&[NTLM], Some(&ntlm_negotiate())).expect("encode");
        assert_eq!(&token[..header.len()], &header[..]);
        assert_eq!(&token[header.len()..], &ntlm_negotiate()[..]);
        assert_eq!(token.len(), 2 + 0x48);

        let init = decode_init(&token).expect("decode");
        assert_eq!(init.mech_types.0, vec![NTLM]);
        assert_eq!(bytes(init.mech_token), Some(&ntlm_negotiate()[..]));
        assert_eq!(init.mech_list_mic, None);
    }

    #[test]
    fn mech_type_list_der() {
        assert_eq!(
            encode_mech_types(&[NTLM]).unwrap(),
            unhex("300c 060a 2b0601040182370202 0a")
        );
        // Windows' list: MS Kerberos, Kerberos, NegoEx, NTLM.
        assert_eq!(
            encode_mech_types(&[MS_KRB5, KRB5, NEGOEX, NTLM]).unwrap(),
            unhex(
                "302e 0609 2a864882f712010202 0609 2a864886f712010202
                 060a 2b06010401823702021e 060a 2b06010401823702020a"
            )
        );
    }

    #[test]
    fn resp_known_answers() {
        // accept-completed, alone: the acceptor's last token without a MIC.
        let done = unhex("a107 3005 a003 0a0100");
        assert_eq!(
            encode_resp(Some(NegState::AcceptCompleted), None, None, None).unwrap(),
            done
        );
        let parsed = decode_resp(&done).unwrap();
        assert_eq!(parsed.neg_state, Some(NegState::AcceptCompleted));
        assert_eq!(parsed.supported_mech, None);
        // reject.
        assert_eq!(
            encode_resp(Some(NegState::Reject), None, None, None).unwrap(),
            unhex("a107 3005 a003 0a0102")
        );
        // The acceptor's first reply: accept-incomplete, NTLM, CHALLENGE.
        let challenge = [0x4e; 3];
        let ours = encode_resp(
            Some(NegState::AcceptIncomplete),
            Some(NTLM),
            Some(&challenge),
            None,
        )
        .unwrap();
        assert_eq!(
            ours,
            unhex("a11c 301a a003 0a0101 a10c 060a 2b06010401823702020a a205 0403 4e4e4e")
        );
        assert_eq!(ours.len(), 2 + 0x1c);
        // The initiator's last: responseToken and mechListMIC, no negState.
        let mic = [0x01, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0];
        let last = encode_resp(None, None, Some(&[0xAA]), Some(&mic)).unwrap();
        let mut want = unhex("a11b 3019 a203 0401aa a312 0410");
        want.extend_from_slice(&mic);
        assert_eq!(last, want);
        let back = decode_resp(&last).unwrap();
        assert_eq!(bytes(back.response_token), Some(&[0xAA][..]));
        assert_eq!(bytes(back.mech_list_mic), Some(&mic[..]));
        assert_eq!(back.neg_state, None);
    }

    #[test]
    fn windows_style_init_with_four_mechs() {
        let mut token = unhex(
            "603e 0606 2b0601050502 a034 3032 a030 302e 0609 2a864882f712010202
             0609 2a864886f712010202 060a 2b06010401823702021e 060a 2b06010401823702020a",
        );
        let init = decode_init(&token).expect("decode");
        assert_eq!(init.mech_types.0, vec![MS_KRB5, KRB5, NEGOEX, NTLM]);
        assert_eq!(init.mech_token, None);
        // Bytes after the token are not part of it.
        token.extend_from_slice(b"trailing");
        assert!(decode_init(&token).is_ok());
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = encode_init(&[NTLM], Some(&ntlm_negotiate())).unwrap();
        // Every truncation.
        for cut in 0..good.len() {
            assert_eq!(decode_init(&good[..cut]), Err(Malformed), "cut at {cut}");
        }
        // Outer and nested lengths that lie.
        for at in [1usize, 11, 13, 15, 33] {
            for delta in [1u8, 0x10, 0x7f] {
                let mut bad = good.clone();
                bad[at] = bad[at].wrapping_add(delta);
                assert!(decode_init(&bad).is_err(), "length at {at} + {delta}");
            }
        }
        // A huge length: four length bytes claiming 4 GiB.
        let huge = unhex("6084ffffffff0606 2b0601050502");
        assert_eq!(decode_init(&huge), Err(Malformed));
        let huge_resp = unhex("a184ffffff00 3000");
        assert_eq!(decode_resp(&huge_resp), Err(Malformed));
        // Not SPNEGO: another mechanism's OID in the framing.
        let mut other = good.clone();
        other[9] = 0x03;
        assert_eq!(decode_init(&other), Err(Malformed));
        // A NegTokenResp where a NegTokenInit belongs and vice versa.
        let resp = encode_resp(Some(NegState::AcceptIncomplete), None, None, None).unwrap();
        assert_eq!(decode_init(&resp), Err(Malformed));
        assert_eq!(decode_resp(&good), Err(Malformed));
        assert_eq!(decode_resp(&good[10..]), Err(Malformed));
        // An unknown negState value.
        assert_eq!(decode_resp(&unhex("a107 3005 a003 0a0109")), Err(Malformed));
        // Garbage and emptiness.
        assert_eq!(decode_resp(b""), Err(Malformed));
        assert_eq!(decode_resp(b"NTLMSSP\0\x02\0\0\0"), Err(Malformed));
        assert_eq!(decode_init(&[0x60]), Err(Malformed));
    }

    #[test]
    fn init2_matches_windows_layout() {
        // Windows' SMB NegTokenInit2 with NTLM alone: mechTypes and the
        // hint name.
        let token = encode_init2(&[NTLM]).unwrap();
        let mut expected = unhex(
            "6048 0606 2b0601050502 a03e 303c a00e 300c 060a 2b06010401823702020a
             a32a 3028 a026 1b24",
        );
        expected.extend_from_slice(b"not_defined_in_RFC4178@please_ignore");
        assert_eq!(token, expected);
        // It is not a NegTokenInit (its [3] is not an OCTET STRING).
        assert_eq!(decode_init(&token), Err(Malformed));
        assert!(looks_framed(&token));
    }

    #[test]
    fn long_mech_lists_are_refused() {
        let many = vec![NTLM; MAX_MECHS];
        let token = encode_init(&many, None).unwrap();
        assert_eq!(decode_init(&token).unwrap().mech_types.0.len(), MAX_MECHS);
        let too_many = vec![NTLM; MAX_MECHS + 1];
        let token = encode_init(&too_many, None).unwrap();
        assert_eq!(decode_init(&token), Err(Malformed));
    }

    #[test]
    fn framing_is_recognised() {
        assert!(looks_framed(&encode_init(&[NTLM], None).unwrap()));
        assert!(!looks_framed(b"NTLMSSP\0\x01"));
        assert!(!looks_framed(&[]));
    }

    #[test]
    fn long_tokens_round_trip() {
        // Tokens across every DER length form, up to three length bytes.
        for n in [0usize, 1, 100, 127, 128, 200, 255, 256, 3000, 65535, 65536] {
            let inner = vec![0x5Au8; n];
            let init = encode_init(&[NTLM], Some(&inner)).unwrap();
            assert_eq!(first_tlv_len(&init), Some(init.len()), "init {n}");
            let expected = Some(&inner[..]);
            assert_eq!(bytes(decode_init(&init).unwrap().mech_token), expected);
            let resp = encode_resp(None, None, Some(&inner), Some(&[7; 16])).unwrap();
            assert_eq!(first_tlv_len(&resp), Some(resp.len()), "resp {n}");
            let parsed = decode_resp(&resp).unwrap();
            assert_eq!(bytes(parsed.response_token), expected);
            assert_eq!(bytes(parsed.mech_list_mic), Some(&[7u8; 16][..]));
        }
    }
}
