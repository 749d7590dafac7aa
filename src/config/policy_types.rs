//! Checked policy types: defined sets, statements, apply-policy.

use std::net::IpAddr;

use ipnet::IpNet;

use super::afi_safi::AfiSafiName;

/// Named sets that policy conditions refer to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DefinedSets {
    /// `prefix-sets`.
    pub prefix_sets: Vec<PrefixSet>,
    /// `neighbor-sets`.
    pub neighbor_sets: Vec<NeighborSet>,
    /// `bgp-defined-sets.community-sets` (entries as written).
    pub community_sets: Vec<NamedList>,
    /// `bgp-defined-sets.ext-community-sets` (entries as written).
    pub ext_community_sets: Vec<NamedList>,
    /// `bgp-defined-sets.large-community-sets` (entries as written).
    pub large_community_sets: Vec<NamedList>,
    /// `bgp-defined-sets.as-path-sets` (regular expressions as written).
    pub as_path_sets: Vec<NamedList>,
}

/// A named prefix set; all prefixes are of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixSet {
    /// Set name.
    pub name: String,
    /// Entries.
    pub prefixes: Vec<PrefixMatch>,
}

/// A prefix and the range of lengths it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixMatch {
    /// The covering prefix (host bits cleared).
    pub prefix: IpNet,
    /// Shortest matching length.
    pub min_length: u8,
    /// Longest matching length.
    pub max_length: u8,
}

/// A named neighbor set. An empty set matches every neighbor (gobgpd).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighborSet {
    /// Set name.
    pub name: String,
    /// Addresses (as /32 or /128) and prefixes.
    pub neighbors: Vec<IpNet>,
}

/// A named list of patterns (communities, AS path expressions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedList {
    /// Set name.
    pub name: String,
    /// Entries, as written.
    pub entries: Vec<String>,
}

/// A `[[policy-definitions]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Policy name.
    pub name: String,
    /// Statements in evaluation order.
    pub statements: Vec<Statement>,
}

/// One statement: if all conditions match, apply the actions.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Statement name (`<policy>_stmt<index>` when unset).
    pub name: String,
    /// Conditions.
    pub conditions: Conditions,
    /// Actions.
    pub actions: Actions,
}

/// How a set condition matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MatchSetOptions {
    /// Any entry matches (default).
    #[default]
    Any,
    /// All entries match (community-like sets only).
    All,
    /// No entry matches.
    Invert,
}

/// A reference to a defined set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetMatch {
    /// Name of the set (checked to exist).
    pub set: String,
    /// How it matches.
    pub options: MatchSetOptions,
}

/// Comparison operator of `as-path-length` and `community-count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// Equal.
    Eq,
    /// Greater or equal.
    Ge,
    /// Less or equal.
    Le,
}

/// `{ operator, value }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comparison {
    /// Operator.
    pub operator: Operator,
    /// Operand.
    pub value: u32,
}

/// `route-type` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteType {
    /// Learned from an iBGP peer.
    Internal,
    /// Learned from an eBGP peer.
    External,
    /// Originated locally.
    Local,
}

/// `rpki-validation-result` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpkiValidation {
    /// Valid.
    Valid,
    /// Invalid.
    Invalid,
    /// Not found.
    NotFound,
}

/// ORIGIN values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// IGP.
    Igp,
    /// EGP.
    Egp,
    /// Incomplete.
    Incomplete,
}

/// Conditions of a statement (all must hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conditions {
    /// `match-prefix-set`.
    pub prefix_set: Option<SetMatch>,
    /// `match-neighbor-set`.
    pub neighbor_set: Option<SetMatch>,
    /// `match-community-set`.
    pub community_set: Option<SetMatch>,
    /// `match-ext-community-set`.
    pub ext_community_set: Option<SetMatch>,
    /// `match-large-community-set`.
    pub large_community_set: Option<SetMatch>,
    /// `match-as-path-set`.
    pub as_path_set: Option<SetMatch>,
    /// `as-path-length`.
    pub as_path_length: Option<Comparison>,
    /// `community-count`.
    pub community_count: Option<Comparison>,
    /// `route-type`.
    pub route_type: Option<RouteType>,
    /// `rpki-validation-result`.
    pub rpki_validation: Option<RpkiValidation>,
    /// `next-hop-in-list` (addresses become /32 or /128).
    pub next_hop_in_list: Vec<IpNet>,
    /// `afi-safi-in-list`.
    pub afi_safi_in_list: Vec<AfiSafiName>,
    /// `med-eq`.
    pub med_eq: Option<u32>,
    /// `origin-eq`.
    pub origin_eq: Option<Origin>,
    /// `local-pref-eq`.
    pub local_pref_eq: Option<u32>,
}

/// `route-disposition`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RouteDisposition {
    /// Go on with the next statement (unset or `none`).
    #[default]
    None,
    /// Accept and stop.
    Accept,
    /// Reject and stop.
    Reject,
}

/// `set-med`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MedAction {
    /// `N`: replace.
    Set(u32),
    /// `+N`: add.
    Add(u32),
    /// `-N`: subtract.
    Subtract(u32),
}

/// `set-next-hop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextHopAction {
    /// `self`: our address on the session.
    OwnAddress,
    /// `unchanged`.
    Unchanged,
    /// `peer-address` (v4): the peer's address.
    PeerAddress,
    /// A fixed address.
    Address(IpAddr),
}

/// `as` of `set-as-path-prepend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrependAs {
    /// A fixed ASN.
    Asn(u32),
    /// The leftmost AS of the path.
    LastAs,
}

/// `set-as-path-prepend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepend {
    /// What to prepend.
    pub asn: PrependAs,
    /// How many times.
    pub repeat: u8,
}

/// `options` of a community action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunityOption {
    /// Add.
    Add,
    /// Remove (entries are patterns).
    Remove,
    /// Replace.
    Replace,
}

/// A community action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityAction {
    /// Add, remove or replace.
    pub option: CommunityOption,
    /// The communities, as written.
    pub communities: Vec<String>,
}

/// Actions of a statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actions {
    /// Accept, reject or continue.
    pub route_disposition: RouteDisposition,
    /// `set-med`.
    pub set_med: Option<MedAction>,
    /// `set-local-pref` (0 = none).
    pub set_local_pref: Option<u32>,
    /// `set-next-hop`.
    pub set_next_hop: Option<NextHopAction>,
    /// `set-route-origin`.
    pub set_route_origin: Option<Origin>,
    /// `set-as-path-prepend`.
    pub as_path_prepend: Option<Prepend>,
    /// `set-community`.
    pub set_community: Option<CommunityAction>,
    /// `set-ext-community`.
    pub set_ext_community: Option<CommunityAction>,
    /// `set-large-community`.
    pub set_large_community: Option<CommunityAction>,
}

/// Default action of an `apply-policy` direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DefaultPolicy {
    /// `accept-route` (also when unset or unknown).
    #[default]
    Accept,
    /// `reject-route`.
    Reject,
}

/// Which policies apply in each direction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyPolicy {
    /// Import policies, by name, in order (unknown names dropped with a warning).
    pub import_policies: Vec<String>,
    /// Export policies, by name, in order (unknown names dropped with a warning).
    pub export_policies: Vec<String>,
    /// When no import policy decides.
    pub default_import: DefaultPolicy,
    /// When no export policy decides.
    pub default_export: DefaultPolicy,
}
