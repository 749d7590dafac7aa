//! One rule per test for each condition and match option, through the
//! whole engine (TOML in, decision out).

use std::net::{IpAddr, Ipv4Addr};

use super::test_support::*;
use super::{Decision, SourcePeer};
use crate::wire::bgp::{AsPath, AttrValue, ExtendedCommunity, LargeCommunity, NextHop, Origin};
use crate::wire::bgp::{Segment, SegmentType};

const PREFIX_SET: &str = "[[defined-sets.prefix-sets]]\nprefix-set-name = \"ps\"\n\
    [[defined-sets.prefix-sets.prefix-list]]\nip-prefix = \"10.0.0.0/8\"\nmasklength-range = \"16..24\"\n";

fn prefix_condition(option: &str) -> String {
    format!(
        "[policy-definitions.statements.conditions.match-prefix-set]\nprefix-set = \"ps\"\n\
         match-set-options = \"{option}\"\n"
    )
}

#[test]
fn prefix_set_any_matches_within_the_masklength_range() {
    let e = rejecting(PREFIX_SET, &prefix_condition("any"));
    let a = Attrs::path(&[65002]);
    assert!(rejected(&e, "10.1.0.0/16", &a));
    assert!(rejected(&e, "10.1.2.0/24", &a));
    assert!(!rejected(&e, "10.0.0.0/8", &a));
    assert!(!rejected(&e, "10.1.2.0/25", &a));
    assert!(!rejected(&e, "11.1.0.0/16", &a));
}

#[test]
fn prefix_set_invert_matches_what_any_does_not() {
    let e = rejecting(PREFIX_SET, &prefix_condition("invert"));
    let a = Attrs::path(&[65002]);
    assert!(!rejected(&e, "10.1.0.0/16", &a));
    assert!(rejected(&e, "11.1.0.0/16", &a));
}

#[test]
fn ipv4_prefix_set_never_matches_an_ipv6_route_even_inverted() {
    let e = rejecting(PREFIX_SET, &prefix_condition("invert"));
    let a = Attrs::path(&[65002]);
    assert!(!rejected(&e, "2001:db8::/32", &a));
}

const NEIGHBOR_SET: &str = "[[defined-sets.neighbor-sets]]\nneighbor-set-name = \"ns\"\n\
    neighbor-info-list = [\"192.0.2.2\", \"203.0.113.0/24\"]\n\
    [[defined-sets.neighbor-sets]]\nneighbor-set-name = \"empty\"\n";

fn neighbor_condition(set: &str, option: &str) -> String {
    format!(
        "[policy-definitions.statements.conditions.match-neighbor-set]\nneighbor-set = \"{set}\"\n\
         match-set-options = \"{option}\"\n"
    )
}

#[test]
fn neighbor_set_matches_the_source_peer_on_import() {
    let e = rejecting(NEIGHBOR_SET, &neighbor_condition("ns", "any"));
    let a = Attrs::path(&[65002]).build();
    let mut source = ebgp();
    assert_eq!(
        e.import(&context("10.0.0.0/24", &source), &a),
        Decision::Reject
    );
    source.address = Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)));
    assert_eq!(
        e.import(&context("10.0.0.0/24", &source), &a),
        Decision::Reject,
        "a prefix entry covers the address"
    );
    source.address = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3)));
    assert_eq!(
        e.import(&context("10.0.0.0/24", &source), &a),
        Decision::Accept
    );
}

#[test]
fn neighbor_set_matches_the_destination_peer_on_export() {
    let e = rejecting(NEIGHBOR_SET, &neighbor_condition("ns", "any"));
    let a = Attrs::path(&[65002]).build();
    let source = ebgp();
    let route = context("10.0.0.0/24", &source);
    assert_eq!(
        e.export(&route, &target(), &a),
        Decision::Accept,
        "the source is in the set, the destination is not"
    );
    let mut to = target();
    to.address = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));
    assert_eq!(e.export(&route, &to, &a), Decision::Reject);
}

#[test]
fn neighbor_set_invert_matches_peers_outside_it() {
    let e = rejecting(NEIGHBOR_SET, &neighbor_condition("ns", "invert"));
    let a = Attrs::path(&[65002]);
    assert!(!rejected(&e, "10.0.0.0/24", &a));
    let local = SourcePeer {
        address: None,
        ..ebgp()
    };
    assert_eq!(
        e.import(&context("10.0.0.0/24", &local), &a.build()),
        Decision::Reject,
        "a local route has no neighbor in the set"
    );
}

#[test]
fn empty_neighbor_set_matches_everything_even_inverted() {
    let e = rejecting(NEIGHBOR_SET, &neighbor_condition("empty", "invert"));
    assert!(rejected(&e, "10.0.0.0/24", &Attrs::path(&[65002])));
}

const COMMUNITY_SET: &str = "[[defined-sets.bgp-defined-sets.community-sets]]\n\
    community-set-name = \"cs\"\ncommunity-list = [\"65000:1\", \"^65000:2[0-9]$\", \"no-export\"]\n";

fn community_condition(option: &str) -> String {
    format!(
        "[policy-definitions.statements.conditions.bgp-conditions.match-community-set]\n\
         community-set = \"cs\"\nmatch-set-options = \"{option}\"\n"
    )
}

#[test]
fn community_set_any_needs_one_member_on_the_route() {
    let e = rejecting(COMMUNITY_SET, &community_condition("any"));
    let base = Attrs::path(&[65002]);
    assert!(rejected(
        &e,
        "10.0.0.0/24",
        &base.clone().communities(&[(65000, 25)])
    ));
    assert!(rejected(
        &e,
        "10.0.0.0/24",
        &base.clone().communities(&[(0xffff, 0xff01)])
    ));
    assert!(!rejected(
        &e,
        "10.0.0.0/24",
        &base.clone().communities(&[(65000, 10)])
    ));
    assert!(!rejected(&e, "10.0.0.0/24", &base));
}

#[test]
fn community_set_all_needs_every_member_on_the_route() {
    let e = rejecting(COMMUNITY_SET, &community_condition("all"));
    let base = Attrs::path(&[65002]);
    let all = base
        .clone()
        .communities(&[(65000, 1), (65000, 22), (0xffff, 0xff01), (7, 7)]);
    assert!(rejected(&e, "10.0.0.0/24", &all));
    let some = base.communities(&[(65000, 1), (65000, 22)]);
    assert!(!rejected(&e, "10.0.0.0/24", &some));
}

#[test]
fn community_set_invert_needs_no_member_on_the_route() {
    let e = rejecting(COMMUNITY_SET, &community_condition("invert"));
    let base = Attrs::path(&[65002]);
    assert!(rejected(&e, "10.0.0.0/24", &base));
    assert!(!rejected(
        &e,
        "10.0.0.0/24",
        &base.communities(&[(65000, 1)])
    ));
}

const EXT_SET: &str = "[[defined-sets.bgp-defined-sets.ext-community-sets]]\n\
    ext-community-set-name = \"es\"\next-community-list = [\"rt:65000:100\", \"soo:192.0.2.1:.*\"]\n";

fn ext_condition(option: &str) -> String {
    format!(
        "[policy-definitions.statements.conditions.bgp-conditions.match-ext-community-set]\n\
         ext-community-set = \"es\"\nmatch-set-options = \"{option}\"\n"
    )
}

fn rt(asn: u16, value: u32) -> ExtendedCommunity {
    let mut b = [0, 0x02, 0, 0, 0, 0, 0, 0];
    b[2..4].copy_from_slice(&asn.to_be_bytes());
    b[4..8].copy_from_slice(&value.to_be_bytes());
    ExtendedCommunity(b)
}

#[test]
fn ext_community_set_any_needs_one_route_value_in_the_set() {
    let e = rejecting(EXT_SET, &ext_condition("any"));
    let base = Attrs::path(&[65002]);
    let soo = ExtendedCommunity([0x01, 0x03, 192, 0, 2, 1, 0, 9]);
    assert!(rejected(
        &e,
        "10.0.0.0/24",
        &base
            .clone()
            .with(AttrValue::ExtendedCommunities(vec![rt(65000, 100)]))
    ));
    assert!(rejected(
        &e,
        "10.0.0.0/24",
        &base.clone().with(AttrValue::ExtendedCommunities(vec![soo]))
    ));
    let other = base.with(AttrValue::ExtendedCommunities(vec![rt(65000, 101)]));
    assert!(!rejected(&e, "10.0.0.0/24", &other));
}

#[test]
fn ext_community_set_all_needs_every_route_value_in_the_set() {
    let e = rejecting(EXT_SET, &ext_condition("all"));
    let base = Attrs::path(&[65002]);
    let one = base
        .clone()
        .with(AttrValue::ExtendedCommunities(vec![rt(65000, 100)]));
    assert!(
        rejected(&e, "10.0.0.0/24", &one),
        "one set member is enough"
    );
    let extra = base.with(AttrValue::ExtendedCommunities(vec![
        rt(65000, 100),
        rt(65000, 5),
    ]));
    assert!(
        !rejected(&e, "10.0.0.0/24", &extra),
        "a route value outside the set"
    );
}

#[test]
fn ext_community_set_invert_looks_at_every_route_value() {
    let e = rejecting(EXT_SET, &ext_condition("invert"));
    let base = Attrs::path(&[65002]);
    // gobgpd would decide by the last value (65000:5) and match.
    let listed_first = base.with(AttrValue::ExtendedCommunities(vec![
        rt(65000, 100),
        rt(65000, 5),
    ]));
    assert!(!rejected(&e, "10.0.0.0/24", &listed_first));
}

const LARGE_SET: &str = "[[defined-sets.bgp-defined-sets.large-community-sets]]\n\
    large-community-set-name = \"ls\"\nlarge-community-list = [\"65000:1:1\", \"^65001:\"]\n";

fn large_condition(option: &str) -> String {
    format!(
        "[policy-definitions.statements.conditions.bgp-conditions.match-large-community-set]\n\
         large-community-set = \"ls\"\nmatch-set-options = \"{option}\"\n"
    )
}

fn large(a: u32, b: u32, c: u32) -> LargeCommunity {
    LargeCommunity {
        global_admin: a,
        local_data_1: b,
        local_data_2: c,
    }
}

#[test]
fn large_community_set_any_all_and_invert() {
    let route = |list| Attrs::path(&[65002]).with(AttrValue::LargeCommunities(list));
    let any = rejecting(LARGE_SET, &large_condition("any"));
    assert!(rejected(
        &any,
        "10.0.0.0/24",
        &route(vec![large(65001, 9, 9)])
    ));
    assert!(!rejected(
        &any,
        "10.0.0.0/24",
        &route(vec![large(65000, 1, 10)])
    ));
    let all = rejecting(LARGE_SET, &large_condition("all"));
    assert!(!rejected(
        &all,
        "10.0.0.0/24",
        &route(vec![large(65001, 9, 9)])
    ));
    assert!(rejected(
        &all,
        "10.0.0.0/24",
        &route(vec![large(65001, 9, 9), large(65000, 1, 1)])
    ));
    let invert = rejecting(LARGE_SET, &large_condition("invert"));
    assert!(rejected(
        &invert,
        "10.0.0.0/24",
        &route(vec![large(65000, 1, 10)])
    ));
}

const AS_PATH_SET: &str = "[[defined-sets.bgp-defined-sets.as-path-sets]]\n\
    as-path-set-name = \"as\"\nas-path-list = [\"^65002_\", \"_6510[0-9]_\"]\n";

fn as_path_condition(option: &str) -> String {
    format!(
        "[policy-definitions.statements.conditions.bgp-conditions.match-as-path-set]\n\
         as-path-set = \"as\"\nmatch-set-options = \"{option}\"\n"
    )
}

#[test]
fn as_path_set_any_all_and_invert() {
    let any = rejecting(AS_PATH_SET, &as_path_condition("any"));
    assert!(rejected(&any, "10.0.0.0/24", &Attrs::path(&[65002, 7])));
    assert!(rejected(&any, "10.0.0.0/24", &Attrs::path(&[7, 65105, 8])));
    assert!(!rejected(&any, "10.0.0.0/24", &Attrs::path(&[7, 165105])));
    let all = rejecting(AS_PATH_SET, &as_path_condition("all"));
    assert!(!rejected(&all, "10.0.0.0/24", &Attrs::path(&[65002, 7])));
    assert!(rejected(&all, "10.0.0.0/24", &Attrs::path(&[65002, 65101])));
    let invert = rejecting(AS_PATH_SET, &as_path_condition("invert"));
    assert!(rejected(&invert, "10.0.0.0/24", &Attrs::path(&[7])));
    assert!(!rejected(&invert, "10.0.0.0/24", &Attrs::path(&[65002])));
}

#[test]
fn as_path_regex_sees_as_set_members() {
    let any = rejecting(AS_PATH_SET, &as_path_condition("any"));
    let path = AsPath {
        segments: vec![
            Segment {
                kind: SegmentType::Sequence,
                asns: vec![7],
            },
            Segment {
                kind: SegmentType::Set,
                asns: vec![65100, 65200],
            },
        ],
    };
    let a = Attrs::path(&[]).with(AttrValue::AsPath(path));
    assert!(rejected(&any, "10.0.0.0/24", &a));
}

fn bgp_condition(line: &str) -> String {
    format!("[policy-definitions.statements.conditions.bgp-conditions]\n{line}\n")
}

#[test]
fn as_path_length_compares_eq_ge_le() {
    let eq = rejecting(
        "",
        &bgp_condition("as-path-length = { operator = \"eq\", value = 2 }"),
    );
    assert!(rejected(&eq, "10.0.0.0/24", &Attrs::path(&[1, 2])));
    assert!(!rejected(&eq, "10.0.0.0/24", &Attrs::path(&[1, 2, 3])));
    let ge = rejecting(
        "",
        &bgp_condition("as-path-length = { operator = \"ge\", value = 2 }"),
    );
    assert!(rejected(&ge, "10.0.0.0/24", &Attrs::path(&[1, 2, 3])));
    assert!(!rejected(&ge, "10.0.0.0/24", &Attrs::path(&[1])));
    let le = rejecting(
        "",
        &bgp_condition("as-path-length = { operator = \"le\", value = 2 }"),
    );
    assert!(rejected(&le, "10.0.0.0/24", &Attrs::path(&[1])));
    assert!(!rejected(&le, "10.0.0.0/24", &Attrs::path(&[1, 2, 3])));
}

#[test]
fn community_count_counts_standard_communities() {
    let e = rejecting(
        "",
        &bgp_condition("community-count = { operator = \"ge\", value = 2 }"),
    );
    let base = Attrs::path(&[65002]);
    assert!(rejected(
        &e,
        "10.0.0.0/24",
        &base.clone().communities(&[(1, 1), (1, 2)])
    ));
    assert!(!rejected(&e, "10.0.0.0/24", &base.communities(&[(1, 1)])));
}

#[test]
fn route_type_tells_internal_external_and_local() {
    let a = Attrs::path(&[65002]).build();
    let ebgp_source = ebgp();
    let ibgp_source = SourcePeer {
        external: false,
        ..ebgp()
    };
    let local_source = SourcePeer {
        address: None,
        ..ebgp()
    };
    for (kind, hit) in [
        ("external", &ebgp_source),
        ("internal", &ibgp_source),
        ("local", &local_source),
    ] {
        let e = rejecting("", &bgp_condition(&format!("route-type = \"{kind}\"")));
        for source in [&ebgp_source, &ibgp_source, &local_source] {
            let expected = if std::ptr::eq(source, hit) {
                Decision::Reject
            } else {
                Decision::Accept
            };
            assert_eq!(
                e.import(&context("10.0.0.0/24", source), &a),
                expected,
                "{kind}"
            );
        }
    }
}

#[test]
fn next_hop_in_list_takes_addresses_and_prefixes() {
    let e = rejecting(
        "",
        &bgp_condition("next-hop-in-list = [\"192.0.2.0/30\", \"10.9.9.9\"]"),
    );
    let base = Attrs::path(&[65002]);
    assert!(rejected(&e, "10.0.0.0/24", &base));
    let other = base
        .clone()
        .next_hop(NextHop::V4(Ipv4Addr::new(192, 0, 2, 4)));
    assert!(!rejected(&e, "10.0.0.0/24", &other));
    let single = base.next_hop(NextHop::V4(Ipv4Addr::new(10, 9, 9, 9)));
    assert!(rejected(&e, "10.0.0.0/24", &single));
}

#[test]
fn next_hop_in_list_on_export_compares_the_next_hop_before_the_rewrite() {
    let e = rejecting("", &bgp_condition("next-hop-in-list = [\"192.0.2.2/32\"]"));
    let rewritten = Attrs::path(&[65001, 65002])
        .next_hop(NextHop::V4(Ipv4Addr::new(198, 51, 100, 1)))
        .build();
    let source = ebgp();
    let mut route = context("10.0.0.0/24", &source);
    route.original_next_hop = Some(NextHop::V4(Ipv4Addr::new(192, 0, 2, 2)));
    assert_eq!(e.export(&route, &target(), &rewritten), Decision::Reject);
}

#[test]
fn afi_safi_in_list_matches_the_route_family() {
    let e = rejecting("", &bgp_condition("afi-safi-in-list = [\"ipv6-unicast\"]"));
    let a = Attrs::path(&[65002]);
    assert!(rejected(&e, "2001:db8::/32", &a));
    assert!(!rejected(&e, "10.0.0.0/24", &a));
}

#[test]
fn med_eq_needs_a_med_of_that_value() {
    let e = rejecting("", &bgp_condition("med-eq = 50"));
    let base = Attrs::path(&[65002]);
    assert!(rejected(
        &e,
        "10.0.0.0/24",
        &base.clone().with(AttrValue::MultiExitDisc(50))
    ));
    assert!(!rejected(
        &e,
        "10.0.0.0/24",
        &base.clone().with(AttrValue::MultiExitDisc(51))
    ));
    assert!(!rejected(&e, "10.0.0.0/24", &base), "no MED");
}

#[test]
fn origin_eq_compares_the_origin() {
    let e = rejecting("", &bgp_condition("origin-eq = \"incomplete\""));
    let base = Attrs::path(&[65002]);
    assert!(!rejected(&e, "10.0.0.0/24", &base));
    assert!(rejected(
        &e,
        "10.0.0.0/24",
        &base.with(AttrValue::Origin(Origin::Incomplete))
    ));
}

#[test]
fn local_pref_eq_reads_a_missing_local_pref_as_100() {
    let e = rejecting("", &bgp_condition("local-pref-eq = 100"));
    let base = Attrs::path(&[65002]);
    assert!(rejected(&e, "10.0.0.0/24", &base));
    assert!(!rejected(
        &e,
        "10.0.0.0/24",
        &base.with(AttrValue::LocalPref(200))
    ));
}

#[test]
fn rpki_validation_matches_not_found_only() {
    let a = Attrs::path(&[65002]);
    let not_found = rejecting("", &bgp_condition("rpki-validation-result = \"not-found\""));
    assert!(rejected(&not_found, "10.0.0.0/24", &a));
    let valid = rejecting("", &bgp_condition("rpki-validation-result = \"valid\""));
    assert!(!rejected(&valid, "10.0.0.0/24", &a));
}

#[test]
fn every_condition_of_a_statement_must_hold() {
    let conditions = format!(
        "{}{}",
        prefix_condition("any"),
        bgp_condition("route-type = \"internal\"")
    );
    let e = rejecting(PREFIX_SET, &conditions);
    assert!(
        !rejected(&e, "10.1.0.0/16", &Attrs::path(&[65002])),
        "eBGP source"
    );
}
