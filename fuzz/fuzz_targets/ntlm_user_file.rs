//! The NTLM_USER_FILE parser: any bytes, no panic, and what parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opensspi::fuzzing::ntlm_user_file(data);
});
