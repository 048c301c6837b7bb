//! AP-REQ and AP-REP in the GSS-API framing (RFC 4121 section 4.1), with
//! the authenticator's GSS checksum (channel-bindings hash and context
//! flags), subkeys and sequence numbers; and the acceptor's replay cache.

use std::collections::{BTreeSet, HashSet};

use der::asn1::ObjectIdentifier;
use der::Decode;

use super::crypto::Key;
use super::files::{CachedTicket, KeytabEntry, Principal};
use super::kdc::Now;
use super::messages::*;

/// The Kerberos V5 GSS-API mechanism (RFC 1964), and Microsoft's OID for
/// it, which Windows' SPNEGO lists first.
pub const KRB5_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113554.1.2.2");
pub const MS_KRB5_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.48018.1.2.2");

/// Inner token identifiers (RFC 4121 section 4.1).
pub const TOK_AP_REQ: [u8; 2] = [0x01, 0x00];
pub const TOK_AP_REP: [u8; 2] = [0x02, 0x00];
pub const TOK_ERROR: [u8; 2] = [0x03, 0x00];

/// Key usages (RFC 4120 section 7.5.1).
const USAGE_TICKET: u32 = 2;
const USAGE_AUTHENTICATOR: u32 = 11;
const USAGE_AP_REP: u32 = 12;

/// The GSS checksum's type (RFC 4121 section 4.1.1).
const GSS_CHECKSUM_TYPE: i32 = 0x8003;

/// GSS context flags carried in the checksum (RFC 2744).
#[allow(dead_code)] // DELEG: delegation is not offered yet
pub mod gss_flags {
    pub const DELEG: u32 = 1;
    pub const MUTUAL: u32 = 2;
    pub const REPLAY: u32 = 4;
    pub const SEQUENCE: u32 = 8;
    pub const CONF: u32 = 16;
    pub const INTEG: u32 = 32;
}

/// Why an AP exchange failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApError {
    /// Not well-formed (SEC_E_INVALID_TOKEN).
    Malformed(&'static str),
    /// No key in the keytab for the ticket's server, kvno and enctype.
    NoKey,
    /// The ticket did not decrypt with the service key.
    BadTicket,
    /// The authenticator or AP-REP failed its integrity check.
    Altered,
    /// The authenticator's time is outside the allowed skew.
    Skew,
    /// The ticket has expired or is not yet valid.
    Expired,
    /// An authenticator seen before.
    Replay,
    /// The channel bindings differ from the acceptor's.
    Bindings,
    /// The AP-REP does not answer our AP-REQ.
    Mutual,
    /// The peer sent a KRB-ERROR with this code.
    Krb(i32),
}

impl From<Malformed> for ApError {
    fn from(_: Malformed) -> Self {
        ApError::Malformed("not well-formed DER")
    }
}

/// `[APPLICATION 0] { OID, tok_id, body }` (RFC 2743 section 3.1).
pub fn frame(oid: &ObjectIdentifier, tok_id: [u8; 2], body: &[u8]) -> Vec<u8> {
    let mut out = frame_head(oid, tok_id, body.len());
    out.extend_from_slice(body);
    out
}

/// The framing's bytes up to and including the token id, for a body of
/// `body_len` bytes that follows them.
pub fn frame_head(oid: &ObjectIdentifier, tok_id: [u8; 2], body_len: usize) -> Vec<u8> {
    let oid_der = der::Encode::to_der(oid).expect("an OID encodes");
    let inner = oid_der.len() + 2 + body_len;
    let mut out = Vec::with_capacity(inner + 6);
    out.push(0x60);
    if inner < 0x80 {
        out.push(inner as u8);
    } else {
        let bytes = (inner as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(&oid_der);
    out.extend_from_slice(&tok_id);
    out
}

/// The mechanism OID, token id and body of a framed token; `None` when
/// the framing is malformed.
pub fn unframe(token: &[u8]) -> Option<(ObjectIdentifier, [u8; 2], &[u8])> {
    let (&first, rest) = token.split_first()?;
    if first != 0x60 {
        return None;
    }
    let (&len0, mut rest) = rest.split_first()?;
    let len = if len0 < 0x80 {
        usize::from(len0)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let v = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        rest = &rest[n..];
        v
    };
    let inner = rest.get(..len)?;
    let mut reader = der::SliceReader::new(inner).ok()?;
    let oid = ObjectIdentifier::decode(&mut reader).ok()?;
    let oid_len = der::Encode::encoded_len(&oid).ok()?;
    let after = inner.get(usize::try_from(oid_len).ok()?..)?;
    let tok_id: [u8; 2] = after.get(..2)?.try_into().ok()?;
    Some((oid, tok_id, &after[2..]))
}

/// The GSS checksum value: Lgth 16, the bindings hash, the flags
/// (RFC 4121 section 4.1.1).
fn gss_checksum(bindings: &[u8; 16], flags: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(24);
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(bindings);
    v.extend_from_slice(&flags.to_le_bytes());
    v
}

/// What the initiator keeps of its AP-REQ to check the AP-REP.
#[derive(Clone, Debug)]
pub struct SentApReq {
    pub ctime: u64,
    pub cusec: u32,
    pub subkey: Key,
    pub seq: u32,
}

/// The initiator's framed AP-REQ for `ticket`. `random` gives the
/// subkey, the sequence number and the confounder.
pub fn ap_req(
    ticket: &CachedTicket,
    bindings: &[u8; 16],
    flags: u32,
    now: Now,
    random: &mut dyn FnMut(&mut [u8]) -> bool,
) -> Result<(Vec<u8>, SentApReq), ApError> {
    let enctype = ticket.key.enctype;
    let mut subkey_bytes = zeroize::Zeroizing::new(vec![0u8; enctype.key_len()]);
    let mut seq_bytes = [0u8; 4];
    let mut confounder = vec![0u8; enctype.confounder_len()];
    if !(random(&mut subkey_bytes) && random(&mut seq_bytes) && random(&mut confounder)) {
        return Err(ApError::Malformed("no randomness"));
    }
    let subkey = Key::new(enctype, &subkey_bytes).map_err(|_| ApError::Malformed("subkey"))?;
    // Like MIT, keep the first number far from wrapping.
    let seq = u32::from_be_bytes(seq_bytes) & 0x3fff_ffff;
    let auth = Authenticator {
        authenticator_vno: PVNO,
        crealm: ticket.client.realm.as_str().into(),
        cname: ticket.client.name.clone(),
        cksum: Some(Checksum {
            cksumtype: GSS_CHECKSUM_TYPE,
            checksum: octets(gss_checksum(bindings, flags)),
        }),
        cusec: now.usec as i32,
        ctime: time(now.secs)?,
        subkey: Some(EncryptionKey {
            keytype: enctype.number(),
            keyvalue: octets(subkey.bytes().to_vec()),
        }),
        seq_number: Some(UInt32(seq)),
        authorization_data: None,
    };
    let auth_der = zeroize::Zeroizing::new(encode_app::<2, _>(&auth)?);
    let cipher = ticket
        .key
        .encrypt(USAGE_AUTHENTICATOR, &confounder, &auth_der)
        .map_err(|_| ApError::Malformed("encryption"))?;
    let mut options = Flags32::default();
    if flags & gss_flags::MUTUAL != 0 {
        options = options.with(ap_options::MUTUAL_REQUIRED);
    }
    let req = ApReq {
        pvno: PVNO,
        msg_type: msg_type::AP_REQ,
        ap_options: options,
        ticket: ticket.ticket.clone(),
        authenticator: EncryptedData {
            etype: enctype.number(),
            kvno: None,
            cipher: octets(cipher),
        },
    };
    let token = frame(&KRB5_OID, TOK_AP_REQ, &encode_app::<14, _>(&req)?);
    Ok((
        token,
        SentApReq {
            ctime: now.secs,
            cusec: now.usec,
            subkey,
            seq,
        },
    ))
}

/// What the initiator learns from the AP-REP: the acceptor's subkey and
/// first sequence number.
#[derive(Clone, Debug)]
pub struct ApRepInfo {
    pub subkey: Option<Key>,
    pub seq: Option<u32>,
}

/// Checks the acceptor's AP-REP (framed, or bare as DCE style sends it)
/// against what we sent, with the ticket's session key.
pub fn check_ap_rep(
    token: &[u8],
    session_key: &Key,
    sent: &SentApReq,
) -> Result<ApRepInfo, ApError> {
    let body = match unframe(token) {
        Some((oid, tok, body)) => {
            if oid != KRB5_OID && oid != MS_KRB5_OID {
                return Err(ApError::Malformed("not a Kerberos token"));
            }
            if tok == TOK_ERROR {
                let err = decode_app::<30, KrbError>(body)?;
                return Err(ApError::Krb(err.error_code));
            }
            if tok != TOK_AP_REP {
                return Err(ApError::Malformed("not an AP-REP"));
            }
            body
        }
        None => token,
    };
    let rep = decode_app::<15, ApRep>(body)?;
    if rep.pvno != PVNO || rep.msg_type != msg_type::AP_REP {
        return Err(ApError::Malformed("not an AP-REP"));
    }
    let plain = session_key
        .decrypt(USAGE_AP_REP, rep.enc_part.cipher.as_bytes())
        .map_err(|_| ApError::Altered)?;
    let part = decode_app::<27, EncApRepPart>(&plain)?;
    if secs(&part.ctime) != sent.ctime || part.cusec != sent.cusec as i32 {
        return Err(ApError::Mutual);
    }
    let subkey = part
        .subkey
        .map(|k| k.key().ok_or(ApError::Malformed("subkey")))
        .transpose()?;
    Ok(ApRepInfo {
        subkey,
        seq: part.seq_number.map(|s| s.0),
    })
}

/// The acceptor's replay cache (RFC 4120 section 3.2.3): the SHA-256 of
/// each authenticator's ciphertext (as MIT's replay cache keys its
/// entries), kept until its time could no longer pass the skew check.
#[derive(Debug, Default)]
pub struct ReplayCache {
    /// The digests, for lookup.
    digests: HashSet<[u8; 32]>,
    /// The same by authenticator time, for expiry.
    by_time: BTreeSet<(u64, [u8; 32])>,
}

/// The most entries a replay cache holds: 440 authentications a second
/// over the ten minutes an entry is kept with the default skew, in some
/// 30 MB. A flood of valid authenticators beyond it is refused rather than
/// grown without bound.
const MAX_REPLAY_ENTRIES: usize = 1 << 18;

impl ReplayCache {
    /// Records an authenticator made at `ctime`; `false` when it was seen
    /// before or the cache is full. Entries older than `now - 2 * skew`
    /// are dropped first.
    fn insert(&mut self, ctime: u64, digest: [u8; 32], now: u64, skew: u64) -> bool {
        let horizon = now.saturating_sub(skew);
        while let Some(&(t, d)) = self.by_time.first() {
            if t.saturating_add(skew) >= horizon {
                break;
            }
            self.by_time.pop_first();
            self.digests.remove(&d);
        }
        if self.digests.len() >= MAX_REPLAY_ENTRIES || !self.digests.insert(digest) {
            return false;
        }
        self.by_time.insert((ctime, digest));
        true
    }
}

/// What the acceptor learns from a valid AP-REQ.
#[derive(Debug)]
pub struct Accepted {
    pub client: Principal,
    pub server: Principal,
    pub session_key: Key,
    pub initiator_subkey: Option<Key>,
    pub initiator_seq: u32,
    /// The GSS flags of the checksum.
    pub flags: u32,
    /// The initiator asked for an AP-REP.
    pub mutual: bool,
    pub starttime: u64,
    pub endtime: u64,
    pub ctime: u64,
    pub cusec: i32,
}

/// Checks a framed AP-REQ with the keytab's keys: the ticket, the
/// authenticator, its time, the replay cache and the channel bindings
/// (`bindings`: the acceptor's hash, when it has bindings).
pub fn accept_ap_req(
    token: &[u8],
    keytab: &[KeytabEntry],
    bindings: Option<&[u8; 16]>,
    now: Now,
    skew: u64,
    replay: &parking_lot::Mutex<ReplayCache>,
) -> Result<Accepted, ApError> {
    let (oid, tok, body) = unframe(token).ok_or(ApError::Malformed("GSS framing"))?;
    if oid != KRB5_OID && oid != MS_KRB5_OID {
        return Err(ApError::Malformed("not a Kerberos token"));
    }
    if tok != TOK_AP_REQ {
        return Err(ApError::Malformed("not an AP-REQ"));
    }
    let req = decode_app::<14, ApReq>(body)?;
    if req.pvno != PVNO || req.msg_type != msg_type::AP_REQ {
        return Err(ApError::Malformed("not an AP-REQ"));
    }
    if req.ap_options.bit(ap_options::USE_SESSION_KEY) {
        return Err(ApError::Malformed("user-to-user is not supported"));
    }
    let ticket = req.ticket.fields()?;
    let enc = &ticket.enc_part;
    let candidates = keytab.iter().filter(|e| {
        e.enctype == enc.etype
            && e.principal.realm == ticket.realm.0
            && e.principal.name.same(&ticket.sname)
            && enc.kvno.is_none_or(|k| k.0 == e.kvno)
    });
    let mut any_key = false;
    let mut part = None;
    for entry in candidates {
        let Some(key) = &entry.key else { continue };
        any_key = true;
        if let Ok(plain) = key.decrypt(USAGE_TICKET, enc.cipher.as_bytes()) {
            part = Some(decode_app::<3, EncTicketPart>(&plain)?);
            break;
        }
    }
    let part = match part {
        Some(p) => p,
        None if any_key => return Err(ApError::BadTicket),
        None => return Err(ApError::NoKey),
    };
    let session_key = part.key.key().ok_or(ApError::Malformed("session key"))?;
    if req.authenticator.etype != session_key.enctype.number() {
        return Err(ApError::Malformed("authenticator enctype"));
    }
    let plain = session_key
        .decrypt(USAGE_AUTHENTICATOR, req.authenticator.cipher.as_bytes())
        .map_err(|_| ApError::Altered)?;
    let auth = decode_app::<2, Authenticator>(&plain)?;
    if auth.crealm != part.crealm || !auth.cname.same(&part.cname) {
        return Err(ApError::Malformed("authenticator names another client"));
    }
    let ctime = secs(&auth.ctime);
    if ctime.abs_diff(now.secs) > skew {
        return Err(ApError::Skew);
    }
    let start = part
        .starttime
        .as_ref()
        .map(secs)
        .unwrap_or(secs(&part.authtime));
    let end = secs(&part.endtime);
    if start > now.secs + skew || end + skew < now.secs {
        return Err(ApError::Expired);
    }
    let client = Principal {
        realm: part.crealm.0.clone(),
        name: part.cname.clone(),
    };
    let flags = match &auth.cksum {
        Some(c) if c.cksumtype == GSS_CHECKSUM_TYPE => {
            let v = c.checksum.as_bytes();
            if v.len() < 24 || v[..4] != 16u32.to_le_bytes() {
                return Err(ApError::Malformed("GSS checksum"));
            }
            let bnd: [u8; 16] = v[4..20]
                .try_into()
                .map_err(|_| ApError::Malformed("GSS checksum"))?;
            if let Some(ours) = bindings {
                // A client that sends no bindings (all zeros) is taken, as
                // Windows and MIT take it unless policy says otherwise.
                if bnd != [0; 16] && bnd != *ours {
                    return Err(ApError::Bindings);
                }
            }
            u32::from_le_bytes(
                v[20..24]
                    .try_into()
                    .map_err(|_| ApError::Malformed("flags"))?,
            )
        }
        _ => return Err(ApError::Malformed("no GSS checksum")),
    };
    let digest = ring::digest::digest(&ring::digest::SHA256, req.authenticator.cipher.as_bytes());
    let digest = digest.as_ref().try_into().map_err(|_| ApError::Replay)?;
    if !replay.lock().insert(ctime, digest, now.secs, skew) {
        return Err(ApError::Replay);
    }
    let initiator_subkey = auth
        .subkey
        .as_ref()
        .map(|k| k.key().ok_or(ApError::Malformed("subkey")))
        .transpose()?;
    let mutual = req.ap_options.bit(ap_options::MUTUAL_REQUIRED) || flags & gss_flags::MUTUAL != 0;
    Ok(Accepted {
        client,
        server: Principal {
            realm: ticket.realm.0.clone(),
            name: ticket.sname.clone(),
        },
        session_key,
        initiator_subkey,
        initiator_seq: auth.seq_number.map(|s| s.0).unwrap_or(0),
        flags,
        mutual,
        starttime: start,
        endtime: end,
        ctime,
        cusec: auth.cusec,
    })
}

/// The acceptor's framed AP-REP, with its subkey and first sequence
/// number.
pub fn ap_rep(
    accepted: &Accepted,
    subkey: Option<&Key>,
    seq: u32,
    confounder: &[u8],
) -> Result<Vec<u8>, ApError> {
    let part = EncApRepPart {
        ctime: time(accepted.ctime)?,
        cusec: accepted.cusec,
        subkey: subkey.map(|k| EncryptionKey {
            keytype: k.enctype.number(),
            keyvalue: octets(k.bytes().to_vec()),
        }),
        seq_number: Some(UInt32(seq)),
    };
    let plain = zeroize::Zeroizing::new(encode_app::<27, _>(&part)?);
    let cipher = accepted
        .session_key
        .encrypt(USAGE_AP_REP, confounder, &plain)
        .map_err(|_| ApError::Malformed("encryption"))?;
    let rep = ApRep {
        pvno: PVNO,
        msg_type: msg_type::AP_REP,
        enc_part: EncryptedData {
            etype: accepted.session_key.enctype.number(),
            kvno: None,
            cipher: octets(cipher),
        },
    };
    Ok(frame(&KRB5_OID, TOK_AP_REP, &encode_app::<15, _>(&rep)?))
}
