//! MS-CSSP's message decoders for the fuzz target (feature `fuzzing`):
//! any bytes, no panic, and what decodes re-encodes to the same fields.

use super::messages::{PasswordCreds, TsRequest};

/// The bytes as a TSRequest and as TSCredentials, and the length a
/// TSRequest's header announces.
pub fn messages(data: &[u8]) {
    if let Some(n) = TsRequest::element_len(data) {
        assert!(n >= 2);
    }
    if let Ok(request) = TsRequest::decode(data) {
        let again = request.encode().expect("re-encodes");
        assert_eq!(TsRequest::decode(&again).expect("re-decodes"), request);
    }
    if let Ok(creds) = PasswordCreds::decode(data) {
        let again = creds.encode().expect("re-encodes");
        assert_eq!(PasswordCreds::decode(&again).expect("re-decodes"), creds);
        assert!(creds.password.len() <= data.len());
    }
}
