//! Routing policy: gobgpd's defined sets and policy definitions, compiled
//! once per configuration load into an immutable [`PolicyEngine`], then
//! evaluated per route by the rib (import before Loc-RIB, export per
//! destination peer).
//!
//! The semantics are gobgpd's (reference `gobgpd-compat.md` §1.6, §1.7,
//! §2): the policies of an assignment run in order, and so do their
//! statements. A statement matches when all its conditions hold; its
//! actions then change the route (in gobgpd's fixed order, see
//! `actions`), and its disposition decides: `accept-route` and
//! `reject-route` end evaluation, none goes on to the next statement with
//! the changes kept. When nothing decides, the assignment's default does:
//! accept keeps the accumulated changes, reject drops the route.
//!
//! Which assignment applies: the global one (`[global.apply-policy]`) for
//! ordinary peers; a route-server client's own (`[neighbors.apply-policy]`)
//! for routes it sends us (import) and routes we send it (export). A
//! neighbor set is checked against the source peer on import and the
//! destination peer on export.
//!
//! # Layout
//!
//! - [`error`]: why a configuration does not compile;
//! - `prefix_set`: prefix and neighbor sets (lookups independent of the
//!   set's size);
//! - `community`, `as_path`: set entries and community values, gobgpd's
//!   parsing and matching;
//! - `sets`: the compiled sets and the `any`/`all`/`invert` rule;
//! - `conditions`, `actions`: one statement's parts;
//! - `route`: the route under evaluation, read in place or decoded
//!   lazily, with the changes actions make kept beside it and applied
//!   once at the end.
//!
//! A changed attribute set is built on the received set's encoding
//! (`PathAttrs::splice`: the new values spliced in, the rest copied),
//! and conditions read communities and the AS path from the encoding in
//! place (`PathAttrs::encoded_value`); the decoded path is kept for sets
//! stored decoded and for values that would not round-trip. The routes
//! of one UPDATE share a set and a policy usually changes them alike, so
//! each thread still keeps the last few thousand sets built, keyed by the
//! received set and the changes (the last two checked first).
//!
//! # Known issues
//!
//! - No RPKI: `rpki-validation-result = "not-found"` matches every route,
//!   `valid` and `invalid` none.
//! - Extended communities have gobgpd's text for the route-target and
//!   route-origin layouts only: `encap:` entries match nothing, and `lb:`
//!   entries see `AS:<bandwidth bits as an integer>`, not gobgpd's text.
//! - Route-server clients are keyed by address: a route-server client on
//!   an interface or from a dynamic-neighbor range has no policies of its
//!   own.
//! - Confederations: `set-as-path-prepend` always prepends to an
//!   AS_SEQUENCE.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use ipnet::IpNet;

use crate::config::{
    ApplyPolicy, Config, DefaultPolicy, DefinedSets, PeerAddress, Policy, RouteDisposition,
    RouteType,
};
use crate::rib::attrs::PathAttrs;
use crate::rib::hash::FxHashMap;
use crate::wire::bgp::NextHop;
use crate::wire::Family;

mod actions;
mod as_path;
mod community;
mod conditions;
pub mod error;
pub mod listing;
mod memo;
mod prefix_set;
mod route;
mod sets;

#[cfg(test)]
mod actions_tests;
#[cfg(test)]
mod conditions_tests;
#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod route_tests;
#[cfg(test)]
mod test_support;

pub use error::{EntryProblem, PolicyError, SetKind};

use actions::{CompiledActions, Session};
use conditions::{CompiledConditions, Facts, Place};
use route::Route;
use sets::CompiledSets;

/// The peer a route was received from (or the local speaker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePeer {
    /// The peer's address; `None` for a locally originated route.
    pub address: Option<IpAddr>,
    /// Our address on the session with it (`set-next-hop = "self"` on
    /// import).
    pub local_address: Option<IpAddr>,
    /// The peer's AS.
    pub asn: u32,
    /// The peer's BGP identifier.
    pub router_id: Ipv4Addr,
    /// eBGP (`route-type = external`); iBGP otherwise, unless local.
    pub external: bool,
    /// The peer is a route-server client: its own import policy applies.
    pub route_server_client: bool,
}

impl SourcePeer {
    /// The `route-type` of routes from this source.
    pub fn route_type(&self) -> RouteType {
        match (self.address, self.external) {
            (None, _) => RouteType::Local,
            (Some(_), true) => RouteType::External,
            (Some(_), false) => RouteType::Internal,
        }
    }
}

/// The peer a route is about to be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPeer {
    /// The peer's address.
    pub address: IpAddr,
    /// The peer's AS.
    pub asn: u32,
    /// Our address on the session with it (`set-next-hop = "self"`).
    pub local_address: IpAddr,
    /// The peer is a route-server client: its own export policy applies.
    pub route_server_client: bool,
}

/// One route as policy sees it, besides its attributes.
#[derive(Debug, Clone)]
pub struct RouteContext<'a> {
    /// The prefix.
    pub prefix: IpNet,
    /// Its family (`afi-safi-in-list`).
    pub family: Family,
    /// Where it came from.
    pub source: &'a SourcePeer,
    /// On export, the next hop before the rib's eBGP/iBGP rewrite:
    /// `next-hop-in-list` compares it and `set-next-hop = "unchanged"`
    /// restores it, as in gobgpd. `None` on import (the route's own).
    pub original_next_hop: Option<NextHop>,
}

/// What policy decided for a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Accepted with its attributes as they were.
    Accept,
    /// Accepted with these attributes (intern them before storing).
    Modified(PathAttrs),
    /// Rejected: on import the route is treated as withdrawn, on export
    /// it is not sent (a previously sent version is withdrawn).
    Reject,
}

impl From<DefaultPolicy> for Decision {
    fn from(default: DefaultPolicy) -> Decision {
        match default {
            DefaultPolicy::Accept => Decision::Accept,
            DefaultPolicy::Reject => Decision::Reject,
        }
    }
}

#[derive(Debug)]
struct CompiledStatement {
    /// Position among the engine's statements (for the per-set answers).
    index: usize,
    conditions: CompiledConditions,
    /// The attributes the conditions read ([`conditions::Reads`] bits).
    reads: u8,
    actions: CompiledActions,
}

#[derive(Debug)]
struct CompiledPolicy {
    statements: Vec<CompiledStatement>,
}

/// The policies of one assignment (global, or one route-server client).
#[derive(Debug, Default)]
struct Assignment {
    import: Box<[Arc<CompiledPolicy>]>,
    export: Box<[Arc<CompiledPolicy>]>,
    default_import: DefaultPolicy,
    default_export: DefaultPolicy,
}

impl Assignment {
    fn new(
        apply: &ApplyPolicy,
        policies: &HashMap<&str, Arc<CompiledPolicy>>,
    ) -> Result<Assignment, PolicyError> {
        let resolve = |names: &[String]| {
            names
                .iter()
                .map(|name| {
                    policies
                        .get(name.as_str())
                        .cloned()
                        .ok_or_else(|| PolicyError::UnknownPolicy {
                            policy: name.clone(),
                        })
                })
                .collect::<Result<Box<[_]>, _>>()
        };
        Ok(Assignment {
            import: resolve(&apply.import_policies)?,
            export: resolve(&apply.export_policies)?,
            default_import: apply.default_import,
            default_export: apply.default_export,
        })
    }
}

/// Compiled policies and their assignments: built once per configuration
/// load, then only read.
#[derive(Debug, Default)]
pub struct PolicyEngine {
    /// Identity for the per-thread answers (see `memo`).
    id: u64,
    /// Number of statements, all policies together.
    statements: usize,
    global: Assignment,
    route_server_clients: FxHashMap<IpAddr, Assignment>,
    /// For route-server clients without an assignment: accept everything.
    none: Assignment,
}

fn compile_policies(
    sets: &DefinedSets,
    policies: &[Policy],
) -> Result<HashMap<String, CompiledPolicy>, PolicyError> {
    let sets = CompiledSets::new(sets)?;
    let mut index = 0;
    let mut out = HashMap::new();
    for policy in policies {
        let mut statements = Vec::new();
        for statement in &policy.statements {
            let place = Place {
                policy: &policy.name,
                statement: &statement.name,
            };
            let conditions = CompiledConditions::new(&statement.conditions, &sets, &place)?;
            statements.push(CompiledStatement {
                index,
                reads: conditions.attribute_reads(),
                conditions,
                actions: CompiledActions::new(&statement.actions, &policy.name, &statement.name)?,
            });
            index += 1;
        }
        out.insert(policy.name.clone(), CompiledPolicy { statements });
    }
    Ok(out)
}

impl PolicyEngine {
    /// Compiles `policies` over `sets` and assigns them: `global` for
    /// ordinary peers, `route_server_clients` (by peer address) for
    /// route-server clients.
    pub fn new(
        sets: &DefinedSets,
        policies: &[Policy],
        global: &ApplyPolicy,
        route_server_clients: &HashMap<IpAddr, ApplyPolicy>,
    ) -> Result<PolicyEngine, PolicyError> {
        let compiled: HashMap<String, Arc<CompiledPolicy>> = compile_policies(sets, policies)?
            .into_iter()
            .map(|(name, policy)| (name, Arc::new(policy)))
            .collect();
        let by_name: HashMap<&str, Arc<CompiledPolicy>> = compiled
            .iter()
            .map(|(name, policy)| (name.as_str(), Arc::clone(policy)))
            .collect();
        Ok(PolicyEngine {
            id: memo::next_engine_id(),
            statements: policies.iter().map(|p| p.statements.len()).sum(),
            global: Assignment::new(global, &by_name)?,
            route_server_clients: route_server_clients
                .iter()
                .map(|(address, apply)| Ok((*address, Assignment::new(apply, &by_name)?)))
                .collect::<Result<_, PolicyError>>()?,
            none: Assignment::default(),
        })
    }

    /// The engine for a loaded configuration: its sets, policies, global
    /// apply-policy and the apply-policy of each route-server client with
    /// an address.
    pub fn from_config(config: &Config) -> Result<PolicyEngine, PolicyError> {
        let clients = config
            .neighbors
            .iter()
            .filter(|n| n.route_server_client)
            .filter_map(|n| match n.address {
                PeerAddress::Ip(address) => Some((address, n.apply_policy.clone())),
                PeerAddress::Interface(_) | PeerAddress::Dynamic => None,
            })
            .collect();
        PolicyEngine::new(
            &config.defined_sets,
            &config.policies,
            &config.global.apply_policy,
            &clients,
        )
    }

    /// Checks that `sets` and `policies` compile (regular expressions,
    /// community values, set references), as at load.
    pub fn check(sets: &DefinedSets, policies: &[Policy]) -> Result<(), PolicyError> {
        compile_policies(sets, policies).map(|_| ())
    }

    fn import_assignment(&self, source: &SourcePeer) -> &Assignment {
        if !source.route_server_client {
            return &self.global;
        }
        source
            .address
            .and_then(|a| self.route_server_clients.get(&a))
            .unwrap_or(&self.none)
    }

    fn export_assignment(&self, target: &TargetPeer) -> &Assignment {
        if !target.route_server_client {
            return &self.global;
        }
        self.route_server_clients
            .get(&target.address)
            .unwrap_or(&self.none)
    }

    /// No import policy applies to routes from `source`: every route is
    /// accepted unchanged, or every one rejected by the default.
    pub fn import_is_default(&self, source: &SourcePeer) -> bool {
        self.import_assignment(source).import.is_empty()
    }

    /// No export policy applies to routes sent to `target`.
    pub fn export_is_default(&self, target: &TargetPeer) -> bool {
        self.export_assignment(target).export.is_empty()
    }

    /// Every route from `source` is accepted unchanged: no import policy
    /// and the default accepts (the rib then skips evaluation).
    pub fn import_accepts_all(&self, source: &SourcePeer) -> bool {
        let assignment = self.import_assignment(source);
        assignment.import.is_empty() && assignment.default_import == DefaultPolicy::Accept
    }

    /// Every route to `target` is sent unchanged: no export policy and the
    /// default accepts.
    pub fn export_accepts_all(&self, target: &TargetPeer) -> bool {
        let assignment = self.export_assignment(target);
        assignment.export.is_empty() && assignment.default_export == DefaultPolicy::Accept
    }

    /// Runs `policies` over one route: statements in order, the first
    /// disposition decides, else `default`.
    fn evaluate(
        &self,
        policies: &[Arc<CompiledPolicy>],
        default: DefaultPolicy,
        facts: &Facts<'_>,
        session: &Session,
        attrs: &Arc<PathAttrs>,
    ) -> Decision {
        let mut route = Route::new(attrs);
        for statement in policies.iter().flat_map(|p| &p.statements) {
            if !statement.conditions.facts_match(facts, &route) {
                continue;
            }
            let attributes_match = if statement.reads == 0 {
                true
            } else if statement.reads & route.changes.touched() == 0 {
                // Reads only attributes as received: the answer is the
                // same for every route sharing the set.
                memo::attributes_match(self.id, statement.index, self.statements, attrs, || {
                    statement.conditions.attributes_match(&route)
                })
            } else {
                statement.conditions.attributes_match(&route)
            };
            if !attributes_match {
                continue;
            }
            statement.actions.apply(&mut route, session);
            match statement.actions.disposition {
                RouteDisposition::Accept => return finish(route),
                RouteDisposition::Reject => return Decision::Reject,
                RouteDisposition::None => {}
            }
        }
        match default {
            DefaultPolicy::Accept => finish(route),
            DefaultPolicy::Reject => Decision::Reject,
        }
    }

    /// Runs the import policy for a route received from `route.source`.
    pub fn import(&self, route: &RouteContext<'_>, attrs: &Arc<PathAttrs>) -> Decision {
        let assignment = self.import_assignment(route.source);
        if assignment.import.is_empty() {
            return assignment.default_import.into();
        }
        let facts = Facts {
            prefix: &route.prefix,
            family: route.family,
            neighbor: route.source.address,
            route_type: route.source.route_type(),
            next_hop: route.original_next_hop,
        };
        let session = Session {
            local_address: route.source.local_address,
            peer_address: route.source.address,
            original_next_hop: route
                .original_next_hop
                .or_else(|| attrs.next_hop().copied()),
            ipv6_route: route.prefix.addr().is_ipv6(),
        };
        self.evaluate(
            &assignment.import,
            assignment.default_import,
            &facts,
            &session,
            attrs,
        )
    }

    /// Runs the export policy for a route about to be sent to `target`;
    /// `attrs` are the attributes after the rib's rewrite for that peer
    /// (AS prepended, MED handling, next hop), as gobgpd evaluates them.
    pub fn export(
        &self,
        route: &RouteContext<'_>,
        target: &TargetPeer,
        attrs: &Arc<PathAttrs>,
    ) -> Decision {
        let assignment = self.export_assignment(target);
        if assignment.export.is_empty() {
            return assignment.default_export.into();
        }
        let facts = Facts {
            prefix: &route.prefix,
            family: route.family,
            neighbor: Some(target.address),
            route_type: route.source.route_type(),
            next_hop: route.original_next_hop,
        };
        let session = Session {
            local_address: Some(target.local_address),
            peer_address: Some(target.address),
            original_next_hop: route.original_next_hop,
            ipv6_route: route.prefix.addr().is_ipv6(),
        };
        self.evaluate(
            &assignment.export,
            assignment.default_export,
            &facts,
            &session,
            attrs,
        )
    }
}

/// Accepts the route with its changes, if any changed it.
fn finish(route: Route<'_>) -> Decision {
    if route.changes.is_empty() {
        return Decision::Accept;
    }
    let base = route.base();
    match memo::built(base, route.changes) {
        None => Decision::Accept,
        Some(changed) => Decision::Modified(changed),
    }
}
