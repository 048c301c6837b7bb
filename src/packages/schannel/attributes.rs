//! QueryContextAttributes for Schannel: stream sizes, the connection's
//! protocol and algorithms as Windows names them (ALG_IDs, cipher-suite
//! names), ALPN, the peer's certificate and the channel bindings.

use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, Reader, SliceReader, Tagged};
use ring::digest;
use rustls::{NamedGroup, ProtocolVersion, SupportedCipherSuite};

use crate::package::*;
use crate::vocabulary::*;

use super::context::{Negotiated, SchannelContext};

/// The answer to `attribute`.
pub fn query(
    info: &'static PackageInfo,
    ctx: &SchannelContext,
    attribute: u32,
) -> SecResult<ContextAttribute> {
    if attribute == SECPKG_ATTR_PACKAGE_INFO {
        return Ok(ContextAttribute::PackageInfo(info));
    }
    let (Some(n), Some(over)) = (ctx.negotiated(), ctx.overhead()) else {
        return Err(SEC_E_INVALID_HANDLE.into());
    };
    let client = ctx.role() == Role::Initiator;
    let cipher = Cipher::of(n.suite);
    match attribute {
        SECPKG_ATTR_STREAM_SIZES => Ok(ContextAttribute::StreamSizes {
            header: over.header as u32,
            trailer: over.trailer as u32,
            max_message: 16384,
            buffers: 4,
            block_size: cipher.block,
        }),
        SECPKG_ATTR_CONNECTION_INFO => Ok(ContextAttribute::ConnectionInfo([
            protocol_bits(n.version, client),
            cipher.alg,
            cipher.bits,
            cipher.prf,
            0,
            CALG_ECDH_EPHEM,
            group_bits(n.group),
        ])),
        SECPKG_ATTR_CIPHER_INFO => Ok(ContextAttribute::CipherInfo(Box::new(cipher_info(n)))),
        SECPKG_ATTR_APPLICATION_PROTOCOL => Ok(ContextAttribute::ApplicationProtocol(
            n.alpn.clone().unwrap_or_default(),
        )),
        SECPKG_ATTR_LOCAL_CERT_CONTEXT => n
            .local_certificate
            .as_ref()
            .map(|c| ContextAttribute::Certificate(attribute, c.to_vec()))
            .ok_or(SEC_E_NO_CREDENTIALS.into()),
        SECPKG_ATTR_REMOTE_CERT_CONTEXT => n
            .peer_certificates
            .first()
            .map(|c| ContextAttribute::Certificate(attribute, c.to_vec()))
            .ok_or(SEC_E_NO_CREDENTIALS.into()),
        SECPKG_ATTR_ENDPOINT_BINDINGS => {
            let server = if client {
                n.peer_certificates.first()
            } else {
                n.local_certificate.as_ref()
            };
            let server = server.ok_or(SEC_E_NO_CREDENTIALS)?;
            Ok(ContextAttribute::Bindings(
                attribute,
                channel_bindings(b"tls-server-end-point:", &end_point_hash(server)),
            ))
        }
        // RFC 5929's tls-unique: TLS 1.2 only (TLS 1.3 has none, RFC 9266).
        SECPKG_ATTR_UNIQUE_BINDINGS => n
            .tls_unique
            .map(|v| ContextAttribute::Bindings(attribute, channel_bindings(b"tls-unique:", &v)))
            .ok_or(SEC_E_UNSUPPORTED_FUNCTION.into()),
        // No resumption: never SSL_SESSION_RECONNECT, and no session id.
        SECPKG_ATTR_SESSION_INFO => Ok(ContextAttribute::SessionInfo {
            flags: 0,
            id: Vec::new(),
        }),
        _ => Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
    }
}

/// SP_PROT_* of the version for this side.
fn protocol_bits(version: ProtocolVersion, client: bool) -> u32 {
    match (version, client) {
        (ProtocolVersion::TLSv1_3, true) => SP_PROT_TLS1_3_CLIENT,
        (ProtocolVersion::TLSv1_3, false) => SP_PROT_TLS1_3_SERVER,
        (_, true) => SP_PROT_TLS1_2_CLIENT,
        (_, false) => SP_PROT_TLS1_2_SERVER,
    }
}

/// The key exchange's strength in bits.
fn group_bits(group: Option<NamedGroup>) -> u32 {
    match group {
        Some(NamedGroup::X25519) => 255,
        Some(NamedGroup::secp256r1) => 256,
        Some(NamedGroup::secp384r1) => 384,
        Some(NamedGroup::secp521r1) => 521,
        _ => 0,
    }
}

/// A suite's cipher as Windows describes it.
struct Cipher {
    /// ALG_ID (0 for ChaCha20-Poly1305, which has none).
    alg: u32,
    bits: u32,
    block: u32,
    /// The PRF's hash ALG_ID (AEAD suites have no MAC hash).
    prf: u32,
    name: &'static str,
}

impl Cipher {
    fn of(suite: SupportedCipherSuite) -> Cipher {
        let name = format!("{:?}", suite.suite());
        let prf = if name.ends_with("SHA384") {
            CALG_SHA_384
        } else {
            CALG_SHA_256
        };
        if name.contains("AES_128") {
            Cipher {
                alg: CALG_AES_128,
                bits: 128,
                block: 16,
                prf,
                name: "AES",
            }
        } else if name.contains("AES_256") {
            Cipher {
                alg: CALG_AES_256,
                bits: 256,
                block: 16,
                prf,
                name: "AES",
            }
        } else {
            Cipher {
                alg: 0,
                bits: 256,
                block: 1,
                prf,
                name: "CHACHA20_POLY1305",
            }
        }
    }
}

/// SecPkgContext_CipherInfo's values.
fn cipher_info(n: &Negotiated) -> CipherInfo {
    let cipher = Cipher::of(n.suite);
    let id = u16::from(n.suite.suite());
    // rustls names TLS 1.3 suites TLS13_*; Windows uses the IANA names.
    let suite_name = format!("{:?}", n.suite.suite()).replacen("TLS13_", "TLS_", 1);
    let certificate = n
        .peer_certificates
        .first()
        .or(n.local_certificate.as_ref())
        .map(|c| certificate_key_name(c))
        .unwrap_or("");
    CipherInfo {
        protocol: u32::from(u16::from(n.version)),
        suite: u32::from(id),
        suite_name,
        cipher: cipher.name,
        cipher_len: cipher.bits,
        cipher_block_len: cipher.block,
        hash: "",
        hash_len: 0,
        exchange: "ECDH",
        min_exchange_len: 0,
        max_exchange_len: 65536,
        certificate,
        key_type: n.group.map(|g| u32::from(u16::from(g))).unwrap_or(0),
    }
}

/// "RSA" or "ECDSA", from the certificate's subject public key.
fn certificate_key_name(cert: &[u8]) -> &'static str {
    match key_oid(cert).map(|o| o.to_string()).as_deref() {
        Some("1.2.840.10045.2.1") => "ECDSA",
        Some("1.2.840.113549.1.1.1") | Some("1.2.840.113549.1.1.10") => "RSA",
        _ => "",
    }
}

/// The algorithm OID of a certificate's subjectPublicKeyInfo.
fn key_oid(cert: &[u8]) -> Option<ObjectIdentifier> {
    public_key_info(cert).map(|(oid, _)| oid)
}

/// A certificate's SubjectPublicKey: the BIT STRING's bits of its
/// subjectPublicKeyInfo (for RSA, the DER RSAPublicKey), what CredSSP binds.
pub fn subject_public_key(cert: &[u8]) -> Option<Vec<u8>> {
    public_key_info(cert).map(|(_, key)| key)
}

/// The subjectPublicKeyInfo's algorithm OID and key bits.
fn public_key_info(cert: &[u8]) -> Option<(ObjectIdentifier, Vec<u8>)> {
    let mut reader = SliceReader::new(cert).ok()?;
    reader
        .sequence(|r| {
            let tbs = AnyRef::decode(r)?;
            let rest = r.remaining_len();
            r.read_slice(rest)?;
            let mut t = SliceReader::new(tbs.value())?;
            let mut fields = Vec::new();
            while !t.is_finished() && fields.len() < 7 {
                fields.push(AnyRef::decode(&mut t)?);
            }
            let versioned = fields
                .first()
                .is_some_and(|f| f.tag().is_context_specific());
            let spki = fields
                .get(if versioned { 6 } else { 5 })
                .ok_or(der::Error::from(der::ErrorKind::Failed))?;
            let mut s = SliceReader::new(spki.value())?;
            let oid = s.sequence(|a| {
                let oid = ObjectIdentifier::decode(a)?;
                let rest = a.remaining_len();
                a.read_slice(rest)?;
                Ok::<_, der::Error>(oid)
            })?;
            let key = der::asn1::BitStringRef::decode(&mut s)?;
            let bits = key
                .as_bytes()
                .ok_or(der::Error::from(der::ErrorKind::Failed))?;
            Ok::<_, der::Error>((oid, bits.to_vec()))
        })
        .ok()
}

/// The signature algorithm's OID of a certificate.
fn signature_oid(cert: &[u8]) -> Option<ObjectIdentifier> {
    let mut reader = SliceReader::new(cert).ok()?;
    reader
        .sequence(|r| {
            let _tbs = AnyRef::decode(r)?;
            let oid = r.sequence(|r| {
                let oid = ObjectIdentifier::decode(r)?;
                let rest = r.remaining_len();
                r.read_slice(rest)?;
                Ok::<_, der::Error>(oid)
            })?;
            let _signature = AnyRef::decode(r)?;
            Ok::<_, der::Error>(oid)
        })
        .ok()
}

/// RFC 5929 section 4.1: the certificate's hash with its signature's
/// hash function, SHA-256 for MD5, SHA-1 and anything else.
pub fn end_point_hash(cert: &[u8]) -> Vec<u8> {
    const SHA384: [&str; 2] = ["1.2.840.113549.1.1.12", "1.2.840.10045.4.3.3"];
    const SHA512: [&str; 2] = ["1.2.840.113549.1.1.13", "1.2.840.10045.4.3.4"];
    let oid = signature_oid(cert)
        .map(|o| o.to_string())
        .unwrap_or_default();
    let algorithm = if SHA384.contains(&oid.as_str()) {
        &digest::SHA384
    } else if SHA512.contains(&oid.as_str()) {
        &digest::SHA512
    } else {
        &digest::SHA256
    };
    digest::digest(algorithm, cert).as_ref().to_vec()
}

/// A SEC_CHANNEL_BINDINGS with `prefix || value` as application data, as
/// Schannel fills it: every address field zero, the data after the
/// 32-byte header.
pub fn channel_bindings(prefix: &[u8], value: &[u8]) -> Vec<u8> {
    let data_len = (prefix.len() + value.len()) as u32;
    let mut b = Vec::with_capacity(32 + data_len as usize);
    for field in [0u32, 0, 0, 0, 0, 0, data_len, 32] {
        b.extend_from_slice(&field.to_ne_bytes());
    }
    b.extend_from_slice(prefix);
    b.extend_from_slice(value);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_have_windows_layout() {
        let b = channel_bindings(b"tls-server-end-point:", &[7u8; 32]);
        assert_eq!(b.len(), 32 + 21 + 32);
        assert_eq!(u32::from_ne_bytes(b[24..28].try_into().unwrap()), 53);
        assert_eq!(u32::from_ne_bytes(b[28..32].try_into().unwrap()), 32);
        assert!(b[..24].iter().all(|&x| x == 0));
        assert_eq!(&b[32..53], b"tls-server-end-point:");
    }
}
