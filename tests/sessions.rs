//! Session life on loopback against a hand-played fake peer: connection
//! collision (RFC 4271 §6.8), hold timer expiry, and SIGHUP reloads.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bgpd::peer::Observed;
use bgpd::wire::bgp::Message;
use common::*;
use tokio::net::TcpListener;
use tokio::time::timeout;

fn localhost(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

fn ip(text: &str) -> Ipv4Addr {
    text.parse().expect("ipv4")
}

/// The daemon (router id `daemon_id`) connects out to the fake peer's
/// listener while the fake connects in: two connections in OpenSent. The
/// identifiers decide which one gets Cease 6/7; the other reaches
/// Established, and only one session is ever reported.
async fn collision(daemon_id: &str, fake_id: &str) {
    let listener = TcpListener::bind("127.0.0.3:0").await.expect("bind");
    let fake_port = listener.local_addr().expect("addr").port();
    let port = free_port("127.0.0.1").await;
    let neighbor = Neighbor {
        families: &["ipv4-unicast"],
        hold_time: Some(90),
        ..Neighbor::new("127.0.0.3", 65003, "127.0.0.1", fake_port)
    };
    let mut daemon = start(daemon_config(
        65001,
        daemon_id,
        &["127.0.0.1"],
        port,
        &neighbor.toml(),
    ));
    // The daemon's connection (outgoing for it), then ours (incoming).
    let (stream, _) = timeout(WAIT, listener.accept())
        .await
        .expect("the daemon connects in time")
        .expect("accept");
    let mut outgoing = Fake::new(stream);
    assert!(matches!(outgoing.recv().await, Some(Message::Open(_))));
    let mut incoming = Fake::connect("127.0.0.3", SocketAddr::new(localhost(1), port)).await;
    assert!(matches!(incoming.recv().await, Some(Message::Open(_))));
    let open = fake_open(65003, ip(fake_id), 90, false);
    outgoing.send(Message::Open(open.clone())).await;
    incoming.send(Message::Open(open)).await;
    // The higher identifier keeps the connection it initiated.
    let dump_outgoing = u32::from(ip(daemon_id)) < u32::from(ip(fake_id));
    let (mut loser, mut winner) = if dump_outgoing {
        (outgoing, incoming)
    } else {
        (incoming, outgoing)
    };
    let n = loser.recv_notification().await;
    assert_eq!((n.code.code(), n.code.subcode()), (6, 7));
    assert_eq!(loser.recv().await, None, "the loser is closed");
    assert_eq!(winner.recv().await, Some(Message::Keepalive));
    winner.send(Message::Keepalive).await;
    wait_for(&mut daemon, "127.0.0.3", true).await;
    let Some(Message::Update(eor)) = winner.recv().await else {
        panic!("expected End-of-RIB on the surviving connection");
    };
    assert!(eor.is_end_of_rib().is_some());
    assert!(
        daemon.observed.try_recv().is_err(),
        "exactly one session, never down"
    );
    stop(daemon).await;
}

#[tokio::test]
async fn collision_with_a_higher_peer_id_dumps_our_outgoing_connection() {
    collision("127.0.0.1", "127.0.0.9").await;
}

#[tokio::test]
async fn collision_with_a_lower_peer_id_dumps_the_incoming_connection() {
    collision("127.0.0.5", "127.0.0.3").await;
}

#[tokio::test]
async fn silent_peer_gets_hold_timer_expired_4_0() {
    let port = free_port("127.0.0.1").await;
    let mut daemon = start(daemon_config(
        65001,
        "127.0.0.1",
        &["127.0.0.1"],
        port,
        &fake_neighbor("127.0.0.3", 65003, "127.0.0.1").toml(),
    ));
    let mut fake = Fake::connect("127.0.0.3", SocketAddr::new(localhost(1), port)).await;
    // Hold time 3 s (the smallest allowed), then silence.
    fake.handshake(fake_open(65003, ip("127.0.0.3"), 3, false))
        .await;
    wait_for(&mut daemon, "127.0.0.3", true).await;
    let since = Instant::now();
    let n = fake.recv_notification().await;
    assert_eq!((n.code.code(), n.code.subcode()), (4, 0));
    assert!(
        since.elapsed().as_millis() >= 2000,
        "not before the hold time"
    );
    wait_for(&mut daemon, "127.0.0.3", false).await;
    stop(daemon).await;
}

fn reload_neighbors(hold_3: u32, with_4: bool, with_5: bool) -> String {
    let mut text = Neighbor {
        hold_time: Some(hold_3),
        ..fake_neighbor("127.0.0.3", 65003, "127.0.0.1")
    }
    .toml();
    if with_4 {
        text.push_str(&fake_neighbor("127.0.0.4", 65004, "127.0.0.1").toml());
    }
    if with_5 {
        text.push_str(&fake_neighbor("127.0.0.5", 65005, "127.0.0.1").toml());
    }
    text.push_str(&fake_neighbor("127.0.0.6", 65006, "127.0.0.1").toml());
    text
}

async fn established(address: &str, asn: u32, port: u16) -> (Fake, bgpd::wire::bgp::Open) {
    let mut fake = Fake::connect(address, SocketAddr::new(localhost(1), port)).await;
    let theirs = fake.handshake(fake_open(asn, ip(address), 90, false)).await;
    (fake, theirs)
}

/// A reload removes 127.0.0.4 (Cease 6/3), restarts the changed
/// 127.0.0.3 (Cease 6/6, then its new settings), adds 127.0.0.5 and leaves
/// the unchanged 127.0.0.6 alone.
#[tokio::test]
async fn reload_adds_removes_and_restarts_changed_neighbors() {
    let port = free_port("127.0.0.1").await;
    let config =
        |neighbors: &str| daemon_config(65001, "127.0.0.1", &["127.0.0.1"], port, neighbors);
    let mut daemon = start(config(&reload_neighbors(90, true, false)));
    let (mut f3, _) = established("127.0.0.3", 65003, port).await;
    let (mut f4, _) = established("127.0.0.4", 65004, port).await;
    let (mut f6, _) = established("127.0.0.6", 65006, port).await;
    observe_all(
        &mut daemon,
        &[up("127.0.0.3"), up("127.0.0.4"), up("127.0.0.6")],
    )
    .await;
    daemon
        .reload
        .send(config(&reload_neighbors(60, false, true)))
        .await
        .expect("daemon running");
    let n = f4.recv_notification().await;
    assert_eq!((n.code.code(), n.code.subcode()), (6, 3));
    let n = f3.recv_notification().await;
    assert_eq!((n.code.code(), n.code.subcode()), (6, 6));
    // The restarted neighbor comes back with its new hold time.
    let (_f3, open) = established("127.0.0.3", 65003, port).await;
    assert_eq!(open.hold_time, 60);
    let (_f5, _) = established("127.0.0.5", 65005, port).await;
    let seen = observe_all(
        &mut daemon,
        &[
            down("127.0.0.3"),
            down("127.0.0.4"),
            up("127.0.0.3"),
            up("127.0.0.5"),
        ],
    )
    .await;
    assert!(!seen.contains(&down("127.0.0.6")), "unchanged: {seen:?}");
    // 127.0.0.6 still has its session: nothing but UPDATEs and KEEPALIVEs.
    f6.send(Message::Keepalive).await;
    let quiet = timeout(Duration::from_millis(300), async {
        loop {
            match f6.recv().await {
                Some(Message::Update(_) | Message::Keepalive) => continue,
                other => return other,
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "127.0.0.6 kept its session: {quiet:?}");
    assert!(daemon.observed.try_recv().is_err());
    stop(daemon).await;
}

/// Collects session changes until every one of `want` was seen.
async fn observe_all(daemon: &mut Running, want: &[Observed]) -> Vec<Observed> {
    let mut seen = Vec::new();
    while !want.iter().all(|w| seen.contains(w)) {
        seen.push(next_observed(daemon).await);
    }
    seen
}

fn up(peer: &str) -> Observed {
    Observed {
        peer: peer.parse().expect("ip"),
        up: true,
    }
}

fn down(peer: &str) -> Observed {
    Observed {
        peer: peer.parse().expect("ip"),
        up: false,
    }
}
