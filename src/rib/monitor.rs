//! What the rib tells BMP clients, and what they ask it.
//!
//! ```text
//!  bmp client ──Request::Subscribe──▶ rib task ──Monitor──▶ bmp client ──▶ collector
//! ```
//!
//! A client subscribes once per connection to its collector. The rib
//! answers on the subscription's channel with, in order: [`Monitor::PeerUp`]
//! for every established session, the dump of every selected view
//! (End-of-RIB markers included, as [`Monitor::Route`] messages),
//! [`Monitor::Synced`], then live changes as they happen. The dump is a
//! snapshot taken when the subscription arrives, encoded in chunks between
//! other events, and live changes queue behind it, so the stream has no gap
//! and no duplicate.
//!
//! The channel is unbounded but its content is counted in bytes
//! ([`Queue`]): the rib charges every message it sends and the client
//! credits what it has written. The rib encodes the next dump chunk only
//! while the queue is under half its limit (so a dump paces itself to the
//! collector and never overflows); a live message that would take
//! the queue past its limit ends the subscription instead (the rib drops
//! its sender and marks the queue overflowed), so a stuck collector costs
//! at most the limit and never slows BGP. The client then closes that
//! connection, reconnects and subscribes again, getting a fresh dump.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::counters::{PeerCounters, PerFamily};
use super::event::{DownReason, SessionInfo};

/// One table view a collector can monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// Adj-RIB-In as received (RFC 7854 pre-policy, L flag clear).
    AdjRibInPre,
    /// Adj-RIB-In after import policy (L flag set).
    AdjRibInPost,
    /// Loc-RIB (RFC 9069, peer type 3).
    LocRib,
    /// Adj-RIB-Out before export policy (RFC 8671: O flag, L clear).
    AdjRibOutPre,
    /// Adj-RIB-Out as sent (RFC 8671: O and L flags).
    AdjRibOutPost,
}

impl View {
    /// Every view, in dump order.
    pub const ALL: [View; 5] = [
        View::AdjRibInPre,
        View::AdjRibInPost,
        View::LocRib,
        View::AdjRibOutPre,
        View::AdjRibOutPost,
    ];

    fn bit(self) -> u8 {
        match self {
            View::AdjRibInPre => 1,
            View::AdjRibInPost => 2,
            View::LocRib => 4,
            View::AdjRibOutPre => 8,
            View::AdjRibOutPost => 16,
        }
    }
}

/// A set of [`View`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Views(u8);

impl Views {
    /// No view.
    pub const NONE: Views = Views(0);

    /// The set holding `views`.
    pub fn of(views: &[View]) -> Views {
        Views(views.iter().fold(0, |bits, v| bits | v.bit()))
    }

    /// `view` is in the set.
    pub fn contains(self, view: View) -> bool {
        self.0 & view.bit() != 0
    }

    /// The set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set with `view` added.
    pub fn with(self, view: View) -> Views {
        Views(self.0 | view.bit())
    }

    /// The views in the set, in dump order.
    pub fn iter(self) -> impl Iterator<Item = View> {
        View::ALL.into_iter().filter(move |v| self.contains(*v))
    }
}

/// Encoded dump bytes a subscription may have queued: enough that the
/// client never waits for the rib's next chunk (the rib encodes a chunk
/// in well under a millisecond and looks again at least every
/// `DUMP_POLL`), small beside the tables.
pub const DUMP_WINDOW: usize = 4 << 20;

/// Byte accounting of one subscription's channel, shared by the rib (which
/// charges) and the client (which credits).
#[derive(Debug)]
pub struct Queue {
    limit: usize,
    bytes: AtomicUsize,
    overflowed: AtomicBool,
}

impl Queue {
    /// An empty queue holding at most `limit` bytes.
    pub fn new(limit: usize) -> Queue {
        Queue {
            limit,
            bytes: AtomicUsize::new(0),
            overflowed: AtomicBool::new(false),
        }
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes sent by the rib and not yet credited by the client.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Adds `n` bytes unless that takes the queue past its limit, in which
    /// case the queue is marked overflowed and false returned.
    pub fn charge(&self, n: usize) -> bool {
        let before = self.bytes.fetch_add(n, Ordering::Relaxed);
        if before.saturating_add(n) > self.limit {
            self.overflowed.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Adds `n` bytes without checking the limit: for dump chunks, which
    /// are only produced while the queue [`has room`](Self::has_room).
    pub fn add(&self, n: usize) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// The client wrote (or dropped) `n` bytes.
    pub fn credit(&self, n: usize) {
        // Saturating: never below zero even if a caller credits twice.
        let _ = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some(b.saturating_sub(n))
            });
    }

    /// The rib ended the subscription because the queue was full.
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Room for another dump chunk: under [`DUMP_WINDOW`] and under half
    /// the limit. The dump is encoded only as fast as the client writes
    /// it, so a full table never sits encoded in memory.
    pub fn has_room(&self) -> bool {
        self.bytes() < DUMP_WINDOW.min(self.limit / 2)
    }
}

/// A client's subscription to the rib's monitoring stream.
#[derive(Debug)]
pub struct Subscription {
    /// Route Monitoring views wanted (possibly none: Peer Up/Down only).
    pub views: Views,
    /// Send [`Monitor::Mirror`] for every message received from peers.
    pub mirroring: bool,
    /// Byte accounting of `tx`.
    pub queue: Arc<Queue>,
    /// Where the rib sends the stream.
    pub tx: mpsc::UnboundedSender<Monitor>,
}

/// One item of the monitoring stream.
#[derive(Debug, Clone)]
pub enum Monitor {
    /// A session is established (or was, when the subscription came).
    PeerUp {
        /// The session, with both OPENs as exchanged.
        info: Arc<SessionInfo>,
    },
    /// A session left Established.
    PeerDown {
        /// The session.
        info: Arc<SessionInfo>,
        /// Why.
        reason: DownReason,
        /// When.
        at: SystemTime,
    },
    /// Whole BGP UPDATE messages (End-of-RIB markers included) for one
    /// view of one peer, or of Loc-RIB.
    ///
    /// Encoding: [`View::AdjRibInPre`] carries the bytes as received;
    /// [`View::AdjRibInPost`] is encoded with the session's negotiated
    /// context (ADD-PATH receive, the peer's AS width); the two Adj-RIB-Out
    /// views with the context used to send to the peer (its ADD-PATH send
    /// and AS width); [`View::LocRib`] with 4-octet ASNs and no ADD-PATH.
    Route {
        /// The peer, or `None` for Loc-RIB.
        peer: Option<Arc<SessionInfo>>,
        /// Which view.
        view: View,
        /// The messages, in order.
        messages: Vec<Bytes>,
        /// When received (pre-policy) or when the route changed.
        at: SystemTime,
    },
    /// One message received from a peer, byte-exact (Route Mirroring).
    Mirror {
        /// The session.
        info: Arc<SessionInfo>,
        /// The whole message as received.
        message: Bytes,
        /// It failed to decode (BMP Information code 0).
        errored: bool,
        /// When it was received.
        at: SystemTime,
    },
    /// The dump is complete: everything after this is live.
    Synced,
}

impl Monitor {
    /// Bytes this item accounts for in a [`Queue`].
    pub fn size(&self) -> usize {
        const OVERHEAD: usize = 64;
        OVERHEAD
            + match self {
                Monitor::Route { messages, .. } => messages.iter().map(Bytes::len).sum(),
                Monitor::Mirror { message, .. } => message.len(),
                Monitor::PeerUp { info } | Monitor::PeerDown { info, .. } => {
                    info.sent_open.len() + info.received_open.len()
                }
                Monitor::Synced => 0,
            }
    }
}

/// Counters of one established session, for Statistics Reports.
#[derive(Debug, Clone)]
pub struct PeerStats {
    /// The session.
    pub info: Arc<SessionInfo>,
    /// Its Adj-RIB-In counters.
    pub counters: PeerCounters,
    /// Routes in its post-policy Adj-RIB-Out: what it was sent (RFC 8671
    /// types 15 and 17).
    pub adj_rib_out: PerFamily,
    /// Routes in its pre-policy Adj-RIB-Out: the above and those export
    /// policy kept back (types 14 and 16).
    pub adj_rib_out_pre: PerFamily,
}

/// A snapshot of the counters, answered in O(peers).
#[derive(Debug, Clone)]
pub struct Stats {
    /// Every established session.
    pub peers: Vec<PeerStats>,
    /// Loc-RIB routes (best paths) per family.
    pub loc_rib: PerFamily,
    /// Our BGP identifier (the Loc-RIB instance's Peer BGP ID).
    pub router_id: Ipv4Addr,
    /// Our AS (the Loc-RIB instance's Peer AS).
    pub local_as: u32,
}

/// A request to the rib task from a client that is not a peer (BMP
/// clients, the daemon).
#[derive(Debug)]
pub enum Request {
    /// Start a monitoring stream.
    Subscribe(Subscription),
    /// The current counters.
    Stats(oneshot::Sender<Stats>),
    /// A new policy engine (reload): routes are evaluated again and the
    /// differences sent, without resetting sessions.
    Policy(Arc<crate::policy::PolicyEngine>),
    /// A read-only question from the management API.
    Query(super::query::Query),
    /// A change to locally originated paths (management API).
    Local(super::query::LocalChange),
}
