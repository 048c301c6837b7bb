//! Channel bindings (RFC 2744 section 3.11): the 16-byte hash an NTLM
//! client puts in MsvAvChannelBindings (MS-NLMP 3.1.5.1.2) and a Kerberos
//! client in its GSS checksum (RFC 4121 section 4.1.1.2), which the server
//! compares.

use md5::{Digest, Md5};

/// A SEC_CHANNEL_BINDINGS structure that is short, or whose offsets point
/// outside it (the packages report SEC_E_INVALID_TOKEN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadBindings;

fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

fn u32_at(buf: &[u8], at: usize) -> Result<u32, BadBindings> {
    let b = buf.get(at..at + 4).ok_or(BadBindings)?;
    Ok(u32::from_le_bytes(b.try_into().map_err(|_| BadBindings)?))
}

/// Size of the fixed part of SEC_CHANNEL_BINDINGS: eight 32-bit fields.
#[cfg(test)]
pub const SEC_CHANNEL_BINDINGS_HEADER_LEN: usize = 32;

/// The channel-binding hash of a gss_channel_bindings_struct: MD5 over
/// initiator address type and length and bytes, acceptor address type and
/// length and bytes, application data length and bytes (integers 32-bit
/// little-endian).
pub fn channel_bindings_hash_from_parts(
    initiator_addr_type: u32,
    initiator_addr: &[u8],
    acceptor_addr_type: u32,
    acceptor_addr: &[u8],
    application_data: &[u8],
) -> Result<[u8; 16], BadBindings> {
    let len = |data: &[u8]| -> Result<[u8; 4], BadBindings> {
        u32::try_from(data.len())
            .map(u32::to_le_bytes)
            .map_err(|_| BadBindings)
    };
    Ok(md5(&[
        &initiator_addr_type.to_le_bytes(),
        &len(initiator_addr)?,
        initiator_addr,
        &acceptor_addr_type.to_le_bytes(),
        &len(acceptor_addr)?,
        acceptor_addr,
        &len(application_data)?,
        application_data,
    ]))
}

/// The channel-binding hash of a SEC_CHANNEL_BINDINGS structure given as
/// raw bytes: the 32-byte header (dwInitiatorAddrType, cbInitiatorLength,
/// dwInitiatorOffset, dwAcceptorAddrType, cbAcceptorLength,
/// dwAcceptorOffset, cbApplicationDataLength, dwApplicationDataOffset)
/// followed by the data its offsets point to (offsets from the start of the
/// structure). `BadBindings` if the header is short or a range lies
/// outside `raw`.
pub fn channel_bindings_hash(raw: &[u8]) -> Result<[u8; 16], BadBindings> {
    let field = |len_at: usize| -> Result<&[u8], BadBindings> {
        let len = usize::try_from(u32_at(raw, len_at)?).map_err(|_| BadBindings)?;
        let offset = usize::try_from(u32_at(raw, len_at + 4)?).map_err(|_| BadBindings)?;
        if len == 0 {
            return Ok(&[]);
        }
        let end = offset.checked_add(len).ok_or(BadBindings)?;
        raw.get(offset..end).ok_or(BadBindings)
    };
    let initiator_type = u32_at(raw, 0)?;
    let initiator = field(4)?;
    let acceptor_type = u32_at(raw, 12)?;
    let acceptor = field(16)?;
    let application = field(24)?;
    channel_bindings_hash_from_parts(
        initiator_type,
        initiator,
        acceptor_type,
        acceptor,
        application,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sec_channel_bindings(app: &[u8]) -> Vec<u8> {
        let mut raw = vec![0u8; SEC_CHANNEL_BINDINGS_HEADER_LEN];
        raw[24..28].copy_from_slice(&(app.len() as u32).to_le_bytes());
        raw[28..32].copy_from_slice(&32u32.to_le_bytes());
        raw.extend_from_slice(app);
        raw
    }

    #[test]
    fn tls_server_end_point_hash() {
        // Only application data, as for TLS: the hash is MD5 of 20 zero
        // bytes (types and lengths), the data length, then the data.
        let app = b"tls-server-end-point:0123456789abcdef0123456789abcdef";
        let raw = sec_channel_bindings(app);
        let mut flat = vec![0u8; 16];
        flat.extend_from_slice(&(app.len() as u32).to_le_bytes());
        flat.extend_from_slice(app);
        assert_eq!(channel_bindings_hash(&raw), Ok(md5(&[&flat])));
        assert_eq!(
            channel_bindings_hash(&raw),
            channel_bindings_hash_from_parts(0, &[], 0, &[], app)
        );
    }

    #[test]
    fn addresses_are_included() {
        let mut raw = vec![0u8; 32];
        raw[0..4].copy_from_slice(&2u32.to_le_bytes());
        raw[4..8].copy_from_slice(&4u32.to_le_bytes());
        raw[8..12].copy_from_slice(&32u32.to_le_bytes());
        raw.extend_from_slice(&[127, 0, 0, 1]);
        assert_eq!(
            channel_bindings_hash(&raw),
            channel_bindings_hash_from_parts(2, &[127, 0, 0, 1], 0, &[], &[])
        );
    }

    #[test]
    fn malformed_structures() {
        assert_eq!(channel_bindings_hash(&[0; 31]), Err(BadBindings));
        let mut raw = sec_channel_bindings(b"abc");
        raw[24..28].copy_from_slice(&4u32.to_le_bytes());
        assert_eq!(channel_bindings_hash(&raw), Err(BadBindings));
        raw[24..28].copy_from_slice(&3u32.to_le_bytes());
        raw[28..32].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(channel_bindings_hash(&raw), Err(BadBindings));
    }
}
