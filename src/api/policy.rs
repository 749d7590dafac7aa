//! The running policies as GoBGP's policy messages (ListPolicy,
//! ListStatement, ListDefinedSet, ListPolicyAssignment), answered from the
//! configuration the policy engine was built from.
//!
//! Sets and policies are listed by name, statements in policy order, as
//! gobgpd lists them. Conditions and actions gobgpd 3.10's messages cannot
//! carry (`community-count`, `med-eq`, `origin-eq`, `local-pref-eq`,
//! `set-route-origin`, `set-next-hop = "peer-address"`) are left out.

use tonic::Status;

use std::net::IpAddr;

use super::{convert, proto, ApiState, PolicyConfig};
use crate::config::{
    ApplyPolicy, CommunityAction, CommunityOption, Comparison, Conditions, DefaultPolicy,
    DefinedSets, MatchSetOptions, MedAction, NamedList, NextHopAction, Operator, PeerAddress,
    Policy, PrependAs, RouteDisposition, RouteType, RpkiValidation, SetMatch, Statement,
};
use crate::policy::listing;

fn match_set(set: &Option<SetMatch>) -> Option<proto::MatchSet> {
    use proto::match_set::Type;
    set.as_ref().map(|s| proto::MatchSet {
        r#type: match s.options {
            MatchSetOptions::Any => Type::Any,
            MatchSetOptions::All => Type::All,
            MatchSetOptions::Invert => Type::Invert,
        } as i32,
        name: s.set.clone(),
    })
}

fn as_path_length(c: &Comparison) -> proto::AsPathLength {
    use proto::as_path_length::Type;
    proto::AsPathLength {
        r#type: match c.operator {
            Operator::Eq => Type::Eq,
            Operator::Ge => Type::Ge,
            Operator::Le => Type::Le,
        } as i32,
        length: c.value,
    }
}

fn conditions(c: &Conditions) -> proto::Conditions {
    use proto::conditions::RouteType as Type;
    proto::Conditions {
        prefix_set: match_set(&c.prefix_set),
        neighbor_set: match_set(&c.neighbor_set),
        as_path_length: c.as_path_length.as_ref().map(as_path_length),
        as_path_set: match_set(&c.as_path_set),
        community_set: match_set(&c.community_set),
        ext_community_set: match_set(&c.ext_community_set),
        // gobgpd's "no condition" is -1.
        rpki_result: match c.rpki_validation {
            None => -1,
            Some(RpkiValidation::NotFound) => 1,
            Some(RpkiValidation::Valid) => 2,
            Some(RpkiValidation::Invalid) => 3,
        },
        route_type: match c.route_type {
            None => Type::None,
            Some(RouteType::Internal) => Type::Internal,
            Some(RouteType::External) => Type::External,
            Some(RouteType::Local) => Type::Local,
        } as i32,
        large_community_set: match_set(&c.large_community_set),
        next_hop_in_list: c.next_hop_in_list.iter().map(ToString::to_string).collect(),
        afi_safi_in: c
            .afi_safi_in_list
            .iter()
            .map(|name| convert::family(name.family()))
            .collect(),
    }
}

fn community_action(action: &Option<CommunityAction>) -> Option<proto::CommunityAction> {
    use proto::community_action::Type;
    action.as_ref().map(|a| proto::CommunityAction {
        r#type: match a.option {
            CommunityOption::Add => Type::Add,
            CommunityOption::Remove => Type::Remove,
            CommunityOption::Replace => Type::Replace,
        } as i32,
        communities: a.communities.clone(),
    })
}

fn med(action: MedAction) -> proto::MedAction {
    use proto::med_action::Type;
    let (kind, value) = match action {
        MedAction::Set(n) => (Type::Replace, i64::from(n)),
        MedAction::Add(n) => (Type::Mod, i64::from(n)),
        MedAction::Subtract(n) => (Type::Mod, -i64::from(n)),
    };
    proto::MedAction {
        r#type: kind as i32,
        value,
    }
}

fn next_hop(action: NextHopAction) -> proto::NexthopAction {
    let mut out = proto::NexthopAction::default();
    match action {
        NextHopAction::OwnAddress => out.self_ = true,
        NextHopAction::Unchanged => out.unchanged = true,
        NextHopAction::Address(ip) => out.address = ip.to_string(),
        NextHopAction::PeerAddress => {}
    }
    out
}

fn route_action(disposition: RouteDisposition) -> proto::RouteAction {
    match disposition {
        RouteDisposition::None => proto::RouteAction::None,
        RouteDisposition::Accept => proto::RouteAction::Accept,
        RouteDisposition::Reject => proto::RouteAction::Reject,
    }
}

fn statement(s: &Statement) -> proto::Statement {
    let a = &s.actions;
    proto::Statement {
        name: s.name.clone(),
        conditions: Some(conditions(&s.conditions)),
        actions: Some(proto::Actions {
            route_action: route_action(a.route_disposition) as i32,
            community: community_action(&a.set_community),
            med: a.set_med.map(med),
            as_prepend: a.as_path_prepend.map(|p| proto::AsPrependAction {
                asn: match p.asn {
                    PrependAs::Asn(asn) => asn,
                    PrependAs::LastAs => 0,
                },
                repeat: u32::from(p.repeat),
                use_left_most: p.asn == PrependAs::LastAs,
            }),
            ext_community: community_action(&a.set_ext_community),
            nexthop: a.set_next_hop.map(next_hop),
            local_pref: a
                .set_local_pref
                .filter(|&v| v != 0)
                .map(|value| proto::LocalPrefAction { value }),
            large_community: community_action(&a.set_large_community),
        }),
    }
}

fn policy(p: &Policy) -> proto::Policy {
    proto::Policy {
        name: p.name.clone(),
        statements: p.statements.iter().map(statement).collect(),
    }
}

/// The policies named `name` (every one when empty), by name.
pub fn policies(config: &PolicyConfig, name: &str) -> Vec<proto::Policy> {
    let mut list: Vec<&Policy> = config
        .policies
        .iter()
        .filter(|p| name.is_empty() || p.name == name)
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    list.into_iter().map(policy).collect()
}

/// The statements named `name` (every one when empty), in policy order.
pub fn statements(config: &PolicyConfig, name: &str) -> Vec<proto::Statement> {
    policies(config, "")
        .into_iter()
        .flat_map(|p| p.statements)
        .filter(|s| name.is_empty() || s.name == name)
        .collect()
}

fn named_lists(
    lists: &[NamedList],
    kind: proto::DefinedType,
    entry: impl Fn(&NamedList) -> Vec<String>,
) -> Vec<proto::DefinedSet> {
    lists
        .iter()
        .map(|l| proto::DefinedSet {
            defined_type: kind as i32,
            name: l.name.clone(),
            list: entry(l),
            prefixes: Vec::new(),
        })
        .collect()
}

fn each(l: &NamedList, f: fn(&str) -> String) -> Vec<String> {
    l.entries.iter().map(|e| f(e)).collect()
}

fn all_sets(sets: &DefinedSets, kind: proto::DefinedType) -> Vec<proto::DefinedSet> {
    use proto::DefinedType as T;
    match kind {
        T::Prefix => sets
            .prefix_sets
            .iter()
            .map(|s| proto::DefinedSet {
                defined_type: kind as i32,
                name: s.name.clone(),
                list: Vec::new(),
                prefixes: s
                    .prefixes
                    .iter()
                    .map(|p| proto::Prefix {
                        ip_prefix: p.prefix.to_string(),
                        mask_length_min: u32::from(p.min_length),
                        mask_length_max: u32::from(p.max_length),
                    })
                    .collect(),
            })
            .collect(),
        T::Neighbor => sets
            .neighbor_sets
            .iter()
            .map(|s| proto::DefinedSet {
                defined_type: kind as i32,
                name: s.name.clone(),
                list: s.neighbors.iter().map(ToString::to_string).collect(),
                prefixes: Vec::new(),
            })
            .collect(),
        T::Community => named_lists(&sets.community_sets, kind, |l| each(l, listing::community)),
        T::ExtCommunity => named_lists(&sets.ext_community_sets, kind, |l| {
            each(l, listing::ext_community)
        }),
        T::LargeCommunity => named_lists(&sets.large_community_sets, kind, |l| {
            each(l, listing::large_community)
        }),
        T::AsPath => named_lists(&sets.as_path_sets, kind, |l| {
            listing::as_path_set(&l.entries)
        }),
        T::Tag | T::NextHop => Vec::new(),
    }
}

/// The defined sets of type `kind` named `name` (every one when empty),
/// by name.
pub fn defined_sets(
    config: &PolicyConfig,
    kind: i32,
    name: &str,
) -> Result<Vec<proto::DefinedSet>, Status> {
    let kind = proto::DefinedType::try_from(kind)
        .map_err(|_| Status::invalid_argument(format!("unknown defined set type {kind}")))?;
    let mut sets = all_sets(&config.defined_sets, kind);
    sets.retain(|s| name.is_empty() || s.name == name);
    sets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(sets)
}

/// One direction of an assignment (`name`: `global` or a neighbor).
fn assignment(
    config: &PolicyConfig,
    name: &str,
    apply: &ApplyPolicy,
    direction: proto::PolicyDirection,
) -> proto::PolicyAssignment {
    let (names, default) = match direction {
        proto::PolicyDirection::Export => (&apply.export_policies, apply.default_export),
        _ => (&apply.import_policies, apply.default_import),
    };
    let policies = names
        .iter()
        .filter_map(|n| config.policies.iter().find(|p| &p.name == n))
        .map(policy)
        .collect();
    proto::PolicyAssignment {
        name: name.to_owned(),
        direction: direction as i32,
        policies,
        default_action: match default {
            DefaultPolicy::Accept => proto::RouteAction::Accept,
            DefaultPolicy::Reject => proto::RouteAction::Reject,
        } as i32,
    }
}

/// The directions a ListPolicyAssignment asks for (both when unknown).
fn directions(direction: i32) -> Result<Vec<proto::PolicyDirection>, Status> {
    use proto::PolicyDirection as D;
    match D::try_from(direction) {
        Ok(D::Unknown) => Ok(vec![D::Import, D::Export]),
        Ok(d) => Ok(vec![d]),
        Err(_) => Err(Status::invalid_argument(format!(
            "unknown policy direction {direction}"
        ))),
    }
}

/// The apply-policy of ListPolicyAssignment's `name`: `global` (or
/// empty), or a route-server client's.
fn apply_policy(state: &ApiState, name: &str) -> Result<ApplyPolicy, Status> {
    if name.is_empty() || name == "global" {
        return Ok(state.policy.borrow().global.clone());
    }
    let ip: IpAddr = name.parse().map_err(|_| {
        Status::invalid_argument(format!("{name:?} is neither \"global\" nor an address"))
    })?;
    let neighbors = state.neighbors.borrow().clone();
    let neighbor = neighbors
        .iter()
        .find(|n| n.address == PeerAddress::Ip(ip))
        .ok_or_else(|| Status::not_found(format!("not found neighbor {ip}")))?;
    if !neighbor.route_server_client {
        return Err(Status::failed_precondition(format!(
            "non-rs-client peer {ip} doesn't have per peer policy"
        )));
    }
    Ok(neighbor.apply_policy.clone())
}

/// Answers ListPolicyAssignment.
pub fn list_assignments(
    state: &ApiState,
    request: &proto::ListPolicyAssignmentRequest,
) -> Result<Vec<proto::ListPolicyAssignmentResponse>, Status> {
    let directions = directions(request.direction)?;
    let apply = apply_policy(state, &request.name)?;
    let name = if request.name.is_empty() {
        "global"
    } else {
        &request.name
    };
    let config = state.policy.borrow().clone();
    Ok(directions
        .into_iter()
        .map(|d| proto::ListPolicyAssignmentResponse {
            assignment: Some(assignment(&config, name, &apply, d)),
        })
        .collect())
}
