//! An NTLM security context as the SSPI sees it: the initiator's and the
//! acceptor's steps of InitializeSecurityContext/AcceptSecurityContext over
//! the sans-IO state machines, the ISC_RET/ASC_RET flags actually in force,
//! and export/import.
//!
//! Return-code sequence, as Windows' NTLM: ISC gives SEC_I_CONTINUE_NEEDED
//! with NEGOTIATE, then SEC_E_OK with AUTHENTICATE; ASC gives
//! SEC_I_CONTINUE_NEEDED with CHALLENGE, then SEC_E_OK with no token. A step
//! that fails leaves the context unusable (every later call on it is
//! SEC_E_INVALID_HANDLE) until DeleteSecurityContext frees it.

use zeroize::Zeroizing;

use super::account::NtlmCredentials;
use super::client::{Client, ClientConfig};
use super::describe;
use super::error::{Denied, Error as CoreError};
use super::established::Established;
use super::flags::NEGOTIATE_SEAL;
use super::server::{Server, ServerConfig};
use super::session::has_integrity;
use crate::crypto::bindings::channel_bindings_hash;
use crate::env::{Env, Level};
use crate::package::{Error, Progress, Role, SecResult, StepInput, StepOutput, NEVER_EXPIRES};
use crate::vocabulary::*;

/// Where the context is in its life.
#[derive(Debug)]
enum Phase {
    /// NEGOTIATE sent, waiting for CHALLENGE.
    Client(Box<Client>),
    /// CHALLENGE sent, waiting for AUTHENTICATE.
    Server(Box<Server>),
    /// Authenticated: message protection and attributes available.
    Done(Box<Established>),
    /// A step failed; only DeleteSecurityContext is left.
    Failed,
}

/// An NTLM context (what a CtxtHandle holds for this package).
#[derive(Debug)]
pub struct NtlmContext {
    role: Role,
    phase: Phase,
    /// The ISC_REQ_* / ASC_REQ_* flags of the first call.
    req_flags: u32,
    /// The target name given to InitializeSecurityContext.
    target: Option<String>,
    /// FILETIME at which the context was established (0 before).
    established_at: i64,
}

/// The package name on trace lines.
const PACKAGE: &str = "NTLM";

/// Traces a token this side received or sent, decoded.
fn trace_token(env: &dyn Env, direction: &str, token: &[u8]) {
    if env.tracing(Level::Tokens, PACKAGE) {
        env.trace(
            Level::Tokens,
            PACKAGE,
            format_args!("{direction} {}", describe::message(token)),
        );
    }
}

/// Traces why the message `kind` (`token`) was refused.
fn trace_refusal(env: &dyn Env, kind: &str, token: &[u8], e: CoreError) {
    if !env.tracing(Level::Errors, PACKAGE) {
        return;
    }
    let cause = match e {
        CoreError::InvalidToken => describe::why_malformed(kind, token),
        CoreError::LogonDenied(why) => match (why, describe::account(token)) {
            (Denied::UnknownUser, Some(account)) => format!("no account for {account}"),
            (why, Some(account)) => format!("{why} [{account}]"),
            (why, None) => why.to_string(),
        },
        CoreError::BadBindings => {
            "channel bindings missing or different from the ones this server was given".to_owned()
        }
        CoreError::Unsupported => describe::unsupported(describe::flags_of(token)).to_owned(),
        other => other.to_string(),
    };
    env.trace(
        Level::Errors,
        PACKAGE,
        format_args!("{kind} refused: {cause}"),
    );
}

/// Traces a failure found before any message, in words.
fn trace_cause(env: &dyn Env, cause: &str) {
    if env.tracing(Level::Errors, PACKAGE) {
        env.trace(Level::Errors, PACKAGE, format_args!("{cause}"));
    }
}

/// Maps a core error to the status Windows' NTLM returns.
pub fn status_of(e: CoreError) -> Error {
    Error::Status(match e {
        CoreError::InvalidToken => SEC_E_INVALID_TOKEN,
        CoreError::LogonDenied(_) => SEC_E_LOGON_DENIED,
        CoreError::BadBindings => SEC_E_BAD_BINDINGS,
        CoreError::MessageAltered => SEC_E_MESSAGE_ALTERED,
        CoreError::OutOfSequence => SEC_E_OUT_OF_SEQUENCE,
        CoreError::Unsupported => SEC_E_UNSUPPORTED_FUNCTION,
        CoreError::InvalidState => SEC_E_OUT_OF_SEQUENCE,
        CoreError::InvalidParameter => SEC_E_INVALID_PARAMETER,
        CoreError::Internal => SEC_E_INTERNAL_ERROR,
    })
}

/// The channel-binding hash of a SECBUFFER_CHANNEL_BINDINGS input, if any.
fn bindings(input: &StepInput<'_>) -> SecResult<Option<[u8; 16]>> {
    input
        .find(SECBUFFER_CHANNEL_BINDINGS)
        .map(|raw| channel_bindings_hash(raw).map_err(|_| SEC_E_INVALID_TOKEN.into()))
        .transpose()
}

/// The input SECBUFFER_TOKEN, which a step needs.
fn token<'a>(input: &'a StepInput<'_>) -> SecResult<&'a [u8]> {
    input
        .token()
        .filter(|t| !t.is_empty())
        .ok_or(SEC_E_INVALID_TOKEN.into())
}

/// The current time as a FILETIME.
fn now(env: &dyn Env) -> i64 {
    i64::try_from(env.now_filetime()).unwrap_or(NEVER_EXPIRES)
}

/// The NetBIOS form of this host's name: its first label, upper-cased, at
/// most 15 characters.
fn netbios_name(env: &dyn Env) -> String {
    let host = env.host_name();
    let first = host.split('.').next().unwrap_or_default();
    first.to_uppercase().chars().take(15).collect()
}

/// Set to `optional` to accept clients that return the CHALLENGE's
/// timestamp without a MIC, as Windows does (the default is to refuse them).
pub const MIC_POLICY_VAR: &str = "OPENSSPI_NTLM_MIC";

/// The names this host announces as a server (a stand-alone machine's:
/// its own name as both computer and domain), and its MIC policy.
fn server_config(env: &dyn Env) -> ServerConfig {
    let nb = netbios_name(env);
    let mut config = ServerConfig::new(&nb, &nb);
    config.dns_computer = env.host_name();
    config.require_mic = env.var(MIC_POLICY_VAR).is_none_or(|v| v != "optional");
    config
}

impl NtlmContext {
    /// The first InitializeSecurityContext call: NEGOTIATE.
    pub fn initialize(
        cred: &NtlmCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(Self, Progress)> {
        let req = input.req_flags;
        if req & ISC_REQ_DATAGRAM != 0 {
            trace_cause(
                input.env,
                "ISC_REQ_DATAGRAM: connectionless NTLM is not supported",
            );
            return Err(SEC_E_UNSUPPORTED_FUNCTION.into());
        }
        let Some(identity) = cred.client_identity(req & ISC_REQ_NULL_SESSION != 0) else {
            trace_cause(
                input.env,
                "no account to log on with: the credential has no identity, and NTLM_USER_FILE gave none",
            );
            return Err(SEC_E_NO_CREDENTIALS.into());
        };
        let mut config = ClientConfig::new(identity);
        config.workstation = netbios_name(input.env);
        config.integrity = req & ISC_REQ_INTEGRITY != 0;
        config.replay_detect = req & ISC_REQ_REPLAY_DETECT != 0;
        config.sequence_detect = req & ISC_REQ_SEQUENCE_DETECT != 0;
        config.confidentiality = req & ISC_REQ_CONFIDENTIALITY != 0;
        config.target_spn = input.target.filter(|t| !t.is_empty()).map(str::to_owned);
        config.channel_bindings = bindings(input)?;
        let mut client = Client::new(config);
        let token = client.negotiate().map_err(status_of)?;
        trace_token(input.env, "sent", &token);
        let ctx = NtlmContext {
            role: Role::Initiator,
            phase: Phase::Client(Box::new(client)),
            req_flags: req,
            target: input.target.map(str::to_owned),
            established_at: 0,
        };
        let out = ctx.output(SEC_I_CONTINUE_NEEDED, token);
        Ok((ctx, out))
    }

    /// The first AcceptSecurityContext call: NEGOTIATE in, CHALLENGE out.
    pub fn accept(input: &StepInput<'_>) -> SecResult<(Self, Progress)> {
        if input.req_flags & ASC_REQ_DATAGRAM != 0 {
            trace_cause(
                input.env,
                "ASC_REQ_DATAGRAM: connectionless NTLM is not supported",
            );
            return Err(SEC_E_UNSUPPORTED_FUNCTION.into());
        }
        let negotiate = token(input)?;
        trace_token(input.env, "received", negotiate);
        let mut config = server_config(input.env);
        config.channel_bindings = bindings(input)?;
        let mut server = Server::new(config);
        let token = match server.challenge(negotiate, input.env) {
            Ok(token) => token,
            Err(e) => {
                trace_refusal(input.env, "NEGOTIATE", negotiate, e);
                return Err(status_of(e));
            }
        };
        trace_token(input.env, "sent", &token);
        let ctx = NtlmContext {
            role: Role::Acceptor,
            phase: Phase::Server(Box::new(server)),
            req_flags: input.req_flags,
            target: None,
            established_at: 0,
        };
        let out = ctx.output(SEC_I_CONTINUE_NEEDED, token);
        Ok((ctx, out))
    }

    /// A later call: CHALLENGE (initiator) or AUTHENTICATE (acceptor).
    pub fn step(
        &mut self,
        cred: Option<&NtlmCredentials>,
        input: &StepInput<'_>,
    ) -> SecResult<Progress> {
        match &mut self.phase {
            Phase::Client(client) => {
                let challenge = token(input)?;
                if let Some(hash) = bindings(input)? {
                    client.config_mut().channel_bindings = Some(hash);
                }
                if let Some(spn) = input.target.filter(|t| !t.is_empty()) {
                    client.config_mut().target_spn = Some(spn.to_owned());
                }
                trace_token(input.env, "received", challenge);
                match client.authenticate(challenge, input.env) {
                    Ok((token, est)) => {
                        trace_token(input.env, "sent", &token);
                        Ok(self.finish(est, token, input.env))
                    }
                    Err(e) => {
                        trace_refusal(input.env, "CHALLENGE", challenge, e);
                        Err(self.fail(e))
                    }
                }
            }
            Phase::Server(server) => {
                let cred = cred.ok_or(Error::from(SEC_E_INVALID_HANDLE))?;
                let authenticate = match token(input) {
                    Ok(t) => t,
                    Err(e) => {
                        self.phase = Phase::Failed;
                        return Err(e);
                    }
                };
                if let Some(hash) = bindings(input)? {
                    server.config_mut().channel_bindings = Some(hash);
                }
                trace_token(input.env, "received", authenticate);
                let store = cred.server_store(input.env);
                match server.authenticate(authenticate, &*store) {
                    Ok(est) => {
                        if input.env.tracing(Level::Calls, PACKAGE) {
                            input.env.trace(
                                Level::Calls,
                                PACKAGE,
                                format_args!(
                                    "AUTHENTICATE accepted: {} (flags={}, MIC {})",
                                    if est.is_anonymous() {
                                        "anonymous".to_owned()
                                    } else {
                                        format!("{}\\{}", est.domain(), est.user())
                                    },
                                    describe::Flags(est.flags()),
                                    if est.has_mic() { "checked" } else { "absent" }
                                ),
                            );
                        }
                        Ok(self.finish(est, Vec::new(), input.env))
                    }
                    Err(e) => {
                        trace_refusal(input.env, "AUTHENTICATE", authenticate, e);
                        Err(self.fail(e))
                    }
                }
            }
            Phase::Done(_) => Err(SEC_E_OUT_OF_SEQUENCE.into()),
            Phase::Failed => Err(SEC_E_INVALID_HANDLE.into()),
        }
    }

    fn fail(&mut self, e: CoreError) -> Error {
        self.phase = Phase::Failed;
        status_of(e)
    }

    fn finish(&mut self, est: Established, token: Vec<u8>, env: &dyn Env) -> Progress {
        self.phase = Phase::Done(Box::new(est));
        self.established_at = now(env);
        self.output(SEC_E_OK, token)
    }

    fn output(&self, status: i32, token: Vec<u8>) -> Progress {
        Progress::Done(StepOutput {
            status,
            token,
            ret_flags: self.ret_flags(),
            expiry: NEVER_EXPIRES,
            ..StepOutput::default()
        })
    }

    /// Which side this context is.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The established state, or SEC_E_INVALID_HANDLE before (or after a
    /// failed) authentication.
    pub fn established(&self) -> SecResult<&Established> {
        match &self.phase {
            Phase::Done(est) => Ok(est),
            _ => Err(SEC_E_INVALID_HANDLE.into()),
        }
    }

    /// `established`, mutably (for message protection).
    pub fn established_mut(&mut self) -> SecResult<&mut Established> {
        match &mut self.phase {
            Phase::Done(est) => Ok(est),
            _ => Err(SEC_E_INVALID_HANDLE.into()),
        }
    }

    /// Whether the handshake has completed.
    pub fn is_complete(&self) -> bool {
        matches!(self.phase, Phase::Done(_))
    }

    /// The target name the initiator was given.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// FILETIME at which the context was established (0 before).
    pub fn established_at(&self) -> i64 {
        self.established_at
    }

    /// The ISC_RET_* / ASC_RET_* flags in force: what was asked for and
    /// what the negotiated NTLM flags deliver (before completion, what the
    /// NEGOTIATE message asks for).
    pub fn ret_flags(&self) -> u32 {
        let req = self.req_flags;
        let (ntlm, anonymous) = match &self.phase {
            Phase::Done(est) => (est.flags(), est.is_anonymous()),
            Phase::Client(c) => (c.requested_flags(), false),
            Phase::Server(_) | Phase::Failed => (0, false),
        };
        let signing = has_integrity(ntlm);
        let sealing = ntlm & NEGOTIATE_SEAL != 0;
        match self.role {
            Role::Initiator => {
                let mut ret = req & ISC_REQ_CONNECTION;
                if signing {
                    ret |=
                        req & (ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT);
                }
                if sealing {
                    ret |= req & ISC_REQ_CONFIDENTIALITY;
                }
                if anonymous {
                    ret |= ISC_RET_NULL_SESSION;
                }
                ret
            }
            Role::Acceptor => {
                let mut ret = req & ASC_REQ_CONNECTION;
                if signing {
                    ret |= ASC_RET_INTEGRITY | ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT;
                }
                if sealing {
                    ret |= ASC_RET_CONFIDENTIALITY;
                }
                if anonymous {
                    ret |= ASC_RET_NULL_SESSION;
                }
                ret
            }
        }
    }

    /// ExportSecurityContext: an established context as bytes.
    pub fn export(&self) -> SecResult<Zeroizing<Vec<u8>>> {
        let est = self.established()?;
        let inner = est.export().map_err(status_of)?;
        let target = self.target.as_deref().unwrap_or_default().as_bytes();
        let target_len = u32::try_from(target.len()).map_err(|_| SEC_E_INTERNAL_ERROR)?;
        let mut out = Zeroizing::new(Vec::with_capacity(17 + target.len() + inner.len()));
        out.push(u8::from(self.role == Role::Acceptor));
        out.extend_from_slice(&self.req_flags.to_le_bytes());
        out.extend_from_slice(&self.established_at.to_le_bytes());
        out.extend_from_slice(&target_len.to_le_bytes());
        out.extend_from_slice(target);
        out.extend_from_slice(&inner);
        Ok(out)
    }

    /// ImportSecurityContext: a context from `export`'s bytes.
    /// SEC_E_INVALID_TOKEN for anything else.
    pub fn import(data: &[u8]) -> SecResult<Self> {
        let bad = SEC_E_INVALID_TOKEN;
        let (&role, rest) = data.split_first().ok_or(bad)?;
        let (req, rest) = rest.split_first_chunk::<4>().ok_or(bad)?;
        let (at, rest) = rest.split_first_chunk::<8>().ok_or(bad)?;
        let (target_len, rest) = rest.split_first_chunk::<4>().ok_or(bad)?;
        let target_len = u32::from_le_bytes(*target_len) as usize;
        if target_len > rest.len() {
            return Err(bad.into());
        }
        let (target, inner) = rest.split_at(target_len);
        let target = std::str::from_utf8(target).map_err(|_| bad)?;
        let role = match role {
            0 => Role::Initiator,
            1 => Role::Acceptor,
            _ => return Err(bad.into()),
        };
        let est = Established::import(inner).map_err(|_| bad)?;
        if est.is_client() != (role == Role::Initiator) {
            return Err(bad.into());
        }
        Ok(NtlmContext {
            role,
            phase: Phase::Done(Box::new(est)),
            req_flags: u32::from_le_bytes(*req),
            target: (!target.is_empty()).then(|| target.to_owned()),
            established_at: i64::from_le_bytes(*at),
        })
    }
}
