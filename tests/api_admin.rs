//! The management API's neighbor administration and policy listings over
//! a real socket: AddPeer and DeletePeer (with a fake peer that connects
//! to the added neighbor), the peer tasks' FSM states and message
//! counters in ListPeer, and ListPolicy, ListStatement, ListDefinedSet and
//! ListPolicyAssignment answered from the running configuration.
//!
//! ```text
//!  fake 127.0.0.4 AS 65004 ──BGP──▶ bgpd 127.0.0.1 AS 65001 ◀──gRPC── client
//! ```

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bgpd::api::proto::{self, gobgp_api_client::GobgpApiClient};
use bgpd::api::Listen;
use bgpd::daemon::Options;
use bgpd::wire::bgp::{CeaseSubcode, ErrorCode, Message, NextHop};
use bgpd::wire::Family;
use common::*;
use proto::peer_state::SessionState;
use tonic::transport::Channel;
use tonic::Code;

const ROUTER_ID: &str = "127.0.0.1";

/// A daemon on 127.0.0.1 with `extra` TOML after `[global.config]`, and
/// its BGP and API addresses.
async fn daemon(extra: &str) -> (Running, SocketAddr, SocketAddr) {
    let port = free_port(ROUTER_ID).await;
    let api = SocketAddr::new(ROUTER_ID.parse().expect("ip"), free_port(ROUTER_ID).await);
    let config = daemon_config(65001, ROUTER_ID, &[ROUTER_ID], port, extra);
    let options = Options {
        api: vec![Listen::Tcp(api)],
        ..Options::default()
    };
    let bgp = SocketAddr::new(ROUTER_ID.parse().expect("ip"), port);
    (start_with(config, options), bgp, api)
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

/// What `gobgp neighbor add ADDR as ASN` sends, plus passive mode and both
/// unicast families (so a fake peer can connect in).
fn add_request(address: &str, asn: u32) -> proto::AddPeerRequest {
    let family = |afi: proto::family::Afi| proto::AfiSafi {
        config: Some(proto::AfiSafiConfig {
            family: Some(proto::Family {
                afi: afi as i32,
                safi: proto::family::Safi::Unicast as i32,
            }),
            enabled: true,
        }),
        state: None,
    };
    proto::AddPeerRequest {
        peer: Some(proto::Peer {
            conf: Some(proto::PeerConf {
                neighbor_address: address.into(),
                peer_asn: asn,
                ..Default::default()
            }),
            transport: Some(proto::Transport {
                passive_mode: true,
                ..Default::default()
            }),
            afi_safis: vec![
                family(proto::family::Afi::Ip),
                family(proto::family::Afi::Ip6),
            ],
            ..Default::default()
        }),
    }
}

/// The listed peer at `address`, if any.
async fn listed(client: &mut GobgpApiClient<Channel>, address: &str) -> Option<proto::Peer> {
    let mut stream = client
        .list_peer(proto::ListPeerRequest::default())
        .await
        .expect("list peer")
        .into_inner();
    while let Some(response) = stream.message().await.expect("stream") {
        let peer = response.peer.expect("peer");
        if peer.conf.as_ref().expect("conf").neighbor_address == address {
            return Some(peer);
        }
    }
    None
}

/// Asks until `done` holds for the peer at `address` (at most 5 s).
async fn wait_peer(
    client: &mut GobgpApiClient<Channel>,
    address: &str,
    done: impl Fn(&proto::Peer) -> bool,
) -> proto::Peer {
    for _ in 0..500 {
        if let Some(peer) = listed(client, address).await.filter(|p| done(p)) {
            return peer;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("peer {address} never reached the expected state");
}

fn state(peer: &proto::Peer) -> &proto::PeerState {
    peer.state.as_ref().expect("state")
}

fn counts(peer: &proto::Peer) -> (proto::Message, proto::Message) {
    let messages = state(peer).messages.expect("messages");
    (
        messages.sent.expect("sent"),
        messages.received.expect("received"),
    )
}

#[tokio::test]
async fn a_neighbor_added_at_run_time_peers_and_deleting_it_sends_cease_6_3() {
    let (mut running, bgp, api) = daemon("").await;
    let mut client = client(api).await;

    client
        .add_peer(add_request("127.0.0.4", 65004))
        .await
        .expect("add");
    let idle = wait_peer(&mut client, "127.0.0.4", |_| true).await;
    assert_eq!(state(&idle).session_state, SessionState::Active as i32);
    let timers = idle.timers.as_ref().and_then(|t| t.state.as_ref());
    assert!(timers.is_some_and(|t| t.uptime.is_none() && t.downtime.is_some()));

    let mut fake = Fake::connect("127.0.0.4", bgp).await;
    fake.handshake(fake_open(65004, Ipv4Addr::new(127, 0, 0, 4), 90, false))
        .await;
    wait_for(&mut running, "127.0.0.4", true).await;
    let next_hop = NextHop::V4(Ipv4Addr::new(192, 0, 2, 4));
    fake.announce(65004, Family::IPV4_UNICAST, next_hop, &["10.4.0.0/24"])
        .await;
    let up = wait_peer(&mut client, "127.0.0.4", |p| counts(p).1.update >= 1).await;
    assert_eq!(state(&up).session_state, SessionState::Established as i32);
    let (sent, received) = counts(&up);
    assert_eq!((sent.open, received.open), (1, 1));
    assert!(sent.keepalive >= 1 && received.keepalive >= 1);
    assert_eq!(
        received.total,
        received.open + received.update + received.keepalive + received.notification
    );
    assert!(up
        .timers
        .and_then(|t| t.state)
        .and_then(|t| t.uptime)
        .is_some());

    // A reload of a file without it keeps the neighbor and its session.
    let config = daemon_config(65001, ROUTER_ID, &[ROUTER_ID], bgp.port(), "");
    running.reload.send(config).await.expect("reload");
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    while let Ok(message) = tokio::time::timeout_at(deadline, fake.recv()).await {
        let message = message.expect("the session was closed by the reload");
        assert!(
            !matches!(message, Message::Notification(_)),
            "the reload sent {message:?}"
        );
    }
    assert!(listed(&mut client, "127.0.0.4").await.is_some());

    client
        .delete_peer(proto::DeletePeerRequest {
            address: "127.0.0.4".into(),
            ..Default::default()
        })
        .await
        .expect("delete");
    let notification = fake.recv_notification().await;
    assert_eq!(
        notification.code,
        ErrorCode::Cease(CeaseSubcode::PeerDeconfigured)
    );
    wait_for(&mut running, "127.0.0.4", false).await;
    assert!(listed(&mut client, "127.0.0.4").await.is_none());
    stop(running).await;
}

#[tokio::test]
async fn bad_add_and_delete_requests_get_clear_errors() {
    let extra = fake_neighbor("127.0.0.5", 65005, ROUTER_ID).toml();
    let (running, _, api) = daemon(&extra).await;
    let mut client = client(api).await;

    let code = |r: Result<tonic::Response<()>, tonic::Status>| r.expect_err("refused").code();
    let duplicate = client.add_peer(add_request("127.0.0.5", 65005)).await;
    assert_eq!(code(duplicate), Code::AlreadyExists);
    let bad_address = client.add_peer(add_request("192.0.2.300", 65005)).await;
    assert_eq!(code(bad_address), Code::InvalidArgument);
    let mut ibgp_remove_private = add_request("127.0.0.6", 65001);
    if let Some(conf) = ibgp_remove_private
        .peer
        .as_mut()
        .and_then(|p| p.conf.as_mut())
    {
        conf.remove_private_as = proto::peer_conf::RemovePrivateAs::All as i32;
    }
    let refused = client.add_peer(ibgp_remove_private).await;
    let status = refused.expect_err("remove-private-as on iBGP");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("remove-private-as"), "{status:?}");
    let no_peer = client.add_peer(proto::AddPeerRequest { peer: None }).await;
    assert_eq!(code(no_peer), Code::InvalidArgument);

    let delete = |address: &str| proto::DeletePeerRequest {
        address: address.into(),
        ..Default::default()
    };
    let unknown = client.delete_peer(delete("127.0.0.9")).await;
    assert_eq!(code(unknown), Code::NotFound);
    let garbage = client.delete_peer(delete("not-an-address")).await;
    assert_eq!(code(garbage), Code::InvalidArgument);
    // The file's neighbor can be deleted too, once.
    client
        .delete_peer(delete("127.0.0.5"))
        .await
        .expect("delete");
    let again = client.delete_peer(delete("127.0.0.5")).await;
    assert_eq!(code(again), Code::NotFound);
    stop(running).await;
}
