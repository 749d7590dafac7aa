//! [`Rib`]: the routing state and what each event does to it, without any
//! runtime, so the task, the tests and the benchmark drive the same code.
//!
//! Every event follows the same shape: change Adj-RIB-In and the Loc-RIB
//! candidates, run one best-path decision per touched prefix, then for
//! every established peer compare the advertised best with its
//! Adj-RIB-Out and pack the difference into UPDATEs.

use std::sync::Arc;

use bytes::Bytes;
use ipnet::IpNet;

use super::attrs::{AttrStore, PathAttrs};
use super::batch::{end_of_rib, outgoing_nlri, Batch};
use super::best;
use super::counters::PeerCounters;
use super::event::{PeerId, SessionInfo};
use super::export::{export, Target};
use super::hash::FxHashMap;
use super::import::{self, ImportRules};
use super::monitor::View;
use super::monitoring::{loc_rib_context, receive_context, view_nlri, Monitors};
use super::table::{
    family_index, family_of, AdjRibIn, AdjRibOut, Announced, Destination, Installed, LocRib, Path,
    PostPolicy, PrePolicy, ReceivedRoute, Source, FAMILIES,
};
use crate::config::{Global, PeerType};
use crate::policy::{Decision, PolicyEngine, RouteContext, SourcePeer, TargetPeer};
use crate::wire::bgp::{NextHop, Nlri, Update};
use crate::wire::Family;

/// Messages to send, per peer, in order.
pub type Outgoing = Vec<(PeerId, Vec<Bytes>)>;

/// One established session's state.
#[derive(Debug)]
struct Peer {
    info: Arc<SessionInfo>,
    source: Arc<Source>,
    target: Target,
    rules: ImportRules,
    rib_in: AdjRibIn,
    rib_out: AdjRibOut,
    /// Pre-policy attributes of what export policy keeps back (BMP).
    kept_back: rib_out_pre::KeptBack,
    counters: PeerCounters,
    /// Paths per prefix to send, per family (1 unless ADD-PATH send is
    /// negotiated with `send-max` above one).
    send_max: [usize; 2],
    /// The peer as import policy sees it.
    source_peer: SourcePeer,
    /// The peer as export policy sees it.
    target_peer: TargetPeer,
}

/// All routing state: interned attributes, Adj-RIB-In/Out per peer and
/// Loc-RIB.
#[derive(Debug)]
pub struct Rib {
    global: Arc<Global>,
    store: AttrStore,
    loc: LocRib,
    peers: FxHashMap<PeerId, Peer>,
    seq: u64,
    monitors: Monitors,
    policy: Arc<PolicyEngine>,
    /// The source of locally originated paths (API), one for the rib's life.
    local: Arc<Source>,
    /// Peers keep their kept-back pre-policy attributes (BMP monitors the
    /// pre-policy Adj-RIB-Out, or did until the last event).
    pre_tracked: bool,
    /// Routes kept across a peer's graceful restart, per peer.
    stale: FxHashMap<PeerId, graceful::Stale>,
}

impl Rib {
    /// Empty tables for the speaker configured by `global`.
    pub fn new(global: Arc<Global>) -> Rib {
        let local = Arc::new(Source {
            peer: None,
            router_id: global.router_id,
            peer_as: global.asn,
            external: false,
            route_reflector_client: false,
        });
        Rib {
            local,
            global,
            store: AttrStore::new(),
            loc: LocRib::new(),
            peers: FxHashMap::default(),
            seq: 0,
            monitors: Monitors::default(),
            policy: Arc::new(PolicyEngine::default()),
            pre_tracked: false,
            stale: FxHashMap::default(),
        }
    }

    /// A session reached Established: its initial table (as few UPDATEs as
    /// fit, then End-of-RIB per negotiated family). A session already known
    /// under that address is first taken down.
    pub fn peer_up(&mut self, info: Arc<SessionInfo>) -> Outgoing {
        let mut outgoing = self.peer_down(info.peer);
        let neighbor = &info.neighbor;
        let external = neighbor.peer_type == PeerType::External;
        let source = Source {
            peer: Some(info.peer),
            router_id: info.peer_id,
            peer_as: info.peer_as,
            external,
            route_reflector_client: neighbor.route_reflector_client,
        };
        let rules = ImportRules {
            local_as: info.local_as,
            external,
            allow_own_as: neighbor.allow_own_as,
            router_id: info.local_id,
            cluster_id: neighbor.cluster_id,
        };
        let source_peer = SourcePeer {
            address: Some(info.peer),
            local_address: Some(info.local.ip()),
            asn: info.peer_as,
            router_id: info.peer_id,
            external,
            route_server_client: neighbor.route_server_client,
        };
        let target_peer = TargetPeer {
            address: info.peer,
            asn: info.peer_as,
            local_address: info.local.ip(),
            route_server_client: neighbor.route_server_client,
        };
        // Routes kept across a graceful restart are taken over.
        let taken_over = self.take_over(&info, &source, &mut outgoing);
        let resumed = taken_over.is_some();
        let (source, rib_in, counters) = taken_over.unwrap_or_else(|| {
            (
                Arc::new(source),
                AdjRibIn::default(),
                PeerCounters::default(),
            )
        });
        let mut peer = Peer {
            target: Target::from_session(&info, &self.global),
            info,
            source,
            rules,
            rib_in,
            rib_out: AdjRibOut::default(),
            kept_back: rib_out_pre::KeptBack::new(self.monitors.wants(View::AdjRibOutPre)),
            counters,
            send_max: [1; 2],
            source_peer,
            target_peer,
        };
        for (slot, family) in peer.send_max.iter_mut().zip(FAMILIES) {
            if peer.info.negotiated.add_path_send.contains(&family) {
                let configured = peer
                    .info
                    .neighbor
                    .families
                    .iter()
                    .find(|f| f.name.family() == family)
                    .map_or(0, |f| f.add_paths.send_max);
                *slot = usize::from(configured).max(1);
            }
        }
        let options = self.global.route_selection;
        let mut batch = Batch::default();
        let mut cache = ExportCache::new(&self.policy, &peer.target_peer);
        for family in FAMILIES {
            if !peer.info.negotiated.families.contains(&family) {
                continue;
            }
            let max = family_index(family)
                .and_then(|i| peer.send_max.get(i).copied())
                .unwrap_or(1);
            for (prefix, destination) in self.loc.destinations(family) {
                if max > 1 {
                    multipath::advertise_paths(
                        &mut self.store,
                        &mut peer,
                        prefix,
                        Some(destination),
                        &options,
                        max,
                        &mut cache,
                        &mut batch,
                    );
                    continue;
                }
                let best = destination.best();
                advertise(
                    &mut self.store,
                    &mut peer,
                    prefix,
                    best,
                    &mut cache,
                    &mut batch,
                );
            }
        }
        release_cache(&mut self.store, cache);
        let cx = &peer.info.negotiated;
        let mut messages = batch.encode(cx, &mut self.store);
        messages.extend(
            FAMILIES
                .iter()
                .filter(|f| cx.families.contains(f))
                .filter_map(|f| end_of_rib(*f, cx)),
        );
        let id = peer.info.peer;
        tracing::debug!(peer = %id, messages = messages.len(), "initial table");
        self.monitors.peer_up(&peer.info);
        self.peers.insert(id, peer);
        if resumed {
            self.monitor_taken_over(id);
        }
        self.publish_pre_policy_table(id);
        outgoing.push((id, messages));
        outgoing
    }

    /// One UPDATE from `peer`: RFC 7606 treat-as-withdraw, loop checks,
    /// Adj-RIB-In, best path, and the changes for every peer.
    pub fn update(&mut self, peer: PeerId, update: &Update) -> Outgoing {
        self.update_prepared(peer, update, Vec::new())
    }

    /// [`Rib::update`] with the attribute sets of the announced groups
    /// already built ([`import::prepare`]); empty `sets` builds them here.
    pub fn update_prepared(
        &mut self,
        peer: PeerId,
        update: &Update,
        mut sets: Vec<PathAttrs>,
    ) -> Outgoing {
        let mut touched = Vec::new();
        self.receive(peer, update, &mut sets, &mut touched);
        self.decide_and_export(touched)
    }

    /// Several UPDATEs (from one peer or more) received back to back, as
    /// one: each into Adj-RIB-In and Loc-RIB in order, then one decision
    /// per touched prefix and one batch of changes per peer. The outcome
    /// is the one the UPDATEs give one at a time, with fewer messages
    /// when a later one overrides an earlier one.
    /// The UPDATEs are left in place (their set lists emptied).
    pub fn updates_prepared(
        &mut self,
        updates: &mut [(PeerId, Update, Vec<PathAttrs>)],
    ) -> Outgoing {
        let mut touched = Vec::new();
        for (peer, update, sets) in updates.iter_mut() {
            self.receive(*peer, update, sets, &mut touched);
        }
        self.decide_and_export(touched)
    }

    /// The receive half of [`Rib::update_prepared`]: Adj-RIB-In and
    /// Loc-RIB candidates, the prefixes touched appended to `touched`;
    /// `sets` is emptied.
    fn receive(
        &mut self,
        peer: PeerId,
        update: &Update,
        sets: &mut Vec<PathAttrs>,
        touched: &mut Vec<IpNet>,
    ) {
        let Rib {
            store,
            loc,
            peers,
            seq,
            policy,
            stale,
            ..
        } = self;
        let Some(from) = peers.get_mut(&peer) else {
            tracing::debug!(%peer, "UPDATE from a peer that is not up");
            return;
        };
        // Routes received again after a graceful restart are no longer
        // stale.
        let mut stale = if stale.is_empty() {
            None
        } else {
            stale.get_mut(&peer)
        };
        let accept_all = policy.import_accepts_all(&from.source_peer);
        if update.treat_as_withdraw().is_some() {
            let announced = announced_prefixes(update);
            from.counters.treat_as_withdraw_updates += 1;
            from.counters.treat_as_withdraw_prefixes += announced as u64;
        }
        // Withdrawals the peer sent (the rest are treat-as-withdraw
        // announcements): only those count as duplicate withdraws.
        let explicit = update.withdrawn.len()
            + match update.mp_unreach() {
                Some(crate::wire::bgp::MpUnreach::Prefixes { withdrawn, .. }) => withdrawn.len(),
                _ => 0,
            };
        let duplicates_before = from.counters.duplicates + from.counters.unknown_withdrawals;
        for (i, (family, nlri)) in update.withdrawals().enumerate() {
            if family_index(family).is_none() {
                continue;
            }
            let key = (nlri.prefix, nlri.path_id.unwrap_or(0));
            if let Some(stale) = stale.as_deref_mut() {
                stale.refresh(family, &key);
            }
            if !Holder::of(from).withdraw(store, loc, family, &key, touched) && i < explicit {
                from.counters.unknown_withdrawals += 1;
            }
        }
        if update.treat_as_withdraw().is_none() {
            let groups = announced_groups(update);
            let announced: usize = groups.iter().map(|g| g.2.len()).sum();
            if !groups.is_empty() {
                let prepared = sets.len() == groups.len();
                let mut sets = sets.drain(..);
                let mut base = (!prepared).then(|| import::base_attributes(update));
                let last = groups.len() - 1;
                for (i, (family, next_hop, prefixes)) in groups.into_iter().enumerate() {
                    let set = match sets.next().filter(|_| prepared) {
                        Some(set) => set,
                        None => {
                            // The last family takes the attributes instead of
                            // a copy.
                            let attributes = if i == last {
                                base.take().unwrap_or_default()
                            } else {
                                base.clone().unwrap_or_default()
                            };
                            PathAttrs::new(attributes, next_hop)
                        }
                    };
                    let attrs = store.intern(set);
                    let rejected = import::check_loops(&attrs, &from.rules);
                    for nlri in prefixes {
                        *seq += 1;
                        if let Some(stale) = stale.as_deref_mut() {
                            stale.refresh(family, &(nlri.prefix, nlri.path_id.unwrap_or(0)));
                        }
                        let (post, rejected) = match rejected {
                            None if !accept_all => import_decision(
                                store,
                                policy,
                                &from.source_peer,
                                nlri.prefix,
                                &attrs,
                            ),
                            _ => (None, rejected),
                        };
                        install(
                            store, loc, from, family, nlri, &attrs, post, rejected, *seq, touched,
                        );
                    }
                    store.release(attrs);
                }
            }
            // A whole UPDATE of duplicates (End-of-RIB, with no prefix,
            // is not one).
            let prefixes = explicit + announced;
            let duplicates = from.counters.duplicates + from.counters.unknown_withdrawals;
            if prefixes > 0 && duplicates - duplicates_before == prefixes as u64 {
                from.counters.duplicate_updates += 1;
            }
        }
        if self.monitors.wants(View::AdjRibInPost) {
            self.monitor_post_policy(peer, update);
        }
        if let Some(family) = update.is_end_of_rib() {
            self.end_of_rib_received(peer, family, touched);
        }
    }

    /// Post-policy Adj-RIB-In Route Monitoring for the routes `update`
    /// touched: each as it now stands after import.
    fn monitor_post_policy(&mut self, peer: PeerId, update: &Update) {
        let Some(from) = self.peers.get(&peer) else {
            return;
        };
        let cx = receive_context(&from.info.negotiated);
        let view = PostPolicy::new(&self.loc, &from.source);
        let mut batch = Batch::default();
        let announced = announced_groups(update);
        let keys = update
            .withdrawals()
            .map(|(_, nlri)| nlri)
            .chain(announced.iter().flat_map(|g| g.2.iter()));
        for nlri in keys {
            if family_index(family_of(&nlri.prefix)).is_none() {
                continue;
            }
            match view.get(&(nlri.prefix, nlri.path_id.unwrap_or(0))) {
                Some(path) => batch.announce(Arc::clone(&path.attrs), *nlri),
                None => batch.withdraw(*nlri),
            }
        }
        let messages = batch.encode(&cx, &mut self.store);
        let info = Arc::clone(&from.info);
        let now = std::time::SystemTime::now();
        self.monitors
            .route(Some(&info), View::AdjRibInPost, messages, now);
    }

    /// The session went down: its routes are withdrawn from everyone.
    pub fn peer_down(&mut self, peer: PeerId) -> Outgoing {
        let Some(mut gone) = self.peers.remove(&peer) else {
            return Vec::new();
        };
        self.session_gone(peer);
        gone.kept_back.untrack(&mut self.store);
        let mut removed = Vec::new();
        if gone.counters.loc_rib.total() > 0 {
            self.loc.remove_source(&gone.source, &mut removed);
        }
        let mut touched = Vec::with_capacity(removed.len());
        for (prefix, path) in removed {
            self.store.release(path.attrs);
            touched.push(prefix);
        }
        for (_, route) in gone.rib_in.rejected {
            self.store.release(route.attrs);
        }
        for (_, pre) in gone.rib_in.modified {
            self.store.release(pre);
        }
        for announced in gone.rib_out.into_entries() {
            self.store.release(announced.attrs);
        }
        tracing::debug!(%peer, prefixes = touched.len(), "peer down");
        self.decide_and_export(touched)
    }

    /// ROUTE-REFRESH: `peer`'s Adj-RIB-Out for `family`, sent again.
    pub fn route_refresh(&mut self, peer: PeerId, family: Family) -> Outgoing {
        let Rib {
            store,
            peers,
            policy,
            ..
        } = self;
        let Some(target) = peers.get(&peer) else {
            return Vec::new();
        };
        let cx = &target.info.negotiated;
        let mut batch = Batch::default();
        let mut cache = ExportCache::new(policy, &target.target_peer);
        for (prefix, announced) in target.rib_out.iter(family) {
            let out = exported(store, &mut cache, announced, prefix, &target.target);
            if let Some(attrs) = out {
                batch.announce(attrs, outgoing_nlri(prefix, cx));
            }
        }
        for (prefix, extra) in target.rib_out.extras(family) {
            for (rank, announced) in extra.iter().enumerate() {
                let out = exported(store, &mut cache, announced, prefix, &target.target);
                if let Some(attrs) = out {
                    batch.announce(attrs, Nlri::with_path_id(prefix, rank as u32 + 2));
                }
            }
        }
        release_cache(store, cache);
        let messages = batch.encode(cx, store);
        vec![(peer, messages)]
    }

    /// One decision per touched prefix, then the changes for every peer.
    fn decide_and_export(&mut self, touched: Vec<IpNet>) -> Outgoing {
        self.decide_then(touched, true)
    }

    /// One decision per touched prefix (and Loc-RIB monitoring), then,
    /// when `export`, the changes for every peer.
    fn decide_then(&mut self, mut touched: Vec<IpNet>, export: bool) -> Outgoing {
        if self.pre_tracked && !self.monitors.wants(View::AdjRibOutPre) {
            self.track_pre_policy();
        }
        touched.sort_unstable();
        touched.dedup();
        let options = self.global.route_selection;
        let mut changed = Vec::new();
        for prefix in &touched {
            let select = |d: &mut Destination| d.reason = best::select(&mut d.paths, &options);
            if self.loc.decide(prefix, select) {
                changed.push(*prefix);
            }
        }
        let mut outgoing = Vec::new();
        // ADD-PATH peers care about every touched prefix, not only those
        // whose best path changed.
        let multipath = self
            .peers
            .values()
            .any(|p| p.send_max.iter().any(|m| *m > 1));
        if changed.is_empty() && !multipath {
            return outgoing;
        }
        let Rib {
            store,
            loc,
            peers,
            monitors,
            policy,
            ..
        } = self;
        let bests: Vec<(IpNet, Option<&Path>)> = changed
            .iter()
            .map(|prefix| (*prefix, loc.get(prefix).and_then(Destination::best)))
            .collect();
        if monitors.wants(View::LocRib) {
            let mut batch = Batch::default();
            for (prefix, best) in &bests {
                match best {
                    Some(path) => batch.announce(Arc::clone(&path.attrs), Nlri::new(*prefix)),
                    None => batch.withdraw(Nlri::new(*prefix)),
                }
            }
            let messages = batch.encode(&loc_rib_context(), store);
            let now = std::time::SystemTime::now();
            monitors.route(None, View::LocRib, messages, now);
        }
        if !export {
            return outgoing;
        }
        for (id, peer) in peers.iter_mut() {
            let mut batch = Batch::default();
            let mut cache = ExportCache::new(policy, &peer.target_peer);
            // BMP Adj-RIB-Out pre-policy, when export policy filters: how
            // the view before it changed (else the messages sent are both).
            let mut candidates =
                (monitors.wants(View::AdjRibOutPre) && !cache.accept_all).then(Batch::default);
            if peer.send_max.iter().any(|m| *m > 1) {
                for prefix in &touched {
                    let max = multipath::send_max(peer, prefix);
                    let destination = loc.get(prefix);
                    if max > 1 {
                        if let Some(pre) = candidates.as_mut() {
                            let change = rib_out_pre_paths::change;
                            change(store, &mut cache, peer, *prefix, destination, &options, pre);
                        }
                        multipath::advertise_paths(
                            store,
                            peer,
                            *prefix,
                            destination,
                            &options,
                            max,
                            &mut cache,
                            &mut batch,
                        );
                    } else if changed.binary_search(prefix).is_ok() {
                        let best = destination.and_then(Destination::best);
                        let pre = candidates.as_mut();
                        let both = rib_out_pre::advertise_both;
                        both(store, peer, *prefix, best, &mut cache, &mut batch, pre);
                    }
                }
            } else {
                for (prefix, best) in &bests {
                    let pre = candidates.as_mut();
                    let both = rib_out_pre::advertise_both;
                    both(store, peer, *prefix, *best, &mut cache, &mut batch, pre);
                }
            }
            if let Some(candidates) = candidates.filter(|c| !c.is_empty()) {
                let messages = candidates.encode(&peer.info.negotiated, store);
                let now = std::time::SystemTime::now();
                monitors.route(Some(&peer.info), View::AdjRibOutPre, messages, now);
            }
            release_cache(store, cache);
            if !batch.is_empty() {
                outgoing.push((*id, batch.encode(&peer.info.negotiated, store)));
            }
        }
        outgoing
    }

    /// The counters of an established peer.
    pub fn counters(&self, peer: PeerId) -> Option<&PeerCounters> {
        self.peers.get(&peer).map(|p| &p.counters)
    }

    /// The pre-policy Adj-RIB-In of an established peer.
    pub fn adj_rib_in(&self, peer: PeerId) -> Option<PrePolicy<'_>> {
        let p = self.peers.get(&peer)?;
        let len = usize::try_from(p.counters.adj_rib_in.total()).unwrap_or(usize::MAX);
        Some(PrePolicy::new(&p.rib_in, &self.loc, &p.source, len))
    }

    /// The post-policy Adj-RIB-In of an established peer.
    pub fn adj_rib_in_post_policy(&self, peer: PeerId) -> Option<PostPolicy<'_>> {
        let p = self.peers.get(&peer)?;
        Some(PostPolicy::new(&self.loc, &p.source))
    }

    /// The Adj-RIB-Out of an established peer.
    pub fn adj_rib_out(&self, peer: PeerId) -> Option<&AdjRibOut> {
        self.peers.get(&peer).map(|p| &p.rib_out)
    }

    /// Loc-RIB.
    pub fn loc_rib(&self) -> &LocRib {
        &self.loc
    }

    /// Every established session with its counters and Adj-RIB-Out.
    pub(crate) fn sessions(
        &self,
    ) -> impl Iterator<Item = (&Arc<SessionInfo>, &PeerCounters, &AdjRibOut)> {
        self.peers
            .values()
            .map(|p| (&p.info, &p.counters, &p.rib_out))
    }

    /// The speaker's settings.
    pub fn global(&self) -> &Global {
        &self.global
    }

    /// The session of an established peer.
    pub fn session(&self, peer: PeerId) -> Option<&Arc<SessionInfo>> {
        self.peers.get(&peer).map(|p| &p.info)
    }

    /// The monitoring subscriptions.
    pub fn monitors(&self) -> &Monitors {
        &self.monitors
    }

    /// The monitoring subscriptions, to publish to.
    pub fn monitors_mut(&mut self) -> &mut Monitors {
        &mut self.monitors
    }

    pub(crate) fn store_and_monitors(&mut self) -> (&mut AttrStore, &mut Monitors) {
        (&mut self.store, &mut self.monitors)
    }

    /// What `peer`'s Adj-RIB-Out announces, as sent: the outgoing NLRI and
    /// attributes (one store reference each, for a [`Batch`]).
    pub(crate) fn exported_routes(&mut self, peer: PeerId) -> Option<Vec<(Nlri, Arc<PathAttrs>)>> {
        let Rib {
            store,
            peers,
            policy,
            ..
        } = self;
        let target = peers.get(&peer)?;
        let cx = &target.info.negotiated;
        let mut routes = Vec::with_capacity(target.rib_out.len());
        let mut cache = ExportCache::new(policy, &target.target_peer);
        for family in FAMILIES {
            for (prefix, announced) in target.rib_out.iter(family) {
                if let Some(attrs) = exported(store, &mut cache, announced, prefix, &target.target)
                {
                    routes.push((outgoing_nlri(prefix, cx), attrs));
                }
            }
            for (prefix, extra) in target.rib_out.extras(family) {
                for (rank, announced) in extra.iter().enumerate() {
                    let out = exported(store, &mut cache, announced, prefix, &target.target);
                    if let Some(attrs) = out {
                        routes.push((Nlri::with_path_id(prefix, rank as u32 + 2), attrs));
                    }
                }
            }
        }
        release_cache(store, cache);
        Some(routes)
    }

    /// Number of distinct attribute sets held.
    pub fn attribute_sets(&self) -> usize {
        self.store.len()
    }
}

#[path = "multipath.rs"]
mod multipath;

#[path = "reevaluate.rs"]
mod reevaluate;

#[path = "local.rs"]
mod local;

#[path = "rib_out_pre.rs"]
mod rib_out_pre;

#[path = "rib_out_pre_paths.rs"]
mod rib_out_pre_paths;

#[path = "inbound.rs"]
mod inbound;

#[path = "graceful.rs"]
mod graceful;
pub use graceful::{now as graceful_now, STALE_PATH_TIME};

#[path = "outbound.rs"]
mod outbound;

use inbound::{announced_groups, announced_prefixes, import_decision, install, Holder};
use outbound::{advertise, export_policy, exported, exported_base, release_cache, ExportCache};
