//! The rib side of BMP monitoring: subscriptions, their dumps and live
//! streams, and statistics snapshots (see [`super::monitor`] for the
//! contract).
//!
//! A subscription's dump is a snapshot: when it arrives, the routes of
//! every selected view are copied (prefix, path id and a reference to the
//! interned attributes; no encoding), and later events change the tables
//! but not the snapshot. The snapshot is then encoded a chunk at a time
//! between events, and live items for that subscriber wait in its
//! `pending` list until the dump is out, so the collector sees the tables
//! as of the snapshot and then every change after it, once.
//!
//! Nothing here costs anything while no subscriber wants a view: the
//! hooks test [`Monitors::wants`] before doing work.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

use super::attrs::AttrStore;
use super::batch::{end_of_rib, Batch};
use super::counters::PerFamily;
use super::event::{DownReason, SessionInfo};
use super::monitor::{Monitor, PeerStats, Request, Stats, Subscription, View, Views};
use super::snapshot::Snapshot;
use super::state::Rib;
use super::table::{family_of, FAMILIES};
use crate::wire::bgp::{Negotiated, Nlri};
use crate::wire::Family;

/// Routes encoded per dump step.
pub const DUMP_CHUNK: usize = 4096;

/// One view of one peer (or Loc-RIB) to dump.
#[derive(Debug)]
struct Stage {
    peer: Option<Arc<SessionInfo>>,
    view: View,
    /// How the view's messages are encoded.
    cx: Negotiated,
    routes: Snapshot,
}

/// One subscribed client.
#[derive(Debug)]
struct Subscriber {
    sub: Subscription,
    /// The dump still to encode, in order.
    dump: VecDeque<Stage>,
    /// Live items held back until the dump is out.
    pending: Vec<Monitor>,
}

impl Subscriber {
    fn dumping(&self) -> bool {
        !self.dump.is_empty()
    }

    /// Sends `item` now, or queues it behind the dump. False when the
    /// subscription is over (queue overflow or client gone).
    fn offer(&mut self, item: Monitor) -> bool {
        if !self.sub.queue.charge(item.size()) {
            return false;
        }
        if self.dumping() {
            self.pending.push(item);
            true
        } else {
            self.sub.tx.send(item).is_ok()
        }
    }

    /// Sends a dump item: paced by [`Queue::has_room`], so not held to
    /// the limit.
    ///
    /// [`Queue::has_room`]: super::monitor::Queue::has_room
    fn send_now(&mut self, item: Monitor) -> bool {
        self.sub.queue.add(item.size());
        self.sub.tx.send(item).is_ok()
    }
}

/// Every subscription, and which views any of them wants.
#[derive(Debug, Default)]
pub struct Monitors {
    subscribers: Vec<Subscriber>,
    wanted: Views,
    mirroring: bool,
}

impl Monitors {
    /// Some subscriber wants `view`.
    pub fn wants(&self, view: View) -> bool {
        self.wanted.contains(view)
    }

    /// Some subscriber wants Route Mirroring.
    pub fn mirroring(&self) -> bool {
        self.mirroring
    }

    /// Some subscriber has a dump left to encode.
    pub fn dumping(&self) -> bool {
        self.subscribers.iter().any(Subscriber::dumping)
    }

    fn recompute(&mut self) {
        self.wanted = self.subscribers.iter().fold(Views::NONE, |all, s| {
            s.sub.views.iter().fold(all, Views::with)
        });
        self.mirroring = self.subscribers.iter().any(|s| s.sub.mirroring);
    }

    /// Gives `item` to every subscriber `filter` accepts; subscriptions
    /// that end are dropped.
    fn publish(&mut self, item: &Monitor, filter: impl Fn(&Subscription) -> bool) {
        let before = self.subscribers.len();
        self.subscribers.retain_mut(|s| {
            if !filter(&s.sub) {
                return true;
            }
            let kept = s.offer(item.clone());
            if !kept {
                end_log(&s.sub);
            }
            kept
        });
        if self.subscribers.len() != before {
            self.recompute();
        }
    }

    /// A session came up.
    pub fn peer_up(&mut self, info: &Arc<SessionInfo>) {
        if self.subscribers.is_empty() {
            return;
        }
        let item = Monitor::PeerUp { info: info.clone() };
        self.publish(&item, |_| true);
    }

    /// A session went down.
    pub fn peer_down(&mut self, info: &Arc<SessionInfo>, reason: DownReason) {
        if self.subscribers.is_empty() {
            return;
        }
        let item = Monitor::PeerDown {
            info: info.clone(),
            reason,
            at: SystemTime::now(),
        };
        self.publish(&item, |_| true);
    }

    /// Messages of `view` for `peer` (or Loc-RIB).
    pub fn route(
        &mut self,
        peer: Option<&Arc<SessionInfo>>,
        view: View,
        messages: Vec<Bytes>,
        at: SystemTime,
    ) {
        if messages.is_empty() || !self.wants(view) {
            return;
        }
        let item = Monitor::Route {
            peer: peer.cloned(),
            view,
            messages,
            at,
        };
        self.publish(&item, |s| s.views.contains(view));
    }

    /// One message received from `info`'s peer, for Route Mirroring.
    pub fn mirror(&mut self, info: &Arc<SessionInfo>, message: Bytes, errored: bool) {
        if !self.mirroring {
            return;
        }
        let item = Monitor::Mirror {
            info: info.clone(),
            message,
            errored,
            at: SystemTime::now(),
        };
        self.publish(&item, |s| s.mirroring);
    }
}

fn end_log(sub: &Subscription) {
    if sub.queue.overflowed() {
        tracing::warn!(
            limit = sub.queue.limit(),
            "BMP client queue full: ending its subscription"
        );
    } else {
        tracing::debug!("BMP client gone: ending its subscription");
    }
}

/// How Loc-RIB Route Monitoring is encoded (RFC 9069 §5: as the Loc-RIB
/// instance's Peer Up OPEN declares): 4-octet ASNs, no ADD-PATH.
pub fn loc_rib_context() -> Negotiated {
    Negotiated {
        four_octet_as: true,
        extended_message: false,
        families: FAMILIES.into_iter().collect(),
        ..Negotiated::default()
    }
}

/// How a peer's Adj-RIB-In is encoded: its session's context, with path
/// ids where we receive them.
pub fn receive_context(negotiated: &Negotiated) -> Negotiated {
    Negotiated {
        add_path_send: negotiated.add_path_receive.clone(),
        ..negotiated.clone()
    }
}

/// The prefix as the view encodes it: with its path id where `cx` sends
/// path ids.
pub(super) fn view_nlri(prefix: ipnet::IpNet, path_id: u32, cx: &Negotiated) -> Nlri {
    if cx.add_path_send.contains(&family_of(&prefix)) {
        Nlri::with_path_id(prefix, path_id)
    } else {
        Nlri::new(prefix)
    }
}

impl Rib {
    /// Answers a request from a BMP client (or the API).
    pub fn request(&mut self, request: Request) {
        match request {
            Request::Stats(reply) => {
                // The asker may have gone; nothing to do then.
                let _ = reply.send(self.stats());
            }
            Request::Subscribe(subscription) => self.subscribe(subscription),
            Request::Query(query) => self.query(query),
            Request::Local(change) => {
                // The task handles this one (it has exports to deliver).
                let _ = self.local_change(change);
            }
            Request::Policy(policy) => {
                // The task handles this one (it has exports to deliver);
                // applied here the exports would be lost.
                let _ = self.set_policy(policy);
            }
        }
    }

    /// The counters of every established peer and Loc-RIB, in O(peers).
    pub fn stats(&self) -> Stats {
        let count = |f: &dyn Fn(Family) -> usize| PerFamily {
            ipv4_unicast: f(Family::IPV4_UNICAST) as u64,
            ipv6_unicast: f(Family::IPV6_UNICAST) as u64,
        };
        let peers = self
            .sessions()
            .map(|(info, counters, rib_out)| PeerStats {
                info: info.clone(),
                counters: *counters,
                adj_rib_out: count(&|f| rib_out.paths_of(f)),
                adj_rib_out_pre: count(&|f| rib_out.pre_policy_paths_of(f)),
            })
            .collect();
        Stats {
            peers,
            loc_rib: count(&|f| self.loc_rib().prefixes(f)),
            router_id: self.global().router_id,
            local_as: self.global().asn,
        }
    }

    /// Registers `sub`: Peer Up for every session, then the snapshot of its
    /// views, to be encoded by [`Rib::dump_step`].
    fn subscribe(&mut self, sub: Subscription) {
        let mut subscriber = Subscriber {
            sub,
            dump: VecDeque::new(),
            pending: Vec::new(),
        };
        let mut sessions: Vec<Arc<SessionInfo>> =
            self.sessions().map(|(info, _, _)| info.clone()).collect();
        sessions.sort_by_key(|info| info.peer);
        for info in &sessions {
            if !subscriber.send_now(Monitor::PeerUp { info: info.clone() }) {
                end_log(&subscriber.sub);
                return;
            }
        }
        let views = subscriber.sub.views;
        for view in views.iter() {
            if view == View::LocRib {
                subscriber.dump.push_back(self.loc_rib_stage());
                continue;
            }
            for info in &sessions {
                if let Some(stage) = self.peer_stage(info, view) {
                    subscriber.dump.push_back(stage);
                }
            }
        }
        tracing::info!(
            views = ?views.iter().collect::<Vec<_>>(),
            peers = sessions.len(),
            routes = subscriber.dump.iter().map(|s| s.routes.len()).sum::<usize>(),
            "BMP client subscribed"
        );
        if subscriber.dump.is_empty() && !subscriber.send_now(Monitor::Synced) {
            return;
        }
        let monitors = self.monitors_mut();
        monitors.subscribers.push(subscriber);
        monitors.recompute();
        self.track_pre_policy();
        self.dump_step(DUMP_CHUNK);
    }

    fn loc_rib_stage(&mut self) -> Stage {
        let loc_rib = self.loc_rib();
        let routes = FAMILIES.into_iter().flat_map(|family| {
            loc_rib
                .destinations(family)
                .filter_map(|(prefix, destination)| {
                    let best = destination.best()?;
                    Some((Nlri::new(prefix), Arc::clone(&best.attrs)))
                })
        });
        Stage {
            peer: None,
            view: View::LocRib,
            cx: loc_rib_context(),
            routes: Snapshot::new(routes),
        }
    }

    fn peer_stage(&mut self, info: &Arc<SessionInfo>, view: View) -> Option<Stage> {
        let (cx, routes) = match view {
            View::AdjRibInPre => {
                let cx = receive_context(&info.negotiated);
                let routes = Snapshot::new(
                    self.adj_rib_in(info.peer)?
                        .iter()
                        .map(|((prefix, id), route)| (view_nlri(prefix, id, &cx), route.attrs)),
                );
                (cx, routes)
            }
            View::AdjRibInPost => {
                let cx = receive_context(&info.negotiated);
                let routes = Snapshot::new(self.adj_rib_in_post_policy(info.peer)?.iter().map(
                    |((prefix, id), path)| (view_nlri(prefix, id, &cx), Arc::clone(&path.attrs)),
                ));
                (cx, routes)
            }
            View::AdjRibOutPre => (
                info.negotiated.clone(),
                Snapshot::new(self.candidates(info.peer)?),
            ),
            View::AdjRibOutPost => (
                info.negotiated.clone(),
                Snapshot::new(self.exported_routes(info.peer)?),
            ),
            View::LocRib => return None,
        };
        Some(Stage {
            peer: Some(info.clone()),
            view,
            cx,
            routes,
        })
    }

    /// Encodes up to `budget` routes of pending dumps, for subscribers whose
    /// queue has room. Returns whether dump work is left.
    pub fn dump_step(&mut self, budget: usize) -> bool {
        let (store, monitors) = self.store_and_monitors();
        let mut ended = false;
        monitors.subscribers.retain_mut(|s| {
            if !s.dumping() || !s.sub.queue.has_room() {
                return true;
            }
            let kept = dump_chunk(store, s, budget);
            if !kept {
                end_log(&s.sub);
                release_dump(store, s);
                ended = true;
            }
            kept
        });
        if ended {
            monitors.recompute();
        }
        monitors.dumping()
    }

    /// Forgets subscribers whose client went away (their channel closed).
    pub fn prune_subscribers(&mut self) {
        let (store, monitors) = self.store_and_monitors();
        let before = monitors.subscribers.len();
        monitors.subscribers.retain_mut(|s| {
            let open = !s.sub.tx.is_closed();
            if !open {
                release_dump(store, s);
            }
            open
        });
        if monitors.subscribers.len() != before {
            tracing::debug!("BMP client gone: subscription ended");
            monitors.recompute();
        }
    }
}

/// Encodes the next `budget` routes of `s`'s dump; false when the
/// subscription ended.
fn dump_chunk(store: &mut AttrStore, s: &mut Subscriber, budget: usize) -> bool {
    let Some(stage) = s.dump.front_mut() else {
        return true;
    };
    let mut batch = Batch::default();
    stage.routes.take(budget, &mut batch, store);
    let mut messages = batch.encode(&stage.cx, store);
    let finished = stage.routes.is_done();
    if finished {
        let families: BTreeSet<Family> = match &stage.peer {
            Some(info) => info.negotiated.families.clone(),
            None => FAMILIES.into_iter().collect(),
        };
        messages.extend(
            FAMILIES
                .iter()
                .filter(|f| families.contains(f))
                .filter_map(|f| end_of_rib(*f, &stage.cx)),
        );
    }
    let item = Monitor::Route {
        peer: stage.peer.clone(),
        view: stage.view,
        messages,
        at: SystemTime::now(),
    };
    if !s.send_now(item) {
        return false;
    }
    if finished {
        s.dump.pop_front();
        if s.dump.is_empty() {
            // Already charged when they were queued.
            for item in s.pending.drain(..) {
                if s.sub.tx.send(item).is_err() {
                    return false;
                }
            }
            return s.send_now(Monitor::Synced);
        }
    }
    true
}

/// Gives the references a cancelled dump holds back to the store.
fn release_dump(store: &mut AttrStore, s: &mut Subscriber) {
    for mut stage in s.dump.drain(..) {
        stage.routes.release(store);
    }
    s.pending.clear();
}
