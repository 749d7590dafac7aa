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
use crate::wire::bgp::{AttrValue, MpReach, NextHop, PathAttribute, Update};
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
    for attribute in attrs.attributes().iter() {
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
/// are dropped by [`PathAttrs::new`]). AS4_PATH and AS4_AGGREGATOR were
/// merged or discarded by the peer task (`peer::as4`).
pub fn base_attributes(update: &Update) -> Vec<PathAttribute> {
    update.attributes.clone()
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
}
