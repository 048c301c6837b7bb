//! Credential structures that several packages read, decoded from the
//! caller's `pAuthData` view (`package::AuthData`): the
//! SEC_WINNT_AUTH_IDENTITY family, with WinPR's NT-hash convention.

pub mod identity;
pub(crate) mod layout;
