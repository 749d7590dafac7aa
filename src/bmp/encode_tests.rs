//! Monitoring items to BMP bytes, against bytes computed by hand from
//! RFC 7854 §4, RFC 9069 §4–5 and RFC 8671 §4.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};

use super::*;
use crate::config;
use crate::rib::counters::PeerCounters;
use crate::wire::bgp::Negotiated;
use crate::wire::bmp::{Message, StatValue};
use crate::wire::from_hex;

/// 1_700_000_000 s (0x6553f100) and 123_456 µs (0x0001e240).
fn at() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789)
}

const TS: &str = "6553f100 0001e240";

fn hex(text: &str) -> Vec<u8> {
    from_hex(text).expect("test hex")
}

/// OPEN, 29 octets, no parameters: My AS 65001, hold 180, id 192.0.2.1.
const SENT_OPEN: &str = "ffffffffffffffffffffffffffffffff 001d 01 04 fde9 00b4 c0000201 00";
/// OPEN, 29 octets: My AS 65002, hold 180, id 10.0.0.2.
const RECEIVED_OPEN: &str = "ffffffffffffffffffffffffffffffff 001d 01 04 fdea 00b4 0a000002 00";
/// NOTIFICATION Cease / Administrative Shutdown (6/2).
const CEASE: &str = "ffffffffffffffffffffffffffffffff 0015 03 06 02";
/// End-of-RIB for IPv4 unicast: an empty UPDATE.
const EOR: &str = "ffffffffffffffffffffffffffffffff 0017 02 0000 0000";
/// KEEPALIVE.
const KEEPALIVE: &str = "ffffffffffffffffffffffffffffffff 0013 04";

fn session(peer: IpAddr, local: IpAddr, four_octet_as: bool) -> Arc<SessionInfo> {
    let text = format!(
        "[global.config]\nas = 65001\nrouter-id = \"192.0.2.1\"\n\
         [[neighbors]]\n[neighbors.config]\nneighbor-address = \"{peer}\"\npeer-as = 65002\n"
    );
    let config = config::parse(&text, "test.toml").expect("test config");
    let neighbor = config.neighbors[0].clone();
    let mut negotiated = Negotiated {
        four_octet_as,
        external: true,
        ..Negotiated::default()
    };
    negotiated.families.insert(Family::IPV6_UNICAST);
    Arc::new(SessionInfo {
        peer,
        neighbor: Arc::new(neighbor),
        local: SocketAddr::new(local, 179),
        remote: SocketAddr::new(peer, 40000),
        local_as: 65001,
        peer_as: 65002,
        local_id: Ipv4Addr::new(192, 0, 2, 1),
        peer_id: Ipv4Addr::new(10, 0, 0, 2),
        negotiated,
        sent_open: Bytes::from(hex(SENT_OPEN)),
        received_open: Bytes::from(hex(RECEIVED_OPEN)),
        established_at: at(),
    })
}

fn v4_session() -> Arc<SessionInfo> {
    session(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        true,
    )
}

fn local() -> Local {
    Local {
        asn: 65001,
        router_id: Ipv4Addr::new(192, 0, 2, 1),
    }
}

/// Per-peer header of the IPv4 session: type 0, `flags`, no PD,
/// 192.0.2.2, AS 65002, id 10.0.0.2, the test time.
fn v4_header(flags: &str) -> String {
    format!("00 {flags} 0000000000000000 000000000000000000000000c0000202 0000fdea 0a000002 {TS}")
}

fn encoded(item: &Monitor) -> Vec<u8> {
    let mut out = BytesMut::new();
    monitor(item, &local(), &mut out).expect("encodes");
    out.to_vec()
}

#[test]
fn initiation_carries_sys_descr_then_sys_name() {
    let mut out = BytesMut::new();
    initiation("n", "d", &mut out).expect("encodes");
    assert_eq!(
        out.to_vec(),
        hex("03 00000010 04  0001 0001 64  0002 0001 6e")
    );
}

#[test]
fn termination_carries_the_reason_then_the_string() {
    let mut out = BytesMut::new();
    termination(
        TerminationReason::AdministrativelyClosed,
        Some("x"),
        &mut out,
    )
    .expect("encodes");
    assert_eq!(
        out.to_vec(),
        hex("03 00000011 05  0001 0002 0000  0000 0001 78")
    );
    let mut out = BytesMut::new();
    termination(TerminationReason::OutOfResources, None, &mut out).expect("encodes");
    assert_eq!(out.to_vec(), hex("03 0000000c 05  0001 0002 0002"));
}

#[test]
fn peer_up_has_the_real_addresses_ports_and_stored_opens() {
    let expected = format!(
        "03 0000007e 03 {} 000000000000000000000000c0000201 00b3 9c40 {SENT_OPEN} {RECEIVED_OPEN}",
        v4_header("00")
    );
    let item = Monitor::PeerUp { info: v4_session() };
    assert_eq!(encoded(&item), hex(&expected));
}

#[test]
fn peer_up_of_an_ipv4_session_on_a_dual_stack_socket_has_an_ipv4_local_address() {
    let info = session(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        "::ffff:192.0.2.1".parse().expect("literal"),
        true,
    );
    let bytes = encoded(&Monitor::PeerUp { info });
    assert_eq!(bytes[48..64], hex("000000000000000000000000c0000201")[..]);
}

#[test]
fn loc_rib_peer_up_is_type_3_with_a_fabricated_open_and_the_table_name() {
    let open = "ffffffffffffffffffffffffffffffff 0031 01 04 fde9 0000 c0000201 14 \
                02 12 01040001 0001 01040002 0001 4104 0000fde9";
    assert_eq!(loc_rib_open(&local()).to_vec(), hex(open));
    let expected = format!(
        "03 000000b0 03 03 00 0000000000000000 00000000000000000000000000000000 0000fde9 c0000201 {TS} \
         00000000000000000000000000000000 0000 0000 {open} {open} 0003 0006 676c6f62616c"
    );
    let mut out = BytesMut::new();
    loc_rib_peer_up(&local(), at(), &mut out).expect("encodes");
    assert_eq!(out.to_vec(), hex(&expected));
}

#[test]
fn peer_down_reasons_carry_their_data() {
    let info = v4_session();
    let cases = [
        (
            DownReason::LocalNotification(Bytes::from(hex(CEASE))),
            format!("00000046 02 {} 01 {CEASE}", v4_header("00")),
        ),
        (
            DownReason::LocalNoNotification(10),
            format!("00000033 02 {} 02 000a", v4_header("00")),
        ),
        (
            DownReason::RemoteNotification(Bytes::from(hex(CEASE))),
            format!("00000046 02 {} 03 {CEASE}", v4_header("00")),
        ),
        (
            DownReason::RemoteClosed,
            format!("00000031 02 {} 04", v4_header("00")),
        ),
        (
            DownReason::Deconfigured,
            format!("00000031 02 {} 05", v4_header("00")),
        ),
    ];
    for (reason, expected) in cases {
        let item = Monitor::PeerDown {
            info: info.clone(),
            reason: reason.clone(),
            at: at(),
        };
        assert_eq!(encoded(&item), hex(&format!("03 {expected}")), "{reason:?}");
    }
}

#[test]
fn route_monitoring_of_a_2_octet_ipv6_peer_post_policy_sets_v_l_and_a() {
    let info = session(
        "2001:db8::2".parse().expect("literal"),
        "2001:db8::1".parse().expect("literal"),
        false,
    );
    let item = Monitor::Route {
        peer: Some(info),
        view: View::AdjRibInPost,
        messages: vec![Bytes::from(hex(EOR)), Bytes::from(hex(EOR))],
        at: at(),
    };
    let one = format!(
        "03 00000047 00 00 e0 0000000000000000 20010db8000000000000000000000002 0000fdea 0a000002 {TS} {EOR}"
    );
    assert_eq!(encoded(&item), hex(&format!("{one} {one}")));
}

#[test]
fn route_monitoring_flags_follow_the_view_and_the_as_width() {
    let four = v4_session();
    let two = session(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        false,
    );
    let cases = [
        (View::AdjRibInPre, 0x00, 0x20),
        (View::AdjRibInPost, 0x40, 0x60),
        (View::AdjRibOutPre, 0x10, 0x30),
        (View::AdjRibOutPost, 0x50, 0x70),
    ];
    for (view, with_four, with_two) in cases {
        assert_eq!(view_flags(&four, view).0, with_four, "{view:?}");
        assert_eq!(view_flags(&two, view).0, with_two, "{view:?}");
    }
}

#[test]
fn loc_rib_route_monitoring_uses_the_loc_rib_instance_header() {
    let item = Monitor::Route {
        peer: None,
        view: View::LocRib,
        messages: vec![Bytes::from(hex(EOR))],
        at: at(),
    };
    let expected = format!(
        "03 00000047 00 03 00 0000000000000000 00000000000000000000000000000000 0000fde9 c0000201 {TS} {EOR}"
    );
    assert_eq!(encoded(&item), hex(&expected));
}

#[test]
fn a_bad_update_is_skipped_and_reported() {
    let mut bad = hex(EOR);
    bad[17] = 0x18; // length 24 over 23 octets
    let item = Monitor::Route {
        peer: Some(v4_session()),
        view: View::AdjRibInPre,
        messages: vec![Bytes::from(bad), Bytes::from(hex(EOR))],
        at: at(),
    };
    let mut out = BytesMut::new();
    assert!(monitor(&item, &local(), &mut out).is_err());
    assert_eq!(
        out.to_vec(),
        hex(&format!("03 00000047 00 {} {EOR}", v4_header("00")))
    );
}

#[test]
fn mirroring_is_byte_exact_with_information_code_0_for_errored_pdus() {
    let info = v4_session();
    let item = Monitor::Mirror {
        info: info.clone(),
        message: Bytes::from(hex(KEEPALIVE)),
        errored: true,
        at: at(),
    };
    let expected = format!(
        "03 0000004d 06 {} 0001 0002 0000 0000 0013 {KEEPALIVE}",
        v4_header("00")
    );
    assert_eq!(encoded(&item), hex(&expected));
    let item = Monitor::Mirror {
        info,
        message: Bytes::from(hex(KEEPALIVE)),
        errored: false,
        at: at(),
    };
    let expected = format!("03 00000047 06 {} 0000 0013 {KEEPALIVE}", v4_header("00"));
    assert_eq!(encoded(&item), hex(&expected));
}

#[test]
fn synced_encodes_to_nothing() {
    assert!(encoded(&Monitor::Synced).is_empty());
}

fn known_stats() -> Stats {
    let counters = PeerCounters {
        adj_rib_in: PerFamily {
            ipv4_unicast: 10,
            ipv6_unicast: 4,
        },
        loc_rib: PerFamily {
            ipv4_unicast: 7,
            ipv6_unicast: 2,
        },
        rejected: 5,
        duplicates: 6,
        unknown_withdrawals: 7,
        duplicate_updates: 2,
        as_path_loops: 3,
        cluster_list_loops: 1,
        originator_id_loops: 1,
        treat_as_withdraw_updates: 8,
        treat_as_withdraw_prefixes: (1 << 32) + 9,
    };
    Stats {
        peers: vec![PeerStats {
            info: v4_session(),
            counters,
            adj_rib_out: PerFamily {
                ipv4_unicast: 20,
                ipv6_unicast: 0,
            },
            // Five more kept back by export policy.
            adj_rib_out_pre: PerFamily {
                ipv4_unicast: 25,
                ipv6_unicast: 0,
            },
        }],
        loc_rib: PerFamily {
            ipv4_unicast: 3,
            ipv6_unicast: 1,
        },
        router_id: Ipv4Addr::new(192, 0, 2, 1),
        local_as: 65001,
    }
}

#[test]
fn loc_rib_statistics_report_bytes() {
    let stats = known_stats();
    let mut out = BytesMut::new();
    let n = statistics(
        &stats,
        Views::of(&[View::LocRib]),
        |_| false,
        at(),
        &mut out,
    )
    .expect("encodes");
    assert_eq!(n, 1);
    let expected = format!(
        "03 0000005e 01 03 00 0000000000000000 00000000000000000000000000000000 0000fde9 c0000201 {TS} \
         00000003  0008 0008 0000000000000004  000a 000b 0001 01 0000000000000003  000a 000b 0002 01 0000000000000001"
    );
    assert_eq!(out.to_vec(), hex(&expected));
}

fn values(stats: &[Stat]) -> Vec<(u16, String)> {
    stats
        .iter()
        .map(|s| {
            let value = match &s.value {
                StatValue::Counter(v) => v.to_string(),
                StatValue::Gauge(v) => v.to_string(),
                StatValue::FamilyGauge { family, value } => format!("{family}={value}"),
                StatValue::Raw(_) => "raw".to_owned(),
            };
            (u16::from(s.stat_type), value)
        })
        .collect()
}

#[test]
fn peer_statistics_follow_the_rfc_meanings_per_negotiated_family() {
    let stats = known_stats();
    let got = values(&peer_stats(
        &stats.peers[0],
        Views::of(&[View::AdjRibInPre]),
    ));
    let want: Vec<(u16, String)> = [
        (0, "5"),
        (1, "6"),
        (2, "7"),
        (3, "1"),
        (4, "3"),
        (5, "1"),
        (7, "14"),
        (8, "9"),
        (9, "ipv4-unicast=10"),
        (9, "ipv6-unicast=4"),
        (10, "ipv4-unicast=7"),
        (10, "ipv6-unicast=2"),
        (11, "8"),
        (12, "9"),
        (13, "2"),
    ]
    .iter()
    .map(|(t, v)| (*t, (*v).to_owned()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn adj_rib_out_statistics_only_when_adj_rib_out_is_monitored() {
    let stats = known_stats();
    let got = values(&peer_stats(
        &stats.peers[0],
        Views::of(&[View::AdjRibOutPost]),
    ));
    let tail: Vec<(u16, String)> = got.into_iter().skip(15).collect();
    let want: Vec<(u16, String)> = [
        (14, "25"),
        (15, "20"),
        (16, "ipv4-unicast=25"),
        (16, "ipv6-unicast=0"),
        (17, "ipv4-unicast=20"),
        (17, "ipv6-unicast=0"),
    ]
    .iter()
    .map(|(t, v)| (*t, (*v).to_owned()))
    .collect();
    assert_eq!(tail, want);
}

#[test]
fn statistics_cover_only_reported_peers_and_decode() {
    let stats = known_stats();
    let mut out = BytesMut::new();
    let n = statistics(&stats, Views::NONE, |_| true, at(), &mut out).expect("encodes");
    assert_eq!(n, 1);
    match Message::decode(out.freeze()).expect("decodes") {
        Message::StatisticsReport(report) => {
            assert_eq!(
                report.peer.address(),
                IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2))
            );
            assert_eq!(report.stats.len(), 15);
        }
        other => panic!("not a statistics report: {other:?}"),
    }
    let mut out = BytesMut::new();
    let n = statistics(&stats, Views::NONE, |_| false, at(), &mut out).expect("encodes");
    assert_eq!((n, out.len()), (0, 0));
}
