//! SSPI values by name for trace lines: statuses, flag sets, attribute and
//! buffer types (from the constant table every other part uses), and what
//! each failure status means in words.

use core::fmt;

use crate::vocabulary::{self, *};

/// The name of the constant of type `ty` whose name starts with `prefix`
/// and whose value is `value`.
fn lookup(ty: &str, prefix: &str, value: u32) -> Option<&'static str> {
    vocabulary::ALL
        .iter()
        .find(|(t, n, v)| *v == value && *t == ty && in_family(n, prefix))
        .map(|(_, n, _)| *n)
}

/// Whether the constant `name` is one of the `prefix` family
/// (SECPKG_CRED_ATTR_* are attributes, not SECPKG_CRED_* uses).
fn in_family(name: &str, prefix: &str) -> bool {
    name.starts_with(prefix) && !name[prefix.len()..].starts_with("ATTR_")
}

/// A status by name (`SEC_I_CONTINUE_NEEDED`), or in hex.
pub struct Status(i32);

/// `status` by name.
pub fn status(status: i32) -> Status {
    Status(status)
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = self.0 as u32;
        match lookup("SECURITY_STATUS", "SEC_", raw) {
            Some(name) => f.write_str(name),
            None => write!(f, "{raw:#010x}"),
        }
    }
}

/// A set of single-bit flags by name, joined with `|` (`0` when empty;
/// bits without a name in hex).
pub struct Flags {
    prefix: &'static str,
    value: u32,
}

/// `value` as flags named `PREFIX*` (`ISC_REQ_`, `ASC_RET_`, ...).
pub fn flags(prefix: &'static str, value: u32) -> Flags {
    Flags { prefix, value }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value == 0 {
            return f.write_str("0");
        }
        // One pass over the table, in its order (each family is listed by
        // bit): a named bit is written once.
        let mut named = 0u32;
        let mut sep = "";
        for (ty, name, value) in vocabulary::ALL {
            let single = value.is_power_of_two() && self.value & value != 0 && named & value == 0;
            if single && *ty == "ULONG" && in_family(name, self.prefix) {
                write!(f, "{sep}{name}")?;
                named |= value;
                sep = "|";
            }
        }
        let rest = self.value & !named;
        if rest != 0 {
            write!(f, "{sep}{rest:#x}")?;
        }
        Ok(())
    }
}

/// A single value named `PREFIX*` (an attribute, a buffer type), or the
/// number.
pub struct Value {
    prefix: &'static str,
    value: u32,
}

/// `value` by the name of the `PREFIX*` constant that has it.
pub fn value(prefix: &'static str, value: u32) -> Value {
    Value { prefix, value }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match lookup("ULONG", self.prefix, self.value) {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.value),
        }
    }
}

/// A SecBuffer type with its attribute flags (`SECBUFFER_DATA|READONLY`).
pub struct BufferType(u32);

/// A SecBuffer's `BufferType` by name.
pub fn buffer_type(t: u32) -> BufferType {
    BufferType(t)
}

impl fmt::Display for BufferType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.0 & !SECBUFFER_ATTRMASK;
        let name = [
            (SECBUFFER_EMPTY, "EMPTY"),
            (SECBUFFER_DATA, "DATA"),
            (SECBUFFER_TOKEN, "TOKEN"),
            (SECBUFFER_PKG_PARAMS, "PKG_PARAMS"),
            (SECBUFFER_MISSING, "MISSING"),
            (SECBUFFER_EXTRA, "EXTRA"),
            (SECBUFFER_STREAM_TRAILER, "STREAM_TRAILER"),
            (SECBUFFER_STREAM_HEADER, "STREAM_HEADER"),
            (SECBUFFER_PADDING, "PADDING"),
            (SECBUFFER_STREAM, "STREAM"),
            (SECBUFFER_ALERT, "ALERT"),
            (SECBUFFER_CHANNEL_BINDINGS, "CHANNEL_BINDINGS"),
        ]
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, n)| *n);
        match name {
            Some(n) => f.write_str(n)?,
            None => write!(f, "{kind}")?,
        }
        if self.0 & SECBUFFER_READONLY != 0 {
            f.write_str("|READONLY")?;
        }
        if self.0 & SECBUFFER_READONLY_WITH_CHECKSUM != 0 {
            f.write_str("|READONLY_WITH_CHECKSUM")?;
        }
        Ok(())
    }
}

/// What a failure status means, for a failed call whose package named no
/// more precise cause.
pub fn meaning(status: i32) -> &'static str {
    match status {
        SEC_E_INVALID_HANDLE => {
            "the handle names no live credential or context (never made, already deleted, or failed earlier), or its pointer is NULL"
        }
        SEC_E_BUFFER_TOO_SMALL => {
            "no room for the output: give a TOKEN buffer of the package's cbMaxToken bytes, or ask for ALLOCATE_MEMORY"
        }
        SEC_E_INVALID_TOKEN => {
            "an input token or the buffer descriptor is malformed (truncated, wrong buffer types, buffers that overlap)"
        }
        SEC_E_LOGON_DENIED => "the logon was refused",
        SEC_E_NO_CREDENTIALS => {
            "no credentials for this use: an inbound credential used to initiate (or the reverse), or none configured"
        }
        SEC_E_UNKNOWN_CREDENTIALS => {
            "the credential use or the identity structure is not recognised"
        }
        SEC_E_SECPKG_NOT_FOUND => "no security package of that name",
        SEC_E_MESSAGE_ALTERED => {
            "the signature does not match the message: it was changed, or the two sides' keys differ"
        }
        SEC_E_OUT_OF_SEQUENCE => {
            "the message's sequence number is not the next one: replayed, reordered or lost"
        }
        SEC_E_INVALID_PARAMETER => "an argument is invalid (NULL pointer, bad structure or string)",
        SEC_E_UNSUPPORTED_FUNCTION => {
            "not available here (for messages: neither integrity nor confidentiality was negotiated)"
        }
        SEC_E_QOP_NOT_SUPPORTED => "that quality of protection is not supported",
        SEC_E_TARGET_UNKNOWN => "the target name is not usable",
        SEC_E_BAD_BINDINGS => "the channel bindings do not match",
        SEC_E_INCOMPLETE_MESSAGE => "the input holds only part of a message: call again with more",
        SEC_E_INSUFFICIENT_MEMORY => "out of memory",
        SEC_E_INTERNAL_ERROR => {
            "an internal error: a NULL structure where Windows answers the same, or a bug in opensspi (please report it)"
        }
        _ => "the call failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_by_name() {
        assert_eq!(status(SEC_E_OK).to_string(), "SEC_E_OK");
        assert_eq!(
            status(SEC_I_CONTINUE_NEEDED).to_string(),
            "SEC_I_CONTINUE_NEEDED"
        );
        assert_eq!(status(SEC_E_LOGON_DENIED).to_string(), "SEC_E_LOGON_DENIED");
        assert_eq!(status(0x1234).to_string(), "0x00001234");
    }

    #[test]
    fn flags_by_name() {
        assert_eq!(
            flags("ISC_REQ_", ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY).to_string(),
            "ISC_REQ_CONFIDENTIALITY|ISC_REQ_INTEGRITY"
        );
        assert_eq!(flags("ASC_RET_", 0).to_string(), "0");
        assert_eq!(
            flags("ISC_RET_", ISC_RET_ALLOCATED_MEMORY | 0x8000_0000).to_string(),
            "ISC_RET_ALLOCATED_MEMORY|0x80000000"
        );
        assert_eq!(
            flags("SECPKG_CRED_", SECPKG_CRED_BOTH).to_string(),
            "SECPKG_CRED_INBOUND|SECPKG_CRED_OUTBOUND"
        );
    }

    #[test]
    fn values_and_buffer_types_by_name() {
        assert_eq!(
            value("SECPKG_ATTR_", SECPKG_ATTR_SESSION_KEY).to_string(),
            "SECPKG_ATTR_SESSION_KEY"
        );
        assert_eq!(value("SECPKG_ATTR_", 0xdead).to_string(), "57005");
        assert_eq!(
            buffer_type(SECBUFFER_DATA | SECBUFFER_READONLY).to_string(),
            "DATA|READONLY"
        );
        assert_eq!(buffer_type(99).to_string(), "99");
    }

    #[test]
    fn every_failure_a_caller_can_get_has_words() {
        for s in [
            SEC_E_INVALID_HANDLE,
            SEC_E_BUFFER_TOO_SMALL,
            SEC_E_INVALID_TOKEN,
            SEC_E_LOGON_DENIED,
            SEC_E_NO_CREDENTIALS,
            SEC_E_MESSAGE_ALTERED,
            SEC_E_OUT_OF_SEQUENCE,
            SEC_E_INTERNAL_ERROR,
        ] {
            assert_ne!(meaning(s), "the call failed", "{}", status(s));
        }
    }
}
