//! Shared loopback harness: daemons started with `daemon::run_with`, and a
//! hand-played fake peer speaking our codec over a `TcpStream`.
//!
//! Every wait is bounded by [`WAIT`].

#![allow(dead_code)]

pub mod frozen;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use bgpd::config;
use bgpd::daemon::{self, Options};
use bgpd::peer::{self, Observed};
use bgpd::wire::bgp::{
    self, AsPath, AttrType, AttrValue, Capability, ExtendedNextHop, Message, MpReach, Negotiated,
    NextHop, Nlri, Notification, Open, Origin, PathAttribute,
};
use bgpd::wire::Family;
use bytes::BytesMut;
use ipnet::IpNet;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

/// The bound on every wait.
pub const WAIT: Duration = Duration::from_secs(10);

/// A free port on `ip` (bound then released).
pub async fn free_port(ip: &str) -> u16 {
    let listener = TcpListener::bind((ip, 0)).await.expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Whether `::1` can be bound here (IPv6 tests skip cleanly otherwise).
pub async fn ipv6_loopback() -> bool {
    TcpListener::bind(("::1", 0)).await.is_ok()
}

/// A daemon's configuration: `[global]` listening on `listen` at `port`,
/// then the `neighbors` TOML.
pub fn daemon_config(
    asn: u32,
    router_id: &str,
    listen: &[&str],
    port: u16,
    neighbors: &str,
) -> config::Config {
    config::parse(
        &config_text(asn, router_id, listen, port, neighbors),
        "test.toml",
    )
    .expect("valid config")
}

/// A daemon at `ip` (its router id too) listening on `port`, with one
/// neighbor.
pub fn daemon_at(asn: u32, ip: &str, port: u16, neighbor: &Neighbor) -> config::Config {
    daemon_config(asn, ip, &[ip], port, &neighbor.toml())
}

/// The TOML of [`daemon_config`].
pub fn config_text(
    asn: u32,
    router_id: &str,
    listen: &[&str],
    port: u16,
    neighbors: &str,
) -> String {
    let listen: Vec<String> = listen.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        r#"
[global.config]
  as = {asn}
  router-id = "{router_id}"
  port = {port}
  local-address-list = [{}]
{neighbors}
"#,
        listen.join(", ")
    )
}

/// One neighbor's TOML.
#[derive(Debug, Clone)]
pub struct Neighbor<'a> {
    /// `neighbor-address`.
    pub address: &'a str,
    /// `peer-as`.
    pub asn: u32,
    /// `transport.local-address`.
    pub local: &'a str,
    /// `transport.remote-port`.
    pub port: u16,
    /// `transport.passive-mode`.
    pub passive: bool,
    /// `afi-safis` (none: the default).
    pub families: &'a [&'a str],
    /// `timers.hold-time`, with a 1 ms `idle-hold-time-after-reset` (none:
    /// no `timers` section, the defaults).
    pub hold_time: Option<u32>,
    /// `config.auth-password` (TCP MD5).
    pub password: Option<&'a str>,
    /// `ttl-security.config.enabled` (GTSM).
    pub ttl_security: bool,
    /// `graceful-restart.config.enabled`.
    pub graceful_restart: bool,
}

impl<'a> Neighbor<'a> {
    /// An active neighbor with every other setting left to its default.
    pub fn new(address: &'a str, asn: u32, local: &'a str, port: u16) -> Neighbor<'a> {
        Neighbor {
            address,
            asn,
            local,
            port,
            passive: false,
            families: &[],
            hold_time: None,
            password: None,
            ttl_security: false,
            graceful_restart: false,
        }
    }

    /// The TOML.
    pub fn toml(&self) -> String {
        let families: String = self
            .families
            .iter()
            .map(|f| {
                format!(
                    "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"{f}\"\n"
                )
            })
            .collect();
        let password = self
            .password
            .map(|p| format!("    auth-password = \"{p}\"\n"))
            .unwrap_or_default();
        let timers = self
            .hold_time
            .map(|h| {
                format!(
                    "  [neighbors.timers.config]\n    hold-time = {h}\n    idle-hold-time-after-reset = 0.001\n"
                )
            })
            .unwrap_or_default();
        let ttl_security = if self.ttl_security {
            "  [neighbors.ttl-security.config]\n    enabled = true\n"
        } else {
            ""
        };
        let graceful_restart = if self.graceful_restart {
            "  [neighbors.graceful-restart.config]\n    enabled = true\n"
        } else {
            ""
        };
        format!(
            r#"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "{}"
    peer-as = {}
{password}{timers}  [neighbors.transport.config]
    local-address = "{}"
    remote-port = {}
    passive-mode = {}
{ttl_security}{graceful_restart}{families}"#,
            self.address, self.asn, self.local, self.port, self.passive
        )
    }
}

/// A passive neighbor at `address` (a fake peer), both unicast families.
pub fn fake_neighbor<'a>(address: &'a str, asn: u32, local: &'a str) -> Neighbor<'a> {
    Neighbor {
        passive: true,
        families: &["ipv4-unicast", "ipv6-unicast"],
        hold_time: Some(90),
        ..Neighbor::new(address, asn, local, 179)
    }
}

/// A running daemon.
pub struct Running {
    /// Completing it shuts the daemon down.
    pub stop: oneshot::Sender<()>,
    /// The daemon's task.
    pub task: tokio::task::JoinHandle<Result<(), daemon::DaemonError>>,
    /// Sessions going up and down.
    pub observed: mpsc::UnboundedReceiver<Observed>,
    /// Reloaded configurations (SIGHUP).
    pub reload: mpsc::Sender<config::Config>,
}

/// Starts a daemon with a 10 ms first connect delay.
pub fn start(config: config::Config) -> Running {
    start_with(config, Options::default())
}

/// [`start`] with `options` (its peer options replaced by the harness's:
/// 10 ms first connect delay, session changes observed).
pub fn start_with(config: config::Config, mut options: Options) -> Running {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_max_level(tracing::Level::DEBUG)
        .try_init();
    let (stop, stopped) = oneshot::channel::<()>();
    let (observer, observed) = mpsc::unbounded_channel();
    options.peer = peer::Options {
        first_connect_delay: Duration::from_millis(10),
        observer: Some(observer),
        ..std::mem::take(&mut options.peer)
    };
    let (reload, reload_rx) = mpsc::channel(1);
    let task = tokio::spawn(async move {
        daemon::run_with(config, options, reload_rx, async {
            let _ = stopped.await;
        })
        .await
    });
    Running {
        stop,
        task,
        observed,
        reload,
    }
}

/// The next session change.
pub async fn next_observed(running: &mut Running) -> Observed {
    timeout(WAIT, running.observed.recv())
        .await
        .expect("in time")
        .expect("observer open")
}

/// Asserts that the next session change is `peer` coming up (`up`) or
/// going down.
pub async fn expect_observed(running: &mut Running, peer: &str, up: bool) {
    let want = Observed {
        peer: peer.parse().expect("ip"),
        up,
    };
    assert_eq!(next_observed(running).await, want);
}

/// Waits for `peer` to come up (`up`) or go down.
pub async fn wait_for(running: &mut Running, peer: &str, up: bool) {
    let want = Observed {
        peer: peer.parse().expect("ip"),
        up,
    };
    loop {
        if next_observed(running).await == want {
            return;
        }
    }
}

/// Shuts the daemon down and waits for a clean exit.
pub async fn stop(running: Running) {
    let _ = running.stop.send(());
    timeout(WAIT, running.task)
        .await
        .expect("stops in time")
        .expect("task")
        .expect("clean exit");
}

/// What a fake peer holds: prefix → (next hop, AS_PATH as text).
pub type Routes = BTreeMap<IpNet, (NextHop, String)>;

/// A fake peer speaking our codec by hand.
pub struct Fake {
    /// The connection.
    pub stream: TcpStream,
    buf: BytesMut,
    /// The session context once OPENs were exchanged.
    pub cx: Negotiated,
    /// Routes received so far.
    pub routes: Routes,
}

/// The fake's OPEN: both unicast families, 4-octet AS, and extended next
/// hop for IPv4 unicast when `enh`.
pub fn fake_open(asn: u32, id: Ipv4Addr, hold: u16, enh: bool) -> Open {
    let mut capabilities = vec![
        Capability::Multiprotocol(Family::IPV4_UNICAST),
        Capability::Multiprotocol(Family::IPV6_UNICAST),
        Capability::FourOctetAs(asn),
    ];
    if enh {
        capabilities.push(Capability::ExtendedNextHop(vec![ExtendedNextHop {
            nlri_family: Family::IPV4_UNICAST,
            next_hop_afi: 2,
        }]));
    }
    Open::new(asn, hold, id, capabilities)
}

impl Fake {
    /// Wraps a connected stream.
    pub fn new(stream: TcpStream) -> Fake {
        Fake {
            stream,
            buf: BytesMut::new(),
            cx: Negotiated::default(),
            routes: Routes::new(),
        }
    }

    /// Connects from `source` to `daemon`, retrying until it listens.
    pub async fn connect(source: &str, daemon: SocketAddr) -> Fake {
        let source: IpAddr = source.parse().expect("ip");
        for _ in 0..200 {
            let socket = if source.is_ipv4() {
                TcpSocket::new_v4()
            } else {
                TcpSocket::new_v6()
            }
            .expect("socket");
            socket
                .bind(SocketAddr::new(source, 0))
                .expect("bind source");
            if let Ok(stream) = socket.connect(daemon).await {
                return Fake::new(stream);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("daemon never listened on {daemon}");
    }

    /// Encodes and writes `message`.
    pub async fn send(&mut self, message: Message) {
        let bytes = message.to_bytes(&self.cx).expect("encode");
        self.stream.write_all(&bytes).await.expect("write");
    }

    /// The next message, or `None` when the daemon closed the connection
    /// (or reset it).
    pub async fn recv(&mut self) -> Option<Message> {
        loop {
            if let Some(len) = bgp::frame_len(&self.buf, 65535).expect("framing") {
                let bytes = self.buf.split_to(len).freeze();
                return Some(Message::decode(bytes, &self.cx).expect("decode"));
            }
            let read = timeout(WAIT, self.stream.read_buf(&mut self.buf))
                .await
                .expect("in time");
            match read {
                Ok(n) if n > 0 => {}
                _ => return None,
            }
        }
    }

    /// The next NOTIFICATION, skipping other messages.
    pub async fn recv_notification(&mut self) -> Notification {
        loop {
            match self.recv().await {
                Some(Message::Notification(n)) => return n,
                Some(_) => continue,
                None => panic!("closed without NOTIFICATION"),
            }
        }
    }

    /// Sends `open`, expects the daemon's OPEN then KEEPALIVE, answers
    /// KEEPALIVE; returns the daemon's OPEN.
    pub async fn handshake(&mut self, open: Open) -> Open {
        self.send(Message::Open(open.clone())).await;
        let Some(Message::Open(theirs)) = self.recv().await else {
            panic!("expected OPEN");
        };
        self.cx = Negotiated::from_opens(&open, &theirs);
        assert_eq!(self.recv().await, Some(Message::Keepalive));
        self.send(Message::Keepalive).await;
        theirs
    }

    /// Announces `prefixes` of `family` with AS_PATH `[asn]` and
    /// `next_hop`.
    pub async fn announce(
        &mut self,
        asn: u32,
        family: Family,
        next_hop: NextHop,
        prefixes: &[&str],
    ) {
        let attributes = vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![asn]))),
        ];
        let nlri: Vec<Nlri> = prefixes.iter().map(|p| Nlri::new(net(p))).collect();
        let messages =
            bgp::announce(&attributes, family, &next_hop, &nlri, &self.cx).expect("encode");
        for message in messages {
            self.stream.write_all(&message).await.expect("write");
        }
    }

    /// Withdraws `prefixes` of `family`.
    pub async fn withdraw(&mut self, family: Family, prefixes: &[&str]) {
        let nlri: Vec<Nlri> = prefixes.iter().map(|p| Nlri::new(net(p))).collect();
        for message in bgp::withdraw(family, &nlri, &self.cx).expect("encode") {
            self.stream.write_all(&message).await.expect("write");
        }
    }

    /// Applies received UPDATEs to [`Fake::routes`] until `done` holds.
    pub async fn routes_until(&mut self, done: impl Fn(&Routes) -> bool) {
        while !done(&self.routes) {
            match self.recv().await {
                Some(Message::Update(update)) => apply(&mut self.routes, &update),
                Some(_) => {}
                None => panic!("closed while waiting for routes: {:?}", self.routes),
            }
        }
    }
}

/// Applies one UPDATE to `routes`.
fn apply(routes: &mut Routes, update: &bgp::Update) {
    for (_, nlri) in update.withdrawals() {
        routes.remove(&nlri.prefix);
    }
    let path = match update.attribute(AttrType::AsPath).map(|a| &a.value) {
        Some(AttrValue::AsPath(path)) => path.to_string(),
        _ => String::new(),
    };
    let next_hop = update.attributes.iter().find_map(|a| match a.value {
        AttrValue::NextHop(v4) => Some(NextHop::V4(v4)),
        _ => None,
    });
    if let Some(next_hop) = next_hop {
        for nlri in &update.nlri {
            routes.insert(nlri.prefix, (next_hop, path.clone()));
        }
    }
    if let Some(MpReach::Prefixes { next_hop, nlri, .. }) = update.mp_reach() {
        for nlri in nlri {
            routes.insert(nlri.prefix, (*next_hop, path.clone()));
        }
    }
}

/// A prefix from text.
pub fn net(text: &str) -> IpNet {
    text.parse().expect("prefix")
}

/// An IPv6 next hop.
pub fn v6_next_hop(text: &str) -> NextHop {
    NextHop::V6 {
        global: text.parse().expect("ipv6"),
        link_local: None,
    }
}
