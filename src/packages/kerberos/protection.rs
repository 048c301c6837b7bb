//! MakeSignature, VerifySignature, EncryptMessage and DecryptMessage for a
//! Kerberos context, in SSPI's buffer layouts over RFC 4121's tokens:
//!
//! - signatures: the MIC token of the DATA buffers, in the TOKEN buffer;
//! - EncryptMessage over [TOKEN, DATA..., PADDING]: the Wrap token's
//!   header, rotated trailer and confounder in TOKEN (cbSecurityTrailer),
//!   the data's ciphertext in place, PADDING left empty (EC is 0);
//!   SECQOP_WRAP_NO_ENCRYPT (KERB_WRAP_NO_ENCRYPT) for integrity only;
//! - DecryptMessage over [TOKEN, DATA...] (the token is TOKEN then DATA), or
//!   [STREAM, DATA] (the whole token in STREAM; DATA is pointed at the
//!   plaintext inside it).

use super::context::KerberosContext;
use super::session::TokenError;
use crate::package::{is_read_only, MessageStatus, SecBuf, SecResult, Unprotected};
use crate::vocabulary::*;

fn status(e: TokenError) -> i32 {
    match e {
        TokenError::Malformed => SEC_E_INVALID_TOKEN,
        TokenError::Altered => SEC_E_MESSAGE_ALTERED,
        TokenError::Sequence => SEC_E_OUT_OF_SEQUENCE,
    }
}

/// The DATA buffers' contents, in order: what a MIC covers.
fn data_parts<'m>(msg: &'m [SecBuf<'_>]) -> Vec<&'m [u8]> {
    msg.iter()
        .filter(|b| b.kind() == SECBUFFER_DATA)
        .map(|b| &b.data()[..b.len()])
        .collect()
}

fn token_index(msg: &[SecBuf<'_>]) -> SecResult<usize> {
    msg.iter()
        .position(|b| b.kind() == SECBUFFER_TOKEN)
        .ok_or_else(|| SEC_E_INVALID_TOKEN.into())
}

/// MakeSignature: the MIC of every DATA buffer, into the TOKEN buffer.
pub fn make_signature(
    ctx: &mut KerberosContext,
    qop: u32,
    msg: &mut [SecBuf<'_>],
) -> SecResult<()> {
    if qop != 0 {
        return Err(SEC_E_QOP_NOT_SUPPORTED.into());
    }
    let est = ctx.established_mut()?;
    let t = token_index(msg)?;
    let need = est.session.mic_len();
    if is_read_only(msg[t].attrs()) || msg[t].data().len() < need {
        return Err(SEC_E_BUFFER_TOO_SMALL.into());
    }
    let parts = data_parts(msg);
    let mic = est
        .session
        .mic(&parts)
        .map_err(|e| crate::package::Error::from(status(e)))?;
    let out = msg[t].data_mut().ok_or(SEC_E_BUFFER_TOO_SMALL)?;
    out[..mic.len()].copy_from_slice(&mic);
    msg[t].set_len(mic.len());
    Ok(())
}

/// VerifySignature.
pub fn verify_signature(
    ctx: &mut KerberosContext,
    msg: &mut [SecBuf<'_>],
) -> SecResult<Unprotected> {
    let est = ctx.established_mut()?;
    let t = token_index(msg)?;
    let parts = data_parts(msg);
    let token = &msg[t].data()[..msg[t].len()];
    est.session
        .verify_mic(&parts, token)
        .map_err(|e| crate::package::Error::from(status(e)))?;
    Ok(Unprotected {
        qop: Some(0),
        status: MessageStatus::Ok,
    })
}

/// EncryptMessage.
pub fn encrypt(
    ctx: &mut KerberosContext,
    qop: u32,
    msg: &mut [SecBuf<'_>],
    confounder: &[u8],
) -> SecResult<()> {
    let sealed = match qop {
        0 => true,
        SECQOP_WRAP_NO_ENCRYPT => false,
        _ => return Err(SEC_E_QOP_NOT_SUPPORTED.into()),
    };
    let est = ctx.established_mut()?;
    let t = token_index(msg)?;
    if msg
        .iter()
        .any(|b| b.kind() == SECBUFFER_DATA && is_read_only(b.attrs()))
    {
        // Sign-only DATA buffers (DCE RPC's) are not supported yet.
        return Err(SEC_E_UNSUPPORTED_FUNCTION.into());
    }
    let data_len: usize = data_parts(msg).iter().map(|p| p.len()).sum();
    let head_len = est.session.wrap_head_len(sealed, data_len);
    if is_read_only(msg[t].attrs()) || msg[t].data().len() < head_len {
        return Err(SEC_E_BUFFER_TOO_SMALL.into());
    }
    // RFC 4757's padding byte needs a PADDING buffer with room for it.
    let pad_len = est.session.wrap_padding_len();
    let p = msg.iter().position(|b| b.kind() == SECBUFFER_PADDING);
    if pad_len > 0
        && !p.is_some_and(|p| !is_read_only(msg[p].attrs()) && msg[p].data().len() >= pad_len)
    {
        return Err(SEC_E_BUFFER_TOO_SMALL.into());
    }
    let wrapped = est
        .session
        .wrap(&data_parts(msg), sealed, confounder)
        .map_err(|e| crate::package::Error::from(status(e)))?;
    let out = msg[t].data_mut().ok_or(SEC_E_BUFFER_TOO_SMALL)?;
    out[..head_len].copy_from_slice(wrapped.head);
    msg[t].set_len(head_len);
    let mut at = 0;
    for b in msg.iter_mut().filter(|b| b.kind() == SECBUFFER_DATA) {
        let n = b.len();
        let dst = b.data_mut().ok_or(SEC_E_INTERNAL_ERROR)?;
        dst[..n].copy_from_slice(&wrapped.data[at..at + n]);
        at += n;
    }
    // The first PADDING buffer takes the padding; any other is emptied.
    let mut padding = Some(wrapped.padding);
    for b in msg.iter_mut().filter(|b| b.kind() == SECBUFFER_PADDING) {
        let pad = padding.take().unwrap_or_default();
        if let Some(dst) = b.data_mut() {
            dst[..pad.len()].copy_from_slice(pad);
        }
        b.set_len(pad.len());
    }
    Ok(())
}

/// DecryptMessage.
pub fn decrypt(ctx: &mut KerberosContext, msg: &mut [SecBuf<'_>]) -> SecResult<Unprotected> {
    let est = ctx.established_mut()?;
    let qop = |sealed: bool| if sealed { 0 } else { SECQOP_WRAP_NO_ENCRYPT };
    let status = |e| crate::package::Error::from(status(e));
    if let Some(s) = msg.iter().position(|b| b.kind() == SECBUFFER_STREAM) {
        let d = msg
            .iter()
            .position(|b| b.kind() == SECBUFFER_DATA)
            .ok_or(SEC_E_INVALID_TOKEN)?;
        let stream_len = msg[s].len();
        let (plain, sealed) = est
            .session
            .unwrap(&[&msg[s].data()[..stream_len]])
            .map_err(status)?;
        let at = stream_len - plain.len();
        let out = msg[s].data_mut().ok_or(SEC_E_INVALID_TOKEN)?;
        out[at..stream_len].copy_from_slice(plain);
        msg[d].point_into(s, at, plain.len());
        return Ok(Unprotected {
            qop: Some(qop(sealed)),
            status: MessageStatus::Ok,
        });
    }
    let t = token_index(msg)?;
    let mut parts = data_parts(msg);
    parts.insert(0, &msg[t].data()[..msg[t].len()]);
    if est.session.wrap_padding_len() > 0 {
        // RFC 4757's token ends with its padding, in the PADDING buffers.
        parts.extend(
            msg.iter()
                .filter(|b| b.kind() == SECBUFFER_PADDING)
                .map(|b| &b.data()[..b.len()]),
        );
    }
    // Room for the plaintext: the DATA buffers (checked before the
    // sequence number counts, so that a failed call uses nothing up).
    let room: usize = data_parts(msg).iter().map(|p| p.len()).sum();
    let (plain, sealed) = est.session.unwrap_within(&parts, room).map_err(status)?;
    // The plaintext goes back into the DATA buffers in order; the last one
    // written reports the length it received.
    let mut at = 0;
    for b in msg.iter_mut().filter(|b| b.kind() == SECBUFFER_DATA) {
        let n = b.len().min(plain.len() - at);
        let dst = b.data_mut().ok_or(SEC_E_INVALID_TOKEN)?;
        dst[..n].copy_from_slice(&plain[at..at + n]);
        b.set_len(n);
        at += n;
    }
    if at != plain.len() {
        return Err(SEC_E_INVALID_TOKEN.into());
    }
    Ok(Unprotected {
        qop: Some(qop(sealed)),
        status: MessageStatus::Ok,
    })
}
