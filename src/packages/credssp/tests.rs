//! The package's values, the binding computation against pyspnego's
//! vectors, the delegated credentials' packed form, and the version policy.

use zeroize::Zeroizing;

use super::attributes::packed_logon;
use super::context::{accepts_old_peer, binding, host_of};
use super::messages::PasswordCreds;
use super::*;
use crate::env::FixedEnv;

#[test]
fn windows_values() {
    assert_eq!(INFO.name, "CREDSSP");
    assert_eq!(INFO.comment, "Microsoft CredSSP Security Provider");
    assert_eq!(INFO.capabilities, 0x0081_0733);
    assert_eq!((INFO.version, INFO.rpc_id), (1, 0xFFFF));
    // Negotiate's and Schannel's cbMaxToken plus 200, as on Windows.
    assert_eq!(
        INFO.max_token,
        crate::packages::negotiate::INFO.max_token
            + crate::packages::schannel::SCHANNEL_INFO.max_token
            + 200
    );
    assert!(crate::packages::find("credssp").is_some());
}

#[test]
fn binding_matches_pyspnego_vectors() {
    let key = [0u8, 1];
    assert_eq!(binding(Role::Initiator, None, &key), [0, 1]);
    assert_eq!(binding(Role::Acceptor, None, &key), [1, 1]);
    assert_eq!(
        binding(Role::Initiator, Some(&[0, 0]), &key),
        [
            0x45, 0x90, 0xc2, 0x6c, 0x83, 0x7d, 0xac, 0xdf, 0x3d, 0xa8, 0xfa, 0xe5, 0x78, 0x26,
            0x4d, 0x9e, 0x45, 0x48, 0x6a, 0xfc, 0x39, 0x51, 0xf2, 0x1e, 0xf3, 0x57, 0x06, 0x4c,
            0xd5, 0x5f, 0xbb, 0xb5
        ]
    );
    assert_eq!(
        binding(Role::Acceptor, Some(&[0, 0]), &key),
        [
            0xcd, 0xf4, 0xff, 0xee, 0x6c, 0xb6, 0x39, 0x5e, 0x5b, 0x69, 0x2c, 0x2d, 0xa3, 0x97,
            0x38, 0x6f, 0x6a, 0x1e, 0xab, 0x2d, 0x3a, 0x62, 0x71, 0x81, 0x6a, 0x04, 0xc7, 0xa2,
            0x91, 0x4d, 0x33, 0x3f
        ]
    );
}

#[test]
fn delegated_credentials_are_a_packed_interactive_logon() {
    let creds = PasswordCreds {
        domain: Zeroizing::new(b"D\0".to_vec()),
        user: Zeroizing::new(b"u\0s\0".to_vec()),
        password: Zeroizing::new(b"p\0".to_vec()),
    };
    let packed = packed_logon(&creds);
    assert_eq!(packed.len(), 56 + 2 + 4 + 2);
    assert_eq!(&packed[..4], &2u32.to_ne_bytes());
    let field = |at: usize| {
        let len = u16::from_ne_bytes([packed[at], packed[at + 1]]) as usize;
        let max = u16::from_ne_bytes([packed[at + 2], packed[at + 3]]) as usize;
        let offset = u64::from_ne_bytes(packed[at + 8..at + 16].try_into().unwrap()) as usize;
        assert_eq!(len, max);
        packed[offset..offset + len].to_vec()
    };
    assert_eq!(field(8), b"D\0");
    assert_eq!(field(24), b"u\0s\0");
    assert_eq!(field(40), b"p\0");
}

#[test]
fn tls_names_come_from_the_spn_host() {
    assert_eq!(host_of("TERMSRV/server.example"), "server.example");
    assert_eq!(host_of("TERMSRV/server.example:3389"), "server.example");
    assert_eq!(host_of("HTTP/host/service.name"), "host");
    assert_eq!(host_of("localhost"), "localhost");
    assert_eq!(host_of("TERMSRV/server.example@REALM"), "server.example");
    assert_eq!(host_of("TERMSRV@server.example"), "server.example");
    assert_eq!(host_of("TERMSRV/[::1]"), "[::1]");
}

#[test]
fn encryption_oracle_policy_is_windows_default_and_settable() {
    let mut env = FixedEnv::new(&[], 0);
    // Mitigated: clients refuse old servers, servers accept old clients.
    assert!(!accepts_old_peer(Role::Initiator, &env));
    assert!(accepts_old_peer(Role::Acceptor, &env));
    let name = "OPENSSPI_CREDSSP_ALLOW_ENCRYPTION_ORACLE".to_string();
    env.vars = vec![(name.clone(), "0".into())];
    assert!(!accepts_old_peer(Role::Acceptor, &env));
    env.vars = vec![(name, "2".into())];
    assert!(accepts_old_peer(Role::Initiator, &env));
}
