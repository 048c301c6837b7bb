//! MakeSignature, VerifySignature, EncryptMessage and DecryptMessage over a
//! message's buffers, as Windows' NTLM treats them:
//!
//! - the signature goes in (or comes from) the first SECBUFFER_TOKEN
//!   buffer, which must hold at least 16 bytes;
//! - every SECBUFFER_DATA buffer is covered by the signature, in order;
//!   those marked READONLY or READONLY_WITH_CHECKSUM are signed but never
//!   encrypted; other buffer types are ignored;
//! - connection-oriented NTLM keeps its own sequence numbers, so the
//!   caller's MessageSeqNo is ignored;
//! - EncryptMessage seals even when asked for SECQOP_WRAP_NO_ENCRYPT: NTLM
//!   has no way to tell the peer a message is not encrypted, and Windows
//!   seals it (the peer's DecryptMessage returns the plaintext);
//! - VerifySignature and DecryptMessage report no quality of protection:
//!   the caller's `pfQOP` is left as it was, as on Windows.
//!
//! No heap allocation: the buffer views live on the stack.

use smallvec::SmallVec;

use super::context::{status_of, NtlmContext};
use super::session::{has_integrity, Part, SessionSecurity, SIGNATURE_LEN};
use crate::package::{is_read_only, MicPolicy, SecBuf, SecResult, Unprotected};
use crate::vocabulary::*;

/// Slices of a message, on the stack for up to eight buffers.
type Parts<'a, T> = SmallVec<[T; 8]>;

/// The index of the first SECBUFFER_TOKEN buffer.
fn token_index(msg: &[SecBuf<'_>]) -> SecResult<usize> {
    msg.iter()
        .position(|b| b.kind() == SECBUFFER_TOKEN)
        .ok_or(SEC_E_INVALID_TOKEN.into())
}

/// The bytes of every DATA buffer, in order.
fn data_parts<'m>(msg: &'m [SecBuf<'_>]) -> Parts<'m, &'m [u8]> {
    msg.iter()
        .filter(|b| b.kind() == SECBUFFER_DATA)
        .map(SecBuf::data)
        .collect()
}

/// Writes a signature into the token buffer, which must be writable and
/// hold 16 bytes (else SEC_E_BUFFER_TOO_SMALL).
fn put_signature(token: &mut SecBuf<'_>, sig: &[u8; SIGNATURE_LEN]) -> SecResult<()> {
    let room = token.data_mut().ok_or(SEC_E_INVALID_TOKEN)?;
    room.get_mut(..SIGNATURE_LEN)
        .ok_or(SEC_E_BUFFER_TOO_SMALL)?
        .copy_from_slice(sig);
    token.set_len(SIGNATURE_LEN);
    Ok(())
}

/// The received signature: the token buffer's first 16 bytes.
fn signature(token: &SecBuf<'_>) -> SecResult<[u8; SIGNATURE_LEN]> {
    token
        .data()
        .first_chunk::<SIGNATURE_LEN>()
        .copied()
        .ok_or(SEC_E_INVALID_TOKEN.into())
}

/// The index of the token buffer a signature is written to, checked before
/// signing so that a failure consumes no sequence number: too small is
/// SEC_E_BUFFER_TOO_SMALL, read-only SEC_E_INVALID_TOKEN (never written).
fn output_token(msg: &mut [SecBuf<'_>]) -> SecResult<usize> {
    let tok = token_index(msg)?;
    if msg[tok].data().len() < SIGNATURE_LEN {
        return Err(SEC_E_BUFFER_TOO_SMALL.into());
    }
    if msg[tok].data_mut().is_none() {
        return Err(SEC_E_INVALID_TOKEN.into());
    }
    Ok(tok)
}

/// MakeSignature.
pub fn make_signature(ctx: &mut NtlmContext, qop: u32, msg: &mut [SecBuf<'_>]) -> SecResult<()> {
    if qop != 0 {
        return Err(SEC_E_QOP_NOT_SUPPORTED.into());
    }
    let session = ctx.established_mut()?.session_mut();
    let tok = output_token(msg)?;
    let sig = session.sign(&data_parts(msg));
    put_signature(&mut msg[tok], &sig)
}

/// VerifySignature (no quality of protection reported).
pub fn verify_signature(ctx: &mut NtlmContext, msg: &mut [SecBuf<'_>]) -> SecResult<Unprotected> {
    let session = ctx.established_mut()?.session_mut();
    let sig = signature(&msg[token_index(msg)?])?;
    session.verify(&data_parts(msg), &sig).map_err(status_of)?;
    Ok(Unprotected::default())
}

/// The DATA buffers as seal/unseal parts: writable ones encrypted, read-only
/// ones signed only. The token buffer is left out.
fn seal_parts<'m, 'b>(msg: &'m mut [SecBuf<'b>], tok: usize) -> Parts<'m, Part<'m>> {
    let mut parts = Parts::new();
    for (i, b) in msg.iter_mut().enumerate() {
        if i == tok || b.kind() != SECBUFFER_DATA {
            continue;
        }
        if is_read_only(b.attrs()) {
            let b: &'m SecBuf<'b> = b;
            parts.push(Part::SignOnly(b.data()));
        } else if let Some(data) = b.data_mut() {
            parts.push(Part::Encrypt(data));
        }
    }
    parts
}

/// EncryptMessage.
pub fn encrypt(ctx: &mut NtlmContext, qop: u32, msg: &mut [SecBuf<'_>]) -> SecResult<()> {
    if qop != 0 && qop != SECQOP_WRAP_NO_ENCRYPT {
        return Err(SEC_E_QOP_NOT_SUPPORTED.into());
    }
    let session = ctx.established_mut()?.session_mut();
    if !session.has_integrity() {
        return Err(SEC_E_UNSUPPORTED_FUNCTION.into());
    }
    let tok = output_token(msg)?;
    let sig = session.seal(&mut seal_parts(msg, tok)).map_err(status_of)?;
    put_signature(&mut msg[tok], &sig)
}

/// DecryptMessage (no quality of protection reported).
pub fn decrypt(ctx: &mut NtlmContext, msg: &mut [SecBuf<'_>]) -> SecResult<Unprotected> {
    let session = ctx.established_mut()?.session_mut();
    if !session.has_integrity() {
        return Err(SEC_E_UNSUPPORTED_FUNCTION.into());
    }
    if let Some(stream) = msg.iter().position(|b| b.kind() == SECBUFFER_STREAM) {
        return decrypt_stream(session, msg, stream);
    }
    let tok = token_index(msg)?;
    let sig = signature(&msg[tok])?;
    session
        .unseal(&mut seal_parts(msg, tok), &sig)
        .map_err(status_of)?;
    Ok(Unprotected::default())
}

/// DecryptMessage over a SECBUFFER_STREAM holding the whole message (the
/// signature, then the ciphertext), as EncryptMessage's TOKEN and DATA
/// buffers concatenated: decrypted in place, and the message's first
/// SECBUFFER_DATA buffer is pointed at the plaintext inside the stream.
/// SEC_E_INVALID_TOKEN without a DATA buffer, or for a stream shorter than
/// a signature.
fn decrypt_stream(
    session: &mut SessionSecurity,
    msg: &mut [SecBuf<'_>],
    stream: usize,
) -> SecResult<Unprotected> {
    let data = msg
        .iter()
        .position(|b| b.kind() == SECBUFFER_DATA)
        .ok_or(SEC_E_INVALID_TOKEN)?;
    let whole = msg[stream].data_mut().ok_or(SEC_E_INVALID_TOKEN)?;
    if whole.len() < SIGNATURE_LEN {
        return Err(SEC_E_INVALID_TOKEN.into());
    }
    let total = whole.len();
    let (sig, body) = whole.split_at_mut(SIGNATURE_LEN);
    let sig: [u8; SIGNATURE_LEN] = (&*sig).try_into().map_err(|_| SEC_E_INVALID_TOKEN)?;
    session
        .unseal(&mut [Part::Encrypt(body)], &sig)
        .map_err(status_of)?;
    msg[data].point_into(stream, SIGNATURE_LEN, total - SIGNATURE_LEN);
    Ok(Unprotected::default())
}

/// SPNEGO's mechListMIC over `mech_types` (MS-SPNG 3.3.5.1).
pub fn mech_list_mic(ctx: &mut NtlmContext, mech_types: &[u8]) -> SecResult<Vec<u8>> {
    let session = ctx.established_mut()?.session_mut();
    let sig = session.mech_list_mic(mech_types).map_err(status_of)?;
    Ok(sig.to_vec())
}

/// Checks the peer's mechListMIC over `mech_types`.
pub fn verify_mech_list_mic(ctx: &mut NtlmContext, mech_types: &[u8], mic: &[u8]) -> SecResult<()> {
    let session = ctx.established_mut()?.session_mut();
    session
        .verify_mech_list_mic(mech_types, mic)
        .map_err(status_of)
}

/// What an NTLM context brings to SPNEGO's mechListMIC: real MICs when
/// signing or sealing was negotiated, made mandatory by a MIC in
/// AUTHENTICATE (MS-SPNG, and what MIT's gss-ntlmssp, Samba and pyspnego
/// require); the dummy signature otherwise, as Windows sends then.
pub fn mech_list_mic_policy(ctx: &NtlmContext) -> MicPolicy {
    match ctx.established() {
        Err(_) => MicPolicy::None,
        Ok(est) if !has_integrity(est.flags()) => MicPolicy::Placeholder,
        Ok(est) if est.has_mic() => MicPolicy::Required,
        Ok(_) => MicPolicy::Optional,
    }
}
