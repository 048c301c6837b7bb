//! SecBufferDesc in and out: borrowing the caller's buffers as safe views,
//! and writing tokens back without ever going past a buffer's `cbBuffer`.

use smallvec::SmallVec;

use crate::abi::boundary;
use crate::abi::memory;
use crate::abi::types::{SecBuffer, SecBufferDesc};
use crate::package::{is_read_only, Error, InBuf, SecBuf, SecResult, StepOutput};
use crate::vocabulary::*;

/// Most buffers a descriptor may hold; more is refused as a malformed message.
const MAX_BUFFERS: u32 = 64;
/// Buffers a message view holds without touching the heap.
pub const INLINE_BUFFERS: usize = 8;

/// A message's buffers as safe views, on the stack for up to 8 buffers.
pub type MessageView<'a> = SmallVec<[SecBuf<'a>; INLINE_BUFFERS]>;

/// The caller's `SecBuffer` array, or `None` for a NULL or malformed descriptor.
///
/// # Safety
/// A non-NULL `desc` must point at a descriptor whose `pBuffers` holds
/// `cBuffers` entries.
pub unsafe fn descriptors<'a>(desc: *const SecBufferDesc) -> Option<&'a mut [SecBuffer]> {
    // SAFETY: forwarded contract.
    let d = unsafe { boundary::read(desc) }?;
    if d.cBuffers > MAX_BUFFERS
        || (d.cBuffers > 0 && (d.pBuffers.is_null() || !d.pBuffers.is_aligned()))
    {
        return None;
    }
    if d.cBuffers == 0 {
        return Some(&mut []);
    }
    // SAFETY: non-NULL, aligned, `cBuffers` entries by the caller's contract.
    Some(unsafe { std::slice::from_raw_parts_mut(d.pBuffers, d.cBuffers as usize) })
}

/// The input buffers of a handshake call, each borrowed read-only. A
/// buffer over the SecBuffer array itself (whose entries a call may
/// rewrite, as SECBUFFER_EXTRA) is SEC_E_INVALID_TOKEN.
///
/// # Safety
/// Each buffer's `pvBuffer` must hold `cbBuffer` readable bytes.
pub unsafe fn inputs<'a>(bufs: &[SecBuffer]) -> SecResult<Vec<InBuf<'a>>> {
    bufs.iter()
        .map(|b| {
            let kind = b.BufferType & !SECBUFFER_ATTRMASK;
            let data = if kind == SECBUFFER_EMPTY {
                &[][..]
            } else if covers_array(b, bufs) {
                return Err(SEC_E_INVALID_TOKEN.into());
            } else {
                // SAFETY: forwarded contract.
                unsafe { boundary::bytes(b.pvBuffer, b.cbBuffer as usize) }
                    .ok_or(SEC_E_INVALID_TOKEN)?
            };
            Ok(InBuf { kind, data })
        })
        .collect()
}

/// Whether the byte ranges `[a, a + a_len)` and `[b, b + b_len)` meet.
fn ranges_meet(a: usize, a_len: usize, b: usize, b_len: usize) -> bool {
    a_len > 0 && b_len > 0 && a < b.saturating_add(b_len) && b < a.saturating_add(a_len)
}

fn overlaps(a: &SecBuffer, b: &SecBuffer) -> bool {
    ranges_meet(
        a.pvBuffer as usize,
        a.cbBuffer as usize,
        b.pvBuffer as usize,
        b.cbBuffer as usize,
    )
}

/// The address range (start, length) of a `SecBuffer` array.
pub fn array_range(bufs: &[SecBuffer]) -> (usize, usize) {
    (bufs.as_ptr() as usize, std::mem::size_of_val(bufs))
}

/// Whether buffer `b`'s bytes meet the address range `range`.
pub fn meets(b: &SecBuffer, range: (usize, usize)) -> bool {
    ranges_meet(b.pvBuffer as usize, b.cbBuffer as usize, range.0, range.1)
}

/// Whether buffer `b`'s bytes meet the `SecBuffer` array `bufs` (which the
/// ABI writes lengths and types back into).
pub fn covers_array(b: &SecBuffer, bufs: &[SecBuffer]) -> bool {
    meets(b, array_range(bufs))
}

/// Whether two descriptors' `SecBuffer` arrays share memory (then they
/// cannot both be borrowed mutably). Both must be readable or NULL.
///
/// # Safety
/// Non-NULL pointers must point at readable descriptors.
pub unsafe fn arrays_overlap(a: *const SecBufferDesc, b: *const SecBufferDesc) -> bool {
    // SAFETY: forwarded contract; `read` checks NULL and alignment.
    let (Some(a), Some(b)) = (unsafe { boundary::read(a) }, unsafe { boundary::read(b) }) else {
        return false;
    };
    let size = std::mem::size_of::<SecBuffer>();
    ranges_meet(
        a.pBuffers as usize,
        a.cBuffers as usize * size,
        b.pBuffers as usize,
        b.cBuffers as usize * size,
    )
}

/// A message's buffers as safe views. Read-only buffers (SECBUFFER_READONLY
/// or SECBUFFER_READONLY_WITH_CHECKSUM) are borrowed
/// read-only; writable ones must not overlap (that would alias), and no
/// buffer may cover the SecBuffer array itself (write-back rewrites it
/// while the views live): both are refused as SEC_E_INVALID_TOKEN.
///
/// # Safety
/// Each buffer's `pvBuffer` must hold `cbBuffer` bytes, writable unless the
/// buffer is marked read-only, and untouched by anyone else during the call.
pub unsafe fn message<'a>(bufs: &[SecBuffer]) -> SecResult<MessageView<'a>> {
    let writable = |b: &SecBuffer| {
        !is_read_only(b.BufferType) && b.BufferType & !SECBUFFER_ATTRMASK != SECBUFFER_EMPTY
    };
    let empty = |b: &SecBuffer| b.BufferType & !SECBUFFER_ATTRMASK == SECBUFFER_EMPTY;
    for (i, a) in bufs.iter().enumerate() {
        if !empty(a) && covers_array(a, bufs) {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        if writable(a) && bufs[i + 1..].iter().any(|b| overlaps(a, b)) {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        if !writable(a) && bufs[i + 1..].iter().any(|b| writable(b) && overlaps(a, b)) {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
    }
    let mut view = MessageView::new();
    for b in bufs {
        let len = b.cbBuffer as usize;
        let buf = if b.BufferType & !SECBUFFER_ATTRMASK == SECBUFFER_EMPTY {
            SecBuf::read_only(b.BufferType, &[])
        } else if writable(b) {
            // SAFETY: writable by the caller's contract, and no other view
            // overlaps it (checked above).
            SecBuf::writable(
                b.BufferType,
                unsafe { boundary::bytes_mut(b.pvBuffer, len) }.ok_or(SEC_E_INVALID_TOKEN)?,
            )
        } else {
            // SAFETY: readable by the caller's contract.
            SecBuf::read_only(
                b.BufferType,
                unsafe { boundary::bytes(b.pvBuffer, len) }.ok_or(SEC_E_INVALID_TOKEN)?,
            )
        };
        view.push(buf);
    }
    Ok(view)
}

/// Reports each view back into the caller's SecBuffer: its type when the
/// package changed it, and its length, or, for a view the package pointed
/// into a buffer (`point_into`), that range of the buffer as the caller gave
/// it, when the range lies within it.
pub fn write_back(bufs: &mut [SecBuffer], view: &MessageView<'_>) {
    // Where each window points, from the caller's pointers, before any is
    // rewritten (rare: only when a package set one).
    let mut windows: SmallVec<[Option<(*mut std::ffi::c_void, u32)>; INLINE_BUFFERS]> =
        SmallVec::new();
    if view.iter().any(|v| v.window().is_some()) {
        windows.extend(view.iter().map(|v| {
            let (index, offset, len) = v.window()?;
            let (target, base) = (view.get(index)?, bufs.get(index)?.pvBuffer);
            let fits = offset.checked_add(len)? <= target.data().len();
            let len = u32::try_from(len).ok()?;
            fits.then(|| (base.cast::<u8>().wrapping_add(offset).cast(), len))
        }));
    }
    for (i, v) in view.iter().enumerate().take(bufs.len()) {
        if v.retyped() {
            bufs[i].BufferType = v.kind();
        }
        match windows.get(i).copied().flatten() {
            Some((p, len)) => {
                bufs[i].pvBuffer = p;
                bufs[i].cbBuffer = len;
            }
            // A range outside its buffer is not reported.
            None if v.window().is_some() => {}
            None if v.kind() != SECBUFFER_EMPTY => bufs[i].cbBuffer = v.len() as u32,
            None => {}
        }
    }
}

/// After SEC_E_INCOMPLETE_MESSAGE: unless the package marked a buffer
/// SECBUFFER_MISSING itself, the first EMPTY buffer becomes one, with the
/// missing count (0: unknown) in cbBuffer.
pub fn mark_missing(bufs: &mut [SecBuffer], missing: usize) {
    let kind = |b: &SecBuffer| b.BufferType & !SECBUFFER_ATTRMASK;
    if bufs.iter().any(|b| kind(b) == SECBUFFER_MISSING) {
        return;
    }
    if let Some(b) = bufs.iter_mut().find(|b| kind(b) == SECBUFFER_EMPTY) {
        b.BufferType = SECBUFFER_MISSING;
        b.cbBuffer = u32::try_from(missing).unwrap_or(u32::MAX);
    }
}

/// A descriptor's buffers for the trace: `[TYPE:LENGTH, ...]`, never their
/// contents.
pub struct Shape<'a>(pub &'a [SecBuffer]);

impl core::fmt::Display for Shape<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("[")?;
        for (i, b) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(
                f,
                "{sep}{}:{}",
                crate::trace::names::buffer_type(b.BufferType),
                b.cbBuffer
            )?;
        }
        f.write_str("]")
    }
}

/// Where a handshake call's output goes: the first SECBUFFER_TOKEN buffer
/// of pOutput, and its first SECBUFFER_ALERT buffer, that are not flagged
/// SECBUFFER_READONLY or SECBUFFER_READONLY_WITH_CHECKSUM; in the caller's
/// memory, or in new memory (freed by FreeContextBuffer) with
/// ALLOCATE_MEMORY. Without a slot, a token is SEC_E_BUFFER_TOO_SMALL, as
/// Windows answers an output with no TOKEN buffer.
pub struct OutputSlot<'a> {
    token: Option<&'a mut SecBuffer>,
    alert: Option<&'a mut SecBuffer>,
    allocate: bool,
    allocated: bool,
}

impl<'a> OutputSlot<'a> {
    /// The slots of `output`. Without ALLOCATE_MEMORY, a buffer over either
    /// SecBuffer array is SEC_E_INVALID_TOKEN, and a NULL buffer with a
    /// length SEC_E_INTERNAL_ERROR.
    pub fn find(
        output: Option<&'a mut [SecBuffer]>,
        input: &[SecBuffer],
        allocate: bool,
    ) -> SecResult<Self> {
        let in_range = array_range(input);
        let out_range = output.as_deref().map(array_range);
        let mut token = None;
        let mut alert = None;
        for b in output.into_iter().flatten() {
            // A read-only buffer is never written: it is no slot.
            if is_read_only(b.BufferType) {
                continue;
            }
            match b.BufferType & !SECBUFFER_ATTRMASK {
                SECBUFFER_TOKEN if token.is_none() => token = Some(b),
                SECBUFFER_ALERT if alert.is_none() => alert = Some(b),
                _ => {}
            }
        }
        if !allocate {
            for b in token.iter().chain(alert.iter()) {
                if meets(b, in_range) || out_range.is_some_and(|r| meets(b, r)) {
                    return Err(SEC_E_INVALID_TOKEN.into());
                }
                if b.pvBuffer.is_null() && b.cbBuffer > 0 {
                    return Err(SEC_E_INTERNAL_ERROR.into());
                }
            }
        }
        Ok(OutputSlot {
            token,
            alert,
            allocate,
            allocated: false,
        })
    }

    /// Writes a finished step's token. `BufferTooSmall` (nothing written)
    /// when it does not fit, unless the token is optional: then nothing is
    /// written and the caller's cbBuffer becomes 0.
    pub fn put(&mut self, out: &StepOutput) -> SecResult<()> {
        let Some(slot) = self.token.as_deref_mut() else {
            return match out.token.is_empty() || out.token_optional {
                true => Ok(()),
                false => Err(Error::BufferTooSmall {
                    needed: out.token.len(),
                }),
            };
        };
        match put_token(slot, &out.token, self.allocate) {
            Ok(()) => {
                self.allocated |= self.allocate && !out.token.is_empty();
                Ok(())
            }
            Err(e) if e == SEC_E_BUFFER_TOO_SMALL && out.token_optional => {
                slot.cbBuffer = 0;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Writes the token that comes with a failure (an SPNEGO reject) when
    /// it fits; otherwise the slot reports no token.
    pub fn put_best_effort(&mut self, token: &[u8]) {
        if let Some(slot) = self.token.as_deref_mut() {
            if put_token(slot, token, self.allocate).is_err() {
                slot.cbBuffer = 0;
                if self.allocate {
                    slot.pvBuffer = std::ptr::null_mut();
                }
            }
        }
    }

    /// Writes an alert into the SECBUFFER_ALERT buffer, when the caller gave
    /// one and it fits (an alert is advisory); with no alert the buffer
    /// reports 0 bytes, as Windows' Schannel returns it.
    pub fn put_alert(&mut self, alert: &[u8]) -> SecResult<()> {
        match self.alert.as_deref_mut() {
            Some(slot) if alert.is_empty() => {
                slot.cbBuffer = 0;
                Ok(())
            }
            Some(slot) => match put_token(slot, alert, self.allocate) {
                Err(e) if e == SEC_E_INSUFFICIENT_MEMORY => Err(e),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// Whether the token went into new memory (ISC_RET_ALLOCATED_MEMORY).
    pub fn allocated(&self) -> bool {
        self.allocated
    }
}

/// Marks the first EMPTY input buffer after the first as `kind` with
/// `count` in cbBuffer (SECBUFFER_EXTRA, SECBUFFER_MISSING), as Windows
/// reports them. Nothing when `count` is 0 (EXTRA) or there is no such
/// buffer.
fn report(input: &mut [SecBuffer], kind: u32, count: usize) {
    if let Some(b) = input
        .iter_mut()
        .skip(1)
        .find(|b| b.BufferType == SECBUFFER_EMPTY)
    {
        b.BufferType = kind;
        b.cbBuffer = u32::try_from(count).unwrap_or(u32::MAX);
    }
}

/// Reports bytes at the end of the input token that belong to the next
/// message (SECBUFFER_EXTRA).
pub fn report_extra(input: &mut [SecBuffer], extra: usize) {
    if extra > 0 {
        report(input, SECBUFFER_EXTRA, extra);
    }
}

/// Reports how many more bytes an incomplete input needs
/// (SECBUFFER_MISSING; 0 when unknown).
pub fn report_missing(input: &mut [SecBuffer], missing: usize) {
    report(input, SECBUFFER_MISSING, missing);
}

/// Writes a handshake token into `slot`: a new allocation (freed by
/// FreeContextBuffer) when `allocate`, else a copy into the caller's buffer,
/// refused with SEC_E_BUFFER_TOO_SMALL when it does not fit.
fn put_token(slot: &mut SecBuffer, token: &[u8], allocate: bool) -> SecResult<()> {
    if allocate {
        if token.is_empty() {
            slot.pvBuffer = std::ptr::null_mut();
            slot.cbBuffer = 0;
            return Ok(());
        }
        let p = memory::alloc_copy(token);
        if p.is_null() {
            return Err(SEC_E_INSUFFICIENT_MEMORY.into());
        }
        slot.pvBuffer = p.cast();
        slot.cbBuffer = token.len() as u32;
        return Ok(());
    }
    if token.len() > slot.cbBuffer as usize {
        return Err(Error::BufferTooSmall {
            needed: token.len(),
        });
    }
    if !token.is_empty() {
        // SAFETY: the caller's buffer holds `cbBuffer` >= token.len() writable bytes.
        let dst = unsafe { boundary::bytes_mut(slot.pvBuffer, token.len()) }
            .ok_or(SEC_E_INVALID_TOKEN)?;
        dst.copy_from_slice(token);
    }
    slot.cbBuffer = token.len() as u32;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_written_past_cb_buffer() {
        let mut space = [0xAAu8; 8];
        let mut slot = SecBuffer {
            cbBuffer: 4,
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: space.as_mut_ptr().cast(),
        };
        assert_eq!(
            put_token(&mut slot, b"12345", false),
            Err(Error::BufferTooSmall { needed: 5 })
        );
        assert_eq!(space, [0xAA; 8]);
        assert_eq!(put_token(&mut slot, b"123", false), Ok(()));
        assert_eq!(slot.cbBuffer, 3);
        assert_eq!(&space[..4], b"123\xAA");
    }

    #[test]
    fn overlapping_writable_buffers_are_refused() {
        let mut space = [0u8; 32];
        let p = space.as_mut_ptr();
        let bufs = [
            SecBuffer {
                cbBuffer: 16,
                BufferType: SECBUFFER_TOKEN,
                pvBuffer: p.cast(),
            },
            SecBuffer {
                cbBuffer: 16,
                BufferType: SECBUFFER_DATA,
                // SAFETY: `p` points at the 32-byte local `space`, so `p.add(8)` stays inside it.
                pvBuffer: unsafe { p.add(8) }.cast(),
            },
        ];
        // SAFETY: both buffers are inside `space`.
        let refused = unsafe { message(&bufs) }.err();
        assert_eq!(refused.map(|e| e.status()), Some(SEC_E_INVALID_TOKEN));
        let ok = [
            SecBuffer {
                cbBuffer: 16,
                BufferType: SECBUFFER_TOKEN,
                pvBuffer: p.cast(),
            },
            SecBuffer {
                cbBuffer: 16,
                BufferType: SECBUFFER_DATA | SECBUFFER_READONLY,
                // SAFETY: `p` points at the 32-byte local `space`, so `p.add(16)` stays inside it.
                pvBuffer: unsafe { p.add(16) }.cast(),
            },
        ];
        // SAFETY: as above.
        let view = unsafe { message(&ok) }.unwrap();
        assert_eq!(view.len(), 2);
        assert!(view[1].data().len() == 16 && view[1].attrs() == SECBUFFER_READONLY);
    }
}
