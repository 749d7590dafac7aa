//! Statement actions, compiled, and their application in gobgpd's fixed
//! order: communities, extended communities, large communities, MED,
//! LOCAL_PREF, AS_PATH prepend, next hop, ORIGIN (reference §2). The
//! disposition is read by the engine after the changes are made.

use std::net::{IpAddr, Ipv6Addr};

use super::as_path::write_sequence;
use super::community::{
    community_pattern, community_value, ext_community_value, large_community_value,
    CommunityPattern, ExtPattern, LargePattern,
};
use super::conditions::wire_origin;
use super::error::{EntryProblem, PolicyError};
use super::route::Route;
use crate::config::{
    Actions, CommunityAction, CommunityOption, MedAction, NextHopAction, Prepend, PrependAs,
    RouteDisposition,
};
use crate::wire::bgp::{
    AsPath, Community, ExtendedCommunity, LargeCommunity, NextHop, Origin, Segment, SegmentType,
};

/// What the next-hop actions need to know about the session.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Session {
    /// Our address towards the peer the policy runs for (`self`).
    pub local_address: Option<IpAddr>,
    /// That peer's address (`peer-address`).
    pub peer_address: Option<IpAddr>,
    /// The next hop `unchanged` restores (on export: the one before the
    /// rewrite); `None` leaves the next hop alone.
    pub original_next_hop: Option<NextHop>,
    /// The route is IPv6.
    pub ipv6_route: bool,
}

/// `add`, `remove` or `replace` over one community list.
#[derive(Debug, Clone)]
enum ListEdit<V, P> {
    Add(Vec<V>),
    Remove(Vec<P>),
    Replace(Vec<V>),
}

impl<V: PartialEq + Clone, P> ListEdit<V, P> {
    fn compile(
        action: &CommunityAction,
        value: impl Fn(&str) -> Result<V, EntryProblem>,
        pattern: impl Fn(&str) -> Result<P, EntryProblem>,
    ) -> Result<ListEdit<V, P>, (String, EntryProblem)> {
        let values = || {
            action
                .communities
                .iter()
                .map(|c| value(c).map_err(|e| (c.clone(), e)))
                .collect::<Result<Vec<V>, _>>()
        };
        Ok(match action.option {
            CommunityOption::Add => ListEdit::Add(values()?),
            CommunityOption::Replace => ListEdit::Replace(values()?),
            CommunityOption::Remove => ListEdit::Remove(
                action
                    .communities
                    .iter()
                    .map(|c| pattern(c).map_err(|e| (c.clone(), e)))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    /// The list after the edit. `add` skips values already present
    /// (gobgpd sends them twice, a bug we do not copy).
    fn apply(&self, current: &[V], matches: impl Fn(&P, &V) -> bool) -> Vec<V> {
        match self {
            ListEdit::Add(values) => {
                let mut out = current.to_vec();
                for value in values {
                    if !out.contains(value) {
                        out.push(value.clone());
                    }
                }
                out
            }
            ListEdit::Remove(patterns) => current
                .iter()
                .filter(|v| !patterns.iter().any(|p| matches(p, v)))
                .cloned()
                .collect(),
            ListEdit::Replace(values) => values.clone(),
        }
    }
}

/// The actions of one statement.
#[derive(Debug, Clone, Default)]
pub(crate) struct CompiledActions {
    /// Accept, reject or go on.
    pub disposition: RouteDisposition,
    community: Option<ListEdit<Community, CommunityPattern>>,
    ext_community: Option<ListEdit<ExtendedCommunity, ExtPattern>>,
    large_community: Option<ListEdit<LargeCommunity, LargePattern>>,
    med: Option<MedAction>,
    local_pref: Option<u32>,
    prepend: Option<Prepend>,
    next_hop: Option<NextHopAction>,
    origin: Option<Origin>,
}

impl CompiledActions {
    /// Parses the community values of `actions`.
    pub fn new(
        actions: &Actions,
        policy: &str,
        statement: &str,
    ) -> Result<CompiledActions, PolicyError> {
        let error = |(entry, problem)| PolicyError::ActionEntry {
            policy: policy.to_owned(),
            statement: statement.to_owned(),
            entry,
            problem,
        };
        Ok(CompiledActions {
            disposition: actions.route_disposition,
            community: actions
                .set_community
                .as_ref()
                .map(|a| {
                    ListEdit::compile(a, |t| community_value(t).map(Community), community_pattern)
                })
                .transpose()
                .map_err(error)?,
            ext_community: actions
                .set_ext_community
                .as_ref()
                .map(|a| ListEdit::compile(a, ext_community_value, ExtPattern::parse))
                .transpose()
                .map_err(error)?,
            large_community: actions
                .set_large_community
                .as_ref()
                .map(|a| ListEdit::compile(a, large_community_value, LargePattern::parse))
                .transpose()
                .map_err(error)?,
            med: actions.set_med,
            local_pref: actions.set_local_pref,
            prepend: actions.as_path_prepend.filter(|p| p.repeat > 0),
            next_hop: actions.set_next_hop,
            origin: actions.set_route_origin.map(wire_origin),
        })
    }

    /// Applies the changes, in gobgpd's order.
    pub fn apply(&self, route: &mut Route<'_>, session: &Session) {
        if let Some(edit) = &self.community {
            let list = edit.apply(route.communities(), |p, c| p.matches(*c));
            route.changes.communities = Some(list);
        }
        if let Some(edit) = &self.ext_community {
            let list = edit.apply(route.ext_communities(), |p, c| p.matches(c));
            route.changes.ext_communities = Some(list);
        }
        if let Some(edit) = &self.large_community {
            let list = edit.apply(route.large_communities(), |p, c| p.matches(c));
            route.changes.large_communities = Some(list);
        }
        if let Some(med) = self.med {
            if let Some(value) = new_med(route.med(), med) {
                route.changes.med = Some(value);
            }
        }
        if let Some(local_pref) = self.local_pref {
            route.changes.local_pref = Some(local_pref);
        }
        if let Some(prepend) = self.prepend {
            apply_prepend(route, prepend);
        }
        if let Some(action) = self.next_hop {
            if let Some(next_hop) = new_next_hop(action, session) {
                route.changes.next_hop = Some(next_hop);
            }
        }
        if let Some(origin) = self.origin {
            route.changes.origin = Some(origin);
        }
    }
}

fn apply_prepend(route: &mut Route<'_>, prepend: Prepend) {
    let asn = match prepend.asn {
        PrependAs::Asn(asn) => asn,
        PrependAs::LastAs => {
            // gobgpd: the leftmost AS_SEQUENCE member; nothing when the
            // path is empty or starts with another segment kind.
            let mut sequence = Vec::new();
            write_sequence(route.as_path(), &mut sequence);
            match sequence.first() {
                Some(&asn) if asn != 0 => asn,
                _ => return,
            }
        }
    };
    let mut path = route.as_path().cloned().unwrap_or_default();
    prepend_asn(&mut path, asn, usize::from(prepend.repeat));
    route.changes.as_path = Some(path);
}

/// The MED after `action`; `None` leaves it as it is. `+n` on a route
/// without MED starts from 0; a result below 0 (or past `u32`) is an
/// action failure in gobgpd, which leaves the MED unchanged.
fn new_med(current: Option<u32>, action: MedAction) -> Option<u32> {
    match action {
        MedAction::Set(value) => Some(value),
        MedAction::Add(n) => current.unwrap_or(0).checked_add(n),
        MedAction::Subtract(n) => current.unwrap_or(0).checked_sub(n),
    }
}

/// Prepends `asn` `count` times, into the first AS_SEQUENCE when it has
/// room, else in new segments of at most 255 ASes.
fn prepend_asn(path: &mut AsPath, asn: u32, count: usize) {
    const MAX: usize = 255;
    let mut left = count;
    if let Some(first) = path.segments.first_mut() {
        if first.kind == SegmentType::Sequence {
            let room = MAX.saturating_sub(first.asns.len()).min(left);
            first.asns.splice(0..0, std::iter::repeat(asn).take(room));
            left -= room;
        }
    }
    while left > 0 {
        let n = left.min(MAX);
        path.segments.insert(
            0,
            Segment {
                kind: SegmentType::Sequence,
                asns: vec![asn; n],
            },
        );
        left -= n;
    }
}

/// `address` as a next hop for the route's family: an IPv4 address on an
/// IPv6 route becomes `::ffff:a.b.c.d`; an IPv6 address on an IPv4 route
/// is used only when it is IPv4-mapped.
fn next_hop_for(address: IpAddr, ipv6_route: bool) -> Option<NextHop> {
    match (address, ipv6_route) {
        (IpAddr::V4(a), false) => Some(NextHop::V4(a)),
        (IpAddr::V6(a), false) => a.to_ipv4_mapped().map(NextHop::V4),
        (IpAddr::V4(a), true) => Some(NextHop::V6 {
            global: a.to_ipv6_mapped(),
            link_local: None,
        }),
        (IpAddr::V6(a), true) => Some(NextHop::V6 {
            global: a,
            link_local: None::<Ipv6Addr>,
        }),
    }
}

fn new_next_hop(action: NextHopAction, session: &Session) -> Option<NextHop> {
    match action {
        NextHopAction::OwnAddress => next_hop_for(session.local_address?, session.ipv6_route),
        NextHopAction::Unchanged => session.original_next_hop,
        NextHopAction::PeerAddress => next_hop_for(session.peer_address?, session.ipv6_route),
        NextHopAction::Address(address) => next_hop_for(address, session.ipv6_route),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn med_minus_below_zero_and_plus_past_max_leave_it_unchanged() {
        assert_eq!(new_med(Some(5), MedAction::Subtract(10)), None);
        assert_eq!(new_med(Some(u32::MAX), MedAction::Add(1)), None);
        assert_eq!(new_med(None, MedAction::Add(10)), Some(10));
        assert_eq!(new_med(Some(15), MedAction::Subtract(10)), Some(5));
        assert_eq!(new_med(Some(15), MedAction::Set(3)), Some(3));
    }

    #[test]
    fn prepend_fills_the_first_sequence_then_adds_segments() {
        let mut path = AsPath::from_sequence(vec![65002]);
        prepend_asn(&mut path, 65001, 2);
        assert_eq!(path, AsPath::from_sequence(vec![65001, 65001, 65002]));
        let mut full = AsPath::from_sequence(vec![1; 254]);
        prepend_asn(&mut full, 7, 3);
        assert_eq!(full.segments.len(), 2);
        assert_eq!(full.segments[0].asns, vec![7, 7]);
        assert_eq!(full.segments[1].asns.len(), 255);
    }

    #[test]
    fn prepend_before_a_set_makes_a_new_sequence() {
        let mut path = AsPath {
            segments: vec![Segment {
                kind: SegmentType::Set,
                asns: vec![65003],
            }],
        };
        prepend_asn(&mut path, 65001, 1);
        assert_eq!(path.segments[0].kind, SegmentType::Sequence);
        assert_eq!(path.segments[0].asns, vec![65001]);
        assert_eq!(path.segments[1].kind, SegmentType::Set);
    }

    #[test]
    fn ipv4_next_hop_on_an_ipv6_route_is_ipv4_mapped() {
        let next_hop = next_hop_for("192.0.2.1".parse().expect("addr"), true);
        assert_eq!(
            next_hop,
            Some(NextHop::V6 {
                global: "::ffff:192.0.2.1".parse().expect("addr"),
                link_local: None
            })
        );
        assert_eq!(
            next_hop_for("2001:db8::1".parse().expect("addr"), false),
            None
        );
    }
}
