//! Helpers for the policy tests: engines from TOML, routes, peers.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use super::{Decision, PolicyEngine, RouteContext, SourcePeer, TargetPeer};
use crate::rib::attrs::PathAttrs;
use crate::rib::table::family_of;
use crate::wire::bgp::{
    AsPath, AttrType, AttrValue, Community, ExtendedCommunity, LargeCommunity, NextHop, Origin,
    PathAttribute,
};

/// An engine from `rest` (defined sets, policies, apply-policy tables)
/// under a minimal `[global.config]`.
pub fn engine(rest: &str) -> PolicyEngine {
    let text = format!("[global.config]\nas = 65001\nrouter-id = \"192.0.2.1\"\n{rest}");
    let config = crate::config::parse(&text, "test.toml").expect("test config parses");
    PolicyEngine::from_config(&config).expect("test policies compile")
}

/// An engine whose global import policy is one statement `p` with
/// `conditions` (TOML under the statement) that rejects what it matches.
pub fn rejecting(sets: &str, conditions: &str) -> PolicyEngine {
    engine(&format!(
        "[global.apply-policy.config]\nimport-policy-list = [\"p\"]\n\
         export-policy-list = [\"p\"]\n{sets}\n\
         [[policy-definitions]]\nname = \"p\"\n[[policy-definitions.statements]]\nname = \"s\"\n\
         {conditions}\n[policy-definitions.statements.actions]\nroute-disposition = \"reject-route\"\n"
    ))
}

/// An engine whose global import policy is one statement with no
/// condition, `actions` (TOML under `bgp-actions`) and accept.
pub fn acting(actions: &str) -> PolicyEngine {
    engine(&format!(
        "[global.apply-policy.config]\nimport-policy-list = [\"p\"]\n\
         export-policy-list = [\"p\"]\n\
         [[policy-definitions]]\nname = \"p\"\n[[policy-definitions.statements]]\nname = \"s\"\n\
         [policy-definitions.statements.actions]\nroute-disposition = \"accept-route\"\n\
         [policy-definitions.statements.actions.bgp-actions]\n{actions}\n"
    ))
}

/// The eBGP peer 192.0.2.2 (AS 65002); we are 192.0.2.1 on that session.
pub fn ebgp() -> SourcePeer {
    SourcePeer {
        address: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2))),
        local_address: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
        asn: 65002,
        router_id: Ipv4Addr::new(192, 0, 2, 2),
        external: true,
        route_server_client: false,
    }
}

/// The peer 198.51.100.9 (AS 65009) we export to, from 198.51.100.1.
pub fn target() -> TargetPeer {
    TargetPeer {
        address: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9)),
        asn: 65009,
        local_address: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)),
        route_server_client: false,
    }
}

/// A route's attributes, built up one attribute at a time.
#[derive(Debug, Clone)]
pub struct Attrs {
    attributes: Vec<PathAttribute>,
    next_hop: NextHop,
}

impl Attrs {
    /// ORIGIN IGP, AS_PATH `path`, next hop 192.0.2.2.
    pub fn path(path: &[u32]) -> Attrs {
        Attrs {
            attributes: vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(path.to_vec()))),
            ],
            next_hop: NextHop::V4(Ipv4Addr::new(192, 0, 2, 2)),
        }
    }

    /// Adds (or replaces) an attribute.
    pub fn with(mut self, value: AttrValue) -> Attrs {
        let code = value.type_code();
        self.attributes.retain(|a| a.type_code() != code);
        self.attributes.push(PathAttribute::new(value));
        self
    }

    /// Standard communities from `A:B` texts.
    pub fn communities(self, list: &[(u16, u16)]) -> Attrs {
        let list = list.iter().map(|(a, b)| Community::new(*a, *b)).collect();
        self.with(AttrValue::Communities(list))
    }

    /// The next hop.
    pub fn next_hop(mut self, next_hop: NextHop) -> Attrs {
        self.next_hop = next_hop;
        self
    }

    /// The set, shared as the rib holds it.
    pub fn build(&self) -> Arc<PathAttrs> {
        Arc::new(PathAttrs::new(self.attributes.clone(), Some(self.next_hop)))
    }
}

/// A route context for `prefix` from `source`.
pub fn context<'a>(prefix: &str, source: &'a SourcePeer) -> RouteContext<'a> {
    let prefix = prefix.parse().expect("test prefix");
    RouteContext {
        prefix,
        family: family_of(&prefix),
        source,
        original_next_hop: None,
    }
}

/// Import decision for `prefix` from the eBGP peer.
pub fn import(engine: &PolicyEngine, prefix: &str, attrs: &Attrs) -> Decision {
    let source = ebgp();
    engine.import(&context(prefix, &source), &attrs.build())
}

/// The policy rejected the route (its statement matched).
pub fn rejected(engine: &PolicyEngine, prefix: &str, attrs: &Attrs) -> bool {
    match import(engine, prefix, attrs) {
        Decision::Reject => true,
        Decision::Accept => false,
        Decision::Modified(m) => panic!("unexpected change: {m:?}"),
    }
}

/// The attributes after import (unchanged ones too); panics on reject.
pub fn imported(engine: &PolicyEngine, prefix: &str, attrs: &Attrs) -> PathAttrs {
    match import(engine, prefix, attrs) {
        Decision::Accept => (*attrs.build()).clone(),
        Decision::Modified(m) => m,
        Decision::Reject => panic!("route rejected"),
    }
}

/// The standard communities of `attrs`.
pub fn communities_of(attrs: &PathAttrs) -> Vec<Community> {
    match attrs.get(AttrType::Communities).map(|a| a.value) {
        Some(AttrValue::Communities(list)) => list,
        _ => Vec::new(),
    }
}

/// The extended communities of `attrs`.
pub fn ext_communities_of(attrs: &PathAttrs) -> Option<Vec<ExtendedCommunity>> {
    match attrs.get(AttrType::ExtendedCommunities).map(|a| a.value) {
        Some(AttrValue::ExtendedCommunities(list)) => Some(list),
        _ => None,
    }
}

/// The large communities of `attrs`.
pub fn large_communities_of(attrs: &PathAttrs) -> Vec<LargeCommunity> {
    match attrs.get(AttrType::LargeCommunities).map(|a| a.value) {
        Some(AttrValue::LargeCommunities(list)) => list,
        _ => Vec::new(),
    }
}

/// The AS_PATH of `attrs` as a flat list of ASNs.
pub fn path_of(attrs: &PathAttrs) -> Vec<u32> {
    attrs
        .as_path()
        .map(|p| p.segments.into_iter().flat_map(|s| s.asns).collect())
        .unwrap_or_default()
}
