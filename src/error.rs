//! The one error type of the crate's safe core, and its one mapping to a
//! Windows status code.
//!
//! Most failures are a bare status (`Error::Status`); the variants carry what
//! a caller needs beyond the code: how much room a token needs, the token a
//! failed handshake still has for the peer, how many bytes a message lacks.
//! The ABI layer turns an `Error` into a `SECURITY_STATUS` only through
//! [`Error::status`], and writes back what the variants carry.

use crate::vocabulary::*;

/// A Windows status code (`SEC_E_*` / `SEC_I_*`).
pub type Status = i32;

/// The result of a fallible operation of the safe core.
pub type SecResult<T> = Result<T, Error>;

/// Why an operation failed.
#[derive(Clone, PartialEq, Eq)]
pub enum Error {
    /// A status code and nothing more (SEC_E_INVALID_TOKEN, ...).
    Status(Status),
    /// The caller's output buffer holds fewer than `needed` bytes
    /// (SEC_E_BUFFER_TOO_SMALL). What was to be written is not lost: see
    /// the call's documentation.
    BufferTooSmall { needed: usize },
    /// A handshake failed with `status`, and `token` is for the peer (an
    /// SPNEGO reject): the ABI delivers it when it fits, then returns the
    /// status; a context the failed call would have created is not kept.
    Reject { status: Status, token: Vec<u8> },
    /// The input is incomplete (SEC_E_INCOMPLETE_MESSAGE): `missing` more
    /// bytes are needed (0: unknown). The ABI reports the count in a
    /// SECBUFFER_MISSING buffer.
    Incomplete { missing: usize },
}

impl Error {
    /// The status code this error is reported as.
    pub fn status(&self) -> Status {
        match self {
            Error::Status(s) => *s,
            Error::BufferTooSmall { .. } => SEC_E_BUFFER_TOO_SMALL,
            Error::Reject { status, .. } => *status,
            Error::Incomplete { .. } => SEC_E_INCOMPLETE_MESSAGE,
        }
    }
}

impl From<Status> for Error {
    fn from(status: Status) -> Self {
        Error::Status(status)
    }
}

/// Errors compare with status codes by their code.
impl PartialEq<Status> for Error {
    fn eq(&self, other: &Status) -> bool {
        self.status() == *other
    }
}

/// A token carried by `Reject` is shown by its length only.
impl core::fmt::Debug for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Status(s) => write!(f, "Status({:#010x})", *s as u32),
            Error::BufferTooSmall { needed } => write!(f, "BufferTooSmall({needed})"),
            Error::Reject { status, token } => {
                write!(f, "Reject({:#010x}, {} bytes)", *status as u32, token.len())
            }
            Error::Incomplete { missing } => write!(f, "Incomplete({missing})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_maps_to_one_status() {
        assert_eq!(Error::from(SEC_E_LOGON_DENIED).status(), SEC_E_LOGON_DENIED);
        assert_eq!(
            Error::BufferTooSmall { needed: 9 }.status(),
            SEC_E_BUFFER_TOO_SMALL
        );
        let reject = Error::Reject {
            status: SEC_E_INVALID_TOKEN,
            token: vec![1, 2],
        };
        assert_eq!(reject.status(), SEC_E_INVALID_TOKEN);
        assert_eq!(format!("{reject:?}"), "Reject(0x80090308, 2 bytes)");
        assert_eq!(
            Error::Incomplete { missing: 3 }.status(),
            SEC_E_INCOMPLETE_MESSAGE
        );
        assert!(Error::Incomplete { missing: 3 } == SEC_E_INCOMPLETE_MESSAGE);
    }
}
