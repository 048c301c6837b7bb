//! The buffers of a per-message call (MakeSignature, EncryptMessage, ...) as
//! the package sees them, and how such a call succeeds.
//!
//! A package may shrink a buffer's reported length, point a buffer at a
//! range of any buffer of the message (Schannel's DecryptMessage points
//! STREAM_HEADER, DATA and STREAM_TRAILER into the record it was given),
//! and change a buffer's type along the transitions Windows' packages make
//! (EMPTY to EXTRA, MISSING, STREAM_HEADER, ...). The ABI writes all of it
//! back, on success and with SEC_E_INCOMPLETE_MESSAGE.

use crate::error::{SecResult, Status};
use crate::vocabulary::*;

/// How a per-message call that verifies or decrypts succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageStatus {
    /// SEC_E_OK.
    Ok,
    /// SEC_I_CONTEXT_EXPIRED: the peer closed the context (a TLS
    /// close_notify); the message holds no data.
    ContextExpired,
    /// SEC_I_RENEGOTIATE: the peer asks for a new handshake.
    Renegotiate,
}

impl MessageStatus {
    /// The status the call returns.
    pub fn status(self) -> Status {
        match self {
            MessageStatus::Ok => SEC_E_OK,
            MessageStatus::ContextExpired => SEC_I_CONTEXT_EXPIRED,
            MessageStatus::Renegotiate => SEC_I_RENEGOTIATE,
        }
    }
}

/// Whether a SecBuffer's type carries SECBUFFER_READONLY or
/// SECBUFFER_READONLY_WITH_CHECKSUM: the package may read it, never write it.
pub fn is_read_only(buffer_type: u32) -> bool {
    buffer_type & (SECBUFFER_READONLY | SECBUFFER_READONLY_WITH_CHECKSUM) != 0
}

/// What VerifySignature and DecryptMessage report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unprotected {
    /// The quality of protection, written to `pfQOP` when the package
    /// reports one. Windows' NTLM reports none: the caller's value is left
    /// as it was.
    pub qop: Option<u32>,
    /// The status the call returns.
    pub status: MessageStatus,
}

/// No quality reported, SEC_E_OK.
impl Default for Unprotected {
    fn default() -> Self {
        Unprotected {
            qop: None,
            status: MessageStatus::Ok,
        }
    }
}

/// Whether a package may turn a buffer of type `from` into one of type `to`
/// (types without attribute flags).
fn transition_allowed(from: u32, to: u32) -> bool {
    const RESULTS: [u32; 6] = [
        SECBUFFER_DATA,
        SECBUFFER_EXTRA,
        SECBUFFER_MISSING,
        SECBUFFER_STREAM_HEADER,
        SECBUFFER_STREAM_TRAILER,
        SECBUFFER_PADDING,
    ];
    from == to || matches!(from, SECBUFFER_EMPTY | SECBUFFER_DATA) && RESULTS.contains(&to)
}

/// Where a buffer's bytes live: read-only buffers (SECBUFFER_READONLY*) are
/// never handed out mutably.
#[derive(Debug)]
enum Mem<'a> {
    ReadOnly(&'a [u8]),
    Writable(&'a mut [u8]),
}

/// One buffer of a message (MakeSignature, EncryptMessage, ...), borrowed
/// from the caller. A package may shrink `len` (reported back as cbBuffer),
/// point it elsewhere in the message, or change its type.
#[derive(Debug)]
pub struct SecBuf<'a> {
    kind: u32,
    attrs: u32,
    /// `kind` differs from the caller's type: write it back.
    retyped: bool,
    mem: Mem<'a>,
    len: usize,
    /// Set by `point_into`: (buffer index, offset, length).
    window: Option<(usize, usize, usize)>,
}

impl<'a> SecBuf<'a> {
    /// A buffer the package may write to.
    pub fn writable(buffer_type: u32, data: &'a mut [u8]) -> Self {
        let len = data.len();
        Self {
            kind: buffer_type & !SECBUFFER_ATTRMASK,
            attrs: buffer_type & SECBUFFER_ATTRMASK,
            retyped: false,
            mem: Mem::Writable(data),
            len,
            window: None,
        }
    }
    /// A buffer the package may only read.
    pub fn read_only(buffer_type: u32, data: &'a [u8]) -> Self {
        let len = data.len();
        Self {
            kind: buffer_type & !SECBUFFER_ATTRMASK,
            attrs: buffer_type & SECBUFFER_ATTRMASK,
            retyped: false,
            mem: Mem::ReadOnly(data),
            len,
            window: None,
        }
    }
    /// SECBUFFER_* type without attribute flags.
    pub fn kind(&self) -> u32 {
        self.kind
    }
    /// SECBUFFER_READONLY / _READONLY_WITH_CHECKSUM bits.
    pub fn attrs(&self) -> u32 {
        self.attrs
    }
    /// The buffer's full contents.
    pub fn data(&self) -> &[u8] {
        match &self.mem {
            Mem::ReadOnly(d) => d,
            Mem::Writable(d) => d,
        }
    }
    /// The contents to write, or `None` for a read-only buffer.
    pub fn data_mut(&mut self) -> Option<&mut [u8]> {
        match &mut self.mem {
            Mem::ReadOnly(_) => None,
            Mem::Writable(d) => Some(d),
        }
    }
    /// The length that will be reported back in cbBuffer.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether the reported length is zero.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Report a new length back (never more than the buffer holds).
    pub fn set_len(&mut self, len: usize) {
        self.len = len.min(self.data().len());
    }
    /// Report this buffer back as `len` bytes at `offset` in the message's
    /// buffer number `buffer`, as the caller gave it (possibly this buffer
    /// itself): SECBUFFER_STREAM's DATA buffer, which DecryptMessage points
    /// at the plaintext inside the stream. The ABI checks the range against
    /// that buffer's length; a range outside it is not written back.
    pub fn point_into(&mut self, buffer: usize, offset: usize, len: usize) {
        self.window = Some((buffer, offset, len));
    }
    /// Changes the buffer's type (reported back without attribute flags),
    /// along the transitions Windows' packages make: an EMPTY or DATA
    /// buffer may become DATA, EXTRA, MISSING, STREAM_HEADER,
    /// STREAM_TRAILER or PADDING. Any other is SEC_E_INTERNAL_ERROR.
    pub fn set_kind(&mut self, kind: u32) -> SecResult<()> {
        let kind = kind & !SECBUFFER_ATTRMASK;
        if !transition_allowed(self.kind, kind) {
            return Err(SEC_E_INTERNAL_ERROR.into());
        }
        if kind != self.kind {
            self.kind = kind;
            self.attrs = 0;
            self.retyped = true;
        }
        Ok(())
    }
    /// Makes this buffer SECBUFFER_MISSING with `count` (the bytes still
    /// needed, 0 when unknown) in its cbBuffer.
    pub fn mark_missing(&mut self, count: usize) -> SecResult<()> {
        self.set_kind(SECBUFFER_MISSING)?;
        self.window = None;
        self.len = count;
        Ok(())
    }
    /// Whether `set_kind` changed the caller's type.
    pub fn retyped(&self) -> bool {
        self.retyped
    }
    /// What `point_into` set.
    pub fn window(&self) -> Option<(usize, usize, usize)> {
        self.window
    }
}
