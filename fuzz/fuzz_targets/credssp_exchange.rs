//! CredSSP: a real exchange (TLS 1.3, NTLM inside) with one TSRequest's plaintext replaced by fuzzed bytes, sealed so that it reaches the state machine. No panic; a server that completes holds exactly the client's credentials.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opensspi::fuzzing::credssp_exchange(data);
});
