//! A bounds-checked little-endian reader for binary evidence formats.

use crate::tdx::quote::QuoteError;

/// Reads fields from a byte slice; every read is bounds-checked and reports the field name.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, offset: 0 }
    }

    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.offset)
    }

    pub(crate) fn truncated(&self, field: &'static str, needed: usize) -> QuoteError {
        QuoteError::Truncated {
            field,
            offset: self.offset,
            needed,
            available: self.remaining(),
        }
    }

    pub(crate) fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], QuoteError> {
        let end = self
            .offset
            .checked_add(n)
            .ok_or_else(|| self.truncated(field, n))?;
        let out = self
            .data
            .get(self.offset..end)
            .ok_or_else(|| self.truncated(field, n))?;
        self.offset = end;
        Ok(out)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], QuoteError> {
        let s = self.take(field, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, QuoteError> {
        Ok(u16::from_le_bytes(self.array::<2>(field)?))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, QuoteError> {
        Ok(u32::from_le_bytes(self.array::<4>(field)?))
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = self.data.get(self.offset..).unwrap_or_default();
        self.offset = self.data.len();
        out
    }
}
