//! Whole-message tests: header errors and their NOTIFICATIONs, framing,
//! size limits, robustness of every golden vector against truncation and
//! bit flips, and proptest round trips.

use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;

use super::update::tests::{body, bytes};
use super::*;

/// A whole message from a type and a body.
fn message(message_type: u8, body: &[u8]) -> Bytes {
    let mut out = BytesMut::new();
    out.put_slice(&[0xff; 16]);
    out.put_u16((19 + body.len()) as u16);
    out.put_u8(message_type);
    out.put_slice(body);
    out.freeze()
}

fn notification_of(msg: Bytes, cx: &Negotiated) -> (u8, u8, Bytes) {
    let n = Message::decode(msg, cx)
        .expect_err("must fail")
        .notification();
    (n.code.code(), n.code.subcode(), n.data)
}

/// Golden messages (hand-built from the RFC layouts): every type.
fn golden_messages() -> Vec<Bytes> {
    let all_attributes = "40 01 01 00  40 02 04 02 01 fde9  40 03 04 c0000201  80 04 04 00000064 \
        40 05 04 000000c8  40 06 00  c0 07 06 fde9 0a000001  c0 08 04 fde80064 \
        80 09 04 0a000002  80 0a 04 0a000003  c0 10 08 0002fde800000064 \
        c0 11 06 02 01 00010000  c0 12 08 00010000 0a000001  c0 20 0c 0000fde8 00000001 00000002 \
        c0 63 02 abcd";
    let mp = "90 0e 0046 0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00 \
        30 20010db80001 40 20010db800020000 80 20010db8000300000000000000000000";
    vec![
        message(4, &[]),
        message(1, &bytes("04 fde9 005a 0a000001 12 0208 0104 0001 0001 0200 0206 4104 0000fde9")),
        message(1, &bytes("04 fde9 005a 0a000001 ff ff 0015 02 0012 4006 c078 0001 0180 4908 04 7231 2d31 02 6c61")),
        message(2, &body("18 0a0002", all_attributes, "18 0a0001 10 0a01 20 0a020304")),
        message(2, &body("", &format!("{mp} 40 01 01 02 40 02 00"), "")),
        message(2, &body("", "80 0f 0a 0002 01 30 20010db80001", "")),
        message(2, &body("", "", "")),
        message(3, &bytes("0602 05 6d61696e74")),
        message(3, &bytes("0302 40 01 02 0000")),
        message(5, &bytes("0002 01 01")),
    ]
}

fn contexts() -> Vec<Negotiated> {
    let mut add_path = Negotiated {
        four_octet_as: true,
        ..Negotiated::default()
    };
    add_path.add_path_receive.insert(Family::IPV4_UNICAST);
    add_path.add_path_receive.insert(Family::IPV6_UNICAST);
    vec![
        Negotiated::default(),
        Negotiated {
            extended_message: true,
            ..Negotiated::default()
        },
        add_path,
    ]
}

#[test]
fn golden_messages_decode_and_re_encode_to_the_same_bytes() {
    let cx = Negotiated::default();
    for msg in golden_messages() {
        assert_eq!(
            round_trip(msg.clone(), &cx),
            Ok(msg.clone()),
            "{}",
            crate::wire::to_hex(&msg)
        );
    }
}

#[test]
fn every_truncation_and_bit_flip_of_golden_vectors_never_panics() {
    for cx in contexts() {
        for msg in golden_messages() {
            for len in 0..msg.len() {
                let cut = msg.slice(..len);
                let _ = Message::decode(cut.clone(), &cx);
                let _ = frame_len(&cut, 4096);
                // Same truncation with the header length fixed, so the
                // body decoders see it.
                if len >= 19 {
                    let patched = message(msg[18], &msg[19..len]);
                    let _ = Message::decode(patched, &cx);
                }
            }
            for bit in 0..msg.len() * 8 {
                let mut flipped = msg.to_vec();
                flipped[bit / 8] ^= 1 << (bit % 8);
                if let Ok(m) = Message::decode(Bytes::from(flipped), &cx) {
                    let _ = m.to_bytes(&cx);
                    let _ = serde_json::to_string(&m);
                }
            }
        }
    }
}

#[test]
fn bad_marker_is_notification_1_1() {
    let mut msg = message(4, &[]).to_vec();
    msg[3] = 0;
    assert_eq!(
        notification_of(Bytes::from(msg.clone()), &Negotiated::default()),
        (1, 1, Bytes::new())
    );
    assert_eq!(
        frame_len(&msg[..5], 4096),
        Err(DecodeError::ConnectionNotSynchronized)
    );
}

#[test]
fn bad_length_is_notification_1_2_with_the_length() {
    let cx = Negotiated::default();
    // KEEPALIVE of 20 octets.
    let msg = message(4, &[0]);
    assert_eq!(notification_of(msg, &cx), (1, 2, bytes("0014")));
    // Length field disagreeing with the buffer.
    let mut msg = message(4, &[]).to_vec();
    msg.push(0);
    assert_eq!(
        notification_of(Bytes::from(msg), &cx),
        (1, 2, bytes("0013"))
    );
    // OPEN shorter than 29 octets.
    assert_eq!(
        notification_of(message(1, &[4, 0]), &cx),
        (1, 2, bytes("0015"))
    );
    // UPDATE shorter than 23, NOTIFICATION shorter than 21.
    assert_eq!(notification_of(message(2, &[0, 0]), &cx).0, 1);
    assert_eq!(
        notification_of(message(3, &[6]), &cx),
        (1, 2, bytes("0014"))
    );
}

#[test]
fn message_over_4096_without_extended_message_is_notification_1_2() {
    let big = message(2, &body("", "", &"18 0a0001 ".repeat(1100)));
    assert_eq!(big.len(), 4423);
    assert_eq!(
        notification_of(big.clone(), &Negotiated::default()),
        (1, 2, bytes("1147"))
    );
    let cx = Negotiated {
        extended_message: true,
        ..Negotiated::default()
    };
    assert!(Message::decode(big, &cx).is_ok());
}

#[test]
fn bad_type_is_notification_1_3_with_the_type() {
    assert_eq!(
        notification_of(message(9, &[]), &Negotiated::default()),
        (1, 3, bytes("09"))
    );
}

#[test]
fn keepalive_golden() {
    let msg = message(4, &[]);
    let cx = Negotiated::default();
    assert_eq!(Message::decode(msg.clone(), &cx), Ok(Message::Keepalive));
    assert_eq!(Message::Keepalive.to_bytes(&cx), Ok(msg));
}

#[test]
fn frame_len_waits_for_whole_messages_and_checks_bounds() {
    let msg = message(2, &body("", "", "18 0a0001"));
    for len in 0..msg.len() {
        assert_eq!(frame_len(&msg[..len], 4096), Ok(None), "at {len}");
    }
    assert_eq!(frame_len(&msg, 4096), Ok(Some(msg.len())));
    let mut two = msg.to_vec();
    two.extend_from_slice(&msg);
    assert_eq!(frame_len(&two, 4096), Ok(Some(msg.len())));
    let mut short = message(4, &[]).to_vec();
    short[17] = 18;
    assert_eq!(
        frame_len(&short, 4096),
        Err(DecodeError::BadMessageLength(18))
    );
    let long = message(2, &[0; 5000]);
    assert_eq!(
        frame_len(&long, 4096),
        Err(DecodeError::BadMessageLength(5019))
    );
    assert_eq!(frame_len(&long, 65535), Ok(Some(5019)));
}

#[test]
fn encoding_an_update_over_the_maximum_is_an_error_not_a_truncation() {
    let prefixes = (0..1100u32)
        .map(|i| {
            Nlri::new(
                format!("10.{}.{}.0/24", i / 256, i % 256)
                    .parse()
                    .expect("net"),
            )
        })
        .collect();
    let update = Update {
        nlri: prefixes,
        ..Update::default()
    };
    let mut out = BytesMut::from(&b"kept"[..]);
    let result = Message::Update(update.clone()).encode(&mut out, &Negotiated::default());
    assert_eq!(
        result,
        Err(EncodeError::MessageTooLong {
            length: 4423,
            max: 4096
        })
    );
    assert_eq!(&out[..], b"kept");
    let cx = Negotiated {
        extended_message: true,
        ..Negotiated::default()
    };
    assert!(Message::Update(update).encode(&mut out, &cx).is_ok());
}

#[test]
fn open_is_limited_to_4096_even_with_extended_message() {
    let capabilities = (0..300)
        .map(|_| Capability::Unknown {
            code: 200,
            value: Bytes::from_static(&[0; 20]),
        })
        .collect();
    let open = Open::new(65001, 90, Ipv4Addr::new(1, 1, 1, 1), capabilities);
    let cx = Negotiated {
        extended_message: true,
        ..Negotiated::default()
    };
    assert!(matches!(
        Message::Open(open).to_bytes(&cx),
        Err(EncodeError::MessageTooLong { max: 4096, .. })
    ));
}

#[test]
fn message_serializes_to_json() {
    let cx = Negotiated::default();
    for msg in golden_messages() {
        let m = Message::decode(msg, &cx).expect("decodes");
        let json = serde_json::to_string(&m).expect("json");
        assert!(json.starts_with('{') || json == "\"Keepalive\"", "{json}");
    }
}

use arbitrary::cx_for;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_message_round_trips(
        (four_octet, add_path, m) in (any::<bool>(), any::<bool>())
            .prop_flat_map(|(f, a)| (Just(f), Just(a), arbitrary::message(f, a)))
    ) {
        let cx = cx_for(four_octet, add_path);
        let encoded = m.to_bytes(&Negotiated { extended_message: true, ..cx.clone() });
        let encoded = encoded.expect("generated messages encode");
        let cx = Negotiated { extended_message: true, ..cx };
        prop_assert_eq!(Message::decode(encoded.clone(), &cx), Ok(m));
        prop_assert_eq!(round_trip(encoded.clone(), &cx), Ok(encoded));
    }

    #[test]
    fn every_capability_round_trips(c in arbitrary::capability()) {
        let mut out = BytesMut::new();
        c.encode(&mut out).expect("encodes");
        prop_assert_eq!(Capability::decode_all(out.freeze()), Ok(vec![c]));
    }

    #[test]
    fn every_attribute_round_trips(
        (four_octet, add_path, value) in (any::<bool>(), any::<bool>())
            .prop_flat_map(|(f, a)| (Just(f), Just(a), arbitrary::optional_attribute(f, a)))
    ) {
        let cx = cx_for(four_octet, add_path);
        let attribute = PathAttribute::new(value);
        let mut out = BytesMut::new();
        attribute.encode(&mut out, &cx).expect("encodes");
        let mut wire = out.freeze();
        let flags = wire[0];
        let type_code = wire[1];
        let header = if flags & AttrFlags::EXTENDED_LENGTH != 0 { 4 } else { 3 };
        let value = wire.split_off(header);
        prop_assert_eq!(PathAttribute::decode(flags, type_code, value, &cx).map(|a| a.value), Ok(attribute.value));
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200), t in 1u8..=5) {
        for cx in contexts() {
            let _ = Message::decode(message(t, &data), &cx);
            let _ = Update::decode(Bytes::from(data.clone()), &cx);
        }
        let _ = Open::decode(Bytes::from(data.clone()));
    }
}

fn open_with(capabilities: Vec<Capability>) -> Open {
    Open::new(65001, 90, Ipv4Addr::new(192, 0, 2, 1), capabilities)
}

fn enh(family: Family, next_hop_afi: u16) -> Capability {
    Capability::ExtendedNextHop(vec![ExtendedNextHop {
        nlri_family: family,
        next_hop_afi,
    }])
}

#[test]
fn extended_next_hop_is_negotiated_when_both_sides_announce_it() {
    let ours = open_with(vec![enh(Family::IPV4_UNICAST, 2)]);
    let theirs = open_with(vec![enh(Family::IPV4_UNICAST, 2)]);
    let cx = Negotiated::from_opens(&ours, &theirs);
    assert_eq!(
        cx.extended_next_hop,
        std::collections::BTreeSet::from([Family::IPV4_UNICAST])
    );
}

#[test]
fn extended_next_hop_announced_by_one_side_only_is_not_negotiated() {
    let ours = open_with(vec![enh(Family::IPV4_UNICAST, 2)]);
    let theirs = open_with(vec![]);
    assert!(Negotiated::from_opens(&ours, &theirs)
        .extended_next_hop
        .is_empty());
    assert!(Negotiated::from_opens(&theirs, &ours)
        .extended_next_hop
        .is_empty());
}

#[test]
fn extended_next_hop_with_an_ipv4_next_hop_afi_is_not_an_ipv6_next_hop() {
    let ours = open_with(vec![enh(Family::IPV4_UNICAST, 1)]);
    let theirs = open_with(vec![enh(Family::IPV4_UNICAST, 1)]);
    assert!(Negotiated::from_opens(&ours, &theirs)
        .extended_next_hop
        .is_empty());
}

#[test]
fn ipv4_nlri_with_an_ipv6_next_hop_round_trips_in_mp_reach() {
    let cx = Negotiated {
        extended_next_hop: std::collections::BTreeSet::from([Family::IPV4_UNICAST]),
        ..Negotiated::default()
    };
    let next_hop = NextHop::V6 {
        global: "2001:db8::1".parse().expect("ipv6"),
        link_local: None,
    };
    let prefix: ipnet::IpNet = "198.51.100.0/24".parse().expect("prefix");
    let attributes = vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![65001]))),
    ];
    let messages = builder::announce(
        &attributes,
        Family::IPV4_UNICAST,
        &next_hop,
        &[Nlri::new(prefix)],
        &cx,
    )
    .expect("encode");
    let Ok(Message::Update(update)) = Message::decode(messages[0].clone(), &cx) else {
        panic!("an UPDATE");
    };
    assert!(update.nlri.is_empty(), "IPv4 prefixes go in MP_REACH");
    let Some(MpReach::Prefixes {
        family,
        next_hop: decoded,
        nlri,
    }) = update.mp_reach()
    else {
        panic!("MP_REACH with prefixes");
    };
    assert_eq!((*family, *decoded), (Family::IPV4_UNICAST, next_hop));
    assert_eq!(nlri, &vec![Nlri::new(prefix)]);
}
