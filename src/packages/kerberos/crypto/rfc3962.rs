//! aes128-cts-hmac-sha1-96 (17) and aes256-cts-hmac-sha1-96 (18): RFC
//! 3961's simplified profile over AES (RFC 3962). Keys are derived with
//! DK (n-fold and AES), messages sealed with AES-CTS and authenticated with
//! HMAC-SHA1 truncated to 96 bits over the confounder and the plaintext.

use std::num::NonZeroU32;

use hmac::{Hmac, KeyInit, Mac};
use ring::pbkdf2;
use sha1::Sha1;
use zeroize::Zeroizing;

use crate::crypto::ct_eq;

use super::aes::Cipher;
use super::nfold::nfold;
use super::{CryptoError, CONFOUNDER_LEN};

/// The truncated HMAC's length.
pub const MAC_LEN: usize = 12;

/// HMAC-SHA1 keyed once (the inner and outer states), cloned per message.
type HmacSha1 = Hmac<Sha1>;

/// DR (RFC 3961 section 5.1): AES-encrypts n-fold(constant) over and over
/// until there are as many bytes as the key has.
pub fn dr(key: &[u8], constant: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let cipher = Cipher::new(key)?;
    let mut block: [u8; 16] = nfold(constant, 16)
        .try_into()
        .map_err(|_| CryptoError::BadKey)?;
    let mut out = Zeroizing::new(Vec::with_capacity(key.len()));
    while out.len() < key.len() {
        cipher.encrypt_block(&mut block);
        let take = (key.len() - out.len()).min(16);
        out.extend_from_slice(&block[..take]);
    }
    Ok(out)
}

/// DK: DR then random-to-key, the identity for AES.
pub fn dk(key: &[u8], constant: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    dr(key, constant)
}

/// The key derived for `usage` and purpose byte `which` (0x99 checksum,
/// 0xAA encryption, 0x55 integrity).
fn derived(key: &[u8], usage: u32, which: u8) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut constant = [0u8; 5];
    constant[..4].copy_from_slice(&usage.to_be_bytes());
    constant[4] = which;
    dk(key, &constant)
}

/// string-to-key: PBKDF2-HMAC-SHA1 over the password and salt, then
/// DK(key, "kerberos").
pub fn string_to_key(
    key_len: usize,
    password: &[u8],
    salt: &[u8],
    iterations: NonZeroU32,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut tkey = Zeroizing::new(vec![0u8; key_len]);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA1,
        iterations,
        salt,
        password,
        &mut tkey,
    );
    dk(&tkey, b"kerberos")
}

fn hmac_key(key: &[u8]) -> HmacSha1 {
    <HmacSha1 as KeyInit>::new_from_slice(key).expect("HMAC takes any key")
}

fn hmac_sha1_96(key: &HmacSha1, parts: &[&[u8]]) -> [u8; MAC_LEN] {
    let mut m = key.clone();
    for p in parts {
        m.update(p);
    }
    let tag = m.finalize().into_bytes();
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&tag[..MAC_LEN]);
    out
}

/// A base key's derived keys for one usage: Ke's AES schedule, Ki and Kc
/// keyed into HMAC-SHA1.
#[derive(Clone)]
pub struct Keys {
    ke: Cipher,
    ki: HmacSha1,
    kc: HmacSha1,
}

impl Keys {
    /// Derives Ke, Ki and Kc of `key` for `usage`.
    pub fn new(key: &[u8], usage: u32) -> Result<Keys, CryptoError> {
        Ok(Keys {
            ke: Cipher::new(&derived(key, usage, 0xAA)?)?,
            ki: hmac_key(&derived(key, usage, 0x55)?),
            kc: hmac_key(&derived(key, usage, 0x99)?),
        })
    }

    /// Encrypts `data` (confounder | plaintext) in place with CTS(Ke) and
    /// writes HMAC-SHA1-96(Ki, confounder | plaintext) into `mac`.
    pub fn seal(&self, data: &mut [u8], mac: &mut [u8]) -> Result<(), CryptoError> {
        let tag = hmac_sha1_96(&self.ki, &[data]);
        self.ke.cts_encrypt(data)?;
        mac.copy_from_slice(&tag);
        Ok(())
    }

    /// Decrypts `data` in place and checks `mac` against it; on failure the
    /// buffer holds garbage.
    pub fn open(&self, data: &mut [u8], mac: &[u8]) -> Result<(), CryptoError> {
        if data.len() < CONFOUNDER_LEN {
            return Err(CryptoError::Truncated);
        }
        self.ke.cts_decrypt(data)?;
        if !ct_eq(&hmac_sha1_96(&self.ki, &[data]), mac) {
            return Err(CryptoError::Integrity);
        }
        Ok(())
    }

    /// The checksum of `parts`, concatenated (hmac-sha1-96-aes128/256,
    /// types 15 and 16): HMAC-SHA1-96 with Kc.
    pub fn checksum(&self, parts: &[&[u8]]) -> [u8; MAC_LEN] {
        hmac_sha1_96(&self.kc, parts)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::unhex;
    use super::*;

    #[test]
    fn rfc3962_string_to_key() {
        // RFC 3962 appendix B (also ../shared/reference/test-vectors.md).
        let athena = b"ATHENA.MIT.EDUraeburn";
        let x64 = [b'X'; 64];
        let x65 = [b'X'; 65];
        /// Iterations, password, salt, AES128 key, AES256 key.
        type Case<'a> = (u32, &'a [u8], &'a [u8], &'a str, &'a str);
        let cases: [Case<'_>; 7] = [
            (
                1,
                b"password",
                athena,
                "42263c6e89f4fc28b8df68ee09799f15",
                "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161",
            ),
            (
                2,
                b"password",
                athena,
                "c651bf29e2300ac27fa469d693bdda13",
                "a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff",
            ),
            (
                1200,
                b"password",
                athena,
                "4c01cd46d632d01e6dbe230a01ed642a",
                "55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a",
            ),
            (
                5,
                b"password",
                &[0x12, 0x34, 0x56, 0x78, 0x78, 0x56, 0x34, 0x12],
                "e9b23d52273747dd5c35cb55be619d8e",
                "97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31",
            ),
            (
                1200,
                &x64,
                b"pass phrase equals block size",
                "59d1bb789a828b1aa54ef9c2883f69ed",
                "89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34",
            ),
            (
                1200,
                &x65,
                b"pass phrase exceeds block size",
                "cb8005dc5f90179a7f02104c0018751d",
                "d78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b",
            ),
            (
                50,
                &[0xf0, 0x9d, 0x84, 0x9e],
                b"EXAMPLE.COMpianist",
                "f149c1f2e154a73452d43e7fe62a56e5",
                "4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e",
            ),
        ];
        for (iterations, password, salt, k128, k256) in cases {
            let n = NonZeroU32::new(iterations).unwrap();
            assert_eq!(
                *string_to_key(16, password, salt, n).unwrap(),
                unhex(k128),
                "{iterations}"
            );
            assert_eq!(
                *string_to_key(32, password, salt, n).unwrap(),
                unhex(k256),
                "{iterations}"
            );
        }
    }

    #[test]
    fn derived_keys() {
        // The KRB5KDF vectors of OpenSSL's test suite (evpkdf_krb5.txt).
        let k128 = unhex("42263C6E89F4FC28B8DF68EE09799F15");
        assert_eq!(
            *dk(&k128, &unhex("0000000299")).unwrap(),
            unhex("34280A382BC92769B2DA2F9EF066854B")
        );
        assert_eq!(
            *dk(&k128, &unhex("00000002AA")).unwrap(),
            unhex("5B14FC4E250E14DDF9DCCF1AF6674F53")
        );
        let k256 = unhex("FE697B52BC0D3CE14432BA036A92E65BBB52280990A2FA27883998D72AF30161");
        assert_eq!(
            *dk(&k256, &unhex("0000000299")).unwrap(),
            unhex("BFAB388BDCB238E9F9C98D6A878304F04D30C82556375AC507A7A852790F4674")
        );
    }

    #[test]
    fn seal_and_open() {
        use super::super::{Enctype, Key};
        for (enctype, bytes) in [
            (Enctype::Aes128CtsHmacSha196, [7u8; 16].as_slice()),
            (Enctype::Aes256CtsHmacSha196, [9u8; 32].as_slice()),
        ] {
            let key = Key::new(enctype, bytes).unwrap();
            let encrypt = |u, c: &[u8; 16], p: &[u8]| key.encrypt(u, c, p);
            let decrypt = |u, c: &[u8]| key.decrypt(u, c);
            for len in [0usize, 1, 15, 16, 17, 31, 32, 100] {
                let plain: Vec<u8> = (0..len as u8).collect();
                let c = encrypt(3, &[0x5a; 16], &plain).unwrap();
                assert_eq!(c.len(), 16 + len + MAC_LEN);
                assert_eq!(*decrypt(3, &c).unwrap(), plain);
                // Another usage, a flipped bit, a short message: refused.
                assert_eq!(decrypt(4, &c), Err(CryptoError::Integrity));
                let mut bad = c.clone();
                bad[5] ^= 1;
                assert_eq!(decrypt(3, &bad), Err(CryptoError::Integrity));
                assert_eq!(decrypt(3, &c[..27]), Err(CryptoError::Truncated));
            }
        }
    }
}
