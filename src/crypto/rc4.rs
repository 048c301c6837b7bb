//! RC4 (NTLM's sealing; Kerberos' rc4-hmac), with its whole state (the
//! permutation and the two indices) exportable, so that
//! ImportSecurityContext rebuilds a stream in constant time, and
//! rewindable, so that a message that fails to verify leaves the stream
//! where it was.
//!
//! RustCrypto's `rc4` keeps its state private, which forced the previous
//! export format to carry a keystream position that import regenerated:
//! minutes of CPU for a hostile blob (issue 12). The cipher is small enough
//! to hold here, checked against RFC 6229's known answers.

use zeroize::Zeroizing;

/// Bytes of an exported keystream: the key, the permutation, i, j, and
/// whether any keystream has been used.
pub const EXPORT_LEN: usize = 16 + 256 + 3;

/// RC4 state for one direction of a connection.
pub struct Keystream {
    key: Zeroizing<[u8; 16]>,
    s: Zeroizing<[u8; 256]>,
    i: u8,
    j: u8,
    /// No keystream has been used yet.
    fresh: bool,
}

impl Keystream {
    /// RC4 keyed with `key`, before its first byte (the key schedule).
    pub fn new(key: &[u8; 16]) -> Self {
        let mut s = Zeroizing::new([0u8; 256]);
        for (i, v) in s.iter_mut().enumerate() {
            *v = i as u8;
        }
        let mut j = 0u8;
        for i in 0..256 {
            j = j.wrapping_add(s[i]).wrapping_add(key[i % 16]);
            s.swap(i, usize::from(j));
        }
        Keystream {
            key: Zeroizing::new(*key),
            s,
            i: 0,
            j: 0,
            fresh: true,
        }
    }

    /// XORs the next `data.len()` keystream bytes into `data`.
    #[inline]
    pub fn apply(&mut self, data: &mut [u8]) {
        if data.is_empty() {
            return;
        }
        self.fresh = false;
        let (mut i, mut j) = (self.i, self.j);
        let s = &mut *self.s;
        for b in data.iter_mut() {
            i = i.wrapping_add(1);
            let si = s[usize::from(i)];
            j = j.wrapping_add(si);
            let sj = s[usize::from(j)];
            s[usize::from(i)] = sj;
            s[usize::from(j)] = si;
            *b ^= s[usize::from(si.wrapping_add(sj))];
        }
        (self.i, self.j) = (i, j);
    }

    /// Steps back over the last `data.len()` keystream bytes, XORing each
    /// into `data` again (last byte first): after `apply(x)`, `unapply(x)`
    /// restores both `x` and the stream.
    pub fn unapply(&mut self, data: &mut [u8]) {
        let (mut i, mut j) = (self.i, self.j);
        let s = &mut *self.s;
        for b in data.iter_mut().rev() {
            let (si, sj) = (s[usize::from(i)], s[usize::from(j)]);
            *b ^= s[usize::from(si.wrapping_add(sj))];
            s[usize::from(i)] = sj;
            s[usize::from(j)] = si;
            j = j.wrapping_sub(sj);
            i = i.wrapping_sub(1);
        }
        (self.i, self.j) = (i, j);
    }

    /// The RC4 key.
    pub fn key(&self) -> &[u8; 16] {
        &self.key
    }

    /// Whether no keystream has been used yet.
    pub fn is_fresh(&self) -> bool {
        self.fresh
    }

    /// Appends the state's [`EXPORT_LEN`] bytes to `out`.
    pub fn export_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key[..]);
        out.extend_from_slice(&self.s[..]);
        out.extend_from_slice(&[self.i, self.j, u8::from(self.fresh)]);
    }

    /// A state from `export_into`'s bytes; `None` unless the permutation
    /// holds every byte value once and the fresh flag is 0 or 1 (a forged
    /// state can then only produce a wrong keystream).
    pub fn import(data: &[u8; EXPORT_LEN]) -> Option<Self> {
        let mut key = Zeroizing::new([0u8; 16]);
        key.copy_from_slice(&data[..16]);
        let mut s = Zeroizing::new([0u8; 256]);
        s.copy_from_slice(&data[16..272]);
        let mut seen = [false; 256];
        for &v in s.iter() {
            if std::mem::replace(&mut seen[usize::from(v)], true) {
                return None;
            }
        }
        let fresh = match data[274] {
            0 => false,
            1 => true,
            _ => return None,
        };
        Some(Keystream {
            key,
            s,
            i: data[272],
            j: data[273],
            fresh,
        })
    }
}

impl core::fmt::Debug for Keystream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Keystream")
            .field("fresh", &self.fresh)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc4_known_answers() {
        // RFC 6229, key 0x0102...10 (128-bit): keystream at offsets 0 and
        // 4096.
        let key: [u8; 16] = core::array::from_fn(|i| (i + 1) as u8);
        let mut ks = Keystream::new(&key);
        let mut first = [0u8; 16];
        ks.apply(&mut first);
        assert_eq!(
            first,
            [
                0x9a, 0xc7, 0xcc, 0x9a, 0x60, 0x9d, 0x1e, 0xf7, 0xb2, 0x93, 0x28, 0x99, 0xcd, 0xe4,
                0x1b, 0x97
            ]
        );
        let mut skip = vec![0u8; 4096 - 16];
        ks.apply(&mut skip);
        let mut at_4096 = [0u8; 16];
        ks.apply(&mut at_4096);
        assert_eq!(
            at_4096,
            [
                0xa3, 0x6a, 0x4c, 0x30, 0x1a, 0xe8, 0xac, 0x13, 0x61, 0x0c, 0xcb, 0xc1, 0x22, 0x56,
                0xca, 0xcc
            ]
        );
    }

    #[test]
    fn export_and_import_continue_the_stream() {
        let key = [0x42; 16];
        let mut whole = Keystream::new(&key);
        let mut first = [0u8; 5000];
        whole.apply(&mut first);
        let mut blob = Vec::new();
        whole.export_into(&mut blob);
        let mut resumed = Keystream::import(blob.as_slice().try_into().unwrap()).unwrap();
        let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
        whole.apply(&mut a);
        resumed.apply(&mut b);
        assert_eq!(a, b);
        assert!(!resumed.is_fresh() && Keystream::new(&key).is_fresh());
        // A state that is not a permutation, or a bad flag, is refused.
        let mut bad = blob.clone();
        bad[16] = bad[17];
        assert!(Keystream::import(bad.as_slice().try_into().unwrap()).is_none());
        let mut bad = blob;
        bad[274] = 2;
        assert!(Keystream::import(bad.as_slice().try_into().unwrap()).is_none());
    }

    #[test]
    fn unapply_restores_data_and_stream() {
        let mut ks = Keystream::new(&[7; 16]);
        let mut warm = [0u8; 300];
        ks.apply(&mut warm);
        let mut probe = [0u8; 32];
        let mut reference = Keystream::new(&[7; 16]);
        reference.apply(&mut [0u8; 300]);
        reference.apply(&mut probe);
        let mut data = *b"a message that will not verify!!";
        let original = data;
        ks.apply(&mut data);
        assert_ne!(data, original);
        ks.unapply(&mut data);
        assert_eq!(data, original);
        let mut again = [0u8; 32];
        ks.apply(&mut again);
        assert_eq!(again, probe);
    }
}
