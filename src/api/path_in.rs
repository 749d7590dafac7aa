//! Paths a client sends (AddPath, DeletePath) read into a prefix and the
//! rib's attribute set: the `Any` messages the Go CLI sends (verified
//! against `gobgp global rib add`), or `nlri_binary` for the prefix.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use ipnet::IpNet;
use prost_types::Any;
use tonic::Status;

use super::proto;
use crate::rib::attrs::PathAttrs;
use crate::wire::bgp::{
    nlri, Aggregator, AsPath, AttrFlags, AttrValue, Community, LargeCommunity, NextHop, Origin,
    PathAttribute, Segment, SegmentType,
};
use crate::wire::{Afi, Family};

/// A path read from a request.
#[derive(Debug)]
pub struct LocalPath {
    /// The prefix (host bits cleared).
    pub prefix: IpNet,
    /// Its attributes; ORIGIN INCOMPLETE and an empty AS_PATH when absent,
    /// next hop 0.0.0.0 / :: when none is given (rewritten on export).
    pub attrs: PathAttrs,
}

fn name(any: &Any) -> &str {
    any.type_url.rsplit('/').next().unwrap_or_default()
}

fn decode<M: prost::Message + Default>(any: &Any) -> Result<M, String> {
    M::decode(any.value.as_slice()).map_err(|e| format!("{}: {e}", name(any)))
}

fn prefix_of(any: &Any) -> Result<IpNet, String> {
    if name(any) != "apipb.IPAddressPrefix" {
        return Err(format!(
            "NLRI {} is not supported (bgpd serves IPv4 and IPv6 unicast)",
            name(any)
        ));
    }
    let p: proto::IpAddressPrefix = decode(any)?;
    let addr: IpAddr = p
        .prefix
        .parse()
        .map_err(|_| format!("invalid prefix address {:?}", p.prefix))?;
    let len = u8::try_from(p.prefix_len).map_err(|_| "invalid prefix length".to_string())?;
    IpNet::new(addr, len)
        .map(|n| n.trunc())
        .map_err(|_| format!("invalid prefix {}/{}", p.prefix, p.prefix_len))
}

fn next_hop_of(text: &str) -> Result<NextHop, String> {
    match text.parse::<IpAddr>() {
        Ok(IpAddr::V4(addr)) => Ok(NextHop::V4(addr)),
        Ok(IpAddr::V6(global)) => Ok(NextHop::V6 {
            global,
            link_local: None,
        }),
        Err(_) => Err(format!("invalid next hop {text:?}")),
    }
}

/// Reads `path`; its family is `path.family` or else the prefix's.
pub fn read(path: &proto::Path) -> Result<LocalPath, String> {
    let mut prefix = match (&path.nlri, path.nlri_binary.is_empty()) {
        (Some(any), _) => Some(prefix_of(any)?),
        (None, false) => {
            let afi = match super::convert::family_from(path.family.as_ref()) {
                Some(f) => f.afi,
                None => return Err("unsupported family".into()),
            };
            let nlri = nlri::decode(&path.nlri_binary, afi, false)
                .map_err(|_| "malformed nlri_binary".to_string())?;
            nlri.first().map(|n| n.prefix.trunc())
        }
        (None, true) => None,
    };
    let mut attributes = Vec::new();
    let mut next_hop = None;
    for any in &path.pattrs {
        let value = match name(any) {
            "apipb.OriginAttribute" => {
                let m: proto::OriginAttribute = decode(any)?;
                AttrValue::Origin(match m.origin {
                    0 => Origin::Igp,
                    1 => Origin::Egp,
                    _ => Origin::Incomplete,
                })
            }
            "apipb.AsPathAttribute" => {
                let m: proto::AsPathAttribute = decode(any)?;
                let segments = m
                    .segments
                    .into_iter()
                    .map(|s| {
                        let kind = match s.r#type {
                            1 => SegmentType::Set,
                            2 => SegmentType::Sequence,
                            3 => SegmentType::ConfedSequence,
                            4 => SegmentType::ConfedSet,
                            t => return Err(format!("invalid AS_PATH segment type {t}")),
                        };
                        Ok(Segment {
                            kind,
                            asns: s.numbers,
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                AttrValue::AsPath(AsPath { segments })
            }
            "apipb.NextHopAttribute" => {
                let m: proto::NextHopAttribute = decode(any)?;
                next_hop = Some(next_hop_of(&m.next_hop)?);
                continue;
            }
            "apipb.MpReachNLRIAttribute" => {
                let m: proto::MpReachNlriAttribute = decode(any)?;
                if let Some(first) = m.next_hops.first() {
                    let mut hop = next_hop_of(first)?;
                    if let (NextHop::V6 { link_local, .. }, Some(second)) =
                        (&mut hop, m.next_hops.get(1))
                    {
                        *link_local = Some(
                            second
                                .parse::<Ipv6Addr>()
                                .map_err(|_| format!("invalid next hop {second:?}"))?,
                        );
                    }
                    next_hop = Some(hop);
                }
                if prefix.is_none() {
                    if let Some(nlri) = m.nlris.first() {
                        prefix = Some(prefix_of(nlri)?);
                    }
                }
                continue;
            }
            "apipb.MultiExitDiscAttribute" => {
                AttrValue::MultiExitDisc(decode::<proto::MultiExitDiscAttribute>(any)?.med)
            }
            "apipb.LocalPrefAttribute" => {
                AttrValue::LocalPref(decode::<proto::LocalPrefAttribute>(any)?.local_pref)
            }
            "apipb.AtomicAggregateAttribute" => AttrValue::AtomicAggregate,
            "apipb.AggregatorAttribute" => {
                let m: proto::AggregatorAttribute = decode(any)?;
                let address = m
                    .address
                    .parse::<Ipv4Addr>()
                    .map_err(|_| format!("invalid aggregator address {:?}", m.address))?;
                AttrValue::Aggregator(Aggregator {
                    asn: m.asn,
                    address,
                })
            }
            "apipb.CommunitiesAttribute" => AttrValue::Communities(
                decode::<proto::CommunitiesAttribute>(any)?
                    .communities
                    .into_iter()
                    .map(Community)
                    .collect(),
            ),
            "apipb.OriginatorIdAttribute" => {
                let m: proto::OriginatorIdAttribute = decode(any)?;
                AttrValue::OriginatorId(
                    m.id.parse()
                        .map_err(|_| format!("invalid originator id {:?}", m.id))?,
                )
            }
            "apipb.ClusterListAttribute" => {
                let m: proto::ClusterListAttribute = decode(any)?;
                AttrValue::ClusterList(
                    m.ids
                        .iter()
                        .map(|id| id.parse().map_err(|_| format!("invalid cluster id {id:?}")))
                        .collect::<Result<_, _>>()?,
                )
            }
            "apipb.LargeCommunitiesAttribute" => AttrValue::LargeCommunities(
                decode::<proto::LargeCommunitiesAttribute>(any)?
                    .communities
                    .into_iter()
                    .map(|c| LargeCommunity {
                        global_admin: c.global_admin,
                        local_data_1: c.local_data1,
                        local_data_2: c.local_data2,
                    })
                    .collect(),
            ),
            "apipb.UnknownAttribute" => {
                let m: proto::UnknownAttribute = decode(any)?;
                let type_code =
                    u8::try_from(m.r#type).map_err(|_| "invalid attribute type".to_string())?;
                let flags = u8::try_from(m.flags).unwrap_or(0) | AttrFlags::OPTIONAL;
                attributes.push(PathAttribute {
                    flags: AttrFlags(flags & !AttrFlags::EXTENDED_LENGTH),
                    value: AttrValue::Unknown {
                        type_code,
                        value: Bytes::from(m.value),
                    },
                });
                continue;
            }
            other => return Err(format!("path attribute {other} is not supported by bgpd")),
        };
        attributes.push(PathAttribute::new(value));
    }
    let prefix = prefix.ok_or_else(|| "the path has no NLRI".to_string())?;
    let family = if prefix.addr().is_ipv6() {
        Family::IPV6_UNICAST
    } else {
        Family::IPV4_UNICAST
    };
    if let Some(wanted) = path.family.as_ref() {
        match super::convert::family_from(Some(wanted)) {
            Some(f) if f == family => {}
            _ => return Err(format!("prefix {prefix} is not of the path's family")),
        }
    }
    if !attributes.iter().any(|a| a.type_code() == 1) {
        attributes.push(PathAttribute::new(AttrValue::Origin(Origin::Incomplete)));
    }
    if !attributes.iter().any(|a| a.type_code() == 2) {
        attributes.push(PathAttribute::new(AttrValue::AsPath(AsPath::default())));
    }
    let next_hop = next_hop.unwrap_or(match family.afi {
        Afi::Ipv6 => NextHop::V6 {
            global: Ipv6Addr::UNSPECIFIED,
            link_local: None,
        },
        _ => NextHop::V4(Ipv4Addr::UNSPECIFIED),
    });
    Ok(LocalPath {
        prefix,
        attrs: PathAttrs::new(attributes, Some(next_hop)),
    })
}

/// AddPath and DeletePath act on the global rib only.
pub fn global_only(table_type: i32, vrf_id: &str) -> Result<(), Status> {
    if !vrf_id.is_empty() {
        return Err(Status::unimplemented("bgpd has no VRFs"));
    }
    if table_type != proto::TableType::Global as i32 {
        return Err(Status::invalid_argument(
            "local routes go in the global table only",
        ));
    }
    Ok(())
}

/// The handle AddPath answers: opaque to clients, it is the prefix's text
/// (a local route is one per prefix), so DeletePath by uuid needs no table.
pub fn uuid_of(prefix: ipnet::IpNet) -> Vec<u8> {
    prefix.to_string().into_bytes()
}

pub fn prefix_of_uuid(uuid: &[u8]) -> Result<ipnet::IpNet, Status> {
    std::str::from_utf8(uuid)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| Status::not_found("unknown uuid: not one bgpd's AddPath answered"))
}
