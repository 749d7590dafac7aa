//! BMP end to end: the real daemon (`daemon::run_with`, in-process), real
//! BGP sessions with hand-played peers on 127.0.0.x (`common::Fake`), and
//! mock collectors on 127.0.0.1 decoding the stream with the crate's own
//! decoders (`bmp::Message::decode`, and `collector::Decoder` for the
//! UPDATEs inside).
//!
//! Each test runs its own daemon on a free port. Every read is bounded by
//! [`WAIT`], every loop by a count.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

use bgpd::collector::Decoder;
use bgpd::config;
use bgpd::daemon::{self, Options};
use bgpd::peer;
use bgpd::wire::bgp::{
    self, AsPath, AttrValue, Capability, CeaseSubcode, ErrorCode, Message as Bgp, Negotiated,
    NextHop, Nlri, Notification, Open, Origin, PathAttribute,
};
use bgpd::wire::bmp::{
    self, InitiationTlv, Message, MirrorTlv, PeerDownReason, PeerInfoTlv, PeerType, PerPeerHeader,
    StatType, StatValue,
};
use bgpd::wire::Family;
use common::*;

const V4: Family = Family::IPV4_UNICAST;
const V6: Family = Family::IPV6_UNICAST;
const LOCAL_AS: u32 = 65001;

// ---------------------------------------------------------------- daemon

/// [`common::start`] with the BMP client's backoff shortened (20–100 ms),
/// so reconnects take milliseconds.
fn start_fast(config: config::Config) -> Running {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_max_level(tracing::Level::INFO)
        .try_init();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (observer, observed) = mpsc::unbounded_channel();
    let options = Options {
        peer: peer::Options {
            first_connect_delay: Duration::from_millis(10),
            observer: Some(observer),
            ..peer::Options::default()
        },
        ready: None,
        bmp: bgpd::bmp::Options {
            connect_timeout: Duration::from_secs(2),
            backoff_min: Duration::from_millis(20),
            backoff_max: Duration::from_millis(100),
            stop_timeout: Duration::from_secs(1),
        },
        ..Options::default()
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

/// One `[[bmp-servers]]` entry on 127.0.0.1:`port`; `policy` is TOML (a
/// string or a list), `extra` more `key = value` lines.
fn station(port: u16, policy: &str, extra: &str) -> String {
    format!(
        "[[bmp-servers]]\n  [bmp-servers.config]\n    address = \"127.0.0.1\"\n    port = {port}\n    \
         route-monitoring-policy = {policy}\n    sys-name = \"e2e\"\n{extra}\n"
    )
}

/// The daemon (AS 65001, listening on 127.0.0.1:`port`) with `neighbors`
/// and `stations` (TOML).
fn config(port: u16, neighbors: &[Neighbor], stations: &str) -> config::Config {
    let neighbors: String = neighbors.iter().map(Neighbor::toml).collect();
    let mut text = config_text(LOCAL_AS, "192.0.2.1", &["127.0.0.1"], port, &neighbors);
    text.push_str(stations);
    config::parse(&text, "e2e.toml").expect("valid config")
}

/// A passive neighbor at `address` for a fake peer (both unicast
/// families, hold time 90).
fn neighbor(address: &str, asn: u32) -> Neighbor<'_> {
    fake_neighbor(address, asn, "127.0.0.1")
}

// ---------------------------------------------------------------- peers

/// A fake peer with an established session.
struct Peer {
    fake: Fake,
    address: IpAddr,
    asn: u32,
    /// Its OPEN, the bytes as it sent them.
    sent_open: Bytes,
    /// The daemon's OPEN as received.
    daemon_open: Open,
}

/// Connects from `address` to the daemon and establishes a session with
/// a 4-octet AS OPEN (`four_octet`) or a 2-octet one (no capability), both
/// unicast families, proposing `hold` seconds.
async fn establish(address: &str, asn: u32, four_octet: bool, hold: u16, port: u16) -> Peer {
    let daemon = SocketAddr::from(([127, 0, 0, 1], port));
    let mut fake = Fake::connect(address, daemon).await;
    let id: Ipv4Addr = address.parse().expect("ipv4");
    let open = if four_octet {
        fake_open(asn, id, hold, false)
    } else {
        Open::new(
            asn,
            hold,
            id,
            vec![Capability::Multiprotocol(V4), Capability::Multiprotocol(V6)],
        )
    };
    let sent_open = Bgp::Open(open.clone())
        .to_bytes(&Negotiated::default())
        .expect("encode OPEN");
    let daemon_open = fake.handshake(open).await;
    Peer {
        fake,
        address: address.parse().expect("ip"),
        asn,
        sent_open,
        daemon_open,
    }
}

fn v4(i: u32) -> String {
    format!("10.{}.{}.0/24", (i >> 8) & 0xff, i & 0xff)
}

fn v6(i: u32) -> String {
    net(&format!("2001:db8:{i:x}::/48")).to_string()
}

fn nlri(prefixes: &[String]) -> Vec<Nlri> {
    prefixes.iter().map(|p| Nlri::new(net(p))).collect()
}

fn next_hop(family: Family) -> NextHop {
    if family == V4 {
        NextHop::V4(Ipv4Addr::new(192, 0, 2, 2))
    } else {
        v6_next_hop("2001:db8::2")
    }
}

impl Peer {
    /// Announces `prefixes` of `family` with AS_PATH `path` (its own AS
    /// when empty); returns the UPDATEs as written.
    async fn announce(&mut self, family: Family, prefixes: &[String], path: &[u32]) -> Vec<Bytes> {
        let path = if path.is_empty() {
            vec![self.asn]
        } else {
            path.to_vec()
        };
        let attributes = vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(path))),
        ];
        let messages = bgp::announce(
            &attributes,
            family,
            &next_hop(family),
            &nlri(prefixes),
            &self.fake.cx,
        )
        .expect("encode");
        self.write(&messages).await;
        messages
    }

    /// Withdraws `prefixes`; returns the UPDATEs as written.
    async fn withdraw(&mut self, family: Family, prefixes: &[String]) -> Vec<Bytes> {
        let messages = bgp::withdraw(family, &nlri(prefixes), &self.fake.cx).expect("encode");
        self.write(&messages).await;
        messages
    }

    async fn write(&mut self, messages: &[Bytes]) {
        for message in messages {
            self.fake.stream.write_all(message).await.expect("write");
        }
    }

    /// Reads the daemon's UPDATEs until it holds as many routes as `want`,
    /// then checks they are `want`.
    async fn received(&mut self, want: &BTreeSet<String>) {
        self.fake
            .routes_until(|routes| routes.len() >= want.len())
            .await;
        let got: BTreeSet<String> = self.fake.routes.keys().map(ToString::to_string).collect();
        assert_eq!(&got, want);
    }
}

// ---------------------------------------------------------------- collector

/// A mock collector's listener.
async fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    (listener, port)
}

/// Which view a Route Monitoring message is about.
fn view_of(peer: &PerPeerHeader) -> &'static str {
    if peer.is_loc_rib() {
        return "loc-rib";
    }
    match (peer.is_adj_rib_out(), peer.is_post_policy()) {
        (false, false) => "pre",
        (false, true) => "post",
        (true, false) => "out-pre",
        (true, true) => "out-post",
    }
}

/// The peer a message is about ("loc-rib" for the Loc-RIB instance).
fn peer_of(peer: &PerPeerHeader) -> String {
    if peer.is_loc_rib() {
        "loc-rib".to_owned()
    } else {
        peer.address().to_string()
    }
}

/// One received BMP message.
#[derive(Debug, Clone)]
struct Got {
    message: Message,
    json: Value,
}

impl Got {
    fn strings(&self, key: &str) -> Vec<String> {
        self.json[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// (peer, view) → prefixes, as the collector rebuilt it.
type Tables = BTreeMap<(String, &'static str), BTreeSet<String>>;

/// One connection from the daemon, framed, decoded and applied.
struct Station {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
    tables: Tables,
    /// Bound on each read.
    patience: Duration,
    /// End-of-RIB markers seen: (peer, view, family).
    eor: BTreeSet<(String, &'static str, String)>,
    log: Vec<Got>,
}

impl Station {
    async fn accept(listener: &TcpListener) -> Station {
        let (stream, speaker) = timeout(WAIT, listener.accept())
            .await
            .expect("the daemon dials in time")
            .expect("accept");
        Station {
            stream,
            buf: BytesMut::new(),
            decoder: Decoder::new(speaker, false),
            tables: Tables::new(),
            patience: WAIT,
            eor: BTreeSet::new(),
            log: Vec::new(),
        }
    }

    /// The next message (applied to the tables), or `None` when the daemon
    /// closed the connection.
    async fn next(&mut self) -> Option<Got> {
        loop {
            if let Some(len) = bmp::frame_len(&self.buf).expect("frames") {
                let raw = self.buf.split_to(len).freeze();
                let message = Message::decode(raw.clone()).expect("BMP decodes");
                let json = self.decoder.to_json(raw).expect("collector decodes");
                assert!(json.get("bgp_error").is_none(), "BGP inside: {json}");
                assert!(json.get("add_path_mismatch").is_none(), "{json}");
                let got = Got { message, json };
                self.apply(&got);
                self.log.push(got.clone());
                return Some(got);
            }
            let n = timeout(self.patience, self.stream.read_buf(&mut self.buf))
                .await
                .expect("BMP data in time")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
        }
    }

    async fn expect(&mut self) -> Got {
        self.next().await.expect("the daemon keeps the connection")
    }

    fn apply(&mut self, got: &Got) {
        let Message::RouteMonitoring(rm) = &got.message else {
            return;
        };
        let key = (peer_of(&rm.peer), view_of(&rm.peer));
        if let Some(family) = got.json["end_of_rib"].as_str() {
            self.eor.insert((key.0, key.1, family.to_owned()));
            return;
        }
        let table = self.tables.entry(key).or_default();
        for prefix in got.strings("withdrawn") {
            table.remove(&prefix);
        }
        for prefix in got.strings("announced") {
            table.insert(prefix);
        }
    }

    /// Reads until `done` holds (at most `limit` messages).
    async fn until(&mut self, limit: usize, done: impl Fn(&Station) -> bool) {
        for _ in 0..limit {
            if done(self) {
                return;
            }
            self.expect().await;
        }
        assert!(done(self), "not done after {limit} messages");
    }

    fn len(&self, peer: &str, view: &'static str) -> usize {
        self.tables
            .get(&(peer.to_owned(), view))
            .map_or(0, BTreeSet::len)
    }

    fn has(&self, peer: &str, view: &'static str, prefix: &str) -> bool {
        self.tables
            .get(&(peer.to_owned(), view))
            .is_some_and(|t| t.contains(prefix))
    }

    fn table(&self, peer: &str, view: &'static str) -> BTreeSet<String> {
        self.tables
            .get(&(peer.to_owned(), view))
            .cloned()
            .unwrap_or_default()
    }
}

/// The End-of-RIB markers a dump of `views` ends with for `peers`.
fn eor_set(views: &[&'static str], peers: &[&str]) -> BTreeSet<(String, &'static str, String)> {
    let mut set = BTreeSet::new();
    for view in views {
        let peers: Vec<String> = if *view == "loc-rib" {
            vec!["loc-rib".to_owned()]
        } else {
            peers.iter().map(|p| (*p).to_owned()).collect()
        };
        for peer in peers {
            for family in [V4, V6] {
                set.insert((peer.clone(), *view, family.to_string()));
            }
        }
    }
    set
}

fn set(prefixes: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    prefixes.into_iter().collect()
}

/// The views each `route-monitoring-policy` selects, in dump order.
fn policy_views(policy: &str) -> Vec<&'static str> {
    match policy {
        "pre-policy" => vec!["pre"],
        "post-policy" => vec!["post"],
        "local-rib" => vec!["loc-rib"],
        "all" => vec!["pre", "post", "loc-rib"],
        "adj-rib-out-post-policy" => vec!["out-post"],
        other => panic!("no such policy {other}"),
    }
}

// ---------------------------------------------------------------- sequence

const A: &str = "127.0.0.2";
const B: &str = "127.0.0.3";

/// Two peers: A (AS 65002, 4-octet) announces four IPv4 and two IPv6
/// prefixes, B (AS 65003, 2-octet: the A flag) one IPv4 prefix. Then a
/// collector is added by reload and must get, in order: Initiation, the
/// Loc-RIB Peer Up (when selected), Peer Up for A then B with the real
/// addresses, ports and OPENs, the dump of each view (peer by peer,
/// End-of-RIB per family after each), then live Route Monitoring.
async fn sequence(policy: &str) {
    let views = policy_views(policy);
    let port = free_port("127.0.0.1").await;
    let neighbors = [neighbor(A, 65002), neighbor(B, 65003)];
    let mut running = start_fast(config(port, &neighbors, ""));
    let mut a = establish(A, 65002, true, 90, port).await;
    let mut b = establish(B, 65003, false, 90, port).await;
    wait_for(&mut running, A, true).await;

    let a4: Vec<String> = (0..4).map(v4).collect();
    let a6: Vec<String> = (0..2).map(v6).collect();
    let b4 = vec![v4(100)];
    a.announce(V4, &a4, &[]).await;
    a.announce(V6, &a6, &[]).await;
    b.announce(V4, &b4, &[]).await;
    let from_a = set(a4.iter().chain(&a6).cloned());
    let from_b = set(b4.clone());
    // Each peer receiving the other's routes proves the rib has them.
    b.received(&from_a).await;
    a.received(&from_b).await;

    let (listener, station_port) = listener().await;
    let with_station = config(
        port,
        &neighbors,
        &station(station_port, &format!("\"{policy}\""), ""),
    );
    running.reload.send(with_station).await.expect("daemon");
    let mut s = Station::accept(&listener).await;
    let eors = eor_set(&views, &[A, B]);
    s.until(200, |s| s.eor == eors).await;

    // Initiation, Loc-RIB Peer Up, Peer Up A, Peer Up B.
    let mut log = s.log.iter();
    match &log.next().expect("message").message {
        Message::Initiation(init) => {
            assert!(init
                .information
                .contains(&InitiationTlv::SysName("e2e".to_owned())));
        }
        other => panic!("expected Initiation, got {other:?}"),
    }
    if views.contains(&"loc-rib") {
        match &log.next().expect("message").message {
            Message::PeerUp(up) => {
                assert_eq!(up.peer.peer_type, PeerType::LocRib);
                assert_eq!(up.peer.peer_as, LOCAL_AS);
                assert_eq!(up.peer.bgp_id, Ipv4Addr::new(192, 0, 2, 1));
                assert!(up
                    .information
                    .iter()
                    .any(|t| matches!(t, PeerInfoTlv::VrfTableName(_))));
            }
            other => panic!("expected the Loc-RIB Peer Up, got {other:?}"),
        }
    }
    for peer in [&a, &b] {
        match &log.next().expect("message").message {
            Message::PeerUp(up) => {
                assert_eq!(up.peer.peer_type, PeerType::Global);
                assert_eq!(up.peer.address(), peer.address);
                assert_eq!(up.peer.peer_as, peer.asn);
                assert_eq!(up.peer.flags.0, 0, "Peer Up flags");
                assert_eq!(up.local_address(), IpAddr::V4(Ipv4Addr::LOCALHOST));
                assert_eq!(up.local_port, port);
                let fake_port = peer.fake.stream.local_addr().expect("addr").port();
                assert_eq!(up.remote_port, fake_port);
                assert_eq!(up.received_open, peer.sent_open, "received OPEN as sent");
                let sent = Bgp::decode(up.sent_open.clone(), &Negotiated::default())
                    .expect("sent OPEN decodes");
                assert_eq!(sent, Bgp::Open(peer.daemon_open.clone()));
            }
            other => panic!("expected Peer Up of {}, got {other:?}", peer.address),
        }
    }
    // The dump: only Route Monitoring, stage after stage (view order, then
    // peers in address order), each stage's End-of-RIB markers last.
    let mut stages: Vec<(String, &'static str)> = Vec::new();
    let mut ended: BTreeSet<(String, &'static str)> = BTreeSet::new();
    for got in log {
        let Message::RouteMonitoring(rm) = &got.message else {
            panic!("only Route Monitoring in the dump, got {:?}", got.message);
        };
        let key = (peer_of(&rm.peer), view_of(&rm.peer));
        assert!(!ended.contains(&key), "{key:?} after its End-of-RIB");
        if stages.last() != Some(&key) {
            assert!(!stages.contains(&key), "{key:?} interleaved");
            stages.push(key.clone());
        }
        let want_flags = match (key.1, key.0.as_str()) {
            ("loc-rib", _) => 0,
            ("pre", B) => 0x20,
            ("post", A) => 0x40,
            ("post", B) => 0x60,
            ("out-post", A) => 0x50,
            ("out-post", B) => 0x70,
            _ => 0,
        };
        assert_eq!(rm.peer.flags.0, want_flags, "flags of {key:?}");
        if got.json["end_of_rib"].as_str() == Some(&V6.to_string()) {
            ended.insert(key);
        }
    }
    let want_stages: Vec<(String, &'static str)> = views
        .iter()
        .flat_map(|v| {
            if *v == "loc-rib" {
                vec![("loc-rib".to_owned(), *v)]
            } else {
                vec![(A.to_owned(), *v), (B.to_owned(), *v)]
            }
        })
        .collect();
    assert_eq!(stages, want_stages);
    let everything = set(from_a.iter().chain(&from_b).cloned());
    for view in &views {
        match *view {
            "pre" | "post" => {
                assert_eq!(s.table(A, view), from_a, "{view} of A");
                assert_eq!(s.table(B, view), from_b, "{view} of B");
            }
            "loc-rib" => assert_eq!(s.table("loc-rib", view), everything),
            "out-post" => {
                assert_eq!(s.table(A, view), from_b, "Adj-RIB-Out of A");
                assert_eq!(s.table(B, view), from_a, "Adj-RIB-Out of B");
            }
            _ => unreachable!(),
        }
    }

    // Live: A announces one more prefix and withdraws one.
    let dumped = s.log.len();
    let new = vec![v4(4)];
    let sent = a.announce(V4, &new, &[]).await;
    assert_eq!(sent.len(), 1);
    let live_done = |s: &Station, present: bool| {
        views.iter().all(|view| {
            let peer = match *view {
                "loc-rib" => "loc-rib",
                "out-post" => B,
                _ => A,
            };
            s.table(peer, view).contains(&new[0]) == present
        })
    };
    s.until(50, |s| live_done(s, true)).await;
    let withdrawn = vec![v4(0)];
    a.withdraw(V4, &withdrawn).await;
    s.until(50, |s| {
        live_done(s, true)
            && views.iter().all(|view| {
                let peer = match *view {
                    "loc-rib" => "loc-rib",
                    "out-post" => B,
                    _ => A,
                };
                !s.table(peer, view).contains(&withdrawn[0])
            })
    })
    .await;
    for got in &s.log[dumped..] {
        let Message::RouteMonitoring(rm) = &got.message else {
            panic!("only Route Monitoring live, got {:?}", got.message);
        };
        let key = (peer_of(&rm.peer), view_of(&rm.peer));
        assert!(views.contains(&key.1), "unselected view {key:?}");
        if key == (A.to_owned(), "pre") && got.strings("announced") == new {
            assert_eq!(rm.update, sent[0], "pre-policy bytes as the peer sent them");
        }
        if key.1 == "post" {
            assert_eq!(rm.peer.flags.0, 0x40);
        }
    }
    if views.contains(&"pre") {
        assert!(
            s.log[dumped..].iter().any(|g| matches!(&g.message,
                Message::RouteMonitoring(rm) if rm.update == sent[0])),
            "the received UPDATE forwarded byte for byte"
        );
    }
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_pre_policy() {
    sequence("pre-policy").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_post_policy() {
    sequence("post-policy").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_local_rib() {
    sequence("local-rib").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_all() {
    sequence("all").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_adj_rib_out_post_policy() {
    sequence("adj-rib-out-post-policy").await;
}

// ---------------------------------------------------------------- Peer Down

/// A NOTIFICATION as written on the wire.
fn notification_bytes(code: ErrorCode) -> Bytes {
    Bgp::Notification(Notification::new(code))
        .to_bytes(&Negotiated::default())
        .expect("encode NOTIFICATION")
}

fn decoded_notification(pdu: &Bytes) -> Notification {
    match Bgp::decode(pdu.clone(), &Negotiated::default()) {
        Ok(Bgp::Notification(n)) => n,
        other => panic!("expected a NOTIFICATION, got {other:?}"),
    }
}

/// Five peers leave five ways: A sends a NOTIFICATION (reason 3 with it),
/// B closes TCP (4), C stops sending KEEPALIVEs and our hold timer expires
/// (1 with the NOTIFICATION we sent), D is removed by a reload (5), E is
/// changed by the same reload and restarted with Cease 6/6 (1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_down_carries_the_reason_of_each_way_a_session_ends() {
    const C: &str = "127.0.0.4";
    const D: &str = "127.0.0.5";
    const E: &str = "127.0.0.6";
    let port = free_port("127.0.0.1").await;
    let (listener, station_port) = listener().await;
    let stations = station(station_port, "\"pre-policy\"", "");
    let c = Neighbor {
        hold_time: Some(3),
        ..neighbor(C, 65004)
    };
    let mut neighbors = vec![
        neighbor(A, 65002),
        neighbor(B, 65003),
        c,
        neighbor(D, 65005),
        neighbor(E, 65006),
    ];
    let running = start_fast(config(port, &neighbors, &stations));
    let mut s = Station::accept(&listener).await;
    assert!(matches!(s.expect().await.message, Message::Initiation(_)));

    let mut a = establish(A, 65002, true, 90, port).await;
    let b = establish(B, 65003, true, 90, port).await;
    let mut c = establish(C, 65004, true, 3, port).await;
    let _d = establish(D, 65005, true, 90, port).await;
    let _e = establish(E, 65006, true, 90, port).await;
    let ups = |s: &Station| {
        s.log
            .iter()
            .filter(|g| matches!(g.message, Message::PeerUp(_)))
            .count()
    };
    s.until(20, |s| ups(s) == 5).await;

    let cease = notification_bytes(ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown));
    a.write(std::slice::from_ref(&cease)).await;
    drop(b);
    neighbors.retain(|n| n.address != D);
    for n in &mut neighbors {
        if n.address == E {
            n.hold_time = Some(60);
        }
    }
    running
        .reload
        .send(config(port, &neighbors, &stations))
        .await
        .expect("daemon");

    let mut downs: HashMap<IpAddr, PeerDownReason> = HashMap::new();
    let started = Instant::now();
    for _ in 0..50 {
        if downs.len() == 5 {
            break;
        }
        if let Message::PeerDown(down) = s.expect().await.message {
            let first = downs.insert(down.peer.address(), down.reason);
            assert!(first.is_none(), "one Peer Down per session");
        }
    }
    assert!(started.elapsed() < Duration::from_secs(8));
    let reason = |peer: &str| downs.get(&peer.parse().expect("ip")).cloned();
    assert_eq!(reason(A), Some(PeerDownReason::RemoteNotification(cease)));
    assert_eq!(reason(B), Some(PeerDownReason::RemoteNoData));
    match reason(C) {
        Some(PeerDownReason::LocalNotification(pdu)) => {
            let sent = decoded_notification(&pdu);
            assert_eq!(sent.code, ErrorCode::HoldTimerExpired(0));
            assert_eq!(c.fake.recv_notification().await, sent, "as the peer got it");
        }
        other => panic!("hold timer: expected reason 1, got {other:?}"),
    }
    assert_eq!(reason(D), Some(PeerDownReason::Deconfigured));
    match reason(E) {
        Some(PeerDownReason::LocalNotification(pdu)) => assert_eq!(
            decoded_notification(&pdu).code,
            ErrorCode::Cease(CeaseSubcode::OtherConfigurationChange)
        ),
        other => panic!("changed neighbor: expected reason 1, got {other:?}"),
    }
    stop(running).await;
}

// ---------------------------------------------------------------- statistics

/// The value of statistic `stat_type` (of `family` for per-AFI types).
fn stat(
    report: &bmp::StatisticsReport,
    stat_type: StatType,
    family: Option<Family>,
) -> Option<u64> {
    report.stats.iter().find_map(|s| match (&s.value, family) {
        _ if s.stat_type != stat_type => None,
        (StatValue::Counter(v), None) => Some(u64::from(*v)),
        (StatValue::Gauge(v), None) => Some(*v),
        (StatValue::FamilyGauge { family: f, value }, Some(want)) if *f == want => Some(*value),
        _ => None,
    })
}

/// An UPDATE for `prefixes` (IPv4 /24s) whose ORIGIN is 9: RFC 7606 §7.1
/// treat-as-withdraw.
fn bad_origin_update(asn: u32, prefixes: &[u32]) -> Bytes {
    let mut attrs = BytesMut::new();
    attrs.put_slice(&[0x40, 1, 1, 9]);
    attrs.put_slice(&[0x40, 2, 6, 2, 1]);
    attrs.put_u32(asn);
    attrs.put_slice(&[0x40, 3, 4, 192, 0, 2, 2]);
    let mut nlri = BytesMut::new();
    for i in prefixes {
        nlri.put_slice(&[24, 10, (i >> 8) as u8, *i as u8]);
    }
    let len = 19 + 4 + attrs.len() + nlri.len();
    let mut out = BytesMut::new();
    out.put_slice(&[0xff; 16]);
    out.put_u16(len as u16);
    out.put_u8(2);
    out.put_u16(0);
    out.put_u16(attrs.len() as u16);
    out.put_slice(&attrs);
    out.put_slice(&nlri);
    out.freeze()
}

/// Connects a collector with statistics every 15 s (the minimum gobgpd
/// accepts), plays `scenario` on peer A (4-octet AS 65002), and returns
/// the first report for A and the one for the Loc-RIB instance.
async fn first_reports(
    scenario: impl AsyncFnOnce(&mut Peer),
) -> (bmp::StatisticsReport, bmp::StatisticsReport) {
    let port = free_port("127.0.0.1").await;
    let (listener, station_port) = listener().await;
    let stations = station(station_port, "\"all\"", "    statistics-timeout = 15");
    let running = start_fast(config(port, &[neighbor(A, 65002)], &stations));
    let mut s = Station::accept(&listener).await;
    let connected = Instant::now();
    let mut a = establish(A, 65002, true, 90, port).await;
    scenario(&mut a).await;
    // A sentinel: once Loc-RIB has it, the rib has seen everything before.
    let sentinel = net("2001:db8:ffff::/48").to_string();
    a.announce(V6, std::slice::from_ref(&sentinel), &[]).await;
    s.until(100, |s| s.table("loc-rib", "loc-rib").contains(&sentinel))
        .await;

    s.patience = Duration::from_secs(25);
    let mut reports: Vec<bmp::StatisticsReport> = Vec::new();
    for _ in 0..100 {
        if reports.len() == 2 {
            break;
        }
        if let Message::StatisticsReport(report) = s.expect().await.message {
            reports.push(report);
        }
    }
    let elapsed = connected.elapsed();
    assert!(
        elapsed >= Duration::from_secs(14) && elapsed < Duration::from_secs(20),
        "first report after {elapsed:?}"
    );
    stop(running).await;
    let take = |kind: PeerType| {
        reports
            .iter()
            .find(|r| r.peer.peer_type == kind)
            .cloned()
            .expect("a report of each kind")
    };
    let peer = take(PeerType::Global);
    assert_eq!(peer.peer.address(), A.parse::<IpAddr>().expect("ip"));
    (peer, take(PeerType::LocRib))
}

/// A announces four IPv4 and two IPv6 prefixes (plus the sentinel, a
/// third IPv6 one), re-announces one unchanged (type 1), withdraws one it
/// never announced (type 2), announces one whose AS_PATH holds our AS
/// (type 4, not 0: a loop is no inbound-policy rejection; kept in the
/// pre-policy Adj-RIB-In), and sends one
/// UPDATE with an invalid ORIGIN for two of its prefixes (types 11 and
/// 12; they are withdrawn). The two UPDATEs that changed nothing count
/// in type 13. The first report counts exactly that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_report_counts_a_known_scenario() {
    let (peer, loc) = first_reports(async |a: &mut Peer| {
        a.announce(V4, &(0..4).map(v4).collect::<Vec<_>>(), &[])
            .await;
        a.announce(V6, &(0..2).map(v6).collect::<Vec<_>>(), &[])
            .await;
        a.announce(V4, &[v4(0)], &[]).await;
        a.withdraw(V4, &[v4(50)]).await;
        a.announce(V4, &[v4(60)], &[65002, LOCAL_AS]).await;
        a.write(&[bad_origin_update(65002, &[2, 3])]).await;
    })
    .await;
    use StatType::*;
    let got = |t, f| stat(&peer, t, f);
    let report = format!("{:?}", peer.stats);
    assert_eq!(got(RejectedPrefixes, None), Some(0), "type 0: {report}");
    assert_eq!(
        got(DuplicatePrefixAdvertisements, None),
        Some(1),
        "type 1: {report}"
    );
    assert_eq!(got(DuplicateWithdraws, None), Some(1), "type 2: {report}");
    assert_eq!(got(ClusterListLoop, None), Some(0), "type 3: {report}");
    assert_eq!(got(AsPathLoop, None), Some(1), "type 4: {report}");
    assert_eq!(got(OriginatorIdLoop, None), Some(0), "type 5: {report}");
    assert_eq!(got(AdjRibInRoutes, None), Some(6), "type 7: {report}");
    assert_eq!(got(LocRibRoutes, None), Some(5), "type 8: {report}");
    assert_eq!(
        got(FamilyAdjRibInRoutes, Some(V4)),
        Some(3),
        "type 9: {report}"
    );
    assert_eq!(
        got(FamilyAdjRibInRoutes, Some(V6)),
        Some(3),
        "type 9: {report}"
    );
    assert_eq!(
        got(FamilyLocRibRoutes, Some(V4)),
        Some(2),
        "type 10: {report}"
    );
    assert_eq!(
        got(FamilyLocRibRoutes, Some(V6)),
        Some(3),
        "type 10: {report}"
    );
    assert_eq!(
        got(UpdatesTreatedAsWithdraw, None),
        Some(1),
        "type 11: {report}"
    );
    assert_eq!(
        got(PrefixesTreatedAsWithdraw, None),
        Some(2),
        "type 12: {report}"
    );
    // The unchanged re-announcement and the unknown withdrawal.
    assert_eq!(got(DuplicateUpdates, None), Some(2), "type 13: {report}");
    assert_eq!(stat(&loc, LocRibRoutes, None), Some(5));
    assert_eq!(stat(&loc, FamilyLocRibRoutes, Some(V4)), Some(2));
    assert_eq!(stat(&loc, FamilyLocRibRoutes, Some(V6)), Some(3));
}

/// An UPDATE treated as withdraw (RFC 7606) for prefixes the peer never
/// announced withdraws nothing: it counts in types 11/12, not as duplicate
/// withdraws (type 2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn treat_as_withdraw_of_unknown_prefixes_is_no_duplicate_withdraw() {
    let (peer, _) = first_reports(async |a: &mut Peer| {
        a.write(&[bad_origin_update(65002, &[70, 71])]).await;
    })
    .await;
    assert_eq!(
        stat(&peer, StatType::PrefixesTreatedAsWithdraw, None),
        Some(2)
    );
    assert_eq!(stat(&peer, StatType::DuplicateWithdraws, None), Some(0));
    assert_eq!(stat(&peer, StatType::DuplicateUpdates, None), Some(0));
}

// ---------------------------------------------------------------- mirroring

/// Route Mirroring on, no Route Monitoring: every message A sends once
/// established comes back byte for byte, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_mirroring_is_byte_exact_and_in_order() {
    let port = free_port("127.0.0.1").await;
    let (listener, station_port) = listener().await;
    let stations = station(station_port, "[]", "    route-mirroring-enabled = true");
    let running = start_fast(config(port, &[neighbor(A, 65002)], &stations));
    let mut s = Station::accept(&listener).await;
    let mut a = establish(A, 65002, true, 90, port).await;
    s.until(10, |s| {
        s.log
            .iter()
            .any(|g| matches!(g.message, Message::PeerUp(_)))
    })
    .await;

    let keepalive = Bgp::Keepalive
        .to_bytes(&Negotiated::default())
        .expect("KEEPALIVE");
    let mut sent = a.announce(V4, &[v4(1), v4(2)], &[]).await;
    a.write(std::slice::from_ref(&keepalive)).await;
    sent.push(keepalive);
    sent.extend(a.announce(V6, &[v6(1)], &[]).await);
    sent.extend(a.withdraw(V4, &[v4(1)]).await);
    let bad = bad_origin_update(65002, &[3]);
    a.write(std::slice::from_ref(&bad)).await;
    sent.push(bad);

    let mut mirrored: Vec<Bytes> = Vec::new();
    for _ in 0..50 {
        if mirrored.len() >= sent.len() && mirrored.ends_with(&sent) {
            break;
        }
        let got = s.expect().await;
        match got.message {
            Message::RouteMirroring(m) => {
                assert_eq!(m.peer.address(), A.parse::<IpAddr>().expect("ip"));
                for tlv in m.tlvs {
                    if let MirrorTlv::BgpMessage(pdu) = tlv {
                        mirrored.push(pdu);
                    }
                }
            }
            Message::RouteMonitoring(_) => panic!("no Route Monitoring with an empty policy"),
            _ => {}
        }
    }
    // Anything before our messages can only be the handshake's KEEPALIVE.
    let (before, ours) = mirrored.split_at(mirrored.len() - sent.len());
    assert_eq!(ours, &sent[..], "mirrored byte for byte, in order");
    assert!(before.len() <= 1, "{before:?}");
    drop(a);
    stop(running).await;
}

// ---------------------------------------------------------------- resync

/// A collector that goes away 20 times. Each time, while the daemon dumps
/// again, A withdraws 100 prefixes and announces 100 new ones, then a
/// sentinel; each connection must end holding exactly what A announced,
/// in each view of "all", with End-of-RIB for each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_restarting_20_times_ends_each_time_with_the_rib() {
    const ROUNDS: u32 = 20;
    let port = free_port("127.0.0.1").await;
    let neighbors = [neighbor(A, 65002)];
    let running = start_fast(config(port, &neighbors, ""));
    let mut a = establish(A, 65002, true, 90, port).await;
    let mut model: BTreeSet<String> = BTreeSet::new();
    let initial: Vec<String> = (0..10_000).map(v4).collect();
    a.announce(V4, &initial, &[]).await;
    model.extend(initial);

    let (listener, station_port) = listener().await;
    let stations = station(station_port, "\"all\"", "");
    running
        .reload
        .send(config(port, &neighbors, &stations))
        .await
        .expect("daemon");
    let eors = eor_set(&policy_views("all"), &[A]);
    let started = Instant::now();
    let mut next = 10_000u32;
    for round in 0..ROUNDS {
        let mut s = Station::accept(&listener).await;
        // Churn while the dump is being written.
        let gone: Vec<String> = model.iter().take(100).cloned().collect();
        a.withdraw(V4, &gone).await;
        let new: Vec<String> = (next..next + 100).map(v4).collect();
        next += 100;
        a.announce(V4, &new, &[]).await;
        let sentinel = v6(round);
        a.announce(V6, std::slice::from_ref(&sentinel), &[]).await;
        for prefix in &gone {
            model.remove(prefix);
        }
        model.extend(new);
        model.insert(sentinel.clone());

        s.until(2_000, |s| {
            s.eor == eors
                && ["pre", "post"].iter().all(|v| s.has(A, v, &sentinel))
                && s.has("loc-rib", "loc-rib", &sentinel)
        })
        .await;
        assert!(
            matches!(s.log[0].message, Message::Initiation(_)),
            "round {round}"
        );
        for (peer, view) in [(A, "pre"), (A, "post"), ("loc-rib", "loc-rib")] {
            assert!(
                s.table(peer, view) == model,
                "round {round}: {view} differs from the rib: {} routes, {} expected",
                s.table(peer, view).len(),
                model.len()
            );
        }
        drop(s);
    }
    assert!(started.elapsed() < Duration::from_secs(60));
    stop(running).await;
}

// ---------------------------------------------------------------- stuck

/// A listener whose accepted sockets have a 4 KiB receive buffer, so a
/// collector that does not read stops the daemon's writes quickly.
fn small_buffer_listener() -> (TcpListener, u16) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind");
    let listener = socket.listen(8).expect("listen");
    let port = listener.local_addr().expect("addr").port();
    (listener, port)
}

/// Two collectors, one stuck (accepts, never reads; queue-limit 64 KiB),
/// one reading. A announces 100,000 prefixes, two per UPDATE (about 15 MB
/// of BMP for the three views, more than the kernel buffers between the
/// daemon and the stuck station), to the daemon, which passes
/// them to B. The stuck station's queue passes its limit, so the daemon
/// drops that connection and dials again (the queue stays bounded), while
/// the reading collector gets every route in every view and B gets every
/// route over BGP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_collector_is_dropped_while_the_rest_goes_on() {
    const ROUTES: u32 = 100_000;
    let port = free_port("127.0.0.1").await;
    let (stuck_listener, stuck_port) = small_buffer_listener();
    let (listener, good_port) = listener().await;
    let mut stations = station(stuck_port, "\"all\"", "    queue-limit = 65536");
    stations.push_str(&station(good_port, "\"all\"", ""));
    let neighbors = [neighbor(A, 65002), neighbor(B, 65003)];
    let running = start_fast(config(port, &neighbors, &stations));
    let (stuck, _) = timeout(WAIT, stuck_listener.accept())
        .await
        .expect("dialled in time")
        .expect("accept");
    let mut good = Station::accept(&listener).await;
    let mut a = establish(A, 65002, true, 90, port).await;
    let mut b = establish(B, 65003, true, 90, port).await;

    let prefixes: Vec<String> = (0..ROUTES)
        .map(|i| format!("{}.{}.{}.0/24", 10 + (i >> 16), (i >> 8) & 0xff, i & 0xff))
        .collect();
    let started = Instant::now();
    let mut stream = BytesMut::new();
    for pair in prefixes.chunks(2) {
        let attributes = vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![65002]))),
        ];
        for message in
            bgp::announce(&attributes, V4, &next_hop(V4), &nlri(pair), &a.fake.cx).expect("encode")
        {
            stream.put_slice(&message);
        }
    }
    a.fake.stream.write_all(&stream).await.expect("write");
    let all = set(prefixes);
    good.until(400_000, |s| {
        ["pre", "post"].iter().all(|v| s.len(A, v) == all.len())
            && s.len("loc-rib", "loc-rib") == all.len()
    })
    .await;
    assert_eq!(good.table(A, "pre"), all);
    assert_eq!(good.table(A, "post"), all);
    assert_eq!(good.table("loc-rib", "loc-rib"), all);
    b.received(&all).await;
    // The stuck station was dropped and is dialled again.
    let again = timeout(Duration::from_secs(20), stuck_listener.accept()).await;
    if again.is_err() {
        let mut stuck = stuck;
        let mut total = 0usize;
        let mut scratch = vec![0u8; 1 << 16];
        while let Ok(Ok(n)) = timeout(Duration::from_millis(500), stuck.read(&mut scratch)).await {
            if n == 0 {
                break;
            }
            total += n;
        }
        panic!("the stuck station was never dropped; it had {total} bytes buffered");
    }
    assert!(
        started.elapsed() < Duration::from_secs(80),
        "within B's hold time"
    );
    drop(stuck);
    stop(running).await;
}
