//! Reading a C structure's fields from its bytes, with C's layout rules on
//! this platform (each field aligned to its size, the whole to its largest
//! field): what the SSPI structures' declarations in sspi.h give.

use std::mem::size_of;

/// A field of a C structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// A 32-bit unsigned integer (ULONG).
    U32,
    /// A pointer.
    Ptr,
}

impl Field {
    const fn size(self) -> usize {
        match self {
            Field::U32 => 4,
            Field::Ptr => size_of::<usize>(),
        }
    }
}

const fn align(at: usize, to: usize) -> usize {
    at.div_ceil(to) * to
}

/// The size of a structure of these fields, trailing padding included.
pub const fn size_of_fields(fields: &[Field]) -> usize {
    let mut at = 0;
    let mut widest = 1;
    let mut i = 0;
    while i < fields.len() {
        let size = fields[i].size();
        at = align(at, size) + size;
        if size > widest {
            widest = size;
        }
        i += 1;
    }
    align(at, widest)
}

/// Reads a structure's fields in order from its bytes.
pub struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    /// The fields of `bytes`, from the first.
    pub fn new(bytes: &'a [u8]) -> Self {
        Fields { bytes, at: 0 }
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        self.at = align(self.at, N);
        let mut out = [0u8; N];
        if let Some(b) = self.bytes.get(self.at..self.at + N) {
            out.copy_from_slice(b);
        }
        self.at += N;
        out
    }

    /// The next field, a ULONG (0 beyond the bytes).
    pub fn u32(&mut self) -> u32 {
        u32::from_ne_bytes(self.take::<4>())
    }

    /// The next field, a pointer, as an address (0 beyond the bytes).
    pub fn ptr(&mut self) -> usize {
        usize::from_ne_bytes(self.take::<{ size_of::<usize>() }>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_follow_c_alignment() {
        use Field::*;
        let p = size_of::<usize>();
        assert_eq!(size_of_fields(&[U32]), 4);
        assert_eq!(size_of_fields(&[Ptr, U32]), 2 * p);
        assert_eq!(
            size_of_fields(&[U32, U32, Ptr, U32]),
            if p == 8 { 24 } else { 16 }
        );
        let mut bytes = vec![0u8; 2 * p];
        bytes[..4].copy_from_slice(&7u32.to_ne_bytes());
        bytes[p..2 * p].copy_from_slice(&0x1234usize.to_ne_bytes());
        let mut f = Fields::new(&bytes);
        assert_eq!((f.u32(), f.ptr()), (7, 0x1234));
        assert_eq!(f.u32(), 0, "past the end");
    }
}
