//! `[global]`: the local speaker.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::afi_safi::{AfiSafi, AfiSafiName};
use super::error::{Invalid, Problem};
use super::file::{RawAfiSafi, RawGlobal, RawGracefulRestartConfig};
use super::policy::{apply_policy, ApplyPolicy, Policy};
use super::Notes;

/// The BGP port (RFC 4271 §8.2.1).
pub const BGP_PORT: u16 = 179;

/// Checked `[global]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Global {
    /// Local AS (`global.config.as`; 0 is accepted, as by gobgpd).
    pub asn: u32,
    /// BGP identifier.
    pub router_id: Ipv4Addr,
    /// Listening port; `None` when `port` is negative (no listener, outgoing
    /// sessions only).
    pub port: Option<u16>,
    /// Addresses to listen on (default `0.0.0.0` and `::`).
    pub local_addresses: Vec<IpAddr>,
    /// v4 `bind-to-device` for the listeners.
    pub bind_to_device: Option<String>,
    /// Global import/export policies: they apply to every ordinary peer.
    pub apply_policy: ApplyPolicy,
    /// Best-path options.
    pub route_selection: RouteSelection,
    /// Graceful-restart defaults of the speaker.
    pub graceful_restart: GracefulRestart,
    /// Families of the global RIB (default: all of them).
    pub families: Vec<AfiSafi>,
    /// Confederation (parsed, not acted on).
    pub confederation: Option<Confederation>,
}

/// `global.route-selection-options`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteSelection {
    /// Compare MED whatever the neighbor AS.
    pub always_compare_med: bool,
    /// Skip the AS_PATH length step.
    pub ignore_as_path_length: bool,
    /// Compare router-ids of eBGP paths.
    pub external_compare_router_id: bool,
    /// Keep all paths, select none.
    pub disable_best_path_selection: bool,
}

/// `global.confederation` (RFC 5065).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confederation {
    /// Identifier seen by peers outside the confederation.
    pub identifier: u32,
    /// Member sub-ASes.
    pub member_as_list: Vec<u32>,
}

/// Graceful restart (RFC 4724) and its long-lived variant (RFC 9494).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GracefulRestart {
    /// Advertise the capability.
    pub enabled: bool,
    /// Restart time we advertise (default: the hold time).
    pub restart_time: Duration,
    /// How long to wait for End-of-RIB (default 360 s).
    pub deferral_time: Duration,
    /// Helper mode only.
    pub helper_only: bool,
    /// RFC 8538 notification support (N-bit).
    pub notification_enabled: bool,
    /// Long-lived graceful restart.
    pub long_lived_enabled: bool,
}

/// Default End-of-RIB deferral time (gobgpd).
pub const DEFAULT_DEFERRAL_TIME: Duration = Duration::from_secs(360);

/// Graceful-restart settings with gobgpd's defaults; `hold_time` supplies
/// the restart time when it is unset.
pub(crate) fn graceful_restart(
    raw: &RawGracefulRestartConfig,
    hold_time: Duration,
) -> GracefulRestart {
    let enabled = raw.enabled.unwrap_or(false);
    if !enabled {
        return GracefulRestart::default();
    }
    GracefulRestart {
        enabled,
        restart_time: match raw.restart_time {
            Some(n) if n > 0 => Duration::from_secs(u64::from(n)),
            _ => hold_time,
        },
        deferral_time: match raw.deferral_time {
            Some(n) if n > 0 => Duration::from_secs(u64::from(n)),
            _ => DEFAULT_DEFERRAL_TIME,
        },
        helper_only: raw.helper_only.unwrap_or(false),
        notification_enabled: raw.notification_enabled.unwrap_or(false),
        long_lived_enabled: raw.long_lived_enabled.unwrap_or(false),
    }
}

/// Parses `[[afi-safis]]` entries, copying `add_paths` into those without
/// their own.
pub(crate) fn families(
    raw: &[RawAfiSafi],
    add_paths: super::afi_safi::AddPaths,
    key: &str,
    notes: &mut Notes,
) -> Result<Vec<AfiSafi>, Invalid> {
    let mut out: Vec<AfiSafi> = Vec::new();
    for (i, entry) in raw.iter().enumerate() {
        let key = format!("{key}[{i}]");
        let text = entry.config.afi_safi_name.as_deref().unwrap_or_default();
        let name = AfiSafiName::parse(text.trim()).ok_or_else(|| {
            Invalid::new(
                format!("{key}.config.afi-safi-name"),
                Problem::UnknownAfiSafi(text.to_owned()),
            )
        })?;
        for sub in entry.unsupported_keys() {
            notes.unsupported(format!("{key}.{sub}"));
        }
        let mut family = AfiSafi::new(name);
        family.enabled = entry.config.enabled.unwrap_or(true);
        if let Some(limit) = &entry.prefix_limit {
            if limit.config.restart_timer.is_some() {
                notes.unsupported(format!("{key}.prefix-limit.config.restart-timer"));
            }
            family.prefix_limit =
                limit
                    .config
                    .max_prefixes
                    .filter(|&n| n > 0)
                    .map(|max_prefixes| super::afi_safi::PrefixLimit {
                        max_prefixes,
                        shutdown_threshold_pct: limit.config.shutdown_threshold_pct.unwrap_or(0),
                    });
        }
        family.add_paths = match &entry.add_paths {
            Some(own) => super::afi_safi::AddPaths {
                receive: own.config.receive.unwrap_or(false),
                send_max: own.config.send_max.unwrap_or(0),
            },
            None => add_paths,
        };
        family.graceful_restart = entry
            .mp_graceful_restart
            .as_ref()
            .and_then(|gr| gr.config.enabled)
            .unwrap_or(false);
        family.long_lived_stale_time = entry
            .long_lived_graceful_restart
            .as_ref()
            .filter(|llgr| llgr.config.enabled.unwrap_or(false))
            .map(|llgr| Duration::from_secs(u64::from(llgr.config.restart_time.unwrap_or(0))));
        // gobgpd keeps the last of duplicated entries; say so.
        if let Some(previous) = out.iter_mut().find(|f| f.name == name) {
            notes.warn(format!(
                "{key}: {name} is listed twice; the last entry wins"
            ));
            *previous = family;
        } else {
            out.push(family);
        }
    }
    Ok(out)
}

/// Parses an IP address, reporting `key` on failure.
pub(crate) fn address(text: &str, key: &str) -> Result<IpAddr, Invalid> {
    text.trim()
        .parse()
        .map_err(|_| Invalid::new(key, Problem::InvalidAddress(text.to_owned())))
}

/// Checks `[global]`; policies are needed to check `apply-policy` names.
pub(crate) fn global(
    raw: &RawGlobal,
    policies: &[Policy],
    notes: &mut Notes,
) -> Result<Global, Invalid> {
    let config = &raw.config;
    let router_id = match config.router_id.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(Invalid::new(
                "global.config.router-id",
                Problem::MissingRouterId,
            ))
        }
        Some(text) => text.parse::<Ipv4Addr>().map_err(|_| {
            Invalid::new(
                "global.config.router-id",
                Problem::InvalidRouterId(text.to_owned()),
            )
        })?,
    };
    let port =
        match config.port.unwrap_or(0) {
            0 => Some(BGP_PORT),
            n if n < 0 => None,
            n => Some(u16::try_from(n).map_err(|_| {
                Invalid::new("global.config.port", Problem::InvalidPort(i64::from(n)))
            })?),
        };
    let local_addresses = match &config.local_address_list {
        None => vec![IpAddr::from([0u8; 4]), IpAddr::from([0u16; 8])],
        Some(list) => list
            .iter()
            .map(|a| address(a, "global.config.local-address-list"))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let selection = &raw.route_selection_options.config;
    for (set, name) in [
        (
            selection.advertise_inactive_routes,
            "advertise-inactive-routes",
        ),
        (selection.enable_aigp, "enable-aigp"),
        (
            selection.ignore_next_hop_igp_metric,
            "ignore-next-hop-igp-metric",
        ),
    ] {
        if set.is_some() {
            notes.unsupported(format!("global.route-selection-options.config.{name}"));
        }
    }
    let route_selection = RouteSelection {
        always_compare_med: selection.always_compare_med.unwrap_or(false),
        ignore_as_path_length: selection.ignore_as_path_length.unwrap_or(false),
        external_compare_router_id: selection.external_compare_router_id.unwrap_or(false),
        disable_best_path_selection: selection.disable_best_path_selection.unwrap_or(false),
    };
    let confederation = match &raw.confederation {
        Some(c) => {
            notes.unsupported("global.confederation".to_owned());
            c.config.enabled.unwrap_or(false).then(|| Confederation {
                identifier: c.config.identifier.unwrap_or(0),
                member_as_list: c.config.member_as_list.clone().unwrap_or_default(),
            })
        }
        None => None,
    };
    for (present, name) in [
        (raw.use_multiple_paths.is_some(), "use-multiple-paths"),
        (
            raw.default_route_distance.is_some(),
            "default-route-distance",
        ),
        (raw.mpls_label_range.is_some(), "mpls-label-range"),
    ] {
        if present {
            notes.unsupported(format!("global.{name}"));
        }
    }
    let mut families = families(
        &raw.afi_safis,
        Default::default(),
        "global.afi-safis",
        notes,
    )?;
    if families.is_empty() {
        families = AfiSafiName::ALL
            .iter()
            .map(|&name| AfiSafi::new(name))
            .collect();
    }
    Ok(Global {
        asn: config.asn.unwrap_or(0),
        router_id,
        port,
        local_addresses,
        bind_to_device: config.bind_to_device.clone().filter(|d| !d.is_empty()),
        apply_policy: apply_policy(&raw.apply_policy, policies, "global.apply-policy", notes),
        route_selection,
        graceful_restart: graceful_restart(
            &raw.graceful_restart.config,
            super::neighbor::DEFAULT_HOLD_TIME,
        ),
        families,
        confederation,
    })
}
