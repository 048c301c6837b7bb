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
            Self::NegotiationInfo { .. } => SECPKG_ATTR_NEGOTIATION_INFO,
            Self::KeyInfo { .. } => SECPKG_ATTR_KEY_INFO,
            Self::Authority(_) => SECPKG_ATTR_AUTHORITY,
        }
    }
}

/// A credential attribute's value.
#[derive(Debug)]
pub enum CredentialAttribute {
    Names(String),
}
