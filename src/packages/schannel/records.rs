//! The TLS record layer after the handshake (RFC 5246 section 6.2, RFC 5288,
//! RFC 7905, RFC 8446 section 5): records sealed and opened in the caller's
//! buffers, with ring's AEADs and the traffic keys rustls derived.
//!
//! rustls runs the handshake; once it is over its keys are taken
//! (`dangerous_into_kernel_connection`) so that EncryptMessage and
//! DecryptMessage work in place, as Windows' Schannel does, instead of
//! copying every record through rustls' buffers.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use rustls::ConnectionTrafficSecrets;

use crate::error::SecResult;
use crate::vocabulary::*;

/// Record content types (RFC 8446 section 5.1).
pub const CHANGE_CIPHER_SPEC: u8 = 20;
pub const ALERT: u8 = 21;
pub const HANDSHAKE: u8 = 22;
pub const APPLICATION_DATA: u8 = 23;

/// A record header's length.
pub const HEADER_LEN: usize = 5;
/// The most plaintext a record carries (2^14).
pub const MAX_PLAINTEXT: usize = 16384;
/// The longest record body accepted: TLS 1.3's 2^14 + 256 (RFC 8446
/// section 5.2); TLS 1.2 allows 2^14 + 2048 of ciphertext, which no AEAD
/// suite needs.
pub const MAX_BODY: usize = MAX_PLAINTEXT + 256;
/// An AEAD tag's length (every suite rustls offers).
pub const TAG_LEN: usize = 16;
/// TLS 1.2 AES-GCM's explicit nonce, sent before the ciphertext.
const EXPLICIT_NONCE_LEN: usize = 8;

/// A record's header, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub content_type: u8,
    /// The body's length.
    pub len: usize,
}

/// What the start of `bytes` holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Framing {
    /// A whole record of this many bytes, header included.
    Record(Header, usize),
    /// The record is cut short: this many more bytes are needed.
    Missing(usize),
    /// Not a TLS record.
    Invalid,
}

/// How the record at the start of `bytes` is framed. A header is checked
/// for a known content type, a 3.x version and a length within the limit.
pub fn frame(bytes: &[u8]) -> Framing {
    if bytes.len() < HEADER_LEN {
        return Framing::Missing(HEADER_LEN - bytes.len());
    }
    let content_type = bytes[0];
    let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    if !(CHANGE_CIPHER_SPEC..=APPLICATION_DATA).contains(&content_type)
        || bytes[1] != 3
        || len > MAX_BODY + 1792
    {
        return Framing::Invalid;
    }
    let total = HEADER_LEN + len;
    if bytes.len() < total {
        return Framing::Missing(total - bytes.len());
    }
    Framing::Record(Header { content_type, len }, total)
}

/// The protocol a record layer speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Tls12,
    Tls13,
}

/// One direction's key, IV and sequence number.
struct Direction {
    key: LessSafeKey,
    iv: [u8; aead::NONCE_LEN],
    seq: u64,
}

impl Direction {
    fn new(seq: u64, secrets: &ConnectionTrafficSecrets) -> SecResult<Self> {
        let (algorithm, key, iv) = match secrets {
            ConnectionTrafficSecrets::Aes128Gcm { key, iv } => (&aead::AES_128_GCM, key, iv),
            ConnectionTrafficSecrets::Aes256Gcm { key, iv } => (&aead::AES_256_GCM, key, iv),
            ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => {
                (&aead::CHACHA20_POLY1305, key, iv)
            }
            _ => return Err(SEC_E_INTERNAL_ERROR.into()),
        };
        let key = UnboundKey::new(algorithm, key.as_ref()).map_err(|_| SEC_E_INTERNAL_ERROR)?;
        Ok(Direction {
            key: LessSafeKey::new(key),
            iv: iv.as_ref().try_into().map_err(|_| SEC_E_INTERNAL_ERROR)?,
            seq,
        })
    }

    /// Seals `in_out` in place under `nonce`: the tag.
    fn seal(
        &self,
        nonce: [u8; aead::NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> SecResult<aead::Tag> {
        self.key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
            .map_err(|_| SEC_E_ENCRYPT_FAILURE.into())
    }

    /// The IV with the sequence number XORed into its last 8 bytes (RFC
    /// 8446 section 5.3; RFC 7905; rustls' TLS 1.2 GCM nonces too).
    fn nonce(&self) -> [u8; aead::NONCE_LEN] {
        let mut nonce = self.iv;
        for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        nonce
    }
}

/// The sizes of one sealed record around its plaintext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overhead {
    /// The header, with TLS 1.2 GCM's explicit nonce.
    pub header: usize,
    /// TLS 1.3's inner content type and the tag.
    pub trailer: usize,
}

/// Both directions of an established connection.
pub struct RecordLayer {
    version: Version,
    /// TLS 1.2 with AES-GCM: an explicit nonce in every record.
    explicit_nonce: bool,
    tx: Direction,
    rx: Direction,
    /// Records one key may seal (the suite's confidentiality limit).
    limit: u64,
    /// TLS 1.3's plaintext and content type, contiguous for sealing (the
    /// caller's DATA and STREAM_TRAILER buffers are apart); reused.
    scratch: zeroize::Zeroizing<Vec<u8>>,
}

/// A record opened in place.
#[derive(Debug, PartialEq, Eq)]
pub struct Opened {
    /// The content type (TLS 1.3's inner one).
    pub content_type: u8,
    /// The plaintext's offset and length in the record.
    pub offset: usize,
    pub len: usize,
}

impl RecordLayer {
    /// A record layer from the secrets rustls hands over.
    pub fn new(
        version: Version,
        tx: (u64, ConnectionTrafficSecrets),
        rx: (u64, ConnectionTrafficSecrets),
        limit: u64,
    ) -> SecResult<Self> {
        let explicit_nonce = version == Version::Tls12
            && !matches!(tx.1, ConnectionTrafficSecrets::Chacha20Poly1305 { .. });
        Ok(RecordLayer {
            version,
            explicit_nonce,
            tx: Direction::new(tx.0, &tx.1)?,
            rx: Direction::new(rx.0, &rx.1)?,
            limit,
            scratch: Default::default(),
        })
    }

    /// The protocol.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Header and trailer around a sealed record's plaintext.
    pub fn overhead(&self) -> Overhead {
        match (self.version, self.explicit_nonce) {
            (Version::Tls13, _) => Overhead {
                header: HEADER_LEN,
                trailer: 1 + TAG_LEN,
            },
            (Version::Tls12, true) => Overhead {
                header: HEADER_LEN + EXPLICIT_NONCE_LEN,
                trailer: TAG_LEN,
            },
            (Version::Tls12, false) => Overhead {
                header: HEADER_LEN,
                trailer: TAG_LEN,
            },
        }
    }

    /// New keys for receiving (a TLS 1.3 KeyUpdate from the peer).
    pub fn rekey_rx(&mut self, seq: u64, secrets: &ConnectionTrafficSecrets) -> SecResult<()> {
        self.rx = Direction::new(seq, secrets)?;
        Ok(())
    }

    /// New keys for sending (after our KeyUpdate went out).
    pub fn rekey_tx(&mut self, seq: u64, secrets: &ConnectionTrafficSecrets) -> SecResult<()> {
        self.tx = Direction::new(seq, secrets)?;
        Ok(())
    }

    /// Seals `data` in place as one record of `content_type`: the header
    /// goes into `header` and the tag (after TLS 1.3's content type) into
    /// `trailer`, each at least `overhead()`'s size. Returns the bytes of
    /// header and trailer written.
    pub fn seal(
        &mut self,
        content_type: u8,
        header: &mut [u8],
        data: &mut [u8],
        trailer: &mut [u8],
    ) -> SecResult<(usize, usize)> {
        let over = self.overhead();
        if data.len() > MAX_PLAINTEXT {
            return Err(SEC_E_ENCRYPT_FAILURE.into());
        }
        if header.len() < over.header || trailer.len() < over.trailer {
            return Err(SEC_E_BUFFER_TOO_SMALL.into());
        }
        // Past the key's confidentiality limit nothing more is sealed with
        // it (no KeyUpdate is sent on the program's behalf).
        if self.tx.seq >= self.limit {
            return Err(SEC_E_CONTEXT_EXPIRED.into());
        }
        let body = over.header - HEADER_LEN + data.len() + over.trailer;
        let outer_type = match self.version {
            Version::Tls13 => APPLICATION_DATA,
            Version::Tls12 => content_type,
        };
        header[0] = outer_type;
        header[1..3].copy_from_slice(&[3, 3]);
        header[3..5].copy_from_slice(&(body as u16).to_be_bytes());
        let nonce = self.tx.nonce();
        let sealed = match self.version {
            Version::Tls12 => {
                let mut aad = [0u8; 13];
                aad[..8].copy_from_slice(&self.tx.seq.to_be_bytes());
                aad[8] = content_type;
                aad[9..11].copy_from_slice(&[3, 3]);
                aad[11..].copy_from_slice(&(data.len() as u16).to_be_bytes());
                if self.explicit_nonce {
                    header[HEADER_LEN..over.header].copy_from_slice(&nonce[4..]);
                }
                let tag = self.tx.seal(nonce, &aad, data)?;
                trailer[..TAG_LEN].copy_from_slice(tag.as_ref());
                TAG_LEN
            }
            Version::Tls13 => {
                let aad: [u8; HEADER_LEN] = header[..HEADER_LEN]
                    .try_into()
                    .map_err(|_| SEC_E_INTERNAL_ERROR)?;
                let scratch = &mut self.scratch;
                scratch.clear();
                scratch.extend_from_slice(data);
                scratch.push(content_type);
                let tag = self.tx.seal(nonce, &aad, scratch)?;
                let (body, inner_type) = scratch.split_at(data.len());
                data.copy_from_slice(body);
                trailer[0] = inner_type[0];
                trailer[1..1 + TAG_LEN].copy_from_slice(tag.as_ref());
                scratch.clear();
                1 + TAG_LEN
            }
        };
        self.tx.seq = self.tx.seq.checked_add(1).ok_or(SEC_E_CONTEXT_EXPIRED)?;
        Ok((over.header, sealed))
    }

    /// Seals `payload` as one record into a new vector (alerts and
    /// post-handshake messages this side sends).
    pub fn seal_to_vec(&mut self, content_type: u8, payload: &[u8]) -> SecResult<Vec<u8>> {
        let over = self.overhead();
        let mut out = vec![0u8; over.header + payload.len() + over.trailer];
        let (header, rest) = out.split_at_mut(over.header);
        let (data, trailer) = rest.split_at_mut(payload.len());
        data.copy_from_slice(payload);
        self.seal(content_type, header, data, trailer)?;
        Ok(out)
    }

    /// Opens the whole record `record` in place. A record that does not
    /// authenticate is SEC_E_DECRYPT_FAILURE, and its body is zeroed so
    /// that no plaintext is left behind; the sequence number does not move.
    pub fn open(&mut self, header: Header, record: &mut [u8]) -> SecResult<Opened> {
        if self.version == Version::Tls13 && header.len > MAX_BODY {
            return Err(SEC_E_ILLEGAL_MESSAGE.into());
        }
        let (head, body) = record.split_at_mut(HEADER_LEN);
        let nonce_len = if self.explicit_nonce {
            EXPLICIT_NONCE_LEN
        } else {
            0
        };
        if body.len() < nonce_len + TAG_LEN + usize::from(self.version == Version::Tls13) {
            return Err(SEC_E_DECRYPT_FAILURE.into());
        }
        let mut nonce = self.rx.nonce();
        if self.explicit_nonce {
            nonce[4..].copy_from_slice(&body[..EXPLICIT_NONCE_LEN]);
        }
        let sealed = &mut body[nonce_len..];
        let result = match self.version {
            Version::Tls12 => {
                let mut aad = [0u8; 13];
                aad[..8].copy_from_slice(&self.rx.seq.to_be_bytes());
                aad[8] = header.content_type;
                aad[9..11].copy_from_slice(&[3, 3]);
                aad[11..].copy_from_slice(&((sealed.len() - TAG_LEN) as u16).to_be_bytes());
                self.rx
                    .key
                    .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), sealed)
                    .map(|p| p.len())
            }
            Version::Tls13 => {
                let aad: [u8; HEADER_LEN] =
                    (&*head).try_into().map_err(|_| SEC_E_INTERNAL_ERROR)?;
                self.rx
                    .key
                    .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), sealed)
                    .map(|p| p.len())
            }
        };
        let Ok(len) = result else {
            sealed.fill(0);
            return Err(SEC_E_DECRYPT_FAILURE.into());
        };
        // RFC 8446 section 5.2 and RFC 5246 section 6.2: at most 2^14 bytes
        // of plaintext (TLS 1.3: plus the content type and padding up to
        // 2^14 + 1), else record_overflow. A program sizes its buffers by
        // cbMaximumMessage.
        let limit = match self.version {
            Version::Tls12 => MAX_PLAINTEXT,
            Version::Tls13 => MAX_PLAINTEXT + 1,
        };
        if len > limit {
            sealed.fill(0);
            return Err(SEC_E_ILLEGAL_MESSAGE.into());
        }
        let offset = HEADER_LEN + nonce_len;
        let opened = match self.version {
            Version::Tls12 => Opened {
                content_type: header.content_type,
                offset,
                len,
            },
            Version::Tls13 => {
                // The content type is the last non-zero byte (RFC 8446
                // section 5.4); all zeros is a protocol error.
                let plain = &sealed[..len];
                let Some(at) = plain.iter().rposition(|&b| b != 0) else {
                    return Err(SEC_E_ILLEGAL_MESSAGE.into());
                };
                Opened {
                    content_type: plain[at],
                    offset,
                    len: at,
                }
            }
        };
        self.rx.seq = self.rx.seq.checked_add(1).ok_or(SEC_E_CONTEXT_EXPIRED)?;
        Ok(opened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::crypto::cipher::{AeadKey, Iv};

    fn secrets(kind: u8, byte: u8) -> ConnectionTrafficSecrets {
        let key32 = [byte; 32];
        let iv = Iv::new([byte ^ 0x55; 12]);
        match kind {
            1 => ConnectionTrafficSecrets::Aes256Gcm {
                key: AeadKey::from(key32),
                iv,
            },
            _ => ConnectionTrafficSecrets::Chacha20Poly1305 {
                key: AeadKey::from(key32),
                iv,
            },
        }
    }

    fn pair(version: Version, kind: u8) -> (RecordLayer, RecordLayer) {
        let a = RecordLayer::new(
            version,
            (0, secrets(kind, 1)),
            (0, secrets(kind, 2)),
            1 << 24,
        )
        .unwrap();
        let b = RecordLayer::new(
            version,
            (0, secrets(kind, 2)),
            (0, secrets(kind, 1)),
            1 << 24,
        )
        .unwrap();
        (a, b)
    }

    fn seal(layer: &mut RecordLayer, ty: u8, msg: &[u8]) -> Vec<u8> {
        layer.seal_to_vec(ty, msg).unwrap()
    }

    #[test]
    fn records_round_trip_in_place_for_every_suite_and_version() {
        for version in [Version::Tls12, Version::Tls13] {
            for kind in 1..3 {
                let (mut a, mut b) = pair(version, kind);
                for n in 0..3u8 {
                    let msg = vec![n; 100 + usize::from(n)];
                    let mut record = seal(&mut a, APPLICATION_DATA, &msg);
                    let over = a.overhead();
                    assert_eq!(record.len(), over.header + msg.len() + over.trailer);
                    let Framing::Record(header, total) = frame(&record) else {
                        panic!("not framed")
                    };
                    assert_eq!(total, record.len());
                    let opened = b.open(header, &mut record).unwrap();
                    assert_eq!(opened.content_type, APPLICATION_DATA);
                    assert_eq!(&record[opened.offset..][..opened.len], &msg[..]);
                }
            }
        }
    }

    #[test]
    fn tls12_gcm_has_its_explicit_nonce_and_tls13_hides_the_type() {
        let (mut a, _) = pair(Version::Tls12, 1);
        assert_eq!(
            a.overhead(),
            Overhead {
                header: 13,
                trailer: 16
            }
        );
        let record = seal(&mut a, ALERT, &[1, 0]);
        assert_eq!(&record[..5], &[ALERT, 3, 3, 0, 26]);
        let (mut c, _) = pair(Version::Tls12, 2);
        assert_eq!(
            c.overhead(),
            Overhead {
                header: 5,
                trailer: 16
            }
        );
        let (mut t, mut u) = pair(Version::Tls13, 2);
        assert_eq!(
            t.overhead(),
            Overhead {
                header: 5,
                trailer: 17
            }
        );
        let mut record = seal(&mut t, ALERT, &[1, 0]);
        assert_eq!(&record[..5], &[APPLICATION_DATA, 3, 3, 0, 19]);
        let Framing::Record(h, _) = frame(&record) else {
            panic!()
        };
        let opened = u.open(h, &mut record).unwrap();
        assert_eq!((opened.content_type, opened.len), (ALERT, 2));
        let _ = c.seal_to_vec(APPLICATION_DATA, b"x").unwrap();
    }

    #[test]
    fn a_tampered_record_fails_leaves_no_plaintext_and_keeps_the_sequence() {
        for version in [Version::Tls12, Version::Tls13] {
            let (mut a, mut b) = pair(version, 1);
            let msg = [0x41u8; 64];
            let good = seal(&mut a, APPLICATION_DATA, &msg);
            let mut bad = good.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            let Framing::Record(h, _) = frame(&bad) else {
                panic!()
            };
            assert_eq!(b.open(h, &mut bad).unwrap_err(), SEC_E_DECRYPT_FAILURE);
            assert!(!bad.windows(8).any(|w| w == [0x41; 8]), "no plaintext");
            let mut good = good;
            assert!(b.open(h, &mut good).is_ok(), "the sequence did not move");
            // Replayed: the sequence number moved on, so it fails.
            let mut again = seal(&mut a, APPLICATION_DATA, &msg);
            let mut replay = again.clone();
            assert!(b.open(h, &mut again).is_ok());
            assert_eq!(b.open(h, &mut replay).unwrap_err(), SEC_E_DECRYPT_FAILURE);
        }
    }

    #[test]
    fn framing_reports_what_is_missing() {
        assert_eq!(frame(&[]), Framing::Missing(5));
        assert_eq!(frame(&[23, 3, 3, 0]), Framing::Missing(1));
        assert_eq!(frame(&[23, 3, 3, 0, 10, 1]), Framing::Missing(9));
        assert_eq!(frame(&[0, 0, 0, 0, 0]), Framing::Invalid);
        assert_eq!(frame(&[23, 2, 0, 0, 0]), Framing::Invalid);
        assert_eq!(
            frame(&[22, 3, 1, 0, 1, 9]),
            Framing::Record(
                Header {
                    content_type: 22,
                    len: 1
                },
                6
            )
        );
        let mut big = vec![23, 3, 3, 0xFF, 0xFF];
        big.resize(5, 0);
        assert_eq!(frame(&big), Framing::Invalid);
    }

    /// A record whose (TLS 1.3: inner) plaintext is `inner` as given,
    /// past the checks `seal` makes: what a peer that breaks the limits
    /// would send.
    fn seal_raw(layer: &mut RecordLayer, inner: &[u8]) -> Vec<u8> {
        let tls13 = layer.version == Version::Tls13;
        let over = layer.overhead();
        let body_len = over.header - HEADER_LEN + inner.len() + TAG_LEN;
        let mut header = vec![APPLICATION_DATA, 3, 3];
        header.extend_from_slice(&(body_len as u16).to_be_bytes());
        let nonce = layer.tx.nonce();
        let aad: Vec<u8> = if tls13 {
            header.clone()
        } else {
            let mut aad = layer.tx.seq.to_be_bytes().to_vec();
            aad.extend_from_slice(&[APPLICATION_DATA, 3, 3]);
            aad.extend_from_slice(&(inner.len() as u16).to_be_bytes());
            aad
        };
        let mut body = inner.to_vec();
        let tag = layer
            .tx
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut body,
            )
            .unwrap();
        let mut record = header;
        if !tls13 {
            record.extend_from_slice(&nonce[4..]);
        }
        record.extend_from_slice(&body);
        record.extend_from_slice(tag.as_ref());
        layer.tx.seq += 1;
        record
    }

    #[test]
    fn oversized_records_are_refused_and_the_limit_stops_sealing() {
        // TLS 1.2: 2^14 + 1 bytes of plaintext. TLS 1.3: 2^14 bytes, the
        // type, and two bytes of padding (the inner plaintext over 2^14 + 1).
        for (version, inner) in [
            (Version::Tls12, vec![1u8; MAX_PLAINTEXT + 1]),
            (Version::Tls13, {
                let mut v = vec![1u8; MAX_PLAINTEXT];
                v.extend_from_slice(&[APPLICATION_DATA, 0, 0]);
                v
            }),
        ] {
            let (mut a, mut b) = pair(version, 1);
            let mut record = seal_raw(&mut a, &inner);
            let Framing::Record(h, _) = frame(&record) else {
                panic!()
            };
            assert_eq!(b.open(h, &mut record).unwrap_err(), SEC_E_ILLEGAL_MESSAGE);
            let (mut a, mut b) = pair(version, 1);
            let mut ok = a
                .seal_to_vec(APPLICATION_DATA, &vec![1u8; MAX_PLAINTEXT])
                .unwrap();
            let Framing::Record(h, _) = frame(&ok) else {
                panic!()
            };
            assert_eq!(
                b.open(h, &mut ok).unwrap().len,
                MAX_PLAINTEXT,
                "2^14 is allowed"
            );
        }
        let (mut a, _) = pair(Version::Tls13, 1);
        a.limit = 1;
        assert!(a.seal_to_vec(APPLICATION_DATA, b"one").is_ok());
        assert_eq!(
            a.seal_to_vec(APPLICATION_DATA, b"two").unwrap_err(),
            SEC_E_CONTEXT_EXPIRED
        );
    }

    #[test]
    fn too_much_plaintext_is_an_encrypt_failure() {
        let (mut a, _) = pair(Version::Tls13, 1);
        let mut data = vec![0u8; MAX_PLAINTEXT + 1];
        let (mut h, mut t) = ([0u8; 5], [0u8; 17]);
        assert_eq!(
            a.seal(APPLICATION_DATA, &mut h, &mut data, &mut t)
                .unwrap_err(),
            SEC_E_ENCRYPT_FAILURE
        );
        let mut short = [0u8; 16];
        assert_eq!(
            a.seal(APPLICATION_DATA, &mut h, &mut data[..10], &mut short)
                .unwrap_err(),
            SEC_E_BUFFER_TOO_SMALL
        );
    }
}
