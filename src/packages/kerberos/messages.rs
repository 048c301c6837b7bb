//! Kerberos V5's messages (RFC 4120 section 5), encoded and decoded with the
//! `der` crate's derived codecs.
//!
//! Decoding is strict DER with every length checked against the input, so a
//! message can make the decoder allocate only in proportion to its own size.
//! Tickets are kept as their DER bytes (`RawTicket`): a client never reads
//! one, and stores and re-sends it unchanged.

use der::asn1::{GeneralizedTime, OctetString};

use super::crypto::{Enctype, Key};
use der::{
    Decode, DecodeValue, Encode, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tag,
    TagNumber, Writer,
};

/// A message that is not well-formed Kerberos DER.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

impl From<der::Error> for Malformed {
    fn from(_: der::Error) -> Self {
        Malformed
    }
}

/// Message types (RFC 4120 section 7.5.7).
#[allow(dead_code)] // vocabulary, used as the package grows
pub mod msg_type {
    pub const AS_REQ: i32 = 10;
    pub const AS_REP: i32 = 11;
    pub const TGS_REQ: i32 = 12;
    pub const TGS_REP: i32 = 13;
    pub const AP_REQ: i32 = 14;
    pub const AP_REP: i32 = 15;
    pub const KRB_CRED: i32 = 22;
    pub const KRB_ERROR: i32 = 30;
}

/// Pre-authentication data types (RFC 4120 section 7.5.2, RFC 6113).
#[allow(dead_code)] // vocabulary, used as the package grows
pub mod pa_type {
    pub const TGS_REQ: i32 = 1;
    pub const ENC_TIMESTAMP: i32 = 2;
    pub const ETYPE_INFO2: i32 = 19;
    pub const PAC_REQUEST: i32 = 128;
}

/// Name types (RFC 4120 section 6.2).
#[allow(dead_code)] // vocabulary, used as the package grows
pub mod name_type {
    pub const UNKNOWN: i32 = 0;
    pub const PRINCIPAL: i32 = 1;
    pub const SRV_INST: i32 = 2;
    pub const SRV_HST: i32 = 3;
    pub const ENTERPRISE: i32 = 10;
}

/// The protocol version every message carries.
pub const PVNO: i32 = 5;

/// `[APPLICATION N] T`, EXPLICIT (RFC 4120's module uses explicit tags).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App<const N: u32, T>(pub T);

impl<'a, const N: u32, T: Decode<'a, Error = der::Error>> DecodeValue<'a> for App<N, T> {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, _header: Header) -> der::Result<Self> {
        T::decode(reader).map(App)
    }
}

impl<const N: u32, T: Encode> EncodeValue for App<N, T> {
    fn value_len(&self) -> der::Result<Length> {
        self.0.encoded_len()
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.0.encode(writer)
    }
}

impl<const N: u32, T> FixedTag for App<N, T> {
    const TAG: Tag = Tag::Application {
        constructed: true,
        number: TagNumber(N),
    };
}

/// KerberosString: a GeneralString, taken as UTF-8 (what MIT and Windows
/// send for non-ASCII names).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KerberosString(pub String);

impl<'a> DecodeValue<'a> for KerberosString {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let bytes = reader.read_slice(header.length())?;
        let s = std::str::from_utf8(bytes).map_err(|_| {
            reader.error(der::ErrorKind::Value {
                tag: Tag::GeneralString,
            })
        })?;
        Ok(KerberosString(s.to_owned()))
    }
}

impl EncodeValue for KerberosString {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.0.len())
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(self.0.as_bytes())
    }
}

impl FixedTag for KerberosString {
    const TAG: Tag = Tag::GeneralString;
}

impl From<&str> for KerberosString {
    fn from(s: &str) -> Self {
        KerberosString(s.to_owned())
    }
}

/// UInt32 (nonces, sequence numbers, key versions). Microsoft's
/// implementations have sent these as negative Int32; both are taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UInt32(pub u32);

impl<'a> DecodeValue<'a> for UInt32 {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let n = i64::decode_value(reader, header)?;
        if !(i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&n) {
            return Err(reader.error(der::ErrorKind::Overflow));
        }
        Ok(UInt32(n as u32))
    }
}

impl EncodeValue for UInt32 {
    fn value_len(&self) -> der::Result<Length> {
        self.0.value_len()
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.0.encode_value(writer)
    }
}

impl FixedTag for UInt32 {
    const TAG: Tag = Tag::Integer;
}

/// KDCOptions, TicketFlags and APOptions: a BIT STRING whose first 32 bits
/// are the flags, bit 0 the most significant of the `u32`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags32(pub u32);

impl Flags32 {
    /// Whether RFC 4120's bit `n` (0 = the first) is set.
    pub fn bit(self, n: u32) -> bool {
        n < 32 && self.0 & (0x8000_0000 >> n) != 0
    }
    /// These flags with RFC 4120's bit `n` set.
    pub fn with(self, n: u32) -> Flags32 {
        Flags32(self.0 | (0x8000_0000 >> n))
    }
}

impl<'a> DecodeValue<'a> for Flags32 {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let bytes = reader.read_slice(header.length())?;
        let (&unused, bits) = bytes.split_first().ok_or_else(|| {
            reader.error(der::ErrorKind::Length {
                tag: Tag::BitString,
            })
        })?;
        if unused > 7 || (bits.is_empty() && unused != 0) {
            return Err(reader.error(der::ErrorKind::Value {
                tag: Tag::BitString,
            }));
        }
        let mut word = [0u8; 4];
        for (w, b) in word.iter_mut().zip(bits) {
            *w = *b;
        }
        Ok(Flags32(u32::from_be_bytes(word)))
    }
}

impl EncodeValue for Flags32 {
    fn value_len(&self) -> der::Result<Length> {
        Ok(Length::new(5))
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(&[0])?;
        writer.write(&self.0.to_be_bytes())
    }
}

impl FixedTag for Flags32 {
    const TAG: Tag = Tag::BitString;
}

/// KerberosTime: GeneralizedTime without fractions, in seconds since the
/// Unix epoch.
pub type KerberosTime = GeneralizedTime;

/// A KerberosTime `secs` seconds after the Unix epoch.
pub fn time(secs: u64) -> Result<KerberosTime, Malformed> {
    Ok(GeneralizedTime::from_unix_duration(
        std::time::Duration::from_secs(secs),
    )?)
}

/// The seconds since the Unix epoch of a KerberosTime.
pub fn secs(t: &KerberosTime) -> u64 {
    t.to_unix_duration().as_secs()
}

/// OCTET STRING with its bytes owned.
pub fn octets(bytes: impl Into<Vec<u8>>) -> OctetString {
    OctetString::new(bytes.into()).expect("an OCTET STRING shorter than der's 256 MiB limit")
}

/// PrincipalName.
#[derive(Clone, Debug, Default, Sequence, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PrincipalName {
    #[asn1(context_specific = "0")]
    pub name_type: i32,
    #[asn1(context_specific = "1")]
    pub name_string: Vec<KerberosString>,
}

impl PrincipalName {
    /// A name of `name_type` from its components.
    pub fn new(name_type: i32, parts: &[&str]) -> PrincipalName {
        PrincipalName {
            name_type,
            name_string: parts.iter().map(|p| KerberosString::from(*p)).collect(),
        }
    }
    /// The components joined by `/`, as MIT writes a name.
    pub fn text(&self) -> String {
        let parts: Vec<&str> = self.name_string.iter().map(|s| s.0.as_str()).collect();
        parts.join("/")
    }
    /// The same components (the name type is not compared: RFC 4120
    /// section 6.2 says it is only a hint).
    pub fn same(&self, other: &PrincipalName) -> bool {
        self.name_string == other.name_string
    }
}

/// EncryptedData.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct EncryptedData {
    #[asn1(context_specific = "0")]
    pub etype: i32,
    #[asn1(context_specific = "1", optional = "true")]
    pub kvno: Option<UInt32>,
    #[asn1(context_specific = "2")]
    pub cipher: OctetString,
}

/// EncryptionKey.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct EncryptionKey {
    #[asn1(context_specific = "0")]
    pub keytype: i32,
    #[asn1(context_specific = "1")]
    pub keyvalue: OctetString,
}

impl EncryptionKey {
    /// The key, when its enctype is supported and its length right.
    pub fn key(&self) -> Option<Key> {
        Key::new(
            Enctype::from_number(self.keytype)?,
            self.keyvalue.as_bytes(),
        )
        .ok()
    }
}

/// Checksum.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct Checksum {
    #[asn1(context_specific = "0")]
    pub cksumtype: i32,
    #[asn1(context_specific = "1")]
    pub checksum: OctetString,
}

/// PA-DATA.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct PaData {
    #[asn1(context_specific = "1")]
    pub padata_type: i32,
    #[asn1(context_specific = "2")]
    pub padata_value: OctetString,
}

/// HostAddress.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct HostAddress {
    #[asn1(context_specific = "0")]
    pub addr_type: i32,
    #[asn1(context_specific = "1")]
    pub address: OctetString,
}

/// One AuthorizationData element.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct AuthorizationDataEntry {
    #[asn1(context_specific = "0")]
    pub ad_type: i32,
    #[asn1(context_specific = "1")]
    pub ad_data: OctetString,
}

/// A Ticket (`[APPLICATION 1]`) kept as its DER bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTicket(pub Vec<u8>);

impl<'a> DecodeValue<'a> for RawTicket {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let value = reader.read_slice(header.length())?;
        let mut der = header.to_der()?;
        der.extend_from_slice(value);
        Ok(RawTicket(der))
    }
}

impl RawTicket {
    /// The ticket's DER split into its header and its value.
    fn split(&self) -> der::Result<(Header, &[u8])> {
        let header = Header::decode(&mut der::SliceReader::new(&self.0)?)?;
        let head_len = usize::try_from(header.encoded_len()?)?;
        Ok((header, &self.0[head_len..]))
    }
}

impl EncodeValue for RawTicket {
    fn value_len(&self) -> der::Result<Length> {
        Ok(self.split()?.0.length())
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(self.split()?.1)
    }
}

impl FixedTag for RawTicket {
    const TAG: Tag = Tag::Application {
        constructed: true,
        number: TagNumber(1),
    };
}

impl RawTicket {
    /// The ticket's fields.
    pub fn fields(&self) -> Result<Ticket, Malformed> {
        Ok(App::<1, Ticket>::from_der(&self.0)?.0)
    }
    /// The DER of `ticket`.
    #[cfg(test)]
    pub fn encode(ticket: &Ticket) -> Result<RawTicket, Malformed> {
        Ok(RawTicket(encode_app::<1, _>(ticket)?))
    }
}

/// Ticket's SEQUENCE.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct Ticket {
    #[asn1(context_specific = "0")]
    pub tkt_vno: i32,
    #[asn1(context_specific = "1")]
    pub realm: KerberosString,
    #[asn1(context_specific = "2")]
    pub sname: PrincipalName,
    #[asn1(context_specific = "3")]
    pub enc_part: EncryptedData,
}

/// TransitedEncoding.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct TransitedEncoding {
    #[asn1(context_specific = "0")]
    pub tr_type: i32,
    #[asn1(context_specific = "1")]
    pub contents: OctetString,
}

/// EncTicketPart's SEQUENCE (`[APPLICATION 3]`).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct EncTicketPart {
    #[asn1(context_specific = "0")]
    pub flags: Flags32,
    #[asn1(context_specific = "1")]
    pub key: EncryptionKey,
    #[asn1(context_specific = "2")]
    pub crealm: KerberosString,
    #[asn1(context_specific = "3")]
    pub cname: PrincipalName,
    #[asn1(context_specific = "4")]
    pub transited: TransitedEncoding,
    #[asn1(context_specific = "5")]
    pub authtime: KerberosTime,
    #[asn1(context_specific = "6", optional = "true")]
    pub starttime: Option<KerberosTime>,
    #[asn1(context_specific = "7")]
    pub endtime: KerberosTime,
    #[asn1(context_specific = "8", optional = "true")]
    pub renew_till: Option<KerberosTime>,
    #[asn1(context_specific = "9", optional = "true")]
    pub caddr: Option<Vec<HostAddress>>,
    #[asn1(context_specific = "10", optional = "true")]
    pub authorization_data: Option<Vec<AuthorizationDataEntry>>,
}

/// KDC-REQ-BODY.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct KdcReqBody {
    #[asn1(context_specific = "0")]
    pub kdc_options: Flags32,
    #[asn1(context_specific = "1", optional = "true")]
    pub cname: Option<PrincipalName>,
    #[asn1(context_specific = "2")]
    pub realm: KerberosString,
    #[asn1(context_specific = "3", optional = "true")]
    pub sname: Option<PrincipalName>,
    #[asn1(context_specific = "4", optional = "true")]
    pub from: Option<KerberosTime>,
    #[asn1(context_specific = "5")]
    pub till: KerberosTime,
    #[asn1(context_specific = "6", optional = "true")]
    pub rtime: Option<KerberosTime>,
    #[asn1(context_specific = "7")]
    pub nonce: UInt32,
    #[asn1(context_specific = "8")]
    pub etype: Vec<i32>,
    #[asn1(context_specific = "9", optional = "true")]
    pub addresses: Option<Vec<HostAddress>>,
    #[asn1(context_specific = "10", optional = "true")]
    pub enc_authorization_data: Option<EncryptedData>,
    #[asn1(context_specific = "11", optional = "true")]
    pub additional_tickets: Option<Vec<RawTicket>>,
}

/// KDC-REQ (AS-REQ is `[APPLICATION 10]`, TGS-REQ `[APPLICATION 12]`).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct KdcReq {
    #[asn1(context_specific = "1")]
    pub pvno: i32,
    #[asn1(context_specific = "2")]
    pub msg_type: i32,
    #[asn1(context_specific = "3", optional = "true")]
    pub padata: Option<Vec<PaData>>,
    #[asn1(context_specific = "4")]
    pub req_body: KdcReqBody,
}

/// KDC-REP (AS-REP is `[APPLICATION 11]`, TGS-REP `[APPLICATION 13]`).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct KdcRep {
    #[asn1(context_specific = "0")]
    pub pvno: i32,
    #[asn1(context_specific = "1")]
    pub msg_type: i32,
    #[asn1(context_specific = "2", optional = "true")]
    pub padata: Option<Vec<PaData>>,
    #[asn1(context_specific = "3")]
    pub crealm: KerberosString,
    #[asn1(context_specific = "4")]
    pub cname: PrincipalName,
    #[asn1(context_specific = "5")]
    pub ticket: RawTicket,
    #[asn1(context_specific = "6")]
    pub enc_part: EncryptedData,
}

/// LastReq's element.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct LastReqEntry {
    #[asn1(context_specific = "0")]
    pub lr_type: i32,
    #[asn1(context_specific = "1")]
    pub lr_value: KerberosTime,
}

/// EncKDCRepPart (EncASRepPart is `[APPLICATION 25]`, EncTGSRepPart
/// `[APPLICATION 26]`; MIT and Windows both send 25 in a TGS-REP at times,
/// so either is taken).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct EncKdcRepPart {
    #[asn1(context_specific = "0")]
    pub key: EncryptionKey,
    #[asn1(context_specific = "1")]
    pub last_req: Vec<LastReqEntry>,
    #[asn1(context_specific = "2")]
    pub nonce: UInt32,
    #[asn1(context_specific = "3", optional = "true")]
    pub key_expiration: Option<KerberosTime>,
    #[asn1(context_specific = "4")]
    pub flags: Flags32,
    #[asn1(context_specific = "5")]
    pub authtime: KerberosTime,
    #[asn1(context_specific = "6", optional = "true")]
    pub starttime: Option<KerberosTime>,
    #[asn1(context_specific = "7")]
    pub endtime: KerberosTime,
    #[asn1(context_specific = "8", optional = "true")]
    pub renew_till: Option<KerberosTime>,
    #[asn1(context_specific = "9")]
    pub srealm: KerberosString,
    #[asn1(context_specific = "10")]
    pub sname: PrincipalName,
    #[asn1(context_specific = "11", optional = "true")]
    pub caddr: Option<Vec<HostAddress>>,
    #[asn1(context_specific = "12", optional = "true")]
    pub encrypted_pa_data: Option<Vec<PaData>>,
}

/// AP-REQ's SEQUENCE (`[APPLICATION 14]`).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct ApReq {
    #[asn1(context_specific = "0")]
    pub pvno: i32,
    #[asn1(context_specific = "1")]
    pub msg_type: i32,
    #[asn1(context_specific = "2")]
    pub ap_options: Flags32,
    #[asn1(context_specific = "3")]
    pub ticket: RawTicket,
    #[asn1(context_specific = "4")]
    pub authenticator: EncryptedData,
}

/// APOptions' bits.
pub mod ap_options {
    pub const USE_SESSION_KEY: u32 = 1;
    pub const MUTUAL_REQUIRED: u32 = 2;
}

/// Authenticator's SEQUENCE (`[APPLICATION 2]`).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct Authenticator {
    #[asn1(context_specific = "0")]
    pub authenticator_vno: i32,
    #[asn1(context_specific = "1")]
    pub crealm: KerberosString,
    #[asn1(context_specific = "2")]
    pub cname: PrincipalName,
    #[asn1(context_specific = "3", optional = "true")]
    pub cksum: Option<Checksum>,
    #[asn1(context_specific = "4")]
    pub cusec: i32,
    #[asn1(context_specific = "5")]
    pub ctime: KerberosTime,
    #[asn1(context_specific = "6", optional = "true")]
    pub subkey: Option<EncryptionKey>,
    #[asn1(context_specific = "7", optional = "true")]
    pub seq_number: Option<UInt32>,
    #[asn1(context_specific = "8", optional = "true")]
    pub authorization_data: Option<Vec<AuthorizationDataEntry>>,
}

/// AP-REP's SEQUENCE (`[APPLICATION 15]`).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct ApRep {
    #[asn1(context_specific = "0")]
    pub pvno: i32,
    #[asn1(context_specific = "1")]
    pub msg_type: i32,
    #[asn1(context_specific = "2")]
    pub enc_part: EncryptedData,
}

/// EncAPRepPart's SEQUENCE (`[APPLICATION 27]`).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct EncApRepPart {
    #[asn1(context_specific = "0")]
    pub ctime: KerberosTime,
    #[asn1(context_specific = "1")]
    pub cusec: i32,
    #[asn1(context_specific = "2", optional = "true")]
    pub subkey: Option<EncryptionKey>,
    #[asn1(context_specific = "3", optional = "true")]
    pub seq_number: Option<UInt32>,
}

/// KRB-ERROR's SEQUENCE (`[APPLICATION 30]`).
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct KrbError {
    #[asn1(context_specific = "0")]
    pub pvno: i32,
    #[asn1(context_specific = "1")]
    pub msg_type: i32,
    #[asn1(context_specific = "2", optional = "true")]
    pub ctime: Option<KerberosTime>,
    #[asn1(context_specific = "3", optional = "true")]
    pub cusec: Option<i32>,
    #[asn1(context_specific = "4")]
    pub stime: KerberosTime,
    #[asn1(context_specific = "5")]
    pub susec: i32,
    #[asn1(context_specific = "6")]
    pub error_code: i32,
    #[asn1(context_specific = "7", optional = "true")]
    pub crealm: Option<KerberosString>,
    #[asn1(context_specific = "8", optional = "true")]
    pub cname: Option<PrincipalName>,
    #[asn1(context_specific = "9")]
    pub realm: KerberosString,
    #[asn1(context_specific = "10")]
    pub sname: PrincipalName,
    #[asn1(context_specific = "11", optional = "true")]
    pub e_text: Option<KerberosString>,
    #[asn1(context_specific = "12", optional = "true")]
    pub e_data: Option<OctetString>,
}

/// KDC-PROXY-MESSAGE (MS-KKDCP 2.2.2): a Kerberos message as TCP frames
/// it (a 4-byte length first), and the realm it is for.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct KdcProxyMessage {
    #[asn1(context_specific = "0")]
    pub kerb_message: OctetString,
    #[asn1(context_specific = "1", optional = "true")]
    pub target_domain: Option<KerberosString>,
    #[asn1(context_specific = "2", optional = "true")]
    pub dclocator_hint: Option<i32>,
}

/// The KDC-PROXY-MESSAGE that carries `message` to a KDC of `realm`.
pub fn kdc_proxy_request(message: &[u8], realm: &str) -> Result<Vec<u8>, Malformed> {
    let len = u32::try_from(message.len()).map_err(|_| Malformed)?;
    let mut framed = Vec::with_capacity(4 + message.len());
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(message);
    let m = KdcProxyMessage {
        kerb_message: octets(framed),
        target_domain: Some(realm.into()),
        dclocator_hint: None,
    };
    Ok(der::Encode::to_der(&m)?)
}

/// The KDC's reply inside a KDC proxy's answer (its length checked).
pub fn kdc_proxy_reply(answer: &[u8]) -> Result<Vec<u8>, Malformed> {
    let m = <KdcProxyMessage as der::Decode>::from_der(answer)?;
    let framed = m.kerb_message.as_bytes();
    let (len, reply) = framed.split_first_chunk::<4>().ok_or(Malformed)?;
    if u32::from_be_bytes(*len) as usize != reply.len() {
        return Err(Malformed);
    }
    Ok(reply.to_vec())
}

/// KRB-ERROR codes this implementation acts on (RFC 4120 section 7.5.9).
#[allow(dead_code)] // vocabulary, used as the package grows
pub mod error_code {
    pub const KDC_ERR_C_PRINCIPAL_UNKNOWN: i32 = 6;
    pub const KDC_ERR_S_PRINCIPAL_UNKNOWN: i32 = 7;
    pub const KDC_ERR_ETYPE_NOSUPP: i32 = 14;
    pub const KDC_ERR_CLIENT_REVOKED: i32 = 18;
    pub const KDC_ERR_KEY_EXPIRED: i32 = 23;
    pub const KDC_ERR_PREAUTH_FAILED: i32 = 24;
    pub const KDC_ERR_PREAUTH_REQUIRED: i32 = 25;
    pub const KRB_AP_ERR_BAD_INTEGRITY: i32 = 31;
    pub const KRB_AP_ERR_TKT_EXPIRED: i32 = 32;
    pub const KRB_AP_ERR_REPEAT: i32 = 34;
    pub const KRB_AP_ERR_SKEW: i32 = 37;
    pub const KRB_AP_ERR_MODIFIED: i32 = 41;
    pub const KRB_ERR_RESPONSE_TOO_BIG: i32 = 52;
    pub const KRB_ERR_GENERIC: i32 = 60;
}

/// PA-ENC-TS-ENC.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct PaEncTsEnc {
    #[asn1(context_specific = "0")]
    pub patimestamp: KerberosTime,
    #[asn1(context_specific = "1", optional = "true")]
    pub pausec: Option<i32>,
}

/// ETYPE-INFO2-ENTRY.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct EtypeInfo2Entry {
    #[asn1(context_specific = "0")]
    pub etype: i32,
    #[asn1(context_specific = "1", optional = "true")]
    pub salt: Option<KerberosString>,
    #[asn1(context_specific = "2", optional = "true")]
    pub s2kparams: Option<OctetString>,
}

/// KERB-PA-PAC-REQUEST (MS-KILE 2.2.3), which Windows clients send.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct PaPacRequest {
    #[asn1(context_specific = "0")]
    pub include_pac: bool,
}

/// Decodes `[APPLICATION n] T` from `bytes`, ignoring nothing: trailing
/// bytes are malformed.
pub fn decode_app<'a, const N: u32, T: Decode<'a, Error = der::Error>>(
    bytes: &'a [u8],
) -> Result<T, Malformed> {
    Ok(App::<N, T>::from_der(bytes)?.0)
}

/// The DER of `[APPLICATION n] value`.
pub fn encode_app<const N: u32, T: Encode>(value: &T) -> Result<Vec<u8>, Malformed> {
    let inner = value.to_der()?;
    let header = Header::new(App::<N, ()>::TAG, Length::try_from(inner.len())?);
    let mut out = header.to_der()?;
    out.extend_from_slice(&inner);
    Ok(out)
}

/// The application tag number of a message's first byte (`0x6a` is 10),
/// to tell a KRB-ERROR from a reply.
pub fn app_tag(bytes: &[u8]) -> Option<u32> {
    let first = *bytes.first()?;
    (first & 0xe0 == 0x60 && first & 0x1f != 0x1f).then_some(u32::from(first & 0x1f))
}

/// A KDC's reply: the expected reply or its KRB-ERROR.
#[derive(Debug)]
pub enum KdcReply {
    Rep(KdcRep),
    Error(Box<KrbError>),
}

/// Decodes a KDC's reply to a request that expects `[APPLICATION rep]`.
pub fn decode_kdc_reply(bytes: &[u8], rep: u32) -> Result<KdcReply, Malformed> {
    match app_tag(bytes) {
        Some(30) => Ok(KdcReply::Error(Box::new(decode_app::<30, KrbError>(
            bytes,
        )?))),
        Some(11) if rep == 11 => Ok(KdcReply::Rep(decode_app::<11, KdcRep>(bytes)?)),
        Some(13) if rep == 13 => Ok(KdcReply::Rep(decode_app::<13, KdcRep>(bytes)?)),
        _ => Err(Malformed),
    }
}

/// Decodes an EncKDCRepPart under either of its application tags.
pub fn decode_enc_kdc_rep_part(bytes: &[u8]) -> Result<EncKdcRepPart, Malformed> {
    match app_tag(bytes) {
        Some(25) => decode_app::<25, EncKdcRepPart>(bytes),
        Some(26) => decode_app::<26, EncKdcRepPart>(bytes),
        _ => Err(Malformed),
    }
}

/// Decodes a SEQUENCE OF T (METHOD-DATA, ETYPE-INFO2).
pub fn decode_seq_of<'a, T: Decode<'a, Error = der::Error>>(
    bytes: &'a [u8],
) -> Result<Vec<T>, Malformed> {
    Ok(Vec::<T>::from_der(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_big_endian_bits() {
        let f = Flags32::default().with(1).with(8).with(27);
        assert_eq!(f.0, 0x4080_0010);
        assert_eq!(
            f.to_der().unwrap(),
            [0x03, 0x05, 0x00, 0x40, 0x80, 0x00, 0x10]
        );
        assert!(f.bit(1) && f.bit(8) && f.bit(27) && !f.bit(0));
        // A short BIT STRING (fewer than 32 bits) is padded with zeros.
        assert_eq!(
            Flags32::from_der(&[0x03, 0x02, 0x07, 0x80]).unwrap().0,
            0x8000_0000
        );
        assert_eq!(Flags32::from_der(&[0x03, 0x01, 0x00]).unwrap().0, 0);
        assert!(Flags32::from_der(&[0x03, 0x00]).is_err());
        assert!(Flags32::from_der(&[0x03, 0x02, 0x08, 0x00]).is_err());
    }

    #[test]
    fn uint32_takes_microsoft_negative_numbers() {
        assert_eq!(
            UInt32::from_der(&[0x02, 0x01, 0xff]).unwrap().0,
            0xffff_ffff
        );
        assert_eq!(
            UInt32::from_der(&[0x02, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff])
                .unwrap()
                .0,
            0xffff_ffff
        );
        assert_eq!(
            UInt32(0xffff_ffff).to_der().unwrap(),
            [0x02, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff]
        );
        assert!(UInt32::from_der(&[0x02, 0x05, 0x01, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn an_ap_rep_round_trips_under_its_application_tag() {
        let rep = ApRep {
            pvno: PVNO,
            msg_type: msg_type::AP_REP,
            enc_part: EncryptedData {
                etype: 18,
                kvno: None,
                cipher: octets(vec![1, 2, 3]),
            },
        };
        let der = encode_app::<15, _>(&rep).unwrap();
        assert_eq!(&der[..2], [0x6f, der.len() as u8 - 2]);
        assert_eq!(app_tag(&der), Some(15));
        assert_eq!(decode_app::<15, ApRep>(&der).unwrap(), rep);
        // Under another tag, or with a byte more, it is malformed.
        assert_eq!(decode_app::<14, ApRep>(&der).unwrap_err(), Malformed);
        let mut longer = der.clone();
        longer.push(0);
        assert_eq!(decode_app::<15, ApRep>(&longer).unwrap_err(), Malformed);
    }

    #[test]
    fn a_ticket_is_kept_as_its_der_and_re_sent_unchanged() {
        let ticket = Ticket {
            tkt_vno: PVNO,
            realm: "OPENSSPI.TEST".into(),
            sname: PrincipalName::new(name_type::SRV_INST, &["host", "localhost"]),
            enc_part: EncryptedData {
                etype: 18,
                kvno: Some(UInt32(2)),
                cipher: octets(vec![9; 40]),
            },
        };
        let raw = RawTicket::encode(&ticket).unwrap();
        assert_eq!(raw.0[0], 0x61);
        assert_eq!(raw.fields().unwrap(), ticket);
        let req = ApReq {
            pvno: PVNO,
            msg_type: msg_type::AP_REQ,
            ap_options: Flags32::default().with(ap_options::MUTUAL_REQUIRED),
            ticket: raw.clone(),
            authenticator: ticket.enc_part.clone(),
        };
        let der = encode_app::<14, _>(&req).unwrap();
        let back = decode_app::<14, ApReq>(&der).unwrap();
        assert_eq!(back.ticket, raw);
        assert_eq!(back.ticket.fields().unwrap().sname.text(), "host/localhost");
    }

    #[test]
    fn times_are_seconds_since_the_epoch() {
        let t = time(1_700_000_000).unwrap();
        assert_eq!(t.to_der().unwrap()[2..], *b"20231114221320Z");
        assert_eq!(secs(&t), 1_700_000_000);
    }
}
