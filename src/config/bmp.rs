//! `[[bmp-servers]]`: the BMP stations bgpd dials (RFC 7854).

use std::time::Duration;

use serde::Deserialize;
use toml::Value;

use super::error::{Invalid, Problem};
use super::loose;
use super::Notes;

/// `[[bmp-servers]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawBmpServer {
    /// `bmp-servers.config`.
    pub config: RawBmpServerConfig,
    /// `bmp-servers.state`, ignored.
    pub state: Option<Value>,
}

/// `[bmp-servers.config]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub(crate) struct RawBmpServerConfig {
    /// Station address: an IP address or a DNS name.
    #[serde(deserialize_with = "loose::string")]
    pub address: Option<String>,
    /// Station port (0 = 11019).
    #[serde(deserialize_with = "loose::int")]
    pub port: Option<u32>,
    /// `pre-policy`, `post-policy`, `local-rib`, `all`, or obsolete `both`.
    #[serde(deserialize_with = "loose::string")]
    pub route_monitoring_policy: Option<String>,
    /// Statistics Report period in seconds: 0 = off, else at least 15.
    #[serde(deserialize_with = "loose::int")]
    pub statistics_timeout: Option<u16>,
    /// Route Mirroring messages.
    #[serde(deserialize_with = "loose::boolean")]
    pub route_mirroring_enabled: Option<bool>,
    /// sysName of the Initiation message.
    #[serde(deserialize_with = "loose::string")]
    pub sys_name: Option<String>,
    /// sysDescr of the Initiation message.
    #[serde(deserialize_with = "loose::string")]
    pub sys_descr: Option<String>,
}

/// Which Route Monitoring messages a station gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RouteMonitoringPolicy {
    /// Adj-RIB-In before import policy (default).
    #[default]
    PrePolicy,
    /// Adj-RIB-In after import policy.
    PostPolicy,
    /// Loc-RIB (RFC 9069).
    LocalRib,
    /// Pre-policy, post-policy and Loc-RIB.
    All,
    /// Obsolete `both`: gobgpd logs a warning and sends no route monitoring;
    /// so do we.
    Obsolete,
}

/// Default BMP station port (gobgpd's; RFC 7854 assigns none).
pub const DEFAULT_BMP_PORT: u16 = 11019;

/// A checked `[[bmp-servers]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BmpServer {
    /// IP address or DNS name of the station.
    pub address: String,
    /// TCP port of the station.
    pub port: u16,
    /// Route Monitoring selection.
    pub route_monitoring_policy: RouteMonitoringPolicy,
    /// Statistics Report period; `None` = no statistics.
    pub statistics_timeout: Option<Duration>,
    /// Send Route Mirroring messages (gobgpd drops this key when reading a
    /// file; we keep it).
    pub route_mirroring: bool,
    /// sysName TLV of the Initiation message.
    pub sys_name: String,
    /// sysDescr TLV of the Initiation message.
    pub sys_descr: String,
}

/// Checks one `[[bmp-servers]]` entry.
pub(crate) fn bmp_server(
    raw: &RawBmpServer,
    key: &str,
    notes: &mut Notes,
) -> Result<BmpServer, Invalid> {
    let config = &raw.config;
    let address = config.address.as_deref().unwrap_or_default().trim();
    if address.is_empty() {
        return Err(Invalid::new(
            format!("{key}.config.address"),
            Problem::EmptyBmpAddress,
        ));
    }
    let port = match config.port.unwrap_or(0) {
        0 => DEFAULT_BMP_PORT,
        n => u16::try_from(n).map_err(|_| {
            Invalid::new(
                format!("{key}.config.port"),
                Problem::InvalidPort(i64::from(n)),
            )
        })?,
    };
    let policy_key = format!("{key}.config.route-monitoring-policy");
    let route_monitoring_policy = match config.route_monitoring_policy.as_deref().map(str::trim) {
        None | Some("") | Some("pre-policy") => RouteMonitoringPolicy::PrePolicy,
        Some("post-policy") => RouteMonitoringPolicy::PostPolicy,
        Some("local-rib") => RouteMonitoringPolicy::LocalRib,
        Some("all") => RouteMonitoringPolicy::All,
        Some("both") => {
            notes.warn(format!(
                "{policy_key}: \"both\" is obsolete: no route monitoring is sent; use \"all\""
            ));
            RouteMonitoringPolicy::Obsolete
        }
        Some(other) => {
            notes.warn(format!(
                "{policy_key}: unknown value {other:?}; using pre-policy"
            ));
            RouteMonitoringPolicy::PrePolicy
        }
    };
    let statistics_timeout = match config.statistics_timeout.unwrap_or(0) {
        0 => None,
        n @ 1..=14 => {
            return Err(Invalid::new(
                format!("{key}.config.statistics-timeout"),
                Problem::StatisticsTimeoutTooSmall(n),
            ))
        }
        n => Some(Duration::from_secs(u64::from(n))),
    };
    Ok(BmpServer {
        address: address.to_owned(),
        port,
        route_monitoring_policy,
        statistics_timeout,
        route_mirroring: config.route_mirroring_enabled.unwrap_or(false),
        sys_name: config.sys_name.clone().unwrap_or_else(|| "bgpd".to_owned()),
        sys_descr: config
            .sys_descr
            .clone()
            .unwrap_or_else(|| format!("bgpd {}", env!("CARGO_PKG_VERSION"))),
    })
}
