//! Memory handed to the caller, freed by FreeContextBuffer.
//!
//! Every allocation opensspi returns (package info arrays, allocated
//! tokens, attribute names and keys) comes from `alloc` here and is recorded
//! with its layout, so that FreeContextBuffer frees exactly what was handed
//! out, zeroes it first (it may hold a session key), and refuses any other
//! pointer instead of corrupting the heap.

use std::alloc::{self, Layout};
use std::collections::BTreeMap;

use parking_lot::Mutex;

/// Alignment of every returned block: enough for any SSPI structure.
const ALIGN: usize = 16;

/// Every block handed out and not yet freed (a const-built map: no heap
/// until the first block, and `forget_all` gives it all back).
static LIVE: Mutex<BTreeMap<usize, Layout>> = Mutex::new(BTreeMap::new());

/// Drops the record of outstanding blocks, for the library's unloading. The
/// blocks themselves are the caller's (still unfreed: a leak of theirs).
pub fn forget_all() {
    let taken = std::mem::take(&mut *LIVE.lock());
    drop(taken);
}

/// Allocates `size` zeroed bytes for the caller (at least one byte, so the
/// pointer is unique). Returns NULL when memory is exhausted.
pub fn alloc(size: usize) -> *mut u8 {
    let Ok(layout) = Layout::from_size_align(size.max(1), ALIGN) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { alloc::alloc_zeroed(layout) };
    if !p.is_null() {
        LIVE.lock().insert(p as usize, layout);
    }
    p
}

/// Allocates a copy of `data`; NULL when memory is exhausted.
pub fn alloc_copy(data: &[u8]) -> *mut u8 {
    let p = alloc(data.len());
    if !p.is_null() {
        // SAFETY: `p` was just allocated with at least `data.len()` bytes.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
    }
    p
}

/// Allocates a copy of a NUL-terminated string of units.
pub fn alloc_units<U: Copy>(units: &[U]) -> *mut U {
    let bytes = std::mem::size_of_val(units);
    let p = alloc(bytes);
    if !p.is_null() {
        // SAFETY: `p` has `bytes` bytes and ALIGN satisfies any unit's alignment.
        unsafe { std::ptr::copy_nonoverlapping(units.as_ptr(), p.cast::<U>(), units.len()) };
    }
    p.cast()
}

/// Frees a block `alloc` returned, after zeroing it. `false` (and nothing
/// freed) for any other pointer.
// Sound as a safe fn: `p` is dereferenced only when the registry shows it
// is a live block this module allocated.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn free(p: *mut u8) -> bool {
    let Some(layout) = LIVE.lock().remove(&(p as usize)) else {
        return false;
    };
    // SAFETY: `p` was returned by `alloc` with this layout and was still live
    // (we just removed it from the registry, so no one else frees it).
    unsafe {
        std::ptr::write_bytes(p, 0, layout.size());
        alloc::dealloc(p, layout);
    }
    true
}

/// Zeroes a block `alloc` returned, keeping it allocated. `false` (and
/// nothing written) for any other pointer.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn zero(p: *mut u8) -> bool {
    let live = LIVE.lock();
    let Some(layout) = live.get(&(p as usize)) else {
        return false;
    };
    // SAFETY: `p` is a live block of `layout.size()` bytes that this module
    // allocated; the registry lock keeps it from being freed meanwhile.
    unsafe { std::ptr::write_bytes(p, 0, layout.size()) };
    true
}

/// How many blocks the caller has not freed yet.
pub fn outstanding() -> usize {
    LIVE.lock().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frees_only_what_it_handed_out() {
        let p = alloc_copy(b"secret");
        assert!(!p.is_null());
        let mut local = [0u8; 4];
        assert!(!free(local.as_mut_ptr()));
        // SAFETY: `p` has 6 bytes; offset 1 is inside it.
        assert!(!free(unsafe { p.add(1) }));
        assert!(free(p));
        assert!(!free(p), "double free refused");
    }
}
