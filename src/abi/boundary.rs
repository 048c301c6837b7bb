//! The panic boundary and the checked pointer conversions every export uses.
//!
//! No exported function dereferences a caller's pointer except through these
//! helpers, which reject NULL and misaligned pointers. What they cannot check
//! (that a non-NULL pointer points at live memory of the stated size) is the
//! caller's side of the SSPI contract, as on Windows.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::abi::types::{SecHandle, SECURITY_STATUS};
use crate::error::SecResult;
use crate::trace;
use crate::vocabulary::SEC_E_INTERNAL_ERROR;

/// Runs the body of the export `name`; a panic becomes SEC_E_INTERNAL_ERROR
/// instead of unwinding into C. With tracing on, the call's line (and a
/// failure's cause) is written when it returns.
pub fn guard(name: &'static str, body: impl FnOnce() -> SECURITY_STATUS) -> SECURITY_STATUS {
    let call = trace::Call::begin(name);
    let status = catch_unwind(AssertUnwindSafe(body)).unwrap_or(SEC_E_INTERNAL_ERROR);
    call.end(status);
    status
}

/// What an export's helper returns: a status, or a result whose error maps
/// to one (`Error::status`).
pub trait IntoStatus {
    /// The status the caller gets.
    fn into_status(self) -> SECURITY_STATUS;
}

impl IntoStatus for SECURITY_STATUS {
    fn into_status(self) -> SECURITY_STATUS {
        self
    }
}

impl IntoStatus for SecResult<SECURITY_STATUS> {
    fn into_status(self) -> SECURITY_STATUS {
        status(self)
    }
}

/// The body of every export: calls the export's helper (an `unsafe fn`
/// returning a status or a `SecResult` of one) inside the panic boundary.
/// The export's signature stays written out, for cbindgen and the reader.
macro_rules! ffi_boundary {
    ($name:literal, $call:expr) => {
        $crate::abi::boundary::guard($name, || {
            $crate::abi::boundary::IntoStatus::into_status(
                // SAFETY: the export hands its caller's pointers, unchanged, to
                // its helper, which checks each for NULL and alignment before
                // use; that they point at memory valid for their types and
                // stated lengths is the caller's side of the SSPI contract.
                unsafe { $call },
            )
        })
    };
}
pub(crate) use ffi_boundary;

/// Collapses a result into the status the caller gets: the success status,
/// or the error's (`Error::status`, the one mapping).
pub fn status(r: SecResult<SECURITY_STATUS>) -> SECURITY_STATUS {
    r.unwrap_or_else(|e| e.status())
}

fn usable<T>(p: *const T) -> bool {
    !p.is_null() && p.is_aligned()
}

/// Reads a `T` from a caller's pointer, or `None` if it is NULL or misaligned.
///
/// # Safety
/// A non-NULL `p` must point at a readable `T`.
pub unsafe fn read<T: Copy>(p: *const T) -> Option<T> {
    if !usable(p) {
        return None;
    }
    // SAFETY: non-NULL and aligned, and readable by the caller's contract.
    Some(unsafe { p.read() })
}

/// Writes `v` through a caller's out pointer; `false` if it is NULL or misaligned.
///
/// # Safety
/// A non-NULL `p` must point at writable memory for a `T`.
pub unsafe fn write<T>(p: *mut T, v: T) -> bool {
    if !usable(p) {
        return false;
    }
    // SAFETY: non-NULL and aligned, and writable by the caller's contract.
    unsafe { p.write(v) };
    true
}

/// Reads a handle; `None` for a NULL pointer.
///
/// # Safety
/// As `read`.
pub unsafe fn read_handle(p: *const SecHandle) -> Option<SecHandle> {
    // SAFETY: forwarded contract.
    unsafe { read(p) }
}

/// Borrows `len` bytes of a caller's buffer. A zero length gives an empty
/// slice whatever the pointer; a NULL pointer with a length gives `None`.
///
/// # Safety
/// A non-NULL `p` must point at `len` readable bytes that stay valid and
/// unmodified for `'a`.
pub unsafe fn bytes<'a>(p: *const c_void, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL, u8 has no alignment, and the caller guarantees `len` bytes.
    Some(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) })
}

/// Borrows `len` bytes of a caller's buffer mutably.
///
/// # Safety
/// As `bytes`, and the memory must be writable and not otherwise borrowed for `'a`.
pub unsafe fn bytes_mut<'a>(p: *mut c_void, len: usize) -> Option<&'a mut [u8]> {
    if len == 0 {
        return Some(&mut []);
    }
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL, u8 has no alignment, and the caller guarantees `len`
    // writable bytes that nothing else borrows during the call.
    Some(unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), len) })
}

/// Borrows `len` elements of a caller's array.
///
/// # Safety
/// A non-NULL `p` must point at `len` readable `T`s valid for `'a`.
pub unsafe fn slice<'a, T>(p: *const T, len: usize) -> Option<&'a [T]> {
    if len == 0 {
        return Some(&[]);
    }
    if !usable(p) {
        return None;
    }
    // SAFETY: non-NULL, aligned, and `len` elements by the caller's contract.
    Some(unsafe { std::slice::from_raw_parts(p, len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_turns_panics_into_internal_error() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let s = guard("Test", || panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(s, SEC_E_INTERNAL_ERROR);
        assert_eq!(guard("Test", || 5), 5);
    }

    #[test]
    fn null_and_misaligned_pointers_are_refused() {
        let mut x = [0u64; 2];
        let p = x.as_mut_ptr();
        // SAFETY: NULL and a misaligned pointer are rejected before any access.
        unsafe {
            assert!(read::<u64>(std::ptr::null()).is_none());
            assert!(read::<u64>(p.cast::<u8>().add(1).cast()).is_none());
            assert!(!write::<u64>(std::ptr::null_mut(), 1));
            assert!(bytes(std::ptr::null(), 4).is_none());
            assert_eq!(bytes(std::ptr::null(), 0), Some(&[][..]));
            assert!(write(p, 9));
        }
        assert_eq!(x[0], 9);
    }
}
