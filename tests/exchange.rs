//! Routes through two real daemons on loopback: a fake peer F1 announces
//! to daemon A, A passes them to daemon B (over IPv4, or over `::1` with
//! RFC 8950 extended next hop), and B to a fake peer F2 that records them.
//!
//! ```text
//!  F1 127.0.0.3 ──▶ A 127.0.0.1 ──▶ B 127.0.0.2 ──▶ F2 127.0.0.4
//!   AS 65003        AS 65001        AS 65002        AS 65004
//! ```

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bgpd::config;
use bgpd::wire::bgp::{Capability, ExtendedNextHop, NextHop};
use bgpd::wire::Family;
use common::*;

const V4_ROUTES: [&str; 2] = ["10.1.0.0/24", "10.1.1.0/24"];
const V6_ROUTE: &str = "2001:db8:1::/48";

struct Chain {
    a: Running,
    b: Running,
    b_config: config::Config,
    b_port: u16,
    f1: Fake,
    f2: Fake,
}

fn localhost(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// F2 connects to B and completes the handshake.
async fn connect_f2(b_port: u16) -> Fake {
    let mut f2 = Fake::connect("127.0.0.4", SocketAddr::new(localhost(2), b_port)).await;
    f2.handshake(fake_open(65004, Ipv4Addr::new(127, 0, 0, 4), 90, false))
        .await;
    f2
}

/// Starts A and B (B connects to A; over `::1` when `ab_ipv6`) and the two
/// fake peers, all sessions Established.
async fn chain(ab_ipv6: bool) -> Chain {
    let a_port = free_port("127.0.0.1").await;
    let b_port = free_port("127.0.0.2").await;
    let (a_listen, b_listen): (&[&str], &[&str]) = if ab_ipv6 {
        (&["127.0.0.1", "::1"], &["127.0.0.2", "::1"])
    } else {
        (&["127.0.0.1"], &["127.0.0.2"])
    };
    let (b_at_a, a_at_b) = if ab_ipv6 {
        ("::1", "::1")
    } else {
        ("127.0.0.2", "127.0.0.1")
    };
    let families: &[&str] = &["ipv4-unicast", "ipv6-unicast"];
    let a_neighbors = format!(
        "{}{}",
        fake_neighbor("127.0.0.3", 65003, "127.0.0.1").toml(),
        Neighbor {
            passive: true,
            families,
            hold_time: Some(90),
            ..Neighbor::new(b_at_a, 65002, a_at_b, b_port)
        }
        .toml()
    );
    let b_neighbors = format!(
        "{}{}",
        Neighbor {
            families,
            hold_time: Some(90),
            ..Neighbor::new(a_at_b, 65001, b_at_a, a_port)
        }
        .toml(),
        fake_neighbor("127.0.0.4", 65004, "127.0.0.2").toml()
    );
    let a_config = daemon_config(65001, "127.0.0.1", a_listen, a_port, &a_neighbors);
    let b_config = daemon_config(65002, "127.0.0.2", b_listen, b_port, &b_neighbors);
    let mut a = start(a_config);
    let mut b = start(b_config.clone());
    wait_for(&mut a, b_at_a, true).await;
    wait_for(&mut b, a_at_b, true).await;
    let mut f1 = Fake::connect("127.0.0.3", SocketAddr::new(localhost(1), a_port)).await;
    f1.handshake(fake_open(65003, Ipv4Addr::new(127, 0, 0, 3), 90, false))
        .await;
    let f2 = connect_f2(b_port).await;
    Chain {
        a,
        b,
        b_config,
        b_port,
        f1,
        f2,
    }
}

/// F1 announces two IPv4 routes and one IPv6 route.
async fn announce_from_f1(f1: &mut Fake) {
    f1.announce(
        65003,
        Family::IPV4_UNICAST,
        NextHop::V4(Ipv4Addr::new(127, 0, 0, 3)),
        &V4_ROUTES,
    )
    .await;
    f1.announce(
        65003,
        Family::IPV6_UNICAST,
        v6_next_hop("2001:db8::3"),
        &[V6_ROUTE],
    )
    .await;
}

/// F2 holds exactly `prefixes`, each learned through B and A.
fn assert_routes_via_b(routes: &Routes, prefixes: &[&str]) {
    let held: Vec<String> = routes.keys().map(ToString::to_string).collect();
    assert_eq!(held, prefixes);
    for (prefix, (next_hop, path)) in routes {
        assert_eq!(path, "65002 65001 65003", "{prefix}");
        let expected = match prefix {
            ipnet::IpNet::V4(_) => NextHop::V4(Ipv4Addr::new(127, 0, 0, 2)),
            ipnet::IpNet::V6(_) => v6_next_hop("::ffff:127.0.0.2"),
        };
        assert_eq!(*next_hop, expected, "{prefix}");
    }
}

async fn exchange_then_withdraw(ab_ipv6: bool) {
    let mut chain = chain(ab_ipv6).await;
    announce_from_f1(&mut chain.f1).await;
    chain.f2.routes_until(|r| r.len() == 3).await;
    assert_routes_via_b(&chain.f2.routes, &[V4_ROUTES[0], V4_ROUTES[1], V6_ROUTE]);
    chain
        .f1
        .withdraw(Family::IPV4_UNICAST, &[V4_ROUTES[0]])
        .await;
    chain.f1.withdraw(Family::IPV6_UNICAST, &[V6_ROUTE]).await;
    chain.f2.routes_until(|r| r.len() == 1).await;
    assert_routes_via_b(&chain.f2.routes, &[V4_ROUTES[1]]);
    stop(chain.b).await;
    stop(chain.a).await;
}

#[tokio::test]
async fn ipv4_and_ipv6_routes_cross_two_daemons_and_withdrawals_follow() {
    exchange_then_withdraw(false).await;
}

#[tokio::test]
async fn ipv4_routes_cross_an_ipv6_session_between_daemons_with_extended_next_hop() {
    if !ipv6_loopback().await {
        eprintln!("::1 unavailable; skipped");
        return;
    }
    exchange_then_withdraw(true).await;
}

#[tokio::test]
async fn restarted_daemon_gets_its_session_back_and_routes_flow_again() {
    let mut chain = chain(false).await;
    announce_from_f1(&mut chain.f1).await;
    chain.f2.routes_until(|r| r.len() == 3).await;
    // Kill B: F2 gets Cease 6/2, A sees the session go down.
    stop(chain.b).await;
    let n = chain.f2.recv_notification().await;
    assert_eq!((n.code.code(), n.code.subcode()), (6, 2));
    wait_for(&mut chain.a, "127.0.0.2", false).await;
    // Start B again on the same addresses: it reconnects to A.
    let mut b = start(chain.b_config.clone());
    wait_for(&mut chain.a, "127.0.0.2", true).await;
    wait_for(&mut b, "127.0.0.1", true).await;
    let mut f2 = connect_f2(chain.b_port).await;
    f2.routes_until(|r| r.len() == 3).await;
    assert_routes_via_b(&f2.routes, &[V4_ROUTES[0], V4_ROUTES[1], V6_ROUTE]);
    // New routes flow too.
    chain
        .f1
        .announce(
            65003,
            Family::IPV4_UNICAST,
            NextHop::V4(Ipv4Addr::new(127, 0, 0, 3)),
            &["10.1.2.0/24"],
        )
        .await;
    f2.routes_until(|r| r.len() == 4).await;
    stop(b).await;
    stop(chain.a).await;
}

/// A fake peer on `::1` with extended next hop gets IPv4 routes in
/// MP_REACH_NLRI with our IPv6 address, and its own IPv4 routes with an
/// IPv6 next hop reach an IPv4 peer with ours.
#[tokio::test]
async fn ipv6_fake_peer_with_extended_next_hop_exchanges_ipv4_routes() {
    if !ipv6_loopback().await {
        eprintln!("::1 unavailable; skipped");
        return;
    }
    let port = free_port("127.0.0.1").await;
    let neighbors = format!(
        "{}{}",
        fake_neighbor("127.0.0.3", 65003, "127.0.0.1").toml(),
        fake_neighbor("::1", 65006, "::1").toml()
    );
    let a = start(daemon_config(
        65001,
        "127.0.0.1",
        &["127.0.0.1", "::1"],
        port,
        &neighbors,
    ));
    let mut f6 = Fake::connect("::1", SocketAddr::new("::1".parse().expect("ip"), port)).await;
    let theirs = f6
        .handshake(fake_open(65006, Ipv4Addr::new(127, 0, 0, 6), 90, true))
        .await;
    assert!(theirs.capabilities().any(|c| *c
        == Capability::ExtendedNextHop(vec![ExtendedNextHop {
            nlri_family: Family::IPV4_UNICAST,
            next_hop_afi: 2,
        }])));
    assert!(f6.cx.extended_next_hop.contains(&Family::IPV4_UNICAST));
    let mut f1 = Fake::connect("127.0.0.3", SocketAddr::new(localhost(1), port)).await;
    f1.handshake(fake_open(65003, Ipv4Addr::new(127, 0, 0, 3), 90, false))
        .await;
    f1.announce(
        65003,
        Family::IPV4_UNICAST,
        NextHop::V4(Ipv4Addr::new(127, 0, 0, 3)),
        &["10.1.0.0/24"],
    )
    .await;
    f6.routes_until(|r| r.contains_key(&net("10.1.0.0/24")))
        .await;
    assert_eq!(
        f6.routes.get(&net("10.1.0.0/24")),
        Some(&(v6_next_hop("::1"), "65001 65003".to_owned()))
    );
    f6.announce(
        65006,
        Family::IPV4_UNICAST,
        v6_next_hop("2001:db8::6"),
        &["10.6.0.0/24"],
    )
    .await;
    f1.routes_until(|r| r.contains_key(&net("10.6.0.0/24")))
        .await;
    assert_eq!(
        f1.routes.get(&net("10.6.0.0/24")),
        Some(&(
            NextHop::V4(Ipv4Addr::new(127, 0, 0, 1)),
            "65001 65006".to_owned()
        ))
    );
    stop(a).await;
}
