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

#[test]
fn single_path_is_best_as_only_path() {
    let paths = vec![path(source(1, true), 1, vec![as_path(&[65001])])];
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
    let mut paths = vec![path(source(1, true), 1, vec![])];
    let disabled = RouteSelection {
        disable_best_path_selection: true,
        ..options()
    };
    assert_eq!(select(&mut paths, &disabled), None);
}

#[test]
fn higher_local_pref_wins() {
    let paths = vec![
        path(source(1, false), 1, vec![AttrValue::LocalPref(100)]),
        path(source(2, false), 2, vec![AttrValue::LocalPref(200)]),
    ];
    assert_eq!(
        winner(paths, &options()),
        (2, Some(BestPathReason::LocalPref))
    );
}

#[test]
fn missing_local_pref_counts_as_100() {
    let paths = vec![
        path(source(1, false), 1, vec![AttrValue::LocalPref(99)]),
        path(source(2, false), 2, vec![]),
    ];
    assert_eq!(
        winner(paths, &options()),
        (2, Some(BestPathReason::LocalPref))
    );
}

#[test]
fn locally_originated_beats_received() {
    let paths = vec![
        path(source(1, true), 1, vec![as_path(&[])]),
        path(local(), 2, vec![as_path(&[65100, 65200])]),
    ];
    assert_eq!(
        winner(paths, &options()),
        (2, Some(BestPathReason::LocalOrigin))
    );
}

#[test]
fn shorter_as_path_wins() {
    let paths = vec![
        path(source(1, true), 1, vec![as_path(&[65001, 65100])]),
        path(source(2, true), 2, vec![as_path(&[65002])]),
    ];
    assert_eq!(winner(paths, &options()), (2, Some(BestPathReason::AsPath)));
}

#[test]
fn ignore_as_path_length_skips_the_length_step() {
    let paths = vec![
        path(source(1, true), 1, vec![as_path(&[65001, 65100])]),
        path(source(2, true), 2, vec![as_path(&[65002])]),
    ];
    let ignore = RouteSelection {
        ignore_as_path_length: true,
        ..options()
    };
    assert_eq!(winner(paths, &ignore), (1, Some(BestPathReason::Older)));
}

#[test]
fn lower_origin_wins() {
    let paths = vec![
        path(
            source(1, true),
            1,
            vec![AttrValue::Origin(Origin::Incomplete)],
        ),
        path(source(2, true), 2, vec![AttrValue::Origin(Origin::Egp)]),
    ];
    assert_eq!(winner(paths, &options()), (2, Some(BestPathReason::Origin)));
}

#[test]
fn origin_is_skipped_when_one_path_lacks_it() {
    let paths = vec![
        path(
            source(1, true),
            1,
            vec![AttrValue::Origin(Origin::Incomplete)],
        ),
        path(source(2, true), 2, vec![]),
    ];
    assert_eq!(winner(paths, &options()), (1, Some(BestPathReason::Older)));
}

#[test]
fn lower_med_wins_from_the_same_neighbor_as() {
    let paths = vec![
        path(
            source(1, true),
            1,
            vec![as_path(&[65010]), AttrValue::MultiExitDisc(20)],
        ),
        path(
            source(2, true),
            2,
            vec![as_path(&[65010]), AttrValue::MultiExitDisc(10)],
        ),
    ];
    assert_eq!(winner(paths, &options()), (2, Some(BestPathReason::Med)));
}

#[test]
fn med_is_not_compared_across_neighbor_ases() {
    let paths = vec![
        path(
            source(1, true),
            1,
            vec![as_path(&[65010]), AttrValue::MultiExitDisc(20)],
        ),
        path(
            source(2, true),
            2,
            vec![as_path(&[65020]), AttrValue::MultiExitDisc(10)],
        ),
    ];
    assert_eq!(winner(paths, &options()), (1, Some(BestPathReason::Older)));
}

#[test]
fn always_compare_med_compares_across_neighbor_ases() {
    let paths = vec![
        path(
            source(1, true),
            1,
            vec![as_path(&[65010]), AttrValue::MultiExitDisc(20)],
        ),
        path(
            source(2, true),
            2,
            vec![as_path(&[65020]), AttrValue::MultiExitDisc(10)],
        ),
    ];
    let always = RouteSelection {
        always_compare_med: true,
        ..options()
    };
    assert_eq!(winner(paths, &always), (2, Some(BestPathReason::Med)));
}

#[test]
fn missing_med_counts_as_zero_when_paths_are_empty() {
    let paths = vec![
        path(
            source(1, false),
            1,
            vec![as_path(&[]), AttrValue::MultiExitDisc(5)],
        ),
        path(source(2, false), 2, vec![as_path(&[])]),
    ];
    assert_eq!(winner(paths, &options()), (2, Some(BestPathReason::Med)));
}

#[test]
fn ebgp_beats_ibgp() {
    let paths = vec![
        path(source(1, false), 1, vec![as_path(&[65010])]),
        path(source(2, true), 2, vec![as_path(&[65020])]),
    ];
    assert_eq!(winner(paths, &options()), (2, Some(BestPathReason::Asn)));
}

#[test]
fn older_ebgp_path_wins() {
    let paths = vec![
        path(source(1, true), 2, vec![as_path(&[65010])]),
        path(source(2, true), 1, vec![as_path(&[65020])]),
    ];
    assert_eq!(winner(paths, &options()), (1, Some(BestPathReason::Older)));
}

#[test]
fn external_compare_router_id_prefers_lower_router_id_over_age() {
    let paths = vec![
        path(source(2, true), 1, vec![as_path(&[65010])]),
        path(source(1, true), 2, vec![as_path(&[65020])]),
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
    let paths = vec![
        path(source(2, false), 1, vec![]),
        path(source(1, false), 2, vec![]),
    ];
    assert_eq!(
        winner(paths, &options()),
        (2, Some(BestPathReason::RouterId))
    );
}

#[test]
fn lower_neighbor_address_wins_on_equal_router_ids() {
    let mut a = (*source(2, false)).clone();
    a.router_id = Ipv4Addr::new(10, 0, 0, 9);
    let mut b = (*source(1, false)).clone();
    b.router_id = Ipv4Addr::new(10, 0, 0, 9);
    let paths = vec![path(Arc::new(a), 1, vec![]), path(Arc::new(b), 2, vec![])];
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
