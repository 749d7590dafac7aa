//! `[[neighbors]]` and `[[peer-groups]]`: checked peer settings.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::afi_safi::{AddPaths, AfiSafi, AfiSafiName};
use super::error::{Invalid, Problem};
use super::global::{
    address as parse_address, families, graceful_restart, Global, GracefulRestart, BGP_PORT,
};
use super::policy::{apply_policy, ApplyPolicy, Policy};
use super::Notes;

pub(crate) use super::neighbor_raw::{RawNeighbor, RawPeerGroup};

/// Default hold time (RFC 4271 §10 suggests 90 s).
pub const DEFAULT_HOLD_TIME: Duration = Duration::from_secs(90);
/// Default ConnectRetry time (RFC 4271 §10: 120 s).
pub const DEFAULT_CONNECT_RETRY: Duration = Duration::from_secs(120);
/// Default idle hold time after a reset (gobgpd: 30 s).
pub const DEFAULT_IDLE_HOLD_TIME_AFTER_RESET: Duration = Duration::from_secs(30);

/// How the peer is reached.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PeerAddress {
    /// `neighbor-address`.
    Ip(IpAddr),
    /// `neighbor-interface`: the single IPv6 link-local neighbor on it.
    Interface(String),
    /// A peer-group template: the address comes from an incoming
    /// connection (dynamic neighbors).
    Dynamic,
}

/// iBGP or eBGP, computed from the ASes as gobgpd does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerType {
    /// Same AS.
    Internal,
    /// Different AS (also a peer AS of 0, "any").
    External,
}

/// `remove-private-as`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovePrivateAs {
    /// Strip private ASNs.
    All,
    /// Replace private ASNs with the local AS.
    Replace,
}

/// Session timers, after defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// ConnectRetry time.
    pub connect_retry: Duration,
    /// Hold time we propose (0 or at least 3 s).
    pub hold_time: Duration,
    /// Keepalive interval (hold time / 3 when unset).
    pub keepalive_interval: Duration,
    /// Idle time after the session went down.
    pub idle_hold_time_after_reset: Duration,
}

/// TCP transport settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    /// Never connect out.
    pub passive_mode: bool,
    /// Source address for outgoing connections (`None`: the unspecified
    /// address of the peer's family).
    pub local_address: Option<IpAddr>,
    /// Peer port (179 unless set).
    pub remote_port: u16,
    /// Local port for outgoing connections (0 = ephemeral).
    pub local_port: u16,
    /// `SO_BINDTODEVICE` interface.
    pub bind_interface: Option<String>,
    /// IP TTL to set on the socket (`None`: the system default).
    pub ttl: Option<u8>,
    /// Minimum TTL accepted (GTSM, `ttl-security`).
    pub min_ttl: Option<u8>,
}

/// A checked neighbor (or the template of a peer group).
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbor {
    /// How the peer is reached.
    pub address: PeerAddress,
    /// Peer group the settings were inherited from.
    pub peer_group: Option<String>,
    /// `description`.
    pub description: String,
    /// Start administratively down.
    pub admin_down: bool,
    /// VRF (parsed, not acted on).
    pub vrf: Option<String>,
    /// Peer AS; 0 accepts any AS in OPEN.
    pub peer_as: u32,
    /// Local AS sent in OPEN.
    pub local_as: u32,
    /// iBGP or eBGP.
    pub peer_type: PeerType,
    /// TCP MD5 password.
    pub auth_password: Option<String>,
    /// `remove-private-as` (eBGP only).
    pub remove_private_as: Option<RemovePrivateAs>,
    /// v4 `send-software-version`.
    pub send_software_version: bool,
    /// Timers.
    pub timers: Timers,
    /// Transport and TTL.
    pub transport: Transport,
    /// `ebgp-multihop` TTL when enabled.
    pub ebgp_multihop_ttl: Option<u8>,
    /// The peer is a route-reflector client.
    pub route_reflector_client: bool,
    /// Cluster id (default: router-id).
    pub cluster_id: Ipv4Addr,
    /// The peer is a route-server client.
    pub route_server_client: bool,
    /// Route server: send the second-best path when the best is filtered.
    pub secondary_route: bool,
    /// Occurrences of our AS tolerated in received AS paths.
    pub allow_own_as: u8,
    /// Replace the peer's AS with ours on export (eBGP only).
    pub replace_peer_as: bool,
    /// v4 `allow-as-path-loop-local`.
    pub allow_as_path_loop_local: bool,
    /// Neighbor-level ADD-PATH (also copied into each family without its own).
    pub add_paths: AddPaths,
    /// Families to negotiate. Empty only for a peer-group template without
    /// afi-safis: then the connection's address family decides.
    pub families: Vec<AfiSafi>,
    /// Graceful restart.
    pub graceful_restart: GracefulRestart,
    /// Per-peer policies: only route-server clients use them (gobgpd).
    pub apply_policy: ApplyPolicy,
    /// RFC 7606 treat-as-withdraw (default true).
    pub treat_as_withdraw: bool,
}

/// A checked peer group; dynamic neighbors are built from its template.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerGroup {
    /// `peer-group-name`.
    pub name: String,
    /// The group's settings, with defaults applied ([`PeerAddress::Dynamic`]).
    pub template: Neighbor,
}

/// A timer in seconds, checked; `None` when unset.
fn seconds(value: Option<f64>, key: &str) -> Result<Option<Duration>, Invalid> {
    match value {
        None => Ok(None),
        Some(v) => Duration::try_from_secs_f64(v)
            .map(Some)
            .map_err(|_| Invalid::new(key, Problem::InvalidTimer(v))),
    }
}

/// What a neighbor is checked against.
pub(crate) struct Context<'a> {
    /// Checked `[global]`.
    pub global: &'a Global,
    /// Checked policies.
    pub policies: &'a [Policy],
    /// Names of `[[vrfs]]`.
    pub vrfs: &'a [String],
}

/// Checks a neighbor (already merged with its peer group).
pub(crate) fn neighbor(
    raw: &RawNeighbor,
    address: PeerAddress,
    key: &str,
    context: &Context<'_>,
    notes: &mut Notes,
) -> Result<Neighbor, Invalid> {
    let config = &raw.config;
    let global = context.global;
    let peer_as = config.peer_as.unwrap_or(0);
    let local_as = match (config.local_as, &global.confederation) {
        (Some(asn), _) if asn != 0 => asn,
        (_, Some(confed)) if !confed.member_as_list.contains(&peer_as) => confed.identifier,
        _ => global.asn,
    };
    let peer_type = if peer_as == local_as {
        PeerType::Internal
    } else {
        PeerType::External
    };
    if let Some(written) = config.peer_type.as_deref().filter(|t| !t.is_empty()) {
        let computed = if peer_type == PeerType::Internal {
            "internal"
        } else {
            "external"
        };
        if written != computed {
            notes.warn(format!(
                "{key}.config.peer-type: {written:?} ignored; the ASes make this peer {computed}"
            ));
        }
    }
    for (present, name) in [
        (
            config.route_flap_damping.is_some(),
            "config.route-flap-damping",
        ),
        (config.send_community.is_some(), "config.send-community"),
        (
            config.neighbor_interface.is_some(),
            "config.neighbor-interface",
        ),
        (config.vrf.is_some(), "config.vrf"),
        (raw.state.is_some(), "state"),
        (raw.logging_options.is_some(), "logging-options"),
        (raw.use_multiple_paths.is_some(), "use-multiple-paths"),
        (raw.bfd.is_some(), "bfd"),
        (
            raw.timers.config.minimum_advertisement_interval.is_some(),
            "timers.config.minimum-advertisement-interval",
        ),
        (
            raw.transport.config.tcp_mss.is_some(),
            "transport.config.tcp-mss",
        ),
        (
            raw.transport.config.mtu_discovery.is_some(),
            "transport.config.mtu-discovery",
        ),
        (
            raw.transport.config.ip_tos.is_some(),
            "transport.config.ip-tos",
        ),
    ] {
        if present {
            notes.unsupported(format!("{key}.{name}"));
        }
    }

    let remove_private_as = match config.remove_private_as.as_deref().map(str::trim) {
        None | Some("") | Some("none") => None,
        Some("all") => Some(RemovePrivateAs::All),
        Some("replace") => Some(RemovePrivateAs::Replace),
        Some(other) => {
            notes.warn(format!(
                "{key}.config.remove-private-as: unknown value {other:?} ignored, as by gobgpd"
            ));
            None
        }
    };
    if remove_private_as.is_some() && peer_type == PeerType::Internal {
        return Err(Invalid::new(
            format!("{key}.config.remove-private-as"),
            Problem::RemovePrivateAsOnIbgp,
        ));
    }
    let as_path = &raw.as_path_options.config;
    let replace_peer_as = as_path.replace_peer_as.unwrap_or(false);
    if replace_peer_as && peer_type == PeerType::Internal {
        return Err(Invalid::new(
            format!("{key}.as-path-options.config.replace-peer-as"),
            Problem::ReplacePeerAsOnIbgp,
        ));
    }

    let route_reflector_client = raw
        .route_reflector
        .config
        .route_reflector_client
        .unwrap_or(false);
    let route_server_client = raw.route_server.config.route_server_client.unwrap_or(false);
    if route_reflector_client && route_server_client {
        return Err(Invalid::new(
            key,
            Problem::RouteReflectorAndRouteServerClient,
        ));
    }
    if route_server_client && matches!(address, PeerAddress::Interface(_)) {
        return Err(Invalid::new(
            key,
            Problem::InterfaceNeighborRouteServerClient,
        ));
    }
    let vrf = config.vrf.clone().filter(|v| !v.is_empty());
    if let Some(name) = &vrf {
        if !context.vrfs.contains(name) {
            return Err(Invalid::new(
                format!("{key}.config.vrf"),
                Problem::UnknownVrf(name.clone()),
            ));
        }
        if route_server_client {
            return Err(Invalid::new(key, Problem::VrfNeighborRouteServerClient));
        }
    }
    let cluster_key = format!("{key}.route-reflector.config.route-reflector-cluster-id");
    // gobgpd checks the cluster id of route-reflector clients only.
    let cluster_id = match raw
        .route_reflector
        .config
        .route_reflector_cluster_id
        .as_deref()
        .map(str::trim)
    {
        None | Some("") => global.router_id,
        Some(text) => {
            match (text.parse::<Ipv4Addr>(), text.parse::<u32>()) {
                (Ok(ip), _) => ip,
                (_, Ok(n)) => Ipv4Addr::from(n),
                _ if route_reflector_client => {
                    return Err(Invalid::new(
                        cluster_key,
                        Problem::InvalidClusterId(text.to_owned()),
                    ))
                }
                _ => {
                    notes.warn(format!("{cluster_key}: {text:?} is not a cluster id; unused, the peer is no client"));
                    global.router_id
                }
            }
        }
    };

    let multihop = &raw.ebgp_multihop.config;
    let ttl_security = &raw.ttl_security.config;
    let multihop_enabled = multihop.enabled.unwrap_or(false);
    let ttl_security_enabled = ttl_security.enabled.unwrap_or(false);
    if multihop_enabled && ttl_security_enabled {
        return Err(Invalid::new(key, Problem::MultihopWithTtlSecurity));
    }
    let ebgp_multihop_ttl =
        multihop_enabled.then(|| multihop.multihop_ttl.filter(|&t| t != 0).unwrap_or(255));

    let timers_key = format!("{key}.timers.config");
    let t = &raw.timers.config;
    let hold_time =
        seconds(t.hold_time, &format!("{timers_key}.hold-time"))?.unwrap_or(DEFAULT_HOLD_TIME);
    let hold_secs = hold_time.as_secs_f64();
    if (hold_secs > 0.0 && hold_secs < 3.0) || hold_secs > 65535.0 {
        return Err(Invalid::new(
            format!("{timers_key}.hold-time"),
            Problem::InvalidHoldTime(hold_secs),
        ));
    }
    // gobgpd computes the keepalive from the final hold time (after peer
    // group inheritance), only when the file does not set it.
    let keepalive_interval = seconds(
        t.keepalive_interval,
        &format!("{timers_key}.keepalive-interval"),
    )?
    .unwrap_or(hold_time / 3);
    let timers = Timers {
        connect_retry: seconds(t.connect_retry, &format!("{timers_key}.connect-retry"))?
            .filter(|d| !d.is_zero())
            .unwrap_or(DEFAULT_CONNECT_RETRY),
        hold_time,
        keepalive_interval,
        idle_hold_time_after_reset: seconds(
            t.idle_hold_time_after_reset,
            &format!("{timers_key}.idle-hold-time-after-reset"),
        )?
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_IDLE_HOLD_TIME_AFTER_RESET),
    };

    let tr = &raw.transport.config;
    let (ttl, min_ttl) = if ttl_security_enabled {
        (
            Some(255),
            Some(ttl_security.ttl_min.filter(|&t| t != 0).unwrap_or(255)),
        )
    } else if peer_as != 0 && peer_type == PeerType::External {
        (Some(ebgp_multihop_ttl.unwrap_or(1)), None)
    } else {
        (tr.ttl.filter(|&t| t != 0), None)
    };
    let transport = Transport {
        passive_mode: tr.passive_mode.unwrap_or(false),
        local_address: match tr.local_address.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(parse_address(
                text,
                &format!("{key}.transport.config.local-address"),
            )?),
        },
        remote_port: tr.remote_port.filter(|&p| p != 0).unwrap_or(BGP_PORT),
        local_port: tr.local_port.unwrap_or(0),
        bind_interface: {
            let interface = tr.bind_interface.clone().filter(|i| !i.is_empty());
            if interface.is_some() {
                notes.unsupported(format!("{key}.transport.config.bind-interface"));
            }
            interface
        },
        ttl,
        min_ttl,
    };

    let add_paths = AddPaths {
        receive: raw.add_paths.config.receive.unwrap_or(false),
        send_max: raw.add_paths.config.send_max.unwrap_or(0),
    };
    let mut families = families(
        &raw.afi_safis,
        add_paths,
        &format!("{key}.afi-safis"),
        notes,
    )?;
    if families.is_empty() {
        let defaults: &[AfiSafiName] = match &address {
            PeerAddress::Ip(IpAddr::V4(_)) => &[AfiSafiName::Ipv4Unicast],
            PeerAddress::Ip(IpAddr::V6(_)) => &[AfiSafiName::Ipv6Unicast],
            PeerAddress::Interface(_) => &[AfiSafiName::Ipv4Unicast, AfiSafiName::Ipv6Unicast],
            PeerAddress::Dynamic => &[],
        };
        families = defaults
            .iter()
            .map(|&name| AfiSafi {
                add_paths,
                ..AfiSafi::new(name)
            })
            .collect();
    }

    let policy_key = format!("{key}.apply-policy");
    let apply_policy = apply_policy(&raw.apply_policy, context.policies, &policy_key, notes);
    if !route_server_client && apply_policy != ApplyPolicy::default() {
        notes.warn(format!(
            "{policy_key}: per-neighbor policies only apply to route-server clients (as in gobgpd); \
             use [global.apply-policy]"
        ));
    }

    Ok(Neighbor {
        address,
        peer_group: config.peer_group.clone().filter(|g| !g.is_empty()),
        description: config.description.clone().unwrap_or_default(),
        admin_down: config.admin_down.unwrap_or(false),
        vrf,
        peer_as,
        local_as,
        peer_type,
        auth_password: config.auth_password.clone().filter(|p| !p.is_empty()),
        remove_private_as,
        send_software_version: config.send_software_version.unwrap_or(false),
        timers,
        transport,
        ebgp_multihop_ttl,
        route_reflector_client,
        cluster_id,
        route_server_client,
        secondary_route: raw.route_server.config.secondary_route.unwrap_or(false),
        allow_own_as: as_path.allow_own_as.unwrap_or(0),
        replace_peer_as,
        allow_as_path_loop_local: as_path.allow_as_path_loop_local.unwrap_or(false),
        add_paths,
        families,
        graceful_restart: {
            let gr = graceful_restart(&raw.graceful_restart.config, hold_time);
            if gr.enabled && gr.long_lived_enabled {
                notes.warn(format!(
                    "{key}.graceful-restart.long-lived-enabled: the capability is advertised, \
                     but bgpd keeps a restarting peer's routes for its restart time only \
                     (no long-lived stale routes)"
                ));
            }
            gr
        },
        apply_policy,
        treat_as_withdraw: raw.error_handling.config.treat_as_withdraw.unwrap_or(true),
    })
}
