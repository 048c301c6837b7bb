//! MakeSignature, VerifySignature, EncryptMessage and DecryptMessage
//! through the exports, on a fresh copy of an established pair (imported
//! from one reference handshake, so every input replays), with fuzzed
//! SecBufferDesc shapes: buffer types and flags, lengths, NULL buffers,
//! buffers that overlap, and messages tampered with in transit. No panic,
//! no write outside a buffer (ASan), and a message sent over plain shapes
//! with nothing tampered must open on the other side.
#![no_main]

use std::ptr::null_mut;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opensspi::abi::message_api::{DecryptMessage, EncryptMessage, MakeSignature, VerifySignature};
use opensspi::abi::types::{CtxtHandle, SecBuffer, SecBufferDesc};
use opensspi::vocabulary::*;
use opensspi_fuzz::{established, import, Package};

/// Buffer types a shape draws from; other values go through as they are.
const KINDS: [u32; 12] = [
    SECBUFFER_EMPTY,
    SECBUFFER_DATA,
    SECBUFFER_TOKEN,
    SECBUFFER_PADDING,
    SECBUFFER_STREAM,
    SECBUFFER_EXTRA,
    SECBUFFER_MISSING,
    SECBUFFER_STREAM_HEADER,
    SECBUFFER_STREAM_TRAILER,
    SECBUFFER_ALERT,
    SECBUFFER_CHANNEL_BINDINGS,
    SECBUFFER_PKG_PARAMS,
];

#[derive(Arbitrary, Debug)]
struct Buf {
    kind: u8,
    readonly: u8,
    len: u16,
    fill: Vec<u8>,
    /// NULL pvBuffer (with `len` as cbBuffer).
    null: bool,
    /// Point into an earlier buffer's memory instead: (which, offset).
    alias: Option<(u8, u16)>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// The client (or server) signs or seals over `shape`; after `tamper`
    /// the peer checks or opens it over the same buffers.
    RoundTrip {
        client_sends: bool,
        seal: bool,
        qop: u32,
        shape: Vec<Buf>,
        tamper: Option<(u16, u8)>,
    },
    /// Verify or decrypt `shape` as it is.
    Feed {
        on_client: bool,
        decrypt: bool,
        version: u32,
        shape: Vec<Buf>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    package: Package,
    ops: Vec<Op>,
}

/// A descriptor's buffers with their memory.
struct Shape {
    memory: Vec<Vec<u8>>,
    bufs: Vec<SecBuffer>,
    /// Only DATA and TOKEN buffers, no NULL and no alias: a sent message
    /// must open.
    plain: bool,
}

fn build(specs: &[Buf]) -> Shape {
    let specs = &specs[..specs.len().min(8)];
    let mut memory: Vec<Vec<u8>> = Vec::new();
    let mut bufs = Vec::new();
    let mut plain = true;
    let mut tokens = 0;
    for spec in specs {
        let kind = KINDS
            .get(usize::from(spec.kind))
            .copied()
            .unwrap_or(u32::from(spec.kind));
        let flags = match spec.readonly % 4 {
            1 => SECBUFFER_READONLY,
            2 => SECBUFFER_READONLY_WITH_CHECKSUM,
            _ => 0,
        };
        let len = usize::from(spec.len % 2048);
        let mut mem = vec![0u8; len];
        for (m, f) in mem.iter_mut().zip(spec.fill.iter().cycle()) {
            *m = *f;
        }
        memory.push(mem);
        plain &=
            matches!(kind, SECBUFFER_DATA | SECBUFFER_TOKEN) && !spec.null && spec.alias.is_none();
        tokens += usize::from(kind == SECBUFFER_TOKEN);
        bufs.push((kind | flags, len, spec.null, spec.alias));
    }
    plain &= tokens == 1;
    let mut out = Vec::new();
    for (i, (kind, len, null, alias)) in bufs.into_iter().enumerate() {
        let (ptr, len) = match alias {
            Some((which, offset)) if i > 0 => {
                let target = &mut memory[usize::from(which) % i];
                let offset = usize::from(offset) % (target.len() + 1);
                let len = len.min(target.len() - offset);
                (target[offset..].as_mut_ptr(), len)
            }
            _ if null => (null_mut(), len),
            _ => (memory[i].as_mut_ptr(), len),
        };
        out.push(SecBuffer {
            cbBuffer: len as u32,
            BufferType: kind,
            pvBuffer: ptr.cast(),
        });
    }
    Shape {
        memory,
        bufs: out,
        plain,
    }
}

fn desc(shape: &mut Shape, version: u32) -> SecBufferDesc {
    SecBufferDesc {
        ulVersion: version,
        cBuffers: shape.bufs.len() as u32,
        pBuffers: shape.bufs.as_mut_ptr(),
    }
}

fuzz_target!(|input: Input| {
    opensspi::fuzzing::reset();
    let (client_blob, server_blob) = established(input.package);
    let client = import(input.package, client_blob).expect("client imports");
    let server = import(input.package, server_blob).expect("server imports");
    let (mut c, mut s): (CtxtHandle, CtxtHandle) = (client.handle(), server.handle());
    // Each direction stays in step until a message fails on the way.
    let mut in_step = [true, true];
    for op in input.ops.iter().take(8) {
        match op {
            Op::RoundTrip {
                client_sends,
                seal,
                qop,
                shape,
                tamper,
            } => {
                let mut shape = build(shape);
                let original: Vec<Vec<u8>> = shape.memory.clone();
                let kinds: Vec<u32> = shape.bufs.iter().map(|b| b.BufferType).collect();
                let mut d = desc(&mut shape, SECBUFFER_VERSION);
                let (from, to) = if *client_sends {
                    (&mut c, &mut s)
                } else {
                    (&mut s, &mut c)
                };
                let qop = if *qop % 2 == 0 { 0 } else { *qop };
                // SAFETY: every buffer is NULL or lies in `shape.memory`.
                let sent = unsafe {
                    if *seal {
                        EncryptMessage(from, qop, &mut d, 0)
                    } else {
                        MakeSignature(from, qop, &mut d, 0)
                    }
                };
                if sent != SEC_E_OK {
                    continue;
                }
                let mut tampered = false;
                if let Some((at, mask)) = tamper {
                    let total: usize = shape.memory.iter().map(Vec::len).sum();
                    if total > 0 && *mask != 0 {
                        let mut at = usize::from(*at) % total;
                        for m in shape.memory.iter_mut() {
                            if at < m.len() {
                                m[at] ^= mask;
                                tampered = true;
                                break;
                            }
                            at -= m.len();
                        }
                    }
                }
                let mut qop_out = 0u32;
                // SAFETY: as above.
                let got = unsafe {
                    if *seal {
                        DecryptMessage(to, &mut d, 0, &mut qop_out)
                    } else {
                        VerifySignature(to, &mut d, 0, &mut qop_out)
                    }
                };
                let dir = usize::from(!*client_sends);
                if shape.plain && !tampered && in_step[dir] {
                    assert_eq!(got, SEC_E_OK, "a plain message did not open");
                    // A plain shape has no aliases: buffer i is memory i.
                    for (i, kind) in kinds.iter().enumerate() {
                        if kind & !SECBUFFER_ATTRMASK == SECBUFFER_DATA {
                            assert_eq!(
                                shape.memory[i], original[i],
                                "the plaintext did not come back"
                            );
                        }
                    }
                }
                if got != SEC_E_OK {
                    in_step[dir] = false;
                }
            }
            Op::Feed {
                on_client,
                decrypt,
                version,
                shape,
            } => {
                let mut shape = build(shape);
                let version = if *version % 4 == 0 {
                    *version
                } else {
                    SECBUFFER_VERSION
                };
                let mut d = desc(&mut shape, version);
                let ctx = if *on_client { &mut c } else { &mut s };
                let mut qop = 0u32;
                // SAFETY: every buffer is NULL or lies in `shape.memory`.
                let got = unsafe {
                    if *decrypt {
                        DecryptMessage(ctx, &mut d, 0, &mut qop)
                    } else {
                        VerifySignature(ctx, &mut d, 0, &mut qop)
                    }
                };
                // A forged message that verifies is a finding (only the
                // dummy signature of a context without integrity may, and
                // this pair has integrity).
                assert_ne!(got, SEC_E_OK, "a fuzzed message verified");
            }
        }
    }
    drop((client, server));
});
