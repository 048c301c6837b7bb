//! ImportSecurityContext with any bytes as the packed context, for each
//! package; a context that imports is then used (attributes, signing,
//! sealing, export) and deleted. Real exported contexts are the seeds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opensspi::vocabulary::*;
use opensspi_fuzz::{export, import, protect, session_key, Package};

fuzz_target!(|data: &[u8]| {
    opensspi::fuzzing::reset();
    let Some((&which, blob)) = data.split_first() else {
        return;
    };
    let package = if which & 1 == 0 {
        Package::Ntlm
    } else {
        Package::Negotiate
    };
    let Some(party) = import(package, blob) else {
        return;
    };
    let ctx = party.handle();
    let _ = session_key(ctx);
    // The imported context talks to itself: whatever it seals it may not
    // open (directions differ), but no call may misbehave.
    for seal in [false, true] {
        let (sent, _, _) = protect(ctx, ctx, seal, b"imported context");
        assert!(sent == SEC_E_OK || sent < 0, "unexpected status {sent:#x}");
    }
    let again = export(ctx);
    assert!(
        import(package, &again).is_some(),
        "an export does not import"
    );
});
