//! A new policy engine (SIGHUP) without resetting sessions: import policy
//! runs again over every peer's Adj-RIB-In as received, then every peer's
//! Adj-RIB-Out is compared with what the new export policy gives and the
//! difference sent.

use std::sync::Arc;

use ipnet::IpNet;

use super::super::batch::{outgoing_nlri, Batch};
use super::super::monitor::View;
use super::super::table::{family_of, Announced, Destination, Rejection, FAMILIES};
use super::{
    exported, import_decision, install, multipath, release_cache, rib_out_pre, rib_out_pre_paths,
    ExportCache, Outgoing, Rib,
};
use crate::policy::PolicyEngine;
use crate::wire::bgp::Nlri;

impl Rib {
    /// Replaces the policy engine and applies the difference.
    pub fn set_policy(&mut self, policy: Arc<PolicyEngine>) -> Outgoing {
        let old = std::mem::replace(&mut self.policy, policy);
        self.track_pre_policy();
        // Loc-RIB first, with nothing sent; then each peer gets the
        // difference between what it was sent and what it now gets, once.
        let touched = self.reimport();
        let _ = self.decide_then(touched, false);
        self.reexport(&old)
    }

    /// Import policy again over every received route; the prefixes whose
    /// Loc-RIB candidates changed.
    fn reimport(&mut self) -> Vec<IpNet> {
        let Rib {
            store,
            loc,
            peers,
            seq,
            policy,
            ..
        } = self;
        let mut touched = Vec::new();
        for peer in peers.values_mut() {
            let pre: Vec<_> = super::PrePolicy::new(&peer.rib_in, loc, &peer.source, 0)
                .iter()
                .collect();
            for ((prefix, path_id), route) in pre {
                if route.rejected.is_some_and(Rejection::is_loop) {
                    continue;
                }
                let (post, rejected) = if policy.import_accepts_all(&peer.source_peer) {
                    (None, None)
                } else {
                    import_decision(store, policy, &peer.source_peer, prefix, &route.attrs)
                };
                let current = loc
                    .get(&prefix)
                    .and_then(|d| d.path_of(&peer.source, path_id))
                    .map(|p| Arc::clone(&p.attrs));
                let unchanged = match (&current, &post, rejected) {
                    (None, _, Some(_)) => true,
                    (Some(now), None, None) => Arc::ptr_eq(now, &route.attrs),
                    (Some(now), Some(post), None) => Arc::ptr_eq(now, post),
                    _ => false,
                };
                if unchanged {
                    if let Some(post) = post {
                        store.release(post);
                    }
                    continue;
                }
                let nlri = if peer
                    .info
                    .negotiated
                    .add_path_receive
                    .contains(&family_of(&prefix))
                {
                    Nlri::with_path_id(prefix, path_id)
                } else {
                    Nlri::new(prefix)
                };
                *seq += 1;
                install(
                    store,
                    loc,
                    peer,
                    family_of(&prefix),
                    &nlri,
                    &route.attrs,
                    post,
                    rejected,
                    *seq,
                    &mut touched,
                );
                // A policy rejection that replaced an accepted route leaves
                // its prefix to decide again.
                touched.push(prefix);
            }
        }
        touched
    }

    /// Every peer's Adj-RIB-Out against the new export policy: what `old`
    /// gave and what the current engine gives, the difference sent. The
    /// pre-policy Adj-RIB-Out's difference (import policy may have changed
    /// best paths) goes to the stations monitoring it.
    fn reexport(&mut self, old: &Arc<PolicyEngine>) -> Outgoing {
        let Rib {
            store,
            loc,
            peers,
            policy,
            global,
            monitors,
            ..
        } = self;
        let options = global.route_selection;
        let mut outgoing = Vec::new();
        for (id, peer) in peers.iter_mut() {
            let mut batch = Batch::default();
            let mut before = ExportCache::new(old, &peer.target_peer);
            let mut after = ExportCache::new(policy, &peer.target_peer);
            // The pre-policy view's change, whatever the policies: the
            // messages re-sent do not stand for it.
            let mut pre = monitors.wants(View::AdjRibOutPre).then(Batch::default);
            for family in FAMILIES {
                if !peer.info.negotiated.families.contains(&family) {
                    continue;
                }
                let max = multipath::family_send_max(peer, family);
                // Loc-RIB's prefixes and those only the peer still has.
                let mut prefixes: Vec<IpNet> = loc
                    .destinations(family)
                    .map(|(p, _)| p)
                    .chain(peer.rib_out.iter(family).map(|(p, _)| p))
                    .chain(peer.rib_out.filtered(family))
                    .collect();
                prefixes.sort_unstable();
                prefixes.dedup();
                for prefix in prefixes {
                    let destination = loc.get(&prefix);
                    if max > 1 {
                        // The view's ranks before: as sent without export
                        // policy, else as held.
                        let was = pre.is_some().then(|| {
                            if before.accept_all {
                                rib_out_pre_paths::sent_ranks(store, &mut before, peer, prefix)
                            } else {
                                peer.kept_back.take_ranks(&prefix)
                            }
                        });
                        // Sent again whole: ranks can change with policy.
                        let sent = peer
                            .rib_out
                            .get(&prefix)
                            .map_or(0, |_| 1 + peer.rib_out.extra(&prefix).len());
                        for gone in peer
                            .rib_out
                            .remove(&prefix)
                            .into_iter()
                            .chain(peer.rib_out.set_extra(prefix, Vec::new()))
                        {
                            store.release(gone.attrs);
                        }
                        multipath::advertise_paths(
                            store,
                            peer,
                            prefix,
                            destination,
                            &options,
                            max,
                            &mut after,
                            &mut batch,
                        );
                        let now = peer
                            .rib_out
                            .get(&prefix)
                            .map_or(0, |_| 1 + peer.rib_out.extra(&prefix).len());
                        for rank in now..sent {
                            batch.withdraw(Nlri::with_path_id(prefix, rank as u32 + 1));
                        }
                        if let (Some(pre), Some(was)) = (pre.as_mut(), was) {
                            let view = rib_out_pre_paths::ranks;
                            let after_ranks =
                                view(store, &mut after, peer, prefix, destination, &options, max);
                            rib_out_pre_paths::queue_change(store, prefix, was, &after_ranks, pre);
                            peer.kept_back.set_ranks(store, prefix, after_ranks);
                        }
                        continue;
                    }
                    let was = pre
                        .is_some()
                        .then(|| rib_out_pre::before(store, &mut before, peer, prefix));
                    let best = destination.and_then(Destination::best);
                    let announced = best.map(|path| Announced {
                        source: Arc::clone(&path.source),
                        attrs: Arc::clone(&path.attrs),
                    });
                    let new = announced
                        .as_ref()
                        .and_then(|a| exported(store, &mut after, a, prefix, &peer.target));
                    let previous = peer
                        .rib_out
                        .get(&prefix)
                        .and_then(|a| exported(store, &mut before, a, prefix, &peer.target));
                    let same = match (&previous, &new) {
                        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                        (None, None) => true,
                        _ => false,
                    };
                    if let Some(previous) = previous {
                        store.release(previous);
                    }
                    let cx = &peer.info.negotiated;
                    match (new, announced) {
                        (Some(new), Some(announced)) => {
                            if let Some(replaced) = peer.rib_out.insert(prefix, announced) {
                                store.release(replaced.attrs);
                            }
                            if same {
                                store.release(new);
                            } else {
                                batch.announce(new, outgoing_nlri(prefix, cx));
                            }
                        }
                        (_, announced) => {
                            if let Some(announced) = announced {
                                store.release(announced.attrs);
                            }
                            if let Some(replaced) = peer.rib_out.remove(&prefix) {
                                store.release(replaced.attrs);
                                batch.withdraw(outgoing_nlri(prefix, cx));
                            }
                        }
                    }
                    if !after.accept_all {
                        super::outbound::track_filtered(store, &mut after, peer, prefix, best);
                    }
                    if let (Some(pre), Some(was)) = (pre.as_mut(), was) {
                        let change = rib_out_pre::change;
                        change(store, &mut after, peer, prefix, best, was, pre);
                    }
                }
            }
            if after.accept_all {
                peer.rib_out.clear_filtered();
                peer.kept_back.clear(store);
            }
            if let Some(pre) = pre.filter(|b| !b.is_empty()) {
                let messages = pre.encode(&peer.info.negotiated, store);
                let now = std::time::SystemTime::now();
                monitors.route(Some(&peer.info), View::AdjRibOutPre, messages, now);
            }
            release_cache(store, before);
            release_cache(store, after);
            if !batch.is_empty() {
                outgoing.push((*id, batch.encode(&peer.info.negotiated, store)));
            }
        }
        outgoing
    }
}
