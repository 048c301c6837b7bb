//! The NTLMv2 key and response computations of MS-NLMP 3.3.2 and 3.4.5,
//! built on RustCrypto's MD4, MD5, HMAC and RC4.

use hmac::{Hmac, KeyInit, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use zeroize::Zeroizing;

use super::flags::{NEGOTIATE_128, NEGOTIATE_56};
use super::text::{upcase, utf16le};
use crate::crypto::rc4::Keystream;

type HmacMd5 = Hmac<Md5>;

/// Magic constant for the client-to-server signing key (MS-NLMP 3.4.5.2).
const CLIENT_SIGN_MAGIC: &[u8] = b"session key to client-to-server signing key magic constant\0";
/// Magic constant for the server-to-client signing key.
const SERVER_SIGN_MAGIC: &[u8] = b"session key to server-to-client signing key magic constant\0";
/// Magic constant for the client-to-server sealing key (MS-NLMP 3.4.5.3).
const CLIENT_SEAL_MAGIC: &[u8] = b"session key to client-to-server sealing key magic constant\0";
/// Magic constant for the server-to-client sealing key.
const SERVER_SEAL_MAGIC: &[u8] = b"session key to server-to-client sealing key magic constant\0";

/// Length of the fixed NTLMv2 blob header before the AV pairs:
/// RespType, HiRespType, Z(6), TimeStamp, ChallengeFromClient, Z(4).
pub const BLOB_HEADER_LEN: usize = 28;

/// Which way a message travels; selects the signing and sealing keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Initiator to acceptor.
    ClientToServer,
    /// Acceptor to initiator.
    ServerToClient,
}

/// MD5 over the concatenation of `parts`.
pub fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

/// HMAC-MD5 with a 16-byte key over the concatenation of `parts`.
pub fn hmac_md5(key: &[u8; 16], parts: &[&[u8]]) -> [u8; 16] {
    hmac_md5_iter(key, parts.iter().copied())
}

/// HMAC-MD5 with a 16-byte key over the concatenation of the slices that
/// `parts` yields.
pub fn hmac_md5_iter<'a>(key: &[u8; 16], parts: impl IntoIterator<Item = &'a [u8]>) -> [u8; 16] {
    KeyedHmacMd5::new(key).mac(parts)
}

/// HMAC-MD5 keyed once: the inner and outer pads are hashed when the key is
/// set, so each message costs only its own blocks (the signing keys of a
/// session).
#[derive(Clone)]
pub struct KeyedHmacMd5(HmacMd5);

impl KeyedHmacMd5 {
    /// HMAC-MD5 state for a 16-byte key.
    pub fn new(key: &[u8; 16]) -> Self {
        // HMAC zero-pads keys shorter than the hash block (RFC 2104, step
        // 1), so the padded 64-byte key is the same key; using it selects
        // HMAC's fixed-size, infallible constructor.
        let mut padded = Zeroizing::new([0u8; 64]);
        padded[..16].copy_from_slice(key);
        KeyedHmacMd5(HmacMd5::new((&*padded).into()))
    }

    /// The MAC of the concatenation of the slices `parts` yields.
    pub fn mac<'a>(&self, parts: impl IntoIterator<Item = &'a [u8]>) -> [u8; 16] {
        let mut mac = self.begin();
        for part in parts {
            mac.update(part);
        }
        mac.finish()
    }

    /// A MAC computation to feed piece by piece.
    pub fn begin(&self) -> MacInProgress {
        MacInProgress(self.0.clone())
    }
}

/// An HMAC-MD5 computation under way (see `KeyedHmacMd5::begin`).
pub struct MacInProgress(HmacMd5);

impl MacInProgress {
    /// Adds bytes to the message.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The MAC of everything added.
    pub fn finish(self) -> [u8; 16] {
        self.0.finalize().into_bytes().into()
    }
}

/// NTOWFv1: MD4 of the UTF-16LE password, the "NT hash".
pub fn nt_hash(password: &str) -> Zeroizing<[u8; 16]> {
    let encoded = Zeroizing::new(utf16le(password));
    let mut h = Md4::new();
    h.update(&*encoded);
    Zeroizing::new(h.finalize().into())
}

/// NTOWFv2 (= LMOWFv2): HMAC-MD5 keyed by the NT hash over
/// UTF-16LE(upper-cased user || domain as given).
pub fn ntowf_v2(nt_hash: &[u8; 16], user: &str, domain: &str) -> Zeroizing<[u8; 16]> {
    let user = utf16le(&upcase(user));
    let domain = utf16le(domain);
    Zeroizing::new(hmac_md5(nt_hash, &[&user, &domain]))
}

/// The NTLMv2 blob ("temp" in MS-NLMP 3.3.2): header, then `av_pairs`
/// (which must end with MsvAvEOL), then the four trailing zero bytes.
pub fn ntlmv2_blob(timestamp: u64, client_challenge: &[u8; 8], av_pairs: &[u8]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(BLOB_HEADER_LEN + av_pairs.len() + 4);
    blob.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    blob.extend_from_slice(&timestamp.to_le_bytes());
    blob.extend_from_slice(client_challenge);
    blob.extend_from_slice(&[0; 4]);
    blob.extend_from_slice(av_pairs);
    blob.extend_from_slice(&[0; 4]);
    blob
}

/// NTProofStr: HMAC-MD5(ResponseKeyNT, ServerChallenge || blob), over the
/// blob bytes exactly as sent.
#[cfg(test)]
pub fn nt_proof(response_key: &[u8; 16], server_challenge: &[u8; 8], blob: &[u8]) -> [u8; 16] {
    hmac_md5(response_key, &[server_challenge, blob])
}

/// The LMv2 response: HMAC-MD5(ResponseKeyLM, ServerChallenge ||
/// ClientChallenge) || ClientChallenge.
pub fn lmv2_response(
    response_key: &[u8; 16],
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
) -> [u8; 24] {
    let proof = hmac_md5(response_key, &[server_challenge, client_challenge]);
    let mut out = [0u8; 24];
    out[..16].copy_from_slice(&proof);
    out[16..].copy_from_slice(client_challenge);
    out
}

/// NTLMv2 SessionBaseKey: HMAC-MD5(ResponseKeyNT, NTProofStr). For NTLMv2
/// this is also the KeyExchangeKey (KXKEY).
#[cfg(test)]
pub fn session_base_key(response_key: &[u8; 16], nt_proof: &[u8; 16]) -> Zeroizing<[u8; 16]> {
    Zeroizing::new(hmac_md5(response_key, &[nt_proof]))
}

/// `nt_proof` and `session_base_key` together, keying HMAC-MD5 once.
pub fn nt_proof_and_base_key(
    response_key: &[u8; 16],
    server_challenge: &[u8; 8],
    blob: &[u8],
) -> ([u8; 16], Zeroizing<[u8; 16]>) {
    let keyed = KeyedHmacMd5::new(response_key);
    let proof = keyed.mac([&server_challenge[..], blob]);
    let base = Zeroizing::new(keyed.mac(core::iter::once(&proof[..])));
    (proof, base)
}

/// RC4K: RC4 of 16 bytes under a 16-byte key, a fresh keystream each time.
/// Encrypts and decrypts the random session key in the key exchange.
pub fn rc4k(key: &[u8; 16], data: &[u8; 16]) -> Zeroizing<[u8; 16]> {
    let mut out = Zeroizing::new(*data);
    Keystream::new(key).apply(&mut out[..]);
    out
}

/// SIGNKEY with extended session security: MD5(ExportedSessionKey || magic).
pub fn sign_key(exported_session_key: &[u8; 16], direction: Direction) -> Zeroizing<[u8; 16]> {
    let magic = match direction {
        Direction::ClientToServer => CLIENT_SIGN_MAGIC,
        Direction::ServerToClient => SERVER_SIGN_MAGIC,
    };
    Zeroizing::new(md5(&[exported_session_key, magic]))
}

/// SEALKEY with extended session security: MD5 of the first 16, 7 or 5
/// bytes of ExportedSessionKey (128-bit, 56-bit or 40-bit per `flags`)
/// followed by the magic constant.
pub fn seal_key(
    exported_session_key: &[u8; 16],
    flags: u32,
    direction: Direction,
) -> Zeroizing<[u8; 16]> {
    let magic = match direction {
        Direction::ClientToServer => CLIENT_SEAL_MAGIC,
        Direction::ServerToClient => SERVER_SEAL_MAGIC,
    };
    let used = if flags & NEGOTIATE_128 != 0 {
        16
    } else if flags & NEGOTIATE_56 != 0 {
        7
    } else {
        5
    };
    let key = exported_session_key
        .get(..used)
        .unwrap_or(exported_session_key);
    Zeroizing::new(md5(&[key, magic]))
}

/// The MIC: HMAC-MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE ||
/// AUTHENTICATE), the last with its MIC field zeroed.
pub fn mic(
    exported_session_key: &[u8; 16],
    negotiate: &[u8],
    challenge: &[u8],
    authenticate_zeroed_mic: &[u8],
) -> [u8; 16] {
    hmac_md5(
        exported_session_key,
        &[negotiate, challenge, authenticate_zeroed_mic],
    )
}

pub use crate::crypto::ct_eq;

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Decodes a hex string with optional spaces; test helper.
    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        digits
            .chunks(2)
            .map(|pair| {
                let text = std::str::from_utf8(pair).expect("ascii");
                u8::from_str_radix(text, 16).expect("hex digit")
            })
            .collect()
    }

    pub(crate) fn hex16(s: &str) -> [u8; 16] {
        hex(s).try_into().expect("16 bytes")
    }

    // MS-NLMP 4.2.1 common values.
    pub(crate) const SERVER_CHALLENGE: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
    pub(crate) const CLIENT_CHALLENGE: [u8; 8] = [0xaa; 8];
    pub(crate) const RANDOM_SESSION_KEY: [u8; 16] = [0x55; 16];
    /// MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server", MsvAvEOL.
    pub(crate) fn kat_target_info() -> Vec<u8> {
        hex("02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000")
    }

    #[test]
    fn hmac_md5_rfc2202_case1() {
        let key = [0x0b; 16];
        assert_eq!(
            hmac_md5(&key, &[b"Hi ", b"There"]),
            hex16("9294727a3638bb1c13f48ef8158bfc9d")
        );
    }

    #[test]
    fn ntowf_known_answers() {
        let nt = nt_hash("Password");
        assert_eq!(*nt, hex16("a4f49c406510bdcab6824ee7c30fd852"));
        let v2 = ntowf_v2(&nt, "User", "Domain");
        assert_eq!(*v2, hex16("0c868a403bfd7a93a3001ef22ef02e3f"));
        // The user name is upper-cased, the domain is not.
        assert_eq!(*ntowf_v2(&nt, "USER", "Domain"), *v2);
        assert_ne!(*ntowf_v2(&nt, "User", "DOMAIN"), *v2);
    }

    #[test]
    fn ntlmv2_response_known_answers() {
        let key = ntowf_v2(&nt_hash("Password"), "User", "Domain");
        let blob = ntlmv2_blob(0, &CLIENT_CHALLENGE, &kat_target_info());
        assert_eq!(
            blob,
            hex(
                "0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000 \
                 02000c0044006f006d00610069006e00 01000c00530065007200760065007200 \
                 0000000000000000"
            )
        );
        let proof = nt_proof(&key, &SERVER_CHALLENGE, &blob);
        assert_eq!(proof, hex16("68cd0ab851e51c96aabc927bebef6a1c"));
        assert_eq!(
            lmv2_response(&key, &SERVER_CHALLENGE, &CLIENT_CHALLENGE).to_vec(),
            hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
        );
        let base = session_base_key(&key, &proof);
        assert_eq!(*base, hex16("8de40ccadbc14a82f15cb0ad0de95ca3"));
        let encrypted = rc4k(&base, &RANDOM_SESSION_KEY);
        assert_eq!(*encrypted, hex16("c5dad2544fc9799094ce1ce90bc9d03e"));
        assert_eq!(*rc4k(&base, &encrypted), RANDOM_SESSION_KEY);
    }

    #[test]
    fn sign_and_seal_keys_known_answers() {
        let flags = super::super::flags::NEGOTIATE_128;
        let k = &RANDOM_SESSION_KEY;
        assert_eq!(
            *seal_key(k, flags, Direction::ClientToServer),
            hex16("59f600973cc4960a25480a7c196e4c58")
        );
        assert_eq!(
            *sign_key(k, Direction::ClientToServer),
            hex16("4788dc861b4782f35d43fd98fe1a2d39")
        );
        assert_eq!(
            *seal_key(k, flags, Direction::ServerToClient),
            hex16("9355f3a957c1583d25c4c2f11e40390e")
        );
        assert_eq!(
            *sign_key(k, Direction::ServerToClient),
            hex16("d04d6f10741041d1d246d64188d7a8ad")
        );
        // Weaker key lengths hash fewer bytes of the session key.
        assert_eq!(
            *seal_key(k, NEGOTIATE_56, Direction::ClientToServer),
            md5(&[&k[..7], CLIENT_SEAL_MAGIC])
        );
        assert_eq!(
            *seal_key(k, 0, Direction::ClientToServer),
            md5(&[&k[..5], CLIENT_SEAL_MAGIC])
        );
    }
}
