//! The receive side of [`Rib`](super::Rib) events: grouping an UPDATE's
//! routes, import policy, and installing each route in Adj-RIB-In and
//! Loc-RIB.

use super::super::table::RouteKey;
use super::*;

/// Announced prefixes of `update` grouped by family, with their next hop.
pub(super) fn announced_groups(update: &Update) -> Vec<(Family, Option<NextHop>, &[Nlri])> {
    let mut groups = Vec::new();
    if !update.nlri.is_empty() {
        groups.push((
            Family::IPV4_UNICAST,
            import::ipv4_next_hop(update),
            &update.nlri[..],
        ));
    }
    if let Some(crate::wire::bgp::MpReach::Prefixes {
        family,
        next_hop,
        nlri,
    }) = update.mp_reach()
    {
        if family_index(*family).is_some() && !nlri.is_empty() {
            groups.push((*family, Some(*next_hop), &nlri[..]));
        }
    }
    groups
}

/// Number of prefixes `update` announces, in the families the rib holds.
pub(super) fn announced_prefixes(update: &Update) -> usize {
    announced_groups(update).iter().map(|g| g.2.len()).sum()
}

/// One announced route into Adj-RIB-In and, unless it loops, Loc-RIB.
///
/// An accepted route lives in Loc-RIB only (it is the peer's pre- and
/// post-policy route too); a rejected one in the peer's rejected table.
#[allow(clippy::too_many_arguments)]
pub(super) fn install(
    store: &mut AttrStore,
    loc: &mut LocRib,
    from: &mut Peer,
    family: Family,
    nlri: &Nlri,
    attrs: &Arc<PathAttrs>,
    post: Option<Arc<PathAttrs>>,
    rejected: Option<crate::rib::table::Rejection>,
    seq: u64,
    touched: &mut Vec<IpNet>,
) {
    let prefix = nlri.prefix;
    let key = (prefix, nlri.path_id.unwrap_or(0));
    match rejected {
        None => {
            // The received attributes are kept apart when policy changed
            // them; Loc-RIB holds the changed ones.
            let previous = match &post {
                Some(_) => from.rib_in.modified.insert(key, Arc::clone(attrs)),
                None => from.rib_in.modified.remove(&key),
            };
            if let Some(previous) = previous {
                store.release(previous);
            }
            let installed = loc.install(
                prefix,
                &from.source,
                key.1,
                post.as_ref().unwrap_or(attrs),
                seq,
            );
            if let Some(post) = post {
                store.release(post);
            }
            match installed {
                Installed::Duplicate => {
                    from.counters.duplicates += 1;
                    return;
                }
                Installed::Replaced(old) => store.release(old.attrs),
                Installed::New => {
                    from.counters.loc_rib.add(family);
                    match from.rib_in.rejected.remove(&key) {
                        Some(old) => store.release(old.attrs),
                        None => from.counters.adj_rib_in.add(family),
                    }
                }
            }
            touched.push(prefix);
        }
        Some(rejection) => {
            if let Some(previous) = from.rib_in.modified.remove(&key) {
                store.release(previous);
            }
            let route = ReceivedRoute {
                attrs: Arc::clone(attrs),
                rejected,
            };
            match from.rib_in.rejected.insert(key, route) {
                Some(old) if Arc::ptr_eq(&old.attrs, attrs) && old.rejected == rejected => {
                    from.counters.duplicates += 1;
                    store.release(old.attrs);
                    return;
                }
                Some(old) => store.release(old.attrs),
                None => match loc.remove(&prefix, &from.source, key.1) {
                    Some(path) => {
                        from.counters.loc_rib.sub(family);
                        store.release(path.attrs);
                        touched.push(prefix);
                    }
                    None => from.counters.adj_rib_in.add(family),
                },
            }
            from.counters.reject(rejection);
        }
    }
}

/// The parts of a peer's state a withdrawal changes: of a session, or
/// of one that went down with its routes kept (graceful restart).
pub(super) struct Holder<'a> {
    pub(super) source: &'a Arc<Source>,
    pub(super) rib_in: &'a mut AdjRibIn,
    pub(super) counters: &'a mut PeerCounters,
}

impl<'a> Holder<'a> {
    /// The parts of `peer`.
    pub(super) fn of(peer: &'a mut Peer) -> Holder<'a> {
        Holder {
            source: &peer.source,
            rib_in: &mut peer.rib_in,
            counters: &mut peer.counters,
        }
    }

    /// Withdraws `key` of `family` as the peer would: out of Loc-RIB or
    /// the rejected routes, counters kept. Whether it was held.
    pub(super) fn withdraw(
        &mut self,
        store: &mut AttrStore,
        loc: &mut LocRib,
        family: Family,
        key: &RouteKey,
        touched: &mut Vec<IpNet>,
    ) -> bool {
        if let Some(path) = loc.remove(&key.0, self.source, key.1) {
            self.counters.adj_rib_in.sub(family);
            self.counters.loc_rib.sub(family);
            store.release(path.attrs);
            if let Some(pre) = self.rib_in.modified.remove(key) {
                store.release(pre);
            }
            touched.push(key.0);
            true
        } else if let Some(route) = self.rib_in.rejected.remove(key) {
            self.counters.adj_rib_in.sub(family);
            store.release(route.attrs);
            true
        } else {
            false
        }
    }
}

/// What the import policy makes of a route that passed the loop checks:
/// its changed attributes (interned, one reference for the caller) or
/// its rejection.
pub(super) fn import_decision(
    store: &mut AttrStore,
    policy: &PolicyEngine,
    source: &SourcePeer,
    prefix: IpNet,
    attrs: &Arc<PathAttrs>,
) -> (Option<Arc<PathAttrs>>, Option<crate::rib::table::Rejection>) {
    let route = RouteContext {
        prefix,
        family: family_of(&prefix),
        source,
        original_next_hop: None,
    };
    match policy.import(&route, attrs) {
        Decision::Accept => (None, None),
        Decision::Modified(set) => (Some(store.intern(set)), None),
        Decision::Reject => (None, Some(crate::rib::table::Rejection::Policy)),
    }
}
