//! Kerberos' ASN.1 messages, KDC replies, AP-REQ and AP-REP: any bytes, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opensspi::fuzzing::kerberos_messages(data);
});
