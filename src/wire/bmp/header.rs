//! The per-peer header (RFC 7854 §4.2, RFC 8671 §4, RFC 9069 §4.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Peer Type   |  Peer Flags   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Peer Distinguisher (8 octets)                         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Peer Address (16 octets; IPv4 in the last 4)          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           Peer AS                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Peer BGP ID                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Timestamp (seconds)                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  Timestamp (microseconds)                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The flag bits mean different things by peer type: for peer types 0–2
//! (RFC 7854 §4.2, RFC 8671 §4) they are V (IPv6), L (post-policy),
//! A (legacy 2-octet AS_PATH) and O (Adj-RIB-Out); for the Loc-RIB instance
//! (type 3, RFC 9069 §4.1) the only flag is F (filtered) in the top bit.
//! [`PeerFlags`] keeps the raw octet so unknown bits round-trip, and
//! [`PerPeerHeader`] answers each question in the light of its peer type.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};
use serde::ser::SerializeStruct;

use super::DecodeError;
use crate::wire::{to_hex, Take};

/// Peer Type (IANA "BMP Peer Types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerType {
    /// 0: Global Instance Peer (RFC 7854 §4.2).
    Global,
    /// 1: RD Instance Peer (RFC 7854 §4.2).
    RdInstance,
    /// 2: Local Instance Peer (RFC 7854 §4.2).
    LocalInstance,
    /// 3: Loc-RIB Instance Peer (RFC 9069 §4.1).
    LocRib,
    /// Any other value, kept as received.
    Unknown(u8),
}

impl From<u8> for PeerType {
    fn from(value: u8) -> Self {
        match value {
            0 => PeerType::Global,
            1 => PeerType::RdInstance,
            2 => PeerType::LocalInstance,
            3 => PeerType::LocRib,
            other => PeerType::Unknown(other),
        }
    }
}

impl From<PeerType> for u8 {
    fn from(value: PeerType) -> u8 {
        match value {
            PeerType::Global => 0,
            PeerType::RdInstance => 1,
            PeerType::LocalInstance => 2,
            PeerType::LocRib => 3,
            PeerType::Unknown(other) => other,
        }
    }
}

/// The Peer Flags octet, kept raw so reserved bits round-trip.
///
/// Which constants apply depends on the peer type: [`IPV6`](Self::IPV6),
/// [`POST_POLICY`](Self::POST_POLICY), [`LEGACY_AS_PATH`](Self::LEGACY_AS_PATH)
/// and [`ADJ_RIB_OUT`](Self::ADJ_RIB_OUT) for peer types 0–2;
/// [`FILTERED`](Self::FILTERED) (the same bit as `IPV6`) for Loc-RIB.
/// Ask [`PerPeerHeader`]'s `is_*` methods to get the right reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct PeerFlags(pub u8);

impl PeerFlags {
    /// No flags.
    pub const EMPTY: PeerFlags = PeerFlags(0);
    /// V (0x80): the peer address is IPv6 (RFC 7854 §4.2; not Loc-RIB).
    pub const IPV6: PeerFlags = PeerFlags(0x80);
    /// L (0x40): post-policy Adj-RIB (RFC 7854 §4.2, RFC 8671 §4).
    pub const POST_POLICY: PeerFlags = PeerFlags(0x40);
    /// A (0x20): AS_PATH uses the legacy 2-octet encoding (RFC 7854 §4.2).
    pub const LEGACY_AS_PATH: PeerFlags = PeerFlags(0x20);
    /// O (0x10): the routes are Adj-RIB-Out, not Adj-RIB-In (RFC 8671 §4).
    pub const ADJ_RIB_OUT: PeerFlags = PeerFlags(0x10);
    /// F (0x80), Loc-RIB peers only: the Loc-RIB is filtered (RFC 9069 §4.1).
    pub const FILTERED: PeerFlags = PeerFlags(0x80);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: PeerFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// These flags with `other`'s bits added.
    #[must_use]
    pub const fn with(self, other: PeerFlags) -> PeerFlags {
        PeerFlags(self.0 | other.0)
    }
}

impl std::ops::BitOr for PeerFlags {
    type Output = PeerFlags;
    fn bitor(self, rhs: PeerFlags) -> PeerFlags {
        self.with(rhs)
    }
}

/// The 42-octet per-peer header that starts every message about one peer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PerPeerHeader {
    /// Which kind of instance the peer belongs to.
    pub peer_type: PeerType,
    /// The raw flag octet (see [`PeerFlags`]).
    pub flags: PeerFlags,
    /// Peer Distinguisher: the instance's RD for types 1 and 3, else 0
    /// (kept as the 8 raw octets in network order).
    pub distinguisher: [u8; 8],
    /// Peer Address as sent; see [`address`](Self::address).
    pub peer_address: [u8; 16],
    /// Peer AS (always 4 octets here, whatever the session uses).
    pub peer_as: u32,
    /// Peer BGP Identifier.
    pub bgp_id: Ipv4Addr,
    /// Timestamp, whole seconds since the Unix epoch.
    pub timestamp_seconds: u32,
    /// Timestamp, microseconds past `timestamp_seconds`.
    pub timestamp_micros: u32,
}

impl PerPeerHeader {
    /// Octets on the wire.
    pub const LEN: usize = 42;

    /// A header for `address` (setting V for IPv6 unless the peer type is
    /// Loc-RIB), distinguisher 0, with the given flags added.
    pub fn new(
        peer_type: PeerType,
        flags: PeerFlags,
        address: IpAddr,
        peer_as: u32,
        bgp_id: Ipv4Addr,
        timestamp: SystemTime,
    ) -> PerPeerHeader {
        let mut header = PerPeerHeader {
            peer_type,
            flags,
            distinguisher: [0; 8],
            peer_address: [0; 16],
            peer_as,
            bgp_id,
            timestamp_seconds: 0,
            timestamp_micros: 0,
        };
        header.set_address(address);
        header.set_timestamp(timestamp);
        header
    }

    /// Whether this is a Loc-RIB instance (peer type 3), whose flags differ.
    pub fn is_loc_rib(&self) -> bool {
        self.peer_type == PeerType::LocRib
    }

    /// V: the peer address is IPv6 (never for Loc-RIB, whose top bit is F).
    pub fn is_ipv6(&self) -> bool {
        !self.is_loc_rib() && self.flags.contains(PeerFlags::IPV6)
    }

    /// L: the routes are post-policy.
    pub fn is_post_policy(&self) -> bool {
        !self.is_loc_rib() && self.flags.contains(PeerFlags::POST_POLICY)
    }

    /// A: AS_PATH in the embedded UPDATEs uses 2-octet AS numbers.
    pub fn is_legacy_as_path(&self) -> bool {
        !self.is_loc_rib() && self.flags.contains(PeerFlags::LEGACY_AS_PATH)
    }

    /// O: the routes are from the Adj-RIB-Out (RFC 8671).
    pub fn is_adj_rib_out(&self) -> bool {
        !self.is_loc_rib() && self.flags.contains(PeerFlags::ADJ_RIB_OUT)
    }

    /// F: the Loc-RIB is filtered (RFC 9069; only for Loc-RIB peers).
    pub fn is_filtered(&self) -> bool {
        self.is_loc_rib() && self.flags.contains(PeerFlags::FILTERED)
    }

    /// The peer address, read as IPv6 when V is set and as the last four
    /// octets otherwise.
    pub fn address(&self) -> IpAddr {
        address_from(&self.peer_address, self.is_ipv6())
    }

    /// Sets the peer address and, except for Loc-RIB, the V flag to match.
    pub fn set_address(&mut self, address: IpAddr) {
        self.peer_address = address_to(address);
        if !self.is_loc_rib() {
            let v = PeerFlags::IPV6.0;
            self.flags.0 = match address {
                IpAddr::V4(_) => self.flags.0 & !v,
                IpAddr::V6(_) => self.flags.0 | v,
            };
        }
    }

    /// The timestamp as a [`SystemTime`].
    pub fn timestamp(&self) -> SystemTime {
        UNIX_EPOCH
            + Duration::from_secs(u64::from(self.timestamp_seconds))
            + Duration::from_micros(u64::from(self.timestamp_micros))
    }

    /// Sets the timestamp (clamped to the 32-bit seconds the wire holds).
    pub fn set_timestamp(&mut self, time: SystemTime) {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        self.timestamp_seconds = u32::try_from(since.as_secs()).unwrap_or(u32::MAX);
        self.timestamp_micros = since.subsec_micros();
    }

    /// Reads a header from the front of `buf`.
    pub fn decode(buf: &mut Bytes) -> Result<PerPeerHeader, DecodeError> {
        Ok(PerPeerHeader {
            peer_type: buf.take_u8()?.into(),
            flags: PeerFlags(buf.take_u8()?),
            distinguisher: buf.take_array()?,
            peer_address: buf.take_array()?,
            peer_as: buf.take_u32()?,
            bgp_id: Ipv4Addr::from(buf.take_array::<4>()?),
            timestamp_seconds: buf.take_u32()?,
            timestamp_micros: buf.take_u32()?,
        })
    }

    /// Appends the 42 octets.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.peer_type.into());
        out.put_u8(self.flags.0);
        out.put_slice(&self.distinguisher);
        out.put_slice(&self.peer_address);
        out.put_u32(self.peer_as);
        out.put_slice(&self.bgp_id.octets());
        out.put_u32(self.timestamp_seconds);
        out.put_u32(self.timestamp_micros);
    }

    /// Names of the set flags as this peer type defines them.
    fn flag_names(&self) -> Vec<&'static str> {
        let names: &[(PeerFlags, &str)] = if self.is_loc_rib() {
            &[(PeerFlags::FILTERED, "filtered")]
        } else {
            &[
                (PeerFlags::IPV6, "ipv6"),
                (PeerFlags::POST_POLICY, "post_policy"),
                (PeerFlags::LEGACY_AS_PATH, "legacy_as_path"),
                (PeerFlags::ADJ_RIB_OUT, "adj_rib_out"),
            ]
        };
        names
            .iter()
            .filter(|(flag, _)| self.flags.contains(*flag))
            .map(|(_, name)| *name)
            .collect()
    }
}

/// JSON shape: the raw flag octet plus its names for this peer type, the
/// address as text, the distinguisher as hex.
impl serde::Serialize for PerPeerHeader {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("PerPeerHeader", 9)?;
        s.serialize_field("peer_type", &self.peer_type)?;
        s.serialize_field("flags", &self.flags)?;
        s.serialize_field("flag_names", &self.flag_names())?;
        s.serialize_field("distinguisher", &to_hex(&self.distinguisher))?;
        s.serialize_field("address", &self.address().to_string())?;
        s.serialize_field("peer_as", &self.peer_as)?;
        s.serialize_field("bgp_id", &self.bgp_id.to_string())?;
        s.serialize_field("timestamp_seconds", &self.timestamp_seconds)?;
        s.serialize_field("timestamp_micros", &self.timestamp_micros)?;
        s.end()
    }
}

/// Reads a 16-octet address field: IPv6, or IPv4 in the last four octets.
pub(super) fn address_from(raw: &[u8; 16], ipv6: bool) -> IpAddr {
    if ipv6 {
        IpAddr::V6(Ipv6Addr::from(*raw))
    } else {
        IpAddr::V4(Ipv4Addr::new(raw[12], raw[13], raw[14], raw[15]))
    }
}

/// Writes an address into a 16-octet field (IPv4 in the last four octets).
pub(super) fn address_to(address: IpAddr) -> [u8; 16] {
    match address {
        IpAddr::V6(v6) => v6.octets(),
        IpAddr::V4(v4) => {
            let mut raw = [0u8; 16];
            raw[12..].copy_from_slice(&v4.octets());
            raw
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_type_code_points_round_trip() {
        for v in 0..=u8::MAX {
            assert_eq!(u8::from(PeerType::from(v)), v);
        }
    }

    #[test]
    fn top_flag_bit_means_ipv6_for_peers_and_filtered_for_loc_rib() {
        let now = UNIX_EPOCH;
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let mut global = PerPeerHeader::new(
            PeerType::Global,
            PeerFlags::EMPTY,
            v4,
            1,
            Ipv4Addr::LOCALHOST,
            now,
        );
        global.flags = PeerFlags::IPV6;
        assert!(global.is_ipv6() && !global.is_filtered());
        let mut loc = global.clone();
        loc.peer_type = PeerType::LocRib;
        assert!(!loc.is_ipv6() && loc.is_filtered());
        assert_eq!(loc.address(), v4);
    }

    #[test]
    fn set_address_keeps_v_in_step() {
        let v6: IpAddr = "2001:db8::1".parse().expect("literal");
        let mut h = PerPeerHeader::new(
            PeerType::Global,
            PeerFlags::POST_POLICY,
            v6,
            1,
            Ipv4Addr::LOCALHOST,
            UNIX_EPOCH,
        );
        assert_eq!(h.flags, PeerFlags::IPV6 | PeerFlags::POST_POLICY);
        assert_eq!(h.address(), v6);
        h.set_address(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(h.flags, PeerFlags::POST_POLICY);
        assert_eq!(h.address().to_string(), "10.0.0.1");
    }

    #[test]
    fn timestamp_helpers_round_trip() {
        let t = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_000);
        let mut h = PerPeerHeader::new(
            PeerType::Global,
            PeerFlags::EMPTY,
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            0,
            Ipv4Addr::UNSPECIFIED,
            t,
        );
        assert_eq!(
            (h.timestamp_seconds, h.timestamp_micros),
            (1_700_000_000, 123_456)
        );
        assert_eq!(h.timestamp(), t);
        h.set_timestamp(UNIX_EPOCH - Duration::from_secs(5));
        assert_eq!(h.timestamp(), UNIX_EPOCH);
    }
}
