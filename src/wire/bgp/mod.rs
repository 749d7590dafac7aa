//! BGP-4 messages (RFC 4271) and the extensions a monitoring speaker meets.
//!
//! Every message starts with the 19-octet header of RFC 4271 §4.1:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Marker (16 octets, all ones)                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Length               |      Type     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Types: 1 OPEN ([`open`]), 2 UPDATE ([`update`]), 3 NOTIFICATION
//! ([`notification`]), 4 KEEPALIVE, 5 ROUTE-REFRESH ([`route_refresh`],
//! RFC 2918/7313). The length is 19..=4096, or up to 65535 for every message
//! but OPEN and KEEPALIVE once the Extended Message capability (RFC 8654) is
//! negotiated.
//!
//! Decoders take an explicit [`Negotiated`] session context (4-octet AS,
//! ADD-PATH, extended message), never a global. They never panic on any
//! input; errors are [`DecodeError`]s that know their NOTIFICATION, and
//! path-attribute errors that are not session-fatal (RFC 7606) are recorded
//! in [`Update::errors`] instead of failing the decode.
//!
//! # Known issues
//!
//! - AS4_PATH/AS4_AGGREGATOR are decoded but not merged into AS_PATH
//!   (RFC 6793 §4.2.3); that is left to the consumer.
//! - ASNs are plain `u32`, not an `Asn` newtype yet.

use std::collections::BTreeSet;
use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

/// Defines a code-point enum with an `Unknown` arm so every value
/// round-trips, plus `From` conversions both ways.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $repr:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// Any other value, kept as received.
            Unknown($repr),
        }

        impl From<$repr> for $name {
            fn from(value: $repr) -> Self {
                match value {
                    $( $value => $name::$variant, )*
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for $repr {
            fn from(value: $name) -> $repr {
                match value {
                    $( $name::$variant => $value, )*
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}

pub mod aspath;
pub mod attr;
pub mod builder;
pub mod capability;
pub mod community;
pub mod error;
pub mod mp;
pub mod nlri;
pub mod notification;
pub mod open;
pub mod route_refresh;
pub mod update;

#[cfg(test)]
mod arbitrary;
#[cfg(test)]
mod tests;

pub use aspath::{AsPath, Segment, SegmentType};
pub use attr::{Aggregator, AttrFlags, AttrType, AttrValue, Origin, PathAttribute};
pub use builder::{announce, end_of_rib, withdraw};
pub use capability::{
    AddPathFamily, AddPathMode, Capability, ExtendedNextHop, GracefulRestart,
    GracefulRestartFamily, LongLivedGracefulRestartFamily,
};
pub use community::{Community, ExtendedCommunity, LargeCommunity};
pub use error::{AttrAction, AttrError, DecodeError, EncodeError};
pub use mp::{MpReach, MpUnreach, NextHop};
pub use nlri::Nlri;
pub use notification::{
    CeaseSubcode, ErrorCode, FsmSubcode, HeaderSubcode, Notification, OpenSubcode,
    RouteRefreshSubcode, UpdateSubcode,
};
pub use open::{Open, OptionalParameter};
pub use route_refresh::{RouteRefresh, RouteRefreshSubtype};
pub use update::Update;

use crate::wire::Family;

/// Length of the message header (RFC 4271 §4.1).
pub const HEADER_LEN: usize = 19;
/// Largest message without the Extended Message capability (RFC 4271 §4.1).
pub const MAX_MESSAGE_LEN: usize = 4096;
/// Largest message with the Extended Message capability (RFC 8654).
pub const MAX_EXTENDED_MESSAGE_LEN: usize = 65535;
/// The version of BGP this crate speaks (RFC 4271 §4.2).
pub const BGP_VERSION: u8 = 4;

const MARKER: [u8; 16] = [0xff; 16];

code_enum! {
    /// Message type code (RFC 4271 §4.1, IANA "BGP Message Types").
    pub enum MessageType: u8 {
        /// 1: OPEN.
        Open = 1,
        /// 2: UPDATE.
        Update = 2,
        /// 3: NOTIFICATION.
        Notification = 3,
        /// 4: KEEPALIVE.
        Keepalive = 4,
        /// 5: ROUTE-REFRESH (RFC 2918).
        RouteRefresh = 5,
    }
}

/// One BGP message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Message {
    /// OPEN (RFC 4271 §4.2).
    Open(Open),
    /// UPDATE (RFC 4271 §4.3).
    Update(Update),
    /// NOTIFICATION (RFC 4271 §4.5).
    Notification(Notification),
    /// KEEPALIVE (RFC 4271 §4.4): the header alone.
    Keepalive,
    /// ROUTE-REFRESH (RFC 2918, RFC 7313).
    RouteRefresh(RouteRefresh),
}

/// What the two speakers agreed on in their OPENs: the context every
/// decoder and encoder takes.
///
/// ADD-PATH is directional (RFC 7911 §4): decoding a received message uses
/// [`add_path_receive`](Self::add_path_receive), encoding a message to send
/// uses [`add_path_send`](Self::add_path_send).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Negotiated {
    /// Both sides sent the 4-octet AS capability (RFC 6793): AS_PATH and
    /// AGGREGATOR carry 4-octet ASNs.
    pub four_octet_as: bool,
    /// Both sides sent the Extended Message capability (RFC 8654).
    pub extended_message: bool,
    /// Families whose received NLRI carry a Path Identifier (RFC 7911).
    #[serde(serialize_with = "display_seq")]
    pub add_path_receive: BTreeSet<Family>,
    /// Families whose sent NLRI carry a Path Identifier (RFC 7911).
    #[serde(serialize_with = "display_seq")]
    pub add_path_send: BTreeSet<Family>,
    /// Families both sides announced (RFC 4760 §8); IPv4 unicast when a side
    /// sent no Multiprotocol capability.
    #[serde(serialize_with = "display_seq")]
    pub families: BTreeSet<Family>,
    /// The peer is in another AS (eBGP). Malformed LOCAL_PREF, ORIGINATOR_ID
    /// and CLUSTER_LIST from an external peer are discarded rather than
    /// withdrawing the routes (RFC 7606 §7.5, §7.9, §7.10).
    pub external: bool,
    /// Families whose NLRI may carry an IPv6 next hop (RFC 8950): both
    /// sides announced the Extended Next Hop capability for the family
    /// with next-hop AFI IPv6.
    #[serde(serialize_with = "display_seq")]
    pub extended_next_hop: BTreeSet<Family>,
}

impl Default for Negotiated {
    /// The RFC 4271 baseline: 2-octet AS, no ADD-PATH, 4096-octet messages,
    /// IPv4 unicast, internal peer.
    fn default() -> Self {
        Negotiated {
            four_octet_as: false,
            extended_message: false,
            add_path_receive: BTreeSet::new(),
            add_path_send: BTreeSet::new(),
            families: BTreeSet::from([Family::IPV4_UNICAST]),
            external: false,
            extended_next_hop: BTreeSet::new(),
        }
    }
}

impl Negotiated {
    /// Computes the session context from the OPEN we sent and the OPEN the
    /// peer sent: 4-octet AS and extended message when both said so; for
    /// ADD-PATH (RFC 7911 §4) we receive path ids for a family when we said
    /// receive/both and the peer said send/both, and send them when we said
    /// send/both and the peer said receive/both. Extended next hop
    /// (RFC 8950) holds the families both sides announced with an IPv6
    /// next hop.
    pub fn from_opens(local_sent: &Open, remote_received: &Open) -> Negotiated {
        let four_octet_as =
            local_sent.four_octet_as().is_some() && remote_received.four_octet_as().is_some();
        let extended_message = local_sent
            .capabilities()
            .any(|c| *c == Capability::ExtendedMessage)
            && remote_received
                .capabilities()
                .any(|c| *c == Capability::ExtendedMessage);
        let local_add_path = local_sent.add_path();
        let remote_add_path = remote_received.add_path();
        let mut add_path_receive = BTreeSet::new();
        let mut add_path_send = BTreeSet::new();
        for local in &local_add_path {
            for remote in remote_add_path.iter().filter(|r| r.family == local.family) {
                if local.mode.receives() && remote.mode.sends() {
                    add_path_receive.insert(local.family);
                }
                if local.mode.sends() && remote.mode.receives() {
                    add_path_send.insert(local.family);
                }
            }
        }
        let local_families = local_sent.families();
        let families = remote_received
            .families()
            .intersection(&local_families)
            .copied()
            .collect();
        let extended_next_hop = ipv6_next_hop_families(local_sent)
            .intersection(&ipv6_next_hop_families(remote_received))
            .copied()
            .collect();
        Negotiated {
            four_octet_as,
            extended_message,
            add_path_receive,
            add_path_send,
            families,
            external: local_sent.asn() != remote_received.asn(),
            extended_next_hop,
        }
    }

    /// The largest UPDATE, NOTIFICATION or ROUTE-REFRESH this session
    /// allows: 4096, or 65535 with extended messages.
    pub fn max_message_len(&self) -> usize {
        if self.extended_message {
            MAX_EXTENDED_MESSAGE_LEN
        } else {
            MAX_MESSAGE_LEN
        }
    }

    /// The same context with ADD-PATH sending set to what is received, so a
    /// received message re-encodes to its own bytes.
    pub fn mirrored(&self) -> Negotiated {
        Negotiated {
            add_path_send: self.add_path_receive.clone(),
            ..self.clone()
        }
    }
}

/// The families `open` announces in Extended Next Hop capabilities with
/// next-hop AFI IPv6 (RFC 8950 §3).
fn ipv6_next_hop_families(open: &Open) -> BTreeSet<Family> {
    open.capabilities()
        .filter_map(|c| match c {
            Capability::ExtendedNextHop(entries) => Some(entries),
            _ => None,
        })
        .flatten()
        .filter(|e| e.next_hop_afi == u16::from(crate::wire::Afi::Ipv6))
        .map(|e| e.nlri_family)
        .collect()
}

/// Length of the next message in `buf`, once all of it is there.
///
/// Returns `Ok(None)` when more bytes are needed, and an error for a marker
/// that is not all ones ([`DecodeError::ConnectionNotSynchronized`]) or a
/// length outside `19..=max_len` ([`DecodeError::BadMessageLength`]).
pub fn frame_len(buf: &[u8], max_len: usize) -> Result<Option<usize>, DecodeError> {
    let marker_seen = buf.len().min(MARKER.len());
    if buf.get(..marker_seen) != MARKER.get(..marker_seen) {
        return Err(DecodeError::ConnectionNotSynchronized);
    }
    let Some(&[high, low]) = buf.get(16..18) else {
        return Ok(None);
    };
    let length = u16::from_be_bytes([high, low]);
    let len = usize::from(length);
    if !(HEADER_LEN..=max_len).contains(&len) {
        return Err(DecodeError::BadMessageLength(length));
    }
    Ok((buf.len() >= len).then_some(len))
}

impl Message {
    /// Decodes one whole message, header included.
    ///
    /// Checks the marker (1/1), the length against the buffer and the
    /// session's maximum (1/2), the type (1/3) and the per-type minimum
    /// length (RFC 4271 §6.1), then decodes the body.
    pub fn decode(mut msg: Bytes, cx: &Negotiated) -> Result<Message, DecodeError> {
        if msg.get(..16) != Some(&MARKER[..]) {
            if msg.len() < 16 {
                return Err(DecodeError::BadMessageLength(clamp_len(msg.len())));
            }
            return Err(DecodeError::ConnectionNotSynchronized);
        }
        let Some(&[high, low, message_type]) = msg.get(16..19) else {
            return Err(DecodeError::BadMessageLength(clamp_len(msg.len())));
        };
        let length = u16::from_be_bytes([high, low]);
        let len = usize::from(length);
        if len != msg.len() || !(HEADER_LEN..=cx.max_message_len()).contains(&len) {
            return Err(DecodeError::BadMessageLength(length));
        }
        let body = msg.split_off(HEADER_LEN);
        let too_short = |min: usize| len < min;
        match MessageType::from(message_type) {
            MessageType::Open if too_short(29) || len > MAX_MESSAGE_LEN => {
                Err(DecodeError::BadMessageLength(length))
            }
            MessageType::Open => Open::decode(body).map(Message::Open),
            MessageType::Update if too_short(23) => Err(DecodeError::BadMessageLength(length)),
            MessageType::Update => Update::decode(body, cx).map(Message::Update),
            MessageType::Notification if too_short(21) => {
                Err(DecodeError::BadMessageLength(length))
            }
            MessageType::Notification => Notification::decode(body).map(Message::Notification),
            MessageType::Keepalive if len != HEADER_LEN => {
                Err(DecodeError::BadMessageLength(length))
            }
            MessageType::Keepalive => Ok(Message::Keepalive),
            MessageType::RouteRefresh => RouteRefresh::decode(body).map(Message::RouteRefresh),
            MessageType::Unknown(other) => Err(DecodeError::BadMessageType(other)),
        }
    }

    /// The message's type code.
    pub fn message_type(&self) -> MessageType {
        match self {
            Message::Open(_) => MessageType::Open,
            Message::Update(_) => MessageType::Update,
            Message::Notification(_) => MessageType::Notification,
            Message::Keepalive => MessageType::Keepalive,
            Message::RouteRefresh(_) => MessageType::RouteRefresh,
        }
    }

    /// Appends the whole message, header included, to `out`.
    ///
    /// Fails, leaving `out` as it was, when the message would exceed 4096
    /// octets (65535 for UPDATE, NOTIFICATION and ROUTE-REFRESH with
    /// extended messages) or a field overflows.
    pub fn encode(&self, out: &mut BytesMut, cx: &Negotiated) -> Result<(), EncodeError> {
        let start = out.len();
        let result = self.encode_unchecked(out, cx, start);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn encode_unchecked(
        &self,
        out: &mut BytesMut,
        cx: &Negotiated,
        start: usize,
    ) -> Result<(), EncodeError> {
        out.put_slice(&MARKER);
        out.put_u16(0);
        out.put_u8(self.message_type().into());
        let max = match self {
            Message::Open(open) => {
                open.encode(out)?;
                MAX_MESSAGE_LEN
            }
            Message::Update(update) => {
                update.encode(out, cx)?;
                cx.max_message_len()
            }
            Message::Notification(notification) => {
                notification.encode(out);
                cx.max_message_len()
            }
            Message::Keepalive => MAX_MESSAGE_LEN,
            Message::RouteRefresh(refresh) => {
                refresh.encode(out);
                cx.max_message_len()
            }
        };
        finish_header(out, start, max)
    }

    /// The whole message as bytes.
    pub fn to_bytes(&self, cx: &Negotiated) -> Result<Bytes, EncodeError> {
        let mut out = BytesMut::new();
        self.encode(&mut out, cx)?;
        Ok(out.freeze())
    }
}

/// Writes the length of the message that starts at `start` into its header,
/// or fails when it exceeds `max`.
pub(crate) fn finish_header(
    out: &mut BytesMut,
    start: usize,
    max: usize,
) -> Result<(), EncodeError> {
    let length = out.len() - start;
    if length > max {
        return Err(EncodeError::MessageTooLong { length, max });
    }
    let field = u16::try_from(length).map_err(|_| EncodeError::MessageTooLong { length, max })?;
    if let Some(slot) = out.get_mut(start + 16..start + 18) {
        slot.copy_from_slice(&field.to_be_bytes());
    }
    Ok(())
}

fn clamp_len(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

/// Either half of a decode → encode round trip failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundTripError {
    /// The message did not decode.
    Decode(DecodeError),
    /// The decoded value did not encode.
    Encode(EncodeError),
}

impl fmt::Display for RoundTripError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoundTripError::Decode(e) => write!(f, "decode: {e}"),
            RoundTripError::Encode(e) => write!(f, "encode: {e}"),
        }
    }
}

impl std::error::Error for RoundTripError {}

/// Decodes a whole received message and encodes it again (with ADD-PATH
/// sending mirrored from receiving), for fixture round-trip tests: a capture
/// of a well-formed message must come back byte for byte.
pub fn round_trip(msg: Bytes, cx: &Negotiated) -> Result<Bytes, RoundTripError> {
    let message = Message::decode(msg, cx).map_err(RoundTripError::Decode)?;
    message
        .to_bytes(&cx.mirrored())
        .map_err(RoundTripError::Encode)
}

/// serde helper: a value rendered with `Display`.
pub(crate) fn display<T: fmt::Display, S: serde::Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// serde helper: a collection rendered as a list of `Display` strings.
pub(crate) fn display_seq<'a, C, T, S>(items: &'a C, serializer: S) -> Result<S::Ok, S::Error>
where
    &'a C: IntoIterator<Item = &'a T>,
    T: fmt::Display + 'a,
    S: serde::Serializer,
{
    serializer.collect_seq(items.into_iter().map(ToString::to_string))
}
