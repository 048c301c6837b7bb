//! AES as Kerberos uses it: one block encrypted on its own (for RFC 3961's
//! DR), and CBC with ciphertext stealing (CS3, RFC 3962's CTS) from a zero
//! IV. Keys of 16 or 32 bytes; anything else is `BadKey`.

use aes::cipher::InnerIvInit;
use aes::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use aes::{Aes128, Aes256};
use cts::{CbcCs3, Decrypt, Encrypt};

use super::CryptoError;

const ZERO_IV: [u8; 16] = [0; 16];

/// An AES key schedule (128 or 256 bits), made once and kept for many
/// messages; wiped when dropped (the `aes` crate's `zeroize` feature).
#[derive(Clone)]
pub enum Cipher {
    Aes128(Aes128),
    Aes256(Aes256),
}

impl Cipher {
    /// The schedule of a 16- or 32-byte key; anything else is `BadKey`.
    pub fn new(key: &[u8]) -> Result<Cipher, CryptoError> {
        match key.len() {
            16 => Aes128::new_from_slice(key).map(Cipher::Aes128),
            32 => Aes256::new_from_slice(key).map(Cipher::Aes256),
            _ => return Err(CryptoError::BadKey),
        }
        .map_err(|_| CryptoError::BadKey)
    }

    /// Encrypts one 16-byte block in place.
    pub fn encrypt_block(&self, block: &mut [u8; 16]) {
        let b: &mut Array<u8, _> = block.into();
        match self {
            Cipher::Aes128(c) => c.encrypt_block(b),
            Cipher::Aes256(c) => c.encrypt_block(b),
        }
    }

    /// Decrypts one 16-byte block in place.
    fn decrypt_block(&self, block: &mut [u8; 16]) {
        let b: &mut Array<u8, _> = block.into();
        match self {
            Cipher::Aes128(c) => c.decrypt_block(b),
            Cipher::Aes256(c) => c.decrypt_block(b),
        }
    }

    /// AES-CTS (CBC-CS3) encryption in place from a zero IV; the data must
    /// be at least one block. Exactly one block is plain CBC, as RFC 3962
    /// says (the `cts` crate would steal from an empty block).
    pub fn cts_encrypt(&self, data: &mut [u8]) -> Result<(), CryptoError> {
        if let Ok(block) = <&mut [u8; 16]>::try_from(&mut *data) {
            self.encrypt_block(block);
            return Ok(());
        }
        let iv = Array::from(ZERO_IV);
        match self {
            Cipher::Aes128(c) => CbcCs3::inner_iv_init(c.clone(), &iv).encrypt(data),
            Cipher::Aes256(c) => CbcCs3::inner_iv_init(c.clone(), &iv).encrypt(data),
        }
        .map_err(|_| CryptoError::Truncated)
    }

    /// AES-CTS (CBC-CS3) decryption in place from a zero IV.
    pub fn cts_decrypt(&self, data: &mut [u8]) -> Result<(), CryptoError> {
        if let Ok(block) = <&mut [u8; 16]>::try_from(&mut *data) {
            self.decrypt_block(block);
            return Ok(());
        }
        let iv = Array::from(ZERO_IV);
        match self {
            Cipher::Aes128(c) => CbcCs3::inner_iv_init(c.clone(), &iv).decrypt(data),
            Cipher::Aes256(c) => CbcCs3::inner_iv_init(c.clone(), &iv).decrypt(data),
        }
        .map_err(|_| CryptoError::Truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::unhex;
    use super::*;

    #[test]
    fn rfc3962_cts_vectors() {
        // RFC 3962 appendix B: AES-128 key "chicken teriyaki", IV zero.
        let cipher = Cipher::new(b"chicken teriyaki").unwrap();
        // "I would like the General Gau's Chicken, please, and wonton soup."
        let input = unhex(
            "4920776f756c64206c696b652074686520\
             47656e6572616c20476175277320436869636b656e2c20706c656173652c20\
             616e6420776f6e746f6e20736f75702e",
        );
        for (len, expected) in [
            (17, "c6353568f2bf8cb4d8a580362da7ff7f97"),
            (31, "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5"),
            (
                32,
                "39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584",
            ),
            (
                47,
                "97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5",
            ),
            (
                48,
                "97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8",
            ),
            (
                64,
                "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a8\
                 4807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8",
            ),
        ] {
            let mut data = input[..len].to_vec();
            cipher.cts_encrypt(&mut data).unwrap();
            assert_eq!(data, unhex(expected), "{len} bytes");
            cipher.cts_decrypt(&mut data).unwrap();
            assert_eq!(data, &input[..len]);
        }
        // Exactly one block: plain CBC from a zero IV, i.e. one AES block.
        let mut one = [3u8; 16];
        let mut block = one;
        cipher.cts_encrypt(&mut one).unwrap();
        cipher.encrypt_block(&mut block);
        assert_eq!(one, block);
        cipher.cts_decrypt(&mut one).unwrap();
        assert_eq!(one, [3u8; 16]);
        assert_eq!(
            cipher.cts_encrypt(&mut [0; 15]),
            Err(CryptoError::Truncated)
        );
        assert!(matches!(Cipher::new(&[0; 24]), Err(CryptoError::BadKey)));
    }
}
