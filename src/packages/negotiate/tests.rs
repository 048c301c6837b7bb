//! Negotiate through the `Package` trait: whole exchanges between two
//! contexts, the mechListMIC rules, a mechanism other than the initiator's
//! first, raw NTLM, rejections and malformed tokens.

use der::asn1::ObjectIdentifier;

use super::mechs::{Mech, NTLM, NTLM_OID};
use super::token::{self, NegState};
use super::*;
use crate::credentials::identity::testing::OwnedIdentity;
use crate::env::SystemEnv;
use crate::packages::mock::MockPackage;
use crate::packages::ntlm::{Ntlm, NtlmContext, NtlmCredentials};

/// A made-up mechanism preferred over NTLM, standing in for Kerberos.
static MOCK: Mech = Mech {
    package: &MockPackage,
    oids: &[ObjectIdentifier::new_unwrap("1.3.6.1.4.1.55555.1")],
    raw: None,
};
static MOCK_THEN_NTLM: Negotiate = Negotiate::new(&[&MOCK, &NTLM]);
static NTLM_THEN_MOCK: Negotiate = Negotiate::new(&[&NTLM, &MOCK]);
static ONLY_MOCK: Negotiate = Negotiate::new(&[&MOCK]);

const FLAGS: u32 = ISC_REQ_CONFIDENTIALITY
    | ISC_REQ_INTEGRITY
    | ISC_REQ_REPLAY_DETECT
    | ISC_REQ_SEQUENCE_DETECT
    | ISC_REQ_CONNECTION;

/// The test account's identity structure, with this password and list.
fn identity(password: &str, package_list: Option<&str>) -> OwnedIdentity {
    OwnedIdentity::new(Some("alice"), Some("CONTOSO"), Some(password), package_list)
}

/// A request for `identity`'s credentials.
fn request(identity: &OwnedIdentity, usage: u32) -> AcquireRequest<'_> {
    AcquireRequest {
        principal: None,
        usage: CredentialUse(usage),
        auth: Some(identity.view()),
        env: &SystemEnv,
    }
}

fn acquire(
    package: &Negotiate,
    usage: u32,
    password: &str,
    list: Option<&str>,
) -> SecResult<NegotiateCredentials> {
    let identity = identity(password, list);
    Package::acquire_credentials(package, request(&identity, usage)).map(|(c, _)| c)
}

fn client_cred() -> NegotiateCredentials {
    acquire(&NEGOTIATE, SECPKG_CRED_OUTBOUND, "Passw0rd", None).expect("client credential")
}

fn server_cred() -> NegotiateCredentials {
    acquire(&NEGOTIATE, SECPKG_CRED_INBOUND, "Passw0rd", None).expect("server credential")
}

fn step_input<'a>(bufs: &'a [InBuf<'a>]) -> StepInput<'a> {
    StepInput {
        target: Some("HTTP/server.contoso.com"),
        req_flags: FLAGS,
        data_rep: 0,
        inputs: bufs,
        env: &SystemEnv,
    }
}

/// `Package::initialize`, its step finished (no network I/O here).
fn initialize<P: Package>(
    package: &P,
    cred: &P::Credentials,
    input: &StepInput<'_>,
) -> SecResult<(P::Context, StepOutput)> {
    let (ctx, progress) = Package::initialize(package, cred, input)?;
    Ok((ctx, progress.done()?))
}

/// `Package::accept`, its step finished.
fn accept<P: Package>(
    package: &P,
    cred: &P::Credentials,
    input: &StepInput<'_>,
) -> SecResult<(P::Context, StepOutput)> {
    let (ctx, progress) = Package::accept(package, cred, input)?;
    Ok((ctx, progress.done()?))
}

/// `Package::step`, finished.
fn step<P: Package>(
    package: &P,
    cred: Option<&P::Credentials>,
    ctx: &mut P::Context,
    input: &StepInput<'_>,
) -> SecResult<StepOutput> {
    Package::step(package, cred, ctx, input)?.done()
}

fn tok(data: &[u8]) -> [InBuf<'_>; 1] {
    [InBuf {
        kind: SECBUFFER_TOKEN,
        data,
    }]
}

/// An NTLM credential for the test account.
fn ntlm_credential(usage: u32) -> NtlmCredentials {
    let identity = identity("Passw0rd", None);
    Package::acquire_credentials(&Ntlm, request(&identity, usage))
        .unwrap()
        .0
}

/// A later step of a plain NTLM context.
fn ntlm_step(cred: &NtlmCredentials, ctx: &mut NtlmContext, token: &[u8]) -> StepOutput {
    let bufs = tok(token);
    step(&Ntlm, Some(cred), ctx, &step_input(&bufs)).unwrap()
}

struct Pair {
    package: &'static Negotiate,
    /// The acceptor's package (the initiator's unless set otherwise).
    server_package: &'static Negotiate,
    /// ISC_REQ_/ASC_REQ_ flags of every call.
    flags: u32,
    client: NegotiateContext,
    server: Option<NegotiateContext>,
    ccred: NegotiateCredentials,
    scred: NegotiateCredentials,
}

impl Pair {
    fn start(
        package: &'static Negotiate,
        ccred: NegotiateCredentials,
        scred: NegotiateCredentials,
    ) -> (Self, Vec<u8>) {
        Self::start_with(package, package, FLAGS, ccred, scred)
    }

    fn start_with(
        package: &'static Negotiate,
        server_package: &'static Negotiate,
        flags: u32,
        ccred: NegotiateCredentials,
        scred: NegotiateCredentials,
    ) -> (Self, Vec<u8>) {
        let input = StepInput {
            req_flags: flags,
            ..step_input(&[])
        };
        let (client, out) = initialize(package, &ccred, &input).expect("first ISC");
        assert_eq!(out.status, SEC_I_CONTINUE_NEEDED);
        (
            Pair {
                package,
                server_package,
                flags,
                client,
                server: None,
                ccred,
                scred,
            },
            out.token,
        )
    }

    fn input<'a>(&self, bufs: &'a [InBuf<'a>]) -> StepInput<'a> {
        StepInput {
            req_flags: self.flags,
            ..step_input(bufs)
        }
    }

    fn server_step(&mut self, token: &[u8]) -> SecResult<StepOutput> {
        let bufs = tok(token);
        let input = self.input(&bufs);
        match &mut self.server {
            Some(s) => step(self.server_package, Some(&self.scred), s, &input),
            None => {
                let (s, out) = accept(self.server_package, &self.scred, &input)?;
                self.server = Some(s);
                Ok(out)
            }
        }
    }

    fn client_step(&mut self, token: &[u8]) -> SecResult<StepOutput> {
        let bufs = tok(token);
        let input = self.input(&bufs);
        step(self.package, Some(&self.ccred), &mut self.client, &input)
    }

    fn server(&mut self) -> &mut NegotiateContext {
        self.server.as_mut().expect("server context")
    }
}

/// The status of a failed step that came with a `reject` NegTokenResp for
/// the peer, and that token.
fn rejected(outcome: SecResult<StepOutput>) -> (Status, Vec<u8>) {
    match outcome {
        Err(Error::Reject { status, token }) => {
            let reply = token::decode_resp(&token).expect("a NegTokenResp");
            assert_eq!(reply.neg_state, Some(NegState::Reject));
            (status, token)
        }
        other => panic!("not a reject: {other:?}"),
    }
}

/// Seals on one side and unseals on the other.
fn one_message(package: &Negotiate, from: &mut NegotiateContext, to: &mut NegotiateContext, n: u8) {
    let mut data = *b"message body";
    data[0] = n;
    let mut sig = [0u8; 16];
    {
        let mut msg = [
            SecBuf::writable(SECBUFFER_DATA, &mut data),
            SecBuf::writable(SECBUFFER_TOKEN, &mut sig),
        ];
        Package::encrypt(package, from, 0, &mut msg, 0, &SystemEnv).expect("encrypt");
    }
    assert_ne!(&data[1..], b"essage body");
    let mut msg = [
        SecBuf::writable(SECBUFFER_DATA, &mut data),
        SecBuf::writable(SECBUFFER_TOKEN, &mut sig),
    ];
    Package::decrypt(package, to, &mut msg, 0).expect("decrypt");
    assert_eq!(&data[1..], b"essage body");
    assert_eq!(data[0], n);
}

/// Sealed messages both ways, three rounds.
fn messages_flow(package: &Negotiate, a: &mut NegotiateContext, b: &mut NegotiateContext) {
    for round in 0..3u8 {
        one_message(package, a, b, round);
        one_message(package, b, a, round);
    }
}

#[test]
fn ntlm_exchange_with_mech_list_mics() {
    let (mut p, init) = Pair::start(&NEGOTIATE, client_cred(), server_cred());
    let parsed = token::decode_init(&init).expect("NegTokenInit");
    assert_eq!(parsed.mech_types.0, vec![NTLM_OID]);
    assert!(token::bytes(parsed.mech_token)
        .expect("optimistic token")
        .starts_with(b"NTLMSSP\0\x01\0\0\0"));
    let info = p.client.query(SECPKG_ATTR_NEGOTIATION_INFO).unwrap();
    assert!(matches!(
        info,
        ContextAttribute::NegotiationInfo { package, state: SECPKG_NEGOTIATION_OPTIMISTIC }
            if package.name == "NTLM"
    ));

    let first = p.server_step(&init).expect("first ASC");
    assert_eq!(first.status, SEC_I_CONTINUE_NEEDED);
    let reply = token::decode_resp(&first.token).expect("NegTokenResp");
    assert_eq!(reply.neg_state, Some(NegState::AcceptIncomplete));
    assert_eq!(reply.supported_mech, Some(NTLM_OID));
    assert!(token::bytes(reply.response_token)
        .expect("CHALLENGE")
        .starts_with(b"NTLMSSP\0\x02\0\0\0"));
    assert_eq!(reply.mech_list_mic, None);

    let last = p.client_step(&first.token).expect("second ISC");
    // Integrity was negotiated and AUTHENTICATE carries a MIC: the client
    // sends its mechListMIC and is not done until it has checked the
    // acceptor's.
    assert_eq!(last.status, SEC_I_CONTINUE_NEEDED);
    let sent = token::decode_resp(&last.token).expect("NegTokenResp");
    assert_eq!(sent.neg_state, None);
    assert!(token::bytes(sent.response_token)
        .expect("AUTHENTICATE")
        .starts_with(b"NTLMSSP\0\x03\0\0\0"));
    let mic = token::bytes(sent.mech_list_mic).expect("mechListMIC");
    assert_eq!(mic.len(), 16);
    assert_eq!(&mic[..4], &[1, 0, 0, 0]);
    assert_eq!(&mic[12..], &[0, 0, 0, 0], "the MIC uses sequence number 0");

    let done = p.server_step(&last.token).expect("second ASC");
    assert_eq!(done.status, SEC_E_OK);
    let reply = token::decode_resp(&done.token).expect("NegTokenResp");
    assert_eq!(reply.neg_state, Some(NegState::AcceptCompleted));
    assert_eq!(reply.supported_mech, None);
    assert_eq!(reply.response_token, None);
    assert_eq!(token::bytes(reply.mech_list_mic).map(<[u8]>::len), Some(16));

    // Until then no message can be protected on the initiator.
    let mut sig = [0u8; 16];
    let mut msg = [SecBuf::writable(SECBUFFER_TOKEN, &mut sig)];
    assert_eq!(
        Package::make_signature(&NEGOTIATE, &mut p.client, 0, &mut msg, 0).unwrap_err(),
        SEC_E_INVALID_HANDLE
    );
    // The acceptor's last token checks out on the initiator.
    let end = p.client_step(&done.token).expect("third ISC");
    assert_eq!(end.status, SEC_E_OK);
    assert!(end.token.is_empty());
    // Nothing more to take.
    assert_eq!(
        p.client_step(&done.token).unwrap_err(),
        SEC_E_OUT_OF_SEQUENCE
    );

    for ctx in [&p.client, p.server.as_ref().unwrap()] {
        match ctx.query(SECPKG_ATTR_NEGOTIATION_INFO).unwrap() {
            ContextAttribute::NegotiationInfo { package, state } => {
                assert_eq!(state, SECPKG_NEGOTIATION_COMPLETE);
                assert_eq!(package.name, "NTLM");
                assert_eq!(package.rpc_id, 10);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ctx.query(SECPKG_ATTR_SIZES).unwrap(),
            ContextAttribute::Sizes {
                max_token: 2888,
                max_signature: 16,
                block_size: 0,
                security_trailer: 16
            }
        ));
        assert!(matches!(
            ctx.query(SECPKG_ATTR_PACKAGE_INFO).unwrap(),
            ContextAttribute::PackageInfo(p) if p.name == "NTLM"
        ));
        match ctx.query(SECPKG_ATTR_NAMES).unwrap() {
            ContextAttribute::Names(n) => assert_eq!(n, "CONTOSO\\alice"),
            other => panic!("{other:?}"),
        }
    }
    let mut server = p.server.take().unwrap();
    messages_flow(&NEGOTIATE, &mut p.client, &mut server);
}

#[test]
fn accept_completed_without_the_awaited_mic_is_refused() {
    // The initiator sent its (real) MIC; an accept-completed without the
    // acceptor's would let a man in the middle skip the check.
    let (mut p, init) = Pair::start(&NEGOTIATE, client_cred(), server_cred());
    let first = p.server_step(&init).unwrap();
    let last = p.client_step(&first.token).unwrap();
    assert_eq!(last.status, SEC_I_CONTINUE_NEEDED);
    let bare = token::encode_resp(Some(NegState::AcceptCompleted), None, None, None).unwrap();
    assert_eq!(p.client_step(&bare).unwrap_err(), SEC_E_INVALID_TOKEN);
    assert_eq!(p.client_step(&bare).unwrap_err(), SEC_E_INVALID_HANDLE);
}

#[test]
fn wrong_password_is_rejected_with_a_reject_token() {
    let ccred = acquire(&NEGOTIATE, SECPKG_CRED_OUTBOUND, "wrong", None).unwrap();
    let (mut p, init) = Pair::start(&NEGOTIATE, ccred, server_cred());
    let first = p.server_step(&init).unwrap();
    let last = p.client_step(&first.token).unwrap();
    let (status, reject) = rejected(p.server_step(&last.token));
    assert_eq!(status, SEC_E_LOGON_DENIED);
    // The context is dead.
    assert_eq!(
        p.server_step(&last.token).unwrap_err(),
        SEC_E_INVALID_HANDLE
    );
    // The initiator, given the reject, fails too.
    assert_eq!(p.client_step(&reject).unwrap_err(), SEC_E_LOGON_DENIED);
}

#[test]
fn tampered_mech_list_mic_is_refused() {
    let (mut p, init) = Pair::start(&NEGOTIATE, client_cred(), server_cred());
    let first = p.server_step(&init).unwrap();
    let last = p.client_step(&first.token).unwrap();
    let mut bad = last.token.clone();
    let n = bad.len();
    bad[n - 9] ^= 1; // inside the MIC's checksum
    assert_eq!(rejected(p.server_step(&bad)).0, SEC_E_MESSAGE_ALTERED);

    // And on the initiator: a tampered MIC in accept-completed.
    let (mut p, init) = Pair::start(&NEGOTIATE, client_cred(), server_cred());
    let first = p.server_step(&init).unwrap();
    let last = p.client_step(&first.token).unwrap();
    let done = p.server_step(&last.token).unwrap();
    let mut bad = done.token.clone();
    let n = bad.len();
    bad[n - 9] ^= 1;
    assert_eq!(p.client_step(&bad).unwrap_err(), SEC_E_MESSAGE_ALTERED);
}

#[test]
fn a_missing_mech_list_mic_on_the_acceptor_is_asked_for() {
    let (mut p, init) = Pair::start(&NEGOTIATE, client_cred(), server_cred());
    let first = p.server_step(&init).unwrap();
    let last = p.client_step(&first.token).unwrap();
    // Strip the initiator's MIC: the acceptor (whose NTLM saw a MIC in
    // AUTHENTICATE) answers with its own and waits for the initiator's.
    let sent = token::decode_resp(&last.token).unwrap();
    let stripped = token::encode_resp(None, None, token::bytes(sent.response_token), None).unwrap();
    let out = p.server_step(&stripped).unwrap();
    assert_eq!(out.status, SEC_I_CONTINUE_NEEDED);
    let reply = token::decode_resp(&out.token).unwrap();
    assert_eq!(reply.neg_state, Some(NegState::AcceptIncomplete));
    assert!(reply.mech_list_mic.is_some());
    // No messages before the exchange is complete.
    let mut sig = [0u8; 16];
    let mut msg = [SecBuf::writable(SECBUFFER_TOKEN, &mut sig)];
    assert_eq!(
        Package::make_signature(&NEGOTIATE, p.server(), 0, &mut msg, 0).unwrap_err(),
        SEC_E_INVALID_HANDLE
    );
    // Now the initiator's MIC, alone.
    let mic_only = token::encode_resp(None, None, None, token::bytes(sent.mech_list_mic)).unwrap();
    let out = p.server_step(&mic_only).unwrap();
    assert_eq!(out.status, SEC_E_OK);
    let reply = token::decode_resp(&out.token).unwrap();
    assert_eq!(reply.neg_state, Some(NegState::AcceptCompleted));
    assert_eq!(
        reply.mech_list_mic, None,
        "the acceptor's MIC went out already"
    );
}

#[test]
fn acceptor_picks_ntlm_behind_an_unknown_preferred_mech() {
    // Windows' list: MS Kerberos first with a (here bogus) optimistic token.
    let ms_krb5 = ObjectIdentifier::new_unwrap("1.2.840.48018.1.2.2");
    let init = token::encode_init(&[ms_krb5, NTLM_OID], Some(b"\x60\x05kerb")).unwrap();
    let bufs = tok(&init);
    let (_server, out) = accept(&NEGOTIATE, &server_cred(), &step_input(&bufs)).unwrap();
    assert_eq!(out.status, SEC_I_CONTINUE_NEEDED);
    let reply = token::decode_resp(&out.token).unwrap();
    assert_eq!(reply.neg_state, Some(NegState::RequestMic));
    assert_eq!(reply.supported_mech, Some(NTLM_OID));
    assert_eq!(
        reply.response_token, None,
        "the optimistic token was not NTLM's"
    );
}

#[test]
fn the_acceptor_asks_for_the_mic_when_it_prefers_another_offered_mechanism() {
    // RFC 4178 section 5: the MIC is optional only for the preferred
    // mechanism of both sides. An acceptor preferring the mock mechanism
    // that is offered only NTLM has nothing to protect (Windows with only
    // NTLM offered); offered NTLM first and the mock second, it takes NTLM
    // and asks for the MIC (Windows with NTLM chosen among several).
    let scred = acquire(&MOCK_THEN_NTLM, SECPKG_CRED_INBOUND, "Passw0rd", None).unwrap();
    let ntlm_cred = ntlm_credential(SECPKG_CRED_OUTBOUND);
    let (_, negotiate) = initialize(&Ntlm, &ntlm_cred, &step_input(&[])).unwrap();
    for (offer, expected) in [
        (vec![NTLM_OID], NegState::AcceptIncomplete),
        (vec![NTLM_OID, MOCK.oids[0]], NegState::RequestMic),
    ] {
        let init = token::encode_init(&offer, Some(&negotiate.token)).unwrap();
        let bufs = tok(&init);
        let (_, out) = accept(&MOCK_THEN_NTLM, &scred, &step_input(&bufs)).unwrap();
        let reply = token::decode_resp(&out.token).unwrap();
        assert_eq!(reply.neg_state, Some(expected), "{offer:?}");
        assert_eq!(reply.supported_mech, Some(NTLM_OID));
        assert!(token::bytes(reply.response_token)
            .unwrap()
            .starts_with(b"NTLMSSP\0\x02"));
    }
}

#[test]
fn initiator_falls_back_to_the_acceptors_choice() {
    // The initiator prefers the mock mechanism; the acceptor only has NTLM.
    let ccred = acquire(&MOCK_THEN_NTLM, SECPKG_CRED_OUTBOUND, "Passw0rd", None).unwrap();
    let (mut p, init) = Pair::start(&MOCK_THEN_NTLM, ccred, server_cred());
    let scred = server_cred();
    let parsed = token::decode_init(&init).unwrap();
    assert_eq!(parsed.mech_types.0, vec![MOCK.oids[0], NTLM_OID]);
    assert_eq!(token::bytes(parsed.mech_token), Some(&b"init"[..]));

    // The acceptor side is plain Negotiate (NTLM only).
    let bufs = tok(&init);
    let (mut server, first) = accept(&NEGOTIATE, &scred, &step_input(&bufs)).unwrap();
    let reply = token::decode_resp(&first.token).unwrap();
    assert_eq!(reply.neg_state, Some(NegState::RequestMic));
    assert_eq!(reply.supported_mech, Some(NTLM_OID));

    // The initiator drops its optimistic context and starts NTLM.
    let negotiate = p.client_step(&first.token).unwrap();
    assert_eq!(negotiate.status, SEC_I_CONTINUE_NEEDED);
    let sent = token::decode_resp(&negotiate.token).unwrap();
    assert!(token::bytes(sent.response_token)
        .unwrap()
        .starts_with(b"NTLMSSP\0\x01"));
    let server_step = |server: &mut NegotiateContext, t: &[u8]| {
        let bufs = tok(t);
        step(&NEGOTIATE, Some(&scred), server, &step_input(&bufs))
    };
    let challenge = server_step(&mut server, &negotiate.token).unwrap();
    assert_eq!(challenge.status, SEC_I_CONTINUE_NEEDED);
    let reply = token::decode_resp(&challenge.token).unwrap();
    assert_eq!(reply.neg_state, Some(NegState::AcceptIncomplete));
    assert_eq!(reply.supported_mech, None);

    let auth = p.client_step(&challenge.token).unwrap();
    // The acceptor asked for the MIC: the initiator waits for its answer.
    assert_eq!(auth.status, SEC_I_CONTINUE_NEEDED);
    let done = server_step(&mut server, &auth.token).unwrap();
    assert_eq!(done.status, SEC_E_OK);
    assert_eq!(
        token::decode_resp(&done.token).unwrap().neg_state,
        Some(NegState::AcceptCompleted)
    );
    let end = p.client_step(&done.token).unwrap();
    assert_eq!(end.status, SEC_E_OK);
    assert!(end.token.is_empty());
    match p.client.query(SECPKG_ATTR_NEGOTIATION_INFO).unwrap() {
        ContextAttribute::NegotiationInfo { package, state } => {
            assert_eq!((package.name, state), ("NTLM", SECPKG_NEGOTIATION_COMPLETE));
        }
        other => panic!("{other:?}"),
    }
    // The MICs covered the initiator's two-mechanism list on both sides.
    messages_flow(&NEGOTIATE, &mut p.client, &mut server);
}

#[test]
fn a_one_leg_mechanism_completes_without_mics() {
    let ccred = acquire(&ONLY_MOCK, SECPKG_CRED_OUTBOUND, "x", None).unwrap();
    let scred = acquire(&ONLY_MOCK, SECPKG_CRED_INBOUND, "x", None).unwrap();
    let (mut p, init) = Pair::start(&ONLY_MOCK, ccred, scred);
    let out = p.server_step(&init).unwrap();
    assert_eq!(out.status, SEC_E_OK);
    let reply = token::decode_resp(&out.token).unwrap();
    assert_eq!(reply.neg_state, Some(NegState::AcceptCompleted));
    assert_eq!(reply.supported_mech, Some(MOCK.oids[0]));
    assert_eq!(token::bytes(reply.response_token), Some(&b"done"[..]));
    let end = p.client_step(&out.token).unwrap();
    assert_eq!(end.status, SEC_E_OK);
    assert!(end.token.is_empty());
}

#[test]
fn raw_ntlm_is_accepted_without_spnego() {
    let ntlm_cred = ntlm_credential(SECPKG_CRED_OUTBOUND);
    let (mut client, negotiate) = initialize(&Ntlm, &ntlm_cred, &step_input(&[])).unwrap();
    let mut p = Pair::start(&NEGOTIATE, client_cred(), server_cred()).0;
    let challenge = p.server_step(&negotiate.token).unwrap();
    assert_eq!(challenge.status, SEC_I_CONTINUE_NEEDED);
    assert!(
        challenge.token.starts_with(b"NTLMSSP\0\x02"),
        "a raw CHALLENGE"
    );
    let auth = ntlm_step(&ntlm_cred, &mut client, &challenge.token);
    let done = p.server_step(&auth.token).unwrap();
    assert_eq!(done.status, SEC_E_OK);
    assert!(done.token.is_empty());
    match p.server().query(SECPKG_ATTR_NEGOTIATION_INFO).unwrap() {
        ContextAttribute::NegotiationInfo { package, state } => {
            assert_eq!((package.name, state), ("NTLM", SECPKG_NEGOTIATION_COMPLETE));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_common_mechanism_is_rejected() {
    let init = token::encode_init(&[ObjectIdentifier::new_unwrap("1.2.3.4")], Some(b"x")).unwrap();
    let bufs = tok(&init);
    let outcome = accept(&NEGOTIATE, &server_cred(), &step_input(&bufs)).map(|(_, out)| out);
    assert_eq!(rejected(outcome).0, SEC_E_INVALID_TOKEN);
}

#[test]
fn malformed_tokens_are_invalid() {
    let scred = server_cred();
    let good = Pair::start(&NEGOTIATE, client_cred(), server_cred()).1;
    let mut cases: Vec<Vec<u8>> = vec![
        b"garbage".to_vec(),
        vec![0x60],
        vec![0x60, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06],
        good[..good.len() / 2].to_vec(),
    ];
    let mut lying = good.clone();
    lying[13] = 0x7f;
    cases.push(lying);
    for case in &cases {
        let bufs = tok(case);
        assert_eq!(
            accept(&NEGOTIATE, &scred, &step_input(&bufs)).unwrap_err(),
            SEC_E_INVALID_TOKEN,
            "{case:02x?}"
        );
    }
    // On the initiator.
    for case in [&b"junk"[..], &[0xa1, 0x03, 0x30, 0x01][..], &good[..]] {
        let (mut p, _) = Pair::start(&NEGOTIATE, client_cred(), server_cred());
        assert_eq!(p.client_step(case).unwrap_err(), SEC_E_INVALID_TOKEN);
        assert_eq!(p.client_step(case).unwrap_err(), SEC_E_INVALID_HANDLE);
    }
    // A supportedMech the initiator never offered.
    let (mut p, _) = Pair::start(&NEGOTIATE, client_cred(), server_cred());
    let odd = token::encode_resp(
        Some(NegState::AcceptIncomplete),
        Some(ObjectIdentifier::new_unwrap("1.2.3.4")),
        Some(b"x"),
        None,
    )
    .unwrap();
    assert_eq!(p.client_step(&odd).unwrap_err(), SEC_E_INVALID_TOKEN);
}

#[test]
fn package_list_selects_mechanisms() {
    assert!(acquire(&NEGOTIATE, SECPKG_CRED_OUTBOUND, "p", Some("NTLM")).is_ok());
    assert!(acquire(&NEGOTIATE, SECPKG_CRED_OUTBOUND, "p", Some("!Kerberos")).is_ok());
    // A list that leaves no mechanism: the credential exists (as on
    // Windows), and the first step on it fails with SEC_E_NO_CREDENTIALS.
    let none: [InBuf<'_>; 0] = [];
    // Lists that leave Kerberos alone: the identity's realm, CONTOSO, has
    // no KDC (no krb5.conf names one, and no DNS is asked), and there is
    // nothing to fall back to.
    for list in ["!NTLM", "Kerberos", "Kerberos,!NTLM"] {
        let cred = acquire(&NEGOTIATE, SECPKG_CRED_OUTBOUND, "p", Some(list)).expect(list);
        assert_eq!(
            initialize(&NEGOTIATE, &cred, &step_input(&none)).unwrap_err(),
            SEC_E_NO_AUTHENTICATING_AUTHORITY,
            "{list}"
        );
    }
    for list in ["NegoExtender", "NTLM:Kerberos"] {
        for usage in [SECPKG_CRED_OUTBOUND, SECPKG_CRED_INBOUND] {
            let cred = acquire(&NEGOTIATE, usage, "p", Some(list)).expect(list);
            assert_eq!(
                initialize(&NEGOTIATE, &cred, &step_input(&none)).unwrap_err(),
                SEC_E_NO_CREDENTIALS,
                "{list}"
            );
            assert_eq!(
                accept(&NEGOTIATE, &cred, &step_input(&none)).unwrap_err(),
                SEC_E_NO_CREDENTIALS,
                "{list}"
            );
            assert_eq!(
                Package::query_credentials(&NEGOTIATE, &cred, SECPKG_CRED_ATTR_NAMES).unwrap_err(),
                SEC_E_NO_CREDENTIALS
            );
        }
    }
    // "!Mock" leaves NTLM alone in the offer.
    let cred = acquire(&MOCK_THEN_NTLM, SECPKG_CRED_OUTBOUND, "p", Some("!Mock")).unwrap();
    let (_ctx, out) = initialize(&MOCK_THEN_NTLM, &cred, &step_input(&[])).unwrap();
    assert_eq!(
        token::decode_init(&out.token).unwrap().mech_types.0,
        vec![NTLM_OID]
    );
}

#[test]
fn export_and_import_carry_the_mechanism() {
    let (mut p, init) = Pair::start(&NEGOTIATE, client_cred(), server_cred());
    let first = p.server_step(&init).unwrap();
    // Not before completion.
    assert_eq!(
        Package::export(&NEGOTIATE, &p.client).unwrap_err(),
        SEC_E_INVALID_HANDLE
    );
    let last = p.client_step(&first.token).unwrap();
    let done = p.server_step(&last.token).unwrap();
    p.client_step(&done.token).unwrap();
    let packed = Package::export(&NEGOTIATE, &p.client).unwrap();
    let mut copy = Package::import(&NEGOTIATE, &packed).unwrap();
    let mut server = p.server.take().unwrap();
    messages_flow(&NEGOTIATE, &mut copy, &mut server);
    for cut in 0..packed.len().min(40) {
        assert!(Package::import(&NEGOTIATE, &packed[..cut]).is_err());
    }
}

#[test]
fn a_raw_answer_switches_the_initiator_to_raw_ntlm() {
    // A server that speaks NTLM only, fed the NEGOTIATE inside our
    // NegTokenInit, answers with a raw CHALLENGE.
    let (mut p, init) = Pair::start(&NEGOTIATE, client_cred(), server_cred());
    let negotiate = token::bytes(token::decode_init(&init).unwrap().mech_token)
        .unwrap()
        .to_vec();
    let ntlm_server = ntlm_credential(SECPKG_CRED_INBOUND);
    let bufs = tok(&negotiate);
    let (mut server, challenge) = accept(&Ntlm, &ntlm_server, &step_input(&bufs)).unwrap();
    let auth = p.client_step(&challenge.token).unwrap();
    assert_eq!(auth.status, SEC_E_OK);
    assert!(
        auth.token.starts_with(b"NTLMSSP\0\x03"),
        "a raw AUTHENTICATE"
    );
    assert_eq!(
        ntlm_step(&ntlm_server, &mut server, &auth.token).status,
        SEC_E_OK
    );
    let mut sig = [0u8; 16];
    let mut data = *b"raw";
    let mut msg = [
        SecBuf::writable(SECBUFFER_DATA, &mut data),
        SecBuf::writable(SECBUFFER_TOKEN, &mut sig),
    ];
    Package::encrypt(&NEGOTIATE, &mut p.client, 0, &mut msg, 0, &SystemEnv).unwrap();
    Package::decrypt(&Ntlm, &mut server, &mut msg, 0).unwrap();
    assert_eq!(msg[0].data(), b"raw");
}

#[test]
fn a_raw_answer_is_refused_when_several_mechanisms_were_offered() {
    // Offering NTLM then another mechanism: a raw CHALLENGE would skip the
    // negotiation (and its mechListMIC), so it is not taken.
    let ccred = acquire(&NTLM_THEN_MOCK, SECPKG_CRED_OUTBOUND, "Passw0rd", None).unwrap();
    let (mut p, init) = Pair::start(&NTLM_THEN_MOCK, ccred, server_cred());
    let negotiate = token::bytes(token::decode_init(&init).unwrap().mech_token)
        .unwrap()
        .to_vec();
    let ntlm_server = ntlm_credential(SECPKG_CRED_INBOUND);
    let bufs = tok(&negotiate);
    let (_, challenge) = accept(&Ntlm, &ntlm_server, &step_input(&bufs)).unwrap();
    assert!(challenge.token.starts_with(b"NTLMSSP\0\x02"));
    assert_eq!(
        p.client_step(&challenge.token).unwrap_err(),
        SEC_E_INVALID_TOKEN
    );
    assert_eq!(
        p.client_step(&challenge.token).unwrap_err(),
        SEC_E_INVALID_HANDLE
    );
}

#[test]
fn every_single_byte_corruption_is_refused() {
    // Each token of a good exchange with each byte flipped in turn: every
    // step returns (no panic), and none completes. The DER framing is
    // strict, and NTLM's MIC covers all three NTLM messages.
    let (mut p, init) = Pair::start(&NEGOTIATE, client_cred(), server_cred());
    let first = p.server_step(&init).unwrap();
    let last = p.client_step(&first.token).unwrap();
    let tokens = [init, first.token, last.token];
    for (which, good) in tokens.iter().enumerate() {
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x41;
            let (mut q, init) = Pair::start(&NEGOTIATE, client_cred(), server_cred());
            let outcome = (|| -> SecResult<Status> {
                let a = q.server_step(if which == 0 { &bad } else { &init })?;
                if a.status < 0 {
                    return Ok(a.status);
                }
                let b = q.client_step(if which == 1 { &bad } else { &a.token })?;
                Ok(q.server_step(if which == 2 { &bad } else { &b.token })?
                    .status)
            })();
            assert!(
                !matches!(outcome, Ok(SEC_E_OK)),
                "token {which}, byte {at}: the exchange completed"
            );
        }
    }
}

#[test]
fn no_input_gets_a_negtokeninit2_hint_then_the_exchange() {
    let scred = server_cred();
    let none: [InBuf<'_>; 0] = [];
    let (mut server, hint) = accept(&NEGOTIATE, &scred, &step_input(&none)).unwrap();
    assert_eq!(hint.status, SEC_I_CONTINUE_NEEDED);
    assert_eq!(hint.token, token::encode_init2(&[NTLM_OID]).unwrap());
    // The initiator ignores the hint.
    let ccred = client_cred();
    let bufs = tok(&hint.token);
    let (mut client, init) = initialize(&NEGOTIATE, &ccred, &step_input(&bufs)).unwrap();
    let step = |pkg_ctx: &mut NegotiateContext, cred: &NegotiateCredentials, t: &[u8]| {
        let bufs = tok(t);
        step(&NEGOTIATE, Some(cred), pkg_ctx, &step_input(&bufs)).unwrap()
    };
    let first = step(&mut server, &scred, &init.token);
    assert_eq!(first.status, SEC_I_CONTINUE_NEEDED);
    let last = step(&mut client, &ccred, &first.token);
    assert_eq!(last.status, SEC_I_CONTINUE_NEEDED);
    let done = step(&mut server, &scred, &last.token);
    assert_eq!(done.status, SEC_E_OK);
    assert_eq!(step(&mut client, &ccred, &done.token).status, SEC_E_OK);
    messages_flow(&NEGOTIATE, &mut client, &mut server);
}

/// NegTokenResp { negState accept-completed }.
const BARE_ACCEPT_COMPLETED: [u8; 9] = [0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x00];

/// A pair over Negotiate whose calls ask for no ISC_REQ_/ASC_REQ_ flags at
/// all, with its client's second call made: (pair, that call's output).
fn no_flags_to_the_last_mech_token(ccred: NegotiateCredentials) -> (Pair, StepOutput) {
    let (mut p, init) = Pair::start_with(&NEGOTIATE, &NEGOTIATE, 0, ccred, server_cred());
    let first = p.server_step(&init).unwrap();
    assert_eq!(first.status, SEC_I_CONTINUE_NEEDED);
    let last = p.client_step(&first.token).unwrap();
    (p, last)
}

#[test]
fn ntlm_alone_without_flags_exchanges_no_mics() {
    // Recorded on Windows (PackageList "NTLM", context requirements 0 on
    // both sides): ISC#2 SEC_E_OK, ASC#2 with no output buffer SEC_E_OK.
    // No integrity was negotiated, NTLM was both sides' only choice, and
    // no MIC was sent: none is due.
    let ccred = acquire(&NEGOTIATE, SECPKG_CRED_OUTBOUND, "Passw0rd", Some("NTLM")).unwrap();
    let (mut p, last) = no_flags_to_the_last_mech_token(ccred);
    assert_eq!(last.status, SEC_E_OK);
    assert_eq!(last.ret_flags & ISC_RET_INTEGRITY, 0);
    let sent = token::decode_resp(&last.token).unwrap();
    assert!(sent.response_token.is_some());
    assert_eq!(sent.mech_list_mic, None);
    // Nothing the initiator needs: a bare accept-completed, optional (the
    // ABI drops it for a caller with no output buffer, pOutput NULL).
    let done = p.server_step(&last.token).unwrap();
    assert_eq!(done.status, SEC_E_OK);
    assert_eq!(done.token, BARE_ACCEPT_COMPLETED);
    assert!(done.token_optional);
    // Without integrity the signature is NTLM's dummy, and sealing is
    // unavailable.
    let mut server = p.server.take().unwrap();
    let mut sig = [0u8; 16];
    let mut data = *b"x";
    let mut msg = [
        SecBuf::writable(SECBUFFER_DATA, &mut data),
        SecBuf::writable(SECBUFFER_TOKEN, &mut sig),
    ];
    Package::make_signature(&NEGOTIATE, &mut p.client, 0, &mut msg, 0).unwrap();
    assert_eq!(
        msg[1].data(),
        &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    Package::verify_signature(&NEGOTIATE, &mut server, &mut msg, 0).unwrap();
    assert_eq!(
        Package::encrypt(&NEGOTIATE, &mut p.client, 0, &mut msg, 0, &SystemEnv).unwrap_err(),
        SEC_E_UNSUPPORTED_FUNCTION
    );
}

#[test]
fn the_bare_accept_completed_goes_out_when_there_is_room() {
    // MIT's initiator waits for the acceptor's accept-completed; given
    // room, the acceptor sends it, and our initiator takes it too.
    let (mut p, last) = no_flags_to_the_last_mech_token(client_cred());
    assert_eq!(last.status, SEC_E_OK);
    let done = p.server_step(&last.token).unwrap();
    assert_eq!(done.status, SEC_E_OK);
    assert_eq!(done.token, BARE_ACCEPT_COMPLETED);
    let end = p.client_step(&done.token).unwrap();
    assert_eq!((end.status, end.token.len()), (SEC_E_OK, 0));
}

#[test]
fn an_acceptor_that_wants_a_mic_the_initiator_did_not_owe_gets_one() {
    // Some acceptors (pyspnego, Samba) send their MIC with accept-incomplete
    // and wait for the initiator's even when no integrity was negotiated;
    // the complete initiator, handed that token, answers with its own.
    let (mut p, last) = no_flags_to_the_last_mech_token(client_cred());
    assert_eq!(last.status, SEC_E_OK);
    p.server_step(&last.token).unwrap();
    let mech_types = token::encode_mech_types(&[NTLM_OID]).unwrap();
    let (mech, inner) = p.server().inner_mut().unwrap();
    let server_mic = mech.package.mech_list_mic(inner, &mech_types).unwrap();
    let wants = token::encode_resp(
        Some(NegState::AcceptIncomplete),
        None,
        None,
        Some(&server_mic),
    )
    .unwrap();
    let answer = p.client_step(&wants).unwrap();
    assert_eq!(answer.status, SEC_E_OK);
    let client_mic = token::decode_resp(&answer.token)
        .unwrap()
        .mech_list_mic
        .unwrap();
    let (mech, inner) = p.server().inner_mut().unwrap();
    mech.package
        .verify_mech_list_mic(inner, &mech_types, client_mic.as_bytes())
        .unwrap();
}

#[test]
fn ntlm_chosen_among_several_without_flags_exchanges_mics() {
    // Recorded on Windows (several mechanisms offered, NTLM chosen,
    // context requirements 0 on both sides): ISC#1 and ASC#1 continue,
    // ISC#2 returns SEC_I_CONTINUE_NEEDED with AUTHENTICATE and its
    // mechListMIC, ASC#2 SEC_E_OK with accept-completed and its own, and
    // ISC#3 SEC_E_OK with no token. Here the initiator offers NTLM then
    // the mock mechanism, which the acceptor prefers: NTLM is not the
    // preferred mechanism of both, so the acceptor asks for the MIC.
    let ccred = acquire(&NTLM_THEN_MOCK, SECPKG_CRED_OUTBOUND, "Passw0rd", None).unwrap();
    let scred = acquire(&MOCK_THEN_NTLM, SECPKG_CRED_INBOUND, "Passw0rd", None).unwrap();
    let (mut p, init) = Pair::start_with(&NTLM_THEN_MOCK, &MOCK_THEN_NTLM, 0, ccred, scred);
    let first = p.server_step(&init).unwrap();
    assert_eq!(first.status, SEC_I_CONTINUE_NEEDED);
    let last = p.client_step(&first.token).unwrap();
    assert_eq!(last.status, SEC_I_CONTINUE_NEEDED);
    let sent = token::decode_resp(&last.token).unwrap();
    assert!(sent.response_token.is_some() && sent.mech_list_mic.is_some());
    let done = p.server_step(&last.token).unwrap();
    assert_eq!(done.status, SEC_E_OK);
    let reply = token::decode_resp(&done.token).unwrap();
    assert_eq!(reply.neg_state, Some(NegState::AcceptCompleted));
    assert!(reply.mech_list_mic.is_some());
    let end = p.client_step(&done.token).unwrap();
    assert_eq!((end.status, end.token.len()), (SEC_E_OK, 0));
}

#[test]
fn ntlm_behind_another_mechanism_without_flags_still_exchanges_mics() {
    // NTLM behind the initiator's first choice: it starts afresh after
    // request-mic, and its AUTHENTICATE step returns SEC_I_CONTINUE_NEEDED
    // with its mechListMIC, the acceptor SEC_E_OK with accept-completed and
    // its own, and the initiator's next call SEC_E_OK with no token.
    // Without integrity the MICs are NTLM's dummy signature.
    let ccred = acquire(&MOCK_THEN_NTLM, SECPKG_CRED_OUTBOUND, "Passw0rd", None).unwrap();
    let (mut p, init) = Pair::start_with(&MOCK_THEN_NTLM, &NEGOTIATE, 0, ccred, server_cred());
    let first = p.server_step(&init).unwrap();
    let negotiate = p.client_step(&first.token).unwrap();
    let challenge = p.server_step(&negotiate.token).unwrap();
    let auth = p.client_step(&challenge.token).unwrap();
    assert_eq!(auth.status, SEC_I_CONTINUE_NEEDED);
    let dummy = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let sent = token::decode_resp(&auth.token).unwrap();
    assert_eq!(token::bytes(sent.mech_list_mic), Some(&dummy[..]));
    let done = p.server_step(&auth.token).unwrap();
    assert!(!done.token_optional, "the acceptor has a token to send");
    assert_eq!(done.status, SEC_E_OK);
    let reply = token::decode_resp(&done.token).unwrap();
    assert_eq!(reply.neg_state, Some(NegState::AcceptCompleted));
    assert_eq!(token::bytes(reply.mech_list_mic), Some(&dummy[..]));
    let end = p.client_step(&done.token).unwrap();
    assert_eq!((end.status, end.token.len()), (SEC_E_OK, 0));
}

/// Trace lines: a handshake whose acceptor runs with a recording
/// environment, the initiator using `password`, the initiator's second
/// token passed through `edit`. Returns the acceptor's last status and
/// its trace lines.
fn traced_acceptor(password: &str, edit: impl Fn(Vec<u8>) -> Vec<u8>) -> (Status, Vec<String>) {
    let env = crate::env::FixedEnv::new(&[], 133_485_408_000_000_000);
    let ccred = acquire(&NEGOTIATE, SECPKG_CRED_OUTBOUND, password, None).unwrap();
    let scred = server_cred();
    let (mut client, init) = initialize(&NEGOTIATE, &ccred, &step_input(&[])).unwrap();
    let traced_input = |bufs| StepInput {
        env: &env,
        ..step_input(bufs)
    };
    let bufs = tok(&init.token);
    let (mut server, reply) = accept(&NEGOTIATE, &scred, &traced_input(&bufs)).unwrap();
    let bufs = tok(&reply.token);
    let second = step(&NEGOTIATE, Some(&ccred), &mut client, &step_input(&bufs)).unwrap();
    let second = edit(second.token);
    let bufs = tok(&second);
    let status = match step(&NEGOTIATE, Some(&scred), &mut server, &traced_input(&bufs)) {
        Ok(out) => out.status,
        Err(e) => e.status(),
    };
    (status, env.traced())
}

fn has(lines: &[String], prefix: &str) -> bool {
    lines.iter().any(|l| l.starts_with(prefix))
}

#[test]
fn a_successful_logon_is_traced_token_by_token() {
    let (status, lines) = traced_acceptor("Passw0rd", |t| t);
    assert_eq!(status, SEC_E_OK);
    let expect = [
        "Tokens Negotiate received NegTokenInit (",
        "Tokens NTLM received NEGOTIATE (",
        "Tokens NTLM sent CHALLENGE (",
        "Tokens Negotiate sent NegTokenResp (",
        "Tokens Negotiate received NegTokenResp (",
        "Tokens NTLM received AUTHENTICATE (",
        "Calls NTLM AUTHENTICATE accepted: CONTOSO\\alice (flags=UNICODE|REQUEST_TARGET|SIGN|SEAL|",
        "Tokens Negotiate sent NegTokenResp (29 bytes) negState=accept-completed supportedMech=none responseToken=none mechListMIC=16 bytes",
        "Calls Negotiate complete: NTLM, mechListMIC sent: yes, received: yes (checked)",
    ];
    for (i, e) in expect.iter().enumerate() {
        assert!(lines[i].starts_with(e), "line {i}: {} (want {e})", lines[i]);
    }
    assert!(lines[0].contains("mechTypes=[NTLM (1.3.6.1.4.1.311.2.2.10)]"));
    assert!(lines[5].contains("user=\"alice\"") && lines[5].contains("mic=field"));
    assert!(!lines.iter().any(|l| l.starts_with("Errors")));
}

#[test]
fn a_wrong_password_is_traced_with_its_cause() {
    let (status, lines) = traced_acceptor("wrong", |t| t);
    assert_eq!(status, SEC_E_LOGON_DENIED);
    assert!(
        has(
            &lines,
            "Errors NTLM AUTHENTICATE refused: NTProofStr mismatch (wrong password or wrong user) [CONTOSO\\alice]"
        ),
        "{lines:#?}"
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("Tokens Negotiate sent NegTokenResp (")
                && l.contains("negState=reject")),
        "{lines:#?}"
    );
}

#[test]
fn a_bad_mech_list_mic_is_traced() {
    // The initiator's mechListMIC altered on the way.
    let (status, lines) = traced_acceptor("Passw0rd", |t| {
        let resp = token::decode_resp(&t).unwrap();
        let mut mic = token::bytes(resp.mech_list_mic).unwrap().to_vec();
        mic[6] ^= 1;
        token::encode_resp(None, None, token::bytes(resp.response_token), Some(&mic)).unwrap()
    });
    assert_eq!(status, SEC_E_MESSAGE_ALTERED);
    assert!(
        has(
            &lines,
            "Errors Negotiate mechListMIC check failed: the mechanism list was altered in transit"
        ),
        "{lines:#?}"
    );
}

#[test]
fn no_common_mechanism_is_traced() {
    let env = crate::env::FixedEnv::new(&[], 0);
    let init = token::encode_init(&[ObjectIdentifier::new_unwrap("1.2.3.4")], Some(b"x")).unwrap();
    let bufs = tok(&init);
    let input = StepInput {
        env: &env,
        ..step_input(&bufs)
    };
    assert!(accept(&NEGOTIATE, &server_cred(), &input).is_err());
    assert!(
        has(
            &env.traced(),
            "Errors Negotiate no mechanism in common: the initiator offers [1.2.3.4], this side has [NTLM]"
        ),
        "{:#?}",
        env.traced()
    );
}

/// Kerberos under Negotiate with a KDC for CONTOSO in krb5.conf: the first
/// step suspends on the AS exchange, and the KDC's answer decides between
/// Kerberos, NTLM (the fallback) and failure.
mod kerberos_first {
    use super::*;
    use crate::env::FixedEnv;
    use crate::packages::kerberos::messages::error_code;

    fn env() -> FixedEnv {
        let mut e = FixedEnv::new(&[], 133_000_000_000_000_000);
        e.vars.push(("KRB5_CONFIG".into(), "/k/krb5.conf".into()));
        e.files.push((
            "/k/krb5.conf".into(),
            b"[realms]\n CONTOSO = {\n  kdc = 127.0.0.1:60088\n }\n".to_vec(),
        ));
        e
    }

    fn krb_error(code: i32) -> Vec<u8> {
        crate::packages::kerberos::scripted::krb_error_of("CONTOSO", code)
    }

    /// A Negotiate context whose Kerberos waits for the KDC.
    fn suspended(env: &FixedEnv) -> (NegotiateCredentials, NegotiateContext) {
        let identity = identity("Passw0rd", None);
        let request = AcquireRequest {
            principal: None,
            usage: CredentialUse(SECPKG_CRED_OUTBOUND),
            auth: Some(identity.view()),
            env,
        };
        let (cred, _) = Package::acquire_credentials(&NEGOTIATE, request).unwrap();
        let input = StepInput {
            env,
            ..step_input(&[])
        };
        let (ctx, progress) = Package::initialize(&NEGOTIATE, &cred, &input).unwrap();
        let Progress::Exchange(x) = progress else {
            panic!("Kerberos did not ask the KDC")
        };
        assert_eq!(x.servers[0].port, 60088);
        // Before the first token, the negotiation is in progress.
        let Ok(ContextAttribute::NegotiationInfo { state, .. }) =
            Package::query_context(&NEGOTIATE, &ctx, SECPKG_ATTR_NEGOTIATION_INFO)
        else {
            panic!("no NEGOTIATION_INFO")
        };
        assert_eq!(state, SECPKG_NEGOTIATION_IN_PROGRESS);
        (cred, ctx)
    }

    #[test]
    fn an_unreachable_kdc_falls_back_to_ntlm() {
        let env = env();
        let (cred, mut ctx) = suspended(&env);
        let input = StepInput {
            env: &env,
            ..step_input(&[])
        };
        let progress = Package::resume(
            &NEGOTIATE,
            Some(&cred),
            &mut ctx,
            &input,
            Err(IoError::Unreachable),
        )
        .unwrap();
        let Progress::Done(out) = progress else {
            panic!("another exchange")
        };
        assert_eq!(out.status, SEC_I_CONTINUE_NEEDED);
        let init = token::decode_init(&out.token).unwrap();
        assert_eq!(init.mech_types.0, vec![NTLM_OID]);
        assert!(token::bytes(init.mech_token)
            .unwrap()
            .starts_with(b"NTLMSSP\0\x01"));
    }

    #[test]
    fn a_wrong_password_does_not_fall_back() {
        let env = env();
        let (cred, mut ctx) = suspended(&env);
        let input = StepInput {
            env: &env,
            ..step_input(&[])
        };
        let reply = Ok(krb_error(error_code::KDC_ERR_PREAUTH_FAILED));
        let r = Package::resume(&NEGOTIATE, Some(&cred), &mut ctx, &input, reply);
        assert_eq!(r.unwrap_err(), SEC_E_LOGON_DENIED);
        // The context is done for.
        assert_eq!(
            Package::step(&NEGOTIATE, Some(&cred), &mut ctx, &input).unwrap_err(),
            SEC_E_INVALID_HANDLE
        );
    }

    /// The default credentials of `env` (NULL auth data), outbound.
    fn default_credentials(env: &FixedEnv) -> NegotiateCredentials {
        let request = AcquireRequest {
            principal: None,
            usage: CredentialUse(SECPKG_CRED_OUTBOUND),
            auth: None,
            env,
        };
        Package::acquire_credentials(&NEGOTIATE, request).unwrap().0
    }

    /// The mechanisms a first step offers.
    fn offered(env: &FixedEnv, cred: &NegotiateCredentials) -> Vec<der::asn1::ObjectIdentifier> {
        let input = StepInput {
            env,
            ..step_input(&[])
        };
        let (_, progress) = Package::initialize(&NEGOTIATE, cred, &input).unwrap();
        let Progress::Done(out) = progress else {
            panic!("an exchange")
        };
        token::decode_init(&out.token).unwrap().mech_types.0
    }

    #[test]
    fn no_kerberos_credentials_means_ntlm() {
        // NULL auth data, NTLM's account file, no Kerberos cache or keytab:
        // Kerberos is not acquired.
        let mut env = env();
        env.vars.push(("NTLM_USER_FILE".into(), "/k/users".into()));
        env.files
            .push(("/k/users".into(), b"CONTOSO:alice:Passw0rd\n".to_vec()));
        let cred = default_credentials(&env);
        assert_eq!(offered(&env, &cred), vec![NTLM_OID]);
        // A cache whose tickets have expired, and no password: Kerberos is
        // acquired but cannot start.
        let cache = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/kerberos/ccache-v4"
        ));
        env.vars.push(("KRB5CCNAME".into(), "FILE:/k/cc".into()));
        env.files.push(("/k/cc".into(), cache.to_vec()));
        env.time = 150_000_000_000_000_000; // 2076: long after they expired
        let cred = default_credentials(&env);
        assert_eq!(cred.mechs().len(), 2);
        assert_eq!(offered(&env, &cred), vec![NTLM_OID]);
    }

    #[test]
    fn no_kerberos_for_an_ip_address() {
        let env = env();
        let identity = identity("Passw0rd", None);
        let request = AcquireRequest {
            principal: None,
            usage: CredentialUse(SECPKG_CRED_OUTBOUND),
            auth: Some(identity.view()),
            env: &env,
        };
        let (cred, _) = Package::acquire_credentials(&NEGOTIATE, request).unwrap();
        for target in [
            "HTTP/192.0.2.7",
            "HTTP/192.0.2.7:8080",
            "HTTP/[2001:db8::1]",
            "host@10.0.0.1",
        ] {
            let input = StepInput {
                env: &env,
                target: Some(target),
                ..step_input(&[])
            };
            let (_, progress) = Package::initialize(&NEGOTIATE, &cred, &input).unwrap();
            let Progress::Done(out) = progress else {
                panic!("Kerberos asked the KDC for {target}")
            };
            let init = token::decode_init(&out.token).unwrap();
            assert_eq!(init.mech_types.0, vec![NTLM_OID], "{target}");
        }
    }
}
