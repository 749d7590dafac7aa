//! BGP load injector and receiver for end-to-end benchmarks (issue 3).
//!
//! ```text
//! # both halves in one process (default): a receiver session first, then a
//! # sender that writes a pre-encoded table; prints one JSON line
//! cargo run --release --example inject -- --daemon bgpd --connect 127.0.0.1:10179
//! # only send, or only receive (a start time in Unix nanoseconds can be given)
//! cargo run --release --example inject -- --send ...
//! cargo run --release --example inject -- --receive --start-unix-ns 1700000000000000000 ...
//! # quick start: announce 1000 routes and keep the session up until Ctrl-C
//! cargo run --release --example inject -- --announce 1000 --hold --connect 127.0.0.1:179
//! ```
//!
//! The whole UPDATE stream is encoded before the sender connects, so the
//! injector costs nothing while the clock runs (see
//! `docs/performance.md`). IPv4 prefixes are /24s from 32.0.0.0 upward,
//! IPv6 prefixes /48s from 2a0f::/48 upward; K consecutive prefixes share
//! one attribute set (ORIGIN IGP, AS_PATH `SENDER 64512+s%256
//! 4200000000+s`, MED, two communities), one UPDATE per set (4096-octet
//! maximum). Next hops are 192.0.2.1 and 2001:db8::1, never loopback. The
//! paths stay clear of 64768..=65535, where benchmark daemons and peers live.
//!
//! The receiver counts distinct expected prefixes (a bitmap over the
//! generated ranges) and stops at the expected count. The clock runs from
//! the first byte the sender writes to the UPDATE that completes the set.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bgpd::wire::bgp::{
    self, AsPath, AttrValue, Capability, Community, Message, Negotiated, NextHop, Nlri, Open,
    Origin, PathAttribute,
};
use bgpd::wire::Family;
use bytes::{Bytes, BytesMut};
use clap::Parser;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpSocket;
use tokio::sync::watch;

type Error = Box<dyn std::error::Error + Send + Sync>;
type Result<T> = std::result::Result<T, Error>;

/// First IPv4 prefix (32.0.0.0/24); 2^24 /24s fit above it, we allow 8M.
const V4_BASE: u32 = 0x2000_0000;
const V4_MAX: u64 = 8 << 20;
/// First IPv6 /48 (2a0f::/48), as the top 48 bits.
const V6_BASE: u64 = 0x2a0f_0000_0000;
const V6_MAX: u64 = 1 << 32;
/// Pre-encoded messages are written in chunks of about this size.
const CHUNK: usize = 64 * 1024;
/// Proposed hold time (seconds).
const HOLD_TIME: u16 = 90;

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "BGP injector/receiver for end-to-end benchmarks")]
struct Args {
    /// Daemon name, copied into the JSON result.
    #[arg(long, default_value = "bgpd")]
    daemon: String,
    /// The speaker under test.
    #[arg(long, default_value = "127.0.0.1:10179")]
    connect: SocketAddr,
    /// Only run the sender.
    #[arg(long, conflicts_with = "receive")]
    send: bool,
    /// Only run the receiver.
    #[arg(long)]
    receive: bool,
    /// Quick mode: announce this many IPv4 routes (plus --ipv6, default 0
    /// here) from the sender session.
    #[arg(long, conflicts_with_all = ["send", "receive"])]
    announce: Option<u64>,
    /// With --announce: keep the session up until Ctrl-C (or --hold-max).
    #[arg(long, requires = "announce")]
    hold: bool,
    /// Upper bound of --hold, seconds.
    #[arg(long, default_value_t = 86_400)]
    hold_max: u64,
    /// IPv4 /24 prefixes to send / expect.
    #[arg(long, default_value_t = 1_000_000)]
    ipv4: u64,
    /// IPv6 /48 prefixes to send / expect (0 by default with --announce).
    #[arg(long)]
    ipv6: Option<u64>,
    /// Prefixes sharing one attribute set (one UPDATE each).
    #[arg(long, default_value_t = 4)]
    per_set: u64,
    /// Source address of the sender session.
    #[arg(long, default_value = "127.0.0.2")]
    sender_local: IpAddr,
    /// AS of the sender.
    #[arg(long, default_value_t = 65001)]
    sender_as: u32,
    /// Source address of the receiver session.
    #[arg(long, default_value = "127.0.0.3")]
    receiver_local: IpAddr,
    /// AS of the receiver.
    #[arg(long, default_value_t = 65002)]
    receiver_as: u32,
    /// IPv4 next hop of the announced routes.
    #[arg(long, default_value = "192.0.2.1")]
    next_hop4: Ipv4Addr,
    /// IPv6 next hop of the announced routes.
    #[arg(long, default_value = "2001:db8::1")]
    next_hop6: Ipv6Addr,
    /// Receiver only: the clock's start, Unix time in nanoseconds (default:
    /// the first UPDATE received).
    #[arg(long)]
    start_unix_ns: Option<u128>,
    /// Seconds allowed for each session to reach Established.
    #[arg(long, default_value_t = 30)]
    establish_timeout: u64,
    /// Seconds allowed from the first byte sent to the last prefix received.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("inject: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("inject: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<bool> {
    if args.per_set == 0 {
        return Err("--per-set must be at least 1".into());
    }
    if let Some(n) = args.announce {
        return announce_and_hold(&args, n).await;
    }
    let ipv6 = args.ipv6.unwrap_or(10_000);
    check_counts(args.ipv4, ipv6)?;
    if args.receive {
        return receive_only(&args, ipv6).await;
    }
    let stream = Stream::build(&args, args.ipv4, ipv6)?;
    eprintln!(
        "inject: {} UPDATEs, {} bytes pre-encoded ({} IPv4 + {} IPv6, {} per set)",
        stream.updates, stream.bytes, args.ipv4, ipv6, args.per_set
    );
    if args.send {
        return send_only(&args, stream).await;
    }
    both(&args, stream, ipv6).await
}

fn check_counts(ipv4: u64, ipv6: u64) -> Result<()> {
    if ipv4 > V4_MAX || ipv6 > V6_MAX {
        return Err(format!("at most {V4_MAX} IPv4 and {V6_MAX} IPv6 prefixes").into());
    }
    Ok(())
}

// ------------------------------------------------------------------ stream

/// The pre-encoded UPDATE stream, End-of-RIB markers included.
struct Stream {
    chunks: Vec<Bytes>,
    updates: u64,
    bytes: usize,
}

/// The session context the stream is encoded for; the real session must
/// agree (checked after the OPEN exchange).
fn expected_cx() -> Negotiated {
    Negotiated {
        four_octet_as: true,
        extended_message: false,
        families: [Family::IPV4_UNICAST, Family::IPV6_UNICAST].into(),
        external: true,
        ..Negotiated::default()
    }
}

fn v4_prefix(i: u64) -> Result<IpNet> {
    let index = u32::try_from(i).map_err(|_| "IPv4 index out of range")?;
    let addr = V4_BASE
        .checked_add(index << 8)
        .ok_or("IPv4 index out of range")?;
    Ok(IpNet::V4(Ipv4Net::new(Ipv4Addr::from(addr), 24)?))
}

fn v6_prefix(i: u64) -> Result<IpNet> {
    let top = V6_BASE.checked_add(i).ok_or("IPv6 index out of range")?;
    let addr = Ipv6Addr::from(u128::from(top) << 80);
    Ok(IpNet::V6(Ipv6Net::new(addr, 48)?))
}

fn attributes(sender_as: u32, set: u64) -> Result<Vec<PathAttribute>> {
    let set32 = u32::try_from(set).map_err(|_| "too many attribute sets")?;
    let path = AsPath::from_sequence(vec![
        sender_as,
        64512 + set32 % 256,
        4_200_000_000u32
            .checked_add(set32)
            .ok_or("too many attribute sets")?,
    ]);
    let community_as = u16::try_from(sender_as).unwrap_or(65535);
    Ok(vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(path)),
        PathAttribute::new(AttrValue::MultiExitDisc(set32 % 1000)),
        PathAttribute::new(AttrValue::Communities(vec![
            Community::new(community_as, 100),
            Community::new(community_as, (set32 & 0xffff) as u16),
        ])),
    ])
}

impl Stream {
    fn build(args: &Args, ipv4: u64, ipv6: u64) -> Result<Stream> {
        let cx = expected_cx();
        let k = args.per_set;
        let mut messages: Vec<Bytes> = Vec::new();
        let mut set = 0u64;
        let families = [
            (Family::IPV4_UNICAST, ipv4, NextHop::V4(args.next_hop4)),
            (
                Family::IPV6_UNICAST,
                ipv6,
                NextHop::V6 {
                    global: args.next_hop6,
                    link_local: None,
                },
            ),
        ];
        for (family, count, next_hop) in families {
            let mut first = 0u64;
            while first < count {
                let last = count.min(first + k);
                let prefixes = (first..last)
                    .map(|i| {
                        let net = if family == Family::IPV4_UNICAST {
                            v4_prefix(i)?
                        } else {
                            v6_prefix(i)?
                        };
                        Ok(Nlri::new(net))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let attrs = attributes(args.sender_as, set)?;
                messages.extend(bgp::announce(&attrs, family, &next_hop, &prefixes, &cx)?);
                set += 1;
                first = last;
            }
        }
        let updates = messages.len() as u64;
        for family in [Family::IPV4_UNICAST, Family::IPV6_UNICAST] {
            messages.push(Message::Update(bgp::end_of_rib(family)).to_bytes(&cx)?);
        }
        let mut chunks = Vec::new();
        let mut chunk = BytesMut::with_capacity(CHUNK + bgp::MAX_MESSAGE_LEN);
        let mut bytes = 0;
        for message in &messages {
            bytes += message.len();
            chunk.extend_from_slice(message);
            if chunk.len() >= CHUNK {
                chunks.push(chunk.split().freeze());
            }
        }
        if !chunk.is_empty() {
            chunks.push(chunk.freeze());
        }
        Ok(Stream {
            chunks,
            updates,
            bytes,
        })
    }
}

// ------------------------------------------------------------------ sessions

/// An Established session.
struct Session {
    reader: Reader,
    writer: OwnedWriteHalf,
    keepalive: Option<Duration>,
}

/// Frames messages off the read half.
struct Reader {
    read: OwnedReadHalf,
    buf: BytesMut,
    cx: Negotiated,
}

impl Reader {
    /// The next whole message, or `None` at end of stream. Each read waits
    /// for the peer; callers bound it with a timeout.
    async fn next(&mut self) -> Result<Option<Bytes>> {
        loop {
            if let Some(len) = bgp::frame_len(&self.buf, self.cx.max_message_len())? {
                return Ok(Some(self.buf.split_to(len).freeze()));
            }
            self.buf.reserve(256 * 1024);
            if self.read.read_buf(&mut self.buf).await? == 0 {
                return Ok(None);
            }
        }
    }
}

fn router_id(local: IpAddr, fallback: Ipv4Addr) -> Ipv4Addr {
    match local {
        IpAddr::V4(v4) if !v4.is_unspecified() => v4,
        _ => fallback,
    }
}

fn keepalive_bytes() -> Result<Bytes> {
    Ok(Message::Keepalive.to_bytes(&Negotiated::default())?)
}

/// Connects from `local` to `remote` as `asn` and completes the OPEN /
/// KEEPALIVE exchange within `limit`.
/// Opens the sending session as `args` configure it.
async fn establish_sender(args: &Args) -> Result<Session> {
    establish(
        args.sender_local,
        args.connect,
        args.sender_as,
        router_id(args.sender_local, Ipv4Addr::new(192, 0, 2, 201)),
        Duration::from_secs(args.establish_timeout),
    )
    .await
}

async fn establish(
    local: IpAddr,
    remote: SocketAddr,
    asn: u32,
    bgp_id: Ipv4Addr,
    limit: Duration,
) -> Result<Session> {
    let work = async {
        let socket = match remote {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        socket.bind(SocketAddr::new(local, 0))?;
        let stream = socket.connect(remote).await?;
        stream.set_nodelay(true)?;
        let (read, mut writer) = stream.into_split();
        let open = Open::new(
            asn,
            HOLD_TIME,
            bgp_id,
            vec![
                Capability::Multiprotocol(Family::IPV4_UNICAST),
                Capability::Multiprotocol(Family::IPV6_UNICAST),
                Capability::RouteRefresh,
                Capability::FourOctetAs(asn),
            ],
        );
        writer
            .write_all(&Message::Open(open.clone()).to_bytes(&Negotiated::default())?)
            .await?;
        let mut reader = Reader {
            read,
            buf: BytesMut::new(),
            cx: Negotiated::default(),
        };
        let mut hold = HOLD_TIME;
        // OPEN, then KEEPALIVE: at most a handful of messages, bounded by
        // `limit` around this block.
        loop {
            let msg = reader
                .next()
                .await?
                .ok_or("connection closed during OPEN")?;
            match Message::decode(msg, &reader.cx)? {
                Message::Open(theirs) => {
                    reader.cx = Negotiated::from_opens(&open, &theirs);
                    hold = hold.min(theirs.hold_time);
                    writer.write_all(&keepalive_bytes()?).await?;
                }
                Message::Keepalive => break,
                Message::Notification(n) => {
                    return Err(format!("NOTIFICATION during OPEN: {n:?}").into())
                }
                other => {
                    return Err(format!("unexpected {:?} during OPEN", other.message_type()).into())
                }
            }
        }
        let want = expected_cx();
        if !reader.cx.four_octet_as || reader.cx.families != want.families {
            return Err(format!(
                "session to {remote} negotiated {:?}, need 4-octet AS and IPv4+IPv6 unicast",
                reader.cx
            )
            .into());
        }
        let keepalive = (hold > 0).then(|| Duration::from_secs(u64::from(hold / 3).max(1)));
        Ok::<Session, Error>(Session {
            reader,
            writer,
            keepalive,
        })
    };
    tokio::time::timeout(limit, work)
        .await
        .map_err(|_| format!("session from {local} to {remote} not Established in {limit:?}"))?
}

/// Writes `chunks`, then keeps the session alive with KEEPALIVEs until
/// `stop` changes. Sends the time of the first byte written on `first`.
async fn write_task(
    mut writer: OwnedWriteHalf,
    chunks: Vec<Bytes>,
    keepalive: Option<Duration>,
    first: tokio::sync::oneshot::Sender<(Instant, SystemTime)>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let ka = keepalive_bytes()?;
    let every = keepalive.unwrap_or(Duration::from_secs(3600));
    let mut first = Some(first);
    let mut last_keepalive = Instant::now();
    for chunk in &chunks {
        if let Some(tx) = first.take() {
            // The receiver may be gone; the time is then unused.
            let _ = tx.send((Instant::now(), SystemTime::now()));
        }
        writer.write_all(chunk).await?;
        if keepalive.is_some() && last_keepalive.elapsed() >= every {
            writer.write_all(&ka).await?;
            last_keepalive = Instant::now();
        }
    }
    if let Some(tx) = first.take() {
        let _ = tx.send((Instant::now(), SystemTime::now()));
    }
    // Bounded by `stop` (set on completion or timeout by the caller).
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {
                if keepalive.is_some() {
                    writer.write_all(&ka).await?;
                }
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return Ok(());
                }
            }
        }
    }
}

/// Reads and discards what the daemon sends on the sender session,
/// reporting NOTIFICATIONs. Ends at end of stream or on `stop`.
async fn drain_task(mut reader: Reader, mut stop: watch::Receiver<bool>) -> Result<()> {
    loop {
        tokio::select! {
            msg = reader.next() => {
                let Some(msg) = msg? else { return Ok(()) };
                if msg.get(18) == Some(&3) {
                    let decoded = Message::decode(msg, &reader.cx);
                    return Err(format!("sender got a NOTIFICATION: {decoded:?}").into());
                }
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return Ok(());
                }
            }
        }
    }
}

/// What the receiver saw.
#[derive(Debug, Default, Clone)]
struct Count {
    ipv4: u64,
    ipv6: u64,
    messages: u64,
    updates: u64,
    bytes: u64,
    /// Prefixes outside the generated ranges.
    other: u64,
    /// When the expected count was reached.
    done: Option<Instant>,
    /// When the first UPDATE arrived.
    first_update: Option<(Instant, SystemTime)>,
}

struct Bitmap(Vec<u64>);

impl Bitmap {
    fn new(len: u64) -> Bitmap {
        Bitmap(vec![0; usize::try_from(len.div_ceil(64)).unwrap_or(0)])
    }
    /// Sets bit `i`; true when it was clear.
    fn set(&mut self, i: u64) -> bool {
        let Some(word) = usize::try_from(i / 64).ok().and_then(|w| self.0.get_mut(w)) else {
            return false;
        };
        let bit = 1u64 << (i % 64);
        let fresh = *word & bit == 0;
        *word |= bit;
        fresh
    }
}

fn v4_index(net: &Ipv4Net, count: u64) -> Option<u64> {
    let addr = u32::from(net.addr());
    if net.prefix_len() != 24 || addr < V4_BASE {
        return None;
    }
    let i = u64::from((addr - V4_BASE) >> 8);
    (i < count).then_some(i)
}

fn v6_index(net: &Ipv6Net, count: u64) -> Option<u64> {
    let top = u64::try_from(u128::from(net.addr()) >> 80).ok()?;
    if net.prefix_len() != 48 || top < V6_BASE {
        return None;
    }
    let i = top - V6_BASE;
    (i < count).then_some(i)
}

/// Counts distinct expected prefixes until `ipv4` + `ipv6` are in, the
/// session ends or `stop` is set. Progress is published on `progress`.
async fn receive_task(
    mut reader: Reader,
    ipv4: u64,
    ipv6: u64,
    progress: watch::Sender<Count>,
    mut stop: watch::Receiver<bool>,
) -> Result<Count> {
    let mut seen4 = Bitmap::new(ipv4);
    let mut seen6 = Bitmap::new(ipv6);
    let mut count = Count::default();
    let mut last_publish = Instant::now();
    // Bounded by the session and by `stop`.
    loop {
        if count.ipv4 >= ipv4 && count.ipv6 >= ipv6 {
            count.done = Some(Instant::now());
            progress.send_replace(count.clone());
            return Ok(count);
        }
        let msg = tokio::select! {
            msg = reader.next() => msg?,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    progress.send_replace(count.clone());
                    return Ok(count);
                }
                continue;
            }
        };
        let Some(msg) = msg else {
            progress.send_replace(count.clone());
            return Err("receiver session closed".into());
        };
        count.messages += 1;
        count.bytes += msg.len() as u64;
        match Message::decode(msg, &reader.cx)? {
            Message::Update(update) => {
                count.updates += 1;
                if count.first_update.is_none() {
                    count.first_update = Some((Instant::now(), SystemTime::now()));
                }
                for (_, nlri) in update.announced() {
                    let fresh = match &nlri.prefix {
                        IpNet::V4(net) => v4_index(net, ipv4).map(|i| (seen4.set(i), true)),
                        IpNet::V6(net) => v6_index(net, ipv6).map(|i| (seen6.set(i), false)),
                    };
                    match fresh {
                        Some((true, true)) => count.ipv4 += 1,
                        Some((true, false)) => count.ipv6 += 1,
                        Some((false, _)) => {}
                        None => count.other += 1,
                    }
                }
            }
            Message::Notification(n) => {
                return Err(format!("receiver got a NOTIFICATION: {n:?}").into())
            }
            _ => {}
        }
        if last_publish.elapsed() >= Duration::from_millis(200) {
            progress.send_replace(count.clone());
            last_publish = Instant::now();
        }
    }
}

/// Spawns the keepalive writer for a session that sends nothing else.
fn keep_alive_only(
    writer: OwnedWriteHalf,
    keepalive: Option<Duration>,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<Result<()>> {
    let (tx, _rx) = tokio::sync::oneshot::channel();
    tokio::spawn(write_task(writer, Vec::new(), keepalive, tx, stop))
}

// ------------------------------------------------------------------ modes

async fn both(args: &Args, stream: Stream, ipv6: u64) -> Result<bool> {
    let limit = Duration::from_secs(args.establish_timeout);
    let (stop_tx, stop_rx) = watch::channel(false);
    let receiver = establish(
        args.receiver_local,
        args.connect,
        args.receiver_as,
        router_id(args.receiver_local, Ipv4Addr::new(192, 0, 2, 202)),
        limit,
    )
    .await?;
    let recv_keepalive = keep_alive_only(receiver.writer, receiver.keepalive, stop_rx.clone());
    let (progress_tx, mut progress_rx) = watch::channel(Count::default());
    let recv = tokio::spawn(receive_task(
        receiver.reader,
        args.ipv4,
        ipv6,
        progress_tx,
        stop_rx.clone(),
    ));
    let sender = establish(
        args.sender_local,
        args.connect,
        args.sender_as,
        router_id(args.sender_local, Ipv4Addr::new(192, 0, 2, 201)),
        limit,
    )
    .await?;
    let (first_tx, first_rx) = tokio::sync::oneshot::channel();
    let updates_sent = stream.updates;
    let send = tokio::spawn(write_task(
        sender.writer,
        stream.chunks,
        sender.keepalive,
        first_tx,
        stop_rx.clone(),
    ));
    let drain = tokio::spawn(drain_task(sender.reader, stop_rx.clone()));
    let (start, _) = first_rx.await.map_err(|_| "sender ended before writing")?;
    let timeout = Duration::from_secs(args.timeout);
    let finished = async {
        // Wait for the receiver to reach the count; bounded by `timeout`.
        loop {
            if progress_rx.borrow().done.is_some() {
                return;
            }
            if progress_rx.changed().await.is_err() {
                return;
            }
        }
    };
    let timed_out = tokio::time::timeout(timeout, finished).await.is_err();
    stop_tx.send_replace(true);
    let count = match tokio::time::timeout(Duration::from_secs(5), recv).await {
        Ok(Ok(Ok(count))) => count,
        Ok(Ok(Err(e))) => {
            eprintln!("inject: receiver: {e}");
            progress_rx.borrow().clone()
        }
        _ => progress_rx.borrow().clone(),
    };
    for (name, task) in [
        ("sender", send),
        ("drain", drain),
        ("receiver keepalive", recv_keepalive),
    ] {
        match tokio::time::timeout(Duration::from_secs(5), task).await {
            Ok(Ok(Err(e))) => eprintln!("inject: {name}: {e}"),
            Ok(Err(e)) => eprintln!("inject: {name} task: {e}"),
            Err(_) => eprintln!("inject: {name} did not stop"),
            Ok(Ok(Ok(()))) => {}
        }
    }
    let complete = count.done.is_some() && !timed_out;
    let seconds = count
        .done
        .map(|done| done.saturating_duration_since(start).as_secs_f64());
    let first_seen = count
        .first_update
        .map(|(t, _)| t.saturating_duration_since(start).as_secs_f64());
    let line = serde_json::json!({
        "daemon": args.daemon,
        "ipv4": count.ipv4,
        "ipv6": count.ipv6,
        "expected_ipv4": args.ipv4,
        "expected_ipv6": ipv6,
        "per_set": args.per_set,
        "seconds": seconds,
        "first_update_seconds": first_seen,
        "complete": complete,
        "updates_sent": updates_sent,
        "bytes_sent": stream.bytes,
        "messages_received": count.messages,
        "updates_received": count.updates,
        "bytes_received": count.bytes,
        "other_prefixes": count.other,
    });
    println!("{line}");
    Ok(complete)
}

fn unix_ns(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

async fn send_only(args: &Args, stream: Stream) -> Result<bool> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let sender = establish_sender(args).await?;
    let (first_tx, first_rx) = tokio::sync::oneshot::channel();
    let updates = stream.updates;
    let send = tokio::spawn(write_task(
        sender.writer,
        stream.chunks,
        sender.keepalive,
        first_tx,
        stop_rx.clone(),
    ));
    let drain = tokio::spawn(drain_task(sender.reader, stop_rx));
    let (_, first) = first_rx.await.map_err(|_| "sender ended before writing")?;
    println!(
        "{}",
        serde_json::json!({"daemon": args.daemon, "first_byte_unix_ns": unix_ns(first).to_string(), "updates_sent": updates, "bytes_sent": stream.bytes})
    );
    // Keep the session up so the daemon keeps the routes, until the
    // timeout or Ctrl-C.
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs(args.timeout)) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    stop_tx.send_replace(true);
    for task in [send, drain] {
        if let Ok(Ok(Err(e))) = tokio::time::timeout(Duration::from_secs(5), task).await {
            eprintln!("inject: {e}");
        }
    }
    Ok(true)
}

async fn receive_only(args: &Args, ipv6: u64) -> Result<bool> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let receiver = establish(
        args.receiver_local,
        args.connect,
        args.receiver_as,
        router_id(args.receiver_local, Ipv4Addr::new(192, 0, 2, 202)),
        Duration::from_secs(args.establish_timeout),
    )
    .await?;
    eprintln!("inject: receiver Established");
    let keep = keep_alive_only(receiver.writer, receiver.keepalive, stop_rx.clone());
    let (progress_tx, progress_rx) = watch::channel(Count::default());
    let recv = tokio::spawn(receive_task(
        receiver.reader,
        args.ipv4,
        ipv6,
        progress_tx,
        stop_rx,
    ));
    let result = tokio::time::timeout(Duration::from_secs(args.timeout), recv).await;
    stop_tx.send_replace(true);
    let count = match result {
        Ok(Ok(Ok(count))) => count,
        Ok(Ok(Err(e))) => {
            eprintln!("inject: receiver: {e}");
            progress_rx.borrow().clone()
        }
        _ => progress_rx.borrow().clone(),
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), keep).await;
    let done_wall = count.done.map(|done| {
        SystemTime::now()
            .checked_sub(done.elapsed())
            .unwrap_or(UNIX_EPOCH)
    });
    let start_ns = args
        .start_unix_ns
        .or_else(|| count.first_update.map(|(_, wall)| unix_ns(wall)));
    let seconds = match (done_wall, start_ns) {
        (Some(done), Some(start)) => Some(unix_ns(done).saturating_sub(start) as f64 / 1e9),
        _ => None,
    };
    println!(
        "{}",
        serde_json::json!({
            "daemon": args.daemon, "ipv4": count.ipv4, "ipv6": count.ipv6,
            "seconds": seconds, "complete": count.done.is_some(),
            "messages_received": count.messages, "updates_received": count.updates,
            "bytes_received": count.bytes, "other_prefixes": count.other,
        })
    );
    Ok(count.done.is_some())
}

async fn announce_and_hold(args: &Args, n: u64) -> Result<bool> {
    let ipv6 = args.ipv6.unwrap_or(0);
    check_counts(n, ipv6)?;
    let stream = Stream::build(args, n, ipv6)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let sender = establish_sender(args).await?;
    let (first_tx, _first_rx) = tokio::sync::oneshot::channel();
    let updates = stream.updates;
    let mut send = tokio::spawn(write_task(
        sender.writer,
        stream.chunks,
        sender.keepalive,
        first_tx,
        stop_rx.clone(),
    ));
    let mut drain = tokio::spawn(drain_task(sender.reader, stop_rx));
    eprintln!(
        "inject: announced {n} IPv4 /24s from {} and {ipv6} IPv6 /48s from {} ({updates} UPDATEs, AS {})",
        v4_prefix(0)?,
        v6_prefix(0)?,
        args.sender_as
    );
    if !args.hold {
        // Give the writer a moment to flush, then close.
        let _ = tokio::time::timeout(Duration::from_secs(args.timeout), async {
            tokio::time::sleep(Duration::from_secs(1)).await;
        })
        .await;
        stop_tx.send_replace(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), send).await;
        return Ok(true);
    }
    eprintln!("inject: holding the session; Ctrl-C to stop");
    let mut ok = true;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = tokio::time::sleep(Duration::from_secs(args.hold_max)) => {}
        r = &mut drain => {
            eprintln!("inject: session ended: {r:?}");
            ok = false;
        }
        r = &mut send => {
            eprintln!("inject: writer ended: {r:?}");
            ok = false;
        }
    }
    stop_tx.send_replace(true);
    if !send.is_finished() {
        let _ = tokio::time::timeout(Duration::from_secs(5), send).await;
    }
    Ok(ok)
}
