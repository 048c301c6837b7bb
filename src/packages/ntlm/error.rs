//! The errors of the NTLM core. `handshake::status_of` maps them to SSPI
//! status codes.

use core::fmt;

/// Why an NTLM operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// A token or signature is malformed: truncated, bad signature bytes,
    /// a field outside the message, wrong message type.
    InvalidToken,
    /// Authentication failed: wrong password, unknown user, NTLMv1/LM
    /// response, tampered message, bad MIC.
    LogonDenied,
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
            Error::LogonDenied => "NTLM logon denied",
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

impl From<crate::env::NoRandomness> for Error {
    fn from(_: crate::env::NoRandomness) -> Self {
        Error::Internal
    }
}
