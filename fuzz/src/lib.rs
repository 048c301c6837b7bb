//! What the ABI fuzz targets share: credentials, parties of a handshake and
//! message buffers, all through opensspi's exports, as a C program calls
//! them. Any panic aborts (libFuzzer's hook runs before the export's panic
//! boundary catches it), so a caught panic is still a finding.

use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use opensspi::abi::context_api::{
    AcceptSecurityContext, DeleteSecurityContext, ExportSecurityContext,
    InitializeSecurityContextA, QueryContextAttributesA,
};
use opensspi::abi::credentials_api::AcquireCredentialsHandleA;
use opensspi::abi::message_api::{DecryptMessage, EncryptMessage, MakeSignature, VerifySignature};
use opensspi::abi::packages_api::FreeContextBuffer;
use opensspi::abi::types::{
    CredHandle, CtxtHandle, SecBuffer, SecBufferDesc, SecPkgContext_NamesA,
    SecPkgContext_SessionKey, SEC_WINNT_AUTH_IDENTITY_A,
};
use opensspi::vocabulary::*;

/// The packages a target can drive.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Package {
    /// NTLM alone.
    Ntlm,
    /// Negotiate (SPNEGO over NTLM).
    Negotiate,
}

impl Package {
    /// The NUL-terminated package name.
    pub fn name(self) -> &'static [u8] {
        match self {
            Package::Ntlm => b"NTLM\0",
            Package::Negotiate => b"Negotiate\0",
        }
    }
}

const TARGET: &[u8] = b"HTTP/server.contoso.com\0";
const USER: &str = "alice";
const DOMAIN: &str = "CORP";
const PASSWORD: &str = "Passw0rd!";
const TOKEN_ROOM: usize = 64 * 1024;

/// A credential handle acquired once per process and never freed.
fn acquire(package: Package, usage: u32) -> CredHandle {
    let mut user = USER.as_bytes().to_vec();
    let mut domain = DOMAIN.as_bytes().to_vec();
    let mut password = PASSWORD.as_bytes().to_vec();
    let mut id = SEC_WINNT_AUTH_IDENTITY_A {
        User: user.as_mut_ptr(),
        UserLength: user.len() as u32,
        Domain: domain.as_mut_ptr(),
        DomainLength: domain.len() as u32,
        Password: password.as_mut_ptr(),
        PasswordLength: password.len() as u32,
        Flags: SEC_WINNT_AUTH_IDENTITY_ANSI,
    };
    let mut cred = CredHandle {
        dwLower: 0,
        dwUpper: 0,
    };
    // SAFETY: every pointer is a live local or NULL.
    let status = unsafe {
        AcquireCredentialsHandleA(
            null_mut(),
            package.name().as_ptr().cast_mut().cast(),
            usage,
            null_mut(),
            (&mut id as *mut SEC_WINNT_AUTH_IDENTITY_A).cast(),
            None,
            null_mut(),
            &mut cred,
            null_mut(),
        )
    };
    assert_eq!(status, SEC_E_OK, "AcquireCredentialsHandle");
    cred
}

/// The client's and the server's credentials for `package`.
pub fn credentials(package: Package) -> (CredHandle, CredHandle) {
    static NTLM: OnceLock<(CredHandle, CredHandle)> = OnceLock::new();
    static NEGOTIATE: OnceLock<(CredHandle, CredHandle)> = OnceLock::new();
    let cell = match package {
        Package::Ntlm => &NTLM,
        Package::Negotiate => &NEGOTIATE,
    };
    *cell.get_or_init(|| {
        (
            acquire(package, SECPKG_CRED_OUTBOUND),
            acquire(package, SECPKG_CRED_INBOUND),
        )
    })
}

/// One side of a handshake: its context handle once it has one, deleted
/// when dropped.
pub struct Party {
    /// The package.
    pub package: Package,
    /// The initiator (InitializeSecurityContext) or the acceptor.
    pub initiator: bool,
    /// The context, once a call created it.
    pub ctx: Option<CtxtHandle>,
    /// The context attributes the last successful call returned.
    pub attrs: u32,
    /// ISC_REQ_* or ASC_REQ_* flags.
    pub req: u32,
}

/// A handshake call's status and output token.
pub struct Step {
    /// What the call returned.
    pub status: i32,
    /// The token it produced (empty for none).
    pub token: Vec<u8>,
}

impl Party {
    /// A party that has not called yet.
    pub fn new(package: Package, initiator: bool, req: u32) -> Self {
        Party {
            package,
            initiator,
            ctx: None,
            attrs: 0,
            req,
        }
    }

    /// One InitializeSecurityContext or AcceptSecurityContext call with
    /// `input` as its token (none on the initiator's first call), and an
    /// EMPTY buffer after it for SECBUFFER_EXTRA.
    pub fn step(&mut self, input: Option<&[u8]>) -> Step {
        let (client, server) = credentials(self.package);
        let mut cred = if self.initiator { client } else { server };
        let mut in_token = input.map(<[u8]>::to_vec).unwrap_or_default();
        let mut in_bufs = [
            SecBuffer {
                cbBuffer: in_token.len() as u32,
                BufferType: SECBUFFER_TOKEN,
                pvBuffer: in_token.as_mut_ptr().cast(),
            },
            SecBuffer {
                cbBuffer: 0,
                BufferType: SECBUFFER_EMPTY,
                pvBuffer: null_mut(),
            },
        ];
        let mut in_desc = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 2,
            pBuffers: in_bufs.as_mut_ptr(),
        };
        let mut room = vec![0u8; TOKEN_ROOM];
        let allocate = self.req & ISC_REQ_ALLOCATE_MEMORY != 0;
        let mut out_buf = SecBuffer {
            cbBuffer: if allocate { 0 } else { room.len() as u32 },
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: if allocate {
                null_mut()
            } else {
                room.as_mut_ptr().cast()
            },
        };
        let mut out_desc = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 1,
            pBuffers: &mut out_buf,
        };
        let mut ctx = self.ctx.unwrap_or(CtxtHandle {
            dwLower: 0,
            dwUpper: 0,
        });
        let mut new_ctx = CtxtHandle {
            dwLower: 0,
            dwUpper: 0,
        };
        let mut attrs = 0u32;
        let ctx_ptr: *mut CtxtHandle = if self.ctx.is_some() {
            &mut ctx
        } else {
            null_mut()
        };
        let in_ptr: *mut SecBufferDesc = if input.is_some() {
            &mut in_desc
        } else {
            null_mut()
        };
        // SAFETY: every pointer is a live local or NULL; the buffers hold
        // their stated lengths.
        let status = unsafe {
            if self.initiator {
                InitializeSecurityContextA(
                    &mut cred,
                    ctx_ptr,
                    TARGET.as_ptr().cast_mut().cast(),
                    self.req,
                    0,
                    SECURITY_NATIVE_DREP,
                    in_ptr,
                    0,
                    &mut new_ctx,
                    &mut out_desc,
                    &mut attrs,
                    null_mut(),
                )
            } else {
                AcceptSecurityContext(
                    &mut cred,
                    ctx_ptr,
                    in_ptr,
                    self.req,
                    SECURITY_NATIVE_DREP,
                    &mut new_ctx,
                    &mut out_desc,
                    &mut attrs,
                    null_mut(),
                )
            }
        };
        if self.ctx.is_none() && (status == SEC_E_OK || status == SEC_I_CONTINUE_NEEDED) {
            self.ctx = Some(new_ctx);
        }
        let len = out_buf.cbBuffer as usize;
        let token = if out_buf.pvBuffer.is_null() || len == 0 {
            Vec::new()
        } else if allocate {
            // SAFETY: the library allocated `len` bytes there.
            let t = unsafe { std::slice::from_raw_parts(out_buf.pvBuffer.cast::<u8>(), len) };
            t.to_vec()
        } else {
            assert!(len <= room.len(), "token longer than its buffer");
            room[..len].to_vec()
        };
        if allocate && !out_buf.pvBuffer.is_null() {
            // SAFETY: allocated by the library for this call.
            assert_eq!(unsafe { FreeContextBuffer(out_buf.pvBuffer) }, SEC_E_OK);
        }
        if status == SEC_E_OK || status == SEC_I_CONTINUE_NEEDED {
            self.attrs = attrs;
        }
        Step { status, token }
    }

    /// The context handle (which must exist).
    pub fn handle(&self) -> CtxtHandle {
        self.ctx.expect("a context")
    }
}

impl Drop for Party {
    fn drop(&mut self) {
        if let Some(mut ctx) = self.ctx.take() {
            // SAFETY: a handle this party created.
            let status = unsafe { DeleteSecurityContext(&mut ctx) };
            assert_eq!(status, SEC_E_OK, "DeleteSecurityContext");
        }
    }
}

/// A handshake's end: both parties, and whether both completed.
pub struct Handshake {
    /// The initiator.
    pub client: Party,
    /// The acceptor.
    pub server: Party,
    /// Both returned SEC_E_OK and no token is left to deliver.
    pub complete: bool,
}

/// Runs a handshake, letting `edit` change each token (numbered from 0, the
/// initiator's first) before it is delivered.
pub fn handshake(
    package: Package,
    client_req: u32,
    server_req: u32,
    mut edit: impl FnMut(usize, &mut Vec<u8>),
) -> Handshake {
    let mut client = Party::new(package, true, client_req);
    let mut server = Party::new(package, false, server_req);
    let first = client.step(None);
    let mut done = (first.status == SEC_E_OK, false);
    if first.status != SEC_I_CONTINUE_NEEDED && first.status != SEC_E_OK {
        return Handshake {
            client,
            server,
            complete: false,
        };
    }
    let mut token = first.token;
    let mut leg = 0;
    let mut to_server = true;
    while !token.is_empty() && leg < 8 {
        edit(leg, &mut token);
        let party = if to_server { &mut server } else { &mut client };
        let step = party.step(Some(&token));
        match step.status {
            SEC_E_OK => {
                if to_server {
                    done.1 = true
                } else {
                    done.0 = true
                }
            }
            SEC_I_CONTINUE_NEEDED => {}
            _ => {
                return Handshake {
                    client,
                    server,
                    complete: false,
                }
            }
        }
        token = step.token;
        to_server = !to_server;
        leg += 1;
    }
    Handshake {
        complete: done.0 && done.1 && token.is_empty(),
        client,
        server,
    }
}

/// The session key of a complete context.
pub fn session_key(ctx: CtxtHandle) -> Vec<u8> {
    let mut ctx = ctx;
    let mut key = SecPkgContext_SessionKey {
        SessionKeyLength: 0,
        SessionKey: null_mut(),
    };
    // SAFETY: a live context and a writable structure of the attribute's type.
    let status = unsafe {
        QueryContextAttributesA(
            &mut ctx,
            SECPKG_ATTR_SESSION_KEY,
            (&mut key as *mut SecPkgContext_SessionKey).cast(),
        )
    };
    assert_eq!(status, SEC_E_OK, "SESSION_KEY");
    // SAFETY: the library allocated SessionKeyLength bytes.
    let bytes =
        unsafe { std::slice::from_raw_parts(key.SessionKey, key.SessionKeyLength as usize) }
            .to_vec();
    // SAFETY: allocated by the library.
    assert_eq!(
        unsafe { FreeContextBuffer(key.SessionKey.cast()) },
        SEC_E_OK
    );
    bytes
}

/// The user name a complete acceptor context authenticated.
pub fn user_name(ctx: CtxtHandle) -> String {
    let mut ctx = ctx;
    let mut names = SecPkgContext_NamesA {
        sUserName: null_mut(),
    };
    // SAFETY: a live context and a writable structure of the attribute's type.
    let status = unsafe {
        QueryContextAttributesA(
            &mut ctx,
            SECPKG_ATTR_NAMES,
            (&mut names as *mut SecPkgContext_NamesA).cast(),
        )
    };
    assert_eq!(status, SEC_E_OK, "NAMES");
    // SAFETY: a NUL-terminated string the library allocated.
    let name = unsafe { std::ffi::CStr::from_ptr(names.sUserName.cast()) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: allocated by the library.
    assert_eq!(
        unsafe { FreeContextBuffer(names.sUserName.cast()) },
        SEC_E_OK
    );
    name
}

/// Seals (or signs) `plain` on `from` and opens it on `to`: the statuses of
/// both calls, and what `to` recovered.
pub fn protect(from: CtxtHandle, to: CtxtHandle, seal: bool, plain: &[u8]) -> (i32, i32, Vec<u8>) {
    let (mut from, mut to) = (from, to);
    let mut sig = [0u8; 16];
    let mut data = plain.to_vec();
    let mut bufs = [
        SecBuffer {
            cbBuffer: 16,
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: sig.as_mut_ptr().cast(),
        },
        SecBuffer {
            cbBuffer: data.len() as u32,
            BufferType: SECBUFFER_DATA,
            pvBuffer: data.as_mut_ptr().cast(),
        },
    ];
    let mut desc = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 2,
        pBuffers: bufs.as_mut_ptr(),
    };
    // SAFETY: live contexts and buffers holding their stated lengths.
    unsafe {
        let sent = if seal {
            EncryptMessage(&mut from, 0, &mut desc, 0)
        } else {
            MakeSignature(&mut from, 0, &mut desc, 0)
        };
        if sent != SEC_E_OK {
            return (sent, SEC_E_OK, Vec::new());
        }
        let got = if seal {
            DecryptMessage(&mut to, &mut desc, 0, null_mut())
        } else {
            VerifySignature(&mut to, &mut desc, 0, null_mut())
        };
        (sent, got, data)
    }
}

/// Exports a context (the handle stays valid).
pub fn export(ctx: CtxtHandle) -> Vec<u8> {
    let mut ctx = ctx;
    let mut packed = SecBuffer {
        cbBuffer: 0,
        BufferType: SECBUFFER_EMPTY,
        pvBuffer: null_mut(),
    };
    // SAFETY: a live context and a writable SecBuffer.
    let status = unsafe { ExportSecurityContext(&mut ctx, 0, &mut packed, null_mut()) };
    assert_eq!(status, SEC_E_OK, "ExportSecurityContext");
    // SAFETY: the library allocated cbBuffer bytes.
    let blob = unsafe {
        std::slice::from_raw_parts(packed.pvBuffer.cast::<u8>(), packed.cbBuffer as usize)
    }
    .to_vec();
    // SAFETY: allocated by the library.
    assert_eq!(unsafe { FreeContextBuffer(packed.pvBuffer) }, SEC_E_OK);
    blob
}

/// Imports an exported context; `None` when refused.
pub fn import(package: Package, blob: &[u8]) -> Option<Party> {
    let mut data = blob.to_vec();
    let mut packed = SecBuffer {
        cbBuffer: data.len() as u32,
        BufferType: SECBUFFER_EMPTY,
        pvBuffer: data.as_mut_ptr().cast(),
    };
    let mut ctx = CtxtHandle {
        dwLower: 0,
        dwUpper: 0,
    };
    // SAFETY: a live SecBuffer over `data`, a writable handle.
    let status = unsafe {
        opensspi::abi::context_api::ImportSecurityContextA(
            package.name().as_ptr().cast_mut().cast(),
            &mut packed,
            null_mut::<c_void>(),
            &mut ctx,
        )
    };
    (status == SEC_E_OK).then(|| Party {
        package,
        initiator: false,
        ctx: Some(ctx),
        attrs: 0,
        req: 0,
    })
}

/// Every protection an initiator can ask for.
pub const ALL_ISC: u32 = ISC_REQ_CONFIDENTIALITY
    | ISC_REQ_INTEGRITY
    | ISC_REQ_REPLAY_DETECT
    | ISC_REQ_SEQUENCE_DETECT
    | ISC_REQ_CONNECTION
    | ISC_REQ_MUTUAL_AUTH;

/// Every protection an acceptor can ask for.
pub const ALL_ASC: u32 = ASC_REQ_CONFIDENTIALITY
    | ASC_REQ_INTEGRITY
    | ASC_REQ_REPLAY_DETECT
    | ASC_REQ_SEQUENCE_DETECT
    | ASC_REQ_CONNECTION
    | ASC_REQ_MUTUAL_AUTH;

/// The exported client and server contexts of one complete handshake per
/// package with every protection, made once (the environment is
/// deterministic under the `fuzzing` feature, so these are too).
pub fn established(package: Package) -> &'static (Vec<u8>, Vec<u8>) {
    static NTLM: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    static NEGOTIATE: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    let cell = match package {
        Package::Ntlm => &NTLM,
        Package::Negotiate => &NEGOTIATE,
    };
    cell.get_or_init(|| {
        let h = handshake(package, ALL_ISC, ALL_ASC, |_, _| {});
        assert!(h.complete, "the reference handshake completes");
        (export(h.client.handle()), export(h.server.handle()))
    })
}
