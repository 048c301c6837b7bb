//! Unloading: when the host `dlclose`s the library (and at process exit),
//! every handle, table and record the library keeps is freed, so that
//! dlopen/dlclose cycles leak nothing. Handles the host still holds are
//! invalid afterwards; a call still running elsewhere keeps its context
//! alive (it holds a reference) until it returns.

#[cfg_attr(
    not(any(target_os = "linux", target_vendor = "apple")),
    allow(dead_code)
)]
extern "C" fn unload() {
    // A destructor must not unwind into the loader.
    let _ = std::panic::catch_unwind(|| {
        crate::state::release_all();
        crate::abi::memory::forget_all();
        crate::trace::shutdown();
    });
}

/// Registered as an ELF destructor (run by `dlclose` and by `exit`).
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".fini_array"]
static UNLOAD: extern "C" fn() = unload;

/// Registered as a Mach-O terminator (run when the image is unloaded).
#[cfg(target_vendor = "apple")]
#[used]
#[link_section = "__DATA,__mod_term_func"]
static UNLOAD: extern "C" fn() = unload;
