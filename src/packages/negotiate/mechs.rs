//! The mechanisms Negotiate chooses from, in order of preference.
//!
//! A mechanism is a package that implements `Mechanism` (the mechListMIC)
//! besides the `Package` trait the ABI uses, plus the OIDs that name it in
//! SPNEGO. Kerberos joins as an entry at the head of [`MECHS`] (OIDs
//! 1.2.840.48018.1.2.2, the one Windows sends first, and
//! 1.2.840.113554.1.2.2); its KDC exchanges under Negotiate need the
//! context to suspend and resume through `Progress::Exchange`, which
//! `context.rs` does not do yet.

use der::asn1::ObjectIdentifier;

use crate::package::DynMechanism;
use crate::packages::ntlm;

/// One mechanism SPNEGO can negotiate.
pub struct Mech {
    /// The package that implements it.
    pub package: &'static dyn DynMechanism,
    /// The OIDs that name it; the first is the one this side sends.
    pub oids: &'static [ObjectIdentifier],
    /// How its tokens begin when a peer sends them without SPNEGO's
    /// wrapping (Windows' Negotiate accepts raw NTLM messages).
    pub raw_prefix: Option<&'static [u8]>,
}

impl Mech {
    /// The package's name ("NTLM"), as PackageList and NEGOTIATION_INFO
    /// spell it.
    pub fn name(&self) -> &'static str {
        self.package.info().name
    }

    /// The OID this side sends for the mechanism.
    pub fn oid(&self) -> ObjectIdentifier {
        self.oids[0]
    }

    /// Whether `oid` names this mechanism.
    pub fn is_named(&self, oid: &ObjectIdentifier) -> bool {
        self.oids.contains(oid)
    }

    /// Whether `token` is one of this mechanism's raw tokens.
    pub fn claims_raw(&self, token: &[u8]) -> bool {
        self.raw_prefix.is_some_and(|p| token.starts_with(p))
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
    raw_prefix: Some(b"NTLMSSP\0"),
};

/// Every mechanism, most preferred first.
pub static MECHS: &[&Mech] = &[&NTLM];

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
    fn ntlm_entry() {
        assert_eq!(NTLM.name(), "NTLM");
        assert_eq!(NTLM.oid().to_string(), "1.3.6.1.4.1.311.2.2.10");
        assert!(NTLM.claims_raw(b"NTLMSSP\0\x01\0\0\0"));
        assert!(!NTLM.claims_raw(b"NTLMSSP"));
        assert!(!NTLM.claims_raw(&[0x60, 0x48]));
    }
}
