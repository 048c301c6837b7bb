//! Schannel's parsers for the fuzz targets (feature `fuzzing`): record
//! framing, ALPN lists, handshake input to a server and to a client, and
//! DecryptMessage on an established connection. Any bytes, no panic, and
//! every claim about the input stays inside it.

use std::sync::Arc;

use crate::certificates;
use crate::env::SystemEnv;
use crate::package::*;
use crate::vocabulary::*;

use super::context::{alpn_ids, SchannelContext};
use super::credentials::SchannelCredentials;
use super::records::{frame, Framing};

const CERT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/tls/server.pem"
));
const KEY: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/tls/server.key"
));
const CA: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/tls/ca.pem"
));

/// The throwaway server certificate (localhost) with its key, for the
/// targets that run a TLS server.
pub fn server_certificate() -> Arc<rustls::sign::CertifiedKey> {
    let (chain, _) = certificates::parse_pem_or_der(CERT);
    let key = certificates::parse_key(KEY).expect("the test key parses");
    certificates::certified_key(chain, key).expect("the test pair matches")
}

fn credentials() -> (SchannelCredentials, SchannelCredentials) {
    let certified = server_certificate();
    let (ca, _) = certificates::parse_pem_or_der(CA);
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(ca);
    let roots = Arc::new(roots);
    (
        SchannelCredentials::direct(false, None, roots.clone()),
        SchannelCredentials::direct(true, Some(certified), roots),
    )
}

fn input<'a>(inputs: &'a [InBuf<'a>], target: Option<&'a str>) -> StepInput<'a> {
    StepInput {
        target,
        req_flags: ISC_REQ_STREAM,
        data_rep: 0,
        inputs,
        env: &SystemEnv,
    }
}

/// A stream call's input: [TOKEN, EMPTY].
pub fn token(bytes: &[u8]) -> [InBuf<'_>; 2] {
    [
        InBuf {
            kind: SECBUFFER_TOKEN,
            data: bytes,
        },
        InBuf {
            kind: SECBUFFER_EMPTY,
            data: &[],
        },
    ]
}

/// What a step hands out, checked against its input.
fn checked(p: SecResult<Progress>, given: usize) -> Option<Vec<u8>> {
    match p {
        Ok(Progress::Done(out)) => {
            assert!(out.extra <= given, "EXTRA within the input");
            Some(out.token)
        }
        Ok(Progress::Exchange(_)) => panic!("Schannel asks for no exchange"),
        Err(_) => None,
    }
}

/// Framing, ALPN lists, and the bytes as a ClientHello to a server and as
/// a server's reply to a client.
pub fn handshake(data: &[u8]) {
    match frame(data) {
        Framing::Record(_, total) => assert!(total <= data.len()),
        Framing::Missing(n) => assert!(n > 0),
        Framing::Invalid => {}
    }
    if let Ok(ids) = alpn_ids(data) {
        assert!(ids.iter().all(|id| !id.is_empty() && id.len() < data.len()));
    }
    let (client, server) = credentials();
    let bufs = token(data);
    let _ = SchannelContext::accept(&server, &input(&bufs, None))
        .map(|(_, p)| checked(Ok(p), data.len()));
    let none: [InBuf<'_>; 0] = [];
    if let Ok((mut c, _)) = SchannelContext::initialize(&client, &input(&none, Some("localhost"))) {
        let _ = checked(c.step(&input(&bufs, Some("localhost"))), data.len());
        let _ = checked(c.step(&input(&bufs, Some("localhost"))), data.len());
    }
}

/// A client and a server that completed a handshake.
fn established() -> (SchannelContext, SchannelContext) {
    let (client, server) = credentials();
    let none: [InBuf<'_>; 0] = [];
    let (mut c, p) =
        SchannelContext::initialize(&client, &input(&none, Some("localhost"))).unwrap();
    let mut to_server = checked(Ok(p), 0).unwrap();
    let bufs = token(&to_server);
    let (mut s, p) = SchannelContext::accept(&server, &input(&bufs, None)).unwrap();
    let mut to_client = checked(Ok(p), to_server.len()).unwrap();
    for _ in 0..4 {
        if !to_client.is_empty() {
            let bufs = token(&to_client);
            to_server = checked(c.step(&input(&bufs, Some("localhost"))), to_client.len()).unwrap();
            to_client.clear();
        }
        if !to_server.is_empty() {
            let bufs = token(&to_server);
            to_client = checked(s.step(&input(&bufs, None)), to_server.len()).unwrap();
            to_server.clear();
        }
    }
    (c, s)
}

/// The bytes as records for DecryptMessage, on both sides of a
/// connection: no panic, and the buffers it reports lie inside the input.
pub fn records(data: &[u8]) {
    let (mut c, mut s) = established();
    for ctx in [&mut c, &mut s] {
        let mut copy = data.to_vec();
        let mut msg = [
            SecBuf::writable(SECBUFFER_DATA, &mut copy),
            SecBuf::writable(SECBUFFER_EMPTY, &mut []),
            SecBuf::writable(SECBUFFER_EMPTY, &mut []),
            SecBuf::writable(SECBUFFER_EMPTY, &mut []),
        ];
        match ctx.decrypt(&mut msg) {
            Ok(_) => {
                for b in &msg {
                    if let Some((_, at, len)) = b.window() {
                        assert!(at + len <= data.len());
                    }
                }
            }
            Err(Error::Incomplete { missing }) => assert!(missing > 0),
            Err(_) => {}
        }
    }
}
