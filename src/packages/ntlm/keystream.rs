//! A connection-oriented RC4 keystream that remembers its key and how many
//! bytes it has produced, so that its state can be exported and rebuilt.
//!
//! The RC4 implementation keeps its permutation private, so an exported
//! keystream is (key, position) and importing it regenerates and discards
//! `position` bytes: import time grows with the traffic the context has
//! already carried (about 0.6 s per GiB in an optimised build).

use rc4::{KeyInit, Rc4, StreamCipher};
use zeroize::Zeroizing;

use super::error::Error;

/// The largest keystream position that can be exported and imported
/// (64 GiB). It bounds the time an import can take on a corrupted or
/// hostile blob to well under a minute or two.
pub const MAX_POSITION: u64 = 1 << 36;

/// An RC4 cipher keyed with a 16-byte key. Infallible: RC4's key schedule
/// cycles through the key, so the key repeated to the cipher's nominal
/// 32 bytes gives exactly the same schedule as the 16-byte key itself.
pub fn rc4_with_key(key: &[u8; 16]) -> Rc4 {
    let mut doubled = Zeroizing::new([0u8; 32]);
    doubled[..16].copy_from_slice(key);
    doubled[16..].copy_from_slice(key);
    Rc4::new((&*doubled).into())
}

/// RC4 state for one direction of a connection, plus what is needed to
/// rebuild it.
pub struct Keystream {
    key: Zeroizing<[u8; 16]>,
    cipher: Rc4,
    position: u64,
}

impl Keystream {
    /// A keystream at position 0.
    pub fn new(key: &[u8; 16]) -> Self {
        Keystream {
            key: Zeroizing::new(*key),
            cipher: rc4_with_key(key),
            position: 0,
        }
    }

    /// A keystream that has already produced `position` bytes.
    /// `InvalidParameter` when `position` exceeds [`MAX_POSITION`].
    pub fn at_position(key: &[u8; 16], position: u64) -> Result<Self, Error> {
        if position > MAX_POSITION {
            return Err(Error::InvalidParameter);
        }
        let mut stream = Keystream::new(key);
        let mut scratch = Zeroizing::new([0u8; 4096]);
        let mut left = position;
        while left > 0 {
            let n = usize::try_from(left.min(4096)).unwrap_or(4096);
            let chunk = scratch.get_mut(..n).ok_or(Error::Internal)?;
            stream.cipher.apply_keystream(chunk);
            left -= n as u64;
        }
        stream.position = position;
        Ok(stream)
    }

    /// XORs the next `data.len()` keystream bytes into `data`.
    pub fn apply(&mut self, data: &mut [u8]) {
        self.cipher.apply_keystream(data);
        self.position = self.position.wrapping_add(data.len() as u64);
    }

    /// The RC4 key.
    pub fn key(&self) -> &[u8; 16] {
        &self.key
    }

    /// How many keystream bytes have been used.
    pub fn position(&self) -> u64 {
        self.position
    }
}

impl core::fmt::Debug for Keystream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Keystream")
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubled_key_matches_the_sixteen_byte_key() {
        let key: [u8; 16] = core::array::from_fn(|i| (i * 37 + 5) as u8);
        let mut a = rc4_with_key(&key);
        let mut b = Rc4::new_from_slice(&key).expect("16-byte key");
        let mut x = [0u8; 300];
        let mut y = [0u8; 300];
        a.apply_keystream(&mut x);
        b.apply_keystream(&mut y);
        assert_eq!(x, y);
    }

    #[test]
    fn rc4_known_answer() {
        // RFC 6229, key 0x0102...10 (128-bit), first 16 keystream bytes.
        let key: [u8; 16] = core::array::from_fn(|i| (i + 1) as u8);
        let mut ks = [0u8; 16];
        Keystream::new(&key).apply(&mut ks);
        assert_eq!(
            ks,
            [
                0x9a, 0xc7, 0xcc, 0x9a, 0x60, 0x9d, 0x1e, 0xf7, 0xb2, 0x93, 0x28, 0x99, 0xcd, 0xe4,
                0x1b, 0x97
            ]
        );
    }

    #[test]
    fn resume_at_position() {
        let key = [0x42; 16];
        let mut whole = Keystream::new(&key);
        let mut first = [0u8; 5000];
        whole.apply(&mut first);
        let mut resumed = Keystream::at_position(&key, 5000).expect("in range");
        let mut a = [0u8; 64];
        let mut b = [0u8; 64];
        whole.apply(&mut a);
        resumed.apply(&mut b);
        assert_eq!(a, b);
        assert_eq!(whole.position(), 5064);
        assert_eq!(resumed.position(), 5064);
        assert!(Keystream::at_position(&key, MAX_POSITION + 1).is_err());
    }
}
