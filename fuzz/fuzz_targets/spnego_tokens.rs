//! SPNEGO's NegTokenInit and NegTokenResp decoders: any bytes, no panic, and what parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opensspi::fuzzing::spnego_tokens(data);
});
