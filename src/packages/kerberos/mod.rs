//! Kerberos V5 (RFC 4120; RFC 4121 for the GSS-API tokens), initiator and
//! acceptor.
//!
//! The protocol is a sans-IO core: the enctypes (`crypto`), the ASN.1
//! messages (`messages`), the AS and TGS exchanges (`kdc`), AP-REQ and
//! AP-REP (`ap`), the per-message tokens (`session`), MIT's files
//! (`files`: keytab and credential cache; `config`: krb5.conf).
//! `credentials`, `context`, `protection` and `attributes` put it behind
//! the `Package` trait with Windows' SSPI semantics; KDC requests go out
//! through the driver (`Progress::Exchange`).

/// The bytes of a file captured from MIT (`tests/data/kerberos`), for the
/// package's tests.
#[cfg(test)]
macro_rules! data {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/kerberos/",
            $name
        ))
        .as_slice()
    };
}

pub mod ap;
mod attributes;
pub mod config;
pub mod context;
pub mod credentials;
pub mod crypto;
pub mod files;
#[cfg(feature = "fuzzing")]
pub mod fuzz;
pub mod kdc;
pub mod messages;
mod protection;
#[cfg(test)]
pub mod scripted;
pub mod session;
#[cfg(test)]
mod tests;

pub use context::KerberosContext;
pub use credentials::KerberosCredentials;

use crate::env::Env;
use crate::package::*;
use crate::vocabulary::*;

/// The Kerberos package.
pub struct Kerberos;

/// Windows' values for Kerberos (QuerySecurityPackageInfo): the
/// capabilities without the optional bits Windows may add.
pub static INFO: PackageInfo = PackageInfo {
    name: "Kerberos",
    comment: "Microsoft Kerberos V1.0",
    capabilities: 0x0F3BBF,
    version: 1,
    rpc_id: 16,
    max_token: 48000,
};

impl Package for Kerberos {
    type Credentials = KerberosCredentials;
    type Context = KerberosContext;

    fn info(&self) -> &'static PackageInfo {
        &INFO
    }

    fn acquire_credentials(
        &self,
        request: AcquireRequest,
    ) -> SecResult<(KerberosCredentials, i64)> {
        Ok((KerberosCredentials::acquire(request)?, NEVER_EXPIRES))
    }

    fn query_credentials(
        &self,
        cred: &KerberosCredentials,
        attribute: u32,
    ) -> SecResult<CredentialAttribute> {
        match attribute {
            SECPKG_CRED_ATTR_NAMES => Ok(CredentialAttribute::Names(cred.display_name())),
            _ => Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
        }
    }

    /// SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS: the KDC proxy the credential's
    /// exchanges use (an empty ProxyServer removes it).
    fn set_credentials(
        &self,
        cred: &KerberosCredentials,
        attribute: u32,
        value: &[u8],
    ) -> SecResult<()> {
        match attribute {
            SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS => {
                *cred.proxy.lock() = credentials::KdcProxy::from_settings(value)?;
                Ok(())
            }
            _ => Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
        }
    }

    fn initialize(
        &self,
        cred: &KerberosCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(KerberosContext, Progress)> {
        KerberosContext::initialize(cred, input)
    }

    fn accept(
        &self,
        cred: &KerberosCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(KerberosContext, Progress)> {
        KerberosContext::accept(cred, input)
    }

    fn step(
        &self,
        _cred: Option<&KerberosCredentials>,
        ctx: &mut KerberosContext,
        input: &StepInput<'_>,
    ) -> SecResult<Progress> {
        ctx.step(input)
    }

    fn resume(
        &self,
        cred: Option<&KerberosCredentials>,
        ctx: &mut KerberosContext,
        input: &StepInput<'_>,
        reply: Reply,
    ) -> SecResult<Progress> {
        ctx.resume(cred, input, reply)
    }

    fn query_context(&self, ctx: &KerberosContext, attribute: u32) -> SecResult<ContextAttribute> {
        attributes::query(ctx, attribute)
    }

    fn make_signature(
        &self,
        ctx: &mut KerberosContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<()> {
        protection::make_signature(ctx, qop, msg)
    }

    fn verify_signature(
        &self,
        ctx: &mut KerberosContext,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<Unprotected> {
        protection::verify_signature(ctx, msg)
    }

    fn encrypt(
        &self,
        ctx: &mut KerberosContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
        env: &dyn Env,
    ) -> SecResult<()> {
        let mut confounder = [0u8; crypto::CONFOUNDER_LEN];
        env.random(&mut confounder)
            .map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))?;
        protection::encrypt(ctx, qop, msg, &confounder)
    }

    fn decrypt(
        &self,
        ctx: &mut KerberosContext,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<Unprotected> {
        protection::decrypt(ctx, msg)
    }

    fn export(&self, ctx: &KerberosContext) -> SecResult<zeroize::Zeroizing<Vec<u8>>> {
        ctx.export()
    }

    fn import(&self, packed: &[u8]) -> SecResult<KerberosContext> {
        KerberosContext::import(packed)
    }
}

/// Under Negotiate, the mechListMIC is an RFC 4121 MIC token (RFC 4757's
/// for rc4-hmac) over the DER MechTypeList, made and checked with the
/// context's sequence numbers like any MakeSignature/VerifySignature.
impl Mechanism for Kerberos {
    fn mech_list_mic(&self, ctx: &mut KerberosContext, mech_types: &[u8]) -> SecResult<Vec<u8>> {
        let est = ctx.established_mut()?;
        est.session
            .mic(&[mech_types])
            .map_err(|_| Error::from(SEC_E_INTERNAL_ERROR))
    }

    fn verify_mech_list_mic(
        &self,
        ctx: &mut KerberosContext,
        mech_types: &[u8],
        mic: &[u8],
    ) -> SecResult<()> {
        let est = ctx.established_mut()?;
        est.session
            .verify_mic(&[mech_types], mic)
            .map_err(|_| Error::from(SEC_E_MESSAGE_ALTERED))
    }

    fn mech_list_mic_policy(&self, ctx: &KerberosContext) -> MicPolicy {
        if ctx.established().is_ok() {
            MicPolicy::Optional
        } else {
            MicPolicy::None
        }
    }
}
