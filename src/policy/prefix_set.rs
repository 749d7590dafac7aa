//! Prefix sets: longest matching entry, then its `masklength-range`.
//!
//! gobgpd keeps a prefix set in a radix tree and, for a route prefix,
//! takes the *longest* entry prefix that covers it; only the length ranges
//! of that entry (all entries written with that same prefix) decide. With
//! `{172.20.0.0/14 16..24, 172.20.0.0/16}`, `172.20.1.0/24` finds
//! `172.20.0.0/16` (exact length only) and does not match, although the
//! `/14` entry's range would allow it (reference §2.1).
//!
//! Here each entry length has a hash table from the masked address to the
//! set of route lengths its ranges allow (IPv4 entries in a table of
//! their own with 8-octet keys and values, small enough to stay cached). A lookup probes the distinct
//! entry lengths from the longest down to the route's own, so it costs at
//! most 33 (IPv4) or 129 (IPv6) probes whatever the set's size, and in
//! practice as many as the set has distinct lengths.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::config::PrefixMatch;
use crate::rib::hash::FxHashMap;

/// Route lengths 0..=128 as a bitmap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Lengths([u64; 3]);

impl Lengths {
    fn add_range(&mut self, min: u8, max: u8) {
        for length in min..=max {
            let length = usize::from(length);
            if let Some(word) = self.0.get_mut(length / 64) {
                *word |= 1 << (length % 64);
            }
        }
    }

    fn contains(&self, length: u8) -> bool {
        let length = usize::from(length);
        self.0
            .get(length / 64)
            .is_some_and(|word| word & (1 << (length % 64)) != 0)
    }
}

/// An address as a left-aligned integer and its family's width.
fn bits(addr: IpAddr) -> (u128, u8) {
    match addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)) << 96, 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    }
}

/// The first `length` bits of a left-aligned address.
fn masked(addr: u128, length: u8) -> u128 {
    match length {
        0 => 0,
        n if n >= 128 => addr,
        n => addr & (!0u128 << (128 - u32::from(n))),
    }
}

/// A compiled prefix set.
#[derive(Debug, Clone, Default)]
pub(crate) struct PrefixTable {
    /// `true` for IPv4 entries; `None` for an empty set, which matches
    /// no route (its family is unknown).
    ipv4: Option<bool>,
    /// Distinct IPv4 entry lengths, longest first.
    lengths_v4: Vec<u8>,
    /// IPv4: entry length << 32 | masked address → route lengths allowed
    /// (bit n: length n). 16 octets a slot, so that a large set stays in
    /// the CPU caches.
    entries_v4: FxHashMap<u64, u64>,
    /// Distinct IPv6 entry lengths, longest first.
    lengths: Vec<u8>,
    /// IPv6: (entry length, masked address) → route lengths allowed.
    entries: FxHashMap<(u8, u128), Lengths>,
}

/// The key of an IPv4 entry: its length and masked address.
fn key_v4(addr: u32, length: u8) -> u64 {
    let masked = match length {
        0 => 0,
        n if n >= 32 => addr,
        n => addr & (!0u32 << (32 - u32::from(n))),
    };
    u64::from(length) << 32 | u64::from(masked)
}

impl PrefixTable {
    /// Compiles the entries of one set (one family, checked by the config).
    pub fn new(prefixes: &[PrefixMatch]) -> PrefixTable {
        let mut table = PrefixTable::default();
        for entry in prefixes {
            let length = entry.prefix.prefix_len();
            table.ipv4 = Some(entry.prefix.addr().is_ipv4());
            let lengths = match entry.prefix.addr() {
                IpAddr::V4(addr) => {
                    let mut allowed = Lengths::default();
                    allowed.add_range(entry.min_length, entry.max_length);
                    *table
                        .entries_v4
                        .entry(key_v4(u32::from(addr), length))
                        .or_default() |= allowed.0[0];
                    &mut table.lengths_v4
                }
                IpAddr::V6(_) => {
                    let (addr, _) = bits(entry.prefix.addr());
                    table
                        .entries
                        .entry((length, masked(addr, length)))
                        .or_default()
                        .add_range(entry.min_length, entry.max_length);
                    &mut table.lengths
                }
            };
            if !lengths.contains(&length) {
                lengths.push(length);
            }
        }
        table.lengths_v4.sort_unstable_by(|a, b| b.cmp(a));
        table.lengths.sort_unstable_by(|a, b| b.cmp(a));
        table
    }

    /// The set and the route are of one family.
    pub fn same_family(&self, prefix: &IpNet) -> bool {
        self.ipv4 == Some(prefix.addr().is_ipv4())
    }

    /// The longest entry covering `prefix` allows its length (the family
    /// is checked by [`PrefixTable::same_family`]).
    pub fn contains(&self, prefix: &IpNet) -> bool {
        let length = prefix.prefix_len();
        if let IpNet::V4(net) = prefix {
            let addr = u32::from(net.addr());
            for &entry_length in self.lengths_v4.iter().filter(|&&l| l <= length) {
                if let Some(allowed) = self.entries_v4.get(&key_v4(addr, entry_length)) {
                    return allowed & (1 << length) != 0;
                }
            }
            return false;
        }
        let (addr, _) = bits(prefix.addr());
        for &entry_length in self.lengths.iter().filter(|&&l| l <= length) {
            if let Some(allowed) = self
                .entries
                .get(&(entry_length, masked(addr, entry_length)))
            {
                return allowed.contains(length);
            }
        }
        false
    }
}

/// A compiled neighbor set: addresses and prefixes.
#[derive(Debug, Clone, Default)]
pub(crate) struct NeighborTable {
    nets: Vec<IpNet>,
}

impl NeighborTable {
    /// From the configured entries.
    pub fn new(nets: &[IpNet]) -> NeighborTable {
        NeighborTable {
            nets: nets.to_vec(),
        }
    }

    /// gobgpd: an empty set matches every neighbor, whatever the option.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Some entry holds `addr` (an IPv4-mapped IPv6 address counts as its
    /// IPv4 address).
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        self.nets.iter().any(|net| net.contains(&addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(prefix: &str, min: u8, max: u8) -> PrefixMatch {
        PrefixMatch {
            prefix: prefix.parse().expect("test prefix"),
            min_length: min,
            max_length: max,
        }
    }

    fn net(text: &str) -> IpNet {
        text.parse().expect("test prefix")
    }

    #[test]
    fn exact_entry_matches_only_its_own_length() {
        let table = PrefixTable::new(&[entry("10.0.0.0/8", 8, 8)]);
        assert!(table.contains(&net("10.0.0.0/8")));
        assert!(!table.contains(&net("10.1.0.0/16")));
        assert!(!table.contains(&net("11.0.0.0/8")));
    }

    #[test]
    fn masklength_range_bounds_are_inclusive() {
        let table = PrefixTable::new(&[entry("10.0.0.0/8", 16, 24)]);
        assert!(!table.contains(&net("10.0.0.0/15")));
        assert!(table.contains(&net("10.1.0.0/16")));
        assert!(table.contains(&net("10.1.2.0/24")));
        assert!(!table.contains(&net("10.1.2.0/25")));
    }

    #[test]
    fn only_the_longest_covering_entry_decides() {
        let table = PrefixTable::new(&[
            entry("172.20.0.0/14", 16, 24),
            entry("172.20.0.0/16", 16, 16),
        ]);
        assert!(!table.contains(&net("172.20.1.0/24")));
        assert!(table.contains(&net("172.21.1.0/24")), "outside the /16");
        assert!(table.contains(&net("172.20.0.0/16")));
    }

    #[test]
    fn entries_with_the_same_prefix_join_their_ranges() {
        let table = PrefixTable::new(&[entry("10.0.0.0/8", 8, 8), entry("10.0.0.0/8", 24, 24)]);
        assert!(table.contains(&net("10.0.0.0/8")));
        assert!(table.contains(&net("10.9.9.0/24")));
        assert!(!table.contains(&net("10.9.0.0/16")));
    }

    #[test]
    fn ipv6_entries_match_up_to_128() {
        let table = PrefixTable::new(&[entry("2001:db8::/32", 32, 128)]);
        assert!(table.same_family(&net("2001:db8::1/128")));
        assert!(table.contains(&net("2001:db8::1/128")));
        assert!(!table.contains(&net("2001:db9::/48")));
        assert!(!table.same_family(&net("10.0.0.0/8")));
    }

    #[test]
    fn default_route_entry_covers_everything() {
        let table = PrefixTable::new(&[entry("0.0.0.0/0", 0, 32)]);
        assert!(table.contains(&net("192.0.2.0/24")));
        assert!(table.contains(&net("0.0.0.0/0")));
    }

    #[test]
    fn empty_prefix_set_has_no_family() {
        let table = PrefixTable::new(&[]);
        assert!(!table.same_family(&net("10.0.0.0/8")));
        assert!(!table.same_family(&net("::/0")));
    }

    #[test]
    fn neighbor_table_holds_addresses_and_prefixes() {
        let table = NeighborTable::new(&[net("192.0.2.1/32"), net("198.51.100.0/24")]);
        assert!(table.contains("192.0.2.1".parse().expect("addr")));
        assert!(!table.contains("192.0.2.2".parse().expect("addr")));
        assert!(table.contains("198.51.100.77".parse().expect("addr")));
        assert!(table.contains("::ffff:192.0.2.1".parse().expect("addr")));
    }
}
