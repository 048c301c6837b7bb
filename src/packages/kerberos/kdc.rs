//! The AS and TGS exchanges (RFC 4120 sections 3.1 and 3.3), sans-IO:
//! requests are built as bytes and replies are checked and turned into
//! tickets; the context sends them through the driver.

use super::crypto::{Enctype, Key};
use super::files::{CachedTicket, Principal};
use super::messages::*;

/// Key usages (RFC 4120 section 7.5.1).
pub const USAGE_PA_ENC_TIMESTAMP: u32 = 1;
pub const USAGE_AS_REP: u32 = 3;
pub const USAGE_TGS_REQ_CKSUM: u32 = 6;
pub const USAGE_TGS_REQ_AUTH: u32 = 7;
pub const USAGE_TGS_REP: u32 = 8;
pub const USAGE_TGS_REP_SUBKEY: u32 = 9;

/// KDCOptions' bits.
const FORWARDABLE: u32 = 1;
const CANONICALIZE: u32 = 15;
const RENEWABLE_OK: u32 = 27;

/// The current time: seconds since the Unix epoch and microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    pub secs: u64,
    pub usec: u32,
}

impl Now {
    /// The time of a Windows FILETIME.
    pub fn from_filetime(ft: u64) -> Now {
        const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;
        let since = ft.saturating_sub(UNIX_EPOCH_FILETIME);
        Now {
            secs: since / 10_000_000,
            usec: ((since % 10_000_000) / 10) as u32,
        }
    }
}

/// A FILETIME from Unix seconds.
pub fn filetime(secs: u64) -> i64 {
    (secs as i64).saturating_mul(10_000_000) + 116_444_736_000_000_000
}

/// Why an exchange failed, before it becomes a status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KdcError {
    /// A reply that is not well-formed, or not the reply to our request
    /// (nonce, names).
    Malformed(&'static str),
    /// The KDC's KRB-ERROR, with its code and text.
    Krb(i32, Option<String>),
    /// The reply did not decrypt with our key (a wrong password).
    Decrypt,
    /// The KDC asked for an enctype or parameters this side refuses.
    Unsupported(&'static str),
}

impl From<Malformed> for KdcError {
    fn from(_: Malformed) -> Self {
        KdcError::Malformed("not well-formed DER")
    }
}

/// The salt of a principal when the KDC names none (RFC 4120 section
/// 4): the realm, then each name component.
pub fn default_salt(client: &Principal) -> Vec<u8> {
    let mut salt = client.realm.as_bytes().to_vec();
    for part in &client.name.name_string {
        salt.extend_from_slice(part.0.as_bytes());
    }
    salt
}

fn krbtgt(realm: &str) -> PrincipalName {
    PrincipalName::new(name_type::SRV_INST, &["krbtgt", realm])
}

/// An AS-REQ for a TGT of `client`, with `padata` (none the first time).
pub fn as_req(
    client: &Principal,
    enctypes: &[Enctype],
    nonce: u32,
    now: Now,
    lifetime: u64,
    padata: Vec<PaData>,
) -> Result<Vec<u8>, KdcError> {
    let mut all = padata;
    all.push(PaData {
        padata_type: pa_type::PAC_REQUEST,
        padata_value: octets(der_of(&PaPacRequest { include_pac: true })?),
    });
    let req = KdcReq {
        pvno: PVNO,
        msg_type: msg_type::AS_REQ,
        padata: Some(all),
        req_body: KdcReqBody {
            kdc_options: Flags32::default().with(FORWARDABLE).with(RENEWABLE_OK),
            cname: Some(client.name.clone()),
            realm: client.realm.as_str().into(),
            sname: Some(krbtgt(&client.realm)),
            from: None,
            till: time(now.secs + lifetime)?,
            rtime: None,
            nonce: UInt32(nonce),
            etype: enctypes.iter().map(|e| e.number()).collect(),
            addresses: None,
            enc_authorization_data: None,
            additional_tickets: None,
        },
    };
    Ok(encode_app::<10, _>(&req)?)
}

/// The DER of `value`.
fn der_of<T: der::Encode>(value: &T) -> Result<Vec<u8>, KdcError> {
    value
        .to_der()
        .map_err(|_| KdcError::Malformed("not encodable"))
}

/// PA-ENC-TIMESTAMP with `key` (RFC 4120 section 5.2.7.2).
pub fn enc_timestamp(key: &Key, now: Now, confounder: &[u8]) -> Result<PaData, KdcError> {
    let ts = PaEncTsEnc {
        patimestamp: time(now.secs)?,
        pausec: Some(now.usec as i32),
    };
    let cipher = key
        .encrypt(USAGE_PA_ENC_TIMESTAMP, confounder, &der_of(&ts)?)
        .map_err(|_| KdcError::Unsupported("timestamp encryption"))?;
    let data = EncryptedData {
        etype: key.enctype.number(),
        kvno: None,
        cipher: octets(cipher),
    };
    Ok(PaData {
        padata_type: pa_type::ENC_TIMESTAMP,
        padata_value: octets(der_of(&data)?),
    })
}

/// What the KDC says about the client's keys: enctype, salt and
/// string-to-key parameters (ETYPE-INFO2), in the KDC's preference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHint {
    pub enctype: Enctype,
    pub salt: Option<Vec<u8>>,
    pub params: Option<Vec<u8>>,
}

/// The first ETYPE-INFO2 entry of `padata` whose enctype is one of ours.
pub fn key_hint(padata: &[PaData], ours: &[Enctype]) -> Option<KeyHint> {
    let info = padata
        .iter()
        .find(|p| p.padata_type == pa_type::ETYPE_INFO2)?;
    let entries = decode_seq_of::<EtypeInfo2Entry>(info.padata_value.as_bytes()).ok()?;
    entries.into_iter().find_map(|e| {
        let enctype = Enctype::from_number(e.etype).filter(|t| ours.contains(t))?;
        Some(KeyHint {
            enctype,
            salt: e.salt.map(|s| s.0.into_bytes()),
            params: e.s2kparams.map(|p| p.as_bytes().to_vec()),
        })
    })
}

/// A KRB-ERROR as a `KdcError`, with the padata of its e-data when it
/// carries METHOD-DATA (KDC_ERR_PREAUTH_REQUIRED's ETYPE-INFO2).
pub fn krb_error(err: &KrbError) -> (KdcError, Vec<PaData>) {
    let padata = err
        .e_data
        .as_ref()
        .and_then(|d| decode_seq_of::<PaData>(d.as_bytes()).ok())
        .unwrap_or_default();
    (
        KdcError::Krb(err.error_code, err.e_text.as_ref().map(|t| t.0.clone())),
        padata,
    )
}

/// A KDC reply: the reply itself, or a KRB-ERROR.
pub enum Answer {
    Rep(Box<KdcRep>),
    Error(Box<KrbError>),
}

/// Decodes a reply expected under `[APPLICATION rep]`.
pub fn answer(bytes: &[u8], rep: u32) -> Result<Answer, KdcError> {
    match decode_kdc_reply(bytes, rep)? {
        KdcReply::Rep(r) => Ok(Answer::Rep(Box::new(r))),
        KdcReply::Error(e) => Ok(Answer::Error(e)),
    }
}

/// Checks an AS-REP or TGS-REP against its request and makes the ticket.
/// `usages` are the key usages to try in order (Windows' KDC has been seen
/// encrypting an AS-REP with the TGS usage).
pub fn ticket_from_rep(
    rep: &KdcRep,
    key: &Key,
    usages: &[u32],
    nonce: u32,
    expected_server: &PrincipalName,
) -> Result<CachedTicket, KdcError> {
    if rep.pvno != PVNO {
        return Err(KdcError::Malformed("protocol version"));
    }
    if rep.enc_part.etype != key.enctype.number() {
        return Err(KdcError::Decrypt);
    }
    let plain = usages
        .iter()
        .find_map(|u| key.decrypt(*u, rep.enc_part.cipher.as_bytes()).ok())
        .ok_or(KdcError::Decrypt)?;
    let part = decode_enc_kdc_rep_part(&plain)?;
    if part.nonce.0 != nonce {
        return Err(KdcError::Malformed("nonce differs from the request's"));
    }
    if !part.sname.same(expected_server) {
        return Err(KdcError::Malformed("ticket for another server"));
    }
    let enctype = Enctype::from_number(part.key.keytype)
        .ok_or(KdcError::Unsupported("session key enctype"))?;
    let session = Key::new(enctype, part.key.keyvalue.as_bytes())
        .map_err(|_| KdcError::Malformed("session key length"))?;
    let secs32 = |t: &KerberosTime| u32::try_from(secs(t)).unwrap_or(u32::MAX);
    Ok(CachedTicket {
        client: Principal {
            realm: rep.crealm.0.clone(),
            name: rep.cname.clone(),
        },
        server: Principal {
            realm: part.srealm.0.clone(),
            name: part.sname.clone(),
        },
        key: session,
        authtime: secs32(&part.authtime),
        starttime: part.starttime.as_ref().map(secs32).unwrap_or(0),
        endtime: secs32(&part.endtime),
        renew_till: part.renew_till.as_ref().map(secs32).unwrap_or(0),
        flags: part.flags.0,
        ticket: rep.ticket.clone(),
    })
}

/// The TGT's server name for `realm`.
pub fn tgt_name(realm: &str) -> PrincipalName {
    krbtgt(realm)
}

/// A TGS-REQ for `server` with the TGT `tgt`; the authenticator
/// carries a checksum of the request body (RFC 4120 section 5.4.1).
pub fn tgs_req(
    tgt: &CachedTicket,
    server: &Principal,
    enctypes: &[Enctype],
    nonce: u32,
    now: Now,
    lifetime: u64,
    confounder: &[u8],
) -> Result<Vec<u8>, KdcError> {
    let body = KdcReqBody {
        kdc_options: Flags32::default()
            .with(FORWARDABLE)
            .with(CANONICALIZE)
            .with(RENEWABLE_OK),
        cname: None,
        realm: server.realm.as_str().into(),
        sname: Some(server.name.clone()),
        from: None,
        till: time(now.secs + lifetime)?,
        rtime: None,
        nonce: UInt32(nonce),
        etype: enctypes.iter().map(|e| e.number()).collect(),
        addresses: None,
        enc_authorization_data: None,
        additional_tickets: None,
    };
    let body_der = der_of(&body)?;
    let cksum = tgt
        .key
        .checksum(USAGE_TGS_REQ_CKSUM, &body_der)
        .map_err(|_| KdcError::Unsupported("checksum"))?;
    let auth = Authenticator {
        authenticator_vno: PVNO,
        crealm: tgt.client.realm.as_str().into(),
        cname: tgt.client.name.clone(),
        cksum: Some(Checksum {
            cksumtype: tgt.key.enctype.checksum_type(),
            checksum: octets(cksum),
        }),
        cusec: now.usec as i32,
        ctime: time(now.secs)?,
        subkey: None,
        seq_number: None,
        authorization_data: None,
    };
    let auth_der = encode_app::<2, _>(&auth)?;
    let enc_auth = tgt
        .key
        .encrypt(USAGE_TGS_REQ_AUTH, confounder, &auth_der)
        .map_err(|_| KdcError::Unsupported("authenticator encryption"))?;
    let ap_req = ApReq {
        pvno: PVNO,
        msg_type: msg_type::AP_REQ,
        ap_options: Flags32::default(),
        ticket: tgt.ticket.clone(),
        authenticator: EncryptedData {
            etype: tgt.key.enctype.number(),
            kvno: None,
            cipher: octets(enc_auth),
        },
    };
    let req = KdcReq {
        pvno: PVNO,
        msg_type: msg_type::TGS_REQ,
        padata: Some(vec![PaData {
            padata_type: pa_type::TGS_REQ,
            padata_value: octets(encode_app::<14, _>(&ap_req)?),
        }]),
        req_body: body,
    };
    Ok(encode_app::<12, _>(&req)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Principal {
        Principal {
            realm: "EXAMPLE.ORG".into(),
            name: PrincipalName::new(name_type::PRINCIPAL, &["alice"]),
        }
    }

    #[test]
    fn filetimes_and_salts() {
        let now = Now::from_filetime(116_444_736_000_000_000 + 1_700_000_000 * 10_000_000 + 1234);
        assert_eq!(
            now,
            Now {
                secs: 1_700_000_000,
                usec: 123
            }
        );
        assert_eq!(filetime(0), 116_444_736_000_000_000);
        assert_eq!(default_salt(&alice()), b"EXAMPLE.ORGalice");
    }

    #[test]
    fn an_as_req_is_well_formed() {
        let now = Now {
            secs: 1_700_000_000,
            usec: 5,
        };
        let der = as_req(
            &alice(),
            &[Enctype::Aes256CtsHmacSha196],
            77,
            now,
            3600,
            vec![],
        )
        .unwrap();
        assert_eq!(der[0], 0x6a);
        let req = decode_app::<10, KdcReq>(&der).unwrap();
        assert_eq!(req.msg_type, msg_type::AS_REQ);
        assert_eq!(req.req_body.nonce, UInt32(77));
        assert_eq!(req.req_body.sname.unwrap().text(), "krbtgt/EXAMPLE.ORG");
        assert_eq!(req.req_body.etype, [18]);
        assert_eq!(secs(&req.req_body.till), 1_700_003_600);
    }

    #[test]
    fn a_timestamp_decrypts_with_the_key() {
        let key = Key::new(Enctype::Aes128CtsHmacSha196, &[5; 16]).unwrap();
        let now = Now {
            secs: 1_700_000_000,
            usec: 9,
        };
        let pa = enc_timestamp(&key, now, &[1; 16]).unwrap();
        let data = EncryptedData::from_der(pa.padata_value.as_bytes()).unwrap();
        let plain = key
            .decrypt(USAGE_PA_ENC_TIMESTAMP, data.cipher.as_bytes())
            .unwrap();
        let ts = PaEncTsEnc::from_der(&plain).unwrap();
        assert_eq!((secs(&ts.patimestamp), ts.pausec), (1_700_000_000, Some(9)));
    }

    use der::Decode;
}
