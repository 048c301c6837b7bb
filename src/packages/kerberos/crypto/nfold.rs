//! n-fold (RFC 3961 section 5.1): the input, replicated to the least
//! common multiple of the two lengths with each copy rotated right by 13
//! more bits, cut into output-sized blocks that are added with
//! one's-complement (end-around carry) addition.

/// `input` n-folded to `out_len` bytes. `input` must not be empty.
pub fn nfold(input: &[u8], out_len: usize) -> Vec<u8> {
    let copies = lcm(input.len(), out_len) / input.len();
    let mut replicated = Vec::with_capacity(copies * input.len());
    for k in 0..copies {
        replicated.extend(rotate_right(input, 13 * k));
    }
    let mut sum = vec![0u8; out_len];
    for block in replicated.chunks_exact(out_len) {
        add_ones_complement(&mut sum, block);
    }
    sum
}

/// `s` as a bit string, rotated right by `r` bits.
fn rotate_right(s: &[u8], r: usize) -> Vec<u8> {
    let bits = s.len() * 8;
    let r = r % bits;
    let bit = |j: usize| (s[j / 8] >> (7 - j % 8)) & 1;
    (0..s.len())
        .map(|i| {
            (0..8).fold(0u8, |byte, b| {
                let j = i * 8 + b;
                byte | bit((j + bits - r) % bits) << (7 - b)
            })
        })
        .collect()
}

/// `acc += block`, big-endian, with the carry out of the top byte added
/// back at the bottom.
fn add_ones_complement(acc: &mut [u8], block: &[u8]) {
    let mut carry = 0u16;
    for (a, b) in acc.iter_mut().zip(block).rev() {
        let sum = u16::from(*a) + u16::from(*b) + carry;
        *a = sum as u8;
        carry = sum >> 8;
    }
    while carry != 0 {
        for a in acc.iter_mut().rev() {
            let sum = u16::from(*a) + carry;
            *a = sum as u8;
            carry = sum >> 8;
            if carry == 0 {
                break;
            }
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn lcm(a: usize, b: usize) -> usize {
    a / gcd(a, b) * b
}

#[cfg(test)]
mod tests {
    use super::super::tests::unhex;
    use super::*;

    #[test]
    fn rfc3961_vectors() {
        // RFC 3961 appendix A.1.
        for (bits, input, expected) in [
            (64, &b"012345"[..], "be072631276b1955"),
            (56, b"password", "78a07b6caf85fa"),
            (64, b"Rough Consensus, and Running Code", "bb6ed30870b7f0e0"),
            (
                168,
                b"password",
                "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e",
            ),
            (
                192,
                b"MASSACHVSETTS INSTITVTE OF TECHNOLOGY",
                "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b",
            ),
            (168, b"Q", "518a54a215a8452a518a54a215a8452a518a54a215"),
            (168, b"ba", "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"),
            (64, b"kerberos", "6b65726265726f73"),
            (128, b"kerberos", "6b65726265726f737b9b5b2b93132b93"),
            (
                168,
                b"kerberos",
                "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4",
            ),
            (
                256,
                b"kerberos",
                "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4",
            ),
        ] {
            assert_eq!(nfold(input, bits / 8), unhex(expected), "{bits}-fold");
        }
    }
}
