//! MIT's credential files, read-only: the keytab (format 0x0502, and 0x0501
//! in big-endian order as MIT reads it) and the FILE credential cache
//! (format version 4, the one `kinit` writes; 3 is read too). Every length
//! is checked against the bytes present, so a hostile file can make the
//! parser allocate only in proportion to its own size.

use zeroize::Zeroizing;

use super::crypto::{Enctype, Key};
use super::messages::{KerberosString, PrincipalName, RawTicket};

/// A file that is not a well-formed keytab or cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadFile;

/// Big-endian reads over a file's bytes (and an exported context's).
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub(super) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub(super) fn take(&mut self, len: usize) -> Result<&'a [u8], BadFile> {
        let end = self.pos.checked_add(len).ok_or(BadFile)?;
        let out = self.buf.get(self.pos..end).ok_or(BadFile)?;
        self.pos = end;
        Ok(out)
    }
    pub(super) fn u8(&mut self) -> Result<u8, BadFile> {
        Ok(self.take(1)?[0])
    }
    pub(super) fn u16(&mut self) -> Result<u16, BadFile> {
        Ok(u16::from_be_bytes(
            self.take(2)?.try_into().map_err(|_| BadFile)?,
        ))
    }
    pub(super) fn u32(&mut self) -> Result<u32, BadFile> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().map_err(|_| BadFile)?,
        ))
    }
    /// Bytes preceded by a 16-bit length.
    pub(super) fn data16(&mut self) -> Result<&'a [u8], BadFile> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
    /// Bytes preceded by a 32-bit length.
    pub(super) fn data32(&mut self) -> Result<&'a [u8], BadFile> {
        let n = self.u32()?;
        self.take(usize::try_from(n).map_err(|_| BadFile)?)
    }
    pub(super) fn string16(&mut self) -> Result<String, BadFile> {
        text(self.data16()?)
    }
    pub(super) fn string32(&mut self) -> Result<String, BadFile> {
        text(self.data32()?)
    }
}

fn text(bytes: &[u8]) -> Result<String, BadFile> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| BadFile)
}

/// A principal and its realm, as the files hold them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub realm: String,
    pub name: PrincipalName,
}

impl Principal {
    /// `name@realm` as MIT writes it.
    pub fn text(&self) -> String {
        format!("{}@{}", self.name.text(), self.realm)
    }
}

/// One keytab entry.
#[derive(Clone, Debug)]
pub struct KeytabEntry {
    pub principal: Principal,
    /// The key version (the 32-bit field when present, else the 8-bit one).
    pub kvno: u32,
    /// The enctype's number, and the key when the enctype is supported.
    pub enctype: i32,
    pub key: Option<Key>,
}

/// Every entry of an MIT keytab (holes skipped). Entries of unsupported
/// enctypes are kept without their key, so that a lookup can say why it
/// found nothing.
pub fn parse_keytab(bytes: &[u8]) -> Result<Vec<KeytabEntry>, BadFile> {
    let mut r = Reader::new(bytes);
    let version = r.u16()?;
    if version != 0x0502 && version != 0x0501 {
        return Err(BadFile);
    }
    let mut entries = Vec::new();
    while r.remaining() > 0 {
        let size = r.u32()? as i32;
        if size <= 0 {
            // A hole left by a removed entry.
            r.take(size.unsigned_abs() as usize)?;
            continue;
        }
        let mut e = Reader::new(r.take(size as usize)?);
        let mut count = usize::from(e.u16()?);
        if version == 0x0501 {
            // Version 1 counts the realm among the components.
            count = count.checked_sub(1).ok_or(BadFile)?;
        }
        let realm = e.string16()?;
        let mut parts = Vec::new();
        for _ in 0..count {
            parts.push(KerberosString(e.string16()?));
        }
        let name_type = if version == 0x0502 {
            e.u32()? as i32
        } else {
            1
        };
        let _timestamp = e.u32()?;
        let vno8 = e.u8()?;
        let enctype = i32::from(e.u16()?);
        let key_bytes = e.data16()?;
        let kvno = if e.remaining() >= 4 {
            match e.u32()? {
                0 => u32::from(vno8),
                n => n,
            }
        } else {
            u32::from(vno8)
        };
        let key = Enctype::from_number(enctype).and_then(|t| Key::new(t, key_bytes).ok());
        entries.push(KeytabEntry {
            principal: Principal {
                realm,
                name: PrincipalName {
                    name_type,
                    name_string: parts,
                },
            },
            kvno,
            enctype,
            key,
        });
    }
    Ok(entries)
}

/// One credential of a cache: a ticket and what the client knows of it.
/// (`renew_till` and `flags` are for renewal and delegation, to come.)
#[allow(dead_code)]
#[derive(Clone, Debug)]
pub struct CachedTicket {
    pub client: Principal,
    pub server: Principal,
    pub key: Key,
    /// Unix seconds.
    pub authtime: u32,
    pub starttime: u32,
    pub endtime: u32,
    pub renew_till: u32,
    pub flags: u32,
    pub ticket: RawTicket,
}

/// An MIT FILE credential cache: its default principal and tickets.
#[derive(Clone, Debug)]
pub struct CredentialCache {
    pub principal: Principal,
    /// The KDC's clock minus ours, in seconds, when the cache records it.
    pub time_offset: Option<i64>,
    pub tickets: Vec<CachedTicket>,
}

fn cache_principal(r: &mut Reader<'_>, version: u16) -> Result<Principal, BadFile> {
    let name_type = if version == 0x0501 {
        1
    } else {
        r.u32()? as i32
    };
    let mut count = r.u32()? as usize;
    if version == 0x0501 {
        count = count.checked_sub(1).ok_or(BadFile)?;
    }
    let realm = r.string32()?;
    let mut parts = Vec::new();
    for _ in 0..count {
        // Each component takes at least its 4-byte length: a count beyond
        // what the file can hold is refused before anything is allocated.
        if r.remaining() < 4 {
            return Err(BadFile);
        }
        parts.push(KerberosString(r.string32()?));
    }
    Ok(Principal {
        realm,
        name: PrincipalName {
            name_type,
            name_string: parts,
        },
    })
}

/// Skips a list of (16-bit type, 32-bit-length data) items: addresses and
/// authorization data.
fn skip_list(r: &mut Reader<'_>) -> Result<(), BadFile> {
    let count = r.u32()?;
    for _ in 0..count {
        r.u16()?;
        r.data32()?;
    }
    Ok(())
}

/// Reads an MIT FILE cache (versions 3 and 4). Configuration entries
/// (`X-CACHECONF:` servers) and tickets of unsupported enctypes are
/// skipped.
pub fn parse_ccache(bytes: &[u8]) -> Result<CredentialCache, BadFile> {
    let mut r = Reader::new(bytes);
    let version = r.u16()?;
    if !(0x0503..=0x0504).contains(&version) {
        return Err(BadFile);
    }
    let mut time_offset = None;
    if version == 0x0504 {
        let mut h = Reader::new(r.data16()?);
        while h.remaining() > 0 {
            let tag = h.u16()?;
            let value = h.data16()?;
            if tag == 1 && value.len() == 8 {
                let secs = i32::from_be_bytes(value[..4].try_into().map_err(|_| BadFile)?);
                time_offset = Some(i64::from(secs));
            }
        }
    }
    let principal = cache_principal(&mut r, version)?;
    let mut tickets = Vec::new();
    while r.remaining() > 0 {
        let client = cache_principal(&mut r, version)?;
        let server = cache_principal(&mut r, version)?;
        let enctype = i32::from(r.u16()?);
        if version == 0x0503 {
            r.u16()?;
        }
        let key_bytes = Zeroizing::new(r.data32()?.to_vec());
        let authtime = r.u32()?;
        let starttime = r.u32()?;
        let endtime = r.u32()?;
        let renew_till = r.u32()?;
        let _is_skey = r.u8()?;
        let flags = r.u32()?;
        skip_list(&mut r)?;
        skip_list(&mut r)?;
        let ticket = r.data32()?;
        let _second_ticket = r.data32()?;
        if server.realm == "X-CACHECONF:" {
            continue;
        }
        let Some(key) = Enctype::from_number(enctype).and_then(|t| Key::new(t, &key_bytes).ok())
        else {
            continue;
        };
        tickets.push(CachedTicket {
            client,
            server,
            key,
            authtime,
            starttime,
            endtime,
            renew_till,
            flags,
            ticket: RawTicket(ticket.to_vec()),
        });
    }
    Ok(CredentialCache {
        principal,
        time_offset,
        tickets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(parts: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(&(parts.len() as u32 - 1).to_be_bytes());
        for p in parts {
            out.extend_from_slice(&(p.len() as u32).to_be_bytes());
            out.extend_from_slice(p.as_bytes());
        }
        out
    }

    #[test]
    fn a_keytab_entry_and_a_hole() {
        let mut entry = Vec::new();
        entry.extend_from_slice(&2u16.to_be_bytes());
        for s in ["EXAMPLE.ORG", "host", "web.example.org"] {
            entry.extend_from_slice(&(s.len() as u16).to_be_bytes());
            entry.extend_from_slice(s.as_bytes());
        }
        entry.extend_from_slice(&3u32.to_be_bytes()); // KRB5_NT_SRV_HST
        entry.extend_from_slice(&0u32.to_be_bytes());
        entry.push(4);
        entry.extend_from_slice(&17u16.to_be_bytes());
        entry.extend_from_slice(&16u16.to_be_bytes());
        entry.extend_from_slice(&[7; 16]);
        entry.extend_from_slice(&260u32.to_be_bytes());
        let mut kt = vec![0x05, 0x02];
        kt.extend_from_slice(&(-8i32).to_be_bytes());
        kt.extend_from_slice(&[0; 8]);
        kt.extend_from_slice(&(entry.len() as u32).to_be_bytes());
        kt.extend_from_slice(&entry);
        let entries = parse_keytab(&kt).unwrap();
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(e.principal.text(), "host/web.example.org@EXAMPLE.ORG");
        assert_eq!(e.principal.name.name_type, 3);
        assert_eq!((e.kvno, e.enctype), (260, 17));
        assert_eq!(e.key.as_ref().unwrap().bytes(), [7; 16]);
        // Every truncation is refused, never a panic.
        for n in 3..kt.len() {
            assert!(parse_keytab(&kt[..n]).is_err() || n == 2 + 4 + 8, "{n}");
        }
        assert_eq!(parse_keytab(&[0x05, 0x03]).unwrap_err(), BadFile);
    }

    #[test]
    fn a_v4_cache_with_a_config_entry_and_a_ticket() {
        let mut cc = vec![0x05, 0x04];
        cc.extend_from_slice(&12u16.to_be_bytes());
        cc.extend_from_slice(&1u16.to_be_bytes());
        cc.extend_from_slice(&8u16.to_be_bytes());
        cc.extend_from_slice(&(-5i32).to_be_bytes());
        cc.extend_from_slice(&0u32.to_be_bytes());
        cc.extend_from_slice(&name(&["R.TEST", "alice"]));
        let cred = |server: &[&str], ticket: &[u8]| {
            let mut c = name(&["R.TEST", "alice"]);
            c.extend_from_slice(&name(server));
            c.extend_from_slice(&18u16.to_be_bytes());
            c.extend_from_slice(&32u32.to_be_bytes());
            c.extend_from_slice(&[1; 32]);
            for t in [10u32, 11, 12, 13] {
                c.extend_from_slice(&t.to_be_bytes());
            }
            c.push(0);
            c.extend_from_slice(&0x4000_0000u32.to_be_bytes());
            c.extend_from_slice(&0u32.to_be_bytes());
            c.extend_from_slice(&0u32.to_be_bytes());
            c.extend_from_slice(&(ticket.len() as u32).to_be_bytes());
            c.extend_from_slice(ticket);
            c.extend_from_slice(&0u32.to_be_bytes());
            c
        };
        cc.extend_from_slice(&cred(
            &["X-CACHECONF:", "krb5_ccache_conf_data", "pa_type"],
            b"2",
        ));
        cc.extend_from_slice(&cred(&["R.TEST", "krbtgt", "R.TEST"], b"\x61\x00"));
        let cache = parse_ccache(&cc).unwrap();
        assert_eq!(cache.principal.text(), "alice@R.TEST");
        assert_eq!(cache.time_offset, Some(-5));
        assert_eq!(cache.tickets.len(), 1);
        let t = &cache.tickets[0];
        assert_eq!(t.server.text(), "krbtgt/R.TEST@R.TEST");
        assert_eq!((t.authtime, t.endtime, t.flags), (10, 12, 0x4000_0000));
        assert_eq!(t.ticket.0, b"\x61\x00");
        for n in 0..cc.len() {
            // A truncated cache is refused or stops at a whole ticket.
            if let Ok(c) = parse_ccache(&cc[..n]) {
                assert!(c.tickets.is_empty());
            }
        }
        // A component count beyond the file allocates nothing and fails.
        let mut huge = vec![0x05, 0x04, 0, 0];
        huge.extend_from_slice(&1u32.to_be_bytes());
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        huge.extend_from_slice(&0u32.to_be_bytes());
        assert_eq!(parse_ccache(&huge).unwrap_err(), BadFile);
    }
}
