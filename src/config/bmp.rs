//! `[[bmp-servers]]`: the BMP stations bgpd dials (RFC 7854).

use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;
use toml::Value;

use super::error::{Invalid, Problem};
use super::loose;
use super::Notes;
use crate::rib::monitor::{View, Views};

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
    /// `pre-policy`, `post-policy`, `local-rib`, `all`, obsolete `both`, or
    /// (ours) `adj-rib-out-pre-policy`, `adj-rib-out-post-policy`, or a
    /// list of these.
    pub route_monitoring_policy: Option<RawViews>,
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
    /// Ours: bytes queued for the station before it is declared too slow.
    #[serde(deserialize_with = "loose::int")]
    pub queue_limit: Option<u64>,
    /// Ours: local address the connection to the station is bound to.
    #[serde(deserialize_with = "loose::string")]
    pub source_address: Option<String>,
}

/// `route-monitoring-policy`: one name (gobgpd) or a list of names (ours).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawViews {
    /// `route-monitoring-policy = "all"`.
    One(String),
    /// `route-monitoring-policy = ["pre-policy", "local-rib"]`.
    Many(Vec<String>),
}

/// Default BMP station port (gobgpd's; RFC 7854 assigns none).
pub const DEFAULT_BMP_PORT: u16 = 11019;

/// Default [`BmpServer::queue_limit`]: 256 MiB.
pub const DEFAULT_BMP_QUEUE_LIMIT: usize = 256 << 20;

/// Smallest accepted [`BmpServer::queue_limit`]: one extended BGP message
/// must fit.
pub const MIN_BMP_QUEUE_LIMIT: usize = 1 << 16;

/// A checked `[[bmp-servers]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BmpServer {
    /// IP address or DNS name of the station.
    pub address: String,
    /// TCP port of the station.
    pub port: u16,
    /// Route Monitoring selection (empty: Peer Up/Down only).
    pub route_monitoring_policy: Views,
    /// Statistics Report period; `None` = no statistics.
    pub statistics_timeout: Option<Duration>,
    /// Send Route Mirroring messages (gobgpd drops this key when reading a
    /// file; we keep it).
    pub route_mirroring: bool,
    /// sysName TLV of the Initiation message.
    pub sys_name: String,
    /// sysDescr TLV of the Initiation message.
    pub sys_descr: String,
    /// Ours: bytes the rib may queue for this station before the station is
    /// declared too slow and resynchronised.
    pub queue_limit: usize,
    /// Ours: local address to bind before connecting.
    pub source_address: Option<IpAddr>,
}

impl BmpServer {
    /// An entry for `address`:`port` with gobgpd's defaults (pre-policy,
    /// no statistics, no mirroring) and ours.
    pub fn new(address: impl Into<String>, port: u16) -> BmpServer {
        BmpServer {
            address: address.into(),
            port,
            route_monitoring_policy: Views::of(&[View::AdjRibInPre]),
            statistics_timeout: None,
            route_mirroring: false,
            sys_name: "bgpd".to_owned(),
            sys_descr: format!("bgpd {}", env!("CARGO_PKG_VERSION")),
            queue_limit: DEFAULT_BMP_QUEUE_LIMIT,
            source_address: None,
        }
    }
}

/// The views one `route-monitoring-policy` name selects; `None` when the
/// name is unknown.
fn views_of(name: &str, key: &str, notes: &mut Notes) -> Option<Views> {
    use View::*;
    Some(match name {
        "pre-policy" => Views::of(&[AdjRibInPre]),
        "post-policy" => Views::of(&[AdjRibInPost]),
        "local-rib" => Views::of(&[LocRib]),
        "all" => Views::of(&[AdjRibInPre, AdjRibInPost, LocRib]),
        "both" => {
            notes.warn(format!(
                "{key}: \"both\" is obsolete (gobgpd sends no route monitoring for it); \
                 bgpd sends pre-policy and post-policy"
            ));
            Views::of(&[AdjRibInPre, AdjRibInPost])
        }
        "adj-rib-out-pre-policy" => Views::of(&[AdjRibOutPre]),
        "adj-rib-out-post-policy" => Views::of(&[AdjRibOutPost]),
        _ => return None,
    })
}

/// Checks `route-monitoring-policy`. One unknown name keeps gobgpd's
/// effective value (pre-policy) with a warning; in a list (ours) it is an
/// error. An empty list selects no view.
fn route_monitoring(
    raw: Option<&RawViews>,
    key: &str,
    notes: &mut Notes,
) -> Result<Views, Invalid> {
    let pre = Views::of(&[View::AdjRibInPre]);
    match raw {
        None => Ok(pre),
        Some(RawViews::One(name)) => match name.trim() {
            "" => Ok(pre),
            name => Ok(views_of(name, key, notes).unwrap_or_else(|| {
                notes.warn(format!("{key}: unknown value {name:?}; using pre-policy"));
                pre
            })),
        },
        Some(RawViews::Many(names)) => names.iter().try_fold(Views::NONE, |views, name| {
            let name = name.trim();
            let one = views_of(name, key, notes).ok_or_else(|| {
                Invalid::new(key, Problem::UnknownMonitoringView(name.to_owned()))
            })?;
            Ok(one.iter().fold(views, Views::with))
        }),
    }
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
    let route_monitoring_policy = route_monitoring(
        config.route_monitoring_policy.as_ref(),
        &format!("{key}.config.route-monitoring-policy"),
        notes,
    )?;
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
    let queue_limit = match config.queue_limit {
        None | Some(0) => DEFAULT_BMP_QUEUE_LIMIT,
        Some(n) => match usize::try_from(n) {
            Ok(n) if n >= MIN_BMP_QUEUE_LIMIT => n,
            _ => {
                return Err(Invalid::new(
                    format!("{key}.config.queue-limit"),
                    Problem::BmpQueueLimitTooSmall(n),
                ))
            }
        },
    };
    let source_address = match config.source_address.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(text.parse::<IpAddr>().map_err(|_| {
            Invalid::new(
                format!("{key}.config.source-address"),
                Problem::InvalidAddress(text.to_owned()),
            )
        })?),
    };
    let defaults = BmpServer::new(address, port);
    Ok(BmpServer {
        route_monitoring_policy,
        statistics_timeout,
        route_mirroring: config.route_mirroring_enabled.unwrap_or(false),
        sys_name: config.sys_name.clone().unwrap_or(defaults.sys_name.clone()),
        sys_descr: config
            .sys_descr
            .clone()
            .unwrap_or(defaults.sys_descr.clone()),
        queue_limit,
        source_address,
        ..defaults
    })
}
