//! The tables: Adj-RIB-In per peer (pre-policy, as received, and the
//! post-policy view), Loc-RIB per family (prefix → candidate paths, best
//! first) and Adj-RIB-Out per peer (what was sent).
//!
//! Per route we keep the prefix, the path id, the source and an interned
//! attribute set; never a decoded UPDATE.
//!
//! # Post-policy view
//!
//! There is no import policy yet, so the post-policy Adj-RIB-In of a peer
//! is exactly the routes of that peer accepted into Loc-RIB (loop-rejected
//! routes are in the pre-policy table only, as in gobgpd). Rather than
//! storing every route twice, [`PostPolicy`] is a view over Loc-RIB
//! selected by the pre-policy keys. When import policy lands, the
//! Loc-RIB candidate already is the post-policy route (its attribute set
//! will then be the one policy produced).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use ipnet::IpNet;

use super::attrs::PathAttrs;
use super::best::BestPathReason;
use super::event::PeerId;
use crate::wire::Family;

/// Where a path came from: the facts best-path selection and the
/// advertisement rules need. One per session (a new session is a new
/// source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The neighbor's address; `None` for a locally originated path.
    pub peer: Option<PeerId>,
    /// The neighbor's BGP identifier (ours for a local path).
    pub router_id: Ipv4Addr,
    /// The neighbor's AS.
    pub peer_as: u32,
    /// The neighbor is external (eBGP).
    pub external: bool,
    /// The neighbor is one of our route-reflector clients.
    pub route_reflector_client: bool,
}

impl Source {
    /// The path was originated here (API, zebra), not received.
    pub fn is_local(&self) -> bool {
        self.peer.is_none()
    }
}

/// A prefix with the path id it was received with (0 without ADD-PATH).
pub type RouteKey = (IpNet, u32);

/// The address family of a unicast prefix.
pub fn family_of(prefix: &IpNet) -> Family {
    match prefix {
        IpNet::V4(_) => Family::IPV4_UNICAST,
        IpNet::V6(_) => Family::IPV6_UNICAST,
    }
}

/// The families the rib holds: IPv4 and IPv6 unicast.
pub const FAMILIES: [Family; 2] = [Family::IPV4_UNICAST, Family::IPV6_UNICAST];

/// Index of a supported family in per-family arrays.
pub fn family_index(family: Family) -> Option<usize> {
    FAMILIES.iter().position(|f| *f == family)
}

/// One candidate path in Loc-RIB.
#[derive(Debug, Clone)]
pub struct Path {
    /// Who sent it.
    pub source: Arc<Source>,
    /// The path id it was received with (0 without ADD-PATH).
    pub path_id: u32,
    /// Its attributes (post-policy).
    pub attrs: Arc<PathAttrs>,
    /// Arrival order: larger is newer. Unique per installed path.
    pub seq: u64,
}

/// All candidate paths of one prefix.
#[derive(Debug, Clone, Default)]
pub struct Destination {
    /// The paths; the first is the best when [`Destination::reason`] is set.
    pub paths: Vec<Path>,
    /// Why the first path is best, when there is one.
    pub reason: Option<BestPathReason>,
    /// The `seq` of the best path when it was last announced to peers (0:
    /// none), to tell whether a decision changed it.
    pub advertised_seq: u64,
}

impl Destination {
    /// The best path, if selected.
    pub fn best(&self) -> Option<&Path> {
        self.reason.and_then(|_| self.paths.first())
    }
}

/// Loc-RIB: per family, prefix → candidate paths.
#[derive(Debug, Default)]
pub struct LocRib {
    tables: [HashMap<IpNet, Destination>; 2],
    paths: [usize; 2],
}

impl LocRib {
    /// An empty Loc-RIB.
    pub fn new() -> LocRib {
        LocRib::default()
    }

    fn table(&self, prefix: &IpNet) -> &HashMap<IpNet, Destination> {
        match prefix {
            IpNet::V4(_) => &self.tables[0],
            IpNet::V6(_) => &self.tables[1],
        }
    }

    fn table_mut(&mut self, prefix: &IpNet) -> (&mut HashMap<IpNet, Destination>, &mut usize) {
        match prefix {
            IpNet::V4(_) => (&mut self.tables[0], &mut self.paths[0]),
            IpNet::V6(_) => (&mut self.tables[1], &mut self.paths[1]),
        }
    }

    /// The destination of `prefix`.
    pub fn get(&self, prefix: &IpNet) -> Option<&Destination> {
        self.table(prefix).get(prefix)
    }

    /// The destination of `prefix`, for selection.
    pub fn get_mut(&mut self, prefix: &IpNet) -> Option<&mut Destination> {
        self.table_mut(prefix).0.get_mut(prefix)
    }

    /// Adds or replaces the path from `path.source` with `path.path_id`;
    /// returns the replaced one.
    pub fn insert(&mut self, prefix: IpNet, path: Path) -> Option<Path> {
        let (table, count) = self.table_mut(&prefix);
        let destination = table.entry(prefix).or_default();
        let same = |p: &Path| Arc::ptr_eq(&p.source, &path.source) && p.path_id == path.path_id;
        if let Some(slot) = destination.paths.iter_mut().find(|p| same(p)) {
            return Some(std::mem::replace(slot, path));
        }
        destination.paths.push(path);
        *count += 1;
        None
    }

    /// Removes the path from `source` with `path_id`.
    pub fn remove(&mut self, prefix: &IpNet, source: &Arc<Source>, path_id: u32) -> Option<Path> {
        let (table, count) = self.table_mut(prefix);
        let destination = table.get_mut(prefix)?;
        let index = destination
            .paths
            .iter()
            .position(|p| Arc::ptr_eq(&p.source, source) && p.path_id == path_id)?;
        *count -= 1;
        if index == 0 {
            // The best may be gone: selection runs again before export.
            destination.reason = None;
        }
        Some(destination.paths.remove(index))
    }

    /// Forgets `prefix` when it has no path left and was not announced.
    pub fn prune(&mut self, prefix: &IpNet) {
        let (table, _) = self.table_mut(prefix);
        if table
            .get(prefix)
            .is_some_and(|d| d.paths.is_empty() && d.advertised_seq == 0)
        {
            table.remove(prefix);
        }
    }

    /// Every destination of `family`.
    pub fn destinations(&self, family: Family) -> impl Iterator<Item = (&IpNet, &Destination)> {
        family_index(family)
            .and_then(|i| self.tables.get(i))
            .into_iter()
            .flat_map(|t| t.iter())
    }

    /// Number of prefixes of `family`.
    pub fn prefixes(&self, family: Family) -> usize {
        family_index(family)
            .and_then(|i| self.tables.get(i))
            .map_or(0, HashMap::len)
    }

    /// Number of paths (all candidates) of `family`.
    pub fn paths(&self, family: Family) -> usize {
        family_index(family)
            .and_then(|i| self.paths.get(i))
            .copied()
            .unwrap_or(0)
    }
}

/// Why a received route was not installed in Loc-RIB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Our AS appears in AS_PATH more often than `allow-own-as` permits.
    AsPathLoop,
    /// ORIGINATOR_ID is our router id (RFC 4456 §8).
    OriginatorIdLoop,
    /// CLUSTER_LIST holds our cluster id (RFC 4456 §8).
    ClusterListLoop,
}

/// One route as received.
#[derive(Debug, Clone)]
pub struct ReceivedRoute {
    /// Attributes as received (AS4_PATH merged for 2-octet peers).
    pub attrs: Arc<PathAttrs>,
    /// Why it was kept out of Loc-RIB, if it was.
    pub rejected: Option<Rejection>,
}

/// Pre-policy Adj-RIB-In of one peer: every route as received, loop
/// rejected ones included (gobgpd keeps those too).
#[derive(Debug, Default)]
pub struct AdjRibIn {
    /// Routes by prefix and received path id.
    pub routes: HashMap<RouteKey, ReceivedRoute>,
}

impl AdjRibIn {
    /// The post-policy view over `loc` for the peer whose source is
    /// `source`.
    pub fn post_policy<'a>(&'a self, loc: &'a LocRib, source: &'a Arc<Source>) -> PostPolicy<'a> {
        PostPolicy {
            rib_in: self,
            loc,
            source,
        }
    }
}

/// Post-policy Adj-RIB-In of one peer: its routes accepted into Loc-RIB.
#[derive(Debug, Clone, Copy)]
pub struct PostPolicy<'a> {
    rib_in: &'a AdjRibIn,
    loc: &'a LocRib,
    source: &'a Arc<Source>,
}

impl<'a> PostPolicy<'a> {
    /// The accepted path for `key`.
    pub fn get(&self, key: &RouteKey) -> Option<&'a Path> {
        self.loc
            .get(&key.0)?
            .paths
            .iter()
            .find(|p| Arc::ptr_eq(&p.source, self.source) && p.path_id == key.1)
    }

    /// Every accepted route.
    pub fn iter(&self) -> impl Iterator<Item = (&'a RouteKey, &'a Path)> + 'a {
        let view = *self;
        self.rib_in
            .routes
            .iter()
            .filter(|(_, r)| r.rejected.is_none())
            .filter_map(move |(k, _)| view.get(k).map(|p| (k, p)))
    }
}

/// Adj-RIB-Out of one peer: the attribute set last announced for each
/// prefix (after the advertisement rules).
#[derive(Debug, Default)]
pub struct AdjRibOut {
    /// Announced attributes by prefix.
    pub routes: HashMap<IpNet, Arc<PathAttrs>>,
}
