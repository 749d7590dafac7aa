//! BMP Adj-RIB-Out pre-policy (RFC 8671) when a peer's export policy
//! filters or changes routes: the routes the advertisement rules would
//! send, before export policy. Without export policy it is the same as
//! post-policy and comes from the messages sent.

use std::sync::Arc;

use ipnet::IpNet;

use super::super::attrs::{AttrStore, PathAttrs};
use super::super::batch::{outgoing_nlri, Batch};
use super::super::table::{family_of, Announced, Path, FAMILIES};
use super::{exported_base, release_cache, ExportCache, Peer, PeerId, Rib};
use crate::wire::bgp::Nlri;

/// Queues the pre-policy candidate for `prefix` (its best path through the
/// advertisement rules, or a withdrawal) in `batch`.
pub(super) fn candidate(
    store: &mut AttrStore,
    cache: &mut ExportCache,
    peer: &Peer,
    prefix: IpNet,
    best: Option<&Path>,
    batch: &mut Batch,
) {
    let cx = &peer.info.negotiated;
    let family = family_of(&prefix);
    if !cx.families.contains(&family) {
        return;
    }
    let base = best.and_then(|path| {
        let announced = Announced {
            source: Arc::clone(&path.source),
            attrs: Arc::clone(&path.attrs),
        };
        exported_base(store, cache, &announced, family, &peer.target)
    });
    match base {
        Some(attrs) => batch.announce(attrs, outgoing_nlri(prefix, cx)),
        None => batch.withdraw(outgoing_nlri(prefix, cx)),
    }
}

impl Rib {
    /// No export policy filters or changes what `peer` is sent.
    pub fn export_unfiltered(&self, peer: PeerId) -> bool {
        self.peers
            .get(&peer)
            .map_or(true, |p| self.policy.export_accepts_all(&p.target_peer))
    }

    /// `peer`'s pre-policy Adj-RIB-Out: every Loc-RIB best path the
    /// advertisement rules let through, as it would be sent before export
    /// policy (one store reference each, for a [`Batch`]). The post-policy
    /// routes when no export policy applies.
    pub(crate) fn candidates(&mut self, peer: PeerId) -> Option<Vec<(Nlri, Arc<PathAttrs>)>> {
        if self.export_unfiltered(peer) {
            return self.exported_routes(peer);
        }
        let Rib {
            store,
            peers,
            policy,
            loc,
            ..
        } = self;
        let target = peers.get(&peer)?;
        let cx = &target.info.negotiated;
        let mut cache = ExportCache::new(policy, &target.target_peer);
        let mut routes = Vec::new();
        for family in FAMILIES.into_iter().filter(|f| cx.families.contains(f)) {
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
