//! A fast, non-cryptographic hasher for the rib's tables (FxHash-style:
//! rotate, xor, multiply per word, with a final mix so that keys that
//! differ only in high bits, like /24 prefixes, spread over the low bits
//! hashbrown indexes by).
//!
//! Keys are prefixes and pointers chosen by peers we configured, not by
//! arbitrary remote parties, so HashDoS resistance is not needed here.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0xf135_7aea_2e62_a9c5;

/// The hasher.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash ^ word).wrapping_mul(SEED).rotate_left(20);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Fold the high bits (where the multiplications put the entropy)
        // into the low ones.
        let h = self.hash.wrapping_mul(SEED);
        h ^ (h >> 29) ^ (h >> 47)
    }
}

/// Builds [`FxHasher`]s.
pub type FxBuildHasher = BuildHasherDefault<FxHasher>;

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, FxBuildHasher>;

/// A `HashSet` with [`FxHasher`].
pub type FxHashSet<T> = HashSet<T, FxBuildHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash<T: Hash>(value: T) -> u64 {
        FxBuildHasher::default().hash_one(value)
    }

    #[test]
    fn slash_24s_spread_over_low_bits() {
        let mut buckets = vec![0u32; 1 << 12];
        for n in 0..(1u32 << 16) {
            let key = (u64::from(n) << 16) | 24;
            let slot = (hash(key) as usize) & ((1 << 12) - 1);
            buckets[slot] += 1;
        }
        // 16 per bucket on average; a weak low-bit mix would leave most empty.
        let max = buckets.iter().copied().max().unwrap_or(0);
        let empty = buckets.iter().filter(|b| **b == 0).count();
        assert!(max < 48, "max {max}");
        assert!(empty < 16, "empty {empty}");
    }

    #[test]
    fn byte_strings_of_different_lengths_differ() {
        assert_ne!(hash([0u8; 3].as_slice()), hash([0u8; 4].as_slice()));
    }
}
