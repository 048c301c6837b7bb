//! InitializeSecurityContext, AcceptSecurityContext and the calls on an
//! established context other than per-message protection.
#![allow(non_snake_case)]

use std::ffi::c_void;
use std::sync::Arc;

use crate::abi::attributes::{context_attribute_size, write_context_attribute, write_expiry};
use crate::abi::boundary::ffi_boundary;
use crate::abi::boundary::{self};
use crate::abi::buffers;
use crate::abi::buffers::OutputSlot;
use crate::abi::credentials_api::{credential, package_named};
use crate::abi::memory;
use crate::abi::strings::{read_cstr, Ansi, Encoding, Wide};
use crate::abi::types::*;
use crate::driver::{self, SystemNetwork};
use crate::env::SystemEnv;
use crate::handles::Id;
use crate::package::{AnyContext, Error, Role, SecResult, StepInput, StepOutput};
use crate::state::{Context, Credential, CONTEXTS};
use crate::trace::{self, names};
use crate::vocabulary::*;

/// The live context a caller's handle names, or SEC_E_INVALID_HANDLE.
///
/// # Safety
/// A non-NULL `h` must point at a readable SecHandle.
pub unsafe fn context(h: *const SecHandle) -> SecResult<Arc<Context>> {
    // SAFETY: forwarded contract.
    let h = unsafe { boundary::read_handle(h) };
    trace::note(format_args!(" ctx={}", Id(h)));
    let ctx = CONTEXTS
        .get(h.ok_or(SEC_E_INVALID_HANDLE)?)
        .ok_or(SEC_E_INVALID_HANDLE)?;
    trace::note_package(ctx.package.info().name);
    Ok(ctx)
}

/// The pointers and values of one Initialize/AcceptSecurityContext call.
struct Handshake<'a> {
    role: Role,
    cred: *const SecHandle,
    ctx: *const SecHandle,
    target: Option<&'a str>,
    req_flags: ULONG,
    data_rep: ULONG,
    input: *const SecBufferDesc,
    new_ctx: *mut SecHandle,
    output: *const SecBufferDesc,
    attrs: *mut ULONG,
    expiry: *mut TimeStamp,
}

/// Who a handshake call continues or starts.
enum Party {
    /// A later call on a live context.
    Existing(Arc<Context>),
    /// A first call, with the credential to start from.
    New(Arc<Credential>),
}

/// The caller's buffers of a handshake call.
struct Buffers<'a> {
    /// pInput's SecBuffer array (SECBUFFER_EXTRA and _MISSING are reported
    /// in it).
    input: &'a mut [SecBuffer],
    /// pOutput's SecBuffer array.
    output: Option<&'a mut [SecBuffer]>,
}

impl Handshake<'_> {
    /// ISC_REQ_ALLOCATE_MEMORY or ASC_REQ_ALLOCATE_MEMORY asked for.
    fn allocate(&self) -> bool {
        let flag = match self.role {
            Role::Initiator => ISC_REQ_ALLOCATE_MEMORY,
            Role::Acceptor => ASC_REQ_ALLOCATE_MEMORY,
        };
        self.req_flags & flag != 0
    }

    /// The context `phContext` names, or for a first call the credential,
    /// checked for this side's use and for a `phNewContext` to write to.
    ///
    /// # Safety
    /// `ctx` and `cred` are NULL or point at SecHandles.
    unsafe fn party(&self) -> SecResult<Party> {
        if !self.ctx.is_null() {
            // SAFETY: `phContext` is non-NULL and points at a SecHandle by
            // the caller's contract; `context` checks alignment.
            return Ok(Party::Existing(unsafe { context(self.ctx) }?));
        }
        // SAFETY: `phCredential` is NULL or points at a SecHandle;
        // `credential` checks NULL and alignment.
        let cred = unsafe { credential(self.cred) }?;
        let usable = match self.role {
            Role::Initiator => cred.usage.outbound(),
            Role::Acceptor => cred.usage.inbound(),
        };
        if !usable {
            return Err(SEC_E_NO_CREDENTIALS.into());
        }
        if self.new_ctx.is_null() || !self.new_ctx.is_aligned() {
            return Err(SEC_E_INVALID_HANDLE.into());
        }
        Ok(Party::New(cred))
    }

    /// Both descriptors' arrays, refused (SEC_E_INVALID_TOKEN) when they
    /// share memory or are malformed.
    ///
    /// # Safety
    /// `input` and `output` are NULL or point at descriptors whose
    /// `pBuffers` hold `cBuffers` entries, untouched by others during the
    /// call.
    unsafe fn buffers<'b>(&self) -> SecResult<Buffers<'b>> {
        // SAFETY: only the two descriptors are read, each checked for NULL
        // and alignment.
        if unsafe { buffers::arrays_overlap(self.input, self.output) } {
            return Err(SEC_E_INVALID_TOKEN.into());
        }
        let input = if self.input.is_null() {
            &mut [][..]
        } else {
            // SAFETY: a non-NULL `pInput` describes `cBuffers` entries;
            // `descriptors` checks alignment and the count.
            unsafe { buffers::descriptors(self.input) }.ok_or(SEC_E_INVALID_TOKEN)?
        };
        let output = if self.output.is_null() {
            None
        } else {
            // SAFETY: as for `pInput`.
            Some(unsafe { buffers::descriptors(self.output) }.ok_or(SEC_E_INVALID_TOKEN)?)
        };
        Ok(Buffers { input, output })
    }
}

/// Runs the package's step (or hands out the step kept from a call that
/// had no room), through the driver.
fn run(
    party: &Party,
    role: Role,
    input: &StepInput<'_>,
) -> SecResult<(Option<AnyContext>, StepOutput)> {
    let network = SystemNetwork::default();
    match party {
        Party::Existing(ctx) => match ctx.take_pending() {
            Some(out) => Ok((None, out)),
            None => Ok((None, driver::step(ctx, input, &network)?)),
        },
        Party::New(cred) => {
            let (state, out) = driver::start(cred.package, &cred.state, role, input, &network)?;
            Ok((Some(state), out))
        }
    }
}

/// One step of either side of a handshake; both exports share it.
///
/// # Safety
/// Every pointer of `h` is NULL or valid for its type, per the SSPI contract.
unsafe fn handshake(h: Handshake<'_>) -> SecResult<SECURITY_STATUS> {
    let allocate = h.allocate();
    let (req_names, ret_names) = match h.role {
        Role::Initiator => ("ISC_REQ_", "ISC_RET_"),
        Role::Acceptor => ("ASC_REQ_", "ASC_RET_"),
    };
    if let Some(target) = h.target {
        trace::note(format_args!(" target={}", trace::Quoted(target)));
    }
    trace::note(format_args!(
        " req={}",
        names::flags(req_names, h.req_flags)
    ));
    // SAFETY: forwarded contract.
    let party = unsafe { h.party() }?;
    // SAFETY: forwarded contract.
    let bufs = unsafe { h.buffers() }?;
    // SAFETY: each `pInput` buffer holds `cbBuffer` readable bytes by the
    // caller's contract; `inputs` refuses NULL with a length and buffers
    // over the array.
    let inputs = unsafe { buffers::inputs(bufs.input) }?;
    trace::note(format_args!(" in={}", buffers::Shape(bufs.input)));
    let mut slot = OutputSlot::find(bufs.output, bufs.input, allocate)?;
    let step = StepInput {
        target: h.target,
        req_flags: h.req_flags,
        data_rep: h.data_rep,
        inputs: &inputs,
        env: &SystemEnv,
    };
    let (new_state, out) = match run(&party, h.role, &step) {
        Ok(done) => done,
        Err(Error::Reject { status, token }) => {
            // The token for the peer goes out when it fits (a TLS failure's
            // alert record also into a SECBUFFER_ALERT output, when given);
            // the error is returned, and a context this call would have made
            // is dropped.
            slot.put_best_effort(&token);
            let _ = slot.put_alert(&token);
            return Ok(status);
        }
        Err(Error::Incomplete { missing }) => {
            buffers::report_missing(bufs.input, missing);
            return Err(Error::Incomplete { missing });
        }
        Err(e) => return Err(e),
    };
    if let Err(e) = slot.put(&out) {
        // A later call hands the step out again; a first call's context is
        // dropped (the caller starts over).
        if let Party::Existing(ctx) = &party {
            ctx.keep_pending(out);
        }
        return Err(e);
    }
    slot.put_alert(&out.alert)?;
    buffers::report_extra(bufs.input, out.extra);
    let handle = match (party, new_state) {
        (Party::New(cred), Some(state)) => {
            let package = cred.package;
            CONTEXTS.insert(Arc::new(Context::new(package, Some(cred), state)))
        }
        // SAFETY: `phContext` was read above.
        _ => unsafe { boundary::read_handle(h.ctx) }.ok_or(SEC_E_INVALID_HANDLE)?,
    };
    let mut flags = out.ret_flags;
    if slot.allocated() {
        flags |= match h.role {
            Role::Initiator => ISC_RET_ALLOCATED_MEMORY,
            Role::Acceptor => ASC_RET_ALLOCATED_MEMORY,
        };
    }
    trace::note(format_args!(
        " -> ctx={} out={}B attrs={}",
        Id(Some(handle)),
        out.token.len(),
        names::flags(ret_names, flags)
    ));
    // SAFETY: `phNewContext` (checked non-NULL and aligned for a new
    // context), `pfContextAttr` and `ptsExpiry` are NULL or writable for
    // their types; `write` and `write_expiry` skip NULL and misaligned ones.
    unsafe {
        boundary::write(h.new_ctx, handle);
        boundary::write(h.attrs, flags);
        write_expiry(h.expiry, out.expiry);
    }
    Ok(out.status)
}

#[allow(clippy::too_many_arguments)]
unsafe fn initialize<E: Encoding>(
    cred: *const SecHandle,
    ctx: *const SecHandle,
    target: *const E::Unit,
    req_flags: ULONG,
    data_rep: ULONG,
    input: *const SecBufferDesc,
    new_ctx: *mut SecHandle,
    output: *const SecBufferDesc,
    attrs: *mut ULONG,
    expiry: *mut TimeStamp,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: a non-NULL target is a NUL-terminated string by contract.
    let target = unsafe { read_cstr::<E>(target) }.map_err(|()| SEC_E_TARGET_UNKNOWN)?;
    // SAFETY: forwarded contract.
    unsafe {
        handshake(Handshake {
            role: Role::Initiator,
            cred,
            ctx,
            target: target.as_deref(),
            req_flags,
            data_rep,
            input,
            new_ctx,
            output,
            attrs,
            expiry,
        })
    }
}

/// Starts or continues the initiator's side of a handshake. First call:
/// `phContext` NULL and `phCredential` an outbound credential; later calls
/// pass the context. Returns SEC_I_CONTINUE_NEEDED (send the output token,
/// call again with the reply) or SEC_E_OK. The output token goes into the
/// first SECBUFFER_TOKEN buffer of `pOutput`, or, with
/// ISC_REQ_ALLOCATE_MEMORY, into memory freed by FreeContextBuffer. A new
/// context handle is freed by DeleteSecurityContext, even after a failed
/// later step.
#[no_mangle]
pub unsafe extern "C" fn InitializeSecurityContextW(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pszTargetName: *mut SEC_WCHAR,
    fContextReq: ULONG,
    _Reserved1: ULONG,
    TargetDataRep: ULONG,
    pInput: PSecBufferDesc,
    _Reserved2: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "InitializeSecurityContextW",
        initialize::<Wide>(
            phCredential,
            phContext,
            pszTargetName,
            fContextReq,
            TargetDataRep,
            pInput,
            phNewContext,
            pOutput,
            pfContextAttr,
            ptsExpiry,
        )
    )
}

/// The UTF-8 form of InitializeSecurityContextW.
#[no_mangle]
pub unsafe extern "C" fn InitializeSecurityContextA(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pszTargetName: *mut SEC_CHAR,
    fContextReq: ULONG,
    _Reserved1: ULONG,
    TargetDataRep: ULONG,
    pInput: PSecBufferDesc,
    _Reserved2: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "InitializeSecurityContextA",
        initialize::<Ansi>(
            phCredential,
            phContext,
            pszTargetName.cast(),
            fContextReq,
            TargetDataRep,
            pInput,
            phNewContext,
            pOutput,
            pfContextAttr,
            ptsExpiry,
        )
    )
}

/// Starts or continues the acceptor's side of a handshake; the mirror of
/// InitializeSecurityContext, with ASC_REQ_* flags and an inbound credential.
#[no_mangle]
pub unsafe extern "C" fn AcceptSecurityContext(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pInput: PSecBufferDesc,
    fContextReq: ULONG,
    TargetDataRep: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "AcceptSecurityContext",
        handshake(Handshake {
            role: Role::Acceptor,
            cred: phCredential,
            ctx: phContext,
            target: None,
            req_flags: fContextReq,
            data_rep: TargetDataRep,
            input: pInput,
            new_ctx: phNewContext,
            output: pOutput,
            attrs: pfContextAttr,
            expiry: ptsExpiry,
        })
    )
}

/// CompleteAuthToken's body.
///
/// # Safety
/// `ctx` is NULL or points at a SecHandle; `token` is NULL or a descriptor
/// of buffers holding their stated lengths, writable unless READONLY.
unsafe fn complete_token(
    ctx: *const SecHandle,
    token: *const SecBufferDesc,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: forwarded contract; `context` checks NULL and alignment.
    let ctx = unsafe { context(ctx) }?;
    // SAFETY: forwarded contract; NULL is refused by `descriptors`.
    let bufs = unsafe { buffers::descriptors(token) }.ok_or(SEC_E_INVALID_TOKEN)?;
    // SAFETY: forwarded contract; `message` refuses overlapping writable
    // buffers, buffers over the array and NULL with a length.
    let mut view = unsafe { buffers::message(bufs) }?;
    ctx.package.complete(&mut *ctx.lock()?, &mut view)?;
    buffers::write_back(bufs, &view);
    Ok(SEC_E_OK)
}

/// Completes a token after SEC_I_COMPLETE_NEEDED. Harmless on packages that
/// never ask for it (NTLM): SEC_E_OK for a valid context.
#[no_mangle]
pub unsafe extern "C" fn CompleteAuthToken(
    phContext: PCtxtHandle,
    pToken: PSecBufferDesc,
) -> SECURITY_STATUS {
    ffi_boundary!("CompleteAuthToken", complete_token(phContext, pToken))
}

/// DeleteSecurityContext's body.
///
/// # Safety
/// `ctx` is NULL or points at a SecHandle.
unsafe fn delete_context(ctx: *const SecHandle) -> SECURITY_STATUS {
    // SAFETY: forwarded contract; `read_handle` checks NULL and alignment.
    let h = unsafe { boundary::read_handle(ctx) };
    trace::note(format_args!(" ctx={}", Id(h)));
    match h.and_then(|h| CONTEXTS.remove(h)) {
        Some(ctx) => {
            trace::note_package(ctx.package.info().name);
            SEC_E_OK
        }
        None => SEC_E_INVALID_HANDLE,
    }
}

/// Deletes a context and invalidates its handle. An invalid or already
/// deleted handle: SEC_E_INVALID_HANDLE.
#[no_mangle]
pub unsafe extern "C" fn DeleteSecurityContext(phContext: PCtxtHandle) -> SECURITY_STATUS {
    ffi_boundary!("DeleteSecurityContext", delete_context(phContext))
}

/// ApplyControlToken's body.
///
/// # Safety
/// `ctx` is NULL or points at a SecHandle; `input` is NULL or a descriptor
/// of buffers holding their stated lengths.
unsafe fn apply_control(
    ctx: *const SecHandle,
    input: *const SecBufferDesc,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: forwarded contract; `context` checks NULL and alignment.
    let ctx = unsafe { context(ctx) }?;
    // SAFETY: forwarded contract; NULL is refused by `descriptors`.
    let bufs = unsafe { buffers::descriptors(input) }.ok_or(SEC_E_INTERNAL_ERROR)?;
    // SAFETY: forwarded contract; `inputs` refuses NULL with a length.
    let inputs = unsafe { buffers::inputs(bufs) }?;
    ctx.package.apply_control(&mut *ctx.lock()?, &inputs)?;
    Ok(SEC_E_OK)
}

/// Applies a control token (e.g. a TLS shutdown) to a context. NULL
/// `pInput`: SEC_E_INTERNAL_ERROR, as Windows.
#[no_mangle]
pub unsafe extern "C" fn ApplyControlToken(
    phContext: PCtxtHandle,
    pInput: PSecBufferDesc,
) -> SECURITY_STATUS {
    ffi_boundary!("ApplyControlToken", apply_control(phContext, pInput))
}

unsafe fn query_context<E: Encoding>(
    h: *const SecHandle,
    attribute: ULONG,
    out: *mut c_void,
    room: Option<ULONG>,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: forwarded contract.
    let ctx = unsafe { context(h) }?;
    trace::note(format_args!(
        " attribute={}",
        names::value("SECPKG_ATTR_", attribute)
    ));
    if out.is_null()
        || !(out as usize).is_multiple_of(std::mem::align_of::<*mut c_void>())
            && context_attribute_size(attribute).is_some_and(|s| s >= 8)
    {
        trace::line(
            trace::Level::Errors,
            ctx.package.info().name,
            format_args!(
                "pBuffer is NULL or misaligned (Windows answers SEC_E_INTERNAL_ERROR too)"
            ),
        );
        return Err(SEC_E_INTERNAL_ERROR.into());
    }
    if let (Some(room), Some(size)) = (room, context_attribute_size(attribute)) {
        if (room as usize) < size {
            return Err(SEC_E_BUFFER_TOO_SMALL.into());
        }
    }
    let value = ctx.package.query_context(&*ctx.lock()?, attribute)?;
    if value.attribute_id() != attribute {
        return Err(SEC_E_INTERNAL_ERROR.into());
    }
    // SAFETY: `out` has room for the attribute's structure by contract.
    unsafe { write_context_attribute::<E>(out, value) }?;
    Ok(SEC_E_OK)
}

/// Queries a context attribute (SECPKG_ATTR_*) into the caller's structure.
/// Strings, keys and package infos inside it are freed with
/// FreeContextBuffer. An attribute the package lacks: SEC_E_UNSUPPORTED_FUNCTION.
#[no_mangle]
pub unsafe extern "C" fn QueryContextAttributesW(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "QueryContextAttributesW",
        query_context::<Wide>(phContext, ulAttribute, pBuffer, None)
    )
}

/// The UTF-8 form of QueryContextAttributesW.
#[no_mangle]
pub unsafe extern "C" fn QueryContextAttributesA(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "QueryContextAttributesA",
        query_context::<Ansi>(phContext, ulAttribute, pBuffer, None)
    )
}

/// QueryContextAttributesW with the size of `pBuffer`: a buffer smaller than
/// the attribute's structure is SEC_E_BUFFER_TOO_SMALL.
#[no_mangle]
pub unsafe extern "C" fn QueryContextAttributesExW(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "QueryContextAttributesExW",
        query_context::<Wide>(phContext, ulAttribute, pBuffer, Some(cbBuffer))
    )
}

/// The UTF-8 form of QueryContextAttributesExW.
#[no_mangle]
pub unsafe extern "C" fn QueryContextAttributesExA(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "QueryContextAttributesExA",
        query_context::<Ansi>(phContext, ulAttribute, pBuffer, Some(cbBuffer))
    )
}

unsafe fn set_context(
    h: *const SecHandle,
    attribute: ULONG,
    value: *const c_void,
    len: ULONG,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: forwarded contract.
    let ctx = unsafe { context(h) }?;
    // SAFETY: `len` readable bytes at `value` by contract.
    let value = unsafe { boundary::bytes(value, len as usize) }.ok_or(SEC_E_INTERNAL_ERROR)?;
    ctx.package
        .set_context(&mut *ctx.lock()?, attribute, value)?;
    Ok(SEC_E_OK)
}

/// Sets a context attribute. Attributes a package does not take:
/// SEC_E_UNSUPPORTED_FUNCTION.
#[no_mangle]
pub unsafe extern "C" fn SetContextAttributesW(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "SetContextAttributesW",
        set_context(phContext, ulAttribute, pBuffer, cbBuffer)
    )
}

/// The UTF-8 form of SetContextAttributesW.
#[no_mangle]
pub unsafe extern "C" fn SetContextAttributesA(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "SetContextAttributesA",
        set_context(phContext, ulAttribute, pBuffer, cbBuffer)
    )
}

/// ExportSecurityContext's body.
///
/// # Safety
/// `ctx` is NULL or points at a SecHandle; `packed` is NULL or a writable
/// SecBuffer; `token` is NULL or writable for a pointer.
unsafe fn export(
    ctx: *const SecHandle,
    flags: ULONG,
    packed: *mut SecBuffer,
    token: *mut *mut c_void,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: forwarded contract; `context` checks NULL and alignment.
    let context = unsafe { context(ctx) }?;
    if packed.is_null() || !packed.is_aligned() {
        return Err(SEC_E_INTERNAL_ERROR.into());
    }
    let bytes = context.export()?;
    let p = memory::alloc_copy(&bytes);
    if p.is_null() {
        return Err(SEC_E_INSUFFICIENT_MEMORY.into());
    }
    // SAFETY: `packed` was checked non-NULL and aligned, and is writable by
    // the caller's contract; `write` checks `token`.
    unsafe {
        packed.write(SecBuffer {
            cbBuffer: bytes.len() as u32,
            BufferType: SECBUFFER_EMPTY,
            pvBuffer: p.cast(),
        });
        boundary::write(token, std::ptr::null_mut());
    }
    if flags & SECPKG_CONTEXT_EXPORT_DELETE_OLD != 0 {
        // SAFETY: read above.
        if let Some(h) = unsafe { boundary::read_handle(ctx) } {
            CONTEXTS.remove(h);
        }
    }
    Ok(SEC_E_OK)
}

/// Serialises a context into `pPackedContext->pvBuffer` (freed with
/// FreeContextBuffer). With SECPKG_CONTEXT_EXPORT_DELETE_OLD the handle is
/// deleted afterwards. `*pToken`, when given, is set to NULL (no OS token).
#[no_mangle]
pub unsafe extern "C" fn ExportSecurityContext(
    phContext: PCtxtHandle,
    fFlags: ULONG,
    pPackedContext: PSecBuffer,
    pToken: *mut *mut c_void,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "ExportSecurityContext",
        export(phContext, fFlags, pPackedContext, pToken)
    )
}

unsafe fn import<E: Encoding>(
    package: *const E::Unit,
    packed: *const SecBuffer,
    out: *mut SecHandle,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: `package` (`pszPackage`) is NULL or a NUL-terminated string by the caller's
    // contract; `package_named` reads it with `read_cstr`, which checks NULL and alignment.
    let package = unsafe { package_named::<E>(package) }?;
    // SAFETY: `packed` (`pPackedContext`) is NULL or points at a readable SecBuffer by the
    // caller's contract; `read` checks NULL and alignment.
    let b = unsafe { boundary::read(packed) }.ok_or(SEC_E_INVALID_TOKEN)?;
    // SAFETY: the packed SecBuffer's `pvBuffer` holds `cbBuffer` readable bytes by the
    // caller's contract; `bytes` refuses NULL with a nonzero length.
    let data =
        unsafe { boundary::bytes(b.pvBuffer, b.cbBuffer as usize) }.ok_or(SEC_E_INVALID_TOKEN)?;
    if out.is_null() || !out.is_aligned() {
        return Err(SEC_E_INVALID_HANDLE.into());
    }
    let handle = CONTEXTS.insert(Arc::new(Context::import(package, data)?));
    trace::note(format_args!(" -> ctx={}", Id(Some(handle))));
    // SAFETY: `out` (`phContext`) was checked non-NULL and aligned above, and is writable
    // for a SecHandle by the caller's contract.
    unsafe { boundary::write(out, handle) };
    Ok(SEC_E_OK)
}

/// Rebuilds a context from ExportSecurityContext's output, in this process
/// or another. `*phContext` is a new handle freed by DeleteSecurityContext.
#[no_mangle]
pub unsafe extern "C" fn ImportSecurityContextW(
    pszPackage: *mut SEC_WCHAR,
    pPackedContext: PSecBuffer,
    _Token: *mut c_void,
    phContext: PCtxtHandle,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "ImportSecurityContextW",
        import::<Wide>(pszPackage, pPackedContext, phContext)
    )
}

/// The UTF-8 form of ImportSecurityContextW.
#[no_mangle]
pub unsafe extern "C" fn ImportSecurityContextA(
    pszPackage: *mut SEC_CHAR,
    pPackedContext: PSecBuffer,
    _Token: *mut c_void,
    phContext: PCtxtHandle,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "ImportSecurityContextA",
        import::<Ansi>(pszPackage.cast(), pPackedContext, phContext)
    )
}

/// `then` for a live context (QuerySecurityContextToken, Impersonate- and
/// RevertSecurityContext, which have nothing to do here), else
/// SEC_E_INVALID_HANDLE.
///
/// # Safety
/// `ctx` is NULL or points at a SecHandle.
unsafe fn valid_context(
    ctx: *const SecHandle,
    then: Result<SECURITY_STATUS, SECURITY_STATUS>,
) -> SecResult<SECURITY_STATUS> {
    // SAFETY: forwarded contract; `context` checks NULL and alignment.
    unsafe { context(ctx) }?;
    then.map_err(Error::from)
}

/// There are no Windows access tokens here: SEC_E_UNSUPPORTED_FUNCTION for
/// a valid context, SEC_E_INVALID_HANDLE otherwise.
#[no_mangle]
pub unsafe extern "C" fn QuerySecurityContextToken(
    phContext: PCtxtHandle,
    _Token: *mut *mut c_void,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "QuerySecurityContextToken",
        valid_context(phContext, Err(SEC_E_UNSUPPORTED_FUNCTION))
    )
}

/// Impersonation has no meaning on this platform: SEC_E_NO_IMPERSONATION for
/// a valid context, SEC_E_INVALID_HANDLE otherwise.
#[no_mangle]
pub unsafe extern "C" fn ImpersonateSecurityContext(phContext: PCtxtHandle) -> SECURITY_STATUS {
    ffi_boundary!(
        "ImpersonateSecurityContext",
        valid_context(phContext, Err(SEC_E_NO_IMPERSONATION))
    )
}

/// Nothing was impersonated, so there is nothing to revert: SEC_E_OK for a
/// valid context (a harmless no-op), SEC_E_INVALID_HANDLE otherwise.
#[no_mangle]
pub unsafe extern "C" fn RevertSecurityContext(phContext: PCtxtHandle) -> SECURITY_STATUS {
    ffi_boundary!(
        "RevertSecurityContext",
        valid_context(phContext, Ok(SEC_E_OK))
    )
}

unsafe fn change_password<E: Encoding>(package: *const E::Unit) -> SecResult<SECURITY_STATUS> {
    // SAFETY: forwarded contract.
    unsafe { package_named::<E>(package) }?;
    Err(SEC_E_UNSUPPORTED_FUNCTION.into())
}

/// Changing a domain password needs a domain controller: SEC_E_UNSUPPORTED_FUNCTION
/// for a known package, SEC_E_SECPKG_NOT_FOUND otherwise.
#[no_mangle]
pub unsafe extern "C" fn ChangeAccountPasswordW(
    pszPackageName: *mut SEC_WCHAR,
    _pszDomainName: *mut SEC_WCHAR,
    _pszAccountName: *mut SEC_WCHAR,
    _pszOldPassword: *mut SEC_WCHAR,
    _pszNewPassword: *mut SEC_WCHAR,
    _bImpersonating: BOOLEAN,
    _dwReserved: ULONG,
    _pOutput: PSecBufferDesc,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "ChangeAccountPasswordW",
        change_password::<Wide>(pszPackageName)
    )
}

/// The UTF-8 form of ChangeAccountPasswordW.
#[no_mangle]
pub unsafe extern "C" fn ChangeAccountPasswordA(
    pszPackageName: *mut SEC_CHAR,
    _pszDomainName: *mut SEC_CHAR,
    _pszAccountName: *mut SEC_CHAR,
    _pszOldPassword: *mut SEC_CHAR,
    _pszNewPassword: *mut SEC_CHAR,
    _bImpersonating: BOOLEAN,
    _dwReserved: ULONG,
    _pOutput: PSecBufferDesc,
) -> SECURITY_STATUS {
    ffi_boundary!(
        "ChangeAccountPasswordA",
        change_password::<Ansi>(pszPackageName.cast())
    )
}
