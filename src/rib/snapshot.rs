//! A BMP dump's copy of one view, kept small: a full table is copied once
//! per view when a collector subscribes, so the copy's size per route is
//! what a resynchronising collector costs in memory.
//!
//! Routes are grouped by attribute set (so a dump chunk packs the routes
//! sharing a set into one UPDATE; table order would put about one route in
//! each) and each set is referenced once, not once per route. An IPv4
//! route takes 16 octets; other families keep their [`Nlri`]. A set's
//! reference goes back to the store when its last route is taken.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use ipnet::{IpNet, Ipv4Net};

use super::attrs::{AttrStore, PathAttrs};
use super::batch::Batch;
use crate::wire::bgp::Nlri;

/// An IPv4 route of a snapshot: its set's index and the NLRI, unpacked
/// only when encoded.
#[derive(Debug, Clone, Copy)]
struct V4Route {
    set: u32,
    addr: u32,
    path_id: u32,
    len: u8,
    has_path_id: bool,
}

impl V4Route {
    fn nlri(&self) -> Nlri {
        // The length came from an `Ipv4Net`, so it is at most 32.
        let prefix =
            IpNet::V4(Ipv4Net::new(Ipv4Addr::from(self.addr), self.len).unwrap_or_default());
        if self.has_path_id {
            Nlri::with_path_id(prefix, self.path_id)
        } else {
            Nlri::new(prefix)
        }
    }
}

/// An attribute set of the snapshot and how many of its routes are not
/// taken yet.
#[derive(Debug)]
struct Set {
    attrs: Option<Arc<PathAttrs>>,
    left: u32,
}

/// The routes of one view as of one moment, taken in chunks.
#[derive(Debug, Default)]
pub struct Snapshot {
    sets: Vec<Set>,
    v4: Vec<V4Route>,
    other: Vec<(u32, Nlri)>,
    /// Routes taken from `v4`, then from `other`.
    taken: usize,
}

impl Snapshot {
    /// The routes, grouped by set.
    pub fn new(routes: impl IntoIterator<Item = (Nlri, Arc<PathAttrs>)>) -> Snapshot {
        let mut snapshot = Snapshot::default();
        let mut index: HashMap<usize, u32> = HashMap::new();
        for (nlri, attrs) in routes {
            let key = Arc::as_ptr(&attrs) as usize;
            let set = *index.entry(key).or_insert_with(|| {
                snapshot.sets.push(Set {
                    attrs: Some(attrs),
                    left: 0,
                });
                // More sets than u32 can count cannot fit in memory.
                u32::try_from(snapshot.sets.len() - 1).unwrap_or(u32::MAX)
            });
            // A later route of a known set: its extra reference is dropped
            // here (the set is held by the table it came from and by us).
            if let Some(held) = snapshot.sets.get_mut(set as usize) {
                held.left += 1;
            }
            match nlri.prefix {
                IpNet::V4(prefix) => snapshot.v4.push(V4Route {
                    set,
                    addr: u32::from(prefix.addr()),
                    path_id: nlri.path_id.unwrap_or(0),
                    len: prefix.prefix_len(),
                    has_path_id: nlri.path_id.is_some(),
                }),
                IpNet::V6(_) => snapshot.other.push((set, nlri)),
            }
        }
        snapshot
            .v4
            .sort_unstable_by_key(|r| (r.set, r.addr, r.len, r.path_id));
        snapshot
            .other
            .sort_unstable_by_key(|(set, nlri)| (*set, nlri.prefix, nlri.path_id));
        snapshot
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.v4.len() + self.other.len()
    }

    /// Every route was taken.
    pub fn is_done(&self) -> bool {
        self.taken == self.len()
    }

    /// Queues the next `budget` routes on `batch`, giving back to `store`
    /// the sets whose last route that was.
    pub fn take(&mut self, budget: usize, batch: &mut Batch, store: &mut AttrStore) {
        let end = (self.taken + budget).min(self.len());
        let v4_len = self.v4.len();
        for i in self.taken..end {
            let (set, nlri) = match self.v4.get(i) {
                Some(route) => (route.set, route.nlri()),
                None => match self.other.get(i - v4_len) {
                    Some((set, nlri)) => (*set, *nlri),
                    None => break,
                },
            };
            let Some(held) = self.sets.get_mut(set as usize) else {
                continue;
            };
            held.left = held.left.saturating_sub(1);
            let attrs = if held.left == 0 {
                held.attrs.take()
            } else {
                held.attrs.clone()
            };
            if let Some(attrs) = attrs {
                // The batch gives the reference back once encoded.
                batch.announce(attrs, nlri);
            }
        }
        self.taken = end;
        if self.is_done() {
            self.release(store);
        }
    }

    /// Gives every reference still held back to `store` (a cancelled dump).
    pub fn release(&mut self, store: &mut AttrStore) {
        for set in &mut self.sets {
            if let Some(attrs) = set.attrs.take() {
                store.release(attrs);
            }
        }
        self.sets = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::bgp::{AttrValue, NextHop, PathAttribute};

    fn set(med: u32) -> Arc<PathAttrs> {
        Arc::new(PathAttrs::new(
            vec![PathAttribute::new(AttrValue::MultiExitDisc(med))],
            Some(NextHop::V4(Ipv4Addr::new(192, 0, 2, 1))),
        ))
    }

    fn nlri(s: &str) -> Nlri {
        Nlri::new(s.parse().expect("prefix"))
    }

    #[test]
    fn routes_come_out_grouped_by_set_each_once_with_their_path_ids() {
        let (a, b) = (set(1), set(2));
        let routes = vec![
            (nlri("10.0.0.0/24"), a.clone()),
            (nlri("2001:db8::/32"), b.clone()),
            (nlri("10.0.1.0/24"), b.clone()),
            (
                Nlri::with_path_id("10.0.2.0/23".parse().expect("prefix"), 7),
                a.clone(),
            ),
            (nlri("10.0.3.0/24"), b.clone()),
        ];
        let mut snapshot = Snapshot::new(routes.clone());
        assert_eq!(snapshot.len(), 5);
        let mut store = AttrStore::new();
        let mut taken = Vec::new();
        while !snapshot.is_done() {
            let mut batch = Batch::default();
            snapshot.take(2, &mut batch, &mut store);
            taken.extend(batch.announced());
        }
        let mut expected: Vec<_> = routes
            .iter()
            .map(|(n, s)| (*n, Arc::as_ptr(s) as usize))
            .collect();
        let mut got: Vec<_> = taken
            .iter()
            .map(|(n, s)| (*n, Arc::as_ptr(s) as usize))
            .collect();
        // Each IPv4 set's routes are adjacent.
        let v4_sets: Vec<usize> = got
            .iter()
            .filter(|(n, _)| n.prefix.addr().is_ipv4())
            .map(|(_, s)| *s)
            .collect();
        let mut runs = v4_sets.clone();
        runs.dedup();
        assert_eq!(runs.len(), 2, "{v4_sets:?}");
        expected.sort();
        got.sort();
        assert_eq!(got, expected);
        drop(taken);
        // Only the test's own references remain: the snapshot gave its
        // back.
        assert_eq!(Arc::strong_count(&a), 1 + 2);
        assert_eq!(Arc::strong_count(&b), 1 + 3);
    }

    #[test]
    fn a_cancelled_snapshot_gives_every_set_back() {
        let a = set(1);
        let routes = (0..10u32).map(|i| {
            let prefix = Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24).expect("prefix");
            (Nlri::new(IpNet::V4(prefix)), a.clone())
        });
        let mut snapshot = Snapshot::new(routes);
        let mut store = AttrStore::new();
        let mut batch = Batch::default();
        snapshot.take(3, &mut batch, &mut store);
        snapshot.release(&mut store);
        drop(batch);
        assert_eq!(Arc::strong_count(&a), 1);
    }
}
