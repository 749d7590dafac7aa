//! Statistics Report (type 1, RFC 7854 §4.8; types 14–17 from RFC 8671 §6).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   per-peer header (42 octets)                 |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Stats Count                            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Stat Type             |          Stat Len             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Stat Data                              |
//! ~                 (repeated Stats Count times)                  ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Stat Data is a 32-bit counter, a 64-bit gauge, or for the per-AFI/SAFI
//! types AFI (2) + SAFI (1) + 64-bit gauge (11 octets). Types this codec
//! does not know (including vendor types such as FRR's 65531) are kept raw.
//!
//! RFC 7854 §4.8 lets a collector skip a statistic whose length it does not
//! expect. [`Message::decode`](super::Message::decode) is strict and fails
//! on a known type with the wrong length;
//! [`Message::decode_lenient`](super::Message::decode_lenient) keeps such a
//! statistic as [`StatValue::Raw`] instead.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::tlv::take_tlv;
use super::{DecodeError, EncodeError, PerPeerHeader};
use crate::wire::{serialize_hex, Family, Take};

/// Statistics type (IANA "BMP Statistics Types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatType {
    /// 0: prefixes rejected by inbound policy (32-bit counter).
    RejectedPrefixes,
    /// 1: duplicate prefix advertisements (32-bit counter).
    DuplicatePrefixAdvertisements,
    /// 2: duplicate withdraws (32-bit counter).
    DuplicateWithdraws,
    /// 3: updates invalidated due to CLUSTER_LIST loop (32-bit counter).
    ClusterListLoop,
    /// 4: updates invalidated due to AS_PATH loop (32-bit counter).
    AsPathLoop,
    /// 5: updates invalidated due to ORIGINATOR_ID (32-bit counter).
    OriginatorIdLoop,
    /// 6: updates invalidated due to AS_CONFED loop (32-bit counter).
    AsConfedLoop,
    /// 7: routes in Adj-RIBs-In (64-bit gauge).
    AdjRibInRoutes,
    /// 8: routes in Loc-RIB (64-bit gauge).
    LocRibRoutes,
    /// 9: routes in per-AFI/SAFI Adj-RIB-In (AFI, SAFI, 64-bit gauge).
    FamilyAdjRibInRoutes,
    /// 10: routes in per-AFI/SAFI Loc-RIB (AFI, SAFI, 64-bit gauge).
    FamilyLocRibRoutes,
    /// 11: updates subjected to treat-as-withdraw (32-bit counter).
    UpdatesTreatedAsWithdraw,
    /// 12: prefixes subjected to treat-as-withdraw (32-bit counter).
    PrefixesTreatedAsWithdraw,
    /// 13: duplicate update messages received (32-bit counter).
    DuplicateUpdates,
    /// 14: routes in pre-policy Adj-RIB-Out (64-bit gauge, RFC 8671).
    PrePolicyAdjRibOutRoutes,
    /// 15: routes in post-policy Adj-RIB-Out (64-bit gauge, RFC 8671).
    PostPolicyAdjRibOutRoutes,
    /// 16: routes in per-AFI/SAFI pre-policy Adj-RIB-Out (RFC 8671).
    FamilyPrePolicyAdjRibOutRoutes,
    /// 17: routes in per-AFI/SAFI post-policy Adj-RIB-Out (RFC 8671).
    FamilyPostPolicyAdjRibOutRoutes,
    /// Any other value, kept as received.
    Unknown(u16),
}

/// The data layout a statistics type defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatShape {
    /// 32-bit counter (4 octets).
    Counter,
    /// 64-bit gauge (8 octets).
    Gauge,
    /// AFI (2) + SAFI (1) + 64-bit gauge: 11 octets.
    FamilyGauge,
}

impl StatShape {
    /// Octets of Stat Data.
    pub const fn data_len(self) -> usize {
        match self {
            StatShape::Counter => 4,
            StatShape::Gauge => 8,
            StatShape::FamilyGauge => 11,
        }
    }
}

impl StatType {
    /// The layout of this type's data, or `None` for unknown types.
    pub fn shape(self) -> Option<StatShape> {
        use StatType::*;
        match self {
            RejectedPrefixes
            | DuplicatePrefixAdvertisements
            | DuplicateWithdraws
            | ClusterListLoop
            | AsPathLoop
            | OriginatorIdLoop
            | AsConfedLoop
            | UpdatesTreatedAsWithdraw
            | PrefixesTreatedAsWithdraw
            | DuplicateUpdates => Some(StatShape::Counter),
            AdjRibInRoutes
            | LocRibRoutes
            | PrePolicyAdjRibOutRoutes
            | PostPolicyAdjRibOutRoutes => Some(StatShape::Gauge),
            FamilyAdjRibInRoutes
            | FamilyLocRibRoutes
            | FamilyPrePolicyAdjRibOutRoutes
            | FamilyPostPolicyAdjRibOutRoutes => Some(StatShape::FamilyGauge),
            Unknown(_) => None,
        }
    }
}

impl From<u16> for StatType {
    fn from(value: u16) -> Self {
        use StatType::*;
        match value {
            0 => RejectedPrefixes,
            1 => DuplicatePrefixAdvertisements,
            2 => DuplicateWithdraws,
            3 => ClusterListLoop,
            4 => AsPathLoop,
            5 => OriginatorIdLoop,
            6 => AsConfedLoop,
            7 => AdjRibInRoutes,
            8 => LocRibRoutes,
            9 => FamilyAdjRibInRoutes,
            10 => FamilyLocRibRoutes,
            11 => UpdatesTreatedAsWithdraw,
            12 => PrefixesTreatedAsWithdraw,
            13 => DuplicateUpdates,
            14 => PrePolicyAdjRibOutRoutes,
            15 => PostPolicyAdjRibOutRoutes,
            16 => FamilyPrePolicyAdjRibOutRoutes,
            17 => FamilyPostPolicyAdjRibOutRoutes,
            other => Unknown(other),
        }
    }
}

impl From<StatType> for u16 {
    fn from(value: StatType) -> u16 {
        use StatType::*;
        match value {
            RejectedPrefixes => 0,
            DuplicatePrefixAdvertisements => 1,
            DuplicateWithdraws => 2,
            ClusterListLoop => 3,
            AsPathLoop => 4,
            OriginatorIdLoop => 5,
            AsConfedLoop => 6,
            AdjRibInRoutes => 7,
            LocRibRoutes => 8,
            FamilyAdjRibInRoutes => 9,
            FamilyLocRibRoutes => 10,
            UpdatesTreatedAsWithdraw => 11,
            PrefixesTreatedAsWithdraw => 12,
            DuplicateUpdates => 13,
            PrePolicyAdjRibOutRoutes => 14,
            PostPolicyAdjRibOutRoutes => 15,
            FamilyPrePolicyAdjRibOutRoutes => 16,
            FamilyPostPolicyAdjRibOutRoutes => 17,
            Unknown(other) => other,
        }
    }
}

/// Serializes a family by its gobgp-style name (`ipv4-unicast`).
fn serialize_family<S: serde::Serializer>(family: &Family, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(family)
}

/// A statistic's data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatValue {
    /// 32-bit counter.
    Counter(u32),
    /// 64-bit gauge.
    Gauge(u64),
    /// Per-AFI/SAFI 64-bit gauge.
    FamilyGauge {
        /// The address family counted.
        #[serde(serialize_with = "serialize_family")]
        family: Family,
        /// The gauge.
        value: u64,
    },
    /// Data of an unknown type (or, from a lenient decode, of a known type
    /// with an unexpected length), kept as received.
    Raw(#[serde(serialize_with = "serialize_hex")] Bytes),
}

/// One statistic: its type and data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stat {
    /// The statistics type.
    pub stat_type: StatType,
    /// Its data; the shape must match [`StatType::shape`] unless `Raw`.
    pub value: StatValue,
}

impl fmt::Display for StatType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", u16::from(*self))
    }
}

/// Statistics Report message: counters and gauges about one peer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatisticsReport {
    /// The peer the statistics are about.
    pub peer: PerPeerHeader,
    /// The statistics, in wire order.
    pub stats: Vec<Stat>,
}

impl StatisticsReport {
    pub(super) fn decode_body(
        mut body: Bytes,
        lenient: bool,
    ) -> Result<StatisticsReport, DecodeError> {
        let peer = PerPeerHeader::decode(&mut body)?;
        let count = body.take_u32()?;
        // Each statistic takes at least 4 octets: never trust the count for
        // the allocation.
        let mut stats = Vec::with_capacity((body.len() / 4).min(count as usize));
        for _ in 0..count {
            let (code, mut data) = take_tlv(&mut body)?;
            let stat_type = StatType::from(code);
            let len = data.len();
            let value = match stat_type.shape() {
                Some(shape) if shape.data_len() == len => match shape {
                    StatShape::Counter => StatValue::Counter(data.take_u32()?),
                    StatShape::Gauge => StatValue::Gauge(data.take_u64()?),
                    StatShape::FamilyGauge => {
                        let afi = data.take_u16()?;
                        let safi = data.take_u8()?;
                        let value = data.take_u64()?;
                        StatValue::FamilyGauge {
                            family: Family::new(afi, safi),
                            value,
                        }
                    }
                },
                Some(_) if !lenient => {
                    let len = u16::try_from(len).unwrap_or(u16::MAX);
                    return Err(DecodeError::BadStatLength {
                        stat: stat_type,
                        len,
                    });
                }
                _ => StatValue::Raw(data),
            };
            stats.push(Stat { stat_type, value });
        }
        if !body.is_empty() {
            return Err(DecodeError::TrailingData(body.len()));
        }
        Ok(StatisticsReport { peer, stats })
    }

    pub(super) fn encode_body(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let count = u32::try_from(self.stats.len()).map_err(|_| EncodeError::TooLong {
            field: "statistics count",
            len: self.stats.len(),
            max: u32::MAX as usize,
        })?;
        self.peer.encode(out);
        out.put_u32(count);
        for stat in &self.stats {
            let code = u16::from(stat.stat_type);
            let mismatch = EncodeError::StatValueMismatch {
                stat: stat.stat_type,
            };
            match (&stat.value, stat.stat_type.shape()) {
                (StatValue::Raw(data), _) => {
                    super::tlv::put_tlv(out, code, data, "statistic data")?;
                }
                (StatValue::Counter(v), Some(StatShape::Counter)) => {
                    out.put_u16(code);
                    out.put_u16(4);
                    out.put_u32(*v);
                }
                (StatValue::Gauge(v), Some(StatShape::Gauge)) => {
                    out.put_u16(code);
                    out.put_u16(8);
                    out.put_u64(*v);
                }
                (StatValue::FamilyGauge { family, value }, Some(StatShape::FamilyGauge)) => {
                    out.put_u16(code);
                    out.put_u16(11);
                    out.put_u16(family.afi.into());
                    out.put_u8(family.safi.into());
                    out.put_u64(*value);
                }
                _ => return Err(mismatch),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_type_code_points_round_trip() {
        for v in 0..=u16::MAX {
            assert_eq!(u16::from(StatType::from(v)), v);
        }
    }

    /// Sizes from RFC 7854 §4.8 (types 0–13) and RFC 8671 §6 (14–17).
    #[test]
    fn stat_sizes_follow_the_rfcs() {
        let sizes = [4, 4, 4, 4, 4, 4, 4, 8, 8, 11, 11, 4, 4, 4, 8, 8, 11, 11];
        for (code, size) in sizes.iter().enumerate() {
            let shape = StatType::from(code as u16).shape().expect("known");
            assert_eq!(shape.data_len(), *size, "stat type {code}");
        }
        assert_eq!(StatType::from(18).shape(), None);
        assert_eq!(StatType::from(65531).shape(), None);
    }
}
