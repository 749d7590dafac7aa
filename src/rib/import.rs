//! What happens to a received UPDATE before its routes reach the tables:
//! the attribute set per family, AS4_PATH reconciliation (RFC 6793 §4.2.3)
//! and the loop checks.
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
use crate::wire::bgp::{
    AsPath, AttrValue, MpReach, NextHop, PathAttribute, Segment, SegmentType, Update,
};
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
    /// The session carries 4-octet ASNs (else AS4_PATH is merged).
    pub four_octet_as: bool,
}

/// Why a route is a loop, if it is.
pub fn check_loops(attrs: &PathAttrs, rules: &ImportRules) -> Option<Rejection> {
    if rules.external {
        let own = attrs.as_path().map_or(0, |path| {
            path.segments
                .iter()
                .flat_map(|s| &s.asns)
                .filter(|asn| **asn == rules.local_as)
                .count()
        });
        if own > usize::from(rules.allow_own_as) {
            return Some(Rejection::AsPathLoop);
        }
    }
    for attribute in attrs.attributes() {
        match &attribute.value {
            AttrValue::OriginatorId(id) if *id == rules.router_id => {
                return Some(Rejection::OriginatorIdLoop)
            }
            AttrValue::ClusterList(list) if list.contains(&rules.cluster_id) => {
                return Some(Rejection::ClusterListLoop)
            }
            _ => {}
        }
    }
    None
}

/// The attributes shared by every route of `update` (NEXT_HOP and MP_*
/// are dropped by [`PathAttrs::new`]). On a 2-octet session AS4_PATH is
/// merged into AS_PATH; AS4_PATH and AS4_AGGREGATOR are then dropped (a
/// 4-octet session must not carry them, RFC 6793 §4.1).
pub fn base_attributes(update: &Update, four_octet_as: bool) -> Vec<PathAttribute> {
    let mut attributes: Vec<PathAttribute> = update.attributes.clone();
    if !four_octet_as {
        reconcile_as4(&mut attributes);
    }
    attributes.retain(|a| !matches!(a.value, AttrValue::As4Path(_) | AttrValue::As4Aggregator(_)));
    attributes
}

/// RFC 6793 §4.2.3 on a list of attributes received from a 2-octet peer.
fn reconcile_as4(attributes: &mut [PathAttribute]) {
    let mut as4_path = None;
    let mut as4_aggregator = None;
    let mut aggregator_asn = None;
    for attribute in attributes.iter() {
        match &attribute.value {
            AttrValue::As4Path(path) => as4_path = Some(path.clone()),
            AttrValue::As4Aggregator(aggregator) => as4_aggregator = Some(*aggregator),
            AttrValue::Aggregator(aggregator) => aggregator_asn = Some(aggregator.asn),
            _ => {}
        }
    }
    // An AGGREGATOR that is not AS_TRANS beside AS4_AGGREGATOR: both AS4
    // attributes are ignored.
    if let (Some(asn), Some(_)) = (aggregator_asn, as4_aggregator) {
        if asn != super::export::AS_TRANS {
            return;
        }
    }
    for attribute in attributes.iter_mut() {
        match &mut attribute.value {
            AttrValue::AsPath(path) => {
                if let Some(as4) = &as4_path {
                    *path = merge_as4(path, as4);
                }
            }
            AttrValue::Aggregator(aggregator) => {
                if let Some(as4) = as4_aggregator {
                    *aggregator = as4;
                }
            }
            _ => {}
        }
    }
}

/// AS_PATH and AS4_PATH combined (RFC 6793 §4.2.3): when AS_PATH is
/// shorter than AS4_PATH, AS_PATH as is; otherwise the leading part of
/// AS_PATH that AS4_PATH does not cover, then AS4_PATH.
pub fn merge_as4(as_path: &AsPath, as4_path: &AsPath) -> AsPath {
    let (len, len4) = (as_path.path_len(), as4_path.path_len());
    if len < len4 {
        return as_path.clone();
    }
    let mut keep = len - len4;
    let mut segments = Vec::new();
    for segment in &as_path.segments {
        let units = match segment.kind {
            SegmentType::Sequence => segment.asns.len(),
            SegmentType::Set => 1,
            SegmentType::ConfedSequence | SegmentType::ConfedSet => 0,
        };
        if units <= keep {
            keep -= units;
            segments.push(segment.clone());
            continue;
        }
        if keep > 0 && segment.kind == SegmentType::Sequence {
            segments.push(Segment {
                kind: SegmentType::Sequence,
                asns: segment.asns.iter().take(keep).copied().collect(),
            });
        }
        break;
    }
    for segment in &as4_path.segments {
        match segments.last_mut() {
            // Join the kept sequence with AS4_PATH's leading one.
            Some(last)
                if last.kind == SegmentType::Sequence && segment.kind == SegmentType::Sequence =>
            {
                last.asns.extend_from_slice(&segment.asns);
            }
            _ => segments.push(segment.clone()),
        }
    }
    AsPath { segments }
}

/// The next hop of routes announced in the NLRI field (NEXT_HOP).
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
            four_octet_as: true,
        }
    }

    fn attrs(values: Vec<AttrValue>) -> PathAttrs {
        PathAttrs::new(values.into_iter().map(PathAttribute::new).collect(), None)
    }

    fn path(asns: &[u32]) -> AttrValue {
        AttrValue::AsPath(AsPath::from_sequence(asns.to_vec()))
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
    fn as4_path_replaces_the_as_trans_tail_of_as_path() {
        let as_path = AsPath::from_sequence(vec![65002, 23456, 23456]);
        let as4 = AsPath::from_sequence(vec![4_200_000_001, 4_200_000_002]);
        assert_eq!(
            merge_as4(&as_path, &as4),
            AsPath::from_sequence(vec![65002, 4_200_000_001, 4_200_000_002])
        );
    }

    #[test]
    fn longer_as4_path_than_as_path_is_ignored() {
        let as_path = AsPath::from_sequence(vec![23456]);
        let as4 = AsPath::from_sequence(vec![4_200_000_001, 4_200_000_002]);
        assert_eq!(merge_as4(&as_path, &as4), as_path);
    }

    #[test]
    fn as4_attributes_are_dropped_after_merging() {
        let update = Update {
            attributes: vec![
                PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![65002, 23456]))),
                PathAttribute::new(AttrValue::As4Path(AsPath::from_sequence(vec![
                    4_200_000_001,
                ]))),
            ],
            ..Update::default()
        };
        let merged = PathAttrs::new(base_attributes(&update, false), None);
        assert_eq!(merged.attributes().len(), 1);
        assert_eq!(merged.as_path_len(), 2);
        assert_eq!(
            merged.as_path().map(ToString::to_string).as_deref(),
            Some("65002 4200000001")
        );
    }
}
