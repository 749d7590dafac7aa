//! Transport options between two daemons on loopback (127.0.0.1 and
//! 127.0.0.2): TCP MD5 (`auth-password`) and GTSM (`ttl-security`).
//!
//! A session that must not come up is watched for a bounded time: the
//! kernel drops the SYNs silently, so the connection attempts just hang.

mod common;

use std::time::Duration;

use common::*;
use tokio::time::timeout;

/// A session that must not come up is watched this long: several SYN
/// retransmissions, and both directions tried.
const NO_SESSION: Duration = Duration::from_secs(4);

/// One daemon's transport settings for the other.
#[derive(Debug, Clone, Copy)]
struct Side<'a> {
    /// `auth-password` (TCP MD5).
    password: Option<&'a str>,
    /// `passive-mode`.
    passive: bool,
    /// `ttl-security` (GTSM).
    ttl_security: bool,
}

/// No password, active, no GTSM.
const PLAIN: Side = Side {
    password: None,
    passive: false,
    ttl_security: false,
};

/// GTSM only.
const GTSM: Side = Side {
    ttl_security: true,
    ..PLAIN
};

/// TCP MD5 with `password` only.
fn md5(password: &str) -> Side<'_> {
    Side {
        password: Some(password),
        ..PLAIN
    }
}

/// `side`, only listening.
fn passive(side: Side) -> Side {
    Side {
        passive: true,
        ..side
    }
}

impl<'a> Side<'a> {
    /// `neighbor` set up as this side.
    fn apply(self, neighbor: Neighbor<'a>) -> Neighbor<'a> {
        Neighbor {
            passive: self.passive,
            password: self.password,
            ttl_security: self.ttl_security,
            ..neighbor
        }
    }
}

/// Starts A (127.0.0.1, AS 65001) and B (127.0.0.2, AS 65002), each with
/// its own settings for the other.
async fn pair(a: Side<'_>, b: Side<'_>) -> (Running, Running) {
    let p1 = free_port("127.0.0.1").await;
    let p2 = free_port("127.0.0.2").await;
    let a = a.apply(Neighbor::new("127.0.0.2", 65002, "127.0.0.1", p2));
    let b = b.apply(Neighbor::new("127.0.0.1", 65001, "127.0.0.2", p1));
    let a = daemon_at(65001, "127.0.0.1", p1, &a);
    let b = daemon_at(65002, "127.0.0.2", p2, &b);
    (start(a), start(b))
}

async fn established(a: &mut Running, b: &mut Running) {
    expect_observed(a, "127.0.0.2", true).await;
    expect_observed(b, "127.0.0.1", true).await;
}

async fn never_established(a: &mut Running, b: &mut Running) {
    let seen = timeout(NO_SESSION, async {
        tokio::select! {
            o = a.observed.recv() => ("A", o),
            o = b.observed.recv() => ("B", o),
        }
    })
    .await;
    assert!(seen.is_err(), "a session came up: {seen:?}");
}

#[tokio::test]
async fn md5_matching_passwords_reach_established() {
    let (mut a, mut b) = pair(md5("bgp-s3cret"), md5("bgp-s3cret")).await;
    established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn md5_matching_passwords_with_one_passive_side() {
    // B only listens: A's signed SYN meets B's listener key.
    let (mut a, mut b) = pair(md5("passive"), passive(md5("passive"))).await;
    established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn md5_mismatched_passwords_never_connect() {
    let (mut a, mut b) = pair(md5("one"), md5("two")).await;
    never_established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn md5_password_on_one_side_only_never_connects() {
    let (mut a, mut b) = pair(md5("only-a"), PLAIN).await;
    never_established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn gtsm_on_both_sides_reaches_established() {
    // Both send TTL 255 and require 255 (loopback does not decrement).
    let (mut a, mut b) = pair(GTSM, GTSM).await;
    established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn gtsm_drops_a_peer_sending_the_ebgp_ttl_of_1() {
    // A requires TTL 255 and connects; B, a plain single-hop eBGP peer,
    // only listens and answers the SYN with its default TTL: A drops it.
    let (mut a, mut b) = pair(GTSM, passive(PLAIN)).await;
    never_established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn gtsm_listener_side_never_establishes_with_a_ttl_1_peer() {
    // B connects with TTL 1 to A's listener. A sets GTSM on the accepted
    // socket before sending its OPEN, so B's KEEPALIVE (sent after A's
    // OPEN) is dropped: A never reaches Established. (B's OPEN may have
    // been queued before that, so B is not watched.)
    let (mut a, b) = pair(passive(GTSM), PLAIN).await;
    let seen = timeout(NO_SESSION, a.observed.recv()).await;
    assert!(seen.is_err(), "A's session came up: {seen:?}");
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn md5_and_gtsm_together_reach_established() {
    let (mut a, mut b) = pair(
        Side {
            ttl_security: true,
            ..md5("both")
        },
        Side {
            ttl_security: true,
            ..md5("both")
        },
    )
    .await;
    established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}
