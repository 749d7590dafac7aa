//! The per-neighbor task: drives [`crate::fsm::Fsm`] over TCP.
//!
//! One task per configured (or dynamic) neighbor. It connects out (unless
//! `passive-mode`), takes the connections the listener hands it, frames and
//! decodes messages, hands the UPDATEs of each read to the rib together as
//! one [`PeerEvent::Updates`], writes the rib's [`Export::Messages`]
//! through a buffered writer flushed when the queue is empty, and frees
//! the UPDATEs the rib hands back ([`Export::Spent`]) on its own thread.
//!
//! # Collision detection (RFC 4271 §6.8)
//!
//! The task runs one FSM per connection, at most two. A connection that
//! arrives while the first FSM is in OpenSent or OpenConfirm gets a second
//! FSM. As soon as one of them has the peer's OPEN (OpenConfirm), the BGP
//! identifiers decide: if ours is lower, the connection we initiated is
//! dumped, else the one the peer initiated; the loser is sent Cease 6/7
//! (Connection Collision Resolution). A connection arriving while a session
//! is Established, or while the task is Idle, is refused.
//!
//! # Transport
//!
//! An outgoing connection gets its TTL, GTSM's minimum TTL (RFC 5082) and
//! its TCP MD5 key (RFC 2385) before the SYN (see [`sockopt`]). An accepted
//! one was signed by the listener's key for the neighbor (set by the
//! daemon) and gets the TTL and minimum TTL before the OPEN exchange.
//!
//! # Known issues
//!
//! - GTSM on an accepted connection is set after accept (the listener is
//!   shared by every neighbor): segments the peer sent before that, its
//!   OPEN at most, pass unchecked. Our OPEN, and so the peer's KEEPALIVE,
//!   come after it, so a session never reaches Established on our side.
//!   The listeners send their SYN-ACKs with TTL 255 once any neighbor uses
//!   `ttl-security`, and keep it until restart.
//! - `treat-as-withdraw = false` is not acted on: RFC 7606 always applies.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, info, info_span, warn, Instrument};

use crate::config::{AfiSafi, Global, Neighbor};
use crate::fsm::{Action, Event, Failure, Fsm, State};
use crate::rib::event::{DownReason, Export, Incoming, PeerEvent, SessionInfo};
use crate::wire::bgp::{CeaseSubcode, ErrorCode, Message, Notification};
use crate::wire::Family;

pub mod as4;
mod conn;
mod connections;
pub mod open;
mod session;
pub mod sockopt;
pub mod stats;

use session::describe;
pub use session::prefix_limit_notification;

use conn::{Conn, Io};
use stats::PeerStats;

/// How the daemon tells a peer task what to do.
#[derive(Debug)]
pub enum Control {
    /// The listener accepted a connection from this peer.
    Incoming(TcpStream),
    /// Send this NOTIFICATION (Cease) on any session, report `reason` to
    /// the rib if a session was Established, and end the task.
    Stop {
        /// The Cease to send (6/2 shutdown, 6/3 de-configured...).
        notification: Notification,
        /// The Down reason for the rib; `None`: the local NOTIFICATION.
        reason: Option<DownReason>,
    },
}

/// The daemon's handle on a peer task.
#[derive(Debug)]
pub struct PeerHandle {
    /// Where to send [`Control`] messages.
    pub control: mpsc::Sender<Control>,
    /// The task; it ends after [`Control::Stop`].
    pub task: JoinHandle<()>,
    /// Its counters and FSM state.
    pub stats: Arc<PeerStats>,
}

/// A session came up or went down (for tests and future management
/// queries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The neighbor.
    pub peer: IpAddr,
    /// True on Established, false when the session left it.
    pub up: bool,
}

/// Options that are not in the configuration file.
#[derive(Debug, Clone)]
pub struct Options {
    /// Delay before the first connection attempt, jittered to `[d, 2d)`
    /// (gobgpd: 5 s).
    pub first_connect_delay: Duration,
    /// Told about every session going up or down.
    pub observer: Option<mpsc::UnboundedSender<Observed>>,
    /// How long a write to an established peer may make no progress
    /// before the session is closed without a NOTIFICATION (none could be
    /// written); `None`: the negotiated hold time (no limit when zero).
    pub write_timeout: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            first_connect_delay: Duration::from_secs(5),
            observer: None,
            write_timeout: None,
        }
    }
}

/// RFC 4271 §8.1.3 Event 18 (TcpConnectionFails): the FSM event of a
/// session the local system closes because its connection stopped taking
/// data (BMP Peer Down reason 2 carries it).
pub const TCP_CONNECTION_FAILS: u16 = 18;

/// Starts the task for the neighbor at `address`, counting into `stats`.
pub fn spawn(
    address: IpAddr,
    neighbor: Arc<Neighbor>,
    global: Arc<Global>,
    events: mpsc::Sender<PeerEvent>,
    options: Options,
    stats: Arc<PeerStats>,
) -> PeerHandle {
    let (control_tx, control_rx) = mpsc::channel(16);
    let span = info_span!("peer", peer = %address);
    let task_stats = stats.clone();
    let task = tokio::spawn(
        async move {
            let mut peer = Peer::new(address, neighbor, global, events, options, task_stats);
            peer.run(control_rx).await;
        }
        .instrument(span),
    );
    PeerHandle {
        control: control_tx,
        task,
        stats,
    }
}

/// A uniform number in `[0, 1)` for the ConnectRetry jitter.
fn random_unit() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// `future`'s output, or `None` when `limit` passes first (without a
/// limit it is awaited to the end).
async fn within<T>(
    limit: Option<Duration>,
    future: impl std::future::Future<Output = T>,
) -> Option<T> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, future).await.ok(),
        None => Some(future.await),
    }
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

/// One FSM and its connection.
struct Slot {
    fsm: Fsm,
    conn: Option<Conn>,
    /// Id of the outgoing attempt in flight.
    connecting: Option<u64>,
    /// The connection was initiated by us.
    outbound: bool,
}

impl Slot {
    fn owns(&self, id: u64) -> bool {
        self.conn.as_ref().is_some_and(|c| c.id == id)
    }
}

struct Peer {
    address: IpAddr,
    neighbor: Arc<Neighbor>,
    global: Arc<Global>,
    events: mpsc::Sender<PeerEvent>,
    families: Vec<AfiSafi>,
    primary: Slot,
    secondary: Option<Slot>,
    io_tx: mpsc::Sender<Io>,
    io_rx: mpsc::Receiver<Io>,
    exports: Option<mpsc::UnboundedReceiver<Export>>,
    next_id: u64,
    /// An outgoing attempt still in flight when an incoming connection was
    /// adopted. The neighbor may already have accepted it: if it completes,
    /// it becomes the second connection and collision detection (RFC 4271
    /// §6.8) picks one, the same way on both sides. Dropping it instead
    /// would close a connection the neighbor may have chosen to keep.
    overtaken_connect: Option<u64>,
    /// Prefixes held per family, for `prefix-limit`.
    prefixes: HashMap<Family, HashSet<crate::wire::bgp::Nlri>>,
    /// UPDATEs decoded from the current read, handed to the rib together
    /// ([`Peer::hand_over`]).
    held: Vec<Incoming>,
    options: Options,
    stats: Arc<PeerStats>,
}

impl Peer {
    fn new(
        address: IpAddr,
        neighbor: Arc<Neighbor>,
        global: Arc<Global>,
        events: mpsc::Sender<PeerEvent>,
        options: Options,
        stats: Arc<PeerStats>,
    ) -> Peer {
        let families = open::families(&neighbor, address.is_ipv6());
        let (io_tx, io_rx) = mpsc::channel(256);
        let mut peer = Peer {
            primary: Slot {
                fsm: Fsm::new(open::settings(
                    open::our_open(&global, &neighbor, &families, &open::hostname()),
                    &neighbor,
                    options.first_connect_delay,
                )),
                conn: None,
                connecting: None,
                outbound: false,
            },
            address,
            neighbor,
            global,
            events,
            families,
            secondary: None,
            overtaken_connect: None,
            io_tx,
            io_rx,
            exports: None,
            next_id: 0,
            prefixes: HashMap::new(),
            held: Vec::new(),
            options,
            stats,
        };
        peer.primary.fsm.set_jitter(random_unit());
        peer
    }

    fn new_fsm(&self) -> Fsm {
        let mut settings = open::settings(
            open::our_open(
                &self.global,
                &self.neighbor,
                &self.families,
                &open::hostname(),
            ),
            &self.neighbor,
            self.options.first_connect_delay,
        );
        settings.passive = true;
        Fsm::new(settings)
    }

    /// The task's loop.
    ///
    /// # Cancel safety
    ///
    /// Every branch of the `select!` is cancel safe (channel receives and a
    /// sleep); writes happen outside it.
    async fn run(&mut self, mut control: mpsc::Receiver<Control>) {
        if self.neighbor.admin_down {
            info!(
                Topic = "Peer",
                "the peer is administratively down (Idle(Admin))"
            );
        } else {
            self.dispatch(false, Event::Start).await;
        }
        self.stats.set_state(self.state());
        loop {
            let deadline = [
                self.primary.fsm.next_deadline(),
                self.secondary.as_ref().and_then(|s| s.fsm.next_deadline()),
            ]
            .into_iter()
            .flatten()
            .min();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            };
            let exports = async {
                match self.exports.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                command = control.recv() => match command {
                    Some(Control::Incoming(stream)) => self.on_incoming(stream).await,
                    Some(Control::Stop { notification, reason }) => {
                        self.stop(notification, reason).await;
                        return;
                    }
                    None => {
                        let n = Notification::new(ErrorCode::Cease(CeaseSubcode::PeerDeconfigured));
                        self.stop(n, Some(DownReason::Deconfigured)).await;
                        return;
                    }
                },
                Some(io) = self.io_rx.recv() => self.on_io(io).await,
                export = exports => match export {
                    Some(export) => self.on_export(export).await,
                    None => self.exports = None,
                },
                () = sleep => {
                    self.dispatch(false, Event::Timeout).await;
                    if self.secondary.is_some() {
                        self.dispatch(true, Event::Timeout).await;
                    }
                }
            }
            self.tidy();
            self.stats.set_state(self.state());
        }
    }

    /// The FSM state to report: the most advanced of the connections.
    fn state(&self) -> State {
        let primary = self.primary.fsm.state();
        match &self.secondary {
            Some(s) if stats::rank(s.fsm.state()) > stats::rank(primary) => s.fsm.state(),
            _ => primary,
        }
    }

    /// Drops a finished second FSM, or promotes it when the first has no
    /// connection left.
    fn tidy(&mut self) {
        let Some(secondary) = &self.secondary else {
            return;
        };
        if secondary.conn.is_none() {
            self.secondary = None;
        } else if self.primary.conn.is_none() {
            if let Some(secondary) = self.secondary.take() {
                self.primary = secondary;
            }
        }
    }

    async fn stop(&mut self, notification: Notification, reason: Option<DownReason>) {
        for second in [true, false] {
            let established = self
                .slot(second)
                .is_some_and(|s| s.fsm.state() == State::Established);
            let actions = match self.slot_mut(second) {
                Some(slot) => slot.fsm.handle(now(), Event::Stop(notification.clone())),
                None => continue,
            };
            let actions = match (&reason, established) {
                // Replace the FSM's Down(LocalNotification) with the given
                // reason (Deconfigured).
                (Some(reason), true) => actions
                    .into_iter()
                    .map(|a| match a {
                        Action::Down(_) => Action::Down(reason.clone()),
                        other => other,
                    })
                    .collect(),
                _ => actions,
            };
            self.apply(second, actions).await;
        }
        // The task ends with the neighbor: nothing is kept for it.
        self.tell_rib(PeerEvent::Removed { peer: self.address })
            .await;
    }

    fn slot(&self, second: bool) -> Option<&Slot> {
        if second {
            self.secondary.as_ref()
        } else {
            Some(&self.primary)
        }
    }

    fn slot_mut(&mut self, second: bool) -> Option<&mut Slot> {
        if second {
            self.secondary.as_mut()
        } else {
            Some(&mut self.primary)
        }
    }

    pub(super) async fn dispatch(&mut self, second: bool, event: Event) {
        let Some(slot) = self.slot_mut(second) else {
            return;
        };
        slot.fsm.set_jitter(random_unit());
        let actions = slot.fsm.handle(now(), event);
        self.apply(second, actions).await;
        self.resolve_collision().await;
    }

    async fn apply(&mut self, second: bool, actions: Vec<Action>) {
        self.apply_at(second, actions, SystemTime::now()).await;
    }

    async fn apply_at(&mut self, second: bool, actions: Vec<Action>, received_at: SystemTime) {
        let mut wrote = false;
        for action in actions {
            match action {
                Action::Connect => {
                    self.next_id += 1;
                    let id = self.next_id;
                    if !second {
                        self.primary.connecting = Some(id);
                        conn::spawn_connect(
                            id,
                            self.address,
                            self.neighbor.transport.clone(),
                            self.neighbor.auth_password.clone(),
                            self.io_tx.clone(),
                        );
                    }
                }
                Action::Send(message) => {
                    wrote |= self.send(second, &message).await;
                }
                Action::Close => {
                    if let Some(slot) = self.slot_mut(second) {
                        slot.connecting = None;
                        if let Some(mut conn) = slot.conn.take() {
                            let _ = conn.writer.flush().await;
                            let _ = conn.writer.shutdown().await;
                        }
                    }
                    wrote = false;
                }
                Action::Established(session) => self.on_established(second, *session).await,
                Action::Update { update, raw } => {
                    if !self.on_update(second, update, raw, received_at).await {
                        return;
                    }
                }
                Action::RouteRefresh(refresh) => {
                    let event = PeerEvent::RouteRefresh {
                        peer: self.address,
                        family: refresh.family,
                    };
                    self.tell_rib(event).await;
                }
                Action::Down(reason) => self.on_down(second, reason).await,
                Action::Failed(failure) => match failure {
                    Failure::ReceivedNotification(n) => {
                        warn!(
                            Topic = "Peer",
                            Code = n.code.code(),
                            Subcode = n.code.subcode(),
                            "received notification"
                        )
                    }
                    other => debug!(
                        Topic = "Peer",
                        ?other,
                        "connection ended before Established"
                    ),
                },
            }
        }
        if wrote {
            self.flush(second).await;
        }
    }

    /// Encodes and buffers `message`; true when something was buffered.
    async fn send(&mut self, second: bool, message: &Message) -> bool {
        let stats = self.stats.clone();
        let Some(slot) = self.slot_mut(second) else {
            return false;
        };
        let state = slot.fsm.state();
        let bytes = match message.to_bytes(slot.fsm.negotiated()) {
            Ok(bytes) => bytes,
            Err(error) => {
                warn!(Topic = "Peer", %error, "failed to encode a message");
                return false;
            }
        };
        let Some(conn) = slot.conn.as_mut() else {
            return false;
        };
        stats.sent(&bytes);
        if let Message::Notification(n) = message {
            warn!(
                Topic = "Peer",
                Code = n.code.code(),
                Subcode = n.code.subcode(),
                "Communicated-Reason" = n.shutdown_communication().unwrap_or(""),
                State = state.gobgp_name(),
                "sent notification"
            );
        }
        conn.writer.write_all(&bytes).await.is_ok()
    }

    async fn flush(&mut self, second: bool) {
        let limit = self.write_timeout(second);
        let outcome = match self.slot_mut(second).and_then(|s| s.conn.as_mut()) {
            Some(conn) => within(limit, conn.writer.flush()).await,
            None => Some(Ok(())),
        };
        match outcome {
            Some(Ok(())) => {}
            Some(Err(_)) => {
                if let Some(slot) = self.slot_mut(second) {
                    slot.conn = None;
                }
                Box::pin(self.dispatch(second, Event::ConnectionFailed)).await;
            }
            None => Box::pin(self.close_stalled(second)).await,
        }
    }

    /// How long a write on `second`'s established session may stall:
    /// [`Options::write_timeout`], else the negotiated hold time; `None`
    /// before Established or with a zero hold time.
    pub(super) fn write_timeout(&self, second: bool) -> Option<Duration> {
        let session = self.slot(second)?.fsm.session()?;
        let limit = self.options.write_timeout.unwrap_or(session.hold_time);
        (!limit.is_zero()).then_some(limit)
    }

    /// The connection took no data for the write timeout: closed without a
    /// NOTIFICATION (it could not be written), which the FSM sees as a
    /// failed connection and the rib as a local close with
    /// [`TCP_CONNECTION_FAILS`].
    pub(super) async fn close_stalled(&mut self, second: bool) {
        warn!(
            Topic = "Peer",
            "the peer took no data for the write timeout: closing the session"
        );
        let Some(slot) = self.slot_mut(second) else {
            return;
        };
        slot.conn = None;
        let actions = slot
            .fsm
            .handle(now(), Event::ConnectionFailed)
            .into_iter()
            .map(|action| match action {
                Action::Down(DownReason::RemoteClosed) => {
                    Action::Down(DownReason::LocalNoNotification(TCP_CONNECTION_FAILS))
                }
                other => other,
            })
            .collect();
        self.apply(second, actions).await;
        self.resolve_collision().await;
    }

    async fn on_established(&mut self, second: bool, session: crate::fsm::Session) {
        let Some(conn) = self.slot(second).and_then(|s| s.conn.as_ref()) else {
            return;
        };
        let info = SessionInfo {
            peer: self.address,
            neighbor: self.neighbor.clone(),
            local: conn.local,
            remote: conn.remote,
            local_as: self.neighbor.local_as,
            peer_as: session.peer_as,
            local_id: self.global.router_id,
            peer_id: session.peer_id,
            negotiated: session.negotiated,
            sent_open: session.sent_open,
            received_open: session.received_open,
            established_at: SystemTime::now(),
        };
        info!(Topic = "Peer", State = "BGP_FSM_OPENCONFIRM", "Peer Up");
        self.observe(true);
        let (exports_tx, exports_rx) = mpsc::unbounded_channel();
        self.exports = Some(exports_rx);
        self.prefixes.clear();
        self.tell_rib(PeerEvent::Up {
            info: Arc::new(info),
            exports: exports_tx,
        })
        .await;
    }

    fn observe(&self, up: bool) {
        if let Some(observer) = &self.options.observer {
            let _ = observer.send(Observed {
                peer: self.address,
                up,
            });
        }
    }

    async fn on_down(&mut self, _second: bool, reason: DownReason) {
        info!(
            Topic = "Peer",
            Reason = %describe(&reason),
            State = "BGP_FSM_ESTABLISHED",
            "Peer Down"
        );
        self.exports = None;
        self.prefixes.clear();
        self.observe(false);
        self.tell_rib(PeerEvent::Down {
            peer: self.address,
            reason,
        })
        .await;
    }

    /// Sends the rib `event`, after the UPDATEs held before it.
    async fn tell_rib(&mut self, event: PeerEvent) {
        self.hand_over().await;
        let _ = self.events.send(event).await;
    }

    /// Sends the rib the UPDATEs held, if any, as one event.
    async fn hand_over(&mut self) {
        if self.held.is_empty() {
            return;
        }
        let updates = std::mem::take(&mut self.held);
        let event = PeerEvent::Updates {
            peer: self.address,
            updates,
        };
        let _ = self.events.send(event).await;
    }
}
