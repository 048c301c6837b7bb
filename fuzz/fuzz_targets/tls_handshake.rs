//! Schannel: record framing, ALPN lists, and the bytes as handshake input to a server and to a client. Any bytes, no panic, every reported range inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opensspi::fuzzing::tls_handshake(data);
});
