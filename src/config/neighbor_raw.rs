//! Raw `[[neighbors]]` and `[[peer-groups]]` tables.

use serde::Deserialize;
use toml::Value;

use super::file::{Container, RawAddPathsConfig, RawAfiSafi, RawGracefulRestartConfig};
use super::loose;
use super::policy::RawApplyPolicy;

macro_rules! peer_tables {
    ($name:ident, $config:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
        pub(crate) struct $name {
            /// `config`.
            pub config: $config,
            /// `state`, ignored.
            pub state: Option<Value>,
            /// `timers`.
            pub timers: Container<RawTimersConfig>,
            /// `transport`.
            pub transport: Container<RawTransportConfig>,
            /// `error-handling`.
            pub error_handling: Container<RawErrorHandlingConfig>,
            /// `logging-options` (not acted on).
            pub logging_options: Option<Value>,
            /// `ebgp-multihop`.
            pub ebgp_multihop: Container<RawMultihopConfig>,
            /// `route-reflector`.
            pub route_reflector: Container<RawRouteReflectorConfig>,
            /// `as-path-options`.
            pub as_path_options: Container<RawAsPathOptionsConfig>,
            /// `add-paths`.
            pub add_paths: Container<RawAddPathsConfig>,
            /// `[[afi-safis]]`.
            pub afi_safis: Vec<RawAfiSafi>,
            /// `graceful-restart`.
            pub graceful_restart: Container<RawGracefulRestartConfig>,
            /// `apply-policy` (route-server clients only).
            pub apply_policy: RawApplyPolicy,
            /// `use-multiple-paths` (not acted on).
            pub use_multiple_paths: Option<Value>,
            /// `route-server`.
            pub route_server: Container<RawRouteServerConfig>,
            /// `ttl-security`.
            pub ttl_security: Container<RawTtlSecurityConfig>,
            /// v4 `bfd` (not acted on).
            pub bfd: Option<Value>,
        }
    };
}

peer_tables!(RawNeighbor, RawNeighborConfig, "`[[neighbors]]`.");
peer_tables!(RawPeerGroup, RawPeerGroupConfig, "`[[peer-groups]]`.");

macro_rules! peer_config {
    ($name:ident, $doc:literal, { $($extra:tt)* }) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
        pub(crate) struct $name {
            $($extra)*
            /// Peer AS (0 = any).
            #[serde(deserialize_with = "loose::int")]
            pub peer_as: Option<u32>,
            /// Local AS (default: the global AS).
            #[serde(deserialize_with = "loose::int")]
            pub local_as: Option<u32>,
            /// `internal` or `external`; computed by gobgpd anyway.
            #[serde(deserialize_with = "loose::string")]
            pub peer_type: Option<String>,
            /// TCP MD5 password.
            #[serde(deserialize_with = "loose::string")]
            pub auth_password: Option<String>,
            /// Ignored by gobgpd.
            #[serde(deserialize_with = "loose::boolean")]
            pub route_flap_damping: Option<bool>,
            /// Ignored by gobgpd.
            #[serde(deserialize_with = "loose::string")]
            pub send_community: Option<String>,
            /// Free text.
            #[serde(deserialize_with = "loose::string")]
            pub description: Option<String>,
            /// `all` or `replace` (eBGP only).
            #[serde(deserialize_with = "loose::string")]
            pub remove_private_as: Option<String>,
            /// v4: send the software-version capability.
            #[serde(deserialize_with = "loose::boolean")]
            pub send_software_version: Option<bool>,
        }
    };
}

peer_config!(RawNeighborConfig, "`[neighbors.config]`.", {
    /// Peer address.
    #[serde(deserialize_with = "loose::string")]
    pub neighbor_address: Option<String>,
    /// Unnumbered peering interface.
    #[serde(deserialize_with = "loose::string")]
    pub neighbor_interface: Option<String>,
    /// Peer group name.
    #[serde(deserialize_with = "loose::string")]
    pub peer_group: Option<String>,
    /// VRF name.
    #[serde(deserialize_with = "loose::string")]
    pub vrf: Option<String>,
    /// Start administratively down.
    #[serde(deserialize_with = "loose::boolean")]
    pub admin_down: Option<bool>,
});

peer_config!(RawPeerGroupConfig, "`[peer-groups.config]`.", {
    /// Group name.
    #[serde(deserialize_with = "loose::string")]
    pub peer_group_name: Option<String>,
});

/// `timers.config` (seconds, floats accepted).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawTimersConfig {
    /// ConnectRetry time (120).
    #[serde(deserialize_with = "loose::float")]
    pub connect_retry: Option<f64>,
    /// Hold time (90).
    #[serde(deserialize_with = "loose::float")]
    pub hold_time: Option<f64>,
    /// Keepalive (hold time / 3).
    #[serde(deserialize_with = "loose::float")]
    pub keepalive_interval: Option<f64>,
    /// Ignored by gobgpd.
    #[serde(deserialize_with = "loose::float")]
    pub minimum_advertisement_interval: Option<f64>,
    /// Idle hold after a reset (30).
    #[serde(deserialize_with = "loose::float")]
    pub idle_hold_time_after_reset: Option<f64>,
}

/// `transport.config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawTransportConfig {
    /// Ignored by gobgpd 3.10.
    #[serde(deserialize_with = "loose::int")]
    pub tcp_mss: Option<u16>,
    /// Ignored by gobgpd 3.10.
    #[serde(deserialize_with = "loose::boolean")]
    pub mtu_discovery: Option<bool>,
    /// Never connect out.
    #[serde(deserialize_with = "loose::boolean")]
    pub passive_mode: Option<bool>,
    /// Source address of outgoing connections.
    #[serde(deserialize_with = "loose::string")]
    pub local_address: Option<String>,
    /// Peer port (0 = 179).
    #[serde(deserialize_with = "loose::int")]
    pub remote_port: Option<u16>,
    /// Local port of outgoing connections (0 = ephemeral).
    #[serde(deserialize_with = "loose::int")]
    pub local_port: Option<u16>,
    /// v3: IP TTL of the session.
    #[serde(deserialize_with = "loose::int")]
    pub ttl: Option<u8>,
    /// v4: IP TOS of the session (not acted on).
    #[serde(deserialize_with = "loose::int")]
    pub ip_tos: Option<u8>,
    /// `SO_BINDTODEVICE`.
    #[serde(deserialize_with = "loose::string")]
    pub bind_interface: Option<String>,
}

/// `error-handling.config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawErrorHandlingConfig {
    /// RFC 7606 treat-as-withdraw (default true).
    #[serde(deserialize_with = "loose::boolean")]
    pub treat_as_withdraw: Option<bool>,
}

/// `ebgp-multihop.config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawMultihopConfig {
    /// Multihop eBGP.
    #[serde(deserialize_with = "loose::boolean")]
    pub enabled: Option<bool>,
    /// TTL (255 when 0).
    #[serde(deserialize_with = "loose::int")]
    pub multihop_ttl: Option<u8>,
}

/// `route-reflector.config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawRouteReflectorConfig {
    /// Cluster id: IPv4 or `u32` (default: router-id).
    #[serde(deserialize_with = "loose::string")]
    pub route_reflector_cluster_id: Option<String>,
    /// The peer is a route-reflector client.
    #[serde(deserialize_with = "loose::boolean")]
    pub route_reflector_client: Option<bool>,
}

/// `as-path-options.config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawAsPathOptionsConfig {
    /// Occurrences of our own AS tolerated in received paths.
    #[serde(deserialize_with = "loose::int")]
    pub allow_own_as: Option<u8>,
    /// Replace the peer's AS with ours when sending (eBGP only).
    #[serde(deserialize_with = "loose::boolean")]
    pub replace_peer_as: Option<bool>,
    /// v4: loop check on the local AS.
    #[serde(deserialize_with = "loose::boolean")]
    pub allow_as_path_loop_local: Option<bool>,
}

/// `route-server.config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawRouteServerConfig {
    /// The peer is a route-server client.
    #[serde(deserialize_with = "loose::boolean")]
    pub route_server_client: Option<bool>,
    /// Send the second-best path when the best is filtered.
    #[serde(deserialize_with = "loose::boolean")]
    pub secondary_route: Option<bool>,
}

/// `ttl-security.config` (GTSM, RFC 5082).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawTtlSecurityConfig {
    /// GTSM on.
    #[serde(deserialize_with = "loose::boolean")]
    pub enabled: Option<bool>,
    /// Minimum accepted TTL (255).
    #[serde(deserialize_with = "loose::int")]
    pub ttl_min: Option<u8>,
}
