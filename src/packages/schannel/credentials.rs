//! Schannel's credentials: SCHANNEL_CRED (version 4) and SCH_CREDENTIALS
//! (version 5, with TLS_PARAMETERS) decoded from the caller's `pAuthData`,
//! the protocols they leave enabled, the certificate they name, and the
//! rustls configurations made from them.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;

use rustls::pki_types::CertificateDer;
use rustls::sign::CertifiedKey;
use rustls::version::{TLS12, TLS13};
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};

use crate::credentials::layout::Fields;
use crate::package::{AcquireRequest, AuthData, SecResult};
use crate::vocabulary::*;

use super::verify::{ClientCertificates, PeerCertificates, ServerCertificates, Signatures};

use crate::credentials::layout::{size_of_fields, Field::*};

/// SCHANNEL_CRED's size on this platform (80 on LP64).
const SCHANNEL_CRED_SIZE: usize = size_of_fields(&[
    U32, U32, Ptr, Ptr, U32, Ptr, U32, Ptr, U32, U32, U32, U32, U32, U32,
]);
/// SCH_CREDENTIALS' size (72 on LP64).
const SCH_CREDENTIALS_SIZE: usize =
    size_of_fields(&[U32, U32, U32, Ptr, Ptr, U32, Ptr, U32, U32, U32, Ptr]);
/// TLS_PARAMETERS' size (40 on LP64).
const TLS_PARAMETERS_SIZE: usize = 40;
/// CERT_CONTEXT's size (40 on LP64).
const CERT_CONTEXT_SIZE: usize = 40;
/// The longest certificate read from a CERT_CONTEXT.
const MAX_CERTIFICATE: usize = 1 << 20;
/// Most TLS_PARAMETERS and ALPN ids Windows takes
/// (SCH_CRED_MAX_SUPPORTED_PARAMETERS, _ALPN_IDS).
const MAX_PARAMETERS: u32 = 16;

/// The TLS versions a credential may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Versions {
    pub tls12: bool,
    pub tls13: bool,
}

impl Versions {
    fn list(self) -> Vec<&'static SupportedProtocolVersion> {
        let mut v = Vec::new();
        if self.tls13 {
            v.push(&TLS13);
        }
        if self.tls12 {
            v.push(&TLS12);
        }
        v
    }

    /// The SP_PROT_* bits of this side (SECPKG_ATTR_SUPPORTED_PROTOCOLS).
    pub fn bits(self, client: bool) -> u32 {
        let (v12, v13) = if client {
            (SP_PROT_TLS1_2_CLIENT, SP_PROT_TLS1_3_CLIENT)
        } else {
            (SP_PROT_TLS1_2_SERVER, SP_PROT_TLS1_3_SERVER)
        };
        (if self.tls12 { v12 } else { 0 }) | (if self.tls13 { v13 } else { 0 })
    }
}

/// An acquired Schannel credential.
pub struct SchannelCredentials {
    pub outbound: bool,
    pub inbound: bool,
    pub versions: Versions,
    /// dwFlags (SCH_CRED_*).
    pub flags: u32,
    /// The certificate with its key: the server's, or the client's for
    /// mutual TLS.
    pub certificate: Option<Arc<CertifiedKey>>,
    roots: Arc<RootCertStore>,
    client: OnceLock<SecResult<Arc<ClientConfig>>>,
    webpki: OnceLock<Option<Arc<WebPkiServerVerifier>>>,
    server: [OnceLock<SecResult<Arc<ServerConfig>>>; 2],
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: OnceLock<Arc<rustls::crypto::CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

impl SchannelCredentials {
    /// AcquireCredentialsHandle for Schannel.
    pub fn acquire(request: AcquireRequest<'_>) -> SecResult<Self> {
        let outbound = request.usage.outbound();
        let inbound = request.usage.inbound();
        let decoded = match request.auth {
            // A server has no default certificate here.
            None if inbound => return Err(SEC_E_NO_CREDENTIALS.into()),
            None => Decoded::default(),
            Some(auth) => decode(auth)?,
        };
        let versions = decoded.versions(outbound, inbound)?;
        let certificate = match decoded.certificate {
            None => None,
            Some((address, der)) => {
                Some(crate::certificates::key_for(address, &der).ok_or(SEC_E_NO_CREDENTIALS)?)
            }
        };
        Ok(SchannelCredentials {
            outbound,
            inbound,
            versions,
            flags: decoded.flags,
            certificate,
            roots: request.env.trust_roots(),
            client: OnceLock::new(),
            webpki: OnceLock::new(),
            server: [OnceLock::new(), OnceLock::new()],
        })
    }

    /// A credential made directly (the fuzz targets): TLS 1.2 and 1.3,
    /// this certificate, these roots.
    #[cfg(feature = "fuzzing")]
    pub fn direct(
        inbound: bool,
        certificate: Option<Arc<CertifiedKey>>,
        roots: Arc<RootCertStore>,
    ) -> Self {
        SchannelCredentials {
            outbound: !inbound,
            inbound,
            versions: Versions {
                tls12: true,
                tls13: true,
            },
            flags: 0,
            certificate,
            roots,
            client: OnceLock::new(),
            webpki: OnceLock::new(),
            server: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// The client configuration of one connection: the credential's,
    /// with this connection's checks of the server's certificate, its
    /// ALPN ids, and a flag raised when the server asks for a certificate.
    pub fn client_config(
        &self,
        manual: bool,
        check_name: bool,
        alpn: Vec<Vec<u8>>,
        asked: Arc<AtomicBool>,
        key_log: Arc<dyn rustls::KeyLog>,
    ) -> SecResult<Arc<ClientConfig>> {
        let base = self
            .client
            .get_or_init(|| {
                let mut config = ClientConfig::builder_with_provider(provider())
                    .with_protocol_versions(&self.versions.list())
                    .map_err(|_| SEC_E_ALGORITHM_MISMATCH)?
                    .with_root_certificates(self.roots.clone())
                    .with_no_client_auth();
                config.enable_secret_extraction = true;
                config.resumption = rustls::client::Resumption::disabled();
                Ok(Arc::new(config))
            })
            .clone()?;
        let inner = self
            .webpki
            .get_or_init(|| {
                WebPkiServerVerifier::builder_with_provider(self.roots.clone(), provider())
                    .build()
                    .ok()
            })
            .clone();
        let mut config = (*base).clone();
        config
            .dangerous()
            .set_certificate_verifier(Arc::new(ServerCertificates {
                inner,
                signatures: Signatures(provider()),
                manual: manual || self.flags & SCH_CRED_MANUAL_CRED_VALIDATION != 0,
                check_name: check_name && self.flags & SCH_CRED_NO_SERVERNAME_CHECK == 0,
            }));
        config.client_auth_cert_resolver = Arc::new(ClientCertificates {
            key: self.certificate.clone(),
            asked,
        });
        config.alpn_protocols = alpn;
        config.key_log = key_log;
        Ok(Arc::new(config))
    }

    /// The server configuration, made once for each of asking for a
    /// client certificate (ASC_REQ_MUTUAL_AUTH) or not.
    pub fn server_config(&self, ask_client: bool) -> SecResult<Arc<ServerConfig>> {
        self.server[usize::from(ask_client)]
            .get_or_init(|| {
                let key = self.certificate.clone().ok_or(SEC_E_NO_CREDENTIALS)?;
                let builder = ServerConfig::builder_with_provider(provider())
                    .with_protocol_versions(&self.versions.list())
                    .map_err(|_| SEC_E_ALGORITHM_MISMATCH)?;
                let builder = if ask_client {
                    builder.with_client_cert_verifier(Arc::new(PeerCertificates::new(provider())))
                } else {
                    builder.with_no_client_auth()
                };
                let mut config =
                    builder.with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(key)));
                config.enable_secret_extraction = true;
                config.send_tls13_tickets = 0;
                config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
                Ok(Arc::new(config))
            })
            .clone()
    }
}

/// What a credential structure says, before the protocols are settled.
#[derive(Default)]
struct Decoded {
    /// grbitEnabledProtocols of a SCHANNEL_CRED (0: the defaults).
    enabled: Option<u32>,
    /// grbitDisabledProtocols of a SCH_CREDENTIALS' TLS_PARAMETERS.
    disabled: u32,
    /// SCHANNEL_CRED: TLS 1.3 is never negotiated with it on Windows.
    legacy: bool,
    flags: u32,
    /// The PCCERT_CONTEXT's address and the DER it holds.
    certificate: Option<(usize, Vec<u8>)>,
}

/// Protocol bits of each kind.
const TLS_BITS: u32 = 0x0000_3FFF;
const DTLS_BITS: u32 = 0x000F_0000;
const SERVER_BITS: u32 = 0x5555_5555 & (TLS_BITS | DTLS_BITS);
const CLIENT_BITS: u32 = 0xAAAA_AAAA & (TLS_BITS | DTLS_BITS);

impl Decoded {
    /// The versions left enabled for this use: SEC_E_ALGORITHM_MISMATCH
    /// when none of TLS 1.2 and 1.3 is (SSL 3, TLS 1.0 and 1.1 only),
    /// when only the other side's bits are given, or TLS and DTLS are mixed.
    fn versions(&self, outbound: bool, inbound: bool) -> SecResult<Versions> {
        let side =
            (if outbound { CLIENT_BITS } else { 0 }) | (if inbound { SERVER_BITS } else { 0 });
        let allowed = match self.enabled {
            Some(bits) if bits != 0 => {
                // DTLS (alone or mixed with TLS) is not offered.
                if bits & DTLS_BITS != 0 {
                    return Err(SEC_E_ALGORITHM_MISMATCH.into());
                }
                if bits & side == 0 {
                    return Err(SEC_E_ALGORITHM_MISMATCH.into());
                }
                bits & side
            }
            _ => (SP_PROT_TLS1_2 | SP_PROT_TLS1_3) & side & !self.disabled,
        };
        let versions = Versions {
            tls12: allowed & SP_PROT_TLS1_2 != 0,
            tls13: allowed & SP_PROT_TLS1_3 != 0 && !self.legacy,
        };
        if !versions.tls12 && !versions.tls13 {
            return Err(SEC_E_ALGORITHM_MISMATCH.into());
        }
        Ok(versions)
    }
}

fn decode(auth: AuthData<'_>) -> SecResult<Decoded> {
    let version = auth
        .head(4)
        .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(SEC_E_UNKNOWN_CREDENTIALS)?;
    match version {
        SCHANNEL_CRED_VERSION => decode_schannel_cred(auth),
        SCH_CREDENTIALS_VERSION => decode_sch_credentials(auth),
        _ => Err(SEC_E_UNKNOWN_CREDENTIALS.into()),
    }
}

fn decode_schannel_cred(auth: AuthData<'_>) -> SecResult<Decoded> {
    let bytes = auth
        .head(SCHANNEL_CRED_SIZE)
        .ok_or(SEC_E_UNKNOWN_CREDENTIALS)?;
    let mut f = Fields::new(bytes);
    let (_version, count, certs) = (f.u32(), f.u32(), f.ptr());
    let (_root_store, _mappers, _mapper_list) = (f.ptr(), f.u32(), f.ptr());
    let (_algs, _alg_list) = (f.u32(), f.ptr());
    let enabled = f.u32();
    let (_min, _max, _lifespan) = (f.u32(), f.u32(), f.u32());
    let (flags, format) = (f.u32(), f.u32());
    Ok(Decoded {
        enabled: Some(enabled),
        disabled: 0,
        legacy: true,
        flags,
        certificate: certificate(auth, count, certs, format)?,
    })
}

fn decode_sch_credentials(auth: AuthData<'_>) -> SecResult<Decoded> {
    let bytes = auth
        .head(SCH_CREDENTIALS_SIZE)
        .ok_or(SEC_E_UNKNOWN_CREDENTIALS)?;
    let mut f = Fields::new(bytes);
    let (_version, format, count, certs) = (f.u32(), f.u32(), f.u32(), f.ptr());
    let (_root_store, _mappers, _mapper_list) = (f.ptr(), f.u32(), f.ptr());
    let (_lifespan, flags) = (f.u32(), f.u32());
    let (params, params_at) = (f.u32(), f.ptr());
    if params > MAX_PARAMETERS {
        return Err(SEC_E_INVALID_PARAMETER.into());
    }
    let mut decoded = Decoded {
        enabled: None,
        disabled: 0,
        legacy: false,
        flags,
        certificate: certificate(auth, count, certs, format)?,
    };
    let all = auth
        .at(params_at, params as usize * TLS_PARAMETERS_SIZE, 8)
        .ok_or(SEC_E_INVALID_PARAMETER)?;
    for p in all.chunks_exact(TLS_PARAMETERS_SIZE) {
        let mut f = Fields::new(p);
        let (alpn_count, alpn_at) = (f.u32(), f.ptr());
        let disabled = f.u32();
        let (_crypto, _crypto_at, _flags) = (f.u32(), f.ptr(), f.u32());
        // An entry with ALPN ids restricts only connections that
        // negotiate one of them (Microsoft's TLS_PARAMETERS); such
        // per-protocol restrictions are not applied, the entry is skipped.
        // The entry without ids applies to every connection.
        if alpn_count > MAX_PARAMETERS || (alpn_count > 0 && alpn_at == 0) {
            return Err(SEC_E_INVALID_PARAMETER.into());
        }
        if alpn_count == 0 {
            decoded.disabled |= disabled;
        }
    }
    Ok(decoded)
}

/// The one certificate a credential names: its PCCERT_CONTEXT's address
/// and DER. More than one is SEC_E_UNKNOWN_CREDENTIALS, as on Windows; a
/// certificate hash (there is no store to look it up in) is
/// SEC_E_NO_CREDENTIALS; a context that does not hold a certificate is
/// SEC_E_UNKNOWN_CREDENTIALS.
fn certificate(
    auth: AuthData<'_>,
    count: u32,
    list: usize,
    format: u32,
) -> SecResult<Option<(usize, Vec<u8>)>> {
    match count {
        0 => return Ok(None),
        1 => {}
        _ => return Err(SEC_E_UNKNOWN_CREDENTIALS.into()),
    }
    if format != SCH_CRED_FORMAT_CERT_CONTEXT {
        return Err(SEC_E_NO_CREDENTIALS.into());
    }
    let entry = auth
        .at(list, size_of::<usize>(), size_of::<usize>())
        .ok_or(SEC_E_UNKNOWN_CREDENTIALS)?;
    let address = usize::from_ne_bytes(entry.try_into().map_err(|_| SEC_E_INTERNAL_ERROR)?);
    let context = auth
        .at(address, CERT_CONTEXT_SIZE, 8)
        .ok_or(SEC_E_UNKNOWN_CREDENTIALS)?;
    let mut f = Fields::new(context);
    let (_encoding, der_at, der_len) = (f.u32(), f.ptr(), f.u32());
    if der_len as usize > MAX_CERTIFICATE || der_len == 0 {
        return Err(SEC_E_UNKNOWN_CREDENTIALS.into());
    }
    let der = auth
        .at(der_at, der_len as usize, 1)
        .ok_or(SEC_E_UNKNOWN_CREDENTIALS)?;
    let cert = CertificateDer::from(der);
    if rustls::server::ParsedCertificate::try_from(&cert).is_err() {
        return Err(SEC_E_UNKNOWN_CREDENTIALS.into());
    }
    Ok(Some((address, der.to_vec())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_sizes_are_windows_lp64() {
        if size_of::<usize>() == 8 {
            assert_eq!(SCHANNEL_CRED_SIZE, 80);
            assert_eq!(SCH_CREDENTIALS_SIZE, 72);
        }
    }

    fn decoded(enabled: Option<u32>, disabled: u32, legacy: bool) -> Decoded {
        Decoded {
            enabled,
            disabled,
            legacy,
            ..Decoded::default()
        }
    }

    #[test]
    fn versions_follow_windows() {
        let both = Versions {
            tls12: true,
            tls13: true,
        };
        assert_eq!(decoded(None, 0, false).versions(true, false).unwrap(), both);
        assert_eq!(
            decoded(None, SP_PROT_TLS1_3_CLIENT, false)
                .versions(true, false)
                .unwrap(),
            Versions {
                tls12: true,
                tls13: false
            }
        );
        // SCHANNEL_CRED never negotiates TLS 1.3.
        assert_eq!(
            decoded(Some(SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT), 0, true)
                .versions(true, false)
                .unwrap(),
            Versions {
                tls12: true,
                tls13: false
            }
        );
        for old in [
            SP_PROT_TLS1_0_CLIENT,
            SP_PROT_TLS1_1_CLIENT | SP_PROT_SSL3_CLIENT,
            SP_PROT_TLS1_3_CLIENT,
        ] {
            assert_eq!(
                decoded(Some(old), 0, true)
                    .versions(true, false)
                    .unwrap_err(),
                SEC_E_ALGORITHM_MISMATCH
            );
        }
        assert_eq!(
            decoded(Some(SP_PROT_TLS1_2_SERVER), 0, true)
                .versions(true, false)
                .unwrap_err(),
            SEC_E_ALGORITHM_MISMATCH,
            "server bits on an outbound credential"
        );
        assert_eq!(
            decoded(
                Some(SP_PROT_TLS1_2_CLIENT | SP_PROT_DTLS1_2_CLIENT),
                0,
                true
            )
            .versions(true, false)
            .unwrap_err(),
            SEC_E_ALGORITHM_MISMATCH
        );
        assert_eq!(
            decoded(None, SP_PROT_TLS1_2 | SP_PROT_TLS1_3, false)
                .versions(false, true)
                .unwrap_err(),
            SEC_E_ALGORITHM_MISMATCH
        );
    }
}
