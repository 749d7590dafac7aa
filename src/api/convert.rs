//! Pure conversions from rib and config values to GoBGP v3 API messages.
//!
//! Paths carry both encodings the Go CLI reads: `nlri` / `pattrs` as `Any`
//! messages (`IPAddressPrefix`, `*Attribute`) and `nlri_binary` /
//! `pattrs_binary` as wire bytes (one whole attribute each, 4-octet ASNs,
//! the next hop as NEXT_HOP for IPv4 or MP_REACH_NLRI otherwise). The CLI
//! prefers the binary fields; other clients get the typed messages.

use std::net::IpAddr;
use std::time::SystemTime;

use bytes::{BufMut, BytesMut};
use ipnet::IpNet;
use prost_types::{Any, Timestamp};

use super::proto;
use crate::rib::query::Route;
use crate::wire::bgp::{
    mp, nlri, AttrFlags, AttrValue, Negotiated, NextHop, Nlri, Origin, PathAttribute, SegmentType,
};
use crate::wire::{Afi, Family};

/// `family` as the API's message.
pub fn family(family: Family) -> proto::Family {
    let afi = if family.afi == Afi::Ipv6 {
        proto::family::Afi::Ip6
    } else {
        proto::family::Afi::Ip
    };
    proto::Family {
        afi: afi as i32,
        safi: proto::family::Safi::Unicast as i32,
    }
}

/// The family an API request names: IPv4 or IPv6 unicast (`None` for any
/// other); an absent family is IPv4 unicast, as gobgpd.
pub fn family_from(family: Option<&proto::Family>) -> Option<Family> {
    let Some(f) = family else {
        return Some(Family::IPV4_UNICAST);
    };
    if f.safi != proto::family::Safi::Unicast as i32 {
        return None;
    }
    match proto::family::Afi::try_from(f.afi) {
        Ok(proto::family::Afi::Ip) => Some(Family::IPV4_UNICAST),
        Ok(proto::family::Afi::Ip6) => Some(Family::IPV6_UNICAST),
        _ => None,
    }
}

/// A wall-clock time as a protobuf timestamp.
pub fn timestamp(at: SystemTime) -> Timestamp {
    let since = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(since.subsec_nanos()).unwrap_or(0),
    }
}

fn any<M: prost::Name>(message: &M) -> Any {
    Any::from_msg(message).expect("encoding into a Vec cannot fail")
}

fn prefix_message(prefix: &IpNet) -> proto::IpAddressPrefix {
    proto::IpAddressPrefix {
        prefix_len: u32::from(prefix.prefix_len()),
        prefix: prefix.network().to_string(),
    }
}

/// One rib path as an API path.
pub fn path(route: &Route, family_of: Family, now: SystemTime) -> proto::Path {
    let mut nlri_binary = BytesMut::new();
    nlri::encode_one(&Nlri::new(route.prefix), false, &mut nlri_binary);
    let (pattrs, pattrs_binary) = attributes(route, family_of);
    let source = route.source.as_ref();
    proto::Path {
        nlri: Some(any(&prefix_message(&route.prefix))),
        pattrs,
        age: Some(timestamp(source.map_or(now, |s| s.since))),
        best: route.best,
        family: Some(family(family_of)),
        source_asn: source.map_or(0, |s| s.asn),
        source_id: source.map_or_else(String::new, |s| s.router_id.to_string()),
        filtered: route.filtered,
        stale: route.stale,
        is_from_external: source.is_some_and(|s| s.external),
        neighbor_ip: source.map_or_else(String::new, |s| s.address.to_string()),
        identifier: route.path_id,
        local_identifier: route.path_id,
        nlri_binary: nlri_binary.to_vec(),
        pattrs_binary,
        ..Default::default()
    }
}

/// The attributes as `Any` messages and as wire attributes, in type order
/// with the next hop in its place.
fn attributes(route: &Route, family_of: Family) -> (Vec<Any>, Vec<Vec<u8>>) {
    let cx = Negotiated {
        four_octet_as: true,
        ..Negotiated::default()
    };
    let mut typed = Vec::new();
    let mut binary = Vec::new();
    let next_hop = route.attrs.next_hop().copied();
    let mut next_hop_pending = next_hop.is_some();
    let attributes = route.attrs.attributes();
    for attribute in attributes.iter() {
        let type_code = attribute.type_code();
        if next_hop_pending && type_code > 3 {
            if let Some(nh) = next_hop {
                push_next_hop(&route.prefix, nh, family_of, &mut typed, &mut binary);
            }
            next_hop_pending = false;
        }
        let mut wire = BytesMut::new();
        if attribute.encode(&mut wire, &cx).is_err() {
            continue;
        }
        typed.push(typed_attribute(attribute, &wire));
        binary.push(wire.to_vec());
    }
    if next_hop_pending {
        if let Some(nh) = next_hop {
            push_next_hop(&route.prefix, nh, family_of, &mut typed, &mut binary);
        }
    }
    (typed, binary)
}

fn push_next_hop(
    prefix: &IpNet,
    next_hop: NextHop,
    family_of: Family,
    typed: &mut Vec<Any>,
    binary: &mut Vec<Vec<u8>>,
) {
    if let (NextHop::V4(addr), true) = (next_hop, family_of == Family::IPV4_UNICAST) {
        typed.push(any(&proto::NextHopAttribute {
            next_hop: addr.to_string(),
        }));
        let mut wire = vec![AttrFlags::TRANSITIVE, 3, 4];
        wire.extend_from_slice(&addr.octets());
        binary.push(wire);
        return;
    }
    let mut value = BytesMut::new();
    mp::encode_header(family_of, &next_hop, &mut value);
    nlri::encode_one(&Nlri::new(*prefix), false, &mut value);
    let next_hops = match next_hop {
        NextHop::V4(addr) => vec![addr.to_string()],
        NextHop::V6 { global, link_local } => std::iter::once(global)
            .chain(link_local)
            .map(|a| a.to_string())
            .collect(),
    };
    typed.push(any(&proto::MpReachNlriAttribute {
        family: Some(family(family_of)),
        next_hops,
        nlris: vec![any(&prefix_message(prefix))],
    }));
    binary.push(wire_attribute(AttrFlags::OPTIONAL, 14, &value));
}

fn wire_attribute(flags: u8, type_code: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 4);
    if let Ok(len) = u8::try_from(value.len()) {
        out.extend_from_slice(&[flags & !AttrFlags::EXTENDED_LENGTH, type_code, len]);
    } else {
        let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&[flags | AttrFlags::EXTENDED_LENGTH, type_code]);
        out.put_u16(len);
    }
    out.extend_from_slice(value);
    out
}

/// The typed message of one attribute; `wire` is its encoding (for
/// `UnknownAttribute`).
fn typed_attribute(attribute: &PathAttribute, wire: &[u8]) -> Any {
    match &attribute.value {
        AttrValue::Origin(origin) => any(&proto::OriginAttribute {
            origin: match origin {
                Origin::Igp => 0,
                Origin::Egp => 1,
                Origin::Incomplete => 2,
            },
        }),
        AttrValue::AsPath(path) => any(&proto::AsPathAttribute {
            segments: path
                .segments
                .iter()
                .map(|s| proto::AsSegment {
                    r#type: match s.kind {
                        SegmentType::Set => 1,
                        SegmentType::Sequence => 2,
                        SegmentType::ConfedSequence => 3,
                        SegmentType::ConfedSet => 4,
                    },
                    numbers: s.asns.clone(),
                })
                .collect(),
        }),
        AttrValue::NextHop(addr) => any(&proto::NextHopAttribute {
            next_hop: addr.to_string(),
        }),
        AttrValue::MultiExitDisc(med) => any(&proto::MultiExitDiscAttribute { med: *med }),
        AttrValue::LocalPref(local_pref) => any(&proto::LocalPrefAttribute {
            local_pref: *local_pref,
        }),
        AttrValue::AtomicAggregate => any(&proto::AtomicAggregateAttribute {}),
        AttrValue::Aggregator(aggregator) => any(&proto::AggregatorAttribute {
            asn: aggregator.asn,
            address: aggregator.address.to_string(),
        }),
        AttrValue::Communities(communities) => any(&proto::CommunitiesAttribute {
            communities: communities.iter().map(|c| c.0).collect(),
        }),
        AttrValue::OriginatorId(id) => any(&proto::OriginatorIdAttribute { id: id.to_string() }),
        AttrValue::ClusterList(ids) => any(&proto::ClusterListAttribute {
            ids: ids.iter().map(ToString::to_string).collect(),
        }),
        AttrValue::LargeCommunities(communities) => any(&proto::LargeCommunitiesAttribute {
            communities: communities
                .iter()
                .map(|c| proto::LargeCommunity {
                    global_admin: c.global_admin,
                    local_data1: c.local_data_1,
                    local_data2: c.local_data_2,
                })
                .collect(),
        }),
        _ => {
            let header = if attribute.flags.0 & AttrFlags::EXTENDED_LENGTH != 0 {
                4
            } else {
                3
            };
            any(&proto::UnknownAttribute {
                flags: u32::from(attribute.flags.0),
                r#type: u32::from(attribute.type_code()),
                value: wire.get(header..).unwrap_or_default().to_vec(),
            })
        }
    }
}

/// A listing's prefix filter: the prefixes (or addresses, matched by
/// longest prefix) a `ListPath` names, checked against a route.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// The exact prefix; an address finds the longest prefix holding it.
    Exact(IpNet),
    /// The address: the longest prefix holding it.
    Address(IpAddr),
    /// The prefix and every more specific one.
    Longer(IpNet),
    /// The prefix and every less specific one.
    Shorter(IpNet),
}

impl Lookup {
    /// Parses one `TableLookupPrefix`.
    pub fn parse(lookup: &proto::TableLookupPrefix) -> Result<Lookup, String> {
        use proto::table_lookup_prefix::Type;
        let text = lookup.prefix.trim();
        let kind = Type::try_from(lookup.r#type).unwrap_or(Type::Exact);
        if let Ok(prefix) = text.parse::<IpNet>() {
            let prefix = prefix.trunc();
            return Ok(match kind {
                Type::Exact => Lookup::Exact(prefix),
                Type::Longer => Lookup::Longer(prefix),
                Type::Shorter => Lookup::Shorter(prefix),
            });
        }
        match text.parse::<IpAddr>() {
            Ok(addr) => Ok(match kind {
                Type::Exact => Lookup::Address(addr),
                Type::Longer => Lookup::Longer(IpNet::from(addr)),
                Type::Shorter => Lookup::Shorter(IpNet::from(addr)),
            }),
            Err(_) => Err(format!("invalid prefix: {text:?}")),
        }
    }
}

/// Keeps the routes the lookups select (all when there is none).
pub fn select(routes: Vec<Route>, lookups: &[Lookup]) -> Vec<Route> {
    if lookups.is_empty() {
        return routes;
    }
    let mut keep = vec![false; routes.len()];
    for lookup in lookups {
        match lookup {
            Lookup::Exact(prefix) => mark(&routes, &mut keep, |p| p == prefix),
            Lookup::Longer(prefix) => mark(&routes, &mut keep, |p| prefix.contains(p)),
            Lookup::Shorter(prefix) => mark(&routes, &mut keep, |p| p.contains(prefix)),
            Lookup::Address(addr) => {
                let longest = routes
                    .iter()
                    .filter(|r| r.prefix.contains(addr))
                    .map(|r| r.prefix.prefix_len())
                    .max();
                if let Some(len) = longest {
                    mark(&routes, &mut keep, |p| {
                        p.prefix_len() == len && p.contains(addr)
                    });
                }
            }
        }
    }
    routes
        .into_iter()
        .zip(keep)
        .filter_map(|(r, k)| k.then_some(r))
        .collect()
}

fn mark(routes: &[Route], keep: &mut [bool], matches: impl Fn(&IpNet) -> bool) {
    for (route, keep) in routes.iter().zip(keep.iter_mut()) {
        if matches(&route.prefix) {
            *keep = true;
        }
    }
}
