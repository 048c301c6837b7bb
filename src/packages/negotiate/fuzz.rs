//! SPNEGO's token decoders for the fuzz targets (feature `fuzzing`): any
//! bytes, no panic, and what decodes re-encodes to the same fields.

use super::token;

/// The bytes as an initiator's NegTokenInit and as a NegTokenResp.
pub fn tokens(data: &[u8]) {
    assert!(!super::describe::token(data).is_empty());
    let _ = token::looks_framed(data);
    if let Ok(init) = token::decode_init(data) {
        let mech_token = token::bytes(init.mech_token);
        let again = token::encode_init(&init.mech_types.0, mech_token).expect("re-encodes");
        let back = token::decode_init(&again).expect("re-decodes");
        assert_eq!(back.mech_types, init.mech_types);
        assert_eq!(token::bytes(back.mech_token), mech_token);
        let _ = token::encode_mech_types(&init.mech_types.0).expect("mech types encode");
    }
    if let Ok(resp) = token::decode_resp(data) {
        let again = token::encode_resp(
            resp.neg_state,
            resp.supported_mech,
            token::bytes(resp.response_token),
            token::bytes(resp.mech_list_mic),
        )
        .expect("re-encodes");
        assert_eq!(token::decode_resp(&again).expect("re-decodes"), resp);
    }
}
