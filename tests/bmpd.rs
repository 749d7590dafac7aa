//! The collector over real sockets: several speakers at once, one JSON line
//! per message, and a speaker with a broken stream disconnected while the
//! others go on.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use bgpd::collector;
use bgpd::wire::bgp::{self, AttrValue, NextHop, Nlri, Origin, PathAttribute};
use bgpd::wire::bmp::{self, PeerFlags, PeerType, PerPeerHeader};
use bgpd::wire::Family;
use bytes::{Bytes, BytesMut};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

async fn start() -> (SocketAddr, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let (lines_tx, lines_rx) = mpsc::channel(64);
    tokio::spawn(collector::serve(listener, true, lines_tx));
    (addr, lines_rx)
}

async fn next_line(lines: &mut mpsc::Receiver<String>) -> Value {
    let line = timeout(WAIT, lines.recv())
        .await
        .expect("a line in time")
        .expect("channel open");
    serde_json::from_str(&line).expect("valid JSON")
}

fn encode(message: &bmp::Message) -> Bytes {
    let mut out = BytesMut::new();
    message.encode(&mut out).expect("encodes");
    out.freeze()
}

fn initiation(name: &str) -> Bytes {
    encode(&bmp::Message::Initiation(bmp::Initiation {
        information: vec![bmp::InitiationTlv::SysName(name.to_string())],
    }))
}

/// A Route Monitoring message carrying `count` /24s in one UPDATE.
fn route_monitoring(count: u8) -> Bytes {
    let cx = bgp::Negotiated {
        four_octet_as: true,
        ..bgp::Negotiated::default()
    };
    let prefixes: Vec<Nlri> = (0..count)
        .map(|i| Nlri::new(format!("198.51.{i}.0/24").parse().expect("prefix")))
        .collect();
    let attributes = [
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(bgp::AsPath::default())),
    ];
    let next_hop = NextHop::V4(Ipv4Addr::new(192, 0, 2, 9));
    let updates =
        bgp::announce(&attributes, Family::IPV4_UNICAST, &next_hop, &prefixes, &cx).expect("fits");
    assert_eq!(updates.len(), 1);
    let peer = PerPeerHeader::new(
        PeerType::Global,
        PeerFlags::default(),
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)),
        65009,
        Ipv4Addr::new(192, 0, 2, 9),
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    );
    let mut out = BytesMut::new();
    bmp::encode_route_monitoring(&peer, &updates[0], &mut out).expect("encodes");
    out.freeze()
}

#[tokio::test]
async fn each_message_becomes_one_json_line_with_its_speaker() {
    let (addr, mut lines) = start().await;
    let mut speaker = TcpStream::connect(addr).await.expect("connect");
    let local = speaker.local_addr().expect("local addr").to_string();
    // Two messages in one write, the second split across two writes.
    let monitoring = route_monitoring(3);
    let mut first = initiation("router-1").to_vec();
    first.extend_from_slice(&monitoring[..10]);
    speaker.write_all(&first).await.expect("write");
    let line = next_line(&mut lines).await;
    assert_eq!(line["type"], "initiation");
    assert_eq!(line["speaker"], local);
    speaker.write_all(&monitoring[10..]).await.expect("write");
    let line = next_line(&mut lines).await;
    assert_eq!(line["type"], "route_monitoring");
    assert_eq!(line["peer"]["address"], "192.0.2.9");
    assert_eq!(line["peer"]["peer_as"], 65009);
    let announced: Vec<&str> = line["announced"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        announced,
        ["198.51.0.0/24", "198.51.1.0/24", "198.51.2.0/24"]
    );
    assert_eq!(line["raw"], bgpd::wire::to_hex(&monitoring));
}

#[tokio::test]
async fn a_broken_stream_closes_only_that_speaker() {
    let (addr, mut lines) = start().await;
    let mut good = TcpStream::connect(addr).await.expect("connect");
    let mut bad = TcpStream::connect(addr).await.expect("connect");
    good.write_all(&initiation("good")).await.expect("write");
    assert_eq!(next_line(&mut lines).await["type"], "initiation");

    // BMP version 9: the stream cannot be framed.
    bad.write_all(&[9, 0, 0, 0, 6, 4]).await.expect("write");
    let mut buf = [0u8; 16];
    let read = timeout(WAIT, bad.read(&mut buf))
        .await
        .expect("closed in time");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "the collector closes the broken stream"
    );

    good.write_all(&route_monitoring(1)).await.expect("write");
    let line = next_line(&mut lines).await;
    assert_eq!(line["type"], "route_monitoring");
    assert_eq!(line["announced"][0], "198.51.0.0/24");
}

#[tokio::test]
async fn a_message_that_does_not_decode_closes_the_connection() {
    let (addr, mut lines) = start().await;
    let mut speaker = TcpStream::connect(addr).await.expect("connect");
    // Well framed, but a Route Monitoring whose body is too short for the
    // per-peer header.
    speaker
        .write_all(&[3, 0, 0, 0, 10, 0, 1, 2, 3, 4])
        .await
        .expect("write");
    let mut buf = [0u8; 16];
    let read = timeout(WAIT, speaker.read(&mut buf))
        .await
        .expect("closed in time");
    assert!(matches!(read, Ok(0) | Err(_)));
    assert!(
        timeout(Duration::from_millis(200), lines.recv())
            .await
            .is_err(),
        "no line for it"
    );
}
