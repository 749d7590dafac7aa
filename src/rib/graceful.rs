//! Graceful restart, the receiving speaker's part (RFC 4724 §4.2, with
//! RFC 8538's N bit): the routes of a peer whose session drops are kept,
//! marked stale, so forwarding and the other peers see no change while
//! it restarts.
//!
//! - **Down.** When the peer advertised the capability, graceful restart
//!   is enabled for the neighbor, and the session ended without a
//!   NOTIFICATION (or with one other than Cease when both sides set the N
//!   bit, except a Hard Reset), the routes of the families the peer listed
//!   stay in Adj-RIB-In and Loc-RIB, stale; those of other families are
//!   withdrawn at once. The restart timer is the peer's Restart Time.
//! - **Restart timer.** The peer not back in time: its stale routes go.
//! - **Up again.** The new session takes over the stale routes (same
//!   source, so a route received again replaces its stale copy in place),
//!   unless the peer's BGP identifier, AS or kind changed. A family the
//!   new OPEN does not list with the Forwarding State bit loses its stale
//!   routes at once. Each route received again is no longer stale.
//! - **End-of-RIB** for a family from the new session, or the stale-path
//!   timer ([`STALE_PATH_TIME`]) ending first: the routes still stale are
//!   withdrawn, as if the peer had withdrawn them.
//! - A neighbor removed from the configuration loses its stale routes.
//!
//! BMP sees a Peer Down and a Peer Up as usual. The routes kept are
//! announced in the post-policy Adj-RIB-In view right after the new Peer
//! Up (the view of a new session starts empty at the station), and
//! withdrawn there when they go.

use std::time::{Duration, Instant};

use super::super::event::DownReason;
use super::super::hash::FxHashSet;
use super::super::table::RouteKey;
use super::*;
use crate::wire::bgp::{Capability, GracefulRestart, Message, Negotiated};

/// How long the routes kept across a restart wait for the peer's
/// End-of-RIB once its new session is up (FRR's `stalepath-time`
/// default; gobgpd ignores its own `stale-routes-time`).
pub const STALE_PATH_TIME: Duration = Duration::from_secs(360);

/// The time the graceful restart timers run on: tokio's clock, which is
/// the system's monotonic clock unless a test pauses it.
pub fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// NOTIFICATION error code Cease, and its Hard Reset subcode (RFC 8538).
const CEASE: u8 = 6;
const HARD_RESET: u8 = 9;

/// What graceful restart keeps of a session that went down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Retention {
    /// The families whose routes are kept.
    pub families: Vec<Family>,
    /// The peer's Restart Time.
    pub restart_time: Duration,
}

/// The graceful restart capability in an OPEN message (whole message).
fn capability_of(open: &Bytes) -> Option<GracefulRestart> {
    let Ok(Message::Open(open)) = Message::decode(open.clone(), &Negotiated::default()) else {
        return None;
    };
    let found = open.capabilities().find_map(|c| match c {
        Capability::GracefulRestart(gr) => Some(gr.clone()),
        _ => None,
    });
    found
}

/// What graceful restart keeps of the session `info` that went down for
/// `reason`; `None` to withdraw everything at once.
pub(super) fn retention(info: &SessionInfo, reason: &DownReason) -> Option<Retention> {
    if !info.neighbor.graceful_restart.enabled {
        return None;
    }
    let theirs = capability_of(&info.received_open)?;
    let notification = |bytes: &Bytes| {
        // Marker (16), length (2), type (1), then code and subcode.
        let code = bytes.get(19).copied().unwrap_or(0);
        let subcode = bytes.get(20).copied().unwrap_or(0);
        (code, subcode)
    };
    let both_n = || {
        theirs.notification()
            && capability_of(&info.sent_open).is_some_and(|ours| ours.notification())
    };
    let keep = match reason {
        DownReason::RemoteClosed | DownReason::LocalNoNotification(_) => true,
        // Our own Cease is an administrative choice: nothing to wait for.
        DownReason::LocalNotification(bytes) => {
            let (code, _) = notification(bytes);
            code != CEASE && both_n()
        }
        DownReason::RemoteNotification(bytes) => {
            let (code, subcode) = notification(bytes);
            !(code == CEASE && subcode == HARD_RESET) && both_n()
        }
        DownReason::Deconfigured => false,
    };
    if !keep || theirs.restart_time == 0 {
        return None;
    }
    let families: Vec<Family> = theirs
        .families
        .iter()
        .map(|f| f.family)
        .filter(|f| info.negotiated.families.contains(f) && family_index(*f).is_some())
        .collect();
    (!families.is_empty()).then(|| Retention {
        families,
        restart_time: Duration::from_secs(u64::from(theirs.restart_time)),
    })
}

/// The families of a new session's OPEN that keep their stale routes:
/// listed in its graceful restart capability with the Forwarding State
/// bit set.
fn preserved(info: &SessionInfo) -> Vec<Family> {
    capability_of(&info.received_open).map_or_else(Vec::new, |gr| {
        gr.families
            .iter()
            .filter(|f| f.forwarding())
            .map(|f| f.family)
            .collect()
    })
}

/// A peer's routes kept across its restart.
#[derive(Debug)]
pub(super) struct Stale {
    /// Per family (IPv4, IPv6): the routes not received again since the
    /// session dropped.
    keys: [FxHashSet<RouteKey>; 2],
    /// The restart timer while the peer is away, then the stale-path timer.
    deadline: Instant,
    /// While the peer is away: what its session held.
    away: Option<Away>,
}

/// What a session that went down with its routes kept held.
#[derive(Debug)]
pub(super) struct Away {
    /// When the session that went down had come up (the routes' age).
    since: std::time::SystemTime,
    source: Arc<Source>,
    rib_in: AdjRibIn,
    counters: PeerCounters,
}

impl Stale {
    /// No stale route left.
    fn is_empty(&self) -> bool {
        self.keys.iter().all(FxHashSet::is_empty)
    }

    /// `key` of `family` was received again (announced or withdrawn): no
    /// longer stale.
    pub(super) fn refresh(&mut self, family: Family, key: &RouteKey) {
        if let Some(keys) = family_index(family).and_then(|i| self.keys.get_mut(i)) {
            if !keys.is_empty() {
                keys.remove(key);
            }
        }
    }

    /// Takes the stale keys of `family`.
    fn take(&mut self, family: Family) -> FxHashSet<RouteKey> {
        family_index(family)
            .and_then(|i| self.keys.get_mut(i))
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

impl Away {
    /// Withdraws the stale routes `stale` holds of each family `gone`
    /// selects, their prefixes appended to `touched`.
    fn withdraw(
        &mut self,
        store: &mut AttrStore,
        loc: &mut LocRib,
        stale: &mut Stale,
        gone: impl Fn(Family) -> bool,
        touched: &mut Vec<IpNet>,
    ) {
        let mut holder = Holder {
            source: &self.source,
            rib_in: &mut self.rib_in,
            counters: &mut self.counters,
        };
        for family in FAMILIES.into_iter().filter(|f| gone(*f)) {
            for key in stale.take(family) {
                holder.withdraw(store, loc, family, &key, touched);
            }
        }
    }

    /// Gives back what is left (nothing once every stale route went).
    fn release(mut self, store: &mut AttrStore) {
        for (_, route) in self.rib_in.rejected.drain() {
            store.release(route.attrs);
        }
        for (_, pre) in self.rib_in.modified.drain() {
            store.release(pre);
        }
    }
}

/// Every route key `source` holds in Loc-RIB, and of `rib_in`'s rejected
/// routes, per family.
fn keys_of(loc: &LocRib, source: &Arc<Source>, rib_in: &AdjRibIn) -> [FxHashSet<RouteKey>; 2] {
    let mut keys: [FxHashSet<RouteKey>; 2] = Default::default();
    let accepted = PostPolicy::new(loc, source).iter().map(|(key, _)| key);
    for key in accepted.chain(rib_in.rejected.keys().copied()) {
        if let Some(set) = family_index(family_of(&key.0)).and_then(|i| keys.get_mut(i)) {
            set.insert(key);
        }
    }
    keys
}

impl Rib {
    /// The session of `peer` went down for `reason`: its routes are
    /// kept, stale, as graceful restart says, else withdrawn from
    /// everyone ([`Rib::peer_down`]).
    pub fn session_down(&mut self, peer: PeerId, reason: &DownReason) -> Outgoing {
        let retention = self
            .peers
            .get(&peer)
            .and_then(|p| retention(&p.info, reason));
        let Some(retention) = retention else {
            return self.peer_down(peer);
        };
        let Some(mut gone) = self.peers.remove(&peer) else {
            return Vec::new();
        };
        gone.kept_back.untrack(&mut self.store);
        for announced in gone.rib_out.into_entries() {
            self.store.release(announced.attrs);
        }
        let mut stale = Stale {
            keys: keys_of(&self.loc, &gone.source, &gone.rib_in),
            deadline: now() + retention.restart_time,
            away: None,
        };
        let mut away = Away {
            since: gone.info.established_at,
            source: gone.source,
            rib_in: gone.rib_in,
            counters: PeerCounters {
                adj_rib_in: gone.counters.adj_rib_in,
                loc_rib: gone.counters.loc_rib,
                ..PeerCounters::default()
            },
        };
        let mut touched = Vec::new();
        let (store, loc) = (&mut self.store, &mut self.loc);
        let kept = |f: Family| retention.families.contains(&f);
        away.withdraw(store, loc, &mut stale, |f| !kept(f), &mut touched);
        let routes: usize = stale.keys.iter().map(FxHashSet::len).sum();
        tracing::info!(
            %peer,
            routes,
            restart_time = retention.restart_time.as_secs(),
            "graceful restart: the peer's routes are kept, stale, until it is back"
        );
        stale.away = Some(away);
        self.stale.insert(peer, stale);
        self.decide_and_export(touched)
    }

    /// The stale routes kept for `peer` while it is away, for a session
    /// coming up: the parts its new [`Peer`] takes over (`None` when
    /// there are none, or they cannot be taken over and were withdrawn,
    /// the changes appended to `outgoing`).
    pub(super) fn take_over(
        &mut self,
        info: &SessionInfo,
        source: &Source,
        outgoing: &mut Outgoing,
    ) -> Option<(Arc<Source>, AdjRibIn, PeerCounters)> {
        let mut stale = self.stale.remove(&info.peer)?;
        let mut away = stale.away.take()?;
        let same = away.source.router_id == source.router_id
            && away.source.peer_as == source.peer_as
            && away.source.external == source.external
            && away.source.route_reflector_client == source.route_reflector_client;
        let preserved = if same { preserved(info) } else { Vec::new() };
        let back = |f: Family| preserved.contains(&f) && info.negotiated.families.contains(&f);
        let mut touched = Vec::new();
        let (store, loc) = (&mut self.store, &mut self.loc);
        away.withdraw(store, loc, &mut stale, |f| !back(f), &mut touched);
        outgoing.extend(self.decide_and_export(touched));
        if !same {
            tracing::info!(peer = %info.peer, "graceful restart: the peer came back as another speaker; its stale routes are withdrawn");
            away.release(&mut self.store);
            return None;
        }
        if !stale.is_empty() {
            stale.deadline = now() + STALE_PATH_TIME;
            self.stale.insert(info.peer, stale);
        }
        Some((away.source, away.rib_in, away.counters))
    }

    /// Post-policy Adj-RIB-In Route Monitoring of every route `peer`'s
    /// new session took over (the station's view of it starts empty).
    pub(super) fn monitor_taken_over(&mut self, peer: PeerId) {
        if !self.monitors.wants(View::AdjRibInPost) {
            return;
        }
        let Some(from) = self.peers.get(&peer) else {
            return;
        };
        let cx = receive_context(&from.info.negotiated);
        let mut batch = Batch::default();
        for ((prefix, path_id), path) in PostPolicy::new(&self.loc, &from.source).iter() {
            let nlri = view_nlri(prefix, path_id, &cx);
            batch.announce(Arc::clone(&path.attrs), nlri);
        }
        if batch.is_empty() {
            return;
        }
        let messages = batch.encode(&cx, &mut self.store);
        let info = Arc::clone(&from.info);
        let now = std::time::SystemTime::now();
        self.monitors
            .route(Some(&info), View::AdjRibInPost, messages, now);
    }

    /// End-of-RIB for `family` from `peer`: its routes still stale go,
    /// their prefixes appended to `touched`.
    pub(super) fn end_of_rib_received(
        &mut self,
        peer: PeerId,
        family: Family,
        touched: &mut Vec<IpNet>,
    ) {
        let keys = match self.stale.get_mut(&peer) {
            Some(stale) if stale.away.is_none() => stale.take(family),
            _ => return,
        };
        if self.stale.get(&peer).is_some_and(Stale::is_empty) {
            self.stale.remove(&peer);
        }
        self.sweep(peer, family, keys, touched);
    }

    /// Withdraws `keys` of `family` from the established `peer` (their
    /// prefixes appended to `touched`), with their post-policy
    /// withdrawals for BMP.
    fn sweep(
        &mut self,
        peer: PeerId,
        family: Family,
        keys: FxHashSet<RouteKey>,
        touched: &mut Vec<IpNet>,
    ) {
        if keys.is_empty() {
            return;
        }
        let Some(from) = self.peers.get_mut(&peer) else {
            return;
        };
        tracing::info!(%peer, %family, routes = keys.len(), "graceful restart: stale routes withdrawn");
        let cx = receive_context(&from.info.negotiated);
        let mut batch = Batch::default();
        for key in keys {
            if Holder::of(from).withdraw(&mut self.store, &mut self.loc, family, &key, touched) {
                batch.withdraw(view_nlri(key.0, key.1, &cx));
            }
        }
        if self.monitors.wants(View::AdjRibInPost) {
            let info = Arc::clone(&from.info);
            let messages = batch.encode(&cx, &mut self.store);
            let now = std::time::SystemTime::now();
            self.monitors
                .route(Some(&info), View::AdjRibInPost, messages, now);
        }
    }

    /// When the next graceful restart timer ends, if any runs.
    pub fn next_stale_deadline(&self) -> Option<Instant> {
        self.stale.values().map(|s| s.deadline).min()
    }

    /// Ends the graceful restart timers due at `now`: the stale routes
    /// they guard are withdrawn.
    pub fn expire_stale(&mut self, now: Instant) -> Outgoing {
        let due: Vec<PeerId> = self
            .stale
            .iter()
            .filter(|(_, s)| s.deadline <= now)
            .map(|(peer, _)| *peer)
            .collect();
        let mut outgoing = Vec::new();
        for peer in due {
            tracing::info!(%peer, "graceful restart: timer ended before the peer's End-of-RIB");
            outgoing.extend(self.forget_stale(peer));
        }
        outgoing
    }

    /// Withdraws every stale route kept for `peer` (removed from the
    /// configuration, or its timer ended).
    pub fn forget_stale(&mut self, peer: PeerId) -> Outgoing {
        let Some(mut stale) = self.stale.remove(&peer) else {
            return Vec::new();
        };
        let Some(mut away) = stale.away.take() else {
            let mut touched = Vec::new();
            for family in FAMILIES {
                let keys = stale.take(family);
                self.sweep(peer, family, keys, &mut touched);
            }
            return self.decide_and_export(touched);
        };
        let mut touched = Vec::new();
        let (store, loc) = (&mut self.store, &mut self.loc);
        away.withdraw(store, loc, &mut stale, |_| true, &mut touched);
        away.release(&mut self.store);
        self.decide_and_export(touched)
    }

    /// `peer`'s session is gone for good: nothing stale of it is kept
    /// (its routes went with the session's source).
    pub(super) fn session_gone(&mut self, peer: PeerId) {
        if self.stale.get(&peer).is_some_and(|s| s.away.is_none()) {
            self.stale.remove(&peer);
        }
    }

    /// When the session of `peer` that went down with its routes kept had
    /// come up, while it is away.
    pub fn away_since(&self, peer: PeerId) -> Option<std::time::SystemTime> {
        self.stale.get(&peer)?.away.as_ref().map(|a| a.since)
    }

    /// `key` of `peer` is a route kept across its graceful restart and
    /// not received again yet.
    pub fn is_stale(&self, peer: PeerId, key: &RouteKey) -> bool {
        self.stale.get(&peer).is_some_and(|s| {
            family_index(family_of(&key.0))
                .and_then(|i| s.keys.get(i))
                .is_some_and(|keys| keys.contains(key))
        })
    }

    /// Stale routes kept for `peer`, away or back (tests).
    #[cfg(test)]
    pub(crate) fn stale_len(&self, peer: PeerId) -> usize {
        self.stale
            .get(&peer)
            .map_or(0, |s| s.keys.iter().map(FxHashSet::len).sum())
    }
}
