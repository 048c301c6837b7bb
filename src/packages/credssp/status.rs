//! The NTSTATUS values a TSRequest's errorCode carries, and the status
//! codes they stand for: the pairs Windows' SspNtStatusToSecStatus
//! translates (a SEC_E value in errorCode, which Windows servers also
//! send, passes through).

use crate::error::Status;
use crate::vocabulary::*;

/// A binding (pubKeyAuth) that does not match the channel's key: no
/// Windows record gives the status; SEC_E_MESSAGE_ALTERED is what the
/// drop-in CredSSP providers return. Windows' acceptor sends the peer a
/// fatal internal_error alert, and no errorCode.
pub const BINDING_MISMATCH: Status = SEC_E_MESSAGE_ALTERED;

const STATUS_INVALID_PARAMETER: u32 = 0xC000_000D;
const STATUS_NO_SUCH_USER: u32 = 0xC000_0064;
const STATUS_WRONG_PASSWORD: u32 = 0xC000_006A;
const STATUS_LOGON_FAILURE: u32 = 0xC000_006D;
const STATUS_NOT_SUPPORTED: u32 = 0xC000_00BB;
const STATUS_INTERNAL_ERROR: u32 = 0xC000_00E5;
const STATUS_TIME_DIFFERENCE_AT_DC: u32 = 0xC000_0133;
const STATUS_LOGON_TYPE_NOT_GRANTED: u32 = 0xC000_015B;
const STATUS_BAD_BINDINGS: u32 = 0xC000_035B;

/// The status an initiator fails with when the acceptor reports `code`.
pub fn from_ntstatus(code: u32) -> Status {
    match code {
        // Already a SECURITY_STATUS, unless one that would steer the
        // caller instead of failing (incomplete input, a bad handle, ...).
        0x8009_0000..=0x8009_FFFF => match code as Status {
            SEC_E_INCOMPLETE_MESSAGE
            | SEC_E_INCOMPLETE_CREDENTIALS
            | SEC_E_INVALID_HANDLE
            | SEC_E_BUFFER_TOO_SMALL
            | SEC_E_CONTEXT_EXPIRED
            | SEC_E_INSUFFICIENT_MEMORY => SEC_E_INTERNAL_ERROR,
            status => status,
        },
        STATUS_NO_SUCH_USER
        | STATUS_WRONG_PASSWORD
        | 0xC000_006C..=0xC000_0072
        | STATUS_LOGON_TYPE_NOT_GRANTED => SEC_E_LOGON_DENIED,
        STATUS_NOT_SUPPORTED => SEC_E_UNSUPPORTED_FUNCTION,
        STATUS_BAD_BINDINGS => SEC_E_BAD_BINDINGS,
        STATUS_INVALID_PARAMETER => SEC_E_INVALID_TOKEN,
        STATUS_TIME_DIFFERENCE_AT_DC => SEC_E_TIME_SKEW,
        _ => SEC_E_INTERNAL_ERROR,
    }
}

/// The errorCode an acceptor reports for its failure `status`.
pub fn to_ntstatus(status: Status) -> u32 {
    match status {
        SEC_E_LOGON_DENIED => STATUS_LOGON_FAILURE,
        SEC_E_UNSUPPORTED_FUNCTION => STATUS_NOT_SUPPORTED,
        SEC_E_BAD_BINDINGS => STATUS_BAD_BINDINGS,
        SEC_E_INVALID_TOKEN => STATUS_INVALID_PARAMETER,
        SEC_E_TIME_SKEW => STATUS_TIME_DIFFERENCE_AT_DC,
        SEC_E_INTERNAL_ERROR => STATUS_INTERNAL_ERROR,
        other => other as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_pairs_translate_both_ways() {
        for s in [
            SEC_E_LOGON_DENIED,
            SEC_E_UNSUPPORTED_FUNCTION,
            SEC_E_BAD_BINDINGS,
            SEC_E_INVALID_TOKEN,
            SEC_E_TIME_SKEW,
            SEC_E_INTERNAL_ERROR,
            SEC_E_NO_CREDENTIALS,
        ] {
            assert_eq!(from_ntstatus(to_ntstatus(s)), s);
        }
        assert_eq!(to_ntstatus(SEC_E_LOGON_DENIED), 0xC000_006D);
        assert_eq!(from_ntstatus(0xC000_006A), SEC_E_LOGON_DENIED);
        assert_eq!(from_ntstatus(0xC000_018D), SEC_E_INTERNAL_ERROR);
        // A peer cannot make the call look incomplete or the handle bad.
        assert_eq!(
            from_ntstatus(SEC_E_INCOMPLETE_MESSAGE as u32),
            SEC_E_INTERNAL_ERROR
        );
        assert_eq!(
            from_ntstatus(SEC_E_INVALID_HANDLE as u32),
            SEC_E_INTERNAL_ERROR
        );
        assert_eq!(from_ntstatus(SEC_E_LOGON_DENIED as u32), SEC_E_LOGON_DENIED);
    }
}
