//! Stopping BMP clients while the daemon stops: the rib ends before the
//! clients are told to stop, and every station must still get its
//! Termination.

use std::net::Ipv4Addr;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

use bgpd::bmp::{self, Local};
use bgpd::config::BmpServer;
use bgpd::rib::monitor::Request;
use bgpd::wire::bmp::{frame_len, Message, TerminationReason, TerminationTlv};

const WAIT: Duration = Duration::from_secs(10);

/// The next BMP message, or `None` when the stream ends.
async fn next(stream: &mut TcpStream, buf: &mut BytesMut) -> Option<Message> {
    loop {
        if let Some(len) = frame_len(buf).expect("frames") {
            return Some(Message::decode(buf.split_to(len).freeze()).expect("decodes"));
        }
        let n = timeout(WAIT, stream.read_buf(buf))
            .await
            .expect("data in time")
            .unwrap_or(0);
        if n == 0 {
            assert!(buf.is_empty(), "stream ends inside a message");
            return None;
        }
    }
}

#[tokio::test]
async fn a_station_gets_its_termination_after_the_rib_ended() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (requests, mut rib) = mpsc::channel(8);
    let local = Local {
        asn: 65001,
        router_id: Ipv4Addr::new(192, 0, 2, 1),
    };
    let options = bmp::Options {
        connect_timeout: Duration::from_secs(2),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        stop_timeout: Duration::from_secs(1),
    };
    let handle = bmp::spawn_with(
        &[BmpServer::new("127.0.0.1", port)],
        local,
        requests,
        options,
    );
    let (mut stream, _) = timeout(WAIT, listener.accept())
        .await
        .expect("the client dials in time")
        .expect("accept");
    let mut buf = BytesMut::new();
    assert!(matches!(
        next(&mut stream, &mut buf).await,
        Some(Message::Initiation(_))
    ));

    // The rib takes the subscription, then ends (as when the daemon stops).
    let request = timeout(WAIT, rib.recv())
        .await
        .expect("a subscription in time");
    assert!(matches!(request, Some(Request::Subscribe(_))));
    drop(request);
    drop(rib);
    // Time for the client to see its subscription end with the rib.
    tokio::time::sleep(Duration::from_millis(300)).await;

    handle.shutdown().await;
    match next(&mut stream, &mut buf).await {
        Some(Message::Termination(t)) => assert!(
            t.information.contains(&TerminationTlv::Reason(
                TerminationReason::AdministrativelyClosed
            )),
            "{:?}",
            t.information
        ),
        other => panic!("expected Termination, got {other:?}"),
    }
    assert!(next(&mut stream, &mut buf).await.is_none());
}
