//! AV_PAIR lists (MS-NLMP 2.2.2.1): the CHALLENGE message's TargetInfo and
//! the AV pairs inside the client's NTLMv2 blob.

use super::error::Error;
use super::flags::{MSV_AV_EOL, MSV_AV_FLAGS, MSV_AV_TIMESTAMP};
use super::text::{from_utf16le, utf16le};
use super::wire::Cursor;

/// One attribute/value pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvPair<'a> {
    /// The AvId.
    pub id: u16,
    /// The value bytes.
    pub value: &'a [u8],
}

/// A validated AV pair list: every pair lies within the input and the list
/// ends with MsvAvEOL. Bytes after MsvAvEOL are ignored.
#[derive(Debug, Clone, Copy)]
pub struct AvList<'a> {
    /// The pairs before MsvAvEOL, still in wire form.
    body: &'a [u8],
}

impl<'a> AvList<'a> {
    /// Validates `data` as an AV pair list. An empty input is an empty list
    /// (a CHALLENGE without TargetInfo); otherwise a pair running past the
    /// end or a missing MsvAvEOL is `InvalidToken`.
    pub fn parse(data: &'a [u8]) -> Result<Self, Error> {
        if data.is_empty() {
            return Ok(AvList { body: data });
        }
        let mut cursor = Cursor::new(data);
        let mut body_len = 0usize;
        loop {
            let id = cursor.u16()?;
            let len = usize::from(cursor.u16()?);
            cursor.take(len)?;
            if id == MSV_AV_EOL {
                break;
            }
            body_len += 4 + len;
        }
        let body = data.get(..body_len).ok_or(Error::InvalidToken)?;
        Ok(AvList { body })
    }

    /// The pairs in order, without MsvAvEOL.
    pub fn iter(&self) -> AvIter<'a> {
        AvIter {
            cursor: Cursor::new(self.body),
        }
    }

    /// The value of the first pair with `id`.
    pub fn get(&self, id: u16) -> Option<&'a [u8]> {
        self.iter().find(|p| p.id == id).map(|p| p.value)
    }

    /// The first pair with `id` decoded as UTF-16LE; `None` if absent or
    /// not valid UTF-16.
    pub fn get_string(&self, id: u16) -> Option<String> {
        self.get(id).and_then(|v| from_utf16le(v).ok())
    }

    /// MsvAvTimestamp, if present and 8 bytes long.
    pub fn timestamp(&self) -> Option<u64> {
        let value = self.get(MSV_AV_TIMESTAMP)?;
        <[u8; 8]>::try_from(value).ok().map(u64::from_le_bytes)
    }

    /// MsvAvFlags, or 0 if absent or not 4 bytes long.
    pub fn av_flags(&self) -> u32 {
        self.get(MSV_AV_FLAGS)
            .and_then(|v| <[u8; 4]>::try_from(v).ok())
            .map_or(0, u32::from_le_bytes)
    }
}

/// Iterator over a validated list's pairs.
#[derive(Debug, Clone)]
pub struct AvIter<'a> {
    cursor: Cursor<'a>,
}

impl<'a> Iterator for AvIter<'a> {
    type Item = AvPair<'a>;

    fn next(&mut self) -> Option<AvPair<'a>> {
        // The list was validated by `AvList::parse`; a failure here only
        // means the end.
        let id = self.cursor.u16().ok()?;
        let len = usize::from(self.cursor.u16().ok()?);
        let value = self.cursor.take(len).ok()?;
        Some(AvPair { id, value })
    }
}

/// Builds an AV pair list; `finish` appends MsvAvEOL.
#[derive(Debug, Default, Clone)]
pub struct AvListBuilder {
    buf: Vec<u8>,
}

impl AvListBuilder {
    /// An empty list.
    pub fn new() -> Self {
        AvListBuilder::default()
    }

    /// Appends a pair; `InvalidParameter` if the value exceeds 65535 bytes.
    pub fn push(&mut self, id: u16, value: &[u8]) -> Result<&mut Self, Error> {
        let len = u16::try_from(value.len()).map_err(|_| Error::InvalidParameter)?;
        self.buf.extend_from_slice(&id.to_le_bytes());
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(value);
        Ok(self)
    }

    /// Appends a pair whose value is `value` in UTF-16LE.
    pub fn push_str(&mut self, id: u16, value: &str) -> Result<&mut Self, Error> {
        self.push(id, &utf16le(value))
    }

    /// The list in wire form, terminated by MsvAvEOL.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&[0, 0, 0, 0]);
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::super::flags::{MSV_AV_NB_COMPUTER_NAME, MSV_AV_NB_DOMAIN_NAME};
    use super::*;

    #[test]
    fn build_and_parse() {
        let mut b = AvListBuilder::new();
        b.push_str(MSV_AV_NB_DOMAIN_NAME, "Domain").expect("fits");
        b.push_str(MSV_AV_NB_COMPUTER_NAME, "Server").expect("fits");
        b.push(MSV_AV_TIMESTAMP, &0x0102_0304_0506_0708u64.to_le_bytes())
            .expect("fits");
        b.push(MSV_AV_FLAGS, &2u32.to_le_bytes()).expect("fits");
        let bytes = b.finish();
        let list = AvList::parse(&bytes).expect("valid");
        assert_eq!(list.iter().count(), 4);
        assert_eq!(
            list.get_string(MSV_AV_NB_DOMAIN_NAME).as_deref(),
            Some("Domain")
        );
        assert_eq!(
            list.get_string(MSV_AV_NB_COMPUTER_NAME).as_deref(),
            Some("Server")
        );
        assert_eq!(list.timestamp(), Some(0x0102_0304_0506_0708));
        assert_eq!(list.av_flags(), 2);
        // Anything after MsvAvEOL is ignored.
        let mut padded = bytes.clone();
        padded.extend_from_slice(&[0, 0, 0, 0, 0xff]);
        assert_eq!(AvList::parse(&padded).expect("valid").iter().count(), 4);
    }

    #[test]
    fn malformed_lists() {
        assert_eq!(AvList::parse(&[]).expect("empty").iter().count(), 0);
        // No MsvAvEOL.
        assert!(AvList::parse(&[2, 0, 2, 0, b'a', 0]).is_err());
        // Value runs past the end.
        assert!(AvList::parse(&[2, 0, 9, 0, b'a', 0, 0, 0, 0, 0]).is_err());
        // Truncated header.
        assert!(AvList::parse(&[0, 0, 0]).is_err());
        let good = AvListBuilder::new().finish();
        assert!(AvList::parse(&good).is_ok());
    }
}
