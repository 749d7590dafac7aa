//! Raw serde structs mirroring gobgpd's TOML file table for table.
//!
//! Every table denies unknown keys (gobgpd decodes with `UnmarshalExact`) and
//! every scalar is an `Option` read by a [`super::loose`] helper, so that
//! validation can tell "unset" from "zero" as gobgpd does with `viper.IsSet`.
//! The key set is the union of gobgpd 3.10's and 4.x's (reference §1.12).
//! Sections we parse but do not act on keep their documented keys typed, and
//! the obscure per-family sub-containers are kept as raw [`toml::Value`]s:
//! both are reported in [`super::Config::unsupported`].

use serde::Deserialize;
use toml::Value;

use super::bmp::RawBmpServer;
use super::loose;
use super::neighbor::{RawNeighbor, RawPeerGroup};
use super::policy::{RawApplyPolicy, RawDefinedSets, RawPolicyDefinition};

/// An OpenConfig container: `X.config.*` (and `X.state.*`, accepted, unused).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct Container<T> {
    /// The configuration leaves.
    pub config: T,
    /// Operational state: gobgpd accepts it in files; we ignore it.
    pub state: Option<Value>,
}

/// The whole file (gobgpd's `BgpConfigSet`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawConfig {
    /// `[global]`.
    pub global: RawGlobal,
    /// `[[neighbors]]`.
    pub neighbors: Vec<RawNeighbor>,
    /// `[[peer-groups]]`.
    pub peer_groups: Vec<RawPeerGroup>,
    /// `[[rpki-servers]]` (not acted on).
    pub rpki_servers: Vec<Container<RawRpkiServerConfig>>,
    /// `[[bmp-servers]]`.
    pub bmp_servers: Vec<RawBmpServer>,
    /// `[[vrfs]]` (not acted on).
    pub vrfs: Vec<Container<RawVrfConfig>>,
    /// `[[mrt-dump]]` (not acted on).
    pub mrt_dump: Vec<Container<RawMrtDumpConfig>>,
    /// `[zebra]` (not acted on).
    pub zebra: Option<Container<RawZebraConfig>>,
    /// `[collector]` (refused when a URL is set, as gobgpd does).
    pub collector: Option<Container<RawCollectorConfig>>,
    /// `[defined-sets]`.
    pub defined_sets: RawDefinedSets,
    /// `[[policy-definitions]]`.
    pub policy_definitions: Vec<RawPolicyDefinition>,
    /// `[[dynamic-neighbors]]`.
    pub dynamic_neighbors: Vec<Container<RawDynamicNeighborConfig>>,
}

/// `[global]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawGlobal {
    /// `[global.config]`.
    pub config: RawGlobalConfig,
    /// `[global.state]`, ignored.
    pub state: Option<Value>,
    /// `[global.apply-policy]`.
    pub apply_policy: RawApplyPolicy,
    /// `[global.route-selection-options]`.
    pub route_selection_options: Container<RawRouteSelectionConfig>,
    /// `[global.confederation]` (not acted on).
    pub confederation: Option<Container<RawConfederationConfig>>,
    /// `[global.use-multiple-paths]` (not acted on).
    pub use_multiple_paths: Option<Value>,
    /// `[global.graceful-restart]`.
    pub graceful_restart: Container<RawGracefulRestartConfig>,
    /// `[global.default-route-distance]` (zebra only, not acted on).
    pub default_route_distance: Option<Value>,
    /// `[[global.afi-safis]]`.
    pub afi_safis: Vec<RawAfiSafi>,
    /// `[global.mpls-label-range]` (not acted on).
    pub mpls_label_range: Option<Value>,
}

/// `[global.config]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawGlobalConfig {
    /// Local AS number.
    #[serde(rename = "as", deserialize_with = "loose::int")]
    pub asn: Option<u32>,
    /// BGP identifier, an IPv4 address.
    #[serde(deserialize_with = "loose::string")]
    pub router_id: Option<String>,
    /// Listening port: 0 = 179, negative = no listener.
    #[serde(deserialize_with = "loose::int")]
    pub port: Option<i32>,
    /// Listening addresses.
    #[serde(deserialize_with = "loose::strings")]
    pub local_address_list: Option<Vec<String>>,
    /// v4: `SO_BINDTODEVICE` for the listeners.
    #[serde(deserialize_with = "loose::string")]
    pub bind_to_device: Option<String>,
}

/// `[global.route-selection-options.config]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawRouteSelectionConfig {
    /// Compare MED between paths from different neighbor ASes.
    #[serde(deserialize_with = "loose::boolean")]
    pub always_compare_med: Option<bool>,
    /// Skip the AS_PATH length step.
    #[serde(deserialize_with = "loose::boolean")]
    pub ignore_as_path_length: Option<bool>,
    /// Compare router-ids between eBGP paths.
    #[serde(deserialize_with = "loose::boolean")]
    pub external_compare_router_id: Option<bool>,
    /// No-op in gobgpd.
    #[serde(deserialize_with = "loose::boolean")]
    pub advertise_inactive_routes: Option<bool>,
    /// No-op in gobgpd.
    #[serde(deserialize_with = "loose::boolean")]
    pub enable_aigp: Option<bool>,
    /// No-op in gobgpd.
    #[serde(deserialize_with = "loose::boolean")]
    pub ignore_next_hop_igp_metric: Option<bool>,
    /// Keep every path, select none.
    #[serde(deserialize_with = "loose::boolean")]
    pub disable_best_path_selection: Option<bool>,
}

/// `[global.confederation.config]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawConfederationConfig {
    /// Confederation in use.
    #[serde(deserialize_with = "loose::boolean")]
    pub enabled: Option<bool>,
    /// Confederation identifier (the AS seen from outside).
    #[serde(deserialize_with = "loose::int")]
    pub identifier: Option<u32>,
    /// Member sub-ASes.
    #[serde(deserialize_with = "loose::u32s")]
    pub member_as_list: Option<Vec<u32>>,
}

/// `graceful-restart.config` (global, neighbor, peer group).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawGracefulRestartConfig {
    /// Advertise the GR capability.
    #[serde(deserialize_with = "loose::boolean")]
    pub enabled: Option<bool>,
    /// Restart time in seconds (default: the hold time).
    #[serde(deserialize_with = "loose::int")]
    pub restart_time: Option<u16>,
    /// Seconds to wait for End-of-RIB (default 360).
    #[serde(deserialize_with = "loose::int")]
    pub deferral_time: Option<u16>,
    /// Helper mode only.
    #[serde(deserialize_with = "loose::boolean")]
    pub helper_only: Option<bool>,
    /// RFC 8538 N-bit.
    #[serde(deserialize_with = "loose::boolean")]
    pub notification_enabled: Option<bool>,
    /// Long-lived GR (RFC 9494).
    #[serde(deserialize_with = "loose::boolean")]
    pub long_lived_enabled: Option<bool>,
    /// Ignored by gobgpd.
    #[serde(deserialize_with = "loose::float")]
    pub stale_routes_time: Option<f64>,
    /// Ignored by gobgpd.
    #[serde(deserialize_with = "loose::int")]
    pub peer_restart_time: Option<u16>,
}

/// `[[...afi-safis]]` (global, neighbor, peer group).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawAfiSafi {
    /// `afi-safis.config`.
    pub config: RawAfiSafiConfig,
    /// `afi-safis.state`, ignored.
    pub state: Option<Value>,
    /// `afi-safis.prefix-limit`.
    pub prefix_limit: Option<Container<RawPrefixLimitConfig>>,
    /// `afi-safis.add-paths`.
    pub add_paths: Option<Container<RawAddPathsConfig>>,
    /// `afi-safis.mp-graceful-restart`.
    pub mp_graceful_restart: Option<Container<RawEnabledConfig>>,
    /// `afi-safis.long-lived-graceful-restart`.
    pub long_lived_graceful_restart: Option<Container<RawLongLivedConfig>>,
    /// `afi-safis.route-target-membership` (not acted on).
    pub route_target_membership: Option<Value>,
    /// `afi-safis.ipv4-unicast` (parsed by gobgpd, not acted on).
    pub ipv4_unicast: Option<Value>,
    /// `afi-safis.ipv6-unicast` (parsed by gobgpd, not acted on).
    pub ipv6_unicast: Option<Value>,
    /// `afi-safis.ipv4-labelled-unicast` (parsed by gobgpd, not acted on).
    pub ipv4_labelled_unicast: Option<Value>,
    /// `afi-safis.ipv6-labelled-unicast` (parsed by gobgpd, not acted on).
    pub ipv6_labelled_unicast: Option<Value>,
    /// `afi-safis.l3vpn-ipv4-unicast` (parsed by gobgpd, not acted on).
    pub l3vpn_ipv4_unicast: Option<Value>,
    /// `afi-safis.l3vpn-ipv6-unicast` (parsed by gobgpd, not acted on).
    pub l3vpn_ipv6_unicast: Option<Value>,
    /// `afi-safis.l3vpn-ipv4-multicast` (parsed by gobgpd, not acted on).
    pub l3vpn_ipv4_multicast: Option<Value>,
    /// `afi-safis.l3vpn-ipv6-multicast` (parsed by gobgpd, not acted on).
    pub l3vpn_ipv6_multicast: Option<Value>,
    /// `afi-safis.l2vpn-vpls` (parsed by gobgpd, not acted on).
    pub l2vpn_vpls: Option<Value>,
    /// `afi-safis.l2vpn-evpn` (parsed by gobgpd, not acted on).
    pub l2vpn_evpn: Option<Value>,
    /// `afi-safis.route-selection-options` (parsed by gobgpd, not acted on).
    pub route_selection_options: Option<Value>,
    /// `afi-safis.use-multiple-paths` (parsed by gobgpd, not acted on).
    pub use_multiple_paths: Option<Value>,
    /// `afi-safis.apply-policy` (parsed by gobgpd, not acted on).
    pub apply_policy: Option<Value>,
}

impl RawAfiSafi {
    /// Keys of the sub-containers set in the file that we do not act on.
    pub fn unsupported_keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        if self.ipv4_unicast.is_some() {
            keys.push("ipv4-unicast");
        }
        if self.ipv6_unicast.is_some() {
            keys.push("ipv6-unicast");
        }
        if self.ipv4_labelled_unicast.is_some() {
            keys.push("ipv4-labelled-unicast");
        }
        if self.ipv6_labelled_unicast.is_some() {
            keys.push("ipv6-labelled-unicast");
        }
        if self.l3vpn_ipv4_unicast.is_some() {
            keys.push("l3vpn-ipv4-unicast");
        }
        if self.l3vpn_ipv6_unicast.is_some() {
            keys.push("l3vpn-ipv6-unicast");
        }
        if self.l3vpn_ipv4_multicast.is_some() {
            keys.push("l3vpn-ipv4-multicast");
        }
        if self.l3vpn_ipv6_multicast.is_some() {
            keys.push("l3vpn-ipv6-multicast");
        }
        if self.l2vpn_vpls.is_some() {
            keys.push("l2vpn-vpls");
        }
        if self.l2vpn_evpn.is_some() {
            keys.push("l2vpn-evpn");
        }
        if self.route_selection_options.is_some() {
            keys.push("route-selection-options");
        }
        if self.use_multiple_paths.is_some() {
            keys.push("use-multiple-paths");
        }
        if self.apply_policy.is_some() {
            keys.push("apply-policy");
        }
        if self.route_target_membership.is_some() {
            keys.push("route-target-membership");
        }
        keys
    }
}

/// `afi-safis.config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawAfiSafiConfig {
    /// gobgp family name (`ipv4-unicast`).
    #[serde(deserialize_with = "loose::string")]
    pub afi_safi_name: Option<String>,
    /// Default true when the entry exists.
    #[serde(deserialize_with = "loose::boolean")]
    pub enabled: Option<bool>,
}

/// `prefix-limit.config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawPrefixLimitConfig {
    /// More prefixes than this ends the session (Cease/1).
    #[serde(deserialize_with = "loose::int")]
    pub max_prefixes: Option<u32>,
    /// Percentage of `max-prefixes` that logs a warning.
    #[serde(deserialize_with = "loose::int")]
    pub shutdown_threshold_pct: Option<u8>,
    /// Ignored by gobgpd 3.10.
    #[serde(deserialize_with = "loose::float")]
    pub restart_timer: Option<f64>,
}

/// `add-paths.config` (neighbor, peer group, afi-safi).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawAddPathsConfig {
    /// Receive several paths per prefix.
    #[serde(deserialize_with = "loose::boolean")]
    pub receive: Option<bool>,
    /// Send up to this many paths per prefix (0 = off).
    #[serde(deserialize_with = "loose::int")]
    pub send_max: Option<u8>,
}

/// A `config` with only `enabled`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawEnabledConfig {
    /// On or off.
    #[serde(deserialize_with = "loose::boolean")]
    pub enabled: Option<bool>,
}

/// `long-lived-graceful-restart.config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawLongLivedConfig {
    /// LLGR for the family.
    #[serde(deserialize_with = "loose::boolean")]
    pub enabled: Option<bool>,
    /// Long-lived stale time in seconds.
    #[serde(deserialize_with = "loose::int")]
    pub restart_time: Option<u32>,
}

/// `[[rpki-servers]] config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawRpkiServerConfig {
    /// Cache address.
    #[serde(deserialize_with = "loose::string")]
    pub address: Option<String>,
    /// Cache port (0 = 323).
    #[serde(deserialize_with = "loose::int")]
    pub port: Option<u32>,
    /// Record lifetime, seconds.
    #[serde(deserialize_with = "loose::float")]
    pub record_lifetime: Option<f64>,
    /// Unused by gobgpd.
    #[serde(deserialize_with = "loose::float")]
    pub refresh_time: Option<f64>,
    /// Unused by gobgpd.
    #[serde(deserialize_with = "loose::float")]
    pub hold_time: Option<f64>,
    /// Unused by gobgpd.
    #[serde(deserialize_with = "loose::int")]
    pub preference: Option<u8>,
    /// Administratively down.
    #[serde(deserialize_with = "loose::boolean")]
    pub enabled: Option<bool>,
}

/// `[[vrfs]] config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawVrfConfig {
    /// VRF name (required).
    #[serde(deserialize_with = "loose::string")]
    pub name: Option<String>,
    /// VRF id (auto-assigned when 0).
    #[serde(deserialize_with = "loose::int")]
    pub id: Option<u32>,
    /// Route distinguisher (required).
    #[serde(deserialize_with = "loose::string")]
    pub rd: Option<String>,
    /// Import route targets.
    #[serde(deserialize_with = "loose::strings")]
    pub import_rt_list: Option<Vec<String>>,
    /// Export route targets.
    #[serde(deserialize_with = "loose::strings")]
    pub export_rt_list: Option<Vec<String>>,
    /// Route targets for both directions.
    #[serde(deserialize_with = "loose::strings")]
    pub both_rt_list: Option<Vec<String>>,
}

/// `[[mrt-dump]] config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawMrtDumpConfig {
    /// `updates` or `table`.
    #[serde(deserialize_with = "loose::string")]
    pub dump_type: Option<String>,
    /// Go time layout of the output file name.
    #[serde(deserialize_with = "loose::string")]
    pub file_name: Option<String>,
    /// Route-server client table to dump.
    #[serde(deserialize_with = "loose::string")]
    pub table_name: Option<String>,
    /// Table dump period, seconds.
    #[serde(deserialize_with = "loose::float")]
    pub dump_interval: Option<f64>,
    /// File rotation period, seconds.
    #[serde(deserialize_with = "loose::float")]
    pub rotation_interval: Option<f64>,
}

/// `[zebra] config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawZebraConfig {
    /// Talk to zebra.
    #[serde(deserialize_with = "loose::boolean")]
    pub enabled: Option<bool>,
    /// zserv socket URL.
    #[serde(deserialize_with = "loose::string")]
    pub url: Option<String>,
    /// Route types to redistribute.
    #[serde(deserialize_with = "loose::strings")]
    pub redistribute_route_type_list: Option<Vec<String>>,
    /// zapi version (clamped 2..=6).
    #[serde(deserialize_with = "loose::int")]
    pub version: Option<u8>,
    /// Next-hop tracking.
    #[serde(deserialize_with = "loose::boolean")]
    pub nexthop_trigger_enable: Option<bool>,
    /// Next-hop tracking delay, seconds.
    #[serde(deserialize_with = "loose::int")]
    pub nexthop_trigger_delay: Option<u8>,
    /// MPLS label block size.
    #[serde(deserialize_with = "loose::int")]
    pub mpls_label_range_size: Option<u32>,
    /// FRR software name.
    #[serde(deserialize_with = "loose::string")]
    pub software_name: Option<String>,
}

/// `[collector] config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawCollectorConfig {
    /// InfluxDB URL; set = refused, as by gobgpd.
    #[serde(deserialize_with = "loose::string")]
    pub url: Option<String>,
    /// Database name.
    #[serde(deserialize_with = "loose::string")]
    pub db_name: Option<String>,
    /// Dump period, seconds.
    #[serde(deserialize_with = "loose::float")]
    pub table_dump_interval: Option<f64>,
}

/// `[[dynamic-neighbors]] config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawDynamicNeighborConfig {
    /// Prefix incoming connections must come from.
    #[serde(deserialize_with = "loose::string")]
    pub prefix: Option<String>,
    /// Peer group the new passive peer is built from.
    #[serde(deserialize_with = "loose::string")]
    pub peer_group: Option<String>,
}
