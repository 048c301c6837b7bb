//! The certificate contexts opensspi hands to programs (CERT_CONTEXT
//! structures it allocated: a peer's certificate, or one loaded with a
//! private key by an `OpenSspi` extension), by address, with their
//! reference counts and keys.
//!
//! Windows keeps a certificate's private key beside it in a certificate
//! store; there is no such store here. A CERT_CONTEXT that opensspi made
//! with a key carries it in this registry, and Schannel's
//! AcquireCredentialsHandle looks the key up by the CERT_CONTEXT's address
//! (and checks the DER it holds). The C structures themselves are the ABI
//! layer's (`crate::abi::certificates`), kept alive here as `owner`.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use crate::error::SecResult;
use crate::vocabulary::*;

struct Entry {
    der: Arc<Vec<u8>>,
    key: Option<Arc<CertifiedKey>>,
    refs: usize,
    /// The allocation at `address`, dropped with the last reference.
    _owner: Box<dyn Any + Send>,
}

static STORE: Mutex<Option<HashMap<usize, Entry>>> = Mutex::new(None);

/// Registers the certificate context at `address` (owned by `owner`),
/// holding `der`, with one reference.
pub fn insert(
    address: usize,
    der: Arc<Vec<u8>>,
    key: Option<Arc<CertifiedKey>>,
    owner: Box<dyn Any + Send>,
) {
    STORE.lock().get_or_insert_with(HashMap::new).insert(
        address,
        Entry {
            der,
            key,
            refs: 1,
            _owner: owner,
        },
    );
}

/// One more reference to a context opensspi made; false for any other.
pub fn duplicate(address: usize) -> bool {
    match STORE.lock().as_mut().and_then(|m| m.get_mut(&address)) {
        Some(e) => {
            e.refs += 1;
            true
        }
        None => false,
    }
}

/// Drops one reference; the context is freed with the last. False for a
/// context opensspi did not make (or already freed).
pub fn release(address: usize) -> bool {
    let mut store = STORE.lock();
    let Some(map) = store.as_mut() else {
        return false;
    };
    let Some(e) = map.get_mut(&address) else {
        return false;
    };
    e.refs -= 1;
    if e.refs == 0 {
        let gone = map.remove(&address);
        drop(store);
        drop(gone);
    }
    true
}

/// The key and chain of the context at `address`, when opensspi made it
/// with a key and it still holds `der`.
pub fn key_for(address: usize, der: &[u8]) -> Option<Arc<CertifiedKey>> {
    let store = STORE.lock();
    let e = store.as_ref()?.get(&address)?;
    (e.der.as_slice() == der).then(|| e.key.clone()).flatten()
}

/// A certificate chain (leaf first) and its private key, checked to
/// belong together: SEC_E_UNKNOWN_CREDENTIALS for a key ring cannot use or
/// one that is not the leaf's.
pub fn certified_key(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> SecResult<Arc<CertifiedKey>> {
    let provider = rustls::crypto::ring::default_provider();
    CertifiedKey::from_der(chain, key, &provider)
        .map(Arc::new)
        .map_err(|_| SEC_E_UNKNOWN_CREDENTIALS.into())
}

/// The certificates and the first private key in PEM text, or a single
/// DER certificate.
pub fn parse_pem_or_der(
    bytes: &[u8],
) -> (Vec<CertificateDer<'static>>, Option<PrivateKeyDer<'static>>) {
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(bytes)
        .filter_map(Result::ok)
        .collect();
    let key = PrivateKeyDer::from_pem_slice(bytes).ok();
    if certs.is_empty() && key.is_none() && bytes.first() == Some(&0x30) {
        return (vec![CertificateDer::from(bytes.to_vec())], None);
    }
    (certs, key)
}

/// The certificate chain (leaf first) and private key of a PKCS#12 file:
/// the first key bag, with the certificate bag of the same local key id
/// (or else the certificate the key belongs to) as the leaf and the other
/// certificates after it. A wrong password (the MAC does not verify):
/// SEC_E_LOGON_DENIED; anything else unreadable or no key:
/// SEC_E_UNKNOWN_CREDENTIALS.
pub fn parse_pkcs12(bytes: &[u8], password: &str) -> SecResult<Arc<CertifiedKey>> {
    use p12_keystore::{error::Error as P12, Pkcs12Archive};
    let archive = Pkcs12Archive::from_pkcs12(bytes, password).map_err(|e| match e {
        P12::MacError(_) => SEC_E_LOGON_DENIED,
        _ => SEC_E_UNKNOWN_CREDENTIALS,
    })?;
    let key = archive.keys.first().ok_or(SEC_E_UNKNOWN_CREDENTIALS)?;
    let key_der = PrivateKeyDer::try_from(key.key.as_der().to_vec())
        .map_err(|_| SEC_E_UNKNOWN_CREDENTIALS)?;
    let id = key.local_key_id.as_ref().map(|k| k.0.as_slice());
    let certs: Vec<CertificateDer<'static>> = archive
        .certs
        .iter()
        .map(|c| CertificateDer::from(c.cert.as_der().to_vec()))
        .collect();
    // The leaf: the bag sharing the key's id, else each in turn.
    let by_id = archive
        .certs
        .iter()
        .position(|c| id.is_some() && c.local_key_id.as_deref() == id);
    let order: Vec<usize> = by_id
        .into_iter()
        .chain((0..certs.len()).filter(|&i| Some(i) != by_id))
        .collect();
    for leaf in order {
        let mut chain = vec![certs[leaf].clone()];
        chain.extend(
            certs
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != leaf)
                .map(|(_, c)| c.clone()),
        );
        if let Ok(k) = certified_key(chain, key_der.clone_key()) {
            return Ok(k);
        }
    }
    Err(SEC_E_UNKNOWN_CREDENTIALS.into())
}

/// A private key in PEM (PKCS#8, PKCS#1 or SEC1) or DER (PKCS#8).
pub fn parse_key(bytes: &[u8]) -> Option<PrivateKeyDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    PrivateKeyDer::from_pem_slice(bytes)
        .ok()
        .or_else(|| PrivateKeyDer::try_from(bytes.to_vec()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_count_and_keys_need_the_same_der() {
        let der = Arc::new(vec![0x30, 0x00]);
        insert(0x1000, der.clone(), None, Box::new(()));
        assert!(duplicate(0x1000));
        assert!(release(0x1000));
        assert!(key_for(0x1000, &der).is_none(), "no key was given");
        assert!(release(0x1000));
        assert!(!release(0x1000), "already freed");
        assert!(!duplicate(0x2000), "not ours");
    }

    macro_rules! tls {
        ($name:literal) => {
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/tls/",
                $name
            ))
        };
    }

    #[test]
    fn pkcs12_files_give_their_chain_and_key() {
        let server = parse_pkcs12(tls!("server.p12"), "opensspi").unwrap();
        let (pem, _) = parse_pem_or_der(tls!("server.pem"));
        assert_eq!(server.cert.len(), 2, "leaf and CA");
        assert_eq!(server.cert[0], pem[0]);
        let client = parse_pkcs12(tls!("client-legacy.p12"), "opensspi").unwrap();
        let (pem, _) = parse_pem_or_der(tls!("client.pem"));
        assert_eq!(client.cert[0], pem[0], "3DES/RC2 (PBES1) too");
        assert_eq!(
            parse_pkcs12(tls!("server.p12"), "wrong").err().unwrap(),
            SEC_E_LOGON_DENIED
        );
        assert_eq!(
            parse_pkcs12(&tls!("server.p12")[..100], "opensspi")
                .err()
                .unwrap(),
            SEC_E_UNKNOWN_CREDENTIALS
        );
    }
}
