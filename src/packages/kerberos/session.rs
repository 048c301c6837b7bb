//! RFC 4121's per-message tokens: MIC tokens (MakeSignature,
//! VerifySignature) and Wrap tokens (EncryptMessage, DecryptMessage), with
//! their sequence numbers and replay and sequence detection.
//!
//! The key is the acceptor's subkey when the AP-REP carried one, else the
//! initiator's subkey, else the ticket's session key (RFC 4121 section 2).
//! Wrap tokens are made with EC 0 and a right rotation (RRC) that leaves
//! the ciphertext of the data where the data was: the token is the header,
//! the rotated trailer and the confounder's ciphertext (SSPI's TOKEN
//! buffer), followed by the data's ciphertext (its DATA buffer), as
//! Windows lays it out; MIT's gss_unwrap takes it whole.

use zeroize::Zeroizing;

use super::crypto::{Enctype, Key, CONFOUNDER_LEN};

/// Key usages (RFC 4121 section 2).
const ACCEPTOR_SEAL: u32 = 22;
const ACCEPTOR_SIGN: u32 = 23;
const INITIATOR_SEAL: u32 = 24;
const INITIATOR_SIGN: u32 = 25;

/// Token flags (RFC 4121 section 4.2.2).
const SENT_BY_ACCEPTOR: u8 = 0x01;
const SEALED: u8 = 0x02;
const ACCEPTOR_SUBKEY: u8 = 0x04;

/// Token header length.
pub const HEADER_LEN: usize = 16;

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token of the expected kind, or malformed (SEC_E_INVALID_TOKEN).
    Malformed,
    /// The checksum or the decryption failed (SEC_E_MESSAGE_ALTERED).
    Altered,
    /// A repeated, too old or (with sequence detection) out-of-order
    /// sequence number (SEC_E_OUT_OF_SEQUENCE).
    Sequence,
    /// The session key's enctype has no RFC 4121 tokens here (rc4-hmac
    /// uses RFC 4757's, not yet implemented).
    Unsupported,
}

/// Which received sequence numbers are accepted (MIT's g_seqstate: a
/// window of the last 64 numbers).
#[derive(Clone, Debug)]
pub struct SequenceWindow {
    /// The next number expected.
    next: u64,
    /// Bit i set: `next - 1 - i` was received.
    seen: u64,
    replay: bool,
    sequence: bool,
}

impl SequenceWindow {
    /// Expects `first` next; checks duplicates when `replay`, order when
    /// `sequence`.
    pub fn new(first: u64, replay: bool, sequence: bool) -> Self {
        SequenceWindow {
            next: first,
            seen: 0,
            replay,
            sequence,
        }
    }

    /// Records `seq`, or says why it is refused.
    pub fn check(&mut self, seq: u64) -> Result<(), TokenError> {
        if !self.replay && !self.sequence {
            return Ok(());
        }
        if seq == self.next {
            self.seen = (self.seen << 1) | 1;
            self.next = self.next.wrapping_add(1);
            return Ok(());
        }
        if seq > self.next {
            // A gap: later numbers are fine for replay detection alone.
            if self.sequence {
                return Err(TokenError::Sequence);
            }
            let gap = seq - self.next;
            self.seen = if gap >= 63 {
                1
            } else {
                (self.seen << (gap + 1)) | 1
            };
            self.next = seq.wrapping_add(1);
            return Ok(());
        }
        let back = self.next - 1 - seq;
        if back >= 64 || self.seen & (1 << back) != 0 || self.sequence {
            return Err(TokenError::Sequence);
        }
        self.seen |= 1 << back;
        Ok(())
    }
}

/// One side's per-message state.
#[derive(Clone, Debug)]
pub struct Session {
    pub key: Key,
    /// This side initiated the context.
    pub initiator: bool,
    /// `key` is the acceptor's subkey.
    pub acceptor_subkey: bool,
    /// The next sequence number to send.
    pub send_seq: u64,
    pub recv: SequenceWindow,
}

/// The parts of a token header.
struct Header {
    flags: u8,
    ec: u16,
    rrc: u16,
    seq: u64,
}

impl Session {
    fn sign_usage(&self, sending: bool) -> u32 {
        if self.initiator == sending {
            INITIATOR_SIGN
        } else {
            ACCEPTOR_SIGN
        }
    }
    fn seal_usage(&self, sending: bool) -> u32 {
        if self.initiator == sending {
            INITIATOR_SEAL
        } else {
            ACCEPTOR_SEAL
        }
    }
    fn send_flags(&self) -> u8 {
        let mut f = 0;
        if !self.initiator {
            f |= SENT_BY_ACCEPTOR;
        }
        if self.acceptor_subkey {
            f |= ACCEPTOR_SUBKEY;
        }
        f
    }
    fn check_rfc4121(&self) -> Result<(), TokenError> {
        match self.key.enctype {
            Enctype::Rc4Hmac => Err(TokenError::Unsupported),
            _ => Ok(()),
        }
    }
    /// Checks a received header's direction and subkey flags.
    fn check_flags(&self, flags: u8) -> Result<(), TokenError> {
        let from_acceptor = flags & SENT_BY_ACCEPTOR != 0;
        if from_acceptor != self.initiator {
            return Err(TokenError::Malformed);
        }
        if (flags & ACCEPTOR_SUBKEY != 0) != self.acceptor_subkey {
            return Err(TokenError::Malformed);
        }
        Ok(())
    }

    /// The length of a MIC token.
    pub fn mic_len(&self) -> usize {
        HEADER_LEN + self.key.enctype.checksum_len()
    }

    /// The TOKEN buffer's length for a sealed Wrap token: the header, the
    /// rotated trailer (encrypted header copy and checksum) and the
    /// confounder's ciphertext.
    pub fn wrap_trailer_len(&self, sealed: bool) -> usize {
        let c = self.key.enctype.checksum_len();
        if sealed {
            HEADER_LEN + HEADER_LEN + c + CONFOUNDER_LEN
        } else {
            HEADER_LEN + c
        }
    }

    /// A MIC token over `parts` (concatenated).
    pub fn mic(&mut self, parts: &[&[u8]]) -> Result<Vec<u8>, TokenError> {
        self.check_rfc4121()?;
        let mut header = [0u8; HEADER_LEN];
        header[..2].copy_from_slice(&[0x04, 0x04]);
        header[2] = self.send_flags();
        header[3..8].fill(0xff);
        header[8..].copy_from_slice(&self.send_seq.to_be_bytes());
        let mut signed = Vec::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 16);
        for p in parts {
            signed.extend_from_slice(p);
        }
        signed.extend_from_slice(&header);
        let cksum = self
            .key
            .checksum(self.sign_usage(true), &signed)
            .map_err(|_| TokenError::Malformed)?;
        self.send_seq = self.send_seq.wrapping_add(1);
        let mut token = header.to_vec();
        token.extend_from_slice(&cksum);
        Ok(token)
    }

    /// Checks a MIC token over `parts`.
    pub fn verify_mic(&mut self, parts: &[&[u8]], token: &[u8]) -> Result<(), TokenError> {
        self.check_rfc4121()?;
        if token.len() < HEADER_LEN || token[..2] != [0x04, 0x04] || token[3..8] != [0xff; 5] {
            return Err(TokenError::Malformed);
        }
        let flags = token[2];
        self.check_flags(flags)?;
        if flags & SEALED != 0 {
            return Err(TokenError::Malformed);
        }
        let seq = u64::from_be_bytes(token[8..16].try_into().map_err(|_| TokenError::Malformed)?);
        let mut signed = Vec::new();
        for p in parts {
            signed.extend_from_slice(p);
        }
        signed.extend_from_slice(&token[..HEADER_LEN]);
        if !self
            .key
            .verify_checksum(self.sign_usage(false), &signed, &token[HEADER_LEN..])
        {
            return Err(TokenError::Altered);
        }
        self.recv.check(seq)
    }

    fn header(&self, flags: u8, ec: u16, rrc: u16, seq: u64) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..2].copy_from_slice(&[0x05, 0x04]);
        h[2] = flags;
        h[3] = 0xff;
        h[4..6].copy_from_slice(&ec.to_be_bytes());
        h[6..8].copy_from_slice(&rrc.to_be_bytes());
        h[8..].copy_from_slice(&seq.to_be_bytes());
        h
    }

    /// A Wrap token of `plaintext`: sealed (encrypted) or integrity-only,
    /// rotated so that the data's part comes last (`wrap_trailer_len`
    /// bytes, then `plaintext.len()` bytes). `confounder` is random.
    pub fn wrap(
        &mut self,
        plaintext: &[u8],
        sealed: bool,
        confounder: &[u8],
    ) -> Result<Vec<u8>, TokenError> {
        self.check_rfc4121()?;
        let seq = self.send_seq;
        let c = self.key.enctype.checksum_len();
        let mut flags = self.send_flags();
        let mut token;
        if sealed {
            flags |= SEALED;
            let rrc = (HEADER_LEN + c) as u16;
            let mut inner = Zeroizing::new(Vec::with_capacity(plaintext.len() + HEADER_LEN));
            inner.extend_from_slice(plaintext);
            inner.extend_from_slice(&self.header(flags, 0, 0, seq));
            let ct = self
                .key
                .encrypt(self.seal_usage(true), confounder, &inner)
                .map_err(|_| TokenError::Malformed)?;
            token = Vec::with_capacity(HEADER_LEN + ct.len());
            token.extend_from_slice(&self.header(flags, 0, rrc, seq));
            let split = ct.len() - usize::from(rrc);
            token.extend_from_slice(&ct[split..]);
            token.extend_from_slice(&ct[..split]);
        } else {
            let mut signed = Vec::with_capacity(plaintext.len() + HEADER_LEN);
            signed.extend_from_slice(plaintext);
            signed.extend_from_slice(&self.header(flags, 0, 0, seq));
            let cksum = self
                .key
                .checksum(self.seal_usage(true), &signed)
                .map_err(|_| TokenError::Malformed)?;
            let ec = c as u16;
            token = Vec::with_capacity(HEADER_LEN + c + plaintext.len());
            token.extend_from_slice(&self.header(flags, ec, ec, seq));
            token.extend_from_slice(&cksum);
            token.extend_from_slice(plaintext);
        }
        self.send_seq = self.send_seq.wrapping_add(1);
        Ok(token)
    }

    /// The plaintext of a Wrap token, and whether it was sealed.
    pub fn unwrap(&mut self, token: &[u8]) -> Result<(Zeroizing<Vec<u8>>, bool), TokenError> {
        self.check_rfc4121()?;
        if token.len() < HEADER_LEN || token[..2] != [0x05, 0x04] || token[3] != 0xff {
            return Err(TokenError::Malformed);
        }
        let h = Header {
            flags: token[2],
            ec: u16::from_be_bytes([token[4], token[5]]),
            rrc: u16::from_be_bytes([token[6], token[7]]),
            seq: u64::from_be_bytes(token[8..16].try_into().map_err(|_| TokenError::Malformed)?),
        };
        self.check_flags(h.flags)?;
        let body = &token[HEADER_LEN..];
        if body.is_empty() {
            return Err(TokenError::Malformed);
        }
        // Undo the right rotation.
        let rrc = usize::from(h.rrc) % body.len();
        let mut plain_body = Zeroizing::new(Vec::with_capacity(body.len()));
        plain_body.extend_from_slice(&body[rrc..]);
        plain_body.extend_from_slice(&body[..rrc]);
        let ec = usize::from(h.ec);
        let sealed = h.flags & SEALED != 0;
        let data = if sealed {
            let pt = self
                .key
                .decrypt(self.seal_usage(false), &plain_body)
                .map_err(|_| TokenError::Altered)?;
            let data_len = pt
                .len()
                .checked_sub(ec + HEADER_LEN)
                .ok_or(TokenError::Malformed)?;
            // The encrypted header copy must be the header with RRC 0.
            let copy = &pt[pt.len() - HEADER_LEN..];
            if copy[..6] != token[..6] || copy[6..8] != [0, 0] || copy[8..] != token[8..16] {
                return Err(TokenError::Altered);
            }
            Zeroizing::new(pt[..data_len].to_vec())
        } else {
            let c = self.key.enctype.checksum_len();
            if ec != c || plain_body.len() < c {
                return Err(TokenError::Malformed);
            }
            let data_len = plain_body.len() - c;
            let mut signed = Vec::with_capacity(data_len + HEADER_LEN);
            signed.extend_from_slice(&plain_body[..data_len]);
            signed.extend_from_slice(&self.header(h.flags, 0, 0, h.seq));
            if !self
                .key
                .verify_checksum(self.seal_usage(false), &signed, &plain_body[data_len..])
            {
                return Err(TokenError::Altered);
            }
            Zeroizing::new(plain_body[..data_len].to_vec())
        };
        self.recv.check(h.seq)?;
        Ok((data, sealed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(enctype: Enctype) -> (Session, Session) {
        let key = Key::new(enctype, &vec![0x42; enctype.key_len()]).unwrap();
        let a = Session {
            key: key.clone(),
            initiator: true,
            acceptor_subkey: true,
            send_seq: 7,
            recv: SequenceWindow::new(100, true, false),
        };
        let b = Session {
            key,
            initiator: false,
            acceptor_subkey: true,
            send_seq: 100,
            recv: SequenceWindow::new(7, true, false),
        };
        (a, b)
    }

    #[test]
    fn mic_and_wrap_both_ways_for_every_aes_enctype() {
        for e in [
            Enctype::Aes128CtsHmacSha196,
            Enctype::Aes256CtsHmacSha196,
            Enctype::Aes128CtsHmacSha256128,
            Enctype::Aes256CtsHmacSha384192,
        ] {
            let (mut a, mut b) = pair(e);
            let mic = a.mic(&[b"hello ", b"world"]).unwrap();
            assert_eq!(mic.len(), a.mic_len());
            assert_eq!(&mic[..3], [0x04, 0x04, ACCEPTOR_SUBKEY]);
            assert_eq!(mic[8..16], 7u64.to_be_bytes());
            b.verify_mic(&[b"hello world"], &mic).unwrap();
            // The same token again is a replay.
            assert_eq!(
                b.verify_mic(&[b"hello world"], &mic),
                Err(TokenError::Sequence)
            );
            for sealed in [true, false] {
                let conf = [9u8; 16];
                let t = b.wrap(b"attack at dawn", sealed, &conf).unwrap();
                assert_eq!(t.len(), b.wrap_trailer_len(sealed) + 14);
                assert_eq!(t[2] & SENT_BY_ACCEPTOR, SENT_BY_ACCEPTOR);
                if !sealed {
                    assert_eq!(&t[t.len() - 14..], b"attack at dawn");
                }
                let (pt, was_sealed) = a.unwrap(&t).unwrap();
                assert_eq!((&pt[..], was_sealed), (&b"attack at dawn"[..], sealed));
                // One flipped bit anywhere is refused.
                let mut bad = b.wrap(b"attack at dawn", sealed, &conf).unwrap();
                let n = bad.len();
                bad[n - 1] ^= 1;
                assert!(a.unwrap(&bad).is_err());
            }
            // A token sent by the initiator is not taken by the initiator.
            let own = a.wrap(b"x", true, &[1; 16]).unwrap();
            assert_eq!(a.unwrap(&own).unwrap_err(), TokenError::Malformed);
        }
    }

    #[test]
    fn an_unrotated_token_unwraps_too() {
        // MIT's gss_wrap sends RRC 0: rotate ours back and fix the header.
        let (mut a, mut b) = pair(Enctype::Aes256CtsHmacSha196);
        let t = a.wrap(b"plain", true, &[3; 16]).unwrap();
        let rrc = usize::from(u16::from_be_bytes([t[6], t[7]]));
        let body = &t[HEADER_LEN..];
        let mut flat = t[..HEADER_LEN].to_vec();
        flat[6..8].copy_from_slice(&[0, 0]);
        flat.extend_from_slice(&body[rrc..]);
        flat.extend_from_slice(&body[..rrc]);
        assert_eq!(&b.unwrap(&flat).unwrap().0[..], b"plain");
    }

    #[test]
    fn sequence_windows() {
        let mut w = SequenceWindow::new(10, true, false);
        assert_eq!(w.check(12), Ok(()));
        assert_eq!(w.check(10), Ok(()));
        assert_eq!(w.check(10), Err(TokenError::Sequence));
        assert_eq!(w.check(11), Ok(()));
        assert_eq!(w.check(13), Ok(()));
        let mut s = SequenceWindow::new(0, true, true);
        assert_eq!(s.check(1), Err(TokenError::Sequence));
        assert_eq!(s.check(0), Ok(()));
        assert_eq!(s.check(0), Err(TokenError::Sequence));
        let mut none = SequenceWindow::new(0, false, false);
        assert_eq!(none.check(5), Ok(()));
        assert_eq!(none.check(5), Ok(()));
    }
}
