//! BMP Adj-RIB-Out pre-policy (RFC 8671) when a peer's export policy
//! filters or changes routes: the routes the advertisement rules would
//! send, before export policy. Without export policy it is the same as
//! post-policy and comes from the messages sent.
//!
//! The view is not stored as a table of its own. A prefix the peer was
//! sent is in it with the advertisement rules' attributes for the path
//! its Adj-RIB-Out entry holds; a prefix export policy kept back (the
//! `filtered` set of the Adj-RIB-Out) is in it with the attributes
//! [`KeptBack`] holds, and only while some station monitors the view:
//! nothing per route is added otherwise. Each live change is the view
//! after an event against the view before it, so the stream never
//! withdraws a prefix the view did not hold nor announces attributes it
//! already held.
//!
//! The families a peer is sent several paths of (ADD-PATH send) are in
//! `rib_out_pre_paths`: their view is ranked paths, held as ranked sets
//! per prefix in [`KeptBack`] on the same terms.

use std::sync::Arc;

use ipnet::IpNet;

use super::super::attrs::{AttrStore, PathAttrs};
use super::super::batch::{end_of_rib, outgoing_nlri, Batch};
use super::super::hash::FxHashMap;
use super::super::monitor::View;
use super::super::table::{family_of, Announced, Destination, Path, FAMILIES};
use super::multipath::family_send_max;
use super::{
    advertise, exported_base, release_cache, rib_out_pre_paths, ExportCache, Peer, PeerId, Rib,
};
use crate::wire::bgp::Nlri;

/// The pre-policy attributes of the prefixes export policy keeps from
/// one peer, held only while the pre-policy Adj-RIB-Out is monitored;
/// for the families the peer is sent several paths of, the view's ranked
/// sets of every prefix (see `rib_out_pre_paths`).
#[derive(Debug, Default)]
pub(super) struct KeptBack {
    /// The sets are kept up to date (some station monitors the view).
    tracked: bool,
    sets: FxHashMap<IpNet, Arc<PathAttrs>>,
    /// Per prefix of an ADD-PATH send family: the view's sets by rank
    /// (path id 1 first), never empty.
    ranks: FxHashMap<IpNet, Vec<Arc<PathAttrs>>>,
}

impl KeptBack {
    /// Empty, tracking from the start when `tracked`.
    pub(super) fn new(tracked: bool) -> KeptBack {
        KeptBack {
            tracked,
            ..KeptBack::default()
        }
    }

    /// The sets are kept up to date (some station monitors the view).
    pub(super) fn tracked(&self) -> bool {
        self.tracked
    }

    /// Takes the view's ranked sets held for `prefix` (empty: none).
    pub(super) fn take_ranks(&mut self, prefix: &IpNet) -> Vec<Arc<PathAttrs>> {
        if self.ranks.is_empty() {
            return Vec::new();
        }
        self.ranks.remove(prefix).unwrap_or_default()
    }

    /// Holds `ranks` as `prefix`'s ranked sets, taking the references;
    /// they are given back instead unless tracking.
    pub(super) fn set_ranks(
        &mut self,
        store: &mut AttrStore,
        prefix: IpNet,
        ranks: Vec<Arc<PathAttrs>>,
    ) {
        let replaced = if self.tracked && !ranks.is_empty() {
            self.ranks.insert(prefix, ranks).unwrap_or_default()
        } else {
            ranks
        };
        for attrs in replaced {
            store.release(attrs);
        }
    }

    /// Records `prefix`'s pre-policy attributes (`None`: not kept back),
    /// taking the reference; nothing is kept unless tracking.
    pub(super) fn set(
        &mut self,
        store: &mut AttrStore,
        prefix: IpNet,
        base: Option<Arc<PathAttrs>>,
    ) {
        let replaced = match base {
            Some(base) if self.tracked => self.sets.insert(prefix, base),
            Some(base) => Some(base),
            None if self.sets.is_empty() => None,
            None => self.sets.remove(&prefix),
        };
        if let Some(replaced) = replaced {
            store.release(replaced);
        }
    }

    /// Gives every reference back (nothing is kept back any more).
    pub(super) fn clear(&mut self, store: &mut AttrStore) {
        for (_, attrs) in self.sets.drain() {
            store.release(attrs);
        }
        for attrs in self.ranks.drain().flat_map(|(_, ranks)| ranks) {
            store.release(attrs);
        }
    }

    /// Stops tracking and gives every reference back.
    pub(super) fn untrack(&mut self, store: &mut AttrStore) {
        self.tracked = false;
        self.clear(store);
    }

    /// Number of attribute sets held (one per kept-back prefix, one per
    /// rank of an ADD-PATH send family's prefix).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.sets.len() + self.ranks.values().map(Vec::len).sum::<usize>()
    }
}

/// The pre-policy view's attributes for `prefix` as they stand (one
/// reference for the caller): from the Adj-RIB-Out entry, else from
/// what export policy kept back.
pub(super) fn before(
    store: &mut AttrStore,
    cache: &mut ExportCache,
    peer: &Peer,
    prefix: IpNet,
) -> Option<Arc<PathAttrs>> {
    match peer.rib_out.get(&prefix) {
        Some(sent) => exported_base(store, cache, sent, family_of(&prefix), &peer.target),
        None => peer.kept_back.sets.get(&prefix).cloned(),
    }
}

/// Queues in `batch` what the pre-policy view of `prefix` changed by, from
/// `before` (taken by [`before`] ahead of the event) to `best` through
/// the advertisement rules: an announcement when the attributes are new,
/// a withdrawal when the view held the prefix and no longer does.
pub(super) fn change(
    store: &mut AttrStore,
    cache: &mut ExportCache,
    peer: &Peer,
    prefix: IpNet,
    best: Option<&Path>,
    before: Option<Arc<PathAttrs>>,
    batch: &mut Batch,
) {
    let cx = &peer.info.negotiated;
    let family = family_of(&prefix);
    let after = best
        .filter(|_| cx.families.contains(&family))
        .and_then(|path| {
            let announced = Announced {
                source: Arc::clone(&path.source),
                attrs: Arc::clone(&path.attrs),
            };
            exported_base(store, cache, &announced, family, &peer.target)
        });
    match (before, after) {
        (Some(before), Some(after)) if Arc::ptr_eq(&before, &after) => {
            store.release(before);
            store.release(after);
        }
        (before, Some(after)) => {
            if let Some(before) = before {
                store.release(before);
            }
            batch.announce(after, outgoing_nlri(prefix, cx));
        }
        (Some(before), None) => {
            store.release(before);
            batch.withdraw(outgoing_nlri(prefix, cx));
        }
        (None, None) => {}
    }
}

/// [`advertise`] `best` for `prefix` to `peer`, and queue in `pre` (when
/// some station monitors the pre-policy view) how that view changed.
#[allow(clippy::too_many_arguments)]
pub(super) fn advertise_both(
    store: &mut AttrStore,
    peer: &mut Peer,
    prefix: IpNet,
    best: Option<&Path>,
    cache: &mut ExportCache,
    batch: &mut Batch,
    pre: Option<&mut Batch>,
) {
    let Some(pre) = pre else {
        advertise(store, peer, prefix, best, cache, batch);
        return;
    };
    let was = before(store, cache, peer, prefix);
    advertise(store, peer, prefix, best, cache, batch);
    change(store, cache, peer, prefix, best, was, pre);
}

impl Rib {
    /// No export policy filters or changes what `peer` is sent.
    pub fn export_unfiltered(&self, peer: PeerId) -> bool {
        self.peers
            .get(&peer)
            .map_or(true, |p| self.policy.export_accepts_all(&p.target_peer))
    }

    /// Keeps the kept-back attributes of every peer while the pre-policy
    /// Adj-RIB-Out is monitored (filled from Loc-RIB when monitoring
    /// starts), and drops them when it no longer is. Call between events,
    /// when every prefix's best path is decided.
    pub(crate) fn track_pre_policy(&mut self) {
        let wanted = self.monitors.wants(View::AdjRibOutPre);
        if !wanted && !self.pre_tracked {
            return;
        }
        self.pre_tracked = wanted;
        let Rib {
            store,
            peers,
            policy,
            loc,
            global,
            ..
        } = self;
        let options = global.route_selection;
        for peer in peers.values_mut() {
            if !wanted {
                if peer.kept_back.tracked {
                    peer.kept_back.untrack(store);
                }
                continue;
            }
            if peer.kept_back.tracked {
                continue;
            }
            peer.kept_back.tracked = true;
            let mut cache = ExportCache::new(policy, &peer.target_peer);
            for family in FAMILIES {
                let kept: Vec<IpNet> = peer.rib_out.filtered(family).collect();
                for prefix in kept {
                    let base = loc
                        .get(&prefix)
                        .and_then(Destination::best)
                        .and_then(|path| {
                            let announced = Announced {
                                source: Arc::clone(&path.source),
                                attrs: Arc::clone(&path.attrs),
                            };
                            exported_base(store, &mut cache, &announced, family, &peer.target)
                        });
                    peer.kept_back.set(store, prefix, base);
                }
            }
            if !cache.accept_all {
                rib_out_pre_paths::hold_all(store, &mut cache, loc, peer, &options);
            }
            release_cache(store, cache);
        }
    }

    /// A session just came up under export policy: its whole pre-policy
    /// Adj-RIB-Out, then End-of-RIB, to the stations monitoring the view
    /// (without export policy the messages sent are the view's).
    pub(super) fn publish_pre_policy_table(&mut self, peer: PeerId) {
        if !self.monitors.wants(View::AdjRibOutPre) || self.export_unfiltered(peer) {
            return;
        }
        self.hold_ranks(peer);
        let Some(routes) = self.candidates(peer) else {
            return;
        };
        let Some(info) = self.session(peer).cloned() else {
            return;
        };
        let cx = &info.negotiated;
        let mut batch = Batch::default();
        for (nlri, attrs) in routes {
            batch.announce(attrs, nlri);
        }
        let mut messages = batch.encode(cx, &mut self.store);
        messages.extend(
            FAMILIES
                .iter()
                .filter(|f| cx.families.contains(f))
                .filter_map(|f| end_of_rib(*f, cx)),
        );
        let now = std::time::SystemTime::now();
        self.monitors
            .route(Some(&info), View::AdjRibOutPre, messages, now);
    }

    /// Attribute sets held for `peer`'s kept-back prefixes (none unless
    /// the pre-policy Adj-RIB-Out is monitored).
    #[cfg(test)]
    pub(crate) fn kept_back_len(&self, peer: PeerId) -> usize {
        self.peers.get(&peer).map_or(0, |p| p.kept_back.len())
    }

    /// `peer`'s pre-policy Adj-RIB-Out: every Loc-RIB best path the
    /// advertisement rules let through, as it would be sent before export
    /// policy (one store reference each, for a [`Batch`]); for a family
    /// it is sent several paths of, the best of those paths, with path ids
    /// by rank. The post-policy routes when no export policy applies.
    pub(crate) fn candidates(&mut self, peer: PeerId) -> Option<Vec<(Nlri, Arc<PathAttrs>)>> {
        if self.export_unfiltered(peer) {
            return self.exported_routes(peer);
        }
        let Rib {
            store,
            peers,
            policy,
            loc,
            global,
            ..
        } = self;
        let target = peers.get(&peer)?;
        let cx = &target.info.negotiated;
        let mut cache = ExportCache::new(policy, &target.target_peer);
        let mut routes = Vec::new();
        for family in FAMILIES.into_iter().filter(|f| cx.families.contains(f)) {
            let max = family_send_max(target, family);
            if max > 1 {
                let options = global.route_selection;
                for (prefix, destination) in loc.destinations(family) {
                    let view = rib_out_pre_paths::ranks;
                    let ranks = view(
                        store,
                        &mut cache,
                        target,
                        prefix,
                        Some(destination),
                        &options,
                        max,
                    );
                    for (rank, attrs) in (1..).zip(ranks) {
                        routes.push((Nlri::with_path_id(prefix, rank), attrs));
                    }
                }
                continue;
            }
            for (prefix, destination) in loc.destinations(family) {
                let Some(best) = destination.best() else {
                    continue;
                };
                let announced = Announced {
                    source: Arc::clone(&best.source),
                    attrs: Arc::clone(&best.attrs),
                };
                if let Some(attrs) =
                    exported_base(store, &mut cache, &announced, family, &target.target)
                {
                    routes.push((outgoing_nlri(prefix, cx), attrs));
                }
            }
        }
        release_cache(store, cache);
        Some(routes)
    }
}
