//! The package registry: every package opensspi provides, in the order
//! EnumerateSecurityPackages lists them.

use crate::package::DynPackage;

pub mod credssp;
pub mod kerberos;
#[cfg(any(test, feature = "fault-injection"))]
pub mod mock;
pub mod negotiate;
pub mod ntlm;
pub mod schannel;

/// Negotiate first, then Kerberos and NTLM, then Schannel under its three
/// names and CredSSP, in Windows' order.
#[cfg(not(any(test, feature = "fault-injection")))]
static PACKAGES: &[&'static dyn DynPackage] = &[
    &negotiate::NEGOTIATE,
    &kerberos::Kerberos,
    &ntlm::Ntlm,
    &schannel::SCHANNEL,
    &schannel::UNISP,
    &schannel::DEFAULT_TLS,
    &credssp::Credssp,
];

/// The crate's tests and the `fault-injection` build add the mock package.
#[cfg(any(test, feature = "fault-injection"))]
static PACKAGES: &[&'static dyn DynPackage] = &[
    &negotiate::NEGOTIATE,
    &kerberos::Kerberos,
    &ntlm::Ntlm,
    &schannel::SCHANNEL,
    &schannel::UNISP,
    &schannel::DEFAULT_TLS,
    &credssp::Credssp,
    &mock::MockPackage,
];

/// Every registered package.
pub fn all() -> &'static [&'static dyn DynPackage] {
    PACKAGES
}

/// The package with this name (case-insensitive, as Windows matches names).
pub fn find(name: &str) -> Option<&'static dyn DynPackage> {
    PACKAGES
        .iter()
        .copied()
        .find(|p| p.info().name.eq_ignore_ascii_case(name))
}
