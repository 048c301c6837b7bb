//! rc4-hmac (23), RFC 4757: the key is the NT hash; a message is
//! HMAC-MD5-checksummed and RC4-encrypted with keys derived from the key
//! usage. Kept for Active Directory realms that still issue it.

use hmac::{KeyInit, Mac};
use md4::{Digest, Md4};
use md5::Md5;
use zeroize::Zeroizing;

use crate::crypto::ct_eq;

use super::CryptoError;
use crate::crypto::rc4::Keystream;

/// rc4-hmac's confounder length.
pub const CONFOUNDER_LEN: usize = 8;
/// The HMAC-MD5 checksum's length.
pub const MAC_LEN: usize = 16;

/// HMAC-MD5 of `parts`, concatenated.
pub fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 16]> {
    let mut m = <hmac::Hmac<Md5> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    for p in parts {
        m.update(p);
    }
    Zeroizing::new(m.finalize().into_bytes().into())
}

/// RFC 4757's key usage numbers: the AS-REP's encrypted part (3) is 8.
fn ms_usage(usage: u32) -> [u8; 4] {
    (if usage == 3 { 8 } else { usage }).to_le_bytes()
}

/// string-to-key: MD4 of the password in UTF-16LE (the NT hash).
pub fn string_to_key(password: &str) -> Zeroizing<Vec<u8>> {
    let utf16 = Zeroizing::new(
        password
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>(),
    );
    Zeroizing::new(Md4::digest(&*utf16).to_vec())
}

/// A key and its K1 for one usage.
#[derive(Clone)]
pub struct Keys {
    key: Zeroizing<Vec<u8>>,
    k1: Zeroizing<[u8; 16]>,
    usage: u32,
}

impl Keys {
    /// K1 = HMAC-MD5(key, usage).
    pub fn new(key: &[u8], usage: u32) -> Keys {
        Keys {
            key: Zeroizing::new(key.to_vec()),
            k1: hmac_md5(key, &[&ms_usage(usage)]),
            usage,
        }
    }

    /// `data` (confounder | plaintext) is RC4-encrypted in place with
    /// HMAC-MD5(K1, checksum), where the checksum, HMAC-MD5(K1,
    /// confounder | plaintext), goes into `mac`.
    pub fn seal(&self, data: &mut [u8], mac: &mut [u8]) -> Result<(), CryptoError> {
        let checksum = hmac_md5(&*self.k1, &[data]);
        let k3 = hmac_md5(&*self.k1, &[&*checksum]);
        Keystream::new(&k3).apply(data);
        mac.copy_from_slice(&*checksum);
        Ok(())
    }

    /// Decrypts `data` in place and checks it against `mac`.
    pub fn open(&self, data: &mut [u8], mac: &[u8]) -> Result<(), CryptoError> {
        if data.len() < CONFOUNDER_LEN {
            return Err(CryptoError::Truncated);
        }
        let k3 = hmac_md5(&*self.k1, &[mac]);
        Keystream::new(&k3).apply(data);
        if !ct_eq(&*hmac_md5(&*self.k1, &[data]), mac) {
            return Err(CryptoError::Integrity);
        }
        Ok(())
    }

    /// The HMAC-MD5 checksum (type -138) of `parts`, concatenated: HMAC-MD5
    /// with the "signaturekey" key over MD5(usage | data).
    pub fn checksum(&self, parts: &[&[u8]]) -> [u8; MAC_LEN] {
        let ksign = hmac_md5(&self.key, &[b"signaturekey\0"]);
        let mut md5 = Md5::new();
        Digest::update(&mut md5, ms_usage(self.usage));
        for p in parts {
            Digest::update(&mut md5, p);
        }
        let tmp = md5.finalize();
        *hmac_md5(&*ksign, &[&tmp])
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::unhex;
    use super::*;

    #[test]
    fn the_key_is_the_nt_hash() {
        // MS-NLMP 4.2.2's NTOWFv1("Password").
        assert_eq!(
            *string_to_key("Password"),
            unhex("a4f49c406510bdcab6824ee7c30fd852")
        );
    }

    #[test]
    fn seal_and_open() {
        let key =
            super::super::Key::new(super::super::Enctype::Rc4Hmac, &string_to_key("Password"))
                .unwrap();
        let encrypt = |u, c: &[u8; 8], p: &[u8]| key.encrypt(u, c, p).unwrap();
        let decrypt = |u, c: &[u8]| key.decrypt(u, c);
        let checksum = |u, d: &[u8]| key.checksum(u, d).unwrap();
        for len in [0usize, 1, 7, 8, 100] {
            let plain: Vec<u8> = (0..len as u8).collect();
            let c = encrypt(3, &[0x33; 8], &plain);
            assert_eq!(c.len(), MAC_LEN + CONFOUNDER_LEN + len);
            assert_eq!(*decrypt(3, &c).unwrap(), plain);
            assert_eq!(decrypt(7, &c), Err(CryptoError::Integrity));
            let mut bad = c.clone();
            bad[MAC_LEN + 2] ^= 1;
            assert_eq!(decrypt(3, &bad), Err(CryptoError::Integrity));
        }
        assert_eq!(decrypt(3, &[0; 23]), Err(CryptoError::Truncated));
        assert_ne!(checksum(7, b"data"), checksum(8, b"data"));
    }
}
