//! Kerberos' parsers for the fuzz targets (feature `fuzzing`): each takes
//! any bytes and must not panic; what parses is checked further.

use super::ap::{self, ReplayCache, SentApReq};
use super::config;
use super::crypto::{Enctype, Key};
use super::files::{parse_ccache, parse_keytab, KeytabEntry, Principal};
use super::kdc::{self, Now};
use super::messages::*;
use super::session::{SequenceWindow, Session};

/// A fixed key of each AES enctype, for the targets that decrypt.
fn key(enctype: Enctype) -> Key {
    Key::new(enctype, &vec![0x5a; enctype.key_len()]).expect("a key of the right length")
}

/// The bytes as every RFC 4120 message, as a KDC reply, and as a framed
/// AP-REQ and AP-REP checked with fixed keys.
pub fn messages(data: &[u8]) {
    let _ = decode_app::<10, KdcReq>(data);
    let _ = decode_app::<12, KdcReq>(data);
    let _ = decode_app::<30, KrbError>(data);
    let _ = decode_app::<2, Authenticator>(data);
    let _ = decode_app::<3, EncTicketPart>(data);
    let _ = decode_app::<27, EncApRepPart>(data);
    let _ = decode_enc_kdc_rep_part(data);
    let _ = decode_seq_of::<PaData>(data);
    if let Ok(reply) = kdc_proxy_reply(data) {
        assert!(reply.len() + 4 <= data.len());
    }
    let _ = super::credentials::KdcProxy::from_settings(data);
    let _ = decode_seq_of::<EtypeInfo2Entry>(data);
    for tag in [11, 13] {
        if let Ok(kdc::Answer::Rep(rep)) = kdc::answer(data, tag) {
            let _ = rep.ticket.fields();
            let k = key(Enctype::Aes256CtsHmacSha196);
            let _ = kdc::ticket_from_rep(&rep, &k, &[3, 8], 0, &rep.cname);
        }
    }
    // A framed AP-REQ against a keytab of one key per AES enctype.
    let keytab: Vec<KeytabEntry> = [17, 18, 19, 20]
        .into_iter()
        .map(|n| KeytabEntry {
            principal: Principal {
                realm: "FUZZ.TEST".into(),
                name: PrincipalName::new(name_type::SRV_INST, &["host", "fuzz"]),
            },
            kvno: 1,
            enctype: n,
            key: Some(key(Enctype::from_number(n).expect("an enctype"))),
        })
        .collect();
    let replay = parking_lot::Mutex::new(ReplayCache::default());
    let now = Now {
        secs: 1_700_000_000,
        usec: 0,
    };
    let _ = ap::accept_ap_req(data, &keytab, Some(&[0; 16]), now, 300, &replay);
    let sent = SentApReq {
        ctime: now.secs,
        cusec: 0,
        subkey: key(Enctype::Aes128CtsHmacSha196),
        seq: 0,
    };
    let _ = ap::check_ap_rep(data, &key(Enctype::Aes256CtsHmacSha196), &sent);
    if let Some((_, tok, body)) = ap::unframe(data) {
        assert!(body.len() < data.len());
        let again = ap::frame(&ap::KRB5_OID, tok, body);
        assert_eq!(
            ap::unframe(&again).map(|(_, t, b)| (t, b.to_vec())),
            Some((tok, body.to_vec()))
        );
    }
}

/// The bytes as per-message tokens (RFC 4121's for the AES enctypes, RFC
/// 4757's for rc4-hmac) in both directions, and as an exported context.
pub fn tokens(data: &[u8]) {
    if let Ok(ctx) = super::KerberosContext::import(data) {
        assert_eq!(&*ctx.export().expect("an imported context exports"), data);
    }
    for n in [17, 18, 19, 20, 23] {
        for initiator in [true, false] {
            for acceptor_subkey in [true, false] {
                let mut s = Session::new(
                    key(Enctype::from_number(n).expect("an enctype")),
                    initiator,
                    acceptor_subkey,
                    0,
                    SequenceWindow::new(0, true, true),
                );
                let (a, b) = data.split_at(data.len() / 2);
                if let Ok((plain, _)) = s.unwrap(&[a, b]) {
                    assert!(plain.len() < data.len());
                }
                let _ = s.verify_mic(&[data], data);
            }
        }
    }
}

/// The bytes as a keytab and as a credential cache.
pub fn files(data: &[u8]) {
    if let Ok(entries) = parse_keytab(data) {
        assert!(entries.len() <= data.len() / 8);
    }
    if let Ok(cache) = parse_ccache(data) {
        assert!(cache.tickets.len() <= data.len() / 16);
    }
}

/// The bytes as krb5.conf.
pub fn krb5_conf(data: &[u8]) {
    let c = config::parse(&String::from_utf8_lossy(data));
    for (realm, _) in &c.realms {
        let _ = c.kdcs(realm);
    }
    let _ = c.realm_of_host("host.example.org");
}
