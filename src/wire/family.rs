//! Address families: AFI and SAFI code points.
//!
//! IANA registries: "Address Family Numbers" and "Subsequent Address Family
//! Identifiers (SAFI) Parameters". Unknown values are kept, so a capability
//! or statistic with a family we do not implement still round-trips.

use std::fmt;

/// Address Family Identifier (RFC 4760 §3, IANA "Address Family Numbers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Afi {
    /// 1: IP version 4.
    Ipv4,
    /// 2: IP version 6.
    Ipv6,
    /// 25: L2VPN.
    L2vpn,
    /// 16388: BGP-LS (RFC 7752).
    LinkState,
    /// Any other value, kept as received.
    Unknown(u16),
}

impl From<u16> for Afi {
    fn from(value: u16) -> Self {
        match value {
            1 => Afi::Ipv4,
            2 => Afi::Ipv6,
            25 => Afi::L2vpn,
            16388 => Afi::LinkState,
            other => Afi::Unknown(other),
        }
    }
}

impl From<Afi> for u16 {
    fn from(afi: Afi) -> u16 {
        match afi {
            Afi::Ipv4 => 1,
            Afi::Ipv6 => 2,
            Afi::L2vpn => 25,
            Afi::LinkState => 16388,
            Afi::Unknown(other) => other,
        }
    }
}

/// Subsequent Address Family Identifier (RFC 4760 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Safi {
    /// 1: unicast.
    Unicast,
    /// 2: multicast.
    Multicast,
    /// 4: labeled unicast (RFC 8277).
    Labeled,
    /// 70: EVPN (RFC 7432).
    Evpn,
    /// 128: MPLS-labeled VPN (RFC 4364).
    MplsVpn,
    /// 133: flow specification (RFC 8955).
    FlowSpec,
    /// Any other value, kept as received.
    Unknown(u8),
}

impl From<u8> for Safi {
    fn from(value: u8) -> Self {
        match value {
            1 => Safi::Unicast,
            2 => Safi::Multicast,
            4 => Safi::Labeled,
            70 => Safi::Evpn,
            128 => Safi::MplsVpn,
            133 => Safi::FlowSpec,
            other => Safi::Unknown(other),
        }
    }
}

impl From<Safi> for u8 {
    fn from(safi: Safi) -> u8 {
        match safi {
            Safi::Unicast => 1,
            Safi::Multicast => 2,
            Safi::Labeled => 4,
            Safi::Evpn => 70,
            Safi::MplsVpn => 128,
            Safi::FlowSpec => 133,
            Safi::Unknown(other) => other,
        }
    }
}

/// An (AFI, SAFI) pair, the unit capabilities and tables are kept per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Family {
    /// Address family.
    pub afi: Afi,
    /// Subsequent address family.
    pub safi: Safi,
}

impl Family {
    /// IPv4 unicast, the family RFC 4271 carries outside MP_REACH.
    pub const IPV4_UNICAST: Family = Family {
        afi: Afi::Ipv4,
        safi: Safi::Unicast,
    };
    /// IPv6 unicast.
    pub const IPV6_UNICAST: Family = Family {
        afi: Afi::Ipv6,
        safi: Safi::Unicast,
    };

    /// Builds a family from its wire code points.
    pub fn new(afi: u16, safi: u8) -> Family {
        Family {
            afi: afi.into(),
            safi: safi.into(),
        }
    }
}

impl fmt::Display for Family {
    /// gobgp's names (`ipv4-unicast`), or `afi-N/safi-M` for the rest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let afi = match self.afi {
            Afi::Ipv4 => "ipv4",
            Afi::Ipv6 => "ipv6",
            Afi::L2vpn => "l2vpn",
            Afi::LinkState => "ls",
            Afi::Unknown(n) => return write!(f, "afi-{n}/safi-{}", u8::from(self.safi)),
        };
        let safi = match self.safi {
            Safi::Unicast => "unicast",
            Safi::Multicast => "multicast",
            Safi::Labeled => "labelled-unicast",
            Safi::Evpn => "evpn",
            Safi::MplsVpn => "l3vpn",
            Safi::FlowSpec => "flowspec",
            Safi::Unknown(n) => return write!(f, "{afi}/safi-{n}"),
        };
        write!(f, "{afi}-{safi}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_points_round_trip() {
        for v in 0..=u16::MAX {
            assert_eq!(u16::from(Afi::from(v)), v);
        }
        for v in 0..=u8::MAX {
            assert_eq!(u8::from(Safi::from(v)), v);
        }
    }

    #[test]
    fn names_follow_gobgp() {
        assert_eq!(Family::IPV4_UNICAST.to_string(), "ipv4-unicast");
        assert_eq!(Family::IPV6_UNICAST.to_string(), "ipv6-unicast");
    }
}
