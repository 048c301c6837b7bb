//! Per-message protection: MakeSignature, VerifySignature, EncryptMessage,
//! DecryptMessage. This is the hot path: no heap allocation for up to eight
//! buffers, and only the context's own lock is taken.
#![allow(non_snake_case)]

use crate::abi::boundary::ffi_boundary;
use crate::abi::boundary::{self, status};
use crate::abi::buffers::{self, MessageView};
use crate::abi::context_api::context;
use crate::abi::types::*;
use crate::env::SystemEnv;
use crate::package::{AnyContext, DynPackage, Error, SecBuf, SecResult, Unprotected};
use crate::vocabulary::*;

/// Runs a per-message operation over the caller's buffers and reports the
/// buffers' new lengths, pointers and types back, on success and with
/// SEC_E_INCOMPLETE_MESSAGE (whose missing count goes into a
/// SECBUFFER_MISSING buffer). NULL message: SEC_E_INVALID_TOKEN.
unsafe fn protect<T>(
    ctx: *const SecHandle,
    message: *const SecBufferDesc,
    op: impl FnOnce(&dyn DynPackage, &mut AnyContext, &mut [SecBuf<'_>]) -> SecResult<T>,
) -> SecResult<T> {
    // SAFETY: `ctx` (`phContext`) is NULL or points at a SecHandle by the caller's contract;
    // `context` checks NULL and alignment before reading it.
    let ctx = unsafe { context(ctx) }?;
    // SAFETY: `message` (`pMessage`) is NULL (refused by `descriptors`) or points at a
    // SecBufferDesc whose `pBuffers` holds `cBuffers` entries, by the caller's contract.
    let bufs = unsafe { buffers::descriptors(message) }.ok_or(SEC_E_INVALID_TOKEN)?;
    crate::trace::note(format_args!(" buffers={}", buffers::Shape(bufs)));
    // SAFETY: each buffer of `pMessage` holds `cbBuffer` bytes, writable unless READONLY
    // and untouched by others during the call, by the caller's contract; `message`
    // refuses overlapping writable buffers and NULL with a length.
    let mut view: MessageView<'_> = unsafe { buffers::message(bufs) }?;
    let r = op(ctx.package, &mut *ctx.lock()?, &mut view);
    match &r {
        Ok(_) => buffers::write_back(bufs, &view),
        Err(Error::Incomplete { missing }) => {
            buffers::write_back(bufs, &view);
            buffers::mark_missing(bufs, *missing);
        }
        Err(_) => {}
    }
    r
}

/// `protect` for an operation that verifies or decrypts: the quality of
/// protection, when the package reports one, goes through the optional
/// `qop` pointer on success only, and
/// the call returns SEC_E_OK or the informational status the package gave.
unsafe fn unprotect(
    ctx: *const SecHandle,
    message: *const SecBufferDesc,
    qop: *mut ULONG,
    op: impl FnOnce(&dyn DynPackage, &mut AnyContext, &mut [SecBuf<'_>]) -> SecResult<Unprotected>,
) -> SECURITY_STATUS {
    // SAFETY: forwarded contract.
    status(unsafe { protect(ctx, message, op) }.map(|u| {
        if let Some(value) = u.qop {
            // SAFETY: an optional out pointer, checked for NULL and alignment.
            unsafe { boundary::write(qop, value) };
        }
        u.status.status()
    }))
}

/// MakeSignature's and EncryptMessage's operation.
#[derive(Clone, Copy)]
enum Op {
    Sign,
    Encrypt,
}

/// MakeSignature's and EncryptMessage's body.
///
/// # Safety
/// As `protect`.
unsafe fn sign(
    ctx: *const SecHandle,
    qop: ULONG,
    message: *const SecBufferDesc,
    seq: ULONG,
    op: Op,
) -> SecResult<SECURITY_STATUS> {
    if qop != 0 {
        crate::trace::note(format_args!(" qop={qop:#x}"));
    }
    // SAFETY: forwarded contract.
    unsafe {
        protect(ctx, message, |p, c, m| match op {
            Op::Sign => p.make_signature(c, qop, m, seq),
            Op::Encrypt => p.encrypt(c, qop, m, seq, &SystemEnv),
        })
    }?;
    Ok(SEC_E_OK)
}

/// Signs the message's buffers into its SECBUFFER_TOKEN buffer (whose
/// cbBuffer becomes the signature's length).
#[no_mangle]
pub unsafe extern "C" fn MakeSignature(
    phContext: PCtxtHandle,
    fQOP: ULONG,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "MakeSignature",
        sign(phContext, fQOP, pMessage, MessageSeqNo, Op::Sign)
    )
}

/// Verifies a signature made by the peer's MakeSignature. A mismatch is
/// SEC_E_MESSAGE_ALTERED, a replayed or reordered message
/// SEC_E_OUT_OF_SEQUENCE; `*pfQOP` (optional) is written only on success.
#[no_mangle]
pub unsafe extern "C" fn VerifySignature(
    phContext: PCtxtHandle,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
    pfQOP: *mut ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "VerifySignature",
        unprotect(phContext, pMessage, pfQOP, |p, c, m| {
            p.verify_signature(c, m, MessageSeqNo)
        })
    )
}

/// Encrypts the message's SECBUFFER_DATA buffers in place and writes the
/// trailer into its SECBUFFER_TOKEN buffer. READONLY buffers are signed but
/// not encrypted. SECQOP_WRAP_NO_ENCRYPT signs only.
#[no_mangle]
pub unsafe extern "C" fn EncryptMessage(
    phContext: PCtxtHandle,
    fQOP: ULONG,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "EncryptMessage",
        sign(phContext, fQOP, pMessage, MessageSeqNo, Op::Encrypt)
    )
}

/// Decrypts a message made by the peer's EncryptMessage, in place.
/// `*pfQOP` (optional) is written only on success.
#[no_mangle]
pub unsafe extern "C" fn DecryptMessage(
    phContext: PCtxtHandle,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
    pfQOP: *mut ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "DecryptMessage",
        unprotect(phContext, pMessage, pfQOP, |p, c, m| {
            p.decrypt(c, m, MessageSeqNo)
        })
    )
}
