//! What QueryContextAttributes, QueryCredentialsAttributes and
//! QuerySecurityPackageInfo report, as values: the ABI writes them in their
//! C form (A or W strings, memory from FreeContextBuffer's allocator).

use zeroize::Zeroizing;

use crate::vocabulary::*;

/// What QuerySecurityPackageInfo reports for a package.
#[derive(Debug)]
pub struct PackageInfo {
    pub name: &'static str,
    pub comment: &'static str,
    pub capabilities: u32,
    pub version: u16,
    pub rpc_id: u16,
    pub max_token: u32,
}

/// A context attribute's value, before the ABI writes it in its C form
/// (A or W strings, memory from FreeContextBuffer's allocator).
#[derive(Debug)]
pub enum ContextAttribute {
    Sizes {
        max_token: u32,
        max_signature: u32,
        block_size: u32,
        security_trailer: u32,
    },
    StreamSizes {
        header: u32,
        trailer: u32,
        max_message: u32,
        buffers: u32,
        block_size: u32,
    },
    Names(String),
    NativeNames {
        client: String,
        server: String,
    },
    Lifespan {
        start: i64,
        expiry: i64,
    },
    SessionKey(Zeroizing<Vec<u8>>),
    Flags(u32),
    PackageInfo(&'static PackageInfo),
    /// CredSSP's SECPKG_ATTR_NEGOTIATION_PACKAGE: the package Negotiate
    /// chose inside, as a SecPkgContext_PackageInfo.
    NegotiationPackage(&'static PackageInfo),
    NegotiationInfo {
        package: &'static PackageInfo,
        state: u32,
    },
    KeyInfo {
        signature_algorithm_name: &'static str,
        encrypt_algorithm_name: &'static str,
        key_size: u32,
        signature_algorithm: u32,
        encrypt_algorithm: u32,
    },
    Authority(String),
    /// SecPkgContext_ConnectionInfo's seven values, in order.
    ConnectionInfo([u32; 7]),
    CipherInfo(Box<CipherInfo>),
    /// The ALPN protocol negotiated (empty: none).
    ApplicationProtocol(Vec<u8>),
    /// A certificate (DER) for the attribute given (REMOTE_CERT_CONTEXT,
    /// LOCAL_CERT_CONTEXT): the ABI hands out a CERT_CONTEXT that
    /// CertFreeCertificateContext frees.
    Certificate(u32, Vec<u8>),
    /// A whole SEC_CHANNEL_BINDINGS with its application data, for the
    /// attribute given (ENDPOINT_BINDINGS, UNIQUE_BINDINGS).
    Bindings(u32, Vec<u8>),
    /// SecPkgContext_SessionInfo: SSL_SESSION_RECONNECT when resumed, and
    /// the session id (at most 32 bytes).
    SessionInfo {
        flags: u32,
        id: Vec<u8>,
    },
    /// SecPkgContext_ClientCreds for the attribute given (CredSSP's
    /// SECPKG_ATTR_CREDS, SECPKG_ATTR_CREDS_2): the delegated credentials'
    /// bytes, handed out in memory FreeContextBuffer zeroes and frees.
    ClientCreds(u32, Zeroizing<Vec<u8>>),
}

/// SecPkgContext_CipherInfo's values (strings as Windows spells them).
#[derive(Debug)]
pub struct CipherInfo {
    /// The wire version (0x0303, 0x0304).
    pub protocol: u32,
    pub suite: u32,
    pub suite_name: String,
    pub cipher: &'static str,
    pub cipher_len: u32,
    pub cipher_block_len: u32,
    pub hash: &'static str,
    pub hash_len: u32,
    pub exchange: &'static str,
    pub min_exchange_len: u32,
    pub max_exchange_len: u32,
    pub certificate: &'static str,
    pub key_type: u32,
}

impl ContextAttribute {
    /// The SECPKG_ATTR_* number this value answers.
    pub fn attribute_id(&self) -> u32 {
        match self {
            Self::Sizes { .. } => SECPKG_ATTR_SIZES,
            Self::StreamSizes { .. } => SECPKG_ATTR_STREAM_SIZES,
            Self::Names(_) => SECPKG_ATTR_NAMES,
            Self::NativeNames { .. } => SECPKG_ATTR_NATIVE_NAMES,
            Self::Lifespan { .. } => SECPKG_ATTR_LIFESPAN,
            Self::SessionKey(_) => SECPKG_ATTR_SESSION_KEY,
            Self::Flags(_) => SECPKG_ATTR_FLAGS,
            Self::PackageInfo(_) => SECPKG_ATTR_PACKAGE_INFO,
            Self::NegotiationPackage(_) => SECPKG_ATTR_NEGOTIATION_PACKAGE,
            Self::NegotiationInfo { .. } => SECPKG_ATTR_NEGOTIATION_INFO,
            Self::KeyInfo { .. } => SECPKG_ATTR_KEY_INFO,
            Self::Authority(_) => SECPKG_ATTR_AUTHORITY,
            Self::ConnectionInfo(_) => SECPKG_ATTR_CONNECTION_INFO,
            Self::CipherInfo(_) => SECPKG_ATTR_CIPHER_INFO,
            Self::ApplicationProtocol(_) => SECPKG_ATTR_APPLICATION_PROTOCOL,
            Self::Certificate(attribute, _) | Self::Bindings(attribute, _) => *attribute,
            Self::ClientCreds(attribute, _) => *attribute,
            Self::SessionInfo { .. } => SECPKG_ATTR_SESSION_INFO,
        }
    }
}

/// A credential attribute's value.
#[derive(Debug)]
pub enum CredentialAttribute {
    Names(String),
    /// SECPKG_ATTR_SUPPORTED_PROTOCOLS: SP_PROT_* bits.
    SupportedProtocols(u32),
}
