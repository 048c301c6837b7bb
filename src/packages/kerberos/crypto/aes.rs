//! AES as Kerberos uses it: one block encrypted on its own (for RFC 3961's
//! DR), and CBC with ciphertext stealing (CS3, RFC 3962's CTS) from a zero
//! IV. Keys of 16 or 32 bytes; anything else is `BadKey`.

use aes::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use aes::{Aes128, Aes256};
use cts::{CbcCs3, Decrypt, Encrypt, KeyIvInit};

use super::CryptoError;

const ZERO_IV: [u8; 16] = [0; 16];

/// Encrypts one 16-byte block in place.
pub fn encrypt_block(key: &[u8], block: &mut [u8; 16]) -> Result<(), CryptoError> {
    let mut b = Array::from(*block);
    match key.len() {
        16 => Aes128::new_from_slice(key)
            .map_err(|_| CryptoError::BadKey)?
            .encrypt_block(&mut b),
        32 => Aes256::new_from_slice(key)
            .map_err(|_| CryptoError::BadKey)?
            .encrypt_block(&mut b),
        _ => return Err(CryptoError::BadKey),
    }
    block.copy_from_slice(&b);
    Ok(())
}

/// Decrypts one 16-byte block in place.
fn decrypt_block(key: &[u8], block: &mut [u8; 16]) -> Result<(), CryptoError> {
    let mut b = Array::from(*block);
    match key.len() {
        16 => Aes128::new_from_slice(key)
            .map_err(|_| CryptoError::BadKey)?
            .decrypt_block(&mut b),
        32 => Aes256::new_from_slice(key)
            .map_err(|_| CryptoError::BadKey)?
            .decrypt_block(&mut b),
        _ => return Err(CryptoError::BadKey),
    }
    block.copy_from_slice(&b);
    Ok(())
}

/// AES-CTS (CBC-CS3) encryption in place from a zero IV; the data must be
/// at least one block. Exactly one block is plain CBC, as RFC 3962 says
/// (the `cts` crate would steal from an empty block).
pub fn cts_encrypt(key: &[u8], data: &mut [u8]) -> Result<(), CryptoError> {
    if let Ok(block) = <&mut [u8; 16]>::try_from(&mut *data) {
        return encrypt_block(key, block);
    }
    let r = match key.len() {
        16 => CbcCs3::<Aes128>::new_from_slices(key, &ZERO_IV)
            .map_err(|_| CryptoError::BadKey)?
            .encrypt(data),
        32 => CbcCs3::<Aes256>::new_from_slices(key, &ZERO_IV)
            .map_err(|_| CryptoError::BadKey)?
            .encrypt(data),
        _ => return Err(CryptoError::BadKey),
    };
    r.map_err(|_| CryptoError::Truncated)
}

/// AES-CTS (CBC-CS3) decryption in place from a zero IV.
pub fn cts_decrypt(key: &[u8], data: &mut [u8]) -> Result<(), CryptoError> {
    if let Ok(block) = <&mut [u8; 16]>::try_from(&mut *data) {
        return decrypt_block(key, block);
    }
    let r = match key.len() {
        16 => CbcCs3::<Aes128>::new_from_slices(key, &ZERO_IV)
            .map_err(|_| CryptoError::BadKey)?
            .decrypt(data),
        32 => CbcCs3::<Aes256>::new_from_slices(key, &ZERO_IV)
            .map_err(|_| CryptoError::BadKey)?
            .decrypt(data),
        _ => return Err(CryptoError::BadKey),
    };
    r.map_err(|_| CryptoError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::super::tests::unhex;
    use super::*;

    #[test]
    fn rfc3962_cts_vectors() {
        // RFC 3962 appendix B: AES-128 key "chicken teriyaki", IV zero.
        let key = b"chicken teriyaki";
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
            cts_encrypt(key, &mut data).unwrap();
            assert_eq!(data, unhex(expected), "{len} bytes");
            cts_decrypt(key, &mut data).unwrap();
            assert_eq!(data, &input[..len]);
        }
        // Exactly one block: plain CBC from a zero IV, i.e. one AES block.
        let mut one = [3u8; 16];
        let mut block = one;
        cts_encrypt(key, &mut one).unwrap();
        encrypt_block(key, &mut block).unwrap();
        assert_eq!(one, block);
        cts_decrypt(key, &mut one).unwrap();
        assert_eq!(one, [3u8; 16]);
        assert_eq!(cts_encrypt(key, &mut [0; 15]), Err(CryptoError::Truncated));
        assert_eq!(
            cts_encrypt(&[0; 24], &mut [0; 16]),
            Err(CryptoError::BadKey)
        );
    }
}
