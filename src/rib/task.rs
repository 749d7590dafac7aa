//! The rib task: owns a [`Rib`] and turns [`PeerEvent`]s into
//! [`Export`]s, and [`Request`]s into monitoring streams and answers.
//!
//! One event at a time, in arrival order; each event gives each affected
//! peer one [`Export::Messages`]. A peer whose export channel is closed is
//! gone: it is forgotten as if it went down. Between events, and when
//! idle, pending BMP dumps are encoded a chunk at a time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;

use super::event::{Export, Incoming, PeerEvent, PeerId, SessionInfo, Spent};
use super::monitor::{Request, View};
use super::monitoring::DUMP_CHUNK;
use super::state::{Outgoing, Rib};
use crate::config::Global;
use crate::policy::PolicyEngine;
use crate::wire::bgp::Update;

/// Most events taken from the queue at once (UPDATEs among them are
/// decided together).
const EVENT_BATCH: usize = 64;

/// How often an idle task looks at dumps waiting for queue room.
const DUMP_POLL: Duration = Duration::from_millis(2);

/// Received UPDATEs of one peer and one read, for pre-policy monitoring.
struct Received {
    peer: PeerId,
    at: SystemTime,
    messages: Vec<bytes::Bytes>,
}

struct Task {
    rib: Rib,
    exports: HashMap<PeerId, mpsc::UnboundedSender<Export>>,
    /// Sessions forgotten because their export channel closed, kept until
    /// their `Down` (with the reason) arrives, for BMP Peer Down.
    departed: HashMap<PeerId, Arc<SessionInfo>>,
}

/// Runs until every sender of `events` is dropped.
pub async fn run(
    global: Arc<Global>,
    policy: Arc<PolicyEngine>,
    mut events: mpsc::Receiver<PeerEvent>,
    mut requests: mpsc::Receiver<Request>,
) {
    let mut rib = Rib::new(global);
    // Nothing to re-evaluate yet: no peer.
    let _ = rib.set_policy(policy);
    let mut task = Task {
        rib,
        exports: HashMap::new(),
        departed: HashMap::new(),
    };
    let mut requests_open = true;
    loop {
        let dumping = task.rib.monitors().dumping();
        let stale = task.rib.next_stale_deadline();
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => task.events(event, &mut events),
                None => break,
            },
            request = requests.recv(), if requests_open => match request {
                Some(Request::Policy(policy)) => {
                    tracing::info!("policy changed: routes evaluated again");
                    let outgoing = task.rib.set_policy(policy);
                    task.deliver_resent(outgoing);
                }
                Some(Request::Local(change)) => {
                    let outgoing = task.rib.local_change(change);
                    task.deliver(outgoing);
                }
                Some(request) => task.rib.request(request),
                None => requests_open = false,
            },
            () = tokio::time::sleep(DUMP_POLL), if dumping => task.rib.prune_subscribers(),
            () = until(stale), if stale.is_some() => {
                let outgoing = task.rib.expire_stale(super::state::graceful_now());
                task.deliver(outgoing);
            }
        }
        if task.rib.monitors().dumping() {
            task.rib.dump_step(DUMP_CHUNK);
        }
    }
    tracing::debug!("rib task: every sender dropped");
}

/// Sleeps until `deadline` (a graceful restart timer); never without one.
async fn until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

impl Task {
    /// `first` and what else is queued, up to [`EVENT_BATCH`] events:
    /// UPDATEs back to back are decided and exported as one
    /// ([`Rib::updates_prepared`]), so a full table costs one export
    /// message (and one wake-up of each peer's writer) per batch rather
    /// than per UPDATE.
    fn events(&mut self, first: PeerEvent, queue: &mut mpsc::Receiver<PeerEvent>) {
        let mut updates = Vec::new();
        let mut pre = None;
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(event) = next {
            taken += 1;
            match event {
                PeerEvent::Update {
                    peer,
                    update,
                    raw,
                    received_at,
                    sets,
                } => {
                    self.monitor_received(peer, &update, raw, received_at, &mut pre);
                    updates.push((peer, update, sets));
                }
                PeerEvent::Updates {
                    peer,
                    updates: incoming,
                } => {
                    // Each counts toward the batch.
                    taken += incoming.len().saturating_sub(1);
                    for Incoming {
                        update,
                        raw,
                        received_at,
                        sets,
                    } in incoming
                    {
                        self.monitor_received(peer, &update, raw, received_at, &mut pre);
                        updates.push((peer, update, sets));
                    }
                }
                other => {
                    self.publish_received(&mut pre);
                    self.apply(&mut updates);
                    self.event(other);
                }
            }
            next = if taken < EVENT_BATCH {
                queue.try_recv().ok()
            } else {
                None
            };
        }
        self.publish_received(&mut pre);
        self.apply(&mut updates);
    }

    /// The UPDATEs taken so far, into the rib as one.
    fn apply(&mut self, updates: &mut Spent) {
        if updates.is_empty() {
            return;
        }
        let outgoing = self.rib.updates_prepared(updates);
        self.hand_back(updates);
        self.deliver(outgoing);
    }

    /// Sends the UPDATEs taken back to the peer tasks that decoded them
    /// ([`Export::Spent`]); `updates` is left empty.
    fn hand_back(&mut self, updates: &mut Spent) {
        let Some(first) = updates.first().map(|u| u.0) else {
            return;
        };
        let mut spent: Vec<(PeerId, Spent)> = Vec::new();
        if updates.iter().all(|u| u.0 == first) {
            // The usual case, a run from one peer: the list itself goes.
            spent.push((first, std::mem::take(updates)));
        } else {
            for update in updates.drain(..) {
                match spent.iter_mut().find(|(peer, _)| *peer == update.0) {
                    Some((_, list)) => list.push(update),
                    None => spent.push((update.0, vec![update])),
                }
            }
        }
        for (peer, list) in spent {
            if let Some(tx) = self.exports.get(&peer) {
                // A peer gone frees them here instead.
                let _ = tx.send(Export::Spent(list));
            }
        }
    }

    /// Pre-policy Adj-RIB-In Route Monitoring and mirroring of a received
    /// UPDATE, before the rib takes it. The UPDATEs of one read (same peer,
    /// same time) go out as one monitoring item, held in `pre` until
    /// [`Task::publish_received`]; with mirroring each goes at once, after
    /// its mirror.
    fn monitor_received(
        &mut self,
        peer: PeerId,
        update: &Update,
        raw: bytes::Bytes,
        received_at: SystemTime,
        pre: &mut Option<Received>,
    ) {
        let rib = &mut self.rib;
        let mirroring = rib.monitors().mirroring();
        if !(rib.monitors().wants(View::AdjRibInPre) || mirroring) {
            // Per UPDATE: no session lookup, no clone, unless someone monitors.
            return;
        }
        if mirroring {
            // Each UPDATE at once, after its mirror.
            self.publish_received(pre);
            if let Some(info) = self.rib.session(peer).cloned() {
                let errored = update.treat_as_withdraw().is_some();
                let monitors = self.rib.monitors_mut();
                monitors.mirror(&info, raw.clone(), errored);
                monitors.route(Some(&info), View::AdjRibInPre, vec![raw], received_at);
            }
            return;
        }
        match pre {
            Some(held) if held.peer == peer && held.at == received_at => held.messages.push(raw),
            _ => {
                self.publish_received(pre);
                *pre = Some(Received {
                    peer,
                    at: received_at,
                    messages: vec![raw],
                });
            }
        }
    }

    /// Sends the received UPDATEs `pre` holds to pre-policy monitoring.
    fn publish_received(&mut self, pre: &mut Option<Received>) {
        let Some(held) = pre.take() else {
            return;
        };
        if let Some(info) = self.rib.session(held.peer).cloned() {
            let monitors = self.rib.monitors_mut();
            monitors.route(Some(&info), View::AdjRibInPre, held.messages, held.at);
        }
    }

    fn event(&mut self, event: PeerEvent) {
        let rib = &mut self.rib;
        let outgoing = match event {
            PeerEvent::Up { info, exports: tx } => {
                tracing::info!(peer = %info.peer, "peer up");
                self.exports.insert(info.peer, tx);
                self.departed.remove(&info.peer);
                rib.peer_up(info)
            }
            PeerEvent::Update {
                peer,
                update,
                raw,
                received_at,
                sets,
            } => {
                let mut pre = None;
                self.monitor_received(peer, &update, raw, received_at, &mut pre);
                self.publish_received(&mut pre);
                self.rib.update_prepared(peer, &update, sets)
            }
            PeerEvent::Updates {
                peer,
                updates: incoming,
            } => {
                // `events` takes these itself; the same, one event alone.
                let mut updates = Vec::new();
                let mut pre = None;
                for item in incoming {
                    let Incoming {
                        update,
                        raw,
                        received_at,
                        sets,
                    } = item;
                    self.monitor_received(peer, &update, raw, received_at, &mut pre);
                    updates.push((peer, update, sets));
                }
                self.publish_received(&mut pre);
                self.apply(&mut updates);
                return;
            }
            PeerEvent::Received {
                peer,
                message,
                errored,
            } => {
                if let Some(info) = rib.session(peer).cloned() {
                    rib.monitors_mut().mirror(&info, message, errored);
                }
                Vec::new()
            }
            PeerEvent::RouteRefresh { peer, family } => {
                let outgoing = rib.route_refresh(peer, family);
                self.deliver_resent(outgoing);
                return;
            }
            PeerEvent::Down { peer, reason } => {
                tracing::info!(%peer, ?reason, "peer down");
                self.exports.remove(&peer);
                let info = rib
                    .session(peer)
                    .cloned()
                    .or_else(|| self.departed.remove(&peer));
                if let Some(info) = info {
                    rib.monitors_mut().peer_down(&info, reason.clone());
                }
                rib.session_down(peer, &reason)
            }
            PeerEvent::Removed { peer } => rib.forget_stale(peer),
        };
        self.deliver(outgoing);
    }

    /// Sends each peer its messages (and BMP Adj-RIB-Out monitoring the
    /// same bytes); a closed channel takes the peer down, whose
    /// withdrawals are delivered in turn.
    fn deliver(&mut self, outgoing: Outgoing) {
        self.deliver_with(outgoing, true);
    }

    /// [`Task::deliver`] for messages that leave the pre-policy
    /// Adj-RIB-Out as it was (a new export policy, ROUTE-REFRESH): the rib
    /// publishes that view's changes itself, if any.
    fn deliver_resent(&mut self, outgoing: Outgoing) {
        self.deliver_with(outgoing, false);
    }

    fn deliver_with(&mut self, mut outgoing: Outgoing, mut pre_policy: bool) {
        while !outgoing.is_empty() {
            let mut gone = Vec::new();
            for (peer, messages) in outgoing {
                if messages.is_empty() {
                    continue;
                }
                self.monitor_sent(peer, &messages, pre_policy);
                let delivered = self
                    .exports
                    .get(&peer)
                    .is_some_and(|tx| tx.send(Export::Messages(messages)).is_ok());
                if !delivered {
                    gone.push(peer);
                }
            }
            outgoing = Vec::new();
            // Withdrawals for peers gone change the view again.
            pre_policy = true;
            for peer in gone {
                tracing::debug!(%peer, "export channel closed: forgetting the peer");
                self.exports.remove(&peer);
                if let Some(info) = self.rib.session(peer).cloned() {
                    self.departed.insert(peer, info);
                }
                outgoing.extend(self.rib.peer_down(peer));
            }
        }
    }

    /// Adj-RIB-Out Route Monitoring (RFC 8671): the messages as sent
    /// (post-policy, and pre-policy too when no export policy applies and
    /// `pre_policy`).
    fn monitor_sent(&mut self, peer: PeerId, messages: &[bytes::Bytes], pre_policy: bool) {
        let monitors = self.rib.monitors();
        let views = [View::AdjRibOutPre, View::AdjRibOutPost];
        if !views.iter().any(|v| monitors.wants(*v)) {
            return;
        }
        let Some(info) = self.rib.session(peer).cloned() else {
            return;
        };
        let now = SystemTime::now();
        // With export policy the rib publishes the pre-policy candidates
        // itself (they are not the messages sent), and so it does for
        // messages re-sent (`pre_policy` false), ADD-PATH peers' included.
        let unfiltered = self.rib.export_unfiltered(peer);
        for view in views {
            if view == View::AdjRibOutPre && !(unfiltered && pre_policy) {
                continue;
            }
            self.rib
                .monitors_mut()
                .route(Some(&info), view, messages.to_vec(), now);
        }
    }
}

#[cfg(test)]
#[path = "task_tests.rs"]
mod tests;
