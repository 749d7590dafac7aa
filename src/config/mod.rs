//! The configuration file: gobgpd's TOML schema, read unchanged.
//!
//! `bgpd -f gobgpd.toml` must accept what gobgpd 3.10 (and 4.x) accepts and
//! refuse what it refuses, with the same defaults. Loading has three stages:
//!
//! - decoding (`decode.rs`): TOML text → raw serde structs mirroring the
//!   file table for table (`file.rs`, `neighbor_raw.rs`, `policy.rs`,
//!   `bmp.rs`), with unknown keys refused and gobgpd's loose scalars
//!   (`as = "65001"`, `hold-time = 90.0`) accepted;
//! - validation (`validate.rs`, `global.rs`, `neighbor.rs`, `policy.rs`):
//!   defaults, peer-group inheritance and gobgpd's rules, into checked
//!   runtime types ([`Config`]);
//! - notes: keys we parse but do not act on ([`Config::unsupported`]) and
//!   values gobgpd silently drops ([`Config::warnings`]), for the daemon to
//!   log once each.
//!
//! # Known issues
//!
//! - gobgpd only warns about an unknown peer group, a duplicate neighbor or
//!   a dangling policy reference and runs on; we refuse the file.
//! - Community, extended community and AS-path patterns are kept as
//!   written; they are compiled (and a bad one refused) by
//!   [`crate::policy::PolicyEngine::check`] during validation.
//! - YAML and JSON files (gobgpd `-t yaml|json`) are not read.

use std::path::Path;

use ipnet::IpNet;

mod afi_safi;
mod bmp;
mod decode;
mod error;
mod file;
mod global;
mod loose;
mod neighbor;
mod neighbor_raw;
mod policy;
mod policy_raw;
mod policy_types;
mod runtime;
mod statement;
mod validate;

#[cfg(test)]
mod tests;

pub use afi_safi::{AddPaths, AfiSafi, AfiSafiName, PrefixLimit};
pub use bmp::{BmpServer, DEFAULT_BMP_PORT, DEFAULT_BMP_QUEUE_LIMIT, MIN_BMP_QUEUE_LIMIT};
pub use error::{ConfigError, ErrorKind, Problem, UnknownKeys};
pub use global::{
    Confederation, Global, GracefulRestart, RouteSelection, BGP_PORT, DEFAULT_DEFERRAL_TIME,
};
pub use neighbor::{
    Neighbor, PeerAddress, PeerGroup, PeerType, RemovePrivateAs, Timers, Transport,
    DEFAULT_CONNECT_RETRY, DEFAULT_HOLD_TIME, DEFAULT_IDLE_HOLD_TIME_AFTER_RESET,
};
pub use policy_types::{
    Actions, ApplyPolicy, CommunityAction, CommunityOption, Comparison, Conditions, DefaultPolicy,
    DefinedSets, MatchSetOptions, MedAction, NamedList, NeighborSet, NextHopAction, Operator,
    Origin, Policy, PrefixMatch, PrefixSet, Prepend, PrependAs, RouteDisposition, RouteType,
    RpkiValidation, SetMatch, Statement,
};
pub use runtime::{runtime_neighbor, NeighborSpec};

/// A checked configuration: what the daemon runs on.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `[global]`.
    pub global: Global,
    /// `[[neighbors]]`, merged with their peer group, in file order.
    pub neighbors: Vec<Neighbor>,
    /// `[[peer-groups]]`.
    pub peer_groups: Vec<PeerGroup>,
    /// `[[dynamic-neighbors]]`.
    pub dynamic_neighbors: Vec<DynamicNeighbor>,
    /// `[defined-sets]`.
    pub defined_sets: DefinedSets,
    /// `[[policy-definitions]]`.
    pub policies: Vec<Policy>,
    /// `[[bmp-servers]]`.
    pub bmp_servers: Vec<BmpServer>,
    /// Key paths set in the file that are parsed but not acted on (vrfs,
    /// zebra, rpki-servers, mrt-dump, confederation, bfd...), each once.
    pub unsupported: Vec<String>,
    /// Values gobgpd would silently drop or override (unknown enum strings,
    /// unknown policy names, peer-group quirks), each with its key path.
    pub warnings: Vec<String>,
}

/// `[[dynamic-neighbors]]`: passive peers accepted from a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicNeighbor {
    /// Connections from inside this prefix are accepted.
    pub prefix: IpNet,
    /// The peer group that supplies the settings.
    pub peer_group: String,
}

/// Reads, parses and checks the file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: file.clone(),
        kind: ErrorKind::Io(e),
    })?;
    parse(&text, &file)
}

/// Parses and checks `text`; `file_name` is only used in errors.
pub fn parse(text: &str, file_name: &str) -> Result<Config, ConfigError> {
    let error = |kind| ConfigError {
        file: file_name.to_owned(),
        kind,
    };
    let (raw, table) = decode::decode::<file::RawConfig>(text).map_err(error)?;
    validate::validate(&raw, &table).map_err(error)
}

/// Notes gathered while checking.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    /// See [`Config::unsupported`].
    pub unsupported: Vec<String>,
    /// See [`Config::warnings`].
    pub warnings: Vec<String>,
}

impl Notes {
    /// Records a key we parse but do not act on (once).
    pub fn unsupported(&mut self, key: String) {
        if !self.unsupported.contains(&key) {
            self.unsupported.push(key);
        }
    }

    /// Records a warning (once).
    pub fn warn(&mut self, message: String) {
        if !self.warnings.contains(&message) {
            self.warnings.push(message);
        }
    }
}
