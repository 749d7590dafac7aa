//! `[defined-sets]`, `[[policy-definitions]]` and `apply-policy`.
//!
//! Parsed faithfully and checked the way gobgpd checks them when it loads
//! policies (names, references, prefixes, actions); evaluation lives
//! elsewhere. gobgpd drops a policy file with a dangling reference and keeps
//! running without any policy; we refuse the file instead. Unknown enum
//! strings, which gobgpd silently turns into "no action", are kept as that
//! default with a warning.

use std::collections::HashSet;
use std::net::IpAddr;

use ipnet::IpNet;

use super::afi_safi::AfiSafiName;
use super::error::{Invalid, Problem};
use super::Notes;

pub(crate) use super::policy_raw::*;
pub use super::policy_types::*;

/// Checks a name is set and not already used by another item of its kind.
fn unique_name(
    name: Option<&String>,
    kind: &'static str,
    seen: &mut HashSet<String>,
    key: &str,
) -> Result<String, Invalid> {
    let name = name.map(|n| n.trim()).unwrap_or_default();
    if name.is_empty() {
        return Err(Invalid::new(key, Problem::EmptyName(kind)));
    }
    if !seen.insert(name.to_owned()) {
        return Err(Invalid::new(
            key,
            Problem::DuplicateName(kind, name.to_owned()),
        ));
    }
    Ok(name.to_owned())
}

/// Validates `[defined-sets]`.
pub(crate) fn defined_sets(
    raw: &RawDefinedSets,
    notes: &mut Notes,
) -> Result<DefinedSets, Invalid> {
    let mut sets = DefinedSets::default();
    let mut seen = HashSet::new();
    for (i, set) in raw.prefix_sets.iter().enumerate() {
        let key = format!("defined-sets.prefix-sets[{i}]");
        let name = unique_name(set.prefix_set_name.as_ref(), "prefix set", &mut seen, &key)?;
        let mut prefixes = Vec::new();
        for (j, entry) in set.prefix_list.iter().enumerate() {
            let key = format!("{key}.prefix-list[{j}]");
            if entry.rtc_prefix.is_some() {
                notes.unsupported(format!("{key}.rtc-prefix"));
            }
            let text = entry.ip_prefix.as_deref().unwrap_or_default();
            let prefix: IpNet = text.trim().parse().map_err(|_| {
                Invalid::new(
                    format!("{key}.ip-prefix"),
                    Problem::InvalidPrefix(text.to_owned()),
                )
            })?;
            let range = entry.masklength_range.as_deref().unwrap_or_default();
            let (min, max) = mask_range(&prefix, range).ok_or_else(|| {
                Invalid::new(
                    format!("{key}.masklength-range"),
                    Problem::InvalidMaskLengthRange(range.to_owned()),
                )
            })?;
            prefixes.push(PrefixMatch {
                prefix: prefix.trunc(),
                min_length: min,
                max_length: max,
            });
        }
        let v4 = prefixes
            .iter()
            .filter(|p| p.prefix.addr().is_ipv4())
            .count();
        if v4 != 0 && v4 != prefixes.len() {
            return Err(Invalid::new(key, Problem::MixedFamilies(name)));
        }
        sets.prefix_sets.push(PrefixSet { name, prefixes });
    }
    seen.clear();
    for (i, set) in raw.neighbor_sets.iter().enumerate() {
        let key = format!("defined-sets.neighbor-sets[{i}]");
        let name = unique_name(
            set.neighbor_set_name.as_ref(),
            "neighbor set",
            &mut seen,
            &key,
        )?;
        let mut neighbors = Vec::new();
        for entry in set.neighbor_info_list.iter().flatten() {
            let text = entry.trim();
            let net = match text.parse::<IpAddr>() {
                Ok(addr) => IpNet::from(addr),
                Err(_) => text.parse::<IpNet>().map_err(|_| {
                    Invalid::new(
                        format!("{key}.neighbor-info-list"),
                        Problem::InvalidNeighborInfo(entry.clone()),
                    )
                })?,
            };
            neighbors.push(net);
        }
        sets.neighbor_sets.push(NeighborSet { name, neighbors });
    }
    if raw.tag_sets.is_some() {
        notes.unsupported("defined-sets.tag-sets".to_owned());
    }
    let bgp = &raw.bgp_defined_sets;
    let base = "defined-sets.bgp-defined-sets";
    sets.community_sets = named_lists(
        bgp.community_sets
            .iter()
            .map(|s| (s.community_set_name.as_ref(), s.community_list.as_ref())),
        "community set",
        &format!("{base}.community-sets"),
    )?;
    sets.ext_community_sets = named_lists(
        bgp.ext_community_sets.iter().map(|s| {
            (
                s.ext_community_set_name.as_ref(),
                s.ext_community_list.as_ref(),
            )
        }),
        "ext-community set",
        &format!("{base}.ext-community-sets"),
    )?;
    sets.large_community_sets = named_lists(
        bgp.large_community_sets.iter().map(|s| {
            (
                s.large_community_set_name.as_ref(),
                s.large_community_list.as_ref(),
            )
        }),
        "large-community set",
        &format!("{base}.large-community-sets"),
    )?;
    sets.as_path_sets = named_lists(
        bgp.as_path_sets
            .iter()
            .map(|s| (s.as_path_set_name.as_ref(), s.as_path_list.as_ref())),
        "as-path set",
        &format!("{base}.as-path-sets"),
    )?;
    Ok(sets)
}

fn named_lists<'a>(
    items: impl Iterator<Item = (Option<&'a String>, Option<&'a Vec<String>>)>,
    kind: &'static str,
    key: &str,
) -> Result<Vec<NamedList>, Invalid> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, (name, list)) in items.enumerate() {
        let key = format!("{key}[{i}]");
        let name = unique_name(name, kind, &mut seen, &key)?;
        let entries: Vec<String> = list.cloned().unwrap_or_default();
        if let Some(bad) = entries.iter().find(|e| e.trim().is_empty()) {
            return Err(Invalid::new(key, Problem::InvalidCommunity(bad.clone())));
        }
        out.push(NamedList { name, entries });
    }
    Ok(out)
}

/// `min..max` (empty = the prefix's own length), checked against the family.
fn mask_range(prefix: &IpNet, range: &str) -> Option<(u8, u8)> {
    let range = range.trim();
    if range.is_empty() {
        return Some((prefix.prefix_len(), prefix.prefix_len()));
    }
    let (min, max) = range.split_once("..")?;
    let (min, max) = (
        min.trim().parse::<u8>().ok()?,
        max.trim().parse::<u8>().ok()?,
    );
    (min <= max && max <= prefix.max_prefix_len()).then_some((min, max))
}

/// The statements of `[[policy-definitions]]`, with references checked.
pub(crate) fn policies(
    raw: &[RawPolicyDefinition],
    sets: &DefinedSets,
    notes: &mut Notes,
) -> Result<Vec<Policy>, Invalid> {
    let mut seen = HashSet::new();
    let mut statement_names = HashSet::new();
    let mut out = Vec::new();
    for (i, definition) in raw.iter().enumerate() {
        let key = format!("policy-definitions[{i}]");
        let name = unique_name(definition.name.as_ref(), "policy", &mut seen, &key)?;
        let mut statements = Vec::new();
        for (j, statement) in definition.statements.iter().enumerate() {
            let key = format!("{key}.statements[{j}]");
            let default_name = format!("{name}_stmt{j}");
            let stmt_name = statement
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or(default_name);
            let stmt_name = unique_name(Some(&stmt_name), "statement", &mut statement_names, &key)?;
            let conditions =
                super::statement::conditions(&statement.conditions, sets, &key, notes)?;
            let actions = super::statement::actions(&statement.actions, &key, notes)?;
            statements.push(Statement {
                name: stmt_name,
                conditions,
                actions,
            });
        }
        out.push(Policy { name, statements });
    }
    Ok(out)
}

/// Compiles the sets and policies as the policy engine will (regular
/// expressions, community values), so that a file gobgpd refuses to load
/// policies from is refused here, keyed by the set or statement.
pub(crate) fn compile(sets: &DefinedSets, policies: &[Policy]) -> Result<(), Invalid> {
    use crate::policy::{PolicyEngine, PolicyError, SetKind};
    let Err(error) = PolicyEngine::check(sets, policies) else {
        return Ok(());
    };
    let key = match &error {
        PolicyError::SetEntry { kind, set, .. } => {
            let (list, field): (&[NamedList], _) = match kind {
                SetKind::Community => (&sets.community_sets, "community-sets"),
                SetKind::ExtCommunity => (&sets.ext_community_sets, "ext-community-sets"),
                SetKind::LargeCommunity => (&sets.large_community_sets, "large-community-sets"),
                SetKind::AsPath => (&sets.as_path_sets, "as-path-sets"),
                // Checked earlier, with their own problems.
                SetKind::Prefix | SetKind::Neighbor => (&[], "defined-sets"),
            };
            match list.iter().position(|l| &l.name == set) {
                Some(i) => format!("defined-sets.bgp-defined-sets.{field}[{i}]"),
                None => "defined-sets".to_owned(),
            }
        }
        PolicyError::ActionEntry {
            policy, statement, ..
        }
        | PolicyError::UnknownSet {
            policy, statement, ..
        } => {
            let i = policies.iter().position(|p| &p.name == policy);
            let j = i
                .and_then(|i| policies.get(i))
                .and_then(|p| p.statements.iter().position(|s| &s.name == statement));
            match (i, j) {
                (Some(i), Some(j)) => format!("policy-definitions[{i}].statements[{j}]"),
                _ => "policy-definitions".to_owned(),
            }
        }
        PolicyError::UnknownPolicy { .. } => "policy-definitions".to_owned(),
    };
    Err(Invalid::new(key, Problem::Policy(Box::new(error))))
}

/// Validates an `apply-policy`, warning about unknown names and defaults.
pub(crate) fn apply_policy(
    raw: &RawApplyPolicy,
    policies: &[Policy],
    key: &str,
    notes: &mut Notes,
) -> ApplyPolicy {
    let config = &raw.config;
    let mut lists = [Vec::new(), Vec::new()];
    let named = [
        (&config.import_policy_list, "import-policy-list"),
        (&config.export_policy_list, "export-policy-list"),
    ];
    for ((list, field), out) in named.into_iter().zip(lists.iter_mut()) {
        for name in list.iter().flatten() {
            if !policies.iter().any(|p| &p.name == name) {
                notes.warn(format!(
                    "{key}.config.{field}: no policy named {name:?}; it is ignored, as by gobgpd"
                ));
                continue;
            }
            out.push(name.clone());
        }
    }
    if config.in_policy_list.is_some() || config.default_in_policy.is_some() {
        notes.unsupported(format!("{key}.config.in-policy-list"));
    }
    let default_import = disposition(
        config.default_import_policy.as_deref(),
        &format!("{key}.config.default-import-policy"),
        notes,
    );
    let default_export = disposition(
        config.default_export_policy.as_deref(),
        &format!("{key}.config.default-export-policy"),
        notes,
    );
    let [import_policies, export_policies] = lists;
    ApplyPolicy {
        import_policies,
        export_policies,
        default_import,
        default_export,
    }
}

/// `accept-route` / `reject-route`; anything else is gobgpd's "unset" = accept.
fn disposition(value: Option<&str>, key: &str, notes: &mut Notes) -> DefaultPolicy {
    match value.map(str::trim) {
        None | Some("") | Some("accept-route") => DefaultPolicy::Accept,
        Some("reject-route") => DefaultPolicy::Reject,
        Some(other) => {
            notes.warn(format!(
                "{key}: unknown value {other:?}; using accept-route, as gobgpd does"
            ));
            DefaultPolicy::Accept
        }
    }
}

/// Parses the family names of `afi-safi-in-list`.
pub(crate) fn family_list(names: &[String], key: &str) -> Result<Vec<AfiSafiName>, Invalid> {
    names
        .iter()
        .map(|n| {
            AfiSafiName::parse(n.trim())
                .ok_or_else(|| Invalid::new(key, Problem::UnknownAfiSafi(n.clone())))
        })
        .collect()
}
