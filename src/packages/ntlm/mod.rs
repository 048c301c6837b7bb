//! NTLM (MS-NLMP), initiator and acceptor.
//!
//! The protocol is a sans-IO core: the messages (`messages`, `av_pairs`,
//! `wire`, `text`), the keys (`crypto`; RC4 and the channel-binding hash
//! are the crate's `crypto::rc4` and `crypto::bindings`), the two
//! state machines (`client`, `server`), what an authenticated context holds
//! (`established`) and its message protection (`session`), and the
//! accounts (`credentials`, `user_file`). `account`, `context`,
//! `protection` and `attributes` put it behind the `Package` trait with
//! Windows' SSPI semantics.

mod av_pairs;
mod client;
mod credentials;
mod crypto;
mod describe;
mod error;
mod established;
mod flags;
mod messages;
mod server;
mod session;
mod text;
mod user_file;
mod wire;

mod account;
mod attributes;
mod context;
mod protection;

#[cfg(feature = "fuzzing")]
pub mod fuzz;

use zeroize::Zeroizing;

pub use account::NtlmCredentials;
pub use context::NtlmContext;

use crate::env::Env;
use crate::package::*;
use crate::vocabulary::*;

/// The NTLM package.
pub struct Ntlm;

/// Windows' values for NTLM (QuerySecurityPackageInfo).
pub static INFO: PackageInfo = PackageInfo {
    name: "NTLM",
    comment: "NTLM Security Package",
    capabilities: 0x82B37,
    version: 1,
    rpc_id: 10,
    max_token: 2888,
};

impl Package for Ntlm {
    type Credentials = NtlmCredentials;
    type Context = NtlmContext;

    fn info(&self) -> &'static PackageInfo {
        &INFO
    }

    fn acquire_credentials(&self, request: AcquireRequest) -> SecResult<(NtlmCredentials, i64)> {
        Ok((NtlmCredentials::acquire(request)?, NEVER_EXPIRES))
    }

    fn query_credentials(
        &self,
        cred: &NtlmCredentials,
        attribute: u32,
    ) -> SecResult<CredentialAttribute> {
        match attribute {
            SECPKG_CRED_ATTR_NAMES => Ok(CredentialAttribute::Names(cred.display_name())),
            _ => Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
        }
    }

    fn initialize(
        &self,
        cred: &NtlmCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(NtlmContext, Progress)> {
        NtlmContext::initialize(cred, input)
    }

    fn accept(
        &self,
        _cred: &NtlmCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(NtlmContext, Progress)> {
        NtlmContext::accept(input)
    }

    fn step(
        &self,
        cred: Option<&NtlmCredentials>,
        ctx: &mut NtlmContext,
        input: &StepInput<'_>,
    ) -> SecResult<Progress> {
        ctx.step(cred, input)
    }

    fn query_context(&self, ctx: &NtlmContext, attribute: u32) -> SecResult<ContextAttribute> {
        attributes::query(ctx, attribute)
    }

    fn make_signature(
        &self,
        ctx: &mut NtlmContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<()> {
        protection::make_signature(ctx, qop, msg)
    }

    fn verify_signature(
        &self,
        ctx: &mut NtlmContext,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<Unprotected> {
        protection::verify_signature(ctx, msg)
    }

    fn encrypt(
        &self,
        ctx: &mut NtlmContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
        _env: &dyn Env,
    ) -> SecResult<()> {
        protection::encrypt(ctx, qop, msg)
    }

    fn decrypt(
        &self,
        ctx: &mut NtlmContext,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<Unprotected> {
        protection::decrypt(ctx, msg)
    }

    fn export(&self, ctx: &NtlmContext) -> SecResult<Zeroizing<Vec<u8>>> {
        ctx.export()
    }

    fn import(&self, packed: &[u8]) -> SecResult<NtlmContext> {
        NtlmContext::import(packed)
    }
}

/// NTLM under SPNEGO: the mechListMIC is NTLM's signature (MS-SPNG 3.3.5.1).
impl Mechanism for Ntlm {
    fn mech_list_mic(&self, ctx: &mut NtlmContext, mech_types: &[u8]) -> SecResult<Vec<u8>> {
        protection::mech_list_mic(ctx, mech_types)
    }

    fn verify_mech_list_mic(
        &self,
        ctx: &mut NtlmContext,
        mech_types: &[u8],
        mic: &[u8],
    ) -> SecResult<()> {
        protection::verify_mech_list_mic(ctx, mech_types, mic)
    }

    fn mech_list_mic_policy(&self, ctx: &NtlmContext) -> MicPolicy {
        protection::mech_list_mic_policy(ctx)
    }
}
