//! RFC 4121 Wrap and MIC tokens: any bytes, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opensspi::fuzzing::kerberos_tokens(data);
});
