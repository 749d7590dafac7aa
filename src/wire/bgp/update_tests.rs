//! UPDATE and path attribute golden vectors (built by hand from the
//! RFC 4271 §4.3 layouts) and one test per RFC 7606 rule.

use std::net::Ipv4Addr;

use super::*;
use crate::wire::bgp::aspath::AsPath;
use crate::wire::bgp::attr::{Aggregator, AttrFlags, Origin};
use crate::wire::bgp::community::{Community, ExtendedCommunity, LargeCommunity};
use crate::wire::bgp::mp::NextHop;
use crate::wire::from_hex;

pub(crate) fn bytes(hex: &str) -> Bytes {
    Bytes::from(from_hex(hex).expect("test hex"))
}

/// An UPDATE body from withdrawn routes, attributes and NLRI in hex.
pub(crate) fn body(withdrawn: &str, attributes: &str, nlri: &str) -> Bytes {
    let (w, a, n) = (bytes(withdrawn), bytes(attributes), bytes(nlri));
    let mut out = BytesMut::new();
    out.put_u16(w.len() as u16);
    out.put_slice(&w);
    out.put_u16(a.len() as u16);
    out.put_slice(&a);
    out.put_slice(&n);
    out.freeze()
}

fn net(s: &str) -> Nlri {
    Nlri::new(s.parse().expect("test prefix"))
}

const ORIGIN: &str = "40 01 01 00";
const AS_PATH: &str = "40 02 04 02 01 fde9";
const NEXT_HOP: &str = "40 03 04 c0000201";
const NLRI: &str = "18 0a0001";

fn mandatory() -> String {
    format!("{ORIGIN} {AS_PATH} {NEXT_HOP}")
}

fn encode(update: &Update, cx: &Negotiated) -> Bytes {
    let mut out = BytesMut::new();
    update.encode(&mut out, cx).expect("encodes");
    out.freeze()
}

/// Decodes an UPDATE holding the mandatory attributes plus `attribute`
/// and one IPv4 prefix, and checks both directions.
fn attribute_golden(attribute: &str, expected: AttrValue, cx: &Negotiated) {
    let bytes = body("", &format!("{} {attribute}", mandatory()), NLRI);
    let update = Update::decode(bytes.clone(), cx).expect("decodes");
    assert_eq!(update.errors, vec![]);
    assert_eq!(update.attributes.len(), 4);
    assert_eq!(update.attributes[3].value, expected);
    assert_eq!(encode(&update, cx), bytes);
}

#[test]
fn update_with_every_mandatory_attribute_golden() {
    let bytes = body("18 0a0002", &mandatory(), NLRI);
    let expected = Update {
        withdrawn: vec![net("10.0.2.0/24")],
        attributes: vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![65001]))),
            PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(192, 0, 2, 1))),
        ],
        nlri: vec![net("10.0.1.0/24")],
        errors: vec![],
    };
    let cx = Negotiated::default();
    assert_eq!(Update::decode(bytes.clone(), &cx), Ok(expected.clone()));
    assert_eq!(encode(&expected, &cx), bytes);
}

#[test]
fn optional_attributes_golden() {
    let cx = Negotiated::default();
    attribute_golden("80 04 04 00000064", AttrValue::MultiExitDisc(100), &cx);
    attribute_golden("40 05 04 000000c8", AttrValue::LocalPref(200), &cx);
    attribute_golden("40 06 00", AttrValue::AtomicAggregate, &cx);
    attribute_golden(
        "c0 07 06 fde9 0a000001",
        AttrValue::Aggregator(Aggregator {
            asn: 65001,
            address: Ipv4Addr::new(10, 0, 0, 1),
        }),
        &cx,
    );
    attribute_golden(
        "c0 08 08 fde80064 ffffff01",
        AttrValue::Communities(vec![Community::new(65000, 100), Community::NO_EXPORT]),
        &cx,
    );
    attribute_golden(
        "80 09 04 0a000002",
        AttrValue::OriginatorId(Ipv4Addr::new(10, 0, 0, 2)),
        &cx,
    );
    attribute_golden(
        "80 0a 08 0a000003 0a000004",
        AttrValue::ClusterList(vec![Ipv4Addr::new(10, 0, 0, 3), Ipv4Addr::new(10, 0, 0, 4)]),
        &cx,
    );
    attribute_golden(
        "c0 10 08 0002fde800000064",
        AttrValue::ExtendedCommunities(vec![ExtendedCommunity([0, 2, 0xfd, 0xe8, 0, 0, 0, 100])]),
        &cx,
    );
    attribute_golden(
        "c0 11 06 02 01 00010000",
        AttrValue::As4Path(AsPath::from_sequence(vec![65536])),
        &cx,
    );
    attribute_golden(
        "c0 12 08 00010000 0a000001",
        AttrValue::As4Aggregator(Aggregator {
            asn: 65536,
            address: Ipv4Addr::new(10, 0, 0, 1),
        }),
        &cx,
    );
    attribute_golden(
        "c0 20 0c 0000fde8 00000001 00000002",
        AttrValue::LargeCommunities(vec![LargeCommunity {
            global_admin: 65000,
            local_data_1: 1,
            local_data_2: 2,
        }]),
        &cx,
    );
    attribute_golden(
        "c0 63 02 abcd",
        AttrValue::Unknown {
            type_code: 99,
            value: bytes("abcd"),
        },
        &cx,
    );
}

#[test]
fn four_octet_session_uses_four_octet_as_path_and_aggregator_golden() {
    let cx = Negotiated {
        four_octet_as: true,
        ..Negotiated::default()
    };
    let bytes = body(
        "",
        &format!("{ORIGIN} 40 02 0a 02 02 00010000 0000fde9 {NEXT_HOP} c0 07 08 00010000 0a000001"),
        NLRI,
    );
    let update = Update::decode(bytes.clone(), &cx).expect("decodes");
    assert_eq!(
        update.attributes[1].value,
        AttrValue::AsPath(AsPath::from_sequence(vec![65536, 65001]))
    );
    assert_eq!(
        update.attributes[3].value,
        AttrValue::Aggregator(Aggregator {
            asn: 65536,
            address: Ipv4Addr::new(10, 0, 0, 1)
        })
    );
    assert_eq!(encode(&update, &cx), bytes);
}

#[test]
fn extended_length_bit_is_kept_as_received() {
    // ORIGIN sent with a 2-octet length although 1 octet would do.
    let bytes = body("", &format!("50 01 0001 00 {AS_PATH} {NEXT_HOP}"), NLRI);
    let cx = Negotiated::default();
    let update = Update::decode(bytes.clone(), &cx).expect("decodes");
    assert!(update.attributes[0].flags.extended_length());
    assert_eq!(encode(&update, &cx), bytes);
}

#[test]
fn mp_reach_ipv6_update_with_add_path_golden() {
    let mut cx = Negotiated::default();
    cx.add_path_receive.insert(Family::IPV6_UNICAST);
    cx.add_path_send.insert(Family::IPV6_UNICAST);
    let mp = "80 0e 20 0002 01 10 20010db8000000000000000000000001 00 00000005 30 20010db80001";
    let bytes = body("", &format!("{mp} {ORIGIN} {AS_PATH}"), "");
    let update = Update::decode(bytes.clone(), &cx).expect("decodes");
    assert_eq!(update.errors, vec![]);
    let announced: Vec<_> = update.announced().collect();
    let prefix = Nlri::with_path_id("2001:db8:1::/48".parse().expect("net"), 5);
    assert_eq!(announced, vec![(Family::IPV6_UNICAST, &prefix)]);
    assert_eq!(
        update.mp_reach().map(MpReach::family),
        Some(Family::IPV6_UNICAST)
    );
    assert!(matches!(
        update.mp_reach(),
        Some(MpReach::Prefixes {
            next_hop: NextHop::V6 {
                link_local: None,
                ..
            },
            ..
        })
    ));
    assert_eq!(encode(&update, &cx), bytes);
}

#[test]
fn ipv4_add_path_in_nlri_and_withdrawn_fields_golden() {
    let mut cx = Negotiated::default();
    cx.add_path_receive.insert(Family::IPV4_UNICAST);
    cx.add_path_send.insert(Family::IPV4_UNICAST);
    let bytes = body("00000002 18 0a0002", &mandatory(), "00000001 18 0a0001");
    let update = Update::decode(bytes.clone(), &cx).expect("decodes");
    assert_eq!(
        update.nlri,
        vec![Nlri::with_path_id("10.0.1.0/24".parse().expect("net"), 1)]
    );
    assert_eq!(
        update.withdrawn,
        vec![Nlri::with_path_id("10.0.2.0/24".parse().expect("net"), 2)]
    );
    assert_eq!(encode(&update, &cx), bytes);
}

#[test]
fn end_of_rib_is_recognised_for_ipv4_and_mp_families() {
    let cx = Negotiated::default();
    let v4 = Update::decode(body("", "", ""), &cx).expect("decodes");
    assert_eq!(v4.is_end_of_rib(), Some(Family::IPV4_UNICAST));
    let v6 = Update::decode(body("", "80 0f 03 0002 01", ""), &cx).expect("decodes");
    assert_eq!(v6.is_end_of_rib(), Some(Family::IPV6_UNICAST));
    assert_eq!(
        encode(&crate::wire::bgp::end_of_rib(Family::IPV6_UNICAST), &cx),
        body("", "80 0f 03 0002 01", "")
    );
    assert_eq!(
        encode(&crate::wire::bgp::end_of_rib(Family::IPV4_UNICAST), &cx),
        body("", "", "")
    );
    let normal = Update::decode(body("", &mandatory(), NLRI), &cx).expect("decodes");
    assert_eq!(normal.is_end_of_rib(), None);
}

#[test]
fn mark_partial_sets_p_on_unknown_optional_transitive_only() {
    let cx = Negotiated::default();
    let bytes = body(
        "",
        &format!("{} c0 63 01 aa 80 64 01 bb", mandatory()),
        NLRI,
    );
    let mut update = Update::decode(bytes, &cx).expect("decodes");
    update.mark_partial();
    assert_eq!(update.attributes[3].flags, AttrFlags(0xe0));
    assert_eq!(
        update.attributes[4].flags,
        AttrFlags(0x80),
        "non-transitive unchanged"
    );
    assert_eq!(
        update.attributes[0].flags,
        AttrFlags(0x40),
        "known unchanged"
    );
    let encoded = encode(&update, &cx);
    assert_eq!(
        encoded,
        body(
            "",
            &format!("{} e0 63 01 aa 80 64 01 bb", mandatory()),
            NLRI
        )
    );
}

// ---- RFC 7606 actions and RFC 4271 NOTIFICATION mappings ----

/// Decodes an UPDATE whose attributes are the mandatory ones with
/// `replace` swapped for `with`, and returns its single error.
fn single_error(attributes: &str, cx: &Negotiated) -> AttrError {
    let update = Update::decode(body("", attributes, NLRI), cx).expect("not session-fatal");
    assert_eq!(update.errors.len(), 1, "{:?}", update.errors);
    update.errors[0].clone()
}

fn code(error: &DecodeError) -> (u8, u8) {
    let n = error.notification();
    (n.code.code(), n.code.subcode())
}

#[test]
fn malformed_origin_is_treat_as_withdraw() {
    let e = single_error(
        &format!("40 01 02 0000 {AS_PATH} {NEXT_HOP}"),
        &Negotiated::default(),
    );
    assert_eq!(e.action, AttrAction::TreatAsWithdraw);
    assert_eq!(code(&e.error), (3, 5));
    assert_eq!(e.error.notification().data, bytes("40 01 02 0000"));
}

#[test]
fn invalid_origin_value_is_treat_as_withdraw_and_notification_3_6() {
    let update = Update::decode(
        body("", &format!("40 01 01 03 {AS_PATH} {NEXT_HOP}"), NLRI),
        &Negotiated::default(),
    )
    .expect("decodes");
    let e = update.treat_as_withdraw().expect("treat-as-withdraw");
    assert_eq!(code(&e.error), (3, 6));
    assert_eq!(update.announced().count(), 0);
    let withdrawn: Vec<_> = update.withdrawals().collect();
    assert_eq!(withdrawn, vec![(Family::IPV4_UNICAST, &net("10.0.1.0/24"))]);
}

#[test]
fn malformed_as_path_is_treat_as_withdraw_and_notification_3_11() {
    let e = single_error(
        &format!("{ORIGIN} 40 02 02 02 00 {NEXT_HOP}"),
        &Negotiated::default(),
    );
    assert_eq!(e.action, AttrAction::TreatAsWithdraw);
    assert_eq!(code(&e.error), (3, 11));
}

/// RFC 5065 §5: confederation segments from a peer outside the
/// confederation (bgpd is in none: any external peer) are a malformed
/// AS_PATH; from an internal peer they are kept.
#[test]
fn confederation_segments_from_an_external_peer_are_treat_as_withdraw() {
    let confed = format!("{ORIGIN} 40 02 04 03 01 fde8 {NEXT_HOP}");
    let external = Negotiated {
        external: true,
        ..Negotiated::default()
    };
    let e = single_error(&confed, &external);
    assert_eq!(e.action, AttrAction::TreatAsWithdraw);
    assert_eq!(code(&e.error), (3, 11));
    let update = Update::decode(body("", &confed, NLRI), &Negotiated::default()).expect("decodes");
    assert!(update.errors.is_empty(), "{:?}", update.errors);
}

#[test]
fn next_hop_of_wrong_length_is_treat_as_withdraw() {
    let e = single_error(
        &format!("{ORIGIN} {AS_PATH} 40 03 03 c00002"),
        &Negotiated::default(),
    );
    assert_eq!(
        (e.action, code(&e.error)),
        (AttrAction::TreatAsWithdraw, (3, 5))
    );
}

#[test]
fn next_hop_zero_is_treat_as_withdraw_and_notification_3_8() {
    let e = single_error(
        &format!("{ORIGIN} {AS_PATH} 40 03 04 00000000"),
        &Negotiated::default(),
    );
    assert_eq!(
        (e.action, code(&e.error)),
        (AttrAction::TreatAsWithdraw, (3, 8))
    );
}

#[test]
fn malformed_med_is_treat_as_withdraw() {
    let e = single_error(
        &format!("{} 80 04 02 0001", mandatory()),
        &Negotiated::default(),
    );
    assert_eq!(e.action, AttrAction::TreatAsWithdraw);
}

#[test]
fn malformed_local_pref_from_ibgp_is_treat_as_withdraw() {
    let e = single_error(
        &format!("{} 40 05 02 0001", mandatory()),
        &Negotiated::default(),
    );
    assert_eq!(e.action, AttrAction::TreatAsWithdraw);
}

#[test]
fn malformed_local_pref_from_ebgp_is_attribute_discard() {
    let cx = Negotiated {
        external: true,
        ..Negotiated::default()
    };
    let e = single_error(&format!("{} 40 05 02 0001", mandatory()), &cx);
    assert_eq!(e.action, AttrAction::AttributeDiscard);
}

#[test]
fn atomic_aggregate_with_a_value_is_attribute_discard() {
    let e = single_error(
        &format!("{} 40 06 01 00", mandatory()),
        &Negotiated::default(),
    );
    assert_eq!(
        (e.action, code(&e.error)),
        (AttrAction::AttributeDiscard, (3, 5))
    );
}

#[test]
fn malformed_aggregator_is_attribute_discard() {
    let e = single_error(
        &format!("{} c0 07 08 0000fde9 0a000001", mandatory()),
        &Negotiated::default(),
    );
    assert_eq!(e.action, AttrAction::AttributeDiscard);
    let update = Update::decode(
        body(
            "",
            &format!("{} c0 07 08 0000fde9 0a000001", mandatory()),
            NLRI,
        ),
        &Negotiated::default(),
    )
    .expect("decodes");
    assert!(update.treat_as_withdraw().is_none());
    assert_eq!(update.announced().count(), 1);
    assert_eq!(update.attributes.len(), 3, "discarded");
}

#[test]
fn malformed_communities_are_treat_as_withdraw() {
    for attribute in ["c0 08 03 000001", "c0 08 00"] {
        let e = single_error(
            &format!("{} {attribute}", mandatory()),
            &Negotiated::default(),
        );
        assert_eq!(e.action, AttrAction::TreatAsWithdraw);
    }
}

#[test]
fn malformed_extended_communities_are_treat_as_withdraw() {
    let e = single_error(
        &format!("{} c0 10 04 00000001", mandatory()),
        &Negotiated::default(),
    );
    assert_eq!(e.action, AttrAction::TreatAsWithdraw);
}

#[test]
fn malformed_large_communities_are_treat_as_withdraw() {
    let e = single_error(
        &format!("{} c0 20 08 0000000100000002", mandatory()),
        &Negotiated::default(),
    );
    assert_eq!(e.action, AttrAction::TreatAsWithdraw);
}

#[test]
fn malformed_originator_id_and_cluster_list_from_ibgp_are_treat_as_withdraw() {
    let cx = Negotiated::default();
    let e = single_error(&format!("{} 80 09 03 0a0000", mandatory()), &cx);
    assert_eq!(e.action, AttrAction::TreatAsWithdraw);
    let e = single_error(&format!("{} 80 0a 05 0a00000001", mandatory()), &cx);
    assert_eq!(e.action, AttrAction::TreatAsWithdraw);
}

#[test]
fn malformed_originator_id_from_ebgp_is_attribute_discard() {
    let cx = Negotiated {
        external: true,
        ..Negotiated::default()
    };
    let e = single_error(&format!("{} 80 09 03 0a0000", mandatory()), &cx);
    assert_eq!(e.action, AttrAction::AttributeDiscard);
}

#[test]
fn malformed_as4_path_is_attribute_discard() {
    let e = single_error(
        &format!("{} c0 11 03 02 01 00", mandatory()),
        &Negotiated::default(),
    );
    assert_eq!(e.action, AttrAction::AttributeDiscard);
}

#[test]
fn malformed_mp_reach_is_session_reset_and_notification_3_9() {
    let attributes = format!("80 0e 06 0002 01 01 00 00 {ORIGIN} {AS_PATH}");
    let error = Update::decode(body("", &attributes, ""), &Negotiated::default())
        .expect_err("session reset");
    assert_eq!(code(&error), (3, 9));
    assert_eq!(
        error.notification().data,
        bytes("80 0e 06 0002 01 01 00 00")
    );
}

#[test]
fn malformed_mp_unreach_is_session_reset() {
    let error = Update::decode(
        body("", "80 0f 05 0002 01 40 20", ""),
        &Negotiated::default(),
    )
    .expect_err("session reset");
    assert_eq!(code(&error), (3, 9));
}

#[test]
fn duplicate_mp_reach_is_session_reset_and_notification_3_1() {
    let eor = "80 0f 03 0002 01";
    let error = Update::decode(
        body("", &format!("{eor} {eor}"), ""),
        &Negotiated::default(),
    )
    .expect_err("session reset");
    assert_eq!(code(&error), (3, 1));
}

#[test]
fn duplicate_attribute_keeps_the_first_and_discards_the_rest() {
    let update = Update::decode(
        body(
            "",
            &format!("{} 80 04 04 00000001 80 04 04 00000002", mandatory()),
            NLRI,
        ),
        &Negotiated::default(),
    )
    .expect("decodes");
    assert_eq!(update.attributes[3].value, AttrValue::MultiExitDisc(1));
    assert_eq!(update.attributes.len(), 4);
    assert_eq!(update.errors.len(), 1);
    assert_eq!(update.errors[0].action, AttrAction::AttributeDiscard);
    assert!(update.treat_as_withdraw().is_none());
}

#[test]
fn missing_well_known_attribute_with_nlri_is_treat_as_withdraw_and_notification_3_3() {
    let e = single_error(&format!("{ORIGIN} {NEXT_HOP}"), &Negotiated::default());
    assert_eq!(
        (e.action, code(&e.error)),
        (AttrAction::TreatAsWithdraw, (3, 3))
    );
    assert_eq!(e.error.notification().data, bytes("02"));
}

#[test]
fn missing_next_hop_is_fine_when_only_mp_reach_announces() {
    let mp = "80 0e 1c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001";
    let update = Update::decode(
        body("", &format!("{mp} {ORIGIN} {AS_PATH}"), ""),
        &Negotiated::default(),
    )
    .expect("decodes");
    assert_eq!(update.errors, vec![]);
}

#[test]
fn withdrawal_only_update_needs_no_attributes() {
    let update =
        Update::decode(body("18 0a0001", "", ""), &Negotiated::default()).expect("decodes");
    assert_eq!(update.errors, vec![]);
    assert_eq!(update.withdrawals().count(), 1);
}

#[test]
fn attribute_flags_error_is_treat_as_withdraw_and_notification_3_4() {
    // ORIGIN marked optional.
    let e = single_error(
        &format!("c0 01 01 00 {AS_PATH} {NEXT_HOP}"),
        &Negotiated::default(),
    );
    assert_eq!(
        (e.action, code(&e.error)),
        (AttrAction::TreatAsWithdraw, (3, 4))
    );
    assert_eq!(e.error.notification().data, bytes("c0 01 01 00"));
}

#[test]
fn mp_reach_flags_error_is_session_reset() {
    let error = Update::decode(body("", "c0 0f 03 0002 01", ""), &Negotiated::default())
        .expect_err("session reset");
    assert_eq!(code(&error), (3, 4));
}

#[test]
fn unrecognized_well_known_attribute_is_session_reset_and_notification_3_2() {
    let error = Update::decode(
        body("", &format!("{} 40 63 01 aa", mandatory()), NLRI),
        &Negotiated::default(),
    )
    .expect_err("session reset");
    assert_eq!(code(&error), (3, 2));
    assert_eq!(error.notification().data, bytes("40 63 01 aa"));
}

#[test]
fn attribute_overrunning_the_attribute_field_is_treat_as_withdraw() {
    // MED claims 8 octets with 4 left; the NLRI field still parses.
    let e = single_error(
        &format!("{} 80 04 08 00000001", mandatory()),
        &Negotiated::default(),
    );
    assert_eq!(
        (e.action, code(&e.error)),
        (AttrAction::TreatAsWithdraw, (3, 5))
    );
    let e = single_error(&format!("{} 80 04", mandatory()), &Negotiated::default());
    assert_eq!(e.action, AttrAction::TreatAsWithdraw);
}

#[test]
fn mp_reach_overrunning_the_attribute_field_is_session_reset() {
    let error = Update::decode(body("", "80 0e 20 0002 01", ""), &Negotiated::default())
        .expect_err("session reset");
    assert_eq!(code(&error), (3, 5));
}

#[test]
fn total_attribute_length_overrunning_the_message_is_session_reset_and_notification_3_1() {
    let error = Update::decode(bytes("0000 0010 400101"), &Negotiated::default())
        .expect_err("session reset");
    assert_eq!(code(&error), (3, 1));
    let error = Update::decode(bytes("0005 18"), &Negotiated::default()).expect_err("overrun");
    assert_eq!(code(&error), (3, 1));
}

#[test]
fn bad_prefix_in_nlri_field_is_session_reset_and_notification_3_10() {
    let error = Update::decode(
        body("", &mandatory(), "21 0a000001 00"),
        &Negotiated::default(),
    )
    .expect_err("session reset");
    assert_eq!(code(&error), (3, 10));
    let error = Update::decode(body("19 0a0000", "", ""), &Negotiated::default())
        .expect_err("session reset");
    assert_eq!(code(&error), (3, 10));
}

#[test]
fn update_serializes_to_json_with_prefix_strings() {
    let update =
        Update::decode(body("", &mandatory(), NLRI), &Negotiated::default()).expect("decodes");
    let json = serde_json::to_string(&update).expect("json");
    assert!(json.contains(r#""prefix":"10.0.1.0/24""#), "{json}");
    assert!(json.contains(r#""next_hop":"192.0.2.1""#), "{json}");
    assert!(
        json.contains(r#""as_path":[{"type":"sequence","asns":[65001]}]"#),
        "{json}"
    );
}
