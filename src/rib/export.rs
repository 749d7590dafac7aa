//! Advertisement rules: what one peer gets for one best path, as pure
//! functions.
//!
//! [`export`] decides whether a path goes to a peer and with which
//! attributes; [`two_octet_attributes`] rewrites a set for a peer without
//! the 4-octet AS capability (RFC 6793 §4.2.2).
//!
//! Rules, in order:
//!
//! - a path is never sent back to the peer it came from (gobgpd does the
//!   same for ordinary peers);
//! - well-known communities (RFC 1997), as the path is in the Loc-RIB
//!   (after import policy): NO_ADVERTISE goes to no peer, NO_EXPORT and
//!   NO_EXPORT_SUBCONFED (no confederations here) to no eBGP peer;
//!   route-server clients get the path unfiltered (RFC 7947: the route
//!   server is transparent). gobgpd 3.10 ignores both communities;
//! - to an eBGP peer that is not a route-server client, a path whose
//!   AS_PATH holds that peer's AS is not sent (gobgpd's export AS-loop
//!   check), unless `replace-peer-as` rewrites it;
//! - iBGP-learned paths go to iBGP peers only by reflection (RFC 4456 §6):
//!   from a client to every iBGP peer, from a non-client to clients only;
//!   a reflected path gets ORIGINATOR_ID (the source's router id) when it
//!   has none, and the target's cluster id prepended to CLUSTER_LIST;
//! - to an eBGP peer: `remove-private-as`, then `replace-peer-as`, then our
//!   AS prepended (a new AS_SEQUENCE when the first segment is a set or
//!   full); next hop set to our address on the session; LOCAL_PREF,
//!   ORIGINATOR_ID and CLUSTER_LIST removed; MED removed unless the path
//!   is locally originated (gobgpd drops a received MED);
//! - to an iBGP peer: next hop kept (ours for a locally originated path),
//!   LOCAL_PREF 100 added when absent;
//! - to a route-server client (RFC 7947): AS_PATH, next hop and MED as
//!   they are; LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST removed when the
//!   client is external;
//! - unrecognized optional transitive attributes get the Partial bit.
//!
//! # Next hop "self"
//!
//! Our address on the session ([`SessionInfo::local`]). For IPv6 routes on
//! an IPv4 session we send the IPv4-mapped address `::ffff:a.b.c.d`, as
//! gobgpd does. For IPv4 routes on an IPv6 session we use, in order, an
//! IPv4-mapped local address, our IPv6 session address when extended next
//! hop is negotiated for IPv4 unicast (RFC 8950: the route then travels in
//! MP_REACH_NLRI), the neighbor's configured IPv4 `local-address`, the
//! first IPv4 global `local-address-list` entry; with none of those the
//! route is not sent.
//!
//! An IPv4 route whose kept next hop is IPv6 (learned over extended next
//! hop) goes unchanged only to a peer with extended next hop negotiated;
//! any other peer gets our IPv4 next hop instead (or nothing without one).

use std::net::{IpAddr, Ipv4Addr};

use super::attrs::PathAttrs;
use super::event::{PeerId, SessionInfo};
use super::table::Source;
use crate::config::{Global, PeerType, RemovePrivateAs};
use crate::wire::bgp::{
    Aggregator, AsPath, AttrType, AttrValue, Community, NextHop, PathAttribute, Segment,
    SegmentType,
};
use crate::wire::Family;

/// AS_TRANS (RFC 6793 §9).
pub const AS_TRANS: u32 = 23456;

/// What the advertisement rules need to know about the receiving peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The peer's address.
    pub peer: PeerId,
    /// eBGP (from the configured peer type, as gobgpd).
    pub external: bool,
    /// The peer's AS.
    pub peer_as: u32,
    /// Our AS on this session.
    pub local_as: u32,
    /// The peer is our route-reflector client.
    pub route_reflector_client: bool,
    /// The peer is our route-server client.
    pub route_server_client: bool,
    /// Cluster id we put in CLUSTER_LIST when reflecting to this peer.
    pub cluster_id: Ipv4Addr,
    /// `remove-private-as`.
    pub remove_private_as: Option<RemovePrivateAs>,
    /// `replace-peer-as`.
    pub replace_peer_as: bool,
    /// Our next hop for IPv4 routes, if we have one.
    pub next_hop_v4: Option<NextHop>,
    /// Our next hop for IPv6 routes.
    pub next_hop_v6: Option<NextHop>,
    /// Extended next hop (RFC 8950) is negotiated for IPv4 unicast: IPv4
    /// routes may carry an IPv6 next hop.
    pub extended_next_hop_v4: bool,
}

impl Target {
    /// The rules' view of an established session.
    pub fn from_session(info: &SessionInfo, global: &Global) -> Target {
        let neighbor = &info.neighbor;
        let local = info.local.ip();
        let configured = neighbor.transport.local_address.into_iter();
        let extended_next_hop_v4 = info
            .negotiated
            .extended_next_hop
            .contains(&Family::IPV4_UNICAST);
        let next_hop_v4 = match local {
            IpAddr::V4(v4) => Some(NextHop::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Some(NextHop::V4(v4)),
                None if extended_next_hop_v4 => Some(NextHop::V6 {
                    global: v6,
                    link_local: None,
                }),
                None => configured
                    .chain(global.local_addresses.iter().copied())
                    .find_map(|a| match a {
                        IpAddr::V4(v4) if !v4.is_unspecified() => Some(NextHop::V4(v4)),
                        _ => None,
                    }),
            },
        };
        let global_v6 = match local {
            IpAddr::V4(v4) => v4.to_ipv6_mapped(),
            IpAddr::V6(v6) => v6,
        };
        Target {
            peer: info.peer,
            external: neighbor.peer_type == PeerType::External,
            peer_as: info.peer_as,
            local_as: info.local_as,
            route_reflector_client: neighbor.route_reflector_client,
            route_server_client: neighbor.route_server_client,
            cluster_id: neighbor.cluster_id,
            remove_private_as: neighbor.remove_private_as,
            replace_peer_as: neighbor.replace_peer_as,
            next_hop_v4,
            next_hop_v6: Some(NextHop::V6 {
                global: global_v6,
                link_local: None,
            }),
            extended_next_hop_v4,
        }
    }

    fn self_next_hop(&self, family: Family) -> Option<NextHop> {
        if family == Family::IPV6_UNICAST {
            self.next_hop_v6
        } else {
            self.next_hop_v4
        }
    }
}

/// The attributes `target` gets for a best path from `source` with
/// `attrs` in `family`, or `None` when the path is not advertised to it.
pub fn export(
    source: &Source,
    attrs: &PathAttrs,
    family: Family,
    target: &Target,
) -> Option<PathAttrs> {
    if source.peer == Some(target.peer) {
        return None;
    }
    if !target.route_server_client && well_known_forbid(attrs, target.external) {
        return None;
    }
    if target.external
        && !target.route_server_client
        && !target.replace_peer_as
        && attrs.as_path_contains(target.peer_as)
    {
        return None;
    }
    let internal_source = !source.external && !source.is_local();
    let reflect = internal_source && !target.external;
    if reflect && !source.route_reflector_client && !target.route_reflector_client {
        return None;
    }
    if target.external && !target.route_server_client {
        let keep_med = source.is_local();
        let fast = target.remove_private_as.is_none() && !target.replace_peer_as;
        let edited = if fast {
            attrs.ebgp_export(target.local_as, keep_med)
        } else {
            None
        };
        let mut out = match edited {
            Some(out) => out,
            None => {
                let mut out = attrs.clone();
                out.mark_partial();
                ebgp_edit(out, attrs, target, keep_med)
            }
        };
        out.set_next_hop(target.self_next_hop(family)?);
        return Some(out);
    }
    let mut out = attrs.clone();
    out.mark_partial();
    if target.route_server_client {
        if target.external {
            strip_internal(&mut out);
        }
        if out.next_hop().is_none() || source.is_local() {
            out.set_next_hop(target.self_next_hop(family)?);
        }
        return ipv4_next_hop_for(out, family, target);
    }
    if reflect {
        if out.get(AttrType::OriginatorId).is_none() {
            out.set(AttrValue::OriginatorId(source.router_id));
        }
        let mut clusters = vec![target.cluster_id];
        if let Some(PathAttribute {
            value: AttrValue::ClusterList(list),
            ..
        }) = out.get(AttrType::ClusterList)
        {
            clusters.extend_from_slice(&list);
        }
        out.set(AttrValue::ClusterList(clusters));
    }
    if out.local_pref().is_none() {
        out.set(AttrValue::LocalPref(100));
    }
    if source.is_local() || out.next_hop().is_none() {
        out.set_next_hop(target.self_next_hop(family)?);
    }
    ipv4_next_hop_for(out, family, target)
}

/// Whether the path's well-known communities (RFC 1997) forbid sending
/// it to a peer (`external`: an eBGP peer).
fn well_known_forbid(attrs: &PathAttrs, external: bool) -> bool {
    if external {
        attrs.has_community(&[
            Community::NO_ADVERTISE,
            Community::NO_EXPORT,
            Community::NO_EXPORT_SUBCONFED,
        ])
    } else {
        attrs.has_community(&[Community::NO_ADVERTISE])
    }
}

/// The eBGP rules of [`PathAttrs::ebgp_export`] on the decoded
/// attributes, with `remove-private-as` and `replace-peer-as`: `out` is
/// `attrs` with the Partial bits set.
pub(crate) fn ebgp_edit(
    mut out: PathAttrs,
    attrs: &PathAttrs,
    target: &Target,
    keep_med: bool,
) -> PathAttrs {
    let mut path = attrs.as_path().unwrap_or_default();
    match target.remove_private_as {
        Some(RemovePrivateAs::All) => remove_private(&mut path),
        Some(RemovePrivateAs::Replace) => replace_asns(&mut path, is_private, target.local_as),
        None => {}
    }
    if target.replace_peer_as {
        let peer_as = target.peer_as;
        replace_asns(&mut path, |asn| asn == peer_as, target.local_as);
    }
    prepend(&mut path, target.local_as);
    // One rebuild of the set: the new AS_PATH first (`new` keeps the
    // first of each type), then the internal attributes and MED out.
    out.edit(|list| {
        list.insert(0, PathAttribute::new(AttrValue::AsPath(path)));
        list.retain(|a| match AttrType::from(a.type_code()) {
            AttrType::LocalPref | AttrType::OriginatorId | AttrType::ClusterList => false,
            AttrType::MultiExitDisc => keep_med,
            _ => true,
        });
    });
    out
}

/// An IPv4 route keeping an IPv6 next hop reaches only a target with
/// extended next hop negotiated; others get our IPv4 next hop, or nothing.
fn ipv4_next_hop_for(mut out: PathAttrs, family: Family, target: &Target) -> Option<PathAttrs> {
    let ipv6_next_hop = matches!(out.next_hop(), Some(NextHop::V6 { .. }));
    if family == Family::IPV4_UNICAST && ipv6_next_hop && !target.extended_next_hop_v4 {
        match target.next_hop_v4? {
            own @ NextHop::V4(_) => out.set_next_hop(own),
            NextHop::V6 { .. } => return None,
        }
    }
    Some(out)
}

/// LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST stay inside the AS.
fn strip_internal(attrs: &mut PathAttrs) {
    attrs.remove(AttrType::LocalPref);
    attrs.remove(AttrType::OriginatorId);
    attrs.remove(AttrType::ClusterList);
}

/// The path holds `asn` in any segment.
pub fn contains(path: &AsPath, asn: u32) -> bool {
    path.segments.iter().any(|s| s.asns.contains(&asn))
}

/// Private ASNs (RFC 6996): 64512–65534 and 4200000000–4294967294.
pub fn is_private(asn: u32) -> bool {
    (64512..=65534).contains(&asn) || (4_200_000_000..=4_294_967_294).contains(&asn)
}

fn remove_private(path: &mut AsPath) {
    for segment in &mut path.segments {
        segment.asns.retain(|asn| !is_private(*asn));
    }
    path.segments.retain(|s| !s.asns.is_empty());
}

fn replace_asns(path: &mut AsPath, matches: impl Fn(u32) -> bool, with: u32) {
    for asn in path.segments.iter_mut().flat_map(|s| s.asns.iter_mut()) {
        if matches(*asn) {
            *asn = with;
        }
    }
}

/// Prepends `asn` to the leading AS_SEQUENCE, or in a new one when the
/// path starts with another segment type or a full (255) sequence.
pub fn prepend(path: &mut AsPath, asn: u32) {
    match path.segments.first_mut() {
        Some(first) if first.kind == SegmentType::Sequence && first.asns.len() < 255 => {
            first.asns.insert(0, asn);
        }
        _ => path.segments.insert(
            0,
            Segment {
                kind: SegmentType::Sequence,
                asns: vec![asn],
            },
        ),
    }
}

/// The attributes to encode for a peer without the 4-octet AS capability
/// (RFC 6793 §4.2.2): an ASN above 65535 becomes AS_TRANS in AS_PATH and
/// AGGREGATOR, and the real values travel in AS4_PATH (without
/// confederation segments) and AS4_AGGREGATOR.
pub fn two_octet_attributes(attrs: &PathAttrs) -> Vec<PathAttribute> {
    let wide = |asn: &u32| *asn > 0xffff;
    let mut out = Vec::with_capacity(attrs.attributes().len() + 2);
    for attribute in attrs.attributes().iter() {
        match &attribute.value {
            AttrValue::As4Path(_) | AttrValue::As4Aggregator(_) => {}
            AttrValue::AsPath(path) if path.segments.iter().flat_map(|s| &s.asns).any(wide) => {
                let mut narrow = path.clone();
                replace_asns(&mut narrow, |asn| asn > 0xffff, AS_TRANS);
                out.push(PathAttribute {
                    flags: attribute.flags,
                    value: AttrValue::AsPath(narrow),
                });
                let mut as4 = path.clone();
                as4.segments
                    .retain(|s| matches!(s.kind, SegmentType::Sequence | SegmentType::Set));
                out.push(PathAttribute::new(AttrValue::As4Path(as4)));
            }
            AttrValue::Aggregator(aggregator) if wide(&aggregator.asn) => {
                out.push(PathAttribute {
                    flags: attribute.flags,
                    value: AttrValue::Aggregator(Aggregator {
                        asn: AS_TRANS,
                        address: aggregator.address,
                    }),
                });
                out.push(PathAttribute::new(AttrValue::As4Aggregator(*aggregator)));
            }
            _ => out.push(attribute.clone()),
        }
    }
    out.sort_by_key(PathAttribute::type_code);
    out
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
