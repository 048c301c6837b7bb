//! Certificate checks and choices during a handshake: the server's
//! certificate as the client checks it (the trust store, the target name,
//! Windows' manual-validation switch), the client's certificate when a
//! server asks for one, and the client certificates a server accepts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

use crate::vocabulary::*;

/// The status Windows returns for a certificate rustls refused.
pub fn certificate_status(error: &CertificateError) -> i32 {
    match error {
        CertificateError::UnknownIssuer | CertificateError::BadSignature => SEC_E_UNTRUSTED_ROOT,
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            SEC_E_WRONG_PRINCIPAL
        }
        CertificateError::Expired
        | CertificateError::ExpiredContext { .. }
        | CertificateError::NotValidYet
        | CertificateError::NotValidYetContext { .. } => SEC_E_CERT_EXPIRED,
        _ => SEC_E_CERT_UNKNOWN,
    }
}

/// Handshake signatures, checked with the provider's algorithms: what both
/// verifiers below do the same way.
#[derive(Debug)]
pub struct Signatures(pub Arc<CryptoProvider>);

impl Signatures {
    fn tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// How the client checks the server's certificate, for one connection.
#[derive(Debug)]
pub struct ServerCertificates {
    /// The trust store's verifier; `None` when the store is empty (every
    /// certificate is then untrusted).
    pub inner: Option<Arc<WebPkiServerVerifier>>,
    pub signatures: Signatures,
    /// SCH_CRED_MANUAL_CRED_VALIDATION or ISC_REQ_MANUAL_CRED_VALIDATION:
    /// the program validates, the handshake does not.
    pub manual: bool,
    /// Whether the name must match (a target was given, and not
    /// SCH_CRED_NO_SERVERNAME_CHECK).
    pub check_name: bool,
}

impl ServerCertVerifier for ServerCertificates {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.manual {
            return Ok(ServerCertVerified::assertion());
        }
        let Some(inner) = &self.inner else {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ));
        };
        match inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.schemes()
    }
}

/// The client's certificate when a server asks for one, and whether it
/// asked (SEC_I_INCOMPLETE_CREDENTIALS when the client has none).
#[derive(Debug)]
pub struct ClientCertificates {
    pub key: Option<Arc<CertifiedKey>>,
    pub asked: Arc<AtomicBool>,
}

impl ResolvesClientCert for ClientCertificates {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.asked.store(true, Ordering::Relaxed);
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A server asking for client certificates (ASC_REQ_MUTUAL_AUTH): any
/// certificate whose handshake signature verifies is taken, and none is
/// also accepted. As with Windows' Schannel, the program judges the
/// certificate itself (SECPKG_ATTR_REMOTE_CERT_CONTEXT).
#[derive(Debug)]
pub struct PeerCertificates {
    signatures: Signatures,
}

impl PeerCertificates {
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        PeerCertificates {
            signatures: Signatures(provider),
        }
    }
}

impl ClientCertVerifier for PeerCertificates {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.schemes()
    }
}

/// Whether `used` is set: the flag a `ClientCertificates` raises.
pub fn was_asked(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed)
}
