//! Helpers of `tests/bgpctl.rs`: a daemon with a fake peer that announced
//! routes, and the `bgpctl` binary run as a child process (waited for at
//! most [`WAIT`], then killed).

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bgpd::api::Listen;
use bgpd::daemon::Options;
use bgpd::wire::bgp::NextHop;
use bgpd::wire::Family;
use tokio::sync::mpsc;

use crate::common::*;

/// bgpd's address and router id.
pub const ROUTER_ID: &str = "127.0.0.1";
/// The `bgpctl` binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_bgpctl");

/// A running daemon and its established fake peer.
pub struct Setup {
    /// The daemon.
    pub running: Running,
    /// The fake peer 127.0.0.3, AS 65003.
    pub fake: Fake,
    /// bgpd's BGP port.
    pub bgp_port: u16,
    /// bgpd's API on TCP.
    pub api: SocketAddr,
    /// bgpd's API on a Unix socket.
    pub socket: PathBuf,
}

/// A daemon with the API on TCP and a Unix socket, and a fake peer that
/// announced 10.1.0.0/24, 10.1.1.0/24 and 2001:db8:1::/48, all in the
/// global rib.
pub async fn setup(name: &str) -> Setup {
    let bgp_port = free_port(ROUTER_ID).await;
    let api = SocketAddr::new(ROUTER_ID.parse().expect("ip"), free_port(ROUTER_ID).await);
    let socket = std::env::temp_dir().join(format!("bgpctl-{name}-{}.sock", std::process::id()));
    let neighbor = fake_neighbor("127.0.0.3", 65003, ROUTER_ID);
    let config = daemon_at(65001, ROUTER_ID, bgp_port, &neighbor);
    let options = Options {
        api: vec![Listen::Tcp(api), Listen::Unix(socket.clone())],
        ..Options::default()
    };
    let running = start_with(config, options);
    let fake = established_fake(bgp_port).await;
    let mut setup = Setup {
        running,
        fake,
        bgp_port,
        api,
        socket,
    };
    announce(&mut setup.fake).await;
    wait_until(
        &setup,
        &["global", "rib", "summary"],
        "Destination: 2, Path: 2",
    )
    .await;
    wait_until(
        &setup,
        &["global", "rib", "summary", "-a", "ipv6"],
        "Destination: 1",
    )
    .await;
    setup
}

pub async fn established_fake(bgp_port: u16) -> Fake {
    let daemon = SocketAddr::new(ROUTER_ID.parse().expect("ip"), bgp_port);
    let mut fake = Fake::connect("127.0.0.3", daemon).await;
    fake.handshake(fake_open(65003, Ipv4Addr::new(127, 0, 0, 3), 90, false))
        .await;
    fake
}

pub async fn announce(fake: &mut Fake) {
    let v4 = NextHop::V4(Ipv4Addr::new(192, 0, 2, 3));
    fake.announce(
        65003,
        Family::IPV4_UNICAST,
        v4,
        &["10.1.0.0/24", "10.1.1.0/24"],
    )
    .await;
    let v6 = v6_next_hop("2001:db8::3");
    fake.announce(65003, Family::IPV6_UNICAST, v6, &["2001:db8:1::/48"])
        .await;
}

pub async fn finish(setup: Setup) {
    stop(setup.running).await;
    drop(setup.fake);
    let _ = std::fs::remove_file(&setup.socket);
}

/// A `bgpctl` command with `args`, aimed at `api`.
pub fn command(api: SocketAddr, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("-u")
        .arg(api.ip().to_string())
        .arg("-p")
        .arg(api.port().to_string())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `command` to its end (killed past [`WAIT`]).
pub async fn output(mut command: Command) -> Output {
    let mut child = command.spawn().expect("bgpctl starts");
    let deadline = Instant::now() + WAIT;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{command:?} did not finish within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.wait_with_output().expect("output")
}

/// Runs `bgpctl ARGS` against the setup's daemon.
pub async fn ctl(setup: &Setup, args: &[&str]) -> Output {
    output(command(setup.api, args)).await
}

/// Runs `bgpctl ARGS`, expects success and returns stdout.
pub async fn ok(setup: &Setup, args: &[&str]) -> String {
    let out = ctl(setup, args).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bgpctl {args:?} failed: {stderr}");
    assert!(
        stderr.is_empty(),
        "bgpctl {args:?} wrote to stderr: {stderr}"
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs `bgpctl ARGS`, expects exit code `code` and returns stderr.
pub async fn fails(setup: &Setup, args: &[&str], code: i32) -> String {
    let out = ctl(setup, args).await;
    assert_eq!(out.status.code(), Some(code), "bgpctl {args:?}: {out:?}");
    String::from_utf8(out.stderr).expect("utf-8")
}

/// Runs `bgpctl ARGS` until its output contains `want` (bounded).
pub async fn wait_until(setup: &Setup, args: &[&str], want: &str) -> String {
    let mut last = String::new();
    for _ in 0..200 {
        let out = ctl(setup, args).await;
        last = String::from_utf8_lossy(&out.stdout).into_owned();
        if last.contains(want) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("bgpctl {args:?} never showed {want:?}; last:\n{last}");
}

/// The line of `text` starting with `start`.
pub fn line<'a>(text: &'a str, start: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?} in:\n{text}"))
}

/// Lines of a running `bgpctl monitor`, read by a thread.
pub struct Monitor {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

impl Monitor {
    pub fn start(api: SocketAddr, args: &[&str]) -> Monitor {
        let mut child = command(api, args).spawn().expect("bgpctl starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Monitor {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first line containing `want`, printed already or within
    /// [`WAIT`].
    pub async fn expect(&mut self, want: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(want)) {
            return line.clone();
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.lines.recv()).await;
            match next {
                Ok(Some(line)) => {
                    self.seen.push(line.clone());
                    if line.contains(want) {
                        return line;
                    }
                }
                _ => panic!("monitor never printed {want:?}; saw {:?}", self.seen),
            }
        }
    }

    pub fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.seen
    }
}
