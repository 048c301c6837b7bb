//! Kerberos' encryption types (RFC 3961 framework): string-to-key,
//! encryption with a key usage, and keyed checksums, for
//! aes128/256-cts-hmac-sha1-96 (RFC 3962), aes128-cts-hmac-sha256-128 and
//! aes256-cts-hmac-sha384-192 (RFC 8009) and rc4-hmac (RFC 4757). The
//! primitives come from ring (HMAC-SHA1/SHA2, PBKDF2) and RustCrypto (AES,
//! CBC-CS3, MD4, MD5); the confounder is the caller's (from the
//! environment's randomness), so everything here is deterministic.

mod aes;
mod nfold;
mod rc4hmac;
mod rfc3962;
mod rfc8009;

pub use rc4hmac::hmac_md5;

use std::num::NonZeroU32;

use zeroize::Zeroizing;

use crate::crypto::ct_eq;

/// The AES enctypes' confounder length (one block).
pub const CONFOUNDER_LEN: usize = 16;

/// The most PBKDF2 iterations a string-to-key parameter may ask for: a
/// count comes from the KDC's ETYPE-INFO2, unauthenticated, and must not
/// make a logon run for minutes (MIT allows 2^24; Windows uses 4096).
pub const MAX_ITERATIONS: u32 = 1_000_000;

/// Why a cryptographic operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// The ciphertext is shorter than a confounder and a checksum.
    Truncated,
    /// The checksum does not match (wrong key or usage, or tampering).
    Integrity,
    /// A key of the wrong length for its enctype.
    BadKey,
    /// string-to-key parameters that are malformed or ask for too much work.
    BadParameters,
}

/// The supported encryption types, by their RFC 3961 numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Enctype {
    /// aes128-cts-hmac-sha1-96 (17).
    Aes128CtsHmacSha196,
    /// aes256-cts-hmac-sha1-96 (18).
    Aes256CtsHmacSha196,
    /// aes128-cts-hmac-sha256-128 (19).
    Aes128CtsHmacSha256128,
    /// aes256-cts-hmac-sha384-192 (20).
    Aes256CtsHmacSha384192,
    /// rc4-hmac (23).
    Rc4Hmac,
}

impl Enctype {
    /// The enctype numbered `n`, if supported.
    pub fn from_number(n: i32) -> Option<Enctype> {
        Some(match n {
            17 => Enctype::Aes128CtsHmacSha196,
            18 => Enctype::Aes256CtsHmacSha196,
            19 => Enctype::Aes128CtsHmacSha256128,
            20 => Enctype::Aes256CtsHmacSha384192,
            23 => Enctype::Rc4Hmac,
            _ => return None,
        })
    }

    /// Its RFC 3961 number.
    pub fn number(self) -> i32 {
        match self {
            Enctype::Aes128CtsHmacSha196 => 17,
            Enctype::Aes256CtsHmacSha196 => 18,
            Enctype::Aes128CtsHmacSha256128 => 19,
            Enctype::Aes256CtsHmacSha384192 => 20,
            Enctype::Rc4Hmac => 23,
        }
    }

    /// Its name (krb5.conf's, and the trace's).
    pub fn name(self) -> &'static str {
        match self {
            Enctype::Aes128CtsHmacSha196 => "aes128-cts-hmac-sha1-96",
            Enctype::Aes256CtsHmacSha196 => "aes256-cts-hmac-sha1-96",
            Enctype::Aes128CtsHmacSha256128 => rfc8009::AES128_SHA256.name,
            Enctype::Aes256CtsHmacSha384192 => rfc8009::AES256_SHA384.name,
            Enctype::Rc4Hmac => "arcfour-hmac",
        }
    }

    /// The key's length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Enctype::Aes128CtsHmacSha196 | Enctype::Aes128CtsHmacSha256128 | Enctype::Rc4Hmac => 16,
            Enctype::Aes256CtsHmacSha196 | Enctype::Aes256CtsHmacSha384192 => 32,
        }
    }

    /// The confounder's length.
    pub fn confounder_len(self) -> usize {
        match self {
            Enctype::Rc4Hmac => rc4hmac::CONFOUNDER_LEN,
            _ => CONFOUNDER_LEN,
        }
    }

    /// The keyed checksum's length.
    pub fn checksum_len(self) -> usize {
        match self {
            Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => rfc3962::MAC_LEN,
            Enctype::Aes128CtsHmacSha256128 => rfc8009::AES128_SHA256.mac_len,
            Enctype::Aes256CtsHmacSha384192 => rfc8009::AES256_SHA384.mac_len,
            Enctype::Rc4Hmac => rc4hmac::MAC_LEN,
        }
    }

    /// The number of its keyed checksum type (RFC 3961 section 8, RFC 8009
    /// section 8, RFC 4757's HMAC-MD5 -138).
    pub fn checksum_type(self) -> i32 {
        match self {
            Enctype::Aes128CtsHmacSha196 => 15,
            Enctype::Aes256CtsHmacSha196 => 16,
            Enctype::Aes128CtsHmacSha256128 => 19,
            Enctype::Aes256CtsHmacSha384192 => 20,
            Enctype::Rc4Hmac => -138,
        }
    }

    /// The PBKDF2 iteration count when the KDC gives none.
    fn default_iterations(self) -> u32 {
        match self {
            Enctype::Aes128CtsHmacSha256128 | Enctype::Aes256CtsHmacSha384192 => 32_768,
            _ => 4096,
        }
    }
}

/// A key of an enctype; wiped when dropped.
#[derive(Clone)]
pub struct Key {
    /// The enctype the key is for.
    pub enctype: Enctype,
    bytes: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Key")
            .field("enctype", &self.enctype)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// A key from its bytes (a keytab's, a ticket's session key); `BadKey`
    /// when the length is not the enctype's.
    pub fn new(enctype: Enctype, bytes: &[u8]) -> Result<Key, CryptoError> {
        if bytes.len() != enctype.key_len() {
            return Err(CryptoError::BadKey);
        }
        Ok(Key {
            enctype,
            bytes: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// The key's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key for `password` and `salt`; `params` are the KDC's
    /// string-to-key parameters (the 4-byte big-endian iteration count for
    /// the AES enctypes), `None` for the default.
    pub fn from_password(
        enctype: Enctype,
        password: &str,
        salt: &[u8],
        params: Option<&[u8]>,
    ) -> Result<Key, CryptoError> {
        let iterations = match params {
            None => enctype.default_iterations(),
            Some(p) => {
                let p: [u8; 4] = p.try_into().map_err(|_| CryptoError::BadParameters)?;
                u32::from_be_bytes(p)
            }
        };
        let iterations = NonZeroU32::new(iterations)
            .filter(|n| n.get() <= MAX_ITERATIONS)
            .ok_or(CryptoError::BadParameters)?;
        let bytes = match enctype {
            Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
                rfc3962::string_to_key(enctype.key_len(), password.as_bytes(), salt, iterations)?
            }
            Enctype::Aes128CtsHmacSha256128 => rfc8009::string_to_key(
                &rfc8009::AES128_SHA256,
                password.as_bytes(),
                salt,
                iterations,
            ),
            Enctype::Aes256CtsHmacSha384192 => rfc8009::string_to_key(
                &rfc8009::AES256_SHA384,
                password.as_bytes(),
                salt,
                iterations,
            ),
            Enctype::Rc4Hmac => rc4hmac::string_to_key(password),
        };
        Ok(Key { enctype, bytes })
    }

    /// The derived keys for `usage`, for many messages.
    pub fn usage(&self, usage: u32) -> Result<UsageKey, CryptoError> {
        let k = &self.bytes[..];
        let keys = match self.enctype {
            Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
                Keys::Sha1(rfc3962::Keys::new(k, usage)?)
            }
            Enctype::Aes128CtsHmacSha256128 => {
                Keys::Sha2(rfc8009::Keys::new(&rfc8009::AES128_SHA256, k, usage)?)
            }
            Enctype::Aes256CtsHmacSha384192 => {
                Keys::Sha2(rfc8009::Keys::new(&rfc8009::AES256_SHA384, k, usage)?)
            }
            Enctype::Rc4Hmac => Keys::Rc4(rc4hmac::Keys::new(k, usage)),
        };
        Ok(UsageKey {
            enctype: self.enctype,
            keys,
        })
    }

    /// RFC 3961's encrypt for `usage`: the confounder (the enctype's
    /// `confounder_len`, random) and `plaintext` sealed, with the integrity
    /// checksum.
    pub fn encrypt(
        &self,
        usage: u32,
        confounder: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.usage(usage)?.encrypt(confounder, plaintext)
    }

    /// RFC 3961's decrypt for `usage`: the plaintext without its confounder.
    pub fn decrypt(
        &self,
        usage: u32,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.usage(usage)?.decrypt(ciphertext)
    }

    /// The enctype's checksum of `data` for `usage`.
    pub fn checksum(&self, usage: u32, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = vec![0u8; self.enctype.checksum_len()];
        self.usage(usage)?.checksum(&[data], &mut out);
        Ok(out)
    }
}

/// Equality in time independent of where the inputs differ.
/// The derived keys of each enctype's profile.
#[derive(Clone)]
enum Keys {
    Sha1(rfc3962::Keys),
    Sha2(rfc8009::Keys),
    Rc4(rc4hmac::Keys),
}

/// A key's derived keys for one key usage (RFC 3961 section 3), made once
/// (`Key::usage`) so that a session's many messages derive nothing and
/// schedule no key per call. Holds secrets; wiped when dropped.
#[derive(Clone)]
pub struct UsageKey {
    pub enctype: Enctype,
    keys: Keys,
}

impl UsageKey {
    /// Seals `data` in place: on entry the confounder then the plaintext,
    /// on return their ciphertext; `mac` (the enctype's `checksum_len`)
    /// receives the integrity checksum.
    pub fn seal(&self, data: &mut [u8], mac: &mut [u8]) -> Result<(), CryptoError> {
        if data.len() < self.enctype.confounder_len() || mac.len() != self.enctype.checksum_len() {
            return Err(CryptoError::BadParameters);
        }
        match &self.keys {
            Keys::Sha1(k) => k.seal(data, mac),
            Keys::Sha2(k) => k.seal(data, mac),
            Keys::Rc4(k) => k.seal(data, mac),
        }
    }

    /// Opens what `seal` made, in place: `data` becomes the confounder
    /// then the plaintext, or `Integrity` (its contents then undefined).
    pub fn open(&self, data: &mut [u8], mac: &[u8]) -> Result<(), CryptoError> {
        if data.len() < self.enctype.confounder_len() {
            return Err(CryptoError::Truncated);
        }
        if mac.len() != self.enctype.checksum_len() {
            return Err(CryptoError::Integrity);
        }
        match &self.keys {
            Keys::Sha1(k) => k.open(data, mac),
            Keys::Sha2(k) => k.open(data, mac),
            Keys::Rc4(k) => k.open(data, mac),
        }
    }

    /// RFC 3961's encrypt: AES enctypes lay out confounder, plaintext and
    /// checksum; rc4-hmac puts the checksum first (RFC 4757).
    pub fn encrypt(&self, confounder: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (c, m) = (self.enctype.confounder_len(), self.enctype.checksum_len());
        if confounder.len() != c {
            return Err(CryptoError::BadParameters);
        }
        let rc4 = self.enctype == Enctype::Rc4Hmac;
        let mut out = vec![0u8; c + plaintext.len() + m];
        let (body, mac) = if rc4 {
            let (mac, body) = out.split_at_mut(m);
            (body, mac)
        } else {
            out.split_at_mut(c + plaintext.len())
        };
        body[..c].copy_from_slice(confounder);
        body[c..].copy_from_slice(plaintext);
        self.seal(body, mac)?;
        Ok(out)
    }

    /// RFC 3961's decrypt: the plaintext without its confounder.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let (c, m) = (self.enctype.confounder_len(), self.enctype.checksum_len());
        if ciphertext.len() < c + m {
            return Err(CryptoError::Truncated);
        }
        let (body, mac) = if self.enctype == Enctype::Rc4Hmac {
            let (mac, body) = ciphertext.split_at(m);
            (body, mac)
        } else {
            ciphertext.split_at(ciphertext.len() - m)
        };
        let mut data = Zeroizing::new(body.to_vec());
        self.open(&mut data, mac)?;
        data.drain(..c);
        Ok(data)
    }

    /// The checksum of `parts`, concatenated, into `out` (the enctype's
    /// `checksum_len`).
    pub fn checksum(&self, parts: &[&[u8]], out: &mut [u8]) {
        match &self.keys {
            Keys::Sha1(k) => out.copy_from_slice(&k.checksum(parts)),
            Keys::Sha2(k) => k.checksum(parts, out),
            Keys::Rc4(k) => out.copy_from_slice(&k.checksum(parts)),
        }
    }

    /// Whether `checksum` is that of `parts`, compared in constant time.
    pub fn verify_checksum(&self, parts: &[&[u8]], checksum: &[u8]) -> bool {
        let mut expected = [0u8; MAX_CHECKSUM_LEN];
        let n = self.enctype.checksum_len();
        self.checksum(parts, &mut expected[..n]);
        ct_eq(&expected[..n], checksum)
    }
}

/// The longest checksum of the enctypes here (hmac-sha384-192).
pub const MAX_CHECKSUM_LEN: usize = 24;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Hex (whitespace and backslash-newlines ignored) to bytes.
    pub fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(char::is_ascii_hexdigit).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    #[test]
    fn every_enctype_through_the_key() {
        for n in [17, 18, 19, 20, 23] {
            let e = Enctype::from_number(n).unwrap();
            assert_eq!(e.number(), n);
            let key =
                Key::from_password(e, "pw", b"REALM.EXAMPLEuser", Some(&[0, 0, 0, 2])).unwrap();
            assert_eq!(key.bytes().len(), e.key_len());
            let conf = vec![0x42; e.confounder_len()];
            let c = key.encrypt(11, &conf, b"the plaintext").unwrap();
            assert_eq!(*key.decrypt(11, &c).unwrap(), b"the plaintext");
            assert_eq!(key.decrypt(12, &c), Err(CryptoError::Integrity));
            let sum = key.checksum(17, b"data").unwrap();
            assert_eq!(sum.len(), e.checksum_len());
            let k17 = key.usage(17).unwrap();
            assert!(k17.verify_checksum(&[b"da", b"ta"], &sum));
            assert!(!k17.verify_checksum(&[b"Data"], &sum));
            assert!(!k17.verify_checksum(&[b"data"], &sum[1..]));
            assert_eq!(
                key.encrypt(11, &[0; 3], b"x"),
                Err(CryptoError::BadParameters)
            );
        }
        assert_eq!(Enctype::from_number(16), None);
        assert_eq!(
            Key::new(Enctype::Aes256CtsHmacSha196, &[0; 16]).unwrap_err(),
            CryptoError::BadKey
        );
    }

    #[test]
    fn iteration_counts_are_bounded() {
        let e = Enctype::Aes128CtsHmacSha196;
        let too_many = (MAX_ITERATIONS + 1).to_be_bytes();
        assert_eq!(
            Key::from_password(e, "pw", b"salt", Some(&too_many)).unwrap_err(),
            CryptoError::BadParameters
        );
        assert_eq!(
            Key::from_password(e, "pw", b"salt", Some(&[0, 0, 0, 0])).unwrap_err(),
            CryptoError::BadParameters
        );
        assert_eq!(
            Key::from_password(e, "pw", b"salt", Some(&[0, 1])).unwrap_err(),
            CryptoError::BadParameters
        );
    }
}
