//! proptest strategies for every message and attribute we can build.
//! Values are generated in their canonical form (host bits clear,
//! well-formed lengths), so `decode(encode(v)) == v` must hold.

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::collection::vec;
use proptest::prelude::*;

use super::*;
use crate::wire::bgp::open::OptionalParameter;

fn raw(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

pub fn family() -> impl Strategy<Value = Family> {
    (any::<u16>(), any::<u8>()).prop_map(|(afi, safi)| Family::new(afi, safi))
}

pub fn prefix_family() -> impl Strategy<Value = Family> {
    (1u16..=2, 1u8..=2).prop_map(|(afi, safi)| Family::new(afi, safi))
}

pub fn nlri(v6: bool, add_path: bool) -> impl Strategy<Value = Nlri> {
    let path_id = if add_path {
        any::<u32>().prop_map(Some).boxed()
    } else {
        Just(None).boxed()
    };
    let prefix = if v6 {
        (any::<u128>(), 0u8..=128)
            .prop_map(|(a, l)| IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), l).expect("len <= 128")))
            .boxed()
    } else {
        (any::<u32>(), 0u8..=32)
            .prop_map(|(a, l)| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), l).expect("len <= 32")))
            .boxed()
    };
    (path_id, prefix).prop_map(|(path_id, prefix)| Nlri {
        path_id,
        prefix: prefix.trunc(),
    })
}

fn asn(four_octet: bool) -> BoxedStrategy<u32> {
    if four_octet {
        any::<u32>().boxed()
    } else {
        (0u32..=65535).boxed()
    }
}

pub fn as_path(four_octet: bool) -> impl Strategy<Value = AsPath> {
    let segment = (1u8..=4, vec(asn(four_octet), 1..8)).prop_map(|(kind, asns)| Segment {
        kind: match kind {
            1 => SegmentType::Set,
            2 => SegmentType::Sequence,
            3 => SegmentType::ConfedSequence,
            _ => SegmentType::ConfedSet,
        },
        asns,
    });
    vec(segment, 0..4).prop_map(|segments| AsPath { segments })
}

fn next_hop() -> impl Strategy<Value = NextHop> {
    prop_oneof![
        any::<u32>().prop_map(|a| NextHop::V4(Ipv4Addr::from(a))),
        (any::<u128>(), proptest::option::of(any::<u128>())).prop_map(|(g, ll)| NextHop::V6 {
            global: Ipv6Addr::from(g),
            link_local: ll.map(Ipv6Addr::from),
        }),
    ]
}

fn mp_reach(add_path: bool) -> impl Strategy<Value = MpReach> {
    let prefixes = (prefix_family(), next_hop()).prop_flat_map(move |(family, next_hop)| {
        vec(nlri(family.afi == crate::wire::Afi::Ipv6, add_path), 0..20).prop_map(move |nlri| {
            MpReach::Prefixes {
                family,
                next_hop,
                nlri,
            }
        })
    });
    let unknown =
        (3u16..=1000, raw(20), raw(30)).prop_map(|(afi, next_hop, nlri)| MpReach::Unknown {
            family: Family::new(afi, 1),
            next_hop,
            nlri,
        });
    prop_oneof![prefixes, unknown]
}

fn mp_unreach(add_path: bool) -> impl Strategy<Value = MpUnreach> {
    let prefixes = prefix_family().prop_flat_map(move |family| {
        vec(nlri(family.afi == crate::wire::Afi::Ipv6, add_path), 0..20)
            .prop_map(move |withdrawn| MpUnreach::Prefixes { family, withdrawn })
    });
    let unknown = (3u16..=1000, raw(30)).prop_map(|(afi, withdrawn)| MpUnreach::Unknown {
        family: Family::new(afi, 1),
        withdrawn,
    });
    prop_oneof![prefixes, unknown]
}

fn aggregator(four_octet: bool) -> impl Strategy<Value = Aggregator> {
    (asn(four_octet), any::<u32>()).prop_map(|(asn, a)| Aggregator {
        asn,
        address: Ipv4Addr::from(a),
    })
}

/// Optional and discretionary attributes (the mandatory ones are added by
/// [`update`]).
pub fn optional_attribute(four_octet: bool, add_path: bool) -> impl Strategy<Value = AttrValue> {
    prop_oneof![
        any::<u32>().prop_map(AttrValue::MultiExitDisc),
        any::<u32>().prop_map(AttrValue::LocalPref),
        Just(AttrValue::AtomicAggregate),
        aggregator(four_octet).prop_map(AttrValue::Aggregator),
        vec(any::<u32>().prop_map(Community), 1..10).prop_map(AttrValue::Communities),
        any::<u32>().prop_map(|a| AttrValue::OriginatorId(Ipv4Addr::from(a))),
        vec(any::<u32>().prop_map(Ipv4Addr::from), 1..5).prop_map(AttrValue::ClusterList),
        mp_reach(add_path).prop_map(AttrValue::MpReach),
        mp_unreach(add_path).prop_map(AttrValue::MpUnreach),
        vec(any::<[u8; 8]>().prop_map(ExtendedCommunity), 1..5)
            .prop_map(AttrValue::ExtendedCommunities),
        as_path(true).prop_map(AttrValue::As4Path),
        aggregator(true).prop_map(AttrValue::As4Aggregator),
        vec(
            any::<(u32, u32, u32)>().prop_map(|(g, a, b)| LargeCommunity {
                global_admin: g,
                local_data_1: a,
                local_data_2: b
            }),
            1..5
        )
        .prop_map(AttrValue::LargeCommunities),
        (100u8..=200, raw(300))
            .prop_map(|(type_code, value)| AttrValue::Unknown { type_code, value }),
    ]
}

/// The session context the strategies' values are valid in.
pub fn cx_for(four_octet: bool, add_path: bool) -> Negotiated {
    let mut cx = Negotiated {
        four_octet_as: four_octet,
        ..Negotiated::default()
    };
    if add_path {
        for family in [
            Family::IPV4_UNICAST,
            Family::IPV6_UNICAST,
            Family::new(1, 2),
            Family::new(2, 2),
        ] {
            cx.add_path_receive.insert(family);
            cx.add_path_send.insert(family);
        }
    }
    cx
}

/// An attribute with its canonical flags, sometimes with Extended Length
/// (and Partial on unknown ones) set as a peer might send them. Extended
/// Length is always set when the value needs it, as encoding does.
fn attribute(value: AttrValue, extended: bool, partial: bool, cx: &Negotiated) -> PathAttribute {
    let mut attribute = PathAttribute::new(value);
    let mut out = bytes::BytesMut::new();
    attribute
        .encode(&mut out, cx)
        .expect("generated attributes encode");
    if extended || out.len() > 258 {
        attribute.flags.0 |= AttrFlags::EXTENDED_LENGTH;
    }
    if partial {
        attribute.mark_partial();
    }
    attribute
}

/// A well-formed UPDATE: ORIGIN, AS_PATH and NEXT_HOP always present
/// (so no RFC 7606 error applies), attributes unique by type.
pub fn update(four_octet: bool, add_path: bool) -> impl Strategy<Value = Update> {
    (
        vec(nlri(false, add_path), 0..30),
        0u8..=2,
        as_path(four_octet),
        0x0100_0000u32..0xe000_0000,
        vec(
            (
                optional_attribute(four_octet, add_path),
                any::<bool>(),
                any::<bool>(),
            ),
            0..8,
        ),
        vec(nlri(false, add_path), 0..30),
    )
        .prop_map(move |(withdrawn, origin, path, next_hop, optional, nlri)| {
            let cx = cx_for(four_octet, add_path);
            let origin = [Origin::Igp, Origin::Egp, Origin::Incomplete][usize::from(origin)];
            let mut attributes = vec![
                PathAttribute::new(AttrValue::Origin(origin)),
                PathAttribute::new(AttrValue::AsPath(path)),
                PathAttribute::new(AttrValue::NextHop(Ipv4Addr::from(next_hop))),
            ];
            for (value, extended, partial) in optional {
                if attributes
                    .iter()
                    .all(|a| a.type_code() != value.type_code())
                {
                    attributes.push(attribute(value, extended, partial, &cx));
                }
            }
            Update {
                withdrawn,
                attributes,
                nlri,
                errors: Vec::new(),
            }
        })
}

pub fn capability() -> impl Strategy<Value = Capability> {
    let add_path = vec(
        (family(), any::<u8>()).prop_map(|(family, mode)| AddPathFamily {
            family,
            mode: mode.into(),
        }),
        0..5,
    );
    let gr = (0u8..16, 0u16..4096, vec((family(), any::<u8>()), 0..5)).prop_map(
        |(flags, restart_time, families)| GracefulRestart {
            flags,
            restart_time,
            families: families
                .into_iter()
                .map(|(family, flags)| GracefulRestartFamily { family, flags })
                .collect(),
        },
    );
    let llgr = vec(
        (family(), any::<u8>(), 0u32..0x0100_0000).prop_map(|(family, flags, stale_time)| {
            LongLivedGracefulRestartFamily {
                family,
                flags,
                stale_time,
            }
        }),
        0..5,
    );
    let enh = vec(
        (family(), any::<u16>()).prop_map(|(nlri_family, next_hop_afi)| ExtendedNextHop {
            nlri_family,
            next_hop_afi,
        }),
        0..5,
    );
    prop_oneof![
        (any::<u16>(), any::<u8>()).prop_map(|(a, s)| Capability::Multiprotocol(Family::new(a, s))),
        Just(Capability::RouteRefresh),
        Just(Capability::RouteRefreshCisco),
        Just(Capability::EnhancedRouteRefresh),
        Just(Capability::ExtendedMessage),
        any::<u32>().prop_map(Capability::FourOctetAs),
        add_path.prop_map(Capability::AddPath),
        gr.prop_map(Capability::GracefulRestart),
        llgr.prop_map(Capability::LongLivedGracefulRestart),
        enh.prop_map(Capability::ExtendedNextHop),
        ("[a-z0-9.-]{0,20}", "[a-z0-9.-]{0,20}").prop_map(|(hostname, domain_name)| {
            Capability::Fqdn {
                hostname,
                domain_name,
            }
        }),
        (200u8..=250, raw(20)).prop_map(|(code, value)| Capability::Unknown { code, value }),
    ]
}

pub fn open() -> impl Strategy<Value = Open> {
    let parameter = prop_oneof![
        vec(capability(), 0..4).prop_map(OptionalParameter::Capabilities),
        (3u8..=254, raw(10))
            .prop_map(|(param_type, value)| OptionalParameter::Unknown { param_type, value }),
    ];
    (
        any::<u16>(),
        any::<u16>(),
        1u32..,
        vec(parameter, 0..4),
        any::<bool>(),
    )
        .prop_map(|(my_as, hold_time, id, parameters, extended_length)| Open {
            my_as,
            hold_time,
            bgp_identifier: Ipv4Addr::from(id),
            parameters,
            extended_length,
        })
}

pub fn notification() -> impl Strategy<Value = Notification> {
    (any::<u8>(), any::<u8>(), raw(100)).prop_map(|(code, subcode, data)| Notification {
        code: ErrorCode::from_wire(code, subcode),
        data,
    })
}

pub fn route_refresh() -> impl Strategy<Value = RouteRefresh> {
    (family(), any::<u8>()).prop_map(|(family, subtype)| RouteRefresh {
        family,
        subtype: subtype.into(),
    })
}

pub fn message(four_octet: bool, add_path: bool) -> impl Strategy<Value = Message> {
    prop_oneof![
        open().prop_map(Message::Open),
        update(four_octet, add_path).prop_map(Message::Update),
        notification().prop_map(Message::Notification),
        Just(Message::Keepalive),
        route_refresh().prop_map(Message::RouteRefresh),
    ]
}
