//! What AcquireCredentialsHandle passes to a package: the principal, the
//! credential's use, the caller's `pAuthData` as a checked view that the
//! package decodes itself (`crate::credentials::identity` decodes the
//! SEC_WINNT_AUTH_IDENTITY family), and the environment.

use std::ffi::c_void;
use std::marker::PhantomData;
use std::ptr::NonNull;

use zeroize::Zeroizing;

use crate::env::Env;
use crate::vocabulary::*;

/// The caller's `pAuthData`: a structure whose type the package knows (an
/// identity, a SCHANNEL_CRED, ...), read through bounded, checked borrows.
/// Addresses found inside it (a string's pointer) are followed with `at`.
#[derive(Clone, Copy)]
pub struct AuthData<'a> {
    ptr: NonNull<c_void>,
    wide: bool,
    /// The caller's memory, borrowed for the call.
    _caller: PhantomData<&'a [u8]>,
}

impl core::fmt::Debug for AuthData<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthData")
            .field("wide", &self.wide)
            .finish_non_exhaustive()
    }
}

impl<'a> AuthData<'a> {
    /// A view of `ptr`, given to the `W` entry point when `wide`.
    ///
    /// # Safety
    /// `ptr` must point at the structure the package documents for
    /// `pAuthData`, readable for its size, and every address in it must
    /// hold what the structure says it holds, all valid and unchanged for
    /// `'a` (the caller's side of the SSPI contract).
    pub unsafe fn new(ptr: NonNull<c_void>, wide: bool) -> Self {
        AuthData {
            ptr,
            wide,
            _caller: PhantomData,
        }
    }

    /// Whether the call came through a `W` entry point.
    pub fn wide(&self) -> bool {
        self.wide
    }

    /// The structure's first `len` bytes; `None` when it is not aligned for
    /// a pointer, as every SSPI credential structure is.
    pub fn head(&self, len: usize) -> Option<&'a [u8]> {
        if !self.ptr.cast::<usize>().as_ptr().is_aligned() {
            return None;
        }
        // SAFETY: `new`'s contract: the structure is readable for its size,
        // and the package asks for no more than the structure it expects.
        Some(unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().cast::<u8>(), len) })
    }

    /// The structure at `address`, an address read from this one (a
    /// CREDSSP_CRED's pSchannelCred): `None` for NULL.
    pub fn follow(&self, address: usize) -> Option<AuthData<'a>> {
        let ptr = NonNull::new(address as *mut c_void)?;
        // SAFETY: `new`'s contract covers every structure this one points
        // at: it holds what this structure says, for `'a`.
        Some(unsafe { AuthData::new(ptr, self.wide) })
    }

    /// `len` bytes at `address`, an address read from the structure,
    /// aligned for `align` (a UTF-16 string: 2). An empty slice for a
    /// length of 0; `None` for a NULL address with a length, or a
    /// misaligned one.
    pub fn at(&self, address: usize, len: usize, align: usize) -> Option<&'a [u8]> {
        if len == 0 {
            return Some(&[]);
        }
        if address == 0 || !address.is_multiple_of(align.max(1)) {
            return None;
        }
        // SAFETY: `new`'s contract: an address the structure holds points at
        // as many bytes as the structure says (`len`).
        Some(unsafe { std::slice::from_raw_parts(address as *const u8, len) })
    }
}

/// Whether a credential is for initiating, accepting, or both
/// (SECPKG_CRED_OUTBOUND / _INBOUND / _BOTH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialUse(pub u32);

impl CredentialUse {
    pub fn inbound(self) -> bool {
        self.0 & SECPKG_CRED_INBOUND != 0
    }
    pub fn outbound(self) -> bool {
        self.0 & SECPKG_CRED_OUTBOUND != 0
    }
}

/// An explicit identity from SEC_WINNT_AUTH_IDENTITY(_EX), decoded. `None`
/// means the caller passed a NULL pointer for that field, `Some("")` an
/// empty string; packages tell the two apart (NTLM: NULL user means the
/// default account, an empty one means anonymous).
#[derive(Clone, Debug, Default)]
pub struct AuthIdentity {
    pub user: Option<String>,
    pub domain: Option<String>,
    pub password: Option<Zeroizing<String>>,
    /// The NT hash given instead of a password (PasswordLength above
    /// SSPI_CREDENTIALS_HASH_LENGTH_OFFSET, WinPR's convention); `password`
    /// is then `None`.
    pub nt_hash: Option<Zeroizing<[u8; 16]>>,
    /// The EX structure's comma-separated PackageList, for Negotiate.
    pub package_list: Option<String>,
    /// An MIT keytab's bytes, from an EX2 identity's packed credentials
    /// (SEC_WINNT_AUTH_DATA_TYPE_KEYTAB): Kerberos' keys, for an initiator
    /// (the named principal's) or an acceptor (every service key).
    pub keytab: Option<Zeroizing<Vec<u8>>>,
    /// The identity's Flags field (SEC_WINNT_AUTH_IDENTITY_*).
    pub flags: u32,
}

/// Everything AcquireCredentialsHandle passes to a package.
#[derive(Clone)]
pub struct AcquireRequest<'a> {
    pub principal: Option<String>,
    pub usage: CredentialUse,
    /// `None`: NULL auth data, the package's default credentials.
    pub auth: Option<AuthData<'a>>,
    /// Where the package reads files and variables (default credentials).
    pub env: &'a dyn Env,
}

impl core::fmt::Debug for AcquireRequest<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AcquireRequest")
            .field("principal", &self.principal)
            .field("usage", &self.usage)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}
