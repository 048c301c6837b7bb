//! aes128-cts-hmac-sha256-128 (19) and aes256-cts-hmac-sha384-192 (20),
//! RFC 8009: keys from the SP 800-108 counter-mode KDF over HMAC-SHA256 or
//! HMAC-SHA384, AES-CTS from a zero IV, then HMAC over IV | ciphertext
//! (encrypt-then-MAC).

use std::num::NonZeroU32;

use ring::{hmac, pbkdf2};
use zeroize::Zeroizing;

use crate::crypto::ct_eq;

use super::aes::Cipher;
use super::{CryptoError, CONFOUNDER_LEN};

/// The two profiles' parameters.
#[derive(Clone, Copy)]
pub struct Profile {
    /// The enctype's name, prefixed to the salt by string-to-key.
    pub name: &'static str,
    /// AES key length in bytes.
    pub key_len: usize,
    /// The truncated HMAC's length (and Kc's and Ki's).
    pub mac_len: usize,
    hmac: hmac::Algorithm,
    pbkdf2: pbkdf2::Algorithm,
}

/// aes128-cts-hmac-sha256-128.
pub static AES128_SHA256: Profile = Profile {
    name: "aes128-cts-hmac-sha256-128",
    key_len: 16,
    mac_len: 16,
    hmac: hmac::HMAC_SHA256,
    pbkdf2: pbkdf2::PBKDF2_HMAC_SHA256,
};

/// aes256-cts-hmac-sha384-192.
pub static AES256_SHA384: Profile = Profile {
    name: "aes256-cts-hmac-sha384-192",
    key_len: 32,
    mac_len: 24,
    hmac: hmac::HMAC_SHA384,
    pbkdf2: pbkdf2::PBKDF2_HMAC_SHA384,
};

const ZERO_IV: [u8; 16] = [0; 16];

fn mac(p: &Profile, key: &[u8], parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let key = hmac::Key::new(p.hmac, key);
    let mut ctx = hmac::Context::with_key(&key);
    for part in parts {
        ctx.update(part);
    }
    Zeroizing::new(ctx.sign().as_ref().to_vec())
}

/// KDF-HMAC-SHA2(key, label, k bits): the first k bits of
/// HMAC(key, 0x00000001 | label | 0x00 | k).
pub fn kdf(p: &Profile, key: &[u8], label: &[u8], bits: u32) -> Zeroizing<Vec<u8>> {
    let mut out = mac(
        p,
        key,
        &[&1u32.to_be_bytes(), label, &[0], &bits.to_be_bytes()],
    );
    out.truncate(bits as usize / 8);
    out
}

/// The key derived for `usage` and purpose byte `which` (0x99 checksum,
/// 0xAA encryption, 0x55 integrity): Ke is a whole AES key, Kc and Ki the
/// MAC's length.
fn derived(p: &Profile, key: &[u8], usage: u32, which: u8) -> Zeroizing<Vec<u8>> {
    let mut label = [0u8; 5];
    label[..4].copy_from_slice(&usage.to_be_bytes());
    label[4] = which;
    let len = if which == 0xAA { p.key_len } else { p.mac_len };
    kdf(p, key, &label, (len * 8) as u32)
}

/// string-to-key: PBKDF2 over the password and `name | 0x00 | salt`, then
/// KDF(tkey, "kerberos").
pub fn string_to_key(
    p: &Profile,
    password: &[u8],
    salt: &[u8],
    iterations: NonZeroU32,
) -> Zeroizing<Vec<u8>> {
    let mut saltp = Vec::with_capacity(p.name.len() + 1 + salt.len());
    saltp.extend_from_slice(p.name.as_bytes());
    saltp.push(0);
    saltp.extend_from_slice(salt);
    let mut tkey = Zeroizing::new(vec![0u8; p.key_len]);
    pbkdf2::derive(p.pbkdf2, iterations, &saltp, password, &mut tkey);
    kdf(p, &tkey, b"kerberos", (p.key_len * 8) as u32)
}

/// A base key's derived keys for one usage: Ke's AES schedule, Ki and Kc
/// keyed into HMAC.
#[derive(Clone)]
pub struct Keys {
    p: &'static Profile,
    ke: Cipher,
    ki: hmac::Key,
    kc: hmac::Key,
}

impl Keys {
    /// Derives Ke, Ki and Kc of `key` for `usage`.
    pub fn new(p: &'static Profile, key: &[u8], usage: u32) -> Result<Keys, CryptoError> {
        Ok(Keys {
            p,
            ke: Cipher::new(&derived(p, key, usage, 0xAA))?,
            ki: hmac::Key::new(p.hmac, &derived(p, key, usage, 0x55)),
            kc: hmac::Key::new(p.hmac, &derived(p, key, usage, 0x99)),
        })
    }

    fn tag(&self, key: &hmac::Key, parts: &[&[u8]], out: &mut [u8]) {
        let mut ctx = hmac::Context::with_key(key);
        for part in parts {
            ctx.update(part);
        }
        out.copy_from_slice(&ctx.sign().as_ref()[..self.p.mac_len]);
    }

    /// Encrypts `data` (confounder | plaintext) in place with CTS(Ke), then
    /// writes HMAC(Ki, IV | ciphertext) into `mac`.
    pub fn seal(&self, data: &mut [u8], mac: &mut [u8]) -> Result<(), CryptoError> {
        self.ke.cts_encrypt(data)?;
        self.tag(&self.ki, &[&ZERO_IV, data], mac);
        Ok(())
    }

    /// Checks `mac`, then decrypts `data` in place.
    pub fn open(&self, data: &mut [u8], mac: &[u8]) -> Result<(), CryptoError> {
        if data.len() < CONFOUNDER_LEN {
            return Err(CryptoError::Truncated);
        }
        let mut expected = [0u8; 24];
        let expected = &mut expected[..self.p.mac_len];
        self.tag(&self.ki, &[&ZERO_IV, data], expected);
        if !ct_eq(expected, mac) {
            return Err(CryptoError::Integrity);
        }
        self.ke.cts_decrypt(data)
    }

    /// The checksum of `parts`, concatenated (types 19 and 20): HMAC with
    /// Kc, into `out` (the MAC's length).
    pub fn checksum(&self, parts: &[&[u8]], out: &mut [u8]) {
        self.tag(&self.kc, parts, out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::unhex;
    use super::*;

    fn profiles() -> [(Profile, Vec<u8>); 2] {
        [
            (AES128_SHA256, unhex("3705d96080c17728a0e800eab6e0d23c")),
            (
                AES256_SHA384,
                unhex("6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52"),
            ),
        ]
    }

    #[test]
    fn rfc8009_string_to_key() {
        let mut salt = unhex("10df9dd783e5bc8acea1730e74355f61");
        salt.extend_from_slice(b"ATHENA.MIT.EDUraeburn");
        let n = NonZeroU32::new(32768).unwrap();
        assert_eq!(
            *string_to_key(&AES128_SHA256, b"password", &salt, n),
            unhex("089bca48b105ea6ea77ca5d2f39dc5e7")
        );
        assert_eq!(
            *string_to_key(&AES256_SHA384, b"password", &salt, n),
            unhex("45bd806dbf6a833a9cffc1c94589a222367a79bc21c413718906e9f578a78467")
        );
    }

    #[test]
    fn rfc8009_key_derivation() {
        let [(p128, k128), (p256, k256)] = profiles();
        assert_eq!(
            *derived(&p128, &k128, 2, 0x99),
            unhex("b31a018a48f54776f403e9a396325dc3")
        );
        assert_eq!(
            *derived(&p128, &k128, 2, 0xAA),
            unhex("9b197dd1e8c5609d6e67c3e37c62c72e")
        );
        assert_eq!(
            *derived(&p128, &k128, 2, 0x55),
            unhex("9fda0e56ab2d85e1569a688696c26a6c")
        );
        assert_eq!(
            *derived(&p256, &k256, 2, 0x99),
            unhex("ef5718be86cc84963d8bbb5031e9f5c4ba41f28faf69e73d")
        );
        assert_eq!(
            *derived(&p256, &k256, 2, 0xAA),
            unhex("56ab22bee63d82d7bc5227f6773f8ea7a5eb1c825160c38312980c442e5c7e49")
        );
        assert_eq!(
            *derived(&p256, &k256, 2, 0x55),
            unhex("69b16514e3cd8e56b82010d5c73012b622c4d00ffc23ed1f")
        );
    }

    #[test]
    fn rfc8009_sample_encryptions_and_checksums() {
        use super::super::{Enctype, Key};
        let key_of = |p: &Profile, k: &[u8]| {
            let e = if p.key_len == 16 {
                Enctype::Aes128CtsHmacSha256128
            } else {
                Enctype::Aes256CtsHmacSha384192
            };
            Key::new(e, k).unwrap()
        };
        let encrypt =
            |p: &Profile, k: &[u8], u, c: &[u8; 16], d: &[u8]| key_of(p, k).encrypt(u, c, d);
        let decrypt = |p: &Profile, k: &[u8], u, c: &[u8]| key_of(p, k).decrypt(u, c);
        let checksum = |p: &Profile, k: &[u8], u, d: &[u8]| key_of(p, k).checksum(u, d).unwrap();
        let [(p128, k128), (p256, k256)] = profiles();
        let plain = unhex("000102030405060708090a0b0c0d0e0f1011121314");
        /// Profile, base key, confounder, plaintext length, ciphertext.
        type Case<'a> = (&'a Profile, &'a [u8], &'a str, usize, &'a str);
        let cases: [Case<'_>; 8] = [
            (&p128, &k128, "7e5895eaf2672435bad817f545a37148", 0, "ef85fb890bb8472f4dab20394dca781dad877eda39d50c870c0d5a0a8e48c718"),
            (&p128, &k128, "7bca285e2fd4130fb55b1a5c83bc5b24", 6, "84d7f30754ed987bab0bf3506beb09cfb55402cef7e6877ce99e247e52d16ed4421dfdf8976c"),
            (&p128, &k128, "56ab21713ff62c0a1457200f6fa9948f", 16, "3517d640f50ddc8ad3628722b3569d2ae07493fa8263254080ea65c1008e8fc295fb4852e7d83e1e7c48c37eebe6b0d3"),
            (&p128, &k128, "a7a4e29a4728ce10664fb64e49ad3fac", 21, "720f73b18d9859cd6ccb4346115cd336c70f58edc0c4437c5573544c31c813bce1e6d072c186b39a413c2f92ca9b8334a287ffcbfc"),
            (&p256, &k256, "f764e9fa15c276478b2c7d0c4e5f58e4", 0, "41f53fa5bfe7026d91faf9be959195a058707273a96a40f0a01960621ac612748b9bbfbe7eb4ce3c"),
            (&p256, &k256, "b80d3251c1f6471494256ffe712d0b9a", 6, "4ed7b37c2bcac8f74f23c1cf07e62bc7b75fb3f637b9f559c7f664f69eab7b6092237526ea0d1f61cb20d69d10f2"),
            (&p256, &k256, "53bf8a0d105265d4e276428624ce5e63", 16, "bc47ffec7998eb91e8115cf8d19dac4bbbe2e163e87dd37f49beca92027764f68cf51f14d798c2273f35df574d1f932e40c4ff255b36a266"),
            (&p256, &k256, "763e65367e864f02f55153c7e3b58af1", 21, "40013e2df58e8751957d2878bcd2d6fe101ccfd556cb1eae79db3c3ee86429f2b2a602ac86fef6ecb647d6295fae077a1feb517508d2c16b4192e01f62"),
        ];
        for (p, key, conf, len, expected) in cases {
            let conf: [u8; 16] = unhex(conf).try_into().unwrap();
            let c = encrypt(p, key, 2, &conf, &plain[..len]).unwrap();
            assert_eq!(c, unhex(expected), "{} {len}", p.name);
            assert_eq!(*decrypt(p, key, 2, &c).unwrap(), &plain[..len]);
        }
        assert_eq!(
            checksum(&p128, &k128, 2, &plain),
            unhex("d78367186643d67b411cba9139fc1dee")
        );
        assert_eq!(
            checksum(&p256, &k256, 2, &plain),
            unhex("45ee791567eefca37f4ac1e0222de80d43c3bfa06699672a")
        );
        let mut bad = encrypt(&p128, &k128, 2, &[1; 16], b"x").unwrap();
        bad[3] ^= 1;
        assert_eq!(decrypt(&p128, &k128, 2, &bad), Err(CryptoError::Integrity));
    }
}
