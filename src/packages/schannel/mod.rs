//! Schannel: TLS 1.2 and 1.3, client and server, with Windows' stream
//! semantics, on rustls (ring provider).
//!
//! `credentials` decodes SCHANNEL_CRED and SCH_CREDENTIALS and makes the
//! rustls configurations; `verify` checks certificates; `handshake` drives
//! rustls' unbuffered connection record by record; `records` is the record
//! layer after the handshake, in the caller's buffers; `context` gives a
//! context Windows' buffer and status semantics; `attributes` answers
//! QueryContextAttributes.
//!
//! Registered three times, as Windows registers it: "Schannel",
//! "Microsoft Unified Security Protocol Provider" (UNISP_NAME) and
//! "Default TLS SSP", one implementation behind each name.

mod attributes;
mod context;
mod credentials;
mod handshake;
mod records;
mod unique;
mod verify;

#[cfg(feature = "fuzzing")]
pub mod fuzz;

#[cfg(test)]
mod tests;

pub use attributes::subject_public_key;
pub use context::SchannelContext;
pub use credentials::SchannelCredentials;

use crate::env::Env;
use crate::package::*;
use crate::vocabulary::*;

/// The Schannel package under one of its names.
pub struct Schannel {
    info: &'static PackageInfo,
}

/// Windows' capabilities for its TLS packages (Windows 10 and 11):
/// INTEGRITY, PRIVACY, CONNECTION, MULTI_REQUIRED, EXTENDED_ERROR,
/// IMPERSONATION, ACCEPT_WIN32_NAME, STREAM, MUTUAL_AUTH and
/// APPCONTAINER_PASSTHROUGH.
pub const CAPABILITIES: u32 = 0x0041_07B3;

const fn info(name: &'static str) -> PackageInfo {
    PackageInfo {
        name,
        comment: "Schannel Security Package",
        capabilities: CAPABILITIES,
        version: 1,
        rpc_id: 14,
        max_token: 24576,
    }
}

/// Windows' values for "Schannel".
pub static SCHANNEL_INFO: PackageInfo = info("Schannel");
/// Windows' values for UNISP_NAME.
pub static UNISP_INFO: PackageInfo = info("Microsoft Unified Security Protocol Provider");
/// Windows' values for "Default TLS SSP".
pub static DEFAULT_TLS_INFO: PackageInfo = info("Default TLS SSP");

/// "Schannel".
pub static SCHANNEL: Schannel = Schannel {
    info: &SCHANNEL_INFO,
};
/// "Microsoft Unified Security Protocol Provider".
pub static UNISP: Schannel = Schannel { info: &UNISP_INFO };
/// "Default TLS SSP".
pub static DEFAULT_TLS: Schannel = Schannel {
    info: &DEFAULT_TLS_INFO,
};

impl Package for Schannel {
    type Credentials = SchannelCredentials;
    type Context = SchannelContext;

    fn info(&self) -> &'static PackageInfo {
        self.info
    }

    fn acquire_credentials(
        &self,
        request: AcquireRequest,
    ) -> SecResult<(SchannelCredentials, i64)> {
        Ok((SchannelCredentials::acquire(request)?, NEVER_EXPIRES))
    }

    fn query_credentials(
        &self,
        cred: &SchannelCredentials,
        attribute: u32,
    ) -> SecResult<CredentialAttribute> {
        match attribute {
            SECPKG_ATTR_SUPPORTED_PROTOCOLS => {
                let mut bits = 0;
                if cred.outbound {
                    bits |= cred.versions.bits(true);
                }
                if cred.inbound {
                    bits |= cred.versions.bits(false);
                }
                Ok(CredentialAttribute::SupportedProtocols(bits))
            }
            SECPKG_CRED_ATTR_NAMES => Err(SEC_E_NO_CREDENTIALS.into()),
            _ => Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
        }
    }

    fn initialize(
        &self,
        cred: &SchannelCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(SchannelContext, Progress)> {
        SchannelContext::initialize(cred, input)
    }

    fn accept(
        &self,
        cred: &SchannelCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(SchannelContext, Progress)> {
        SchannelContext::accept(cred, input)
    }

    fn step(
        &self,
        _cred: Option<&SchannelCredentials>,
        ctx: &mut SchannelContext,
        input: &StepInput<'_>,
    ) -> SecResult<Progress> {
        ctx.step(input)
    }

    fn apply_control(&self, ctx: &mut SchannelContext, inputs: &[InBuf<'_>]) -> SecResult<()> {
        ctx.apply_control(inputs)
    }

    fn query_context(&self, ctx: &SchannelContext, attribute: u32) -> SecResult<ContextAttribute> {
        attributes::query(self.info, ctx, attribute)
    }

    fn encrypt(
        &self,
        ctx: &mut SchannelContext,
        _qop: u32,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
        _env: &dyn Env,
    ) -> SecResult<()> {
        ctx.encrypt(msg)
    }

    fn decrypt(
        &self,
        ctx: &mut SchannelContext,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<Unprotected> {
        ctx.decrypt(msg)
    }
}
