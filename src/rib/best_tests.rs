//! One rule of gobgpd's best-path order per test.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use super::*;
use crate::rib::attrs::PathAttrs;
use crate::rib::table::Source;
use crate::wire::bgp::{AsPath, AttrValue, PathAttribute};

fn source(last_octet: u8, external: bool) -> Arc<Source> {
    Arc::new(Source {
        peer: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last_octet))),
        router_id: Ipv4Addr::new(10, 0, 0, last_octet),
        peer_as: if external {
            65000 + u32::from(last_octet)
        } else {
            65001
        },
        external,
        route_reflector_client: false,
    })
}

fn local() -> Arc<Source> {
    Arc::new(Source {
        peer: None,
        router_id: Ipv4Addr::new(10, 0, 0, 100),
        peer_as: 65001,
        external: false,
        route_reflector_client: false,
    })
}

fn path(source: Arc<Source>, seq: u64, values: Vec<AttrValue>) -> Path {
    let attributes = values.into_iter().map(PathAttribute::new).collect();
    Path {
        source,
        path_id: 0,
        attrs: Arc::new(PathAttrs::new(attributes, None)),
        seq,
    }
}

fn as_path(asns: &[u32]) -> AttrValue {
    AttrValue::AsPath(AsPath::from_sequence(asns.to_vec()))
}

fn options() -> RouteSelection {
    RouteSelection::default()
}

/// The winner's seq and the reason.
fn winner(mut paths: Vec<Path>, options: &RouteSelection) -> (u64, Option<BestPathReason>) {
    let reason = select(&mut paths, options);
    (paths.first().map_or(0, |p| p.seq), reason)
}

/// A path from eBGP neighbor `n` (AS 65000 + `n`).
fn ebgp(n: u8, seq: u64, values: Vec<AttrValue>) -> Path {
    path(source(n, true), seq, values)
}

/// A path from iBGP neighbor `n`.
fn ibgp(n: u8, seq: u64, values: Vec<AttrValue>) -> Path {
    path(source(n, false), seq, values)
}

/// Path 1 with the longer AS_PATH, path 2 with the shorter.
fn longer_then_shorter_as_path() -> Vec<Path> {
    vec![
        ebgp(1, 1, vec![as_path(&[65001, 65100])]),
        ebgp(2, 2, vec![as_path(&[65002])]),
    ]
}

/// Path 1 with ORIGIN incomplete, path 2 with `second`.
fn incomplete_origin_then(second: Vec<AttrValue>) -> Vec<Path> {
    vec![
        ebgp(1, 1, vec![AttrValue::Origin(Origin::Incomplete)]),
        ebgp(2, 2, second),
    ]
}

/// Path 1 from AS 65010 with MED 20, path 2 from `second_as` with MED 10.
fn med_20_then_med_10_from(second_as: u32) -> Vec<Path> {
    vec![
        ebgp(1, 1, vec![as_path(&[65010]), AttrValue::MultiExitDisc(20)]),
        ebgp(
            2,
            2,
            vec![as_path(&[second_as]), AttrValue::MultiExitDisc(10)],
        ),
    ]
}

/// iBGP neighbor `n`'s source with router id 10.0.0.9.
fn router_id_9(n: u8) -> Arc<Source> {
    let mut with_id = (*source(n, false)).clone();
    with_id.router_id = Ipv4Addr::new(10, 0, 0, 9);
    Arc::new(with_id)
}

#[test]
fn single_path_is_best_as_only_path() {
    let paths = vec![ebgp(1, 1, vec![as_path(&[65001])])];
    assert_eq!(
        winner(paths, &options()),
        (1, Some(BestPathReason::OnlyPath))
    );
}

#[test]
fn no_path_selects_nothing() {
    assert_eq!(select(&mut [], &options()), None);
}

#[test]
fn disabled_best_path_selection_selects_nothing() {
    let mut paths = vec![ebgp(1, 1, vec![])];
    let disabled = RouteSelection {
        disable_best_path_selection: true,
        ..options()
    };
    assert_eq!(select(&mut paths, &disabled), None);
}

#[test]
fn higher_local_pref_wins() {
    let paths = vec![
        ibgp(1, 1, vec![AttrValue::LocalPref(100)]),
        ibgp(2, 2, vec![AttrValue::LocalPref(200)]),
    ];
    assert_eq!(
        winner(paths, &options()),
        (2, Some(BestPathReason::LocalPref))
    );
}

#[test]
fn missing_local_pref_counts_as_100() {
    let paths = vec![
        ibgp(1, 1, vec![AttrValue::LocalPref(99)]),
        ibgp(2, 2, vec![]),
    ];
    assert_eq!(
        winner(paths, &options()),
        (2, Some(BestPathReason::LocalPref))
    );
}

#[test]
fn locally_originated_beats_received() {
    let paths = vec![
        ebgp(1, 1, vec![as_path(&[])]),
        path(local(), 2, vec![as_path(&[65100, 65200])]),
    ];
    assert_eq!(
        winner(paths, &options()),
        (2, Some(BestPathReason::LocalOrigin))
    );
}

#[test]
fn shorter_as_path_wins() {
    let paths = longer_then_shorter_as_path();
    assert_eq!(winner(paths, &options()), (2, Some(BestPathReason::AsPath)));
}

#[test]
fn ignore_as_path_length_skips_the_length_step() {
    let paths = longer_then_shorter_as_path();
    let ignore = RouteSelection {
        ignore_as_path_length: true,
        ..options()
    };
    assert_eq!(winner(paths, &ignore), (1, Some(BestPathReason::Older)));
}

#[test]
fn lower_origin_wins() {
    let paths = incomplete_origin_then(vec![AttrValue::Origin(Origin::Egp)]);
    assert_eq!(winner(paths, &options()), (2, Some(BestPathReason::Origin)));
}

#[test]
fn origin_is_skipped_when_one_path_lacks_it() {
    let paths = incomplete_origin_then(vec![]);
    assert_eq!(winner(paths, &options()), (1, Some(BestPathReason::Older)));
}

#[test]
fn lower_med_wins_from_the_same_neighbor_as() {
    let paths = med_20_then_med_10_from(65010);
    assert_eq!(winner(paths, &options()), (2, Some(BestPathReason::Med)));
}

#[test]
fn med_is_not_compared_across_neighbor_ases() {
    let paths = med_20_then_med_10_from(65020);
    assert_eq!(winner(paths, &options()), (1, Some(BestPathReason::Older)));
}

#[test]
fn always_compare_med_compares_across_neighbor_ases() {
    let paths = med_20_then_med_10_from(65020);
    let always = RouteSelection {
        always_compare_med: true,
        ..options()
    };
    assert_eq!(winner(paths, &always), (2, Some(BestPathReason::Med)));
}

#[test]
fn missing_med_counts_as_zero_when_paths_are_empty() {
    let paths = vec![
        ibgp(1, 1, vec![as_path(&[]), AttrValue::MultiExitDisc(5)]),
        ibgp(2, 2, vec![as_path(&[])]),
    ];
    assert_eq!(winner(paths, &options()), (2, Some(BestPathReason::Med)));
}

#[test]
fn ebgp_beats_ibgp() {
    let paths = vec![
        ibgp(1, 1, vec![as_path(&[65010])]),
        ebgp(2, 2, vec![as_path(&[65020])]),
    ];
    assert_eq!(winner(paths, &options()), (2, Some(BestPathReason::Asn)));
}

#[test]
fn older_ebgp_path_wins() {
    let paths = vec![
        ebgp(1, 2, vec![as_path(&[65010])]),
        ebgp(2, 1, vec![as_path(&[65020])]),
    ];
    assert_eq!(winner(paths, &options()), (1, Some(BestPathReason::Older)));
}

#[test]
fn external_compare_router_id_prefers_lower_router_id_over_age() {
    let paths = vec![
        ebgp(2, 1, vec![as_path(&[65010])]),
        ebgp(1, 2, vec![as_path(&[65020])]),
    ];
    let compare_id = RouteSelection {
        external_compare_router_id: true,
        ..options()
    };
    assert_eq!(
        winner(paths, &compare_id),
        (2, Some(BestPathReason::RouterId))
    );
}

#[test]
fn lower_router_id_wins_between_ibgp_paths() {
    let paths = vec![ibgp(2, 1, vec![]), ibgp(1, 2, vec![])];
    assert_eq!(
        winner(paths, &options()),
        (2, Some(BestPathReason::RouterId))
    );
}

#[test]
fn lower_neighbor_address_wins_on_equal_router_ids() {
    let paths = vec![
        path(router_id_9(2), 1, vec![]),
        path(router_id_9(1), 2, vec![]),
    ];
    assert_eq!(
        winner(paths, &options()),
        (2, Some(BestPathReason::NeighborAddress))
    );
}

#[test]
fn earlier_arrival_wins_when_nothing_else_decides() {
    let paths = vec![path(local(), 2, vec![]), path(local(), 1, vec![])];
    assert_eq!(
        winner(paths, &options()),
        (1, Some(BestPathReason::ArrivalOrder))
    );
}

#[test]
fn reason_strings_are_gobgpds() {
    assert_eq!(BestPathReason::LocalPref.as_str(), "Local Pref");
    assert_eq!(BestPathReason::NeighborAddress.as_str(), "Neighbor Address");
    assert_eq!(BestPathReason::OnlyPath.as_str(), "Only Path");
}
