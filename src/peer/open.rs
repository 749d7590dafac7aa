//! Our OPEN and the FSM settings, from the configuration.

use std::time::Duration;

use crate::config::{AfiSafi, AfiSafiName, Global, Neighbor};
use crate::fsm::Settings;
use crate::wire::bgp::{
    AddPathFamily, AddPathMode, Capability, GracefulRestart, GracefulRestartFamily,
    LongLivedGracefulRestartFamily, Open,
};

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
///   it), Extended Message (6: we accept 65535-octet messages).
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
