//! A two-message package used only by the crate's own tests of the ABI
//! layer: the initiator sends "init", the acceptor answers "done".
//!
//! It also panics on demand, to test the panic boundary: a step given the
//! token "panic", and MakeSignature over the data "panic", change the
//! context's state and then panic. It is compiled into the library only for
//! the crate's tests and with the `fault-injection` feature, never in a
//! release build.

use zeroize::Zeroizing;

use crate::package::*;
use crate::vocabulary::*;

pub struct MockPackage;

static INFO: PackageInfo = PackageInfo {
    name: "Mock",
    comment: "test package",
    capabilities: 3,
    version: 1,
    rpc_id: 0xFFFF,
    max_token: 64,
};

pub struct MockCred {
    user: String,
}

pub struct MockCtx {
    done: bool,
    user: String,
}

fn output(status: Status, token: &[u8], ret_flags: u32) -> Progress {
    Progress::Done(StepOutput {
        status,
        token: token.to_vec(),
        ret_flags,
        expiry: NEVER_EXPIRES,
        ..StepOutput::default()
    })
}

impl Package for MockPackage {
    type Credentials = MockCred;
    type Context = MockCtx;

    fn info(&self) -> &'static PackageInfo {
        &INFO
    }
    fn acquire_credentials(&self, r: AcquireRequest) -> SecResult<(MockCred, i64)> {
        let user = r
            .identity
            .and_then(|i| i.user)
            .unwrap_or_else(|| "default".into());
        Ok((MockCred { user }, NEVER_EXPIRES))
    }
    fn query_credentials(&self, cred: &MockCred, attribute: u32) -> SecResult<CredentialAttribute> {
        match attribute {
            SECPKG_CRED_ATTR_NAMES => Ok(CredentialAttribute::Names(cred.user.clone())),
            _ => Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
        }
    }
    fn initialize(&self, cred: &MockCred, input: &StepInput<'_>) -> SecResult<(MockCtx, Progress)> {
        let _ = input;
        let out = output(SEC_I_CONTINUE_NEEDED, b"init", 0);
        Ok((
            MockCtx {
                done: false,
                user: cred.user.clone(),
            },
            out,
        ))
    }
    fn accept(&self, _cred: &MockCred, input: &StepInput<'_>) -> SecResult<(MockCtx, Progress)> {
        if input.token() != Some(b"init") {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        let out = output(SEC_E_OK, b"done", ASC_RET_CONNECTION);
        Ok((
            MockCtx {
                done: true,
                user: "peer".into(),
            },
            out,
        ))
    }
    fn step(
        &self,
        _cred: Option<&MockCred>,
        ctx: &mut MockCtx,
        input: &StepInput<'_>,
    ) -> SecResult<Progress> {
        if input.token() == Some(b"panic") {
            ctx.user.push_str(" (half-updated)");
            panic!("fault injection: step");
        }
        if ctx.done || input.token() != Some(b"done") {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        ctx.done = true;
        Ok(output(SEC_E_OK, b"", ISC_RET_CONNECTION))
    }
    fn query_context(&self, ctx: &MockCtx, attribute: u32) -> SecResult<ContextAttribute> {
        match attribute {
            SECPKG_ATTR_NAMES => Ok(ContextAttribute::Names(ctx.user.clone())),
            SECPKG_ATTR_SIZES => Ok(ContextAttribute::Sizes {
                max_token: 64,
                max_signature: 4,
                block_size: 0,
                security_trailer: 4,
            }),
            SECPKG_ATTR_PACKAGE_INFO => Ok(ContextAttribute::PackageInfo(&INFO)),
            _ => Err(SEC_E_UNSUPPORTED_FUNCTION.into()),
        }
    }
    fn make_signature(
        &self,
        ctx: &mut MockCtx,
        _qop: u32,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<()> {
        if msg
            .iter()
            .any(|b| b.kind() == SECBUFFER_DATA && b.data() == b"panic")
        {
            ctx.user.push_str(" (half-updated)");
            panic!("fault injection: MakeSignature");
        }
        let sum: u8 = msg
            .iter()
            .filter(|b| b.kind() == SECBUFFER_DATA)
            .flat_map(|b| b.data().iter())
            .fold(0, |a, b| a ^ b);
        let token = msg
            .iter_mut()
            .find(|b| b.kind() == SECBUFFER_TOKEN)
            .ok_or(SEC_E_INVALID_TOKEN)?;
        let out = token.data_mut().ok_or(SEC_E_INVALID_TOKEN)?;
        if out.len() < 4 {
            return Err(SEC_E_BUFFER_TOO_SMALL.into());
        }
        out[..4].copy_from_slice(&[sum, 0, 0, 1]);
        token.set_len(4);
        Ok(())
    }
    fn export(&self, ctx: &MockCtx) -> SecResult<Zeroizing<Vec<u8>>> {
        Ok(Zeroizing::new(ctx.user.as_bytes().to_vec()))
    }
    fn import(&self, packed: &[u8]) -> SecResult<MockCtx> {
        Ok(MockCtx {
            done: true,
            user: String::from_utf8(packed.to_vec()).map_err(|_| SEC_E_INVALID_TOKEN)?,
        })
    }
}
