//! Schannel: the bytes as records for DecryptMessage on an established connection, both sides. Any bytes, no panic, every reported range inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opensspi::fuzzing::tls_records(data);
});
