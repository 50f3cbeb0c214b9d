//! A bounds-checked little-endian reader for binary evidence formats.
//!
//! The reader is generic over the error type of the format being parsed: every failed read
//! produces a [`Truncated`] (field, offset, bytes needed, bytes left), converted with `From`.
//! `Reader::with_error` makes one for any format whose error implements `From<Truncated>` (the
//! TDX quote parser's `QuoteReader`, the SPDM and opaque-data parsers). This module depends on
//! no format.

use std::marker::PhantomData;

/// A read that ran past the end of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Truncated {
    /// Field being read.
    pub(crate) field: &'static str,
    /// Offset of the field.
    pub(crate) offset: usize,
    /// Bytes the field needs.
    pub(crate) needed: usize,
    /// Bytes left.
    pub(crate) available: usize,
}

/// Reads fields from a byte slice; every read is bounds-checked and reports the field name.
pub(crate) struct Reader<'a, E> {
    data: &'a [u8],
    offset: usize,
    _error: PhantomData<fn() -> E>,
}

#[allow(dead_code)] // not every format uses every read
impl<'a, E: From<Truncated>> Reader<'a, E> {
    /// A reader whose errors are `E`.
    pub(crate) fn with_error(data: &'a [u8]) -> Self {
        Reader {
            data,
            offset: 0,
            _error: PhantomData,
        }
    }

    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.offset)
    }

    pub(crate) fn truncated(&self, field: &'static str, needed: usize) -> E {
        E::from(Truncated {
            field,
            offset: self.offset,
            needed,
            available: self.remaining(),
        })
    }

    pub(crate) fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], E> {
        let Some(end) = self.offset.checked_add(n) else {
            return Err(self.truncated(field, n));
        };
        let Some(out) = self.data.get(self.offset..end) else {
            return Err(self.truncated(field, n));
        };
        self.offset = end;
        Ok(out)
    }

    pub(crate) fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], E> {
        let s = self.take(field, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, E> {
        let [b] = self.array::<1>(field)?;
        Ok(b)
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, E> {
        Ok(u16::from_le_bytes(self.array::<2>(field)?))
    }

    /// A 24-bit little-endian integer (SPDM lengths).
    pub(crate) fn u24(&mut self, field: &'static str) -> Result<u32, E> {
        let [a, b, c] = self.array::<3>(field)?;
        Ok(u32::from_le_bytes([a, b, c, 0]))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, E> {
        Ok(u32::from_le_bytes(self.array::<4>(field)?))
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = self.data.get(self.offset..).unwrap_or_default();
        self.offset = self.data.len();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct TestError(Truncated);

    impl From<Truncated> for TestError {
        fn from(t: Truncated) -> Self {
            TestError(t)
        }
    }

    #[test]
    fn reads_are_bounds_checked() {
        let data = [1u8, 2, 3, 4, 5, 6];
        let mut r: Reader<'_, TestError> = Reader::with_error(&data);
        assert_eq!(r.u8("a").unwrap(), 1);
        assert_eq!(r.u24("b").unwrap(), 0x04_0302);
        assert_eq!(r.u16("c").unwrap(), 0x0605);
        assert_eq!(
            r.u8("d").unwrap_err(),
            TestError(Truncated {
                field: "d",
                offset: 6,
                needed: 1,
                available: 0
            })
        );
        let mut r: Reader<'_, TestError> = Reader::with_error(&data);
        assert!(r.take("huge", usize::MAX).is_err());
        assert_eq!(r.offset(), 0);
        assert_eq!(r.rest(), &data);
    }
}

/// Lower-case hex of `bytes`: `hex::encode` without its per-character iterator (claims and
/// checks carry many hex values; this is measurably cheaper on the warm scan path).
pub(crate) fn to_hex(bytes: impl AsRef<[u8]>) -> String {
    // A nibble is < 16, so `from_digit` never fails; '0' keeps the function total.
    let digit = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
    let bytes = bytes.as_ref();
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    for &b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0f));
    }
    out
}

#[cfg(test)]
mod hex_tests {
    #[test]
    fn to_hex_equals_hex_encode() {
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(super::to_hex(&all), crate::bytes::to_hex(&all));
        assert_eq!(super::to_hex([]), "");
    }
}
