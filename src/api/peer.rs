//! A configured neighbor, its session (if any) and its peer task's
//! counters (if it runs) as GoBGP's `Peer`.

use super::{capability, convert, proto};
use crate::config::{Neighbor, PeerAddress, PeerType, RemovePrivateAs};
use crate::fsm::State;
use crate::peer::stats::{MessageCounts, Registry, StatsSnapshot};
use crate::rib::query::SessionState;

fn message(counts: Option<MessageCounts>) -> proto::Message {
    let c = counts.unwrap_or_default();
    proto::Message {
        notification: c.notification,
        update: c.update,
        open: c.open,
        keepalive: c.keepalive,
        refresh: c.refresh,
        total: c.total,
        ..Default::default()
    }
}

fn fsm_state(state: State) -> proto::peer_state::SessionState {
    use proto::peer_state::SessionState as Fsm;
    match state {
        State::Idle => Fsm::Idle,
        State::Connect => Fsm::Connect,
        State::Active => Fsm::Active,
        State::OpenSent => Fsm::Opensent,
        State::OpenConfirm => Fsm::Openconfirm,
        State::Established => Fsm::Established,
    }
}

/// The hold time field of a whole OPEN message (header included).
fn hold_time(open: &[u8]) -> Option<u64> {
    let bytes = open.get(22..24)?;
    Some(u64::from(u16::from_be_bytes([bytes[0], bytes[1]])))
}

/// The negotiated hold time and keepalive interval of `session` (the
/// configured keepalive when the hold time is the configured one, else a
/// third of the hold time); zero without a session, as gobgpd shows.
fn negotiated(neighbor: &Neighbor, session: Option<&SessionState>) -> (u64, u64) {
    let Some(session) = session else {
        return (0, 0);
    };
    let timers = &neighbor.timers;
    let ours = timers.hold_time.as_secs();
    let theirs = hold_time(&session.info.received_open).unwrap_or(ours);
    let hold = ours.min(theirs);
    let keepalive = if hold == ours {
        timers.keepalive_interval.as_secs()
    } else {
        hold / 3
    };
    (hold, keepalive)
}

/// One neighbor as GoBGP's `Peer`, every sub-message the Go CLI reads
/// filled. Without `stats` (no peer task), the state is Established with
/// a session, else Idle when administratively down, else Active.
pub fn peer(
    neighbor: &Neighbor,
    session: Option<&SessionState>,
    stats: Option<&StatsSnapshot>,
) -> proto::Peer {
    use proto::peer_state::{AdminState, SessionState as Fsm};
    let address = match &neighbor.address {
        PeerAddress::Ip(ip) => ip.to_string(),
        _ => session.map_or_else(String::new, |s| s.info.peer.to_string()),
    };
    let interface = match &neighbor.address {
        PeerAddress::Interface(name) => name.clone(),
        _ => String::new(),
    };
    let peer_type = match neighbor.peer_type {
        PeerType::External => proto::PeerType::External,
        PeerType::Internal => proto::PeerType::Internal,
    } as i32;
    let session_state = match (stats, session, neighbor.admin_down) {
        (_, _, true) => Fsm::Idle,
        (Some(stats), _, false) => fsm_state(stats.state),
        (None, Some(_), false) => Fsm::Established,
        (None, None, false) => Fsm::Active,
    };
    let peer_asn = session.map_or(neighbor.peer_as, |s| s.info.peer_as);
    let local_asn = session.map_or(neighbor.local_as, |s| s.info.local_as);
    let messages = proto::Messages {
        received: Some(message(stats.map(|s| s.received))),
        sent: Some(message(stats.map(|s| s.sent))),
    };
    let (negotiated_hold, negotiated_keepalive) = negotiated(neighbor, session);
    let uptime = match stats {
        Some(stats) => stats.uptime,
        None => session.map(|s| s.info.established_at),
    };
    let timers = &neighbor.timers;
    let afi_safis = neighbor
        .families
        .iter()
        .map(|f| {
            let family = f.name.family();
            let count = |get: &dyn Fn(&SessionState) -> u64| session.map_or(0, get);
            proto::AfiSafi {
                config: Some(proto::AfiSafiConfig {
                    family: Some(convert::family(family)),
                    enabled: f.enabled,
                }),
                state: Some(proto::AfiSafiState {
                    family: Some(convert::family(family)),
                    enabled: f.enabled,
                    received: count(&|s| s.counters.adj_rib_in.get(family)),
                    accepted: count(&|s| s.counters.loc_rib.get(family)),
                    advertised: count(&|s| s.advertised.get(family)),
                }),
            }
        })
        .collect();
    proto::Peer {
        conf: Some(proto::PeerConf {
            auth_password: neighbor.auth_password.clone().unwrap_or_default(),
            remove_private_as: match neighbor.remove_private_as {
                None => proto::peer_conf::RemovePrivateAs::None,
                Some(RemovePrivateAs::All) => proto::peer_conf::RemovePrivateAs::All,
                Some(RemovePrivateAs::Replace) => proto::peer_conf::RemovePrivateAs::Replace,
            } as i32,
            vrf: neighbor.vrf.clone().unwrap_or_default(),
            allow_own_as: u32::from(neighbor.allow_own_as),
            replace_peer_as: neighbor.replace_peer_as,
            description: neighbor.description.clone(),
            local_asn: neighbor.local_as,
            neighbor_address: address.clone(),
            peer_asn: neighbor.peer_as,
            peer_group: neighbor.peer_group.clone().unwrap_or_default(),
            r#type: peer_type,
            neighbor_interface: interface,
            admin_down: neighbor.admin_down,
        }),
        ebgp_multihop: Some(proto::EbgpMultihop {
            enabled: neighbor.ebgp_multihop_ttl.is_some(),
            multihop_ttl: neighbor.ebgp_multihop_ttl.map_or(0, u32::from),
        }),
        route_reflector: Some(proto::RouteReflector {
            route_reflector_client: neighbor.route_reflector_client,
            route_reflector_cluster_id: neighbor.cluster_id.to_string(),
        }),
        state: Some(proto::PeerState {
            description: neighbor.description.clone(),
            local_asn,
            messages: Some(messages),
            neighbor_address: address,
            peer_asn,
            peer_group: neighbor.peer_group.clone().unwrap_or_default(),
            r#type: peer_type,
            queues: Some(proto::Queues::default()),
            session_state: session_state as i32,
            admin_state: if neighbor.admin_down {
                AdminState::Down
            } else {
                AdminState::Up
            } as i32,
            flops: stats.map_or(0, |s| u32::try_from(s.flops).unwrap_or(u32::MAX)),
            router_id: session.map_or_else(String::new, |s| s.info.peer_id.to_string()),
            local_cap: session.map_or_else(Vec::new, |s| capability::of_open(&s.info.sent_open)),
            remote_cap: session
                .map_or_else(Vec::new, |s| capability::of_open(&s.info.received_open)),
            ..Default::default()
        }),
        timers: Some(proto::Timers {
            config: Some(proto::TimersConfig {
                connect_retry: timers.connect_retry.as_secs(),
                hold_time: timers.hold_time.as_secs(),
                keepalive_interval: timers.keepalive_interval.as_secs(),
                idle_hold_time_after_reset: timers.idle_hold_time_after_reset.as_secs(),
                ..Default::default()
            }),
            state: Some(proto::TimersState {
                connect_retry: timers.connect_retry.as_secs(),
                hold_time: negotiated_hold,
                keepalive_interval: negotiated_keepalive,
                negotiated_hold_time: negotiated_hold,
                uptime: uptime.map(convert::timestamp),
                downtime: stats.map(|s| convert::timestamp(s.downtime)),
                ..Default::default()
            }),
        }),
        transport: Some(proto::Transport {
            local_address: session.map_or_else(String::new, |s| s.info.local.ip().to_string()),
            local_port: session.map_or(0, |s| u32::from(s.info.local.port())),
            passive_mode: neighbor.transport.passive_mode,
            remote_address: session.map_or_else(String::new, |s| s.info.remote.ip().to_string()),
            remote_port: session.map_or(0, |s| u32::from(s.info.remote.port())),
        }),
        route_server: Some(proto::RouteServer {
            route_server_client: neighbor.route_server_client,
            secondary_route: neighbor.secondary_route,
        }),
        afi_safis,
    }
}

/// Every configured neighbor, then every dynamic neighbor's session, as
/// GoBGP's `Peer`, with its address.
pub fn peers(
    global: &crate::config::Global,
    neighbors: &[Neighbor],
    sessions: &[SessionState],
    stats: &Registry,
) -> Vec<(std::net::IpAddr, proto::Peer)> {
    let mut peers: Vec<(std::net::IpAddr, proto::Peer)> = Vec::new();
    for neighbor in neighbors {
        let PeerAddress::Ip(ip) = neighbor.address else {
            continue;
        };
        let session = sessions.iter().find(|s| s.info.peer == ip);
        let stats = stats.get(ip);
        let mut listed = peer(neighbor, session, stats.as_ref());
        if let (None, Some(state)) = (session, listed.state.as_mut()) {
            state.local_cap = capability::ours(global, neighbor);
        }
        peers.push((ip, listed));
    }
    // Dynamic neighbors: established sessions with no configured entry.
    for session in sessions {
        if !peers.iter().any(|(ip, _)| *ip == session.info.peer) {
            let stats = stats.get(session.info.peer);
            peers.push((
                session.info.peer,
                peer(&session.info.neighbor, Some(session), stats.as_ref()),
            ));
        }
    }
    peers
}
