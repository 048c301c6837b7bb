//! The C types of `sspi.h`, laid out exactly as Windows defines them, on LP64.
//!
//! Windows' `long` is 32 bits, so `ULONG` is `uint32_t` (never C `long`), and
//! `SEC_WCHAR` is a UTF-16 code unit (never `wchar_t`). cbindgen turns this
//! file into include/sspi.h; the layout is pinned by Rust tests below and by
//! `static_assert`s in ctests/test_layout.c.
#![allow(non_snake_case, non_camel_case_types)]
// Field and pointer-alias names are sspi.h's own, with Microsoft's meanings
// (the structures themselves are documented here).
#![allow(missing_docs)]

use std::ffi::{c_char, c_void};

/// Status code returned by every SSPI function (`SEC_E_*`, `SEC_I_*`).
pub type SECURITY_STATUS = i32;
/// Windows' 32-bit `long`.
pub type LONG = i32;
/// Windows' 32-bit `unsigned long`.
pub type ULONG = u32;
/// Windows' 16-bit `unsigned short`.
pub type USHORT = u16;
/// Windows' one-byte boolean.
pub type BOOLEAN = u8;
/// Pointer-sized unsigned integer.
pub type ULONG_PTR = usize;
/// An 8-bit character: UTF-8 in opensspi's A entry points.
pub type SEC_CHAR = c_char;
/// A UTF-16 code unit, as Windows' `WCHAR` (not `wchar_t`).
pub type SEC_WCHAR = u16;

/// A credential or context handle. Its two words are opaque: opensspi stores
/// an arena slot, a generation and a type tag there, never a pointer.
/// `SecInvalidateHandle` sets both words to `(ULONG_PTR)-1`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecHandle {
    pub dwLower: ULONG_PTR,
    pub dwUpper: ULONG_PTR,
}
pub type PSecHandle = *mut SecHandle;
/// A credentials handle (from AcquireCredentialsHandle, freed by FreeCredentialsHandle).
pub type CredHandle = SecHandle;
pub type PCredHandle = *mut CredHandle;
/// A security context handle (from Initialize/AcceptSecurityContext, freed by DeleteSecurityContext).
pub type CtxtHandle = SecHandle;
pub type PCtxtHandle = *mut CtxtHandle;

/// A 64-bit time as two 32-bit halves (4-byte aligned), in FILETIME units:
/// 100 ns since 1601-01-01 UTC, local time as Windows reports it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SECURITY_INTEGER {
    pub LowPart: ULONG,
    pub HighPart: LONG,
}
pub type PSECURITY_INTEGER = *mut SECURITY_INTEGER;
/// Expiry times returned by the credential and context calls.
pub type TimeStamp = SECURITY_INTEGER;
pub type PTimeStamp = *mut SECURITY_INTEGER;

/// One buffer of a message or token. The caller owns `pvBuffer` unless a
/// call was asked to allocate it (ISC_REQ_ALLOCATE_MEMORY), in which case
/// FreeContextBuffer frees it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecBuffer {
    /// Size of `pvBuffer` in bytes.
    pub cbBuffer: ULONG,
    /// A `SECBUFFER_*` type, possibly with `SECBUFFER_READONLY*` flags.
    pub BufferType: ULONG,
    pub pvBuffer: *mut c_void,
}
pub type PSecBuffer = *mut SecBuffer;

/// An array of `SecBuffer`s owned by the caller.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecBufferDesc {
    /// `SECBUFFER_VERSION` (0).
    pub ulVersion: ULONG,
    pub cBuffers: ULONG,
    pub pBuffers: PSecBuffer,
}
pub type PSecBufferDesc = *mut SecBufferDesc;

/// A security package's description (UTF-8 strings). Returned arrays hold
/// their strings in the same allocation; FreeContextBuffer frees it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgInfoA {
    pub fCapabilities: ULONG,
    pub wVersion: USHORT,
    pub wRPCID: USHORT,
    pub cbMaxToken: ULONG,
    pub Name: *mut SEC_CHAR,
    pub Comment: *mut SEC_CHAR,
}
pub type PSecPkgInfoA = *mut SecPkgInfoA;

/// A security package's description (UTF-16 strings). Returned arrays hold
/// their strings in the same allocation; FreeContextBuffer frees it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgInfoW {
    pub fCapabilities: ULONG,
    pub wVersion: USHORT,
    pub wRPCID: USHORT,
    pub cbMaxToken: ULONG,
    pub Name: *mut SEC_WCHAR,
    pub Comment: *mut SEC_WCHAR,
}
pub type PSecPkgInfoW = *mut SecPkgInfoW;

/// An explicit identity for AcquireCredentialsHandle. Lengths count
/// characters and exclude any NUL. `Flags` says how the strings are encoded
/// (SEC_WINNT_AUTH_IDENTITY_ANSI or _UNICODE), whatever the entry point.
/// The caller keeps ownership; opensspi copies what it needs.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SEC_WINNT_AUTH_IDENTITY_A {
    pub User: *mut u8,
    pub UserLength: ULONG,
    pub Domain: *mut u8,
    pub DomainLength: ULONG,
    pub Password: *mut u8,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
}
pub type PSEC_WINNT_AUTH_IDENTITY_A = *mut SEC_WINNT_AUTH_IDENTITY_A;

/// The UTF-16 form of `SEC_WINNT_AUTH_IDENTITY_A`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SEC_WINNT_AUTH_IDENTITY_W {
    pub User: *mut u16,
    pub UserLength: ULONG,
    pub Domain: *mut u16,
    pub DomainLength: ULONG,
    pub Password: *mut u16,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
}
pub type PSEC_WINNT_AUTH_IDENTITY_W = *mut SEC_WINNT_AUTH_IDENTITY_W;

/// The extended identity: `Version` is SEC_WINNT_AUTH_IDENTITY_VERSION and
/// `Length` the structure's size (larger structures that start with this
/// one are accepted). `PackageList` is a comma-separated list of packages
/// for Negotiate ("NTLM", "!Kerberos").
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SEC_WINNT_AUTH_IDENTITY_EXA {
    pub Version: ULONG,
    pub Length: ULONG,
    pub User: *mut u8,
    pub UserLength: ULONG,
    pub Domain: *mut u8,
    pub DomainLength: ULONG,
    pub Password: *mut u8,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
    pub PackageList: *mut u8,
    pub PackageListLength: ULONG,
}
pub type PSEC_WINNT_AUTH_IDENTITY_EXA = *mut SEC_WINNT_AUTH_IDENTITY_EXA;

/// The UTF-16 form of `SEC_WINNT_AUTH_IDENTITY_EXA`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SEC_WINNT_AUTH_IDENTITY_EXW {
    pub Version: ULONG,
    pub Length: ULONG,
    pub User: *mut u16,
    pub UserLength: ULONG,
    pub Domain: *mut u16,
    pub DomainLength: ULONG,
    pub Password: *mut u16,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
    pub PackageList: *mut u16,
    pub PackageListLength: ULONG,
}
pub type PSEC_WINNT_AUTH_IDENTITY_EXW = *mut SEC_WINNT_AUTH_IDENTITY_EXW;

/// A GUID as Windows lays it out (16 bytes; Data1 is 32 bits).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GUID {
    pub Data1: ULONG,
    pub Data2: USHORT,
    pub Data3: USHORT,
    pub Data4: [u8; 8],
}

/// Bytes inside a self-relative structure: an offset from the start of
/// the structure that holds this vector, and a length.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SEC_WINNT_AUTH_BYTE_VECTOR {
    pub ByteArrayOffset: ULONG,
    pub ByteArrayLength: USHORT,
}

/// Typed credential bytes: `CredType` names what `CredData` holds
/// (SEC_WINNT_AUTH_DATA_TYPE_PASSWORD 28bfc32f-10f6-4738-98d1-1ac061df716a:
/// the password in UTF-16LE; SEC_WINNT_AUTH_DATA_TYPE_KEYTAB
/// d587aae8-f78f-4455-a112-c934beee7ce1: an MIT keytab's bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SEC_WINNT_AUTH_DATA {
    pub CredType: GUID,
    pub CredData: SEC_WINNT_AUTH_BYTE_VECTOR,
}

/// The packed credentials of a SEC_WINNT_AUTH_IDENTITY_EX2 (self-relative:
/// `AuthData.CredData`'s offset counts from this structure's start).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SEC_WINNT_AUTH_PACKED_CREDENTIALS {
    pub cbHeaderLength: USHORT,
    pub cbStructureLength: USHORT,
    pub AuthData: SEC_WINNT_AUTH_DATA,
}

/// Windows' self-relative identity (Version
/// SEC_WINNT_AUTH_IDENTITY_VERSION_2): every string UTF-16LE, not
/// NUL-terminated, at an offset from this structure's start with a length
/// in bytes; the secret as SEC_WINNT_AUTH_PACKED_CREDENTIALS. The caller
/// owns it; AcquireCredentialsHandle reads `cbStructureLength` bytes and
/// keeps nothing. SspiCopyAuthIdentity copies it as it is.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SEC_WINNT_AUTH_IDENTITY_EX2 {
    pub Version: ULONG,
    pub cbHeaderLength: USHORT,
    pub cbStructureLength: ULONG,
    pub UserOffset: ULONG,
    pub UserLength: USHORT,
    pub DomainOffset: ULONG,
    pub DomainLength: USHORT,
    pub PackedCredentialsOffset: ULONG,
    pub PackedCredentialsLength: USHORT,
    pub Flags: ULONG,
    pub PackageListOffset: ULONG,
    pub PackageListLength: USHORT,
}
pub type PSEC_WINNT_AUTH_IDENTITY_EX2 = *mut SEC_WINNT_AUTH_IDENTITY_EX2;

/// SetCredentialsAttributes(SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS) on a
/// Kerberos or Negotiate credential: Version KDC_PROXY_SETTINGS_V1, Flags
/// (KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY), and the proxy server
/// (`host[:port[:path]]`, UTF-16, length in bytes) at an offset from this
/// structure's start, within the buffer given (cbBuffer). The caller owns
/// it; the credential keeps a copy of the settings.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SecPkgCredentials_KdcProxySettingsW {
    pub Version: ULONG,
    pub Flags: ULONG,
    pub ProxyServerOffset: USHORT,
    pub ProxyServerLength: USHORT,
    pub ClientTlsCredOffset: USHORT,
    pub ClientTlsCredLength: USHORT,
}

/// An identity structure of any form, as the Sspi* helpers take and return
/// it (theirs are SEC_WINNT_AUTH_IDENTITY_EXW blocks).
pub type PSEC_WINNT_AUTH_IDENTITY_OPAQUE = *mut c_void;

/// Channel bindings, passed in a SECBUFFER_CHANNEL_BINDINGS buffer: this
/// header followed by the data its offsets point into.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SEC_CHANNEL_BINDINGS {
    pub dwInitiatorAddrType: ULONG,
    pub cbInitiatorLength: ULONG,
    pub dwInitiatorOffset: ULONG,
    pub dwAcceptorAddrType: ULONG,
    pub cbAcceptorLength: ULONG,
    pub dwAcceptorOffset: ULONG,
    pub cbApplicationDataLength: ULONG,
    pub dwApplicationDataOffset: ULONG,
}

/// SECPKG_ATTR_SIZES: written into the caller's structure.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SecPkgContext_Sizes {
    pub cbMaxToken: ULONG,
    pub cbMaxSignature: ULONG,
    pub cbBlockSize: ULONG,
    pub cbSecurityTrailer: ULONG,
}

/// SECPKG_ATTR_STREAM_SIZES: written into the caller's structure.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SecPkgContext_StreamSizes {
    pub cbHeader: ULONG,
    pub cbTrailer: ULONG,
    pub cbMaximumMessage: ULONG,
    pub cBuffers: ULONG,
    pub cbBlockSize: ULONG,
}

/// SECPKG_ATTR_NAMES: `sUserName` is allocated by opensspi; free it with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NamesA {
    pub sUserName: *mut SEC_CHAR,
}
/// SECPKG_ATTR_NAMES (UTF-16): free `sUserName` with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NamesW {
    pub sUserName: *mut SEC_WCHAR,
}

/// SECPKG_ATTR_NATIVE_NAMES: free each name with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NativeNamesA {
    pub sClientName: *mut SEC_CHAR,
    pub sServerName: *mut SEC_CHAR,
}
/// SECPKG_ATTR_NATIVE_NAMES (UTF-16): free each name with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NativeNamesW {
    pub sClientName: *mut SEC_WCHAR,
    pub sServerName: *mut SEC_WCHAR,
}

/// SECPKG_ATTR_LIFESPAN: written into the caller's structure.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SecPkgContext_Lifespan {
    pub tsStart: TimeStamp,
    pub tsExpiry: TimeStamp,
}

/// SECPKG_ATTR_DCE_INFO: `pPac` is freed with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_DceInfo {
    pub AuthzSvc: ULONG,
    pub pPac: *mut c_void,
}

/// SECPKG_ATTR_KEY_INFO: free both names with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_KeyInfoA {
    pub sSignatureAlgorithmName: *mut SEC_CHAR,
    pub sEncryptAlgorithmName: *mut SEC_CHAR,
    pub KeySize: ULONG,
    pub SignatureAlgorithm: ULONG,
    pub EncryptAlgorithm: ULONG,
}
/// SECPKG_ATTR_KEY_INFO (UTF-16): free both names with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_KeyInfoW {
    pub sSignatureAlgorithmName: *mut SEC_WCHAR,
    pub sEncryptAlgorithmName: *mut SEC_WCHAR,
    pub KeySize: ULONG,
    pub SignatureAlgorithm: ULONG,
    pub EncryptAlgorithm: ULONG,
}

/// SECPKG_ATTR_AUTHORITY: free `sAuthorityName` with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_AuthorityA {
    pub sAuthorityName: *mut SEC_CHAR,
}
/// SECPKG_ATTR_AUTHORITY (UTF-16): free `sAuthorityName` with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_AuthorityW {
    pub sAuthorityName: *mut SEC_WCHAR,
}

/// SECPKG_ATTR_PASSWORD_EXPIRY: written into the caller's structure.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SecPkgContext_PasswordExpiry {
    pub tsPasswordExpires: TimeStamp,
}

/// AcquireCredentialsHandle("CREDSSP")'s pAuthData: Type a
/// CREDSPP_SUBMIT_TYPE (CredsspSubmitBufferBoth: both pointers used;
/// CredsspPasswordCreds: pSpnegoCred only; CredsspSchannelCreds:
/// pSchannelCred only), pSchannelCred an SCH_CREDENTIALS or SCHANNEL_CRED
/// (NULL: Schannel's defaults), pSpnegoCred a SEC_WINNT_AUTH_IDENTITY(_EX,
/// _EX2) for Negotiate, whose password is what an initiator delegates
/// (NULL: default credentials, nothing delegated). Read during the call
/// only.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CREDSSP_CRED {
    pub Type: ULONG,
    pub pSchannelCred: *mut c_void,
    pub pSpnegoCred: *mut c_void,
}

/// CREDSSP_CRED with a header: Type CredsspCredEx, Version
/// CREDSSP_CRED_EX_VERSION, Flags 0 or CREDSSP_FLAG_REDIRECT.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CREDSSP_CRED_EX {
    pub Type: ULONG,
    pub Version: ULONG,
    pub Flags: ULONG,
    pub Reserved: ULONG,
    pub Cred: CREDSSP_CRED,
}

/// SECPKG_ATTR_CREDS and SECPKG_ATTR_CREDS_2 of a CredSSP acceptor: the
/// credentials the client delegated, as a packed KERB_INTERACTIVE_LOGON
/// (each UNICODE_STRING's Buffer an offset from AuthBuffer). Free
/// `AuthBuffer` with FreeContextBuffer, which zeroes it first.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_ClientCreds {
    pub AuthBufferLen: ULONG,
    pub AuthBuffer: *mut u8,
}

/// A KERB_INTERACTIVE_LOGON as SECPKG_ATTR_CREDS_2 packs it: MessageType
/// KerbInteractiveLogon (2), and the strings' Buffer fields holding
/// offsets from the structure's start (UTF-16LE, no terminator).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct KERB_INTERACTIVE_LOGON {
    pub MessageType: ULONG,
    pub LogonDomainName: UNICODE_STRING,
    pub UserName: UNICODE_STRING,
    pub Password: UNICODE_STRING,
}

/// SECPKG_ATTR_SESSION_KEY: free `SessionKey` with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_SessionKey {
    pub SessionKeyLength: ULONG,
    pub SessionKey: *mut u8,
}

/// SECPKG_ATTR_PACKAGE_INFO: free `PackageInfo` (one allocation with its
/// strings) with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_PackageInfoA {
    pub PackageInfo: PSecPkgInfoA,
}
/// SECPKG_ATTR_PACKAGE_INFO (UTF-16).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_PackageInfoW {
    pub PackageInfo: PSecPkgInfoW,
}

/// SECPKG_ATTR_NEGOTIATION_INFO: free `PackageInfo` with FreeContextBuffer.
/// `NegotiationState` is a SECPKG_NEGOTIATION_* value.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NegotiationInfoA {
    pub PackageInfo: PSecPkgInfoA,
    pub NegotiationState: ULONG,
}
/// SECPKG_ATTR_NEGOTIATION_INFO (UTF-16).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NegotiationInfoW {
    pub PackageInfo: PSecPkgInfoW,
    pub NegotiationState: ULONG,
}

/// SECPKG_ATTR_FLAGS: the negotiated ISC_RET_* / ASC_RET_* flags.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SecPkgContext_Flags {
    pub Flags: ULONG,
}

/// SECPKG_ATTR_CREDENTIAL_NAME: free `sCredentialName` with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_CredentialNameA {
    pub CredentialType: ULONG,
    pub sCredentialName: *mut SEC_CHAR,
}
/// SECPKG_ATTR_CREDENTIAL_NAME (UTF-16).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_CredentialNameW {
    pub CredentialType: ULONG,
    pub sCredentialName: *mut SEC_WCHAR,
}

/// SECPKG_ATTR_UNIQUE_BINDINGS / ENDPOINT_BINDINGS: free `Bindings` with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_Bindings {
    pub BindingsLength: ULONG,
    pub Bindings: *mut SEC_CHANNEL_BINDINGS,
}

/// SECPKG_ATTR_NEGO_PKG_INFO: the package a Negotiate context chose.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NegotiationPackageA {
    pub PackageInfo: PSecPkgInfoA,
}
/// SECPKG_ATTR_NEGO_PKG_INFO (UTF-16).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_NegotiationPackageW {
    pub PackageInfo: PSecPkgInfoW,
}

/// SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS: SecPkgAttrLastClientTokenYes (0), No (1), Maybe (2).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SecPkgContext_LastClientTokenStatus {
    pub LastClientTokenStatus: ULONG,
}

/// SECPKG_ATTR_CONNECTION_INFO (Schannel): written into the caller's structure.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SecPkgContext_ConnectionInfo {
    pub dwProtocol: ULONG,
    pub aiCipher: ULONG,
    pub dwCipherStrength: ULONG,
    pub aiHash: ULONG,
    pub dwHashStrength: ULONG,
    pub aiExch: ULONG,
    pub dwExchStrength: ULONG,
}

/// SECPKG_ATTR_APPLICATION_PROTOCOL (Schannel): the negotiated ALPN protocol.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_ApplicationProtocol {
    pub ProtoNegoStatus: ULONG,
    pub ProtoNegoExt: ULONG,
    pub ProtocolIdSize: u8,
    pub ProtocolId: [u8; 255],
}

/// SECPKG_ATTR_CIPHER_INFO (Schannel): set `dwVersion` to
/// SECPKGCONTEXT_CIPHERINFO_V1; the strings are UTF-16 in both the A and
/// W forms, as on Windows.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgContext_CipherInfo {
    pub dwVersion: ULONG,
    pub dwProtocol: ULONG,
    pub dwCipherSuite: ULONG,
    pub dwBaseCipherSuite: ULONG,
    pub szCipherSuite: [SEC_WCHAR; 64],
    pub szCipher: [SEC_WCHAR; 64],
    pub dwCipherLen: ULONG,
    pub dwCipherBlockLen: ULONG,
    pub szHash: [SEC_WCHAR; 64],
    pub dwHashLen: ULONG,
    pub szExchange: [SEC_WCHAR; 64],
    pub dwMinExchangeLen: ULONG,
    pub dwMaxExchangeLen: ULONG,
    pub szCertificate: [SEC_WCHAR; 64],
    pub dwKeyType: ULONG,
}

/// SECPKG_ATTR_REMOTE_CERT_CONTEXT and _LOCAL_CERT_CONTEXT (Schannel): the
/// caller's PCCERT_CONTEXT receives a context freed with
/// CertFreeCertificateContext.
pub type PCCERT_CONTEXT = *const CERT_CONTEXT;

/// A certificate as wincrypt.h lays it out. opensspi reads
/// `dwCertEncodingType`, `pbCertEncoded` and `cbCertEncoded`; the contexts
/// it hands out have `pCertInfo` and `hCertStore` NULL.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CERT_CONTEXT {
    pub dwCertEncodingType: ULONG,
    pub pbCertEncoded: *mut u8,
    pub cbCertEncoded: ULONG,
    pub pCertInfo: *mut c_void,
    pub hCertStore: *mut c_void,
}

/// The legacy Schannel credential (dwVersion SCHANNEL_CRED_VERSION), given
/// as AcquireCredentialsHandle's pAuthData. opensspi reads cCreds and
/// paCred (at most one certificate), grbitEnabledProtocols and dwFlags.
/// As on Windows, TLS 1.3 is never negotiated with it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SCHANNEL_CRED {
    pub dwVersion: ULONG,
    pub cCreds: ULONG,
    pub paCred: *mut PCCERT_CONTEXT,
    pub hRootStore: *mut c_void,
    pub cMappers: ULONG,
    pub aphMappers: *mut *mut c_void,
    pub cSupportedAlgs: ULONG,
    pub palgSupportedAlgs: *mut ULONG,
    pub grbitEnabledProtocols: ULONG,
    pub dwMinimumCipherStrength: ULONG,
    pub dwMaximumCipherStrength: ULONG,
    pub dwSessionLifespan: ULONG,
    pub dwFlags: ULONG,
    pub dwCredFormat: ULONG,
}

/// A counted UTF-16 string (ntdef.h): Length and MaximumLength in bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct UNICODE_STRING {
    pub Length: USHORT,
    pub MaximumLength: USHORT,
    pub Buffer: *mut SEC_WCHAR,
}

/// Algorithms to disable (TLS_PARAMETERS.pDisabledCrypto); accepted and
/// not applied: rustls offers only AEAD suites and modern groups.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CRYPTO_SETTINGS {
    pub eAlgorithmUsage: i32,
    pub strCngAlgId: UNICODE_STRING,
    pub cChainingModes: ULONG,
    pub rgstrChainingModes: *mut UNICODE_STRING,
    pub dwMinBitLength: ULONG,
    pub dwMaxBitLength: ULONG,
}

/// Protocol restrictions of a SCH_CREDENTIALS: grbitDisabledProtocols
/// (SP_PROT_* bits to disable, 0 for the defaults) of the entry with no
/// ALPN ids applies; entries restricted to ALPN ids are skipped.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TLS_PARAMETERS {
    pub cAlpnIds: ULONG,
    pub rgstrAlpnIds: *mut UNICODE_STRING,
    pub grbitDisabledProtocols: ULONG,
    pub cDisabledCrypto: ULONG,
    pub pDisabledCrypto: *mut CRYPTO_SETTINGS,
    pub dwFlags: ULONG,
}

/// The Schannel credential (dwVersion SCH_CREDENTIALS_VERSION), given as
/// AcquireCredentialsHandle's pAuthData: TLS 1.2 and 1.3.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SCH_CREDENTIALS {
    pub dwVersion: ULONG,
    pub dwCredFormat: ULONG,
    pub cCreds: ULONG,
    pub paCred: *mut PCCERT_CONTEXT,
    pub hRootStore: *mut c_void,
    pub cMappers: ULONG,
    pub aphMappers: *mut *mut c_void,
    pub dwSessionLifespan: ULONG,
    pub dwFlags: ULONG,
    pub cTlsParameters: ULONG,
    pub pTlsParameters: *mut TLS_PARAMETERS,
}

/// ApplyControlToken's SCHANNEL_ALERT token: dwTokenType SCHANNEL_ALERT,
/// dwAlertType TLS1_ALERT_WARNING or _FATAL, dwAlertNumber the TLS alert.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SCHANNEL_ALERT_TOKEN {
    pub dwTokenType: ULONG,
    pub dwAlertType: ULONG,
    pub dwAlertNumber: ULONG,
}

/// SECPKG_ATTR_SESSION_INFO (Schannel): dwFlags SSL_SESSION_RECONNECT for
/// a resumed session (never, here), the session id.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SecPkgContext_SessionInfo {
    pub dwFlags: ULONG,
    pub cbSessionId: ULONG,
    pub rgbSessionId: [u8; 32],
}

/// SECPKG_ATTR_SUPPORTED_PROTOCOLS of a Schannel credential.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SecPkgCred_SupportedProtocols {
    pub grbitProtocol: ULONG,
}

/// SECPKG_CRED_ATTR_NAMES: free `sUserName` with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgCredentials_NamesA {
    pub sUserName: *mut SEC_CHAR,
}
/// SECPKG_CRED_ATTR_NAMES (UTF-16): free `sUserName` with FreeContextBuffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SecPkgCredentials_NamesW {
    pub sUserName: *mut SEC_WCHAR,
}

/// The key callback of AcquireCredentialsHandle and AddCredentials (unused by
/// opensspi's packages, accepted for compatibility).
pub type SEC_GET_KEY_FN = Option<
    unsafe extern "C" fn(
        Arg: *mut c_void,
        Principal: *mut c_void,
        KeyVer: ULONG,
        Key: *mut *mut c_void,
        Status: *mut SECURITY_STATUS,
    ),
>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    fn sizes_match_windows_on_lp64() {
        assert_eq!(size_of::<SecHandle>(), 16);
        assert_eq!(size_of::<SecBuffer>(), 16);
        assert_eq!(size_of::<SecBufferDesc>(), 16);
        assert_eq!(size_of::<SecPkgInfoW>(), 32);
        assert_eq!(offset_of!(SecPkgInfoW, Name), 16);
        assert_eq!(offset_of!(SecPkgInfoW, Comment), 24);
        assert_eq!(size_of::<SEC_WINNT_AUTH_IDENTITY_W>(), 48);
        assert_eq!(offset_of!(SEC_WINNT_AUTH_IDENTITY_W, Flags), 44);
        assert_eq!(size_of::<SEC_WINNT_AUTH_IDENTITY_EXW>(), 72);
        assert_eq!(offset_of!(SEC_WINNT_AUTH_IDENTITY_EXW, PackageList), 56);
        assert_eq!(size_of::<TimeStamp>(), 8);
        assert_eq!(align_of::<TimeStamp>(), 4);
        assert_eq!(size_of::<SEC_CHANNEL_BINDINGS>(), 32);
        assert_eq!(size_of::<SecPkgContext_Lifespan>(), 16);
        assert_eq!(size_of::<SecPkgContext_KeyInfoW>(), 32);
        assert_eq!(size_of::<SCHANNEL_CRED>(), 80);
        assert_eq!(offset_of!(SCHANNEL_CRED, grbitEnabledProtocols), 56);
        assert_eq!(offset_of!(SCHANNEL_CRED, dwFlags), 72);
        assert_eq!(size_of::<SCH_CREDENTIALS>(), 72);
        assert_eq!(offset_of!(SCH_CREDENTIALS, pTlsParameters), 64);
        assert_eq!(size_of::<TLS_PARAMETERS>(), 40);
        assert_eq!(size_of::<CRYPTO_SETTINGS>(), 48);
        assert_eq!(size_of::<CERT_CONTEXT>(), 40);
        assert_eq!(size_of::<SecPkgContext_CipherInfo>(), 680);
        assert_eq!(offset_of!(SecPkgContext_CipherInfo, dwKeyType), 676);
        assert_eq!(size_of::<SecPkgContext_ConnectionInfo>(), 28);
        assert_eq!(size_of::<SecPkgContext_ApplicationProtocol>(), 264);
        assert_eq!(size_of::<SecPkgContext_SessionInfo>(), 40);
        assert_eq!(size_of::<SecPkgContext_ClientCreds>(), 16);
        assert_eq!(size_of::<CREDSSP_CRED>(), 24);
        assert_eq!(size_of::<CREDSSP_CRED_EX>(), 40);
        assert_eq!(std::mem::offset_of!(CREDSSP_CRED_EX, Cred), 16);
        assert_eq!(size_of::<KERB_INTERACTIVE_LOGON>(), 56);
    }
}
