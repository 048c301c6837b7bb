//! Bounds-checked little-endian reads and writes on byte slices. Every read
//! of peer data goes through these, so a short or hostile input yields
//! `Error::InvalidToken` instead of a panic.

use super::error::Error;

/// `len` bytes of `buf` starting at `offset`, or `InvalidToken`.
pub fn bytes(buf: &[u8], offset: usize, len: usize) -> Result<&[u8], Error> {
    let end = offset.checked_add(len).ok_or(Error::InvalidToken)?;
    buf.get(offset..end).ok_or(Error::InvalidToken)
}

/// `N` bytes of `buf` starting at `offset`, as an array, or `InvalidToken`.
pub fn array<const N: usize>(buf: &[u8], offset: usize) -> Result<[u8; N], Error> {
    let slice = bytes(buf, offset, N)?;
    <[u8; N]>::try_from(slice).map_err(|_| Error::InvalidToken)
}

/// The little-endian `u16` at `offset`.
pub fn u16_at(buf: &[u8], offset: usize) -> Result<u16, Error> {
    array::<2>(buf, offset).map(u16::from_le_bytes)
}

/// The little-endian `u32` at `offset`.
pub fn u32_at(buf: &[u8], offset: usize) -> Result<u32, Error> {
    array::<4>(buf, offset).map(u32::from_le_bytes)
}

/// Overwrites `buf[offset..offset + data.len()]` with `data`. Used only on
/// buffers this crate sized itself; an out-of-range write is reported as
/// `Internal` rather than panicking.
pub fn put(buf: &mut [u8], offset: usize, data: &[u8]) -> Result<(), Error> {
    let end = offset.checked_add(data.len()).ok_or(Error::Internal)?;
    let dest = buf.get_mut(offset..end).ok_or(Error::Internal)?;
    dest.copy_from_slice(data);
    Ok(())
}

/// A forward-only cursor over a byte slice for reading consecutive fields.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    /// The next `len` bytes.
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        let out = bytes(self.buf, self.pos, len)?;
        self.pos += len;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let out = array::<N>(self.buf, self.pos)?;
        self.pos += N;
        Ok(out)
    }

    /// The next byte.
    pub fn u8(&mut self) -> Result<u8, Error> {
        self.array::<1>().map(|[b]| b)
    }

    /// The next little-endian `u16`.
    pub fn u16(&mut self) -> Result<u16, Error> {
        self.array::<2>().map(u16::from_le_bytes)
    }

    /// The next little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, Error> {
        self.array::<4>().map(u32::from_le_bytes)
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounds_checked() {
        let buf = [1u8, 2, 3, 4, 5];
        assert_eq!(u16_at(&buf, 0), Ok(0x0201));
        assert_eq!(u32_at(&buf, 1), Ok(0x0504_0302));
        assert_eq!(u32_at(&buf, 2), Err(Error::InvalidToken));
        assert_eq!(bytes(&buf, usize::MAX, 2), Err(Error::InvalidToken));
        assert_eq!(bytes(&buf, 5, 0), Ok(&[][..]));
        let mut c = Cursor::new(&buf);
        assert_eq!(c.u8(), Ok(1));
        assert_eq!(c.u32(), Ok(0x0504_0302));
        assert_eq!(c.remaining(), 0);
        assert_eq!(c.u8(), Err(Error::InvalidToken));
    }

    #[test]
    fn put_is_bounds_checked() {
        let mut buf = [0u8; 4];
        assert_eq!(put(&mut buf, 2, &[7, 8]), Ok(()));
        assert_eq!(buf, [0, 0, 7, 8]);
        assert_eq!(put(&mut buf, 3, &[1, 2]), Err(Error::Internal));
    }
}
