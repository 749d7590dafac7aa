//! Tests of the codec's validation rules and helpers, one rule per test,
//! over the hand-written vectors of [`golden`](super::golden).

use bytes::{Bytes, BytesMut};

use super::golden::*;
use super::*;

#[test]
fn frame_len_waits_for_the_whole_message_and_rejects_impossible_lengths() {
    assert_eq!(frame_len(&[]), Ok(None));
    assert_eq!(frame_len(&[3, 0, 0]), Ok(None));
    assert_eq!(frame_len(&[3, 0, 0, 0, 7, 4, 0]), Ok(Some(7)));
    assert_eq!(frame_len(&[3, 0, 0, 0, 8, 4, 0]), Ok(None));
    assert_eq!(
        frame_len(&[1, 0, 0, 0, 6, 4]),
        Err(DecodeError::BadVersion(1))
    );
    assert_eq!(
        frame_len(&[3, 0, 0, 0, 5, 4]),
        Err(DecodeError::BadLength(5))
    );
    assert_eq!(
        frame_len(&[3, 1, 0, 0, 1, 4]),
        Err(DecodeError::BadLength(0x0100_0001))
    );
    assert_eq!(frame_len(&[3, 1, 0, 0, 0]), Ok(None));
}

#[test]
fn unknown_message_type_is_an_error_naming_it() {
    let err = Message::decode(hex(&["03 00000006 07"]));
    assert_eq!(err, Err(DecodeError::UnknownType(7)));
    assert_eq!(
        err.map_err(|e| e.to_string()),
        Err("unknown BMP message type 7".to_owned())
    );
}

#[test]
fn decode_wants_exactly_one_message() {
    let mut two = hex(&["03 00000006 04"]).to_vec();
    two.extend_from_slice(&two.clone());
    assert_eq!(
        Message::decode(Bytes::from(two)),
        Err(DecodeError::LengthMismatch {
            header: 6,
            actual: 12
        })
    );
}

/// RFC 7854 §4.6: the body is exactly one BGP message.
#[test]
fn route_monitoring_with_trailing_or_short_pdu_is_rejected() {
    let trailing = hex(&["03 00000048 00", PEER_V4, TS, MARKER, UPDATE_EOR, "00"]);
    assert!(matches!(
        Message::decode(trailing),
        Err(DecodeError::EmbeddedPduLength { .. })
    ));
    let short = hex(&["03 00000046 00", PEER_V4, TS, MARKER, "0017 02 0000 00"]);
    assert!(matches!(
        Message::decode(short),
        Err(DecodeError::EmbeddedPduLength { .. })
    ));
    let tiny_length = hex(&["03 00000047 00", PEER_V4, TS, MARKER, "0012 02 0000 0000"]);
    assert!(matches!(
        Message::decode(tiny_length),
        Err(DecodeError::EmbeddedPduLength { .. })
    ));
}

#[test]
fn encode_route_monitoring_matches_message_encode_and_checks_the_pdu() {
    let update = hex(&[MARKER, UPDATE_10_8]);
    let mut direct = BytesMut::new();
    encode_route_monitoring(&peer_v4(), &update, &mut direct).expect("valid UPDATE");
    let mut via_message = BytesMut::new();
    rm(peer_v4(), update.clone())
        .encode(&mut via_message)
        .expect("valid UPDATE");
    assert_eq!(direct, via_message);

    let mut out = BytesMut::new();
    let cut = &update[..update.len() - 1];
    assert_eq!(
        encode_route_monitoring(&peer_v4(), cut, &mut out),
        Err(EncodeError::EmbeddedPduLength { len: cut.len() })
    );
    assert!(out.is_empty());
}

#[test]
fn known_stat_with_wrong_length_fails_strict_and_is_raw_when_lenient() {
    // Type 7 (a 64-bit gauge) sent with 4 octets: 6 + 42 + 4 + 8 = 60.
    let bytes = hex(&[
        "03 0000003c 01",
        PEER_V4,
        TS,
        "00000001",
        "0007 0004 00000005",
    ]);
    assert_eq!(
        Message::decode(bytes.clone()),
        Err(DecodeError::BadStatLength {
            stat: StatType::AdjRibInRoutes,
            len: 4
        })
    );
    let lenient = Message::decode_lenient(bytes.clone()).expect("lenient decode");
    let Message::StatisticsReport(report) = &lenient else {
        panic!("not a report")
    };
    assert_eq!(
        report.stats[0].value,
        StatValue::Raw(Bytes::from_static(&[0, 0, 0, 5]))
    );
    let mut out = BytesMut::new();
    lenient.encode(&mut out).expect("raw re-encodes");
    assert_eq!(out.freeze(), bytes);
}

#[test]
fn stat_count_must_match_the_tlvs() {
    let extra = hex(&["03 00000038 01", PEER_V4, TS, "00000000", "0000 0000"]);
    assert_eq!(Message::decode(extra), Err(DecodeError::TrailingData(4)));
    let short = hex(&["03 00000034 01", PEER_V4, TS, "00000001"]);
    assert_eq!(Message::decode(short), Err(DecodeError::Truncated));
}

#[test]
fn stat_value_of_the_wrong_shape_is_refused() {
    let report = Message::StatisticsReport(StatisticsReport {
        peer: peer_v4(),
        stats: vec![Stat {
            stat_type: StatType::LocRibRoutes,
            value: StatValue::Counter(1),
        }],
    });
    let mut out = BytesMut::from(&b"keep"[..]);
    assert_eq!(
        report.encode(&mut out),
        Err(EncodeError::StatValueMismatch {
            stat: StatType::LocRibRoutes
        })
    );
    assert_eq!(&out[..], b"keep");
}

#[test]
fn peer_down_data_must_fit_the_reason() {
    let fsm_three = hex(&["03 00000034 02", PEER_V4, TS, "02 000102"]);
    assert_eq!(
        Message::decode(fsm_three),
        Err(DecodeError::BadPeerDownData { reason: 2, len: 3 })
    );
    let deconfigured_with_data = hex(&["03 00000032 02", PEER_V4, TS, "05 00"]);
    assert_eq!(
        Message::decode(deconfigured_with_data),
        Err(DecodeError::BadPeerDownData { reason: 5, len: 1 })
    );
}

#[test]
fn peer_up_open_lengths_are_checked() {
    // The sent OPEN claims 0xff octets, more than the message holds.
    let bytes = hex(&[
        "03 0000007e 03",
        PEER_V4,
        TS,
        "00000000000000000000000000000000 0000 0000",
        MARKER,
        "00ff 01 04 fde8 005a c00002fe 00",
        MARKER,
        OPEN_SENT,
    ]);
    assert!(matches!(
        Message::decode(bytes),
        Err(DecodeError::EmbeddedPduLength { length: 0xff, .. })
    ));
    let mut bad = vectors().remove(0).2;
    if let Message::RouteMonitoring(rm) = &mut bad {
        rm.update = Bytes::from_static(&[0xff; 10]);
    }
    assert!(bad.encode(&mut BytesMut::new()).is_err());
}

#[test]
fn helpers_read_addresses_by_flags() {
    assert_eq!(peer_v4().address().to_string(), "192.0.2.1");
    assert_eq!(peer_v6_post().address().to_string(), "2001:db8::1");
    assert!(peer_v6_post().is_post_policy() && peer_v6_post().is_ipv6());
    assert!(peer_rd().is_legacy_as_path());
    assert!(peer_local().is_adj_rib_out() && peer_local().is_post_policy());
    assert!(peer_loc_rib().is_filtered() && !peer_loc_rib().is_ipv6());
    assert_eq!(peer_unknown().flags, PeerFlags(0x0f));
}

#[test]
fn json_rendering_uses_text_addresses_and_hex_pdus() {
    let (_, _, up) = vectors()
        .into_iter()
        .find(|(n, _, _)| n.starts_with("peer up with"))
        .expect("vector");
    let json = serde_json::to_value(&up).expect("serializes");
    assert_eq!(json["type"], "peer_up");
    assert_eq!(json["peer"]["address"], "192.0.2.1");
    assert_eq!(json["peer"]["bgp_id"], "192.0.2.1");
    assert_eq!(json["local_address"], "192.0.2.254");
    assert_eq!(json["information"][1]["admin_label"], "core");
    assert!(json["sent_open"].as_str().expect("hex").starts_with("ffff"));

    let (_, _, stats) = vectors()
        .into_iter()
        .find(|(n, _, _)| n.starts_with("statistics"))
        .expect("vector");
    let json = serde_json::to_value(&stats).expect("serializes");
    assert_eq!(
        json["stats"][9]["value"]["family_gauge"]["family"],
        "ipv4-unicast"
    );
    assert_eq!(json["stats"][18]["stat_type"]["unknown"], 65531);

    let json = serde_json::to_value(rm(peer_loc_rib(), Bytes::new())).expect("serializes");
    assert_eq!(json["peer"]["flag_names"], serde_json::json!(["filtered"]));
    assert_eq!(json["peer"]["peer_type"], "loc_rib");
}
