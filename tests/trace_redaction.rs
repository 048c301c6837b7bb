//! OPENSSPI_TRACE never writes a secret: NTLM and Negotiate handshakes, a
//! wrong password, signing and sealing both ways, a tampered message,
//! session keys and exported contexts, all through the exports with
//! tracing on at its fullest; then the trace is searched for the password,
//! the NT hash, both session keys, the plaintext, the server challenge, the
//! NTProofStr, the encrypted session key, the signatures and the exported
//! contexts' key bytes, in UTF-8, UTF-16LE, raw bytes and hex (both cases).
//! Its own process: the variable is read once, at the first call.

use std::ptr::null_mut;

use md4::{Digest, Md4};
use opensspi::abi::context_api::{
    AcceptSecurityContext, DeleteSecurityContext, ExportSecurityContext,
    InitializeSecurityContextA, QueryContextAttributesA,
};
use opensspi::abi::credentials_api::{AcquireCredentialsHandleA, FreeCredentialsHandle};
use opensspi::abi::message_api::{DecryptMessage, EncryptMessage, MakeSignature, VerifySignature};
use opensspi::abi::packages_api::FreeContextBuffer;
use opensspi::abi::types::*;
use opensspi::vocabulary::*;

const PASSWORD: &str = "Tr4ce-Secr3t!pw";
const PLAINTEXT: &[u8] = b"plaintext that must never reach the trace";
const ZERO: SecHandle = SecHandle {
    dwLower: 0,
    dwUpper: 0,
};

fn acquire(package: &str, usage: u32, password: &str) -> SecHandle {
    let mut user = b"alice".to_vec();
    let mut domain = b"CORP".to_vec();
    let mut pw = password.as_bytes().to_vec();
    let mut id = SEC_WINNT_AUTH_IDENTITY_A {
        User: user.as_mut_ptr(),
        UserLength: 5,
        Domain: domain.as_mut_ptr(),
        DomainLength: 4,
        Password: pw.as_mut_ptr(),
        PasswordLength: pw.len() as u32,
        Flags: SEC_WINNT_AUTH_IDENTITY_ANSI,
    };
    let mut name = format!("{package}\0").into_bytes();
    let mut h = ZERO;
    // SAFETY: every pointer is a live local.
    let s = unsafe {
        AcquireCredentialsHandleA(
            null_mut(),
            name.as_mut_ptr().cast(),
            usage,
            null_mut(),
            (&mut id as *mut SEC_WINNT_AUTH_IDENTITY_A).cast(),
            None,
            null_mut(),
            &mut h,
            null_mut(),
        )
    };
    assert_eq!(s, SEC_E_OK);
    h
}

/// One handshake call; `(status, token out)`.
fn call(
    initiator: bool,
    cred: &mut SecHandle,
    ctx: &mut Option<SecHandle>,
    input: &[u8],
) -> (i32, Vec<u8>) {
    let mut inbuf = input.to_vec();
    let mut ib = SecBuffer {
        cbBuffer: inbuf.len() as u32,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: inbuf.as_mut_ptr().cast(),
    };
    let mut id = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 1,
        pBuffers: &mut ib,
    };
    let mut room = vec![0u8; 8192];
    let mut ob = SecBuffer {
        cbBuffer: room.len() as u32,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: room.as_mut_ptr().cast(),
    };
    let mut od = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 1,
        pBuffers: &mut ob,
    };
    let mut current = ctx.unwrap_or(ZERO);
    let mut new = ZERO;
    let mut attrs = 0;
    let req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT;
    let ctx_ptr: *mut SecHandle = if ctx.is_some() {
        &mut current
    } else {
        null_mut()
    };
    let in_ptr: *mut SecBufferDesc = if input.is_empty() {
        null_mut()
    } else {
        &mut id
    };
    let mut target = *b"HTTP/trace.example\0";
    // SAFETY: every pointer is a live local or NULL.
    let s = unsafe {
        if initiator {
            InitializeSecurityContextA(
                cred,
                ctx_ptr,
                target.as_mut_ptr().cast(),
                req,
                0,
                0,
                in_ptr,
                0,
                &mut new,
                &mut od,
                &mut attrs,
                null_mut(),
            )
        } else {
            AcceptSecurityContext(
                cred,
                ctx_ptr,
                in_ptr,
                req,
                0,
                &mut new,
                &mut od,
                &mut attrs,
                null_mut(),
            )
        }
    };
    if ctx.is_none() && (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED) {
        *ctx = Some(new);
    }
    room.truncate(ob.cbBuffer as usize);
    (s, room)
}

/// A handshake; every token, and both contexts (when made).
fn handshake(
    package: &str,
    client_password: &str,
) -> (Vec<Vec<u8>>, Option<SecHandle>, Option<SecHandle>, i32) {
    let mut cc = acquire(package, SECPKG_CRED_OUTBOUND, client_password);
    let mut sc = acquire(package, SECPKG_CRED_INBOUND, PASSWORD);
    let (mut c, mut s) = (None, None);
    let mut tokens = Vec::new();
    let (mut status, mut token) = call(true, &mut cc, &mut c, &[]);
    let mut to_server = true;
    while !token.is_empty() && tokens.len() < 8 {
        tokens.push(token.clone());
        let (st, out) = if to_server {
            call(false, &mut sc, &mut s, &token)
        } else {
            call(true, &mut cc, &mut c, &token)
        };
        status = st;
        if st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED {
            tokens.push(out);
            break;
        }
        token = out;
        to_server = !to_server;
    }
    // SAFETY: live credential handles.
    unsafe {
        FreeCredentialsHandle(&mut cc);
        FreeCredentialsHandle(&mut sc);
    }
    (tokens, c, s, status)
}

fn session_key(ctx: SecHandle) -> Vec<u8> {
    let mut ctx = ctx;
    let mut key = SecPkgContext_SessionKey {
        SessionKeyLength: 0,
        SessionKey: null_mut(),
    };
    // SAFETY: a live context; a writable structure.
    let s = unsafe {
        QueryContextAttributesA(
            &mut ctx,
            SECPKG_ATTR_SESSION_KEY,
            (&mut key as *mut SecPkgContext_SessionKey).cast(),
        )
    };
    assert_eq!(s, SEC_E_OK);
    // SAFETY: SessionKeyLength bytes the library allocated.
    let bytes =
        unsafe { std::slice::from_raw_parts(key.SessionKey, key.SessionKeyLength as usize) }
            .to_vec();
    // SAFETY: allocated by the library.
    unsafe { FreeContextBuffer(key.SessionKey.cast()) };
    bytes
}

fn export(ctx: SecHandle) -> Vec<u8> {
    let mut ctx = ctx;
    let mut packed = SecBuffer {
        cbBuffer: 0,
        BufferType: 0,
        pvBuffer: null_mut(),
    };
    // SAFETY: a live context; a writable SecBuffer.
    let status = unsafe { ExportSecurityContext(&mut ctx, 0, &mut packed, null_mut()) };
    assert_eq!(status, SEC_E_OK);
    // SAFETY: cbBuffer bytes the library allocated.
    let blob = unsafe {
        std::slice::from_raw_parts(packed.pvBuffer.cast::<u8>(), packed.cbBuffer as usize)
    }
    .to_vec();
    // SAFETY: allocated by the library.
    unsafe { FreeContextBuffer(packed.pvBuffer) };
    blob
}

/// Seals (or signs) the plaintext on `from`, opens it on `to` (tampered
/// first when asked); the signature bytes.
fn message(from: SecHandle, to: SecHandle, seal: bool, tamper: bool) -> Vec<u8> {
    let (mut from, mut to) = (from, to);
    let mut sig = [0u8; 16];
    let mut data = PLAINTEXT.to_vec();
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
    let mut d = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: 2,
        pBuffers: bufs.as_mut_ptr(),
    };
    // SAFETY: live contexts, buffers of their stated lengths.
    unsafe {
        let s = if seal {
            EncryptMessage(&mut from, 0, &mut d, 0)
        } else {
            MakeSignature(&mut from, 0, &mut d, 0)
        };
        assert_eq!(s, SEC_E_OK);
        let signature = sig.to_vec();
        if tamper {
            // Through the buffer's own pointer, as a peer's bytes would be.
            *bufs[0].pvBuffer.cast::<u8>().add(6) ^= 1;
        }
        let s = if seal {
            DecryptMessage(&mut to, &mut d, 0, null_mut())
        } else {
            VerifySignature(&mut to, &mut d, 0, null_mut())
        };
        assert_eq!(
            s,
            if tamper {
                SEC_E_MESSAGE_ALTERED
            } else {
                SEC_E_OK
            }
        );
        signature
    }
}

fn hex(bytes: &[u8], upper: bool) -> String {
    bytes
        .iter()
        .map(|b| {
            if upper {
                format!("{b:02X}")
            } else {
                format!("{b:02x}")
            }
        })
        .collect()
}

fn utf16(s: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(s)
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// Whether `needle` (at least 4 bytes of it) occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() >= 4 && hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_trace_holds_no_secret() {
    let path = std::env::temp_dir().join(format!("opensspi-trace-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&path);
    std::env::set_var("OPENSSPI_TRACE", &path);

    let mut secrets: Vec<(&str, Vec<u8>)> = vec![
        ("password", PASSWORD.as_bytes().to_vec()),
        ("plaintext", PLAINTEXT.to_vec()),
    ];
    let nt_hash = Md4::digest(utf16(PASSWORD.as_bytes())).to_vec();
    secrets.push(("NT hash", nt_hash));
    for package in ["NTLM", "Negotiate"] {
        let (tokens, c, s, status) = handshake(package, PASSWORD);
        assert_eq!(status, SEC_E_OK, "{package}");
        let (c, s) = (c.unwrap(), s.unwrap());
        // The raw NTLM messages' nonces and responses (raw NTLM only:
        // inside SPNEGO they sit at other offsets).
        if package == "NTLM" {
            secrets.push(("server challenge", tokens[1][24..32].to_vec()));
            let auth = &tokens[2];
            let at = |o: usize| u32::from_le_bytes(auth[o..o + 4].try_into().unwrap()) as usize;
            let nt = at(24);
            secrets.push(("NTProofStr", auth[nt..nt + 16].to_vec()));
            secrets.push((
                "client challenge",
                auth[nt + 16 + 16..nt + 16 + 24].to_vec(),
            ));
            let key = at(56);
            secrets.push(("encrypted session key", auth[key..key + 16].to_vec()));
            secrets.push(("MIC", auth[72..88].to_vec()));
        }
        secrets.push(("client session key", session_key(c)));
        secrets.push(("server session key", session_key(s)));
        for seal in [false, true] {
            secrets.push(("signature", message(c, s, seal, false)));
            secrets.push(("signature", message(s, c, seal, false)));
        }
        // Last: a tampered message leaves the sender a message ahead.
        let _ = message(c, s, true, true);
        let blob = export(c);
        secrets.push((
            "exported context (its last 32 bytes: key material)",
            blob[blob.len() - 32..].to_vec(),
        ));
        let (mut c, mut s) = (c, s);
        // SAFETY: live contexts.
        unsafe {
            DeleteSecurityContext(&mut c);
            DeleteSecurityContext(&mut s);
        }
        // A wrong password, then a stale handle.
        let (_, c, s, status) = handshake(package, "wrong-password");
        assert_eq!(status, SEC_E_LOGON_DENIED, "{package}");
        for mut h in [c, s].into_iter().flatten() {
            // SAFETY: a handle from this test.
            unsafe { DeleteSecurityContext(&mut h) };
        }
    }
    secrets.push(("wrong password", b"wrong-password".to_vec()));

    let trace = std::fs::read(&path).expect("the trace was written");
    let text = String::from_utf8_lossy(&trace);
    // The trace says what happened...
    assert!(text.contains("InitializeSecurityContextA"), "{text}");
    assert!(text.contains("NTLM received AUTHENTICATE ("), "{text}");
    assert!(
        text.contains("AUTHENTICATE refused: NTProofStr mismatch (wrong password or wrong user) [CORP\\alice]"),
        "{text}"
    );
    assert!(text.contains("-> SEC_E_MESSAGE_ALTERED"), "{text}");
    // ...and no secret, in any of the forms.
    for (what, secret) in &secrets {
        let forms = [
            ("raw", secret.clone()),
            ("UTF-16", utf16(secret)),
            ("hex", hex(secret, false).into_bytes()),
            ("HEX", hex(secret, true).into_bytes()),
            ("hex of UTF-16", hex(&utf16(secret), false).into_bytes()),
        ];
        for (form, bytes) in forms {
            assert!(
                !contains(&trace, &bytes),
                "{what} found in the trace as {form}"
            );
        }
    }
    // Mode 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let _ = std::fs::remove_file(&path);
}
