//! A CredSSP context (MS-CSSP section 3.1.5): a TLS channel from the
//! Schannel package, then TSRequests inside it carrying a Negotiate
//! exchange, the public-key binding and, last, the delegated credentials.
//!
//! Both sides follow the initiator's lead, as Windows and pyspnego do:
//! - The initiator sends its first TSRequest with the end of its TLS
//!   handshake (TLS 1.3: after its Finished, in the same token).
//! - The initiator sends pubKeyAuth (with clientNonce from version 5) in
//!   the TSRequest that carries the token after which its mechanism can
//!   protect messages (NTLM's AUTHENTICATE; Kerberos' AP-REQ without
//!   mutual authentication, or nothing after the AP-REP).
//! - The acceptor checks pubKeyAuth whenever a TSRequest carries it, and
//!   answers with its own (with the last Negotiate token, if any).
//! - The initiator checks that answer, sends authInfo and is complete
//!   (SEC_E_OK with a token to send); the acceptor is complete on
//!   authInfo (SEC_E_OK, no token).
//!
//! A TSRequest may span records and calls. A call whose records do not
//! finish a TSRequest returns SEC_I_CONTINUE_NEEDED with whatever this
//! side has to send (possibly nothing), and bytes of a cut record as
//! SECBUFFER_EXTRA; a first record that is cut is SEC_E_INCOMPLETE_MESSAGE.

use ring::digest;
use zeroize::Zeroizing;

use crate::env::Env;
use crate::package::*;
use crate::packages::negotiate::{NegotiateContext, NEGOTIATE};
use crate::packages::schannel::SchannelContext;
use crate::vocabulary::*;

use super::credentials::CredsspCredentials;
use super::messages::{PasswordCreds, TsRequest, VERSION};
use super::status;

/// Where the exchange stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The TLS handshake.
    Tls,
    /// Negotiate tokens in TSRequests.
    Auth,
    /// Initiator: pubKeyAuth sent, waiting for the acceptor's. Acceptor:
    /// pubKeyAuth answered, waiting for authInfo.
    Binding,
    Established,
    Failed,
}

/// A step waiting for the Negotiate initiator's network exchange (a KDC
/// request): what this call has to send so far, the input bytes it leaves,
/// and the token the mechanism is given again on resuming.
struct Suspended {
    output: Vec<u8>,
    extra: usize,
    token: Vec<u8>,
}

/// Windows' "Encryption Oracle Remediation" policy (registry value
/// AllowEncryptionOracle), from OPENSSPI_CREDSSP_ALLOW_ENCRYPTION_ORACLE:
/// 0 Force Updated Clients, 1 Mitigated (the default), 2 Vulnerable. It
/// says whether a side talks to a peer older than version 5, the first with
/// CVE-2018-0886's hash binding.
pub fn accepts_old_peer(role: Role, env: &dyn Env) -> bool {
    let policy = env
        .var("OPENSSPI_CREDSSP_ALLOW_ENCRYPTION_ORACLE")
        .and_then(|v| v.to_str()?.trim().parse::<u32>().ok())
        .unwrap_or(1);
    match role {
        // Mitigated: a client does not fall back to an unpatched server.
        Role::Initiator => policy >= 2,
        // Mitigated: a server still accepts unpatched clients.
        Role::Acceptor => policy >= 1,
    }
}

/// The MS-CSSP 3.1.5 binding magic strings, with their NUL.
const CLIENT_MAGIC: &[u8] = b"CredSSP Client-To-Server Binding Hash\0";
const SERVER_MAGIC: &[u8] = b"CredSSP Server-To-Client Binding Hash\0";

/// A CredSSP context.
pub struct CredsspContext {
    role: Role,
    phase: Phase,
    tls: SchannelContext,
    inner: Option<NegotiateContext>,
    /// The Negotiate exchange returned SEC_E_OK.
    inner_done: bool,
    /// The ISC_RET_/ASC_RET_ flags Negotiate reported last.
    inner_flags: u32,
    /// The initiator delegated real credentials (not the empty set).
    delegated_real: bool,
    target: Option<String>,
    req_flags: u32,
    /// The version in use: ours until the peer's is known, then the
    /// smaller of the two.
    version: u32,
    nonce: Option<[u8; 32]>,
    /// The SubjectPublicKey of the server's TLS certificate.
    public_key: Vec<u8>,
    /// Plaintext of a TSRequest gathered across records and calls.
    pending: Zeroizing<Vec<u8>>,
    suspended: Option<Suspended>,
    /// The acceptor's delegated credentials, wiped when the context goes.
    delegated: Option<PasswordCreds>,
    /// The fuzz target's plaintext, sent instead of this side's next
    /// TSRequest.
    #[cfg(feature = "fuzzing")]
    pub replace_next: Option<Vec<u8>>,
    /// How many TSRequests this side has sent (the fuzz target's count).
    #[cfg(feature = "fuzzing")]
    pub sent: usize,
}

/// The Schannel flags CredSSP's channel runs with. The client never checks
/// the certificate itself (MS-CSSP 3.1.5: it may be self-signed; the
/// binding authenticates it) and never sends one.
fn tls_flags(role: Role) -> u32 {
    match role {
        Role::Initiator => {
            ISC_REQ_MANUAL_CRED_VALIDATION
                | ISC_REQ_USE_SUPPLIED_CREDS
                | ISC_REQ_CONFIDENTIALITY
                | ISC_REQ_STREAM
        }
        Role::Acceptor => ASC_REQ_CONFIDENTIALITY | ASC_REQ_STREAM,
    }
}

/// The largest TSRequest taken: a whole CredSSP token (cbMaxToken).
const MAX_REQUEST: usize = super::INFO.max_token as usize;

/// The host of an SPN without its port ("TERMSRV/host:3389" gives
/// "host"), for TLS' SNI.
pub fn host_of(target: &str) -> &str {
    let host = target_host(target);
    match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => host,
    }
}

/// The Negotiate input for one step: the SPN, and the flags CredSSP
/// needs from the mechanism (sealing, and the server authenticated).
fn inner_input<'a>(
    role: Role,
    target: Option<&'a str>,
    input: &StepInput<'a>,
    buffers: &'a [InBuf<'a>],
) -> StepInput<'a> {
    StepInput {
        target,
        req_flags: match role {
            Role::Initiator => {
                ISC_REQ_MUTUAL_AUTH
                    | ISC_REQ_INTEGRITY
                    | ISC_REQ_CONFIDENTIALITY
                    | ISC_REQ_REPLAY_DETECT
                    | ISC_REQ_SEQUENCE_DETECT
            }
            Role::Acceptor => {
                ASC_REQ_INTEGRITY
                    | ASC_REQ_CONFIDENTIALITY
                    | ASC_REQ_REPLAY_DETECT
                    | ASC_REQ_SEQUENCE_DETECT
            }
        },
        data_rep: input.data_rep,
        inputs: buffers,
        env: input.env,
    }
}

/// MS-CSSP 3.1.5's binding value for the side that sends it: from version
/// 5 (with a nonce), SHA-256 over the magic string, the client's nonce and
/// the server's SubjectPublicKey; before, the key itself, with its first
/// byte plus one from the server.
pub fn binding(sender: Role, nonce: Option<&[u8]>, public_key: &[u8]) -> Vec<u8> {
    match nonce {
        Some(nonce) => {
            let magic = match sender {
                Role::Initiator => CLIENT_MAGIC,
                Role::Acceptor => SERVER_MAGIC,
            };
            let mut h = digest::Context::new(&digest::SHA256);
            h.update(magic);
            h.update(nonce);
            h.update(public_key);
            h.finish().as_ref().to_vec()
        }
        None => {
            let mut key = public_key.to_vec();
            if let (Role::Acceptor, Some(first)) = (sender, key.first_mut()) {
                *first = first.wrapping_add(1);
            }
            key
        }
    }
}

/// Whether `plain` holds a whole TSRequest, or more than one may be
/// (which `receive` refuses).
fn whole_request(plain: &[u8]) -> bool {
    plain.len() > MAX_REQUEST || TsRequest::element_len(plain).is_some_and(|n| plain.len() >= n)
}

impl CredsspContext {
    /// The first InitializeSecurityContext call: the ClientHello.
    pub fn initialize(
        cred: &CredsspCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(Self, Progress)> {
        if !cred.usage.outbound() {
            return Err(SEC_E_NO_CREDENTIALS.into());
        }
        let target = input.target.filter(|t| !t.is_empty());
        let tls_input = StepInput {
            target: target.map(host_of),
            req_flags: tls_flags(Role::Initiator),
            ..*input
        };
        let (tls, progress) = SchannelContext::initialize(&cred.schannel, &tls_input)?;
        let mut ctx = Self::new(Role::Initiator, tls, input);
        ctx.target = target.map(str::to_string);
        let out = ctx.with_flags(progress.done()?);
        Ok((ctx, Progress::Done(out)))
    }

    /// The first AcceptSecurityContext call: the ClientHello.
    pub fn accept(cred: &CredsspCredentials, input: &StepInput<'_>) -> SecResult<(Self, Progress)> {
        if !cred.usage.inbound() {
            return Err(SEC_E_NO_CREDENTIALS.into());
        }
        let tls_input = StepInput {
            req_flags: tls_flags(Role::Acceptor),
            ..*input
        };
        let (tls, progress) = SchannelContext::accept(&cred.schannel, &tls_input)?;
        let ctx = Self::new(Role::Acceptor, tls, input);
        let out = ctx.with_flags(progress.done()?);
        Ok((ctx, Progress::Done(out)))
    }

    fn new(role: Role, tls: SchannelContext, input: &StepInput<'_>) -> Self {
        CredsspContext {
            role,
            phase: Phase::Tls,
            tls,
            inner: None,
            inner_done: false,
            inner_flags: 0,
            delegated_real: false,
            target: None,
            req_flags: input.req_flags,
            version: VERSION,
            nonce: None,
            public_key: Vec::new(),
            pending: Zeroizing::new(Vec::new()),
            suspended: None,
            delegated: None,
            #[cfg(feature = "fuzzing")]
            replace_next: None,
            #[cfg(feature = "fuzzing")]
            sent: 0,
        }
    }

    /// Which side this is.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The TLS channel, for the stream calls and attributes.
    pub fn tls(&self) -> &SchannelContext {
        &self.tls
    }

    /// The TLS channel, mutably, once the exchange is over.
    pub fn tls_mut(&mut self) -> SecResult<&mut SchannelContext> {
        match self.phase {
            Phase::Established => Ok(&mut self.tls),
            _ => Err(SEC_E_INVALID_HANDLE.into()),
        }
    }

    /// The Negotiate context inside, once there is one.
    pub fn inner(&self) -> Option<&NegotiateContext> {
        self.inner.as_ref()
    }

    /// The credentials the initiator delegated, once the acceptor has them.
    pub fn delegated(&self) -> Option<&PasswordCreds> {
        self.delegated.as_ref()
    }

    /// Whether the exchange is over.
    pub fn established(&self) -> bool {
        self.phase == Phase::Established
    }

    /// ISC_RET_*/ASC_RET_* of a stream context: DELEGATE once real
    /// credentials were delegated (or, on the server, when asked), and
    /// MUTUAL_AUTH when the mechanism inside authenticated the server.
    fn ret_flags(&self) -> u32 {
        match self.role {
            Role::Initiator => {
                let mut flags = ISC_RET_REPLAY_DETECT
                    | ISC_RET_SEQUENCE_DETECT
                    | ISC_RET_CONFIDENTIALITY
                    | ISC_RET_STREAM
                    | self.req_flags & ISC_REQ_EXTENDED_ERROR
                    | self.inner_flags & ISC_RET_MUTUAL_AUTH;
                if self.delegated_real {
                    flags |= ISC_RET_DELEGATE;
                }
                flags
            }
            Role::Acceptor => {
                ASC_RET_REPLAY_DETECT
                    | ASC_RET_SEQUENCE_DETECT
                    | ASC_RET_CONFIDENTIALITY
                    | ASC_RET_STREAM
                    | self.req_flags & (ASC_REQ_DELEGATE | ASC_REQ_EXTENDED_ERROR)
            }
        }
    }

    fn with_flags(&self, mut out: StepOutput) -> StepOutput {
        out.ret_flags = self.ret_flags();
        out
    }

    fn output(&self, status: Status, token: Vec<u8>, extra: usize) -> Progress {
        Progress::Done(StepOutput {
            status,
            token,
            ret_flags: self.ret_flags(),
            expiry: NEVER_EXPIRES,
            extra,
            ..Default::default()
        })
    }

    /// A later Initialize/AcceptSecurityContext call.
    pub fn step(
        &mut self,
        cred: Option<&CredsspCredentials>,
        input: &StepInput<'_>,
    ) -> SecResult<Progress> {
        if self.phase == Phase::Established {
            // A renegotiation's or a shutdown's records: the channel's.
            let out = self.tls.step(input)?.done()?;
            return Ok(Progress::Done(self.with_flags(out)));
        }
        let cred = cred.ok_or(SEC_E_INVALID_HANDLE)?;
        if self.phase == Phase::Failed || self.suspended.is_some() {
            return Err(SEC_E_INVALID_HANDLE.into());
        }
        self.req_flags = input.req_flags;
        let result = self.advance(cred, input);
        self.fail_on(result)
    }

    /// A failure (other than incomplete input) ends the context.
    fn fail_on(&mut self, result: SecResult<Progress>) -> SecResult<Progress> {
        if matches!(&result, Err(e) if !matches!(e, Error::Incomplete { .. })) {
            self.phase = Phase::Failed;
        }
        result
    }

    fn advance(&mut self, cred: &CredsspCredentials, input: &StepInput<'_>) -> SecResult<Progress> {
        let token = input.token().unwrap_or_default();
        if self.phase != Phase::Tls {
            let mut data = token.to_vec();
            return self.receive(cred, input, &mut data, Vec::new(), false);
        }
        let tls_input = StepInput {
            req_flags: tls_flags(self.role),
            ..*input
        };
        let out = self.tls.step(&tls_input)?.done()?;
        if out.status != SEC_E_OK {
            return Ok(Progress::Done(self.with_flags(out)));
        }
        // The channel is up: the server's public key is what the binding
        // covers.
        self.phase = Phase::Auth;
        let negotiated = self.tls.negotiated().ok_or(SEC_E_INTERNAL_ERROR)?;
        let certificate = match self.role {
            Role::Initiator => negotiated.peer_certificates.first(),
            Role::Acceptor => negotiated.local_certificate.as_ref(),
        };
        self.public_key = certificate
            .and_then(|c| crate::packages::schannel::subject_public_key(c))
            .ok_or(SEC_E_INTERNAL_ERROR)?;
        let mut rest = token[token.len() - out.extra..].to_vec();
        match self.role {
            Role::Initiator => self.start(cred, input, out.token, out.extra),
            Role::Acceptor if rest.is_empty() => {
                Ok(self.output(SEC_I_CONTINUE_NEEDED, out.token, 0))
            }
            // The first TSRequest came with the client's Finished (TLS 1.3).
            Role::Acceptor => self.receive(cred, input, &mut rest, out.token, true),
        }
    }

    /// One Negotiate step on `token` (the first creates the context), or,
    /// with `reply`, the resumption of the step that asked for it.
    fn step_inner(
        &mut self,
        cred: &CredsspCredentials,
        input: &StepInput<'_>,
        token: &[u8],
        reply: Option<Reply>,
    ) -> SecResult<Progress> {
        let buffers = [InBuf {
            kind: SECBUFFER_TOKEN,
            data: token,
        }];
        let buffers = if token.is_empty() {
            &buffers[..0]
        } else {
            &buffers[..]
        };
        let inner_input = inner_input(self.role, self.target.as_deref(), input, buffers);
        let negotiate = &cred.negotiate;
        match (self.inner.as_mut(), self.role, reply) {
            (Some(inner), _, Some(reply)) => {
                Package::resume(&NEGOTIATE, Some(negotiate), inner, &inner_input, reply)
            }
            (Some(inner), _, None) => {
                Package::step(&NEGOTIATE, Some(negotiate), inner, &inner_input)
            }
            (None, _, Some(_)) => Err(SEC_E_INTERNAL_ERROR.into()),
            (None, Role::Initiator, None) => {
                let (inner, p) = Package::initialize(&NEGOTIATE, negotiate, &inner_input)?;
                self.inner = Some(inner);
                Ok(p)
            }
            (None, Role::Acceptor, None) => {
                let (inner, p) = Package::accept(&NEGOTIATE, negotiate, &inner_input)?;
                self.inner = Some(inner);
                Ok(p)
            }
        }
    }

    /// A finished Negotiate step: remembers whether it completed and the
    /// flags it reports.
    fn inner_finished(&mut self, out: &StepOutput) {
        self.inner_done = out.status == SEC_E_OK;
        self.inner_flags = out.ret_flags;
    }

    /// The initiator's first TSRequest, after its side of the handshake.
    fn start(
        &mut self,
        cred: &CredsspCredentials,
        input: &StepInput<'_>,
        output: Vec<u8>,
        extra: usize,
    ) -> SecResult<Progress> {
        self.suspended = Some(Suspended {
            output,
            extra,
            token: Vec::new(),
        });
        let progress = self.step_inner(cred, input, &[], None)?;
        self.after_inner(input, progress)
    }

    /// Resumes the initiator's Negotiate step with its exchange's reply.
    pub fn resume(
        &mut self,
        cred: Option<&CredsspCredentials>,
        input: &StepInput<'_>,
        reply: Reply,
    ) -> SecResult<Progress> {
        let cred = cred.ok_or(SEC_E_INVALID_HANDLE)?;
        let token = match &self.suspended {
            Some(s) => s.token.clone(),
            None => return Err(SEC_E_INTERNAL_ERROR.into()),
        };
        let result = self
            .step_inner(cred, input, &token, Some(reply))
            .and_then(|p| self.after_inner(input, p));
        self.fail_on(result)
    }

    /// Seals `request` for the peer after `output`.
    fn send(&mut self, request: &TsRequest, output: &mut Vec<u8>) -> SecResult<()> {
        #[allow(unused_mut)]
        let mut plain = request.encode()?;
        #[cfg(feature = "fuzzing")]
        {
            if let Some(replacement) = self.replace_next.take() {
                plain = replacement;
            }
            self.sent += 1;
        }
        output.extend(self.tls.seal_stream(&plain)?);
        Ok(())
    }

    /// Decrypts the records in `data` and acts on the TSRequest they
    /// finish, after `output` (this call's bytes for the peer so far);
    /// `consumed` when this call has used input before `data` already (the
    /// end of the TLS handshake), so that it cannot be
    /// SEC_E_INCOMPLETE_MESSAGE any more.
    fn receive(
        &mut self,
        cred: &CredsspCredentials,
        input: &StepInput<'_>,
        data: &mut [u8],
        mut output: Vec<u8>,
        consumed: bool,
    ) -> SecResult<Progress> {
        let mut plain = std::mem::take(&mut self.pending);
        let (used, missing) = self
            .tls
            .open_stream(data, &mut plain, &mut output, whole_request)?;
        let extra = data.len() - used;
        if !whole_request(&plain) {
            self.pending = plain;
            // Nothing used: the caller gives these bytes again with more.
            if used == 0 && output.is_empty() && !consumed {
                return Err(Error::Incomplete { missing });
            }
            return Ok(self.output(SEC_I_CONTINUE_NEEDED, output, extra));
        }
        // A TSRequest travels alone (MS-CSSP 3.1.5's note <8>), and within
        // cbMaxToken.
        let len = TsRequest::element_len(&plain).ok_or(SEC_E_INVALID_TOKEN)?;
        if plain.len() != len || len > MAX_REQUEST {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        let request = TsRequest::decode(&plain)?;
        drop(plain);
        // The peer failed, and says why (MS-CSSP 2.2.1's errorCode).
        if let Some(code) = request.error_code {
            return Err(status::from_ntstatus(code).into());
        }
        match self.role {
            Role::Initiator => self.client_receive(cred, input, request, output, extra),
            Role::Acceptor => self.server_receive(cred, input, request, output, extra),
        }
    }

    /// The smaller of the peer's version and ours, if policy allows it.
    fn agree_version(&mut self, peer: u32, env: &dyn Env) -> SecResult<()> {
        let version = peer.min(VERSION);
        if version < 2 {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        if version < 5 && !accepts_old_peer(self.role, env) {
            return Err(SEC_E_UNSUPPORTED_FUNCTION.into());
        }
        self.version = version;
        Ok(())
    }

    fn client_receive(
        &mut self,
        cred: &CredsspCredentials,
        input: &StepInput<'_>,
        request: TsRequest,
        mut output: Vec<u8>,
        extra: usize,
    ) -> SecResult<Progress> {
        self.agree_version(request.version, input.env)?;
        if self.phase == Phase::Auth {
            let token = request.nego_token.ok_or(SEC_E_INVALID_TOKEN)?;
            self.suspended = Some(Suspended {
                output,
                extra,
                token: token.clone(),
            });
            let progress = self.step_inner(cred, input, &token, None)?;
            return self.after_inner(input, progress);
        }
        // The acceptor's pubKeyAuth, maybe with Negotiate's last token (an
        // SPNEGO accept-completed, with its mechListMIC).
        let answer = request.pub_key_auth.ok_or(SEC_E_INVALID_TOKEN)?;
        if let Some(token) = request.nego_token.filter(|t| !t.is_empty()) {
            let out = self.step_inner(cred, input, &token, None)?.done()?;
            self.inner_finished(&out);
        }
        if !self.inner_done {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        let echoed = self.unwrap(&answer)?;
        if *echoed != self.binding(Role::Acceptor) {
            return Err(status::BINDING_MISMATCH.into());
        }
        // Asked to authenticate the server: only the mechanism inside can
        // have (the certificate is not checked).
        if self.req_flags & ISC_REQ_MUTUAL_AUTH != 0 && self.inner_flags & ISC_RET_MUTUAL_AUTH == 0
        {
            return Err(SEC_E_MUTUAL_AUTH_FAILED.into());
        }
        // Without ISC_REQ_DELEGATE, an empty set of credentials is
        // delegated (Microsoft's InitializeSecurityContext (CredSSP)).
        let creds = match (&cred.delegate, self.req_flags & ISC_REQ_DELEGATE != 0) {
            (Some(c), true) => {
                self.delegated_real = true;
                c.clone()
            }
            _ => PasswordCreds::default(),
        };
        let mut last = TsRequest::new(VERSION);
        last.auth_info = Some(self.wrap(&creds.encode()?, input.env)?);
        self.send(&last, &mut output)?;
        self.phase = Phase::Established;
        Ok(self.output(SEC_E_OK, output, extra))
    }

    /// The initiator's TSRequest after a Negotiate step: its token, and
    /// pubKeyAuth once the mechanism can protect messages.
    fn after_inner(&mut self, input: &StepInput<'_>, progress: Progress) -> SecResult<Progress> {
        let out = match progress {
            Progress::Exchange(x) => return Ok(Progress::Exchange(x)),
            Progress::Done(out) => out,
        };
        let Suspended {
            mut output, extra, ..
        } = self.suspended.take().ok_or(SEC_E_INTERNAL_ERROR)?;
        self.inner_finished(&out);
        let mut request = TsRequest::new(VERSION);
        if !out.token.is_empty() {
            request.nego_token = Some(out.token);
        }
        if self.inner_done || self.can_protect() {
            if self.version >= 5 {
                let mut nonce = [0u8; 32];
                input
                    .env
                    .random(&mut nonce)
                    .map_err(|_| SEC_E_INTERNAL_ERROR)?;
                self.nonce = Some(nonce);
                request.client_nonce = Some(nonce);
            }
            request.pub_key_auth = Some(self.wrap(&self.binding(Role::Initiator), input.env)?);
            self.phase = Phase::Binding;
        } else if request.nego_token.is_none() {
            return Err(SEC_E_INTERNAL_ERROR.into());
        }
        self.send(&request, &mut output)?;
        Ok(self.output(SEC_I_CONTINUE_NEEDED, output, extra))
    }

    fn server_receive(
        &mut self,
        cred: &CredsspCredentials,
        input: &StepInput<'_>,
        request: TsRequest,
        mut output: Vec<u8>,
        extra: usize,
    ) -> SecResult<Progress> {
        if let Err(e) = self.agree_version(request.version, input.env) {
            let version = request.version.min(VERSION);
            return Err(self.refuse(e, version, output));
        }
        if self.phase == Phase::Binding {
            let sealed = request.auth_info.ok_or(SEC_E_INVALID_TOKEN)?;
            let plain = self.unwrap(&sealed)?;
            self.delegated = Some(PasswordCreds::decode(&plain)?);
            self.phase = Phase::Established;
            return Ok(self.output(SEC_E_OK, output, extra));
        }
        let mut answer = TsRequest::new(VERSION);
        if let Some(token) = &request.nego_token {
            let out = match self
                .step_inner(cred, input, token, None)
                .and_then(Progress::done)
            {
                Ok(out) => out,
                Err(e) => return Err(self.refuse(e, self.version, output)),
            };
            self.inner_finished(&out);
            // A bare accept-completed the initiator does not need goes with
            // pubKeyAuth only when it carries something.
            let optional = out.token_optional && request.pub_key_auth.is_some();
            answer.nego_token = Some(out.token).filter(|t| !t.is_empty() && !optional);
        }
        match request.pub_key_auth {
            Some(sealed) => {
                // The acceptor checks the binding once Negotiate is over
                // (its mechListMIC checked).
                if !self.inner_done {
                    return Err(SEC_E_INVALID_TOKEN.into());
                }
                self.nonce = match (self.version >= 5, request.client_nonce) {
                    (true, Some(n)) => Some(n),
                    (true, None) => return Err(SEC_E_INVALID_TOKEN.into()),
                    (false, _) => None,
                };
                let matches = self
                    .unwrap(&sealed)
                    .is_ok_and(|echoed| *echoed == self.binding(Role::Initiator));
                if !matches {
                    // Windows ends the channel with a fatal internal_error
                    // alert, and no errorCode.
                    let alert = self.tls.fatal_alert(TLS1_ALERT_INTERNAL_ERROR as u8)?;
                    return Err(Error::Reject {
                        status: status::BINDING_MISMATCH,
                        token: alert,
                    });
                }
                answer.pub_key_auth = Some(self.wrap(&self.binding(Role::Acceptor), input.env)?);
                self.phase = Phase::Binding;
            }
            None if request.nego_token.is_none() => return Err(SEC_E_INVALID_TOKEN.into()),
            // The initiator waits for an answer, even an empty one.
            None => {
                answer.nego_token.get_or_insert_with(Vec::new);
            }
        }
        self.send(&answer, &mut output)?;
        Ok(self.output(SEC_I_CONTINUE_NEEDED, output, extra))
    }

    /// The acceptor's failure: from version 3 on (but not 5), the
    /// initiator is told with errorCode (MS-CSSP 2.2.1), in a token the ABI
    /// delivers before returning the status. A token the mechanism made
    /// (an SPNEGO reject) never goes out: it is not a TSRequest.
    fn refuse(&mut self, e: Error, version: u32, mut output: Vec<u8>) -> Error {
        self.phase = Phase::Failed;
        let status = e.status();
        if matches!(version, 3 | 4) || version >= 6 {
            let mut report = TsRequest::new(VERSION);
            report.error_code = Some(status::to_ntstatus(status));
            if self.send(&report, &mut output).is_err() {
                return status.into();
            }
        }
        if output.is_empty() {
            return status.into();
        }
        Error::Reject {
            status,
            token: output,
        }
    }

    /// This side's binding value, for the side that sends it.
    fn binding(&self, sender: Role) -> Vec<u8> {
        binding(
            sender,
            self.nonce.as_ref().map(|n| &n[..]),
            &self.public_key,
        )
    }

    /// Whether the mechanism inside can protect messages already (NTLM
    /// after its AUTHENTICATE, while SPNEGO still waits for the acceptor's
    /// mechListMIC): it has a session key.
    fn can_protect(&mut self) -> bool {
        let Some(inner) = self.inner.as_mut() else {
            return false;
        };
        match inner.inner_mut() {
            Some((mech, ctx)) => mech
                .package
                .query_context(ctx, SECPKG_ATTR_SESSION_KEY)
                .is_ok(),
            None => false,
        }
    }

    /// GSS_WrapEx through the mechanism: EncryptMessage over [TOKEN, DATA,
    /// PADDING], the three concatenated (NTLM's signature then the sealed
    /// data; Kerberos' whole Wrap token).
    fn wrap(&mut self, data: &[u8], env: &dyn Env) -> SecResult<Vec<u8>> {
        let inner = self.inner.as_mut().ok_or(SEC_E_INTERNAL_ERROR)?;
        let (mech, ctx) = inner.inner_mut().ok_or(SEC_E_INTERNAL_ERROR)?;
        let (trailer, block) = match mech.package.query_context(ctx, SECPKG_ATTR_SIZES)? {
            ContextAttribute::Sizes {
                security_trailer,
                block_size,
                ..
            } => (security_trailer as usize, block_size as usize),
            _ => return Err(SEC_E_INTERNAL_ERROR.into()),
        };
        let mut token = vec![0u8; trailer];
        let mut body = Zeroizing::new(data.to_vec());
        let mut padding = vec![0u8; block];
        let mut msg = [
            SecBuf::writable(SECBUFFER_TOKEN, &mut token),
            SecBuf::writable(SECBUFFER_DATA, &mut body),
            SecBuf::writable(SECBUFFER_PADDING, &mut padding),
        ];
        let n = if block == 0 { 2 } else { 3 };
        mech.package.encrypt(ctx, 0, &mut msg[..n], 0, env)?;
        let (token_len, padding_len) = (msg[0].len(), if n == 3 { msg[2].len() } else { 0 });
        let mut out = token[..token_len].to_vec();
        out.extend_from_slice(&body);
        out.extend_from_slice(&padding[..padding_len]);
        Ok(out)
    }

    /// GSS_UnwrapEx through the mechanism: DecryptMessage over [STREAM,
    /// DATA]. A message that does not verify: the mechanism's status
    /// (SEC_E_MESSAGE_ALTERED).
    fn unwrap(&mut self, wrapped: &[u8]) -> SecResult<Zeroizing<Vec<u8>>> {
        let inner = self.inner.as_mut().ok_or(SEC_E_INTERNAL_ERROR)?;
        let (mech, ctx) = inner.inner_mut().ok_or(SEC_E_INTERNAL_ERROR)?;
        let mut stream = Zeroizing::new(wrapped.to_vec());
        let mut empty = [0u8; 0];
        let mut msg = [
            SecBuf::writable(SECBUFFER_STREAM, &mut stream),
            SecBuf::writable(SECBUFFER_DATA, &mut empty),
        ];
        mech.package.decrypt(ctx, &mut msg, 0)?;
        let (_, at, len) = msg[1].window().ok_or(SEC_E_INTERNAL_ERROR)?;
        let plain = stream.get(at..at + len).ok_or(SEC_E_INTERNAL_ERROR)?;
        Ok(Zeroizing::new(plain.to_vec()))
    }
}
