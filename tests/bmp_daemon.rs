//! The daemon's BMP wiring: stations from `[[bmp-servers]]` are dialled at
//! start, added on reload, and stopped with the daemon; Peer Down for the
//! daemon's own ways of ending a session (a peer that stops reading, and
//! the daemon stopping), byte for byte.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::timeout;

use bgpd::config;
use bgpd::daemon::Options;
use bgpd::peer;
use bgpd::wire::bgp::{self as bgp_wire, AsPath, AttrValue, Origin, PathAttribute, Update};
use bgpd::wire::bmp::{self, InitiationTlv, Message, PeerType};
use common::*;

fn with_stations(port: u16, stations: &[(u16, &str)]) -> config::Config {
    let mut text = config_text(65001, "192.0.2.1", &["127.0.0.1"], port, "");
    for (station, policy) in stations {
        text.push_str(&format!(
            "[[bmp-servers]]\n[bmp-servers.config]\naddress = \"127.0.0.1\"\nport = {station}\n\
             route-monitoring-policy = {policy}\nsys-name = \"daemon-test\"\n"
        ));
    }
    config::parse(&text, "test.toml").expect("valid config")
}

async fn next(stream: &mut TcpStream, buf: &mut BytesMut) -> Message {
    loop {
        if let Some(len) = bmp::frame_len(buf).expect("frames") {
            return Message::decode(buf.split_to(len).freeze()).expect("decodes");
        }
        let n = timeout(WAIT, stream.read_buf(buf))
            .await
            .expect("data in time")
            .expect("read");
        assert!(n > 0, "stream ended");
    }
}

async fn accept(listener: &TcpListener) -> (TcpStream, BytesMut) {
    let (stream, _) = timeout(WAIT, listener.accept())
        .await
        .expect("the daemon dials in time")
        .expect("accept");
    (stream, BytesMut::new())
}

fn is_initiation(message: &Message) -> bool {
    matches!(message, Message::Initiation(init)
        if init.information.contains(&InitiationTlv::SysName("daemon-test".to_owned())))
}

#[tokio::test]
async fn the_daemon_dials_its_stations_adds_them_on_reload_and_stops_them() {
    let first = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let second = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (p1, p2) = (
        first.local_addr().expect("addr").port(),
        second.local_addr().expect("addr").port(),
    );
    let port = free_port("127.0.0.1").await;
    let running = start(with_stations(port, &[(p1, "\"local-rib\"")]));

    let (mut stream, mut buf) = accept(&first).await;
    assert!(is_initiation(&next(&mut stream, &mut buf).await));
    match next(&mut stream, &mut buf).await {
        Message::PeerUp(up) => {
            assert_eq!(up.peer.peer_type, PeerType::LocRib);
            assert_eq!(up.peer.peer_as, 65001);
            assert_eq!(up.peer.bgp_id, Ipv4Addr::new(192, 0, 2, 1));
        }
        other => panic!("expected the Loc-RIB Peer Up, got {other:?}"),
    }

    let reloaded = with_stations(port, &[(p1, "\"local-rib\""), (p2, "[]")]);
    running.reload.send(reloaded).await.expect("daemon running");
    let (mut stream2, mut buf2) = accept(&second).await;
    assert!(is_initiation(&next(&mut stream2, &mut buf2).await));

    stop(running).await;
}

/// The next BMP message, raw.
async fn next_raw(stream: &mut TcpStream, buf: &mut BytesMut) -> Bytes {
    loop {
        if let Some(len) = bmp::frame_len(buf).expect("frames") {
            return buf.split_to(len).freeze();
        }
        let n = timeout(WAIT, stream.read_buf(buf))
            .await
            .expect("data in time")
            .expect("read");
        assert!(n > 0, "stream ended");
    }
}

/// The raw Peer Downs, until `count` of them.
async fn peer_downs(stream: &mut TcpStream, buf: &mut BytesMut, count: usize) -> Vec<Bytes> {
    let mut downs = Vec::new();
    for _ in 0..200 {
        if downs.len() == count {
            break;
        }
        let raw = next_raw(stream, buf).await;
        if raw[5] == 2 {
            downs.push(raw);
        }
    }
    assert_eq!(downs.len(), count, "Peer Downs");
    downs
}

/// The start of a Peer Down (RFC 7854 §4.9) for the 4-octet IPv4 session
/// of `peer` (AS `asn`, BGP identifier its address) `len` octets long:
/// common header, per-peer header up to its timestamp.
fn peer_down_head(len: u32, peer: Ipv4Addr, asn: u32) -> Vec<u8> {
    let mut head = vec![3];
    head.extend(len.to_be_bytes());
    head.extend([2, 0, 0]);
    head.extend([0; 8 + 12]);
    head.extend(peer.octets());
    head.extend(asn.to_be_bytes());
    head.extend(peer.octets());
    head
}

/// A fake peer from `source` whose receive buffer is a few kilobytes.
async fn connect_small_window(source: &str, daemon: SocketAddr) -> Fake {
    let source: IpAddr = source.parse().expect("ip");
    for _ in 0..200 {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("receive buffer");
        socket.bind(SocketAddr::new(source, 0)).expect("bind");
        if let Ok(stream) = socket.connect(daemon).await {
            return Fake::new(stream);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("daemon never listened on {daemon}");
}

/// `count` IPv4 routes, each with its own long AS_PATH (about 1 kB per
/// UPDATE, sent on as one UPDATE each).
async fn flood(fake: &mut Fake, asn: u32, count: u32) {
    for i in 0..count {
        let mut path: Vec<u32> = (0..249).map(|n| 4_200_000_000 + n).collect();
        path.insert(0, asn);
        path.push(300_000 + i);
        let update = Update {
            attributes: vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(path))),
                PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(127, 0, 0, 3))),
            ],
            nlri: vec![bgp_wire::Nlri::new(net(&format!(
                "10.{}.{}.0/24",
                i >> 8,
                i & 0xff
            )))],
            ..Update::default()
        };
        fake.send(bgp_wire::Message::Update(update)).await;
    }
}

/// A peer that stops reading: the daemon's writes to it make no progress
/// for the write timeout, so it closes the session without a NOTIFICATION
/// (none could be written) and the station gets Peer Down reason 2 with
/// FSM event 18 (TcpConnectionFails).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_goes_down_with_reason_2_and_its_fsm_event() {
    let station = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let station_port = station.local_addr().expect("addr").port();
    let port = free_port("127.0.0.1").await;
    let neighbors = format!(
        "{}{}",
        fake_neighbor("127.0.0.2", 65002, "127.0.0.1").toml(),
        fake_neighbor("127.0.0.3", 65003, "127.0.0.1").toml()
    );
    let mut text = config_text(65001, "192.0.2.1", &["127.0.0.1"], port, &neighbors);
    text.push_str(&format!(
        "[[bmp-servers]]\n[bmp-servers.config]\naddress = \"127.0.0.1\"\nport = {station_port}\n\
         route-monitoring-policy = []\nsys-name = \"daemon-test\"\n"
    ));
    let config = config::parse(&text, "test.toml").expect("valid config");
    let options = Options {
        peer: peer::Options {
            write_timeout: Some(Duration::from_secs(1)),
            ..peer::Options::default()
        },
        ..Options::default()
    };
    let running = start_with(config, options);
    let (mut stream, mut buf) = accept(&station).await;
    assert!(is_initiation(&next(&mut stream, &mut buf).await));

    let daemon = SocketAddr::from(([127, 0, 0, 1], port));
    let a_id = Ipv4Addr::new(127, 0, 0, 2);
    let mut a = connect_small_window("127.0.0.2", daemon).await;
    a.handshake(fake_open(65002, a_id, 90, false)).await;
    let mut b = Fake::connect("127.0.0.3", daemon).await;
    b.handshake(fake_open(65003, Ipv4Addr::new(127, 0, 0, 3), 90, false))
        .await;
    // About 8 MB for A, which reads no more.
    let started = Instant::now();
    flood(&mut b, 65003, 8000).await;

    let down = peer_downs(&mut stream, &mut buf, 1).await.remove(0);
    let mut want = peer_down_head(6 + 42 + 3, a_id, 65002);
    assert_eq!(&down[..want.len()], &want[..], "headers");
    // After the 8-octet timestamp: reason 2, event 18.
    want = vec![2, 0, 18];
    assert_eq!(&down[down.len() - 3..], &want[..], "reason and FSM event");
    assert_eq!(down.len(), 51);
    assert!(started.elapsed() < WAIT, "{:?}", started.elapsed());
    drop(a);
    stop(running).await;
}

/// Stopping the daemon: each peer is sent Cease 6/2 with the shutdown
/// communication, and every station gets each session's Peer Down
/// (reason 1 with those bytes) before its Termination.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_daemon_sends_every_peer_down_before_termination() {
    let station = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let station_port = station.local_addr().expect("addr").port();
    let port = free_port("127.0.0.1").await;
    let neighbors = format!(
        "{}{}",
        fake_neighbor("127.0.0.2", 65002, "127.0.0.1").toml(),
        fake_neighbor("127.0.0.3", 65003, "127.0.0.1").toml()
    );
    let mut text = config_text(65001, "192.0.2.1", &["127.0.0.1"], port, &neighbors);
    text.push_str(&format!(
        "[[bmp-servers]]\n[bmp-servers.config]\naddress = \"127.0.0.1\"\nport = {station_port}\n\
         route-monitoring-policy = []\nsys-name = \"daemon-test\"\n"
    ));
    let running = start(config::parse(&text, "test.toml").expect("valid config"));
    let (mut stream, mut buf) = accept(&station).await;
    assert!(is_initiation(&next(&mut stream, &mut buf).await));
    let daemon = SocketAddr::from(([127, 0, 0, 1], port));
    let mut fakes = Vec::new();
    for (n, asn) in [(2, 65002), (3, 65003)] {
        let id = Ipv4Addr::new(127, 0, 0, n);
        let mut fake = Fake::connect(&id.to_string(), daemon).await;
        fake.handshake(fake_open(asn, id, 90, false)).await;
        fakes.push(fake);
    }
    for _ in 0..2 {
        assert!(matches!(
            next(&mut stream, &mut buf).await,
            Message::PeerUp(_)
        ));
    }

    stop(running).await;
    let mut cease = vec![0xff; 16];
    cease.extend([0, 40, 3, 6, 2, 18]);
    cease.extend(b"bgpd shutting down");
    let mut downs = peer_downs(&mut stream, &mut buf, 2).await;
    // By peer address (its last octet).
    downs.sort_by_key(|d| d[31]);
    for (down, (n, asn)) in downs.iter().zip([(2, 65002), (3, 65003)]) {
        let head = peer_down_head(6 + 42 + 1 + 40, Ipv4Addr::new(127, 0, 0, n), asn);
        assert_eq!(&down[..head.len()], &head[..], "headers");
        assert_eq!(down[48], 1, "reason 1");
        assert_eq!(&down[49..], &cease[..], "the NOTIFICATION sent");
    }
    assert!(matches!(
        next(&mut stream, &mut buf).await,
        Message::Termination(_)
    ));
    for mut fake in fakes {
        assert_eq!(
            fake.recv_notification().await.shutdown_communication(),
            Some("bgpd shutting down")
        );
    }
}
