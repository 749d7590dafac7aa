//! Session life on loopback against a hand-played fake peer: connection
//! collision (RFC 4271 §6.8), keepalive and hold timers in virtual time,
//! and SIGHUP reloads.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use bgpd::peer::Observed;
use bgpd::wire::bgp::Message;
use common::frozen::{observed_frozen, run_until, Frozen, Heard, SyncPeer};
use common::*;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::{timeout, Instant};

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
    let mut daemon = start(daemon_config(
        65001,
        daemon_id,
        &["127.0.0.1"],
        port,
        &active_neighbor(fake_port),
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
    resolve(&mut daemon, outgoing, incoming, daemon_id, fake_id).await;
    stop(daemon).await;
}

/// The daemon's neighbor 127.0.0.3, active, at the fake's `fake_port`.
fn active_neighbor(fake_port: u16) -> String {
    Neighbor {
        families: &["ipv4-unicast"],
        hold_time: Some(90),
        ..Neighbor::new("127.0.0.3", 65003, "127.0.0.1", fake_port)
    }
    .toml()
}

/// RFC 4271 §6.8 on two connections on which the daemon has sent its
/// OPEN: `outgoing` initiated by the daemon, `incoming` by the fake. The
/// fake sends its OPEN on both, the expected loser first (so nothing is
/// written to a closed socket). The connection initiated by the higher BGP
/// identifier must survive and reach Established; the other gets Cease 6/7
/// and is closed; exactly one session comes up and none goes down.
async fn resolve(
    daemon: &mut Running,
    outgoing: Fake,
    incoming: Fake,
    daemon_id: &str,
    fake_id: &str,
) {
    let open = fake_open(65003, ip(fake_id), 90, false);
    let dump_outgoing = u32::from(ip(daemon_id)) < u32::from(ip(fake_id));
    let (mut loser, mut winner) = if dump_outgoing {
        (outgoing, incoming)
    } else {
        (incoming, outgoing)
    };
    loser.send(Message::Open(open.clone())).await;
    winner.send(Message::Open(open)).await;
    let n = loser.recv_notification().await;
    assert_eq!((n.code.code(), n.code.subcode()), (6, 7));
    assert_eq!(loser.recv().await, None, "the loser is closed");
    assert_eq!(winner.recv().await, Some(Message::Keepalive));
    winner.send(Message::Keepalive).await;
    assert_eq!(next_observed(daemon).await, up("127.0.0.3"));
    let Some(Message::Update(eor)) = winner.recv().await else {
        panic!("expected End-of-RIB on the surviving connection");
    };
    assert!(eor.is_end_of_rib().is_some());
    assert!(
        daemon.observed.try_recv().is_err(),
        "exactly one session, never down"
    );
}

/// The race of 64f244c, made deterministic. The fake's listener has a
/// full accept queue, so the kernel drops the daemon's SYN and its connect
/// stays in flight (the daemon in Connect) while the fake connects in. The
/// daemon adopts the incoming connection and sends its OPEN there. Then the
/// queue is emptied, the SYN is retransmitted (after about 1 s) and the
/// overtaken connect completes: it must become the second connection (the
/// daemon sends its OPEN on it too), not be dropped, and collision
/// detection decides between the two.
async fn collision_with_an_overtaken_connect(daemon_id: &str, fake_id: &str) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.3:0".parse().expect("addr"))
        .expect("bind");
    let listener = socket.listen(1).expect("listen");
    let fake_addr = listener.local_addr().expect("addr");
    let fillers = fill_accept_queue(fake_addr).await;
    let port = free_port("127.0.0.1").await;
    let mut daemon = start(daemon_config(
        65001,
        daemon_id,
        &["127.0.0.1"],
        port,
        &active_neighbor(fake_addr.port()),
    ));
    wait_for_syn_sent(localhost(1), fake_addr).await;
    let mut incoming = Fake::connect("127.0.0.3", SocketAddr::new(localhost(1), port)).await;
    assert!(
        matches!(incoming.recv().await, Some(Message::Open(_))),
        "the daemon adopts the incoming connection while connecting"
    );
    for _ in 0..fillers.len() {
        let (filler, from) = timeout(WAIT, listener.accept())
            .await
            .expect("queued")
            .expect("accept");
        assert_eq!(from.ip(), localhost(4), "only fillers are queued");
        drop(filler);
    }
    drop(fillers);
    let (stream, from) = timeout(WAIT, listener.accept())
        .await
        .expect("the daemon's SYN is retransmitted in time")
        .expect("accept");
    assert_eq!(from.ip(), localhost(1));
    let mut outgoing = Fake::new(stream);
    assert!(
        matches!(outgoing.recv().await, Some(Message::Open(_))),
        "the overtaken connect becomes the second connection"
    );
    resolve(&mut daemon, outgoing, incoming, daemon_id, fake_id).await;
    stop(daemon).await;
}

/// Connects from 127.0.0.4 to `listener` until a connect does not
/// complete: the accept queue is full and further SYNs are dropped.
/// Returns the queued connections.
async fn fill_accept_queue(listener: SocketAddr) -> Vec<TcpStream> {
    let mut fillers = Vec::new();
    for _ in 0..16 {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.bind(SocketAddr::new(localhost(4), 0)).expect("bind");
        match timeout(Duration::from_millis(300), socket.connect(listener)).await {
            Ok(stream) => fillers.push(stream.expect("connect")),
            Err(_) => return fillers,
        }
    }
    panic!("the accept queue of {listener} never filled");
}

/// Waits until a TCP socket from `from` to `to` is in SYN-SENT (Linux
/// `/proc/net/tcp`, state 02).
async fn wait_for_syn_sent(from: IpAddr, to: SocketAddr) {
    let hex = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => format!("{:08X}", u32::from_le_bytes(v4.octets())),
        IpAddr::V6(_) => unreachable!("IPv4 only"),
    };
    let local = format!("{}:", hex(from));
    let remote = format!("{}:{:04X}", hex(to.ip()), to.port());
    for _ in 0..WAIT.as_millis() / 5 {
        let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
        let found = table.lines().skip(1).any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.len() > 3
                && fields[1].starts_with(&local)
                && fields[2] == remote
                && fields[3] == "02"
        });
        if found {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no connection from {from} to {to} in SYN-SENT");
}

#[tokio::test]
async fn overtaken_connect_with_a_higher_peer_id_is_dumped_as_our_outgoing_connection() {
    collision_with_an_overtaken_connect("127.0.0.1", "127.0.0.9").await;
}

#[tokio::test]
async fn overtaken_connect_with_a_lower_peer_id_survives_and_the_incoming_one_is_dumped() {
    collision_with_an_overtaken_connect("127.0.0.5", "127.0.0.3").await;
}

#[tokio::test]
async fn collision_with_a_higher_peer_id_dumps_our_outgoing_connection() {
    collision("127.0.0.1", "127.0.0.9").await;
}

#[tokio::test]
async fn collision_with_a_lower_peer_id_dumps_the_incoming_connection() {
    collision("127.0.0.5", "127.0.0.3").await;
}

/// A peer that completes OPEN/KEEPALIVE and then goes silent, in virtual
/// time. The peer proposes hold time 30 s, so bgpd sends KEEPALIVE every
/// hold/3 = 10 s and nothing in between; with nothing heard for 30 s it
/// sends NOTIFICATION 4/0 (Hold Timer Expired), closes, and the session
/// goes down.
///
/// Time moves only in `run_until`, while the peer has nothing to send (see
/// `common::frozen`); every exchange happens with virtual time stopped.
#[tokio::test(start_paused = true)]
async fn silent_peer_gets_keepalives_every_third_of_hold_time_then_4_0() {
    let mut frozen = Frozen::new();
    let start_time = Instant::now();
    let port = free_port("127.0.0.1").await;
    let neighbor = Neighbor {
        families: &["ipv4-unicast"],
        ..fake_neighbor("127.0.0.3", 65003, "127.0.0.1")
    };
    let mut daemon = start(daemon_config(
        65001,
        "127.0.0.1",
        &["127.0.0.1"],
        port,
        &neighbor.toml(),
    ));
    let mut fake = SyncPeer::connect("127.0.0.3", SocketAddr::new(localhost(1), port)).await;
    fake.handshake(fake_open(65003, ip("127.0.0.3"), 30, false))
        .await;
    assert_eq!(observed_frozen(&mut daemon).await, up("127.0.0.3"));
    let Heard::Message(Message::Update(eor)) = fake.next(WAIT).await else {
        panic!("expected End-of-RIB");
    };
    assert!(eor.is_end_of_rib().is_some());
    // bgpd armed its keepalive timer on our OPEN and its hold timer on our
    // KEEPALIVE, both at this instant: time has not moved since the start.
    let t0 = Instant::now();
    assert_eq!(t0, start_time, "virtual time stood still for the handshake");
    let secs = Duration::from_secs;
    let just_before = |at: Duration| t0 + at - Duration::from_millis(1);
    for at in [secs(10), secs(20)] {
        frozen = run_until(frozen, just_before(at)).await;
        fake.expect_quiet(&format!("nothing before {at:?}")).await;
        frozen = run_until(frozen, t0 + at).await;
        fake.expect(Message::Keepalive).await;
        fake.expect_quiet(&format!("one KEEPALIVE at {at:?}")).await;
    }
    frozen = run_until(frozen, just_before(secs(30))).await;
    fake.expect_quiet("the hold timer runs until 30 s").await;
    frozen = run_until(frozen, t0 + secs(30)).await;
    // At 30 s the hold timer expires; the KEEPALIVE due then is not sent.
    let Heard::Message(Message::Notification(n)) = fake.next(WAIT).await else {
        panic!("expected NOTIFICATION");
    };
    assert_eq!((n.code.code(), n.code.subcode()), (4, 0));
    assert_eq!(fake.next(WAIT).await, Heard::Closed);
    assert_eq!(observed_frozen(&mut daemon).await, down("127.0.0.3"));
    frozen.thaw().await;
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

/// The fake's OPEN with graceful restart for IPv4 unicast, forwarding
/// state kept (restart time 120 s).
fn graceful_open(asn: u32, address: &str) -> bgpd::wire::bgp::Open {
    use bgpd::wire::bgp::{Capability, GracefulRestart, GracefulRestartFamily, OptionalParameter};
    let mut open = fake_open(asn, ip(address), 90, false);
    if let Some(OptionalParameter::Capabilities(capabilities)) = open.parameters.first_mut() {
        capabilities.push(Capability::GracefulRestart(GracefulRestart {
            flags: 0,
            restart_time: 120,
            families: vec![GracefulRestartFamily {
                family: bgpd::wire::Family::IPV4_UNICAST,
                flags: 0x80,
            }],
        }));
    }
    open
}

/// RFC 4724 §4.2: A (graceful restart on both sides) connects again while
/// its old session still looks established, as a peer that restarted
/// before its old connection was seen to end. bgpd closes the old
/// connection and takes the new one; B never loses the route A announces
/// again, and loses the other at A's End-of-RIB.
#[tokio::test]
async fn a_restarted_peer_connecting_again_takes_over_its_kept_routes() {
    let port = free_port("127.0.0.1").await;
    let a = Neighbor {
        graceful_restart: true,
        ..fake_neighbor("127.0.0.2", 65002, "127.0.0.1")
    };
    let mut text = a.toml();
    text.push_str(&fake_neighbor("127.0.0.3", 65003, "127.0.0.1").toml());
    let daemon = start(daemon_config(
        65001,
        "127.0.0.1",
        &["127.0.0.1"],
        port,
        &text,
    ));
    let address = SocketAddr::new(localhost(1), port);
    let mut old = Fake::connect("127.0.0.2", address).await;
    old.handshake(graceful_open(65002, "127.0.0.2")).await;
    let (mut b, _) = established("127.0.0.3", 65003, port).await;
    let hop = bgpd::wire::bgp::NextHop::V4(Ipv4Addr::new(127, 0, 0, 2));
    let v4 = bgpd::wire::Family::IPV4_UNICAST;
    old.announce(65002, v4, hop, &["10.1.0.0/24", "10.2.0.0/24"])
        .await;
    b.routes_until(|routes| routes.len() == 2).await;

    // A again, the old connection still open.
    let mut new = Fake::connect("127.0.0.2", address).await;
    new.handshake(graceful_open(65002, "127.0.0.2")).await;
    while let Some(message) = old.recv().await {
        assert!(
            !matches!(message, Message::Notification(_)),
            "the old connection just closes"
        );
    }
    new.announce(65002, v4, hop, &["10.1.0.0/24"]).await;
    new.send(Message::Update(bgpd::wire::bgp::Update::default()))
        .await;

    // B: 10.2.0.0/24 withdrawn at A's End-of-RIB, 10.1.0.0/24 never.
    let mut withdrawn = Vec::new();
    for _ in 0..100 {
        if withdrawn.contains(&net("10.2.0.0/24")) {
            break;
        }
        match b.recv().await {
            Some(Message::Update(update)) => {
                withdrawn.extend(update.withdrawals().map(|(_, n)| n.prefix));
            }
            Some(_) => {}
            None => panic!("B's session closed"),
        }
    }
    assert_eq!(withdrawn, vec![net("10.2.0.0/24")]);
    stop(daemon).await;
}
