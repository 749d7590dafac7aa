//! `neighbor` (gobgp's one-line-per-peer table) and `neighbor ADDR` (the
//! detail: state, timers, capabilities, message and route statistics),
//! as text and as JSON. Pure, like [`super::format`].

use std::time::SystemTime;

use prost_types::Any;
use serde_json::{json, Value};

use super::attrs::time_of;
use super::format::timedelta;
use crate::api::proto;
use crate::api::proto::peer_state::{AdminState, SessionState};

/// The peer AS, `*` when unknown.
fn asn(peer: &proto::Peer) -> String {
    match peer.state.as_ref().map_or(0, |s| s.peer_asn) {
        0 => "*".into(),
        asn => asn.to_string(),
    }
}

/// The short state of the listing (`Establ`, `Idle(Admin)`, …).
pub fn short_state(state: Option<&proto::PeerState>) -> &'static str {
    let Some(state) = state else {
        return "Unknown";
    };
    match AdminState::try_from(state.admin_state) {
        Ok(AdminState::Down) => return "Idle(Admin)",
        Ok(AdminState::PfxCt) => return "Idle(PfxCt)",
        _ => {}
    }
    match SessionState::try_from(state.session_state) {
        Ok(SessionState::Idle) => "Idle",
        Ok(SessionState::Connect) => "Connect",
        Ok(SessionState::Active) => "Active",
        Ok(SessionState::Opensent) => "Sent",
        Ok(SessionState::Openconfirm) => "Confirm",
        Ok(SessionState::Established) => "Establ",
        _ => "Unknown",
    }
}

fn established(peer: &proto::Peer) -> bool {
    peer.state.as_ref().map(|s| s.session_state) == Some(SessionState::Established as i32)
}

/// Up/Down: time since the session came up (or went down), `never`.
fn up_down(peer: &proto::Peer, now: SystemTime) -> String {
    let timers = peer.timers.as_ref().and_then(|t| t.state.as_ref());
    let since = match timers {
        Some(t) if established(peer) => t.uptime.as_ref(),
        Some(t) => t.downtime.as_ref(),
        None => None,
    };
    since.map_or_else(|| "never".into(), |t| timedelta(now, time_of(t)))
}

/// Received and accepted routes over every family.
fn counts(peer: &proto::Peer) -> (u64, u64, u64) {
    peer.afi_safis
        .iter()
        .filter_map(|a| a.state.as_ref())
        .fold((0, 0, 0), |(r, a, d), s| {
            (r + s.received, a + s.accepted, d + s.advertised)
        })
}

fn address(peer: &proto::Peer) -> String {
    let conf = peer.conf.as_ref();
    match conf.map(|c| c.neighbor_interface.as_str()) {
        Some(interface) if !interface.is_empty() => interface.to_string(),
        _ => peer
            .state
            .as_ref()
            .map(|s| s.neighbor_address.clone())
            .or_else(|| conf.map(|c| c.neighbor_address.clone()))
            .unwrap_or_default(),
    }
}

/// `neighbor`: `Peer AS Up/Down State |#Received Accepted`, the first
/// three columns as wide as their longest value.
pub fn list(peers: &[proto::Peer], now: SystemTime) -> String {
    let rows: Vec<[String; 6]> = peers
        .iter()
        .map(|p| {
            let (received, accepted, _) = counts(p);
            [
                address(p),
                asn(p),
                up_down(p, now),
                short_state(p.state.as_ref()).to_string(),
                received.to_string(),
                accepted.to_string(),
            ]
        })
        .collect();
    let width = |i: usize, least: usize| rows.iter().map(|r| r[i].len()).fold(least, usize::max);
    let (w0, w1, w2) = (width(0, 0), width(1, 2), width(2, "Up/Down".len()));
    let line = |c: [&str; 6]| {
        format!(
            "{:<w0$} {:>w1$} {:>w2$} {:<11} |{:>9} {:>9}\n",
            c[0], c[1], c[2], c[3], c[4], c[5]
        )
    };
    let mut out = line(["Peer", "AS", "Up/Down", "State", "#Received", "Accepted"]);
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]));
    }
    out
}

/// A family as gobgp names it (`ipv4-unicast`).
pub fn family_name(family: Option<&proto::Family>) -> String {
    match family.map(|f| (f.afi, f.safi)) {
        Some((1, 1)) => "ipv4-unicast".into(),
        Some((2, 1)) => "ipv6-unicast".into(),
        Some((afi, safi)) => format!("afi{afi}-safi{safi}"),
        None => "unknown".into(),
    }
}

/// `neighbor ADDR`.
pub fn detail(peer: &proto::Peer, now: SystemTime) -> String {
    let default_state = proto::PeerState::default();
    let state = peer.state.as_ref().unwrap_or(&default_state);
    let mut out = format!("BGP neighbor is {}, remote AS {}", address(peer), asn(peer));
    if peer
        .route_reflector
        .as_ref()
        .is_some_and(|r| r.route_reflector_client)
    {
        out.push_str(", route-reflector-client");
    } else if peer
        .route_server
        .as_ref()
        .is_some_and(|r| r.route_server_client)
    {
        out.push_str(", route-server-client");
    }
    let router_id = if state.router_id.is_empty() {
        "unknown"
    } else {
        &state.router_id
    };
    out.push_str(&format!(
        "\n  BGP version 4, remote router ID {router_id}\n"
    ));
    let fsm = SessionState::try_from(state.session_state).map_or("UNKNOWN", |s| s.as_str_name());
    out.push_str(&format!("  BGP state = {fsm}"));
    if established(peer) {
        out.push_str(&format!(", up for {}", up_down(peer, now)));
    }
    let out_q = state.queues.as_ref().map_or(0, |q| q.output);
    out.push_str(&format!(
        "\n  BGP OutQ = {out_q}, Flops = {}\n",
        state.flops
    ));
    let timers = peer.timers.as_ref();
    let config = timers.and_then(|t| t.config).unwrap_or_default();
    let running = timers.and_then(|t| t.state).unwrap_or_default();
    out.push_str(&format!(
        "  Hold time is {}, keepalive interval is {} seconds\n",
        running.negotiated_hold_time, running.keepalive_interval
    ));
    out.push_str(&format!(
        "  Configured hold time is {}, keepalive interval is {} seconds\n  \n",
        config.hold_time, config.keepalive_interval
    ));
    out.push_str("  Neighbor capabilities:\n");
    out.push_str(&capabilities(&state.local_cap, &state.remote_cap));
    out.push_str(&messages(state.messages.as_ref()));
    let (received, accepted, advertised) = counts(peer);
    out.push_str(&format!(
        "  Route statistics:\n    Advertised:    {advertised:>10}\n    Received:      {received:>10}\n    Accepted:      {accepted:>10}\n"
    ));
    out
}

/// Reads one counter of a `Message`.
type Counter = fn(&proto::Message) -> u64;

fn messages(messages: Option<&proto::Messages>) -> String {
    let sent = messages.and_then(|m| m.sent).unwrap_or_default();
    let received = messages.and_then(|m| m.received).unwrap_or_default();
    let rows: [(&str, Counter); 7] = [
        ("Opens:", |m| m.open),
        ("Notifications:", |m| m.notification),
        ("Updates:", |m| m.update),
        ("Keepalives:", |m| m.keepalive),
        ("Route Refresh:", |m| m.refresh),
        ("Discarded:", |m| m.discarded),
        ("Total:", |m| m.total),
    ];
    let mut out = format!(
        "  Message statistics:\n{:19}{:>10} {:>10}\n",
        "", "Sent", "Rcvd"
    );
    for (name, get) in rows {
        out.push_str(&format!(
            "    {name:<15}{:>10} {:>10}\n",
            get(&sent),
            get(&received)
        ));
    }
    out
}

/// One capability kind, as the detail lists it.
#[derive(Debug, Clone, PartialEq)]
enum Cap {
    Multiprotocol(String),
    Named(String, Vec<String>),
}

fn name(any: &Any) -> &str {
    any.type_url.rsplit('/').next().unwrap_or_default()
}

fn decode<M: prost::Message + Default>(any: &Any) -> M {
    M::decode(any.value.as_slice()).unwrap_or_default()
}

fn read_cap(any: &Any) -> Cap {
    let named = |n: &str| Cap::Named(n.into(), Vec::new());
    match name(any) {
        "apipb.MultiProtocolCapability" => {
            let m: proto::MultiProtocolCapability = decode(any);
            Cap::Multiprotocol(family_name(m.family.as_ref()))
        }
        "apipb.RouteRefreshCapability" => named("route-refresh"),
        "apipb.EnhancedRouteRefreshCapability" => named("enhanced-route-refresh"),
        "apipb.RouteRefreshCiscoCapability" => named("cisco-route-refresh"),
        "apipb.FourOctetASNCapability" => named("4-octet-as"),
        "apipb.GracefulRestartCapability" => named("graceful-restart"),
        "apipb.LongLivedGracefulRestartCapability" => named("long-lived-graceful-restart"),
        "apipb.ExtendedNexthopCapability" => {
            let m: proto::ExtendedNexthopCapability = decode(any);
            let tuples = m
                .tuples
                .iter()
                .map(|t| {
                    let hop = match t.nexthop_family.as_ref().map(|f| f.afi) {
                        Some(2) => "ipv6",
                        _ => "ipv4",
                    };
                    format!(
                        "nlri: {}, nexthop: {hop}",
                        family_name(t.nlri_family.as_ref())
                    )
                })
                .collect();
            Cap::Named("extended-nexthop".into(), tuples)
        }
        "apipb.AddPathCapability" => {
            let m: proto::AddPathCapability = decode(any);
            let tuples = m
                .tuples
                .iter()
                .map(|t| {
                    let mode = match t.mode {
                        1 => "receive",
                        2 => "send",
                        _ => "receive/send",
                    };
                    format!("{}: {mode}", family_name(t.family.as_ref()))
                })
                .collect();
            Cap::Named("add-path".into(), tuples)
        }
        "apipb.FqdnCapability" => {
            let m: proto::FqdnCapability = decode(any);
            let line = format!("name: {}, domain: {}", m.host_name, m.domain_name);
            Cap::Named("fqdn".into(), vec![line])
        }
        "apipb.UnknownCapability" => {
            let m: proto::UnknownCapability = decode(any);
            match m.code {
                6 => named("extended-message"),
                code => named(&format!("unknown-capability-{code}")),
            }
        }
        other => named(other),
    }
}

fn status(local: bool, remote: bool) -> &'static str {
    match (local, remote) {
        (true, true) => "advertised and received",
        (true, false) => "advertised",
        _ => "received",
    }
}

/// The capabilities both OPENs carried, each once, with who sent it.
fn capabilities(local: &[Any], remote: &[Any]) -> String {
    let local: Vec<Cap> = local.iter().map(read_cap).collect();
    let remote: Vec<Cap> = remote.iter().map(read_cap).collect();
    let key = |c: &Cap| match c {
        Cap::Multiprotocol(f) => format!("mp {f}"),
        Cap::Named(n, _) => n.clone(),
    };
    let mut seen: Vec<String> = Vec::new();
    let mut families = String::new();
    let mut others = String::new();
    for cap in local.iter().chain(&remote) {
        let k = key(cap);
        if seen.contains(&k) {
            continue;
        }
        seen.push(k.clone());
        let find = |list: &[Cap]| list.iter().find(|c| key(c) == k).cloned();
        let (mine, theirs) = (find(&local), find(&remote));
        let said = status(mine.is_some(), theirs.is_some());
        match cap {
            Cap::Multiprotocol(f) => families.push_str(&format!("        {f}:\t{said}\n")),
            Cap::Named(n, _) => {
                others.push_str(&format!("    {n}:\t{said}\n"));
                for (who, cap) in [("Local: ", mine), ("Remote:", theirs)] {
                    if let Some(Cap::Named(_, lines)) = cap {
                        for line in lines {
                            others.push_str(&format!("        {who} {line}\n"));
                        }
                    }
                }
            }
        }
    }
    let mut out = String::new();
    if !families.is_empty() {
        out.push_str("    multiprotocol:\n");
        out.push_str(&families);
    }
    out.push_str(&others);
    out
}

fn family_json(family: Option<&proto::Family>) -> Value {
    family.map_or(Value::Null, |f| json!({"afi": f.afi, "safi": f.safi}))
}

fn cap_json(any: &Any) -> Value {
    json!({"type_url": any.type_url, "name": name(any)})
}

/// One peer as JSON, in the API's field names.
pub fn json(peer: &proto::Peer) -> Value {
    let conf = peer.conf.clone().unwrap_or_default();
    let state = peer.state.clone().unwrap_or_default();
    let timers = peer
        .timers
        .as_ref()
        .and_then(|t| t.state)
        .unwrap_or_default();
    let seconds = |t: Option<&prost_types::Timestamp>| t.map_or(Value::Null, |t| json!(t.seconds));
    let afi_safis: Vec<Value> = peer
        .afi_safis
        .iter()
        .filter_map(|a| a.state.as_ref())
        .map(|s| {
            json!({
                "family": family_json(s.family.as_ref()),
                "name": family_name(s.family.as_ref()),
                "enabled": s.enabled,
                "received": s.received,
                "accepted": s.accepted,
                "advertised": s.advertised,
            })
        })
        .collect();
    json!({
        "conf": {
            "neighbor_address": conf.neighbor_address,
            "peer_asn": conf.peer_asn,
            "local_asn": conf.local_asn,
            "type": conf.r#type,
            "description": conf.description,
            "admin_down": conf.admin_down,
        },
        "state": {
            "neighbor_address": state.neighbor_address,
            "peer_asn": state.peer_asn,
            "local_asn": state.local_asn,
            "session_state": state.session_state,
            "admin_state": state.admin_state,
            "router_id": state.router_id,
            "remote_cap": state.remote_cap.iter().map(cap_json).collect::<Vec<_>>(),
            "local_cap": state.local_cap.iter().map(cap_json).collect::<Vec<_>>(),
        },
        "timers": {
            "state": {
                "negotiated_hold_time": timers.negotiated_hold_time,
                "keepalive_interval": timers.keepalive_interval,
                "uptime": seconds(timers.uptime.as_ref()),
                "downtime": seconds(timers.downtime.as_ref()),
            },
        },
        "afi_safis": afi_safis,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn any<M: prost::Name>(m: &M) -> Any {
        Any::from_msg(m).expect("encode")
    }

    fn mp(afi: i32) -> Any {
        any(&proto::MultiProtocolCapability {
            family: Some(proto::Family { afi, safi: 1 }),
        })
    }

    fn peer(address: &str, asn: u32, fsm: SessionState, admin: AdminState) -> proto::Peer {
        proto::Peer {
            conf: Some(proto::PeerConf {
                neighbor_address: address.into(),
                peer_asn: asn,
                ..Default::default()
            }),
            state: Some(proto::PeerState {
                neighbor_address: address.into(),
                peer_asn: asn,
                session_state: fsm as i32,
                admin_state: admin as i32,
                router_id: address.into(),
                local_cap: vec![mp(1), mp(2), any(&proto::FourOctetAsnCapability { asn: 1 })],
                remote_cap: vec![mp(1), any(&proto::RouteRefreshCapability {})],
                ..Default::default()
            }),
            timers: Some(proto::Timers {
                config: Some(proto::TimersConfig {
                    hold_time: 90,
                    keepalive_interval: 30,
                    ..Default::default()
                }),
                state: Some(proto::TimersState {
                    negotiated_hold_time: 90,
                    keepalive_interval: 30,
                    uptime: (fsm == SessionState::Established).then_some(prost_types::Timestamp {
                        seconds: 975,
                        nanos: 0,
                    }),
                    ..Default::default()
                }),
            }),
            afi_safis: vec![proto::AfiSafi {
                config: None,
                state: Some(proto::AfiSafiState {
                    received: 3,
                    accepted: 2,
                    advertised: 1,
                    ..Default::default()
                }),
            }],
            ..Default::default()
        }
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1000)
    }

    #[test]
    fn the_listing_is_gobgps() {
        let peers = [
            peer(
                "127.0.0.2",
                65002,
                SessionState::Established,
                AdminState::Up,
            ),
            peer("127.0.0.21", 0, SessionState::Active, AdminState::Up),
            peer("127.0.0.3", 65003, SessionState::Idle, AdminState::Down),
        ];
        assert_eq!(
            list(&peers, now()),
            "Peer          AS  Up/Down State       |#Received  Accepted\n\
             127.0.0.2  65002 00:00:25 Establ      |        3         2\n\
             127.0.0.21     *    never Active      |        3         2\n\
             127.0.0.3  65003    never Idle(Admin) |        3         2\n"
        );
    }

    #[test]
    fn an_empty_listing_is_the_header() {
        assert_eq!(
            list(&[], now()),
            "Peer AS Up/Down State       |#Received  Accepted\n"
        );
    }

    #[test]
    fn the_detail_shows_state_capabilities_and_counts() {
        let text = detail(
            &peer(
                "127.0.0.2",
                65002,
                SessionState::Established,
                AdminState::Up,
            ),
            now(),
        );
        let want_start = "BGP neighbor is 127.0.0.2, remote AS 65002\n  \
             BGP version 4, remote router ID 127.0.0.2\n  \
             BGP state = ESTABLISHED, up for 00:00:25\n  \
             BGP OutQ = 0, Flops = 0\n  \
             Hold time is 90, keepalive interval is 30 seconds\n  \
             Configured hold time is 90, keepalive interval is 30 seconds\n  \n  \
             Neighbor capabilities:\n    \
             multiprotocol:\n        \
             ipv4-unicast:\tadvertised and received\n        \
             ipv6-unicast:\tadvertised\n    \
             4-octet-as:\tadvertised\n    \
             route-refresh:\treceived\n  \
             Message statistics:\n                         \
             Sent       Rcvd\n    \
             Opens:                  0          0\n";
        assert!(text.starts_with(want_start), "{text}");
        assert!(text.ends_with(
            "  Route statistics:\n    Advertised:             1\n    Received:               3\n    Accepted:               2\n"
        ));
    }

    #[test]
    fn extended_next_hop_lists_each_sides_tuples() {
        let enh = any(&proto::ExtendedNexthopCapability {
            tuples: vec![proto::ExtendedNexthopCapabilityTuple {
                nlri_family: Some(proto::Family { afi: 1, safi: 1 }),
                nexthop_family: Some(proto::Family { afi: 2, safi: 1 }),
            }],
        });
        let text = capabilities(std::slice::from_ref(&enh), std::slice::from_ref(&enh));
        assert_eq!(
            text,
            "    extended-nexthop:\tadvertised and received\n        \
             Local:  nlri: ipv4-unicast, nexthop: ipv6\n        \
             Remote: nlri: ipv4-unicast, nexthop: ipv6\n"
        );
    }

    #[test]
    fn json_keeps_the_api_numbers() {
        let value = json(&peer(
            "127.0.0.2",
            65002,
            SessionState::Established,
            AdminState::Up,
        ));
        assert_eq!(value["state"]["session_state"], 6);
        assert_eq!(value["conf"]["peer_asn"], 65002);
        assert_eq!(value["afi_safis"][0]["received"], 3);
        assert_eq!(value["timers"]["state"]["uptime"], 975);
    }
}
