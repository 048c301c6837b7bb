//! The one trait every security package implements, and the safe types it
//! speaks. Nothing here knows about C: the ABI layer (`crate::abi`) converts
//! and validates caller memory into these types, and a package never sees a
//! raw pointer.
//!
//! A package is sans-IO: it turns input tokens into output tokens and
//! protects messages in place. `DynPackage` erases a package's credential and
//! context types so that the ABI layer and the registry hold `&dyn
//! DynPackage`; Negotiate wraps other packages through the same interface.

use std::any::Any;

use zeroize::Zeroizing;

use crate::vocabulary::*;

/// A Windows status code (`SEC_E_*`); the error half of every result.
pub type Status = i32;
/// The result of a package operation: `Err` carries a `SEC_E_*` code.
pub type SecResult<T> = Result<T, Status>;

/// FILETIME value Windows reports for "never expires".
pub const NEVER_EXPIRES: i64 = 0x7FFF_FFFF_FFFF_FFFF;

/// What QuerySecurityPackageInfo reports for a package.
#[derive(Debug)]
pub struct PackageInfo {
    pub name: &'static str,
    pub comment: &'static str,
    pub capabilities: u32,
    pub version: u16,
    pub rpc_id: u16,
    pub max_token: u32,
}

/// Whether a credential is for initiating, accepting, or both
/// (SECPKG_CRED_OUTBOUND / _INBOUND / _BOTH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialUse(pub u32);

impl CredentialUse {
    pub fn inbound(self) -> bool {
        self.0 & SECPKG_CRED_INBOUND != 0
    }
    pub fn outbound(self) -> bool {
        self.0 & SECPKG_CRED_OUTBOUND != 0
    }
}

/// An explicit identity from SEC_WINNT_AUTH_IDENTITY(_EX), decoded. `None`
/// means the caller passed a NULL pointer for that field, `Some("")` an
/// empty string; packages tell the two apart (NTLM: NULL user means the
/// default account, an empty one means anonymous).
#[derive(Clone, Debug, Default)]
pub struct AuthIdentity {
    pub user: Option<String>,
    pub domain: Option<String>,
    pub password: Option<Zeroizing<String>>,
    /// The NT hash given instead of a password (PasswordLength above
    /// SSPI_CREDENTIALS_HASH_LENGTH_OFFSET, WinPR's convention); `password`
    /// is then `None`.
    pub nt_hash: Option<Zeroizing<[u8; 16]>>,
    /// The EX structure's comma-separated PackageList, for Negotiate.
    pub package_list: Option<String>,
    /// The identity's Flags field (SEC_WINNT_AUTH_IDENTITY_*).
    pub flags: u32,
}

/// Everything AcquireCredentialsHandle passes to a package.
#[derive(Clone, Debug)]
pub struct AcquireRequest {
    pub principal: Option<String>,
    pub usage: CredentialUse,
    /// `None`: NULL auth data, the package's default credentials.
    pub identity: Option<AuthIdentity>,
}

/// One input buffer of a handshake call, borrowed from the caller.
#[derive(Clone, Copy, Debug)]
pub struct InBuf<'a> {
    /// SECBUFFER_* type without the attribute flags.
    pub kind: u32,
    pub data: &'a [u8],
}

/// What Initialize/AcceptSecurityContext pass to a package for one step.
#[derive(Debug)]
pub struct StepInput<'a> {
    /// The target name (SPN) given to InitializeSecurityContext.
    pub target: Option<&'a str>,
    /// ISC_REQ_* or ASC_REQ_* flags as the caller passed them.
    pub req_flags: u32,
    pub data_rep: u32,
    /// Every input buffer, in the caller's order.
    pub inputs: &'a [InBuf<'a>],
    /// Room in the caller's output token buffer, or `None` when the call
    /// allocates it. A package whose token does not fit returns
    /// SEC_E_BUFFER_TOO_SMALL *without changing its state*.
    pub out_capacity: Option<usize>,
}

impl StepInput<'_> {
    /// The first input buffer of this type.
    pub fn find(&self, kind: u32) -> Option<&[u8]> {
        self.inputs.iter().find(|b| b.kind == kind).map(|b| b.data)
    }
    /// The input SECBUFFER_TOKEN.
    pub fn token(&self) -> Option<&[u8]> {
        self.find(SECBUFFER_TOKEN)
    }
}

/// The result of one handshake step.
#[derive(Debug)]
pub struct StepOutput {
    /// SEC_E_OK, SEC_I_CONTINUE_NEEDED, SEC_I_COMPLETE_NEEDED or
    /// SEC_I_COMPLETE_AND_CONTINUE; or a SEC_E_* error that comes with a
    /// token for the peer (SPNEGO's reject): the token is delivered, the
    /// error returned, and a context the failed call would have created is
    /// not kept. A package returning one has made its context unusable.
    pub status: Status,
    /// The token to send to the peer (may be empty).
    pub token: Vec<u8>,
    /// ISC_RET_* / ASC_RET_* flags actually in force (the ABI adds
    /// ISC_RET_ALLOCATED_MEMORY itself).
    pub ret_flags: u32,
    /// FILETIME of the context's expiry.
    pub expiry: i64,
    /// Bytes at the end of the input token that belong to the next message
    /// (reported as SECBUFFER_EXTRA).
    pub extra: usize,
}

/// A context attribute's value, before the ABI writes it in its C form
/// (A or W strings, memory from FreeContextBuffer's allocator).
#[derive(Debug)]
pub enum ContextAttribute {
    Sizes {
        max_token: u32,
        max_signature: u32,
        block_size: u32,
        security_trailer: u32,
    },
    StreamSizes {
        header: u32,
        trailer: u32,
        max_message: u32,
        buffers: u32,
        block_size: u32,
    },
    Names(String),
    NativeNames {
        client: String,
        server: String,
    },
    Lifespan {
        start: i64,
        expiry: i64,
    },
    SessionKey(Zeroizing<Vec<u8>>),
    Flags(u32),
    PackageInfo(&'static PackageInfo),
    NegotiationInfo {
        package: &'static PackageInfo,
        state: u32,
    },
    KeyInfo {
        signature_algorithm_name: &'static str,
        encrypt_algorithm_name: &'static str,
        key_size: u32,
        signature_algorithm: u32,
        encrypt_algorithm: u32,
    },
    Authority(String),
}

impl ContextAttribute {
    /// The SECPKG_ATTR_* number this value answers.
    pub fn attribute_id(&self) -> u32 {
        match self {
            Self::Sizes { .. } => SECPKG_ATTR_SIZES,
            Self::StreamSizes { .. } => SECPKG_ATTR_STREAM_SIZES,
            Self::Names(_) => SECPKG_ATTR_NAMES,
            Self::NativeNames { .. } => SECPKG_ATTR_NATIVE_NAMES,
            Self::Lifespan { .. } => SECPKG_ATTR_LIFESPAN,
            Self::SessionKey(_) => SECPKG_ATTR_SESSION_KEY,
            Self::Flags(_) => SECPKG_ATTR_FLAGS,
            Self::PackageInfo(_) => SECPKG_ATTR_PACKAGE_INFO,
            Self::NegotiationInfo { .. } => SECPKG_ATTR_NEGOTIATION_INFO,
            Self::KeyInfo { .. } => SECPKG_ATTR_KEY_INFO,
            Self::Authority(_) => SECPKG_ATTR_AUTHORITY,
        }
    }
}

/// What a mechanism's complete context brings to SPNEGO's mechListMIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MicPolicy {
    /// The mechanism makes no MICs: none is exchanged.
    None,
    /// No per-message integrity was negotiated: the mechanism's MIC is a
    /// placeholder (NTLM's dummy signature). It is exchanged when SPNEGO's
    /// rules call for one, but a peer that leaves its own out is not
    /// refused (RFC 4178 section 5 uses no MIC without integrity, and MIT's
    /// and Samba's SPNEGO send none then).
    Placeholder,
    /// Real MICs, exchanged when SPNEGO's rules call for one.
    Optional,
    /// Real MICs that the mechanism's own exchange makes mandatory
    /// (MS-SPNG: an NTLM AUTHENTICATE that carries a MIC).
    Required,
}

/// A credential attribute's value.
#[derive(Debug)]
pub enum CredentialAttribute {
    Names(String),
}

/// Where a buffer's bytes live: read-only buffers (SECBUFFER_READONLY*) are
/// never handed out mutably.
#[derive(Debug)]
enum Mem<'a> {
    ReadOnly(&'a [u8]),
    Writable(&'a mut [u8]),
}

/// One buffer of a message (MakeSignature, EncryptMessage, ...), borrowed
/// from the caller. A package may shrink `len` (reported back as cbBuffer).
#[derive(Debug)]
pub struct SecBuf<'a> {
    kind: u32,
    attrs: u32,
    mem: Mem<'a>,
    len: usize,
    /// Set by `point_into`: (buffer index, offset, length).
    window: Option<(usize, usize, usize)>,
}

impl<'a> SecBuf<'a> {
    /// A buffer the package may write to.
    pub fn writable(buffer_type: u32, data: &'a mut [u8]) -> Self {
        let len = data.len();
        Self {
            kind: buffer_type & !SECBUFFER_ATTRMASK,
            attrs: buffer_type & SECBUFFER_ATTRMASK,
            mem: Mem::Writable(data),
            len,
            window: None,
        }
    }
    /// A buffer the package may only read.
    pub fn read_only(buffer_type: u32, data: &'a [u8]) -> Self {
        let len = data.len();
        Self {
            kind: buffer_type & !SECBUFFER_ATTRMASK,
            attrs: buffer_type & SECBUFFER_ATTRMASK,
            mem: Mem::ReadOnly(data),
            len,
            window: None,
        }
    }
    /// SECBUFFER_* type without attribute flags.
    pub fn kind(&self) -> u32 {
        self.kind
    }
    /// SECBUFFER_READONLY / _READONLY_WITH_CHECKSUM bits.
    pub fn attrs(&self) -> u32 {
        self.attrs
    }
    /// The buffer's full contents.
    pub fn data(&self) -> &[u8] {
        match &self.mem {
            Mem::ReadOnly(d) => d,
            Mem::Writable(d) => d,
        }
    }
    /// The contents to write, or `None` for a read-only buffer.
    pub fn data_mut(&mut self) -> Option<&mut [u8]> {
        match &mut self.mem {
            Mem::ReadOnly(_) => None,
            Mem::Writable(d) => Some(d),
        }
    }
    /// The length that will be reported back in cbBuffer.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether the reported length is zero.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Report a new length back (never more than the buffer holds).
    pub fn set_len(&mut self, len: usize) {
        self.len = len.min(self.data().len());
    }
    /// Report this buffer back as `len` bytes at `offset` in the message's
    /// buffer number `buffer` (SECBUFFER_STREAM's DATA buffer, which
    /// DecryptMessage points at the plaintext inside the stream). The ABI
    /// checks the range against that buffer's own length.
    pub fn point_into(&mut self, buffer: usize, offset: usize, len: usize) {
        self.window = Some((buffer, offset, len));
    }
    /// What `point_into` set.
    pub fn window(&self) -> Option<(usize, usize, usize)> {
        self.window
    }
}

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
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    /// SetCredentialsAttributes.
    fn set_credentials(
        &self,
        _cred: &Self::Credentials,
        _attribute: u32,
        _value: &[u8],
    ) -> SecResult<()> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    /// The first InitializeSecurityContext call: a new context and its first
    /// step. Nothing is kept when this fails.
    fn initialize(
        &self,
        cred: &Self::Credentials,
        input: &StepInput<'_>,
    ) -> SecResult<(Self::Context, StepOutput)>;

    /// The first AcceptSecurityContext call.
    fn accept(
        &self,
        cred: &Self::Credentials,
        input: &StepInput<'_>,
    ) -> SecResult<(Self::Context, StepOutput)>;

    /// A later Initialize/AcceptSecurityContext call on an existing context.
    /// `cred` is `None` for a context made by ImportSecurityContext.
    fn step(
        &self,
        cred: Option<&Self::Credentials>,
        ctx: &mut Self::Context,
        input: &StepInput<'_>,
    ) -> SecResult<StepOutput>;

    /// CompleteAuthToken. Windows' NTLM accepts it as a no-op.
    fn complete(&self, _ctx: &mut Self::Context, _msg: &mut [SecBuf<'_>]) -> SecResult<()> {
        Ok(())
    }

    /// ApplyControlToken.
    fn apply_control(&self, _ctx: &mut Self::Context, _inputs: &[InBuf<'_>]) -> SecResult<()> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
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
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    /// MakeSignature: writes the signature into the SECBUFFER_TOKEN buffer.
    fn make_signature(
        &self,
        _ctx: &mut Self::Context,
        _qop: u32,
        _msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<()> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    /// VerifySignature: returns the quality of protection.
    fn verify_signature(
        &self,
        _ctx: &mut Self::Context,
        _msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<u32> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    /// EncryptMessage, in place.
    fn encrypt(
        &self,
        _ctx: &mut Self::Context,
        _qop: u32,
        _msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<()> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    /// DecryptMessage, in place: returns the quality of protection.
    fn decrypt(
        &self,
        _ctx: &mut Self::Context,
        _msg: &mut [SecBuf<'_>],
        _seq: u32,
    ) -> SecResult<u32> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    /// ExportSecurityContext: the context's full state as bytes.
    fn export(&self, _ctx: &Self::Context) -> SecResult<Zeroizing<Vec<u8>>> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    /// For SPNEGO (RFC 4178 section 5): this mechanism's integrity token
    /// over `mech_types` (the DER MechTypeList), sent as the mechListMIC.
    /// Called at most once, on a complete context, before any message is
    /// protected; it must leave message protection as if it had not been
    /// called, except that it uses up its sequence number.
    fn mech_list_mic(&self, _ctx: &mut Self::Context, _mech_types: &[u8]) -> SecResult<Vec<u8>> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    /// For SPNEGO: checks the peer's mechListMIC over `mech_types`, under
    /// the same rules as `mech_list_mic`. SEC_E_MESSAGE_ALTERED when it does
    /// not verify.
    fn verify_mech_list_mic(
        &self,
        _ctx: &mut Self::Context,
        _mech_types: &[u8],
        _mic: &[u8],
    ) -> SecResult<()> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
    }

    /// For SPNEGO: what this mechanism's complete context brings to the
    /// mechListMIC exchange (RFC 4178 section 5, MS-SPNG). Asked once the
    /// context is complete.
    fn mech_list_mic_policy(&self, _ctx: &Self::Context) -> MicPolicy {
        MicPolicy::None
    }

    /// ImportSecurityContext: a context from `export`'s bytes.
    fn import(&self, _packed: &[u8]) -> SecResult<Self::Context> {
        Err(SEC_E_UNSUPPORTED_FUNCTION)
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
    ) -> SecResult<(AnyContext, StepOutput)>;
    fn accept(
        &self,
        cred: &AnyCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(AnyContext, StepOutput)>;
    fn step(
        &self,
        cred: Option<&AnyCredentials>,
        ctx: &mut AnyContext,
        input: &StepInput<'_>,
    ) -> SecResult<StepOutput>;
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
    ) -> SecResult<u32>;
    fn encrypt(
        &self,
        ctx: &mut AnyContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<()>;
    fn decrypt(&self, ctx: &mut AnyContext, msg: &mut [SecBuf<'_>], seq: u32) -> SecResult<u32>;
    fn export(&self, ctx: &AnyContext) -> SecResult<Zeroizing<Vec<u8>>>;
    fn import(&self, packed: &[u8]) -> SecResult<AnyContext>;
    fn mech_list_mic(&self, ctx: &mut AnyContext, mech_types: &[u8]) -> SecResult<Vec<u8>>;
    fn verify_mech_list_mic(
        &self,
        ctx: &mut AnyContext,
        mech_types: &[u8],
        mic: &[u8],
    ) -> SecResult<()>;
    fn mech_list_mic_policy(&self, ctx: &AnyContext) -> MicPolicy;
}

fn cred_of<P: Package>(cred: &AnyCredentials) -> SecResult<&P::Credentials> {
    cred.downcast_ref::<P::Credentials>()
        .ok_or(SEC_E_INVALID_HANDLE)
}

fn ctx_of<P: Package>(ctx: &AnyContext) -> SecResult<&P::Context> {
    ctx.downcast_ref::<P::Context>().ok_or(SEC_E_INVALID_HANDLE)
}

fn ctx_mut<P: Package>(ctx: &mut AnyContext) -> SecResult<&mut P::Context> {
    ctx.downcast_mut::<P::Context>().ok_or(SEC_E_INVALID_HANDLE)
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
    ) -> SecResult<(AnyContext, StepOutput)> {
        let (ctx, out) = Package::initialize(self, cred_of::<P>(cred)?, input)?;
        Ok((Box::new(ctx), out))
    }
    fn accept(
        &self,
        cred: &AnyCredentials,
        input: &StepInput<'_>,
    ) -> SecResult<(AnyContext, StepOutput)> {
        let (ctx, out) = Package::accept(self, cred_of::<P>(cred)?, input)?;
        Ok((Box::new(ctx), out))
    }
    fn step(
        &self,
        cred: Option<&AnyCredentials>,
        ctx: &mut AnyContext,
        input: &StepInput<'_>,
    ) -> SecResult<StepOutput> {
        let cred = match cred {
            Some(c) => Some(cred_of::<P>(c)?),
            None => None,
        };
        Package::step(self, cred, ctx_mut::<P>(ctx)?, input)
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
    ) -> SecResult<u32> {
        Package::verify_signature(self, ctx_mut::<P>(ctx)?, msg, seq)
    }
    fn encrypt(
        &self,
        ctx: &mut AnyContext,
        qop: u32,
        msg: &mut [SecBuf<'_>],
        seq: u32,
    ) -> SecResult<()> {
        Package::encrypt(self, ctx_mut::<P>(ctx)?, qop, msg, seq)
    }
    fn decrypt(&self, ctx: &mut AnyContext, msg: &mut [SecBuf<'_>], seq: u32) -> SecResult<u32> {
        Package::decrypt(self, ctx_mut::<P>(ctx)?, msg, seq)
    }
    fn export(&self, ctx: &AnyContext) -> SecResult<Zeroizing<Vec<u8>>> {
        Package::export(self, ctx_of::<P>(ctx)?)
    }
    fn import(&self, packed: &[u8]) -> SecResult<AnyContext> {
        Ok(Box::new(Package::import(self, packed)?))
    }
    fn mech_list_mic(&self, ctx: &mut AnyContext, mech_types: &[u8]) -> SecResult<Vec<u8>> {
        Package::mech_list_mic(self, ctx_mut::<P>(ctx)?, mech_types)
    }
    fn verify_mech_list_mic(
        &self,
        ctx: &mut AnyContext,
        mech_types: &[u8],
        mic: &[u8],
    ) -> SecResult<()> {
        Package::verify_mech_list_mic(self, ctx_mut::<P>(ctx)?, mech_types, mic)
    }
    fn mech_list_mic_policy(&self, ctx: &AnyContext) -> MicPolicy {
        ctx_of::<P>(ctx).map_or(MicPolicy::None, |c| Package::mech_list_mic_policy(self, c))
    }
}
