//! Errors of the BMP codec.
//!
//! Every variant names the condition; the offending values are fields, and
//! the text lives in `Display` (STYLE §6).

use std::fmt;

use super::stats::StatType;
use crate::wire::Truncated;

/// Why a BMP message (or a frame header) could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended in the middle of a field.
    Truncated,
    /// The common header's version is not 3 (RFC 7854 §4.1).
    BadVersion(u8),
    /// The common header's length is below the 6-octet header or above
    /// [`MAX_MESSAGE_LEN`](super::MAX_MESSAGE_LEN).
    BadLength(u32),
    /// The buffer handed to `Message::decode` is not exactly one message.
    LengthMismatch {
        /// Length announced by the common header.
        header: u32,
        /// Octets actually supplied.
        actual: usize,
    },
    /// A message type this codec does not know (IANA "BMP Message Types").
    UnknownType(u8),
    /// A known statistic whose length differs from the RFC's size.
    BadStatLength {
        /// The statistic.
        stat: StatType,
        /// Its length field.
        len: u16,
    },
    /// An embedded BGP PDU whose header length (offset 16) is below 19 or
    /// runs past the input, or (Route Monitoring, RFC 7854 §4.6) does not
    /// end exactly where the message ends.
    EmbeddedPduLength {
        /// The BGP header's length field (0 when the header itself is cut).
        length: u16,
        /// Octets available for the PDU.
        available: usize,
    },
    /// Peer Down data that does not fit its reason code (RFC 7854 §4.9).
    BadPeerDownData {
        /// The reason code.
        reason: u8,
        /// Octets of data that followed it.
        len: usize,
    },
    /// A fixed-size or bounded TLV with the wrong length (a 2-octet reason
    /// or information code, a VRF/Table Name over 255 octets).
    BadTlvLength {
        /// The TLV type.
        tlv_type: u16,
        /// Its length field.
        len: u16,
    },
    /// Octets left over after a Statistics Report's announced count of TLVs.
    TrailingData(usize),
}

impl From<Truncated> for DecodeError {
    fn from(_: Truncated) -> Self {
        DecodeError::Truncated
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("BMP message ends in the middle of a field"),
            DecodeError::BadVersion(v) => write!(f, "BMP version {v} (expected 3)"),
            DecodeError::BadLength(len) => write!(f, "impossible BMP message length {len}"),
            DecodeError::LengthMismatch { header, actual } => {
                write!(f, "BMP header says {header} octets but {actual} were given")
            }
            DecodeError::UnknownType(t) => write!(f, "unknown BMP message type {t}"),
            DecodeError::BadStatLength { stat, len } => {
                write!(f, "statistic {} has length {len}", u16::from(*stat))
            }
            DecodeError::EmbeddedPduLength { length, available } => write!(
                f,
                "embedded BGP PDU length {length} does not fit the {available} octets available"
            ),
            DecodeError::BadPeerDownData { reason, len } => {
                write!(f, "Peer Down reason {reason} with {len} octets of data")
            }
            DecodeError::BadTlvLength { tlv_type, len } => {
                write!(f, "TLV type {tlv_type} has invalid length {len}")
            }
            DecodeError::TrailingData(len) => {
                write!(f, "{len} octets after the last statistic")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why a value could not be encoded. Encoding never truncates silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// A field does not fit its length field.
    TooLong {
        /// What was being written.
        field: &'static str,
        /// Its length in octets.
        len: usize,
        /// The most the wire format allows.
        max: usize,
    },
    /// A BGP PDU to embed is not exactly one BGP message (its header length
    /// at offset 16 is below 19 or differs from the slice's length).
    EmbeddedPduLength {
        /// Octets supplied.
        len: usize,
    },
    /// A statistic's value has the wrong shape for its type (a counter
    /// where the RFC defines a gauge, and so on).
    StatValueMismatch {
        /// The statistic.
        stat: StatType,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLong { field, len, max } => {
                write!(f, "{field} is {len} octets, more than the {max} allowed")
            }
            EncodeError::EmbeddedPduLength { len } => {
                write!(f, "{len} octets are not exactly one BGP message")
            }
            EncodeError::StatValueMismatch { stat } => {
                write!(
                    f,
                    "value does not match statistic type {}",
                    u16::from(*stat)
                )
            }
        }
    }
}

impl std::error::Error for EncodeError {}
