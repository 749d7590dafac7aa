//! ADD-PATH send (RFC 7911) with `send-max` above one: up to that many
//! paths per prefix to a peer, not just the best.
//!
//! Path ids go by rank: the best path is sent with id 1, the second best
//! with id 2, and so on. When the ranking of a prefix changes, the ranks
//! that now hold another path are announced again (an announcement with
//! a path id the peer holds replaces that path) and ranks no longer
//! filled are withdrawn. RFC 7911 asks only that an id name one path per
//! prefix on the session, which ranks do. (gobgpd keeps one id per path
//! instead; a receiver sees the same set of paths either way.)
//!
//! The BMP pre-policy Adj-RIB-Out of these families ranks paths the same
//! way ([`ranked`]), before export policy (`rib_out_pre_paths`).

use std::cmp::Ordering;
use std::sync::Arc;

use ipnet::IpNet;

use super::super::attrs::AttrStore;
use super::super::batch::Batch;
use super::super::best;
use super::super::table::{family_index, family_of, Announced, Destination, Path};
use super::{export_policy, exported_base, ExportCache, Peer};
use crate::config::RouteSelection;
use crate::wire::bgp::Nlri;
use crate::wire::Family;

/// How many paths per prefix of `prefix`'s family `peer` gets: its
/// `send-max` when ADD-PATH send is negotiated for the family, else one.
pub(super) fn send_max(peer: &Peer, prefix: &IpNet) -> usize {
    family_send_max(peer, family_of(prefix))
}

/// How many paths per prefix of `family` `peer` gets (see [`send_max`]).
pub(super) fn family_send_max(peer: &Peer, family: Family) -> usize {
    family_index(family)
        .and_then(|i| peer.send_max.get(i).copied())
        .unwrap_or(1)
}

/// The paths of `destination` in preference order (best first), or none
/// when it has no best path.
pub(super) fn ranked<'a>(
    destination: Option<&'a Destination>,
    options: &RouteSelection,
) -> Vec<&'a Path> {
    let Some(destination) = destination.filter(|d| d.best().is_some()) else {
        return Vec::new();
    };
    let mut paths: Vec<&Path> = destination.paths.iter().collect();
    if let Some((_, rest)) = paths.split_first_mut() {
        rest.sort_by(|a, b| match best::compare(a, b, options).0 {
            Ordering::Equal => a.seq.cmp(&b.seq),
            other => other,
        });
    }
    paths
}

fn same(a: &Announced, b: &Announced) -> bool {
    Arc::ptr_eq(&a.source, &b.source) && Arc::ptr_eq(&a.attrs, &b.attrs)
}

/// Brings `peer`'s Adj-RIB-Out for `prefix` in line with the best `max`
/// exportable paths of `destination`, queueing the difference.
#[allow(clippy::too_many_arguments)]
pub(super) fn advertise_paths(
    store: &mut AttrStore,
    peer: &mut Peer,
    prefix: IpNet,
    destination: Option<&Destination>,
    options: &RouteSelection,
    max: usize,
    cache: &mut ExportCache,
    batch: &mut Batch,
) {
    let family = family_of(&prefix);
    if !peer.info.negotiated.families.contains(&family) {
        return;
    }
    let mut wanted = Vec::with_capacity(max);
    // Paths of the pre-policy view: the advertisement rules let them
    // through, export policy may not (BMP statistics 14/15).
    let mut before_policy = 0;
    for path in ranked(destination, options) {
        if wanted.len() == max {
            break;
        }
        let announced = Announced {
            source: Arc::clone(&path.source),
            attrs: Arc::clone(&path.attrs),
        };
        let Some(base) = exported_base(store, cache, &announced, family, &peer.target) else {
            continue;
        };
        before_policy += 1;
        if let Some(out) = export_policy(store, cache, &announced, prefix, &peer.target, base) {
            wanted.push((announced, out));
        }
    }
    let kept_back = before_policy.min(max).saturating_sub(wanted.len());
    peer.rib_out.set_kept_paths(prefix, kept_back);
    let mut current: Vec<Announced> = Vec::new();
    if let Some(first) = peer.rib_out.remove(&prefix) {
        current.push(first);
        current.extend(peer.rib_out.set_extra(prefix, Vec::new()));
    }
    let mut kept = Vec::with_capacity(wanted.len());
    for (rank, (announced, out)) in wanted.into_iter().enumerate() {
        let id = rank as u32 + 1;
        if current.get(rank).is_some_and(|c| same(c, &announced)) {
            store.release(out);
        } else {
            batch.announce(out, Nlri::with_path_id(prefix, id));
        }
        kept.push(announced);
    }
    for (rank, _) in current.iter().enumerate().skip(kept.len()) {
        batch.withdraw(Nlri::with_path_id(prefix, rank as u32 + 1));
    }
    for old in current {
        store.release(old.attrs);
    }
    let mut kept = kept.into_iter();
    if let Some(first) = kept.next() {
        peer.rib_out.insert(prefix, first);
        peer.rib_out.set_extra(prefix, kept.collect());
    }
}
