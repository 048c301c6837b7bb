//! The ABI with the mock package (registered in the crate's tests): what
//! the package interface lets a package do, seen through the exports. A
//! token that does not fit is handed out by the next call; DecryptMessage
//! changes buffer types, points buffers into the record, reports a missing
//! count, and returns informational statuses.

use std::ptr;

use crate::abi::context_api::{
    AcceptSecurityContext, DeleteSecurityContext, InitializeSecurityContextA,
};
use crate::abi::credentials_api::{AcquireCredentialsHandleA, FreeCredentialsHandle};
use crate::abi::message_api::DecryptMessage;
use crate::abi::types::*;
use crate::vocabulary::*;

const ZERO: SecHandle = SecHandle {
    dwLower: 0,
    dwUpper: 0,
};

fn credential(usage: ULONG) -> SecHandle {
    let mut h = ZERO;
    // SAFETY: a NUL-terminated package name and a writable handle; the rest NULL.
    let s = unsafe {
        AcquireCredentialsHandleA(
            ptr::null_mut(),
            c"Mock".as_ptr().cast_mut(),
            usage,
            ptr::null_mut(),
            ptr::null_mut(),
            None,
            ptr::null_mut(),
            &mut h,
            ptr::null_mut(),
        )
    };
    assert_eq!(s, SEC_E_OK);
    h
}

/// An ISC call on `ctx` (a new context when it is zero) with `input` as its
/// token and `room` bytes of output: (status, token written).
fn isc(
    cred: &SecHandle,
    ctx: &mut SecHandle,
    input: &[u8],
    room: usize,
) -> (SECURITY_STATUS, Vec<u8>) {
    let mut out = vec![0u8; room];
    let mut inb = SecBuffer {
        cbBuffer: input.len() as u32,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: input.as_ptr().cast_mut().cast(),
    };
    let mut outb = SecBuffer {
        cbBuffer: room as u32,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: out.as_mut_ptr().cast(),
    };
    let ind = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 1,
        pBuffers: &mut inb,
    };
    let outd = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 1,
        pBuffers: &mut outb,
    };
    let mut attrs = 0;
    let existing = if *ctx == ZERO {
        ptr::null_mut()
    } else {
        ptr::from_mut(ctx)
    };
    // SAFETY: every pointer is a live local of the right type.
    let s = unsafe {
        InitializeSecurityContextA(
            ptr::from_ref(cred).cast_mut(),
            existing,
            ptr::null_mut(),
            0,
            0,
            0,
            if input.is_empty() {
                ptr::null_mut()
            } else {
                ptr::from_ref(&ind).cast_mut()
            },
            0,
            ctx,
            ptr::from_ref(&outd).cast_mut(),
            &mut attrs,
            ptr::null_mut(),
        )
    };
    out.truncate(outb.cbBuffer as usize);
    (s, out)
}

#[test]
fn a_token_too_big_for_the_buffer_is_handed_out_by_the_next_call() {
    let cred = credential(SECPKG_CRED_OUTBOUND);
    let mut ctx = ZERO;
    assert_eq!(
        isc(&cred, &mut ctx, b"", 64),
        (SEC_I_CONTINUE_NEEDED, b"init".to_vec())
    );
    // "more" answers a 14-byte token: 4 bytes of room are too few.
    assert_eq!(isc(&cred, &mut ctx, b"more", 4).0, SEC_E_BUFFER_TOO_SMALL);
    // The next call hands out that token without another package step:
    // its own input, which the package would refuse, is not looked at.
    assert_eq!(
        isc(&cred, &mut ctx, b"garbage", 64),
        (SEC_I_CONTINUE_NEEDED, b"a longer token".to_vec())
    );
    // Then the package again.
    assert_eq!(isc(&cred, &mut ctx, b"garbage", 64).0, SEC_E_INVALID_TOKEN);
    // SAFETY: live handles.
    unsafe {
        assert_eq!(DeleteSecurityContext(&mut ctx), SEC_E_OK);
        assert_eq!(
            FreeCredentialsHandle(ptr::from_ref(&cred).cast_mut()),
            SEC_E_OK
        );
    }
}

/// An established acceptor context of the mock package.
fn acceptor() -> (SecHandle, SecHandle) {
    let cred = credential(SECPKG_CRED_INBOUND);
    let mut ctx = ZERO;
    let mut inb = SecBuffer {
        cbBuffer: 4,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: b"init".as_ptr().cast_mut().cast(),
    };
    let mut out = [0u8; 16];
    let mut outb = SecBuffer {
        cbBuffer: 16,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: out.as_mut_ptr().cast(),
    };
    let mut ind = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 1,
        pBuffers: &mut inb,
    };
    let mut outd = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 1,
        pBuffers: &mut outb,
    };
    let mut attrs = 0;
    // SAFETY: every pointer is a live local of the right type.
    let s = unsafe {
        AcceptSecurityContext(
            ptr::from_ref(&cred).cast_mut(),
            ptr::null_mut(),
            &mut ind,
            0,
            0,
            &mut ctx,
            &mut outd,
            &mut attrs,
            ptr::null_mut(),
        )
    };
    assert_eq!(s, SEC_E_OK);
    (cred, ctx)
}

/// DecryptMessage over `record` in the first buffer and three EMPTY ones:
/// (status, each buffer's (type, offset into `record` or None, length)).
fn decrypt(
    ctx: &mut SecHandle,
    record: &mut [u8],
) -> (SECURITY_STATUS, Vec<(u32, Option<usize>, u32)>) {
    let base = record.as_mut_ptr();
    let empty = SecBuffer {
        cbBuffer: 0,
        BufferType: SECBUFFER_EMPTY,
        pvBuffer: ptr::null_mut(),
    };
    let mut bufs = [
        SecBuffer {
            cbBuffer: record.len() as u32,
            BufferType: SECBUFFER_DATA,
            pvBuffer: base.cast(),
        },
        empty,
        empty,
        empty,
    ];
    let mut desc = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 4,
        pBuffers: bufs.as_mut_ptr(),
    };
    let mut qop = 0xdead;
    // SAFETY: the descriptor and its buffers are live locals.
    let s = unsafe { DecryptMessage(ctx, &mut desc, 0, &mut qop) };
    let seen = bufs
        .iter()
        .map(|b| {
            let offset = (!b.pvBuffer.is_null()).then(|| b.pvBuffer as usize - base as usize);
            (b.BufferType, offset, b.cbBuffer)
        })
        .collect();
    (s, seen)
}

#[test]
fn decrypt_message_retypes_buffers_and_points_them_into_the_record() {
    let (cred, mut ctx) = acceptor();
    // Header 17 05, payload "hello", trailer EE EE, then 3 bytes of the next.
    let mut record = *b"\x17\x05hello\xee\xeeNXT";
    let (s, seen) = decrypt(&mut ctx, &mut record);
    assert_eq!(s, SEC_E_OK);
    assert_eq!(
        seen,
        [
            (SECBUFFER_STREAM_HEADER, Some(0), 2),
            (SECBUFFER_DATA, Some(2), 5),
            (SECBUFFER_STREAM_TRAILER, Some(7), 2),
            (SECBUFFER_EXTRA, Some(9), 3),
        ]
    );
    // A record cut short: SEC_E_INCOMPLETE_MESSAGE, and a MISSING buffer
    // with the count of bytes still to come.
    let (s, seen) = decrypt(&mut ctx, &mut record[..6]);
    assert_eq!(s, SEC_E_INCOMPLETE_MESSAGE);
    assert_eq!(seen[0], (SECBUFFER_DATA, Some(0), 6));
    assert_eq!(seen[1], (SECBUFFER_MISSING, None, 3));
    assert_eq!(seen[2], (SECBUFFER_EMPTY, None, 0));
    // Informational statuses.
    let mut close = *b"\x17\x05close\xee\xee";
    assert_eq!(decrypt(&mut ctx, &mut close).0, SEC_I_CONTEXT_EXPIRED);
    let mut again = *b"\x17\x0brenegotiate\xee\xee";
    assert_eq!(decrypt(&mut ctx, &mut again).0, SEC_I_RENEGOTIATE);
    // SAFETY: live handles.
    unsafe {
        assert_eq!(DeleteSecurityContext(&mut ctx), SEC_E_OK);
        assert_eq!(
            FreeCredentialsHandle(ptr::from_ref(&cred).cast_mut()),
            SEC_E_OK
        );
    }
}
