//! proptest strategies for every BMP message, and the round-trip
//! properties `decode(encode(m)) == m` they drive.
//!
//! Raw (`Other`/`Unknown`) arms are generated only with code points that
//! have no typed arm, since a known code decodes to its typed arm.

use std::net::Ipv4Addr;

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;

use super::*;
use crate::wire::Family;

/// A whole BGP message with a valid header length and arbitrary content.
fn bgp_pdu(max_body: usize) -> impl Strategy<Value = Bytes> {
    (any::<u8>(), vec(any::<u8>(), 0..max_body)).prop_map(|(kind, body)| {
        let mut pdu = vec![0xff; 16];
        let len = u16::try_from(19 + body.len()).expect("max_body keeps it small");
        pdu.extend_from_slice(&len.to_be_bytes());
        pdu.push(kind);
        pdu.extend_from_slice(&body);
        Bytes::from(pdu)
    })
}

fn raw(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 .:é✓-]{0,16}"
}

fn per_peer_header() -> impl Strategy<Value = PerPeerHeader> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<[u8; 8]>(),
        any::<[u8; 16]>(),
        any::<u32>(),
        any::<[u8; 4]>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(kind, flags, rd, address, asn, id, seconds, micros)| PerPeerHeader {
                peer_type: kind.into(),
                flags: PeerFlags(flags),
                distinguisher: rd,
                peer_address: address,
                peer_as: asn,
                bgp_id: Ipv4Addr::from(id),
                timestamp_seconds: seconds,
                timestamp_micros: micros,
            },
        )
}

fn peer_info_tlv() -> impl Strategy<Value = PeerInfoTlv> {
    prop_oneof![
        text().prop_map(PeerInfoTlv::String),
        text().prop_map(PeerInfoTlv::VrfTableName),
        text().prop_map(PeerInfoTlv::AdminLabel),
        (prop_oneof![1..=2u16, 5..=u16::MAX], raw(8))
            .prop_map(|(tlv_type, value)| PeerInfoTlv::Other { tlv_type, value }),
    ]
}

fn route_monitoring() -> impl Strategy<Value = Message> {
    (per_peer_header(), bgp_pdu(64))
        .prop_map(|(peer, update)| Message::RouteMonitoring(RouteMonitoring { peer, update }))
}

fn stat() -> impl Strategy<Value = Stat> {
    let counters = prop::sample::select(vec![0u16, 1, 2, 3, 4, 5, 6, 11, 12, 13]);
    let gauges = prop::sample::select(vec![7u16, 8, 14, 15]);
    let families = prop::sample::select(vec![9u16, 10, 16, 17]);
    prop_oneof![
        (counters, any::<u32>()).prop_map(|(t, n)| Stat {
            stat_type: t.into(),
            value: StatValue::Counter(n)
        }),
        (gauges, any::<u64>()).prop_map(|(t, n)| Stat {
            stat_type: t.into(),
            value: StatValue::Gauge(n)
        }),
        (families, any::<u16>(), any::<u8>(), any::<u64>()).prop_map(|(t, afi, safi, n)| Stat {
            stat_type: t.into(),
            value: StatValue::FamilyGauge {
                family: Family::new(afi, safi),
                value: n
            },
        }),
        (18..=u16::MAX, raw(12)).prop_map(|(t, data)| Stat {
            stat_type: t.into(),
            value: StatValue::Raw(data)
        }),
    ]
}

fn statistics_report() -> impl Strategy<Value = Message> {
    (per_peer_header(), vec(stat(), 0..8))
        .prop_map(|(peer, stats)| Message::StatisticsReport(StatisticsReport { peer, stats }))
}

fn peer_down() -> impl Strategy<Value = Message> {
    let reason = prop_oneof![
        bgp_pdu(8).prop_map(PeerDownReason::LocalNotification),
        Just(PeerDownReason::LocalNotification(Bytes::new())),
        any::<Option<u16>>().prop_map(PeerDownReason::LocalFsmEvent),
        bgp_pdu(8).prop_map(PeerDownReason::RemoteNotification),
        Just(PeerDownReason::RemoteNoData),
        Just(PeerDownReason::Deconfigured),
        vec(peer_info_tlv(), 0..4).prop_map(PeerDownReason::LocalTlv),
        (prop_oneof![Just(0u8), 7..=u8::MAX], raw(8))
            .prop_map(|(code, data)| PeerDownReason::Unknown(code, data)),
    ];
    (per_peer_header(), reason)
        .prop_map(|(peer, reason)| Message::PeerDown(PeerDown { peer, reason }))
}

fn peer_up() -> impl Strategy<Value = Message> {
    (
        per_peer_header(),
        any::<[u8; 16]>(),
        any::<u16>(),
        any::<u16>(),
        bgp_pdu(32),
        bgp_pdu(32),
        vec(peer_info_tlv(), 0..4),
    )
        .prop_map(
            |(peer, local, local_port, remote_port, sent, received, information)| {
                Message::PeerUp(PeerUp {
                    peer,
                    local_address: local,
                    local_port,
                    remote_port,
                    sent_open: sent,
                    received_open: received,
                    information,
                })
            },
        )
}

fn initiation() -> impl Strategy<Value = Message> {
    let tlv = prop_oneof![
        text().prop_map(InitiationTlv::String),
        text().prop_map(InitiationTlv::SysDescr),
        text().prop_map(InitiationTlv::SysName),
        (3..=u16::MAX, raw(8))
            .prop_map(|(tlv_type, value)| InitiationTlv::Other { tlv_type, value }),
    ];
    vec(tlv, 0..6).prop_map(|information| Message::Initiation(Initiation { information }))
}

fn termination() -> impl Strategy<Value = Message> {
    let tlv = prop_oneof![
        text().prop_map(TerminationTlv::String),
        any::<u16>().prop_map(|code| TerminationTlv::Reason(code.into())),
        (2..=u16::MAX, raw(8))
            .prop_map(|(tlv_type, value)| TerminationTlv::Other { tlv_type, value }),
    ];
    vec(tlv, 0..6).prop_map(|information| Message::Termination(Termination { information }))
}

fn route_mirroring() -> impl Strategy<Value = Message> {
    let tlv = prop_oneof![
        raw(40).prop_map(MirrorTlv::BgpMessage),
        any::<u16>().prop_map(|code| MirrorTlv::Information(code.into())),
        (2..=u16::MAX, raw(8)).prop_map(|(tlv_type, value)| MirrorTlv::Other { tlv_type, value }),
    ];
    (per_peer_header(), vec(tlv, 0..5))
        .prop_map(|(peer, tlvs)| Message::RouteMirroring(RouteMirroring { peer, tlvs }))
}

/// Any message.
pub(super) fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        route_monitoring(),
        statistics_report(),
        peer_down(),
        peer_up(),
        initiation(),
        termination(),
        route_mirroring(),
    ]
}

fn round_trip(message: &Message) -> Result<(), TestCaseError> {
    let mut out = BytesMut::new();
    message
        .encode(&mut out)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let bytes = out.freeze();
    prop_assert_eq!(frame_len(&bytes), Ok(Some(bytes.len())));
    prop_assert_eq!(&Message::decode(bytes.clone()), &Ok(message.clone()));
    prop_assert_eq!(&Message::decode_lenient(bytes), &Ok(message.clone()));
    Ok(())
}

proptest! {
    #[test]
    fn route_monitoring_round_trips(m in route_monitoring()) { round_trip(&m)?; }

    #[test]
    fn statistics_report_round_trips(m in statistics_report()) { round_trip(&m)?; }

    #[test]
    fn peer_down_round_trips(m in peer_down()) { round_trip(&m)?; }

    #[test]
    fn peer_up_round_trips(m in peer_up()) { round_trip(&m)?; }

    #[test]
    fn initiation_round_trips(m in initiation()) { round_trip(&m)?; }

    #[test]
    fn termination_round_trips(m in termination()) { round_trip(&m)?; }

    #[test]
    fn route_mirroring_round_trips(m in route_mirroring()) { round_trip(&m)?; }

    /// Arbitrary bytes after a valid common header never panic the decoder.
    #[test]
    fn arbitrary_bodies_never_panic(kind in 0..8u8, body in vec(any::<u8>(), 0..200)) {
        let mut msg = vec![3];
        msg.extend_from_slice(&u32::try_from(6 + body.len()).expect("small").to_be_bytes());
        msg.push(kind);
        msg.extend_from_slice(&body);
        let _ = Message::decode(Bytes::from(msg));
    }

    /// Concatenated messages split back apart at `frame_len`.
    #[test]
    fn frame_len_splits_a_stream(messages in vec(message(), 1..5)) {
        let mut stream = BytesMut::new();
        for m in &messages {
            m.encode(&mut stream).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let mut decoded = Vec::new();
        while let Some(len) = frame_len(&stream).map_err(|e| TestCaseError::fail(e.to_string()))? {
            decoded.push(Message::decode(stream.split_to(len).freeze()));
        }
        prop_assert!(stream.is_empty());
        let expected: Vec<_> = messages.into_iter().map(Ok).collect();
        prop_assert_eq!(decoded, expected);
    }
}
