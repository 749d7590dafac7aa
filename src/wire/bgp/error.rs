//! Decode and encode errors.
//!
//! A [`DecodeError`] is named after the RFC 4271 §6 (and RFC 7313) error
//! subcode it causes and [`DecodeError::notification`] gives the exact
//! NOTIFICATION (RFC 4271 §6.1–6.3). A path-attribute problem is an
//! [`AttrError`]: the same error plus its RFC 7606 action.

use std::fmt;
use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes, BytesMut};

use super::notification::{
    ErrorCode, HeaderSubcode, Notification, OpenSubcode, RouteRefreshSubcode, UpdateSubcode,
};
use super::BGP_VERSION;

/// A message that cannot be decoded; each variant is one NOTIFICATION.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum DecodeError {
    /// 1/1: the marker is not all ones.
    ConnectionNotSynchronized,
    /// 1/2: the length field is out of bounds for the message type; data is
    /// the erroneous length.
    BadMessageLength(u16),
    /// 1/3: unknown message type; data is the type.
    BadMessageType(u8),
    /// 2/0: an OPEN whose optional parameters or capabilities overrun.
    MalformedOpen,
    /// 2/1: the peer bid this version; data is the largest version we
    /// support (4) as 2 octets.
    UnsupportedVersionNumber(u8),
    /// 2/2: the peer's AS is not the configured one.
    BadPeerAs,
    /// 2/3: the BGP Identifier is not a valid unicast address (0.0.0.0).
    BadBgpIdentifier(Ipv4Addr),
    /// 2/4: an optional parameter type we do not support.
    UnsupportedOptionalParameter(u8),
    /// 2/6: hold time 1 or 2 seconds (RFC 4271 §6.2).
    UnacceptableHoldTime(u16),
    /// 3/1: the withdrawn-routes or attribute lengths overrun the message,
    /// or MP_REACH/MP_UNREACH appears twice.
    MalformedAttributeList,
    /// 3/2: a well-known attribute we do not know; data is the attribute.
    UnrecognizedWellKnownAttribute(#[serde(serialize_with = "crate::wire::serialize_hex")] Bytes),
    /// 3/3: a well-known mandatory attribute is missing; data is its type.
    MissingWellKnownAttribute(u8),
    /// 3/4: Optional/Transitive flags conflict with the type; data is the
    /// attribute.
    AttributeFlagsError(#[serde(serialize_with = "crate::wire::serialize_hex")] Bytes),
    /// 3/5: the attribute length is wrong for the type; data is the
    /// attribute.
    AttributeLengthError(#[serde(serialize_with = "crate::wire::serialize_hex")] Bytes),
    /// 3/6: ORIGIN is not 0, 1 or 2; data is the attribute.
    InvalidOriginAttribute(#[serde(serialize_with = "crate::wire::serialize_hex")] Bytes),
    /// 3/8: NEXT_HOP is not a unicast address; data is the attribute.
    InvalidNextHopAttribute(#[serde(serialize_with = "crate::wire::serialize_hex")] Bytes),
    /// 3/9: an optional attribute's value is malformed; data is the
    /// attribute.
    OptionalAttributeError(#[serde(serialize_with = "crate::wire::serialize_hex")] Bytes),
    /// 3/10: a prefix in the withdrawn-routes or NLRI field is malformed.
    InvalidNetworkField,
    /// 3/11: AS_PATH segments are malformed.
    MalformedAsPath,
    /// 7/1 (RFC 7313 §5): a ROUTE-REFRESH that is not 23 octets; data is
    /// the whole message.
    InvalidRouteRefreshLength(#[serde(serialize_with = "crate::wire::serialize_hex")] Bytes),
}

impl DecodeError {
    /// The NOTIFICATION to send for this error (RFC 4271 §6).
    pub fn notification(&self) -> Notification {
        use DecodeError as E;
        let (code, data) = match self {
            E::ConnectionNotSynchronized => (
                ErrorCode::MessageHeader(HeaderSubcode::ConnectionNotSynchronized),
                Bytes::new(),
            ),
            E::BadMessageLength(length) => (
                ErrorCode::MessageHeader(HeaderSubcode::BadMessageLength),
                Bytes::copy_from_slice(&length.to_be_bytes()),
            ),
            E::BadMessageType(message_type) => (
                ErrorCode::MessageHeader(HeaderSubcode::BadMessageType),
                Bytes::copy_from_slice(&[*message_type]),
            ),
            E::MalformedOpen => (ErrorCode::Open(OpenSubcode::Unspecific), Bytes::new()),
            E::UnsupportedVersionNumber(_) => (
                ErrorCode::Open(OpenSubcode::UnsupportedVersionNumber),
                Bytes::copy_from_slice(&u16::from(BGP_VERSION).to_be_bytes()),
            ),
            E::BadPeerAs => (ErrorCode::Open(OpenSubcode::BadPeerAs), Bytes::new()),
            E::BadBgpIdentifier(_) => {
                (ErrorCode::Open(OpenSubcode::BadBgpIdentifier), Bytes::new())
            }
            E::UnsupportedOptionalParameter(_) => (
                ErrorCode::Open(OpenSubcode::UnsupportedOptionalParameter),
                Bytes::new(),
            ),
            E::UnacceptableHoldTime(_) => (
                ErrorCode::Open(OpenSubcode::UnacceptableHoldTime),
                Bytes::new(),
            ),
            E::MalformedAttributeList => (
                ErrorCode::Update(UpdateSubcode::MalformedAttributeList),
                Bytes::new(),
            ),
            E::UnrecognizedWellKnownAttribute(attr) => (
                ErrorCode::Update(UpdateSubcode::UnrecognizedWellKnownAttribute),
                attr.clone(),
            ),
            E::MissingWellKnownAttribute(type_code) => (
                ErrorCode::Update(UpdateSubcode::MissingWellKnownAttribute),
                Bytes::copy_from_slice(&[*type_code]),
            ),
            E::AttributeFlagsError(attr) => (
                ErrorCode::Update(UpdateSubcode::AttributeFlagsError),
                attr.clone(),
            ),
            E::AttributeLengthError(attr) => (
                ErrorCode::Update(UpdateSubcode::AttributeLengthError),
                attr.clone(),
            ),
            E::InvalidOriginAttribute(attr) => (
                ErrorCode::Update(UpdateSubcode::InvalidOriginAttribute),
                attr.clone(),
            ),
            E::InvalidNextHopAttribute(attr) => (
                ErrorCode::Update(UpdateSubcode::InvalidNextHopAttribute),
                attr.clone(),
            ),
            E::OptionalAttributeError(attr) => (
                ErrorCode::Update(UpdateSubcode::OptionalAttributeError),
                attr.clone(),
            ),
            E::InvalidNetworkField => (
                ErrorCode::Update(UpdateSubcode::InvalidNetworkField),
                Bytes::new(),
            ),
            E::MalformedAsPath => (
                ErrorCode::Update(UpdateSubcode::MalformedAsPath),
                Bytes::new(),
            ),
            E::InvalidRouteRefreshLength(msg) => (
                ErrorCode::RouteRefresh(RouteRefreshSubcode::InvalidMessageLength),
                msg.clone(),
            ),
        };
        Notification { code, data }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeError as E;
        match self {
            E::ConnectionNotSynchronized => f.write_str("marker is not all ones"),
            E::BadMessageLength(len) => write!(f, "bad message length {len}"),
            E::BadMessageType(t) => write!(f, "bad message type {t}"),
            E::MalformedOpen => f.write_str("malformed OPEN optional parameters"),
            E::UnsupportedVersionNumber(v) => write!(f, "unsupported BGP version {v}"),
            E::BadPeerAs => f.write_str("bad peer AS"),
            E::BadBgpIdentifier(id) => write!(f, "bad BGP identifier {id}"),
            E::UnsupportedOptionalParameter(t) => write!(f, "unsupported optional parameter {t}"),
            E::UnacceptableHoldTime(t) => write!(f, "unacceptable hold time {t}"),
            E::MalformedAttributeList => f.write_str("malformed attribute list"),
            E::UnrecognizedWellKnownAttribute(_) => {
                f.write_str("unrecognized well-known attribute")
            }
            E::MissingWellKnownAttribute(t) => write!(f, "missing well-known attribute {t}"),
            E::AttributeFlagsError(_) => f.write_str("attribute flags error"),
            E::AttributeLengthError(_) => f.write_str("attribute length error"),
            E::InvalidOriginAttribute(_) => f.write_str("invalid ORIGIN"),
            E::InvalidNextHopAttribute(_) => f.write_str("invalid NEXT_HOP"),
            E::OptionalAttributeError(_) => f.write_str("optional attribute error"),
            E::InvalidNetworkField => f.write_str("invalid network field"),
            E::MalformedAsPath => f.write_str("malformed AS_PATH"),
            E::InvalidRouteRefreshLength(_) => f.write_str("invalid ROUTE-REFRESH length"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// What RFC 7606 says to do about a path-attribute error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum AttrAction {
    /// RFC 7606 §2: withdraw every prefix of the UPDATE (keep the session).
    TreatAsWithdraw,
    /// RFC 7606 §2: drop the attribute and go on with the UPDATE.
    AttributeDiscard,
    /// RFC 4271: send the NOTIFICATION and reset the session.
    SessionReset,
}

/// A path-attribute error with its RFC 7606 action.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttrError {
    /// Type code of the attribute concerned.
    pub type_code: u8,
    /// What to do about it.
    pub action: AttrAction,
    /// The error, naming the NOTIFICATION RFC 4271 would send.
    pub error: DecodeError,
}

impl fmt::Display for AttrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "attribute {}: {} ({:?})",
            self.type_code, self.error, self.action
        )
    }
}

impl std::error::Error for AttrError {}

/// The whole attribute (flags, type, length, value) as NOTIFICATION data.
pub(crate) fn attribute_bytes(flags: u8, type_code: u8, value: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(value.len() + 4);
    out.put_u8(flags);
    out.put_u8(type_code);
    if flags & 0x10 != 0 {
        out.put_u16(u16::try_from(value.len()).unwrap_or(u16::MAX));
    } else {
        out.put_u8(u8::try_from(value.len()).unwrap_or(u8::MAX));
    }
    out.put_slice(value);
    out.freeze()
}

/// A value that cannot be encoded; nothing is ever truncated instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// The message would be `length` octets, over the `max` allowed.
    MessageTooLong {
        /// Octets the message needs.
        length: usize,
        /// Octets allowed.
        max: usize,
    },
    /// An attribute value longer than 65535 octets.
    AttributeTooLong {
        /// The attribute type code.
        type_code: u8,
        /// Octets the value needs.
        length: usize,
    },
    /// A field whose length does not fit its length field (withdrawn routes,
    /// attributes, optional parameters, a capability, FQDN names).
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Octets it needs.
        length: usize,
    },
    /// A 4-octet ASN where the session only carries 2-octet ones (use
    /// AS_TRANS and AS4_PATH/AS4_AGGREGATOR, RFC 6793).
    AsnTooLarge(u32),
    /// A prefix of the wrong address family for where it is encoded.
    FamilyMismatch,
    /// The attributes leave no room for even one prefix.
    AttributesTooLarge {
        /// Octets of attributes and fixed fields.
        length: usize,
        /// Octets allowed per message.
        max: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::MessageTooLong { length, max } => {
                write!(f, "message of {length} octets exceeds {max}")
            }
            EncodeError::AttributeTooLong { type_code, length } => {
                write!(f, "attribute {type_code} of {length} octets exceeds 65535")
            }
            EncodeError::FieldTooLong { field, length } => {
                write!(
                    f,
                    "{field} of {length} octets does not fit its length field"
                )
            }
            EncodeError::AsnTooLarge(asn) => {
                write!(f, "AS {asn} needs 4 octets but the session uses 2")
            }
            EncodeError::FamilyMismatch => f.write_str("prefix of the wrong address family"),
            EncodeError::AttributesTooLarge { length, max } => write!(
                f,
                "{length} octets of attributes leave no room for a prefix in {max}"
            ),
        }
    }
}

impl std::error::Error for EncodeError {}
