//! The buffers of a per-message call (MakeSignature, EncryptMessage, ...) as
//! the package sees them.

use crate::vocabulary::*;

/// Where a buffer's bytes live: read-only buffers (SECBUFFER_READONLY*) are
/// never handed out mutably.
#[derive(Debug)]
enum Mem<'a> {
    ReadOnly(&'a [u8]),
    Writable(&'a mut [u8]),
}

/// One buffer of a message (MakeSignature, EncryptMessage, ...), borrowed
/// from the caller. A package may shrink `len` (reported back as cbBuffer).
#[derive(Debug)]
pub struct SecBuf<'a> {
    kind: u32,
    attrs: u32,
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
    /// buffer number `buffer` (SECBUFFER_STREAM's DATA buffer, which
    /// DecryptMessage points at the plaintext inside the stream). The ABI
    /// checks the range against that buffer's own length.
    pub fn point_into(&mut self, buffer: usize, offset: usize, len: usize) {
        self.window = Some((buffer, offset, len));
    }
    /// What `point_into` set.
    pub fn window(&self) -> Option<(usize, usize, usize)> {
        self.window
    }
}
