//! AS_PATH (type 2, RFC 4271 §4.3, §5.1.2) and AS4_PATH (type 17,
//! RFC 6793 §3), with the confederation segments of RFC 5065 §3.
//!
//! ```text
//! +--------------+--------------+-------------------------------+
//! | Segment Type | Segment Len  | Segment Value: Len ASNs of    |
//! | (1 octet)    | (1, in ASNs) | 2 octets (AS_PATH on 2-octet  |
//! |              |              | sessions) or 4 octets         |
//! +--------------+--------------+-------------------------------+
//! ```
//!
//! Types: 1 AS_SET, 2 AS_SEQUENCE, 3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET.
//! A segment of unknown type, of zero length, or overrunning the attribute
//! makes the path malformed (RFC 7606 §7.2).

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::error::EncodeError;

/// The kind of an AS path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentType {
    /// 1: AS_SET, unordered.
    Set,
    /// 2: AS_SEQUENCE, ordered.
    Sequence,
    /// 3: AS_CONFED_SEQUENCE (RFC 5065).
    ConfedSequence,
    /// 4: AS_CONFED_SET (RFC 5065).
    ConfedSet,
}

impl SegmentType {
    fn from_wire(value: u8) -> Option<SegmentType> {
        Some(match value {
            1 => SegmentType::Set,
            2 => SegmentType::Sequence,
            3 => SegmentType::ConfedSequence,
            4 => SegmentType::ConfedSet,
            _ => return None,
        })
    }

    fn to_wire(self) -> u8 {
        match self {
            SegmentType::Set => 1,
            SegmentType::Sequence => 2,
            SegmentType::ConfedSequence => 3,
            SegmentType::ConfedSet => 4,
        }
    }
}

/// One AS path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Segment {
    /// Segment type.
    #[serde(rename = "type")]
    pub kind: SegmentType,
    /// The ASNs, in order.
    pub asns: Vec<u32>,
}

/// An AS path: a list of segments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct AsPath {
    /// Segments in wire order.
    pub segments: Vec<Segment>,
}

/// The path is malformed (RFC 7606 §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedPath;

impl AsPath {
    /// One AS_SEQUENCE (empty path for no ASNs).
    pub fn from_sequence(asns: Vec<u32>) -> AsPath {
        if asns.is_empty() {
            return AsPath::default();
        }
        AsPath {
            segments: vec![Segment {
                kind: SegmentType::Sequence,
                asns,
            }],
        }
    }

    /// Path length for route selection (RFC 4271 §9.1.2.2): a set counts
    /// one, confederation segments count zero.
    pub fn path_len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s.kind {
                SegmentType::Sequence => s.asns.len(),
                SegmentType::Set => 1,
                SegmentType::ConfedSequence | SegmentType::ConfedSet => 0,
            })
            .sum()
    }

    /// Decodes segments with 4-octet ASNs when `four_octet`, else 2-octet.
    pub fn decode(mut data: &[u8], four_octet: bool) -> Result<AsPath, MalformedPath> {
        let width = if four_octet { 4 } else { 2 };
        let mut segments = Vec::new();
        while let Some((&[kind, count], rest)) = data.split_first_chunk::<2>() {
            let kind = SegmentType::from_wire(kind).ok_or(MalformedPath)?;
            if count == 0 {
                return Err(MalformedPath);
            }
            let (values, rest) = rest
                .split_at_checked(usize::from(count) * width)
                .ok_or(MalformedPath)?;
            let asns = if four_octet {
                values
                    .chunks_exact(4)
                    .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                    .collect()
            } else {
                values
                    .chunks_exact(2)
                    .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
                    .collect()
            };
            segments.push(Segment { kind, asns });
            data = rest;
        }
        if !data.is_empty() {
            return Err(MalformedPath);
        }
        Ok(AsPath { segments })
    }

    /// Appends the segments with 4- or 2-octet ASNs. A segment of more
    /// than 255 ASNs is split into several of the same type; an ASN over
    /// 65535 on a 2-octet encoding is an error.
    pub fn encode(&self, out: &mut BytesMut, four_octet: bool) -> Result<(), EncodeError> {
        for segment in &self.segments {
            for chunk in segment.asns.chunks(255) {
                out.put_u8(segment.kind.to_wire());
                // chunks(255) bounds the length.
                out.put_u8(chunk.len() as u8);
                for &asn in chunk {
                    if four_octet {
                        out.put_u32(asn);
                    } else {
                        out.put_u16(u16::try_from(asn).map_err(|_| EncodeError::AsnTooLarge(asn))?);
                    }
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for AsPath {
    /// `65001 65002 {65003,65004} (65005)`: sets in braces, confederation
    /// sequences in parentheses, confederation sets in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            let (open, sep, close) = match segment.kind {
                SegmentType::Sequence => ("", " ", ""),
                SegmentType::Set => ("{", ",", "}"),
                SegmentType::ConfedSequence => ("(", " ", ")"),
                SegmentType::ConfedSet => ("[", ",", "]"),
            };
            f.write_str(open)?;
            for (j, asn) in segment.asns.iter().enumerate() {
                if j > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{asn}")?;
            }
            f.write_str(close)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::from_hex;

    fn golden(hex: &str, four_octet: bool, expected: &AsPath) {
        let bytes = from_hex(hex).expect("test hex");
        assert_eq!(AsPath::decode(&bytes, four_octet).as_ref(), Ok(expected));
        let mut out = BytesMut::new();
        expected.encode(&mut out, four_octet).expect("encodes");
        assert_eq!(&out[..], &bytes[..]);
    }

    fn all_kinds() -> AsPath {
        AsPath {
            segments: vec![
                Segment {
                    kind: SegmentType::ConfedSequence,
                    asns: vec![64512],
                },
                Segment {
                    kind: SegmentType::ConfedSet,
                    asns: vec![64513, 64514],
                },
                Segment {
                    kind: SegmentType::Sequence,
                    asns: vec![65001, 65002],
                },
                Segment {
                    kind: SegmentType::Set,
                    asns: vec![65003],
                },
            ],
        }
    }

    #[test]
    fn two_octet_path_with_every_segment_type_golden() {
        golden(
            "0301 fc00 0402 fc01 fc02 0202 fde9 fdea 0101 fdeb",
            false,
            &all_kinds(),
        );
        assert_eq!(
            all_kinds().to_string(),
            "(64512) [64513,64514] 65001 65002 {65003}"
        );
        assert_eq!(all_kinds().path_len(), 3);
    }

    #[test]
    fn four_octet_path_golden() {
        golden(
            "0202 00010000 0000fde9",
            true,
            &AsPath::from_sequence(vec![65536, 65001]),
        );
    }

    #[test]
    fn zero_length_segment_is_malformed() {
        assert_eq!(AsPath::decode(&[2, 0], false), Err(MalformedPath));
    }

    #[test]
    fn unknown_segment_type_is_malformed() {
        assert_eq!(AsPath::decode(&[5, 1, 0, 1], false), Err(MalformedPath));
    }

    #[test]
    fn overrunning_segment_is_malformed() {
        assert_eq!(AsPath::decode(&[2, 2, 0, 1, 0], false), Err(MalformedPath));
        assert_eq!(AsPath::decode(&[2], false), Err(MalformedPath));
    }

    #[test]
    fn four_octet_asn_on_two_octet_session_is_an_encode_error() {
        let mut out = BytesMut::new();
        let path = AsPath::from_sequence(vec![70000]);
        assert_eq!(
            path.encode(&mut out, false),
            Err(EncodeError::AsnTooLarge(70000))
        );
    }

    #[test]
    fn long_sequence_is_split_into_segments_of_255() {
        let path = AsPath::from_sequence((1..=300).collect());
        let mut out = BytesMut::new();
        path.encode(&mut out, true).expect("encodes");
        let decoded = AsPath::decode(&out, true).expect("decodes");
        assert_eq!(decoded.segments.len(), 2);
        assert_eq!(decoded.path_len(), 300);
    }
}
