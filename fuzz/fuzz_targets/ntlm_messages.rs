//! NTLM's NEGOTIATE, CHALLENGE and AUTHENTICATE parsers and AV pair lists: any bytes, no panic, and what parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opensspi::fuzzing::ntlm_messages(data);
});
