//! What a peer task reports to the management API: message counters, the
//! FSM state, when the session last came up and went down, and how often
//! it went down (flops).
//!
//! The task writes plain atomics (one relaxed increment per message, one
//! store per state change); the API reads them whenever it is asked, with
//! no message to the task. Counters live as long as the neighbor's
//! configuration: a reset through the API keeps them (as gobgpd does),
//! a changed or removed neighbor starts again from zero.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::fsm::State;

/// BGP message types (RFC 4271 §4.1, RFC 2918), as in the header.
const OPEN: u8 = 1;
const UPDATE: u8 = 2;
const NOTIFICATION: u8 = 3;
const KEEPALIVE: u8 = 4;
const ROUTE_REFRESH: u8 = 5;

/// Counters of one direction, by message type.
#[derive(Debug, Default)]
struct Direction {
    open: AtomicU64,
    update: AtomicU64,
    notification: AtomicU64,
    keepalive: AtomicU64,
    refresh: AtomicU64,
    other: AtomicU64,
}

impl Direction {
    fn count(&self, message_type: u8) {
        let counter = match message_type {
            OPEN => &self.open,
            UPDATE => &self.update,
            NOTIFICATION => &self.notification,
            KEEPALIVE => &self.keepalive,
            ROUTE_REFRESH => &self.refresh,
            _ => &self.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> MessageCounts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let counts = MessageCounts {
            open: get(&self.open),
            update: get(&self.update),
            notification: get(&self.notification),
            keepalive: get(&self.keepalive),
            refresh: get(&self.refresh),
            total: 0,
        };
        MessageCounts {
            total: counts.open
                + counts.update
                + counts.notification
                + counts.keepalive
                + counts.refresh
                + get(&self.other),
            ..counts
        }
    }
}

/// Messages of one direction, by type, at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageCounts {
    /// OPEN.
    pub open: u64,
    /// UPDATE (End-of-RIB markers included).
    pub update: u64,
    /// NOTIFICATION.
    pub notification: u64,
    /// KEEPALIVE.
    pub keepalive: u64,
    /// ROUTE-REFRESH.
    pub refresh: u64,
    /// Every message, of any type.
    pub total: u64,
}

/// A peer's counters and FSM state, shared by its task and the API.
#[derive(Debug)]
pub struct PeerStats {
    sent: Direction,
    received: Direction,
    state: AtomicU8,
    /// Nanoseconds since the epoch; 0: never.
    uptime: AtomicU64,
    /// Nanoseconds since the epoch.
    downtime: AtomicU64,
    flops: AtomicU64,
}

impl Default for PeerStats {
    fn default() -> Self {
        PeerStats {
            sent: Direction::default(),
            received: Direction::default(),
            state: AtomicU8::new(state_code(State::Idle)),
            uptime: AtomicU64::new(0),
            downtime: AtomicU64::new(nanos(SystemTime::now())),
            flops: AtomicU64::new(0),
        }
    }
}

/// A copy of [`PeerStats`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Messages sent.
    pub sent: MessageCounts,
    /// Messages received.
    pub received: MessageCounts,
    /// The FSM state (the most advanced of the connections, during a
    /// collision).
    pub state: State,
    /// When the session last reached Established; `None`: never.
    pub uptime: Option<SystemTime>,
    /// When the session last left Established (or the neighbor was
    /// added).
    pub downtime: SystemTime,
    /// How many times an Established session went down.
    pub flops: u64,
}

fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn time(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

/// How far `state` is on the way to Established (a collision reports the
/// further connection).
pub fn rank(state: State) -> u8 {
    state_code(state)
}

fn state_code(state: State) -> u8 {
    match state {
        State::Idle => 0,
        State::Connect => 1,
        State::Active => 2,
        State::OpenSent => 3,
        State::OpenConfirm => 4,
        State::Established => 5,
    }
}

fn state_of(code: u8) -> State {
    match code {
        1 => State::Connect,
        2 => State::Active,
        3 => State::OpenSent,
        4 => State::OpenConfirm,
        5 => State::Established,
        _ => State::Idle,
    }
}

impl PeerStats {
    /// Counts a message written to the peer (`bytes`: the whole message,
    /// header included).
    pub fn sent(&self, bytes: &[u8]) {
        self.sent.count(bytes.get(18).copied().unwrap_or(0));
    }

    /// Counts a message read from the peer (header included).
    pub fn received(&self, bytes: &[u8]) {
        self.received.count(bytes.get(18).copied().unwrap_or(0));
    }

    /// Records the FSM state; entering or leaving Established also sets
    /// the up or down time (and counts a flop).
    pub fn set_state(&self, state: State) {
        let old = state_of(self.state.swap(state_code(state), Ordering::Relaxed));
        if old == state {
            return;
        }
        let now = nanos(SystemTime::now());
        if state == State::Established {
            self.uptime.store(now, Ordering::Relaxed);
        } else if old == State::Established {
            self.downtime.store(now, Ordering::Relaxed);
            self.flops.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counters and state now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let uptime = self.uptime.load(Ordering::Relaxed);
        StatsSnapshot {
            sent: self.sent.snapshot(),
            received: self.received.snapshot(),
            state: state_of(self.state.load(Ordering::Relaxed)),
            uptime: (uptime != 0).then(|| time(uptime)),
            downtime: time(self.downtime.load(Ordering::Relaxed)),
            flops: self.flops.load(Ordering::Relaxed),
        }
    }
}

/// Every running peer task's [`PeerStats`], by neighbor address: written
/// by the daemon as it starts and stops peer tasks, read by the API.
#[derive(Debug, Clone, Default)]
pub struct Registry(Arc<RwLock<HashMap<IpAddr, Arc<PeerStats>>>>);

impl Registry {
    /// Records the stats of the task for `address`.
    pub fn insert(&self, address: IpAddr, stats: Arc<PeerStats>) {
        if let Ok(mut map) = self.0.write() {
            map.insert(address, stats);
        }
    }

    /// Forgets `address`.
    pub fn remove(&self, address: IpAddr) {
        if let Ok(mut map) = self.0.write() {
            map.remove(&address);
        }
    }

    /// The shared stats of `address`, to go on counting in a new task.
    pub fn shared(&self, address: IpAddr) -> Option<Arc<PeerStats>> {
        self.0.read().ok()?.get(&address).cloned()
    }

    /// The stats of `address`'s task, if one runs.
    pub fn get(&self, address: IpAddr) -> Option<StatsSnapshot> {
        let map = self.0.read().ok()?;
        map.get(&address).map(|s| s.snapshot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(message_type: u8) -> Vec<u8> {
        let mut bytes = vec![0xff; 16];
        bytes.extend_from_slice(&[0, 19, message_type]);
        bytes
    }

    #[test]
    fn messages_are_counted_by_type_and_in_total() {
        let stats = PeerStats::default();
        for t in [OPEN, KEEPALIVE, KEEPALIVE, UPDATE, ROUTE_REFRESH, 9] {
            stats.received(&message(t));
        }
        stats.sent(&message(NOTIFICATION));
        let s = stats.snapshot();
        assert_eq!(
            s.received,
            MessageCounts {
                open: 1,
                update: 1,
                notification: 0,
                keepalive: 2,
                refresh: 1,
                total: 6,
            }
        );
        assert_eq!(s.sent.notification, 1);
        assert_eq!(s.sent.total, 1);
    }

    #[test]
    fn a_truncated_message_counts_in_the_total_only() {
        let stats = PeerStats::default();
        stats.sent(&[0xff; 5]);
        let s = stats.snapshot();
        assert_eq!(s.sent.total, 1);
        assert_eq!(s.sent.open + s.sent.update + s.sent.keepalive, 0);
    }

    #[test]
    fn established_sets_uptime_and_leaving_it_counts_a_flop() {
        let stats = PeerStats::default();
        let before = stats.snapshot();
        assert_eq!(before.state, State::Idle);
        assert_eq!(before.uptime, None);
        stats.set_state(State::OpenSent);
        stats.set_state(State::Established);
        let up = stats.snapshot();
        assert_eq!(up.state, State::Established);
        assert!(up.uptime.is_some());
        assert_eq!(up.flops, 0);
        stats.set_state(State::Idle);
        let down = stats.snapshot();
        assert_eq!(down.flops, 1);
        assert!(down.downtime >= up.uptime.expect("uptime"));
        assert_eq!(down.uptime, up.uptime);
    }

    #[test]
    fn the_registry_forgets_removed_peers() {
        let registry = Registry::default();
        let address: IpAddr = "192.0.2.1".parse().expect("ip");
        registry.insert(address, Arc::new(PeerStats::default()));
        assert!(registry.get(address).is_some());
        registry.remove(address);
        assert!(registry.get(address).is_none());
    }
}
