//! A Kerberos security context as the SSPI sees it.
//!
//! Initiator: the first InitializeSecurityContext call finds a service
//! ticket in the credential, or gets one (AS exchange with PA-ENC-TIMESTAMP
//! when the credential has no TGT, then TGS exchange) through the driver,
//! and returns the AP-REQ: SEC_E_OK at once, or SEC_I_CONTINUE_NEEDED with
//! ISC_REQ_MUTUAL_AUTH, the second call then checking the AP-REP.
//! Acceptor: one AcceptSecurityContext call checks the AP-REQ with the
//! keytab and returns SEC_E_OK, with the AP-REP when mutual authentication
//! was asked. A failed step leaves the context unusable.

use zeroize::Zeroizing;

use super::ap::{self, gss_flags, Accepted, ApError, SentApReq};
use super::credentials::{Client, KerberosCredentials, Secret};
use super::crypto::{Enctype, Key};
use super::files::{CachedTicket, Principal, Reader};
use super::kdc::{self, filetime, Answer, KdcError, Now};
use super::messages::{
    error_code, kdc_proxy_reply, kdc_proxy_request, name_type, KerberosString, PaData,
    PrincipalName,
};
use super::session::{SequenceWindow, Session};
use crate::crypto::bindings::channel_bindings_hash;
use crate::env::{Env, Level};
use crate::package::{
    Endpoint, Error, Exchange, Progress, Reply, SecResult, StepInput, StepOutput, Transport,
};
use crate::vocabulary::*;

/// The package name on trace lines.
pub const PACKAGE: &str = "Kerberos";

/// A failure with its cause on the trace.
fn fail(env: &dyn Env, status: i32, cause: &str) -> Error {
    if env.tracing(Level::Errors, PACKAGE) {
        env.trace(Level::Errors, PACKAGE, format_args!("{cause}"));
    }
    status.into()
}

/// The time by the KDC's clock, as far as the credential knows it.
fn now(env: &dyn Env, offset: i64) -> Now {
    let mut n = Now::from_filetime(env.now_filetime());
    n.secs = n.secs.saturating_add_signed(offset);
    n
}

fn random_u32(env: &dyn Env) -> SecResult<u32> {
    let mut b = [0u8; 4];
    env.random(&mut b)
        .map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))?;
    Ok(u32::from_be_bytes(b) & 0x7fff_ffff)
}

fn random_bytes(env: &dyn Env, n: usize) -> SecResult<Vec<u8>> {
    let mut b = vec![0u8; n];
    env.random(&mut b)
        .map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))?;
    Ok(b)
}

/// What an established context holds.
#[derive(Debug)]
pub struct Established {
    pub session: Session,
    pub client: Principal,
    pub server: Principal,
    /// FILETIMEs of the ticket's start and end.
    pub start: i64,
    pub end: i64,
    pub ret_flags: u32,
}

/// The exchange with a KDC in progress.
#[derive(Debug)]
struct KdcWait {
    target: Principal,
    step: KdcStep,
    /// The request, to re-send over TCP after KRB_ERR_RESPONSE_TOO_BIG, or
    /// through the KDC proxy when no KDC answered.
    message: Vec<u8>,
    tcp_only: bool,
    /// This request went through the KDC proxy: its reply is a
    /// KDC-PROXY-MESSAGE.
    via_proxy: bool,
}

#[derive(Debug)]
enum KdcStep {
    /// AS-REQ sent; `key` is the key of its PA-ENC-TIMESTAMP (none at first).
    As { nonce: u32, key: Option<Key> },
    /// TGS-REQ sent with this TGT.
    Tgs { nonce: u32, tgt: Box<CachedTicket> },
}

#[derive(Debug)]
enum Phase {
    Kdc(Box<KdcWait>),
    /// AP-REQ sent with mutual authentication: waiting for the AP-REP.
    ApRep {
        ticket: Box<CachedTicket>,
        sent: SentApReq,
    },
    Done(Box<Established>),
    Failed,
}

/// A Kerberos context (what a CtxtHandle holds for this package).
#[derive(Debug)]
pub struct KerberosContext {
    req_flags: u32,
    /// The channel-binding hash of the first call (zeros without bindings).
    bindings: [u8; 16],
    phase: Phase,
    /// This context's KDC exchanges go through the credential's KDC proxy.
    via_proxy: bool,
}

/// The service principal of an SSPI target name: `service/host[@REALM]`
/// (Windows' form), or GSS's `service@host`; the realm from the name, else
/// `[domain_realm]`, else the client's.
pub fn target_principal(
    target: &str,
    cred: &KerberosCredentials,
    client_realm: &str,
) -> Option<Principal> {
    let (name, realm) = match target.split_once('/') {
        Some(_) => match target.rsplit_once('@') {
            Some((n, r)) if !r.is_empty() => (n.to_owned(), Some(r.to_owned())),
            _ => (target.to_owned(), None),
        },
        None => {
            let (service, host) = target.split_once('@')?;
            (format!("{service}/{host}"), None)
        }
    };
    let parts: Vec<&str> = name.split('/').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let realm = realm
        .or_else(|| {
            (parts.len() >= 2)
                .then(|| cred.config.realm_of_host(parts[1]))
                .flatten()
        })
        .unwrap_or_else(|| client_realm.to_owned());
    Some(Principal {
        realm,
        name: PrincipalName {
            name_type: name_type::SRV_INST,
            name_string: parts.into_iter().map(KerberosString::from).collect(),
        },
    })
}

/// The request's transports: UDP to each KDC then TCP to each, or TCP only
/// when the request is longer than `udp_preference_limit` (RFC 4120
/// section 7.2.1).
fn exchange(
    env: &dyn Env,
    cred: &KerberosCredentials,
    realm: &str,
    message: Vec<u8>,
    tcp_only: bool,
) -> SecResult<Exchange> {
    let kdcs = cred.config.kdcs(realm);
    if kdcs.is_empty() {
        return Err(fail(
            env,
            SEC_E_NO_AUTHENTICATING_AUTHORITY,
            &format!("no KDC for realm {realm} in krb5.conf"),
        ));
    }
    let udp = !tcp_only && message.len() <= cred.config.udp_preference_limit;
    let mut servers = Vec::new();
    for transport in [Transport::Udp, Transport::Tcp] {
        if transport == Transport::Udp && !udp {
            continue;
        }
        for (host, port) in &kdcs {
            servers.push(Endpoint {
                host: host.clone(),
                port: *port,
                transport,
                path: String::new(),
            });
        }
    }
    Ok(Exchange { servers, message })
}

/// The status of a KDC's KRB-ERROR, as Windows reports it.
fn kdc_status(code: i32, tgs: bool) -> i32 {
    match code {
        error_code::KDC_ERR_S_PRINCIPAL_UNKNOWN => SEC_E_TARGET_UNKNOWN,
        error_code::KRB_AP_ERR_SKEW => SEC_E_TIME_SKEW,
        error_code::KDC_ERR_ETYPE_NOSUPP => SEC_E_KDC_UNKNOWN_ETYPE,
        error_code::KDC_ERR_C_PRINCIPAL_UNKNOWN
        | error_code::KDC_ERR_PREAUTH_FAILED
        | error_code::KRB_AP_ERR_BAD_INTEGRITY
        | error_code::KDC_ERR_CLIENT_REVOKED
        | error_code::KDC_ERR_KEY_EXPIRED => SEC_E_LOGON_DENIED,
        error_code::KRB_AP_ERR_TKT_EXPIRED => SEC_E_NO_CREDENTIALS,
        _ if tgs => SEC_E_INTERNAL_ERROR,
        _ => SEC_E_LOGON_DENIED,
    }
}

/// The ISC_REQ flags as GSS flags for the authenticator: integrity and
/// confidentiality are always available (as MIT's initiator says).
fn gss_flags_of(req: u32) -> u32 {
    let mut f = gss_flags::INTEG | gss_flags::CONF;
    if req & ISC_REQ_MUTUAL_AUTH != 0 {
        f |= gss_flags::MUTUAL;
    }
    if req & ISC_REQ_REPLAY_DETECT != 0 {
        f |= gss_flags::REPLAY;
    }
    if req & ISC_REQ_SEQUENCE_DETECT != 0 {
        f |= gss_flags::SEQUENCE;
    }
    f
}

/// The ISC_RET flags in force for the initiator's request.
fn isc_ret(req: u32) -> u32 {
    req & (ISC_REQ_MUTUAL_AUTH
        | ISC_REQ_REPLAY_DETECT
        | ISC_REQ_SEQUENCE_DETECT
        | ISC_REQ_CONFIDENTIALITY
        | ISC_REQ_INTEGRITY
        | ISC_REQ_CONNECTION
        | ISC_REQ_EXTENDED_ERROR)
}

/// The ASC_RET flags from the initiator's GSS flags.
fn asc_ret(gss: u32, mutual: bool, req: u32) -> u32 {
    let mut f = req & (ASC_REQ_CONNECTION | ASC_REQ_EXTENDED_ERROR);
    if mutual {
        f |= ASC_RET_MUTUAL_AUTH;
    }
    if gss & gss_flags::REPLAY != 0 {
        f |= ASC_RET_REPLAY_DETECT;
    }
    if gss & gss_flags::SEQUENCE != 0 {
        f |= ASC_RET_SEQUENCE_DETECT;
    }
    if gss & gss_flags::CONF != 0 {
        f |= ASC_RET_CONFIDENTIALITY;
    }
    if gss & gss_flags::INTEG != 0 {
        f |= ASC_RET_INTEGRITY;
    }
    f
}

impl KerberosContext {
    /// The initiator's first call.
    pub fn initialize(
        cred: &KerberosCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(KerberosContext, Progress)> {
        let env = input.env;
        let Some(client) = cred.client.as_ref() else {
            return Err(fail(
                env,
                SEC_E_NO_CREDENTIALS,
                "the credential has no client principal",
            ));
        };
        let Some(target) = input
            .target
            .and_then(|t| target_principal(t, cred, &client.principal.realm))
        else {
            return Err(fail(
                env,
                SEC_E_TARGET_UNKNOWN,
                "no service principal name given",
            ));
        };
        let bindings = match input.find(SECBUFFER_CHANNEL_BINDINGS) {
            Some(raw) => {
                channel_bindings_hash(raw).map_err(|_| Error::from(SEC_E_INVALID_TOKEN))?
            }
            None => [0; 16],
        };
        let mut ctx = KerberosContext {
            req_flags: input.req_flags,
            bindings,
            phase: Phase::Failed,
            via_proxy: false,
        };
        let progress = ctx.toward_ticket(cred, client, target, env)?;
        Ok((ctx, progress))
    }

    /// Finds or asks for the service ticket of `target`.
    fn toward_ticket(
        &mut self,
        cred: &KerberosCredentials,
        client: &Client,
        target: Principal,
        env: &dyn Env,
    ) -> SecResult<Progress> {
        let t = now(env, client.time_offset);
        if let Some(ticket) = cred.cached(&target, t.secs) {
            return self.send_ap_req(ticket, env, client.time_offset);
        }
        let realm = client.principal.realm.clone();
        // Before any request is built: a realm with no KDC (the common
        // case of an NTLM-only identity under Negotiate) fails at once.
        if cred.config.kdcs(&realm).is_empty() && cred.proxy.lock().is_none() {
            if env.tracing(Level::Errors, PACKAGE) {
                let why = format_args!("no KDC for realm {realm} in krb5.conf");
                env.trace(Level::Errors, PACKAGE, why);
            }
            return Err(SEC_E_NO_AUTHENTICATING_AUTHORITY.into());
        }
        let tgt_server = Principal {
            realm: realm.clone(),
            name: kdc::tgt_name(&realm),
        };
        let enctypes = &cred.config.enctypes;
        let (message, step) = if let Some(tgt) = cred.cached(&tgt_server, t.secs) {
            let nonce = random_u32(env)?;
            let conf = random_bytes(env, tgt.key.enctype.confounder_len())?;
            let msg = kdc::tgs_req(
                &tgt,
                &target,
                enctypes,
                nonce,
                t,
                cred.config.ticket_lifetime,
                &conf,
            )
            .map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))?;
            (
                msg,
                KdcStep::Tgs {
                    nonce,
                    tgt: Box::new(tgt),
                },
            )
        } else {
            if matches!(client.secret, Secret::Tickets) {
                return Err(fail(
                    env,
                    SEC_E_NO_CREDENTIALS,
                    &format!(
                        "no valid ticket for {} in the credential cache",
                        target.text()
                    ),
                ));
            }
            let nonce = random_u32(env)?;
            let msg = kdc::as_req(
                &client.principal,
                enctypes,
                nonce,
                t,
                cred.config.ticket_lifetime,
                vec![],
            )
            .map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))?;
            (msg, KdcStep::As { nonce, key: None })
        };
        // Both exchanges go to the client's realm (no referrals yet).
        self.ask(env, cred, &realm, message, false, target, step)
    }

    /// Sends `message` to a KDC of `realm` and waits for the reply in
    /// `step`: directly (UDP then TCP, or TCP only), or through the
    /// credential's KDC proxy when it is forced, when krb5.conf names no
    /// KDC for the realm, or once no KDC answered this context directly.
    #[allow(clippy::too_many_arguments)]
    fn ask(
        &mut self,
        env: &dyn Env,
        cred: &KerberosCredentials,
        realm: &str,
        message: Vec<u8>,
        tcp_only: bool,
        target: Principal,
        step: KdcStep,
    ) -> SecResult<Progress> {
        let proxy = cred.proxy.lock().clone();
        let mut via_proxy = false;
        let exchange = match proxy {
            Some(p) if p.force || self.via_proxy || cred.config.kdcs(realm).is_empty() => {
                self.via_proxy = true;
                via_proxy = true;
                let wrapped = kdc_proxy_request(&message, realm)
                    .map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))?;
                Exchange {
                    servers: vec![Endpoint {
                        host: p.host,
                        port: p.port,
                        transport: Transport::Https,
                        path: p.path,
                    }],
                    message: wrapped,
                }
            }
            _ => exchange(env, cred, realm, message.clone(), tcp_only)?,
        };
        self.phase = Phase::Kdc(Box::new(KdcWait {
            target,
            step,
            message,
            tcp_only,
            via_proxy,
        }));
        Ok(Progress::Exchange(exchange))
    }

    /// Builds the AP-REQ for `ticket` and finishes the step.
    fn send_ap_req(
        &mut self,
        ticket: CachedTicket,
        env: &dyn Env,
        offset: i64,
    ) -> SecResult<Progress> {
        let flags = gss_flags_of(self.req_flags);
        let mut random = |b: &mut [u8]| env.random(b).is_ok();
        let (token, sent) = ap::ap_req(
            &ticket,
            &self.bindings,
            flags,
            now(env, offset),
            &mut random,
        )
        .map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))?;
        let ret_flags = isc_ret(self.req_flags);
        let expiry = filetime(u64::from(ticket.endtime));
        if flags & gss_flags::MUTUAL != 0 {
            self.phase = Phase::ApRep {
                ticket: Box::new(ticket),
                sent,
            };
            return Ok(Progress::Done(StepOutput {
                status: SEC_I_CONTINUE_NEEDED,
                token,
                ret_flags,
                expiry,
                ..StepOutput::default()
            }));
        }
        let key = sent.subkey.clone();
        Ok(self.establish_initiator(&ticket, &sent, key, false, sent.seq, token))
    }

    /// The driver's reply to a KDC request.
    pub fn resume(
        &mut self,
        cred: Option<&KerberosCredentials>,
        input: &StepInput<'_>,
        reply: Reply,
    ) -> SecResult<Progress> {
        let env = input.env;
        let phase = std::mem::replace(&mut self.phase, Phase::Failed);
        let (Phase::Kdc(wait), Some(cred)) = (phase, cred) else {
            return Err(SEC_E_INTERNAL_ERROR.into());
        };
        let Some(client) = cred.client.as_ref() else {
            return Err(SEC_E_INTERNAL_ERROR.into());
        };
        let KdcWait {
            target,
            step,
            message: sent,
            tcp_only,
            via_proxy,
        } = *wait;
        let realm = client.principal.realm.clone();
        let bytes = match reply {
            Ok(b) if via_proxy => kdc_proxy_reply(&b).map_err(|_| {
                fail(
                    env,
                    SEC_E_NO_AUTHENTICATING_AUTHORITY,
                    "the KDC proxy's answer is not a KDC-PROXY-MESSAGE",
                )
            })?,
            Ok(b) => b,
            Err(_) if !via_proxy && cred.proxy.lock().is_some() => {
                // No KDC answered directly: the same request through the
                // KDC proxy.
                self.via_proxy = true;
                return self.ask(env, cred, &realm, sent, tcp_only, target, step);
            }
            Err(_) => {
                let why = match via_proxy {
                    true => format!("the KDC proxy did not answer for realm {realm}"),
                    false => format!("no KDC of realm {realm} answered"),
                };
                return Err(fail(env, SEC_E_NO_AUTHENTICATING_AUTHORITY, &why));
            }
        };
        let rep_tag = match step {
            KdcStep::As { .. } => 11,
            KdcStep::Tgs { .. } => 13,
        };
        let answer = kdc::answer(&bytes, rep_tag).map_err(|_| {
            fail(
                env,
                SEC_E_INVALID_TOKEN,
                "the KDC's reply is not well-formed",
            )
        })?;
        let t = now(env, client.time_offset);
        match (step, answer) {
            (step, Answer::Error(e))
                if e.error_code == error_code::KRB_ERR_RESPONSE_TOO_BIG && !tcp_only =>
            {
                self.ask(env, cred, &realm, sent, true, target, step)
            }
            (KdcStep::As { key: None, .. }, Answer::Error(e))
                if e.error_code == error_code::KDC_ERR_PREAUTH_REQUIRED =>
            {
                let (_, padata) = kdc::krb_error(&e);
                let key = client_key(client, &padata, &cred.config.enctypes, env)?;
                let conf = random_bytes(env, key.enctype.confounder_len())?;
                let pa = kdc::enc_timestamp(&key, t, &conf)
                    .map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))?;
                let nonce = random_u32(env)?;
                let msg = kdc::as_req(
                    &client.principal,
                    &cred.config.enctypes,
                    nonce,
                    t,
                    cred.config.ticket_lifetime,
                    vec![pa],
                )
                .map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))?;
                let step = KdcStep::As {
                    nonce,
                    key: Some(key),
                };
                self.ask(env, cred, &realm, msg, tcp_only, target, step)
            }
            (step, Answer::Error(e)) => {
                let tgs = matches!(step, KdcStep::Tgs { .. });
                let text = e.e_text.as_ref().map(|t| t.0.as_str()).unwrap_or("");
                Err(fail(
                    env,
                    kdc_status(e.error_code, tgs),
                    &format!(
                        "the KDC refused the {} request: error {} {}{}",
                        if tgs { "TGS" } else { "AS" },
                        e.error_code,
                        krb_error_name(e.error_code),
                        if text.is_empty() {
                            String::new()
                        } else {
                            format!(" ({text})")
                        }
                    ),
                ))
            }
            (KdcStep::As { nonce, key }, Answer::Rep(rep)) => {
                let key = match key {
                    Some(k) if k.enctype.number() == rep.enc_part.etype => k,
                    _ => {
                        let padata = rep.padata.clone().unwrap_or_default();
                        let ours: Vec<Enctype> = Enctype::from_number(rep.enc_part.etype)
                            .into_iter()
                            .collect();
                        client_key(client, &padata, &ours, env)?
                    }
                };
                let realm = client.principal.realm.clone();
                let tgt = kdc::ticket_from_rep(
                    &rep,
                    &key,
                    &[kdc::USAGE_AS_REP, kdc::USAGE_TGS_REP],
                    nonce,
                    &kdc::tgt_name(&realm),
                )
                .map_err(|e| match e {
                    KdcError::Decrypt => fail(
                        env,
                        SEC_E_LOGON_DENIED,
                        "the AS-REP does not decrypt with the password's key",
                    ),
                    _ => fail(
                        env,
                        SEC_E_INVALID_TOKEN,
                        &format!("the AS-REP is not acceptable: {e:?}"),
                    ),
                })?;
                cred.keep(tgt);
                self.toward_ticket(cred, client, target, env)
            }
            (KdcStep::Tgs { nonce, tgt }, Answer::Rep(rep)) => {
                let ticket = kdc::ticket_from_rep(
                    &rep,
                    &tgt.key,
                    &[kdc::USAGE_TGS_REP, kdc::USAGE_TGS_REP_SUBKEY],
                    nonce,
                    &target.name,
                )
                .map_err(|e| {
                    fail(
                        env,
                        SEC_E_INVALID_TOKEN,
                        &format!("the TGS-REP is not acceptable: {e:?}"),
                    )
                })?;
                // Kept under the name asked for, whatever the KDC's
                // canonical name, so that the next context finds it.
                let mut kept = ticket.clone();
                kept.server = target;
                cred.keep(kept);
                self.send_ap_req(ticket, env, client.time_offset)
            }
        }
    }

    /// The acceptor's call: checks the AP-REQ.
    pub fn accept(
        cred: &KerberosCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(KerberosContext, Progress)> {
        let env = input.env;
        let token = input
            .token()
            .ok_or_else(|| fail(env, SEC_E_INVALID_TOKEN, "no input token"))?;
        let bindings = match input.find(SECBUFFER_CHANNEL_BINDINGS) {
            Some(raw) => {
                Some(channel_bindings_hash(raw).map_err(|_| Error::from(SEC_E_INVALID_TOKEN))?)
            }
            None => None,
        };
        let t = now(env, 0);
        let accepted = ap::accept_ap_req(
            token,
            &cred.keytab,
            bindings.as_ref(),
            t,
            cred.config.clockskew,
            &cred.replay,
        )
        .map_err(|e| {
            let (status, cause) = ap_status(e);
            fail(env, status, cause)
        })?;
        let mut ctx = KerberosContext {
            req_flags: input.req_flags,
            bindings: bindings.unwrap_or([0; 16]),
            phase: Phase::Failed,
            via_proxy: false,
        };
        let out = ctx.establish_acceptor(accepted, env)?;
        Ok((ctx, Progress::Done(out)))
    }

    fn establish_acceptor(&mut self, a: Accepted, env: &dyn Env) -> SecResult<StepOutput> {
        let replay = a.flags & gss_flags::REPLAY != 0;
        let sequence = a.flags & gss_flags::SEQUENCE != 0;
        let recv = SequenceWindow::new(u64::from(a.initiator_seq), replay, sequence);
        let initiator_key = a
            .initiator_subkey
            .clone()
            .unwrap_or_else(|| a.session_key.clone());
        let (token, session) = if a.mutual {
            let seq = random_u32(env)? & 0x3fff_ffff;
            let conf = random_bytes(env, a.session_key.enctype.confounder_len())?;
            // RFC 4121 sessions protect messages with a subkey of the
            // acceptor's; an rc4-hmac session (RFC 4757) keeps the
            // initiator's key, as MIT's and Windows' acceptors do.
            let subkey = if initiator_key.enctype == Enctype::Rc4Hmac {
                None
            } else {
                let enctype = a.session_key.enctype;
                let bytes = zeroize::Zeroizing::new(random_bytes(env, enctype.key_len())?);
                Some(Key::new(enctype, &bytes).map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))?)
            };
            let token = ap::ap_rep(&a, subkey.as_ref(), seq, &conf)
                .map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))?;
            let session = match subkey {
                Some(k) => Session::new(k, false, true, u64::from(seq), recv),
                None => Session::new(initiator_key, false, false, u64::from(seq), recv),
            };
            (token, session)
        } else {
            let seq = u64::from(a.initiator_seq);
            (
                Vec::new(),
                Session::new(initiator_key, false, false, seq, recv),
            )
        };
        let ret_flags = asc_ret(a.flags, a.mutual, self.req_flags);
        let expiry = filetime(a.endtime);
        self.phase = Phase::Done(Box::new(Established {
            session,
            client: a.client,
            server: a.server,
            start: filetime(a.starttime),
            end: expiry,
            ret_flags,
        }));
        Ok(StepOutput {
            status: SEC_E_OK,
            token,
            ret_flags,
            expiry,
            ..StepOutput::default()
        })
    }

    /// A later call: the initiator's AP-REP.
    pub fn step(&mut self, input: &StepInput<'_>) -> SecResult<Progress> {
        let env = input.env;
        let phase = std::mem::replace(&mut self.phase, Phase::Failed);
        let Phase::ApRep { ticket, sent } = phase else {
            return Err(fail(
                env,
                SEC_E_INVALID_HANDLE,
                "the context expects no more tokens",
            ));
        };
        let token = input
            .token()
            .ok_or_else(|| fail(env, SEC_E_INVALID_TOKEN, "no AP-REP given"))?;
        let rep = ap::check_ap_rep(token, &ticket.key, &sent).map_err(|e| {
            let (status, cause) = ap_status(e);
            fail(env, status, cause)
        })?;
        // An acceptor subkey of the initiator's own rc4-hmac enctype is not
        // taken: RFC 4757 sessions keep the initiator's key (MIT's rule).
        let (key, acceptor_subkey) = match rep.subkey {
            Some(k) if !(k.enctype == Enctype::Rc4Hmac && sent.subkey.enctype == k.enctype) => {
                (k, true)
            }
            _ => (sent.subkey.clone(), false),
        };
        let peer_seq = rep.seq.unwrap_or(sent.seq);
        Ok(self.establish_initiator(&ticket, &sent, key, acceptor_subkey, peer_seq, Vec::new()))
    }

    /// The initiator's context is established: protection with `key`,
    /// the peer's numbers from `peer_seq`; the step ends with `token`.
    fn establish_initiator(
        &mut self,
        ticket: &CachedTicket,
        sent: &SentApReq,
        key: Key,
        acceptor_subkey: bool,
        peer_seq: u32,
        token: Vec<u8>,
    ) -> Progress {
        let replay = self.req_flags & ISC_REQ_REPLAY_DETECT != 0;
        let sequence = self.req_flags & ISC_REQ_SEQUENCE_DETECT != 0;
        let ret_flags = isc_ret(self.req_flags);
        let expiry = filetime(u64::from(ticket.endtime));
        self.phase = Phase::Done(Box::new(Established {
            session: Session::new(
                key,
                true,
                acceptor_subkey,
                u64::from(sent.seq),
                SequenceWindow::new(u64::from(peer_seq), replay, sequence),
            ),
            client: ticket.client.clone(),
            server: ticket.server.clone(),
            start: filetime(u64::from(ticket.starttime.max(ticket.authtime))),
            end: expiry,
            ret_flags,
        }));
        Progress::Done(StepOutput {
            status: SEC_E_OK,
            token,
            ret_flags,
            expiry,
            ..StepOutput::default()
        })
    }

    /// The established state, or SEC_E_INVALID_HANDLE before.
    pub fn established(&self) -> SecResult<&Established> {
        match &self.phase {
            Phase::Done(e) => Ok(e),
            _ => Err(SEC_E_INVALID_HANDLE.into()),
        }
    }

    /// The established state, mutably (per-message calls): before, or
    /// after a failure, SEC_E_INVALID_HANDLE.
    pub fn established_mut(&mut self) -> SecResult<&mut Established> {
        match &mut self.phase {
            Phase::Done(e) => Ok(e),
            _ => Err(SEC_E_INVALID_HANDLE.into()),
        }
    }

    /// The ISC_RET/ASC_RET flags in force.
    pub fn ret_flags(&self) -> u32 {
        match &self.phase {
            Phase::Done(e) => e.ret_flags,
            _ => 0,
        }
    }

    /// ExportSecurityContext: an established context as versioned bytes
    /// (they hold the session key: keep them secret).
    pub fn export(&self) -> SecResult<Zeroizing<Vec<u8>>> {
        let e = self.established()?;
        let s = &e.session;
        let mut out = Zeroizing::new(Vec::with_capacity(256));
        out.extend_from_slice(EXPORT_MAGIC);
        out.extend_from_slice(&self.req_flags.to_be_bytes());
        out.extend_from_slice(&e.ret_flags.to_be_bytes());
        out.extend_from_slice(&self.bindings);
        out.extend_from_slice(&s.key.enctype.number().to_be_bytes());
        put16(&mut out, s.key.bytes())?;
        out.push(u8::from(s.initiator) | u8::from(s.acceptor_subkey) << 1);
        out.extend_from_slice(&s.send_seq.to_be_bytes());
        out.extend_from_slice(&s.recv.to_bytes());
        for p in [&e.client, &e.server] {
            put16(&mut out, p.realm.as_bytes())?;
            let name = der::Encode::to_der(&p.name).map_err(|_| SEC_E_INTERNAL_ERROR)?;
            put16(&mut out, &name)?;
        }
        out.extend_from_slice(&e.start.to_be_bytes());
        out.extend_from_slice(&e.end.to_be_bytes());
        Ok(out)
    }

    /// ImportSecurityContext: the context `export` gave; anything else is
    /// SEC_E_INVALID_TOKEN.
    pub fn import(data: &[u8]) -> SecResult<Self> {
        Self::read_export(data).ok_or_else(|| SEC_E_INVALID_TOKEN.into())
    }

    fn read_export(data: &[u8]) -> Option<Self> {
        let mut r = Reader::new(data);
        if r.take(EXPORT_MAGIC.len()).ok()? != EXPORT_MAGIC {
            return None;
        }
        let req_flags = r.u32().ok()?;
        let ret_flags = r.u32().ok()?;
        let bindings: [u8; 16] = r.take(16).ok()?.try_into().ok()?;
        let enctype = Enctype::from_number(r.u32().ok()? as i32)?;
        let key = Key::new(enctype, r.data16().ok()?).ok()?;
        let roles = r.u8().ok()?;
        if roles > 3 {
            return None;
        }
        let send_seq = u64::from_be_bytes(r.take(8).ok()?.try_into().ok()?);
        let recv = SequenceWindow::from_bytes(r.take(18).ok()?.try_into().ok()?)?;
        let mut principal = || -> Option<Principal> {
            let realm = r.string16().ok()?;
            let name = der::Decode::from_der(r.data16().ok()?).ok()?;
            Some(Principal { realm, name })
        };
        let (client, server) = (principal()?, principal()?);
        let start = i64::from_be_bytes(r.take(8).ok()?.try_into().ok()?);
        let end = i64::from_be_bytes(r.take(8).ok()?.try_into().ok()?);
        if r.remaining() != 0 {
            return None;
        }
        let session = Session::new(key, roles & 1 != 0, roles & 2 != 0, send_seq, recv);
        Some(KerberosContext {
            req_flags,
            bindings,
            phase: Phase::Done(Box::new(Established {
                session,
                client,
                server,
                start,
                end,
                ret_flags,
            })),
            via_proxy: false,
        })
    }
}

/// What an exported Kerberos context starts with (the format's version in
/// the last byte).
const EXPORT_MAGIC: &[u8; 8] = b"OSSKRB\x00\x01";

/// Appends `bytes` with a 16-bit length.
fn put16(out: &mut Vec<u8>, bytes: &[u8]) -> SecResult<()> {
    let n = u16::try_from(bytes.len()).map_err(|_| SEC_E_INTERNAL_ERROR)?;
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// The key of the client for the KDC's ETYPE-INFO2 (`padata`): from the
/// password with the salt and parameters named, or from the client keytab.
fn client_key(
    client: &Client,
    padata: &[PaData],
    ours: &[Enctype],
    env: &dyn Env,
) -> SecResult<Key> {
    let hint = kdc::key_hint(padata, ours).or_else(|| {
        ours.first().map(|e| kdc::KeyHint {
            enctype: *e,
            salt: None,
            params: None,
        })
    });
    let Some(hint) = hint else {
        return Err(fail(
            env,
            SEC_E_KDC_UNKNOWN_ETYPE,
            "the KDC offers no enctype this side allows",
        ));
    };
    match &client.secret {
        Secret::Password(pw) => {
            let salt = hint
                .salt
                .unwrap_or_else(|| kdc::default_salt(&client.principal));
            Key::from_password(hint.enctype, pw, &salt, hint.params.as_deref()).map_err(|_| {
                fail(
                    env,
                    SEC_E_LOGON_DENIED,
                    "the KDC's string-to-key parameters are refused (too many iterations?)",
                )
            })
        }
        Secret::Keytab(entries) => entries
            .iter()
            .filter(|e| e.enctype == hint.enctype.number())
            .max_by_key(|e| e.kvno)
            .and_then(|e| e.key.clone())
            .ok_or_else(|| {
                fail(
                    env,
                    SEC_E_NO_CREDENTIALS,
                    "the client keytab has no key of the KDC's enctype",
                )
            }),
        Secret::Tickets => Err(fail(
            env,
            SEC_E_NO_CREDENTIALS,
            "no password or key for the AS exchange",
        )),
    }
}

/// The status and cause of an AP exchange failure.
fn ap_status(e: ApError) -> (i32, &'static str) {
    match e {
        ApError::Malformed(why) => (SEC_E_INVALID_TOKEN, why),
        ApError::NoKey => (
            SEC_E_NO_CREDENTIALS,
            "the keytab has no key for the ticket's server, kvno and enctype",
        ),
        ApError::BadTicket => (
            SEC_E_LOGON_DENIED,
            "the ticket does not decrypt with the keytab's key",
        ),
        ApError::Altered => (
            SEC_E_MESSAGE_ALTERED,
            "the authenticator or AP-REP failed its integrity check",
        ),
        ApError::Skew => (
            SEC_E_TIME_SKEW,
            "the authenticator's time is beyond the allowed clock skew",
        ),
        ApError::Expired => (
            SEC_E_CONTEXT_EXPIRED,
            "the ticket has expired or is not yet valid",
        ),
        ApError::Replay => (
            SEC_E_INVALID_TOKEN,
            "the authenticator was seen before (a replay)",
        ),
        ApError::Bindings => (
            SEC_E_BAD_BINDINGS,
            "the channel bindings differ from the acceptor's",
        ),
        ApError::Mutual => (
            SEC_E_MUTUAL_AUTH_FAILED,
            "the AP-REP does not answer our AP-REQ",
        ),
        ApError::Krb(code) => (
            kdc_status(code, true),
            "the acceptor answered with a KRB-ERROR",
        ),
    }
}

/// RFC 4120's name of a KRB-ERROR code, for the trace.
fn krb_error_name(code: i32) -> &'static str {
    match code {
        error_code::KDC_ERR_C_PRINCIPAL_UNKNOWN => "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        error_code::KDC_ERR_S_PRINCIPAL_UNKNOWN => "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        error_code::KDC_ERR_ETYPE_NOSUPP => "KDC_ERR_ETYPE_NOSUPP",
        error_code::KDC_ERR_CLIENT_REVOKED => "KDC_ERR_CLIENT_REVOKED",
        error_code::KDC_ERR_KEY_EXPIRED => "KDC_ERR_KEY_EXPIRED",
        error_code::KDC_ERR_PREAUTH_FAILED => "KDC_ERR_PREAUTH_FAILED",
        error_code::KDC_ERR_PREAUTH_REQUIRED => "KDC_ERR_PREAUTH_REQUIRED",
        error_code::KRB_AP_ERR_BAD_INTEGRITY => "KRB_AP_ERR_BAD_INTEGRITY",
        error_code::KRB_AP_ERR_TKT_EXPIRED => "KRB_AP_ERR_TKT_EXPIRED",
        error_code::KRB_AP_ERR_SKEW => "KRB_AP_ERR_SKEW",
        error_code::KRB_ERR_RESPONSE_TOO_BIG => "KRB_ERR_RESPONSE_TOO_BIG",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::kerberos::messages::name_type;

    /// An established context of this role, keyed with `key`.
    fn established(key: &Key, initiator: bool) -> KerberosContext {
        let alice = Principal {
            realm: "R.TEST".into(),
            name: PrincipalName::new(name_type::PRINCIPAL, &["alice"]),
        };
        KerberosContext {
            req_flags: 0,
            bindings: [0; 16],
            phase: Phase::Done(Box::new(Established {
                session: Session::new(
                    key.clone(),
                    initiator,
                    true,
                    5,
                    SequenceWindow::new(5, true, true),
                ),
                client: alice.clone(),
                server: alice,
                start: 0,
                end: 0,
                ret_flags: 0,
            })),
            via_proxy: false,
        }
    }

    #[test]
    fn the_mech_list_mic_under_negotiate() {
        use crate::package::{Mechanism, MicPolicy};
        use crate::packages::kerberos::Kerberos;
        for e in [Enctype::Aes256CtsHmacSha196, Enctype::Rc4Hmac] {
            let key = Key::new(e, &vec![3; e.key_len()]).unwrap();
            let (mut c, mut s) = (established(&key, true), established(&key, false));
            assert_eq!(Kerberos.mech_list_mic_policy(&c), MicPolicy::Optional);
            let types = b"\x30\x0b\x06\x09\x2a\x86\x48\x82\xf7\x12\x01\x02\x02";
            let mic = Kerberos.mech_list_mic(&mut c, types).unwrap();
            // An altered list is refused; the real one verifies (the
            // refused attempt used no sequence number up).
            assert_eq!(
                Kerberos
                    .verify_mech_list_mic(&mut s, b"\x30\x00", &mic)
                    .unwrap_err(),
                SEC_E_MESSAGE_ALTERED
            );
            Kerberos.verify_mech_list_mic(&mut s, types, &mic).unwrap();
            // The acceptor's answer, the other way.
            let back = Kerberos.mech_list_mic(&mut s, types).unwrap();
            Kerberos.verify_mech_list_mic(&mut c, types, &back).unwrap();
        }
        let fresh = KerberosContext {
            req_flags: 0,
            bindings: [0; 16],
            phase: Phase::Failed,
            via_proxy: false,
        };
        assert_eq!(Kerberos.mech_list_mic_policy(&fresh), MicPolicy::None);
    }

    #[test]
    fn export_import_round_trip_and_refusals() {
        let key = Key::new(Enctype::Aes256CtsHmacSha384192, &[7; 32]).unwrap();
        let mut recv = SequenceWindow::new(40, true, false);
        recv.check(42).unwrap();
        let ctx = KerberosContext {
            req_flags: 0x1234,
            bindings: [5; 16],
            phase: Phase::Done(Box::new(Established {
                session: Session::new(key, true, true, 9, recv),
                client: Principal {
                    realm: "R.TEST".into(),
                    name: PrincipalName::new(name_type::PRINCIPAL, &["alice"]),
                },
                server: Principal {
                    realm: "R.TEST".into(),
                    name: PrincipalName::new(name_type::SRV_INST, &["host", "h"]),
                },
                start: 100,
                end: 200,
                ret_flags: 0x5678,
            })),
            via_proxy: false,
        };
        let packed = ctx.export().unwrap();
        let back = KerberosContext::import(&packed).unwrap();
        assert_eq!(&*back.export().unwrap(), &*packed);
        let e = back.established().unwrap();
        assert_eq!(
            (e.client.text(), e.server.text()),
            ("alice@R.TEST".into(), "host/h@R.TEST".into())
        );
        assert_eq!(
            (e.session.send_seq, e.session.key.bytes()),
            (9, &[7u8; 32][..])
        );
        assert_eq!(
            (back.req_flags, back.ret_flags(), back.bindings),
            (0x1234, 0x5678, [5; 16])
        );
        // The window came along: 42 was seen, 40 and 41 were not.
        let mut w = e.session.recv.clone();
        assert!(w.check(42).is_err() && w.check(40).is_ok());
        // Every truncation, a trailing byte, a bad magic, a bad flag.
        for n in 0..packed.len() {
            assert!(KerberosContext::import(&packed[..n]).is_err(), "{n}");
        }
        let mut longer = packed.to_vec();
        longer.push(0);
        assert!(KerberosContext::import(&longer).is_err());
        let mut magic = packed.to_vec();
        magic[0] ^= 1;
        assert!(KerberosContext::import(&magic).is_err());
        // Not established: nothing to export.
        let fresh = KerberosContext {
            req_flags: 0,
            bindings: [0; 16],
            phase: Phase::Failed,
            via_proxy: false,
        };
        assert!(fresh.export().is_err());
    }
}
