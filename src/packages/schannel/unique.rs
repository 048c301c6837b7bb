//! tls-unique (RFC 5929 section 3) for TLS 1.2: the first Finished
//! message's verify_data, which rustls does not expose. It is computed as
//! the client computed it (RFC 5246 section 7.4.9): PRF(master_secret,
//! "client finished", Hash(handshake_messages))[0..12], from the master
//! secret rustls hands its key log and the plaintext handshake messages
//! both sides exchanged before the client's ChangeCipherSpec, which pass
//! through this package anyway.

use parking_lot::Mutex;
use ring::{digest, hmac};
use zeroize::Zeroizing;

use super::records::{frame, Framing, CHANGE_CIPHER_SPEC, HANDSHAKE, HEADER_LEN};

/// The TLS 1.2 master secret, as rustls logs it ("CLIENT_RANDOM"); taken
/// once, and wiped when dropped.
#[derive(Debug, Default)]
pub struct MasterSecret(Mutex<Option<Zeroizing<Vec<u8>>>>);

impl rustls::KeyLog for MasterSecret {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        if label == "CLIENT_RANDOM" {
            *self.0.lock() = Some(Zeroizing::new(secret.to_vec()));
        }
    }

    fn will_log(&self, label: &str) -> bool {
        label == "CLIENT_RANDOM"
    }
}

/// The handshake messages of a TLS 1.2 full handshake up to the client's
/// ChangeCipherSpec, in the order they were sent.
#[derive(Debug, Default)]
pub struct Transcript {
    messages: Vec<u8>,
    /// The client's ChangeCipherSpec went by: nothing more is plaintext.
    closed: bool,
}

impl Transcript {
    /// Takes in records one side sent (`from_client`): the bodies of
    /// handshake records, until the client's ChangeCipherSpec.
    pub fn observe(&mut self, mut records: &[u8], from_client: bool) {
        while !self.closed {
            let Framing::Record(header, total) = frame(records) else {
                return;
            };
            match header.content_type {
                HANDSHAKE => self.messages.extend_from_slice(&records[HEADER_LEN..total]),
                CHANGE_CIPHER_SPEC if from_client => self.closed = true,
                _ => {}
            }
            records = &records[total..];
        }
    }

    /// verify_data of the client's Finished, with the suite's PRF hash
    /// (SHA-384 or SHA-256).
    pub fn client_finished(&self, master: &MasterSecret, sha384: bool) -> Option<[u8; 12]> {
        if !self.closed {
            return None;
        }
        let master = master.0.lock().take()?;
        let (hash, mac) = if sha384 {
            (&digest::SHA384, hmac::HMAC_SHA384)
        } else {
            (&digest::SHA256, hmac::HMAC_SHA256)
        };
        let mut seed = b"client finished".to_vec();
        seed.extend_from_slice(digest::digest(hash, &self.messages).as_ref());
        // P_hash (RFC 5246 section 5), one block: HMAC(secret, A(1) + seed)
        // with A(1) = HMAC(secret, seed).
        let key = hmac::Key::new(mac, &master);
        let a1 = hmac::sign(&key, &seed);
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a1.as_ref());
        ctx.update(&seed);
        let block = ctx.sign();
        block.as_ref()[..12].try_into().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::KeyLog;

    #[test]
    fn the_transcript_stops_at_the_clients_change_cipher_spec() {
        let mut t = Transcript::default();
        t.observe(&[22, 3, 3, 0, 2, 1, 2, 22, 3, 3, 0, 1, 3], true);
        t.observe(&[20, 3, 3, 0, 1, 1], false);
        t.observe(&[22, 3, 3, 0, 1, 4], false);
        assert_eq!(t.messages, [1, 2, 3, 4]);
        t.observe(&[20, 3, 3, 0, 1, 1, 22, 3, 3, 0, 1, 9], true);
        assert!(t.closed);
        assert_eq!(
            t.messages,
            [1, 2, 3, 4],
            "the encrypted Finished is not taken"
        );
        let m = MasterSecret::default();
        assert!(m.will_log("CLIENT_RANDOM") && !m.will_log("CLIENT_TRAFFIC_SECRET_0"));
        m.log("CLIENT_RANDOM", &[0; 32], &[7; 48]);
        let v = t.client_finished(&m, false).unwrap();
        assert!(
            t.client_finished(&m, false).is_none(),
            "the secret is taken once"
        );
        // The same PRF by its definition, computed again in two steps.
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[7; 48]);
        let mut seed = b"client finished".to_vec();
        seed.extend_from_slice(digest::digest(&digest::SHA256, &[1, 2, 3, 4]).as_ref());
        let a1 = hmac::sign(&key, &seed);
        let mut joined = a1.as_ref().to_vec();
        joined.extend_from_slice(&seed);
        assert_eq!(&hmac::sign(&key, &joined).as_ref()[..12], &v);
    }
}
