//! What the handle arena stores: a credential or a context, tied to the
//! package that made it. The process has one arena of each.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::handles::{Arena, GlobalArena, HandleKind};
use crate::package::{AnyContext, AnyCredentials, CredentialUse, DynPackage};

/// A credential: the package's state plus what the ABI checks itself.
pub struct Credential {
    pub package: &'static dyn DynPackage,
    pub usage: CredentialUse,
    pub state: AnyCredentials,
}

/// A security context. It holds its credential alive (deleting the
/// credential handle does not break the context, as on Windows); its state
/// has its own lock, so contexts never wait on each other.
pub struct Context {
    pub package: &'static dyn DynPackage,
    /// `None` for a context made by ImportSecurityContext.
    pub credential: Option<Arc<Credential>>,
    pub state: Mutex<AnyContext>,
}

/// Every live credential handle.
pub static CREDENTIALS: GlobalArena<Credential> =
    GlobalArena::new(|| Arena::new(HandleKind::Credentials));
/// Every live context handle.
pub static CONTEXTS: GlobalArena<Context> = GlobalArena::new(|| Arena::new(HandleKind::Context));
