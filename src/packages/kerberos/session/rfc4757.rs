//! RFC 4757 section 7's per-message tokens, for sessions keyed with
//! rc4-hmac: RFC 1964's token layout in the GSS framing, HMAC-MD5
//! checksums, RC4 sealing, and an RC4-encrypted sequence number.
//!
//! A MIC token is TOK_ID 01 01, SGN_ALG 11 00 (HMAC-MD5), four filler
//! bytes, SND_SEQ and SGN_CKSUM (8 bytes each). A Wrap token is TOK_ID
//! 02 01, SGN_ALG, SEAL_ALG (10 00: RC4; FF FF: none), two filler bytes,
//! SND_SEQ, SGN_CKSUM and an 8-byte confounder, then the data and one
//! byte of padding (RC4's block is one byte). SND_SEQ is the sequence
//! number (big-endian, RFC 4757's change to RFC 1964) and the direction
//! (zeros from the initiator, FF from the acceptor).

use super::{gather, Session, TokenError, Wrapped};
use crate::crypto::rc4::Keystream;
use crate::packages::kerberos::ap::{frame_head, unframe, KRB5_OID, MS_KRB5_OID};
use crate::packages::kerberos::crypto::hmac_md5;

const TOK_MIC: [u8; 2] = [0x01, 0x01];
const TOK_WRAP: [u8; 2] = [0x02, 0x01];
const SGN_ALG_HMAC_MD5: [u8; 2] = [0x11, 0x00];
const SEAL_ALG_RC4: [u8; 2] = [0x10, 0x00];
const SEAL_ALG_NONE: [u8; 2] = [0xff, 0xff];
/// The checksum key usages of MIC and Wrap tokens.
const USAGE_MIC: u32 = 15;
const USAGE_WRAP: u32 = 13;
const CONFOUNDER_LEN: usize = 8;
const CKSUM_LEN: usize = 8;
/// The token header after TOK_ID: SGN_ALG, SEAL_ALG or filler, filler,
/// SND_SEQ, SGN_CKSUM.
const HEADER_LEN: usize = 6 + 8 + CKSUM_LEN;
/// The krb5 OID's DER (11 bytes) and TOK_ID, inside the framing.
const OID_AND_TOK_LEN: usize = 11 + 2;

/// Wrap tokens' padding: one byte of value 1.
pub const PADDING_LEN: usize = 1;
/// A MIC token's length (its framing's length fits one byte).
pub const MIC_LEN: usize = 2 + OID_AND_TOK_LEN + HEADER_LEN;
/// The longest head of a Wrap token: the framing with a 5-byte length.
pub const MAX_WRAP_HEAD_LEN: usize = 6 + OID_AND_TOK_LEN + HEADER_LEN + CONFOUNDER_LEN;

/// The TOKEN part of a Wrap token of `data_len` bytes: the framing (whose
/// length counts the data and the padding) and the token header.
pub fn wrap_head_len(data_len: usize) -> usize {
    let inner = OID_AND_TOK_LEN + HEADER_LEN + CONFOUNDER_LEN + data_len + PADDING_LEN;
    let len_len = match inner {
        0..=0x7f => 1,
        0x80..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xff_ffff => 4,
        _ => 5,
    };
    1 + len_len + OID_AND_TOK_LEN + HEADER_LEN + CONFOUNDER_LEN
}

/// The 8-byte SND_SEQ of sequence number `seq` sent by the initiator or
/// the acceptor.
fn snd_seq(seq: u64, from_initiator: bool) -> [u8; 8] {
    let mut s = [0u8; 8];
    s[..4].copy_from_slice(&(seq as u32).to_be_bytes());
    if !from_initiator {
        s[4..].fill(0xff);
    }
    s
}

impl Session {
    /// SGN_CKSUM: the key's HMAC-MD5 checksum (type -138) for `usage` over
    /// the token's first 8 bytes and `parts`, truncated to 8 bytes.
    fn rc4_cksum(&self, usage: u32, parts: &[&[u8]]) -> Result<[u8; CKSUM_LEN], TokenError> {
        let key = self.key.usage(usage).map_err(|_| TokenError::Malformed)?;
        let mut full = [0u8; 16];
        key.checksum(parts, &mut full);
        let mut out = [0u8; CKSUM_LEN];
        out.copy_from_slice(&full[..CKSUM_LEN]);
        Ok(out)
    }

    /// Encrypts or decrypts SND_SEQ in place: RC4 with
    /// HMAC-MD5(HMAC-MD5(key, 0), SGN_CKSUM).
    fn rc4_seq_crypt(&self, snd_seq: &mut [u8], cksum: &[u8]) {
        let kseq = hmac_md5(self.key.bytes(), &[&0u32.to_le_bytes()]);
        let kseq = hmac_md5(&*kseq, &[cksum]);
        Keystream::new(&kseq).apply(snd_seq);
    }

    /// The sealing stream for sequence number bytes `seq`: RC4 with
    /// HMAC-MD5(HMAC-MD5(key XOR F0, 0), seq).
    fn rc4_seal_stream(&self, seq: &[u8]) -> Keystream {
        let mut local = zeroize::Zeroizing::new([0u8; 16]);
        for (l, k) in local.iter_mut().zip(self.key.bytes()) {
            *l = k ^ 0xf0;
        }
        let kcrypt = hmac_md5(&*local, &[&0u32.to_le_bytes()]);
        let kcrypt = hmac_md5(&*kcrypt, &[seq]);
        Keystream::new(&kcrypt)
    }

    /// Reads a received header (after TOK_ID): decrypts SND_SEQ, checks
    /// the direction, and gives the sequence number.
    fn rc4_received_seq(&self, header: &[u8]) -> Result<u64, TokenError> {
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&header[6..14]);
        self.rc4_seq_crypt(&mut seq, &header[14..22]);
        // The peer's direction: from the acceptor when we initiated.
        if seq[4..] != snd_seq(0, !self.initiator)[4..] {
            return Err(TokenError::Malformed);
        }
        Ok(u64::from(u32::from_be_bytes([
            seq[0], seq[1], seq[2], seq[3],
        ])))
    }

    pub(super) fn rc4_mic(&mut self, parts: &[&[u8]]) -> Result<Vec<u8>, TokenError> {
        let mut token = frame_head(&KRB5_OID, TOK_MIC, HEADER_LEN);
        let at = token.len();
        token.extend_from_slice(&SGN_ALG_HMAC_MD5);
        token.extend_from_slice(&[0xff; 4]);
        token.extend_from_slice(&snd_seq(self.send_seq, self.initiator));
        let mut signed = vec![&TOK_MIC[..], &token[at..at + 6]];
        signed.extend_from_slice(parts);
        let cksum = self.rc4_cksum(USAGE_MIC, &signed)?;
        token.extend_from_slice(&cksum);
        self.rc4_seq_crypt(&mut token[at + 6..at + 14], &cksum);
        self.send_seq = self.send_seq.wrapping_add(1);
        Ok(token)
    }

    pub(super) fn rc4_verify_mic(
        &mut self,
        parts: &[&[u8]],
        token: &[u8],
    ) -> Result<(), TokenError> {
        let (oid, tok_id, header) = unframe(token).ok_or(TokenError::Malformed)?;
        let at = header.as_ptr() as usize - token.as_ptr() as usize;
        if at + header.len() != token.len() {
            return Err(TokenError::Malformed);
        }
        if (oid != KRB5_OID && oid != MS_KRB5_OID)
            || tok_id != TOK_MIC
            || header.len() != HEADER_LEN
            || header[..2] != SGN_ALG_HMAC_MD5
            || header[2..6] != [0xff; 4]
        {
            return Err(TokenError::Malformed);
        }
        let seq = self.rc4_received_seq(header)?;
        let mut signed = vec![&TOK_MIC[..], &header[..6]];
        signed.extend_from_slice(parts);
        let cksum = self.rc4_cksum(USAGE_MIC, &signed)?;
        if !crate::crypto::ct_eq(&cksum, &header[14..]) {
            return Err(TokenError::Altered);
        }
        self.recv.check(seq)
    }

    pub(super) fn rc4_wrap(
        &mut self,
        parts: &[&[u8]],
        sealed: bool,
        confounder: &[u8],
    ) -> Result<Wrapped<'_>, TokenError> {
        let confounder = confounder
            .get(..CONFOUNDER_LEN)
            .ok_or(TokenError::Malformed)?;
        let n: usize = parts.iter().map(|p| p.len()).sum();
        // The framing's length is at most 32 bits.
        if n > (u32::MAX as usize) / 2 {
            return Err(TokenError::Malformed);
        }
        let body_len = HEADER_LEN + CONFOUNDER_LEN + n + PADDING_LEN;
        let frame = frame_head(&KRB5_OID, TOK_WRAP, body_len);
        let at = frame.len();
        let head_len = at + HEADER_LEN + CONFOUNDER_LEN;
        let seq = snd_seq(self.send_seq, self.initiator);
        let seal_alg = if sealed { SEAL_ALG_RC4 } else { SEAL_ALG_NONE };
        // The checksum covers TOK_ID, SGN_ALG, SEAL_ALG, filler, the
        // confounder, the data and the padding, before encryption.
        let mut first8 = [0u8; 8];
        first8[..2].copy_from_slice(&TOK_WRAP);
        first8[2..4].copy_from_slice(&SGN_ALG_HMAC_MD5);
        first8[4..6].copy_from_slice(&seal_alg);
        first8[6..].copy_from_slice(&[0xff, 0xff]);
        let mut signed = vec![&first8[..], confounder];
        signed.extend_from_slice(parts);
        signed.push(&[1u8]);
        let cksum = self.rc4_cksum(USAGE_WRAP, &signed)?;
        let stream = sealed.then(|| self.rc4_seal_stream(&seq[..4]));
        let mut enc_seq = seq;
        self.rc4_seq_crypt(&mut enc_seq, &cksum);

        let buf = self.scratch.take(head_len + n + PADDING_LEN);
        buf[..at].copy_from_slice(&frame);
        buf[at..at + 6].copy_from_slice(&first8[2..]);
        buf[at + 6..at + 14].copy_from_slice(&enc_seq);
        buf[at + 14..at + 22].copy_from_slice(&cksum);
        buf[at + 22..head_len].copy_from_slice(confounder);
        gather(parts, &mut buf[head_len..head_len + n]);
        buf[head_len + n] = 1;
        if let Some(mut stream) = stream {
            // One stream over the confounder, the data and the padding.
            stream.apply(&mut buf[at + 22..]);
        }
        self.send_seq = self.send_seq.wrapping_add(1);
        let (head, rest) = self.scratch.0[..head_len + n + PADDING_LEN].split_at(head_len);
        let (data, padding) = rest.split_at(n);
        Ok(Wrapped {
            head,
            data,
            padding,
        })
    }

    pub(super) fn rc4_unwrap(
        &mut self,
        parts: &[&[u8]],
        room: usize,
    ) -> Result<(&[u8], bool), TokenError> {
        let n: usize = parts.iter().map(|p| p.len()).sum();
        // The buffer leaves the session while `rc4_open` borrows it.
        let mut scratch = std::mem::take(&mut self.scratch);
        let opened = self.rc4_open(parts, scratch.take(n), room);
        self.scratch = scratch;
        let (range, sealed) = opened?;
        Ok((&self.scratch.0[range], sealed))
    }

    /// Opens the Wrap token gathered from `parts` into `buf` (as long):
    /// where its plaintext (at most `room` bytes) lies in `buf`, and
    /// whether it was sealed.
    fn rc4_open(
        &mut self,
        parts: &[&[u8]],
        buf: &mut [u8],
        room: usize,
    ) -> Result<(core::ops::Range<usize>, bool), TokenError> {
        gather(parts, buf);
        let total = buf.len();
        let (oid, tok_id, body) = unframe(buf).ok_or(TokenError::Malformed)?;
        if (oid != KRB5_OID && oid != MS_KRB5_OID) || tok_id != TOK_WRAP {
            return Err(TokenError::Malformed);
        }
        // The framing must cover the whole token: every field below is
        // read from, and checksummed over, the same bytes.
        let at = body.as_ptr() as usize - buf.as_ptr() as usize;
        if at + body.len() != total {
            return Err(TokenError::Malformed);
        }
        if body.len() < HEADER_LEN + CONFOUNDER_LEN + PADDING_LEN
            || body[..2] != SGN_ALG_HMAC_MD5
            || body[4..6] != [0xff, 0xff]
        {
            return Err(TokenError::Malformed);
        }
        let sealed = match [body[2], body[3]] {
            SEAL_ALG_RC4 => true,
            SEAL_ALG_NONE => false,
            _ => return Err(TokenError::Malformed),
        };
        let seq = self.rc4_received_seq(body)?;
        let end = at + body.len();
        let mut first8 = [0u8; 8];
        first8[..2].copy_from_slice(&TOK_WRAP);
        first8[2..].copy_from_slice(&buf[at..at + 6]);
        let cksum: [u8; CKSUM_LEN] = buf[at + 14..at + 22]
            .try_into()
            .map_err(|_| TokenError::Malformed)?;
        if sealed {
            let mut s = [0u8; 8];
            s.copy_from_slice(&buf[at + 6..at + 14]);
            self.rc4_seq_crypt(&mut s, &cksum);
            self.rc4_seal_stream(&s[..4]).apply(&mut buf[at + 22..end]);
        }
        let content = &buf[at + 22..end];
        let expected = self.rc4_cksum(USAGE_WRAP, &[&first8, content])?;
        if !crate::crypto::ct_eq(&expected, &cksum) {
            return Err(TokenError::Altered);
        }
        // RFC 1964's padding: 1 to 8 bytes, each the count.
        let pad = usize::from(content[content.len() - 1]);
        if !(1..=8).contains(&pad)
            || content.len() < CONFOUNDER_LEN + pad
            || content[content.len() - pad..]
                .iter()
                .any(|&b| usize::from(b) != pad)
        {
            return Err(TokenError::Malformed);
        }
        let plain = at + 22 + CONFOUNDER_LEN..end - pad;
        if plain.len() > room {
            return Err(TokenError::Malformed);
        }
        self.recv.check(seq)?;
        Ok((plain, sealed))
    }
}

#[cfg(test)]
mod tests {
    use super::super::SequenceWindow;
    use super::*;
    use crate::packages::kerberos::crypto::{Enctype, Key};

    fn pair() -> (Session, Session) {
        let key = Key::new(Enctype::Rc4Hmac, &[0x42; 16]).unwrap();
        let a = Session::new(
            key.clone(),
            true,
            false,
            7,
            SequenceWindow::new(100, true, false),
        );
        let b = Session::new(key, false, false, 100, SequenceWindow::new(7, true, false));
        (a, b)
    }

    #[test]
    fn mic_and_wrap_both_ways() {
        let (mut a, mut b) = pair();
        let mic = a.mic(&[b"hello ", b"world"]).unwrap();
        assert_eq!(mic.len(), a.mic_len());
        assert_eq!(&mic[..2], [0x60, (MIC_LEN - 2) as u8]);
        assert_eq!(&mic[13..17], [0x01, 0x01, 0x11, 0x00]);
        b.verify_mic(&[b"hello world"], &mic).unwrap();
        assert_eq!(
            b.verify_mic(&[b"hello world"], &mic),
            Err(TokenError::Sequence)
        );
        let mic2 = a.mic(&[b"hello world"]).unwrap();
        assert_eq!(
            b.verify_mic(&[b"hello World"], &mic2),
            Err(TokenError::Altered)
        );
        // Bytes after a framed MIC are refused.
        let mut longer = a.mic(&[b"x"]).unwrap();
        longer.push(0);
        assert_eq!(b.verify_mic(&[b"x"], &longer), Err(TokenError::Malformed));
        // Our own MIC is refused by its maker: the direction is wrong.
        let own = b.mic(&[b"x"]).unwrap();
        assert_eq!(b.verify_mic(&[b"x"], &own), Err(TokenError::Malformed));
        for sealed in [true, false] {
            for len in [0usize, 1, 100, 200, 70_000] {
                let m: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let w = b.wrap(&[&m], sealed, &[9; 16]).unwrap();
                assert_eq!(w.head.len(), wrap_head_len(len));
                assert!(w.head.len() <= MAX_WRAP_HEAD_LEN);
                assert_eq!(w.padding.len(), PADDING_LEN);
                assert_eq!(w.data == &m[..], !sealed || len == 0);
                let t = w.joined();
                let (split_a, split_b) = t.split_at(t.len() / 3);
                assert_eq!(a.unwrap(&[split_a, split_b]).unwrap(), (&m[..], sealed));
                // One flipped bit anywhere is refused.
                // (The checksum does not cover SND_SEQ: an integrity-only
                // token whose sequence number bits are flipped passes as
                // another number, RFC 1964's design.)
                let short = &m[..len.min(40)];
                let good = b.wrap(&[short], sealed, &[9; 16]).unwrap().joined();
                let seq_at = good.len() - (short.len() + 1 + 8 + 8 + 8);
                for i in 0..good.len() {
                    if !sealed && (seq_at..seq_at + 4).contains(&i) {
                        continue;
                    }
                    let mut bad = good.clone();
                    bad[i] ^= 1;
                    assert!(
                        a.unwrap(&[&bad]).is_err(),
                        "byte {i} of {len}, sealed {sealed}"
                    );
                }
                a.unwrap(&[&good]).unwrap();
            }
        }
        // A token whose framing covers less than the buffer: the header of
        // one token before the body of another (an attempt to replay the
        // latter under the former's sequence number) is refused.
        let first = b
            .wrap(&[b"first message"], true, &[1; 16])
            .unwrap()
            .joined();
        let second = b
            .wrap(&[b"other message"], true, &[2; 16])
            .unwrap()
            .joined();
        a.unwrap(&[&first]).unwrap();
        let frame = first.len() - (HEADER_LEN + 8 + 13 + 1);
        let mut spliced = second.clone();
        spliced.extend_from_slice(&first[frame..]);
        assert_eq!(a.unwrap(&[&spliced]), Err(TokenError::Malformed));
        a.unwrap(&[&second]).unwrap();
    }
}
