//! The tables: Adj-RIB-In per peer (pre-policy, as received, and the
//! post-policy view), Loc-RIB per family (prefix → candidate paths, best
//! first) and Adj-RIB-Out per peer (what was sent).
//!
//! Per route we keep the prefix, the path id, the source and an interned
//! attribute set; never a decoded UPDATE. Memory per route is kept small:
//!
//! - Loc-RIB is keyed by a compact prefix (8 bytes for IPv4) and holds the
//!   one path most prefixes have inline ([`Paths::One`]);
//! - the pre-policy Adj-RIB-In is not a second table: an accepted route
//!   *is* its Loc-RIB candidate (same attribute set, there is no import
//!   policy), so only loop-rejected routes are stored per peer
//!   ([`AdjRibIn`]); [`PrePolicy`] is the view over both.
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

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::attrs::PathAttrs;
use super::best::BestPathReason;
use super::event::PeerId;
use super::hash::{FxHashMap, FxHashSet};
use super::v4map::V4Map;
use crate::wire::Family;
use std::collections::HashMap;

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

impl Path {
    fn is(&self, source: &Arc<Source>, path_id: u32) -> bool {
        self.path_id == path_id && Arc::ptr_eq(&self.source, source)
    }
}

/// The candidate paths of one prefix: most prefixes have exactly one, held
/// inline without a separate allocation.
#[derive(Debug, Clone, Default)]
pub enum Paths {
    /// No path.
    #[default]
    Empty,
    /// One path.
    One(Path),
    /// Two or more (or fewer after removals).
    Many(Vec<Path>),
}

impl Paths {
    /// The paths as a slice.
    pub fn as_slice(&self) -> &[Path] {
        match self {
            Paths::Empty => &[],
            Paths::One(path) => std::slice::from_ref(path),
            Paths::Many(paths) => paths,
        }
    }

    /// The paths as a mutable slice.
    pub fn as_mut_slice(&mut self) -> &mut [Path] {
        match self {
            Paths::Empty => &mut [],
            Paths::One(path) => std::slice::from_mut(path),
            Paths::Many(paths) => paths,
        }
    }

    /// Appends a path.
    pub fn push(&mut self, path: Path) {
        match std::mem::take(self) {
            Paths::Empty => *self = Paths::One(path),
            Paths::One(first) => *self = Paths::Many(vec![first, path]),
            Paths::Many(mut paths) => {
                paths.push(path);
                *self = Paths::Many(paths);
            }
        }
    }

    /// Removes and returns the path at `index`, keeping the order of the
    /// others.
    pub fn remove(&mut self, index: usize) -> Option<Path> {
        match self {
            Paths::Empty => None,
            Paths::One(_) if index == 0 => match std::mem::take(self) {
                Paths::One(path) => Some(path),
                _ => None,
            },
            Paths::One(_) => None,
            Paths::Many(paths) => {
                if index >= paths.len() {
                    return None;
                }
                let path = paths.remove(index);
                if paths.len() == 1 {
                    if let Some(last) = paths.pop() {
                        *self = Paths::One(last);
                    }
                } else if paths.is_empty() {
                    *self = Paths::Empty;
                }
                Some(path)
            }
        }
    }
}

impl std::ops::Deref for Paths {
    type Target = [Path];
    fn deref(&self) -> &[Path] {
        self.as_slice()
    }
}

impl std::ops::DerefMut for Paths {
    fn deref_mut(&mut self) -> &mut [Path] {
        self.as_mut_slice()
    }
}

/// All candidate paths of one prefix.
#[derive(Debug, Clone, Default)]
pub struct Destination {
    /// The paths; the first is the best when [`Destination::reason`] is set.
    pub paths: Paths,
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

    /// The path from `source` with `path_id`.
    pub fn path_of(&self, source: &Arc<Source>, path_id: u32) -> Option<&Path> {
        self.paths.iter().find(|p| p.is(source, path_id))
    }
}

/// A prefix as a compact hash key.
trait Key: Copy + Eq + std::hash::Hash {
    fn to_net(self) -> IpNet;
}

/// An IPv4 prefix: address in the high 32 bits, length in the low 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct V4Key(u64);

impl V4Key {
    fn new(net: &Ipv4Net) -> V4Key {
        V4Key((u64::from(u32::from(net.addr())) << 8) | u64::from(net.prefix_len()))
    }
}

impl Key for V4Key {
    fn to_net(self) -> IpNet {
        let addr = Ipv4Addr::from((self.0 >> 8) as u32);
        let len = (self.0 & 0xff) as u8;
        IpNet::V4(Ipv4Net::new(addr, len).unwrap_or_default())
    }
}

/// An IPv6 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct V6Key {
    high: u64,
    low: u64,
    len: u8,
}

impl V6Key {
    fn new(net: &Ipv6Net) -> V6Key {
        let bits = u128::from(net.addr());
        V6Key {
            high: (bits >> 64) as u64,
            low: bits as u64,
            len: net.prefix_len(),
        }
    }
}

impl Key for V6Key {
    fn to_net(self) -> IpNet {
        let addr = Ipv6Addr::from((u128::from(self.high) << 64) | u128::from(self.low));
        IpNet::V6(Ipv6Net::new(addr, self.len).unwrap_or_default())
    }
}

/// The map of one family's table: IPv4 laid out by address
/// ([`V4Map`]), IPv6 hashed.
trait PrefixMap<V>: Default {
    /// The compact prefix key.
    type K: Key;
    fn get(&self, key: &Self::K) -> Option<&V>;
    fn get_mut(&mut self, key: &Self::K) -> Option<&mut V>;
    fn get_or_insert_with(&mut self, key: Self::K, make: impl FnOnce() -> V) -> &mut V;
    fn insert(&mut self, key: Self::K, value: V) -> Option<V>;
    fn remove(&mut self, key: &Self::K) -> Option<V>;
    fn iter(&self) -> Box<dyn Iterator<Item = (Self::K, &V)> + '_>;
    fn iter_mut(&mut self) -> Box<dyn Iterator<Item = (Self::K, &mut V)> + '_>;
}

impl<V> PrefixMap<V> for V4Map<V> {
    type K = V4Key;
    fn get(&self, key: &V4Key) -> Option<&V> {
        V4Map::get(self, &key.0)
    }
    fn get_mut(&mut self, key: &V4Key) -> Option<&mut V> {
        V4Map::get_mut(self, &key.0)
    }
    fn get_or_insert_with(&mut self, key: V4Key, make: impl FnOnce() -> V) -> &mut V {
        V4Map::get_or_insert_with(self, key.0, make)
    }
    fn insert(&mut self, key: V4Key, value: V) -> Option<V> {
        V4Map::insert(self, key.0, value)
    }
    fn remove(&mut self, key: &V4Key) -> Option<V> {
        V4Map::remove(self, &key.0)
    }
    fn iter(&self) -> Box<dyn Iterator<Item = (V4Key, &V)> + '_> {
        Box::new(V4Map::iter(self).map(|(k, v)| (V4Key(k), v)))
    }
    fn iter_mut(&mut self) -> Box<dyn Iterator<Item = (V4Key, &mut V)> + '_> {
        Box::new(V4Map::iter_mut(self).map(|(k, v)| (V4Key(k), v)))
    }
}

impl<V> PrefixMap<V> for FxHashMap<V6Key, V> {
    type K = V6Key;
    fn get(&self, key: &V6Key) -> Option<&V> {
        HashMap::get(self, key)
    }
    fn get_mut(&mut self, key: &V6Key) -> Option<&mut V> {
        HashMap::get_mut(self, key)
    }
    fn get_or_insert_with(&mut self, key: V6Key, make: impl FnOnce() -> V) -> &mut V {
        self.entry(key).or_insert_with(make)
    }
    fn insert(&mut self, key: V6Key, value: V) -> Option<V> {
        HashMap::insert(self, key, value)
    }
    fn remove(&mut self, key: &V6Key) -> Option<V> {
        HashMap::remove(self, key)
    }
    fn iter(&self) -> Box<dyn Iterator<Item = (V6Key, &V)> + '_> {
        Box::new(HashMap::iter(self).map(|(k, v)| (*k, v)))
    }
    fn iter_mut(&mut self) -> Box<dyn Iterator<Item = (V6Key, &mut V)> + '_> {
        Box::new(HashMap::iter_mut(self).map(|(k, v)| (*k, v)))
    }
}

/// One family's Loc-RIB.
#[derive(Debug)]
struct Table<M> {
    map: M,
    paths: usize,
}

impl<M: Default> Default for Table<M> {
    fn default() -> Self {
        Table {
            map: M::default(),
            paths: 0,
        }
    }
}

/// What [`LocRib::install`] did.
#[derive(Debug)]
pub enum Installed {
    /// The same path with the same attribute set was already there.
    Duplicate,
    /// A path from the same source and path id was replaced.
    Replaced(Path),
    /// A new path.
    New,
}

impl<M: PrefixMap<Destination>> Table<M> {
    fn install(
        &mut self,
        key: M::K,
        source: &Arc<Source>,
        path_id: u32,
        attrs: &Arc<PathAttrs>,
        seq: u64,
    ) -> Installed {
        let destination = self.map.get_or_insert_with(key, Destination::default);
        let path = || Path {
            source: Arc::clone(source),
            path_id,
            attrs: Arc::clone(attrs),
            seq,
        };
        if let Some(slot) = destination.paths.iter_mut().find(|p| p.is(source, path_id)) {
            if Arc::ptr_eq(&slot.attrs, attrs) {
                return Installed::Duplicate;
            }
            return Installed::Replaced(std::mem::replace(slot, path()));
        }
        destination.paths.push(path());
        self.paths += 1;
        Installed::New
    }

    fn insert(&mut self, key: M::K, path: Path) -> Option<Path> {
        let destination = self.map.get_or_insert_with(key, Destination::default);
        if let Some(slot) = destination
            .paths
            .iter_mut()
            .find(|p| p.is(&path.source, path.path_id))
        {
            return Some(std::mem::replace(slot, path));
        }
        destination.paths.push(path);
        self.paths += 1;
        None
    }

    fn remove(&mut self, key: &M::K, source: &Arc<Source>, path_id: u32) -> Option<Path> {
        let destination = self.map.get_mut(key)?;
        let index = destination
            .paths
            .iter()
            .position(|p| p.is(source, path_id))?;
        self.paths -= 1;
        if index == 0 {
            // The best may be gone: selection runs again before export.
            destination.reason = None;
        }
        destination.paths.remove(index)
    }

    fn remove_source(&mut self, source: &Arc<Source>, removed: &mut Vec<(IpNet, Path)>) {
        for (key, destination) in self.map.iter_mut() {
            while let Some(index) = destination
                .paths
                .iter()
                .position(|p| Arc::ptr_eq(&p.source, source))
            {
                if index == 0 {
                    destination.reason = None;
                }
                if let Some(path) = destination.paths.remove(index) {
                    self.paths -= 1;
                    removed.push((key.to_net(), path));
                }
            }
        }
    }

    fn decide(&mut self, key: &M::K, select: impl FnOnce(&mut Destination)) -> bool {
        let Some(destination) = self.map.get_mut(key) else {
            return false;
        };
        select(destination);
        let best_seq = destination.best().map_or(0, |p| p.seq);
        let changed = best_seq != destination.advertised_seq;
        destination.advertised_seq = best_seq;
        if destination.paths.is_empty() && best_seq == 0 {
            self.map.remove(key);
        }
        changed
    }
}

/// Loc-RIB: per family, prefix → candidate paths.
#[derive(Debug, Default)]
pub struct LocRib {
    v4: Table<V4Map<Destination>>,
    v6: Table<FxHashMap<V6Key, Destination>>,
}

impl LocRib {
    /// An empty Loc-RIB.
    pub fn new() -> LocRib {
        LocRib::default()
    }

    /// The destination of `prefix`.
    pub fn get(&self, prefix: &IpNet) -> Option<&Destination> {
        match prefix {
            IpNet::V4(net) => PrefixMap::get(&self.v4.map, &V4Key::new(net)),
            IpNet::V6(net) => self.v6.map.get(&V6Key::new(net)),
        }
    }

    /// The destination of `prefix`, for selection.
    pub fn get_mut(&mut self, prefix: &IpNet) -> Option<&mut Destination> {
        match prefix {
            IpNet::V4(net) => PrefixMap::get_mut(&mut self.v4.map, &V4Key::new(net)),
            IpNet::V6(net) => self.v6.map.get_mut(&V6Key::new(net)),
        }
    }

    /// Adds or replaces the path from `path.source` with `path.path_id`;
    /// returns the replaced one.
    pub fn insert(&mut self, prefix: IpNet, path: Path) -> Option<Path> {
        match prefix {
            IpNet::V4(net) => self.v4.insert(V4Key::new(&net), path),
            IpNet::V6(net) => self.v6.insert(V6Key::new(&net), path),
        }
    }

    /// Adds the path from `source` with `path_id` unless it is there with
    /// the same attribute set; one lookup.
    pub fn install(
        &mut self,
        prefix: IpNet,
        source: &Arc<Source>,
        path_id: u32,
        attrs: &Arc<PathAttrs>,
        seq: u64,
    ) -> Installed {
        match prefix {
            IpNet::V4(net) => self
                .v4
                .install(V4Key::new(&net), source, path_id, attrs, seq),
            IpNet::V6(net) => self
                .v6
                .install(V6Key::new(&net), source, path_id, attrs, seq),
        }
    }

    /// Removes the path from `source` with `path_id`.
    pub fn remove(&mut self, prefix: &IpNet, source: &Arc<Source>, path_id: u32) -> Option<Path> {
        match prefix {
            IpNet::V4(net) => self.v4.remove(&V4Key::new(net), source, path_id),
            IpNet::V6(net) => self.v6.remove(&V6Key::new(net), source, path_id),
        }
    }

    /// Removes every path from `source`, appending them with their prefix
    /// to `removed`.
    pub fn remove_source(&mut self, source: &Arc<Source>, removed: &mut Vec<(IpNet, Path)>) {
        self.v4.remove_source(source, removed);
        self.v6.remove_source(source, removed);
    }

    /// Runs `select` on the destination of `prefix`, records its best as
    /// announced and tells whether that changed it; forgets the prefix
    /// when it has no path left.
    pub fn decide(&mut self, prefix: &IpNet, select: impl FnOnce(&mut Destination)) -> bool {
        match prefix {
            IpNet::V4(net) => self.v4.decide(&V4Key::new(net), select),
            IpNet::V6(net) => self.v6.decide(&V6Key::new(net), select),
        }
    }

    /// Forgets `prefix` when it has no path left and was not announced.
    pub fn prune(&mut self, prefix: &IpNet) {
        let gone = |d: &Destination| d.paths.is_empty() && d.advertised_seq == 0;
        match prefix {
            IpNet::V4(net) => {
                let key = V4Key::new(net);
                if PrefixMap::get(&self.v4.map, &key).is_some_and(gone) {
                    PrefixMap::remove(&mut self.v4.map, &key);
                }
            }
            IpNet::V6(net) => {
                let key = V6Key::new(net);
                if self.v6.map.get(&key).is_some_and(gone) {
                    self.v6.map.remove(&key);
                }
            }
        }
    }

    /// Every destination of `family`.
    pub fn destinations(&self, family: Family) -> impl Iterator<Item = (IpNet, &Destination)> {
        let v4 = (family == Family::IPV4_UNICAST).then(|| PrefixMap::iter(&self.v4.map));
        let v6 = (family == Family::IPV6_UNICAST).then(|| PrefixMap::iter(&self.v6.map));
        let v4 = v4.into_iter().flatten().map(|(k, d)| (k.to_net(), d));
        let v6 = v6.into_iter().flatten().map(|(k, d)| (k.to_net(), d));
        v4.chain(v6)
    }

    /// Number of prefixes of `family`.
    pub fn prefixes(&self, family: Family) -> usize {
        match family_index(family) {
            Some(0) => self.v4.map.len(),
            Some(1) => self.v6.map.len(),
            _ => 0,
        }
    }

    /// Number of paths (all candidates) of `family`.
    pub fn paths(&self, family: Family) -> usize {
        match family_index(family) {
            Some(0) => self.v4.paths,
            Some(1) => self.v6.paths,
            _ => 0,
        }
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
    /// The import policy rejected it.
    Policy,
}

impl Rejection {
    /// A loop check (not policy) rejected it: a policy change cannot
    /// accept it.
    pub fn is_loop(self) -> bool {
        !matches!(self, Rejection::Policy)
    }
}

/// One route as received.
#[derive(Debug, Clone)]
pub struct ReceivedRoute {
    /// Attributes as received (AS4_PATH merged for 2-octet peers).
    pub attrs: Arc<PathAttrs>,
    /// Why it was kept out of Loc-RIB, if it was.
    pub rejected: Option<Rejection>,
}

/// What one peer's pre-policy Adj-RIB-In holds beyond Loc-RIB: the routes
/// rejected by the loop checks or the import policy (gobgpd keeps those
/// too), and the received attributes of routes the import policy changed.
/// Its accepted routes are its Loc-RIB candidates.
#[derive(Debug, Default)]
pub struct AdjRibIn {
    /// Rejected routes by prefix and received path id.
    pub rejected: FxHashMap<RouteKey, ReceivedRoute>,
    /// The attributes as received of accepted routes the import policy
    /// changed (their Loc-RIB path holds the changed ones).
    pub modified: FxHashMap<RouteKey, Arc<PathAttrs>>,
}

/// Pre-policy Adj-RIB-In of one peer: every route as received, loop
/// rejected ones included.
#[derive(Debug, Clone, Copy)]
pub struct PrePolicy<'a> {
    rib_in: &'a AdjRibIn,
    loc: &'a LocRib,
    source: &'a Arc<Source>,
    len: usize,
}

impl<'a> PrePolicy<'a> {
    /// The view; `len` is the peer's Adj-RIB-In counter.
    pub(crate) fn new(
        rib_in: &'a AdjRibIn,
        loc: &'a LocRib,
        source: &'a Arc<Source>,
        len: usize,
    ) -> PrePolicy<'a> {
        PrePolicy {
            rib_in,
            loc,
            source,
            len,
        }
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No route.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The route for `key`.
    pub fn get(&self, key: &RouteKey) -> Option<ReceivedRoute> {
        if let Some(path) = self
            .loc
            .get(&key.0)
            .and_then(|d| d.path_of(self.source, key.1))
        {
            let attrs = self.rib_in.modified.get(key).unwrap_or(&path.attrs);
            return Some(ReceivedRoute {
                attrs: Arc::clone(attrs),
                rejected: None,
            });
        }
        self.rib_in.rejected.get(key).cloned()
    }

    /// Every route (walks Loc-RIB).
    pub fn iter(&self) -> impl Iterator<Item = (RouteKey, ReceivedRoute)> + 'a {
        let modified = &self.rib_in.modified;
        let accepted = PostPolicy {
            loc: self.loc,
            source: self.source,
        }
        .iter()
        .map(move |(key, path)| {
            let route = ReceivedRoute {
                attrs: Arc::clone(modified.get(&key).unwrap_or(&path.attrs)),
                rejected: None,
            };
            (key, route)
        });
        let rejected = self.rib_in.rejected.iter().map(|(k, r)| (*k, r.clone()));
        accepted.chain(rejected)
    }
}

/// Post-policy Adj-RIB-In of one peer: its routes accepted into Loc-RIB.
#[derive(Debug, Clone, Copy)]
pub struct PostPolicy<'a> {
    loc: &'a LocRib,
    source: &'a Arc<Source>,
}

impl<'a> PostPolicy<'a> {
    /// The view over `loc` for the peer whose source is `source`.
    pub fn new(loc: &'a LocRib, source: &'a Arc<Source>) -> PostPolicy<'a> {
        PostPolicy { loc, source }
    }

    /// The accepted path for `key`.
    pub fn get(&self, key: &RouteKey) -> Option<&'a Path> {
        self.loc.get(&key.0)?.path_of(self.source, key.1)
    }

    /// Every accepted route (walks Loc-RIB).
    pub fn iter(&self) -> impl Iterator<Item = (RouteKey, &'a Path)> + 'a {
        let (loc, source) = (self.loc, self.source);
        FAMILIES.into_iter().flat_map(move |family| {
            loc.destinations(family).flat_map(move |(prefix, d)| {
                d.paths
                    .iter()
                    .filter(move |p| Arc::ptr_eq(&p.source, source))
                    .map(move |p| ((prefix, p.path_id), p))
            })
        })
    }
}

/// What a peer was last sent for one prefix: the Loc-RIB best path it
/// was exported from. The outgoing attributes are a pure function of
/// these and the session (see [`super::export::export`]), so they are
/// computed again when needed rather than kept for every route and peer;
/// holding the two `Arc`s keeps their addresses from being reused while
/// the entry lives, so comparing by pointer is exact.
#[derive(Debug)]
pub struct Announced {
    /// The best path's source.
    pub source: Arc<Source>,
    /// The best path's (Loc-RIB) attributes, before export.
    pub attrs: Arc<PathAttrs>,
}

/// Adj-RIB-Out of one peer: for each announced prefix, the best path it
/// was exported from (compact prefix keys, fast hasher).
#[derive(Debug, Default)]
pub struct AdjRibOut {
    v4: V4Map<Announced>,
    v6: FxHashMap<V6Key, Announced>,
    /// With ADD-PATH send-max above one: the second and later paths of
    /// each prefix, in rank order (path ids 2, 3, ...).
    extra: FxHashMap<IpNet, Vec<Announced>>,
    /// Number of paths in `extra`, per family (IPv4, IPv6).
    extra_paths: [usize; 2],
    /// Prefixes whose best path the advertisement rules let through but
    /// export policy rejected: in the pre-policy Adj-RIB-Out only.
    /// Per family (IPv4, IPv6).
    filtered: [FxHashSet<IpNet>; 2],
    /// With ADD-PATH send-max above one, under export policy: per prefix,
    /// how many more paths the pre-policy Adj-RIB-Out holds than were
    /// sent (never zero), and their sum per family.
    kept_paths: FxHashMap<IpNet, u32>,
    kept_paths_total: [usize; 2],
}

impl AdjRibOut {
    /// The entry for `prefix`.
    pub fn get(&self, prefix: &IpNet) -> Option<&Announced> {
        match prefix {
            IpNet::V4(net) => PrefixMap::get(&self.v4, &V4Key::new(net)),
            IpNet::V6(net) => self.v6.get(&V6Key::new(net)),
        }
    }

    /// Sets the entry for `prefix`, returning the one it replaces.
    pub fn insert(&mut self, prefix: IpNet, announced: Announced) -> Option<Announced> {
        match prefix {
            IpNet::V4(net) => PrefixMap::insert(&mut self.v4, V4Key::new(&net), announced),
            IpNet::V6(net) => self.v6.insert(V6Key::new(&net), announced),
        }
    }

    /// Removes the entry for `prefix`.
    pub fn remove(&mut self, prefix: &IpNet) -> Option<Announced> {
        match prefix {
            IpNet::V4(net) => PrefixMap::remove(&mut self.v4, &V4Key::new(net)),
            IpNet::V6(net) => self.v6.remove(&V6Key::new(net)),
        }
    }

    /// The entries of `family`.
    pub fn iter(&self, family: Family) -> Box<dyn Iterator<Item = (IpNet, &Announced)> + '_> {
        if family == Family::IPV6_UNICAST {
            Box::new(self.v6.iter().map(|(k, a)| (k.to_net(), a)))
        } else if family == Family::IPV4_UNICAST {
            Box::new(PrefixMap::iter(&self.v4).map(|(k, a)| (k.to_net(), a)))
        } else {
            Box::new(std::iter::empty())
        }
    }

    /// Number of announced prefixes.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Number of announced prefixes of `family`.
    pub fn len_of(&self, family: Family) -> usize {
        match family_index(family) {
            Some(0) => self.v4.len(),
            Some(1) => self.v6.len(),
            _ => 0,
        }
    }

    /// Nothing announced.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry, emptying the table.
    pub fn into_entries(self) -> impl Iterator<Item = Announced> {
        let extra = self.extra.into_values().flatten();
        self.v4
            .into_values()
            .chain(self.v6.into_values())
            .chain(extra)
    }

    /// Marks `prefix` as kept back by export policy, or not.
    pub fn set_filtered(&mut self, prefix: IpNet, filtered: bool) {
        let Some(set) = family_index(family_of(&prefix)).and_then(|i| self.filtered.get_mut(i))
        else {
            return;
        };
        if filtered {
            set.insert(prefix);
        } else if !set.is_empty() {
            set.remove(&prefix);
        }
    }

    /// The prefixes of `family` kept back by export policy.
    pub fn filtered(&self, family: Family) -> impl Iterator<Item = IpNet> + '_ {
        family_index(family)
            .and_then(|i| self.filtered.get(i))
            .into_iter()
            .flat_map(|set| set.iter().copied())
    }

    /// Forgets every prefix and path kept back by export policy.
    pub fn clear_filtered(&mut self) {
        for set in &mut self.filtered {
            set.clear();
        }
        self.kept_paths.clear();
        self.kept_paths_total = [0; 2];
    }

    /// Records that the pre-policy Adj-RIB-Out holds `count` more paths
    /// of `prefix` than were sent (ADD-PATH send under export policy).
    pub fn set_kept_paths(&mut self, prefix: IpNet, count: usize) {
        let Some(i) = family_index(family_of(&prefix)) else {
            return;
        };
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        let was = if count == 0 {
            if self.kept_paths.is_empty() {
                return;
            }
            self.kept_paths.remove(&prefix)
        } else {
            self.kept_paths.insert(prefix, count)
        };
        if let Some(total) = self.kept_paths_total.get_mut(i) {
            *total = (*total + count as usize).saturating_sub(was.unwrap_or(0) as usize);
        }
    }

    /// Number of paths of `family` in the post-policy Adj-RIB-Out: every
    /// path sent, several per prefix with ADD-PATH (BMP statistics 16/17).
    pub fn paths_of(&self, family: Family) -> usize {
        let extra = family_index(family)
            .and_then(|i| self.extra_paths.get(i))
            .copied()
            .unwrap_or(0);
        self.len_of(family) + extra
    }

    /// Number of paths of `family` in the pre-policy Adj-RIB-Out: those
    /// sent and those export policy kept back (BMP statistics 14/15).
    pub fn pre_policy_paths_of(&self, family: Family) -> usize {
        let kept = family_index(family).map_or(0, |i| {
            let filtered = self.filtered.get(i).map_or(0, FxHashSet::len);
            filtered + self.kept_paths_total.get(i).copied().unwrap_or(0)
        });
        self.paths_of(family) + kept
    }

    /// The second and later paths announced for `prefix` (ADD-PATH).
    pub fn extra(&self, prefix: &IpNet) -> &[Announced] {
        self.extra.get(prefix).map_or(&[], Vec::as_slice)
    }

    /// Sets the second and later paths of `prefix`, returning the old ones.
    pub fn set_extra(&mut self, prefix: IpNet, paths: Vec<Announced>) -> Vec<Announced> {
        let added = paths.len();
        let old = if paths.is_empty() {
            if self.extra.is_empty() {
                return Vec::new();
            }
            self.extra.remove(&prefix).unwrap_or_default()
        } else {
            self.extra.insert(prefix, paths).unwrap_or_default()
        };
        let slot = family_index(family_of(&prefix)).and_then(|i| self.extra_paths.get_mut(i));
        if let Some(count) = slot {
            *count = (*count + added).saturating_sub(old.len());
        }
        old
    }

    /// Every prefix of `family` with second and later paths, and those.
    pub fn extras(&self, family: Family) -> impl Iterator<Item = (IpNet, &[Announced])> {
        self.extra
            .iter()
            .filter(move |(p, _)| family_of(p) == family)
            .map(|(p, paths)| (*p, paths.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(seq: u64) -> Path {
        Path {
            source: Arc::new(Source {
                peer: None,
                router_id: Ipv4Addr::new(192, 0, 2, 1),
                peer_as: 65001,
                external: false,
                route_reflector_client: false,
            }),
            path_id: 0,
            attrs: Arc::new(PathAttrs::new(Vec::new(), None)),
            seq,
        }
    }

    fn seqs(paths: &Paths) -> Vec<u64> {
        paths.iter().map(|p| p.seq).collect()
    }

    #[test]
    fn paths_keep_one_inline_and_order_on_removal() {
        let mut paths = Paths::default();
        paths.push(path(1));
        assert!(matches!(paths, Paths::One(_)));
        paths.push(path(2));
        paths.push(path(3));
        assert_eq!(seqs(&paths), vec![1, 2, 3]);
        assert_eq!(paths.remove(1).map(|p| p.seq), Some(2));
        assert_eq!(seqs(&paths), vec![1, 3]);
        assert_eq!(paths.remove(0).map(|p| p.seq), Some(1));
        assert!(matches!(paths, Paths::One(_)));
        assert!(paths.remove(1).is_none());
        assert_eq!(paths.remove(0).map(|p| p.seq), Some(3));
        assert!(paths.is_empty());
    }

    #[test]
    fn compact_keys_round_trip_host_bits_included() {
        for net in [
            "10.0.0.0/8",
            "10.1.2.3/24",
            "0.0.0.0/0",
            "2001:db8::1/48",
            "::/0",
        ] {
            let prefix: IpNet = net.parse().expect("valid");
            let back = match prefix {
                IpNet::V4(n) => V4Key::new(&n).to_net(),
                IpNet::V6(n) => V6Key::new(&n).to_net(),
            };
            assert_eq!(back, prefix);
        }
    }
}
