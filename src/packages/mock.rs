//! A two-message package used only by the crate's own tests of the ABI
//! layer and the driver: the initiator sends "init", the acceptor answers
//! "done". Later initiator steps show the rest of the interface:
//!
//! - the token "more" answers "a longer token" and continues (a pending
//!   token, when the caller's buffer is too small for it);
//! - the token "kdc" asks the driver to send "as-req" to `kdc.test:88` over
//!   TCP, and finishes with "ap-req:" and the reply (SEC_E_NO_AUTHENTICATING_AUTHORITY
//!   when there is none);
//!
//! and DecryptMessage reads a toy record (`0x17`, a length byte, the
//! payload, two trailer bytes `0xEE`) from the first buffer the way
//! Schannel does: that buffer becomes STREAM_HEADER, and three EMPTY
//! buffers become DATA, STREAM_TRAILER and EXTRA pointing into it; a short
//! record is SEC_E_INCOMPLETE_MESSAGE with the missing count; the payloads
//! "close" and "renegotiate" give SEC_I_CONTEXT_EXPIRED and
//! SEC_I_RENEGOTIATE.
//!
//! It also panics on demand, to test the panic boundary: a step given the
//! token "panic", and MakeSignature over the data "panic", change the
//! context's state and then panic. It is compiled into the library only for
//! the crate's tests and with the `fault-injection` feature, never in a
//! release build.

use zeroize::Zeroizing;

use crate::credentials::identity;
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
    /// Waiting for the KDC's reply.
    awaiting_kdc: bool,
    /// Package steps made (pending tokens are handed out without one).
    pub steps: u32,
}

impl MockCtx {
    fn new(done: bool, user: String) -> Self {
        MockCtx {
            done,
            user,
            awaiting_kdc: false,
            steps: 0,
        }
    }
}

/// The server `kdc` asks the driver to reach.
pub fn kdc() -> Endpoint {
    Endpoint {
        host: "kdc.test".into(),
        port: 88,
        transport: Transport::Tcp,
        path: String::new(),
    }
}

/// The toy record's header byte and trailer.
const RECORD: u8 = 0x17;
const TRAILER: [u8; 2] = [0xEE, 0xEE];

/// DecryptMessage's view of a toy record at the start of `msg[0]`.
fn open_record(msg: &mut [SecBuf<'_>]) -> SecResult<Unprotected> {
    let record = msg.first().ok_or(SEC_E_INVALID_TOKEN)?.data();
    let (header, rest) = match record {
        [RECORD, len, rest @ ..] => (usize::from(*len), rest),
        [RECORD] | [] => {
            return Err(Error::Incomplete {
                missing: 2 - record.len(),
            })
        }
        _ => return Err(SEC_E_INVALID_TOKEN.into()),
    };
    let whole = 2 + header + TRAILER.len();
    if 2 + rest.len() < whole {
        return Err(Error::Incomplete {
            missing: whole - 2 - rest.len(),
        });
    }
    let total = record.len();
    let payload = rest[..header].to_vec();
    msg[0].set_kind(SECBUFFER_STREAM_HEADER)?;
    msg[0].point_into(0, 0, 2);
    let empties: Vec<usize> = (1..msg.len())
        .filter(|&i| msg[i].kind() == SECBUFFER_EMPTY)
        .collect();
    let parts = [
        (SECBUFFER_DATA, 2, header),
        (SECBUFFER_STREAM_TRAILER, 2 + header, TRAILER.len()),
        (SECBUFFER_EXTRA, whole, total - whole),
    ];
    for (&i, (kind, offset, len)) in empties.iter().zip(parts) {
        if kind == SECBUFFER_EXTRA && len == 0 {
            break;
        }
        msg[i].set_kind(kind)?;
        msg[i].point_into(0, offset, len);
    }
    let status = match payload.as_slice() {
        b"close" => MessageStatus::ContextExpired,
        b"renegotiate" => MessageStatus::Renegotiate,
        _ => MessageStatus::Ok,
    };
    Ok(Unprotected {
        qop: Some(0),
        status,
    })
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
    fn acquire_credentials(&self, r: AcquireRequest<'_>) -> SecResult<(MockCred, i64)> {
        let identity = r.auth.as_ref().map(identity::decode).transpose()?;
        let user = identity
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
        Ok((MockCtx::new(false, cred.user.clone()), out))
    }
    fn accept(&self, _cred: &MockCred, input: &StepInput<'_>) -> SecResult<(MockCtx, Progress)> {
        if input.token() != Some(b"init") {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        let out = output(SEC_E_OK, b"done", ASC_RET_CONNECTION);
        Ok((MockCtx::new(true, "peer".into()), out))
    }
    fn step(
        &self,
        _cred: Option<&MockCred>,
        ctx: &mut MockCtx,
        input: &StepInput<'_>,
    ) -> SecResult<Progress> {
        ctx.steps += 1;
        match input.token() {
            Some(b"panic") => {
                ctx.user.push_str(" (half-updated)");
                panic!("fault injection: step");
            }
            Some(b"more") => return Ok(output(SEC_I_CONTINUE_NEEDED, b"a longer token", 0)),
            Some(b"kdc") => {
                ctx.awaiting_kdc = true;
                return Ok(Progress::Exchange(Exchange {
                    servers: vec![kdc()],
                    message: b"as-req".to_vec(),
                }));
            }
            _ => {}
        }
        if ctx.done || input.token() != Some(b"done") {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        ctx.done = true;
        Ok(output(SEC_E_OK, b"", ISC_RET_CONNECTION))
    }
    fn resume(
        &self,
        _cred: Option<&MockCred>,
        ctx: &mut MockCtx,
        _input: &StepInput<'_>,
        reply: Reply,
    ) -> SecResult<Progress> {
        if !std::mem::take(&mut ctx.awaiting_kdc) {
            return Err(SEC_E_INTERNAL_ERROR.into());
        }
        let reply = reply.map_err(|_| Error::from(SEC_E_NO_AUTHENTICATING_AUTHORITY))?;
        ctx.done = true;
        Ok(output(SEC_E_OK, &[&b"ap-req:"[..], &reply].concat(), 0))
    }
    fn decrypt(
        &self,
        _ctx: &mut MockCtx,
        msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<Unprotected> {
        open_record(msg)
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
        let user = String::from_utf8(packed.to_vec()).map_err(|_| SEC_E_INVALID_TOKEN)?;
        Ok(MockCtx::new(true, user))
    }
}

/// The mock under SPNEGO (the Negotiate tests): it makes no MICs.
impl Mechanism for MockPackage {
    fn mech_list_mic(&self, _ctx: &mut MockCtx, _mech_types: &[u8]) -> SecResult<Vec<u8>> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }
    fn verify_mech_list_mic(
        &self,
        _ctx: &mut MockCtx,
        _mech_types: &[u8],
        _mic: &[u8],
    ) -> SecResult<()> {
        Err(SEC_E_UNSUPPORTED_FUNCTION.into())
    }
    fn mech_list_mic_policy(&self, _ctx: &MockCtx) -> MicPolicy {
        MicPolicy::None
    }
}
