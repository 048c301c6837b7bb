//! A Schannel context: its handshake, then the established connection's
//! records in the caller's stream buffers, post-handshake messages
//! (SEC_I_RENEGOTIATE), and the control tokens that close it.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use rustls::client::{ClientConnectionData, UnbufferedClientConnection};
use rustls::crypto::hash::HashAlgorithm;
use rustls::kernel::KernelConnection;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::server::{ServerConnectionData, UnbufferedServerConnection};
use rustls::{NamedGroup, ProtocolVersion, SupportedCipherSuite};

use crate::package::*;
use crate::vocabulary::*;

use super::credentials::SchannelCredentials;
use super::handshake::{Conn, Handshake};
use super::records::{self, frame, Framing, RecordLayer, Version};
use super::unique::MasterSecret;
use super::verify::was_asked;

/// What rustls keeps after the handshake, for TLS 1.3's post-handshake
/// messages (new keys, tickets).
pub enum Kernel {
    Client(KernelConnection<ClientConnectionData>),
    Server(KernelConnection<ServerConnectionData>),
}

impl Kernel {
    fn update_rx(&mut self) -> Result<(u64, rustls::ConnectionTrafficSecrets), rustls::Error> {
        match self {
            Kernel::Client(k) => k.update_rx_secret(),
            Kernel::Server(k) => k.update_rx_secret(),
        }
    }
    fn update_tx(&mut self) -> Result<(u64, rustls::ConnectionTrafficSecrets), rustls::Error> {
        match self {
            Kernel::Client(k) => k.update_tx_secret(),
            Kernel::Server(k) => k.update_tx_secret(),
        }
    }
}

/// What the handshake settled, for the context attributes.
pub struct Negotiated {
    pub version: ProtocolVersion,
    pub suite: SupportedCipherSuite,
    pub group: Option<NamedGroup>,
    /// The peer's chain, leaf first.
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// This side's certificate, if it sent one.
    pub local_certificate: Option<CertificateDer<'static>>,
    pub alpn: Option<Vec<u8>>,
    /// The first Finished's verify_data (TLS 1.2 only).
    pub tls_unique: Option<[u8; 12]>,
}

/// An established connection.
pub struct Established {
    records: RecordLayer,
    kernel: Kernel,
    /// A post-handshake handshake message cut across records.
    partial: Vec<u8>,
}

enum State {
    Handshaking(Box<Handshake>),
    Established(Box<Established>),
    Failed,
}

/// A control token given with ApplyControlToken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Control {
    /// SCHANNEL_SHUTDOWN: a close_notify.
    Shutdown,
    /// SCHANNEL_ALERT: (level, description).
    Alert(u8, u8),
}

/// A Schannel context.
pub struct SchannelContext {
    role: Role,
    state: State,
    negotiated: Option<Negotiated>,
    req_flags: u32,
    /// The client had no certificate for a server that asked, and said so
    /// with SEC_I_INCOMPLETE_CREDENTIALS: the step's output, and how many
    /// input bytes it used (the caller gives them again).
    held: Option<(Vec<u8>, usize)>,
    control: Option<Control>,
    /// SEC_I_RENEGOTIATE was returned: message calls fail until the
    /// caller hands the rest back through Initialize/AcceptSecurityContext.
    renegotiating: bool,
    /// Records for the peer that the next Initialize/AcceptSecurityContext
    /// call hands out (a KeyUpdate answer, a refusal to renegotiate).
    to_send: Vec<u8>,
    peer_closed: bool,
    closed: bool,
    /// This side's certificate: a server's, or a client's it may send.
    local: Option<CertificateDer<'static>>,
}

/// ISC_RET_* Windows reports for a stream context.
const ISC_BASE: u32 =
    ISC_RET_REPLAY_DETECT | ISC_RET_SEQUENCE_DETECT | ISC_RET_CONFIDENTIALITY | ISC_RET_STREAM;
const ASC_BASE: u32 =
    ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT | ASC_RET_CONFIDENTIALITY | ASC_RET_STREAM;

/// The ALPN ids of a SECBUFFER_APPLICATION_PROTOCOLS input
/// (SEC_APPLICATION_PROTOCOLS): the ALPN list's ids, in order. Malformed:
/// SEC_E_INVALID_TOKEN.
pub fn alpn_ids(buffer: &[u8]) -> SecResult<Vec<Vec<u8>>> {
    let bad = || Error::from(SEC_E_INVALID_TOKEN);
    let size = buffer.get(..4).ok_or_else(bad)?;
    let size = u32::from_ne_bytes(size.try_into().map_err(|_| bad())?) as usize;
    let mut lists = buffer.get(4..4 + size).ok_or_else(bad)?;
    let mut ids = Vec::new();
    while !lists.is_empty() {
        let ext = u32::from_ne_bytes(
            lists
                .get(..4)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?,
        );
        let len = usize::from(u16::from_ne_bytes(
            lists
                .get(4..6)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?,
        ));
        let mut list = lists.get(6..6 + len).ok_or_else(bad)?;
        lists = &lists[6 + len..];
        if ext != SecApplicationProtocolNegotiationExt_ALPN {
            continue;
        }
        while let Some((&n, rest)) = list.split_first() {
            let id = rest.get(..usize::from(n)).ok_or_else(bad)?;
            if id.is_empty() {
                return Err(bad());
            }
            ids.push(id.to_vec());
            list = &rest[usize::from(n)..];
        }
    }
    Ok(ids)
}

impl SchannelContext {
    /// The first InitializeSecurityContext call.
    pub fn initialize(
        cred: &SchannelCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(Self, Progress)> {
        let alpn = match input.find(SECBUFFER_APPLICATION_PROTOCOLS) {
            Some(b) => alpn_ids(b)?,
            None => Vec::new(),
        };
        let target = input.target.filter(|t| !t.is_empty());
        // No target: no SNI and no name check (an IP address sends no SNI).
        let name = match target.map(|t| ServerName::try_from(t.to_string())) {
            Some(Ok(n)) => n,
            Some(Err(_)) => return Err(SEC_E_TARGET_UNKNOWN.into()),
            None => ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into()),
        };
        let asked = Arc::new(AtomicBool::new(false));
        let master = Arc::new(MasterSecret::default());
        let config = cred.client_config(
            input.req_flags & ISC_REQ_MANUAL_CRED_VALIDATION != 0,
            target.is_some(),
            alpn,
            asked.clone(),
            master.clone(),
        )?;
        let conn =
            UnbufferedClientConnection::new(config, name).map_err(|_| SEC_E_INTERNAL_ERROR)?;
        let hs = Handshake::new(Conn::Client(conn), asked, master);
        let mut ctx = Self::new(Role::Initiator, hs, input.req_flags);
        ctx.local = cred
            .certificate
            .as_ref()
            .and_then(|k| k.cert.first().cloned());
        let progress = ctx.step(input)?;
        Ok((ctx, progress))
    }

    /// The first AcceptSecurityContext call.
    pub fn accept(
        cred: &SchannelCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(Self, Progress)> {
        let base = cred.server_config(input.req_flags & ASC_REQ_MUTUAL_AUTH != 0)?;
        let mut config = (*base).clone();
        if let Some(b) = input.find(SECBUFFER_APPLICATION_PROTOCOLS) {
            config.alpn_protocols = alpn_ids(b)?;
        }
        let master = Arc::new(MasterSecret::default());
        config.key_log = master.clone();
        let conn =
            UnbufferedServerConnection::new(Arc::new(config)).map_err(|_| SEC_E_INTERNAL_ERROR)?;
        let asked = Arc::new(AtomicBool::new(false));
        let hs = Handshake::new(Conn::Server(conn), asked, master);
        let mut ctx = Self::new(Role::Acceptor, hs, input.req_flags);
        ctx.local = cred
            .certificate
            .as_ref()
            .and_then(|k| k.cert.first().cloned());
        let progress = ctx.step(input)?;
        Ok((ctx, progress))
    }

    fn new(role: Role, hs: Handshake, req_flags: u32) -> Self {
        SchannelContext {
            role,
            state: State::Handshaking(Box::new(hs)),
            negotiated: None,
            req_flags,
            held: None,
            control: None,
            renegotiating: false,
            to_send: Vec::new(),
            peer_closed: false,
            closed: false,
            local: None,
        }
    }

    /// What the handshake settled; `None` before it is over.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    /// Which side this is.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The protection overhead, once established.
    pub fn overhead(&self) -> Option<records::Overhead> {
        match &self.state {
            State::Established(e) => Some(e.records.overhead()),
            _ => None,
        }
    }

    fn ret_flags(&self) -> u32 {
        match self.role {
            Role::Initiator => {
                ISC_BASE
                    | self.req_flags
                        & (ISC_REQ_USE_SUPPLIED_CREDS
                            | ISC_REQ_MANUAL_CRED_VALIDATION
                            | ISC_REQ_EXTENDED_ERROR)
            }
            Role::Acceptor => {
                ASC_BASE | self.req_flags & (ASC_REQ_MUTUAL_AUTH | ASC_REQ_EXTENDED_ERROR)
            }
        }
    }

    fn output(&self, status: i32, token: Vec<u8>, extra: usize) -> Progress {
        Progress::Done(StepOutput {
            status,
            token,
            token_optional: false,
            alert: Vec::new(),
            ret_flags: self.ret_flags(),
            expiry: NEVER_EXPIRES,
            extra,
        })
    }

    /// A later Initialize/AcceptSecurityContext call.
    pub fn step(&mut self, input: &StepInput<'_>) -> SecResult<Progress> {
        self.req_flags = input.req_flags | (self.req_flags & ISC_REQ_USE_SUPPLIED_CREDS);
        let token = input.token().unwrap_or_default();
        if let Some(control) = self.control.take() {
            return self.close(control);
        }
        match &mut self.state {
            State::Failed => Err(SEC_E_INVALID_HANDLE.into()),
            State::Established(_) => {
                if !self.renegotiating {
                    return Err(Error::Incomplete { missing: 0 });
                }
                self.renegotiating = false;
                let out = std::mem::take(&mut self.to_send);
                Ok(self.output(SEC_E_OK, out, token.len()))
            }
            State::Handshaking(_) => self.handshake_step(token),
        }
    }

    fn handshake_step(&mut self, token: &[u8]) -> SecResult<Progress> {
        let State::Handshaking(hs) = &mut self.state else {
            return Err(SEC_E_INTERNAL_ERROR.into());
        };
        let (mut output, skip) = match self.held.take() {
            Some((out, used)) => (out, used.min(token.len())),
            None => (Vec::new(), 0),
        };
        let progress = match hs.step(&token[skip..]) {
            Ok(p) => p,
            // The held step is handed out even when nothing follows it.
            Err(Error::Incomplete { .. }) if !output.is_empty() || skip > 0 => {
                super::handshake::Progress::default()
            }
            Err(e) => {
                if !matches!(e, Error::Incomplete { .. }) {
                    self.state = State::Failed;
                }
                return Err(e);
            }
        };
        let asked = was_asked(&hs.asked);
        output.extend_from_slice(&progress.output);
        let used = skip + progress.used;
        if self.role == Role::Initiator
            && asked
            && self.local.is_none()
            && self.req_flags & ISC_REQ_USE_SUPPLIED_CREDS == 0
        {
            // Windows stops here so that the program may offer a
            // certificate; it calls again with the same input (and
            // ISC_REQ_USE_SUPPLIED_CREDS to go on without one).
            self.req_flags |= ISC_REQ_USE_SUPPLIED_CREDS;
            self.held = Some((output, used));
            return Ok(self.output(SEC_I_INCOMPLETE_CREDENTIALS, Vec::new(), 0));
        }
        let extra = token.len() - used;
        if progress.done {
            self.establish()?;
            return Ok(self.output(SEC_E_OK, output, extra));
        }
        Ok(self.output(SEC_I_CONTINUE_NEEDED, output, extra))
    }

    /// Takes the keys from rustls once the handshake is over.
    fn establish(&mut self) -> SecResult<()> {
        let State::Handshaking(hs) = std::mem::replace(&mut self.state, State::Failed) else {
            return Err(SEC_E_INTERNAL_ERROR.into());
        };
        let (version, suite, group, peer, alpn) = {
            let common: &rustls::CommonState = match &hs.conn {
                Conn::Client(c) => c,
                Conn::Server(c) => c,
            };
            (
                common.protocol_version(),
                common.negotiated_cipher_suite(),
                common.negotiated_key_exchange_group().map(|g| g.name()),
                common
                    .peer_certificates()
                    .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
                    .unwrap_or_default(),
                common.alpn_protocol().map(<[u8]>::to_vec),
            )
        };
        let (Some(version), Some(suite)) = (version, suite) else {
            return Err(SEC_E_INTERNAL_ERROR.into());
        };
        // A client sends its certificate only when the server asked.
        let sent_local = self.role == Role::Acceptor || was_asked(&hs.asked);
        let tls_unique = match suite {
            SupportedCipherSuite::Tls12(s) if version == ProtocolVersion::TLSv1_2 => {
                let sha384 = s.common.hash_provider.algorithm() == HashAlgorithm::SHA384;
                hs.transcript.client_finished(&hs.master, sha384)
            }
            _ => None,
        };
        let (secrets, kernel) = hs.finish()?;
        let record_version = if version == ProtocolVersion::TLSv1_3 {
            Version::Tls13
        } else {
            Version::Tls12
        };
        let limit = match suite {
            SupportedCipherSuite::Tls12(s) => s.common.confidentiality_limit,
            SupportedCipherSuite::Tls13(s) => s.common.confidentiality_limit,
        };
        let records = RecordLayer::new(record_version, secrets.tx, secrets.rx, limit)?;
        self.negotiated = Some(Negotiated {
            version,
            suite,
            group,
            peer_certificates: peer,
            local_certificate: self.local.clone().filter(|_| sent_local),
            tls_unique,
            alpn,
        });
        self.state = State::Established(Box::new(Established {
            records,
            kernel,
            partial: Vec::new(),
        }));
        Ok(())
    }

    /// The alert a control token asked for, as the step's output.
    fn close(&mut self, control: Control) -> SecResult<Progress> {
        let (level, description) = match control {
            Control::Shutdown => (TLS1_ALERT_WARNING as u8, TLS1_ALERT_CLOSE_NOTIFY as u8),
            Control::Alert(l, d) => (l, d),
        };
        let record = self.alert(level, description)?;
        Ok(self.output(SEC_E_OK, record, 0))
    }

    /// An alert record for the peer, sealed once the channel is up; this
    /// side sends nothing after it.
    fn alert(&mut self, level: u8, description: u8) -> SecResult<Vec<u8>> {
        let record = match &mut self.state {
            State::Established(e) => e
                .records
                .seal_to_vec(records::ALERT, &[level, description])?,
            _ => vec![records::ALERT, 3, 3, 0, 2, level, description],
        };
        self.closed = true;
        Ok(record)
    }

    /// ApplyControlToken: SCHANNEL_SHUTDOWN or a SCHANNEL_ALERT_TOKEN.
    pub fn apply_control(&mut self, inputs: &[InBuf<'_>]) -> SecResult<()> {
        let [only] = inputs else {
            return Err(SEC_E_INVALID_TOKEN.into());
        };
        if only.kind != SECBUFFER_TOKEN {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        let word = |i: usize| {
            only.data
                .get(i * 4..i * 4 + 4)
                .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        };
        match word(0) {
            Some(SCHANNEL_SHUTDOWN) => self.control = Some(Control::Shutdown),
            Some(SCHANNEL_ALERT) => {
                let (Some(level), Some(number)) = (word(1), word(2)) else {
                    return Err(SEC_E_INVALID_TOKEN.into());
                };
                if !matches!(level, TLS1_ALERT_WARNING | TLS1_ALERT_FATAL) || number > 255 {
                    return Err(SEC_E_INVALID_TOKEN.into());
                }
                self.control = Some(Control::Alert(level as u8, number as u8));
            }
            _ => return Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
        }
        Ok(())
    }

    /// EncryptMessage: [STREAM_HEADER, DATA, STREAM_TRAILER, ...], one
    /// record, in place.
    pub fn encrypt(&mut self, msg: &mut [SecBuf<'_>]) -> SecResult<()> {
        let State::Established(e) = &mut self.state else {
            return Err(SEC_E_CONTEXT_EXPIRED.into());
        };
        if self.renegotiating || self.closed {
            return Err(SEC_E_CONTEXT_EXPIRED.into());
        }
        let find = |msg: &[SecBuf<'_>], kind| msg.iter().position(|b| b.kind() == kind);
        let (Some(h), Some(d), Some(t)) = (
            find(msg, SECBUFFER_STREAM_HEADER),
            find(msg, SECBUFFER_DATA),
            find(msg, SECBUFFER_STREAM_TRAILER),
        ) else {
            return Err(SEC_E_INVALID_TOKEN.into());
        };
        if msg[d].len() > records::MAX_PLAINTEXT {
            return Err(SEC_E_ENCRYPT_FAILURE.into());
        }
        // Three buffers of different types, so three distinct ones.
        let [header, data, trailer] = msg
            .get_disjoint_mut([h, d, t])
            .map_err(|_| SEC_E_INVALID_TOKEN)?;
        // All three are written: a read-only one fails before anything is.
        let (Some(hb), Some(db), Some(tb)) =
            (header.data_mut(), data.data_mut(), trailer.data_mut())
        else {
            return Err(SEC_E_INVALID_TOKEN.into());
        };
        let (hl, tl) = e.records.seal(records::APPLICATION_DATA, hb, db, tb)?;
        header.set_len(hl);
        trailer.set_len(tl);
        Ok(())
    }

    /// DecryptMessage: [DATA, EMPTY, EMPTY, EMPTY]; the first record in
    /// DATA is opened in place.
    pub fn decrypt(&mut self, msg: &mut [SecBuf<'_>]) -> SecResult<Unprotected> {
        // Exactly one DATA buffer and at least three EMPTY ones (the first
        // three are used), found without allocating.
        let (mut d, mut datas) = (0, 0);
        let (mut empties, mut n_empty) = ([0usize; 3], 0);
        for (i, b) in msg.iter().enumerate() {
            match b.kind() {
                SECBUFFER_DATA => {
                    d = i;
                    datas += 1;
                }
                SECBUFFER_EMPTY => {
                    if let Some(slot) = empties.get_mut(n_empty) {
                        *slot = i;
                    }
                    n_empty += 1;
                }
                _ => {}
            }
        }
        if datas != 1 || n_empty < 3 {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        if !matches!(self.state, State::Established(_)) || self.renegotiating || self.peer_closed {
            return Err(SEC_E_CONTEXT_EXPIRED.into());
        }
        let (header, total) = match frame(msg[d].data()) {
            Framing::Record(h, total) => (h, total),
            Framing::Missing(n) => {
                msg[d].mark_missing(n)?;
                return Err(Error::Incomplete { missing: n });
            }
            Framing::Invalid => return Err(SEC_E_INVALID_TOKEN.into()),
        };
        let whole = msg[d].data().len();
        let record = msg[d].data_mut().ok_or(SEC_E_INVALID_TOKEN)?;
        let (status, offset, len) = self.open_record(header, &mut record[..total])?;
        // [DATA, EMPTY, EMPTY, EMPTY] becomes [STREAM_HEADER, DATA,
        // STREAM_TRAILER, EXTRA], each pointing into the record.
        let mut slots = [d, empties[0], empties[1], empties[2]];
        slots.sort_unstable();
        let plain_end = offset + len;
        let parts = [
            (SECBUFFER_STREAM_HEADER, 0, offset),
            (SECBUFFER_DATA, offset, len),
            (SECBUFFER_STREAM_TRAILER, plain_end, total - plain_end),
        ];
        for (&slot, (kind, at, n)) in slots.iter().zip(parts) {
            msg[slot].set_kind(kind)?;
            msg[slot].point_into(d, at, n);
        }
        if whole > total {
            msg[slots[3]].set_kind(SECBUFFER_EXTRA)?;
            msg[slots[3]].point_into(d, total, whole - total);
        }
        Ok(Unprotected { qop: None, status })
    }

    /// Opens one whole record in place: how the call succeeds, and where
    /// its plaintext lies in `record` (offset, length; none for an alert
    /// or a handshake message). A record that does not authenticate, an
    /// illegal message or a fatal alert ends the connection.
    fn open_record(
        &mut self,
        header: records::Header,
        record: &mut [u8],
    ) -> SecResult<(MessageStatus, usize, usize)> {
        let State::Established(e) = &mut self.state else {
            return Err(SEC_E_CONTEXT_EXPIRED.into());
        };
        let opened = match e.records.open(header, record) {
            Ok(o) => o,
            Err(err) => {
                // RFC 8446 section 5.2: a record that does not authenticate
                // ends the connection.
                self.state = State::Failed;
                return Err(err);
            }
        };
        let tls13 = e.records.version() == Version::Tls13;
        // A handshake message cut across records must not be interleaved
        // with other records (RFC 8446 section 5.1).
        if opened.content_type != records::HANDSHAKE && !e.partial.is_empty() {
            self.state = State::Failed;
            return Err(SEC_E_ILLEGAL_MESSAGE.into());
        }
        let (offset, len) = (opened.offset, opened.len);
        match opened.content_type {
            records::APPLICATION_DATA => Ok((MessageStatus::Ok, offset, len)),
            records::ALERT => {
                // close_notify ends the peer's side. TLS 1.3 knows only
                // user_canceled (90) as a warning (RFC 8446 section 6);
                // TLS 1.2 takes any warning. Anything else is fatal.
                match &record[offset..offset + len] {
                    [_, 0] => {
                        self.peer_closed = true;
                        Ok((MessageStatus::ContextExpired, offset, 0))
                    }
                    [1, 90] => Ok((MessageStatus::Ok, offset, 0)),
                    [1, _] if !tls13 => Ok((MessageStatus::Ok, offset, 0)),
                    _ => {
                        self.state = State::Failed;
                        Err(SEC_E_ILLEGAL_MESSAGE.into())
                    }
                }
            }
            records::HANDSHAKE => {
                if let Err(err) = e.post_handshake(&record[offset..offset + len], &mut self.to_send)
                {
                    self.state = State::Failed;
                    return Err(err);
                }
                self.renegotiating = true;
                Ok((MessageStatus::Renegotiate, offset, 0))
            }
            _ => {
                self.state = State::Failed;
                Err(SEC_E_ILLEGAL_MESSAGE.into())
            }
        }
    }

    /// A fatal alert record for the peer, for a package that fails a
    /// connection this channel carries: the connection is over.
    pub fn fatal_alert(&mut self, description: u8) -> SecResult<Vec<u8>> {
        let record = self.alert(TLS1_ALERT_FATAL as u8, description)?;
        self.state = State::Failed;
        Ok(record)
    }

    /// Seals `plaintext` as application-data records (of at most 2^14
    /// bytes each), for a package that runs its own messages over this
    /// connection (CredSSP).
    pub fn seal_stream(&mut self, plaintext: &[u8]) -> SecResult<Vec<u8>> {
        let State::Established(e) = &mut self.state else {
            return Err(SEC_E_CONTEXT_EXPIRED.into());
        };
        if self.closed {
            return Err(SEC_E_CONTEXT_EXPIRED.into());
        }
        let mut out = Vec::new();
        for chunk in plaintext.chunks(records::MAX_PLAINTEXT) {
            out.extend(e.records.seal_to_vec(records::APPLICATION_DATA, chunk)?);
        }
        Ok(out)
    }

    /// Opens the whole records at the start of `data` in place, for a
    /// package that runs its own messages over this connection (CredSSP),
    /// until `enough` says the plaintext gathered in `plain` suffices. A
    /// TLS 1.3 NewSessionTicket or KeyUpdate is taken here (a KeyUpdate's
    /// answer joins `to_send`). Returns how many bytes were used and how
    /// many more a cut record needs (0 when none is cut). The peer's
    /// close_notify is SEC_E_CONTEXT_EXPIRED.
    pub fn open_stream(
        &mut self,
        data: &mut [u8],
        plain: &mut Vec<u8>,
        to_send: &mut Vec<u8>,
        enough: impl Fn(&[u8]) -> bool,
    ) -> SecResult<(usize, usize)> {
        let mut used = 0;
        while !enough(plain) {
            let (header, total) = match frame(&data[used..]) {
                Framing::Record(h, total) => (h, total),
                Framing::Missing(n) => return Ok((used, n)),
                Framing::Invalid => return Err(SEC_E_INVALID_TOKEN.into()),
            };
            let record = &mut data[used..used + total];
            let (status, offset, len) = self.open_record(header, record)?;
            plain.extend_from_slice(&record[offset..offset + len]);
            used += total;
            match status {
                MessageStatus::Ok => {}
                MessageStatus::ContextExpired => return Err(SEC_E_CONTEXT_EXPIRED.into()),
                MessageStatus::Renegotiate => {
                    self.renegotiating = false;
                    to_send.append(&mut self.to_send);
                }
            }
        }
        Ok((used, 0))
    }
}

impl Established {
    /// Handshake messages after the handshake (TLS 1.3's NewSessionTicket
    /// and KeyUpdate; TLS 1.2's HelloRequest, refused).
    fn post_handshake(&mut self, body: &[u8], to_send: &mut Vec<u8>) -> SecResult<()> {
        self.partial.extend_from_slice(body);
        loop {
            let Some(&[kind, a, b, c]) = self
                .partial
                .get(..4)
                .and_then(|h| <&[u8; 4]>::try_from(h).ok())
            else {
                return Ok(());
            };
            let len = u32::from_be_bytes([0, a, b, c]) as usize;
            if len > 1 << 16 {
                return Err(SEC_E_ILLEGAL_MESSAGE.into());
            }
            if self.partial.len() < 4 + len {
                return Ok(());
            }
            let message: Vec<u8> = self.partial.drain(..4 + len).skip(4).collect();
            match (self.records.version(), kind) {
                (Version::Tls13, 4) => {
                    if let Kernel::Client(k) = &mut self.kernel {
                        k.handle_new_session_ticket(&message)
                            .map_err(|_| SEC_E_ILLEGAL_MESSAGE)?;
                    } else {
                        return Err(SEC_E_ILLEGAL_MESSAGE.into());
                    }
                }
                (Version::Tls13, 24) => {
                    let requested = match message.as_slice() {
                        [0] => false,
                        [1] => true,
                        _ => return Err(SEC_E_ILLEGAL_MESSAGE.into()),
                    };
                    let (seq, secrets) =
                        self.kernel.update_rx().map_err(|_| SEC_E_INTERNAL_ERROR)?;
                    self.records.rekey_rx(seq, &secrets)?;
                    if requested {
                        let answer = self
                            .records
                            .seal_to_vec(records::HANDSHAKE, &[24, 0, 0, 1, 0])?;
                        to_send.extend_from_slice(&answer);
                        let (seq, secrets) =
                            self.kernel.update_tx().map_err(|_| SEC_E_INTERNAL_ERROR)?;
                        self.records.rekey_tx(seq, &secrets)?;
                    }
                }
                (Version::Tls12, 0) => {
                    // No renegotiation: a no_renegotiation warning.
                    let refusal = self.records.seal_to_vec(records::ALERT, &[1, 100])?;
                    to_send.extend_from_slice(&refusal);
                }
                _ => return Err(SEC_E_ILLEGAL_MESSAGE.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_lists_are_read_as_windows_lays_them_out() {
        let mut b = Vec::new();
        let ids = b"\x08http/1.1\x02h2";
        let size = 6 + ids.len() as u32;
        b.extend_from_slice(&size.to_ne_bytes());
        b.extend_from_slice(&2u32.to_ne_bytes());
        b.extend_from_slice(&(ids.len() as u16).to_ne_bytes());
        b.extend_from_slice(ids);
        assert_eq!(
            alpn_ids(&b).unwrap(),
            vec![b"http/1.1".to_vec(), b"h2".to_vec()]
        );
        assert_eq!(
            alpn_ids(&b[..b.len() - 1]).unwrap_err(),
            SEC_E_INVALID_TOKEN
        );
        assert_eq!(alpn_ids(&[]).unwrap_err(), SEC_E_INVALID_TOKEN);
    }
}
