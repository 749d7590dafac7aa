//! BMP Adj-RIB-Out pre-policy (RFC 8671) of the families a peer is sent
//! several paths of (ADD-PATH send, `send-max` N above one).
//!
//! The view holds, per prefix, the N best paths of the Loc-RIB
//! destination that the advertisement rules let through, before export
//! policy, ranked as `multipath` ranks the paths it sends, with path ids
//! 1..N by rank. Without export policy that is what the peer is sent (its
//! Adj-RIB-Out entries, [`sent_ranks`]).
//!
//! Under export policy, and only while some station monitors the view,
//! the peer's [`KeptBack`](super::rib_out_pre::KeptBack) holds each
//! prefix's ranked attribute sets (filled from Loc-RIB when monitoring
//! starts or the session comes up, dropped when it stops). Each event's
//! change is the view after it against those sets: a rank whose set
//! changed is announced, a rank no longer filled withdrawn, so the stream
//! never withdraws a rank the view did not hold nor announces a set it
//! already held. Nothing is held otherwise.

use std::sync::Arc;

use ipnet::IpNet;

use super::super::attrs::{AttrStore, PathAttrs};
use super::super::batch::Batch;
use super::super::table::{family_of, Announced, Destination, LocRib, FAMILIES};
use super::multipath::{family_send_max, ranked};
use super::{exported_base, release_cache, ExportCache, Peer, PeerId, Rib};
use crate::config::RouteSelection;
use crate::wire::bgp::Nlri;

/// The view's sets of `prefix` by rank (one store reference each): the
/// advertisement rules' attributes for the `max` best paths of
/// `destination` they let through to `peer`.
pub(super) fn ranks(
    store: &mut AttrStore,
    cache: &mut ExportCache,
    peer: &Peer,
    prefix: IpNet,
    destination: Option<&Destination>,
    options: &RouteSelection,
    max: usize,
) -> Vec<Arc<PathAttrs>> {
    let family = family_of(&prefix);
    let mut out = Vec::new();
    if !peer.info.negotiated.families.contains(&family) {
        return out;
    }
    for path in ranked(destination, options) {
        if out.len() == max {
            break;
        }
        let announced = Announced {
            source: Arc::clone(&path.source),
            attrs: Arc::clone(&path.attrs),
        };
        if let Some(attrs) = exported_base(store, cache, &announced, family, &peer.target) {
            out.push(attrs);
        }
    }
    out
}

/// The view's sets of `prefix` by rank as `peer` was sent them: its
/// Adj-RIB-Out entries through the advertisement rules (the view when no
/// export policy applies; one store reference each).
pub(super) fn sent_ranks(
    store: &mut AttrStore,
    cache: &mut ExportCache,
    peer: &Peer,
    prefix: IpNet,
) -> Vec<Arc<PathAttrs>> {
    let family = family_of(&prefix);
    let first = peer.rib_out.get(&prefix);
    let sent = first.into_iter().chain(peer.rib_out.extra(&prefix));
    sent.filter_map(|announced| exported_base(store, cache, announced, family, &peer.target))
        .collect()
}

/// Queues in `batch` the change of `prefix`'s ranks from `before` to
/// `after`: each rank whose set differs announced with its path id, each
/// rank no longer filled withdrawn. Gives `before`'s references back.
pub(super) fn queue_change(
    store: &mut AttrStore,
    prefix: IpNet,
    before: Vec<Arc<PathAttrs>>,
    after: &[Arc<PathAttrs>],
    batch: &mut Batch,
) {
    for (rank, attrs) in after.iter().enumerate() {
        if before
            .get(rank)
            .is_some_and(|held| Arc::ptr_eq(held, attrs))
        {
            continue;
        }
        batch.announce(Arc::clone(attrs), path_nlri(prefix, rank));
    }
    for rank in after.len()..before.len() {
        batch.withdraw(path_nlri(prefix, rank));
    }
    for attrs in before {
        store.release(attrs);
    }
}

/// `prefix` with the path id of `rank` (0: the best, id 1).
fn path_nlri(prefix: IpNet, rank: usize) -> Nlri {
    Nlri::with_path_id(prefix, u32::try_from(rank).map_or(u32::MAX, |r| r + 1))
}

/// After an event touched `prefix` (of a family `peer` is sent several
/// paths of, under export policy): queues in `pre` how the view changed
/// from the ranks held, and holds the new ones.
pub(super) fn change(
    store: &mut AttrStore,
    cache: &mut ExportCache,
    peer: &mut Peer,
    prefix: IpNet,
    destination: Option<&Destination>,
    options: &RouteSelection,
    pre: &mut Batch,
) {
    let max = family_send_max(peer, family_of(&prefix));
    let after = ranks(store, cache, peer, prefix, destination, options, max);
    let before = peer.kept_back.take_ranks(&prefix);
    queue_change(store, prefix, before, &after, pre);
    peer.kept_back.set_ranks(store, prefix, after);
}

/// Holds the view's ranks of every Loc-RIB prefix of the families `peer`
/// is sent several paths of (tracking must be on, or nothing is kept).
pub(super) fn hold_all(
    store: &mut AttrStore,
    cache: &mut ExportCache,
    loc: &LocRib,
    peer: &mut Peer,
    options: &RouteSelection,
) {
    for family in FAMILIES {
        let max = family_send_max(peer, family);
        if max < 2 || !peer.info.negotiated.families.contains(&family) {
            continue;
        }
        for (prefix, destination) in loc.destinations(family) {
            let held = ranks(store, cache, peer, prefix, Some(destination), options, max);
            peer.kept_back.set_ranks(store, prefix, held);
        }
    }
}

impl Rib {
    /// A session under export policy came up while the pre-policy
    /// Adj-RIB-Out is monitored: holds its view's ranks.
    pub(super) fn hold_ranks(&mut self, peer: PeerId) {
        let Rib {
            store,
            peers,
            policy,
            loc,
            global,
            ..
        } = self;
        let Some(target) = peers.get_mut(&peer) else {
            return;
        };
        if !target.kept_back.tracked() || target.send_max.iter().all(|m| *m < 2) {
            return;
        }
        let options = global.route_selection;
        let mut cache = ExportCache::new(policy, &target.target_peer);
        hold_all(store, &mut cache, loc, target, &options);
        release_cache(store, cache);
    }
}
