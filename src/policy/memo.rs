//! Per-thread memory of the work that depends on an attribute set alone.
//!
//! The routes of one UPDATE share one interned attribute set, and a full
//! table has about one set per four prefixes. Two costs repeat for each
//! of those routes unless remembered:
//!
//! - the conditions on path attributes (community and AS-path regular
//!   expressions, decoding): their answer per statement and set;
//! - building the changed set (decode, change, encode): the result per
//!   set and [`Changes`].
//!
//! Sets are recognised by address. The memory holds a [`Weak`] reference,
//! which keeps the address from being reused while remembered but does
//! not count as a holder: the rib's attribute store forgets a set when its
//! strong count drops, and must keep doing so.
//!
//! The tables are small and per thread (the rib task's), so nothing is
//! shared and nothing grows without bound.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use super::route::Changes;
use crate::rib::attrs::PathAttrs;
use crate::rib::hash::{FxHashMap, FxHasher};

/// A fresh engine identity: statement answers are kept per engine, so a
/// reloaded configuration never sees the old one's.
pub(crate) fn next_engine_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Attribute sets whose answers are kept (direct-mapped by address).
const ANSWER_SLOTS: usize = 64;

/// Changed sets kept; the table is emptied when full.
const BUILT_LIMIT: usize = 4096;

#[derive(Debug)]
struct Answers {
    attrs: Weak<PathAttrs>,
    engine: u64,
    /// Per statement: 0 unknown, 1 false, 2 true.
    answers: Vec<u8>,
}

#[derive(Debug)]
struct Built {
    base: Weak<PathAttrs>,
    changes: Changes,
    /// `None`: the changes leave the set as it was.
    result: Option<PathAttrs>,
}

/// Changed sets asked for last, checked before the table: the routes of
/// one UPDATE come one after the other, so most questions are the last
/// one or the one before again, answered without hashing the changes.
const RECENT: usize = 2;

thread_local! {
    static ANSWERS: RefCell<Vec<Option<Answers>>> = const { RefCell::new(Vec::new()) };
    static RECENT_BUILT: RefCell<([Option<Built>; RECENT], usize)> =
        const { RefCell::new(([None, None], 0)) };
    static BUILT: RefCell<FxHashMap<u64, Built>> = RefCell::new(FxHashMap::default());
}

fn slot_of(attrs: &Arc<PathAttrs>) -> usize {
    let address = Arc::as_ptr(attrs) as usize as u64;
    // Fibonacci hashing: the top bits of the product spread addresses.
    (address.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize % ANSWER_SLOTS
}

/// The answer of statement `statement` (of `statements` in engine
/// `engine`) on `attrs`, computed by `compute` when not known.
pub(crate) fn attributes_match(
    engine: u64,
    statement: usize,
    statements: usize,
    attrs: &Arc<PathAttrs>,
    compute: impl FnOnce() -> bool,
) -> bool {
    ANSWERS.with(|table| {
        let Ok(mut table) = table.try_borrow_mut() else {
            return compute();
        };
        if table.is_empty() {
            table.resize_with(ANSWER_SLOTS, || None);
        }
        let Some(slot) = table.get_mut(slot_of(attrs)) else {
            return compute();
        };
        let current = slot
            .as_ref()
            .is_some_and(|s| s.engine == engine && Weak::as_ptr(&s.attrs) == Arc::as_ptr(attrs));
        if !current {
            let mut answers = slot.take().map(|s| s.answers).unwrap_or_default();
            answers.clear();
            answers.resize(statements, 0);
            *slot = Some(Answers {
                attrs: Arc::downgrade(attrs),
                engine,
                answers,
            });
        }
        let Some(answer) = slot.as_mut().and_then(|s| s.answers.get_mut(statement)) else {
            return compute();
        };
        match *answer {
            1 => false,
            2 => true,
            _ => {
                let matched = compute();
                *answer = if matched { 2 } else { 1 };
                matched
            }
        }
    })
}

/// `base` with `changes` made (`None`: equal to `base`), built once.
pub(crate) fn built(base: &Arc<PathAttrs>, changes: Changes) -> Option<PathAttrs> {
    let is = |entry: &Built, changes: &Changes| {
        Weak::as_ptr(&entry.base) == Arc::as_ptr(base) && entry.changes == *changes
    };
    let recent = RECENT_BUILT.with(|recent| {
        let recent = recent.try_borrow().ok()?;
        recent
            .0
            .iter()
            .flatten()
            .find(|entry| is(entry, &changes))
            .map(|entry| entry.result.clone())
    });
    if let Some(result) = recent {
        return result;
    }
    let result = built_in_table(base, &changes);
    RECENT_BUILT.with(|recent| {
        if let Ok(mut recent) = recent.try_borrow_mut() {
            let (slots, next) = &mut *recent;
            if let Some(slot) = slots.get_mut(*next) {
                *slot = Some(Built {
                    base: Arc::downgrade(base),
                    changes,
                    result: result.clone(),
                });
            }
            *next = (*next + 1) % RECENT;
        }
    });
    result
}

fn built_in_table(base: &Arc<PathAttrs>, changes: &Changes) -> Option<PathAttrs> {
    let build = |changes: &Changes| {
        let result = changes.apply_to(base);
        (result != **base).then_some(result)
    };
    let mut hasher = FxHasher::default();
    (Arc::as_ptr(base) as usize).hash(&mut hasher);
    changes.hash(&mut hasher);
    let key = hasher.finish();
    BUILT.with(|table| {
        let Ok(mut table) = table.try_borrow_mut() else {
            return build(changes);
        };
        if let Some(entry) = table.get(&key) {
            if Weak::as_ptr(&entry.base) == Arc::as_ptr(base) && entry.changes == *changes {
                return entry.result.clone();
            }
        }
        let result = build(changes);
        if table.len() >= BUILT_LIMIT {
            table.clear();
        }
        table.insert(
            key,
            Built {
                base: Arc::downgrade(base),
                changes: changes.clone(),
                result: result.clone(),
            },
        );
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::bgp::{AttrValue, PathAttribute};

    fn attrs(local_pref: u32) -> Arc<PathAttrs> {
        Arc::new(PathAttrs::new(
            vec![PathAttribute::new(AttrValue::LocalPref(local_pref))],
            None,
        ))
    }

    #[test]
    fn answers_are_kept_per_set_engine_and_statement() {
        let a = attrs(1);
        let calls = std::cell::Cell::new(0);
        let ask = |engine, statement, set: &Arc<PathAttrs>| {
            attributes_match(engine, statement, 4, set, || {
                calls.set(calls.get() + 1);
                statement == 1
            })
        };
        assert!(!ask(1, 0, &a));
        assert!(ask(1, 1, &a));
        assert!(!ask(1, 0, &a));
        assert!(ask(1, 1, &a));
        assert_eq!(calls.get(), 2);
        assert!(ask(2, 1, &a), "another engine asks again");
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn remembering_a_set_does_not_hold_it() {
        let a = attrs(2);
        let _ = attributes_match(1, 0, 1, &a, || true);
        let _ = built(
            &a,
            Changes {
                med: Some(1),
                ..Changes::default()
            },
        );
        assert_eq!(Arc::strong_count(&a), 1);
    }

    #[test]
    fn built_set_is_reused_for_the_same_changes_only() {
        let a = attrs(3);
        let med = |value| Changes {
            med: Some(value),
            ..Changes::default()
        };
        let first = built(&a, med(5)).expect("changed");
        assert_eq!(first.med(), Some(5));
        assert_eq!(built(&a, med(5)), Some(first));
        assert_eq!(built(&a, med(6)).and_then(|b| b.med()), Some(6));
        let same = Changes {
            local_pref: Some(3),
            ..Changes::default()
        };
        assert_eq!(built(&a, same), None, "no change: none");
    }

    #[test]
    fn recent_sets_are_told_apart_by_base_and_changes() {
        let (a, b) = (attrs(4), attrs(5));
        let med = |value| Changes {
            med: Some(value),
            ..Changes::default()
        };
        let from_a = built(&a, med(5)).expect("changed");
        let from_b = built(&b, med(5)).expect("changed");
        assert_eq!(from_a.local_pref(), Some(4));
        assert_eq!(from_b.local_pref(), Some(5));
        assert_eq!(built(&a, med(5)), Some(from_a));
        assert_eq!(built(&a, med(6)).and_then(|s| s.med()), Some(6));
        assert_eq!(built(&b, med(5)), Some(from_b));
    }
}
