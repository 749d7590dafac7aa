//! Defined sets, compiled once, and how a set condition combines its
//! members with `any`, `all` and `invert`.

use std::collections::HashMap;
use std::sync::Arc;

use super::as_path::AsPathPattern;
use super::community::{community_pattern, CommunityPattern, ExtPattern, LargePattern};
use super::error::{EntryProblem, PolicyError, SetKind};
use super::prefix_set::{NeighborTable, PrefixTable};
use crate::config::{DefinedSets, MatchSetOptions, NamedList};

/// Every defined set, compiled, by name.
#[derive(Debug, Default)]
pub(crate) struct CompiledSets {
    pub prefix: HashMap<String, Arc<PrefixTable>>,
    pub neighbor: HashMap<String, Arc<NeighborTable>>,
    pub community: HashMap<String, Arc<[CommunityPattern]>>,
    pub ext_community: HashMap<String, Arc<[ExtPattern]>>,
    pub large_community: HashMap<String, Arc<[LargePattern]>>,
    pub as_path: HashMap<String, Arc<[AsPathPattern]>>,
}

fn compile_lists<T>(
    lists: &[NamedList],
    kind: SetKind,
    parse: impl Fn(&str) -> Result<T, EntryProblem>,
) -> Result<HashMap<String, Arc<[T]>>, PolicyError> {
    lists
        .iter()
        .map(|list| {
            let members = list
                .entries
                .iter()
                .map(|entry| {
                    parse(entry).map_err(|problem| PolicyError::SetEntry {
                        kind,
                        set: list.name.clone(),
                        entry: entry.clone(),
                        problem,
                    })
                })
                .collect::<Result<Arc<[T]>, _>>()?;
            Ok((list.name.clone(), members))
        })
        .collect()
}

impl CompiledSets {
    /// Compiles every set; the first bad entry is the error.
    pub fn new(sets: &DefinedSets) -> Result<CompiledSets, PolicyError> {
        Ok(CompiledSets {
            prefix: sets
                .prefix_sets
                .iter()
                .map(|s| (s.name.clone(), Arc::new(PrefixTable::new(&s.prefixes))))
                .collect(),
            neighbor: sets
                .neighbor_sets
                .iter()
                .map(|s| (s.name.clone(), Arc::new(NeighborTable::new(&s.neighbors))))
                .collect(),
            community: compile_lists(&sets.community_sets, SetKind::Community, community_pattern)?,
            ext_community: compile_lists(
                &sets.ext_community_sets,
                SetKind::ExtCommunity,
                ExtPattern::parse,
            )?,
            large_community: compile_lists(
                &sets.large_community_sets,
                SetKind::LargeCommunity,
                LargePattern::parse,
            )?,
            as_path: compile_lists(&sets.as_path_sets, SetKind::AsPath, AsPathPattern::parse)?,
        })
    }
}

/// Applies a set option over `items`: `any` when some item matches,
/// `all` when every item does (never for no items), `invert` when none
/// does.
///
/// For community, large-community and AS-path sets the items are the set's
/// members and an item matches when it matches some value of the route
/// (gobgpd: `all` = every member is on the route). For extended
/// communities gobgpd runs the other way: the items are the route's values
/// and one matches when some member matches it (`all` = every extended
/// community of the route is in the set, reference §2.1). gobgpd decides
/// ext-community `invert` by the route's last value only, a bug we do not
/// copy.
pub(crate) fn quantify<T>(
    items: &[T],
    option: MatchSetOptions,
    item_matches: impl Fn(&T) -> bool,
) -> bool {
    match option {
        MatchSetOptions::Any => items.iter().any(item_matches),
        MatchSetOptions::All => !items.is_empty() && items.iter().all(item_matches),
        MatchSetOptions::Invert => !items.iter().any(item_matches),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_over_an_empty_set_is_false_and_invert_true() {
        let empty: [u32; 0] = [];
        assert!(!quantify(&empty, MatchSetOptions::All, |_| true));
        assert!(!quantify(&empty, MatchSetOptions::Any, |_| true));
        assert!(quantify(&empty, MatchSetOptions::Invert, |_| true));
    }

    #[test]
    fn all_needs_every_member() {
        let members = [1, 2];
        assert!(quantify(&members, MatchSetOptions::All, |m| *m < 3));
        assert!(!quantify(&members, MatchSetOptions::All, |m| *m < 2));
        assert!(quantify(&members, MatchSetOptions::Any, |m| *m < 2));
        assert!(!quantify(&members, MatchSetOptions::Invert, |m| *m < 2));
    }

    #[test]
    fn bad_entry_error_names_the_set_and_entry() {
        let sets = DefinedSets {
            as_path_sets: vec![NamedList {
                name: "paths".to_owned(),
                entries: vec!["^(65001".to_owned()],
            }],
            ..DefinedSets::default()
        };
        let error = CompiledSets::new(&sets).expect_err("bad regex");
        assert!(matches!(
            &error,
            PolicyError::SetEntry { kind: SetKind::AsPath, set, entry, .. }
                if set == "paths" && entry == "^(65001"
        ));
        assert!(error.to_string().contains("as-path set paths"));
    }
}
