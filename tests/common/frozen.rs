//! Paused time with real sockets.
//!
//! In a paused runtime tokio advances the clock to the next timer whenever
//! it has nothing to run. It polls the sockets without waiting first, but
//! jumps even when one was ready (tokio 1.54, `park_thread_timeout` in
//! `runtime/time/mod.rs`: only a wake from another thread stops the jump).
//! So in a test that waits for a reply with time running, timers fire
//! between a message and its reply: every round trip costs a jump to the
//! next deadline (the hold timer, a test timeout). These helpers keep the
//! two apart:
//!
//! - [`Frozen`] holds a blocking task, which stops auto-advance (tokio's
//!   documented way, "Preventing auto-advance" in `tokio::time::pause`):
//!   while it lives, virtual time stands still and sockets work in real
//!   time. Every exchange with the daemon happens frozen.
//! - [`run_until`] thaws, sleeps to a virtual instant (every timer up to
//!   it fires, in order) and freezes again. The test runs it only while
//!   its peer has nothing to send, so no socket is waiting either.
//! - [`SyncPeer`] is a fake peer on a std socket whose reads run as
//!   blocking tasks bounded in real time, never on tokio's clock.
//!
//! Waits here count real time (`std::time::Instant`): tokio's timeouts do
//! not move while frozen.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use bgpd::peer::Observed;
use bgpd::wire::bgp::{self, Message, Negotiated, Open};
use bytes::BytesMut;
use tokio::net::TcpSocket;
use tokio::task::{spawn_blocking, JoinHandle};
use tokio::time::Instant;

use super::{Running, WAIT};

/// How long a [`Frozen`] holds at most, in real time (then time runs
/// again and the test fails on its own checks rather than hanging).
const FROZEN_LIMIT: Duration = Duration::from_secs(60);

/// How long a peer listens, in real time, to conclude that the daemon has
/// sent nothing more: its pending work runs in microseconds while frozen.
pub const QUIET: Duration = Duration::from_millis(300);

/// Virtual time stands still while this lives.
pub struct Frozen {
    release: std_mpsc::Sender<()>,
    task: JoinHandle<()>,
}

impl Frozen {
    /// Stops auto-advance now (tokio counts the blocking task from
    /// `spawn_blocking` on).
    pub fn new() -> Frozen {
        let (release, released) = std_mpsc::channel::<()>();
        let task = spawn_blocking(move || {
            let _ = released.recv_timeout(FROZEN_LIMIT);
        });
        Frozen { release, task }
    }

    /// Lets time run again once the blocking task has ended.
    pub async fn thaw(self) {
        drop(self.release);
        self.task.await.expect("the freezing task ends");
    }
}

/// Thaws, lets virtual time run to `at` with every timer up to it firing in
/// order, and freezes again.
pub async fn run_until(frozen: Frozen, at: Instant) -> Frozen {
    frozen.thaw().await;
    tokio::time::sleep_until(at).await;
    Frozen::new()
}

/// Sleeps `duration` of real time without blocking the runtime.
pub async fn real_sleep(duration: Duration) {
    spawn_blocking(move || std::thread::sleep(duration))
        .await
        .expect("sleeper");
}

/// The next session change, waiting up to [`WAIT`] of real time.
pub async fn observed_frozen(running: &mut Running) -> Observed {
    for _ in 0..WAIT.as_millis() / 10 {
        if let Ok(observed) = running.observed.try_recv() {
            return observed;
        }
        real_sleep(Duration::from_millis(10)).await;
    }
    panic!("no session change within {WAIT:?}");
}

/// What the peer heard.
#[derive(Debug, PartialEq)]
pub enum Heard {
    /// A whole message.
    Message(Message),
    /// The daemon closed (or reset) the connection.
    Closed,
    /// Nothing within the wait.
    Silent,
}

/// A fake peer on a blocking socket.
pub struct SyncPeer {
    stream: TcpStream,
    buf: BytesMut,
    /// The session context once OPENs were exchanged.
    pub cx: Negotiated,
}

impl SyncPeer {
    /// Connects from `source` to `daemon`, retrying (in real time) until
    /// it listens.
    pub async fn connect(source: &str, daemon: SocketAddr) -> SyncPeer {
        let source: IpAddr = source.parse().expect("ip");
        for _ in 0..200 {
            let socket = TcpSocket::new_v4().expect("socket");
            socket
                .bind(SocketAddr::new(source, 0))
                .expect("bind source");
            if let Ok(stream) = socket.connect(daemon).await {
                let stream = stream.into_std().expect("std stream");
                stream.set_nonblocking(false).expect("blocking");
                return SyncPeer {
                    stream,
                    buf: BytesMut::new(),
                    cx: Negotiated::default(),
                };
            }
            real_sleep(Duration::from_millis(10)).await;
        }
        panic!("daemon never listened on {daemon}");
    }

    /// Encodes and writes `message` (a few octets into an empty socket
    /// buffer: it does not block).
    pub fn send(&mut self, message: Message) {
        let bytes = message.to_bytes(&self.cx).expect("encode");
        self.stream.write_all(&bytes).expect("write");
    }

    /// The next message, waiting up to `within` of real time.
    pub async fn next(&mut self, within: Duration) -> Heard {
        let mut stream = self.stream.try_clone().expect("clone the socket");
        let buf = std::mem::take(&mut self.buf);
        let (buf, frame) = spawn_blocking(move || read_frame(&mut stream, buf, within))
            .await
            .expect("reader");
        self.buf = buf;
        match frame {
            Frame::Bytes(bytes) => {
                Heard::Message(Message::decode(bytes, &self.cx).expect("decode"))
            }
            Frame::Closed => Heard::Closed,
            Frame::Silent => Heard::Silent,
        }
    }

    /// Asserts that the next message comes within [`WAIT`] and is
    /// `message`.
    pub async fn expect(&mut self, message: Message) {
        assert_eq!(self.next(WAIT).await, Heard::Message(message));
    }

    /// Asserts that the daemon sends nothing for [`QUIET`]; `when` names
    /// the moment for the failure message.
    pub async fn expect_quiet(&mut self, when: &str) {
        let heard = self.next(QUIET).await;
        assert_eq!(heard, Heard::Silent, "{when}");
    }

    /// Sends `open`, expects the daemon's OPEN then KEEPALIVE, answers
    /// KEEPALIVE; returns the daemon's OPEN.
    pub async fn handshake(&mut self, open: Open) -> Open {
        self.send(Message::Open(open.clone()));
        let Heard::Message(Message::Open(theirs)) = self.next(WAIT).await else {
            panic!("expected OPEN");
        };
        self.cx = Negotiated::from_opens(&open, &theirs);
        self.expect(Message::Keepalive).await;
        self.send(Message::Keepalive);
        theirs
    }
}

enum Frame {
    Bytes(bytes::Bytes),
    Closed,
    Silent,
}

/// Reads until `buf` holds a whole message, the connection ends, or
/// `within` (real time) passes.
fn read_frame(stream: &mut TcpStream, mut buf: BytesMut, within: Duration) -> (BytesMut, Frame) {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(len) = bgp::frame_len(&buf, 65535).expect("framing") {
            let bytes = buf.split_to(len).freeze();
            return (buf, Frame::Bytes(bytes));
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return (buf, Frame::Silent);
        }
        stream.set_read_timeout(Some(left)).expect("read timeout");
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk) {
            Ok(0) => return (buf, Frame::Closed),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return (buf, Frame::Closed),
        }
    }
}
