//! gobgp's address-family names (`afi-safi-name`) and per-family settings.

use std::fmt;
use std::time::Duration;

use crate::wire::Family;

macro_rules! names {
    ($($variant:ident = $name:literal, $afi:literal, $safi:literal, $doc:literal;)*) => {
        /// A family name gobgpd accepts in `afi-safi-name` (no aliases).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AfiSafiName {
            $(#[doc = $doc] $variant,)*
        }

        impl AfiSafiName {
            /// Every name, in gobgpd's order.
            pub const ALL: &'static [AfiSafiName] = &[$(AfiSafiName::$variant,)*];

            /// The name as written in the file.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AfiSafiName::$variant => $name,)*
                }
            }

            /// The name's AFI/SAFI code points.
            pub fn family(self) -> Family {
                match self {
                    $(AfiSafiName::$variant => Family::new($afi, $safi),)*
                }
            }

            /// Parses a name exactly (gobgpd has no aliases, and viper does
            /// not lower-case values).
            pub fn parse(name: &str) -> Option<AfiSafiName> {
                match name {
                    $($name => Some(AfiSafiName::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

names! {
    Ipv4Unicast = "ipv4-unicast", 1, 1, "IPv4 unicast (1/1).";
    Ipv6Unicast = "ipv6-unicast", 2, 1, "IPv6 unicast (2/1).";
    Ipv4Multicast = "ipv4-multicast", 1, 2, "IPv4 multicast (1/2).";
    Ipv6Multicast = "ipv6-multicast", 2, 2, "IPv6 multicast (2/2).";
    Ipv4LabelledUnicast = "ipv4-labelled-unicast", 1, 4, "IPv4 labelled unicast (1/4).";
    Ipv6LabelledUnicast = "ipv6-labelled-unicast", 2, 4, "IPv6 labelled unicast (2/4).";
    L3vpnIpv4Unicast = "l3vpn-ipv4-unicast", 1, 128, "VPNv4 unicast (1/128).";
    L3vpnIpv6Unicast = "l3vpn-ipv6-unicast", 2, 128, "VPNv6 unicast (2/128).";
    L3vpnIpv4Multicast = "l3vpn-ipv4-multicast", 1, 129, "VPNv4 multicast (1/129).";
    L3vpnIpv6Multicast = "l3vpn-ipv6-multicast", 2, 129, "VPNv6 multicast (2/129).";
    L2vpnVpls = "l2vpn-vpls", 25, 65, "VPLS (25/65).";
    L2vpnEvpn = "l2vpn-evpn", 25, 70, "EVPN (25/70).";
    Rtc = "rtc", 1, 132, "Route-target constraint (1/132).";
    Ipv4Encap = "ipv4-encap", 1, 7, "IPv4 encapsulation (1/7).";
    Ipv6Encap = "ipv6-encap", 2, 7, "IPv6 encapsulation (2/7).";
    Ipv4Flowspec = "ipv4-flowspec", 1, 133, "IPv4 flowspec (1/133).";
    L3vpnIpv4Flowspec = "l3vpn-ipv4-flowspec", 1, 134, "VPNv4 flowspec (1/134).";
    Ipv6Flowspec = "ipv6-flowspec", 2, 133, "IPv6 flowspec (2/133).";
    L3vpnIpv6Flowspec = "l3vpn-ipv6-flowspec", 2, 134, "VPNv6 flowspec (2/134).";
    L2vpnFlowspec = "l2vpn-flowspec", 25, 134, "L2VPN flowspec (25/134).";
    Opaque = "opaque", 16397, 241, "Opaque key/value (16397/241).";
    Ls = "ls", 16388, 71, "BGP-LS (16388/71).";
    Ipv4Srpolicy = "ipv4-srpolicy", 1, 73, "IPv4 SR policy (1/73).";
    Ipv6Srpolicy = "ipv6-srpolicy", 2, 73, "IPv6 SR policy (2/73).";
    Ipv4Mup = "ipv4-mup", 1, 85, "IPv4 MUP (1/85).";
    Ipv6Mup = "ipv6-mup", 2, 85, "IPv6 MUP (2/85).";
}

impl fmt::Display for AfiSafiName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// ADD-PATH (RFC 7911) settings of a neighbor or one of its families.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddPaths {
    /// Accept several paths per prefix from the peer.
    pub receive: bool,
    /// Send up to this many paths per prefix; 0 = send one (no ADD-PATH send).
    pub send_max: u8,
}

/// Prefix limit of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixLimit {
    /// More prefixes than this ends the session with Cease/1.
    pub max_prefixes: u32,
    /// Percentage of `max_prefixes` at which a warning is logged (0 = none).
    pub shutdown_threshold_pct: u8,
}

/// One configured family of a neighbor (or of the global RIB).
#[derive(Debug, Clone, PartialEq)]
pub struct AfiSafi {
    /// The family.
    pub name: AfiSafiName,
    /// Negotiated only when enabled (default true).
    pub enabled: bool,
    /// Prefix limit, when `max-prefixes` is set and non-zero.
    pub prefix_limit: Option<PrefixLimit>,
    /// ADD-PATH, from the family or else copied from the neighbor.
    pub add_paths: AddPaths,
    /// Graceful restart for this family (`mp-graceful-restart`).
    pub graceful_restart: bool,
    /// Long-lived graceful restart stale time, when enabled for the family.
    pub long_lived_stale_time: Option<Duration>,
}

impl AfiSafi {
    /// An enabled family with no options.
    pub fn new(name: AfiSafiName) -> AfiSafi {
        AfiSafi {
            name,
            enabled: true,
            prefix_limit: None,
            add_paths: AddPaths::default(),
            graceful_restart: false,
            long_lived_stale_time: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        assert_eq!(AfiSafiName::ALL.len(), 26);
        for name in AfiSafiName::ALL {
            assert_eq!(AfiSafiName::parse(name.as_str()), Some(*name));
        }
    }

    #[test]
    fn names_map_to_wire_families() {
        assert_eq!(AfiSafiName::Ipv4Unicast.family(), Family::IPV4_UNICAST);
        assert_eq!(AfiSafiName::Ipv6Unicast.family(), Family::IPV6_UNICAST);
        assert_eq!(AfiSafiName::parse("IPv4-unicast"), None);
    }
}
