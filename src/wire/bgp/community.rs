//! COMMUNITIES (type 8, RFC 1997), EXTENDED COMMUNITIES (type 16,
//! RFC 4360) and LARGE_COMMUNITY (type 32, RFC 8092).
//!
//! ```text
//! Community:  | AS (2) | Value (2) |
//! Extended:   | Type (1) | Sub-Type (1) | Value (6) |
//! Large:      | Global Administrator (4) | Local Data 1 (4) | Local Data 2 (4) |
//! ```
//!
//! The attribute value is a list of these; a length that is zero or not a
//! multiple of the item size is malformed (RFC 7606 §7.8, §7.14; RFC 8092
//! §6).

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::wire::Take;

/// A standard community, rendered `"AS:value"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "String")]
pub struct Community(pub u32);

impl Community {
    /// NO_EXPORT (RFC 1997).
    pub const NO_EXPORT: Community = Community(0xffff_ff01);
    /// NO_ADVERTISE (RFC 1997).
    pub const NO_ADVERTISE: Community = Community(0xffff_ff02);
    /// NO_EXPORT_SUBCONFED (RFC 1997).
    pub const NO_EXPORT_SUBCONFED: Community = Community(0xffff_ff03);
    /// GRACEFUL_SHUTDOWN (RFC 8326).
    pub const GRACEFUL_SHUTDOWN: Community = Community(0xffff_0000);
    /// LLGR_STALE (RFC 9494).
    pub const LLGR_STALE: Community = Community(0xffff_0006);
    /// NO_LLGR (RFC 9494).
    pub const NO_LLGR: Community = Community(0xffff_0007);
    /// BLACKHOLE (RFC 7999).
    pub const BLACKHOLE: Community = Community(0xffff_029a);

    /// From the AS and value halves.
    pub fn new(asn: u16, value: u16) -> Community {
        Community(u32::from(asn) << 16 | u32::from(value))
    }
}

impl fmt::Display for Community {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.0 >> 16, self.0 & 0xffff)
    }
}

impl From<Community> for String {
    fn from(c: Community) -> String {
        c.to_string()
    }
}

/// An extended community: 8 raw octets, rendered as hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "String")]
pub struct ExtendedCommunity(pub [u8; 8]);

impl ExtendedCommunity {
    /// The Type octet (high bits: IANA authority, transitivity).
    pub fn type_high(&self) -> u8 {
        self.0[0]
    }

    /// The Sub-Type octet.
    pub fn subtype(&self) -> u8 {
        self.0[1]
    }
}

impl fmt::Display for ExtendedCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::wire::to_hex(&self.0))
    }
}

impl From<ExtendedCommunity> for String {
    fn from(c: ExtendedCommunity) -> String {
        c.to_string()
    }
}

/// A large community, rendered `"global:local1:local2"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "String")]
pub struct LargeCommunity {
    /// Global Administrator (an ASN).
    pub global_admin: u32,
    /// Local Data Part 1.
    pub local_data_1: u32,
    /// Local Data Part 2.
    pub local_data_2: u32,
}

impl fmt::Display for LargeCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.global_admin, self.local_data_1, self.local_data_2
        )
    }
}

impl From<LargeCommunity> for String {
    fn from(c: LargeCommunity) -> String {
        c.to_string()
    }
}

/// Communities from a non-empty multiple of 4 octets.
pub fn decode_communities(value: &[u8]) -> Option<Vec<Community>> {
    if value.is_empty() || value.len() % 4 != 0 {
        return None;
    }
    Some(
        value
            .chunks_exact(4)
            .map(|c| Community(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
    )
}

/// Extended communities from a non-empty multiple of 8 octets.
pub fn decode_extended(value: &Bytes) -> Option<Vec<ExtendedCommunity>> {
    if value.is_empty() || value.len() % 8 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(value.len() / 8);
    let mut rest = value.clone();
    while !rest.is_empty() {
        out.push(ExtendedCommunity(rest.take_u64().ok()?.to_be_bytes()));
    }
    Some(out)
}

/// Large communities from a non-empty multiple of 12 octets.
pub fn decode_large(value: &[u8]) -> Option<Vec<LargeCommunity>> {
    if value.is_empty() || value.len() % 12 != 0 {
        return None;
    }
    let word = |c: &[u8], i: usize| -> Option<u32> {
        Some(u32::from_be_bytes(*c.get(i..i + 4)?.first_chunk::<4>()?))
    };
    value
        .chunks_exact(12)
        .map(|c| {
            Some(LargeCommunity {
                global_admin: word(c, 0)?,
                local_data_1: word(c, 4)?,
                local_data_2: word(c, 8)?,
            })
        })
        .collect()
}

/// Appends communities.
pub fn encode_communities(items: &[Community], out: &mut BytesMut) {
    for c in items {
        out.put_u32(c.0);
    }
}

/// Appends extended communities.
pub fn encode_extended(items: &[ExtendedCommunity], out: &mut BytesMut) {
    for c in items {
        out.put_slice(&c.0);
    }
}

/// Appends large communities.
pub fn encode_large(items: &[LargeCommunity], out: &mut BytesMut) {
    for c in items {
        out.put_u32(c.global_admin);
        out.put_u32(c.local_data_1);
        out.put_u32(c.local_data_2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::from_hex;

    #[test]
    fn communities_golden() {
        let bytes = from_hex("fde80064 ffffff01").expect("hex");
        let expected = vec![Community::new(65000, 100), Community::NO_EXPORT];
        assert_eq!(decode_communities(&bytes), Some(expected.clone()));
        let mut out = BytesMut::new();
        encode_communities(&expected, &mut out);
        assert_eq!(&out[..], &bytes[..]);
        assert_eq!(expected[0].to_string(), "65000:100");
        assert_eq!(
            serde_json::to_string(&expected).expect("json"),
            r#"["65000:100","65535:65281"]"#
        );
    }

    #[test]
    fn extended_communities_golden() {
        // Route target 65000:100 (type 0x00, subtype 0x02, RFC 4360 §3.1).
        let bytes = from_hex("0002fde800000064").expect("hex");
        let decoded = decode_extended(&Bytes::from(bytes.clone())).expect("decodes");
        assert_eq!(
            decoded,
            vec![ExtendedCommunity([0, 2, 0xfd, 0xe8, 0, 0, 0, 0x64])]
        );
        assert_eq!((decoded[0].type_high(), decoded[0].subtype()), (0, 2));
        let mut out = BytesMut::new();
        encode_extended(&decoded, &mut out);
        assert_eq!(&out[..], &bytes[..]);
    }

    #[test]
    fn large_communities_golden() {
        let bytes = from_hex("0000fde8 00000001 00000002").expect("hex");
        let expected = vec![LargeCommunity {
            global_admin: 65000,
            local_data_1: 1,
            local_data_2: 2,
        }];
        assert_eq!(decode_large(&bytes), Some(expected.clone()));
        let mut out = BytesMut::new();
        encode_large(&expected, &mut out);
        assert_eq!(&out[..], &bytes[..]);
        assert_eq!(expected[0].to_string(), "65000:1:2");
    }

    #[test]
    fn lengths_that_are_zero_or_not_a_multiple_are_malformed() {
        assert_eq!(decode_communities(&[]), None);
        assert_eq!(decode_communities(&[0; 5]), None);
        assert_eq!(decode_extended(&Bytes::from_static(&[0; 12])), None);
        assert_eq!(decode_large(&[0; 8]), None);
        assert_eq!(decode_large(&[]), None);
    }
}
