//! The one trait every security package implements, and the safe types it
//! speaks. Nothing here knows about C: the ABI layer (`crate::abi`) converts
//! and validates caller memory into these types, and a package never sees a
//! raw pointer.
//!
//! A package is sans-IO: it turns input tokens into output tokens, asks the
//! driver for the network exchanges it needs (`Progress::Exchange`), and
//! protects messages in place. `DynPackage` erases a package's credential
//! and context types so that the ABI layer and the registry hold `&dyn
//! DynPackage`; Negotiate wraps other packages through the same interface.

mod attributes;
mod credentials;
mod message;
mod spnego;
mod step;

use std::any::Any;

use crate::env::Env;

use zeroize::Zeroizing;

pub use attributes::*;
pub use credentials::*;
pub use message::*;
pub use spnego::*;
pub use step::*;

pub use crate::error::{Error, SecResult, Status};
use crate::vocabulary::*;

/// FILETIME value Windows reports for "never expires".
pub const NEVER_EXPIRES: i64 = 0x7FFF_FFFF_FFFF_FFFF;

/// The trait every package implements. `Credentials` and `Context` are the
/// package's own state; the ABI layer keeps them in the handle arena.
///
/// Defaults return SEC_E_UNSUPPORTED_FUNCTION, which is what Windows returns
/// for a call a package does not implement.
pub trait Package: Send + Sync + 'static {
    type Credentials: Send + Sync + 'static;
    type Context: Send + 'static;

    /// Name, capabilities and limits, as QuerySecurityPackageInfo reports them.
    fn info(&self) -> &'static PackageInfo;

    /// AcquireCredentialsHandle. Returns the credentials and their expiry.
    fn acquire_credentials(&self, request: AcquireRequest) -> SecResult<(Self::Credentials, i64)>;

    /// QueryCredentialsAttributes.
    fn query_credentials(
        &self,
        _cred: &Self::Credentials,
        _attribute: u32,
    ) -> SecResult<CredentialAttribute> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }

    /// SetCredentialsAttributes.
    fn set_credentials(
        &self,
        _cred: &Self::Credentials,
        _attribute: u32,
        _value: &[u8],
    ) -> SecResult<()> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }

    /// The first InitializeSecurityContext call: a new context and its first
    /// step. Nothing is kept when this fails.
    fn initialize(
        &self,
        cred: &Self::Credentials,
        input: &StepInput<'_>,
    ) -> SecResult<(Self::Context, Progress)>;

    /// The first AcceptSecurityContext call.
    fn accept(
        &self,
        cred: &Self::Credentials,
        input: &StepInput<'_>,
    ) -> SecResult<(Self::Context, Progress)>;

    /// A later Initialize/AcceptSecurityContext call on an existing context.
    /// `cred` is `None` for a context made by ImportSecurityContext.
    fn step(
        &self,
        cred: Option<&Self::Credentials>,
        ctx: &mut Self::Context,
        input: &StepInput<'_>,
    ) -> SecResult<Progress>;

    /// Resumes the step that asked for `Progress::Exchange`, within the same
    /// Initialize/AcceptSecurityContext call (`input` is that call's), with
    /// the server's reply or why there was none.
    fn resume(
        &self,
        _cred: Option<&Self::Credentials>,
        _ctx: &mut Self::Context,
        _input: &StepInput<'_>,
        _reply: Reply,
    ) -> SecResult<Progress> {
        Err(SEC_E_INTERNAL_ERROR.into())
    }

    /// CompleteAuthToken. Windows' NTLM accepts it as a no-op.
    fn complete(&self, _ctx: &mut Self::Context, _msg: &mut [SecBuf<'_>]) -> SecResult<()> {
        Ok(())
    }

    /// ApplyControlToken.
    fn apply_control(&self, _ctx: &mut Self::Context, _inputs: &[InBuf<'_>]) -> SecResult<()> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }

    /// QueryContextAttributes. The returned value must answer `attribute`.
    fn query_context(&self, ctx: &Self::Context, attribute: u32) -> SecResult<ContextAttribute>;

    /// SetContextAttributes.
    fn set_context(
        &self,
        _ctx: &mut Self::Context,
        _attribute: u32,
        _value: &[u8],
    ) -> SecResult<()> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }

    /// MakeSignature: writes the signature into the SECBUFFER_TOKEN buffer.
    fn make_signature(
        &self,
        _ctx: &mut Self::Context,
        _qop: u32,
        _msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<()> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }

    /// VerifySignature: the quality of protection, and how it succeeded.
    fn verify_signature(
        &self,
        _ctx: &mut Self::Context,
        _msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<Unprotected> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }

    /// EncryptMessage, in place; `env` gives the randomness a message
    /// may need (a confounder).
    fn encrypt(
        &self,
        _ctx: &mut Self::Context,
        _qop: u32,
        _msg: &mut [SecBuf<'_>],
        _seq: u32,
        _env: &dyn Env,
    ) -> SecResult<()> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }

    /// DecryptMessage, in place: the quality of protection, and how it
    /// succeeded (SEC_I_CONTEXT_EXPIRED, SEC_I_RENEGOTIATE). An incomplete
    /// message is `Error::Incomplete`.
    fn decrypt(
        &self,
        _ctx: &mut Self::Context,
        _msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<Unprotected> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }

    /// ExportSecurityContext: the context's full state as bytes.
    fn export(&self, _ctx: &Self::Context) -> SecResult<Zeroizing<Vec<u8>>> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }

    /// ImportSecurityContext: a context from `export`'s bytes.
    fn import(&self, _packed: &[u8]) -> SecResult<Self::Context> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }
}

/// A package's credentials with their type erased.
pub type AnyCredentials = Box<dyn Any + Send + Sync>;
/// A package's context with its type erased.
pub type AnyContext = Box<dyn Any + Send>;

/// `Package` with the state types erased, so that packages of different
/// types sit in one registry. Implemented for every `Package`; a state of
/// the wrong type (which the handle arena never hands over) is
/// SEC_E_INVALID_HANDLE.
#[allow(missing_docs)]
pub trait DynPackage: Send + Sync {
    fn info(&self) -> &'static PackageInfo;
    fn acquire_credentials(&self, request: AcquireRequest) -> SecResult<(AnyCredentials, i64)>;
    fn query_credentials(
        &self,
        cred: &AnyCredentials,
        attribute: u32,
    ) -> SecResult<CredentialAttribute>;
    fn set_credentials(&self, cred: &AnyCredentials, attribute: u32, value: &[u8])
        -> SecResult<()>;
    fn initialize(
        &self,
        cred: &AnyCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(AnyContext, Progress)>;
    fn accept(
        &self,
        cred: &AnyCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(AnyContext, Progress)>;
    fn step(
        &self,
        cred: Option<&AnyCredentials>,
        ctx: &mut AnyContext,
        input: &StepInput<'_>,
    ) -> SecResult<Progress>;
    fn resume(
        &self,
        cred: Option<&AnyCredentials>,
        ctx: &mut AnyContext,
        input: &StepInput<'_>,
        reply: Reply,
    ) -> SecResult<Progress>;
    fn complete(&self, ctx: &mut AnyContext, msg: &mut [SecBuf<'_>]) -> SecResult<()>;
    fn apply_control(&self, ctx: &mut AnyContext, inputs: &[InBuf<'_>]) -> SecResult<()>;
    fn query_context(&self, ctx: &AnyContext, attribute: u32) -> SecResult<ContextAttribute>;
    fn set_context(&self, ctx: &mut AnyContext, attribute: u32, value: &[u8]) -> SecResult<()>;
    fn make_signature(
        &self,
        ctx: &mut AnyContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<()>;
    fn verify_signature(
        &self,
        ctx: &mut AnyContext,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<Unprotected>;
    fn encrypt(
        &self,
        ctx: &mut AnyContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        seq: u32,
        env: &dyn Env,
    ) -> SecResult<()>;
    fn decrypt(
        &self,
        ctx: &mut AnyContext,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<Unprotected>;
    fn export(&self, ctx: &AnyContext) -> SecResult<Zeroizing<Vec<u8>>>;
    fn import(&self, packed: &[u8]) -> SecResult<AnyContext>;
}

pub(crate) fn cred_of<P: Package>(cred: &AnyCredentials) -> SecResult<&P::Credentials> {
    cred.downcast_ref::<P::Credentials>()
        .ok_or(SEC_E_INVALID_HANDLE.into())
}

pub(crate) fn ctx_of<P: Package>(ctx: &AnyContext) -> SecResult<&P::Context> {
    ctx.downcast_ref::<P::Context>()
        .ok_or(SEC_E_INVALID_HANDLE.into())
}

pub(crate) fn ctx_mut<P: Package>(ctx: &mut AnyContext) -> SecResult<&mut P::Context> {
    ctx.downcast_mut::<P::Context>()
        .ok_or(SEC_E_INVALID_HANDLE.into())
}

impl<P: Package> DynPackage for P {
    fn info(&self) -> &'static PackageInfo {
        Package::info(self)
    }
    fn acquire_credentials(&self, request: AcquireRequest) -> SecResult<(AnyCredentials, i64)> {
        let (cred, expiry) = Package::acquire_credentials(self, request)?;
        Ok((Box::new(cred), expiry))
    }
    fn query_credentials(
        &self,
        cred: &AnyCredentials,
        attribute: u32,
    ) -> SecResult<CredentialAttribute> {
        Package::query_credentials(self, cred_of::<P>(cred)?, attribute)
    }
    fn set_credentials(
        &self,
        cred: &AnyCredentials,
        attribute: u32,
        value: &[u8],
    ) -> SecResult<()> {
        Package::set_credentials(self, cred_of::<P>(cred)?, attribute, value)
    }
    fn initialize(
        &self,
        cred: &AnyCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(AnyContext, Progress)> {
        let (ctx, out) = Package::initialize(self, cred_of::<P>(cred)?, input)?;
        Ok((Box::new(ctx), out))
    }
    fn accept(
        &self,
        cred: &AnyCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(AnyContext, Progress)> {
        let (ctx, out) = Package::accept(self, cred_of::<P>(cred)?, input)?;
        Ok((Box::new(ctx), out))
    }
    fn step(
        &self,
        cred: Option<&AnyCredentials>,
        ctx: &mut AnyContext,
        input: &StepInput<'_>,
    ) -> SecResult<Progress> {
        let cred = cred.map(cred_of::<P>).transpose()?;
        Package::step(self, cred, ctx_mut::<P>(ctx)?, input)
    }
    fn resume(
        &self,
        cred: Option<&AnyCredentials>,
        ctx: &mut AnyContext,
        input: &StepInput<'_>,
        reply: Reply,
    ) -> SecResult<Progress> {
        let cred = cred.map(cred_of::<P>).transpose()?;
        Package::resume(self, cred, ctx_mut::<P>(ctx)?, input, reply)
    }
    fn complete(&self, ctx: &mut AnyContext, msg: &mut [SecBuf<'_>]) -> SecResult<()> {
        Package::complete(self, ctx_mut::<P>(ctx)?, msg)
    }
    fn apply_control(&self, ctx: &mut AnyContext, inputs: &[InBuf<'_>]) -> SecResult<()> {
        Package::apply_control(self, ctx_mut::<P>(ctx)?, inputs)
    }
    fn query_context(&self, ctx: &AnyContext, attribute: u32) -> SecResult<ContextAttribute> {
        Package::query_context(self, ctx_of::<P>(ctx)?, attribute)
    }
    fn set_context(&self, ctx: &mut AnyContext, attribute: u32, value: &[u8]) -> SecResult<()> {
        Package::set_context(self, ctx_mut::<P>(ctx)?, attribute, value)
    }
    fn make_signature(
        &self,
        ctx: &mut AnyContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<()> {
        Package::make_signature(self, ctx_mut::<P>(ctx)?, qop, msg, seq)
    }
    fn verify_signature(
        &self,
        ctx: &mut AnyContext,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<Unprotected> {
        Package::verify_signature(self, ctx_mut::<P>(ctx)?, msg, seq)
    }
    fn encrypt(
        &self,
        ctx: &mut AnyContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        seq: u32,
        env: &dyn Env,
    ) -> SecResult<()> {
        Package::encrypt(self, ctx_mut::<P>(ctx)?, qop, msg, seq, env)
    }
    fn decrypt(
        &self,
        ctx: &mut AnyContext,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<Unprotected> {
        Package::decrypt(self, ctx_mut::<P>(ctx)?, msg, seq)
    }
    fn export(&self, ctx: &AnyContext) -> SecResult<Zeroizing<Vec<u8>>> {
        Package::export(self, ctx_of::<P>(ctx)?)
    }
    fn import(&self, packed: &[u8]) -> SecResult<AnyContext> {
        Ok(Box::new(Package::import(self, packed)?))
    }
}
