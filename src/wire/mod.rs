//! Pure codecs: bytes in, values out, and back.
//!
//! Nothing here does I/O or imports from the rest of the crate. Decoders take
//! [`bytes::Bytes`] (so sub-slices such as a BMP message's embedded BGP PDU
//! are shared, not copied) and never panic on any input; encoders write into
//! [`bytes::BytesMut`] and return an error rather than truncate.

pub mod bgp;
pub mod bmp;
mod family;
mod read;

pub use family::{Afi, Family, Safi};
pub(crate) use read::Take;
pub use read::Truncated;

/// Lower-case hex of `bytes`, for logs, JSON output and fixtures.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Serializes bytes as one lower-case hex string (serde `serialize_with`),
/// so JSON renderings of raw fields stay readable and exact.
pub fn serialize_hex<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&to_hex(bytes))
}

/// Parses hex (any case; whitespace and `:` between bytes ignored).
/// Returns `None` on an odd digit count or a non-hex character.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b':')
        .collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    let value = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    digits
        .chunks_exact(2)
        .map(|pair| Some(value(pair[0])? << 4 | value(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes = [0x00, 0x7f, 0xff, 0x10];
        assert_eq!(to_hex(&bytes), "007fff10");
        assert_eq!(from_hex("00 7F:ff10").as_deref(), Some(&bytes[..]));
    }

    #[test]
    fn hex_rejects_odd_and_bad_digits() {
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
