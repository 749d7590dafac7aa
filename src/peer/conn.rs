//! One TCP connection of a peer: connect (TTL, GTSM and TCP MD5 set
//! before the SYN), and the reader task that frames messages.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, BufWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::sockopt;
use crate::config::Transport;
use crate::wire::bgp::{self, DecodeError};

/// What a connection's helper tasks report to the peer task.
#[derive(Debug)]
pub enum Io {
    /// An outgoing connection attempt finished.
    Connected {
        /// Attempt id.
        id: u64,
        /// The stream, or why it failed.
        result: io::Result<TcpStream>,
    },
    /// Whole messages read by one system call, in order.
    Frames {
        /// Connection id.
        id: u64,
        /// The messages, header included.
        frames: Vec<Bytes>,
        /// When they were read.
        received_at: SystemTime,
    },
    /// The framer found a bad header.
    FramingError {
        /// Connection id.
        id: u64,
        /// What was wrong.
        error: DecodeError,
    },
    /// The peer closed the connection or reading failed.
    Closed {
        /// Connection id.
        id: u64,
    },
}

/// An open connection: the write half (buffered) and the reader task.
#[derive(Debug)]
pub struct Conn {
    /// Connection id (matches [`Io`] reports).
    pub id: u64,
    /// Buffered writer: flushed when the peer task's queue is empty.
    pub writer: BufWriter<OwnedWriteHalf>,
    /// Our end.
    pub local: SocketAddr,
    /// The peer's end.
    pub remote: SocketAddr,
    reader: JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Conn {
    /// Takes over `stream`: sets the TTL and GTSM's minimum TTL (again,
    /// for an outgoing connection: an accepted one gets them here, before
    /// the OPEN exchange), spawns the reader.
    pub fn new(
        id: u64,
        stream: TcpStream,
        transport: &Transport,
        io: mpsc::Sender<Io>,
    ) -> io::Result<Conn> {
        sockopt::set_session_ttls(&stream, transport)?;
        stream.set_nodelay(true)?;
        let local = stream.local_addr()?;
        let remote = stream.peer_addr()?;
        let (read, write) = stream.into_split();
        let reader = tokio::spawn(read_frames(id, read, io));
        Ok(Conn {
            id,
            writer: BufWriter::with_capacity(64 * 1024, write),
            local,
            remote,
            reader,
        })
    }
}

/// Bytes asked of the socket per read, at most.
const READ_CHUNK: usize = 64 * 1024;

/// Reads messages with [`bgp::frame_len`] and reports them, those of one
/// read together.
///
/// The largest length accepted here is 65535; the FSM checks each message
/// against the session's maximum (4096 without Extended Message).
async fn read_frames(id: u64, mut read: OwnedReadHalf, io: mpsc::Sender<Io>) {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    loop {
        let mut frames = Vec::new();
        let framing = loop {
            match bgp::frame_len(&buf, bgp::MAX_EXTENDED_MESSAGE_LEN) {
                Ok(Some(len)) => frames.push(buf.split_to(len).freeze()),
                Ok(None) => break Ok(()),
                Err(error) => break Err(error),
            }
        };
        if !frames.is_empty() {
            let batch = Io::Frames {
                id,
                frames,
                received_at: SystemTime::now(),
            };
            if io.send(batch).await.is_err() {
                return;
            }
        }
        if let Err(error) = framing {
            let _ = io.send(Io::FramingError { id, error }).await;
            return;
        }
        // Room for many messages per read: a full table arrives in few
        // system calls and few buffers (frames keep theirs alive).
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK);
        }
        match read.read_buf(&mut buf).await {
            Ok(n) if n > 0 => {}
            _ => {
                let _ = io.send(Io::Closed { id }).await;
                return;
            }
        }
    }
}

/// Connects to the peer from `transport.local-address` (and local port)
/// when set, with the TTL, GTSM and the TCP MD5 key (`password`) set
/// before the SYN; reports the result as [`Io::Connected`].
pub fn spawn_connect(
    id: u64,
    address: IpAddr,
    transport: Transport,
    password: Option<String>,
    io: mpsc::Sender<Io>,
) {
    tokio::spawn(async move {
        let result = connect(address, &transport, password.as_deref()).await;
        let _ = io.send(Io::Connected { id, result }).await;
    });
}

/// An outgoing connection with the session's socket options.
pub async fn connect(
    address: IpAddr,
    transport: &Transport,
    password: Option<&str>,
) -> io::Result<TcpStream> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    sockopt::set_session_ttls(&socket, transport)?;
    if let Some(password) = password {
        sockopt::set_md5(&socket, address, None, password.as_bytes())?;
    }
    if transport.local_address.is_some() || transport.local_port != 0 {
        let ip = transport.local_address.unwrap_or(if address.is_ipv4() {
            IpAddr::from([0u8; 4])
        } else {
            IpAddr::from([0u16; 8])
        });
        if transport.local_port != 0 {
            socket.set_reuseaddr(true)?;
        }
        socket.bind(SocketAddr::new(ip, transport.local_port))?;
    }
    socket
        .connect(SocketAddr::new(address, transport.remote_port))
        .await
}
