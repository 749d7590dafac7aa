//! Raw `[defined-sets]`, `[[policy-definitions]]` and `apply-policy` tables.

use serde::Deserialize;
use toml::Value;

use super::file::Container;
use super::loose;

/// `apply-policy` (global, neighbor, peer group).
pub(crate) type RawApplyPolicy = Container<RawApplyPolicyConfig>;

/// `apply-policy.config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawApplyPolicyConfig {
    /// Import policy names, in evaluation order.
    #[serde(deserialize_with = "loose::strings")]
    pub import_policy_list: Option<Vec<String>>,
    /// Export policy names, in evaluation order.
    #[serde(deserialize_with = "loose::strings")]
    pub export_policy_list: Option<Vec<String>>,
    /// `accept-route` or `reject-route`.
    #[serde(deserialize_with = "loose::string")]
    pub default_import_policy: Option<String>,
    /// `accept-route` or `reject-route`.
    #[serde(deserialize_with = "loose::string")]
    pub default_export_policy: Option<String>,
    /// v3 only, vestigial.
    #[serde(deserialize_with = "loose::strings")]
    pub in_policy_list: Option<Vec<String>>,
    /// v3 only, vestigial.
    #[serde(deserialize_with = "loose::string")]
    pub default_in_policy: Option<String>,
}

/// `[defined-sets]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawDefinedSets {
    /// `[[defined-sets.prefix-sets]]`.
    pub prefix_sets: Vec<RawPrefixSet>,
    /// `[[defined-sets.neighbor-sets]]`.
    pub neighbor_sets: Vec<RawNeighborSet>,
    /// `[[defined-sets.tag-sets]]` (unused by gobgpd).
    pub tag_sets: Option<Value>,
    /// `[defined-sets.bgp-defined-sets]`.
    pub bgp_defined_sets: RawBgpDefinedSets,
}

/// `[[defined-sets.prefix-sets]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawPrefixSet {
    /// Set name.
    #[serde(deserialize_with = "loose::string")]
    pub prefix_set_name: Option<String>,
    /// `[[...prefix-list]]`.
    pub prefix_list: Vec<RawPrefix>,
}

/// One `prefix-list` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawPrefix {
    /// `a.b.c.d/n`.
    #[serde(deserialize_with = "loose::string")]
    pub ip_prefix: Option<String>,
    /// `min..max`; empty = exact length.
    #[serde(deserialize_with = "loose::string")]
    pub masklength_range: Option<String>,
    /// v4: route-target constraint prefix (not acted on).
    #[serde(deserialize_with = "loose::string")]
    pub rtc_prefix: Option<String>,
}

/// `[[defined-sets.neighbor-sets]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawNeighborSet {
    /// Set name.
    #[serde(deserialize_with = "loose::string")]
    pub neighbor_set_name: Option<String>,
    /// Addresses or prefixes.
    #[serde(deserialize_with = "loose::strings")]
    pub neighbor_info_list: Option<Vec<String>>,
}

macro_rules! named_list {
    ($ty:ident, $name:ident, $list:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
        pub(crate) struct $ty {
            /// Set name.
            #[serde(deserialize_with = "loose::string")]
            pub $name: Option<String>,
            /// Entries (kept as written).
            #[serde(deserialize_with = "loose::strings")]
            pub $list: Option<Vec<String>>,
        }
    };
}

named_list!(
    RawCommunitySet,
    community_set_name,
    community_list,
    "`community-sets` entry."
);
named_list!(
    RawExtCommunitySet,
    ext_community_set_name,
    ext_community_list,
    "`ext-community-sets` entry."
);
named_list!(
    RawLargeCommunitySet,
    large_community_set_name,
    large_community_list,
    "`large-community-sets` entry."
);
named_list!(
    RawAsPathSet,
    as_path_set_name,
    as_path_list,
    "`as-path-sets` entry."
);

/// `[defined-sets.bgp-defined-sets]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawBgpDefinedSets {
    /// Community sets.
    pub community_sets: Vec<RawCommunitySet>,
    /// Extended community sets.
    pub ext_community_sets: Vec<RawExtCommunitySet>,
    /// AS path sets.
    pub as_path_sets: Vec<RawAsPathSet>,
    /// Large community sets.
    pub large_community_sets: Vec<RawLargeCommunitySet>,
}

/// `[[policy-definitions]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawPolicyDefinition {
    /// Policy name (required).
    #[serde(deserialize_with = "loose::string")]
    pub name: Option<String>,
    /// Statements, evaluated in order.
    pub statements: Vec<RawStatement>,
}

/// `[[policy-definitions.statements]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawStatement {
    /// Statement name (default `<policy>_stmt<index>`).
    #[serde(deserialize_with = "loose::string")]
    pub name: Option<String>,
    /// Conditions, all of which must match.
    pub conditions: RawConditions,
    /// Actions when they do.
    pub actions: RawActions,
}

macro_rules! match_set {
    ($ty:ident, $field:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
        pub(crate) struct $ty {
            /// Name of the set.
            #[serde(deserialize_with = "loose::string")]
            pub $field: Option<String>,
            /// `any`, `all` or `invert`.
            #[serde(deserialize_with = "loose::string")]
            pub match_set_options: Option<String>,
        }
    };
}

match_set!(RawMatchPrefixSet, prefix_set, "`match-prefix-set`.");
match_set!(RawMatchNeighborSet, neighbor_set, "`match-neighbor-set`.");
match_set!(
    RawMatchCommunitySet,
    community_set,
    "`match-community-set`."
);
match_set!(
    RawMatchExtCommunitySet,
    ext_community_set,
    "`match-ext-community-set`."
);
match_set!(
    RawMatchLargeCommunitySet,
    large_community_set,
    "`match-large-community-set`."
);
match_set!(RawMatchAsPathSet, as_path_set, "`match-as-path-set`.");

/// `statements.conditions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawConditions {
    /// Ignored by gobgpd.
    #[serde(deserialize_with = "loose::string")]
    pub call_policy: Option<String>,
    /// Ignored by gobgpd.
    #[serde(deserialize_with = "loose::string")]
    pub install_protocol_eq: Option<String>,
    /// Ignored by gobgpd.
    pub igp_conditions: Option<Value>,
    /// Ignored by gobgpd.
    pub match_tag_set: Option<Value>,
    /// Prefix-set condition.
    pub match_prefix_set: Option<RawMatchPrefixSet>,
    /// Neighbor-set condition.
    pub match_neighbor_set: Option<RawMatchNeighborSet>,
    /// BGP attribute conditions.
    pub bgp_conditions: RawBgpConditions,
}

/// `{ operator, value }` of `as-path-length` and `community-count`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawComparison {
    /// `eq`, `ge`, `le` (also `attribute-eq`...).
    #[serde(deserialize_with = "loose::string")]
    pub operator: Option<String>,
    /// Operand.
    #[serde(deserialize_with = "loose::int")]
    pub value: Option<u32>,
}

/// `conditions.bgp-conditions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawBgpConditions {
    /// Community-set condition.
    pub match_community_set: Option<RawMatchCommunitySet>,
    /// Extended-community-set condition.
    pub match_ext_community_set: Option<RawMatchExtCommunitySet>,
    /// Large-community-set condition.
    pub match_large_community_set: Option<RawMatchLargeCommunitySet>,
    /// AS-path-set condition.
    pub match_as_path_set: Option<RawMatchAsPathSet>,
    /// AS_PATH length comparison.
    pub as_path_length: Option<RawComparison>,
    /// Community count comparison.
    pub community_count: Option<RawComparison>,
    /// `internal`, `external`, `local` or `none`.
    #[serde(deserialize_with = "loose::string")]
    pub route_type: Option<String>,
    /// `valid`, `invalid`, `not-found` or `none`.
    #[serde(deserialize_with = "loose::string")]
    pub rpki_validation_result: Option<String>,
    /// Next hops (v3: prefixes, v4: addresses).
    #[serde(deserialize_with = "loose::strings")]
    pub next_hop_in_list: Option<Vec<String>>,
    /// Family names.
    #[serde(deserialize_with = "loose::strings")]
    pub afi_safi_in_list: Option<Vec<String>>,
    /// MED equality (v4).
    #[serde(deserialize_with = "loose::int")]
    pub med_eq: Option<u32>,
    /// ORIGIN equality (v4).
    #[serde(deserialize_with = "loose::string")]
    pub origin_eq: Option<String>,
    /// LOCAL_PREF equality (v4).
    #[serde(deserialize_with = "loose::int")]
    pub local_pref_eq: Option<u32>,
}

/// `statements.actions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawActions {
    /// `accept-route`, `reject-route` or `none`.
    #[serde(deserialize_with = "loose::string")]
    pub route_disposition: Option<String>,
    /// BGP attribute actions.
    pub bgp_actions: RawBgpActions,
    /// Ignored by gobgpd.
    pub igp_actions: Option<Value>,
}

/// `{ as, repeat-n }` of `set-as-path-prepend`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawPrepend {
    /// An ASN or `last-as`.
    #[serde(rename = "as", deserialize_with = "loose::string")]
    pub asn: Option<String>,
    /// Repeat count.
    #[serde(deserialize_with = "loose::int")]
    pub repeat_n: Option<u8>,
}

/// `set-*-community-method`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawCommunityMethod {
    /// Communities to add, remove or replace with.
    #[serde(deserialize_with = "loose::strings")]
    pub communities_list: Option<Vec<String>>,
    /// Reference to a set (unused by gobgpd).
    #[serde(deserialize_with = "loose::string")]
    pub community_set_ref: Option<String>,
}

macro_rules! set_community {
    ($ty:ident, $method:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
        pub(crate) struct $ty {
            /// `add`, `remove` or `replace` (case-insensitive).
            #[serde(deserialize_with = "loose::string")]
            pub options: Option<String>,
            /// The communities.
            pub $method: RawCommunityMethod,
        }
    };
}

set_community!(RawSetCommunity, set_community_method, "`set-community`.");
set_community!(
    RawSetExtCommunity,
    set_ext_community_method,
    "`set-ext-community`."
);
set_community!(
    RawSetLargeCommunity,
    set_large_community_method,
    "`set-large-community`."
);

/// `actions.bgp-actions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawBgpActions {
    /// `N`, `+N` or `-N`.
    #[serde(deserialize_with = "loose::string")]
    pub set_med: Option<String>,
    /// LOCAL_PREF (0 = no action).
    #[serde(deserialize_with = "loose::int")]
    pub set_local_pref: Option<u32>,
    /// `self`, `unchanged`, `peer-address` or an address.
    #[serde(deserialize_with = "loose::string")]
    pub set_next_hop: Option<String>,
    /// `igp`, `egp` or `incomplete` (v4).
    #[serde(deserialize_with = "loose::string")]
    pub set_route_origin: Option<String>,
    /// AS_PATH prepend.
    pub set_as_path_prepend: Option<RawPrepend>,
    /// Community action.
    pub set_community: Option<RawSetCommunity>,
    /// Extended community action.
    pub set_ext_community: Option<RawSetExtCommunity>,
    /// Large community action.
    pub set_large_community: Option<RawSetLargeCommunity>,
}
