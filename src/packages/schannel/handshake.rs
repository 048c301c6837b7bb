//! The handshake: rustls' unbuffered connection driven one whole record
//! at a time from the caller's input token, as Windows' Schannel takes
//! it: whole records are used, a cut record is SEC_E_INCOMPLETE_MESSAGE
//! (or left over as SECBUFFER_EXTRA after records were used), and bytes
//! after the handshake's last record are left for DecryptMessage.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use rustls::client::{ClientConnectionData, UnbufferedClientConnection};
use rustls::server::{ServerConnectionData, UnbufferedServerConnection};
use rustls::unbuffered::{ConnectionState, EncodeError, InsufficientSizeError, UnbufferedStatus};
use rustls::{ExtractedSecrets, PeerIncompatible};

use crate::error::{Error, SecResult};
use crate::vocabulary::*;

use super::records::{frame, Framing};
use super::unique::{MasterSecret, Transcript};
use super::verify::certificate_status;

/// Either side's unbuffered rustls connection.
pub enum Conn {
    Client(UnbufferedClientConnection),
    Server(UnbufferedServerConnection),
}

/// Where a connection stands after the records it was given.
#[derive(Debug, PartialEq, Eq)]
enum Phase {
    /// It waits for more records.
    NeedMore,
    /// The handshake is over.
    Done,
}

/// What one handshake call produced.
#[derive(Debug, Default)]
pub struct Progress {
    /// Records for the peer.
    pub output: Vec<u8>,
    /// Input bytes used (whole records).
    pub used: usize,
    /// The handshake is over.
    pub done: bool,
}

/// A handshake in progress.
pub struct Handshake {
    pub conn: Conn,
    /// Records given to rustls and not yet used up (a handshake message
    /// that spans records stays here until its last record comes).
    incoming: Vec<u8>,
    /// Raised when the server asks for a client certificate.
    pub asked: Arc<AtomicBool>,
    /// What tls-unique is computed from (TLS 1.2).
    pub transcript: Transcript,
    pub master: Arc<MasterSecret>,
}

/// Encodes what an `EncodeTlsData` state holds onto the end of `out`.
fn encode<Data>(
    e: &mut rustls::unbuffered::EncodeTlsData<'_, Data>,
    out: &mut Vec<u8>,
) -> SecResult<()> {
    let start = out.len();
    let needed = match e.encode(&mut []) {
        Ok(_) => return Ok(()),
        Err(EncodeError::InsufficientSize(InsufficientSizeError { required_size })) => {
            required_size
        }
        Err(_) => return Err(SEC_E_INTERNAL_ERROR.into()),
    };
    out.resize(start + needed, 0);
    let n = e
        .encode(&mut out[start..])
        .map_err(|_| SEC_E_INTERNAL_ERROR)?;
    out.truncate(start + n);
    Ok(())
}

/// What `advance` needs of either side's connection.
trait Tls {
    type Data;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data>;
    fn handshaking(&self) -> bool;
}

impl Tls for UnbufferedClientConnection {
    type Data = ClientConnectionData;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
    fn handshaking(&self) -> bool {
        self.is_handshaking()
    }
}

impl Tls for UnbufferedServerConnection {
    type Data = ServerConnectionData;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
    fn handshaking(&self) -> bool {
        self.is_handshaking()
    }
}

/// Runs `conn` over `incoming` until it needs more records or the
/// handshake is over, appending what it sends to `out`.
fn advance<T: Tls>(
    conn: &mut T,
    incoming: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<Phase, rustls::Error> {
    loop {
        let (discard, phase) = {
            let status = conn.process(&mut incoming[..]);
            let discard = status.discard;
            let phase = match status.state {
                Err(e) => {
                    incoming.drain(..discard);
                    return Err(e);
                }
                Ok(ConnectionState::EncodeTlsData(mut e)) => {
                    if encode(&mut e, out).is_err() {
                        return Err(rustls::Error::EncryptError);
                    }
                    None
                }
                Ok(ConnectionState::TransmitTlsData(t)) => {
                    t.done();
                    None
                }
                Ok(ConnectionState::WriteTraffic(_)) | Ok(ConnectionState::ReadTraffic(_)) => {
                    Some(Phase::Done)
                }
                Ok(ConnectionState::PeerClosed) | Ok(ConnectionState::Closed) => {
                    return Err(rustls::Error::AlertReceived(
                        rustls::AlertDescription::CloseNotify,
                    ))
                }
                Ok(_) => Some(Phase::NeedMore),
            };
            (discard, phase)
        };
        incoming.drain(..discard);
        match phase {
            Some(Phase::Done) if conn.handshaking() => return Ok(Phase::NeedMore),
            Some(p) => return Ok(p),
            None => {}
        }
    }
}

/// The status Windows gives for a handshake rustls failed.
pub fn status_of(error: &rustls::Error) -> i32 {
    use rustls::Error as E;
    match error {
        E::InvalidCertificate(e) => certificate_status(e),
        E::AlertReceived(_) => SEC_E_ILLEGAL_MESSAGE,
        E::PeerIncompatible(PeerIncompatible::NoCipherSuitesInCommon)
        | E::PeerIncompatible(PeerIncompatible::NoKxGroupsInCommon)
        | E::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13)
        | E::PeerIncompatible(PeerIncompatible::Tls12NotOfferedOrEnabled)
        | E::PeerIncompatible(PeerIncompatible::Tls13RequiredForQuic)
        | E::PeerIncompatible(PeerIncompatible::SupportedVersionsExtensionRequired)
        | E::PeerIncompatible(PeerIncompatible::NoSignatureSchemesInCommon) => {
            SEC_E_ALGORITHM_MISMATCH
        }
        E::PeerIncompatible(_) => SEC_E_ALGORITHM_MISMATCH,
        E::NoApplicationProtocol => SEC_E_APPLICATION_PROTOCOL_MISMATCH,
        E::DecryptError => SEC_E_DECRYPT_FAILURE,
        E::NoCertificatesPresented => SEC_E_NO_CREDENTIALS,
        E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. }
        | E::InvalidMessage(_)
        | E::PeerMisbehaved(_)
        | E::PeerSentOversizedRecord => SEC_E_ILLEGAL_MESSAGE,
        _ => SEC_E_INTERNAL_ERROR,
    }
}

impl Handshake {
    pub fn new(conn: Conn, asked: Arc<AtomicBool>, master: Arc<MasterSecret>) -> Self {
        Handshake {
            conn,
            incoming: Vec::new(),
            asked,
            transcript: Transcript::default(),
            master,
        }
    }

    fn is_client(&self) -> bool {
        matches!(self.conn, Conn::Client(_))
    }

    /// Runs rustls on what it was given, noting what it sends.
    fn advance_noted(&mut self, out: &mut Vec<u8>) -> Result<Phase, rustls::Error> {
        let start = out.len();
        let phase = self.advance(out)?;
        let from_client = self.is_client();
        self.transcript.observe(&out[start..], from_client);
        Ok(phase)
    }

    fn is_handshaking(&self) -> bool {
        match &self.conn {
            Conn::Client(c) => c.is_handshaking(),
            Conn::Server(c) => c.is_handshaking(),
        }
    }

    fn advance(&mut self, out: &mut Vec<u8>) -> Result<Phase, rustls::Error> {
        match &mut self.conn {
            Conn::Client(c) => advance(c, &mut self.incoming, out),
            Conn::Server(c) => advance(c, &mut self.incoming, out),
        }
    }

    /// Takes the whole records at the start of `input`, stopping after
    /// the one that ends the handshake. A failure is `Error::Reject` with
    /// the alert for the peer.
    pub fn step(&mut self, input: &[u8]) -> SecResult<Progress> {
        let mut progress = Progress::default();
        let result = self.feed(input, &mut progress);
        match result {
            Ok(()) => Ok(progress),
            Err(FeedError::Sec(e)) => Err(e),
            Err(FeedError::Tls(e)) => {
                let mut alert = progress.output;
                self.harvest(&mut alert);
                Err(Error::Reject {
                    status: status_of(&e),
                    token: alert,
                })
            }
        }
    }

    fn feed(&mut self, input: &[u8], progress: &mut Progress) -> Result<(), FeedError> {
        // The first call of a client has no input: its ClientHello.
        if self.advance_noted(&mut progress.output)? == Phase::Done {
            progress.done = true;
            return Ok(());
        }
        while self.is_handshaking() {
            match frame(&input[progress.used..]) {
                Framing::Record(_, total) => {
                    let record = &input[progress.used..progress.used + total];
                    let from_client = !self.is_client();
                    self.transcript.observe(record, from_client);
                    self.incoming.extend_from_slice(record);
                    progress.used += total;
                    self.advance_noted(&mut progress.output)?;
                }
                Framing::Missing(n) => {
                    if progress.used == 0 && progress.output.is_empty() {
                        return Err(FeedError::Sec(Error::Incomplete { missing: n }));
                    }
                    break;
                }
                Framing::Invalid => {
                    return Err(FeedError::Sec(SEC_E_INVALID_TOKEN.into()));
                }
            }
        }
        progress.done = !self.is_handshaking();
        Ok(())
    }

    /// The alert rustls queued after a failure: one record, handed out by
    /// one more call. A second call would process the records again
    /// (rustls keeps offsets into them, so they stay as they were), and a
    /// failing record would make rustls send a second fatal alert.
    fn harvest(&mut self, out: &mut Vec<u8>) {
        fn once<T: Tls>(conn: &mut T, incoming: &mut [u8], out: &mut Vec<u8>) {
            let status = conn.process(incoming);
            if let Ok(ConnectionState::EncodeTlsData(mut e)) = status.state {
                let _ = encode(&mut e, out);
            }
        }
        match &mut self.conn {
            Conn::Client(c) => once(c, &mut self.incoming, out),
            Conn::Server(c) => once(c, &mut self.incoming, out),
        }
    }

    /// The keys and what rustls keeps for TLS 1.3's post-handshake
    /// messages, once the handshake is over.
    pub fn finish(self) -> SecResult<(ExtractedSecrets, super::context::Kernel)> {
        use super::context::Kernel;
        match self.conn {
            Conn::Client(c) => c
                .dangerous_into_kernel_connection()
                .map(|(s, k)| (s, Kernel::Client(k))),
            Conn::Server(c) => c
                .dangerous_into_kernel_connection()
                .map(|(s, k)| (s, Kernel::Server(k))),
        }
        .map_err(|_| SEC_E_INTERNAL_ERROR.into())
    }
}

enum FeedError {
    Sec(Error),
    Tls(rustls::Error),
}

impl From<rustls::Error> for FeedError {
    fn from(e: rustls::Error) -> Self {
        FeedError::Tls(e)
    }
}
