//! The errors of the NTLM core. `handshake::status_of` maps them to SSPI
//! status codes.

use core::fmt;

/// Why an NTLM operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// A token or signature is malformed: truncated, bad signature bytes,
    /// a field outside the message, wrong message type.
    InvalidToken,
    /// Authentication failed, for the reason given.
    LogonDenied(Denied),
    /// The server was given channel bindings and the client's do not match
    /// (or are missing).
    BadBindings,
    /// A signature does not match the message.
    MessageAltered,
    /// A signature is valid but carries an unexpected sequence number.
    OutOfSequence,
    /// The peer asked for, or the caller requested, something this
    /// implementation does not do (NTLMv1 session security, datagram mode,
    /// sealing when confidentiality was not negotiated, less than 128 bits).
    Unsupported,
    /// A call was made in the wrong state (e.g. `authenticate` before
    /// `negotiate`, or twice).
    InvalidState,
    /// A caller-supplied value cannot be encoded (e.g. a name longer than a
    /// message field can hold) or is malformed (user file, exported context).
    InvalidParameter,
    /// The environment failed (no randomness available).
    Internal,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Error::InvalidToken => "invalid NTLM token",
            Error::LogonDenied(why) => return write!(f, "NTLM logon denied: {why}"),
            Error::BadBindings => "channel bindings do not match",
            Error::MessageAltered => "message signature does not match",
            Error::OutOfSequence => "message out of sequence",
            Error::Unsupported => "unsupported NTLM feature",
            Error::InvalidState => "NTLM call made in the wrong state",
            Error::InvalidParameter => "invalid parameter",
            Error::Internal => "internal error",
        };
        f.write_str(text)
    }
}

impl std::error::Error for Error {}

/// Why an acceptor refused an AUTHENTICATE (for the trace: the caller only
/// ever sees SEC_E_LOGON_DENIED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Denied {
    /// A 24-byte NT response: NTLMv1, never accepted.
    NtlmV1,
    /// No NT response: LM only, never accepted.
    LmOnly,
    /// No account for the user and domain the client named.
    UnknownUser,
    /// The NTProofStr does not match: wrong password (or user, or domain).
    ProofMismatch,
    /// An AV pair of the CHALLENGE did not come back in the NTLMv2 blob.
    PairMissing,
    /// The client returned the timestamp but sent no MIC.
    MicMissing,
    /// The MIC does not match the three messages.
    MicMismatch,
    /// An anonymous logon, and this acceptor refuses them.
    Anonymous,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Denied::NtlmV1 => "an NTLMv1 response (only NTLMv2 is accepted)",
            Denied::LmOnly => "an LM-only response (no NT response; only NTLMv2 is accepted)",
            Denied::UnknownUser => "no such account",
            Denied::ProofMismatch => "NTProofStr mismatch (wrong password or wrong user)",
            Denied::PairMissing => {
                "an AV pair of our CHALLENGE is missing or changed in the client's NTLMv2 response (the CHALLENGE was altered in transit)"
            }
            Denied::MicMissing => {
                "no MIC, although the client returned the CHALLENGE's timestamp (the strict MIC policy; OPENSSPI_NTLM_MIC=optional accepts such clients)"
            }
            Denied::MicMismatch => {
                "MIC mismatch (a message was altered in transit, or the two sides derived different keys)"
            }
            Denied::Anonymous => "an anonymous logon, and anonymous logons are refused",
        })
    }
}

impl From<crate::env::NoRandomness> for Error {
    fn from(_: crate::env::NoRandomness) -> Self {
        Error::Internal
    }
}
