//! Configuration errors: which file, which key, what is wrong.
//!
//! gobgpd reports a bad file as `Can't read config file <f>` with the decode
//! or validation error beside it; [`ConfigError`]'s `Display` gives the same
//! three facts on one line: the file, the key path in gobgpd's notation
//! (`neighbors[1].config.peer-as`) and the problem.

use std::fmt;
use std::io;

/// A configuration file that could not be loaded.
#[derive(Debug)]
pub struct ConfigError {
    /// The file name as given to [`super::load`] or [`super::parse`].
    pub file: String,
    /// What went wrong.
    pub kind: ErrorKind,
}

/// The classes of load failure, after gobgpd's (reference §1.10).
#[derive(Debug)]
pub enum ErrorKind {
    /// The file could not be read.
    Io(io::Error),
    /// The text is not TOML; the message (with line and column) is the TOML
    /// parser's.
    Syntax(String),
    /// Keys that no table of that name has (gobgpd: `'global.config' has
    /// invalid keys: foo`), grouped by table.
    UnknownKeys(Vec<UnknownKeys>),
    /// A value of the wrong type or out of range, from the TOML decoder.
    Decode {
        /// Key path of the value.
        key: String,
        /// The decoder's message.
        message: String,
    },
    /// A value that decodes but breaks a rule.
    Invalid {
        /// Key path of the offending value (or of its table).
        key: String,
        /// The rule broken.
        problem: Problem,
    },
}

/// The unknown keys of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKeys {
    /// Key path of the table (`""` for the top level).
    pub table: String,
    /// The unknown key names, in file order.
    pub keys: Vec<String>,
}

/// A validation rule broken by a decoded value (gobgpd's message in `Display`).
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// `global.config.router-id` is not set.
    MissingRouterId,
    /// `router-id` is not an IPv4 address.
    InvalidRouterId(String),
    /// A neighbor has neither `neighbor-address` nor `neighbor-interface`.
    NoNeighborAddress,
    /// A value that must be an IP address is not one.
    InvalidAddress(String),
    /// A value that must be a prefix (`a.b.c.d/n`) is not one.
    InvalidPrefix(String),
    /// A neighbor or dynamic neighbor names a peer group that is not defined.
    UnknownPeerGroup(String),
    /// Two neighbors have the same address.
    DuplicateNeighbor(String),
    /// Two peer groups have the same name.
    DuplicatePeerGroup(String),
    /// A peer group without `peer-group-name`.
    EmptyPeerGroupName,
    /// Both `route-reflector-client` and `route-server-client`.
    RouteReflectorAndRouteServerClient,
    /// Both `ebgp-multihop` and `ttl-security` enabled.
    MultihopWithTtlSecurity,
    /// `remove-private-as` on an iBGP peer.
    RemovePrivateAsOnIbgp,
    /// `replace-peer-as` on an iBGP peer.
    ReplacePeerAsOnIbgp,
    /// `route-reflector-cluster-id` is neither IPv4 nor a `u32`.
    InvalidClusterId(String),
    /// A BMP `statistics-timeout` between 1 and 14.
    StatisticsTimeoutTooSmall(u16),
    /// A BMP server without an address.
    EmptyBmpAddress,
    /// A `route-monitoring-policy` list holds an unknown view name.
    UnknownMonitoringView(String),
    /// `queue-limit` below the minimum.
    BmpQueueLimitTooSmall(u64),
    /// An `afi-safi-name` outside gobgpd's list.
    UnknownAfiSafi(String),
    /// A hold time of 1 or 2 seconds, or one beyond 65535 (RFC 4271 §4.2).
    InvalidHoldTime(f64),
    /// A timer that is negative or not a number.
    InvalidTimer(f64),
    /// A port outside 0..=65535 (global port: -1..=65535).
    InvalidPort(i64),
    /// A neighbor on an interface (unnumbered) cannot be a route-server client.
    InterfaceNeighborRouteServerClient,
    /// A neighbor in a VRF cannot be a route-server client.
    VrfNeighborRouteServerClient,
    /// A neighbor names a VRF that is not defined.
    UnknownVrf(String),
    /// A VRF without a name.
    EmptyVrfName,
    /// A VRF with a missing or malformed route distinguisher.
    InvalidRouteDistinguisher(String),
    /// Two VRFs with the same name.
    DuplicateVrf(String),
    /// A dynamic neighbor without `peer-group`.
    DynamicNeighborWithoutPeerGroup,
    /// `[collector]` with a URL: gobgpd refuses it too.
    CollectorNotSupported,
    /// A defined set or policy without a name; the payload names its kind.
    EmptyName(&'static str),
    /// Two defined sets of one kind, two policies, or two statements of one
    /// policy with the same name; the payload names the kind.
    DuplicateName(&'static str, String),
    /// A policy statement refers to a set that is not defined.
    UnknownSet(&'static str, String),
    /// A prefix set mixes IPv4 and IPv6 prefixes.
    MixedFamilies(String),
    /// A `masklength-range` that is not `min..max` within the prefix family.
    InvalidMaskLengthRange(String),
    /// A neighbor-set entry that is neither an address nor a prefix.
    InvalidNeighborInfo(String),
    /// A `set-med` that is not `N`, `+N` or `-N`.
    InvalidSetMed(String),
    /// A community action with an unknown `options` and a non-empty list.
    InvalidCommunityOption(String),
    /// A `set-next-hop` that is not `self`, `unchanged`, `peer-address` or an IP.
    InvalidNextHop(String),
    /// An `as` in `set-as-path-prepend` that is neither an ASN nor `last-as`.
    InvalidPrependAs(String),
    /// A community, large community or extended community that cannot be
    /// parsed or compiled.
    InvalidCommunity(String),
    /// A set entry or community action value the policy engine cannot
    /// compile (a bad regular expression, an extended community without
    /// `rt:`/`soo:`, a malformed community), naming the set or statement.
    Policy(Box<crate::policy::PolicyError>),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Problem::*;
        match self {
            MissingRouterId => f.write_str("router-id is required"),
            InvalidRouterId(v) => write!(f, "invalid router-id format: {v}"),
            NoNeighborAddress => f.write_str("no neighbor address/interface specified"),
            InvalidAddress(v) => write!(f, "invalid IP address: {v}"),
            InvalidPrefix(v) => write!(f, "invalid prefix: {v}"),
            UnknownPeerGroup(v) => write!(f, "no such peer-group: {v}"),
            DuplicateNeighbor(v) => write!(f, "can't overwrite the existing peer: {v}"),
            DuplicatePeerGroup(v) => write!(f, "duplicated peer-group name: {v}"),
            EmptyPeerGroupName => f.write_str("empty peer-group name"),
            RouteReflectorAndRouteServerClient => {
                f.write_str("can't be both route-server-client and route-reflector-client")
            }
            MultihopWithTtlSecurity => f.write_str("ebgp-multihop and ttl-security are mutually exclusive"),
            RemovePrivateAsOnIbgp => f.write_str("can't set remove-private-as for iBGP peer"),
            ReplacePeerAsOnIbgp => f.write_str("can't set replace-peer-as for iBGP peer"),
            InvalidClusterId(v) => write!(
                f,
                "route-reflector-cluster-id should be specified as IPv4 address or 32-bit unsigned integer: {v}"
            ),
            StatisticsTimeoutTooSmall(v) => write!(f, "too small statistics-timeout value: {v}"),
            EmptyBmpAddress => f.write_str("bmp server address is required"),
            UnknownMonitoringView(v) => write!(f, "unknown route monitoring view: {v:?}"),
            BmpQueueLimitTooSmall(v) => write!(
                f,
                "queue-limit must be at least {} bytes: {v}",
                super::bmp::MIN_BMP_QUEUE_LIMIT
            ),
            UnknownAfiSafi(v) => write!(f, "{v} isn't a valid route family name"),
            InvalidHoldTime(v) => write!(f, "hold-time must be 0 or between 3 and 65535 seconds: {v}"),
            InvalidTimer(v) => write!(f, "timer must be a non-negative number of seconds: {v}"),
            InvalidPort(v) => write!(f, "invalid port: {v}"),
            InterfaceNeighborRouteServerClient => {
                f.write_str("neighbor-interface can't be used with route-server-client")
            }
            VrfNeighborRouteServerClient => f.write_str("route server client can't be enslaved to VRF"),
            UnknownVrf(v) => write!(f, "VRF not found: {v}"),
            EmptyVrfName => f.write_str("specify vrf name"),
            InvalidRouteDistinguisher(v) => write!(f, "invalid rd: {v:?}"),
            DuplicateVrf(v) => write!(f, "duplicated vrf name: {v}"),
            DynamicNeighborWithoutPeerGroup => f.write_str("dynamic neighbor requires the peer group config"),
            CollectorNotSupported => f.write_str("collector feature is not supported"),
            EmptyName(kind) => write!(f, "empty {kind} name"),
            DuplicateName(kind, v) => write!(f, "duplicated {kind} name {v}: {kind} name must be unique"),
            UnknownSet(kind, v) => write!(f, "not found {kind} {v}"),
            MixedFamilies(v) => write!(f, "multiple families in prefix set {v}"),
            InvalidMaskLengthRange(v) => write!(f, "invalid masklength-range: {v}"),
            InvalidNeighborInfo(v) => write!(f, "invalid address or prefix: {v}"),
            InvalidSetMed(v) => write!(f, "invalid set-med action: {v}"),
            InvalidCommunityOption(v) => write!(f, "invalid option name: {v}"),
            InvalidNextHop(v) => write!(f, "invalid set-next-hop action: {v}"),
            InvalidPrependAs(v) => write!(f, "invalid as-path prepend: {v}"),
            InvalidCommunity(v) => write!(f, "invalid community: {v}"),
            Policy(e) => write!(f, "failed to create routing policy: {e}"),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "can't read config file {}: ", self.file)?;
        match &self.kind {
            ErrorKind::Io(e) => write!(f, "{e}"),
            ErrorKind::Syntax(message) => write!(f, "toml: {message}"),
            ErrorKind::UnknownKeys(tables) => {
                for (i, table) in tables.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    let name = if table.table.is_empty() {
                        "<top level>"
                    } else {
                        &table.table
                    };
                    write!(f, "'{name}' has invalid keys: {}", table.keys.join(", "))?;
                }
                Ok(())
            }
            ErrorKind::Decode { key, message } => write!(f, "toml: '{key}': {message}"),
            ErrorKind::Invalid { key, problem } => write!(f, "'{key}': {problem}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl ConfigError {
    /// The key path the error is about, when there is one.
    pub fn key(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Decode { key, .. } | ErrorKind::Invalid { key, .. } => Some(key),
            ErrorKind::UnknownKeys(tables) => tables.first().map(|t| t.table.as_str()),
            ErrorKind::Io(_) | ErrorKind::Syntax(_) => None,
        }
    }

    /// The broken rule, for a validation error.
    pub fn problem(&self) -> Option<&Problem> {
        match &self.kind {
            ErrorKind::Invalid { problem, .. } => Some(problem),
            _ => None,
        }
    }
}

/// A validation failure before the file name is attached.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invalid {
    /// Key path.
    pub key: String,
    /// Broken rule.
    pub problem: Problem,
}

impl Invalid {
    /// A failure of `problem` at `key`.
    pub fn new(key: impl Into<String>, problem: Problem) -> Invalid {
        Invalid {
            key: key.into(),
            problem,
        }
    }
}
