//! NTLM messages in words, for the trace: the message type, the negotiate
//! flags by their MS-NLMP names, names (domain, user, workstation, target),
//! which AV pairs are present, whether a MIC is; and, for a message that
//! does not parse, which field is wrong. Never a challenge, a response, a
//! key, a MIC, a timestamp or a channel-binding hash: their presence and
//! size only.

use core::fmt::{self, Write as _};

use super::av_pairs::AvList;
use super::crypto::BLOB_HEADER_LEN;
use super::flags::*;
use super::messages::{Authenticate, Challenge, Negotiate, SIGNATURE};
use super::text::decode;
use crate::trace::Quoted;

/// MS-NLMP 2.2.2.5's names of the negotiate flags.
const FLAG_NAMES: [(u32, &str); 22] = [
    (NEGOTIATE_UNICODE, "UNICODE"),
    (NEGOTIATE_OEM, "OEM"),
    (REQUEST_TARGET, "REQUEST_TARGET"),
    (NEGOTIATE_SIGN, "SIGN"),
    (NEGOTIATE_SEAL, "SEAL"),
    (NEGOTIATE_DATAGRAM, "DATAGRAM"),
    (NEGOTIATE_LM_KEY, "LM_KEY"),
    (NEGOTIATE_NTLM, "NTLM"),
    (NEGOTIATE_ANONYMOUS, "ANONYMOUS"),
    (NEGOTIATE_OEM_DOMAIN_SUPPLIED, "OEM_DOMAIN_SUPPLIED"),
    (
        NEGOTIATE_OEM_WORKSTATION_SUPPLIED,
        "OEM_WORKSTATION_SUPPLIED",
    ),
    (NEGOTIATE_ALWAYS_SIGN, "ALWAYS_SIGN"),
    (TARGET_TYPE_DOMAIN, "TARGET_TYPE_DOMAIN"),
    (TARGET_TYPE_SERVER, "TARGET_TYPE_SERVER"),
    (
        NEGOTIATE_EXTENDED_SESSIONSECURITY,
        "EXTENDED_SESSIONSECURITY",
    ),
    (NEGOTIATE_IDENTIFY, "IDENTIFY"),
    (REQUEST_NON_NT_SESSION_KEY, "REQUEST_NON_NT_SESSION_KEY"),
    (NEGOTIATE_TARGET_INFO, "TARGET_INFO"),
    (NEGOTIATE_VERSION, "VERSION"),
    (NEGOTIATE_128, "128"),
    (NEGOTIATE_KEY_EXCH, "KEY_EXCH"),
    (NEGOTIATE_56, "56"),
];

/// Negotiate flags by name (`UNICODE|NTLM|...`), unnamed bits in hex.
pub struct Flags(pub u32);

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        let mut sep = "";
        for (bit, name) in FLAG_NAMES {
            if self.0 & bit != 0 {
                write!(f, "{sep}{name}")?;
                rest &= !bit;
                sep = "|";
            }
        }
        if rest != 0 || self.0 == 0 {
            write!(f, "{sep}{rest:#x}")?;
        }
        Ok(())
    }
}

/// An AV pair id's MS-NLMP name.
fn av_name(id: u16) -> Option<&'static str> {
    Some(match id {
        MSV_AV_EOL => "MsvAvEOL",
        MSV_AV_NB_COMPUTER_NAME => "MsvAvNbComputerName",
        MSV_AV_NB_DOMAIN_NAME => "MsvAvNbDomainName",
        MSV_AV_DNS_COMPUTER_NAME => "MsvAvDnsComputerName",
        MSV_AV_DNS_DOMAIN_NAME => "MsvAvDnsDomainName",
        MSV_AV_DNS_TREE_NAME => "MsvAvDnsTreeName",
        MSV_AV_FLAGS => "MsvAvFlags",
        MSV_AV_TIMESTAMP => "MsvAvTimestamp",
        MSV_AV_SINGLE_HOST => "MsvAvSingleHost",
        MSV_AV_TARGET_NAME => "MsvAvTargetName",
        MSV_AV_CHANNEL_BINDINGS => "MsvAvChannelBindings",
        _ => return None,
    })
}

/// An AV pair list: each pair by name, with its value where it is a name
/// or flags, and how it is otherwise (the channel-binding hash: zero or
/// set, never its bytes).
fn av_pairs(out: &mut String, data: &[u8]) {
    if data.is_empty() {
        out.push_str("none");
        return;
    }
    let Ok(list) = AvList::parse(data) else {
        out.push_str("malformed (a pair runs past the field, or no MsvAvEOL)");
        return;
    };
    out.push('[');
    for pair in list.iter() {
        match av_name(pair.id) {
            Some(name) => out.push_str(name),
            None => {
                let _ = write!(out, "AvId {:#06x}", pair.id);
            }
        }
        match pair.id {
            MSV_AV_NB_COMPUTER_NAME..=MSV_AV_DNS_TREE_NAME | MSV_AV_TARGET_NAME => {
                match decode(pair.value, true) {
                    Ok(name) => {
                        let _ = write!(out, "={}", Quoted(&name));
                    }
                    Err(_) => out.push_str("=(not UTF-16)"),
                }
            }
            MSV_AV_FLAGS => {
                let flags = list.av_flags();
                let names = [
                    (AV_FLAG_CONSTRAINED, "CONSTRAINED"),
                    (AV_FLAG_MIC_PRESENT, "MIC_PRESENT"),
                    (AV_FLAG_UNTRUSTED_SPN, "UNTRUSTED_SPN"),
                ];
                let set: Vec<&str> = names
                    .iter()
                    .filter(|(b, _)| flags & b != 0)
                    .map(|(_, n)| *n)
                    .collect();
                let _ = write!(
                    out,
                    "={}",
                    if set.is_empty() {
                        "0".to_owned()
                    } else {
                        set.join("|")
                    }
                );
            }
            MSV_AV_CHANNEL_BINDINGS => out.push_str(if pair.value.iter().all(|&b| b == 0) {
                "(none: zero)"
            } else {
                "(set)"
            }),
            _ => {}
        }
        out.push_str(", ");
    }
    out.push_str("MsvAvEOL]");
}

/// A string field, decoded in the message's character set.
fn name(bytes: &[u8], unicode: bool) -> String {
    match decode(bytes, unicode) {
        Ok(s) => Quoted(&s).to_string(),
        Err(_) => "(not UTF-16)".to_owned(),
    }
}

/// One NTLM message, summarised (see the module's comment for what is and
/// is never shown).
pub fn message(token: &[u8]) -> String {
    let n = token.len();
    if token.get(..8) != Some(&SIGNATURE[..]) {
        return format!("not an NTLM message ({n} bytes)");
    }
    let kind = token
        .get(8..12)
        .and_then(|t| <[u8; 4]>::try_from(t).ok())
        .map(u32::from_le_bytes);
    let mut out = String::new();
    match kind {
        Some(1) => match Negotiate::parse(token) {
            Ok(m) => {
                let _ = write!(out, "NEGOTIATE ({n} bytes) flags={}", Flags(m.flags));
                if !m.domain.is_empty() {
                    let _ = write!(out, " domain={}", name(m.domain, false));
                }
                if !m.workstation.is_empty() {
                    let _ = write!(out, " workstation={}", name(m.workstation, false));
                }
            }
            Err(_) => return malformed("NEGOTIATE", token),
        },
        Some(2) => match Challenge::parse(token) {
            Ok(m) => {
                let unicode = m.flags & NEGOTIATE_UNICODE != 0;
                let _ = write!(
                    out,
                    "CHALLENGE ({n} bytes) flags={} target={} targetinfo=",
                    Flags(m.flags),
                    name(m.target_name, unicode)
                );
                av_pairs(&mut out, m.target_info);
            }
            Err(_) => return malformed("CHALLENGE", token),
        },
        Some(3) => match Authenticate::parse(token) {
            Ok(m) => {
                let f = &m.fields;
                let unicode = f.flags & NEGOTIATE_UNICODE != 0;
                let _ = write!(
                    out,
                    "AUTHENTICATE ({n} bytes) flags={} domain={} user={} workstation={} ",
                    Flags(f.flags),
                    name(f.domain, unicode),
                    name(f.user, unicode),
                    name(f.workstation, unicode)
                );
                match f.nt_response.len() {
                    0 if f.user.is_empty() => out.push_str("response=anonymous"),
                    0 => out.push_str("response=LM only"),
                    24 => out.push_str("response=NTLMv1"),
                    len => {
                        let _ = write!(out, "response=NTLMv2 ({len} bytes) blob=");
                        match f.nt_response.get(16 + BLOB_HEADER_LEN..) {
                            Some(pairs) => av_pairs(&mut out, pairs),
                            None => out.push_str("truncated"),
                        }
                    }
                }
                let _ = write!(
                    out,
                    " exchanged_key={} mic={}",
                    if f.encrypted_session_key.is_empty() {
                        "no"
                    } else {
                        "yes"
                    },
                    if m.mic.is_some() { "field" } else { "none" }
                );
            }
            Err(_) => return malformed("AUTHENTICATE", token),
        },
        Some(t) => return format!("NTLM message of unknown type {t} ({n} bytes)"),
        None => return format!("truncated NTLM message ({n} bytes)"),
    }
    out
}

/// The account an AUTHENTICATE names (`DOMAIN\\user`), when it parses.
pub fn account(token: &[u8]) -> Option<String> {
    let m = Authenticate::parse(token).ok()?;
    let unicode = m.fields.flags & NEGOTIATE_UNICODE != 0;
    let user = decode(m.fields.user, unicode).ok()?;
    let domain = decode(m.fields.domain, unicode).ok()?;
    Some(if domain.is_empty() {
        user
    } else {
        format!("{domain}\\{user}")
    })
}

/// What a peer's flags lack, for a message refused as unsupported.
pub fn unsupported(flags: u32) -> &'static str {
    if flags & NEGOTIATE_EXTENDED_SESSIONSECURITY == 0 {
        "the peer does not offer extended session security (NTLMv1 session security is never used)"
    } else if flags & (NEGOTIATE_SIGN | NEGOTIATE_SEAL) != 0 && flags & NEGOTIATE_128 == 0 {
        "signing or sealing without 128-bit keys"
    } else if flags & (NEGOTIATE_UNICODE | NEGOTIATE_OEM) == 0 {
        "no character set (neither UNICODE nor OEM)"
    } else {
        "a feature this implementation does not support"
    }
}

/// The negotiate flags of any NTLM message (0 when it has none).
pub fn flags_of(token: &[u8]) -> u32 {
    let at = match token.get(8) {
        Some(1) => 12,
        Some(2) => 20,
        _ => 60,
    };
    token
        .get(at..at + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_le_bytes)
}

/// A message that does not parse: which part is wrong.
fn malformed(kind: &str, token: &[u8]) -> String {
    format!(
        "malformed {kind} ({} bytes): {}",
        token.len(),
        why_malformed(kind, token)
    )
}

/// Why a message of `kind` does not parse: the first field found wrong.
pub fn why_malformed(kind: &str, token: &[u8]) -> String {
    let (fixed, fields): (usize, &[(usize, &str)]) = match kind {
        "NEGOTIATE" => (32, &[(16, "DomainName"), (24, "Workstation")]),
        "CHALLENGE" => (48, &[(12, "TargetName"), (40, "TargetInfo")]),
        _ => (
            64,
            &[
                (12, "LmChallengeResponse"),
                (20, "NtChallengeResponse"),
                (28, "DomainName"),
                (36, "UserName"),
                (44, "Workstation"),
                (52, "EncryptedRandomSessionKey"),
            ],
        ),
    };
    if token.len() < fixed {
        return format!("shorter than its {fixed}-byte fixed header");
    }
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([token[at], token[at + 1]]));
    let u32_at = |at: usize| {
        u32::from_le_bytes([token[at], token[at + 1], token[at + 2], token[at + 3]]) as usize
    };
    for &(at, field) in fields {
        let (len, offset) = (u16_at(at), u32_at(at + 4));
        if len == 0 {
            continue;
        }
        if offset < fixed {
            return format!("the {field} field points into the fixed header (offset {offset})");
        }
        if offset.saturating_add(len) > token.len() {
            return format!(
                "the {field} field runs past the end (offset {offset}, length {len}, message {} bytes)",
                token.len()
            );
        }
    }
    "the VERSION field is truncated, or a name is not valid UTF-16".to_owned()
}

#[cfg(test)]
mod tests {
    use super::super::messages::AuthenticateFields;
    use super::super::text::utf16le;
    use super::*;

    #[test]
    fn flags_by_ms_nlmp_name() {
        assert_eq!(
            Flags(NEGOTIATE_UNICODE | NEGOTIATE_SEAL | NEGOTIATE_KEY_EXCH).to_string(),
            "UNICODE|SEAL|KEY_EXCH"
        );
        assert_eq!(Flags(0x0000_0100).to_string(), "0x100");
        assert_eq!(Flags(0).to_string(), "0x0");
    }

    #[test]
    fn each_message_summarised_without_secrets() {
        let neg = Negotiate::encode(NEGOTIATE_UNICODE | NEGOTIATE_NTLM, b"", b"").unwrap();
        assert_eq!(message(&neg), "NEGOTIATE (32 bytes) flags=UNICODE|NTLM");

        let mut info = Vec::new();
        info.extend_from_slice(&MSV_AV_NB_COMPUTER_NAME.to_le_bytes());
        info.extend_from_slice(&12u16.to_le_bytes());
        info.extend_from_slice(&utf16le("SERVER"));
        info.extend_from_slice(&MSV_AV_TIMESTAMP.to_le_bytes());
        info.extend_from_slice(&8u16.to_le_bytes());
        info.extend_from_slice(&[0x11; 8]);
        info.extend_from_slice(&[0; 4]);
        let chal = Challenge::encode(
            NEGOTIATE_UNICODE | NEGOTIATE_TARGET_INFO,
            &utf16le("DOM"),
            &[0xC3; 8],
            &info,
        )
        .unwrap();
        let s = message(&chal);
        assert_eq!(
            s,
            format!(
                "CHALLENGE ({} bytes) flags=UNICODE|TARGET_INFO target=\"DOM\" targetinfo=[MsvAvNbComputerName=\"SERVER\", MsvAvTimestamp, MsvAvEOL]",
                chal.len()
            )
        );

        let mut blob = vec![1, 1, 0, 0, 0, 0, 0, 0];
        blob.extend_from_slice(&[0x22; 8]); // timestamp
        blob.extend_from_slice(&[0x33; 8]); // client challenge
        blob.extend_from_slice(&[0; 4]);
        blob.extend_from_slice(&MSV_AV_FLAGS.to_le_bytes());
        blob.extend_from_slice(&4u16.to_le_bytes());
        blob.extend_from_slice(&AV_FLAG_MIC_PRESENT.to_le_bytes());
        blob.extend_from_slice(&MSV_AV_CHANNEL_BINDINGS.to_le_bytes());
        blob.extend_from_slice(&16u16.to_le_bytes());
        blob.extend_from_slice(&[0x44; 16]);
        blob.extend_from_slice(&[0; 4]);
        let mut nt = vec![0x55; 16];
        nt.extend_from_slice(&blob);
        let auth = Authenticate::encode(&AuthenticateFields {
            lm_response: &[0; 24],
            nt_response: &nt,
            domain: &utf16le("CORP"),
            user: &utf16le("alice"),
            workstation: &utf16le("WS"),
            encrypted_session_key: &[0x66; 16],
            flags: NEGOTIATE_UNICODE,
        })
        .unwrap();
        let s = message(&auth);
        assert_eq!(
            s,
            format!(
                "AUTHENTICATE ({} bytes) flags=UNICODE|VERSION domain=\"CORP\" user=\"alice\" workstation=\"WS\" response=NTLMv2 ({} bytes) blob=[MsvAvFlags=MIC_PRESENT, MsvAvChannelBindings(set), MsvAvEOL] exchanged_key=yes mic=field",
                auth.len(),
                nt.len()
            )
        );
        // No byte of the proof, the blob's challenge, the key or the hash.
        for secret in ["55", "33", "44", "66", "22", "c3", "C3"] {
            assert!(!s.contains(&secret.repeat(4)), "{secret} in {s}");
        }
    }

    #[test]
    fn malformed_messages_name_the_field() {
        assert_eq!(message(b"hello"), "not an NTLM message (5 bytes)");
        let mut chal = Challenge::encode(NEGOTIATE_UNICODE, b"AB", &[0; 8], &[0; 4]).unwrap();
        chal[44] = 0xff; // TargetInfo's offset
        assert!(
            message(&chal).starts_with("malformed CHALLENGE (")
                && message(&chal).contains("the TargetInfo field runs past the end"),
            "{}",
            message(&chal)
        );
        assert_eq!(
            why_malformed("AUTHENTICATE", &[0; 10]),
            "shorter than its 64-byte fixed header"
        );
    }
}
