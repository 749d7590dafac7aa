//! One rule per test for each action, through the whole engine.

use std::net::{IpAddr, Ipv4Addr};

use super::test_support::*;
use super::{Decision, SourcePeer};
use crate::wire::bgp::{AttrValue, Community, ExtendedCommunity, NextHop, Origin};

fn community_action(kind: &str, option: &str, list: &str) -> String {
    format!(
        "[policy-definitions.statements.actions.bgp-actions.set-{kind}]\noptions = \"{option}\"\n\
         [policy-definitions.statements.actions.bgp-actions.set-{kind}.set-{kind}-method]\n\
         communities-list = [{list}]\n"
    )
}

#[test]
fn community_add_appends_and_skips_values_already_present() {
    let e = acting(&community_action(
        "community",
        "add",
        "\"65000:1\", \"no-export\"",
    ));
    let route = Attrs::path(&[65002]).communities(&[(65000, 1), (7, 7)]);
    let out = imported(&e, "10.0.0.0/24", &route);
    assert_eq!(
        communities_of(&out),
        vec![
            Community::new(65000, 1),
            Community::new(7, 7),
            Community::NO_EXPORT
        ]
    );
}

#[test]
fn community_remove_takes_patterns_and_drops_an_emptied_attribute() {
    let e = acting(&community_action("community", "remove", "\"^65000:.*$\""));
    let route = Attrs::path(&[65002]).communities(&[(65000, 1), (65000, 2), (7, 7)]);
    assert_eq!(
        communities_of(&imported(&e, "10.0.0.0/24", &route)),
        vec![Community::new(7, 7)]
    );
    let only = Attrs::path(&[65002]).communities(&[(65000, 1)]);
    let out = imported(&e, "10.0.0.0/24", &only);
    assert!(out.get(crate::wire::bgp::AttrType::Communities).is_none());
}

#[test]
fn community_replace_sets_exactly_the_list() {
    let e = acting(&community_action("community", "replace", "\"1:1\""));
    let route = Attrs::path(&[65002]).communities(&[(65000, 1)]);
    assert_eq!(
        communities_of(&imported(&e, "10.0.0.0/24", &route)),
        vec![Community::new(1, 1)]
    );
}

#[test]
fn ext_community_add_and_remove() {
    let add = acting(&community_action(
        "ext-community",
        "add",
        "\"rt:65000:100\"",
    ));
    let out = imported(&add, "10.0.0.0/24", &Attrs::path(&[65002]));
    assert_eq!(
        ext_communities_of(&out),
        Some(vec![ExtendedCommunity([0, 2, 0xfd, 0xe8, 0, 0, 0, 100])])
    );
    let remove = acting(&community_action(
        "ext-community",
        "remove",
        "\"rt:65000:100\"",
    ));
    let back = imported(
        &remove,
        "10.0.0.0/24",
        &Attrs::path(&[65002]).with(AttrValue::ExtendedCommunities(vec![ExtendedCommunity([
            0, 2, 0xfd, 0xe8, 0, 0, 0, 100,
        ])])),
    );
    assert_eq!(
        ext_communities_of(&back),
        None,
        "no empty attribute is left behind"
    );
}

#[test]
fn large_community_replace() {
    let e = acting(&community_action(
        "large-community",
        "replace",
        "\"65000:1:2\"",
    ));
    let out = imported(&e, "10.0.0.0/24", &Attrs::path(&[65002]));
    let list = large_communities_of(&out);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].to_string(), "65000:1:2");
}

#[test]
fn set_med_replaces_adds_and_subtracts() {
    let route = Attrs::path(&[65002]).with(AttrValue::MultiExitDisc(20));
    let med = |text: &str| {
        let e = acting(&format!("set-med = \"{text}\""));
        imported(&e, "10.0.0.0/24", &route).med()
    };
    assert_eq!(med("5"), Some(5));
    assert_eq!(med("+5"), Some(25));
    assert_eq!(med("-5"), Some(15));
    assert_eq!(med("-30"), Some(20), "below zero: unchanged");
}

#[test]
fn set_med_plus_on_a_route_without_med_starts_from_zero() {
    let e = acting("set-med = \"+10\"");
    assert_eq!(
        imported(&e, "10.0.0.0/24", &Attrs::path(&[65002])).med(),
        Some(10)
    );
}

#[test]
fn set_local_pref() {
    let e = acting("set-local-pref = 300");
    assert_eq!(
        imported(&e, "10.0.0.0/24", &Attrs::path(&[65002])).local_pref(),
        Some(300)
    );
}

#[test]
fn as_path_prepend_repeats_an_asn() {
    let e = acting("set-as-path-prepend = { as = \"65001\", repeat-n = 2 }");
    let out = imported(&e, "10.0.0.0/24", &Attrs::path(&[65002, 65003]));
    assert_eq!(path_of(&out), vec![65001, 65001, 65002, 65003]);
}

#[test]
fn as_path_prepend_last_as_repeats_the_leftmost_as() {
    let e = acting("set-as-path-prepend = { as = \"last-as\", repeat-n = 3 }");
    let out = imported(&e, "10.0.0.0/24", &Attrs::path(&[65002, 65003]));
    assert_eq!(path_of(&out), vec![65002, 65002, 65002, 65002, 65003]);
    let empty = Attrs::path(&[]);
    assert_eq!(
        import(&e, "10.0.0.0/24", &empty),
        Decision::Accept,
        "no leftmost AS: no change"
    );
}

#[test]
fn next_hop_self_on_import_is_our_address_on_the_session() {
    let e = acting("set-next-hop = \"self\"");
    let out = imported(&e, "10.0.0.0/24", &Attrs::path(&[65002]));
    assert_eq!(
        out.next_hop(),
        Some(&NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)))
    );
}

#[test]
fn next_hop_self_on_export_is_our_address_towards_the_target() {
    let e = acting("set-next-hop = \"self\"");
    let source = ebgp();
    let a = Attrs::path(&[65001, 65002]).build();
    let Decision::Modified(out) = e.export(&context("10.0.0.0/24", &source), &target(), &a) else {
        panic!("next hop not changed");
    };
    assert_eq!(
        out.next_hop(),
        Some(&NextHop::V4(Ipv4Addr::new(198, 51, 100, 1)))
    );
}

#[test]
fn next_hop_unchanged_on_export_restores_the_next_hop_before_the_rewrite() {
    let e = acting("set-next-hop = \"unchanged\"");
    let source = ebgp();
    let rewritten = Attrs::path(&[65001, 65002])
        .next_hop(NextHop::V4(Ipv4Addr::new(198, 51, 100, 1)))
        .build();
    let mut route = context("10.0.0.0/24", &source);
    route.original_next_hop = Some(NextHop::V4(Ipv4Addr::new(192, 0, 2, 2)));
    let Decision::Modified(out) = e.export(&route, &target(), &rewritten) else {
        panic!("next hop not restored");
    };
    assert_eq!(
        out.next_hop(),
        Some(&NextHop::V4(Ipv4Addr::new(192, 0, 2, 2)))
    );
}

#[test]
fn next_hop_address_and_peer_address() {
    let fixed = acting("set-next-hop = \"203.0.113.5\"");
    let out = imported(&fixed, "10.0.0.0/24", &Attrs::path(&[65002]));
    assert_eq!(
        out.next_hop(),
        Some(&NextHop::V4(Ipv4Addr::new(203, 0, 113, 5)))
    );
    let peer = acting("set-next-hop = \"peer-address\"");
    let mut source = ebgp();
    source.address = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 77)));
    let a = Attrs::path(&[65002]).build();
    let Decision::Modified(out) = peer.import(&context("10.0.0.0/24", &source), &a) else {
        panic!("next hop not changed");
    };
    assert_eq!(
        out.next_hop(),
        Some(&NextHop::V4(Ipv4Addr::new(192, 0, 2, 77)))
    );
}

#[test]
fn set_route_origin() {
    let e = acting("set-route-origin = \"egp\"");
    assert_eq!(
        imported(&e, "10.0.0.0/24", &Attrs::path(&[65002])).origin(),
        Some(Origin::Egp)
    );
}

#[test]
fn one_statement_applies_all_its_actions() {
    let e = acting(&format!(
        "set-med = \"7\"\nset-as-path-prepend = {{ as = \"65001\", repeat-n = 1 }}\n{}",
        community_action("community", "add", "\"1:1\"")
    ));
    let out = imported(&e, "10.0.0.0/24", &Attrs::path(&[65002]));
    assert_eq!(out.med(), Some(7));
    assert_eq!(path_of(&out), vec![65001, 65002]);
    assert_eq!(communities_of(&out), vec![Community::new(1, 1)]);
}

#[test]
fn a_change_that_leaves_the_route_equal_is_plain_accept() {
    let e = acting("set-local-pref = 100");
    let route = Attrs::path(&[65002]).with(AttrValue::LocalPref(100));
    assert_eq!(import(&e, "10.0.0.0/24", &route), Decision::Accept);
}

#[test]
fn local_source_has_no_session_address_for_self() {
    let e = acting("set-next-hop = \"self\"");
    let local = SourcePeer {
        address: None,
        local_address: None,
        ..ebgp()
    };
    let a = Attrs::path(&[]).build();
    assert_eq!(
        e.import(&context("10.0.0.0/24", &local), &a),
        Decision::Accept
    );
}
