//! Negotiate: SPNEGO (RFC 4178, MS-SPNG) over the mechanisms in
//! [`mechs::MECHS`], initiator and acceptor.
//!
//! `token` holds SPNEGO's DER messages, `mechs` the mechanisms and their
//! OIDs, `credentials` a credential per mechanism, `context` the exchange.
//! Each mechanism is a package reached through the same `DynPackage` trait
//! the ABI uses; once the exchange is complete, every call on a Negotiate
//! context (message protection, attributes, export) is the chosen
//! mechanism's, except NEGOTIATION_INFO, PACKAGE_INFO and FLAGS.

mod context;
mod credentials;
mod describe;
mod mechs;
mod token;

#[cfg(feature = "fuzzing")]
pub mod fuzz;

#[cfg(test)]
mod tests;

use zeroize::Zeroizing;

pub use context::NegotiateContext;
pub use credentials::NegotiateCredentials;
use mechs::{Mech, MECHS};

use crate::env::Env;
use crate::package::*;
use crate::vocabulary::*;

/// The Negotiate package over a list of mechanisms.
pub struct Negotiate {
    mechs: &'static [&'static Mech],
}

/// Negotiate over every mechanism opensspi has.
pub static NEGOTIATE: Negotiate = Negotiate { mechs: MECHS };

impl Negotiate {
    /// Negotiate over `mechs`, most preferred first (tests' mechanism lists).
    #[cfg(test)]
    pub const fn new(mechs: &'static [&'static Mech]) -> Self {
        Negotiate { mechs }
    }
}

/// Windows' values for Negotiate (QuerySecurityPackageInfo).
pub static INFO: PackageInfo = PackageInfo {
    name: "Negotiate",
    comment: "Microsoft Package Negotiator",
    capabilities: 0x83BB3,
    version: 1,
    rpc_id: 9,
    max_token: 48256,
};

impl Package for Negotiate {
    type Credentials = NegotiateCredentials;
    type Context = NegotiateContext;

    fn info(&self) -> &'static PackageInfo {
        &INFO
    }

    fn acquire_credentials(
        &self,
        request: AcquireRequest,
    ) -> SecResult<(NegotiateCredentials, i64)> {
        NegotiateCredentials::acquire(self.mechs, request)
    }

    fn query_credentials(
        &self,
        cred: &NegotiateCredentials,
        attribute: u32,
    ) -> SecResult<CredentialAttribute> {
        let first = cred.first().ok_or(SEC_E_NO_CREDENTIALS)?;
        first.mech.package.query_credentials(&first.cred, attribute)
    }

    /// Given to every mechanism; it succeeds when one takes it (the KDC
    /// proxy settings are Kerberos').
    fn set_credentials(
        &self,
        cred: &NegotiateCredentials,
        attribute: u32,
        value: &[u8],
    ) -> SecResult<()> {
        let mut result = Err(Error::from(SEC_E_UNSUPPORTED_FUNCTION));
        for m in cred.mechs() {
            match m.mech.package.set_credentials(&m.cred, attribute, value) {
                Ok(()) => result = Ok(()),
                Err(e) if e != SEC_E_UNSUPPORTED_FUNCTION => return Err(e),
                Err(_) => {}
            }
        }
        result
    }

    fn initialize(
        &self,
        cred: &NegotiateCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(NegotiateContext, Progress)> {
        NegotiateContext::initialize(cred, input)
    }

    fn accept(
        &self,
        cred: &NegotiateCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(NegotiateContext, Progress)> {
        NegotiateContext::accept(cred, input).map(|(c, out)| (c, Progress::Done(out)))
    }

    fn step(
        &self,
        cred: Option<&NegotiateCredentials>,
        ctx: &mut NegotiateContext,
        input: &StepInput<'_>,
    ) -> SecResult<Progress> {
        ctx.step(cred, input).map(Progress::Done)
    }

    fn resume(
        &self,
        cred: Option<&NegotiateCredentials>,
        ctx: &mut NegotiateContext,
        input: &StepInput<'_>,
        reply: Reply,
    ) -> SecResult<Progress> {
        ctx.resume(cred, input, reply)
    }

    fn complete(&self, ctx: &mut NegotiateContext, msg: &mut [SecBuf<'_>]) -> SecResult<()> {
        match ctx.inner_mut() {
            Some((mech, inner)) => mech.package.complete(inner, msg),
            None => Ok(()),
        }
    }

    fn apply_control(&self, ctx: &mut NegotiateContext, inputs: &[InBuf<'_>]) -> SecResult<()> {
        let (mech, inner) = ctx.inner_mut().ok_or(SEC_E_INVALID_HANDLE)?;
        mech.package.apply_control(inner, inputs)
    }

    fn query_context(&self, ctx: &NegotiateContext, attribute: u32) -> SecResult<ContextAttribute> {
        ctx.query(attribute)
    }

    fn set_context(
        &self,
        ctx: &mut NegotiateContext,
        attribute: u32,
        value: &[u8],
    ) -> SecResult<()> {
        let (mech, inner) = ctx.inner_mut().ok_or(SEC_E_INVALID_HANDLE)?;
        mech.package.set_context(inner, attribute, value)
    }

    fn make_signature(
        &self,
        ctx: &mut NegotiateContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<()> {
        let (mech, inner) = ctx.established()?;
        mech.package.make_signature(inner, qop, msg, seq)
    }

    fn verify_signature(
        &self,
        ctx: &mut NegotiateContext,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<Unprotected> {
        let (mech, inner) = ctx.established()?;
        mech.package.verify_signature(inner, msg, seq)
    }

    fn encrypt(
        &self,
        ctx: &mut NegotiateContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        seq: u32,
        env: &dyn Env,
    ) -> SecResult<()> {
        let (mech, inner) = ctx.established()?;
        mech.package.encrypt(inner, qop, msg, seq, env)
    }

    fn decrypt(
        &self,
        ctx: &mut NegotiateContext,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<Unprotected> {
        let (mech, inner) = ctx.established()?;
        mech.package.decrypt(inner, msg, seq)
    }

    fn export(&self, ctx: &NegotiateContext) -> SecResult<Zeroizing<Vec<u8>>> {
        ctx.export()
    }

    fn import(&self, packed: &[u8]) -> SecResult<NegotiateContext> {
        NegotiateContext::import(self.mechs, packed)
    }
}
