//! What happens to a received UPDATE before its routes reach the tables:
//! the attribute set per family and the loop checks. (AS4_PATH was
//! reconciled by the peer task, RFC 6793 §4.2.3.)
//!
//! Loop checks (a looped route stays in the pre-policy Adj-RIB-In, marked
//! rejected, and never reaches Loc-RIB, as in gobgpd):
//!
//! - from an eBGP peer, our AS (the session's local AS) appearing in
//!   AS_PATH more than `allow-own-as` times;
//! - ORIGINATOR_ID equal to our router id (RFC 4456 §8);
//! - CLUSTER_LIST holding the session's cluster id (RFC 4456 §8).

use std::net::Ipv4Addr;

use super::attrs::PathAttrs;
use super::table::Rejection;
use crate::wire::bgp::{AttrType, AttrValue, MpReach, NextHop, PathAttribute, Update};
use crate::wire::Family;

/// The session facts the checks use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRules {
    /// Our AS on the session.
    pub local_as: u32,
    /// The peer is eBGP.
    pub external: bool,
    /// `allow-own-as`: occurrences of our AS tolerated.
    pub allow_own_as: u8,
    /// Our router id.
    pub router_id: Ipv4Addr,
    /// Our cluster id for this session.
    pub cluster_id: Ipv4Addr,
}

/// Why a route is a loop, if it is.
pub fn check_loops(attrs: &PathAttrs, rules: &ImportRules) -> Option<Rejection> {
    if rules.external && attrs.as_path_count(rules.local_as) > usize::from(rules.allow_own_as) {
        return Some(Rejection::AsPathLoop);
    }
    if attrs.originator_id() == Some(rules.router_id) {
        return Some(Rejection::OriginatorIdLoop);
    }
    if attrs.cluster_list_contains(rules.cluster_id) {
        return Some(Rejection::ClusterListLoop);
    }
    None
}

/// The attributes shared by every route of `update` (NEXT_HOP and MP_*
/// are dropped by [`PathAttrs::new`]). AS4_PATH and AS4_AGGREGATOR were
/// merged or discarded by the peer task (`peer::as4`).
pub fn base_attributes(update: &Update) -> Vec<PathAttribute> {
    update
        .attributes
        .iter()
        .filter(|a| !builder_owned(a))
        .cloned()
        .collect()
}

fn builder_owned(a: &PathAttribute) -> bool {
    matches!(
        AttrType::from(a.type_code()),
        AttrType::NextHop | AttrType::MpReachNlri | AttrType::MpUnreachNlri
    )
}

/// The attribute set of each group of routes `update` announces (the
/// IPv4 NLRI field first, then MP_REACH_NLRI, as the rib groups them),
/// built where the UPDATE was decoded so the rib task only interns them.
/// The attributes the sets took are removed from `update`, which keeps
/// only NEXT_HOP, MP_REACH_NLRI and MP_UNREACH_NLRI. An UPDATE treated as
/// withdraw announces nothing: no set, and `update` is left whole.
pub fn prepare(update: &mut Update) -> Vec<PathAttrs> {
    if update.treat_as_withdraw().is_some() {
        return Vec::new();
    }
    // The IPv4 NLRI field's group first, then MP_REACH_NLRI's.
    let v4 = (!update.nlri.is_empty()).then(|| ipv4_next_hop(update));
    let mp = match update.mp_reach() {
        Some(MpReach::Prefixes {
            family,
            next_hop,
            nlri,
        }) if super::table::family_index(*family).is_some() && !nlri.is_empty() => {
            Some(Some(*next_hop))
        }
        _ => None,
    };
    let groups = usize::from(v4.is_some()) + usize::from(mp.is_some());
    if groups == 0 {
        return Vec::new();
    }
    // The builder's own attributes stay in `update`; the rest, in place,
    // become the sets' base.
    let mut kept = Vec::new();
    let mut i = 0;
    while i < update.attributes.len() {
        if builder_owned(&update.attributes[i]) {
            kept.push(update.attributes.remove(i));
        } else {
            i += 1;
        }
    }
    let mut base = Some(std::mem::replace(&mut update.attributes, kept));
    let mut sets = Vec::with_capacity(groups);
    for (i, next_hop) in v4.into_iter().chain(mp).enumerate() {
        let attributes = if i + 1 == groups {
            base.take().unwrap_or_default()
        } else {
            base.clone().unwrap_or_default()
        };
        sets.push(PathAttrs::new(attributes, next_hop));
    }
    sets
}

/// The NEXT_HOP attribute's address, for the IPv4 NLRI field.
pub fn ipv4_next_hop(update: &Update) -> Option<NextHop> {
    update.attributes.iter().find_map(|a| match a.value {
        AttrValue::NextHop(addr) => Some(NextHop::V4(addr)),
        _ => None,
    })
}

/// The family and next hop of MP_REACH_NLRI, if it holds prefixes.
pub fn mp_next_hop(update: &Update) -> Option<(Family, NextHop)> {
    match update.mp_reach()? {
        MpReach::Prefixes {
            family, next_hop, ..
        } => Some((*family, *next_hop)),
        MpReach::Unknown { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> ImportRules {
        ImportRules {
            local_as: 65001,
            external: true,
            allow_own_as: 0,
            router_id: Ipv4Addr::new(10, 0, 0, 1),
            cluster_id: Ipv4Addr::new(10, 0, 0, 1),
        }
    }

    fn attrs(values: Vec<AttrValue>) -> PathAttrs {
        PathAttrs::new(values.into_iter().map(PathAttribute::new).collect(), None)
    }

    fn path(asns: &[u32]) -> AttrValue {
        AttrValue::AsPath(crate::wire::bgp::AsPath::from_sequence(asns.to_vec()))
    }

    #[test]
    fn own_as_in_path_from_ebgp_peer_is_an_as_path_loop() {
        let looped = attrs(vec![path(&[65002, 65001])]);
        assert_eq!(check_loops(&looped, &rules()), Some(Rejection::AsPathLoop));
    }

    #[test]
    fn allow_own_as_tolerates_that_many_occurrences() {
        let looped = attrs(vec![path(&[65002, 65001])]);
        let allow = ImportRules {
            allow_own_as: 1,
            ..rules()
        };
        assert_eq!(check_loops(&looped, &allow), None);
        let twice = attrs(vec![path(&[65001, 65002, 65001])]);
        assert_eq!(check_loops(&twice, &allow), Some(Rejection::AsPathLoop));
    }

    #[test]
    fn own_as_from_ibgp_peer_is_not_checked() {
        let path = attrs(vec![path(&[65001])]);
        let internal = ImportRules {
            external: false,
            ..rules()
        };
        assert_eq!(check_loops(&path, &internal), None);
    }

    #[test]
    fn our_router_id_as_originator_id_is_a_loop() {
        let looped = attrs(vec![AttrValue::OriginatorId(Ipv4Addr::new(10, 0, 0, 1))]);
        assert_eq!(
            check_loops(&looped, &rules()),
            Some(Rejection::OriginatorIdLoop)
        );
    }

    #[test]
    fn our_cluster_id_in_cluster_list_is_a_loop() {
        let looped = attrs(vec![AttrValue::ClusterList(vec![
            Ipv4Addr::new(10, 9, 9, 9),
            Ipv4Addr::new(10, 0, 0, 1),
        ])]);
        assert_eq!(
            check_loops(&looped, &rules()),
            Some(Rejection::ClusterListLoop)
        );
    }

    #[test]
    fn loop_checks_read_every_segment_and_only_our_ids() {
        use crate::wire::bgp::aspath::{Segment, SegmentType};
        use crate::wire::bgp::AsPath;
        let segments = vec![
            Segment {
                kind: SegmentType::Sequence,
                asns: vec![65002, 65001],
            },
            Segment {
                kind: SegmentType::Set,
                asns: vec![65001, 65003],
            },
        ];
        let allow_one = ImportRules {
            allow_own_as: 1,
            ..rules()
        };
        let set_too = attrs(vec![AttrValue::AsPath(AsPath { segments })]);
        assert_eq!(set_too.as_path_count(65001), 2);
        assert_eq!(
            check_loops(&set_too, &allow_one),
            Some(Rejection::AsPathLoop)
        );
        let others = attrs(vec![
            path(&[65002]),
            AttrValue::OriginatorId(Ipv4Addr::new(10, 0, 0, 2)),
            AttrValue::ClusterList(vec![Ipv4Addr::new(10, 0, 0, 3)]),
        ]);
        assert_eq!(check_loops(&others, &rules()), None);
    }

    /// The sets built beside the decoder are the ones the rib builds from
    /// the whole UPDATE, for the IPv4 NLRI field and MP_REACH_NLRI alike,
    /// and the stripped UPDATE keeps what the rib still reads.
    #[test]
    fn prepared_sets_equal_the_rib_built_ones() {
        use crate::wire::bgp::{AsPath, Nlri, Origin};
        let v6_next_hop = NextHop::V6 {
            global: "2001:db8::1".parse().expect("address"),
            link_local: None,
        };
        let v4: Nlri = Nlri::new("10.0.0.0/8".parse().expect("prefix"));
        let v6: Nlri = Nlri::new("2001:db8::/32".parse().expect("prefix"));
        let update = Update {
            attributes: vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![65002]))),
                PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(192, 0, 2, 2))),
                PathAttribute::new(AttrValue::MpReach(MpReach::Prefixes {
                    family: Family::IPV6_UNICAST,
                    next_hop: v6_next_hop,
                    nlri: vec![v6],
                })),
            ],
            nlri: vec![v4],
            ..Update::default()
        };
        let expected = vec![
            PathAttrs::new(base_attributes(&update), ipv4_next_hop(&update)),
            PathAttrs::new(base_attributes(&update), Some(v6_next_hop)),
        ];
        let mut stripped = update.clone();
        let sets = prepare(&mut stripped);
        assert_eq!(sets, expected);
        assert_eq!(ipv4_next_hop(&stripped), ipv4_next_hop(&update));
        assert_eq!(mp_next_hop(&stripped), mp_next_hop(&update));
        assert_eq!(stripped.nlri, update.nlri);
        assert_eq!(stripped.attributes.len(), 2, "NEXT_HOP and MP_REACH_NLRI");
    }
}
