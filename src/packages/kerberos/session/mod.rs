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

mod rfc4757;

use zeroize::Zeroizing;

use super::crypto::{Enctype, Key, UsageKey, CONFOUNDER_LEN, MAX_CHECKSUM_LEN};

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

    /// The window's state, for ExportSecurityContext: the next number,
    /// the bits of those seen, and the two checks.
    pub fn to_bytes(&self) -> [u8; 18] {
        let mut b = [0u8; 18];
        b[..8].copy_from_slice(&self.next.to_be_bytes());
        b[8..16].copy_from_slice(&self.seen.to_be_bytes());
        b[16] = u8::from(self.replay);
        b[17] = u8::from(self.sequence);
        b
    }

    /// The window `to_bytes` gave; `None` for anything else.
    pub fn from_bytes(b: &[u8; 18]) -> Option<Self> {
        let flag = |x: u8| match x {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        };
        Some(SequenceWindow {
            next: u64::from_be_bytes(b[..8].try_into().ok()?),
            seen: u64::from_be_bytes(b[8..16].try_into().ok()?),
            replay: flag(b[16])?,
            sequence: flag(b[17])?,
        })
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
#[derive(Clone)]
pub struct Session {
    pub key: Key,
    /// This side initiated the context.
    pub initiator: bool,
    /// `key` is the acceptor's subkey.
    pub acceptor_subkey: bool,
    /// The next sequence number to send.
    pub send_seq: u64,
    pub recv: SequenceWindow,
    /// The derived keys of usages 22 to 25, each made on first use.
    derived: [Option<UsageKey>; 4],
    /// Where tokens are built and opened, reused from message to message.
    scratch: Scratch,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("key", &self.key)
            .field("initiator", &self.initiator)
            .field("acceptor_subkey", &self.acceptor_subkey)
            .field("send_seq", &self.send_seq)
            .field("recv", &self.recv)
            .finish_non_exhaustive()
    }
}

/// A buffer that grows to the largest message of a session: a message's
/// plaintext passes through it, so it is wiped when it is replaced by a
/// larger one and when the session is dropped.
#[derive(Clone, Default)]
struct Scratch(Zeroizing<Vec<u8>>);

impl Scratch {
    /// `len` bytes of it, with unspecified contents.
    fn take(&mut self, len: usize) -> &mut [u8] {
        if self.0.len() < len {
            // The old buffer is wiped as it drops.
            self.0 = Zeroizing::new(vec![0; len.max(2 * self.0.len())]);
        }
        &mut self.0[..len]
    }
}

/// The derived keys of `usage` (22 to 25), made on first use.
fn derived<'k>(
    slots: &'k mut [Option<UsageKey>; 4],
    key: &Key,
    usage: u32,
) -> Result<&'k UsageKey, TokenError> {
    let slot = usage
        .checked_sub(ACCEPTOR_SEAL)
        .and_then(|i| slots.get_mut(i as usize))
        .ok_or(TokenError::Malformed)?;
    if slot.is_none() {
        *slot = Some(key.usage(usage).map_err(|_| TokenError::Malformed)?);
    }
    slot.as_ref().ok_or(TokenError::Malformed)
}

/// The parts of a token header.
struct Header {
    flags: u8,
    ec: u16,
    rrc: u16,
    seq: u64,
}

/// A Wrap token in SSPI's three parts: what goes into the TOKEN buffer,
/// the data's protected bytes (as long as the plaintext, in the DATA
/// buffers), and the padding (the PADDING buffer: RFC 4757's one byte;
/// none for RFC 4121).
pub struct Wrapped<'a> {
    pub head: &'a [u8],
    pub data: &'a [u8],
    pub padding: &'a [u8],
}

/// A Wrap token header.
fn wrap_header(flags: u8, ec: u16, rrc: u16, seq: u64) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..2].copy_from_slice(&[0x05, 0x04]);
    h[2] = flags;
    h[3] = 0xff;
    h[4..6].copy_from_slice(&ec.to_be_bytes());
    h[6..8].copy_from_slice(&rrc.to_be_bytes());
    h[8..].copy_from_slice(&seq.to_be_bytes());
    h
}

/// Copies `parts` one after the other into `out`, which is exactly as long.
fn gather(parts: &[&[u8]], out: &mut [u8]) {
    let mut at = 0;
    for p in parts {
        out[at..at + p.len()].copy_from_slice(p);
        at += p.len();
    }
}

impl Session {
    /// A session keyed with `key`, sending from `send_seq` and expecting
    /// what `recv` accepts.
    pub fn new(
        key: Key,
        initiator: bool,
        acceptor_subkey: bool,
        send_seq: u64,
        recv: SequenceWindow,
    ) -> Session {
        Session {
            key,
            initiator,
            acceptor_subkey,
            send_seq,
            recv,
            derived: Default::default(),
            scratch: Scratch::default(),
        }
    }

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
    /// Whether the tokens are RFC 4757's (an rc4-hmac key), not RFC 4121's.
    fn rc4(&self) -> bool {
        self.key.enctype == Enctype::Rc4Hmac
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
        if self.rc4() {
            return rfc4757::MIC_LEN;
        }
        HEADER_LEN + self.key.enctype.checksum_len()
    }

    /// The TOKEN buffer's length for a Wrap token: for a sealed one, the
    /// header, the rotated trailer (encrypted header copy and checksum) and
    /// the confounder's ciphertext; for an integrity-only one, the header
    /// and the checksum.
    pub fn wrap_trailer_len(&self, sealed: bool) -> usize {
        if self.rc4() {
            return rfc4757::MAX_WRAP_HEAD_LEN;
        }
        let c = self.key.enctype.checksum_len();
        if sealed {
            HEADER_LEN + HEADER_LEN + c + CONFOUNDER_LEN
        } else {
            HEADER_LEN + c
        }
    }

    /// The TOKEN buffer's length for a Wrap token of `data_len` bytes.
    pub fn wrap_head_len(&self, sealed: bool, data_len: usize) -> usize {
        if self.rc4() {
            return rfc4757::wrap_head_len(data_len);
        }
        self.wrap_trailer_len(sealed)
    }

    /// The PADDING buffer's length a Wrap token needs.
    pub fn wrap_padding_len(&self) -> usize {
        if self.rc4() {
            rfc4757::PADDING_LEN
        } else {
            0
        }
    }

    /// A MIC token over `parts` (concatenated).
    pub fn mic(&mut self, parts: &[&[u8]]) -> Result<Vec<u8>, TokenError> {
        if self.rc4() {
            return self.rc4_mic(parts);
        }
        let mut header = [0u8; HEADER_LEN];
        header[..2].copy_from_slice(&[0x04, 0x04]);
        header[2] = self.send_flags();
        header[3..8].fill(0xff);
        header[8..].copy_from_slice(&self.send_seq.to_be_bytes());
        let usage = self.sign_usage(true);
        let key = derived(&mut self.derived, &self.key, usage)?;
        let mut token = vec![0u8; HEADER_LEN + key.enctype.checksum_len()];
        let (h, cksum) = token.split_at_mut(HEADER_LEN);
        h.copy_from_slice(&header);
        let mut signed = parts.to_vec();
        signed.push(&header);
        key.checksum(&signed, cksum);
        self.send_seq = self.send_seq.wrapping_add(1);
        Ok(token)
    }

    /// Checks a MIC token over `parts`.
    pub fn verify_mic(&mut self, parts: &[&[u8]], token: &[u8]) -> Result<(), TokenError> {
        if self.rc4() {
            return self.rc4_verify_mic(parts, token);
        }
        if token.len() < HEADER_LEN || token[..2] != [0x04, 0x04] || token[3..8] != [0xff; 5] {
            return Err(TokenError::Malformed);
        }
        let flags = token[2];
        self.check_flags(flags)?;
        if flags & SEALED != 0 {
            return Err(TokenError::Malformed);
        }
        let seq = u64::from_be_bytes(token[8..16].try_into().map_err(|_| TokenError::Malformed)?);
        let usage = self.sign_usage(false);
        let key = derived(&mut self.derived, &self.key, usage)?;
        let mut signed = parts.to_vec();
        signed.push(&token[..HEADER_LEN]);
        if !key.verify_checksum(&signed, &token[HEADER_LEN..]) {
            return Err(TokenError::Altered);
        }
        self.recv.check(seq)
    }

    /// A Wrap token of `parts` (the plaintext, concatenated): sealed
    /// (encrypted) or integrity-only. RFC 4121's is rotated so that the
    /// data's part comes last (`wrap_trailer_len` bytes, then as many
    /// bytes as the plaintext). `confounder` is random (16 bytes; RFC 4757
    /// takes the first 8). The token lives in the session until the next
    /// message.
    pub fn wrap(
        &mut self,
        parts: &[&[u8]],
        sealed: bool,
        confounder: &[u8],
    ) -> Result<Wrapped<'_>, TokenError> {
        if self.rc4() {
            return self.rc4_wrap(parts, sealed, confounder);
        }
        let head_len = self.wrap_trailer_len(sealed);
        let seq = self.send_seq;
        let n: usize = parts.iter().map(|p| p.len()).sum();
        let mut flags = self.send_flags();
        let usage = self.seal_usage(true);
        let key = derived(&mut self.derived, &self.key, usage)?;
        let c = key.enctype.checksum_len();
        let len = if sealed {
            flags |= SEALED;
            // [header][space for the last 16 bytes and the checksum]
            // [confounder | plaintext | header copy], sealed in place, then
            // rotated right by 16 + c into the space.
            let rrc = HEADER_LEN + c;
            let len = HEADER_LEN + rrc + CONFOUNDER_LEN + n;
            let buf = self.scratch.take(len + HEADER_LEN);
            buf[..HEADER_LEN].copy_from_slice(&wrap_header(flags, 0, rrc as u16, seq));
            let body = &mut buf[HEADER_LEN + rrc..];
            body[..CONFOUNDER_LEN].copy_from_slice(confounder);
            gather(parts, &mut body[CONFOUNDER_LEN..CONFOUNDER_LEN + n]);
            body[CONFOUNDER_LEN + n..].copy_from_slice(&wrap_header(flags, 0, 0, seq));
            let mut mac = [0u8; MAX_CHECKSUM_LEN];
            key.seal(body, &mut mac[..c])
                .map_err(|_| TokenError::Malformed)?;
            buf.copy_within(len.., HEADER_LEN);
            buf[2 * HEADER_LEN..HEADER_LEN + rrc].copy_from_slice(&mac[..c]);
            len
        } else {
            // [header, EC = RRC = c][checksum][plaintext]; the checksum
            // covers the plaintext and the header with EC and RRC zero.
            let len = HEADER_LEN + c + n;
            let buf = self.scratch.take(len);
            buf[..HEADER_LEN].copy_from_slice(&wrap_header(flags, c as u16, c as u16, seq));
            let (head, data) = buf.split_at_mut(HEADER_LEN + c);
            gather(parts, data);
            key.checksum(
                &[data, &wrap_header(flags, 0, 0, seq)],
                &mut head[HEADER_LEN..],
            );
            len
        };
        self.send_seq = self.send_seq.wrapping_add(1);
        let (head, data) = self.scratch.0[..len].split_at(head_len);
        Ok(Wrapped {
            head,
            data,
            padding: &[],
        })
    }

    /// The plaintext of a Wrap token given in `parts` (concatenated), and
    /// whether it was sealed. The plaintext lives in the session until the
    /// next message.
    pub fn unwrap(&mut self, parts: &[&[u8]]) -> Result<(&[u8], bool), TokenError> {
        self.unwrap_within(parts, usize::MAX)
    }

    /// `unwrap` for a caller with room for `room` bytes of plaintext: a
    /// longer one is refused (Malformed) before its sequence number counts
    /// as received, so that nothing is used up by a call that fails.
    pub fn unwrap_within(
        &mut self,
        parts: &[&[u8]],
        room: usize,
    ) -> Result<(&[u8], bool), TokenError> {
        if self.rc4() {
            return self.rc4_unwrap(parts, room);
        }
        let usage = self.seal_usage(false);
        let (initiator, acceptor_subkey) = (self.initiator, self.acceptor_subkey);
        let n: usize = parts.iter().map(|p| p.len()).sum();
        let token = self.scratch.take(n);
        gather(parts, token);
        if token.len() < HEADER_LEN || token[..2] != [0x05, 0x04] || token[3] != 0xff {
            return Err(TokenError::Malformed);
        }
        let h = Header {
            flags: token[2],
            ec: u16::from_be_bytes([token[4], token[5]]),
            rrc: u16::from_be_bytes([token[6], token[7]]),
            seq: u64::from_be_bytes(token[8..16].try_into().map_err(|_| TokenError::Malformed)?),
        };
        // The peer's direction and subkey flags (as `check_flags`).
        if (h.flags & SENT_BY_ACCEPTOR != 0) != initiator
            || (h.flags & ACCEPTOR_SUBKEY != 0) != acceptor_subkey
        {
            return Err(TokenError::Malformed);
        }
        let (header, body) = token.split_at_mut(HEADER_LEN);
        if body.is_empty() {
            return Err(TokenError::Malformed);
        }
        // Undo the right rotation.
        let rrc = usize::from(h.rrc) % body.len();
        body.rotate_left(rrc);
        let ec = usize::from(h.ec);
        let sealed = h.flags & SEALED != 0;
        let key = derived(&mut self.derived, &self.key, usage)?;
        let c = key.enctype.checksum_len();
        let data = if sealed {
            let split = body.len().checked_sub(c).ok_or(TokenError::Altered)?;
            let (data, mac) = body.split_at_mut(split);
            key.open(data, mac).map_err(|_| TokenError::Altered)?;
            let end = data
                .len()
                .checked_sub(ec + HEADER_LEN)
                .filter(|&end| end >= CONFOUNDER_LEN)
                .ok_or(TokenError::Malformed)?;
            // The encrypted header copy must be the header with RRC 0.
            let copy = &data[data.len() - HEADER_LEN..];
            if copy[..6] != header[..6] || copy[6..8] != [0, 0] || copy[8..] != header[8..] {
                return Err(TokenError::Altered);
            }
            HEADER_LEN + CONFOUNDER_LEN..HEADER_LEN + end
        } else {
            if ec != c || body.len() < c {
                return Err(TokenError::Malformed);
            }
            let (data, cksum) = body.split_at(body.len() - c);
            let zeroed = wrap_header(h.flags, 0, 0, h.seq);
            if !key.verify_checksum(&[data, &zeroed], cksum) {
                return Err(TokenError::Altered);
            }
            HEADER_LEN..HEADER_LEN + data.len()
        };
        if data.len() > room {
            return Err(TokenError::Malformed);
        }
        self.recv.check(h.seq)?;
        Ok((&self.scratch.0[data], sealed))
    }
}

#[cfg(test)]
impl Wrapped<'_> {
    /// The whole token.
    pub fn joined(&self) -> Vec<u8> {
        [self.head, self.data, self.padding].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(enctype: Enctype) -> (Session, Session) {
        let key = Key::new(enctype, &vec![0x42; enctype.key_len()]).unwrap();
        let a = Session::new(
            key.clone(),
            true,
            true,
            7,
            SequenceWindow::new(100, true, false),
        );
        let b = Session::new(key, false, true, 100, SequenceWindow::new(7, true, false));
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
                let t = b
                    .wrap(&[b"attack ", b"at dawn"], sealed, &conf)
                    .unwrap()
                    .joined();
                assert_eq!(t.len(), b.wrap_trailer_len(sealed) + 14);
                assert_eq!(t[2] & SENT_BY_ACCEPTOR, SENT_BY_ACCEPTOR);
                if !sealed {
                    assert_eq!(&t[t.len() - 14..], b"attack at dawn");
                }
                let (pt, was_sealed) = a.unwrap(&[&t[..20], &t[20..]]).unwrap();
                assert_eq!((pt, was_sealed), (&b"attack at dawn"[..], sealed));
                // One flipped bit anywhere is refused.
                let good = b
                    .wrap(&[b"attack at dawn"], sealed, &conf)
                    .unwrap()
                    .joined();
                for i in 0..good.len() {
                    let mut bad = good.clone();
                    bad[i] ^= 1;
                    assert!(a.unwrap(&[&bad]).is_err(), "bit flipped in byte {i}");
                }
            }
            // A token sent by the initiator is not taken by the initiator.
            let own = a.wrap(&[b"x"], true, &[1; 16]).unwrap().joined();
            assert_eq!(a.unwrap(&[&own]).unwrap_err(), TokenError::Malformed);
            // An empty message, and a large one, in both modes.
            for (len, sealed) in [(0, true), (0, false), (70_000, true), (70_000, false)] {
                let m = vec![0x5a; len];
                let t = a.wrap(&[&m], sealed, &[2; 16]).unwrap().joined();
                assert_eq!(b.unwrap(&[&t]).unwrap(), (&m[..], sealed));
            }
        }
    }

    #[test]
    fn no_room_uses_nothing_up() {
        for e in [Enctype::Aes256CtsHmacSha196, Enctype::Rc4Hmac] {
            let (mut a, mut b) = pair(e);
            let t = a.wrap(&[b"twelve bytes"], true, &[4; 16]).unwrap().joined();
            // Room for 11 bytes: refused, and the sequence number is not
            // spent: the same token then goes through.
            assert_eq!(b.unwrap_within(&[&t], 11), Err(TokenError::Malformed));
            assert_eq!(b.unwrap_within(&[&t], 12).unwrap().0, b"twelve bytes");
        }
    }

    #[test]
    fn an_unrotated_token_unwraps_too() {
        // MIT's gss_wrap sends RRC 0: rotate ours back and fix the header.
        let (mut a, mut b) = pair(Enctype::Aes256CtsHmacSha196);
        let t = a.wrap(&[b"plain"], true, &[3; 16]).unwrap().joined();
        let rrc = usize::from(u16::from_be_bytes([t[6], t[7]]));
        let body = &t[HEADER_LEN..];
        let mut flat = t[..HEADER_LEN].to_vec();
        flat[6..8].copy_from_slice(&[0, 0]);
        flat.extend_from_slice(&body[rrc..]);
        flat.extend_from_slice(&body[..rrc]);
        assert_eq!(b.unwrap(&[&flat]).unwrap().0, b"plain");
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
