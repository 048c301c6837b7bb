//! Known answers from MIT: messages, keytabs and a cache captured from a
//! throwaway MIT realm (`tests/data/kerberos`, see its README), parsed and
//! decrypted here with the keys the capture used.

use super::ap::{self, SentApReq};
use super::crypto::{Enctype, Key};
use super::files::{parse_ccache, parse_keytab};
use super::kdc::{self, Answer, Now};
use super::messages::*;
use super::session::{SequenceWindow, Session};

const SALT: &[u8] = b"OPENSSPI.TESTalice";
const PASSWORD: &str = "Passw0rd!alice";

#[test]
fn keytabs_and_string_to_key_agree_with_mit() {
    let service = parse_keytab(data!("service.keytab")).unwrap();
    assert_eq!(service.len(), 10);
    assert!(service.iter().all(|e| e.kvno == 1 && e.key.is_some()));
    assert!(service
        .iter()
        .any(|e| e.principal.text() == "HTTP/localhost@OPENSSPI.TEST"));
    let alice = parse_keytab(data!("alice.keytab")).unwrap();
    assert_eq!(alice.len(), 5);
    // MIT's keys from the password are ours, for every enctype.
    for e in &alice {
        let t = Enctype::from_number(e.enctype).unwrap();
        let ours = Key::from_password(t, PASSWORD, SALT, None).unwrap();
        assert_eq!(
            ours.bytes(),
            e.key.as_ref().unwrap().bytes(),
            "{}",
            t.name()
        );
    }
}

#[test]
fn the_cache_that_kinit_wrote() {
    let cache = parse_ccache(data!("ccache-v4")).unwrap();
    assert_eq!(cache.principal.text(), "alice@OPENSSPI.TEST");
    let servers: Vec<String> = cache.tickets.iter().map(|t| t.server.text()).collect();
    assert_eq!(
        servers,
        [
            "krbtgt/OPENSSPI.TEST@OPENSSPI.TEST",
            "host/localhost@OPENSSPI.TEST"
        ]
    );
    assert!(cache.tickets.iter().all(|t| t.ticket.fields().is_ok()));
}

/// The AS-REQ's nonce.
fn nonce(req: &[u8]) -> u32 {
    decode_app::<10, KdcReq>(req).unwrap().req_body.nonce.0
}

#[test]
fn as_replies_decrypt_with_the_password_key() {
    for (rep, req, enctype) in [
        (
            data!("as-rep.der"),
            data!("as-req-2.der"),
            Enctype::Aes256CtsHmacSha196,
        ),
        (
            data!("as-rep-sha384.der"),
            data!("as-req-2-sha384.der"),
            Enctype::Aes256CtsHmacSha384192,
        ),
        (
            data!("as-rep-rc4.der"),
            data!("as-req-2-rc4.der"),
            Enctype::Rc4Hmac,
        ),
    ] {
        let Answer::Rep(rep) = kdc::answer(rep, 11).unwrap() else {
            panic!("not an AS-REP")
        };
        let key = Key::from_password(enctype, PASSWORD, SALT, None).unwrap();
        let tgt = kdc::ticket_from_rep(
            &rep,
            &key,
            &[kdc::USAGE_AS_REP, kdc::USAGE_TGS_REP],
            nonce(req),
            &kdc::tgt_name("OPENSSPI.TEST"),
        )
        .unwrap();
        assert_eq!(tgt.client.text(), "alice@OPENSSPI.TEST");
        assert_eq!(tgt.key.enctype, enctype);
        // A wrong nonce or a wrong key is refused.
        assert!(kdc::ticket_from_rep(
            &rep,
            &key,
            &[kdc::USAGE_AS_REP, kdc::USAGE_TGS_REP],
            nonce(req) ^ 1,
            &kdc::tgt_name("OPENSSPI.TEST"),
        )
        .is_err());
        let wrong = Key::from_password(enctype, "wrong", SALT, None).unwrap();
        assert_eq!(
            kdc::ticket_from_rep(
                &rep,
                &wrong,
                &[3, 8],
                nonce(req),
                &kdc::tgt_name("OPENSSPI.TEST")
            )
            .unwrap_err(),
            kdc::KdcError::Decrypt
        );
    }
}

#[test]
fn kdc_errors_and_their_hints() {
    let Answer::Error(e) = kdc::answer(data!("krb-error-preauth.der"), 11).unwrap() else {
        panic!("not an error")
    };
    assert_eq!(e.error_code, error_code::KDC_ERR_PREAUTH_REQUIRED);
    let (_, padata) = kdc::krb_error(&e);
    let hint = kdc::key_hint(&padata, &[Enctype::Aes256CtsHmacSha196]).unwrap();
    assert_eq!(hint.enctype, Enctype::Aes256CtsHmacSha196);
    assert_eq!(hint.salt.as_deref(), Some(SALT));
    // An enctype the KDC does not offer gives no hint.
    assert!(kdc::key_hint(&padata, &[Enctype::Rc4Hmac]).is_none());
    for (file, tag, code) in [
        (
            data!("krb-error-wrong-password.der"),
            11,
            error_code::KDC_ERR_PREAUTH_FAILED,
        ),
        (
            data!("krb-error-unknown-server.der"),
            13,
            error_code::KDC_ERR_S_PRINCIPAL_UNKNOWN,
        ),
    ] {
        let Answer::Error(e) = kdc::answer(file, tag).unwrap() else {
            panic!("not an error")
        };
        assert_eq!(e.error_code, code);
    }
    // A reply of the wrong kind is refused.
    assert!(kdc::answer(data!("as-rep.der"), 13).is_err());
    // Our AS-REQ decodes as MIT's does.
    assert_eq!(
        decode_app::<10, KdcReq>(data!("as-req-1.der"))
            .unwrap()
            .msg_type,
        10
    );
}

#[test]
fn mit_gss_tokens_ap_req_ap_rep_wrap_and_mic() {
    let keytab = parse_keytab(data!("service.keytab")).unwrap();
    let replay = parking_lot::Mutex::new(ap::ReplayCache::default());
    // The capture's tickets have expired: check at their time, with a skew
    // wide enough for any clock.
    let (_, _, body) = ap::unframe(data!("gss-ap-req.der")).unwrap();
    let req = decode_app::<14, ApReq>(body).unwrap();
    let ticket = req.ticket.fields().unwrap();
    assert_eq!(ticket.sname.text(), "host/localhost");
    let now = Now {
        secs: 1_796_050_000,
        usec: 0,
    };
    let accepted = ap::accept_ap_req(
        data!("gss-ap-req.der"),
        &keytab,
        None,
        now,
        10 * 365 * 86400,
        &replay,
    )
    .unwrap();
    assert_eq!(accepted.client.text(), "alice@OPENSSPI.TEST");
    assert_eq!(accepted.initiator_seq, 491_495_488);
    assert_eq!(accepted.flags, 0x136);
    assert!(accepted.mutual);
    // The same AP-REQ again is a replay.
    assert_eq!(
        ap::accept_ap_req(
            data!("gss-ap-req.der"),
            &keytab,
            None,
            now,
            10 * 365 * 86400,
            &replay
        )
        .unwrap_err(),
        ap::ApError::Replay
    );
    // Channel bindings that differ from the client's zeros are taken (a
    // client without bindings); the AP-REP answers the AP-REQ.
    let sent = SentApReq {
        ctime: accepted.ctime,
        cusec: accepted.cusec as u32,
        subkey: accepted.initiator_subkey.clone().unwrap(),
        seq: accepted.initiator_seq,
    };
    let rep = ap::check_ap_rep(data!("gss-ap-rep.der"), &accepted.session_key, &sent).unwrap();
    assert_eq!(rep.seq, Some(831_937_696));
    let acceptor_subkey = rep.subkey.unwrap();
    // gss_wrap's token unwraps at our acceptor; gss_get_mic's MIC verifies
    // at our initiator.
    let mut acceptor = Session::new(
        acceptor_subkey.clone(),
        false,
        true,
        831_937_696,
        SequenceWindow::new(491_495_488, true, false),
    );
    let (plain, sealed) = acceptor.unwrap(&[data!("gss-wrap-sealed.bin")]).unwrap();
    assert_eq!(
        (plain, sealed),
        (&b"Hello from alice via gss-client"[..], true)
    );
    let mut initiator = Session::new(
        acceptor_subkey,
        true,
        true,
        491_495_489,
        SequenceWindow::new(831_937_696, true, false),
    );
    initiator
        .verify_mic(&[b"Hello from alice via gss-client"], data!("gss-mic.bin"))
        .unwrap();
    assert_eq!(
        initiator.verify_mic(&[b"Hello from alice via gss-client!"], data!("gss-mic.bin")),
        Err(super::session::TokenError::Altered)
    );
    // The MIC our acceptor makes of the message is MIT's, byte for byte.
    let mic = acceptor.mic(&[b"Hello from alice via gss-client"]).unwrap();
    assert_eq!(mic, data!("gss-mic.bin"));
}
