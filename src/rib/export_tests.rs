//! One advertisement rule per test.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::wire::bgp::Origin;

const LOCAL_AS: u32 = 65001;

fn peer(n: u8) -> PeerId {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
}

fn source(n: u8, external: bool, client: bool) -> Source {
    Source {
        peer: Some(peer(n)),
        router_id: Ipv4Addr::new(10, 0, 0, n),
        peer_as: if external {
            65000 + u32::from(n)
        } else {
            LOCAL_AS
        },
        external,
        route_reflector_client: client,
    }
}

fn local() -> Source {
    Source {
        peer: None,
        router_id: Ipv4Addr::new(10, 0, 0, 100),
        peer_as: LOCAL_AS,
        external: false,
        route_reflector_client: false,
    }
}

fn target(n: u8, external: bool) -> Target {
    Target {
        peer: peer(n),
        external,
        peer_as: if external {
            65000 + u32::from(n)
        } else {
            LOCAL_AS
        },
        local_as: LOCAL_AS,
        route_reflector_client: false,
        route_server_client: false,
        cluster_id: Ipv4Addr::new(10, 0, 0, 100),
        remove_private_as: None,
        replace_peer_as: false,
        next_hop_v4: Some(NextHop::V4(Ipv4Addr::new(192, 0, 2, 100))),
        next_hop_v6: Some(NextHop::V6 {
            global: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 100),
            link_local: None,
        }),
        extended_next_hop_v4: false,
    }
}

fn received_next_hop() -> NextHop {
    NextHop::V4(Ipv4Addr::new(198, 51, 100, 1))
}

fn attrs(asns: &[u32], extra: Vec<AttrValue>) -> PathAttrs {
    let mut values = vec![
        AttrValue::Origin(Origin::Igp),
        AttrValue::AsPath(AsPath::from_sequence(asns.to_vec())),
    ];
    values.extend(extra);
    PathAttrs::new(
        values.into_iter().map(PathAttribute::new).collect(),
        Some(received_next_hop()),
    )
}

fn path_of(a: &PathAttrs) -> String {
    a.as_path().map(|p| p.to_string()).unwrap_or_default()
}

const V4: Family = Family::IPV4_UNICAST;

#[test]
fn route_is_not_sent_back_to_its_source() {
    let a = attrs(&[65002], vec![]);
    assert_eq!(
        export(&source(2, true, false), &a, V4, &target(2, true)),
        None
    );
}

#[test]
fn ebgp_route_is_sent_to_another_ebgp_peer() {
    let a = attrs(&[65002], vec![]);
    assert!(export(&source(2, true, false), &a, V4, &target(3, true)).is_some());
}

#[test]
fn route_holding_the_ebgp_peers_as_is_not_sent_to_it() {
    let a = attrs(&[65002, 65003], vec![]);
    assert_eq!(
        export(&source(2, true, false), &a, V4, &target(3, true)),
        None
    );
}

#[test]
fn ibgp_route_is_not_sent_to_ibgp_peer_without_reflection() {
    let a = attrs(&[65010], vec![]);
    assert_eq!(
        export(&source(2, false, false), &a, V4, &target(3, false)),
        None
    );
}

#[test]
fn route_from_client_is_reflected_to_non_client() {
    let a = attrs(&[65010], vec![]);
    assert!(export(&source(2, false, true), &a, V4, &target(3, false)).is_some());
}

#[test]
fn route_from_non_client_is_reflected_to_client() {
    let a = attrs(&[65010], vec![]);
    let client = Target {
        route_reflector_client: true,
        ..target(3, false)
    };
    assert!(export(&source(2, false, false), &a, V4, &client).is_some());
}

#[test]
fn reflected_route_gets_originator_id_and_cluster_list() {
    let a = attrs(
        &[65010],
        vec![AttrValue::ClusterList(vec![Ipv4Addr::new(10, 9, 9, 9)])],
    );
    let out = export(&source(2, false, true), &a, V4, &target(3, false)).expect("reflected");
    assert_eq!(
        out.get(AttrType::OriginatorId).map(|a| a.value).as_ref(),
        Some(&AttrValue::OriginatorId(Ipv4Addr::new(10, 0, 0, 2)))
    );
    assert_eq!(
        out.get(AttrType::ClusterList).map(|a| a.value).as_ref(),
        Some(&AttrValue::ClusterList(vec![
            Ipv4Addr::new(10, 0, 0, 100),
            Ipv4Addr::new(10, 9, 9, 9)
        ]))
    );
}

#[test]
fn reflection_keeps_an_existing_originator_id() {
    let originator = Ipv4Addr::new(10, 7, 7, 7);
    let a = attrs(&[65010], vec![AttrValue::OriginatorId(originator)]);
    let out = export(&source(2, false, true), &a, V4, &target(3, false)).expect("reflected");
    assert_eq!(
        out.get(AttrType::OriginatorId).map(|a| a.value).as_ref(),
        Some(&AttrValue::OriginatorId(originator))
    );
}

#[test]
fn ebgp_export_prepends_local_as() {
    let a = attrs(&[65002, 65100], vec![]);
    let out = export(&source(2, true, false), &a, V4, &target(3, true)).expect("sent");
    assert_eq!(path_of(&out), "65001 65002 65100");
}

#[test]
fn ebgp_export_starts_a_new_segment_before_a_set() {
    let path = AsPath {
        segments: vec![Segment {
            kind: SegmentType::Set,
            asns: vec![65100, 65200],
        }],
    };
    let a = PathAttrs::new(
        vec![PathAttribute::new(AttrValue::AsPath(path))],
        Some(received_next_hop()),
    );
    let out = export(&local(), &a, V4, &target(3, true)).expect("sent");
    assert_eq!(path_of(&out), "65001 {65100,65200}");
}

#[test]
fn ebgp_export_starts_a_new_segment_when_the_first_is_full() {
    let full: Vec<u32> = (0..255).map(|i| 64000 + i).collect();
    let a = attrs(&full, vec![]);
    let out = export(&local(), &a, V4, &target(3, true)).expect("sent");
    let segments = &out.as_path().expect("path").segments;
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[0].asns, vec![LOCAL_AS]);
}

#[test]
fn ebgp_export_sets_next_hop_to_our_address() {
    let a = attrs(&[65002], vec![]);
    let out = export(&source(2, true, false), &a, V4, &target(3, true)).expect("sent");
    assert_eq!(out.next_hop(), target(3, true).next_hop_v4.as_ref());
}

#[test]
fn ebgp_export_strips_local_pref() {
    let a = attrs(&[65002], vec![AttrValue::LocalPref(200)]);
    let out = export(&source(2, true, false), &a, V4, &target(3, true)).expect("sent");
    assert_eq!(out.local_pref(), None);
}

#[test]
fn ebgp_export_drops_med_received_from_another_as() {
    let a = attrs(&[65002], vec![AttrValue::MultiExitDisc(10)]);
    let out = export(&source(2, true, false), &a, V4, &target(3, true)).expect("sent");
    assert_eq!(out.med(), None);
}

#[test]
fn ebgp_export_keeps_med_of_a_local_route() {
    let a = attrs(&[], vec![AttrValue::MultiExitDisc(10)]);
    let out = export(&local(), &a, V4, &target(3, true)).expect("sent");
    assert_eq!(out.med(), Some(10));
}

#[test]
fn ebgp_export_drops_originator_id_and_cluster_list() {
    let a = attrs(
        &[65010],
        vec![
            AttrValue::OriginatorId(Ipv4Addr::new(10, 7, 7, 7)),
            AttrValue::ClusterList(vec![Ipv4Addr::new(10, 9, 9, 9)]),
        ],
    );
    let out = export(&source(2, false, false), &a, V4, &target(3, true)).expect("sent");
    assert!(out.get(AttrType::OriginatorId).is_none());
    assert!(out.get(AttrType::ClusterList).is_none());
}

#[test]
fn ibgp_export_keeps_next_hop() {
    let a = attrs(&[65002], vec![]);
    let out = export(&source(2, true, false), &a, V4, &target(3, false)).expect("sent");
    assert_eq!(out.next_hop(), Some(&received_next_hop()));
    assert_eq!(path_of(&out), "65002");
}

#[test]
fn ibgp_export_sets_next_hop_self_for_local_route() {
    let a = attrs(&[], vec![]);
    let out = export(&local(), &a, V4, &target(3, false)).expect("sent");
    assert_eq!(out.next_hop(), target(3, false).next_hop_v4.as_ref());
}

#[test]
fn ibgp_export_adds_local_pref_100_when_absent() {
    let a = attrs(&[65002], vec![]);
    let out = export(&source(2, true, false), &a, V4, &target(3, false)).expect("sent");
    assert_eq!(out.local_pref(), Some(100));
}

#[test]
fn ibgp_export_keeps_an_existing_local_pref() {
    let a = attrs(&[65002], vec![AttrValue::LocalPref(300)]);
    let out = export(&source(2, true, false), &a, V4, &target(3, false)).expect("sent");
    assert_eq!(out.local_pref(), Some(300));
}

#[test]
fn route_server_client_gets_as_path_next_hop_and_med_unchanged() {
    let a = attrs(&[65002], vec![AttrValue::MultiExitDisc(10)]);
    let rs = Target {
        route_server_client: true,
        ..target(3, true)
    };
    let out = export(&source(2, true, false), &a, V4, &rs).expect("sent");
    assert_eq!(path_of(&out), "65002");
    assert_eq!(out.next_hop(), Some(&received_next_hop()));
    assert_eq!(out.med(), Some(10));
}

#[test]
fn remove_private_as_all_strips_private_asns() {
    let a = attrs(&[65002, 64600, 3356, 4_200_000_001], vec![]);
    let t = Target {
        remove_private_as: Some(RemovePrivateAs::All),
        ..target(3, true)
    };
    let out = export(&source(2, true, false), &a, V4, &t).expect("sent");
    assert_eq!(path_of(&out), "65001 3356");
}

#[test]
fn remove_private_as_replace_puts_local_as_in_their_place() {
    let a = attrs(&[64600, 3356], vec![]);
    let t = Target {
        remove_private_as: Some(RemovePrivateAs::Replace),
        ..target(3, true)
    };
    let out = export(&source(2, true, false), &a, V4, &t).expect("sent");
    assert_eq!(path_of(&out), "65001 65001 3356");
}

#[test]
fn replace_peer_as_rewrites_the_peers_as_to_ours() {
    let a = attrs(&[65002, 65003], vec![]);
    let t = Target {
        replace_peer_as: true,
        ..target(3, true)
    };
    let out = export(&source(2, true, false), &a, V4, &t).expect("sent");
    assert_eq!(path_of(&out), "65001 65002 65001");
}

#[test]
fn ipv6_route_gets_our_ipv6_next_hop() {
    let a = attrs(&[65002], vec![]);
    let t = target(3, true);
    let out = export(&source(2, true, false), &a, Family::IPV6_UNICAST, &t).expect("sent");
    assert_eq!(out.next_hop(), t.next_hop_v6.as_ref());
}

#[test]
fn ipv4_route_is_not_sent_without_an_ipv4_next_hop() {
    let a = attrs(&[65002], vec![]);
    let t = Target {
        next_hop_v4: None,
        ..target(3, true)
    };
    assert_eq!(export(&source(2, true, false), &a, V4, &t), None);
}

#[test]
fn unknown_transitive_attribute_is_passed_on_with_partial_bit() {
    let unknown = AttrValue::Unknown {
        type_code: 99,
        value: bytes::Bytes::from_static(&[1, 2]),
    };
    let a = attrs(&[65002], vec![unknown]);
    let out = export(&source(2, true, false), &a, V4, &target(3, true)).expect("sent");
    let flags = out
        .attributes()
        .iter()
        .find(|a| a.type_code() == 99)
        .map(|a| a.flags.0);
    assert_eq!(flags.map(|f| f & 0x20), Some(0x20));
}

#[test]
fn two_octet_peer_gets_as_trans_and_as4_path() {
    let a = attrs(&[4_200_000_001, 65002], vec![]);
    let list = two_octet_attributes(&a);
    let as_path = list.iter().find_map(|a| match &a.value {
        AttrValue::AsPath(p) => Some(p.to_string()),
        _ => None,
    });
    let as4_path = list.iter().find_map(|a| match &a.value {
        AttrValue::As4Path(p) => Some(p.to_string()),
        _ => None,
    });
    assert_eq!(as_path.as_deref(), Some("23456 65002"));
    assert_eq!(as4_path.as_deref(), Some("4200000001 65002"));
}

#[test]
fn two_octet_peer_gets_no_as4_path_when_every_asn_fits() {
    let a = attrs(&[65002], vec![]);
    let list = two_octet_attributes(&a);
    assert!(list
        .iter()
        .all(|a| !matches!(a.value, AttrValue::As4Path(_))));
}

#[test]
fn two_octet_peer_gets_as_trans_aggregator_and_as4_aggregator() {
    let aggregator = Aggregator {
        asn: 4_200_000_001,
        address: Ipv4Addr::new(10, 0, 0, 1),
    };
    let a = attrs(&[65002], vec![AttrValue::Aggregator(aggregator)]);
    let list = two_octet_attributes(&a);
    assert!(list.iter().any(|a| a.value
        == AttrValue::Aggregator(Aggregator {
            asn: AS_TRANS,
            address: aggregator.address
        })));
    assert!(list
        .iter()
        .any(|a| a.value == AttrValue::As4Aggregator(aggregator)));
}

/// An IPv6 session to `2001:db8::2` from `local`, with extended next hop
/// for IPv4 unicast negotiated or not.
fn ipv6_session(local: &str, extended_next_hop: bool) -> (SessionInfo, Global) {
    let text = r#"
[global.config]
  as = 65001
  router-id = "192.0.2.1"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "2001:db8::2"
    peer-as = 65002
"#;
    let config = crate::config::parse(text, "test.toml").expect("valid config");
    let neighbor = config.neighbors.first().cloned().expect("one neighbor");
    let mut negotiated = crate::wire::bgp::Negotiated::default();
    if extended_next_hop {
        negotiated.extended_next_hop.insert(Family::IPV4_UNICAST);
    }
    let peer: IpAddr = "2001:db8::2".parse().expect("ip");
    let info = SessionInfo {
        peer,
        neighbor: std::sync::Arc::new(neighbor),
        local: std::net::SocketAddr::new(local.parse().expect("ip"), 179),
        remote: std::net::SocketAddr::new(peer, 40000),
        local_as: 65001,
        peer_as: 65002,
        local_id: Ipv4Addr::new(192, 0, 2, 1),
        peer_id: Ipv4Addr::new(192, 0, 2, 2),
        negotiated,
        sent_open: bytes::Bytes::new(),
        received_open: bytes::Bytes::new(),
        established_at: std::time::SystemTime::now(),
    };
    (info, config.global)
}

#[test]
fn ipv4_route_on_ipv6_session_with_extended_next_hop_gets_our_ipv6_address() {
    let (info, global) = ipv6_session("2001:db8::1", true);
    let t = Target::from_session(&info, &global);
    let out = export(&source(2, true, false), &attrs(&[65003], vec![]), V4, &t).expect("sent");
    assert_eq!(
        out.next_hop(),
        Some(&NextHop::V6 {
            global: "2001:db8::1".parse().expect("ipv6"),
            link_local: None,
        })
    );
}

#[test]
fn ipv4_route_on_ipv6_session_without_extended_next_hop_or_ipv4_address_is_not_sent() {
    let (info, global) = ipv6_session("2001:db8::1", false);
    let t = Target::from_session(&info, &global);
    assert_eq!(t.next_hop_v4, None);
    assert_eq!(
        export(&source(2, true, false), &attrs(&[65003], vec![]), V4, &t),
        None
    );
}

#[test]
fn ipv4_mapped_session_address_is_an_ipv4_next_hop_even_with_extended_next_hop() {
    let (info, global) = ipv6_session("::ffff:192.0.2.1", true);
    let t = Target::from_session(&info, &global);
    assert_eq!(
        t.next_hop_v4,
        Some(NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)))
    );
}

fn with_ipv6_next_hop() -> PathAttrs {
    let mut a = attrs(&[65002], vec![]);
    a.set_next_hop(NextHop::V6 {
        global: "2001:db8::2".parse().expect("ipv6"),
        link_local: None,
    });
    a
}

#[test]
fn ipv4_route_with_ipv6_next_hop_keeps_it_towards_an_extended_next_hop_ibgp_peer() {
    let t = Target {
        extended_next_hop_v4: true,
        ..target(3, false)
    };
    let out = export(&source(2, true, false), &with_ipv6_next_hop(), V4, &t).expect("sent");
    assert_eq!(out.next_hop(), with_ipv6_next_hop().next_hop());
}

#[test]
fn ipv4_route_with_ipv6_next_hop_gets_our_ipv4_next_hop_towards_other_peers() {
    let t = target(3, false);
    let out = export(&source(2, true, false), &with_ipv6_next_hop(), V4, &t).expect("sent");
    assert_eq!(out.next_hop(), t.next_hop_v4.as_ref());
    let none = Target {
        next_hop_v4: None,
        ..target(3, false)
    };
    assert_eq!(
        export(&source(2, true, false), &with_ipv6_next_hop(), V4, &none),
        None
    );
}

/// The one-pass eBGP edit on the encoding gives exactly the set the
/// decoded edit gives, for every shape of AS_PATH and attribute mix.
#[test]
fn ebgp_export_on_the_encoding_equals_the_decoded_edit() {
    use crate::wire::bgp::{AttrFlags, Community, Segment, SegmentType};
    use bytes::Bytes;
    let set = |segments: Vec<Segment>| {
        AttrValue::AsPath(AsPath {
            segments: segments.clone(),
        })
    };
    let seq = |asns: Vec<u32>| Segment {
        kind: SegmentType::Sequence,
        asns,
    };
    let as_set = |asns: Vec<u32>| Segment {
        kind: SegmentType::Set,
        asns,
    };
    let unknown = AttrValue::Unknown {
        type_code: 99,
        value: Bytes::from_static(&[1, 2, 3]),
    };
    let unknown_attr = PathAttribute {
        flags: AttrFlags(AttrFlags::OPTIONAL | AttrFlags::TRANSITIVE),
        value: unknown,
    };
    let long = |value| PathAttribute {
        flags: AttrFlags(AttrFlags::TRANSITIVE | AttrFlags::EXTENDED_LENGTH),
        value,
    };
    let cases: Vec<Vec<PathAttribute>> = vec![
        vec![PathAttribute::new(AttrValue::Origin(Origin::Igp))],
        vec![
            PathAttribute::new(AttrValue::Origin(Origin::Egp)),
            PathAttribute::new(set(vec![seq(vec![65002, 65003])])),
            PathAttribute::new(AttrValue::MultiExitDisc(7)),
            PathAttribute::new(AttrValue::LocalPref(200)),
        ],
        vec![PathAttribute::new(set(vec![
            as_set(vec![1, 2]),
            seq(vec![3]),
        ]))],
        // Long paths carry the Extended Length bit (as received).
        vec![long(set(vec![seq((1..=255).collect())]))],
        vec![long(set(vec![seq((1..=100).collect())]))],
        vec![
            PathAttribute::new(set(vec![seq(vec![65002])])),
            PathAttribute::new(AttrValue::OriginatorId(Ipv4Addr::new(1, 2, 3, 4))),
            PathAttribute::new(AttrValue::ClusterList(vec![Ipv4Addr::new(5, 6, 7, 8)])),
            PathAttribute::new(AttrValue::Communities(vec![Community(0xfde8_0001)])),
            unknown_attr,
        ],
    ];
    for attributes in cases {
        let attrs = PathAttrs::new(attributes.clone(), Some(received_next_hop()));
        for keep_med in [false, true] {
            let fast = attrs
                .ebgp_export(65001, keep_med)
                .unwrap_or_else(|| panic!("no fast path for {attributes:?}"));
            let mut slow = attrs.clone();
            slow.mark_partial();
            let t = target(9, true);
            let slow = ebgp_edit(slow, &attrs, &t, keep_med);
            assert_eq!(fast, slow, "{attributes:?} keep_med={keep_med}");
            assert_eq!(fast.as_path_len(), slow.as_path_len());
            assert_eq!(fast.first_as(), slow.first_as());
            assert_eq!(fast.med(), slow.med());
            assert_eq!(fast.origin(), slow.origin());
            assert_eq!(fast.local_pref(), slow.local_pref());
        }
        for asn in [65002, 3, 255, 4_000_000] {
            let decoded = attrs
                .as_path()
                .is_some_and(|p| p.segments.iter().any(|s| s.asns.contains(&asn)));
            assert_eq!(attrs.as_path_contains(asn), decoded);
        }
    }
}

#[test]
fn no_export_route_goes_to_ibgp_peers_only() {
    let a = attrs(
        &[65003],
        vec![AttrValue::Communities(vec![Community::NO_EXPORT])],
    );
    let s = source(3, true, false);
    assert!(export(&s, &a, Family::IPV4_UNICAST, &target(4, true)).is_none());
    assert!(export(&s, &a, Family::IPV4_UNICAST, &target(5, false)).is_some());
    let sub = attrs(
        &[65003],
        vec![AttrValue::Communities(vec![Community::NO_EXPORT_SUBCONFED])],
    );
    assert!(export(&s, &sub, Family::IPV4_UNICAST, &target(4, true)).is_none());
}

#[test]
fn no_advertise_route_goes_to_no_peer() {
    let a = attrs(
        &[65003],
        vec![AttrValue::Communities(vec![
            Community(65003 << 16 | 1),
            Community::NO_ADVERTISE,
        ])],
    );
    let s = source(3, true, false);
    assert!(export(&s, &a, Family::IPV4_UNICAST, &target(4, true)).is_none());
    assert!(export(&s, &a, Family::IPV4_UNICAST, &target(5, false)).is_none());
}

#[test]
fn route_server_client_gets_no_export_routes() {
    let a = attrs(
        &[65003],
        vec![AttrValue::Communities(vec![Community::NO_EXPORT])],
    );
    let rs = Target {
        route_server_client: true,
        ..target(4, true)
    };
    assert!(export(&source(3, true, false), &a, Family::IPV4_UNICAST, &rs).is_some());
}
