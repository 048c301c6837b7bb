//! A client and a server of this package talking to each other through
//! the trait, with the throwaway certificates of `tests/data/tls`.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::Arc;

use super::*;
use crate::abi::types::{PCCERT_CONTEXT, SCHANNEL_CRED, SCH_CREDENTIALS, TLS_PARAMETERS};
use crate::env::FixedEnv;

macro_rules! tls {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/tls/",
            $name
        ))
    };
}

/// A test environment trusting only the CA certificates in `pem`.
fn trusting(pem: &[u8]) -> FixedEnv {
    let (certs, _) = crate::certificates::parse_pem_or_der(pem);
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(certs);
    let mut env = FixedEnv::new(&[], 0);
    env.roots = Some(Arc::new(roots));
    env
}

/// A certificate context with its key, as OpenSspiCertificateFromMemory
/// makes it.
fn certificate(cert: &[u8], key: &[u8]) -> PCCERT_CONTEXT {
    let (chain, _) = crate::certificates::parse_pem_or_der(cert);
    let key = crate::certificates::parse_key(key).unwrap();
    let certified = crate::certificates::certified_key(chain.clone(), key).unwrap();
    crate::abi::certificates::new_context(&chain[0], Some(certified)).unwrap()
}

/// What a credential is made from.
#[derive(Clone, Copy, Default)]
struct Spec {
    inbound: bool,
    /// (certificate PEM, key PEM)
    cert: Option<(&'static [u8], &'static [u8])>,
    /// SCH_CREDENTIALS' grbitDisabledProtocols
    disabled: u32,
    flags: u32,
    /// A SCHANNEL_CRED with these enabled protocols instead.
    legacy: Option<u32>,
}

fn acquire(spec: Spec, env: &dyn Env) -> SecResult<SchannelCredentials> {
    let mut context = spec.cert.map(|(c, k)| certificate(c, k));
    let pa_cred: *mut PCCERT_CONTEXT = match &mut context {
        Some(c) => c,
        None => std::ptr::null_mut(),
    };
    let count = u32::from(context.is_some());
    let mut params = TLS_PARAMETERS {
        cAlpnIds: 0,
        rgstrAlpnIds: std::ptr::null_mut(),
        grbitDisabledProtocols: spec.disabled,
        cDisabledCrypto: 0,
        pDisabledCrypto: std::ptr::null_mut(),
        dwFlags: 0,
    };
    let mut v5 = SCH_CREDENTIALS {
        dwVersion: SCH_CREDENTIALS_VERSION,
        dwCredFormat: 0,
        cCreds: count,
        paCred: pa_cred,
        hRootStore: std::ptr::null_mut(),
        cMappers: 0,
        aphMappers: std::ptr::null_mut(),
        dwSessionLifespan: 0,
        dwFlags: spec.flags,
        cTlsParameters: 1,
        pTlsParameters: &mut params,
    };
    let mut v4 = SCHANNEL_CRED {
        dwVersion: SCHANNEL_CRED_VERSION,
        cCreds: count,
        paCred: pa_cred,
        hRootStore: std::ptr::null_mut(),
        cMappers: 0,
        aphMappers: std::ptr::null_mut(),
        cSupportedAlgs: 0,
        palgSupportedAlgs: std::ptr::null_mut(),
        grbitEnabledProtocols: spec.legacy.unwrap_or(0),
        dwMinimumCipherStrength: 0,
        dwMaximumCipherStrength: 0,
        dwSessionLifespan: 0,
        dwFlags: spec.flags,
        dwCredFormat: 0,
    };
    let ptr: NonNull<c_void> = if spec.legacy.is_some() {
        NonNull::from(&mut v4).cast()
    } else {
        NonNull::from(&mut v5).cast()
    };
    // SAFETY: the structures and what they point at live until the end of
    // this function.
    let auth = unsafe { AuthData::new(ptr, true) };
    let request = AcquireRequest {
        principal: None,
        usage: CredentialUse(if spec.inbound {
            SECPKG_CRED_INBOUND
        } else {
            SECPKG_CRED_OUTBOUND
        }),
        auth: Some(auth),
        env,
    };
    let result = SchannelCredentials::acquire(request);
    if let Some(c) = context {
        crate::certificates::release(c as usize);
    }
    result
}

fn server_spec() -> Spec {
    Spec {
        inbound: true,
        cert: Some((tls!("server.pem"), tls!("server.key"))),
        ..Spec::default()
    }
}

fn done(p: Progress) -> StepOutput {
    match p {
        Progress::Done(out) => out,
        Progress::Exchange(_) => panic!("Schannel asks for no exchange"),
    }
}

struct Pair {
    client: SchannelContext,
    server: SchannelContext,
    /// Every status the client's steps returned.
    client_statuses: Vec<i32>,
}

/// Runs a handshake to its end; the first failure is returned with the
/// side that failed ("client" or "server").
fn handshake(
    client: &SchannelCredentials,
    server: &SchannelCredentials,
    target: Option<&str>,
    isc: u32,
    asc: u32,
    env: &dyn Env,
) -> Result<Pair, (&'static str, Error)> {
    let input = |token: &[u8]| {
        vec![InBuf {
            kind: SECBUFFER_TOKEN,
            data: unsafe_slice(token),
        }]
    };
    fn step<'a>(
        target: Option<&'a str>,
        flags: u32,
        bufs: &[InBuf<'a>],
        env: &'a dyn Env,
    ) -> StepInput<'a> {
        StepInput {
            target,
            req_flags: flags,
            data_rep: 0,
            inputs: unsafe_slice_bufs(bufs),
            env,
        }
    }
    let none: [InBuf<'_>; 0] = [];
    let (mut c, out) = SchannelContext::initialize(client, &step(target, isc, &none, env))
        .map_err(|e| ("client", e))?;
    let mut to_server = done(out).token;
    let first = input(&to_server);
    let (mut s, out) = SchannelContext::accept(server, &step(None, asc, &first, env))
        .map_err(|e| ("server", e))?;
    let mut out = done(out);
    let mut server_done = out.status == SEC_E_OK;
    let mut to_client = out.token;
    let mut client_statuses = vec![];
    loop {
        let bufs = input(&to_client);
        out = done(
            c.step(&step(target, isc, &bufs, env))
                .map_err(|e| ("client", e))?,
        );
        assert_eq!(out.extra, 0);
        let client_done = out.status == SEC_E_OK;
        client_statuses.push(out.status);
        to_server = out.token;
        if !to_server.is_empty() {
            let bufs = input(&to_server);
            out = done(
                s.step(&step(None, asc, &bufs, env))
                    .map_err(|e| ("server", e))?,
            );
            server_done = out.status == SEC_E_OK;
            to_client = out.token;
        }
        if client_done && server_done {
            return Ok(Pair {
                client: c,
                server: s,
                client_statuses,
            });
        }
    }
}

fn unsafe_slice<'a>(b: &[u8]) -> &'a [u8] {
    // SAFETY: test helper: every token outlives the step that reads it
    // (the step returns before the token is dropped).
    unsafe { std::slice::from_raw_parts(b.as_ptr(), b.len()) }
}

fn unsafe_slice_bufs<'a>(b: &[InBuf<'a>]) -> &'a [InBuf<'a>] {
    // SAFETY: as `unsafe_slice`.
    unsafe { std::slice::from_raw_parts(b.as_ptr(), b.len()) }
}

/// EncryptMessage's buffers for `data`: the sealed record.
fn seal(ctx: &mut SchannelContext, data: &[u8]) -> SecResult<Vec<u8>> {
    let (mut h, mut d, mut t) = ([0u8; 16], data.to_vec(), [0u8; 32]);
    let mut msg = [
        SecBuf::writable(SECBUFFER_STREAM_HEADER, &mut h),
        SecBuf::writable(SECBUFFER_DATA, &mut d),
        SecBuf::writable(SECBUFFER_STREAM_TRAILER, &mut t),
        SecBuf::writable(SECBUFFER_EMPTY, &mut []),
    ];
    ctx.encrypt(&mut msg)?;
    let (hl, tl) = (msg[0].len(), msg[2].len());
    let mut record = msg[0].data()[..hl].to_vec();
    record.extend_from_slice(msg[1].data());
    record.extend_from_slice(&msg[2].data()[..tl]);
    Ok(record)
}

/// DecryptMessage on `bytes`: the status, the plaintext and the EXTRA bytes.
fn open(ctx: &mut SchannelContext, bytes: &[u8]) -> SecResult<(MessageStatus, Vec<u8>, Vec<u8>)> {
    let mut data = bytes.to_vec();
    let mut msg = [
        SecBuf::writable(SECBUFFER_DATA, &mut data),
        SecBuf::writable(SECBUFFER_EMPTY, &mut []),
        SecBuf::writable(SECBUFFER_EMPTY, &mut []),
        SecBuf::writable(SECBUFFER_EMPTY, &mut []),
    ];
    let result = ctx.decrypt(&mut msg)?;
    let kinds: Vec<u32> = msg.iter().map(|b| b.kind()).collect();
    assert_eq!(
        &kinds[..3],
        &[
            SECBUFFER_STREAM_HEADER,
            SECBUFFER_DATA,
            SECBUFFER_STREAM_TRAILER
        ]
    );
    let window = |b: &SecBuf<'_>| b.window().unwrap();
    let (_, at, len) = window(&msg[1]);
    let plain = bytes_after(&msg, at, len);
    let extra = if kinds[3] == SECBUFFER_EXTRA {
        let (_, at, len) = window(&msg[3]);
        bytes_after(&msg, at, len)
    } else {
        Vec::new()
    };
    Ok((result.status, plain, extra))
}

fn bytes_after(msg: &[SecBuf<'_>], at: usize, len: usize) -> Vec<u8> {
    msg[0].data()[at..at + len].to_vec()
}

fn env() -> FixedEnv {
    trusting(tls!("ca.pem"))
}

fn creds(client: Spec, server: Spec, env: &dyn Env) -> (SchannelCredentials, SchannelCredentials) {
    (acquire(client, env).unwrap(), acquire(server, env).unwrap())
}

#[test]
fn package_values_are_windows() {
    for info in [&SCHANNEL_INFO, &UNISP_INFO, &DEFAULT_TLS_INFO] {
        assert_eq!(info.capabilities, 0x004107B3);
        assert_eq!((info.version, info.rpc_id, info.max_token), (1, 14, 24576));
        assert_eq!(info.comment, "Schannel Security Package");
    }
    assert_eq!(
        UNISP_INFO.name,
        "Microsoft Unified Security Protocol Provider"
    );
}

#[test]
fn tls13_and_tls12_handshakes_then_records_both_ways() {
    let env = env();
    for (disabled, version, header, trailer) in [
        (0, SP_PROT_TLS1_3_CLIENT, 5, 17),
        (SP_PROT_TLS1_3, SP_PROT_TLS1_2_CLIENT, 13, 16),
    ] {
        let (c, s) = creds(
            Spec {
                disabled,
                ..Spec::default()
            },
            server_spec(),
            &env,
        );
        let mut p = handshake(
            &c,
            &s,
            Some("localhost"),
            ISC_REQ_STREAM,
            ASC_REQ_STREAM,
            &env,
        )
        .unwrap();
        let info = attributes::query(&SCHANNEL_INFO, &p.client, SECPKG_ATTR_CONNECTION_INFO);
        let ContextAttribute::ConnectionInfo(v) = info.unwrap() else {
            panic!()
        };
        assert_eq!(v[0], version);
        let ContextAttribute::StreamSizes {
            header: h,
            trailer: t,
            max_message,
            buffers,
            ..
        } = attributes::query(&SCHANNEL_INFO, &p.server, SECPKG_ATTR_STREAM_SIZES).unwrap()
        else {
            panic!()
        };
        assert_eq!((h, t, max_message, buffers), (header, trailer, 16384, 4));
        for size in [0usize, 1, 1000, 16384] {
            let msg: Vec<u8> = (0..size).map(|i| i as u8).collect();
            let record = seal(&mut p.client, &msg).unwrap();
            assert_eq!(record.len(), header as usize + size + trailer as usize);
            let (status, plain, extra) = open(&mut p.server, &record).unwrap();
            assert_eq!(
                (status, plain, extra),
                (MessageStatus::Ok, msg.clone(), vec![])
            );
            let back = seal(&mut p.server, &msg).unwrap();
            assert_eq!(open(&mut p.client, &back).unwrap().1, msg);
        }
        assert_eq!(
            seal(&mut p.client, &vec![0; 16385]).unwrap_err(),
            SEC_E_ENCRYPT_FAILURE
        );
    }
}

#[test]
fn two_records_in_one_read_come_back_one_by_one_with_extra() {
    let env = env();
    let (c, s) = creds(Spec::default(), server_spec(), &env);
    let mut p = handshake(&c, &s, Some("localhost"), 0, 0, &env).unwrap();
    let mut stream = seal(&mut p.client, b"first").unwrap();
    stream.extend(seal(&mut p.client, b"second").unwrap());
    let (_, plain, extra) = open(&mut p.server, &stream).unwrap();
    assert_eq!(plain, b"first");
    let (_, plain, extra) = open(&mut p.server, &extra).unwrap();
    assert_eq!((plain.as_slice(), extra.len()), (&b"second"[..], 0));
    // A cut record: SEC_E_INCOMPLETE_MESSAGE, and how much is missing.
    let record = seal(&mut p.client, b"third").unwrap();
    for cut in [0, 3, 5, record.len() - 1] {
        let mut data = record[..cut].to_vec();
        let mut msg = [
            SecBuf::writable(SECBUFFER_DATA, &mut data),
            SecBuf::writable(SECBUFFER_EMPTY, &mut []),
            SecBuf::writable(SECBUFFER_EMPTY, &mut []),
            SecBuf::writable(SECBUFFER_EMPTY, &mut []),
        ];
        let missing = if cut < 5 { 5 - cut } else { record.len() - cut };
        assert_eq!(
            p.server.decrypt(&mut msg).unwrap_err(),
            Error::Incomplete { missing }
        );
        assert_eq!((msg[0].kind(), msg[0].len()), (SECBUFFER_MISSING, missing));
    }
    assert_eq!(open(&mut p.server, &record).unwrap().1, b"third");
}

#[test]
fn a_tampered_record_is_a_decrypt_failure() {
    let env = env();
    let (c, s) = creds(Spec::default(), server_spec(), &env);
    let mut p = handshake(&c, &s, Some("localhost"), 0, 0, &env).unwrap();
    let mut record = seal(&mut p.client, b"secret").unwrap();
    record[7] ^= 0x80;
    assert_eq!(
        open(&mut p.server, &record).unwrap_err(),
        SEC_E_DECRYPT_FAILURE
    );
}

#[test]
fn shutdown_sends_close_notify_and_the_peer_sees_context_expired() {
    let env = env();
    let (c, s) = creds(Spec::default(), server_spec(), &env);
    let mut p = handshake(&c, &s, Some("localhost"), 0, 0, &env).unwrap();
    let token = SCHANNEL_SHUTDOWN.to_ne_bytes();
    let control = [InBuf {
        kind: SECBUFFER_TOKEN,
        data: &token,
    }];
    p.client.apply_control(&control).unwrap();
    let none: [InBuf<'_>; 0] = [];
    let step = StepInput {
        target: None,
        req_flags: 0,
        data_rep: 0,
        inputs: &none,
        env: &env,
    };
    let out = done(p.client.step(&step).unwrap());
    assert_eq!(out.status, SEC_E_OK);
    let (status, plain, _) = open(&mut p.server, &out.token).unwrap();
    assert_eq!((status, plain.len()), (MessageStatus::ContextExpired, 0));
    assert_eq!(
        seal(&mut p.client, b"late").unwrap_err(),
        SEC_E_CONTEXT_EXPIRED
    );
    // Windows' answers to malformed control tokens.
    let short = [InBuf {
        kind: SECBUFFER_TOKEN,
        data: &[1, 0],
    }];
    assert_eq!(
        p.server.apply_control(&short).unwrap_err(),
        SEC_E_UNSUPPORTED_FUNCTION
    );
    let alert = [InBuf {
        kind: SECBUFFER_ALERT,
        data: &token,
    }];
    assert_eq!(
        p.server.apply_control(&alert).unwrap_err(),
        SEC_E_INVALID_TOKEN
    );
}

#[test]
fn certificate_failures_have_windows_codes() {
    let env = env();
    let (c, s) = creds(Spec::default(), server_spec(), &env);
    let fail = |target, isc, c: &SchannelCredentials, s: &SchannelCredentials, env: &dyn Env| {
        match handshake(c, s, target, isc, 0, env) {
            Err(("client", e)) => e.status(),
            Err((side, e)) => panic!("{side} failed: {e:?}"),
            Ok(_) => SEC_E_OK,
        }
    };
    assert_eq!(
        fail(Some("other.test"), 0, &c, &s, &env),
        SEC_E_WRONG_PRINCIPAL
    );
    assert_eq!(
        fail(
            Some("other.test"),
            ISC_REQ_MANUAL_CRED_VALIDATION,
            &c,
            &s,
            &env
        ),
        SEC_E_OK
    );
    assert_eq!(
        fail(None, 0, &c, &s, &env),
        SEC_E_OK,
        "no target, no name check"
    );
    let stranger = trusting(tls!("other-ca.pem"));
    let c2 = acquire(Spec::default(), &stranger).unwrap();
    assert_eq!(
        fail(Some("localhost"), 0, &c2, &s, &stranger),
        SEC_E_UNTRUSTED_ROOT
    );
    let expired = acquire(
        Spec {
            inbound: true,
            cert: Some((tls!("expired.pem"), tls!("expired.key"))),
            ..Spec::default()
        },
        &env,
    )
    .unwrap();
    assert_eq!(
        fail(Some("localhost"), 0, &c, &expired, &env),
        SEC_E_CERT_EXPIRED
    );
    let manual = acquire(
        Spec {
            flags: SCH_CRED_MANUAL_CRED_VALIDATION,
            ..Spec::default()
        },
        &stranger,
    )
    .unwrap();
    assert_eq!(
        fail(Some("localhost"), 0, &manual, &expired, &stranger),
        SEC_E_OK
    );
}

#[test]
fn no_common_protocol_is_an_algorithm_mismatch_and_the_peer_an_illegal_message() {
    let env = env();
    let (c, s) = creds(
        Spec {
            disabled: SP_PROT_TLS1_2,
            ..Spec::default()
        },
        Spec {
            disabled: SP_PROT_TLS1_3,
            ..server_spec()
        },
        &env,
    );
    match handshake(&c, &s, Some("localhost"), 0, 0, &env) {
        Err(("server", Error::Reject { status, token })) => {
            assert_eq!(status, SEC_E_ALGORITHM_MISMATCH);
            assert_eq!(token[0], 21, "a fatal alert for the client");
        }
        other => panic!("{:?}", other.err()),
    }
    assert_eq!(
        acquire(
            Spec {
                legacy: Some(SP_PROT_TLS1_0_CLIENT | SP_PROT_TLS1_1_CLIENT),
                ..Spec::default()
            },
            &env
        )
        .err()
        .unwrap(),
        SEC_E_ALGORITHM_MISMATCH
    );
}

#[test]
fn a_server_asking_for_a_certificate_gets_incomplete_credentials_then_goes_on() {
    let env = env();
    let (c, s) = creds(Spec::default(), server_spec(), &env);
    let p = handshake(&c, &s, Some("localhost"), 0, ASC_REQ_MUTUAL_AUTH, &env).unwrap();
    assert_eq!(p.client_statuses[0], SEC_I_INCOMPLETE_CREDENTIALS);
    assert_eq!(p.client_statuses.last(), Some(&SEC_E_OK));
    assert_eq!(
        attributes::query(&SCHANNEL_INFO, &p.server, SECPKG_ATTR_REMOTE_CERT_CONTEXT).unwrap_err(),
        SEC_E_NO_CREDENTIALS
    );
    // Without a server asking, no SEC_I_INCOMPLETE_CREDENTIALS.
    let p = handshake(&c, &s, Some("localhost"), 0, 0, &env).unwrap();
    assert!(!p.client_statuses.contains(&SEC_I_INCOMPLETE_CREDENTIALS));
}

#[test]
fn mutual_tls_with_a_client_certificate() {
    let env = env();
    let (c, s) = creds(
        Spec {
            cert: Some((tls!("client.pem"), tls!("client.key"))),
            ..Spec::default()
        },
        server_spec(),
        &env,
    );
    let p = handshake(&c, &s, Some("localhost"), 0, ASC_REQ_MUTUAL_AUTH, &env).unwrap();
    let ContextAttribute::Certificate(_, der) =
        attributes::query(&SCHANNEL_INFO, &p.server, SECPKG_ATTR_REMOTE_CERT_CONTEXT).unwrap()
    else {
        panic!()
    };
    let (client_chain, _) = crate::certificates::parse_pem_or_der(tls!("client.pem"));
    assert_eq!(der, client_chain[0].to_vec());
}
