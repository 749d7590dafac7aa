//! The BMP client against a fake rib and mock collectors on loopback.
//!
//! The fake rib hands each subscription to the test, which plays the rib's
//! part: it charges the subscription's queue and sends scripted
//! [`Monitor`] items. Mock collectors are `TcpListener`s on 127.0.0.1:0
//! whose streams are framed and decoded with the crate's own decoder
//! (`bmp::Message::decode`, and `collector::Decoder` for the BGP messages
//! inside).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

use bgpd::bmp::{self, BmpHandle, Local};
use bgpd::collector::Decoder;
use bgpd::config::{self, BmpServer};
use bgpd::rib::event::{DownReason, SessionInfo};
use bgpd::rib::monitor::{Monitor, PeerStats, Request, Stats, Subscription, View, Views};
use bgpd::rib::{PeerCounters, PerFamily};
use bgpd::wire::bgp::{self, Negotiated};
use bgpd::wire::bmp::{
    InitiationTlv, Message, MirrorInformation, MirrorTlv, PeerDownReason, PeerInfoTlv, PeerType,
    StatType, StatValue, TerminationReason, TerminationTlv,
};
use bgpd::wire::Family;

const WAIT: Duration = Duration::from_secs(10);

fn local() -> Local {
    Local {
        asn: 65001,
        router_id: Ipv4Addr::new(192, 0, 2, 1),
    }
}

fn fast() -> bmp::Options {
    bmp::Options {
        connect_timeout: Duration::from_secs(2),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        stop_timeout: Duration::from_secs(1),
    }
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_max_level(tracing::Level::DEBUG)
        .try_init();
}

// ---------------------------------------------------------------- fake rib

/// The rib's side of the contract, scripted by the test.
struct FakeRib {
    requests: mpsc::Sender<Request>,
    subscriptions: mpsc::UnboundedReceiver<Subscription>,
}

/// A task owning the request channel: subscriptions go to the test, and
/// statistics requests get `stats`.
fn fake_rib(stats: Option<Stats>) -> FakeRib {
    let (requests, mut rx) = mpsc::channel(64);
    let (subs_tx, subscriptions) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(request) = rx.recv().await {
            match request {
                Request::Subscribe(subscription) => {
                    let _ = subs_tx.send(subscription);
                }
                Request::Stats(reply) => {
                    if let Some(stats) = &stats {
                        let _ = reply.send(stats.clone());
                    }
                }
                // BMP clients never send these.
                Request::Policy(_) => panic!("a BMP client sent a policy"),
                Request::Query(_) | Request::Local(_) => panic!("a BMP client sent an API request"),
            }
        }
    });
    FakeRib {
        requests,
        subscriptions,
    }
}

impl FakeRib {
    async fn subscription(&mut self) -> Subscription {
        timeout(WAIT, self.subscriptions.recv())
            .await
            .expect("a subscription in time")
            .expect("fake rib alive")
    }
}

/// Sends `item` as the rib does: charged to the queue first; false when
/// the queue is over its limit (the rib then ends the subscription).
fn push(subscription: &Subscription, item: Monitor) -> bool {
    if !subscription.queue.charge(item.size()) {
        return false;
    }
    subscription.tx.send(item).is_ok()
}

// ---------------------------------------------------------------- BGP bits

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::new(1_700_000_000 + seconds, 250_000_000)
}

fn header(len: usize, kind: u8) -> BytesMut {
    let mut out = BytesMut::with_capacity(len);
    out.put_slice(&[0xff; 16]);
    out.put_u16(u16::try_from(len).expect("BGP length"));
    out.put_u8(kind);
    out
}

fn open(asn: u16, id: [u8; 4]) -> Bytes {
    // Capabilities: MP IPv4 unicast, 4-octet AS.
    let caps = [1, 4, 0, 1, 0, 1, 65, 4, 0, 0, (asn >> 8) as u8, asn as u8];
    let mut out = header(19 + 10 + 2 + caps.len(), 1);
    out.put_u8(4);
    out.put_u16(asn);
    out.put_u16(90);
    out.put_slice(&id);
    out.put_u8((caps.len() + 2) as u8);
    out.put_u8(2);
    out.put_u8(caps.len() as u8);
    out.put_slice(&caps);
    out.freeze()
}

/// An UPDATE announcing `prefixes` /32s from 10.0.0.0 with ORIGIN IGP,
/// AS_PATH 65002 (4 octets) and NEXT_HOP 192.0.2.2.
fn update(prefixes: u32, first: u32) -> Bytes {
    let attrs: [u8; 20] = [
        0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xea, 0x40, 3, 4, 192, 0, 2, 2,
    ];
    let len = 19 + 2 + 2 + attrs.len() + 5 * prefixes as usize;
    let mut out = header(len, 2);
    out.put_u16(0);
    out.put_u16(attrs.len() as u16);
    out.put_slice(&attrs);
    for i in 0..prefixes {
        out.put_u8(32);
        out.put_u32(0x0a00_0000 + first + i);
    }
    out.freeze()
}

fn end_of_rib() -> Bytes {
    let mut out = header(23, 2);
    out.put_u32(0);
    out.freeze()
}

fn notification(code: u8, subcode: u8) -> Bytes {
    let mut out = header(21, 3);
    out.put_u8(code);
    out.put_u8(subcode);
    out.freeze()
}

fn session(n: u8) -> Arc<SessionInfo> {
    let peer = IpAddr::V4(Ipv4Addr::new(127, 0, 0, n));
    let text = format!(
        "[global.config]\nas = 65001\nrouter-id = \"192.0.2.1\"\n\
         [[neighbors]]\n[neighbors.config]\nneighbor-address = \"{peer}\"\npeer-as = 65002\n"
    );
    let config = config::parse(&text, "test.toml").expect("test config");
    Arc::new(SessionInfo {
        peer,
        neighbor: Arc::new(config.neighbors[0].clone()),
        local: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)), 179),
        remote: SocketAddr::new(peer, 40000 + u16::from(n)),
        local_as: 65001,
        peer_as: 65002,
        local_id: Ipv4Addr::new(192, 0, 2, 1),
        peer_id: Ipv4Addr::new(10, 0, 0, n),
        negotiated: Negotiated {
            four_octet_as: true,
            external: true,
            ..Negotiated::default()
        },
        sent_open: open(65001, [192, 0, 2, 1]),
        received_open: open(65002, [10, 0, 0, n]),
        established_at: at(0),
    })
}

// ---------------------------------------------------------------- collector

/// A mock collector: a listener on 127.0.0.1:0.
struct Collector {
    listener: TcpListener,
}

impl Collector {
    async fn bind() -> Collector {
        Collector {
            listener: TcpListener::bind("127.0.0.1:0").await.expect("bind"),
        }
    }

    fn port(&self) -> u16 {
        self.listener.local_addr().expect("local addr").port()
    }

    fn server(&self) -> BmpServer {
        BmpServer::new("127.0.0.1", self.port())
    }

    async fn accept(&self) -> Connection {
        let (stream, speaker) = timeout(WAIT, self.listener.accept())
            .await
            .expect("a connection in time")
            .expect("accept");
        Connection {
            stream,
            buf: BytesMut::new(),
            decoder: Decoder::new(speaker, false),
            json: true,
        }
    }
}

/// One accepted speaker connection.
struct Connection {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
    /// Also decode the BGP messages inside (slow for big streams).
    json: bool,
}

impl Connection {
    /// The next BMP message, or `None` at end of stream.
    async fn next(&mut self) -> Option<Message> {
        loop {
            if let Some(len) = bgpd::wire::bmp::frame_len(&self.buf).expect("frames") {
                let raw = self.buf.split_to(len).freeze();
                if self.json {
                    let value = self
                        .decoder
                        .to_json(raw.clone())
                        .expect("the collector decodes it");
                    assert!(value.get("bgp_error").is_none(), "{value}");
                }
                return Some(Message::decode(raw).expect("decodes"));
            }
            let n = timeout(WAIT, self.stream.read_buf(&mut self.buf))
                .await
                .expect("data in time")
                .unwrap_or(0);
            if n == 0 {
                assert!(self.buf.is_empty(), "stream ends inside a message");
                return None;
            }
        }
    }

    async fn expect(&mut self) -> Message {
        self.next()
            .await
            .expect("a message, not the end of the stream")
    }

    /// The raw bytes of the next message.
    async fn next_raw(&mut self) -> Bytes {
        loop {
            if let Some(len) = bgpd::wire::bmp::frame_len(&self.buf).expect("frames") {
                return self.buf.split_to(len).freeze();
            }
            let n = timeout(WAIT, self.stream.read_buf(&mut self.buf))
                .await
                .expect("data in time")
                .expect("read");
            assert!(n > 0, "stream ended");
        }
    }

    async fn initiation(&mut self, sys_name: &str) {
        match self.expect().await {
            Message::Initiation(init) => {
                assert!(init
                    .information
                    .contains(&InitiationTlv::SysName(sys_name.to_owned())));
                assert!(init
                    .information
                    .iter()
                    .any(|tlv| matches!(tlv, InitiationTlv::SysDescr(d) if d.starts_with("bgpd"))));
            }
            other => panic!("expected Initiation, got {other:?}"),
        }
    }

    async fn termination(&mut self) -> Vec<TerminationTlv> {
        loop {
            match self.next().await {
                Some(Message::Termination(t)) => return t.information,
                Some(_) => continue,
                None => panic!("stream ended without Termination"),
            }
        }
    }

    async fn end(&mut self) {
        assert!(
            self.next().await.is_none(),
            "expected the end of the stream"
        );
    }
}

fn start(servers: &[BmpServer], rib: &FakeRib) -> BmpHandle {
    init_tracing();
    bmp::spawn_with(servers, local(), rib.requests.clone(), fast())
}

// ---------------------------------------------------------------- tests

fn rm(message: Message) -> bgpd::wire::bmp::RouteMonitoring {
    match message {
        Message::RouteMonitoring(rm) => rm,
        other => panic!("expected Route Monitoring, got {other:?}"),
    }
}

#[tokio::test]
async fn pre_policy_stream_is_initiation_peer_up_dump_then_live() {
    let collector = Collector::bind().await;
    let mut rib = fake_rib(None);
    let mut server = collector.server();
    server.sys_name = "station-test".to_owned();
    let handle = start(&[server], &rib);
    let mut conn = collector.accept().await;
    let sub = rib.subscription().await;
    assert_eq!(sub.views, Views::of(&[View::AdjRibInPre]));
    assert!(!sub.mirroring);
    let info = session(2);
    assert!(push(&sub, Monitor::PeerUp { info: info.clone() }));
    let dump = vec![update(2, 0), end_of_rib()];
    assert!(push(
        &sub,
        Monitor::Route {
            peer: Some(info.clone()),
            view: View::AdjRibInPre,
            messages: dump.clone(),
            at: at(1),
        }
    ));
    assert!(push(&sub, Monitor::Synced));
    assert!(push(
        &sub,
        Monitor::Route {
            peer: Some(info.clone()),
            view: View::AdjRibInPre,
            messages: vec![update(1, 7)],
            at: at(2),
        }
    ));

    conn.initiation("station-test").await;
    match conn.expect().await {
        Message::PeerUp(up) => {
            assert_eq!(up.peer.peer_type, PeerType::Global);
            assert_eq!(up.peer.address(), info.peer);
            assert_eq!(up.peer.peer_as, 65002);
            assert_eq!(up.peer.bgp_id, info.peer_id);
            assert_eq!(up.peer.timestamp(), at(0));
            assert_eq!(up.local_address(), info.local.ip());
            assert_eq!((up.local_port, up.remote_port), (179, 40002));
            assert_eq!(up.sent_open, info.sent_open);
            assert_eq!(up.received_open, info.received_open);
        }
        other => panic!("expected Peer Up, got {other:?}"),
    }
    for (expected, time) in [(&dump[0], at(1)), (&dump[1], at(1))] {
        let rm = rm(conn.expect().await);
        assert_eq!(&rm.update, expected);
        assert_eq!(rm.peer.flags.0, 0);
        assert_eq!(rm.peer.timestamp(), time);
        assert_eq!(rm.peer.timestamp_micros, 250_000);
    }
    let live = rm(conn.expect().await);
    assert_eq!(live.update, update(1, 7));
    handle.shutdown().await;
}

/// Per-peer header flags of a 4-octet session's view (RFC 7854 §4.2,
/// RFC 8671 §4): L for post-policy, O for Adj-RIB-Out.
fn expected_flags(view: View) -> u8 {
    match view {
        View::AdjRibInPre | View::LocRib => 0x00,
        View::AdjRibInPost => 0x40,
        View::AdjRibOutPre => 0x10,
        View::AdjRibOutPost => 0x50,
    }
}

#[tokio::test]
async fn every_policy_gets_its_views_with_their_flags() {
    use View::*;
    let cases: [&[View]; 6] = [
        &[AdjRibInPost],
        &[LocRib],
        &[AdjRibInPre, AdjRibInPost, LocRib],
        &[AdjRibOutPre],
        &[AdjRibOutPost],
        &[AdjRibInPre, LocRib, AdjRibOutPre, AdjRibOutPost],
    ];
    for views in cases {
        let collector = Collector::bind().await;
        let mut rib = fake_rib(None);
        let mut server = collector.server();
        server.route_monitoring_policy = Views::of(views);
        let handle = start(&[server], &rib);
        let mut conn = collector.accept().await;
        let sub = rib.subscription().await;
        assert_eq!(sub.views, Views::of(views));
        let info = session(3);
        assert!(push(&sub, Monitor::PeerUp { info: info.clone() }));
        for view in sub.views.iter() {
            let peer = (view != LocRib).then(|| info.clone());
            assert!(push(
                &sub,
                Monitor::Route {
                    peer,
                    view,
                    messages: vec![update(1, 0), end_of_rib()],
                    at: at(1),
                }
            ));
        }
        assert!(push(&sub, Monitor::Synced));

        conn.initiation("bgpd").await;
        if sub.views.contains(LocRib) {
            match conn.expect().await {
                Message::PeerUp(up) => assert_eq!(up.peer.peer_type, PeerType::LocRib),
                other => panic!("expected the Loc-RIB Peer Up first, got {other:?}"),
            }
        }
        assert!(
            matches!(conn.expect().await, Message::PeerUp(up) if up.peer.peer_type == PeerType::Global)
        );
        for view in sub.views.iter() {
            for expected in [update(1, 0), end_of_rib()] {
                let rm = rm(conn.expect().await);
                assert_eq!(rm.update, expected);
                assert_eq!(rm.peer.flags.0, expected_flags(view), "{view:?}");
                if view == LocRib {
                    assert_eq!(rm.peer.peer_type, PeerType::LocRib);
                    assert_eq!(rm.peer.peer_as, 65001);
                } else {
                    assert_eq!(rm.peer.peer_type, PeerType::Global);
                    assert_eq!(rm.peer.address(), info.peer);
                }
            }
        }
        handle.shutdown().await;
    }
}

#[tokio::test]
async fn loc_rib_peer_up_is_type_3_with_the_table_name_and_a_4_octet_as_open() {
    let collector = Collector::bind().await;
    let rib = fake_rib(None);
    let mut server = collector.server();
    server.route_monitoring_policy = Views::of(&[View::LocRib]);
    let handle = start(&[server], &rib);
    let mut conn = collector.accept().await;
    conn.initiation("bgpd").await;
    let up = match conn.expect().await {
        Message::PeerUp(up) => up,
        other => panic!("expected Peer Up, got {other:?}"),
    };
    assert_eq!(up.peer.peer_type, PeerType::LocRib);
    assert_eq!(up.peer.peer_address, [0; 16]);
    assert_eq!(up.peer.distinguisher, [0; 8]);
    assert_eq!(
        (up.peer.peer_as, up.peer.bgp_id),
        (65001, local().router_id)
    );
    assert_eq!(up.local_address, [0; 16]);
    assert_eq!((up.local_port, up.remote_port), (0, 0));
    assert_eq!(up.sent_open, up.received_open);
    assert_eq!(
        up.information,
        vec![PeerInfoTlv::VrfTableName("global".to_owned())]
    );
    let body = up.sent_open.slice(19..);
    let open = bgp::Open::decode(body).expect("the OPEN decodes");
    assert_eq!(open.four_octet_as(), Some(65001));
    assert_eq!(
        open.families().into_iter().collect::<Vec<_>>(),
        vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]
    );
    assert!(open.add_path().is_empty());
    handle.shutdown().await;
}

#[tokio::test]
async fn peer_down_carries_each_reason_with_its_data() {
    let collector = Collector::bind().await;
    let mut rib = fake_rib(None);
    let handle = start(&[collector.server()], &rib);
    let mut conn = collector.accept().await;
    let sub = rib.subscription().await;
    let info = session(4);
    let reasons = [
        (
            DownReason::LocalNotification(notification(6, 2)),
            PeerDownReason::LocalNotification(notification(6, 2)),
        ),
        (
            DownReason::LocalNoNotification(10),
            PeerDownReason::LocalFsmEvent(Some(10)),
        ),
        (
            DownReason::RemoteNotification(notification(4, 0)),
            PeerDownReason::RemoteNotification(notification(4, 0)),
        ),
        (DownReason::RemoteClosed, PeerDownReason::RemoteNoData),
        (DownReason::Deconfigured, PeerDownReason::Deconfigured),
    ];
    assert!(push(&sub, Monitor::Synced));
    for (i, (reason, _)) in reasons.iter().enumerate() {
        assert!(push(&sub, Monitor::PeerUp { info: info.clone() }));
        assert!(push(
            &sub,
            Monitor::PeerDown {
                info: info.clone(),
                reason: reason.clone(),
                at: at(10 + i as u64),
            }
        ));
    }
    conn.initiation("bgpd").await;
    for (i, (_, expected)) in reasons.iter().enumerate() {
        assert!(matches!(conn.expect().await, Message::PeerUp(_)));
        match conn.expect().await {
            Message::PeerDown(down) => {
                assert_eq!(&down.reason, expected);
                assert_ne!(down.reason.code(), 0);
                assert_eq!(down.peer.address(), info.peer);
                assert_eq!(down.peer.timestamp(), at(10 + i as u64));
            }
            other => panic!("expected Peer Down, got {other:?}"),
        }
    }
    handle.shutdown().await;
}

fn known_stats(info: Arc<SessionInfo>, other: Arc<SessionInfo>) -> Stats {
    let counters = PeerCounters {
        adj_rib_in: PerFamily {
            ipv4_unicast: 100,
            ipv6_unicast: 0,
        },
        loc_rib: PerFamily {
            ipv4_unicast: 60,
            ipv6_unicast: 0,
        },
        rejected: 4,
        duplicates: 3,
        unknown_withdrawals: 2,
        duplicate_updates: 6,
        as_path_loops: 4,
        cluster_list_loops: 0,
        originator_id_loops: 0,
        treat_as_withdraw_updates: 1,
        treat_as_withdraw_prefixes: 5,
    };
    let peer = |info| PeerStats {
        info,
        counters,
        adj_rib_out: PerFamily {
            ipv4_unicast: 70,
            ipv6_unicast: 0,
        },
        adj_rib_out_pre: PerFamily {
            ipv4_unicast: 75,
            ipv6_unicast: 0,
        },
    };
    Stats {
        peers: vec![peer(info), peer(other)],
        loc_rib: PerFamily {
            ipv4_unicast: 80,
            ipv6_unicast: 2,
        },
        router_id: local().router_id,
        local_as: 65001,
    }
}

#[tokio::test]
async fn statistics_reports_come_every_period_for_announced_peers_and_loc_rib() {
    let collector = Collector::bind().await;
    let info = session(5);
    // Session 6 is in the rib's answer but the station has no Peer Up for
    // it: no report.
    let mut rib = fake_rib(Some(known_stats(info.clone(), session(6))));
    let mut server = collector.server();
    server.route_monitoring_policy =
        Views::of(&[View::AdjRibInPre, View::LocRib, View::AdjRibOutPost]);
    server.statistics_timeout = Some(Duration::from_millis(200));
    let handle = start(&[server], &rib);
    let mut conn = collector.accept().await;
    let sub = rib.subscription().await;
    assert!(push(&sub, Monitor::PeerUp { info: info.clone() }));
    assert!(push(&sub, Monitor::Synced));
    conn.initiation("bgpd").await;
    assert!(
        matches!(conn.expect().await, Message::PeerUp(up) if up.peer.peer_type == PeerType::LocRib)
    );
    assert!(matches!(conn.expect().await, Message::PeerUp(_)));
    for _period in 0..2 {
        let peer = match conn.expect().await {
            Message::StatisticsReport(report) => report,
            other => panic!("expected a Statistics Report, got {other:?}"),
        };
        assert_eq!(peer.peer.address(), info.peer);
        let got: Vec<(u16, StatValue)> = peer
            .stats
            .iter()
            .map(|s| (u16::from(s.stat_type), s.value.clone()))
            .collect();
        let v4 = |value| StatValue::FamilyGauge {
            family: Family::IPV4_UNICAST,
            value,
        };
        let want = vec![
            (0, StatValue::Counter(4)),
            (1, StatValue::Counter(3)),
            (2, StatValue::Counter(2)),
            (3, StatValue::Counter(0)),
            (4, StatValue::Counter(4)),
            (5, StatValue::Counter(0)),
            (7, StatValue::Gauge(100)),
            (8, StatValue::Gauge(60)),
            (9, v4(100)),
            (10, v4(60)),
            (11, StatValue::Counter(1)),
            (12, StatValue::Counter(5)),
            (13, StatValue::Counter(6)),
            (14, StatValue::Gauge(75)),
            (15, StatValue::Gauge(70)),
            (16, v4(75)),
            (17, v4(70)),
        ];
        assert_eq!(got, want);
        let loc = match conn.expect().await {
            Message::StatisticsReport(report) => report,
            other => panic!("expected the Loc-RIB Statistics Report, got {other:?}"),
        };
        assert_eq!(loc.peer.peer_type, PeerType::LocRib);
        assert_eq!(loc.stats[0].stat_type, StatType::LocRibRoutes);
        assert_eq!(loc.stats[0].value, StatValue::Gauge(82));
        assert_eq!(loc.stats.len(), 3);
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn mirroring_is_byte_exact() {
    let collector = Collector::bind().await;
    let mut rib = fake_rib(None);
    let mut server = collector.server();
    server.route_mirroring = true;
    let handle = start(&[server], &rib);
    let mut conn = collector.accept().await;
    conn.json = false; // the errored PDU is meant not to decode
    let sub = rib.subscription().await;
    assert!(sub.mirroring);
    let info = session(7);
    let good = update(3, 0);
    let mut bad = update(1, 0).to_vec();
    bad[19 + 2 + 2 + 3] = 0xff; // ORIGIN value 255
    let bad = Bytes::from(bad);
    assert!(push(&sub, Monitor::PeerUp { info: info.clone() }));
    assert!(push(&sub, Monitor::Synced));
    for (message, errored) in [(good.clone(), false), (bad.clone(), true)] {
        assert!(push(
            &sub,
            Monitor::Mirror {
                info: info.clone(),
                message,
                errored,
                at: at(3),
            }
        ));
    }
    conn.initiation("bgpd").await;
    assert!(matches!(conn.expect().await, Message::PeerUp(_)));
    let raw = conn.next_raw().await;
    assert!(raw.ends_with(&good), "mirrored bytes are the message");
    match Message::decode(raw).expect("decodes") {
        Message::RouteMirroring(m) => assert_eq!(m.tlvs, vec![MirrorTlv::BgpMessage(good)]),
        other => panic!("expected Route Mirroring, got {other:?}"),
    }
    match conn.expect().await {
        Message::RouteMirroring(m) => assert_eq!(
            m.tlvs,
            vec![
                MirrorTlv::Information(MirrorInformation::ErroredPdu),
                MirrorTlv::BgpMessage(bad)
            ]
        ),
        other => panic!("expected Route Mirroring, got {other:?}"),
    }
    handle.shutdown().await;
}

/// Mirrored messages sent while no collector was connected are lost: the
/// next connection says so (Information code 1) after each Peer Up; the
/// first connection does not.
#[tokio::test]
async fn a_reconnection_with_mirroring_reports_lost_messages_per_peer() {
    let collector = Collector::bind().await;
    let mut rib = fake_rib(None);
    let mut server = collector.server();
    server.route_mirroring = true;
    let handle = start(&[server], &rib);
    let info = session(7);
    for round in 0..2 {
        let mut conn = collector.accept().await;
        let sub = rib.subscription().await;
        assert!(push(&sub, Monitor::PeerUp { info: info.clone() }));
        assert!(push(&sub, Monitor::Synced));
        let good = update(3, round);
        assert!(push(
            &sub,
            Monitor::Mirror {
                info: info.clone(),
                message: good.clone(),
                errored: false,
                at: at(3),
            }
        ));
        conn.initiation("bgpd").await;
        assert!(matches!(conn.expect().await, Message::PeerUp(_)));
        if round == 1 {
            match conn.expect().await {
                Message::RouteMirroring(m) => assert_eq!(
                    m.tlvs,
                    vec![MirrorTlv::Information(MirrorInformation::MessagesLost)]
                ),
                other => panic!("expected messages lost, got {other:?}"),
            }
        }
        match conn.expect().await {
            Message::RouteMirroring(m) => assert_eq!(m.tlvs, vec![MirrorTlv::BgpMessage(good)]),
            other => panic!("expected the mirrored UPDATE, got {other:?}"),
        }
        drop(conn);
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn a_restarting_collector_gets_a_fresh_subscription_each_time() {
    let collector = Collector::bind().await;
    let mut rib = fake_rib(None);
    let handle = start(&[collector.server()], &rib);
    let info = session(8);
    let mut previous: Option<Subscription> = None;
    for round in 0..20u32 {
        let mut conn = collector.accept().await;
        let sub = rib.subscription().await;
        if let Some(previous) = &previous {
            assert!(!Arc::ptr_eq(&previous.queue, &sub.queue));
            assert!(previous.tx.is_closed(), "the old subscription was dropped");
        }
        assert!(push(&sub, Monitor::PeerUp { info: info.clone() }));
        assert!(push(
            &sub,
            Monitor::Route {
                peer: Some(info.clone()),
                view: View::AdjRibInPre,
                messages: vec![update(2, round), end_of_rib()],
                at: at(1),
            }
        ));
        assert!(push(&sub, Monitor::Synced));
        conn.initiation("bgpd").await;
        assert!(matches!(conn.expect().await, Message::PeerUp(_)));
        assert_eq!(rm(conn.expect().await).update, update(2, round));
        assert_eq!(rm(conn.expect().await).update, end_of_rib());
        drop(conn); // the collector restarts
        previous = Some(sub);
    }
    let status = handle.stations()[0].status;
    assert!(status.connections >= 20, "{status:?}");
    assert_eq!(status.overflows, 0);
    handle.shutdown().await;
}

#[tokio::test]
async fn the_client_retries_until_the_collector_listens() {
    init_tracing();
    let port = {
        let probe = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        probe.local_addr().expect("addr").port()
    };
    let rib = fake_rib(None);
    let handle = start(&[BmpServer::new("127.0.0.1", port)], &rib);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!handle.stations()[0].status.connected);
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("rebind");
    let collector = Collector { listener };
    let mut conn = collector.accept().await;
    conn.initiation("bgpd").await;
    handle.shutdown().await;
}

#[tokio::test]
async fn dns_names_and_source_address_are_used() {
    let collector = Collector::bind().await;
    let mut rib = fake_rib(None);
    let mut server = BmpServer::new("localhost", collector.port());
    server.source_address = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let handle = start(&[server], &rib);
    let mut conn = collector.accept().await;
    assert_eq!(
        conn.stream.peer_addr().expect("peer").ip(),
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    );
    conn.initiation("bgpd").await;
    let _ = rib.subscription().await;
    handle.shutdown().await;
}

#[tokio::test]
async fn a_stuck_collector_overflows_and_resyncs_while_another_goes_on() {
    const LIMIT: usize = 1 << 20;
    let stuck = Collector::bind().await;
    let healthy = Collector::bind().await;
    let mut rib_stuck = fake_rib(None);
    let mut rib_healthy = fake_rib(None);
    let mut server = stuck.server();
    server.queue_limit = LIMIT;
    init_tracing();
    let handle_stuck = bmp::spawn_with(&[server], local(), rib_stuck.requests.clone(), fast());
    let handle_healthy = bmp::spawn_with(
        &[healthy.server()],
        local(),
        rib_healthy.requests.clone(),
        fast(),
    );
    let stuck_conn = stuck.accept().await; // never read
    let mut healthy_conn = healthy.accept().await;
    healthy_conn.json = false;
    let stuck_sub = rib_stuck.subscription().await;
    let healthy_sub = rib_healthy.subscription().await;
    let info = session(9);
    assert!(push(&stuck_sub, Monitor::PeerUp { info: info.clone() }));
    assert!(push(&healthy_sub, Monitor::PeerUp { info: info.clone() }));

    // Reader of the healthy collector, concurrently.
    let reader = tokio::spawn(async move {
        healthy_conn.initiation("bgpd").await;
        assert!(matches!(healthy_conn.expect().await, Message::PeerUp(_)));
        let mut routes = 0u32;
        loop {
            match healthy_conn.next().await {
                Some(Message::RouteMonitoring(rm)) => {
                    assert_eq!(rm.update, update(800, routes));
                    routes += 1;
                }
                Some(Message::Termination(_)) | None => return routes,
                Some(other) => panic!("unexpected {other:?}"),
            }
        }
    });

    // Feed both as the rib would, until the stuck one overflows. Each item
    // is about 4 KB; kernel buffers take a few MB, the queue 1 MB.
    let mut sent = 0u32;
    let mut overflowed = false;
    for i in 0..20_000u32 {
        let item = Monitor::Route {
            peer: Some(info.clone()),
            view: View::AdjRibInPre,
            messages: vec![update(800, i)],
            at: at(1),
        };
        assert!(push(&healthy_sub, item.clone()));
        sent += 1;
        if !push(&stuck_sub, item) {
            overflowed = true;
            break;
        }
        // Let the healthy client drain its queue as the rib's pacing would.
        while healthy_sub.queue.bytes() > LIMIT / 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if i % 64 == 0 {
            tokio::task::yield_now().await;
        }
    }
    assert!(overflowed, "the stuck collector's queue never filled");
    assert!(stuck_sub.queue.overflowed());
    drop(stuck_sub); // the rib ends the subscription

    // The stuck station is closed and dialled again, with a fresh dump.
    let mut again = stuck.accept().await;
    let fresh = rib_stuck.subscription().await;
    assert!(!fresh.queue.overflowed());
    again.initiation("bgpd").await;
    assert_eq!(handle_stuck.stations()[0].status.overflows, 1);
    drop(stuck_conn);

    // The healthy one got everything, in order.
    handle_healthy.shutdown().await;
    let routes = timeout(WAIT, reader)
        .await
        .expect("reader done")
        .expect("reader ok");
    assert_eq!(routes, sent);
    assert_eq!(handle_stuck.stations()[0].status.overflows, 1);
    handle_stuck.shutdown().await;
}

#[tokio::test]
async fn termination_on_removal_on_change_and_on_shutdown() {
    let a = Collector::bind().await;
    let b = Collector::bind().await;
    let c = Collector::bind().await;
    let rib = fake_rib(None);
    let servers = [a.server(), b.server(), c.server()];
    let mut handle = start(&servers, &rib);
    let mut conn_a = a.accept().await;
    let mut conn_b = b.accept().await;
    let mut conn_c = c.accept().await;
    for conn in [&mut conn_a, &mut conn_b, &mut conn_c] {
        conn.initiation("bgpd").await;
    }

    // a removed, b changed, c kept.
    let mut changed = b.server();
    changed.sys_name = "renamed".to_owned();
    handle.reload(&[changed, c.server()]).await;
    assert_eq!(
        conn_a.termination().await,
        vec![
            TerminationTlv::Reason(TerminationReason::PermanentlyAdministrativelyClosed),
            TerminationTlv::String("station removed from the configuration".to_owned()),
        ]
    );
    conn_a.end().await;
    assert_eq!(
        conn_b.termination().await[0],
        TerminationTlv::Reason(TerminationReason::AdministrativelyClosed)
    );
    conn_b.end().await;
    let mut conn_b2 = b.accept().await;
    conn_b2.initiation("renamed").await;
    assert_eq!(handle.stations().len(), 2);

    handle.shutdown().await;
    for conn in [&mut conn_b2, &mut conn_c] {
        assert_eq!(
            conn.termination().await,
            vec![
                TerminationTlv::Reason(TerminationReason::AdministrativelyClosed),
                TerminationTlv::String("bgpd shutting down".to_owned()),
            ]
        );
        conn.end().await;
    }
}

#[tokio::test]
async fn shutdown_with_a_stuck_collector_is_bounded() {
    let stuck = Collector::bind().await;
    let mut rib = fake_rib(None);
    let handle = start(&[stuck.server()], &rib);
    let _conn = stuck.accept().await; // never read
    let sub = rib.subscription().await;
    let info = session(10);
    assert!(push(&sub, Monitor::PeerUp { info: info.clone() }));
    // Enough to fill the kernel's buffers (a few MB) and block a write.
    for i in 0..4000u32 {
        let item = Monitor::Route {
            peer: Some(info.clone()),
            view: View::AdjRibInPre,
            messages: vec![update(800, i)],
            at: at(1),
        };
        assert!(push(&sub, item));
    }
    // Wait until the client is blocked: its queue stops draining.
    let mut last = usize::MAX;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = sub.queue.bytes();
        if now == last && now > 0 {
            break;
        }
        last = now;
    }
    assert!(sub.queue.bytes() > 0, "the client never blocked");
    let started = tokio::time::Instant::now();
    timeout(WAIT, handle.shutdown())
        .await
        .expect("shutdown is bounded");
    // stop_timeout (1 s) to finish the batch, then nothing more.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(sub.tx.is_closed(), "the client let go of its subscription");
}
