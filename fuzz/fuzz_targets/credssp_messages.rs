//! MS-CSSP's TSRequest and TSCredentials decoders: any bytes, no panic, and what decodes round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opensspi::fuzzing::credssp_messages(data);
});
