//! rc4-hmac (23), RFC 4757: the key is the NT hash; a message is
//! HMAC-MD5-checksummed and RC4-encrypted with keys derived from the key
//! usage. Kept for Active Directory realms that still issue it.

use hmac::{KeyInit, Mac};
use md4::{Digest, Md4};
use md5::Md5;
use zeroize::Zeroizing;

use super::{ct_eq, CryptoError};
use crate::crypto::rc4::Keystream;

/// rc4-hmac's confounder length.
pub const CONFOUNDER_LEN: usize = 8;
/// The HMAC-MD5 checksum's length.
pub const MAC_LEN: usize = 16;

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 16]> {
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

/// Encrypts: checksum = HMAC-MD5(K1, confounder | plaintext), then RC4
/// with HMAC-MD5(K1, checksum); output checksum | ciphertext.
pub fn encrypt(
    key: &[u8],
    usage: u32,
    confounder: &[u8; CONFOUNDER_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    let k1 = hmac_md5(key, &[&ms_usage(usage)]);
    let checksum = hmac_md5(&*k1, &[confounder, plaintext]);
    let k3 = hmac_md5(&*k1, &[&*checksum]);
    let mut out = Vec::with_capacity(MAC_LEN + CONFOUNDER_LEN + plaintext.len());
    out.extend_from_slice(&*checksum);
    out.extend_from_slice(confounder);
    out.extend_from_slice(plaintext);
    Keystream::new(&k3).apply(&mut out[MAC_LEN..]);
    out
}

/// Decrypts and checks a message made by `encrypt`.
pub fn decrypt(
    key: &[u8],
    usage: u32,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if ciphertext.len() < MAC_LEN + CONFOUNDER_LEN {
        return Err(CryptoError::Truncated);
    }
    let (checksum, body) = ciphertext.split_at(MAC_LEN);
    let k1 = hmac_md5(key, &[&ms_usage(usage)]);
    let k3 = hmac_md5(&*k1, &[checksum]);
    let mut data = Zeroizing::new(body.to_vec());
    Keystream::new(&k3).apply(&mut data);
    if !ct_eq(&*hmac_md5(&*k1, &[&data]), checksum) {
        return Err(CryptoError::Integrity);
    }
    data.drain(..CONFOUNDER_LEN);
    Ok(data)
}

/// The HMAC-MD5 checksum (type -138): HMAC-MD5 with the "signaturekey"
/// key over MD5(usage | data).
pub fn checksum(key: &[u8], usage: u32, data: &[u8]) -> Vec<u8> {
    let ksign = hmac_md5(key, &[b"signaturekey\0"]);
    let mut md5 = Md5::new();
    Digest::update(&mut md5, ms_usage(usage));
    Digest::update(&mut md5, data);
    let tmp = md5.finalize();
    hmac_md5(&*ksign, &[&tmp]).to_vec()
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
        let key = string_to_key("Password");
        for len in [0usize, 1, 7, 8, 100] {
            let plain: Vec<u8> = (0..len as u8).collect();
            let c = encrypt(&key, 3, &[0x33; 8], &plain);
            assert_eq!(c.len(), MAC_LEN + CONFOUNDER_LEN + len);
            assert_eq!(*decrypt(&key, 3, &c).unwrap(), plain);
            assert_eq!(decrypt(&key, 7, &c), Err(CryptoError::Integrity));
            let mut bad = c.clone();
            bad[MAC_LEN + 2] ^= 1;
            assert_eq!(decrypt(&key, 3, &bad), Err(CryptoError::Integrity));
        }
        assert_eq!(decrypt(&key, 3, &[0; 23]), Err(CryptoError::Truncated));
        assert_ne!(checksum(&key, 7, b"data"), checksum(&key, 8, b"data"));
    }
}
