//! One step of a handshake (Initialize/AcceptSecurityContext): what a
//! package is given, what it answers, and how it asks for network I/O.
//!
//! A package is sans-IO. A step either finishes (`Progress::Done`, with the
//! tokens for the peer) or asks the driver to exchange a message with a
//! server (`Progress::Exchange`, a KDC request for Kerberos) and to resume
//! it with the reply. Packages never size their output against the
//! caller's buffer: the ABI writes each token, and keeps one that does not
//! fit until the caller asks again with room.

use crate::env::Env;
use crate::error::Status;
use crate::vocabulary::*;

/// Which side of a handshake a context is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// InitializeSecurityContext's side (the client).
    Initiator,
    /// AcceptSecurityContext's side (the server).
    Acceptor,
}

/// One input buffer of a handshake call, borrowed from the caller.
#[derive(Clone, Copy, Debug)]
pub struct InBuf<'a> {
    /// SECBUFFER_* type without the attribute flags.
    pub kind: u32,
    pub data: &'a [u8],
}

/// What Initialize/AcceptSecurityContext pass to a package for one step.
pub struct StepInput<'a> {
    /// The target name (SPN) given to InitializeSecurityContext.
    pub target: Option<&'a str>,
    /// ISC_REQ_* or ASC_REQ_* flags as the caller passed them.
    pub req_flags: u32,
    pub data_rep: u32,
    /// Every input buffer, in the caller's order.
    pub inputs: &'a [InBuf<'a>],
    /// Randomness, time, host name and files.
    pub env: &'a dyn Env,
}

impl core::fmt::Debug for StepInput<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StepInput")
            .field("target", &self.target)
            .field("req_flags", &self.req_flags)
            .field("inputs", &self.inputs)
            .finish_non_exhaustive()
    }
}

impl StepInput<'_> {
    /// The first input buffer of this type.
    pub fn find(&self, kind: u32) -> Option<&[u8]> {
        self.inputs.iter().find(|b| b.kind == kind).map(|b| b.data)
    }
    /// The input SECBUFFER_TOKEN.
    pub fn token(&self) -> Option<&[u8]> {
        self.find(SECBUFFER_TOKEN)
    }
}

/// The host of an SSPI target name, port included if any: Windows'
/// `service/host[:port][/name][@REALM]`, or GSS's `service@host`; a name
/// with neither separator is the host itself.
pub fn target_host(target: &str) -> &str {
    let host = match target.split_once('/') {
        Some((_, rest)) => rest.split('/').next().unwrap_or(rest),
        None => target.split_once('@').map_or(target, |(_, h)| h),
    };
    host.rsplit_once('@').map_or(host, |(h, _)| h)
}

/// The result of a finished handshake step.
#[derive(Debug, Default)]
pub struct StepOutput {
    /// SEC_E_OK, SEC_I_CONTINUE_NEEDED, SEC_I_COMPLETE_NEEDED or
    /// SEC_I_COMPLETE_AND_CONTINUE. A failure is an `Error` instead (with
    /// its token for the peer: `Error::Reject`).
    pub status: Status,
    /// The token to send to the peer (may be empty).
    pub token: Vec<u8>,
    /// The peer does not need `token` (it is complete already): the ABI
    /// drops it when the caller gave no room for it, instead of failing
    /// with SEC_E_BUFFER_TOO_SMALL.
    pub token_optional: bool,
    /// An alert for the peer, written to the caller's SECBUFFER_ALERT
    /// output buffer when there is one.
    pub alert: Vec<u8>,
    /// ISC_RET_* / ASC_RET_* flags actually in force (the ABI adds
    /// ISC_RET_ALLOCATED_MEMORY itself).
    pub ret_flags: u32,
    /// FILETIME of the context's expiry.
    pub expiry: i64,
    /// Bytes at the end of the input token that belong to the next message
    /// (reported as SECBUFFER_EXTRA).
    pub extra: usize,
}

/// Where a handshake step stands.
#[derive(Debug)]
pub enum Progress {
    /// The step is over.
    Done(StepOutput),
    /// Send `Exchange::message` to one of its servers and resume the
    /// context (`Package::resume`) with the reply; the ABI call waits.
    Exchange(Exchange),
}

impl Progress {
    /// The finished step, for callers that cannot perform I/O (a wrapped
    /// mechanism under Negotiate, for now): an exchange is
    /// SEC_E_INTERNAL_ERROR.
    pub fn done(self) -> crate::error::SecResult<StepOutput> {
        match self {
            Progress::Done(out) => Ok(out),
            Progress::Exchange(_) => Err(SEC_E_INTERNAL_ERROR.into()),
        }
    }
}

/// How a request travels to its server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// One datagram each way (RFC 4120 section 7.2.1).
    Udp,
    /// A stream, each message preceded by its length as 4 big-endian bytes
    /// (RFC 4120 section 7.2.2).
    Tcp,
    /// An HTTP POST over TLS to `Endpoint::path` (MS-KKDCP's KDC proxy),
    /// the server's certificate checked against the system's trust store
    /// (or SSL_CERT_FILE/SSL_CERT_DIR); the reply is the response's body.
    Https,
}

/// A server to send a request to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// A host name or an IP address.
    pub host: String,
    pub port: u16,
    pub transport: Transport,
    /// The URL path of an HTTPS endpoint (`/KdcProxy`); empty otherwise.
    pub path: String,
}

/// A request a package needs sent: the driver tries the servers in order
/// and hands the first reply back.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// Who to ask, in order of preference.
    pub servers: Vec<Endpoint>,
    /// The request's bytes (without the TCP length prefix).
    pub message: Vec<u8>,
}

/// Why an exchange produced no reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoError {
    /// No server could be reached (name unknown, connection refused).
    Unreachable,
    /// A server was reached but did not answer in time.
    TimedOut,
    /// A reply came but was malformed at the transport level (a TCP length
    /// beyond the limit, a truncated reply).
    BadReply,
}

/// What the driver hands back to `Package::resume`.
pub type Reply = Result<Vec<u8>, IoError>;
