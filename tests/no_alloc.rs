//! The per-message path allocates nothing: MakeSignature, VerifySignature,
//! EncryptMessage and DecryptMessage on established NTLM contexts, called
//! through the exports, are counted by a global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;

use opensspi::abi::context_api::{
    AcceptSecurityContext, DeleteSecurityContext, InitializeSecurityContextW,
};
use opensspi::abi::credentials_api::{AcquireCredentialsHandleW, FreeCredentialsHandle};
use opensspi::abi::message_api::{DecryptMessage, EncryptMessage, MakeSignature, VerifySignature};
use opensspi::abi::types::*;
use opensspi::vocabulary::*;

const ZERO: SecHandle = SecHandle {
    dwLower: 0,
    dwUpper: 0,
};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, layout) }
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(p, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(Some(0)).collect()
}

fn credential(usage: u32) -> SecHandle {
    let (mut user, mut password) = (wide("alice"), wide("pw"));
    let id = SEC_WINNT_AUTH_IDENTITY_W {
        User: user.as_mut_ptr(),
        UserLength: 5,
        Domain: ptr::null_mut(),
        DomainLength: 0,
        Password: password.as_mut_ptr(),
        PasswordLength: 2,
        Flags: SEC_WINNT_AUTH_IDENTITY_UNICODE,
    };
    let mut h = ZERO;
    let mut package = wide("NTLM");
    // SAFETY: every pointer is live for the call.
    let s = unsafe {
        AcquireCredentialsHandleW(
            ptr::null_mut(),
            package.as_mut_ptr(),
            usage,
            ptr::null_mut(),
            (&id as *const SEC_WINNT_AUTH_IDENTITY_W).cast_mut().cast(),
            None,
            ptr::null_mut(),
            &mut h,
            ptr::null_mut(),
        )
    };
    assert_eq!(s, SEC_E_OK);
    h
}

/// One SECBUFFER_TOKEN descriptor over `data`.
fn token(data: &mut [u8], len: usize) -> (SecBuffer, SecBufferDesc) {
    let b = SecBuffer {
        cbBuffer: len as u32,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: data.as_mut_ptr().cast(),
    };
    let d = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 1,
        pBuffers: ptr::null_mut(),
    };
    (b, d)
}

#[test]
fn per_message_calls_do_not_allocate() {
    let (cc, sc) = (
        credential(SECPKG_CRED_OUTBOUND),
        credential(SECPKG_CRED_INBOUND),
    );
    let (mut c, mut s) = (ZERO, ZERO);
    let (mut t1, mut t2) = (vec![0u8; 4096], vec![0u8; 4096]);
    let req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY;
    let mut attrs = 0u32;
    let mut len = 0usize;
    let at_start = ALLOCATIONS.with(Cell::get);
    for step in 0..4 {
        let (mut ib, mut id) = token(&mut t1, len);
        let (mut ob, mut od) = token(&mut t2, 4096);
        id.pBuffers = &mut ib;
        od.pBuffers = &mut ob;
        // SAFETY: every pointer is live for the call.
        let status = unsafe {
            if step % 2 == 0 {
                InitializeSecurityContextW(
                    &cc as *const _ as *mut _,
                    if step == 0 { ptr::null_mut() } else { &mut c },
                    ptr::null_mut(),
                    req,
                    0,
                    0,
                    if step == 0 { ptr::null_mut() } else { &mut id },
                    0,
                    &mut c,
                    &mut od,
                    &mut attrs,
                    ptr::null_mut(),
                )
            } else {
                AcceptSecurityContext(
                    &sc as *const _ as *mut _,
                    if step == 1 { ptr::null_mut() } else { &mut s },
                    &mut id,
                    0,
                    0,
                    &mut s,
                    &mut od,
                    &mut attrs,
                    ptr::null_mut(),
                )
            }
        };
        assert!(
            status == SEC_E_OK || status == SEC_I_CONTINUE_NEEDED,
            "step {step}: {status:#x}"
        );
        len = ob.cbBuffer as usize;
        std::mem::swap(&mut t1, &mut t2);
    }

    // The counter sees the handshake's allocations (the test can fail).
    assert!(ALLOCATIONS.with(Cell::get) > at_start);

    let mut sig = [0u8; 16];
    let mut data = vec![0x5au8; 1024];
    let mut bufs = [
        SecBuffer {
            cbBuffer: 16,
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: sig.as_mut_ptr().cast(),
        },
        SecBuffer {
            cbBuffer: 1024,
            BufferType: SECBUFFER_DATA,
            pvBuffer: data.as_mut_ptr().cast(),
        },
    ];
    let mut desc = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 2,
        pBuffers: bufs.as_mut_ptr(),
    };
    let mut round = |desc: &mut SecBufferDesc| {
        // SAFETY: the descriptor and its buffers are live.
        unsafe {
            assert_eq!(MakeSignature(&mut c, 0, desc, 0), SEC_E_OK);
            assert_eq!(VerifySignature(&mut s, desc, 0, ptr::null_mut()), SEC_E_OK);
            assert_eq!(EncryptMessage(&mut c, 0, desc, 0), SEC_E_OK);
            assert_eq!(DecryptMessage(&mut s, desc, 0, ptr::null_mut()), SEC_E_OK);
        }
    };
    round(&mut desc); // the first call derives the session keys
    let before = ALLOCATIONS.with(Cell::get);
    for _ in 0..1000 {
        round(&mut desc);
    }
    let after = ALLOCATIONS.with(Cell::get);
    assert_eq!(after - before, 0, "allocations on the per-message path");
    // SAFETY: live handles.
    unsafe {
        assert_eq!(DeleteSecurityContext(&mut c), SEC_E_OK);
        assert_eq!(DeleteSecurityContext(&mut s), SEC_E_OK);
        assert_eq!(FreeCredentialsHandle(&cc as *const _ as *mut _), SEC_E_OK);
        assert_eq!(FreeCredentialsHandle(&sc as *const _ as *mut _), SEC_E_OK);
    }
}
