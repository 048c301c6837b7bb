//! The mechanisms Negotiate chooses from, in Windows' order of preference:
//! Kerberos, then NTLM.
//!
//! A mechanism is a package that implements `Mechanism` (the mechListMIC)
//! besides the `Package` trait the ABI uses, plus the OIDs that name it in
//! SPNEGO (Kerberos has two: Microsoft's 1.2.840.48018.1.2.2, which
//! Windows sends first, and the standard 1.2.840.113554.1.2.2).

use der::asn1::ObjectIdentifier;

use crate::package::DynMechanism;
use crate::packages::kerberos::{self, ap};
use crate::packages::ntlm;

/// One mechanism SPNEGO can negotiate.
pub struct Mech {
    /// The package that implements it.
    pub package: &'static dyn DynMechanism,
    /// The OIDs that name it, every one offered, in this order.
    pub oids: &'static [ObjectIdentifier],
    /// Whether a token is one of its own, sent without SPNEGO's wrapping
    /// (Windows' Negotiate takes raw NTLM messages and raw Kerberos
    /// AP-REQs).
    pub raw: Option<fn(&[u8]) -> bool>,
}

impl Mech {
    /// The package's name ("NTLM"), as PackageList and NEGOTIATION_INFO
    /// spell it.
    pub fn name(&self) -> &'static str {
        self.package.info().name
    }

    /// Whether `oid` names this mechanism.
    pub fn is_named(&self, oid: &ObjectIdentifier) -> bool {
        self.oids.contains(oid)
    }

    /// Whether `token` is one of this mechanism's raw tokens.
    pub fn claims_raw(&self, token: &[u8]) -> bool {
        self.raw.is_some_and(|claims| claims(token))
    }
}

impl core::fmt::Debug for Mech {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// NTLM's OID (MS-NLMP section 1.9).
pub const NTLM_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.2.10");

/// NTLM as a SPNEGO mechanism.
pub static NTLM: Mech = Mech {
    package: &ntlm::Ntlm,
    oids: &[NTLM_OID],
    raw: Some(|t| t.starts_with(b"NTLMSSP\0")),
};

/// Kerberos as a SPNEGO mechanism.
pub static KERBEROS: Mech = Mech {
    package: &kerberos::Kerberos,
    oids: &[ap::MS_KRB5_OID, ap::KRB5_OID],
    raw: Some(|t| {
        ap::unframe(t).is_some_and(|(oid, _, _)| oid == ap::KRB5_OID || oid == ap::MS_KRB5_OID)
    }),
};

/// Every mechanism, most preferred first.
pub static MECHS: &[&Mech] = &[&KERBEROS, &NTLM];

/// The OIDs that offer `mechs`, in order (each mechanism's every OID).
pub fn offer(mechs: &[&Mech]) -> Vec<ObjectIdentifier> {
    mechs.iter().flat_map(|m| m.oids.iter().copied()).collect()
}

/// Whether a SEC_WINNT_AUTH_IDENTITY_EX PackageList allows `name`: a
/// comma-separated list of package names, each possibly negated with `!`
/// ("!Kerberos", "NTLM", "Kerberos,!NTLM"). Names compare without regard
/// to case or surrounding blanks. A list that names any package without
/// `!` allows only those it names; a negated name is never allowed; no
/// list, or an empty one, allows every package.
pub fn allowed(list: Option<&str>, name: &str) -> bool {
    let Some(list) = list else { return true };
    let mut positive = false;
    let mut named = false;
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match entry.strip_prefix('!') {
            Some(excluded) if excluded.trim().eq_ignore_ascii_case(name) => return false,
            Some(_) => {}
            None => {
                positive = true;
                named |= entry.eq_ignore_ascii_case(name);
            }
        }
    }
    !positive || named
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_lists() {
        assert!(allowed(None, "NTLM"));
        assert!(allowed(Some(""), "NTLM"));
        assert!(allowed(Some("!Kerberos"), "NTLM"));
        assert!(!allowed(Some("!Kerberos"), "Kerberos"));
        assert!(allowed(Some("ntlm"), "NTLM"));
        assert!(!allowed(Some("NTLM"), "Kerberos"));
        assert!(allowed(Some(" Kerberos , NTLM "), "NTLM"));
        assert!(!allowed(Some("NTLM, ! ntlm"), "NTLM"));
        assert!(!allowed(Some("Kerberos,!NTLM"), "NTLM"));
        assert!(allowed(Some("!Foo"), "NTLM"));
        assert!(!allowed(Some("Foo"), "NTLM"));
        assert!(allowed(Some(",,"), "NTLM"));
    }

    #[test]
    fn kerberos_entry() {
        assert_eq!(KERBEROS.name(), "Kerberos");
        let offered: Vec<String> = offer(&[&KERBEROS, &NTLM])
            .iter()
            .map(|o| o.to_string())
            .collect();
        assert_eq!(
            offered,
            [
                "1.2.840.48018.1.2.2",
                "1.2.840.113554.1.2.2",
                "1.3.6.1.4.1.311.2.2.10"
            ]
        );
        let ap_req = ap::frame(&ap::KRB5_OID, ap::TOK_AP_REQ, b"\x6e\x00");
        assert!(KERBEROS.claims_raw(&ap_req));
        assert!(KERBEROS.claims_raw(&ap::frame(&ap::MS_KRB5_OID, ap::TOK_AP_REQ, b"")));
        // SPNEGO's own framing (OID 1.3.6.1.5.5.2) is not a Kerberos token.
        assert!(!KERBEROS.claims_raw(b"\x60\x08\x06\x06\x2b\x06\x01\x05\x05\x02"));
        assert!(!KERBEROS.claims_raw(b"NTLMSSP\0\x01\0\0\0"));
        assert!(!NTLM.claims_raw(&ap_req));
    }

    #[test]
    fn ntlm_entry() {
        assert_eq!(NTLM.name(), "NTLM");
        assert_eq!(offer(&[&NTLM])[0].to_string(), "1.3.6.1.4.1.311.2.2.10");
        assert!(NTLM.claims_raw(b"NTLMSSP\0\x01\0\0\0"));
        assert!(!NTLM.claims_raw(b"NTLMSSP"));
        assert!(!NTLM.claims_raw(&[0x60, 0x48]));
    }
}
