//! A Negotiate context: SPNEGO's exchange (RFC 4178 sections 3 to 5,
//! MS-SPNG 3.1.5) around the context of the mechanism it selects.
//!
//! The initiator offers every mechanism its credential allows, with the
//! optimistic first token of the first; the acceptor picks the first
//! offered mechanism it supports and answers `request-mic` when that is not
//! the initiator's first, or not its own first among those offered (an
//! optimistic token for another mechanism is dropped, and the initiator
//! starts the chosen one afresh). The
//! caller's ISC_REQ_/ASC_REQ_ flags reach the mechanism unchanged.
//!
//! The mechListMIC rule, the same on both sides. Once the mechanism's
//! context is complete, both sides exchange mechListMICs over the DER
//! MechTypeList when any of these holds:
//! - the chosen mechanism is not the preferred one of both sides, the
//!   initiator's first and the acceptor's first among those offered (RFC
//!   4178 section 5: the acceptor says so with `request-mic`);
//! - the mechanism's own exchange demands it: NTLM with integrity
//!   negotiated and a MIC in AUTHENTICATE (MS-SPNG; MIT with gss-ntlmssp,
//!   Samba and pyspnego require it);
//! - the peer sent one (RFC 4178 section 5: a MIC received is answered).
//!
//! A mechanism without negotiated integrity makes a placeholder MIC (NTLM's
//! dummy signature), and a peer that sends none then is not refused. A side
//! is complete only once it has checked the peer's MIC when one is due, so
//! the initiator that sends its MIC returns SEC_I_CONTINUE_NEEDED and
//! completes on the acceptor's `accept-completed` with the acceptor's MIC;
//! an initiator that owes no MIC returns SEC_E_OK with its last mechanism
//! token. Recorded on Windows, with no flags asked for: NTLM offered alone
//! completes at the initiator's second call and the acceptor's second
//! (which has nothing to send); NTLM chosen among several, the acceptor
//! preferring another, costs the initiator a third call, on the acceptor's
//! MIC.
//!
//! The acceptor's bare `accept-completed` (no token, no MIC) is optional
//! (`StepOutput::token_optional`): it goes out when the caller gave room for
//! it, as MIT's initiator waits for it, and is dropped otherwise (a NULL
//! pOutput succeeds). A raw mechanism token where a NegTokenInit was
//! expected (Windows' Negotiate takes raw NTLM) makes the context that
//! mechanism's, with no SPNEGO wrapping either way. An initiator takes a raw
//! answer to its NegTokenInit only when it offered that mechanism alone
//! (a server that speaks NTLM only); with several offered, a raw answer
//! would bypass the mechListMIC that protects the choice, and is
//! SEC_E_INVALID_TOKEN.
//!
//! A failed step leaves the context unusable; the acceptor then also
//! returns a `reject` token for the initiator (`Error::Reject`), unless the
//! input was not SPNEGO at all. Until the exchange is complete, per-message
//! calls are SEC_E_INVALID_HANDLE. A wrapped mechanism that asks for network
//! I/O (`Progress::Exchange`) is not supported yet: SEC_E_INTERNAL_ERROR.

use der::asn1::ObjectIdentifier;
use zeroize::Zeroizing;

use super::credentials::NegotiateCredentials;
use super::describe;
use super::mechs::{offer, Mech, KERBEROS};
use super::token::{self, NegState};
use crate::env::{Env, Level};
use crate::package::*;
use crate::vocabulary::*;

/// Where the exchange is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Initiator, first call: the mechanism at index `start` of the
    /// credential's list waits for a network exchange before its first
    /// token (the ones after it are the fallbacks).
    Starting { start: usize },
    /// Initiator: NegTokenInit sent, the acceptor has not chosen yet.
    Proposed,
    /// Acceptor: NegTokenInit2 sent, waiting for the NegTokenInit.
    Hinted,
    /// Tokens are still being exchanged.
    Negotiating,
    /// Authenticated. `last_token_pending`: the initiator finished before
    /// the acceptor's `accept-completed`, which it may still be given.
    Complete { last_token_pending: bool },
    /// A step failed; only DeleteSecurityContext is left.
    Failed,
}

/// The mechListMIC exchange.
#[derive(Clone, Copy, Debug, Default)]
struct MicExchange {
    /// Both sides must send one.
    required: bool,
    /// Acceptor: the chosen mechanism is not the preferred one of both
    /// sides, so the first reply says `request-mic`.
    requested: bool,
    sent: bool,
    received: bool,
}

/// A Negotiate context (what a CtxtHandle holds for this package).
pub struct NegotiateContext {
    role: Role,
    /// False when the peer spoke the mechanism's raw tokens.
    spnego: bool,
    /// Initiator: the mechanisms offered, in order.
    offered: Vec<&'static Mech>,
    /// The DER MechTypeList the initiator sent: what the mechListMIC covers.
    mech_types: Vec<u8>,
    /// Acceptor: the OID naming the chosen mechanism in the initiator's
    /// list (echoed as supportedMech).
    supported: Option<ObjectIdentifier>,
    /// The mechanism in use: the initiator's optimistic choice until the
    /// acceptor's first reply, then the selected one.
    mech: &'static Mech,
    /// The mechanism's context, once it has one.
    inner: Option<AnyContext>,
    inner_complete: bool,
    phase: Phase,
    mic: MicExchange,
    /// ISC_RET_* / ASC_RET_* and expiry from the mechanism's last step.
    ret_flags: u32,
    expiry: i64,
    /// Why the last step failed, in words, for the trace (none when the
    /// mechanism failed and said why itself).
    cause: Option<String>,
}

impl core::fmt::Debug for NegotiateContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NegotiateContext")
            .field("role", &self.role)
            .field("spnego", &self.spnego)
            .field("mech", &self.mech)
            .field("phase", &self.phase)
            .field("mic", &self.mic)
            .finish_non_exhaustive()
    }
}

/// Whether a mechanism that could not start gives way to the next one, as
/// Windows' Negotiate falls back from Kerberos to NTLM before the first
/// token leaves: no credentials, no KDC for the realm or none reachable, a
/// target the KDC does not know. Anything else (a wrong password) fails
/// the call.
fn falls_back(e: &Error) -> bool {
    matches!(
        e.status(),
        SEC_E_NO_CREDENTIALS | SEC_E_NO_AUTHENTICATING_AUTHORITY | SEC_E_TARGET_UNKNOWN
    )
}

/// Whether an SPN's host (`service/host[:port][@REALM]`, or GSS's
/// `service@host`) is an IP address, which Kerberos has no ticket for.
fn host_is_address(target: &str) -> bool {
    let host = target_host(target);
    let bare = host
        .trim_start_matches('[')
        .split(']')
        .next()
        .unwrap_or(host);
    bare.parse::<std::net::IpAddr>().is_ok()
        || host.rsplit_once(':').is_some_and(|(h, port)| {
            port.parse::<u16>().is_ok() && h.parse::<std::net::Ipv4Addr>().is_ok()
        })
}

/// Whether a mechanism's status means its context is complete.
fn is_complete(status: Status) -> bool {
    status == SEC_E_OK || status == SEC_I_COMPLETE_NEEDED
}

/// `data`, or `None` when empty.
fn non_empty(data: &[u8]) -> Option<&[u8]> {
    (!data.is_empty()).then_some(data)
}

/// The caller's input buffers with the SECBUFFER_TOKEN replaced by
/// `token` (channel bindings and the rest pass through).
fn with_token<'b>(outer: &'b StepInput<'_>, token: Option<&'b [u8]>) -> Vec<InBuf<'b>> {
    token
        .map(|data| InBuf {
            kind: SECBUFFER_TOKEN,
            data,
        })
        .into_iter()
        .chain(
            outer
                .inputs
                .iter()
                .filter(|b| b.kind != SECBUFFER_TOKEN)
                .copied(),
        )
        .collect()
}

/// One step of `mech` on `token`: continues `inner`, or creates the
/// mechanism's context (returned) when there is none. The caller's flags
/// reach the mechanism as they are: Windows' Negotiate asks NTLM for no
/// integrity the caller did not ask for.
fn run_mech(
    role: Role,
    mech: &'static Mech,
    inner: Option<&mut AnyContext>,
    cred: Option<&NegotiateCredentials>,
    outer: &StepInput<'_>,
    token: Option<&[u8]>,
) -> SecResult<(Option<AnyContext>, StepOutput)> {
    let buffers = with_token(outer, token);
    let input = StepInput {
        target: outer.target,
        req_flags: outer.req_flags,
        data_rep: outer.data_rep,
        inputs: &buffers,
        env: outer.env,
    };
    let mech_cred = cred.and_then(|c| c.for_mech(mech));
    match inner {
        Some(ctx) => Ok((None, mech.package.step(mech_cred, ctx, &input)?.done()?)),
        None => {
            let cred = mech_cred.ok_or(Error::from(SEC_E_INVALID_HANDLE))?;
            let (ctx, progress) = match role {
                Role::Initiator => mech.package.initialize(cred, &input)?,
                Role::Acceptor => mech.package.accept(cred, &input)?,
            };
            Ok((Some(ctx), progress.done()?))
        }
    }
}

/// The package name on trace lines.
const PACKAGE: &str = "Negotiate";
const NOT_INIT: &str = "the initiator's first token is not a NegTokenInit";
const NOT_RESP: &str = "the token is not a NegTokenResp (malformed DER, or not SPNEGO)";
const PEER_REJECTED: &str =
    "the peer rejected the exchange (negState reject): its mechanism refused our token, or it shares no mechanism with us";
const NO_MECH_TOKEN: &str = "no mechanism token where one was due";
const LATE_MECH_TOKEN: &str = "a mechanism token after the mechanism completed";
const NO_MECHANISMS: &str =
    "no mechanism to negotiate: the credential's PackageList leaves none this side can use";

/// Traces an SPNEGO token received or sent, decoded.
fn trace_token(env: &dyn Env, direction: &str, token: &[u8]) {
    if env.tracing(Level::Tokens, PACKAGE) {
        env.trace(
            Level::Tokens,
            PACKAGE,
            format_args!("{direction} {}", describe::token(token)),
        );
    }
}

/// Traces why a step failed.
fn trace_cause(env: &dyn Env, why: &str) {
    if env.tracing(Level::Errors, PACKAGE) {
        env.trace(Level::Errors, PACKAGE, format_args!("{why}"));
    }
}

impl NegotiateContext {
    fn new(role: Role, mech: &'static Mech) -> Self {
        NegotiateContext {
            role,
            spnego: true,
            offered: Vec::new(),
            mech_types: Vec::new(),
            supported: None,
            mech,
            inner: None,
            inner_complete: false,
            phase: Phase::Negotiating,
            mic: MicExchange::default(),
            ret_flags: 0,
            expiry: NEVER_EXPIRES,
            cause: None,
        }
    }

    /// The first InitializeSecurityContext call: NegTokenInit with the
    /// optimistic token of the first mechanism that can start. A mechanism
    /// that cannot get a first token (no credentials, no KDC, a target its
    /// KDC does not know: Windows' fallback rules, `falls_back`) is left out
    /// of the offer, and the next one starts; so is Kerberos for a target
    /// whose host is an IP address. A mechanism's first step may ask for
    /// network exchanges (Kerberos' KDC): the context suspends
    /// (`Progress::Exchange`) and `resume` goes on. An input token (an
    /// acceptor's NegTokenInit2 hint) is ignored.
    pub fn initialize(
        cred: &NegotiateCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(Self, Progress)> {
        let Some(first) = cred.first() else {
            trace_cause(input.env, NO_MECHANISMS);
            return Err(SEC_E_NO_CREDENTIALS.into());
        };
        let mut ctx = Self::new(Role::Initiator, first.mech);
        let progress = ctx.offer_from(cred, input, 0, None)?;
        Ok((ctx, progress))
    }

    /// Starts the credential's mechanisms from index `start` on, the first
    /// that can; `failed` is the error of an earlier one.
    fn offer_from(
        &mut self,
        cred: &NegotiateCredentials,
        input: &StepInput<'_>,
        start: usize,
        mut failed: Option<Error>,
    ) -> SecResult<Progress> {
        let all: Vec<&'static Mech> = cred.mechs().iter().map(|m| m.mech).collect();
        for start in start..all.len() {
            let mech = all[start];
            if core::ptr::eq(mech, &KERBEROS) && input.target.is_some_and(host_is_address) {
                trace_cause(
                    input.env,
                    "Kerberos left out: the target's host is an IP address",
                );
                continue;
            }
            let buffers = with_token(input, None);
            let mech_input = StepInput {
                inputs: &buffers,
                ..*input
            };
            let mech_cred = cred.for_mech(mech).ok_or(SEC_E_INTERNAL_ERROR)?;
            match mech.package.initialize(mech_cred, &mech_input) {
                Ok((inner, Progress::Exchange(x))) => {
                    self.mech = mech;
                    self.inner = Some(inner);
                    self.phase = Phase::Starting { start };
                    return Ok(Progress::Exchange(x));
                }
                Ok((inner, Progress::Done(out))) => {
                    return self.propose(&all[start..], inner, out, input.env);
                }
                Err(e) if falls_back(&e) && start + 1 < all.len() => {
                    self.fall_back(input.env, mech, &e);
                    failed.get_or_insert(e);
                }
                Err(e) => return Err(self.fail(failed.unwrap_or(e))),
            }
        }
        trace_cause(input.env, NO_MECHANISMS);
        Err(self.fail(failed.unwrap_or(SEC_E_NO_CREDENTIALS.into())))
    }

    /// The initiator's first call goes on with the reply to the exchange
    /// its mechanism asked for.
    pub fn resume(
        &mut self,
        cred: Option<&NegotiateCredentials>,
        input: &StepInput<'_>,
        reply: Reply,
    ) -> SecResult<Progress> {
        let (Phase::Starting { start }, Some(cred)) = (self.phase, cred) else {
            return Err(self.fail(SEC_E_INTERNAL_ERROR));
        };
        let mech = self.mech;
        let buffers = with_token(input, None);
        let mech_input = StepInput {
            inputs: &buffers,
            ..*input
        };
        let Some(mut inner) = self.inner.take() else {
            return Err(self.fail(SEC_E_INTERNAL_ERROR));
        };
        match mech
            .package
            .resume(cred.for_mech(mech), &mut inner, &mech_input, reply)
        {
            Ok(Progress::Exchange(x)) => {
                self.inner = Some(inner);
                Ok(Progress::Exchange(x))
            }
            Ok(Progress::Done(out)) => {
                let all: Vec<&'static Mech> = cred.mechs().iter().map(|m| m.mech).collect();
                self.propose(&all[start..], inner, out, input.env)
            }
            Err(e) if falls_back(&e) && start + 1 < cred.mechs().len() => {
                self.fall_back(input.env, mech, &e);
                self.offer_from(cred, input, start + 1, Some(e))
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Traces why `mech` is left out of the offer.
    fn fall_back(&self, env: &dyn Env, mech: &Mech, e: &Error) {
        if env.tracing(Level::Errors, PACKAGE) {
            env.trace(
                Level::Errors,
                PACKAGE,
                format_args!(
                    "{} left out: it cannot start ({:#010x}); the next mechanism is offered",
                    mech.name(),
                    e.status() as u32
                ),
            );
        }
    }

    /// The NegTokenInit offering `offered`, with the first one's optimistic
    /// token `out` from its context `inner`.
    fn propose(
        &mut self,
        offered: &[&'static Mech],
        inner: AnyContext,
        out: StepOutput,
        env: &dyn Env,
    ) -> SecResult<Progress> {
        let oids = offer(offered);
        let mech_types =
            token::encode_mech_types(&oids).map_err(|_| self.fail(SEC_E_INTERNAL_ERROR))?;
        let token = token::encode_init(&oids, non_empty(&out.token))
            .map_err(|_| self.fail(SEC_E_INTERNAL_ERROR))?;
        self.mech = offered[0];
        self.offered = offered.to_vec();
        self.mech_types = mech_types;
        self.inner = Some(inner);
        self.inner_complete = is_complete(out.status);
        self.phase = Phase::Proposed;
        self.ret_flags = out.ret_flags;
        self.expiry = out.expiry;
        let out = self.output(SEC_I_CONTINUE_NEEDED, token);
        trace_token(env, "sent", &out.token);
        Ok(Progress::Done(out))
    }

    /// The first AcceptSecurityContext call: the initiator's NegTokenInit
    /// (or a raw mechanism token). Without an input token, the answer is
    /// MS-SPNG's NegTokenInit2 listing this side's mechanisms (what an SMB
    /// server sends first), and the next call takes the NegTokenInit.
    /// SEC_E_NO_CREDENTIALS when the credential's PackageList left no
    /// mechanism.
    pub fn accept(
        cred: &NegotiateCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(Self, StepOutput)> {
        let token = input.token().filter(|t| !t.is_empty());
        if let Some(t) = token {
            trace_token(input.env, "received", t);
        }
        let Some(first) = cred.first() else {
            trace_cause(input.env, NO_MECHANISMS);
            return Err(SEC_E_NO_CREDENTIALS.into());
        };
        let mut ctx = Self::new(Role::Acceptor, first.mech);
        let r = match token {
            Some(token) => ctx.begin_acceptor(cred, input, token),
            None => {
                let mechs: Vec<&Mech> = cred.mechs().iter().map(|m| m.mech).collect();
                let oids = offer(&mechs);
                match token::encode_init2(&oids) {
                    Ok(token) => {
                        ctx.phase = Phase::Hinted;
                        Ok(ctx.output(SEC_I_CONTINUE_NEEDED, token))
                    }
                    Err(_) => Err(SEC_E_INTERNAL_ERROR.into()),
                }
            }
        };
        ctx.trace_outcome(input.env, &r);
        r.map(|out| (ctx, out))
    }

    /// The acceptor's handling of the initiator's first token.
    fn begin_acceptor(
        &mut self,
        cred: &NegotiateCredentials,
        input: &StepInput<'_>,
        token: &[u8],
    ) -> SecResult<StepOutput> {
        // A mechanism's own token, without SPNEGO: that mechanism, raw.
        if let Some(raw) = cred.mechs().iter().find(|m| m.mech.claims_raw(token)) {
            let (inner, progress) = raw.mech.package.accept(&raw.cred, input)?;
            let out = progress.done()?;
            self.mech = raw.mech;
            self.spnego = false;
            self.inner = Some(inner);
            return Ok(self.after_raw(out));
        }
        let Ok(init) = token::decode_init(token) else {
            self.cause = Some(format!("{NOT_INIT} (malformed DER, or not SPNEGO)"));
            return Err(SEC_E_INVALID_TOKEN.into());
        };
        let mech_types =
            token::encode_mech_types(&init.mech_types.0).map_err(|_| SEC_E_INVALID_TOKEN)?;
        // The first offered mechanism this side supports.
        let choice = init.mech_types.0.iter().enumerate().find_map(|(i, oid)| {
            cred.mechs()
                .iter()
                .find(|m| m.mech.is_named(oid))
                .map(|m| (i, *oid, m.mech))
        });
        let Some((index, oid, mech)) = choice else {
            let offered: Vec<String> = init.mech_types.0.iter().map(describe::mech).collect();
            let ours: Vec<&str> = cred.mechs().iter().map(|m| m.mech.name()).collect();
            return Err(self.reject_because(
                SEC_E_INVALID_TOKEN,
                format!(
                    "no mechanism in common: the initiator offers [{}], this side has [{}]",
                    offered.join(", "),
                    ours.join(", ")
                ),
            ));
        };
        self.mech_types = mech_types;
        self.mech = mech;
        self.supported = Some(oid);
        self.phase = Phase::Negotiating;
        // Not the preferred mechanism of both sides (RFC 4178 section 5):
        // the initiator's first, and this side's first among those offered.
        // The choice must then be protected.
        let ours_first = cred
            .mechs()
            .iter()
            .find(|m| init.mech_types.0.iter().any(|oid| m.mech.is_named(oid)))
            .is_some_and(|m| core::ptr::eq(m.mech, mech));
        if index != 0 || !ours_first {
            self.mic.required = true;
            self.mic.requested = true;
        }
        let optimistic = if index == 0 {
            token::bytes(init.mech_token)
        } else {
            None
        };
        let peer_mic = token::bytes(init.mech_list_mic);
        self.acceptor_round(Some(cred), input, optimistic, peer_mic, true)
    }

    /// A later Initialize/AcceptSecurityContext call.
    pub fn step(
        &mut self,
        cred: Option<&NegotiateCredentials>,
        input: &StepInput<'_>,
    ) -> SecResult<StepOutput> {
        if let Some(t) = input.token().filter(|t| !t.is_empty()) {
            trace_token(input.env, "received", t);
        }
        let r = self.step_inner(cred, input);
        self.trace_outcome(input.env, &r);
        r
    }

    /// Traces a step's outcome: the token sent (a `reject` included), the
    /// cause of a failure, and the negotiation's result once complete.
    fn trace_outcome(&mut self, env: &dyn Env, r: &SecResult<StepOutput>) {
        let cause = self.cause.take();
        match r {
            Ok(out) => {
                if !out.token.is_empty() {
                    trace_token(env, "sent", &out.token);
                }
                if out.status == SEC_E_OK && env.tracing(Level::Calls, PACKAGE) {
                    env.trace(
                        Level::Calls,
                        PACKAGE,
                        format_args!(
                            "complete: {}{}, mechListMIC sent: {}, received: {}",
                            self.mech.name(),
                            if self.spnego { "" } else { " (raw, no SPNEGO)" },
                            if self.mic.sent { "yes" } else { "no" },
                            if self.mic.received {
                                "yes (checked)"
                            } else {
                                "no"
                            }
                        ),
                    );
                }
            }
            Err(e) => {
                if let Some(why) = cause {
                    trace_cause(env, &why);
                }
                if let Error::Reject { token, .. } = e {
                    trace_token(env, "sent", token);
                }
            }
        }
    }

    fn step_inner(
        &mut self,
        cred: Option<&NegotiateCredentials>,
        input: &StepInput<'_>,
    ) -> SecResult<StepOutput> {
        if matches!(self.phase, Phase::Failed | Phase::Starting { .. }) {
            self.cause = Some("the context failed in an earlier step: delete it".into());
            return Err(SEC_E_INVALID_HANDLE.into());
        }
        if self.phase
            == (Phase::Complete {
                last_token_pending: false,
            })
        {
            self.cause = Some("a handshake token after the exchange completed".into());
            return Err(SEC_E_OUT_OF_SEQUENCE.into());
        }
        let Some(token) = input.token().filter(|t| !t.is_empty()) else {
            self.cause =
                Some("no input token (a SECBUFFER_TOKEN buffer with the peer's reply)".into());
            return Err(SEC_E_INVALID_TOKEN.into());
        };
        if !self.spnego {
            return self.raw_step(cred, input);
        }
        if self.phase == Phase::Hinted {
            let cred = cred.ok_or(SEC_E_INVALID_HANDLE)?;
            return self.begin_acceptor(cred, input, token);
        }
        match self.role {
            Role::Initiator
                if self.phase == Phase::Proposed
                    && self.offered.len() == 1
                    && self.mech.claims_raw(token) =>
            {
                // The acceptor answered with the mechanism's raw token. Taken
                // only when that mechanism was the one offered: among several,
                // it would skip the negotiation SPNEGO protects (a downgrade).
                self.spnego = false;
                self.raw_step(cred, input)
            }
            Role::Initiator => match self.phase {
                Phase::Complete { .. } => self.initiator_last(token),
                _ => self.initiator_round(cred, input, token),
            },
            Role::Acceptor => {
                let resp = match token::decode_resp(token) {
                    Ok(r) => r,
                    Err(_) => return Err(self.fail_because(SEC_E_INVALID_TOKEN, NOT_RESP)),
                };
                if resp.neg_state == Some(NegState::Reject) {
                    return Err(self.fail_because(SEC_E_LOGON_DENIED, PEER_REJECTED));
                }
                let mech_token = token::bytes(resp.response_token);
                let peer_mic = token::bytes(resp.mech_list_mic);
                self.acceptor_round(cred, input, mech_token, peer_mic, false)
            }
        }
    }

    /// Marks the context failed and returns `e`.
    fn fail(&mut self, e: impl Into<Error>) -> Error {
        self.phase = Phase::Failed;
        e.into()
    }

    /// `fail`, saying why for the trace.
    fn fail_because(&mut self, e: impl Into<Error>, why: impl Into<String>) -> Error {
        self.cause = Some(why.into());
        self.fail(e)
    }

    /// `reject`, saying why for the trace.
    fn reject_because(&mut self, e: impl Into<Error>, why: impl Into<String>) -> Error {
        self.cause = Some(why.into());
        self.reject(e)
    }

    /// Fails the context with `e`, giving the initiator a `reject`.
    fn reject(&mut self, e: impl Into<Error>) -> Error {
        self.phase = Phase::Failed;
        Error::Reject {
            status: e.into().status(),
            token: token::encode_resp(Some(NegState::Reject), None, None, None).unwrap_or_default(),
        }
    }

    fn output(&self, status: Status, token: Vec<u8>) -> StepOutput {
        StepOutput {
            status,
            token,
            ret_flags: self.ret_flags,
            expiry: self.expiry,
            ..StepOutput::default()
        }
    }

    /// The mechanism's own step on the caller's buffers, for raw tokens.
    fn raw_step(
        &mut self,
        cred: Option<&NegotiateCredentials>,
        input: &StepInput<'_>,
    ) -> SecResult<StepOutput> {
        let mech_cred = cred.and_then(|c| c.for_mech(self.mech));
        let Some(inner) = self.inner.as_mut() else {
            return Err(self.fail(SEC_E_INTERNAL_ERROR));
        };
        match self
            .mech
            .package
            .step(mech_cred, inner, input)
            .and_then(Progress::done)
        {
            Ok(out) => Ok(self.after_raw(out)),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Records a raw mechanism step's outcome.
    fn after_raw(&mut self, out: StepOutput) -> StepOutput {
        self.ret_flags = out.ret_flags;
        self.expiry = out.expiry;
        self.inner_complete = is_complete(out.status);
        self.phase = if self.inner_complete {
            Phase::Complete {
                last_token_pending: false,
            }
        } else {
            Phase::Negotiating
        };
        out
    }

    /// The initiator's handling of a NegTokenResp before completion.
    fn initiator_round(
        &mut self,
        cred: Option<&NegotiateCredentials>,
        input: &StepInput<'_>,
        token: &[u8],
    ) -> SecResult<StepOutput> {
        let Ok(resp) = token::decode_resp(token) else {
            return Err(self.fail_because(SEC_E_INVALID_TOKEN, NOT_RESP));
        };
        if resp.neg_state == Some(NegState::Reject) {
            return Err(self.fail_because(SEC_E_LOGON_DENIED, PEER_REJECTED));
        }
        // Decide before changing anything: a mechanism that finds no room
        // for its token must leave the context as it was.
        let mut mech = self.mech;
        let mut mic = self.mic;
        let mut restart = false;
        if let Some(oid) = &resp.supported_mech {
            match self.offered.iter().copied().find(|m| m.is_named(oid)) {
                Some(chosen) if self.phase == Phase::Proposed => {
                    if !core::ptr::eq(chosen, mech) {
                        mech = chosen;
                        restart = true;
                        mic.required = true;
                    }
                }
                Some(chosen) if core::ptr::eq(chosen, mech) => {}
                _ => {
                    let why = format!(
                        "the acceptor chose {}, which this side did not offer (or changed its choice)",
                        describe::mech(oid)
                    );
                    return Err(self.fail_because(SEC_E_INVALID_TOKEN, why));
                }
            }
        }
        // request-mic counts in the acceptor's first reply only (RFC 4178
        // section 4.2.2).
        if resp.neg_state == Some(NegState::RequestMic) && self.phase == Phase::Proposed {
            mic.required = true;
        }
        let response = token::bytes(resp.response_token);
        // Some old acceptors repeat the response token as the mechListMIC.
        let peer_mic = token::bytes(resp.mech_list_mic).filter(|m| Some(*m) != response);

        let mut inner_complete = self.inner_complete && !restart;
        let mut mech_token = Vec::new();
        let mut created = None;
        if !inner_complete {
            let current = if restart { None } else { self.inner.as_mut() };
            if current.is_some() && response.is_none() {
                return Err(self.fail_because(SEC_E_INVALID_TOKEN, NO_MECH_TOKEN));
            }
            let mech_input = if current.is_some() { response } else { None };
            match run_mech(Role::Initiator, mech, current, cred, input, mech_input) {
                Ok((new_inner, out)) => {
                    created = new_inner;
                    inner_complete = is_complete(out.status);
                    self.ret_flags = out.ret_flags;
                    self.expiry = out.expiry;
                    mech_token = out.token;
                }
                Err(e) => return Err(self.fail(e)),
            }
        } else if response.is_some() {
            return Err(self.fail_because(SEC_E_INVALID_TOKEN, LATE_MECH_TOKEN));
        }
        // Commit.
        if let Some(c) = created {
            self.inner = Some(c);
        }
        self.mech = mech;
        self.inner_complete = inner_complete;
        self.phase = Phase::Negotiating;
        self.mic = mic;

        let our_mic = match self.exchange_mics(peer_mic) {
            Ok(m) => m,
            Err(e) => return Err(self.fail(e)),
        };
        let acceptor_done = resp.neg_state == Some(NegState::AcceptCompleted);
        let mut complete = self.inner_complete && (!self.mic.required || self.mic.received);
        if acceptor_done && !complete {
            // accept-completed without the MIC this side waits for: only a
            // mechanism without integrity may leave it out.
            if self.inner_complete && self.mic_policy() == MicPolicy::Placeholder {
                complete = true;
            } else {
                return Err(self.fail_because(
                    SEC_E_INVALID_TOKEN,
                    "accept-completed without the mechListMIC this side requires",
                ));
            }
        }
        let out_token = if mech_token.is_empty() && our_mic.is_none() {
            Vec::new()
        } else {
            match token::encode_resp(None, None, non_empty(&mech_token), our_mic.as_deref()) {
                Ok(t) => t,
                Err(_) => return Err(self.fail(SEC_E_INTERNAL_ERROR)),
            }
        };
        let status = if complete {
            self.phase = Phase::Complete {
                last_token_pending: !acceptor_done,
            };
            SEC_E_OK
        } else if out_token.is_empty() {
            // The acceptor waits for something this side does not have.
            return Err(self.fail_because(
                SEC_E_INVALID_TOKEN,
                "the acceptor waits for a token this side has no reason to send",
            ));
        } else {
            SEC_I_CONTINUE_NEEDED
        };
        Ok(self.output(status, out_token))
    }

    /// The initiator, complete, given the acceptor's last token anyway:
    /// `accept-completed`, with the acceptor's MIC (checked) or without; or
    /// `accept-incomplete` with a MIC from an acceptor that holds this
    /// side to a MIC it did not owe, which is then the answer.
    fn initiator_last(&mut self, token: &[u8]) -> SecResult<StepOutput> {
        let Ok(resp) = token::decode_resp(token) else {
            return Err(self.fail_because(SEC_E_INVALID_TOKEN, NOT_RESP));
        };
        let peer_mic = token::bytes(resp.mech_list_mic);
        match resp.neg_state {
            None | Some(NegState::AcceptCompleted) => {}
            Some(NegState::AcceptIncomplete) if peer_mic.is_some() => {}
            Some(NegState::Reject) => {
                return Err(self.fail_because(SEC_E_LOGON_DENIED, PEER_REJECTED))
            }
            Some(_) => {
                return Err(self.fail_because(
                    SEC_E_INVALID_TOKEN,
                    "the acceptor's last token has a negState that does not end the exchange",
                ))
            }
        }
        if resp.response_token.is_some() {
            return Err(self.fail_because(SEC_E_INVALID_TOKEN, LATE_MECH_TOKEN));
        }
        let our_mic = match self.exchange_mics(peer_mic) {
            Ok(m) => m,
            Err(e) => return Err(self.fail(e)),
        };
        let token = match our_mic {
            Some(mic) => match token::encode_resp(None, None, None, Some(&mic)) {
                Ok(t) => t,
                Err(_) => return Err(self.fail(SEC_E_INTERNAL_ERROR)),
            },
            None => Vec::new(),
        };
        self.phase = Phase::Complete {
            last_token_pending: false,
        };
        Ok(self.output(SEC_E_OK, token))
    }

    /// The acceptor's handling of the initiator's mechanism token and
    /// mechListMIC, and its answer.
    fn acceptor_round(
        &mut self,
        cred: Option<&NegotiateCredentials>,
        input: &StepInput<'_>,
        mech_token: Option<&[u8]>,
        peer_mic: Option<&[u8]>,
        first_reply: bool,
    ) -> SecResult<StepOutput> {
        let supported = if first_reply { self.supported } else { None };
        let mut answer = Vec::new();
        if !self.inner_complete {
            match mech_token {
                Some(t) => {
                    let mech = self.mech;
                    match run_mech(
                        Role::Acceptor,
                        mech,
                        self.inner.as_mut(),
                        cred,
                        input,
                        Some(t),
                    ) {
                        Ok((created, out)) => {
                            if let Some(c) = created {
                                self.inner = Some(c);
                            }
                            self.inner_complete = is_complete(out.status);
                            self.ret_flags = out.ret_flags;
                            self.expiry = out.expiry;
                            answer = out.token;
                        }
                        Err(e) => return Err(self.reject(e)),
                    }
                }
                // The initiator starts the chosen mechanism next.
                None if first_reply => {}
                None => return Err(self.reject_because(SEC_E_INVALID_TOKEN, NO_MECH_TOKEN)),
            }
        } else if mech_token.is_some() {
            return Err(self.reject_because(SEC_E_INVALID_TOKEN, LATE_MECH_TOKEN));
        }
        let our_mic = match self.exchange_mics(peer_mic) {
            Ok(m) => m,
            Err(e) => return Err(self.reject(e)),
        };
        let mic = self.mic;
        // Without integrity the initiator's (placeholder) MIC is not waited
        // for.
        let done = self.inner_complete
            && (!mic.required || mic.received || self.mic_policy() == MicPolicy::Placeholder);
        let state = if done {
            NegState::AcceptCompleted
        } else if first_reply && mic.requested {
            NegState::RequestMic
        } else {
            NegState::AcceptIncomplete
        };
        let token = match token::encode_resp(
            Some(state),
            supported,
            non_empty(&answer),
            our_mic.as_deref(),
        ) {
            Ok(t) => t,
            Err(_) => return Err(self.reject(SEC_E_INTERNAL_ERROR)),
        };
        // A bare accept-completed tells an initiator that is already
        // complete nothing new: it is dropped when there is no room for it.
        let optional = done && answer.is_empty() && our_mic.is_none() && supported.is_none();
        let status = if done {
            self.phase = Phase::Complete {
                last_token_pending: false,
            };
            SEC_E_OK
        } else {
            self.phase = Phase::Negotiating;
            SEC_I_CONTINUE_NEEDED
        };
        let mut out = self.output(status, token);
        out.token_optional = optional;
        Ok(out)
    }

    /// What the complete mechanism context brings to the mechListMIC
    /// (`MicPolicy::None` before completion).
    fn mic_policy(&self) -> MicPolicy {
        match &self.inner {
            Some(inner) if self.inner_complete => self.mech.package.mech_list_mic_policy(inner),
            _ => MicPolicy::None,
        }
    }

    /// Once the mechanism is complete: decides whether MICs are due (the
    /// module's rule), checks the peer's, and makes this side's when one
    /// is due and not yet sent. A peer mechListMIC before completion, or
    /// from a mechanism that makes none, is refused.
    fn exchange_mics(&mut self, peer_mic: Option<&[u8]>) -> SecResult<Option<Vec<u8>>> {
        if !self.inner_complete {
            return match peer_mic {
                Some(_) => {
                    self.cause = Some("a mechListMIC before the mechanism completed".into());
                    Err(SEC_E_INVALID_TOKEN.into())
                }
                None => Ok(None),
            };
        }
        match self.mic_policy() {
            MicPolicy::None => {
                // RFC 4178 section 5: no MIC from a mechanism without one.
                self.mic.required = false;
                return match peer_mic {
                    Some(_) => {
                        self.cause = Some("a mechListMIC from a mechanism that makes none".into());
                        Err(SEC_E_INVALID_TOKEN.into())
                    }
                    None => Ok(None),
                };
            }
            MicPolicy::Required => self.mic.required = true,
            MicPolicy::Placeholder | MicPolicy::Optional => {}
        }
        if let Some(peer_mic) = peer_mic {
            self.verify_peer_mic(peer_mic)?;
        }
        if !self.mic.required || self.mic.sent {
            return Ok(None);
        }
        let inner = self.inner.as_mut().ok_or(SEC_E_INTERNAL_ERROR)?;
        let ours = self.mech.package.mech_list_mic(inner, &self.mech_types)?;
        self.mic.sent = true;
        Ok(Some(ours))
    }

    /// Checks the peer's mechListMIC (once); a MIC received calls for one
    /// in return.
    fn verify_peer_mic(&mut self, peer_mic: &[u8]) -> SecResult<()> {
        if self.mic.received {
            self.cause = Some("a second mechListMIC".into());
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        let inner = self.inner.as_mut().ok_or(SEC_E_INTERNAL_ERROR)?;
        if let Err(e) = self
            .mech
            .package
            .verify_mech_list_mic(inner, &self.mech_types, peer_mic)
        {
            self.cause = Some(
                "mechListMIC check failed: the mechanism list was altered in transit (a downgrade), or the two sides' keys differ"
                    .into(),
            );
            return Err(e);
        }
        self.mic.received = true;
        self.mic.required = true;
        Ok(())
    }

    /// The mechanism in use and its context, for calls that need the
    /// exchange complete (SEC_E_INVALID_HANDLE before).
    pub fn established(&mut self) -> SecResult<(&'static Mech, &mut AnyContext)> {
        match (self.phase, self.inner.as_mut()) {
            (Phase::Complete { .. }, Some(inner)) => Ok((self.mech, inner)),
            _ => Err(SEC_E_INVALID_HANDLE.into()),
        }
    }

    /// The mechanism in use and its context, mutably, if it has one yet.
    pub fn inner_mut(&mut self) -> Option<(&'static Mech, &mut AnyContext)> {
        self.inner.as_mut().map(|i| (self.mech, i))
    }

    /// QueryContextAttributes: NEGOTIATION_INFO, PACKAGE_INFO and FLAGS
    /// describe the negotiation; every other attribute is the mechanism's.
    pub fn query(&self, attribute: u32) -> SecResult<ContextAttribute> {
        let package = self.mech.package.info();
        match attribute {
            SECPKG_ATTR_NEGOTIATION_INFO => Ok(ContextAttribute::NegotiationInfo {
                package,
                state: match self.phase {
                    Phase::Complete { .. } => SECPKG_NEGOTIATION_COMPLETE,
                    Phase::Proposed => SECPKG_NEGOTIATION_OPTIMISTIC,
                    Phase::Starting { .. } | Phase::Hinted | Phase::Negotiating | Phase::Failed => {
                        SECPKG_NEGOTIATION_IN_PROGRESS
                    }
                },
            }),
            SECPKG_ATTR_PACKAGE_INFO => Ok(ContextAttribute::PackageInfo(package)),
            SECPKG_ATTR_FLAGS => Ok(ContextAttribute::Flags(self.ret_flags)),
            _ => match &self.inner {
                Some(inner) => self.mech.package.query_context(inner, attribute),
                None => Err(SEC_E_INVALID_HANDLE.into()),
            },
        }
    }

    /// ExportSecurityContext: a complete context as versioned bytes (the
    /// mechanism's name and its own export).
    pub fn export(&self) -> SecResult<Zeroizing<Vec<u8>>> {
        let (Phase::Complete { .. }, Some(inner)) = (self.phase, &self.inner) else {
            return Err(SEC_E_INVALID_HANDLE.into());
        };
        let inner = self.mech.package.export(inner)?;
        let name = self.mech.name().as_bytes();
        let name_len = u8::try_from(name.len()).map_err(|_| SEC_E_INTERNAL_ERROR)?;
        let mut out = Zeroizing::new(Vec::with_capacity(15 + name.len() + inner.len()));
        out.push(EXPORT_VERSION);
        out.push(u8::from(self.role == Role::Acceptor));
        out.extend_from_slice(&self.ret_flags.to_le_bytes());
        out.extend_from_slice(&self.expiry.to_le_bytes());
        out.push(name_len);
        out.extend_from_slice(name);
        out.extend_from_slice(&inner);
        Ok(out)
    }

    /// ImportSecurityContext: a context from `export`'s bytes, whose
    /// mechanism must be one of `mechs`. SEC_E_INVALID_TOKEN otherwise.
    pub fn import(mechs: &[&'static Mech], data: &[u8]) -> SecResult<Self> {
        let bad = SEC_E_INVALID_TOKEN;
        let (&version, rest) = data.split_first().ok_or(bad)?;
        let (&role, rest) = rest.split_first().ok_or(bad)?;
        let (flags, rest) = rest.split_first_chunk::<4>().ok_or(bad)?;
        let (expiry, rest) = rest.split_first_chunk::<8>().ok_or(bad)?;
        let (&name_len, rest) = rest.split_first().ok_or(bad)?;
        if version != EXPORT_VERSION || usize::from(name_len) > rest.len() {
            return Err(bad.into());
        }
        let (name, inner) = rest.split_at(usize::from(name_len));
        let mech = mechs
            .iter()
            .copied()
            .find(|m| m.name().as_bytes() == name)
            .ok_or(bad)?;
        let role = match role {
            0 => Role::Initiator,
            1 => Role::Acceptor,
            _ => return Err(bad.into()),
        };
        let mut ctx = Self::new(role, mech);
        ctx.inner = Some(mech.package.import(inner).map_err(|_| bad)?);
        ctx.inner_complete = true;
        ctx.phase = Phase::Complete {
            last_token_pending: false,
        };
        ctx.ret_flags = u32::from_le_bytes(*flags);
        ctx.expiry = i64::from_le_bytes(*expiry);
        Ok(ctx)
    }
}

/// Version of `export`'s format.
const EXPORT_VERSION: u8 = 1;
