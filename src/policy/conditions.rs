//! Statement conditions, compiled against the defined sets, and their
//! evaluation. A statement matches when every condition it has holds (no
//! conditions: always). None has side effects, so they are split in two
//! groups: those on the route's facts (prefix, peers, next hop), cheap and
//! tried first, and those on its path attributes, whose answer the engine
//! keeps per attribute set.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

use super::as_path::{with_encoded_path, with_path, AsPathPattern};
use super::community::{CommunityPattern, ExtPattern, LargePattern};
use super::error::{PolicyError, SetKind};
use super::prefix_set::{NeighborTable, PrefixTable};
use super::route::Route;
use super::sets::{quantify, CompiledSets};
use crate::config::{
    Comparison, Conditions, MatchSetOptions, Operator, Origin as ConfigOrigin, RouteType,
    RpkiValidation, SetMatch,
};
use crate::wire::bgp::{NextHop, Origin};
use crate::wire::Family;

/// What a condition may ask about a route beyond its attributes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts<'c> {
    /// The prefix.
    pub prefix: &'c IpNet,
    /// Its family.
    pub family: Family,
    /// The neighbor a neighbor set is checked against: the source peer on
    /// import, the destination on export (`None`: a local route's source).
    pub neighbor: Option<IpAddr>,
    /// Where the route came from.
    pub route_type: RouteType,
    /// The next hop `next-hop-in-list` compares: on export the one before
    /// the rewrite; `None` for the route's own.
    pub next_hop: Option<NextHop>,
}

/// Bits naming the attributes a condition reads or an action changes.
pub(crate) struct Reads;

impl Reads {
    pub const MED: u8 = 1;
    pub const ORIGIN: u8 = 1 << 1;
    pub const LOCAL_PREF: u8 = 1 << 2;
    pub const AS_PATH: u8 = 1 << 3;
    pub const COMMUNITIES: u8 = 1 << 4;
    pub const EXT_COMMUNITIES: u8 = 1 << 5;
    pub const LARGE_COMMUNITIES: u8 = 1 << 6;
}

/// The wire ORIGIN for a configured one.
pub(crate) fn wire_origin(origin: ConfigOrigin) -> Origin {
    match origin {
        ConfigOrigin::Igp => Origin::Igp,
        ConfigOrigin::Egp => Origin::Egp,
        ConfigOrigin::Incomplete => Origin::Incomplete,
    }
}

/// The address of a next hop (the global one for IPv6).
pub(crate) fn next_hop_address(next_hop: &NextHop) -> IpAddr {
    match next_hop {
        NextHop::V4(a) => IpAddr::V4(*a),
        NextHop::V6 { global, .. } => IpAddr::V6(*global),
    }
}

fn compare(comparison: &Comparison, value: u64) -> bool {
    let operand = u64::from(comparison.value);
    match comparison.operator {
        Operator::Eq => value == operand,
        Operator::Ge => value >= operand,
        Operator::Le => value <= operand,
    }
}

/// A set reference resolved to its compiled set.
type Bound<T> = Option<(T, MatchSetOptions)>;

/// The conditions of one statement.
#[derive(Debug, Default)]
pub(crate) struct CompiledConditions {
    afi_safi: Vec<Family>,
    route_type: Option<RouteType>,
    rpki: Option<RpkiValidation>,
    neighbor: Bound<Arc<NeighborTable>>,
    prefix: Bound<Arc<PrefixTable>>,
    med_eq: Option<u32>,
    origin_eq: Option<Origin>,
    local_pref_eq: Option<u32>,
    as_path_length: Option<Comparison>,
    community_count: Option<Comparison>,
    next_hop_in_list: Vec<IpNet>,
    community: Bound<Arc<[CommunityPattern]>>,
    ext_community: Bound<Arc<[ExtPattern]>>,
    large_community: Bound<Arc<[LargePattern]>>,
    as_path: Bound<Arc<[AsPathPattern]>>,
}

/// Where a statement sits, for errors.
pub(crate) struct Place<'a> {
    pub policy: &'a str,
    pub statement: &'a str,
}

fn bind<T: Clone>(
    reference: &Option<SetMatch>,
    table: &std::collections::HashMap<String, T>,
    kind: SetKind,
    place: &Place<'_>,
) -> Result<Bound<T>, PolicyError> {
    let Some(reference) = reference else {
        return Ok(None);
    };
    let set = table
        .get(&reference.set)
        .ok_or_else(|| PolicyError::UnknownSet {
            policy: place.policy.to_owned(),
            statement: place.statement.to_owned(),
            kind,
            set: reference.set.clone(),
        })?;
    Ok(Some((set.clone(), reference.options)))
}

impl CompiledConditions {
    /// Resolves `conditions` against the compiled sets.
    pub fn new(
        conditions: &Conditions,
        sets: &CompiledSets,
        place: &Place<'_>,
    ) -> Result<CompiledConditions, PolicyError> {
        Ok(CompiledConditions {
            afi_safi: conditions
                .afi_safi_in_list
                .iter()
                .map(|n| n.family())
                .collect(),
            route_type: conditions.route_type,
            rpki: conditions.rpki_validation,
            neighbor: bind(
                &conditions.neighbor_set,
                &sets.neighbor,
                SetKind::Neighbor,
                place,
            )?,
            prefix: bind(&conditions.prefix_set, &sets.prefix, SetKind::Prefix, place)?,
            med_eq: conditions.med_eq,
            origin_eq: conditions.origin_eq.map(wire_origin),
            local_pref_eq: conditions.local_pref_eq,
            as_path_length: conditions.as_path_length,
            community_count: conditions.community_count,
            next_hop_in_list: conditions.next_hop_in_list.clone(),
            community: bind(
                &conditions.community_set,
                &sets.community,
                SetKind::Community,
                place,
            )?,
            ext_community: bind(
                &conditions.ext_community_set,
                &sets.ext_community,
                SetKind::ExtCommunity,
                place,
            )?,
            large_community: bind(
                &conditions.large_community_set,
                &sets.large_community,
                SetKind::LargeCommunity,
                place,
            )?,
            as_path: bind(
                &conditions.as_path_set,
                &sets.as_path,
                SetKind::AsPath,
                place,
            )?,
        })
    }

    /// The conditions that do not read path attributes hold (family,
    /// route type, RPKI, neighbor, prefix, next hop).
    pub fn facts_match(&self, facts: &Facts<'_>, route: &Route<'_>) -> bool {
        self.afi_safi_matches(facts)
            && self.route_type.map_or(true, |t| t == facts.route_type)
            // Without RPKI every route is "not found".
            && self
                .rpki
                .map_or(true, |r| r == RpkiValidation::NotFound)
            && self.neighbor_matches(facts)
            && self.prefix_matches(facts)
            && self.next_hop_matches(facts, route)
    }

    /// The attributes the other conditions read, as [`Reads`] bits; 0
    /// when they read none.
    pub fn attribute_reads(&self) -> u8 {
        let mut reads = 0;
        let mut read = |present: bool, bit: u8| {
            if present {
                reads |= bit;
            }
        };
        read(self.med_eq.is_some(), Reads::MED);
        read(self.origin_eq.is_some(), Reads::ORIGIN);
        read(self.local_pref_eq.is_some(), Reads::LOCAL_PREF);
        read(
            self.as_path_length.is_some() || self.as_path.is_some(),
            Reads::AS_PATH,
        );
        read(
            self.community_count.is_some() || self.community.is_some(),
            Reads::COMMUNITIES,
        );
        read(self.ext_community.is_some(), Reads::EXT_COMMUNITIES);
        read(self.large_community.is_some(), Reads::LARGE_COMMUNITIES);
        reads
    }

    /// The conditions on path attributes hold. Their answer depends on
    /// the attributes alone, so it can be kept per attribute set.
    pub fn attributes_match(&self, route: &Route<'_>) -> bool {
        self.med_eq.map_or(true, |m| route.med() == Some(m))
            && self.origin_eq.map_or(true, |o| route.origin() == Some(o))
            // gobgpd reads a missing LOCAL_PREF as 100.
            && self
                .local_pref_eq
                .map_or(true, |l| route.local_pref().unwrap_or(100) == l)
            && self
                .as_path_length
                .as_ref()
                .map_or(true, |c| compare(c, route.as_path_len() as u64))
            && self
                .community_count
                .as_ref()
                .map_or(true, |c| compare(c, route.community_values().len() as u64))
            && self.community_matches(route)
            && self.ext_community_matches(route)
            && self.large_community_matches(route)
            && self.as_path_matches(route)
    }

    fn afi_safi_matches(&self, facts: &Facts<'_>) -> bool {
        self.afi_safi.is_empty() || self.afi_safi.contains(&facts.family)
    }

    /// Only `invert` changes the answer (`all` reads as `any`); an empty
    /// set matches every neighbor, even inverted (gobgpd).
    fn neighbor_matches(&self, facts: &Facts<'_>) -> bool {
        let Some((table, option)) = &self.neighbor else {
            return true;
        };
        if table.is_empty() {
            return true;
        }
        let found = facts.neighbor.is_some_and(|n| table.contains(n));
        found != (*option == MatchSetOptions::Invert)
    }

    /// A set of the other family never matches, even inverted (gobgpd).
    fn prefix_matches(&self, facts: &Facts<'_>) -> bool {
        let Some((table, option)) = &self.prefix else {
            return true;
        };
        if !table.same_family(facts.prefix) {
            return false;
        }
        table.contains(facts.prefix) != (*option == MatchSetOptions::Invert)
    }

    fn next_hop_matches(&self, facts: &Facts<'_>, route: &Route<'_>) -> bool {
        if self.next_hop_in_list.is_empty() {
            return true;
        }
        let Some(next_hop) = facts.next_hop.or_else(|| route.next_hop()) else {
            return false;
        };
        let address = next_hop_address(&next_hop);
        self.next_hop_in_list
            .iter()
            .any(|net| net.contains(&address))
    }

    fn community_matches(&self, route: &Route<'_>) -> bool {
        let Some((members, option)) = &self.community else {
            return true;
        };
        let values = route.community_values();
        quantify(members, *option, |m| values.iter().any(|c| m.matches(c)))
    }

    fn ext_community_matches(&self, route: &Route<'_>) -> bool {
        let Some((members, option)) = &self.ext_community else {
            return true;
        };
        quantify(route.ext_communities(), *option, |value| {
            members.iter().any(|m| m.matches(value))
        })
    }

    fn large_community_matches(&self, route: &Route<'_>) -> bool {
        let Some((members, option)) = &self.large_community else {
            return true;
        };
        let values = route.large_communities();
        quantify(members, *option, |m| values.iter().any(|c| m.matches(c)))
    }

    fn as_path_matches(&self, route: &Route<'_>) -> bool {
        let Some((members, option)) = &self.as_path else {
            return true;
        };
        let text = members.iter().any(AsPathPattern::needs_text);
        let matches = |sequence: &[u32], text: &str| {
            quantify(members, *option, |m| m.matches(sequence, text))
        };
        match route.encoded_as_path() {
            Some(encoded) => with_encoded_path(encoded, text, matches),
            None => with_path(route.as_path(), text, matches),
        }
    }
}
