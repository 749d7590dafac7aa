//! One BMP station: connect, subscribe, stream, reconnect.
//!
//! ```text
//!            ┌────────────── backoff (1 s doubling to 30 s, jittered) ◀─────────────┐
//!            ▼                                                                      │
//!  resolve + connect ──▶ Initiation, Loc-RIB Peer Up ──▶ Subscribe ──▶ stream ──────┤
//!  (timeout, source)                                        │   Monitor items, Stats │
//!                                                           │   lost / overflowed ───┘
//!                                                           └── stop: Termination, close
//! ```
//!
//! While streaming, the task waits on the subscription, the socket (a
//! collector that closes is noticed at once; anything it sends is
//! discarded, BMP being one-way), the statistics timer and the stop signal.
//! Items are encoded into one buffer, written together when the
//! subscription has nothing more ready (or the buffer passes
//! [`BATCH`] bytes), and credited to the subscription's queue once
//! written. While a write is blocked, items keep being received (they stay
//! charged to the queue), so the rib's verdict that the queue overflowed is
//! seen even when the collector is stuck.
//!
//! Backoff restarts from its minimum after a session that reached the end
//! of its dump and was then lost; an overflow or a failed connect doubles
//! it, so a station that cannot keep up is not flooded with dumps.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{timeout, Instant, MissedTickBehavior};
use tracing::{debug, info, warn};

use super::connect::{connect, Backoff};
use super::encode::{self, Local};
use super::Options;
use crate::config::BmpServer;
use crate::rib::event::PeerId;
use crate::rib::monitor::{Monitor, Queue, Request, Stats, Subscription, View};
use crate::wire::bmp::TerminationReason;

/// Bytes encoded before a write is started even if more items are ready.
pub const BATCH: usize = 256 * 1024;

/// Why a client stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The daemon is shutting down.
    Shutdown,
    /// The station was removed from the configuration.
    Removed,
    /// The station's configuration changed; a new client takes over.
    Restart,
}

impl Stop {
    /// The Termination reason and string (RFC 7854 §4.5).
    fn termination(self) -> (TerminationReason, &'static str) {
        match self {
            Stop::Shutdown => (
                TerminationReason::AdministrativelyClosed,
                "bgpd shutting down",
            ),
            Stop::Removed => (
                TerminationReason::PermanentlyAdministrativelyClosed,
                "station removed from the configuration",
            ),
            Stop::Restart => (
                TerminationReason::AdministrativelyClosed,
                "station configuration changed",
            ),
        }
    }
}

/// What a client has done so far, readable while it runs.
#[derive(Debug, Default)]
pub struct Counters {
    connected: AtomicBool,
    connections: AtomicU64,
    overflows: AtomicU64,
    messages: AtomicU64,
    bytes: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStatus {
    /// A connection to the station is open.
    pub connected: bool,
    /// Connections established since the client started.
    pub connections: u64,
    /// Times the station was too slow and the subscription overflowed.
    pub overflows: u64,
    /// Monitoring items written.
    pub messages: u64,
    /// Bytes written.
    pub bytes: u64,
}

impl Counters {
    /// The current values.
    pub fn status(&self) -> ClientStatus {
        ClientStatus {
            connected: self.connected.load(Ordering::Relaxed),
            connections: self.connections.load(Ordering::Relaxed),
            overflows: self.overflows.load(Ordering::Relaxed),
            messages: self.messages.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}

/// How one connection ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// Told to stop; the connection is closed.
    Stopped,
    /// The station closed the connection or an I/O error happened.
    Lost {
        /// The dump had been written completely.
        synced: bool,
    },
    /// The station was too slow: the rib ended the subscription.
    Overflowed,
    /// The rib task is gone (the daemon is stopping).
    RibGone,
}

/// What happened while a batch was being written.
enum Written {
    Done,
    /// Told to stop after this many bytes of the batch were written.
    Stopped(Stop, usize),
    Lost,
    Overflowed,
}

/// One station's client task.
pub(crate) struct Client {
    pub server: BmpServer,
    pub local: Local,
    pub requests: mpsc::Sender<Request>,
    pub options: Options,
    pub counters: Arc<Counters>,
}

/// One connection's state.
struct Session {
    reader: OwnedReadHalf,
    writer: OwnedWriteHalf,
    queue: Arc<Queue>,
    rx: mpsc::UnboundedReceiver<Monitor>,
    /// Items received while a write was blocked, not yet encoded.
    pending: VecDeque<Monitor>,
    /// The subscription ended (`rx` returned `None`).
    closed: bool,
    /// Peers whose Peer Up the station has (and no Peer Down since).
    up: HashSet<PeerId>,
    synced: bool,
    scratch: Box<[u8; 4096]>,
    /// Mirroring, on a connection after another: each Peer Up is followed
    /// by a "messages lost" Route Mirroring message.
    report_lost: bool,
}

impl Client {
    /// Runs until `stop` fires (or its sender is dropped).
    pub(crate) async fn run(self, mut stop: oneshot::Receiver<Stop>) {
        let station = format!("{}:{}", self.server.address, self.server.port);
        let mut backoff = Backoff::new(self.options.backoff_min, self.options.backoff_max);
        // A connection after the first one: mirrored messages were lost in
        // between.
        let mut resumed = false;
        loop {
            let connected = tokio::select! {
                _ = &mut stop => return,
                connected = connect(&self.server, self.options.connect_timeout) => connected,
            };
            let end = match connected {
                Ok(stream) => {
                    let peer = stream.peer_addr().ok();
                    info!(Topic = "bmp", Key = %station, address = ?peer, "connected to the BMP station");
                    self.counters.connections.fetch_add(1, Ordering::Relaxed);
                    self.counters.connected.store(true, Ordering::Relaxed);
                    let end = self.session(stream, &mut stop, &station, resumed).await;
                    self.counters.connected.store(false, Ordering::Relaxed);
                    resumed = true;
                    end
                }
                Err(error) => {
                    warn!(Topic = "bmp", Key = %station, %error, "failed to connect to the BMP station");
                    End::Lost { synced: false }
                }
            };
            match end {
                End::Stopped => return,
                End::RibGone => {
                    info!(Topic = "bmp", Key = %station, "the rib is gone; BMP client idle");
                    let _ = stop.await;
                    return;
                }
                End::Lost { synced: true } => backoff.reset(),
                End::Lost { synced: false } | End::Overflowed => {}
            }
            let delay = backoff.next_delay();
            debug!(Topic = "bmp", Key = %station, ?delay, "reconnecting after a delay");
            tokio::select! {
                _ = &mut stop => return,
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    /// One connection, from Initiation to its end.
    async fn session(
        &self,
        stream: TcpStream,
        stop: &mut oneshot::Receiver<Stop>,
        station: &str,
        resumed: bool,
    ) -> End {
        let (reader, writer) = stream.into_split();
        let views = self.server.route_monitoring_policy;
        let mut out = BytesMut::with_capacity(BATCH);
        let opening = encode::initiation(&self.server.sys_name, &self.server.sys_descr, &mut out)
            .and_then(|()| {
                if views.contains(View::LocRib) {
                    encode::loc_rib_peer_up(&self.local, SystemTime::now(), &mut out)
                } else {
                    Ok(())
                }
            });
        if let Err(error) = opening {
            // Only a sysName or sysDescr over 65535 octets can do this.
            warn!(Topic = "bmp", Key = %station, %error, "cannot encode the Initiation message");
            return End::Lost { synced: false };
        }
        let queue = Arc::new(Queue::new(self.server.queue_limit));
        let (tx, rx) = mpsc::unbounded_channel();
        let subscription = Subscription {
            views,
            mirroring: self.server.route_mirroring,
            queue: queue.clone(),
            tx,
        };
        if self
            .requests
            .send(Request::Subscribe(subscription))
            .await
            .is_err()
        {
            return End::RibGone;
        }
        let mut session = Session {
            reader,
            writer,
            queue,
            rx,
            pending: VecDeque::new(),
            closed: false,
            up: HashSet::new(),
            synced: false,
            scratch: Box::new([0; 4096]),
            report_lost: resumed && self.server.route_mirroring,
        };
        let mut stats_timer = self.server.statistics_timeout.map(|period| {
            let mut timer = tokio::time::interval_at(Instant::now() + period, period);
            timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
            timer
        });
        let mut stats_reply: Option<oneshot::Receiver<Stats>> = None;
        let mut items = 0u64;
        let mut credit = 0usize;
        loop {
            if session.queue.overflowed() {
                // The subscription is over: what is still queued is stale.
                self.overflowed(&session, true, station);
                return End::Overflowed;
            }
            // Encode everything ready, up to a batch.
            while out.len() < BATCH {
                let Some(item) = session.next_ready() else {
                    break;
                };
                credit += item.size();
                items += 1;
                self.encode(&item, &mut session, &mut out, station);
            }
            if !out.is_empty() {
                match session.write(&out, stop).await {
                    Written::Done => {
                        session.queue.credit(credit);
                        self.counters.messages.fetch_add(items, Ordering::Relaxed);
                        self.counters
                            .bytes
                            .fetch_add(out.len() as u64, Ordering::Relaxed);
                        out.clear();
                        (credit, items) = (0, 0);
                    }
                    Written::Stopped(reason, written) => {
                        // Possibly in the middle of a message: finish the
                        // batch (bounded) so the Termination is framed.
                        let finished = timeout(
                            self.options.stop_timeout,
                            session.writer.write_all(&out[written..]),
                        )
                        .await;
                        if matches!(finished, Ok(Ok(()))) {
                            self.terminate(&mut session, reason, station).await;
                        }
                        return End::Stopped;
                    }
                    Written::Lost => {
                        info!(Topic = "bmp", Key = %station, "the BMP station closed the connection");
                        return End::Lost {
                            synced: session.synced,
                        };
                    }
                    Written::Overflowed => {
                        // Mid-message: no Termination can be framed.
                        self.overflowed(&session, false, station);
                        return End::Overflowed;
                    }
                }
                continue;
            }
            if session.closed {
                if session.queue.overflowed() {
                    self.overflowed(&session, true, station);
                    return End::Overflowed;
                }
                if self.requests.is_closed() {
                    return self.rib_gone(&mut session, stop, station).await;
                }
                // Not in the contract, but never leave a station silent:
                // start over with a fresh subscription.
                warn!(Topic = "bmp", Key = %station, "the rib ended the subscription; reconnecting");
                return End::Lost {
                    synced: session.synced,
                };
            }
            tokio::select! {
                reason = &mut *stop => {
                    let reason = reason.unwrap_or(Stop::Shutdown);
                    self.terminate(&mut session, reason, station).await;
                    return End::Stopped;
                }
                read = session.reader.read(&mut session.scratch[..]) => match read {
                    Ok(0) | Err(_) => {
                        info!(Topic = "bmp", Key = %station, "the BMP station closed the connection");
                        return End::Lost { synced: session.synced };
                    }
                    Ok(n) => debug!(Topic = "bmp", Key = %station, bytes = n, "discarded data sent by the BMP station"),
                },
                item = session.rx.recv() => match item {
                    Some(item) => session.pending.push_back(item),
                    None => session.closed = true,
                },
                _ = tick(&mut stats_timer) => {
                    if stats_reply.is_none() {
                        let (tx, rx) = oneshot::channel();
                        match self.requests.try_send(Request::Stats(tx)) {
                            Ok(()) => stats_reply = Some(rx),
                            Err(_) => debug!(Topic = "bmp", Key = %station, "rib busy; statistics skipped this period"),
                        }
                    }
                },
                stats = reply(&mut stats_reply) => {
                    stats_reply = None;
                    if let Some(stats) = stats {
                        let up = &session.up;
                        if let Err(error) = encode::statistics(
                            &stats,
                            views,
                            |info| up.contains(&info.peer),
                            SystemTime::now(),
                            &mut out,
                        ) {
                            warn!(Topic = "bmp", Key = %station, %error, "cannot encode a Statistics Report");
                        }
                    }
                },
            }
        }
    }

    /// The rib ended (the daemon is stopping) and everything it sent is
    /// written: the connection stays until the stop comes, so that the
    /// station still gets its Termination (the daemon stops its BMP
    /// clients after the rib), or until the station closes it.
    async fn rib_gone(
        &self,
        session: &mut Session,
        stop: &mut oneshot::Receiver<Stop>,
        station: &str,
    ) -> End {
        debug!(Topic = "bmp", Key = %station, "the rib is gone; waiting to be stopped");
        loop {
            tokio::select! {
                reason = &mut *stop => {
                    let reason = reason.unwrap_or(Stop::Shutdown);
                    self.terminate(session, reason, station).await;
                    return End::Stopped;
                }
                read = session.reader.read(&mut session.scratch[..]) => match read {
                    Ok(0) | Err(_) => {
                        info!(Topic = "bmp", Key = %station, "the BMP station closed the connection");
                        return End::Lost { synced: session.synced };
                    }
                    Ok(_) => {}
                },
            }
        }
    }

    /// Encodes one item, keeping track of the peers the station knows.
    fn encode(&self, item: &Monitor, session: &mut Session, out: &mut BytesMut, station: &str) {
        match item {
            Monitor::PeerUp { info } => {
                session.up.insert(info.peer);
            }
            Monitor::PeerDown { info, .. } => {
                session.up.remove(&info.peer);
            }
            Monitor::Synced => {
                session.synced = true;
                info!(Topic = "bmp", Key = %station, "initial dump sent to the BMP station");
            }
            Monitor::Route { .. } | Monitor::Mirror { .. } => {}
        }
        if let Err(error) = encode::monitor(item, &self.local, out) {
            warn!(Topic = "bmp", Key = %station, %error, "cannot encode a monitoring message; skipped");
        }
        if let Monitor::PeerUp { info } = item {
            if session.report_lost {
                if let Err(error) = encode::mirror_lost(info, SystemTime::now(), out) {
                    warn!(Topic = "bmp", Key = %station, %error, "cannot encode a messages-lost report");
                }
            }
        }
    }

    /// Logs and counts an overflow; sends Termination "out of resources"
    /// when at a message boundary and the socket takes it at once.
    fn overflowed(&self, session: &Session, at_boundary: bool, station: &str) {
        warn!(
            Topic = "bmp",
            Key = %station,
            limit = session.queue.limit(),
            "the BMP station is too slow: queue over its limit; reconnecting for a fresh dump"
        );
        self.counters.overflows.fetch_add(1, Ordering::Relaxed);
        if at_boundary {
            let mut out = BytesMut::new();
            let text = "bgpd: monitoring queue over its limit";
            if encode::termination(TerminationReason::OutOfResources, Some(text), &mut out).is_ok()
            {
                // A partial write is harmless: the connection closes next.
                let _ = session.writer.try_write(&out);
            }
        }
    }

    /// Writes what is already queued (up to a batch: at shutdown, the
    /// Peer Down messages of the sessions just closed), then Termination,
    /// then closes; all within the stop timeout.
    async fn terminate(&self, session: &mut Session, reason: Stop, station: &str) {
        let (code, text) = reason.termination();
        let mut out = BytesMut::new();
        while out.len() < BATCH && !session.queue.overflowed() {
            let Some(item) = session.next_ready() else {
                break;
            };
            self.encode(&item, session, &mut out, station);
        }
        if encode::termination(code, Some(text), &mut out).is_err() {
            return;
        }
        let writer = &mut session.writer;
        let sent = timeout(self.options.stop_timeout, async {
            writer.write_all(&out).await?;
            writer.shutdown().await
        })
        .await;
        match sent {
            Ok(Ok(())) => {
                info!(Topic = "bmp", Key = %station, ?code, "sent Termination to the BMP station")
            }
            _ => {
                warn!(Topic = "bmp", Key = %station, "could not send Termination to the BMP station")
            }
        }
    }
}

impl Session {
    /// The next item that needs no waiting.
    fn next_ready(&mut self) -> Option<Monitor> {
        if let Some(item) = self.pending.pop_front() {
            return Some(item);
        }
        match self.rx.try_recv() {
            Ok(item) => Some(item),
            Err(mpsc::error::TryRecvError::Empty) => None,
            Err(mpsc::error::TryRecvError::Disconnected) => {
                self.closed = true;
                None
            }
        }
    }

    /// Writes `out`, while watching the stop signal, the socket, and the
    /// subscription (items received meanwhile go to `pending`).
    ///
    /// Written with `write` calls raced against the rest: a `write` that
    /// loses the race wrote nothing, so the count of bytes written is exact
    /// and a stop can finish the batch where it was.
    async fn write(&mut self, out: &[u8], stop: &mut oneshot::Receiver<Stop>) -> Written {
        let Session {
            reader,
            writer,
            queue,
            rx,
            pending,
            closed,
            scratch,
            ..
        } = self;
        let mut written = 0;
        while written < out.len() {
            tokio::select! {
                n = writer.write(&out[written..]) => match n {
                    Ok(0) | Err(_) => return Written::Lost,
                    Ok(n) => written += n,
                },
                reason = &mut *stop => {
                    return Written::Stopped(reason.unwrap_or(Stop::Shutdown), written);
                }
                read = reader.read(&mut scratch[..]) => {
                    if matches!(read, Ok(0) | Err(_)) {
                        return Written::Lost;
                    }
                }
                item = rx.recv(), if !*closed => match item {
                    Some(item) => pending.push_back(item),
                    None => {
                        *closed = true;
                        if queue.overflowed() {
                            return Written::Overflowed;
                        }
                    }
                },
            }
        }
        Written::Done
    }
}

/// The next statistics tick, or never when statistics are off.
///
/// # Cancel safety
///
/// Cancel safe: `Interval::tick` is.
async fn tick(timer: &mut Option<tokio::time::Interval>) {
    match timer {
        Some(timer) => {
            timer.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The pending statistics reply, or never when none is pending.
///
/// # Cancel safety
///
/// Cancel safe: a oneshot receiver keeps its value until polled to
/// completion.
async fn reply(pending: &mut Option<oneshot::Receiver<Stats>>) -> Option<Stats> {
    match pending {
        Some(rx) => rx.await.ok(),
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminations_say_why() {
        assert_eq!(
            Stop::Shutdown.termination().0,
            TerminationReason::AdministrativelyClosed
        );
        assert_eq!(
            Stop::Removed.termination().0,
            TerminationReason::PermanentlyAdministrativelyClosed
        );
    }
}
