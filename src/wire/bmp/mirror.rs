//! Route Mirroring (type 6, RFC 7854 §4.7).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   per-peer header (42 octets)                 |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Mirroring Type       |      Mirroring Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Mirroring Value (variable)                    |
//! ~                  (TLVs repeat to the end)                     ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Type 0 carries a BGP message (whole PDU, possibly malformed: that is
//! what mirroring is for, so it is kept raw and not checked); type 1 a
//! 2-octet information code.

use bytes::{Bytes, BytesMut};

use super::tlv::{put_tlv, take_tlv};
use super::{DecodeError, EncodeError, PerPeerHeader};
use crate::wire::serialize_hex;

/// Route Mirroring information code (IANA "BMP Route Mirroring
/// Information Codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MirrorInformation {
    /// 0: the mirrored PDU was errored (RFC 7854 §4.7).
    ErroredPdu,
    /// 1: one or more messages were lost.
    MessagesLost,
    /// Any other value, kept as received.
    Unknown(u16),
}

impl From<u16> for MirrorInformation {
    fn from(value: u16) -> Self {
        match value {
            0 => MirrorInformation::ErroredPdu,
            1 => MirrorInformation::MessagesLost,
            other => MirrorInformation::Unknown(other),
        }
    }
}

impl From<MirrorInformation> for u16 {
    fn from(value: MirrorInformation) -> u16 {
        match value {
            MirrorInformation::ErroredPdu => 0,
            MirrorInformation::MessagesLost => 1,
            MirrorInformation::Unknown(other) => other,
        }
    }
}

/// One Route Mirroring TLV.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MirrorTlv {
    /// 0: a BGP message, header included, as received.
    BgpMessage(#[serde(serialize_with = "serialize_hex")] Bytes),
    /// 1: information code.
    Information(MirrorInformation),
    /// Any other type, kept raw.
    Other {
        /// The TLV type.
        tlv_type: u16,
        /// The value as received.
        #[serde(serialize_with = "serialize_hex")]
        value: Bytes,
    },
}

/// Route Mirroring message: BGP messages copied verbatim from a peer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RouteMirroring {
    /// The peer the messages came from.
    pub peer: PerPeerHeader,
    /// The TLVs, in wire order (RFC 7854 §4.7 wants the BGP Message last).
    pub tlvs: Vec<MirrorTlv>,
}

impl RouteMirroring {
    pub(super) fn decode_body(mut body: Bytes) -> Result<RouteMirroring, DecodeError> {
        let peer = PerPeerHeader::decode(&mut body)?;
        let mut tlvs = Vec::new();
        while !body.is_empty() {
            let (tlv_type, value) = take_tlv(&mut body)?;
            let tlv = match tlv_type {
                0 => MirrorTlv::BgpMessage(value),
                1 => match value.as_ref() {
                    [hi, lo] => MirrorTlv::Information(u16::from_be_bytes([*hi, *lo]).into()),
                    _ => {
                        let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
                        return Err(DecodeError::BadTlvLength { tlv_type, len });
                    }
                },
                _ => MirrorTlv::Other { tlv_type, value },
            };
            tlvs.push(tlv);
        }
        Ok(RouteMirroring { peer, tlvs })
    }

    pub(super) fn encode_body(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        self.peer.encode(out);
        for tlv in &self.tlvs {
            match tlv {
                MirrorTlv::BgpMessage(pdu) => put_tlv(out, 0, pdu, "mirrored BGP message")?,
                MirrorTlv::Information(code) => {
                    put_tlv(out, 1, &u16::from(*code).to_be_bytes(), "information code")?
                }
                MirrorTlv::Other { tlv_type, value } => {
                    put_tlv(out, *tlv_type, value, "mirroring TLV")?
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn information_code_points_round_trip() {
        for v in 0..=u16::MAX {
            assert_eq!(u16::from(MirrorInformation::from(v)), v);
        }
    }
}
