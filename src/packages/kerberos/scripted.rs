//! The package's steps against a scripted KDC and MIT's captured files
//! (`tests/data/kerberos`), in a `FixedEnv`: which exchanges a context
//! asks the driver for, and which status each KDC answer or failure
//! becomes. Default credentials come from the environment's variables and
//! files (KRB5_CONFIG, KRB5CCNAME, KRB5_CLIENT_KTNAME, KRB5_KTNAME).

use super::credentials::tests::settings;
use super::files::parse_ccache;
use super::messages::*;
use super::{Kerberos, KerberosContext, KerberosCredentials};
use crate::env::FixedEnv;
use crate::package::{
    AcquireRequest, CredentialUse, Exchange, InBuf, IoError, Package, Progress, SecResult,
    StepInput, Transport,
};
use crate::vocabulary::*;

const CONF: &str = "[libdefaults]\n default_realm = OPENSSPI.TEST\n\n\
                    [realms]\n OPENSSPI.TEST = {\n  kdc = 127.0.0.1:60088\n }\n";

/// The FILETIME of Unix second `secs`.
fn filetime(secs: u32) -> u64 {
    super::kdc::filetime(u64::from(secs)) as u64
}

/// An environment at Unix second `secs` with krb5.conf and `vars` naming
/// `files` (path, bytes).
fn env(secs: u32, vars: &[(&str, &str)], files: &[(&str, &[u8])]) -> FixedEnv {
    let mut e = FixedEnv::new(&[], filetime(secs));
    e.vars.push(("KRB5_CONFIG".into(), "/k/krb5.conf".into()));
    e.files
        .push(("/k/krb5.conf".into(), CONF.as_bytes().to_vec()));
    for (name, value) in vars {
        e.vars.push(((*name).into(), (*value).into()));
    }
    if !vars.iter().any(|(n, _)| *n == "KRB5CCNAME") {
        e.vars
            .push(("KRB5CCNAME".into(), "FILE:/k/no-cache".into()));
    }
    for (path, bytes) in files {
        e.files.push(((*path).into(), bytes.to_vec()));
    }
    e
}

fn acquire(env: &FixedEnv, usage: u32, principal: Option<&str>) -> SecResult<KerberosCredentials> {
    Kerberos
        .acquire_credentials(AcquireRequest {
            principal: principal.map(str::to_owned),
            usage: CredentialUse(usage),
            auth: None,
            env,
        })
        .map(|(c, _)| c)
}

fn input<'a>(env: &'a FixedEnv, target: Option<&'a str>, inputs: &'a [InBuf<'a>]) -> StepInput<'a> {
    StepInput {
        target,
        req_flags: ISC_REQ_MUTUAL_AUTH,
        data_rep: 0,
        inputs,
        env,
    }
}

/// A KRB-ERROR with `code` from the KDC of OPENSSPI.TEST.
fn krb_error(code: i32) -> Vec<u8> {
    krb_error_of("OPENSSPI.TEST", code)
}

/// A KRB-ERROR with `code` from the KDC of `realm`.
pub fn krb_error_of(realm: &str, code: i32) -> Vec<u8> {
    let err = KrbError {
        pvno: 5,
        msg_type: 30,
        ctime: None,
        cusec: None,
        stime: time(1_796_000_000).unwrap(),
        susec: 0,
        error_code: code,
        crealm: None,
        cname: None,
        realm: realm.into(),
        sname: PrincipalName::new(name_type::SRV_INST, &["krbtgt", realm]),
        e_text: None,
        e_data: None,
    };
    encode_app::<30, _>(&err).unwrap()
}

fn exchange(p: SecResult<Progress>) -> Exchange {
    match p {
        Ok(Progress::Exchange(x)) => x,
        other => panic!("expected an exchange, got {other:?}"),
    }
}

fn status<T: core::fmt::Debug>(r: SecResult<T>) -> i32 {
    r.expect_err("a failure").status()
}

/// The first step of a context to host/localhost with the client keytab.
fn keytab_client(secs: u32) -> (FixedEnv, KerberosCredentials) {
    let env = env(
        secs,
        &[("KRB5_CLIENT_KTNAME", "/k/alice.keytab")],
        &[("/k/alice.keytab", data!("alice.keytab"))],
    );
    let cred = acquire(&env, SECPKG_CRED_OUTBOUND, None).expect("the client keytab");
    (env, cred)
}

#[test]
fn the_client_keytab_asks_the_kdc_over_udp_then_tcp() {
    let (env, cred) = keytab_client(1_796_000_000);
    let target = Some("host/localhost");
    let (mut ctx, p): (KerberosContext, _) = Kerberos
        .initialize(&cred, &input(&env, target, &[]))
        .unwrap();
    let x = exchange(Ok(p));
    // An AS-REQ for alice, to the configured KDC: UDP first, then TCP.
    let req = decode_app::<10, KdcReq>(&x.message).unwrap();
    assert_eq!(req.req_body.cname.unwrap().text(), "alice");
    let transports: Vec<Transport> = x.servers.iter().map(|s| s.transport).collect();
    assert_eq!(transports, [Transport::Udp, Transport::Tcp]);
    // KRB_ERR_RESPONSE_TOO_BIG: the same request again, over TCP only.
    let again = exchange(Kerberos.resume(
        Some(&cred),
        &mut ctx,
        &input(&env, target, &[]),
        Ok(krb_error(error_code::KRB_ERR_RESPONSE_TOO_BIG)),
    ));
    assert_eq!(again.message, x.message);
    assert!(again.servers.iter().all(|s| s.transport == Transport::Tcp));
    // The KDC finds the clocks too far apart.
    let r = Kerberos.resume(
        Some(&cred),
        &mut ctx,
        &input(&env, target, &[]),
        Ok(krb_error(error_code::KRB_AP_ERR_SKEW)),
    );
    assert_eq!(status(r), SEC_E_TIME_SKEW);
}

#[test]
fn kdc_failures_become_windows_statuses() {
    for (reply, want) in [
        (Err(IoError::Unreachable), SEC_E_NO_AUTHENTICATING_AUTHORITY),
        (Err(IoError::TimedOut), SEC_E_NO_AUTHENTICATING_AUTHORITY),
        (
            Ok(krb_error(error_code::KDC_ERR_PREAUTH_FAILED)),
            SEC_E_LOGON_DENIED,
        ),
        (Ok(b"\x30\x03\x02\x01\x05".to_vec()), SEC_E_INVALID_TOKEN),
    ] {
        let (env, cred) = keytab_client(1_796_000_000);
        let target = Some("host/localhost");
        let (mut ctx, p) = Kerberos
            .initialize(&cred, &input(&env, target, &[]))
            .unwrap();
        exchange(Ok(p));
        let r = Kerberos.resume(
            Some(&cred),
            &mut ctx,
            &input(&env, target, &[]),
            reply.clone(),
        );
        assert_eq!(status(r), want, "{reply:?}");
    }
}

#[test]
fn a_cached_service_ticket_needs_no_kdc_until_it_expires() {
    let cache = parse_ccache(data!("ccache-v4")).unwrap();
    let service = &cache.tickets[1];
    let files: &[(&str, &[u8])] = &[("/k/cc", data!("ccache-v4"))];
    let vars = &[("KRB5CCNAME", "FILE:/k/cc")];
    // While the tickets are valid: the AP-REQ at once.
    let env = env(service.starttime + 60, vars, files);
    let cred = acquire(&env, SECPKG_CRED_OUTBOUND, None).unwrap();
    let (_, p) = Kerberos
        .initialize(&cred, &input(&env, Some("host/localhost"), &[]))
        .unwrap();
    match p {
        Progress::Done(out) => {
            assert_eq!(out.status, SEC_I_CONTINUE_NEEDED);
            assert_eq!(out.token[0], 0x60);
        }
        Progress::Exchange(_) => panic!("a KDC exchange for a cached ticket"),
    }
    // After they expire, with no password or key: no credentials.
    let env = super::scripted::env(service.endtime + 60, vars, files);
    let r = acquire(&env, SECPKG_CRED_OUTBOUND, None).and_then(|cred| {
        Kerberos
            .initialize(&cred, &input(&env, Some("host/localhost"), &[]))
            .map(|_| ())
    });
    assert_eq!(status(r), SEC_E_NO_CREDENTIALS);
}

#[test]
fn the_acceptor_takes_the_keys_of_the_principal_it_names() {
    // The captured AP-REQ is for host/localhost, at its time.
    let files: &[(&str, &[u8])] = &[("/k/service.keytab", data!("service.keytab"))];
    let vars = &[("KRB5_KTNAME", "/k/service.keytab")];
    let ap_req = data!("gss-ap-req.der");
    let cache = parse_ccache(data!("ccache-v4")).unwrap();
    let at = cache.tickets[1].starttime + 60;
    let token = [InBuf {
        kind: SECBUFFER_TOKEN,
        data: ap_req,
    }];
    for (principal, want) in [
        (None, SEC_E_OK),
        (Some("host/localhost@OPENSSPI.TEST"), SEC_E_OK),
        (Some("HTTP/localhost@OPENSSPI.TEST"), SEC_E_NO_CREDENTIALS),
    ] {
        let env = env(at, vars, files);
        let cred = acquire(&env, SECPKG_CRED_INBOUND, principal).unwrap();
        let r = Kerberos.accept(&cred, &input(&env, None, &token));
        match r {
            Ok((_, Progress::Done(out))) => assert_eq!(out.status, want, "{principal:?}"),
            Ok((_, Progress::Exchange(_))) => panic!("an acceptor asked for an exchange"),
            Err(e) => assert_eq!(e.status(), want, "{principal:?}"),
        }
    }
    // A principal the keytab does not hold: no credentials at all.
    let env = env(at, vars, files);
    let r = acquire(&env, SECPKG_CRED_INBOUND, Some("nobody@OPENSSPI.TEST"));
    assert_eq!(status(r), SEC_E_NO_CREDENTIALS);
}

#[test]
fn the_kdc_proxy_carries_the_exchanges() {
    use super::messages::{kdc_proxy_reply, kdc_proxy_request, KdcProxyMessage};
    let (env, cred) = keytab_client(1_796_000_000);
    let value = settings(
        KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY,
        "proxy.example:8443:kdc",
    );
    Kerberos
        .set_credentials(&cred, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, &value)
        .unwrap();
    let target = Some("host/localhost");
    let (mut ctx, p) = Kerberos
        .initialize(&cred, &input(&env, target, &[]))
        .unwrap();
    // Forced: one HTTPS server, the AS-REQ inside a KDC-PROXY-MESSAGE
    // naming the realm.
    let x = exchange(Ok(p));
    assert_eq!(x.servers.len(), 1);
    let s = &x.servers[0];
    assert_eq!(
        (s.host.as_str(), s.port, s.transport, s.path.as_str()),
        ("proxy.example", 8443, Transport::Https, "/kdc")
    );
    let m = <KdcProxyMessage as der::Decode>::from_der(&x.message).unwrap();
    assert_eq!(m.target_domain.unwrap().0, "OPENSSPI.TEST");
    let framed = m.kerb_message.as_bytes();
    assert_eq!(
        u32::from_be_bytes(framed[..4].try_into().unwrap()) as usize,
        framed.len() - 4
    );
    decode_app::<10, KdcReq>(&framed[4..]).unwrap();
    // The proxy's answer, unwrapped: a skew error from the KDC.
    let answer =
        kdc_proxy_request(&krb_error(error_code::KRB_AP_ERR_SKEW), "OPENSSPI.TEST").unwrap();
    assert_eq!(
        kdc_proxy_reply(&answer).unwrap(),
        krb_error(error_code::KRB_AP_ERR_SKEW)
    );
    let r = Kerberos.resume(Some(&cred), &mut ctx, &input(&env, target, &[]), Ok(answer));
    assert_eq!(status(r), SEC_E_TIME_SKEW);
    // A proxy's answer that is not a KDC-PROXY-MESSAGE.
    let (mut ctx, _) = Kerberos
        .initialize(&cred, &input(&env, target, &[]))
        .unwrap();
    let r = Kerberos.resume(
        Some(&cred),
        &mut ctx,
        &input(&env, target, &[]),
        Ok(vec![0x30, 0]),
    );
    assert_eq!(status(r), SEC_E_NO_AUTHENTICATING_AUTHORITY);

    // Not forced: the KDC first, the proxy when it does not answer.
    let value = settings(0, "proxy.example");
    Kerberos
        .set_credentials(&cred, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, &value)
        .unwrap();
    let (mut ctx, p) = Kerberos
        .initialize(&cred, &input(&env, target, &[]))
        .unwrap();
    let direct = exchange(Ok(p));
    assert_eq!(direct.servers[0].transport, Transport::Udp);
    let via = exchange(Kerberos.resume(
        Some(&cred),
        &mut ctx,
        &input(&env, target, &[]),
        Err(IoError::Unreachable),
    ));
    assert_eq!(
        (
            via.servers[0].port,
            via.servers[0].transport,
            via.servers[0].path.as_str()
        ),
        (443, Transport::Https, "/KdcProxy")
    );
    // An empty ProxyServer removes the proxy; another attribute is not
    // Kerberos'.
    Kerberos
        .set_credentials(&cred, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, &settings(0, ""))
        .unwrap();
    assert!(cred.proxy.lock().is_none());
    assert_eq!(
        Kerberos
            .set_credentials(&cred, SECPKG_CRED_ATTR_NAMES, &[])
            .unwrap_err(),
        SEC_E_UNSUPPORTED_FUNCTION
    );
}
