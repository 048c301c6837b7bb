//! SEC_WINNT_AUTH_IDENTITY_EX2 with packed credentials: any bytes, no
//! panic, no read outside them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opensspi::fuzzing::identity_ex2(data);
});
