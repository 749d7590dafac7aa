//! Information TLVs: Initiation (RFC 7854 §4.3), Termination (§4.5) and
//! Peer Up / Peer Down information (§4.10, RFC 9069 §5, RFC 9736).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Information Type     |       Information Length      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Information (variable)                        |
//! ~                                                               ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Initiation and Termination messages are nothing but a list of these.
//! Each message kind has its own IANA registry (RFC 9736 split Peer Up's
//! from Initiation's), so each has its own enum. Text values are UTF-8;
//! a text TLV that is not valid UTF-8 is kept as `Other` with its type, so
//! the bytes still round-trip.

use bytes::{BufMut, Bytes, BytesMut};

use super::{DecodeError, EncodeError};
use crate::wire::{serialize_hex, Take};

/// Reads one TLV (type, value) from the front of `buf`.
pub(super) fn take_tlv(buf: &mut Bytes) -> Result<(u16, Bytes), DecodeError> {
    let tlv_type = buf.take_u16()?;
    let len = buf.take_u16()?;
    Ok((tlv_type, buf.take_bytes(usize::from(len))?))
}

/// Appends one TLV, refusing a value longer than the 2-octet length allows.
pub(super) fn put_tlv(
    out: &mut BytesMut,
    tlv_type: u16,
    value: &[u8],
    field: &'static str,
) -> Result<(), EncodeError> {
    let len = u16::try_from(value.len()).map_err(|_| EncodeError::TooLong {
        field,
        len: value.len(),
        max: usize::from(u16::MAX),
    })?;
    out.reserve(4 + value.len());
    out.put_u16(tlv_type);
    out.put_u16(len);
    out.put_slice(value);
    Ok(())
}

/// UTF-8 text, or the raw bytes back when they are not valid UTF-8.
fn text(value: Bytes) -> Result<String, Bytes> {
    match std::str::from_utf8(&value) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => Err(value),
    }
}

/// Reads a 2-octet code TLV value.
fn code(tlv_type: u16, value: &Bytes) -> Result<u16, DecodeError> {
    match value.as_ref() {
        [hi, lo] => Ok(u16::from_be_bytes([*hi, *lo])),
        _ => Err(DecodeError::BadTlvLength {
            tlv_type,
            len: u16::try_from(value.len()).unwrap_or(u16::MAX),
        }),
    }
}

/// One Initiation information TLV (IANA "BMP Initiation Message TLVs").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InitiationTlv {
    /// 0: free-form UTF-8 string.
    String(String),
    /// 1: sysDescr (MIB-II), UTF-8.
    SysDescr(String),
    /// 2: sysName (MIB-II), UTF-8.
    SysName(String),
    /// Any other type, or a text TLV that is not UTF-8, kept raw.
    Other {
        /// The TLV type.
        tlv_type: u16,
        /// The value as received.
        #[serde(serialize_with = "serialize_hex")]
        value: Bytes,
    },
}

/// Initiation message (type 4, RFC 7854 §4.3): the speaker introduces itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Initiation {
    /// The information TLVs, in wire order.
    pub information: Vec<InitiationTlv>,
}

impl Initiation {
    pub(super) fn decode_body(mut body: Bytes) -> Result<Initiation, DecodeError> {
        let mut information = Vec::new();
        while !body.is_empty() {
            let (tlv_type, value) = take_tlv(&mut body)?;
            let tlv = match tlv_type {
                0..=2 => match text(value) {
                    Ok(s) if tlv_type == 0 => InitiationTlv::String(s),
                    Ok(s) if tlv_type == 1 => InitiationTlv::SysDescr(s),
                    Ok(s) => InitiationTlv::SysName(s),
                    Err(value) => InitiationTlv::Other { tlv_type, value },
                },
                _ => InitiationTlv::Other { tlv_type, value },
            };
            information.push(tlv);
        }
        Ok(Initiation { information })
    }

    pub(super) fn encode_body(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        for tlv in &self.information {
            match tlv {
                InitiationTlv::String(s) => put_tlv(out, 0, s.as_bytes(), "string TLV")?,
                InitiationTlv::SysDescr(s) => put_tlv(out, 1, s.as_bytes(), "sysDescr TLV")?,
                InitiationTlv::SysName(s) => put_tlv(out, 2, s.as_bytes(), "sysName TLV")?,
                InitiationTlv::Other { tlv_type, value } => {
                    put_tlv(out, *tlv_type, value, "information TLV")?
                }
            }
        }
        Ok(())
    }
}

/// Termination reason (RFC 7854 §4.5, IANA "BMP Termination Message Reason
/// Codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminationReason {
    /// 0: session administratively closed.
    AdministrativelyClosed,
    /// 1: unspecified reason.
    Unspecified,
    /// 2: out of resources.
    OutOfResources,
    /// 3: redundant connection.
    RedundantConnection,
    /// 4: session permanently administratively closed.
    PermanentlyAdministrativelyClosed,
    /// Any other value, kept as received.
    Unknown(u16),
}

impl From<u16> for TerminationReason {
    fn from(value: u16) -> Self {
        match value {
            0 => TerminationReason::AdministrativelyClosed,
            1 => TerminationReason::Unspecified,
            2 => TerminationReason::OutOfResources,
            3 => TerminationReason::RedundantConnection,
            4 => TerminationReason::PermanentlyAdministrativelyClosed,
            other => TerminationReason::Unknown(other),
        }
    }
}

impl From<TerminationReason> for u16 {
    fn from(value: TerminationReason) -> u16 {
        match value {
            TerminationReason::AdministrativelyClosed => 0,
            TerminationReason::Unspecified => 1,
            TerminationReason::OutOfResources => 2,
            TerminationReason::RedundantConnection => 3,
            TerminationReason::PermanentlyAdministrativelyClosed => 4,
            TerminationReason::Unknown(other) => other,
        }
    }
}

/// One Termination information TLV (IANA "BMP Termination Message TLVs").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminationTlv {
    /// 0: free-form UTF-8 string.
    String(String),
    /// 1: 2-octet reason code.
    Reason(TerminationReason),
    /// Any other type, or a string that is not UTF-8, kept raw.
    Other {
        /// The TLV type.
        tlv_type: u16,
        /// The value as received.
        #[serde(serialize_with = "serialize_hex")]
        value: Bytes,
    },
}

/// Termination message (type 5, RFC 7854 §4.5): the speaker is closing.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Termination {
    /// The information TLVs, in wire order.
    pub information: Vec<TerminationTlv>,
}

impl Termination {
    pub(super) fn decode_body(mut body: Bytes) -> Result<Termination, DecodeError> {
        let mut information = Vec::new();
        while !body.is_empty() {
            let (tlv_type, value) = take_tlv(&mut body)?;
            let tlv = match tlv_type {
                0 => match text(value) {
                    Ok(s) => TerminationTlv::String(s),
                    Err(value) => TerminationTlv::Other { tlv_type, value },
                },
                1 => TerminationTlv::Reason(code(tlv_type, &value)?.into()),
                _ => TerminationTlv::Other { tlv_type, value },
            };
            information.push(tlv);
        }
        Ok(Termination { information })
    }

    pub(super) fn encode_body(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        for tlv in &self.information {
            match tlv {
                TerminationTlv::String(s) => put_tlv(out, 0, s.as_bytes(), "string TLV")?,
                TerminationTlv::Reason(r) => {
                    put_tlv(out, 1, &u16::from(*r).to_be_bytes(), "reason TLV")?
                }
                TerminationTlv::Other { tlv_type, value } => {
                    put_tlv(out, *tlv_type, value, "information TLV")?
                }
            }
        }
        Ok(())
    }
}

/// Longest VRF/Table Name, in octets (RFC 9069 §5.1).
pub const MAX_VRF_TABLE_NAME: usize = 255;

/// One Peer Up (and Peer Down reason 6) information TLV (IANA "BMP Peer Up
/// Message TLVs", RFC 9736).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerInfoTlv {
    /// 0: free-form UTF-8 string (RFC 7854 §4.10).
    String(String),
    /// 3: VRF/Table Name, UTF-8, at most 255 octets (RFC 9069 §5.1).
    VrfTableName(String),
    /// 4: Admin Label, UTF-8 (registered by RFC 8671).
    AdminLabel(String),
    /// Any other type, or text that is not UTF-8, kept raw.
    Other {
        /// The TLV type.
        tlv_type: u16,
        /// The value as received.
        #[serde(serialize_with = "serialize_hex")]
        value: Bytes,
    },
}

impl PeerInfoTlv {
    /// Reads TLVs until `buf` is empty.
    pub(super) fn decode_all(mut buf: Bytes) -> Result<Vec<PeerInfoTlv>, DecodeError> {
        let mut tlvs = Vec::new();
        while !buf.is_empty() {
            let (tlv_type, value) = take_tlv(&mut buf)?;
            if tlv_type == 3 && value.len() > MAX_VRF_TABLE_NAME {
                let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
                return Err(DecodeError::BadTlvLength { tlv_type, len });
            }
            let tlv = match tlv_type {
                0 | 3 | 4 => match text(value) {
                    Ok(s) if tlv_type == 0 => PeerInfoTlv::String(s),
                    Ok(s) if tlv_type == 3 => PeerInfoTlv::VrfTableName(s),
                    Ok(s) => PeerInfoTlv::AdminLabel(s),
                    Err(value) => PeerInfoTlv::Other { tlv_type, value },
                },
                _ => PeerInfoTlv::Other { tlv_type, value },
            };
            tlvs.push(tlv);
        }
        Ok(tlvs)
    }

    /// Appends each TLV of `tlvs`.
    pub(super) fn encode_all(tlvs: &[PeerInfoTlv], out: &mut BytesMut) -> Result<(), EncodeError> {
        for tlv in tlvs {
            match tlv {
                PeerInfoTlv::String(s) => put_tlv(out, 0, s.as_bytes(), "string TLV")?,
                PeerInfoTlv::VrfTableName(s) => {
                    if s.len() > MAX_VRF_TABLE_NAME {
                        return Err(EncodeError::TooLong {
                            field: "VRF/Table Name",
                            len: s.len(),
                            max: MAX_VRF_TABLE_NAME,
                        });
                    }
                    put_tlv(out, 3, s.as_bytes(), "VRF/Table Name")?
                }
                PeerInfoTlv::AdminLabel(s) => put_tlv(out, 4, s.as_bytes(), "admin label TLV")?,
                PeerInfoTlv::Other { tlv_type, value } => {
                    put_tlv(out, *tlv_type, value, "information TLV")?
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
    fn termination_reason_code_points_round_trip() {
        for v in 0..=u16::MAX {
            assert_eq!(u16::from(TerminationReason::from(v)), v);
        }
    }

    #[test]
    fn text_tlv_that_is_not_utf8_is_kept_raw() {
        let body = Bytes::from_static(&[0, 2, 0, 2, 0xff, 0xfe]);
        let init = Initiation::decode_body(body.clone()).expect("decodes");
        assert_eq!(
            init.information,
            vec![InitiationTlv::Other {
                tlv_type: 2,
                value: Bytes::from_static(&[0xff, 0xfe])
            }]
        );
        let mut out = BytesMut::new();
        init.encode_body(&mut out).expect("encodes");
        assert_eq!(out.freeze(), body);
    }

    #[test]
    fn vrf_table_name_over_255_octets_is_rejected_both_ways() {
        let name = "x".repeat(256);
        let mut out = BytesMut::new();
        let err = PeerInfoTlv::encode_all(&[PeerInfoTlv::VrfTableName(name.clone())], &mut out);
        assert!(matches!(err, Err(EncodeError::TooLong { .. })));
        let mut raw = BytesMut::new();
        put_tlv(&mut raw, 3, name.as_bytes(), "test").expect("fits");
        assert_eq!(
            PeerInfoTlv::decode_all(raw.freeze()),
            Err(DecodeError::BadTlvLength {
                tlv_type: 3,
                len: 256
            })
        );
    }

    #[test]
    fn termination_reason_with_wrong_length_is_an_error() {
        let body = Bytes::from_static(&[0, 1, 0, 1, 0]);
        assert_eq!(
            Termination::decode_body(body),
            Err(DecodeError::BadTlvLength {
                tlv_type: 1,
                len: 1
            })
        );
    }

    #[test]
    fn oversized_tlv_value_is_refused() {
        let mut out = BytesMut::new();
        let big = vec![0u8; 70_000];
        assert!(matches!(
            put_tlv(&mut out, 9, &big, "x"),
            Err(EncodeError::TooLong { .. })
        ));
        assert!(out.is_empty());
    }
}
