//! Real sockets on loopback: two daemons peer; a hand-played fake peer
//! checks OPEN handling, End-of-RIB and the shutdown Cease.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bgpd::daemon;
use bgpd::wire::bgp::{Capability, Message, Open};
use bgpd::wire::Family;
use common::*;
use tokio::time::timeout;

async fn two_daemons(b_passive: bool) {
    let p1 = free_port("127.0.0.1").await;
    let p2 = free_port("127.0.0.2").await;
    let a = daemon_at(
        65001,
        "127.0.0.1",
        p1,
        &Neighbor::new("127.0.0.2", 65002, "127.0.0.1", p2),
    );
    let b = daemon_at(
        65002,
        "127.0.0.2",
        p2,
        &Neighbor {
            passive: b_passive,
            ..Neighbor::new("127.0.0.1", 65001, "127.0.0.2", p1)
        },
    );
    let mut a = start(a);
    let mut b = start(b);
    expect_observed(&mut a, "127.0.0.2", true).await;
    expect_observed(&mut b, "127.0.0.1", true).await;
    // B shuts down: A sees the session go down (B's Cease 6/2).
    stop(b).await;
    let down = next_observed(&mut a).await;
    assert!(!down.up);
    stop(a).await;
}

#[tokio::test]
async fn two_daemons_reach_established_and_go_down_on_shutdown() {
    two_daemons(true).await;
}

#[tokio::test]
async fn two_active_daemons_resolve_the_collision_and_reach_established() {
    two_daemons(false).await;
}

/// The fake's OPEN: IPv4 unicast and 4-octet AS only.
fn fake_open_v4(asn: u32, id: Ipv4Addr) -> Open {
    Open::new(
        asn,
        90,
        id,
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::FourOctetAs(asn),
        ],
    )
}

async fn daemon_with_passive_fake_neighbor() -> (Running, SocketAddr) {
    let port = free_port("127.0.0.1").await;
    let config = daemon_at(
        65001,
        "127.0.0.1",
        port,
        &Neighbor {
            passive: true,
            ..Neighbor::new("127.0.0.3", 65003, "127.0.0.1", 179)
        },
    );
    (
        start(config),
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
    )
}

#[tokio::test]
async fn fake_peer_gets_open_keepalive_end_of_rib_then_cease_6_2_on_shutdown() {
    let (mut daemon, address) = daemon_with_passive_fake_neighbor().await;
    let mut fake = Fake::connect("127.0.0.3", address).await;
    // The daemon's OPEN, then its KEEPALIVE (checked by `handshake`).
    let open = fake
        .handshake(fake_open_v4(65003, Ipv4Addr::new(127, 0, 0, 3)))
        .await;
    assert_eq!(open.asn(), 65001);
    assert!(open
        .capabilities()
        .any(|c| matches!(c, Capability::Fqdn { .. })));
    let up = next_observed(&mut daemon).await;
    assert!(up.up);
    let Some(Message::Update(eor)) = fake.recv().await else {
        panic!("expected End-of-RIB");
    };
    assert_eq!(eor.is_end_of_rib(), Some(Family::IPV4_UNICAST));
    let _ = daemon.stop.send(());
    let n = fake.recv_notification().await;
    assert_eq!((n.code.code(), n.code.subcode()), (6, 2));
    assert_eq!(
        n.shutdown_communication(),
        Some(daemon::SHUTDOWN_COMMUNICATION)
    );
    timeout(WAIT, daemon.task)
        .await
        .expect("in time")
        .expect("task")
        .expect("clean exit");
}

#[tokio::test]
async fn fake_peer_with_wrong_as_gets_notification_2_2() {
    let (daemon, address) = daemon_with_passive_fake_neighbor().await;
    let mut fake = Fake::connect("127.0.0.3", address).await;
    fake.send(Message::Open(fake_open_v4(
        65099,
        Ipv4Addr::new(127, 0, 0, 3),
    )))
    .await;
    let n = fake.recv_notification().await;
    assert_eq!((n.code.code(), n.code.subcode()), (2, 2));
    stop(daemon).await;
}

#[tokio::test]
async fn connection_from_unknown_address_is_refused() {
    let (daemon, address) = daemon_with_passive_fake_neighbor().await;
    let mut fake = Fake::connect("127.0.0.9", address).await;
    fake.send(Message::Open(fake_open_v4(
        65009,
        Ipv4Addr::new(127, 0, 0, 9),
    )))
    .await;
    // Closed without a message: a FIN, or a reset when the OPEN reached
    // the daemon before it dropped the connection.
    assert_eq!(fake.recv().await, None);
    stop(daemon).await;
}
