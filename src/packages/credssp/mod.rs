//! CredSSP (MS-CSSP, versions 2 to 6): a TLS channel from the Schannel
//! package, a Negotiate exchange inside it bound to the channel's public
//! key, then the initiator's password credentials delegated to the
//! acceptor. After the exchange, EncryptMessage and DecryptMessage are the
//! TLS channel's, with Schannel's stream buffers.
//!
//! `messages` holds TSRequest and TSCredentials (DER, the `der` crate),
//! `credentials` CREDSSP_CRED, `context` the exchange, `status` the
//! NTSTATUS values of errorCode, `attributes` what QueryContextAttributes
//! answers, the delegated credentials among them.

mod attributes;
mod context;
mod credentials;
mod messages;
mod status;

#[cfg(feature = "fuzzing")]
pub mod fuzz;

#[cfg(test)]
mod tests;

pub use context::CredsspContext;
pub use credentials::CredsspCredentials;

use crate::env::Env;
use crate::package::*;
use crate::packages::schannel::SCHANNEL;
use crate::vocabulary::*;

/// The CredSSP package.
pub struct Credssp;

/// Windows' values for "CREDSSP" (Windows 10 and 11): INTEGRITY, PRIVACY,
/// CONNECTION, MULTI_REQUIRED, IMPERSONATION, ACCEPT_WIN32_NAME, STREAM,
/// MUTUAL_AUTH and APPCONTAINER_CHECKS; no RPC id; cbMaxToken Negotiate's
/// plus Schannel's plus 200.
pub static INFO: PackageInfo = PackageInfo {
    name: "CREDSSP",
    comment: "Microsoft CredSSP Security Provider",
    capabilities: 0x0081_0733,
    version: 1,
    rpc_id: 0xFFFF,
    max_token: 73032,
};

impl Package for Credssp {
    type Credentials = CredsspCredentials;
    type Context = CredsspContext;

    fn info(&self) -> &'static PackageInfo {
        &INFO
    }

    fn acquire_credentials(&self, request: AcquireRequest) -> SecResult<(CredsspCredentials, i64)> {
        Ok((CredsspCredentials::acquire(request)?, NEVER_EXPIRES))
    }

    fn query_credentials(
        &self,
        cred: &CredsspCredentials,
        attribute: u32,
    ) -> SecResult<CredentialAttribute> {
        match attribute {
            SECPKG_CRED_ATTR_NAMES => Package::query_credentials(
                &crate::packages::negotiate::NEGOTIATE,
                &cred.negotiate,
                attribute,
            ),
            _ => Package::query_credentials(&SCHANNEL, &cred.schannel, attribute),
        }
    }

    fn initialize(
        &self,
        cred: &CredsspCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(CredsspContext, Progress)> {
        CredsspContext::initialize(cred, input)
    }

    fn accept(
        &self,
        cred: &CredsspCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(CredsspContext, Progress)> {
        CredsspContext::accept(cred, input)
    }

    fn step(
        &self,
        cred: Option<&CredsspCredentials>,
        ctx: &mut CredsspContext,
        input: &StepInput<'_>,
    ) -> SecResult<Progress> {
        ctx.step(cred, input)
    }

    fn resume(
        &self,
        cred: Option<&CredsspCredentials>,
        ctx: &mut CredsspContext,
        input: &StepInput<'_>,
        reply: Reply,
    ) -> SecResult<Progress> {
        ctx.resume(cred, input, reply)
    }

    fn apply_control(&self, ctx: &mut CredsspContext, inputs: &[InBuf<'_>]) -> SecResult<()> {
        Package::apply_control(&SCHANNEL, ctx.tls_mut()?, inputs)
    }

    fn query_context(&self, ctx: &CredsspContext, attribute: u32) -> SecResult<ContextAttribute> {
        attributes::query(ctx, attribute)
    }

    fn encrypt(
        &self,
        ctx: &mut CredsspContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        seq: u32,
        env: &dyn Env,
    ) -> SecResult<()> {
        Package::encrypt(&SCHANNEL, ctx.tls_mut()?, qop, msg, seq, env)
    }

    fn decrypt(
        &self,
        ctx: &mut CredsspContext,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<Unprotected> {
        Package::decrypt(&SCHANNEL, ctx.tls_mut()?, msg, seq)
    }
}
