//! The daemon's BMP wiring: stations from `[[bmp-servers]]` are dialled at
//! start, added on reload, and stopped with the daemon.

mod common;

use std::net::Ipv4Addr;

use bytes::BytesMut;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

use bgpd::config;
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
