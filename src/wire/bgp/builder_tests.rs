//! Builder: minimal packing, size limits, and decode back to the input.

use std::net::Ipv4Addr;

use super::*;
use crate::wire::bgp::aspath::AsPath;
use crate::wire::bgp::attr::Origin;
use crate::wire::bgp::community::Community;
use crate::wire::bgp::{Message, MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN};

fn attributes() -> Vec<PathAttribute> {
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![
            65001, 65002, 65003,
        ]))),
        PathAttribute::new(AttrValue::MultiExitDisc(10)),
        PathAttribute::new(AttrValue::Communities(vec![Community::new(65001, 1)])),
    ]
}

fn slash24s(n: u32) -> Vec<Nlri> {
    (0..n)
        .map(|i| {
            let addr = Ipv4Addr::from(0x0a00_0000 + (i << 8));
            Nlri::new(ipnet::IpNet::V4(
                ipnet::Ipv4Net::new(addr, 24).expect("valid"),
            ))
        })
        .collect()
}

fn slash48s(n: u32) -> Vec<Nlri> {
    (0..n)
        .map(|i| {
            let addr = std::net::Ipv6Addr::from(0x2001_0db8_0000u128 << 80 | u128::from(i) << 80);
            Nlri::new(ipnet::IpNet::V6(
                ipnet::Ipv6Net::new(addr, 48).expect("valid"),
            ))
        })
        .collect()
}

/// Decodes every message and returns the prefixes in order, checking
/// sizes.
fn decode_all(messages: &[Bytes], cx: &Negotiated, max: usize, withdrawn: bool) -> Vec<Nlri> {
    let mut out = Vec::new();
    for msg in messages {
        assert!(msg.len() <= max, "{} > {max}", msg.len());
        let Message::Update(update) = Message::decode(msg.clone(), cx).expect("decodes") else {
            panic!("not an UPDATE");
        };
        assert_eq!(update.errors, vec![]);
        if withdrawn {
            out.extend(update.withdrawals().map(|(_, n)| *n));
        } else {
            out.extend(update.announced().map(|(_, n)| *n));
        }
    }
    out
}

#[test]
fn packing_10000_slash24s_uses_the_minimal_number_of_4096_octet_messages() {
    let cx = Negotiated::default();
    let prefixes = slash24s(10_000);
    let next_hop = NextHop::V4(Ipv4Addr::new(192, 0, 2, 1));
    let messages = announce(
        &attributes(),
        Family::IPV4_UNICAST,
        &next_hop,
        &prefixes,
        &cx,
    )
    .expect("fits");
    // Fixed part: header 19 + 4 length octets + the attributes.
    let mut encoded = BytesMut::new();
    for a in &attributes() {
        a.encode(&mut encoded, &cx).expect("encodes");
    }
    let fixed = 19 + 4 + encoded.len() + 7; // + NEXT_HOP
    let per_message = (MAX_MESSAGE_LEN - fixed) / 4;
    assert_eq!(messages.len(), 10_000usize.div_ceil(per_message));
    assert_eq!(decode_all(&messages, &cx, MAX_MESSAGE_LEN, false), prefixes);
    let Message::Update(first) = Message::decode(messages[0].clone(), &cx).expect("decodes") else {
        panic!("not an UPDATE");
    };
    assert!(first.attribute(AttrType::NextHop).is_some());
}

#[test]
fn packing_with_extended_message_stays_within_65535() {
    let cx = Negotiated {
        extended_message: true,
        ..Negotiated::default()
    };
    let prefixes = slash24s(10_000);
    let next_hop = NextHop::V4(Ipv4Addr::new(192, 0, 2, 1));
    let messages = announce(
        &attributes(),
        Family::IPV4_UNICAST,
        &next_hop,
        &prefixes,
        &cx,
    )
    .expect("fits");
    assert_eq!(messages.len(), 1);
    assert_eq!(
        decode_all(&messages, &cx, MAX_EXTENDED_MESSAGE_LEN, false),
        prefixes
    );
    let many = slash24s(40_000);
    let messages =
        announce(&attributes(), Family::IPV4_UNICAST, &next_hop, &many, &cx).expect("fits");
    assert_eq!(messages.len(), 3);
    assert_eq!(
        decode_all(&messages, &cx, MAX_EXTENDED_MESSAGE_LEN, false),
        many
    );
}

#[test]
fn ipv6_prefixes_go_in_mp_reach_and_decode_back() {
    let mut cx = Negotiated::default();
    cx.add_path_send.insert(Family::IPV6_UNICAST);
    cx.add_path_receive.insert(Family::IPV6_UNICAST);
    let prefixes: Vec<Nlri> = slash48s(3000)
        .into_iter()
        .enumerate()
        .map(|(i, n)| Nlri {
            path_id: Some(i as u32),
            ..n
        })
        .collect();
    let next_hop = NextHop::V6 {
        global: "2001:db8::1".parse().expect("addr"),
        link_local: Some("fe80::1".parse().expect("addr")),
    };
    let messages = announce(
        &attributes(),
        Family::IPV6_UNICAST,
        &next_hop,
        &prefixes,
        &cx,
    )
    .expect("fits");
    assert_eq!(decode_all(&messages, &cx, MAX_MESSAGE_LEN, false), prefixes);
    // 11 octets per prefix with path id; every message but the last full.
    for msg in &messages[..messages.len() - 1] {
        assert!(msg.len() > MAX_MESSAGE_LEN - 11);
    }
}

#[test]
fn ipv4_with_ipv6_next_hop_uses_mp_reach_rfc8950() {
    let cx = Negotiated::default();
    let prefixes = slash24s(10);
    let next_hop = NextHop::V6 {
        global: "2001:db8::1".parse().expect("addr"),
        link_local: None,
    };
    let messages = announce(
        &attributes(),
        Family::IPV4_UNICAST,
        &next_hop,
        &prefixes,
        &cx,
    )
    .expect("fits");
    let Message::Update(update) = Message::decode(messages[0].clone(), &cx).expect("decodes")
    else {
        panic!("not an UPDATE");
    };
    assert!(update.nlri.is_empty());
    assert_eq!(
        update.attributes[0].type_code(),
        14,
        "MP_REACH first (RFC 7606 §5.1)"
    );
    assert_eq!(decode_all(&messages, &cx, MAX_MESSAGE_LEN, false), prefixes);
}

#[test]
fn withdrawals_pack_and_decode_back() {
    let cx = Negotiated::default();
    let v4 = slash24s(5000);
    let messages = withdraw(Family::IPV4_UNICAST, &v4, &cx).expect("fits");
    assert_eq!(
        messages.len(),
        (5000usize * 4).div_ceil(MAX_MESSAGE_LEN - 23)
    );
    assert_eq!(decode_all(&messages, &cx, MAX_MESSAGE_LEN, true), v4);
    let v6 = slash48s(2000);
    let messages = withdraw(Family::IPV6_UNICAST, &v6, &cx).expect("fits");
    assert_eq!(decode_all(&messages, &cx, MAX_MESSAGE_LEN, true), v6);
}

#[test]
fn attributes_too_big_for_one_prefix_are_an_error() {
    let cx = Negotiated::default();
    let mut attrs = attributes();
    attrs.push(PathAttribute::new(AttrValue::Communities(
        (0..1020).map(|i| Community::new(65000, i)).collect(),
    )));
    let next_hop = NextHop::V4(Ipv4Addr::new(192, 0, 2, 1));
    let result = announce(&attrs, Family::IPV4_UNICAST, &next_hop, &slash24s(1), &cx);
    assert!(
        matches!(result, Err(EncodeError::AttributesTooLarge { .. })),
        "{result:?}"
    );
    // The same attributes fit with extended messages.
    let cx = Negotiated {
        extended_message: true,
        ..cx
    };
    assert!(announce(&attrs, Family::IPV4_UNICAST, &next_hop, &slash24s(1), &cx).is_ok());
}

#[test]
fn no_prefixes_make_no_messages() {
    let cx = Negotiated::default();
    let next_hop = NextHop::V4(Ipv4Addr::new(192, 0, 2, 1));
    assert_eq!(
        announce(&attributes(), Family::IPV4_UNICAST, &next_hop, &[], &cx),
        Ok(vec![])
    );
}

#[test]
fn messages_written_to_one_out_share_its_allocation_and_equal_separate_ones() {
    let cx = Negotiated::default();
    let next_hop = NextHop::V4(Ipv4Addr::new(192, 0, 2, 1));
    let v4 = slash24s(2000);
    let v6 = slash48s(10);
    let alone_v4 =
        announce(&attributes(), Family::IPV4_UNICAST, &next_hop, &v4, &cx).expect("announce");
    let alone_v6 = withdraw(Family::IPV6_UNICAST, &v6, &cx).expect("withdraw");
    let mut out = Out::with_capacity(64 << 10);
    let region = out.buf.as_ptr() as usize..out.buf.as_ptr() as usize + (64 << 10);
    announce_into(
        &mut out,
        &attributes(),
        Family::IPV4_UNICAST,
        &next_hop,
        &v4,
        &cx,
    )
    .expect("announce");
    withdraw_into(&mut out, Family::IPV6_UNICAST, &v6, &cx).expect("withdraw");
    let expected: Vec<Bytes> = alone_v4.into_iter().chain(alone_v6).collect();
    assert_eq!(out.messages, expected);
    assert!(out.messages.len() > 2);
    for message in &out.messages {
        // Inside the one buffer reserved up front, not one each.
        assert!(region.contains(&(message.as_ptr() as usize)));
        assert!(message.len() <= MAX_MESSAGE_LEN);
    }
}

#[test]
fn an_error_leaves_out_as_it_was() {
    let cx = Negotiated::default();
    let next_hop = NextHop::V4(Ipv4Addr::new(192, 0, 2, 1));
    let mut out = Out::default();
    announce_into(
        &mut out,
        &attributes(),
        Family::IPV4_UNICAST,
        &next_hop,
        &slash24s(3),
        &cx,
    )
    .expect("announce");
    let before = out.messages.clone();
    let mut big = attributes();
    big.push(PathAttribute::new(AttrValue::Communities(
        (0..1020).map(|i| Community::new(65000, i)).collect(),
    )));
    let result = announce_into(
        &mut out,
        &big,
        Family::IPV4_UNICAST,
        &next_hop,
        &slash24s(1),
        &cx,
    );
    assert!(matches!(
        result,
        Err(EncodeError::AttributesTooLarge { .. })
    ));
    assert_eq!(out.messages, before);
    assert!(out.buf.is_empty());
}
