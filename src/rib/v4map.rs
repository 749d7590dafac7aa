//! An IPv4 prefix map laid out by address, for the big tables (Loc-RIB,
//! Adj-RIB-Out).
//!
//! A hash table spreads neighbouring prefixes over the whole table: every
//! insert of a full table, which peers send in address order, is a cache
//! miss, and each doubling rehashes every entry while the old and the new
//! arrays are both alive (at a million routes, 200 MB for a moment).
//! Here a map past [`SPREAD_AT`] entries keeps one block per /16 (by the
//! top 16 address bits), each a vector sorted by the rest of the key: a
//! table sent in order appends to one hot block at a time, and blocks
//! grow one by one, so there is no big rehash and no slack beyond each
//! vector's own.
//!
//! A block that grows past [`HASHED_AT`] entries (thousands of more
//! specifics inside one /16, which a hostile peer could send in random
//! order) becomes a hash map, so no insert costs more than a small
//! memmove. Small maps (most peers' Adj-RIB-Out) stay one hash map and
//! pay nothing for the block directory.

use super::hash::FxHashMap;

/// Entries past which the map is split into /16 blocks.
#[cfg(not(test))]
const SPREAD_AT: usize = 16 * 1024;
/// Entries past which one block becomes a hash map.
#[cfg(not(test))]
const HASHED_AT: usize = 1024;
// Small in tests, so that generated operations cross both often.
#[cfg(test)]
const SPREAD_AT: usize = 64;
#[cfg(test)]
const HASHED_AT: usize = 32;
/// Blocks: one per value of the top 16 address bits.
const BLOCKS: usize = 1 << 16;

/// An IPv4 prefix as a key: the address in bits 8..40, the length in the
/// low 8 bits (host bits kept, so any prefix round-trips).
pub type Key = u64;

/// The block of `key` (its top 16 address bits).
fn block_of(key: Key) -> usize {
    ((key >> 24) & 0xffff) as usize
}

/// `key` within its block: the low 16 address bits and the length.
fn inner_of(key: Key) -> u32 {
    (key & 0xff_ffff) as u32
}

/// The key of `inner` in `block`.
fn key_of(block: usize, inner: u32) -> Key {
    ((block as u64) << 24) | u64::from(inner)
}

/// One /16's entries.
#[derive(Debug)]
enum Block<V> {
    /// Sorted by inner key.
    Sorted(Vec<(u32, V)>),
    /// Past [`HASHED_AT`] entries.
    Hashed(Box<FxHashMap<u32, V>>),
}

impl<V> Default for Block<V> {
    fn default() -> Self {
        Block::Sorted(Vec::new())
    }
}

impl<V> Block<V> {
    fn get(&self, inner: u32) -> Option<&V> {
        match self {
            Block::Sorted(entries) => entries
                .binary_search_by_key(&inner, |e| e.0)
                .ok()
                .map(|i| &entries[i].1),
            Block::Hashed(map) => map.get(&inner),
        }
    }

    fn get_mut(&mut self, inner: u32) -> Option<&mut V> {
        match self {
            Block::Sorted(entries) => entries
                .binary_search_by_key(&inner, |e| e.0)
                .ok()
                .map(|i| &mut entries[i].1),
            Block::Hashed(map) => map.get_mut(&inner),
        }
    }

    /// The slot of `inner`, made with `make` when missing (and whether it
    /// was).
    fn slot(&mut self, inner: u32, make: impl FnOnce() -> V) -> (&mut V, bool) {
        if let Block::Sorted(entries) = self {
            if entries.len() >= HASHED_AT {
                let map: FxHashMap<u32, V> = std::mem::take(entries).into_iter().collect();
                *self = Block::Hashed(Box::new(map));
            }
        }
        match self {
            Block::Sorted(entries) => {
                // In-order loads append: look at the end first.
                let at = match entries.last() {
                    Some(last) if last.0 < inner => Err(entries.len()),
                    _ => entries.binary_search_by_key(&inner, |e| e.0),
                };
                match at {
                    Ok(i) => (&mut entries[i].1, false),
                    Err(i) => {
                        entries.insert(i, (inner, make()));
                        (&mut entries[i].1, true)
                    }
                }
            }
            Block::Hashed(map) => {
                let mut made = false;
                let value = map.entry(inner).or_insert_with(|| {
                    made = true;
                    make()
                });
                (value, made)
            }
        }
    }

    fn remove(&mut self, inner: u32) -> Option<V> {
        match self {
            Block::Sorted(entries) => {
                let i = entries.binary_search_by_key(&inner, |e| e.0).ok()?;
                let (_, value) = entries.remove(i);
                if entries.is_empty() {
                    // Give the block's memory back when it empties.
                    *entries = Vec::new();
                }
                Some(value)
            }
            Block::Hashed(map) => map.remove(&inner),
        }
    }

    fn iter(&self) -> impl Iterator<Item = (u32, &V)> + '_ {
        match self {
            Block::Sorted(entries) => Either::Left(entries.iter().map(|(k, v)| (*k, v))),
            Block::Hashed(map) => Either::Right(map.iter().map(|(k, v)| (*k, v))),
        }
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut V)> + '_ {
        match self {
            Block::Sorted(entries) => Either::Left(entries.iter_mut().map(|(k, v)| (*k, v))),
            Block::Hashed(map) => Either::Right(map.iter_mut().map(|(k, v)| (*k, v))),
        }
    }

    fn into_values(self) -> impl Iterator<Item = V> {
        match self {
            Block::Sorted(entries) => Either::Left(entries.into_iter().map(|(_, v)| v)),
            Block::Hashed(map) => Either::Right(map.into_values()),
        }
    }
}

/// One of two iterators of the same items (a block's, whichever layout
/// it has), without boxing one per block.
enum Either<L, R> {
    Left(L),
    Right(R),
}

impl<T, L: Iterator<Item = T>, R: Iterator<Item = T>> Iterator for Either<L, R> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match self {
            Either::Left(left) => left.next(),
            Either::Right(right) => right.next(),
        }
    }
}

/// The two layouts.
#[derive(Debug)]
enum Layout<V> {
    /// Up to [`SPREAD_AT`] entries.
    Small(FxHashMap<Key, V>),
    /// Past it: one block per /16 ([`BLOCKS`] of them).
    Spread(Vec<Block<V>>),
}

/// A map from IPv4 prefix keys to `V`; see the module documentation.
#[derive(Debug)]
pub struct V4Map<V> {
    layout: Layout<V>,
    len: usize,
}

impl<V> Default for V4Map<V> {
    fn default() -> Self {
        V4Map {
            layout: Layout::Small(FxHashMap::default()),
            len: 0,
        }
    }
}

impl<V> V4Map<V> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The value of `key`.
    pub fn get(&self, key: &Key) -> Option<&V> {
        match &self.layout {
            Layout::Small(map) => map.get(key),
            Layout::Spread(blocks) => blocks[block_of(*key)].get(inner_of(*key)),
        }
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &Key) -> Option<&mut V> {
        match &mut self.layout {
            Layout::Small(map) => map.get_mut(key),
            Layout::Spread(blocks) => blocks[block_of(*key)].get_mut(inner_of(*key)),
        }
    }

    /// The value of `key`, inserted with `make` when missing.
    pub fn get_or_insert_with(&mut self, key: Key, make: impl FnOnce() -> V) -> &mut V {
        if self.len >= SPREAD_AT {
            self.spread();
        }
        let (value, made) = match &mut self.layout {
            Layout::Small(map) => {
                let mut made = false;
                let value = map.entry(key).or_insert_with(|| {
                    made = true;
                    make()
                });
                (value, made)
            }
            Layout::Spread(blocks) => blocks[block_of(key)].slot(inner_of(key), make),
        };
        if made {
            self.len += 1;
        }
        value
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: Key, value: V) -> Option<V> {
        if let Some(slot) = self.get_mut(&key) {
            return Some(std::mem::replace(slot, value));
        }
        self.get_or_insert_with(key, || value);
        None
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &Key) -> Option<V> {
        let removed = match &mut self.layout {
            Layout::Small(map) => map.remove(key),
            Layout::Spread(blocks) => blocks[block_of(*key)].remove(inner_of(*key)),
        };
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// Every entry (by address for the sorted blocks).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (Key, &V)> + '_> {
        match &self.layout {
            Layout::Small(map) => Box::new(map.iter().map(|(k, v)| (*k, v))),
            Layout::Spread(blocks) => Box::new(
                blocks
                    .iter()
                    .enumerate()
                    .flat_map(|(b, block)| block.iter().map(move |(i, v)| (key_of(b, i), v))),
            ),
        }
    }

    /// Every entry, mutably.
    pub fn iter_mut(&mut self) -> Box<dyn Iterator<Item = (Key, &mut V)> + '_> {
        match &mut self.layout {
            Layout::Small(map) => Box::new(map.iter_mut().map(|(k, v)| (*k, v))),
            Layout::Spread(blocks) => Box::new(
                blocks
                    .iter_mut()
                    .enumerate()
                    .flat_map(|(b, block)| block.iter_mut().map(move |(i, v)| (key_of(b, i), v))),
            ),
        }
    }

    /// Every value, emptying the map.
    pub fn into_values(self) -> Box<dyn Iterator<Item = V>>
    where
        V: 'static,
    {
        match self.layout {
            Layout::Small(map) => Box::new(map.into_values()),
            Layout::Spread(blocks) => Box::new(blocks.into_iter().flat_map(Block::into_values)),
        }
    }

    /// Moves a small map's entries into blocks.
    fn spread(&mut self) {
        let Layout::Small(map) = &mut self.layout else {
            return;
        };
        let mut entries: Vec<(Key, V)> = std::mem::take(map).into_iter().collect();
        entries.sort_unstable_by_key(|e| e.0);
        let mut blocks: Vec<Block<V>> = (0..BLOCKS).map(|_| Block::default()).collect();
        for (key, value) in entries {
            // Sorted: each slot appends.
            blocks[block_of(key)].slot(inner_of(key), || value);
        }
        self.layout = Layout::Spread(blocks);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(Key, u32),
        Remove(Key),
        Get(Key),
        Bump(Key),
    }

    /// Keys crowded into a few /16s (so blocks fill up and turn into hash
    /// maps) with lengths and host bits.
    fn key() -> impl Strategy<Value = Key> {
        (0u64..3, 0u64..0x100, 0u64..33).prop_map(|(b, low, len)| {
            let addr = (0x0a00_0000 | (b << 16)) | low;
            (addr << 8) | len
        })
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (key(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            2 => key().prop_map(Op::Remove),
            1 => key().prop_map(Op::Get),
            1 => key().prop_map(Op::Bump),
        ]
    }

    fn check(map: &V4Map<u32>, model: &BTreeMap<Key, u32>) {
        assert_eq!(map.len(), model.len());
        let mut seen: Vec<(Key, u32)> = map.iter().map(|(k, v)| (k, *v)).collect();
        seen.sort_unstable();
        let expected: Vec<(Key, u32)> = model.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(seen, expected);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn behaves_like_an_ordered_map(ops in proptest::collection::vec(op(), 1..3_000)) {
            let mut map = V4Map::default();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(map.insert(k, v), model.insert(k, v)),
                    Op::Remove(k) => prop_assert_eq!(map.remove(&k), model.remove(&k)),
                    Op::Get(k) => prop_assert_eq!(map.get(&k), model.get(&k)),
                    Op::Bump(k) => {
                        let value = map.get_or_insert_with(k, || 7);
                        *value = value.wrapping_add(1);
                        let expected = model.entry(k).or_insert(7);
                        *expected = expected.wrapping_add(1);
                    }
                }
            }
            check(&map, &model);
            for (_, v) in map.iter_mut() {
                *v ^= 1;
            }
            for v in model.values_mut() {
                *v ^= 1;
            }
            check(&map, &model);
            let mut values: Vec<u32> = map.into_values().collect();
            values.sort_unstable();
            let mut expected: Vec<u32> = model.into_values().collect();
            expected.sort_unstable();
            prop_assert_eq!(values, expected);
        }
    }

    #[test]
    fn a_table_in_order_is_spread_into_sorted_blocks() {
        // Few prefixes per /16 (as many as a block holds before hashing).
        let per_block = HASHED_AT as u64;
        let key = |n: u64| (((n / per_block) << 16 | (n % per_block) << 8) << 8) | 24;
        let total = 64 * per_block + SPREAD_AT as u64;
        let mut map = V4Map::default();
        for n in 0..total {
            assert!(map.insert(key(n), n).is_none());
        }
        assert!(matches!(map.layout, Layout::Spread(_)));
        assert_eq!(map.len() as u64, total);
        // Sorted blocks iterate in address order.
        let keys: Vec<Key> = map.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, (0..total).map(key).collect::<Vec<_>>());
        for n in (0..total).step_by(7) {
            assert_eq!(map.remove(&key(n)), Some(n));
            assert_eq!(map.get(&key(n)), None);
        }
        assert_eq!(map.len() as u64, total - total.div_ceil(7));
    }

    #[test]
    fn a_crowded_block_turns_into_a_hash_map() {
        let mut map = V4Map::default();
        // Spread first, then crowd one /16 with /32s in reverse order.
        for n in 0..SPREAD_AT as u64 {
            map.insert(((0x0100_0000 + (n << 8)) << 8) | 24, 0);
        }
        for host in (0..4096u64).rev() {
            map.insert(((0x0a0a_0000 | host) << 8) | 32, host as u32);
        }
        let Layout::Spread(blocks) = &map.layout else {
            panic!("not spread");
        };
        assert!(matches!(blocks[0x0a0a], Block::Hashed(_)));
        assert_eq!(map.get(&(((0x0a0a_0000 | 77) << 8) | 32)), Some(&77));
        assert_eq!(map.len(), SPREAD_AT + 4096);
    }
}
