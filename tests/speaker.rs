//! Real sockets on loopback: two daemons peer; a hand-played fake peer
//! checks OPEN handling, End-of-RIB and the shutdown Cease.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use bgpd::config;
use bgpd::daemon::{self, Options};
use bgpd::peer::{self, Observed};
use bgpd::wire::bgp::{self, Capability, Message, Negotiated, Notification, Open};
use bgpd::wire::Family;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

/// A free port on `ip` (bound then released).
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

fn neighbor(address: &str, asn: u32, local: &str, port: u16, passive: bool) -> String {
    format!(
        r#"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "{address}"
    peer-as = {asn}
  [neighbors.transport.config]
    local-address = "{local}"
    remote-port = {port}
    passive-mode = {passive}
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
    let (_reload_tx, reload_rx) = mpsc::channel(1);
    let task = tokio::spawn(async move {
        let _keep = _reload_tx;
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

async fn next_observed(running: &mut Running) -> Observed {
    timeout(WAIT, running.observed.recv())
        .await
        .expect("in time")
        .expect("observer open")
}

async fn stop(running: Running) {
    let _ = running.stop.send(());
    timeout(WAIT, running.task)
        .await
        .expect("stops in time")
        .expect("task")
        .expect("clean exit");
}

async fn two_daemons(b_passive: bool) {
    let p1 = free_port("127.0.0.1").await;
    let p2 = free_port("127.0.0.2").await;
    let a = daemon_config(
        65001,
        "127.0.0.1",
        p1,
        &neighbor("127.0.0.2", 65002, "127.0.0.1", p2, false),
    );
    let b = daemon_config(
        65002,
        "127.0.0.2",
        p2,
        &neighbor("127.0.0.1", 65001, "127.0.0.2", p1, b_passive),
    );
    let mut a = start(a);
    let mut b = start(b);
    let up_a = next_observed(&mut a).await;
    assert_eq!(
        up_a,
        Observed {
            peer: "127.0.0.2".parse().expect("ip"),
            up: true
        }
    );
    let up_b = next_observed(&mut b).await;
    assert_eq!(
        up_b,
        Observed {
            peer: "127.0.0.1".parse().expect("ip"),
            up: true
        }
    );
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

/// A fake peer from `source`, speaking our codec by hand.
struct Fake {
    stream: TcpStream,
    buf: BytesMut,
}

impl Fake {
    async fn connect(source: &str, daemon: SocketAddr) -> Fake {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::new(source.parse().expect("ip"), 0))
            .expect("bind source");
        let stream = timeout(WAIT, socket.connect(daemon))
            .await
            .expect("in time")
            .expect("connect");
        Fake {
            stream,
            buf: BytesMut::new(),
        }
    }

    async fn send(&mut self, message: Message) {
        let bytes = message.to_bytes(&Negotiated::default()).expect("encode");
        self.stream.write_all(&bytes).await.expect("write");
    }

    /// The next message, or `None` when the daemon closed the connection.
    async fn recv(&mut self) -> Option<Message> {
        loop {
            if let Some(len) = bgp::frame_len(&self.buf, 65535).expect("framing") {
                let bytes = self.buf.split_to(len).freeze();
                return Some(Message::decode(bytes, &Negotiated::default()).expect("decode"));
            }
            let n = timeout(WAIT, self.stream.read_buf(&mut self.buf))
                .await
                .expect("in time")
                .expect("read");
            if n == 0 {
                return None;
            }
        }
    }

    async fn recv_notification(&mut self) -> Notification {
        loop {
            match self.recv().await {
                Some(Message::Notification(n)) => return n,
                Some(_) => continue,
                None => panic!("closed without NOTIFICATION"),
            }
        }
    }
}

fn fake_open(asn: u32, id: Ipv4Addr) -> Message {
    Message::Open(Open::new(
        asn,
        90,
        id,
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::FourOctetAs(asn),
        ],
    ))
}

async fn daemon_with_passive_fake_neighbor() -> (Running, SocketAddr) {
    let port = free_port("127.0.0.1").await;
    let config = daemon_config(
        65001,
        "127.0.0.1",
        port,
        &neighbor("127.0.0.3", 65003, "127.0.0.1", 179, true),
    );
    (
        start(config),
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
    )
}

async fn connect_when_listening(source: &str, daemon: SocketAddr) -> Fake {
    for _ in 0..100 {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::new(source.parse().expect("ip"), 0))
            .expect("bind");
        if socket.connect(daemon).await.is_ok() {
            return Fake::connect(source, daemon).await;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("daemon never listened");
}

#[tokio::test]
async fn fake_peer_gets_open_keepalive_end_of_rib_then_cease_6_2_on_shutdown() {
    let (mut daemon, address) = daemon_with_passive_fake_neighbor().await;
    let mut fake = connect_when_listening("127.0.0.3", address).await;
    fake.send(fake_open(65003, Ipv4Addr::new(127, 0, 0, 3)))
        .await;
    let Some(Message::Open(open)) = fake.recv().await else {
        panic!("expected OPEN");
    };
    assert_eq!(open.asn(), 65001);
    assert!(open
        .capabilities()
        .any(|c| matches!(c, Capability::Fqdn { .. })));
    assert_eq!(fake.recv().await, Some(Message::Keepalive));
    fake.send(Message::Keepalive).await;
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
    let mut fake = connect_when_listening("127.0.0.3", address).await;
    fake.send(fake_open(65099, Ipv4Addr::new(127, 0, 0, 3)))
        .await;
    let n = fake.recv_notification().await;
    assert_eq!((n.code.code(), n.code.subcode()), (2, 2));
    stop(daemon).await;
}

#[tokio::test]
async fn connection_from_unknown_address_is_refused() {
    let (daemon, address) = daemon_with_passive_fake_neighbor().await;
    let mut fake = connect_when_listening("127.0.0.9", address).await;
    fake.send(fake_open(65009, Ipv4Addr::new(127, 0, 0, 9)))
        .await;
    assert_eq!(fake.recv().await, None);
    stop(daemon).await;
}
