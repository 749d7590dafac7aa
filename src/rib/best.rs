//! Best-path selection in gobgpd's order (`(*Destination).sort`, see
//! `docs/reference/gobgpd-compat.md` §3).
//!
//! Pairwise comparison, first decisive rule wins:
//!
//! 1. highest LOCAL_PREF (missing counts 100);
//! 2. locally originated over received (only when the sources differ in
//!    that respect);
//! 3. shortest AS_PATH, unless `ignore-as-path-length` (a set counts one,
//!    confederation segments zero);
//! 4. lowest ORIGIN (IGP < EGP < INCOMPLETE), skipped when either lacks it;
//! 5. lowest MED (missing counts 0), only with `always-compare-med`, when
//!    both AS paths are empty, or when both start with the same AS;
//! 6. eBGP over iBGP;
//! 7. oldest path, when both are eBGP and `external-compare-router-id` is
//!    off;
//! 8. lowest router id of the source (skipped when both are eBGP unless
//!    `external-compare-router-id`; skipped for two local paths);
//! 9. lowest neighbor address (a local path, with none, wins);
//! 10. else the earlier arrival.
//!
//! gobgpd's LLGR-stale and next-hop-reachability steps come before these;
//! we have neither long-lived graceful restart nor next-hop tracking, so
//! every path is fresh and reachable. `disable-best-path-selection` selects
//! nothing.

use std::cmp::Ordering;
use std::net::IpAddr;

use super::table::Path;
use crate::config::RouteSelection;
use crate::wire::bgp::Origin;

/// Why the best path won, in gobgpd's `BestPathReason` words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BestPathReason {
    /// The only path.
    OnlyPath,
    /// Higher LOCAL_PREF.
    LocalPref,
    /// Locally originated.
    LocalOrigin,
    /// Shorter AS_PATH.
    AsPath,
    /// Lower ORIGIN.
    Origin,
    /// Lower MED.
    Med,
    /// eBGP over iBGP.
    Asn,
    /// Older eBGP path.
    Older,
    /// Lower router id.
    RouterId,
    /// Lower neighbor address.
    NeighborAddress,
    /// Nothing else decided: arrival order.
    ArrivalOrder,
}

impl BestPathReason {
    /// gobgpd's string for this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            BestPathReason::OnlyPath => "Only Path",
            BestPathReason::LocalPref => "Local Pref",
            BestPathReason::LocalOrigin => "Local Origin",
            BestPathReason::AsPath => "AS Path",
            BestPathReason::Origin => "Origin",
            BestPathReason::Med => "MED",
            BestPathReason::Asn => "ASN",
            BestPathReason::Older => "Older",
            BestPathReason::RouterId => "Router ID",
            BestPathReason::NeighborAddress => "Neighbor Address",
            BestPathReason::ArrivalOrder => "Arrival Order",
        }
    }
}

fn origin_rank(origin: Origin) -> u8 {
    match origin {
        Origin::Igp => 0,
        Origin::Egp => 1,
        Origin::Incomplete => 2,
    }
}

fn address_octets(address: Option<IpAddr>) -> Vec<u8> {
    match address {
        None => Vec::new(),
        Some(IpAddr::V4(a)) => a.octets().to_vec(),
        Some(IpAddr::V6(a)) => a.octets().to_vec(),
    }
}

/// Compares two paths: `Less` when `a` is better. The reason names the
/// deciding rule.
pub fn compare(a: &Path, b: &Path, options: &RouteSelection) -> (Ordering, BestPathReason) {
    let decided =
        |ordering: Ordering, reason| (ordering != Ordering::Equal).then_some((ordering, reason));
    let pref = |p: &Path| p.attrs.local_pref().unwrap_or(100);
    if let Some(result) = decided(pref(b).cmp(&pref(a)), BestPathReason::LocalPref) {
        return result;
    }
    let (sa, sb) = (&a.source, &b.source);
    if sa.is_local() != sb.is_local() {
        let ordering = if sa.is_local() {
            Ordering::Less
        } else {
            Ordering::Greater
        };
        return (ordering, BestPathReason::LocalOrigin);
    }
    if !options.ignore_as_path_length {
        let ordering = a.attrs.as_path_len().cmp(&b.attrs.as_path_len());
        if let Some(result) = decided(ordering, BestPathReason::AsPath) {
            return result;
        }
    }
    if let (Some(oa), Some(ob)) = (a.attrs.origin(), b.attrs.origin()) {
        let ordering = origin_rank(oa).cmp(&origin_rank(ob));
        if let Some(result) = decided(ordering, BestPathReason::Origin) {
            return result;
        }
    }
    let both_empty = a.attrs.first_as().is_none() && b.attrs.first_as().is_none();
    if options.always_compare_med || both_empty || a.attrs.first_as() == b.attrs.first_as() {
        let med = |p: &Path| p.attrs.med().unwrap_or(0);
        if let Some(result) = decided(med(a).cmp(&med(b)), BestPathReason::Med) {
            return result;
        }
    }
    if sa.external != sb.external {
        let ordering = if sa.external {
            Ordering::Less
        } else {
            Ordering::Greater
        };
        return (ordering, BestPathReason::Asn);
    }
    let both_external = sa.external && sb.external;
    if both_external && !options.external_compare_router_id {
        if let Some(result) = decided(a.seq.cmp(&b.seq), BestPathReason::Older) {
            return result;
        }
    }
    let skip_router_id =
        (both_external && !options.external_compare_router_id) || (sa.is_local() && sb.is_local());
    if !skip_router_id {
        let ordering = sa.router_id.cmp(&sb.router_id);
        if let Some(result) = decided(ordering, BestPathReason::RouterId) {
            return result;
        }
    }
    let ordering = address_octets(sa.peer).cmp(&address_octets(sb.peer));
    if let Some(result) = decided(ordering, BestPathReason::NeighborAddress) {
        return result;
    }
    (a.seq.cmp(&b.seq), BestPathReason::ArrivalOrder)
}

/// Picks the best of `paths` and moves it first. Returns why it won, or
/// `None` when there is no path or selection is disabled.
///
/// One pass keeps the champion; the reason is the rule that decided
/// between the winner and the best of the others, as gobgpd reports it.
pub fn select(paths: &mut [Path], options: &RouteSelection) -> Option<BestPathReason> {
    if options.disable_best_path_selection || paths.is_empty() {
        return None;
    }
    let best = champion(paths, options)?;
    paths.swap(0, best);
    let (winner, others) = paths.split_first()?;
    let Some(runner_up) = champion(others, options) else {
        return Some(BestPathReason::OnlyPath);
    };
    let runner_up = others.get(runner_up)?;
    Some(compare(winner, runner_up, options).1)
}

fn champion(paths: &[Path], options: &RouteSelection) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, path) in paths.iter().enumerate() {
        best = match best.and_then(|b| paths.get(b).map(|p| (b, p))) {
            Some((b, current)) if compare(path, current, options).0 != Ordering::Less => Some(b),
            _ => Some(i),
        };
    }
    best
}

#[cfg(test)]
#[path = "best_tests.rs"]
mod tests;
