//! InitializeSecurityContext and AcceptSecurityContext through the exports:
//! a real handshake up to leg `leg`, whose token is then edited, and the
//! handshake run on. No panic, no token past its buffer, and a handshake
//! that still completes must have given both sides the same session key,
//! the same user, and protection that works both ways: a tampered exchange
//! either fails or changed nothing that matters.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opensspi::vocabulary::*;
use opensspi_fuzz::{handshake, protect, session_key, user_name, Package};

/// How the token of one leg is changed.
#[derive(Arbitrary, Debug)]
enum Edit {
    Replace(Vec<u8>),
    Xor { at: u16, mask: u8 },
    Truncate(u16),
    Append(Vec<u8>),
    Overwrite { at: u16, bytes: Vec<u8> },
    Insert { at: u16, bytes: Vec<u8> },
}

impl Edit {
    fn apply(&self, token: &mut Vec<u8>) {
        let at = |i: u16| usize::from(i) % (token.len() + 1);
        match self {
            Edit::Replace(b) => *token = b.clone(),
            Edit::Xor { at: i, mask } => {
                if !token.is_empty() {
                    let i = usize::from(*i) % token.len();
                    token[i] ^= mask;
                }
            }
            Edit::Truncate(n) => {
                let n = at(*n);
                token.truncate(n)
            }
            Edit::Append(b) => token.extend_from_slice(b),
            Edit::Overwrite { at: i, bytes } => {
                let i = at(*i);
                for (k, b) in bytes.iter().enumerate() {
                    match token.get_mut(i + k) {
                        Some(t) => *t = *b,
                        None => token.push(*b),
                    }
                }
            }
            Edit::Insert { at: i, bytes } => {
                let i = at(*i);
                token.splice(i..i, bytes.iter().copied());
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    package: Package,
    client_req: u16,
    server_req: u16,
    leg: u8,
    edits: Vec<Edit>,
}

/// The request flags a fuzz input may set (NULL_SESSION aside: it changes
/// who logs on, which the oracle checks).
const ISC_BITS: [u32; 10] = [
    ISC_REQ_DELEGATE,
    ISC_REQ_MUTUAL_AUTH,
    ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT,
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_ALLOCATE_MEMORY,
    ISC_REQ_CONNECTION,
    ISC_REQ_INTEGRITY,
    ISC_REQ_IDENTIFY,
    ISC_REQ_USE_DCE_STYLE,
];
const ASC_BITS: [u32; 8] = [
    ASC_REQ_DELEGATE,
    ASC_REQ_MUTUAL_AUTH,
    ASC_REQ_REPLAY_DETECT,
    ASC_REQ_SEQUENCE_DETECT,
    ASC_REQ_CONFIDENTIALITY,
    ASC_REQ_ALLOCATE_MEMORY,
    ASC_REQ_CONNECTION,
    ASC_REQ_INTEGRITY,
];

fn flags(bits: u16, table: &[u32]) -> u32 {
    table
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .fold(0, |acc, (_, f)| acc | f)
}

fuzz_target!(|input: Input| {
    opensspi::fuzzing::reset();
    let edits = &input.edits[..input.edits.len().min(4)];
    let leg = usize::from(input.leg % 6);
    let mut edited = false;
    let h = handshake(
        input.package,
        flags(input.client_req, &ISC_BITS),
        flags(input.server_req, &ASC_BITS),
        |k, token| {
            if k == leg {
                let before = token.clone();
                for e in edits {
                    e.apply(token);
                }
                edited = *token != before;
            }
        },
    );
    if !h.complete {
        return;
    }
    let (c, s) = (h.client.handle(), h.server.handle());
    assert_eq!(
        session_key(c),
        session_key(s),
        "session keys differ (edited: {edited})"
    );
    assert!(
        user_name(s).eq_ignore_ascii_case("CORP\\alice"),
        "the acceptor authenticated someone else"
    );
    let plain = *b"thirty-two bytes of plain text..";
    for (from, to) in [(c, s), (s, c)] {
        for seal in [false, true] {
            let (sent, got, data) = protect(from, to, seal, &plain);
            if sent == SEC_E_OK {
                assert_eq!(
                    got, SEC_E_OK,
                    "protection fails (seal {seal}, edited {edited})"
                );
                assert_eq!(data, plain);
            }
        }
    }
});
