//! SPNEGO tokens in words, for the trace: which token, negState, the
//! mechanisms by name, and the size of the mechanism token and whether a
//! mechListMIC is present (never its bytes). The mechanism's own token is
//! described by the mechanism when it processes it.

use core::fmt::Write as _;

use der::asn1::ObjectIdentifier;

use super::token::{self, NegState};

/// Well-known mechanism OIDs by name.
fn mech_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    Some(match oid.to_string().as_str() {
        "1.3.6.1.4.1.311.2.2.10" => "NTLM",
        "1.2.840.113554.1.2.2" => "Kerberos",
        "1.2.840.48018.1.2.2" => "Kerberos (Microsoft OID)",
        "1.2.840.113554.1.2.2.3" => "Kerberos user-to-user",
        "1.3.6.1.5.2.5" => "IAKERB",
        "1.3.6.1.4.1.311.2.2.30" => "NegoEx",
        "1.3.6.1.5.5.2" => "SPNEGO",
        _ => return None,
    })
}

/// A mechanism as `Name (oid)`, or the bare OID.
pub fn mech(oid: &ObjectIdentifier) -> String {
    match mech_name(oid) {
        Some(name) => format!("{name} ({oid})"),
        None => oid.to_string(),
    }
}

fn neg_state(s: NegState) -> &'static str {
    match s {
        NegState::AcceptCompleted => "accept-completed",
        NegState::AcceptIncomplete => "accept-incomplete",
        NegState::Reject => "reject",
        NegState::RequestMic => "request-mic",
    }
}

fn present(field: Option<&[u8]>) -> String {
    match field {
        Some(b) => format!("{} bytes", b.len()),
        None => "none".to_owned(),
    }
}

/// One SPNEGO token (or a raw token where SPNEGO was expected), summarised.
pub fn token(bytes: &[u8]) -> String {
    let n = bytes.len();
    let mut out = String::new();
    if token::looks_framed(bytes) {
        return match token::decode_init(bytes) {
            Ok(init) => {
                let mechs: Vec<String> = init.mech_types.0.iter().map(mech).collect();
                let _ = write!(
                    out,
                    "NegTokenInit ({n} bytes) mechTypes=[{}] mechToken={} mechListMIC={}",
                    mechs.join(", "),
                    present(token::bytes(init.mech_token)),
                    present(token::bytes(init.mech_list_mic))
                );
                out
            }
            Err(_) => format!(
                "SPNEGO initial token that does not parse, or a NegTokenInit2 hint ({n} bytes)"
            ),
        };
    }
    match token::decode_resp(bytes) {
        Ok(resp) => {
            let _ = write!(
                out,
                "NegTokenResp ({n} bytes) negState={} supportedMech={} responseToken={} mechListMIC={}",
                resp.neg_state.map_or("none", neg_state),
                resp.supported_mech.as_ref().map_or("none".to_owned(), mech),
                present(token::bytes(resp.response_token)),
                present(token::bytes(resp.mech_list_mic))
            );
            out
        }
        Err(_) if bytes.starts_with(b"NTLMSSP\0") => {
            format!("raw NTLM token, no SPNEGO ({n} bytes)")
        }
        Err(_) => format!("not a SPNEGO token ({n} bytes)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NTLM: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.2.10");

    #[test]
    fn tokens_summarised_by_name() {
        let init = token::encode_init(&[NTLM], Some(b"NTLMSSP\0\x01")).unwrap();
        assert_eq!(
            token(&init),
            format!(
                "NegTokenInit ({} bytes) mechTypes=[NTLM (1.3.6.1.4.1.311.2.2.10)] mechToken=9 bytes mechListMIC=none",
                init.len()
            )
        );
        let resp = token::encode_resp(
            Some(NegState::AcceptIncomplete),
            Some(NTLM),
            Some(b"challenge"),
            Some(&[0xAB; 16]),
        )
        .unwrap();
        assert_eq!(
            token(&resp),
            format!(
                "NegTokenResp ({} bytes) negState=accept-incomplete supportedMech=NTLM (1.3.6.1.4.1.311.2.2.10) responseToken=9 bytes mechListMIC=16 bytes",
                resp.len()
            )
        );
        assert_eq!(
            token(b"NTLMSSP\0\x02"),
            "raw NTLM token, no SPNEGO (9 bytes)"
        );
        assert_eq!(token(b"junk"), "not a SPNEGO token (4 bytes)");
        let kerberos = ObjectIdentifier::new_unwrap("1.2.840.113554.1.2.2");
        assert_eq!(mech(&kerberos), "Kerberos (1.2.840.113554.1.2.2)");
    }
}
