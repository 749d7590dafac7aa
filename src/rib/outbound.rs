//! The send side of [`Rib`](super::Rib) events: the advertisement rules
//! and export policy per peer (cached per event), and bringing one
//! peer's Adj-RIB-Out in line with a prefix's best path.

use super::*;

/// Per event and peer: the export policy for that peer, and the outgoing
/// attribute sets before export policy by (source, attributes).
pub(super) struct ExportCache {
    pub(super) sets: FxHashMap<(usize, usize), Option<Arc<PathAttrs>>>,
    pub(super) policy: Arc<PolicyEngine>,
    pub(super) target: TargetPeer,
    /// No export policy and the default accepts: skip evaluation.
    pub(super) accept_all: bool,
}

impl ExportCache {
    pub(super) fn new(policy: &Arc<PolicyEngine>, target: &TargetPeer) -> ExportCache {
        ExportCache {
            sets: FxHashMap::default(),
            accept_all: policy.export_accepts_all(target),
            policy: Arc::clone(policy),
            target: target.clone(),
        }
    }
}

pub(super) fn release_cache(store: &mut AttrStore, cache: ExportCache) {
    for attrs in cache.sets.into_values().flatten() {
        store.release(attrs);
    }
}

/// How export policy sees the source of a path.
pub(super) fn policy_source(source: &Source) -> SourcePeer {
    SourcePeer {
        address: source.peer,
        local_address: None,
        asn: source.peer_as,
        router_id: source.router_id,
        external: source.external,
        route_server_client: false,
    }
}

/// The advertisement rules' attributes for `announced` toward `target`
/// (before export policy), once per event and best path.
pub(super) fn exported_base(
    store: &mut AttrStore,
    cache: &mut ExportCache,
    announced: &Announced,
    family: Family,
    target: &Target,
) -> Option<Arc<PathAttrs>> {
    let key = (
        Arc::as_ptr(&announced.source) as usize,
        Arc::as_ptr(&announced.attrs) as usize,
    );
    cache
        .sets
        .entry(key)
        .or_insert_with(|| {
            export(&announced.source, &announced.attrs, family, target).map(|a| store.intern(a))
        })
        .clone()
}

/// The attributes `target` gets for the best path `announced` of
/// `prefix` (interned, one reference for the caller): the advertisement
/// rules, computed once per event and best path, then the peer's export
/// policy.
pub(super) fn exported(
    store: &mut AttrStore,
    cache: &mut ExportCache,
    announced: &Announced,
    prefix: IpNet,
    target: &Target,
) -> Option<Arc<PathAttrs>> {
    let family = family_of(&prefix);
    let base = exported_base(store, cache, announced, family, target)?;
    export_policy(store, cache, announced, prefix, target, base)
}

/// `base`, the advertisement rules' attributes for the best path
/// `announced` of `prefix` (one reference, taken), through `target`'s
/// export policy.
pub(super) fn export_policy(
    store: &mut AttrStore,
    cache: &mut ExportCache,
    announced: &Announced,
    prefix: IpNet,
    target: &Target,
    base: Arc<PathAttrs>,
) -> Option<Arc<PathAttrs>> {
    if cache.accept_all {
        return Some(base);
    }
    let family = family_of(&prefix);
    let source = policy_source(&announced.source);
    let route = RouteContext {
        prefix,
        family,
        source: &source,
        original_next_hop: announced.attrs.next_hop().copied(),
    };
    match cache.policy.export(&route, &cache.target, &base) {
        Decision::Accept => Some(base),
        Decision::Modified(mut set) => {
            store.release(base);
            // LOCAL_PREF stays inside the AS whatever policy set (RFC 4271
            // §5.1.5), as the advertisement rules stripped it before.
            if target.external && !target.route_server_client {
                set.remove(crate::wire::bgp::AttrType::LocalPref);
            }
            Some(store.intern(set))
        }
        Decision::Reject => {
            store.release(base);
            None
        }
    }
}

/// Brings `peer`'s Adj-RIB-Out for `prefix` in line with `best`, queueing
/// the difference in `batch`.
///
/// The Adj-RIB-Out keeps the best path each prefix was exported from; a
/// prefix whose best path is the same one is unchanged. When the best path
/// changed, the previous one is exported again and nothing is sent if
/// both give the same outgoing attributes.
pub(super) fn advertise(
    store: &mut AttrStore,
    peer: &mut Peer,
    prefix: IpNet,
    best: Option<&Path>,
    cache: &mut ExportCache,
    batch: &mut Batch,
) {
    let family = family_of(&prefix);
    // Nothing goes back to the peer it came from (the first rule of
    // `export`): no export work for the source's own session.
    let best = best.filter(|path| path.source.peer != Some(peer.target.peer));
    let Peer {
        info,
        target,
        rib_out,
        ..
    } = peer;
    let cx = &info.negotiated;
    if !cx.families.contains(&family) {
        return;
    }
    let old = rib_out.get(&prefix);
    let desired = best.and_then(|path| {
        if old.is_some_and(|old| {
            Arc::ptr_eq(&old.source, &path.source) && Arc::ptr_eq(&old.attrs, &path.attrs)
        }) {
            return None;
        }
        let announced = Announced {
            source: Arc::clone(&path.source),
            attrs: Arc::clone(&path.attrs),
        };
        Some(exported(store, cache, &announced, prefix, target).map(|new| (announced, new)))
    });
    match desired {
        // The same best path as announced: nothing to do.
        None if best.is_some() && old.is_some() => {}
        Some(Some((announced, new))) => {
            let unchanged = match old {
                Some(old) => {
                    let previous = exported(store, cache, old, prefix, target);
                    let same = previous.as_ref().is_some_and(|p| Arc::ptr_eq(p, &new));
                    if let Some(previous) = previous {
                        store.release(previous);
                    }
                    same
                }
                None => false,
            };
            if let Some(replaced) = rib_out.insert(prefix, announced) {
                store.release(replaced.attrs);
            }
            if unchanged {
                store.release(new);
            } else {
                batch.announce(new, outgoing_nlri(prefix, cx));
            }
        }
        _ => {
            if let Some(replaced) = rib_out.remove(&prefix) {
                store.release(replaced.attrs);
                batch.withdraw(outgoing_nlri(prefix, cx));
            }
        }
    }
    if !cache.accept_all {
        track_filtered(store, cache, peer, prefix, best);
    }
}

/// Records whether export policy keeps `prefix` from `peer` although the
/// advertisement rules would send its best path: the pre-policy
/// Adj-RIB-Out holds it, the post-policy one does not (counted for BMP
/// statistics 14–17; its attributes kept while that view is monitored).
pub(super) fn track_filtered(
    store: &mut AttrStore,
    cache: &mut ExportCache,
    peer: &mut Peer,
    prefix: IpNet,
    best: Option<&Path>,
) {
    let base = match (peer.rib_out.get(&prefix), best) {
        (None, Some(path)) => {
            let announced = Announced {
                source: Arc::clone(&path.source),
                attrs: Arc::clone(&path.attrs),
            };
            exported_base(store, cache, &announced, family_of(&prefix), &peer.target)
        }
        _ => None,
    };
    peer.rib_out.set_filtered(prefix, base.is_some());
    peer.kept_back.set(store, prefix, base);
}
