//! What the handle arena stores: a credential or a context, tied to the
//! package that made it. The process has one arena of each.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};

use crate::handles::{Arena, HandleKind};
use crate::package::{
    AnyContext, AnyCredentials, CredentialUse, DynPackage, SecResult, StepOutput,
};
use zeroize::Zeroizing;

use crate::vocabulary::{SEC_E_INTERNAL_ERROR, SEC_E_INVALID_HANDLE, SEC_E_INVALID_TOKEN};

/// Marks an exported context: magic, format version (then the package
/// name's length, the name, and the package's state).
const EXPORT_MAGIC: &[u8; 6] = b"OSSPI\x01";

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
    state: Mutex<AnyContext>,
    /// Set when a panic unwound while the state was locked: the state may
    /// be half-updated, so the context is unusable from then on.
    poisoned: AtomicBool,
    /// A finished step whose token did not fit the caller's buffer: the
    /// next Initialize/AcceptSecurityContext call hands it out.
    pending: Mutex<Option<Box<StepOutput>>>,
}

impl Context {
    pub fn new(
        package: &'static dyn DynPackage,
        credential: Option<Arc<Credential>>,
        state: AnyContext,
    ) -> Self {
        Context {
            package,
            credential,
            state: Mutex::new(state),
            poisoned: AtomicBool::new(false),
            pending: Mutex::new(None),
        }
    }

    /// Whether a call holds the state's lock now (for tests of the driver).
    #[cfg(test)]
    pub fn is_busy(&self) -> bool {
        self.state.is_locked()
    }

    /// ExportSecurityContext's bytes: a versioned envelope naming the
    /// package, around the package's own export of its state. The bytes
    /// hold keys.
    pub fn export(&self) -> SecResult<Zeroizing<Vec<u8>>> {
        let state = self.package.export(&*self.lock()?)?;
        let name = self.package.info().name.as_bytes();
        let name_len = u8::try_from(name.len()).map_err(|_| SEC_E_INTERNAL_ERROR)?;
        let mut packed = Zeroizing::new(Vec::with_capacity(
            EXPORT_MAGIC.len() + 1 + name.len() + state.len(),
        ));
        packed.extend_from_slice(EXPORT_MAGIC);
        packed.push(name_len);
        packed.extend_from_slice(name);
        packed.extend_from_slice(&state);
        Ok(packed)
    }

    /// ImportSecurityContext: a context of `package` from `export`'s bytes.
    /// SEC_E_INVALID_TOKEN for bytes of another package, or not an export.
    pub fn import(package: &'static dyn DynPackage, packed: &[u8]) -> SecResult<Self> {
        let bad = SEC_E_INVALID_TOKEN;
        let rest = packed.strip_prefix(EXPORT_MAGIC).ok_or(bad)?;
        let (&n, rest) = rest.split_first().ok_or(bad)?;
        let (name, state) = rest.split_at_checked(usize::from(n)).ok_or(bad)?;
        if !name.eq_ignore_ascii_case(package.info().name.as_bytes()) {
            return Err(bad.into());
        }
        Ok(Context::new(package, None, package.import(state)?))
    }

    /// The step kept by `keep_pending`, if any (taken).
    pub fn take_pending(&self) -> Option<StepOutput> {
        self.pending.lock().take().map(|out| *out)
    }

    /// Keeps a finished step whose token the caller had no room for.
    pub fn keep_pending(&self, out: StepOutput) {
        *self.pending.lock() = Some(Box::new(out));
    }

    /// The package's state, locked; SEC_E_INVALID_HANDLE once a panic has
    /// interrupted a call on this context (only DeleteSecurityContext is
    /// left then).
    pub fn lock(&self) -> SecResult<StateGuard<'_>> {
        let guard = self.state.lock();
        if self.poisoned.load(Ordering::Acquire) {
            return Err(SEC_E_INVALID_HANDLE.into());
        }
        Ok(StateGuard {
            guard,
            poisoned: &self.poisoned,
        })
    }
}

/// A locked context state that poisons its context when a panic unwinds
/// through it.
pub struct StateGuard<'a> {
    guard: MutexGuard<'a, AnyContext>,
    poisoned: &'a AtomicBool,
}

impl Deref for StateGuard<'_> {
    type Target = AnyContext;
    fn deref(&self) -> &AnyContext {
        &self.guard
    }
}

impl DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut AnyContext {
        &mut self.guard
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.poisoned.store(true, Ordering::Release);
        }
    }
}

/// Every live credential handle.
pub static CREDENTIALS: Arena<Credential> = Arena::new(HandleKind::Credentials);
/// Every live context handle.
pub static CONTEXTS: Arena<Context> = Arena::new(HandleKind::Context);

/// Frees every handle and every table, for the library's unloading: the
/// caller's own handles are invalid afterwards.
pub fn release_all() {
    CONTEXTS.clear();
    CREDENTIALS.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::mock::MockPackage;

    #[test]
    fn a_panic_under_the_lock_poisons_the_context() {
        let ctx = Context::new(&MockPackage, None, Box::new(7u32));
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut state = ctx.lock().expect("usable");
            *state = Box::new(8u32);
            panic!("interrupted");
        }));
        std::panic::set_hook(prev);
        assert!(caught.is_err());
        assert_eq!(
            ctx.lock().err().map(|e| e.status()),
            Some(SEC_E_INVALID_HANDLE)
        );
        // Without a panic the lock comes back as often as asked.
        let calm = Context::new(&MockPackage, None, Box::new(1u32));
        drop(calm.lock().expect("usable"));
        assert!(calm.lock().is_ok());
    }
}
