//! Protocol constants: negotiate flags (MS-NLMP 2.2.2.5), AV pair ids and
//! MsvAvFlags bits (MS-NLMP 2.2.2.1). The whole tables, so that every bit
//! has its name, whether the code uses it or not.
#![allow(dead_code)]

/// Unicode strings in the messages.
pub const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
/// OEM (8-bit) strings in the messages.
pub const NEGOTIATE_OEM: u32 = 0x0000_0002;
/// The server must return a TargetName.
pub const REQUEST_TARGET: u32 = 0x0000_0004;
/// Message integrity (signatures).
pub const NEGOTIATE_SIGN: u32 = 0x0000_0010;
/// Message confidentiality (sealing).
pub const NEGOTIATE_SEAL: u32 = 0x0000_0020;
/// Connectionless (datagram) mode; not supported here.
pub const NEGOTIATE_DATAGRAM: u32 = 0x0000_0040;
/// LAN Manager session key; never used here.
pub const NEGOTIATE_LM_KEY: u32 = 0x0000_0080;
/// NTLM authentication (set by every modern client).
pub const NEGOTIATE_NTLM: u32 = 0x0000_0200;
/// Anonymous authentication.
pub const NEGOTIATE_ANONYMOUS: u32 = 0x0000_0800;
/// The NEGOTIATE message carries a domain name.
pub const NEGOTIATE_OEM_DOMAIN_SUPPLIED: u32 = 0x0000_1000;
/// The NEGOTIATE message carries a workstation name.
pub const NEGOTIATE_OEM_WORKSTATION_SUPPLIED: u32 = 0x0000_2000;
/// A signature block on every message, even without integrity.
pub const NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
/// TargetName is a domain name.
pub const TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
/// TargetName is a server name.
pub const TARGET_TYPE_SERVER: u32 = 0x0002_0000;
/// NTLM extended session security (NTLM2 session keys and signatures).
pub const NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
/// Identify-level token requested.
pub const NEGOTIATE_IDENTIFY: u32 = 0x0010_0000;
/// LMOWF-based session key requested; never used here.
pub const REQUEST_NON_NT_SESSION_KEY: u32 = 0x0040_0000;
/// The CHALLENGE message carries TargetInfo.
pub const NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
/// The message carries a VERSION structure.
pub const NEGOTIATE_VERSION: u32 = 0x0200_0000;
/// 128-bit session keys.
pub const NEGOTIATE_128: u32 = 0x2000_0000;
/// Explicit key exchange (EncryptedRandomSessionKey).
pub const NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;
/// 56-bit session keys.
pub const NEGOTIATE_56: u32 = 0x8000_0000;

/// AV pair id: end of the list.
pub const MSV_AV_EOL: u16 = 0x0000;
/// AV pair id: the server's NetBIOS computer name.
pub const MSV_AV_NB_COMPUTER_NAME: u16 = 0x0001;
/// AV pair id: the server's NetBIOS domain name.
pub const MSV_AV_NB_DOMAIN_NAME: u16 = 0x0002;
/// AV pair id: the server's DNS computer name.
pub const MSV_AV_DNS_COMPUTER_NAME: u16 = 0x0003;
/// AV pair id: the server's DNS domain name.
pub const MSV_AV_DNS_DOMAIN_NAME: u16 = 0x0004;
/// AV pair id: the DNS forest name.
pub const MSV_AV_DNS_TREE_NAME: u16 = 0x0005;
/// AV pair id: a 32-bit flags value (see the `AV_FLAG_*` bits).
pub const MSV_AV_FLAGS: u16 = 0x0006;
/// AV pair id: the server's FILETIME (8 bytes, little-endian).
pub const MSV_AV_TIMESTAMP: u16 = 0x0007;
/// AV pair id: a Single_Host_Data structure.
pub const MSV_AV_SINGLE_HOST: u16 = 0x0008;
/// AV pair id: the SPN of the target server, UTF-16LE.
pub const MSV_AV_TARGET_NAME: u16 = 0x0009;
/// AV pair id: the MD5 hash of the channel bindings (16 bytes).
pub const MSV_AV_CHANNEL_BINDINGS: u16 = 0x000A;

/// MsvAvFlags bit: the account authentication is constrained.
pub const AV_FLAG_CONSTRAINED: u32 = 0x0000_0001;
/// MsvAvFlags bit: the AUTHENTICATE message carries a MIC.
pub const AV_FLAG_MIC_PRESENT: u32 = 0x0000_0002;
/// MsvAvFlags bit: the target SPN came from an untrusted source.
pub const AV_FLAG_UNTRUSTED_SPN: u32 = 0x0000_0004;
