//! BMP messages (RFC 7854, RFC 8671 Adj-RIB-Out, RFC 9069 Loc-RIB).
//!
//! Every message starts with the common header (RFC 7854 §4.1):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Version    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Message Length                         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Msg. Type   |
//! +-+-+-+-+-+-+-+-+
//! ```
//!
//! Version is 3 and the length counts the whole message, header included.
//! Route Monitoring, Statistics Report, Peer Down, Peer Up and Route
//! Mirroring then carry the 42-octet per-peer header ([`PerPeerHeader`]).
//!
//! BGP PDUs embedded in BMP messages (Route Monitoring's UPDATE, Peer Up's
//! OPENs, Peer Down's NOTIFICATION, a mirrored message) are kept as raw
//! [`Bytes`] of the whole BGP message, header included: decoding shares
//! the input buffer and encoding is one copy, so forwarding is byte-exact.
//! This module does not parse BGP; `wire::bgp` does.
//!
//! The hot path of a BMP client is [`encode_route_monitoring`]: a header
//! write and one `extend_from_slice` of the UPDATE.
//!
//! # Known issues
//!
//! - Values that carry a code point both in a typed arm and in a raw arm
//!   (`PeerDownReason::Unknown(1, ..)`, an `Other` TLV of a known type with
//!   valid text) encode fine but decode back to the typed arm.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

mod error;
mod header;
mod mirror;
mod peer;
mod stats;
mod tlv;

#[cfg(test)]
mod arbitrary;
#[cfg(test)]
mod golden;
#[cfg(test)]
mod validation;

pub use error::{DecodeError, EncodeError};
pub use header::{PeerFlags, PeerType, PerPeerHeader};
pub use mirror::{MirrorInformation, MirrorTlv, RouteMirroring};
pub use peer::{PeerDown, PeerDownReason, PeerUp};
pub use stats::{Stat, StatShape, StatType, StatValue, StatisticsReport};
pub use tlv::{
    Initiation, InitiationTlv, PeerInfoTlv, Termination, TerminationReason, TerminationTlv,
    MAX_VRF_TABLE_NAME,
};

use crate::wire::Take;

/// The only BMP version (RFC 7854 §4.1).
pub const VERSION: u8 = 3;
/// Octets in the common header.
pub const COMMON_HEADER_LEN: usize = 6;
/// Largest message [`frame_len`] and the codec accept (16 MiB). RFC 7854
/// sets no limit; anything this big is a broken stream, not a message.
pub const MAX_MESSAGE_LEN: usize = 16 * 1024 * 1024;
/// Octets in a BGP message header (RFC 4271 §4.1).
const BGP_HEADER_LEN: u16 = 19;
/// Offset of the length field inside a BGP header.
const BGP_LENGTH_OFFSET: usize = 16;

/// BMP message type (IANA "BMP Message Types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    /// 0: Route Monitoring.
    RouteMonitoring,
    /// 1: Statistics Report.
    StatisticsReport,
    /// 2: Peer Down Notification.
    PeerDown,
    /// 3: Peer Up Notification.
    PeerUp,
    /// 4: Initiation.
    Initiation,
    /// 5: Termination.
    Termination,
    /// 6: Route Mirroring.
    RouteMirroring,
    /// Any other value.
    Unknown(u8),
}

impl MessageType {
    /// The snake_case name used in logs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            MessageType::RouteMonitoring => "route_monitoring",
            MessageType::StatisticsReport => "statistics_report",
            MessageType::PeerDown => "peer_down",
            MessageType::PeerUp => "peer_up",
            MessageType::Initiation => "initiation",
            MessageType::Termination => "termination",
            MessageType::RouteMirroring => "route_mirroring",
            MessageType::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageType::Unknown(n) => write!(f, "unknown({n})"),
            known => f.write_str(known.name()),
        }
    }
}

impl From<u8> for MessageType {
    fn from(value: u8) -> Self {
        match value {
            0 => MessageType::RouteMonitoring,
            1 => MessageType::StatisticsReport,
            2 => MessageType::PeerDown,
            3 => MessageType::PeerUp,
            4 => MessageType::Initiation,
            5 => MessageType::Termination,
            6 => MessageType::RouteMirroring,
            other => MessageType::Unknown(other),
        }
    }
}

impl From<MessageType> for u8 {
    fn from(value: MessageType) -> u8 {
        match value {
            MessageType::RouteMonitoring => 0,
            MessageType::StatisticsReport => 1,
            MessageType::PeerDown => 2,
            MessageType::PeerUp => 3,
            MessageType::Initiation => 4,
            MessageType::Termination => 5,
            MessageType::RouteMirroring => 6,
            MessageType::Unknown(other) => other,
        }
    }
}

/// Length of the message at the front of `buf`, once all of it is there.
///
/// `Ok(None)`: more input is needed. `Err`: the stream is not BMP version 3
/// or announces an impossible length (below 6, above [`MAX_MESSAGE_LEN`]).
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, DecodeError> {
    let Some(&version) = buf.first() else {
        return Ok(None);
    };
    if version != VERSION {
        return Err(DecodeError::BadVersion(version));
    }
    let Some(&[a, b, c, d]) = buf.get(1..5) else {
        return Ok(None);
    };
    let length = u32::from_be_bytes([a, b, c, d]);
    let len = usize::try_from(length).map_err(|_| DecodeError::BadLength(length))?;
    if !(COMMON_HEADER_LEN..=MAX_MESSAGE_LEN).contains(&len) {
        return Err(DecodeError::BadLength(length));
    }
    Ok((buf.len() >= len).then_some(len))
}

/// Route Monitoring (type 0, RFC 7854 §4.6): one BGP UPDATE about a peer.
///
/// ```text
/// +-------------------------------+
/// | per-peer header (42 octets)   |
/// +-------------------------------+
/// | BGP UPDATE PDU (whole message)|
/// +-------------------------------+
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RouteMonitoring {
    /// The peer (and which RIB view: flags L, O, F).
    pub peer: PerPeerHeader,
    /// The UPDATE, a whole BGP message with its header, as sent.
    #[serde(serialize_with = "crate::wire::serialize_hex")]
    pub update: Bytes,
}

impl RouteMonitoring {
    fn decode_body(mut body: Bytes) -> Result<RouteMonitoring, DecodeError> {
        let peer = PerPeerHeader::decode(&mut body)?;
        let available = body.len();
        let update = take_bgp_pdu(&mut body)?;
        // RFC 7854 §4.6: exactly one BGP message follows the header.
        if !body.is_empty() {
            let length = u16::try_from(update.len()).unwrap_or(u16::MAX);
            return Err(DecodeError::EmbeddedPduLength { length, available });
        }
        Ok(RouteMonitoring { peer, update })
    }
}

/// Appends a Route Monitoring message for `update` (a whole BGP message,
/// header included) without building a [`Message`].
///
/// This is the BMP client's hot path: one reservation, the 48 header
/// octets, and one copy of the UPDATE. Fails (writing nothing) when
/// `update` is not exactly one BGP message.
pub fn encode_route_monitoring(
    peer: &PerPeerHeader,
    update: &[u8],
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    let pdu_len = check_bgp_pdu(update)?;
    let total = (COMMON_HEADER_LEN + PerPeerHeader::LEN) as u32 + u32::from(pdu_len);
    out.reserve(COMMON_HEADER_LEN + PerPeerHeader::LEN + update.len());
    out.put_u8(VERSION);
    out.put_u32(total);
    out.put_u8(MessageType::RouteMonitoring.into());
    peer.encode(out);
    out.extend_from_slice(update);
    Ok(())
}

/// One BMP message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// Type 0: an UPDATE about a peer's RIB.
    RouteMonitoring(RouteMonitoring),
    /// Type 1: counters and gauges about a peer.
    StatisticsReport(StatisticsReport),
    /// Type 2: a session went down.
    PeerDown(PeerDown),
    /// Type 3: a session came up.
    PeerUp(PeerUp),
    /// Type 4: the speaker introduces itself.
    Initiation(Initiation),
    /// Type 5: the speaker is closing the BMP session.
    Termination(Termination),
    /// Type 6: BGP messages mirrored verbatim.
    RouteMirroring(RouteMirroring),
}

impl Message {
    /// The message's type.
    pub fn kind(&self) -> MessageType {
        match self {
            Message::RouteMonitoring(_) => MessageType::RouteMonitoring,
            Message::StatisticsReport(_) => MessageType::StatisticsReport,
            Message::PeerDown(_) => MessageType::PeerDown,
            Message::PeerUp(_) => MessageType::PeerUp,
            Message::Initiation(_) => MessageType::Initiation,
            Message::Termination(_) => MessageType::Termination,
            Message::RouteMirroring(_) => MessageType::RouteMirroring,
        }
    }

    /// Decodes one whole message (common header included), such as a
    /// buffer split off at [`frame_len`]. Strict: a known statistic with
    /// the wrong length is an error.
    pub fn decode(msg: Bytes) -> Result<Message, DecodeError> {
        Message::decode_with(msg, false)
    }

    /// Like [`decode`](Self::decode), but a known statistic with the wrong
    /// length is kept as [`StatValue::Raw`] (RFC 7854 §4.8 lets a collector
    /// skip it).
    pub fn decode_lenient(msg: Bytes) -> Result<Message, DecodeError> {
        Message::decode_with(msg, true)
    }

    fn decode_with(mut msg: Bytes, lenient: bool) -> Result<Message, DecodeError> {
        let actual = msg.len();
        let version = msg.take_u8()?;
        if version != VERSION {
            return Err(DecodeError::BadVersion(version));
        }
        let header = msg.take_u32()?;
        let len = usize::try_from(header).map_err(|_| DecodeError::BadLength(header))?;
        if !(COMMON_HEADER_LEN..=MAX_MESSAGE_LEN).contains(&len) {
            return Err(DecodeError::BadLength(header));
        }
        if len != actual {
            return Err(DecodeError::LengthMismatch { header, actual });
        }
        let kind = MessageType::from(msg.take_u8()?);
        let body = msg;
        Ok(match kind {
            MessageType::RouteMonitoring => {
                Message::RouteMonitoring(RouteMonitoring::decode_body(body)?)
            }
            MessageType::StatisticsReport => {
                Message::StatisticsReport(StatisticsReport::decode_body(body, lenient)?)
            }
            MessageType::PeerDown => Message::PeerDown(PeerDown::decode_body(body)?),
            MessageType::PeerUp => Message::PeerUp(PeerUp::decode_body(body)?),
            MessageType::Initiation => Message::Initiation(Initiation::decode_body(body)?),
            MessageType::Termination => Message::Termination(Termination::decode_body(body)?),
            MessageType::RouteMirroring => {
                Message::RouteMirroring(RouteMirroring::decode_body(body)?)
            }
            MessageType::Unknown(t) => return Err(DecodeError::UnknownType(t)),
        })
    }

    /// Appends the whole message. On error nothing is left in `out`.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        if let Message::RouteMonitoring(rm) = self {
            return encode_route_monitoring(&rm.peer, &rm.update, out);
        }
        let start = out.len();
        out.put_u8(VERSION);
        out.put_u32(0); // patched below, once the body's size is known
        out.put_u8(self.kind().into());
        let written = match self {
            Message::RouteMonitoring(_) => Ok(()),
            Message::StatisticsReport(m) => m.encode_body(out),
            Message::PeerDown(m) => m.encode_body(out),
            Message::PeerUp(m) => m.encode_body(out),
            Message::Initiation(m) => m.encode_body(out),
            Message::Termination(m) => m.encode_body(out),
            Message::RouteMirroring(m) => m.encode_body(out),
        };
        let len = out.len() - start;
        let length = match (written, u32::try_from(len)) {
            (Ok(()), Ok(length)) if len <= MAX_MESSAGE_LEN => length,
            (Err(e), _) => {
                out.truncate(start);
                return Err(e);
            }
            _ => {
                out.truncate(start);
                return Err(EncodeError::TooLong {
                    field: "BMP message",
                    len,
                    max: MAX_MESSAGE_LEN,
                });
            }
        };
        out[start + 1..start + 5].copy_from_slice(&length.to_be_bytes());
        Ok(())
    }
}

/// Splits one whole BGP message off the front of `buf`, by the length at
/// offset 16 of its header (which must be at least 19 and fit in `buf`).
fn take_bgp_pdu(buf: &mut Bytes) -> Result<Bytes, DecodeError> {
    let available = buf.len();
    let length = match buf.get(BGP_LENGTH_OFFSET..BGP_LENGTH_OFFSET + 2) {
        Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
        _ => {
            return Err(DecodeError::EmbeddedPduLength {
                length: 0,
                available,
            })
        }
    };
    if length < BGP_HEADER_LEN || usize::from(length) > available {
        return Err(DecodeError::EmbeddedPduLength { length, available });
    }
    Ok(buf.take_bytes(usize::from(length))?)
}

/// Checks that `pdu` is exactly one BGP message; returns its length.
fn check_bgp_pdu(pdu: &[u8]) -> Result<u16, EncodeError> {
    let length = match pdu.get(BGP_LENGTH_OFFSET..BGP_LENGTH_OFFSET + 2) {
        Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
        _ => 0,
    };
    if length >= BGP_HEADER_LEN && usize::from(length) == pdu.len() {
        Ok(length)
    } else {
        Err(EncodeError::EmbeddedPduLength { len: pdu.len() })
    }
}
