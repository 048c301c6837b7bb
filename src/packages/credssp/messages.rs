//! MS-CSSP's messages (section 2.2.1): TSRequest, TSCredentials and
//! TSPasswordCreds, decoded and encoded with the `der` crate. Every field
//! is bounded by the message it sits in; a message that does not decode is
//! SEC_E_INVALID_TOKEN.

use der::asn1::{OctetString, OctetStringRef};
use der::{Decode, Encode, Sequence};
use zeroize::Zeroizing;

use crate::error::{Error, SecResult};
use crate::vocabulary::*;

/// The highest MS-CSSP version opensspi speaks (KB4088776's, with the
/// CVE-2018-0886 hash binding and errorCode).
pub const VERSION: u32 = 6;

/// `NegoData`'s element: one SPNEGO (or raw mechanism) token.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
pub struct NegoToken {
    #[asn1(context_specific = "0")]
    pub nego_token: OctetString,
}

/// TSRequest as it travels.
#[derive(Clone, Debug, Sequence, PartialEq, Eq)]
struct Wire {
    #[asn1(context_specific = "0")]
    version: u32,
    #[asn1(context_specific = "1", optional = "true")]
    nego_tokens: Option<Vec<NegoToken>>,
    #[asn1(context_specific = "2", optional = "true")]
    auth_info: Option<OctetString>,
    #[asn1(context_specific = "3", optional = "true")]
    pub_key_auth: Option<OctetString>,
    /// An NTSTATUS: Windows writes it as a signed 32-bit INTEGER, other
    /// peers as an unsigned one; both are read.
    #[asn1(context_specific = "4", optional = "true")]
    error_code: Option<i64>,
    #[asn1(context_specific = "5", optional = "true")]
    client_nonce: Option<OctetString>,
}

/// A TSRequest (MS-CSSP 2.2.1), decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TsRequest {
    pub version: u32,
    /// The first NegoData token (MS-CSSP sends one at a time).
    pub nego_token: Option<Vec<u8>>,
    /// The encrypted TSCredentials.
    pub auth_info: Option<Vec<u8>>,
    /// The encrypted public-key binding.
    pub pub_key_auth: Option<Vec<u8>>,
    /// The NTSTATUS a failed peer reports.
    pub error_code: Option<u32>,
    /// 32 bytes from version 5 on.
    pub client_nonce: Option<[u8; 32]>,
}

fn octets(bytes: &[u8]) -> SecResult<OctetString> {
    OctetString::new(bytes).map_err(|_| Error::from(SEC_E_INVALID_TOKEN))
}

impl TsRequest {
    /// A request of `version` carrying nothing yet.
    pub fn new(version: u32) -> Self {
        TsRequest {
            version,
            ..Default::default()
        }
    }

    /// Decodes a whole TSRequest (nothing may follow it).
    pub fn decode(bytes: &[u8]) -> SecResult<Self> {
        let bad = || Error::from(SEC_E_INVALID_TOKEN);
        let w = Wire::from_der(bytes).map_err(|_| bad())?;
        let error_code = match w.error_code {
            None => None,
            Some(c) => Some(match u32::try_from(c) {
                Ok(c) => c,
                Err(_) => i32::try_from(c).map_err(|_| bad())? as u32,
            }),
        };
        let client_nonce = match w.client_nonce {
            None => None,
            Some(n) => Some(<[u8; 32]>::try_from(n.as_bytes()).map_err(|_| bad())?),
        };
        Ok(TsRequest {
            version: w.version,
            nego_token: w
                .nego_tokens
                .and_then(|t| t.into_iter().next())
                .map(|t| t.nego_token.into_bytes().into_vec()),
            auth_info: w.auth_info.map(|o| o.into_bytes().into_vec()),
            pub_key_auth: w.pub_key_auth.map(|o| o.into_bytes().into_vec()),
            error_code,
            client_nonce,
        })
    }

    /// The request's DER.
    pub fn encode(&self) -> SecResult<Vec<u8>> {
        let w = Wire {
            version: self.version,
            nego_tokens: match &self.nego_token {
                Some(t) => Some(vec![NegoToken {
                    nego_token: octets(t)?,
                }]),
                None => None,
            },
            auth_info: self.auth_info.as_deref().map(octets).transpose()?,
            pub_key_auth: self.pub_key_auth.as_deref().map(octets).transpose()?,
            // Windows' form: the NTSTATUS as a signed 32-bit value.
            error_code: self.error_code.map(|c| i64::from(c as i32)),
            client_nonce: self.client_nonce.as_ref().map(|n| octets(n)).transpose()?,
        };
        w.to_der().map_err(|_| SEC_E_INTERNAL_ERROR.into())
    }

    /// How many bytes the DER element at the start of `bytes` takes, once
    /// its header is there (`None`: the header is cut).
    pub fn element_len(bytes: &[u8]) -> Option<usize> {
        let mut reader = der::SliceReader::new(bytes).ok()?;
        let header = der::Header::decode(&mut reader).ok()?;
        let head = usize::try_from(header.encoded_len().ok()?).ok()?;
        head.checked_add(usize::try_from(header.length()).ok()?)
    }
}

/// TSCredentials (2.2.1.2) with TSPasswordCreds (2.2.1.2.1): the one
/// credential type opensspi delegates and accepts. The wire forms borrow
/// their bytes, so that every copy of a secret is one this module wipes.
#[derive(Clone, Debug, Sequence)]
struct TsCredentialsWire<'a> {
    #[asn1(context_specific = "0")]
    cred_type: u32,
    #[asn1(context_specific = "1")]
    credentials: &'a OctetStringRef,
}

#[derive(Clone, Debug, Sequence)]
struct TsPasswordCredsWire<'a> {
    #[asn1(context_specific = "0")]
    domain_name: &'a OctetStringRef,
    #[asn1(context_specific = "1")]
    user_name: &'a OctetStringRef,
    #[asn1(context_specific = "2")]
    password: &'a OctetStringRef,
}

/// TSCredentials' credType for TSPasswordCreds.
pub const CRED_TYPE_PASSWORD: u32 = 1;

/// Delegated password credentials: UTF-16LE strings as they travel
/// (MS-CSSP's UNICODE_STRING contents), wiped when dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PasswordCreds {
    pub domain: Zeroizing<Vec<u8>>,
    pub user: Zeroizing<Vec<u8>>,
    pub password: Zeroizing<Vec<u8>>,
}

/// `value`'s DER in a buffer sized once and wiped when dropped.
fn der_wiped(value: &impl Encode) -> SecResult<Zeroizing<Vec<u8>>> {
    let len = usize::try_from(value.encoded_len().map_err(|_| SEC_E_INTERNAL_ERROR)?)
        .map_err(|_| SEC_E_INTERNAL_ERROR)?;
    let mut out = Zeroizing::new(vec![0u8; len]);
    value
        .encode_to_slice(&mut out)
        .map_err(|_| SEC_E_INTERNAL_ERROR)?;
    Ok(out)
}

fn octets_ref(bytes: &[u8]) -> SecResult<&OctetStringRef> {
    OctetStringRef::new(bytes).map_err(|_| Error::from(SEC_E_INVALID_TOKEN))
}

impl PasswordCreds {
    /// TSCredentials { credType 1, credentials TSPasswordCreds } as DER.
    pub fn encode(&self) -> SecResult<Zeroizing<Vec<u8>>> {
        let inner = der_wiped(&TsPasswordCredsWire {
            domain_name: octets_ref(&self.domain)?,
            user_name: octets_ref(&self.user)?,
            password: octets_ref(&self.password)?,
        })?;
        der_wiped(&TsCredentialsWire {
            cred_type: CRED_TYPE_PASSWORD,
            credentials: octets_ref(&inner)?,
        })
    }

    /// Decodes TSCredentials. Smart-card (2) and Remote Credential Guard
    /// (6) credentials are not supported: SEC_E_UNSUPPORTED_FUNCTION;
    /// anything malformed: SEC_E_INVALID_TOKEN.
    pub fn decode(bytes: &[u8]) -> SecResult<Self> {
        let bad = || Error::from(SEC_E_INVALID_TOKEN);
        let outer = TsCredentialsWire::from_der(bytes).map_err(|_| bad())?;
        match outer.cred_type {
            CRED_TYPE_PASSWORD => {}
            2 | 6 => return Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
            _ => return Err(bad()),
        }
        let inner =
            TsPasswordCredsWire::from_der(outer.credentials.as_bytes()).map_err(|_| bad())?;
        let text = |o: &OctetStringRef| -> SecResult<Zeroizing<Vec<u8>>> {
            let b = o.as_bytes();
            if !b.len().is_multiple_of(2) {
                return Err(bad());
            }
            Ok(Zeroizing::new(b.to_vec()))
        };
        Ok(PasswordCreds {
            domain: text(inner.domain_name)?,
            user: text(inner.user_name)?,
            password: text(inner.password)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_request_matches_known_bytes() {
        // Version 2 with one token 00 01 02 (rdp-rs' documented example).
        let bytes = [
            0x30, 0x12, 0xa0, 0x03, 0x02, 0x01, 0x02, 0xa1, 0x0b, 0x30, 0x09, 0x30, 0x07, 0xa0,
            0x05, 0x04, 0x03, 0x00, 0x01, 0x02,
        ];
        let mut r = TsRequest::new(2);
        r.nego_token = Some(vec![0, 1, 2]);
        assert_eq!(r.encode().unwrap(), bytes);
        assert_eq!(TsRequest::decode(&bytes).unwrap(), r);
        assert_eq!(TsRequest::element_len(&bytes[..2]), Some(20));
        assert_eq!(TsRequest::element_len(&bytes[..1]), None);
    }

    #[test]
    fn error_codes_are_read_signed_or_unsigned_and_written_signed() {
        let mut r = TsRequest::new(6);
        r.error_code = Some(0xC000_006D);
        let bytes = r.encode().unwrap();
        // [4] { INTEGER 4 bytes C0 00 00 6D }: Windows' signed form.
        assert!(bytes
            .windows(8)
            .any(|w| w == [0xa4, 0x06, 0x02, 0x04, 0xc0, 0x00, 0x00, 0x6d]));
        assert_eq!(
            TsRequest::decode(&bytes).unwrap().error_code,
            Some(0xC000_006D)
        );
        // pyspnego's unsigned form (5 bytes).
        let unsigned = [
            0x30, 0x0e, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa4, 0x07, 0x02, 0x05, 0x00, 0xc0, 0x00,
            0x00, 0x6d,
        ];
        assert_eq!(
            TsRequest::decode(&unsigned).unwrap().error_code,
            Some(0xC000_006D)
        );
    }

    #[test]
    fn malformed_requests_are_invalid_tokens() {
        for bad in [
            &[][..],
            &[0x30, 0x03, 0xa0, 0x01, 0x02],
            &[0x30, 0x05, 0xa0, 0x03, 0x02, 0x01],
            // A nonce of 3 bytes.
            &[
                0x30, 0x0c, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa5, 0x05, 0x04, 0x03, 1, 2, 3,
            ],
        ] {
            assert_eq!(TsRequest::decode(bad), Err(SEC_E_INVALID_TOKEN.into()));
        }
    }

    #[test]
    fn password_credentials_round_trip_and_other_types_are_refused() {
        let creds = PasswordCreds {
            domain: Zeroizing::new(b"D\0".to_vec()),
            user: Zeroizing::new(b"u\0".to_vec()),
            password: Zeroizing::new(b"p\0w\0".to_vec()),
        };
        let bytes = creds.encode().unwrap();
        assert_eq!(&bytes[..7], &[0x30, 0x1f, 0xa0, 0x03, 0x02, 0x01, 0x01]);
        assert_eq!(PasswordCreds::decode(&bytes).unwrap(), creds);
        let mut smart_card = bytes.to_vec();
        smart_card[6] = 2;
        assert_eq!(
            PasswordCreds::decode(&smart_card),
            Err(SEC_E_UNSUPPORTED_FUNCTION.into())
        );
    }
}
