//! MS-CSSP for the fuzz targets (feature `fuzzing`): the message decoders
//! (any bytes, no panic, and what decodes re-encodes to the same fields),
//! and a real exchange whose TSRequests are replaced by fuzzed plaintext.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::abi::types::SEC_WINNT_AUTH_IDENTITY_W;
use crate::env::SystemEnv;
use crate::package::*;
use crate::packages::negotiate::NEGOTIATE;
use crate::packages::schannel::fuzz::token;
use crate::packages::schannel::SchannelCredentials;
use crate::vocabulary::*;

use super::context::CredsspContext;
use super::credentials::CredsspCredentials;
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

/// A client's and a server's credentials, NTLM inside with the same
/// explicit identity (CORP\alice), the server's certificate the test one.
fn credentials() -> (CredsspCredentials, CredsspCredentials) {
    let certified = crate::packages::schannel::fuzz::server_certificate();
    let roots = Arc::new(rustls::RootCertStore::empty());
    let mut user: Vec<u16> = "alice".encode_utf16().collect();
    let mut domain: Vec<u16> = "CORP".encode_utf16().collect();
    let mut password: Vec<u16> = "Passw0rd!".encode_utf16().collect();
    let mut id = SEC_WINNT_AUTH_IDENTITY_W {
        User: user.as_mut_ptr(),
        UserLength: user.len() as u32,
        Domain: domain.as_mut_ptr(),
        DomainLength: domain.len() as u32,
        Password: password.as_mut_ptr(),
        PasswordLength: password.len() as u32,
        Flags: SEC_WINNT_AUTH_IDENTITY_UNICODE,
    };
    let ptr = NonNull::from(&mut id).cast::<c_void>();
    let make = |inbound: bool| {
        // SAFETY: `id` and the strings it points at live until the end of
        // `credentials`, and nothing writes them meanwhile.
        let auth = unsafe { AuthData::new(ptr, true) };
        let usage = CredentialUse(if inbound {
            SECPKG_CRED_INBOUND
        } else {
            SECPKG_CRED_OUTBOUND
        });
        let request = AcquireRequest {
            principal: None,
            usage,
            auth: Some(auth),
            env: &SystemEnv,
        };
        let (negotiate, _) = Package::acquire_credentials(&NEGOTIATE, request)
            .expect("Negotiate takes the identity");
        CredsspCredentials {
            usage,
            schannel: SchannelCredentials::direct(
                inbound,
                inbound.then(|| certified.clone()),
                roots.clone(),
            ),
            negotiate,
            delegate: (!inbound).then(|| PasswordCreds {
                domain: Zeroizing::new(b"C\0O\0R\0P\0".to_vec()),
                user: Zeroizing::new(b"a\0l\0i\0c\0e\0".to_vec()),
                password: Zeroizing::new(b"P\0a\0s\0s\0w\x000\0r\0d\0!\0".to_vec()),
            }),
        }
    };
    (make(false), make(true))
}

/// One call's output token, checked against its input; `None` when the
/// call failed.
fn call(p: SecResult<Progress>, given: usize) -> Option<Vec<u8>> {
    match p {
        Ok(Progress::Done(out)) => {
            assert!(out.extra <= given, "EXTRA within the input");
            Some(out.token)
        }
        Ok(Progress::Exchange(_)) => panic!("NTLM asks for no exchange"),
        Err(Error::Reject { token, .. }) => {
            assert!(!token.is_empty(), "a Reject carries a token");
            None
        }
        Err(_) => None,
    }
}

/// A real exchange (TLS 1.3, NTLM inside) in which one TSRequest's
/// plaintext is replaced by the bytes after the first (sealed properly,
/// so that it reaches the state machine): by its low bit, the client's or
/// the server's; by the next two, which of its TSRequests (the client
/// sends three, the server two: a larger number replaces none). No panic,
/// and a server that completes holds exactly the client's credentials.
/// Whether the server completed.
pub fn exchange(data: &[u8]) -> bool {
    let Some((&which, plain)) = data.split_first() else {
        return false;
    };
    let (fuzz_client, index) = (which & 1 == 0, usize::from(which >> 1) % 4);
    let (client_cred, server_cred) = credentials();
    let none: [InBuf<'_>; 0] = [];
    let Ok((mut client, first)) = CredsspContext::initialize(&client_cred, &input(&none, true))
    else {
        return false;
    };
    let Some(mut to_server) = call(Ok(first), 0) else {
        return false;
    };
    let mut server: Option<CredsspContext> = None;
    let mut injected = false;
    for _ in 0..8 {
        if !to_server.is_empty() {
            let bufs = token(&to_server);
            let stepped = match server.as_mut() {
                Some(s) => {
                    if !fuzz_client && !injected && s.sent == index {
                        s.replace_next = Some(plain.to_vec());
                        injected = true;
                    }
                    s.step(Some(&server_cred), &input(&bufs, false))
                }
                None => CredsspContext::accept(&server_cred, &input(&bufs, false)).map(|(s, p)| {
                    server = Some(s);
                    p
                }),
            };
            let Some(out) = call(stepped, to_server.len()) else {
                break;
            };
            to_server.clear();
            if out.is_empty() && server.as_ref().is_some_and(|s| s.established()) {
                break;
            }
            let bufs = token(&out);
            if fuzz_client && !injected && client.sent == index {
                client.replace_next = Some(plain.to_vec());
                injected = true;
            }
            let Some(back) = call(
                client.step(Some(&client_cred), &input(&bufs, true)),
                out.len(),
            ) else {
                break;
            };
            to_server = back;
        } else {
            break;
        }
    }
    let Some(s) = &server else {
        return false;
    };
    if let Some(got) = s.delegated() {
        assert!(s.established());
        assert_eq!(
            Some(got),
            client_cred.delegate.as_ref(),
            "only the client's credentials"
        );
    }
    s.established()
}

/// A call's input: the client's with Microsoft's test suite's flags.
fn input<'a>(inputs: &'a [InBuf<'a>], client: bool) -> StepInput<'a> {
    StepInput {
        target: client.then_some("TERMSRV/localhost"),
        req_flags: if client {
            ISC_REQ_DELEGATE
                | ISC_REQ_CONFIDENTIALITY
                | ISC_REQ_REPLAY_DETECT
                | ISC_REQ_SEQUENCE_DETECT
                | ISC_REQ_STREAM
        } else {
            ASC_REQ_CONFIDENTIALITY | ASC_REQ_STREAM
        },
        data_rep: 0,
        inputs,
        env: &SystemEnv,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_exchange_completes_unless_a_request_is_replaced() {
        // Client (low bit 0), index 3: nothing replaced.
        assert!(super::exchange(&[6]));
        // Its first, second or last TSRequest replaced by an empty one.
        for which in [0, 2, 4] {
            assert!(!super::exchange(&[which]));
        }
        // The server's first or second.
        for which in [1, 3] {
            assert!(!super::exchange(&[which]));
        }
    }
}
