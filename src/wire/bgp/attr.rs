//! Path attributes (RFC 4271 §4.3, §5) and their RFC 7606 error handling.
//!
//! ```text
//! +-----------------+-----------------+--------------------+-------------+
//! | Attr. Flags (1) | Attr. Type (1)  | Length (1, or 2    | Value       |
//! | O T P E 0 0 0 0 |                 | with E set)        | (variable)  |
//! +-----------------+-----------------+--------------------+-------------+
//! ```
//!
//! O optional, T transitive, P partial, E extended length. The flags octet
//! is kept exactly as received (extended length included), so a received
//! attribute re-encodes to its own bytes; encoding still sets E when the
//! value needs it. Known types: IANA "BGP Path Attributes" 1–10 (RFC 4271,
//! RFC 1997, RFC 4456), 14–15 (RFC 4760), 16 (RFC 4360), 17–18 (RFC 6793),
//! 32 (RFC 8092). Others stay raw with their flags.

use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes, BytesMut};

use super::aspath::{AsPath, Segment, SegmentType};
use super::community::{self, Community, ExtendedCommunity, LargeCommunity};
use super::error::{attribute_bytes, AttrAction, AttrError, DecodeError, EncodeError};
use super::mp::{MpReach, MpUnreach};
use super::Negotiated;

code_enum! {
    /// Path attribute type codes (IANA "BGP Path Attributes").
    pub enum AttrType: u8 {
        /// 1: ORIGIN.
        Origin = 1,
        /// 2: AS_PATH.
        AsPath = 2,
        /// 3: NEXT_HOP.
        NextHop = 3,
        /// 4: MULTI_EXIT_DISC.
        MultiExitDisc = 4,
        /// 5: LOCAL_PREF.
        LocalPref = 5,
        /// 6: ATOMIC_AGGREGATE.
        AtomicAggregate = 6,
        /// 7: AGGREGATOR.
        Aggregator = 7,
        /// 8: COMMUNITIES (RFC 1997).
        Communities = 8,
        /// 9: ORIGINATOR_ID (RFC 4456).
        OriginatorId = 9,
        /// 10: CLUSTER_LIST (RFC 4456).
        ClusterList = 10,
        /// 14: MP_REACH_NLRI (RFC 4760).
        MpReachNlri = 14,
        /// 15: MP_UNREACH_NLRI (RFC 4760).
        MpUnreachNlri = 15,
        /// 16: EXTENDED COMMUNITIES (RFC 4360).
        ExtendedCommunities = 16,
        /// 17: AS4_PATH (RFC 6793).
        As4Path = 17,
        /// 18: AS4_AGGREGATOR (RFC 6793).
        As4Aggregator = 18,
        /// 32: LARGE_COMMUNITY (RFC 8092).
        LargeCommunities = 32,
    }
}

/// The attribute flags octet, exactly as received or sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct AttrFlags(pub u8);

impl AttrFlags {
    /// Optional (O) bit.
    pub const OPTIONAL: u8 = 0x80;
    /// Transitive (T) bit.
    pub const TRANSITIVE: u8 = 0x40;
    /// Partial (P) bit.
    pub const PARTIAL: u8 = 0x20;
    /// Extended Length (E) bit.
    pub const EXTENDED_LENGTH: u8 = 0x10;

    /// O bit set.
    pub fn optional(self) -> bool {
        self.0 & Self::OPTIONAL != 0
    }

    /// T bit set.
    pub fn transitive(self) -> bool {
        self.0 & Self::TRANSITIVE != 0
    }

    /// P bit set.
    pub fn partial(self) -> bool {
        self.0 & Self::PARTIAL != 0
    }

    /// E bit set: 2-octet length.
    pub fn extended_length(self) -> bool {
        self.0 & Self::EXTENDED_LENGTH != 0
    }
}

/// ORIGIN value (RFC 4271 §5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// 0: IGP.
    Igp,
    /// 1: EGP.
    Egp,
    /// 2: INCOMPLETE.
    Incomplete,
}

/// AGGREGATOR or AS4_AGGREGATOR value (RFC 4271 §5.1.7, RFC 6793).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Aggregator {
    /// The aggregating speaker's ASN (2 or 4 octets on the wire).
    pub asn: u32,
    /// Its BGP Identifier.
    pub address: Ipv4Addr,
}

/// A path attribute's decoded value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrValue {
    /// 1: ORIGIN.
    Origin(Origin),
    /// 2: AS_PATH (ASN width from [`Negotiated::four_octet_as`]).
    AsPath(AsPath),
    /// 3: NEXT_HOP.
    NextHop(Ipv4Addr),
    /// 4: MULTI_EXIT_DISC.
    MultiExitDisc(u32),
    /// 5: LOCAL_PREF.
    LocalPref(u32),
    /// 6: ATOMIC_AGGREGATE.
    AtomicAggregate,
    /// 7: AGGREGATOR (ASN width from [`Negotiated::four_octet_as`]).
    Aggregator(Aggregator),
    /// 8: COMMUNITIES.
    Communities(Vec<Community>),
    /// 9: ORIGINATOR_ID.
    OriginatorId(Ipv4Addr),
    /// 10: CLUSTER_LIST.
    ClusterList(Vec<Ipv4Addr>),
    /// 14: MP_REACH_NLRI.
    MpReach(MpReach),
    /// 15: MP_UNREACH_NLRI.
    MpUnreach(MpUnreach),
    /// 16: EXTENDED COMMUNITIES.
    ExtendedCommunities(Vec<ExtendedCommunity>),
    /// 17: AS4_PATH (always 4-octet ASNs).
    As4Path(AsPath),
    /// 18: AS4_AGGREGATOR (always a 4-octet ASN).
    As4Aggregator(Aggregator),
    /// 32: LARGE_COMMUNITY.
    LargeCommunities(Vec<LargeCommunity>),
    /// Any other (optional) attribute, kept raw.
    Unknown {
        /// Type code.
        type_code: u8,
        /// Value as received.
        #[serde(serialize_with = "crate::wire::serialize_hex")]
        value: Bytes,
    },
}

impl AttrValue {
    /// The attribute type code.
    pub fn type_code(&self) -> u8 {
        let t = match self {
            AttrValue::Origin(_) => AttrType::Origin,
            AttrValue::AsPath(_) => AttrType::AsPath,
            AttrValue::NextHop(_) => AttrType::NextHop,
            AttrValue::MultiExitDisc(_) => AttrType::MultiExitDisc,
            AttrValue::LocalPref(_) => AttrType::LocalPref,
            AttrValue::AtomicAggregate => AttrType::AtomicAggregate,
            AttrValue::Aggregator(_) => AttrType::Aggregator,
            AttrValue::Communities(_) => AttrType::Communities,
            AttrValue::OriginatorId(_) => AttrType::OriginatorId,
            AttrValue::ClusterList(_) => AttrType::ClusterList,
            AttrValue::MpReach(_) => AttrType::MpReachNlri,
            AttrValue::MpUnreach(_) => AttrType::MpUnreachNlri,
            AttrValue::ExtendedCommunities(_) => AttrType::ExtendedCommunities,
            AttrValue::As4Path(_) => AttrType::As4Path,
            AttrValue::As4Aggregator(_) => AttrType::As4Aggregator,
            AttrValue::LargeCommunities(_) => AttrType::LargeCommunities,
            AttrValue::Unknown { type_code, .. } => return *type_code,
        };
        t.into()
    }
}

/// The Optional and Transitive bits a known type must have, or `None` for
/// an unknown type.
pub fn required_flags(type_code: u8) -> Option<u8> {
    const WELL_KNOWN: u8 = AttrFlags::TRANSITIVE;
    const OPTIONAL_TRANSITIVE: u8 = AttrFlags::OPTIONAL | AttrFlags::TRANSITIVE;
    const OPTIONAL_NON_TRANSITIVE: u8 = AttrFlags::OPTIONAL;
    Some(match AttrType::from(type_code) {
        AttrType::Origin
        | AttrType::AsPath
        | AttrType::NextHop
        | AttrType::LocalPref
        | AttrType::AtomicAggregate => WELL_KNOWN,
        AttrType::MultiExitDisc
        | AttrType::OriginatorId
        | AttrType::ClusterList
        | AttrType::MpReachNlri
        | AttrType::MpUnreachNlri => OPTIONAL_NON_TRANSITIVE,
        AttrType::Aggregator
        | AttrType::Communities
        | AttrType::ExtendedCommunities
        | AttrType::As4Path
        | AttrType::As4Aggregator
        | AttrType::LargeCommunities => OPTIONAL_TRANSITIVE,
        AttrType::Unknown(_) => return None,
    })
}

/// What RFC 7606 §7 does with a malformed attribute of this type.
///
/// LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST from an external peer are
/// discarded (§7.5, §7.9, §7.10); ATOMIC_AGGREGATE, AGGREGATOR (§7.6,
/// §7.7), AS4_PATH and AS4_AGGREGATOR (RFC 6793 §6) are discarded;
/// MP_REACH/MP_UNREACH reset the session (§7.11); the rest are
/// treat-as-withdraw.
pub fn malformed_action(type_code: u8, cx: &Negotiated) -> AttrAction {
    match AttrType::from(type_code) {
        AttrType::LocalPref | AttrType::OriginatorId | AttrType::ClusterList if cx.external => {
            AttrAction::AttributeDiscard
        }
        AttrType::AtomicAggregate
        | AttrType::Aggregator
        | AttrType::As4Path
        | AttrType::As4Aggregator
        | AttrType::Unknown(_) => AttrAction::AttributeDiscard,
        AttrType::MpReachNlri | AttrType::MpUnreachNlri => AttrAction::SessionReset,
        _ => AttrAction::TreatAsWithdraw,
    }
}

/// One path attribute: flags as received plus the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct PathAttribute {
    /// The flags octet.
    pub flags: AttrFlags,
    /// The value.
    pub value: AttrValue,
}

impl PathAttribute {
    /// An attribute with the flags its type requires (optional transitive
    /// for unknown types), without Partial or Extended Length.
    pub fn new(value: AttrValue) -> PathAttribute {
        let flags = required_flags(value.type_code())
            .unwrap_or(AttrFlags::OPTIONAL | AttrFlags::TRANSITIVE);
        PathAttribute {
            flags: AttrFlags(flags),
            value,
        }
    }

    /// The type code.
    pub fn type_code(&self) -> u8 {
        self.value.type_code()
    }

    /// Sets the Partial bit on an unrecognized optional transitive
    /// attribute, as a speaker passing it on must (RFC 4271 §5); other
    /// attributes are unchanged.
    pub fn mark_partial(&mut self) {
        if matches!(self.value, AttrValue::Unknown { .. })
            && self.flags.optional()
            && self.flags.transitive()
        {
            self.flags.0 |= AttrFlags::PARTIAL;
        }
    }

    /// Decodes one attribute's value. On error, the [`AttrError`] carries
    /// the RFC 7606 action and the RFC 4271 NOTIFICATION.
    pub fn decode(
        flags: u8,
        type_code: u8,
        value: Bytes,
        cx: &Negotiated,
    ) -> Result<PathAttribute, AttrError> {
        let attr = || attribute_bytes(flags, type_code, &value);
        let fail = |action: AttrAction, error: DecodeError| AttrError {
            type_code,
            action,
            error,
        };
        let malformed = |error: DecodeError| fail(malformed_action(type_code, cx), error);
        let Some(required) = required_flags(type_code) else {
            if flags & AttrFlags::OPTIONAL == 0 {
                return Err(fail(
                    AttrAction::SessionReset,
                    DecodeError::UnrecognizedWellKnownAttribute(attr()),
                ));
            }
            let value = AttrValue::Unknown { type_code, value };
            return Ok(PathAttribute {
                flags: AttrFlags(flags),
                value,
            });
        };
        if flags & (AttrFlags::OPTIONAL | AttrFlags::TRANSITIVE) != required {
            // RFC 7606 §3 (c): treat-as-withdraw, but MP_* stay fatal.
            let action = match malformed_action(type_code, cx) {
                AttrAction::SessionReset => AttrAction::SessionReset,
                _ => AttrAction::TreatAsWithdraw,
            };
            return Err(fail(action, DecodeError::AttributeFlagsError(attr())));
        }
        let length_error = || malformed(DecodeError::AttributeLengthError(attr()));
        let u32_value = || -> Result<u32, AttrError> {
            Ok(u32::from_be_bytes(
                *<&[u8; 4]>::try_from(&value[..]).map_err(|_| length_error())?,
            ))
        };
        let four_octet = |v: &[u8]| -> Option<Aggregator> {
            let (asn, address) = v.split_first_chunk::<4>()?;
            Some(Aggregator {
                asn: u32::from_be_bytes(*asn),
                address: Ipv4Addr::from(<[u8; 4]>::try_from(address).ok()?),
            })
        };
        let decoded = match AttrType::from(type_code) {
            AttrType::Origin => match *value {
                [0] => AttrValue::Origin(Origin::Igp),
                [1] => AttrValue::Origin(Origin::Egp),
                [2] => AttrValue::Origin(Origin::Incomplete),
                [_] => return Err(malformed(DecodeError::InvalidOriginAttribute(attr()))),
                _ => return Err(length_error()),
            },
            AttrType::AsPath => {
                let path = AsPath::decode(&value, cx.four_octet_as)
                    .map_err(|_| malformed(DecodeError::MalformedAsPath))?;
                // RFC 5065 §5: confederation segments from outside the
                // confederation (bgpd is in none) are a malformed AS_PATH.
                let confed = |s: &Segment| {
                    matches!(s.kind, SegmentType::ConfedSequence | SegmentType::ConfedSet)
                };
                if cx.external && path.segments.iter().any(confed) {
                    return Err(malformed(DecodeError::MalformedAsPath));
                }
                AttrValue::AsPath(path)
            }
            AttrType::NextHop => {
                let next_hop = Ipv4Addr::from(u32_value()?);
                // RFC 4271 §6.3: not a valid unicast address is 3/8.
                if next_hop.is_unspecified() || next_hop.is_broadcast() || next_hop.is_multicast() {
                    return Err(malformed(DecodeError::InvalidNextHopAttribute(attr())));
                }
                AttrValue::NextHop(next_hop)
            }
            AttrType::MultiExitDisc => AttrValue::MultiExitDisc(u32_value()?),
            AttrType::LocalPref => AttrValue::LocalPref(u32_value()?),
            AttrType::AtomicAggregate if value.is_empty() => AttrValue::AtomicAggregate,
            AttrType::AtomicAggregate => return Err(length_error()),
            AttrType::Aggregator if cx.four_octet_as => {
                AttrValue::Aggregator(four_octet(&value).ok_or_else(length_error)?)
            }
            AttrType::Aggregator => {
                let [a, b, c, d, e, f] =
                    <[u8; 6]>::try_from(&value[..]).map_err(|_| length_error())?;
                AttrValue::Aggregator(Aggregator {
                    asn: u32::from(u16::from_be_bytes([a, b])),
                    address: Ipv4Addr::new(c, d, e, f),
                })
            }
            AttrType::As4Aggregator => {
                AttrValue::As4Aggregator(four_octet(&value).ok_or_else(length_error)?)
            }
            AttrType::Communities => AttrValue::Communities(
                community::decode_communities(&value).ok_or_else(length_error)?,
            ),
            AttrType::OriginatorId => AttrValue::OriginatorId(Ipv4Addr::from(u32_value()?)),
            AttrType::ClusterList => {
                if value.is_empty() || value.len() % 4 != 0 {
                    return Err(length_error());
                }
                AttrValue::ClusterList(
                    value
                        .chunks_exact(4)
                        .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
                        .collect(),
                )
            }
            AttrType::MpReachNlri => AttrValue::MpReach(
                MpReach::decode(value.clone(), cx)
                    .map_err(|_| malformed(DecodeError::OptionalAttributeError(attr())))?,
            ),
            AttrType::MpUnreachNlri => AttrValue::MpUnreach(
                MpUnreach::decode(value.clone(), cx)
                    .map_err(|_| malformed(DecodeError::OptionalAttributeError(attr())))?,
            ),
            AttrType::ExtendedCommunities => AttrValue::ExtendedCommunities(
                community::decode_extended(&value).ok_or_else(length_error)?,
            ),
            AttrType::As4Path => AttrValue::As4Path(
                AsPath::decode(&value, true)
                    .map_err(|_| malformed(DecodeError::MalformedAsPath))?,
            ),
            AttrType::LargeCommunities => AttrValue::LargeCommunities(
                community::decode_large(&value).ok_or_else(length_error)?,
            ),
            AttrType::Unknown(_) => AttrValue::Unknown {
                type_code,
                value: value.clone(),
            },
        };
        Ok(PathAttribute {
            flags: AttrFlags(flags),
            value: decoded,
        })
    }

    /// Appends flags, type, length and value. The Extended Length bit is
    /// kept when set and added when the value needs more than 255 octets.
    pub fn encode(&self, out: &mut BytesMut, cx: &Negotiated) -> Result<(), EncodeError> {
        // The value goes straight into `out` behind a length field of the
        // size the flags ask for; a value too long for one octet moves up
        // by one (rare: long AS paths and community lists).
        let type_code = self.type_code();
        let start = out.len();
        let extended = self.flags.0 & AttrFlags::EXTENDED_LENGTH != 0;
        let header = if extended { 4 } else { 3 };
        out.put_u8(self.flags.0);
        out.put_u8(type_code);
        out.put_bytes(0, header - 2);
        if let Err(error) = self.encode_value(out, cx) {
            out.truncate(start);
            return Err(error);
        }
        let length = out.len() - start - header;
        let Ok(length16) = u16::try_from(length) else {
            out.truncate(start);
            return Err(EncodeError::AttributeTooLong { type_code, length });
        };
        if extended {
            out[start + 2..start + 4].copy_from_slice(&length16.to_be_bytes());
        } else if let Ok(short) = u8::try_from(length) {
            out[start + 2] = short;
        } else {
            let value = out.split_off(start + 3);
            out.truncate(start + 2);
            out[start] |= AttrFlags::EXTENDED_LENGTH;
            out.put_u16(length16);
            out.put_slice(&value);
        }
        Ok(())
    }

    fn encode_value(&self, out: &mut BytesMut, cx: &Negotiated) -> Result<(), EncodeError> {
        match &self.value {
            AttrValue::Origin(origin) => out.put_u8(match origin {
                Origin::Igp => 0,
                Origin::Egp => 1,
                Origin::Incomplete => 2,
            }),
            AttrValue::AsPath(path) => path.encode(out, cx.four_octet_as)?,
            AttrValue::NextHop(addr) | AttrValue::OriginatorId(addr) => {
                out.put_slice(&addr.octets())
            }
            AttrValue::MultiExitDisc(v) | AttrValue::LocalPref(v) => out.put_u32(*v),
            AttrValue::AtomicAggregate => {}
            AttrValue::Aggregator(agg) => {
                if cx.four_octet_as {
                    out.put_u32(agg.asn);
                } else {
                    let asn =
                        u16::try_from(agg.asn).map_err(|_| EncodeError::AsnTooLarge(agg.asn))?;
                    out.put_u16(asn);
                }
                out.put_slice(&agg.address.octets());
            }
            AttrValue::As4Aggregator(agg) => {
                out.put_u32(agg.asn);
                out.put_slice(&agg.address.octets());
            }
            AttrValue::Communities(items) => community::encode_communities(items, out),
            AttrValue::ClusterList(ids) => {
                for id in ids {
                    out.put_slice(&id.octets());
                }
            }
            AttrValue::MpReach(reach) => reach.encode(out, cx)?,
            AttrValue::MpUnreach(unreach) => unreach.encode(out, cx)?,
            AttrValue::ExtendedCommunities(items) => community::encode_extended(items, out),
            AttrValue::As4Path(path) => path.encode(out, true)?,
            AttrValue::LargeCommunities(items) => community::encode_large(items, out),
            AttrValue::Unknown { value, .. } => out.put_slice(value),
        }
        Ok(())
    }
}
