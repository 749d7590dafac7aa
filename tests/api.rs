//! The management API over real sockets: a daemon with a fake peer that
//! announces routes, asked by a tonic client built from our `proto/`.
//!
//! ```text
//!  fake 127.0.0.3 AS 65003 ──BGP──▶ bgpd 127.0.0.1 AS 65001 ◀──gRPC── client
//! ```

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use bgpd::api::proto::{self, gobgp_api_client::GobgpApiClient};
use bgpd::api::Listen;
use bgpd::daemon::Options;
use bgpd::wire::bgp::NextHop;
use bgpd::wire::Family;
use common::*;
use prost::Name;
use tonic::transport::Channel;
use tonic::Code;

const ROUTER_ID: &str = "127.0.0.1";

struct Setup {
    running: Running,
    fake: Fake,
    api: SocketAddr,
    socket: PathBuf,
}

/// A daemon with the API on TCP and a Unix socket, and an established fake
/// A ListPath request for the global rib's routes of one prefix or
/// address.
fn lookup(prefix: &str) -> proto::ListPathRequest {
    proto::ListPathRequest {
        prefixes: vec![proto::TableLookupPrefix {
            prefix: prefix.into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// peer that announced 10.1.0.0/24, 10.1.1.0/24 and 2001:db8:1::/48.
async fn setup(name: &str) -> Setup {
    let port = free_port(ROUTER_ID).await;
    let api = SocketAddr::new(ROUTER_ID.parse().expect("ip"), free_port(ROUTER_ID).await);
    let socket = std::env::temp_dir().join(format!("bgpd-api-{name}-{}.sock", std::process::id()));
    let neighbor = fake_neighbor("127.0.0.3", 65003, ROUTER_ID);
    let config = daemon_at(65001, ROUTER_ID, port, &neighbor);
    let options = Options {
        api: vec![Listen::Tcp(api), Listen::Unix(socket.clone())],
        ..Options::default()
    };
    let running = start_with(config, options);
    let mut fake = Fake::connect(
        "127.0.0.3",
        SocketAddr::new(ROUTER_ID.parse().expect("ip"), port),
    )
    .await;
    fake.handshake(fake_open(65003, Ipv4Addr::new(127, 0, 0, 3), 90, false))
        .await;
    let v4_next_hop = NextHop::V4(Ipv4Addr::new(192, 0, 2, 3));
    fake.announce(
        65003,
        Family::IPV4_UNICAST,
        v4_next_hop,
        &["10.1.0.0/24", "10.1.1.0/24"],
    )
    .await;
    let v6_next_hop = NextHop::V6 {
        global: "2001:db8::3".parse().expect("ip"),
        link_local: None,
    };
    fake.announce(
        65003,
        Family::IPV6_UNICAST,
        v6_next_hop,
        &["2001:db8:1::/48"],
    )
    .await;
    Setup {
        running,
        fake,
        api,
        socket,
    }
}

async fn client(api: SocketAddr) -> GobgpApiClient<Channel> {
    for _ in 0..200 {
        if let Ok(client) = GobgpApiClient::connect(format!("http://{api}")).await {
            return client;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the API never listened on {api}");
}

fn family(afi: proto::family::Afi) -> Option<proto::Family> {
    Some(proto::Family {
        afi: afi as i32,
        safi: proto::family::Safi::Unicast as i32,
    })
}

async fn list_path(
    client: &mut GobgpApiClient<Channel>,
    request: proto::ListPathRequest,
) -> Result<Vec<proto::Destination>, tonic::Status> {
    let mut stream = client.list_path(request).await?.into_inner();
    let mut destinations = Vec::new();
    while let Some(response) = stream.message().await? {
        destinations.extend(response.destination);
    }
    Ok(destinations)
}

/// Asks the global rib until `n` IPv4 and one IPv6 destinations are there.
async fn wait_for_routes(client: &mut GobgpApiClient<Channel>) {
    for _ in 0..500 {
        let v4 = list_path(client, proto::ListPathRequest::default()).await;
        let v6 = list_path(
            client,
            proto::ListPathRequest {
                family: family(proto::family::Afi::Ip6),
                ..Default::default()
            },
        )
        .await;
        if v4.is_ok_and(|d| d.len() == 2) && v6.is_ok_and(|d| d.len() == 1) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the routes never reached the global rib");
}

async fn finish(setup: Setup) {
    stop(setup.running).await;
    drop(setup.fake);
}

fn unpack<M: Name + Default>(any: &prost_types::Any) -> Option<M> {
    any.to_msg::<M>().ok()
}

#[tokio::test]
async fn global_rib_lists_paths_with_typed_and_binary_attributes() {
    let setup = setup("rib").await;
    let mut client = client(setup.api).await;
    wait_for_routes(&mut client).await;

    let v4 = list_path(&mut client, proto::ListPathRequest::default())
        .await
        .expect("list");
    let prefixes: Vec<&str> = v4.iter().map(|d| d.prefix.as_str()).collect();
    assert_eq!(prefixes, ["10.1.0.0/24", "10.1.1.0/24"]);
    let path = &v4[0].paths[0];
    assert!(path.best);
    assert_eq!(path.neighbor_ip, "127.0.0.3");
    assert_eq!(path.source_asn, 65003);
    assert_eq!(path.source_id, "127.0.0.3");
    assert_eq!(path.family, family(proto::family::Afi::Ip));
    assert_eq!(path.nlri_binary, [24, 10, 1, 0]);
    let nlri: proto::IpAddressPrefix = unpack(path.nlri.as_ref().expect("nlri")).expect("prefix");
    assert_eq!((nlri.prefix.as_str(), nlri.prefix_len), ("10.1.0.0", 24));
    assert_eq!(
        path.nlri.as_ref().expect("nlri").type_url,
        "type.googleapis.com/apipb.IPAddressPrefix"
    );
    // ORIGIN IGP, AS_PATH [65003] (4-octet), NEXT_HOP, in type order.
    assert_eq!(
        path.pattrs_binary,
        [
            vec![0x40, 1, 1, 0],
            vec![0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xeb],
            vec![0x40, 3, 4, 192, 0, 2, 3],
        ]
    );
    let origin: proto::OriginAttribute = unpack(&path.pattrs[0]).expect("origin");
    assert_eq!(origin.origin, 0);
    let as_path: proto::AsPathAttribute = unpack(&path.pattrs[1]).expect("as path");
    assert_eq!(as_path.segments[0].numbers, [65003]);
    assert_eq!(as_path.segments[0].r#type, 2);
    let next_hop: proto::NextHopAttribute = unpack(&path.pattrs[2]).expect("next hop");
    assert_eq!(next_hop.next_hop, "192.0.2.3");

    let v6 = list_path(
        &mut client,
        proto::ListPathRequest {
            family: family(proto::family::Afi::Ip6),
            ..Default::default()
        },
    )
    .await
    .expect("list v6");
    assert_eq!(v6[0].prefix, "2001:db8:1::/48");
    let path = &v6[0].paths[0];
    let mp_reach: proto::MpReachNlriAttribute =
        unpack(&path.pattrs[2]).expect("MP_REACH_NLRI in the next hop's place");
    assert_eq!(mp_reach.next_hops, ["2001:db8::3"]);
    assert_eq!(path.pattrs_binary[2][1], 14);

    // A lookup: the longest prefix holding an address.
    let found = list_path(&mut client, lookup("10.1.1.7"))
        .await
        .expect("lookup");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].prefix, "10.1.1.0/24");

    let table = client
        .get_table(proto::GetTableRequest::default())
        .await
        .expect("table")
        .into_inner();
    assert_eq!((table.num_destination, table.num_path), (2, 2));
    finish(setup).await;
}

#[tokio::test]
async fn peers_and_adj_rib_in_come_from_the_sessions() {
    let setup = setup("peers").await;
    let mut client = client(setup.api).await;
    wait_for_routes(&mut client).await;

    let global = client
        .get_bgp(proto::GetBgpRequest {})
        .await
        .expect("get bgp")
        .into_inner()
        .global
        .expect("global");
    assert_eq!(global.asn, 65001);
    assert_eq!(global.router_id, ROUTER_ID);
    assert_eq!(global.listen_addresses, [ROUTER_ID]);

    let mut stream = client
        .list_peer(proto::ListPeerRequest::default())
        .await
        .expect("list peer")
        .into_inner();
    let mut peers = Vec::new();
    while let Some(response) = stream.message().await.expect("peer") {
        peers.extend(response.peer);
    }
    assert_eq!(peers.len(), 1);
    let peer = &peers[0];
    let state = peer.state.as_ref().expect("state");
    assert_eq!(state.neighbor_address, "127.0.0.3");
    assert_eq!(state.peer_asn, 65003);
    assert_eq!(
        state.session_state,
        proto::peer_state::SessionState::Established as i32
    );
    assert!(state
        .messages
        .as_ref()
        .is_some_and(|m| m.received.is_some() && m.sent.is_some()));
    assert!(state.queues.is_some());
    // The fake's OPEN: IPv4 and IPv6 unicast, 4-octet AS 65003.
    let remote: Vec<&str> = state
        .remote_cap
        .iter()
        .map(|c| c.type_url.as_str())
        .collect();
    assert_eq!(
        remote,
        [
            "type.googleapis.com/apipb.MultiProtocolCapability",
            "type.googleapis.com/apipb.MultiProtocolCapability",
            "type.googleapis.com/apipb.FourOctetASNCapability",
        ]
    );
    let asn: proto::FourOctetAsnCapability = unpack(&state.remote_cap[2]).expect("4-octet AS");
    assert_eq!(asn.asn, 65003);
    assert!(!state.local_cap.is_empty(), "our OPEN's capabilities");
    let timers = peer.timers.as_ref().expect("timers");
    assert!(timers.config.is_some());
    assert!(timers
        .state
        .as_ref()
        .expect("timers state")
        .uptime
        .is_some());
    assert!(peer.route_reflector.is_some() && peer.route_server.is_some());
    let received: Vec<(u64, u64)> = peer
        .afi_safis
        .iter()
        .map(|a| {
            let s = a.state.as_ref().expect("afi-safi state");
            assert!(s.family.is_some());
            (s.received, s.accepted)
        })
        .collect();
    assert_eq!(received, [(2, 2), (1, 1)]);

    let adj_in = list_path(
        &mut client,
        proto::ListPathRequest {
            table_type: proto::TableType::AdjIn as i32,
            name: "127.0.0.3".into(),
            ..Default::default()
        },
    )
    .await
    .expect("adj-in");
    assert_eq!(adj_in.len(), 2);
    let adj_out = list_path(
        &mut client,
        proto::ListPathRequest {
            table_type: proto::TableType::AdjOut as i32,
            name: "127.0.0.3".into(),
            ..Default::default()
        },
    )
    .await
    .expect("adj-out");
    assert!(adj_out.is_empty(), "its own routes are not sent back to it");
    let table = client
        .get_table(proto::GetTableRequest {
            table_type: proto::TableType::AdjIn as i32,
            name: "127.0.0.3".into(),
            ..Default::default()
        })
        .await
        .expect("adj-in table")
        .into_inner();
    assert_eq!(
        (table.num_destination, table.num_path, table.num_accepted),
        (2, 2, 2)
    );
    finish(setup).await;
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    let setup = setup("errors").await;
    let mut client = client(setup.api).await;

    let unknown = list_path(
        &mut client,
        proto::ListPathRequest {
            table_type: proto::TableType::AdjIn as i32,
            name: "192.0.2.99".into(),
            ..Default::default()
        },
    )
    .await
    .expect_err("unknown neighbor");
    assert_eq!(unknown.code(), Code::NotFound);
    assert!(unknown.message().contains("192.0.2.99"));

    let family = list_path(
        &mut client,
        proto::ListPathRequest {
            family: Some(proto::Family { afi: 25, safi: 70 }),
            ..Default::default()
        },
    )
    .await
    .expect_err("evpn");
    assert_eq!(family.code(), Code::InvalidArgument);

    let prefix = list_path(&mut client, lookup("10.1.0.0/33"))
        .await
        .expect_err("malformed prefix");
    assert_eq!(prefix.code(), Code::InvalidArgument);

    let peer = client
        .list_peer(proto::ListPeerRequest {
            address: "192.0.2.99".into(),
            ..Default::default()
        })
        .await
        .expect_err("unknown peer");
    assert_eq!(peer.code(), Code::NotFound);

    let unserved = client
        .start_bgp(proto::Unserved {})
        .await
        .expect_err("not served");
    assert_eq!(unserved.code(), Code::Unimplemented);
    // This daemon was started without a way to change its log level.
    let level = client
        .set_log_level(proto::SetLogLevelRequest { level: 5 })
        .await
        .expect_err("no log level setter");
    assert_eq!(level.code(), Code::Unimplemented);
    finish(setup).await;
}

#[tokio::test]
async fn the_api_answers_on_a_unix_socket() {
    use hyper_util::rt::TokioIo;
    let setup = setup("unix").await;
    let path = setup.socket.clone();
    let mut channel = None;
    for _ in 0..200 {
        let path = path.clone();
        let connector = tower::service_fn(move |_: tonic::transport::Uri| {
            let path = path.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(path).await?;
                Ok::<_, std::io::Error>(TokioIo::new(stream))
            }
        });
        let endpoint = tonic::transport::Endpoint::from_static("http://localhost");
        if let Ok(connected) = endpoint.connect_with_connector(connector).await {
            channel = Some(connected);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut client = GobgpApiClient::new(channel.expect("the Unix socket answers"));
    let global = client
        .get_bgp(proto::GetBgpRequest {})
        .await
        .expect("get bgp")
        .into_inner();
    assert_eq!(global.global.expect("global").asn, 65001);
    finish(setup).await;
}

fn any<M: Name>(message: &M) -> prost_types::Any {
    prost_types::Any::from_msg(message).expect("encode")
}

/// A path as `gobgp global rib add PREFIX med 5 community 65001:7` sends
/// it: IPv4 with NEXT_HOP, IPv6 with MP_REACH_NLRI.
fn cli_path(prefix: &str, len: u32, next_hop: &str) -> proto::Path {
    let nlri = proto::IpAddressPrefix {
        prefix_len: len,
        prefix: prefix.into(),
    };
    let v6 = prefix.contains(':');
    let mut pattrs = vec![
        any(&proto::OriginAttribute { origin: 2 }),
        any(&proto::AsPathAttribute { segments: vec![] }),
    ];
    if v6 {
        pattrs.push(any(&proto::MpReachNlriAttribute {
            family: family(proto::family::Afi::Ip6),
            next_hops: vec![next_hop.into()],
            nlris: vec![any(&nlri)],
        }));
    } else {
        pattrs.push(any(&proto::NextHopAttribute {
            next_hop: next_hop.into(),
        }));
    }
    pattrs.push(any(&proto::MultiExitDiscAttribute { med: 5 }));
    pattrs.push(any(&proto::CommunitiesAttribute {
        communities: vec![(65001 << 16) | 7],
    }));
    proto::Path {
        nlri: Some(any(&nlri)),
        pattrs,
        family: family(if v6 {
            proto::family::Afi::Ip6
        } else {
            proto::family::Afi::Ip
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn added_paths_reach_peers_and_deleted_ones_leave() {
    let mut setup = setup("add").await;
    let mut client = client(setup.api).await;
    wait_for_routes(&mut client).await;

    let added = client
        .add_path(proto::AddPathRequest {
            path: Some(cli_path("10.9.0.0", 24, "0.0.0.0")),
            ..Default::default()
        })
        .await
        .expect("add v4")
        .into_inner();
    client
        .add_path(proto::AddPathRequest {
            path: Some(cli_path("2001:db8:9::", 48, "2001:db8::1")),
            ..Default::default()
        })
        .await
        .expect("add v6");

    // The peer gets both, from us (eBGP: our AS, next hop self).
    let v4: ipnet::IpNet = "10.9.0.0/24".parse().expect("prefix");
    let v6: ipnet::IpNet = "2001:db8:9::/48".parse().expect("prefix");
    tokio::time::timeout(
        WAIT,
        setup
            .fake
            .routes_until(|r| r.contains_key(&v4) && r.contains_key(&v6)),
    )
    .await
    .expect("the peer gets the local routes");
    let (next_hop, as_path) = &setup.fake.routes[&v4];
    assert_eq!(*next_hop, NextHop::V4(Ipv4Addr::new(127, 0, 0, 1)));
    assert_eq!(as_path, "65001");

    // The global rib shows them as local: no neighbor, next hop as given.
    let rib = list_path(&mut client, lookup("10.9.0.0/24"))
        .await
        .expect("list");
    let path = &rib[0].paths[0];
    assert!(path.best);
    assert_eq!(path.neighbor_ip, "");
    let next_hop: proto::NextHopAttribute = unpack(&path.pattrs[2]).expect("next hop");
    assert_eq!(next_hop.next_hop, "0.0.0.0");
    let med: proto::MultiExitDiscAttribute = unpack(&path.pattrs[3]).expect("med");
    assert_eq!(med.med, 5);

    // Deleted by uuid (v4) and by family (every local IPv6 route).
    client
        .delete_path(proto::DeletePathRequest {
            uuid: added.uuid,
            ..Default::default()
        })
        .await
        .expect("delete by uuid");
    client
        .delete_path(proto::DeletePathRequest {
            family: family(proto::family::Afi::Ip6),
            ..Default::default()
        })
        .await
        .expect("delete the family");
    tokio::time::timeout(
        WAIT,
        setup
            .fake
            .routes_until(|r| !r.contains_key(&v4) && !r.contains_key(&v6)),
    )
    .await
    .expect("the peer loses the local routes");

    let again = client
        .delete_path(proto::DeletePathRequest {
            path: Some(cli_path("10.9.0.0", 24, "0.0.0.0")),
            ..Default::default()
        })
        .await
        .expect_err("deleted already");
    assert_eq!(again.code(), Code::NotFound);
    let bad = client
        .add_path(proto::AddPathRequest {
            path: Some(cli_path("10.9.0.0", 33, "0.0.0.0")),
            ..Default::default()
        })
        .await
        .expect_err("bad prefix length");
    assert_eq!(bad.code(), Code::InvalidArgument);
    finish(setup).await;
}

#[tokio::test]
async fn a_bmp_station_added_at_run_time_gets_the_tables_and_can_be_deleted() {
    use tokio::io::AsyncReadExt;
    let setup = setup("bmp").await;
    let mut client = client(setup.api).await;
    wait_for_routes(&mut client).await;
    let station = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = station.local_addr().expect("addr").port();

    client
        .add_bmp(proto::AddBmpRequest {
            address: "127.0.0.1".into(),
            port: u32::from(port),
            policy: proto::add_bmp_request::MonitoringPolicy::All as i32,
            ..Default::default()
        })
        .await
        .expect("add bmp");
    let again = client
        .add_bmp(proto::AddBmpRequest {
            address: "127.0.0.1".into(),
            port: u32::from(port),
            ..Default::default()
        })
        .await
        .expect_err("twice");
    assert_eq!(again.code(), Code::AlreadyExists);

    // The station gets Initiation (BMP v3, type 4) then the dump.
    let (mut stream, _) = tokio::time::timeout(WAIT, station.accept())
        .await
        .expect("connects in time")
        .expect("accept");
    let mut header = [0u8; 6];
    tokio::time::timeout(WAIT, stream.read_exact(&mut header))
        .await
        .expect("in time")
        .expect("read");
    assert_eq!((header[0], header[5]), (3, 4));

    let mut listed = client
        .list_bmp(proto::ListBmpRequest {})
        .await
        .expect("list bmp")
        .into_inner();
    let first = listed
        .message()
        .await
        .expect("stream")
        .and_then(|r| r.station)
        .expect("one station");
    let conf = first.conf.expect("conf");
    assert_eq!(
        (conf.address.as_str(), conf.port),
        ("127.0.0.1", u32::from(port))
    );
    assert!(first.state.is_some());

    client
        .delete_bmp(proto::DeleteBmpRequest {
            address: "127.0.0.1".into(),
            port: u32::from(port),
        })
        .await
        .expect("delete bmp");
    // Termination, then the station closes.
    let mut rest = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut rest))
        .await
        .expect("closed in time")
        .expect("read");
    let gone = client
        .delete_bmp(proto::DeleteBmpRequest {
            address: "127.0.0.1".into(),
            port: u32::from(port),
        })
        .await
        .expect_err("deleted already");
    assert_eq!(gone.code(), Code::NotFound);
    finish(setup).await;
}

async fn peer_state(client: &mut GobgpApiClient<Channel>) -> proto::PeerState {
    let mut stream = client
        .list_peer(proto::ListPeerRequest::default())
        .await
        .expect("list peer")
        .into_inner();
    stream
        .message()
        .await
        .expect("stream")
        .and_then(|r| r.peer)
        .and_then(|p| p.state)
        .expect("one peer with a state")
}

#[tokio::test]
async fn reset_and_disable_send_cease_and_enable_undoes_disable() {
    use bgpd::wire::bgp::{CeaseSubcode, ErrorCode};
    use proto::peer_state::AdminState;
    let mut setup = setup("reset").await;
    let mut client = client(setup.api).await;
    wait_for_routes(&mut client).await;

    client
        .reset_peer(proto::ResetPeerRequest {
            address: "127.0.0.3".into(),
            ..Default::default()
        })
        .await
        .expect("reset");
    let notification = setup.fake.recv_notification().await;
    assert_eq!(
        notification.code,
        ErrorCode::Cease(CeaseSubcode::AdministrativeReset)
    );

    // The fake connects again (the neighbor is passive), then is disabled.
    let port = setup.fake.stream.peer_addr().expect("addr").port();
    drop(setup.fake);
    let mut fake = Fake::connect(
        "127.0.0.3",
        SocketAddr::new(ROUTER_ID.parse().expect("ip"), port),
    )
    .await;
    fake.handshake(fake_open(65003, Ipv4Addr::new(127, 0, 0, 3), 90, false))
        .await;
    // The reset kept the neighbor, so its counters span both sessions.
    let mut messages = None;
    for _ in 0..500 {
        let state = peer_state(&mut client).await;
        let established = proto::peer_state::SessionState::Established as i32;
        messages = state.messages.filter(|m| {
            state.session_state == established && m.received.as_ref().is_some_and(|r| r.open == 2)
        });
        if messages.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let messages = messages.expect("Established again after two OPENs");
    let sent = messages.sent.expect("sent");
    assert_eq!((sent.open, sent.notification), (2, 1));
    client
        .disable_peer(proto::DisablePeerRequest {
            address: "127.0.0.3".into(),
            communication: "maintenance".into(),
        })
        .await
        .expect("disable");
    let notification = fake.recv_notification().await;
    assert_eq!(
        notification.code,
        ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown)
    );
    let state = peer_state(&mut client).await;
    assert_eq!(state.admin_state, AdminState::Down as i32);
    // Disabled, the neighbor keeps its counters: both Ceases are there.
    let sent = state.messages.and_then(|m| m.sent).expect("sent");
    assert_eq!(sent.notification, 2);
    assert_eq!(
        state.session_state,
        proto::peer_state::SessionState::Idle as i32
    );

    client
        .enable_peer(proto::EnablePeerRequest {
            address: "127.0.0.3".into(),
        })
        .await
        .expect("enable");
    assert_eq!(
        peer_state(&mut client).await.admin_state,
        AdminState::Up as i32
    );

    let unknown = client
        .reset_peer(proto::ResetPeerRequest {
            address: "192.0.2.99".into(),
            ..Default::default()
        })
        .await
        .expect_err("unknown neighbor");
    assert_eq!(unknown.code(), Code::NotFound);
    setup.fake = fake;
    finish(setup).await;
}

#[tokio::test]
async fn an_api_port_in_use_is_skipped_and_the_daemon_runs_on() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let busy = taken.local_addr().expect("addr");
    let port = free_port(ROUTER_ID).await;
    let neighbor = fake_neighbor("127.0.0.3", 65003, ROUTER_ID);
    let config = daemon_at(65001, ROUTER_ID, port, &neighbor);
    let options = Options {
        api: vec![Listen::Tcp(busy)],
        ..Options::default()
    };
    let running = start_with(config, options);
    // BGP still answers.
    let mut fake = Fake::connect(
        "127.0.0.3",
        SocketAddr::new(ROUTER_ID.parse().expect("ip"), port),
    )
    .await;
    fake.handshake(fake_open(65003, Ipv4Addr::new(127, 0, 0, 3), 90, false))
        .await;
    stop(running).await;
}

/// The prefixes (and whether withdrawn) of the next table event.
async fn next_paths(
    events: &mut tonic::Streaming<proto::WatchEventResponse>,
) -> Vec<(String, bool)> {
    use proto::watch_event_response::Event;
    loop {
        let event = tokio::time::timeout(WAIT, events.message())
            .await
            .expect("an event in time")
            .expect("stream")
            .expect("open");
        if let Some(Event::Table(table)) = event.event {
            return table
                .paths
                .iter()
                .map(|p| {
                    let prefix: proto::IpAddressPrefix =
                        unpack(p.nlri.as_ref().expect("nlri")).expect("prefix");
                    (
                        format!("{}/{}", prefix.prefix, prefix.prefix_len),
                        p.is_withdraw,
                    )
                })
                .collect();
        }
    }
}

#[tokio::test]
async fn watching_the_global_rib_gives_the_table_then_changes() {
    use proto::watch_event_request::{table, Table};
    let setup = setup("watch").await;
    let mut client = client(setup.api).await;
    wait_for_routes(&mut client).await;
    let request = proto::WatchEventRequest {
        table: Some(Table {
            filters: vec![table::Filter {
                r#type: table::filter::Type::Best as i32,
                init: true,
                ..Default::default()
            }],
        }),
        ..Default::default()
    };
    let mut events = client
        .watch_event(request)
        .await
        .expect("watch")
        .into_inner();
    let mut dump = Vec::new();
    while dump.len() < 3 {
        dump.extend(next_paths(&mut events).await);
    }
    dump.sort();
    assert_eq!(
        dump,
        [
            ("10.1.0.0/24".to_string(), false),
            ("10.1.1.0/24".to_string(), false),
            ("2001:db8:1::/48".to_string(), false),
        ]
    );

    client
        .add_path(proto::AddPathRequest {
            path: Some(cli_path("10.9.0.0", 24, "0.0.0.0")),
            ..Default::default()
        })
        .await
        .expect("add");
    assert_eq!(
        next_paths(&mut events).await,
        [("10.9.0.0/24".to_string(), false)]
    );
    client
        .delete_path(proto::DeletePathRequest {
            path: Some(cli_path("10.9.0.0", 24, "0.0.0.0")),
            ..Default::default()
        })
        .await
        .expect("delete");
    assert_eq!(
        next_paths(&mut events).await,
        [("10.9.0.0/24".to_string(), true)]
    );
    drop(events);
    finish(setup).await;
}

#[tokio::test]
async fn a_path_stream_installs_every_path_it_carries() {
    let setup = setup("stream").await;
    let mut client = client(setup.api).await;
    wait_for_routes(&mut client).await;
    let requests = vec![
        proto::AddPathStreamRequest {
            paths: vec![
                cli_path("10.20.0.0", 24, "0.0.0.0"),
                cli_path("10.20.1.0", 24, "0.0.0.0"),
            ],
            ..Default::default()
        },
        proto::AddPathStreamRequest {
            paths: vec![cli_path("10.20.2.0", 24, "0.0.0.0")],
            ..Default::default()
        },
    ];
    client
        .add_path_stream(tokio_stream_iter(requests))
        .await
        .expect("stream");
    let table = client
        .get_table(proto::GetTableRequest::default())
        .await
        .expect("table")
        .into_inner();
    assert_eq!(table.num_destination, 5, "2 from the peer and 3 streamed");
    finish(setup).await;
}

fn tokio_stream_iter<T: Send + 'static>(
    items: Vec<T>,
) -> impl tonic::codegen::tokio_stream::Stream<Item = T> + Send + 'static {
    tonic::codegen::tokio_stream::iter(items)
}
