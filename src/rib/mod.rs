//! The rib task: the one owner of routing state.
//!
//! Adj-RIB-In per peer (as received and after import policy), Loc-RIB with
//! best-path selection, and Adj-RIB-Out per peer. Peer tasks talk to it
//! through [`event::PeerEvent`]; it answers each session with
//! [`event::Export`].
//!
//! # Layout
//!
//! - [`event`]: the contract with peer tasks;
//! - [`attrs`]: interned attribute sets;
//! - [`table`]: Adj-RIB-In (pre-policy, post-policy view), Loc-RIB,
//!   Adj-RIB-Out;
//! - [`best`]: best-path selection in gobgpd's order;
//! - [`import`] and [`export`]: receive checks and advertisement rules,
//!   pure functions;
//! - [`batch`]: packing changes into UPDATEs;
//! - [`counters`]: per-peer counters for BMP statistics;
//! - [`monitor`]: the contract with BMP clients (subscriptions, the
//!   monitoring stream, statistics);
//! - [`query`]: read-only questions from the management API;
//! - [`state`]: [`Rib`], the state and the event handling, runtime-free;
//! - `task`: the tokio task around it ([`spawn`]).
//!
//! # Known issues
//!
//! - Only IPv4 and IPv6 unicast; other families are ignored.
//! - ADD-PATH send numbers paths by rank (see `state::multipath`), where
//!   gobgpd keeps one id per path.
//! - No next-hop tracking, LLGR or graceful-restart stale handling.

use std::sync::Arc;

use tokio::sync::mpsc;

pub mod attrs;
pub mod batch;
pub mod best;
pub mod counters;
pub mod event;
pub mod export;
pub mod hash;
pub mod import;
pub mod monitor;
mod monitoring;
pub mod query;
mod snapshot;
pub mod state;
pub mod table;
mod task;
mod v4map;

pub use best::BestPathReason;
pub use counters::{PeerCounters, PerFamily};
pub use state::{Outgoing, Rib};

/// Capacity of the event channel into the rib task. A peer sends the
/// UPDATEs of one read as one event of at most 64, so this bounds the
/// decoded UPDATEs waiting for the rib to about 4k (a few MiB); 1024 let
/// the peers run 56 MiB ahead of the rib on a full table.
pub const EVENT_QUEUE: usize = 64;

/// Capacity of the request channel into the rib task.
pub const REQUEST_QUEUE: usize = 64;

/// The ways into a running rib task.
#[derive(Debug)]
pub struct RibHandle {
    /// Peer tasks' events.
    pub events: mpsc::Sender<event::PeerEvent>,
    /// BMP clients' (and later the API's) requests.
    pub requests: mpsc::Sender<monitor::Request>,
    /// The task; it ends when every sender of `events` is dropped.
    pub task: tokio::task::JoinHandle<()>,
}

/// Starts the rib task with no policy (every route accepted).
pub fn spawn(global: Arc<crate::config::Global>) -> RibHandle {
    spawn_with(global, Arc::default())
}

/// Starts the rib task with `policy`.
pub fn spawn_with(
    global: Arc<crate::config::Global>,
    policy: Arc<crate::policy::PolicyEngine>,
) -> RibHandle {
    let (events, events_rx) = mpsc::channel(EVENT_QUEUE);
    let (requests, requests_rx) = mpsc::channel(REQUEST_QUEUE);
    let task = tokio::spawn(task::run(global, policy, events_rx, requests_rx));
    RibHandle {
        events,
        requests,
        task,
    }
}
