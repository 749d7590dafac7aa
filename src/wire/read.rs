//! Checked reads from a [`Bytes`] buffer.
//!
//! Every decoder reads through [`Take`], so running out of input is an
//! `Err`/`None`, never a panic. Each codec maps [`Truncated`] to the error its
//! protocol defines for that place (a BGP length error knows its subcode).

use bytes::{Buf, Bytes};

/// The input ended before the field being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncated;

impl std::fmt::Display for Truncated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("input ends in the middle of a field")
    }
}

impl std::error::Error for Truncated {}

/// Checked big-endian reads that consume from the front of the buffer.
pub(crate) trait Take {
    /// One octet.
    fn take_u8(&mut self) -> Result<u8, Truncated>;
    /// Two octets, network order.
    fn take_u16(&mut self) -> Result<u16, Truncated>;
    /// Four octets, network order.
    fn take_u32(&mut self) -> Result<u32, Truncated>;
    /// Eight octets, network order.
    fn take_u64(&mut self) -> Result<u64, Truncated>;
    /// `n` octets as a shared slice (no copy).
    fn take_bytes(&mut self, n: usize) -> Result<Bytes, Truncated>;
    /// Exactly `N` octets copied into an array.
    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], Truncated>;
}

impl Take for Bytes {
    fn take_u8(&mut self) -> Result<u8, Truncated> {
        self.try_get_u8().map_err(|_| Truncated)
    }

    fn take_u16(&mut self) -> Result<u16, Truncated> {
        self.try_get_u16().map_err(|_| Truncated)
    }

    fn take_u32(&mut self) -> Result<u32, Truncated> {
        self.try_get_u32().map_err(|_| Truncated)
    }

    fn take_u64(&mut self) -> Result<u64, Truncated> {
        self.try_get_u64().map_err(|_| Truncated)
    }

    fn take_bytes(&mut self, n: usize) -> Result<Bytes, Truncated> {
        if self.len() < n {
            return Err(Truncated);
        }
        Ok(self.split_to(n))
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], Truncated> {
        let mut out = [0u8; N];
        self.try_copy_to_slice(&mut out).map_err(|_| Truncated)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_checked() {
        let mut buf = Bytes::from_static(&[1, 2, 3]);
        assert_eq!(buf.take_u16(), Ok(0x0102));
        assert_eq!(buf.take_u16(), Err(Truncated));
        assert_eq!(buf.take_u8(), Ok(3));
        assert_eq!(buf.take_bytes(1), Err(Truncated));
    }
}
