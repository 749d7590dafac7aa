//! A configured neighbor and its session (if any) as GoBGP's `Peer`.

use super::{capability, convert, proto};
use crate::config::{Neighbor, PeerAddress, PeerType};
use crate::rib::query::SessionState;

/// One neighbor as GoBGP's `Peer`, every sub-message the Go CLI reads
/// filled.
pub fn peer(neighbor: &Neighbor, session: Option<&SessionState>) -> proto::Peer {
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
    let session_state = match (session, neighbor.admin_down) {
        (Some(_), _) => Fsm::Established,
        (None, true) => Fsm::Idle,
        (None, false) => Fsm::Active,
    };
    let peer_asn = session.map_or(neighbor.peer_as, |s| s.info.peer_as);
    let local_asn = session.map_or(neighbor.local_as, |s| s.info.local_as);
    let messages = proto::Messages {
        received: Some(proto::Message::default()),
        sent: Some(proto::Message::default()),
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
            description: neighbor.description.clone(),
            local_asn: neighbor.local_as,
            neighbor_address: address.clone(),
            peer_asn: neighbor.peer_as,
            peer_group: neighbor.peer_group.clone().unwrap_or_default(),
            r#type: peer_type,
            neighbor_interface: interface,
            admin_down: neighbor.admin_down,
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
                hold_time: timers.hold_time.as_secs(),
                keepalive_interval: timers.keepalive_interval.as_secs(),
                negotiated_hold_time: timers.hold_time.as_secs(),
                uptime: session.map(|s| convert::timestamp(s.info.established_at)),
                ..Default::default()
            }),
        }),
        transport: Some(proto::Transport {
            local_address: session.map_or_else(String::new, |s| s.info.local.ip().to_string()),
            local_port: session.map_or(0, |s| u32::from(s.info.local.port())),
            passive_mode: false,
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
