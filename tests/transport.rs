//! Transport options between two daemons on loopback (127.0.0.1 and
//! 127.0.0.2): TCP MD5 (`auth-password`) and GTSM (`ttl-security`).
//!
//! A session that must not come up is watched for a bounded time: the
//! kernel drops the SYNs silently, so the connection attempts just hang.

use std::net::IpAddr;
use std::time::Duration;

use bgpd::config;
use bgpd::daemon::{self, Options};
use bgpd::peer::{self, Observed};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

/// Established is expected within this.
const WAIT: Duration = Duration::from_secs(10);
/// A session that must not come up is watched this long: several SYN
/// retransmissions, and both directions tried.
const NO_SESSION: Duration = Duration::from_secs(4);

async fn free_port(ip: &str) -> u16 {
    let listener = TcpListener::bind((ip, 0)).await.expect("bind");
    listener.local_addr().expect("addr").port()
}

fn daemon_config(asn: u32, ip: &str, port: u16, neighbors: &str) -> config::Config {
    let text = format!(
        r#"
[global.config]
  as = {asn}
  router-id = "{ip}"
  port = {port}
  local-address-list = ["{ip}"]
{neighbors}
"#
    );
    config::parse(&text, "test.toml").expect("valid config")
}

/// A neighbor; `extra` is appended inside `[[neighbors]]` (after the
/// transport section).
fn neighbor(
    address: &str,
    asn: u32,
    local: &str,
    port: u16,
    password: Option<&str>,
    extra: &str,
) -> String {
    let password = password
        .map(|p| format!("    auth-password = \"{p}\"\n"))
        .unwrap_or_default();
    format!(
        r#"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "{address}"
    peer-as = {asn}
{password}  [neighbors.transport.config]
    local-address = "{local}"
    remote-port = {port}
{extra}
"#
    )
}

struct Running {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), daemon::DaemonError>>,
    observed: mpsc::UnboundedReceiver<Observed>,
}

fn start(config: config::Config) -> Running {
    let (stop, stopped) = oneshot::channel::<()>();
    let (observer, observed) = mpsc::unbounded_channel();
    let options = Options {
        peer: peer::Options {
            first_connect_delay: Duration::from_millis(10),
            observer: Some(observer),
        },
        ready: None,
    };
    let (reload_tx, reload_rx) = mpsc::channel(1);
    let task = tokio::spawn(async move {
        let _keep = reload_tx;
        daemon::run_with(config, options, reload_rx, async {
            let _ = stopped.await;
        })
        .await
    });
    Running {
        stop,
        task,
        observed,
    }
}

async fn stop(running: Running) {
    let _ = running.stop.send(());
    timeout(WAIT, running.task)
        .await
        .expect("stops in time")
        .expect("task")
        .expect("clean exit");
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("ip")
}

/// Starts A (127.0.0.1, AS 65001) and B (127.0.0.2, AS 65002), each with
/// its own password for the other and `extra` neighbor settings.
async fn pair(
    a_password: Option<&str>,
    b_password: Option<&str>,
    a_extra: &str,
    b_extra: &str,
) -> (Running, Running) {
    let p1 = free_port("127.0.0.1").await;
    let p2 = free_port("127.0.0.2").await;
    let a = daemon_config(
        65001,
        "127.0.0.1",
        p1,
        &neighbor("127.0.0.2", 65002, "127.0.0.1", p2, a_password, a_extra),
    );
    let b = daemon_config(
        65002,
        "127.0.0.2",
        p2,
        &neighbor("127.0.0.1", 65001, "127.0.0.2", p1, b_password, b_extra),
    );
    (start(a), start(b))
}

async fn established(a: &mut Running, b: &mut Running) {
    let up = timeout(WAIT, a.observed.recv()).await.expect("A in time");
    assert_eq!(
        up,
        Some(Observed {
            peer: ip("127.0.0.2"),
            up: true
        })
    );
    let up = timeout(WAIT, b.observed.recv()).await.expect("B in time");
    assert_eq!(
        up,
        Some(Observed {
            peer: ip("127.0.0.1"),
            up: true
        })
    );
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
    let (mut a, mut b) = pair(Some("bgp-s3cret"), Some("bgp-s3cret"), "", "").await;
    established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn md5_matching_passwords_with_one_passive_side() {
    // B only listens: A's signed SYN meets B's listener key.
    let (mut a, mut b) = pair(
        Some("passive"),
        Some("passive"),
        "",
        "    passive-mode = true\n",
    )
    .await;
    established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn md5_mismatched_passwords_never_connect() {
    let (mut a, mut b) = pair(Some("one"), Some("two"), "", "").await;
    never_established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn md5_password_on_one_side_only_never_connects() {
    let (mut a, mut b) = pair(Some("only-a"), None, "", "").await;
    never_established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}

const TTL_SECURITY: &str = "  [neighbors.ttl-security.config]\n    enabled = true\n";

#[tokio::test]
async fn gtsm_on_both_sides_reaches_established() {
    // Both send TTL 255 and require 255 (loopback does not decrement).
    let (mut a, mut b) = pair(None, None, TTL_SECURITY, TTL_SECURITY).await;
    established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn gtsm_drops_a_peer_sending_the_ebgp_ttl_of_1() {
    // A requires TTL 255 and connects; B, a plain single-hop eBGP peer,
    // only listens and answers the SYN with its default TTL: A drops it.
    let (mut a, mut b) = pair(None, None, TTL_SECURITY, "    passive-mode = true\n").await;
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
    let (mut a, b) = pair(
        None,
        None,
        &format!("    passive-mode = true\n{TTL_SECURITY}"),
        "",
    )
    .await;
    let seen = timeout(NO_SESSION, a.observed.recv()).await;
    assert!(seen.is_err(), "A's session came up: {seen:?}");
    stop(b).await;
    stop(a).await;
}

#[tokio::test]
async fn md5_and_gtsm_together_reach_established() {
    let (mut a, mut b) = pair(Some("both"), Some("both"), TTL_SECURITY, TTL_SECURITY).await;
    established(&mut a, &mut b).await;
    stop(b).await;
    stop(a).await;
}
