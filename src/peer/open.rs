//! Our OPEN and the FSM settings, from the configuration.

use std::time::Duration;

use crate::config::{AfiSafi, AfiSafiName, Global, Neighbor, PeerAddress};
use crate::fsm::Settings;
use crate::wire::bgp::{
    AddPathFamily, AddPathMode, Capability, ExtendedNextHop, GracefulRestart,
    GracefulRestartFamily, LongLivedGracefulRestartFamily, Open,
};
use crate::wire::{Afi, Family};

/// The families to negotiate: the enabled configured ones, or (for a
/// dynamic neighbor whose group has none) unicast of the address family.
pub fn families(neighbor: &Neighbor, ipv6: bool) -> Vec<AfiSafi> {
    let enabled: Vec<AfiSafi> = neighbor
        .families
        .iter()
        .filter(|f| f.enabled)
        .cloned()
        .collect();
    if !enabled.is_empty() || !neighbor.families.is_empty() {
        return enabled;
    }
    let name = if ipv6 {
        AfiSafiName::Ipv6Unicast
    } else {
        AfiSafiName::Ipv4Unicast
    };
    vec![AfiSafi {
        add_paths: neighbor.add_paths,
        ..AfiSafi::new(name)
    }]
}

/// Our OPEN for `neighbor` (RFC 4271 §4.2, RFC 5492 capabilities):
///
/// - My AS: the local AS, AS_TRANS when it needs 4 octets (RFC 6793);
/// - hold time and router-id from the configuration;
/// - Multiprotocol per family, Route Refresh (2) and Enhanced Route
///   Refresh (70), 4-octet AS (65), ADD-PATH (69) for families with
///   `receive` or `send-max > 0`, Graceful Restart (64) and Long-Lived GR
///   (71) only when configured, FQDN (73) with `hostname` (gobgpd sends
///   it), Extended Message (6: we accept 65535-octet messages);
/// - Extended Next Hop (5, RFC 8950) for IPv4 unicast with an IPv6 next
///   hop, when the neighbor's address is IPv6 and ipv4-unicast is
///   negotiated. gobgpd sends it on every session, for every configured
///   family but ipv6-unicast; we announce only what the rib can export
///   (an IPv4 session never needs it).
pub fn our_open(
    global: &Global,
    neighbor: &Neighbor,
    families: &[AfiSafi],
    hostname: &str,
) -> Open {
    let mut capabilities: Vec<Capability> = families
        .iter()
        .map(|f| Capability::Multiprotocol(f.name.family()))
        .collect();
    if extended_next_hop(neighbor, families) {
        capabilities.push(Capability::ExtendedNextHop(vec![ExtendedNextHop {
            nlri_family: Family::IPV4_UNICAST,
            next_hop_afi: u16::from(Afi::Ipv6),
        }]));
    }
    capabilities.push(Capability::RouteRefresh);
    capabilities.push(Capability::EnhancedRouteRefresh);
    capabilities.push(Capability::FourOctetAs(neighbor.local_as));
    let add_path: Vec<AddPathFamily> = families
        .iter()
        .filter_map(|f| {
            let mode = match (f.add_paths.receive, f.add_paths.send_max > 0) {
                (true, true) => AddPathMode::Both,
                (true, false) => AddPathMode::Receive,
                (false, true) => AddPathMode::Send,
                (false, false) => return None,
            };
            Some(AddPathFamily {
                family: f.name.family(),
                mode,
            })
        })
        .collect();
    if !add_path.is_empty() {
        capabilities.push(Capability::AddPath(add_path));
    }
    let gr = &neighbor.graceful_restart;
    if gr.enabled {
        // Restart flags nibble: N (0x4) per RFC 8538; R is never set (we
        // have no restart state to announce).
        let flags = if gr.notification_enabled { 0x4 } else { 0 };
        capabilities.push(Capability::GracefulRestart(GracefulRestart {
            flags,
            restart_time: u16::try_from(gr.restart_time.as_secs())
                .unwrap_or(0x0fff)
                .min(0x0fff),
            families: families
                .iter()
                .filter(|f| f.graceful_restart && !gr.helper_only)
                .map(|f| GracefulRestartFamily {
                    family: f.name.family(),
                    flags: 0,
                })
                .collect(),
        }));
        if gr.long_lived_enabled {
            capabilities.push(Capability::LongLivedGracefulRestart(
                families
                    .iter()
                    .filter_map(|f| {
                        let stale = f.long_lived_stale_time?;
                        Some(LongLivedGracefulRestartFamily {
                            family: f.name.family(),
                            flags: 0,
                            stale_time: u32::try_from(stale.as_secs())
                                .unwrap_or(0x00ff_ffff)
                                .min(0x00ff_ffff),
                        })
                    })
                    .collect(),
            ));
        }
    }
    capabilities.push(Capability::Fqdn {
        hostname: hostname.chars().take(64).collect(),
        domain_name: String::new(),
    });
    capabilities.push(Capability::ExtendedMessage);
    let hold = u16::try_from(neighbor.timers.hold_time.as_secs()).unwrap_or(u16::MAX);
    Open::new(neighbor.local_as, hold, global.router_id, capabilities)
}

/// We announce Extended Next Hop for IPv4 unicast: an IPv6 neighbor with
/// ipv4-unicast among `families`.
pub fn extended_next_hop(neighbor: &Neighbor, families: &[AfiSafi]) -> bool {
    matches!(neighbor.address, PeerAddress::Ip(address) if address.is_ipv6())
        && families
            .iter()
            .any(|f| f.name.family() == Family::IPV4_UNICAST)
}

/// FSM settings for `neighbor`; `first_connect_delay` is gobgpd's 5 s
/// unless a test shortens it.
pub fn settings(open: Open, neighbor: &Neighbor, first_connect_delay: Duration) -> Settings {
    Settings {
        open,
        local_as: neighbor.local_as,
        peer_as: neighbor.peer_as,
        hold_time: neighbor.timers.hold_time,
        keepalive_interval: neighbor.timers.keepalive_interval,
        connect_retry: neighbor.timers.connect_retry.max(Duration::from_secs(5)),
        first_connect_delay,
        idle_hold_time: neighbor.timers.idle_hold_time_after_reset,
        passive: neighbor.transport.passive_mode,
    }
}

/// The host name for the FQDN capability (`bgpd` when unknown).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "bgpd".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    fn config(address: &str, families: &[&str]) -> config::Config {
        let families: String = families
            .iter()
            .map(|f| format!("[[neighbors.afi-safis]]\n  [neighbors.afi-safis.config]\n    afi-safi-name = \"{f}\"\n"))
            .collect();
        let text = format!(
            "[global.config]\n  as = 65001\n  router-id = \"192.0.2.1\"\n\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{address}\"\n    peer-as = 65002\n{families}"
        );
        config::parse(&text, "test.toml").expect("valid config")
    }

    fn open_for(address: &str, configured: &[&str]) -> Open {
        let config = config(address, configured);
        let neighbor = config.neighbors.first().expect("one neighbor");
        let ipv6 = address.contains(':');
        let families = families(neighbor, ipv6);
        our_open(&config.global, neighbor, &families, "test")
    }

    fn announces_enh(open: &Open) -> bool {
        open.capabilities().any(|c| {
            *c == Capability::ExtendedNextHop(vec![ExtendedNextHop {
                nlri_family: Family::IPV4_UNICAST,
                next_hop_afi: 2,
            }])
        })
    }

    #[test]
    fn ipv6_neighbor_with_ipv4_unicast_announces_extended_next_hop() {
        let open = open_for("2001:db8::2", &["ipv4-unicast", "ipv6-unicast"]);
        assert!(announces_enh(&open));
    }

    #[test]
    fn ipv6_neighbor_without_ipv4_unicast_does_not_announce_extended_next_hop() {
        assert!(!announces_enh(&open_for("2001:db8::2", &["ipv6-unicast"])));
        // The default family of an IPv6 neighbor is ipv6-unicast.
        assert!(!announces_enh(&open_for("2001:db8::2", &[])));
    }

    #[test]
    fn ipv4_neighbor_does_not_announce_extended_next_hop() {
        let open = open_for("192.0.2.2", &["ipv4-unicast", "ipv6-unicast"]);
        assert!(!announces_enh(&open));
    }
}
