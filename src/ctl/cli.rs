//! `bgpctl`'s command line: gobgp's commands and flags (clap derive), read
//! into one [`Request`].
//!
//! gobgp mixes words and positions (`global rib add PREFIX med 10`,
//! `neighbor ADDR adj-in PREFIX`), so the clap structs take the positions
//! and [`Cli::request`] checks the combinations, answering a clap usage
//! error (exit code 2) for the ones that make no sense.

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use super::route::{self, RouteSpec};

/// `bgpctl`: gobgp's command line for bgpd, over the same gRPC API.
#[derive(Debug, Parser)]
#[command(
    name = "bgpctl",
    version,
    about = "gobgp's command line for bgpd, over its gRPC API"
)]
pub struct Cli {
    /// Host of bgpd's API (gobgp's `-u`).
    #[arg(short = 'u', long, default_value = "127.0.0.1", global = true)]
    pub host: String,
    /// Port of bgpd's API (gobgp's `-p`).
    #[arg(short = 'p', long, default_value_t = 50051, global = true)]
    pub port: u16,
    /// The API as a URL, instead of --host/--port: `unix:///path/to/socket`
    /// or `http://host:port`.
    #[arg(long, global = true)]
    pub target: Option<String>,
    /// Print JSON instead of tables.
    #[arg(short = 'j', long, global = true)]
    pub json: bool,
    /// Address family: ipv4 (the default) or ipv6.
    #[arg(short = 'a', long = "address-family", value_enum, global = true)]
    pub family: Option<AddressFamily>,
    /// What to show or do.
    #[command(subcommand)]
    pub command: Command,
}

/// An address family, as gobgp's `-a` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AddressFamily {
    /// IPv4 unicast.
    #[value(alias = "ipv4-unicast")]
    Ipv4,
    /// IPv6 unicast.
    #[value(alias = "ipv6-unicast")]
    Ipv6,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Neighbors: the list, one in detail, its tables, or an operation.
    Neighbor(NeighborArgs),
    /// bgpd's global settings, or the global rib.
    Global(GlobalArgs),
    /// BMP stations: the list, or add / del one.
    Bmp(BmpArgs),
    /// Stream changes as they happen.
    Monitor(MonitorArgs),
}

/// `neighbor [ADDR [ACTION [PREFIX]]]`.
#[derive(Debug, Args)]
pub struct NeighborArgs {
    /// The neighbor's address.
    pub address: Option<String>,
    /// A table to list or an operation to run.
    #[arg(value_enum)]
    pub action: Option<NeighborAction>,
    /// A prefix or address to look up in the table.
    pub prefix: Option<String>,
    /// Reason sent with reset, shutdown and disable (RFC 8203).
    #[arg(long)]
    pub reason: Option<String>,
}

/// What `neighbor ADDR` is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NeighborAction {
    /// Routes received from the neighbor (Adj-RIB-In).
    AdjIn,
    /// Routes sent to the neighbor (Adj-RIB-Out).
    AdjOut,
    /// The neighbor's own local rib (route-server clients).
    Local,
    /// Close the session with a Cease and start again.
    Reset,
    /// Send the routes again and ask for the neighbor's (both directions).
    Softreset,
    /// Ask the neighbor for its routes again.
    Softresetin,
    /// Send our routes to the neighbor again.
    Softresetout,
    /// Close the session with a Cease and keep it down.
    Shutdown,
    /// Let a disabled neighbor's session come up again.
    Enable,
    /// Close the session with a Cease and keep it down until `enable`.
    Disable,
}

/// `global [rib …]`.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The global rib.
    #[command(subcommand)]
    pub command: Option<GlobalCommand>,
}

/// Under `global`.
#[derive(Debug, Subcommand)]
pub enum GlobalCommand {
    /// The global rib (Loc-RIB): list, look up, summary, add or delete
    /// local routes.
    Rib(RibArgs),
}

/// `global rib [PREFIX | summary | add … | del …]`.
#[derive(Debug, Args)]
pub struct RibArgs {
    /// A prefix or address to look up.
    pub prefix: Option<String>,
    /// summary, add or del.
    #[command(subcommand)]
    pub command: Option<RibCommand>,
}

/// Under `global rib`.
#[derive(Debug, Subcommand)]
pub enum RibCommand {
    /// Destination and path counts.
    Summary,
    /// Originate a route: PREFIX [nexthop A] [aspath "1 2 3"]
    /// [community X,Y] [med N] [local-pref N] [origin igp|egp|incomplete].
    Add {
        /// The prefix.
        prefix: String,
        /// Attribute keywords and their values.
        attributes: Vec<String>,
    },
    /// Withdraw a route added with `add`, or `all` of the family's.
    Del {
        /// The prefix, or `all`.
        prefix: String,
    },
}

/// `bmp [add|del ADDR[:PORT]]`.
#[derive(Debug, Args)]
pub struct BmpArgs {
    /// add or del; none lists the stations.
    #[command(subcommand)]
    pub command: Option<BmpCommand>,
}

/// Under `bmp`.
#[derive(Debug, Subcommand)]
pub enum BmpCommand {
    /// Start streaming to a station.
    Add {
        /// ADDR[:PORT] (port 11019 when absent; [v6]:PORT for IPv6).
        station: String,
        /// The views to send.
        #[arg(value_enum, default_value_t = BmpPolicy::Pre)]
        policy: BmpPolicy,
    },
    /// Stop streaming to a station.
    Del {
        /// ADDR[:PORT].
        station: String,
    },
}

/// gobgp's BMP route-monitoring policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BmpPolicy {
    /// Adj-RIB-In pre-policy.
    Pre,
    /// Adj-RIB-In post-policy.
    Post,
    /// Pre- and post-policy.
    Both,
    /// The Loc-RIB (RFC 9069).
    LocalRib,
    /// Pre-, post-policy and Loc-RIB.
    All,
}

/// `monitor global rib [--current]`.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// What to watch.
    #[command(subcommand)]
    pub command: MonitorCommand,
}

/// Under `monitor`.
#[derive(Debug, Subcommand)]
pub enum MonitorCommand {
    /// The global rib.
    Global {
        /// `rib`.
        #[command(subcommand)]
        command: MonitorGlobal,
    },
}

/// Under `monitor global`.
#[derive(Debug, Subcommand)]
pub enum MonitorGlobal {
    /// Best paths as they change, until Ctrl-C.
    Rib {
        /// Print the current table first.
        #[arg(long)]
        current: bool,
    },
}

/// A table of one neighbor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerTable {
    /// Adj-RIB-In.
    AdjIn,
    /// Adj-RIB-Out.
    AdjOut,
    /// The route-server client's local rib.
    Local,
}

/// An operation on one neighbor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerOp {
    /// Hard reset.
    Reset,
    /// Soft reset, both directions.
    SoftReset,
    /// Soft reset in.
    SoftResetIn,
    /// Soft reset out.
    SoftResetOut,
    /// Shutdown.
    Shutdown,
    /// Enable.
    Enable,
    /// Disable.
    Disable,
}

/// A BMP station as `ADDR[:PORT]` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Station {
    /// Host or address.
    pub address: String,
    /// Port; 0 for the default (11019).
    pub port: u32,
}

/// One checked command.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `neighbor`.
    Neighbors,
    /// `neighbor ADDR`.
    Neighbor(String),
    /// `neighbor ADDR adj-in|adj-out|local [PREFIX]`.
    NeighborTable {
        /// The neighbor.
        address: String,
        /// The table.
        table: PeerTable,
        /// A lookup.
        prefix: Option<String>,
    },
    /// `neighbor ADDR reset|…|disable`.
    NeighborOp {
        /// The neighbor.
        address: String,
        /// The operation.
        op: PeerOp,
        /// The reason for the Cease (may be empty).
        reason: String,
    },
    /// `global`.
    Global,
    /// `global rib [PREFIX]`.
    Rib {
        /// A lookup.
        prefix: Option<String>,
    },
    /// `global rib summary`.
    RibSummary,
    /// `global rib add …`.
    RibAdd(RouteSpec),
    /// `global rib del PREFIX` (`None`: `del all`).
    RibDel(Option<RouteSpec>),
    /// `bmp`.
    BmpList,
    /// `bmp add`.
    BmpAdd(Station, BmpPolicy),
    /// `bmp del`.
    BmpDel(Station),
    /// `monitor global rib`.
    MonitorRib {
        /// `--current`.
        current: bool,
    },
}

/// A clap usage error (exit code 2) with `message`.
pub fn usage(kind: ErrorKind, message: impl std::fmt::Display) -> clap::Error {
    Cli::command().error(kind, message)
}

impl Cli {
    /// The family `-a` names (IPv4 when absent).
    pub fn family_or_ipv4(&self) -> AddressFamily {
        self.family.unwrap_or(AddressFamily::Ipv4)
    }

    /// The checked command.
    pub fn request(&self) -> Result<Request, clap::Error> {
        match &self.command {
            Command::Neighbor(args) => neighbor_request(args),
            Command::Global(GlobalArgs { command: None }) => Ok(Request::Global),
            Command::Global(GlobalArgs {
                command: Some(GlobalCommand::Rib(rib)),
            }) => self.rib_request(rib),
            Command::Bmp(BmpArgs { command: None }) => Ok(Request::BmpList),
            Command::Bmp(BmpArgs {
                command: Some(BmpCommand::Add { station, policy }),
            }) => Ok(Request::BmpAdd(parse_station(station)?, *policy)),
            Command::Bmp(BmpArgs {
                command: Some(BmpCommand::Del { station }),
            }) => Ok(Request::BmpDel(parse_station(station)?)),
            Command::Monitor(MonitorArgs {
                command:
                    MonitorCommand::Global {
                        command: MonitorGlobal::Rib { current },
                    },
            }) => Ok(Request::MonitorRib { current: *current }),
        }
    }

    fn rib_request(&self, rib: &RibArgs) -> Result<Request, clap::Error> {
        Ok(match &rib.command {
            None => Request::Rib {
                prefix: rib.prefix.clone(),
            },
            Some(RibCommand::Summary) => Request::RibSummary,
            Some(RibCommand::Add { prefix, attributes }) => {
                let spec = route::parse(prefix, attributes, self.family)
                    .map_err(|e| usage(ErrorKind::ValueValidation, e))?;
                Request::RibAdd(spec)
            }
            Some(RibCommand::Del { prefix }) if prefix == "all" => Request::RibDel(None),
            Some(RibCommand::Del { prefix }) => {
                let spec = route::prefix_spec(prefix, self.family)
                    .map_err(|e| usage(ErrorKind::ValueValidation, e))?;
                Request::RibDel(Some(spec))
            }
        })
    }
}

fn neighbor_request(args: &NeighborArgs) -> Result<Request, clap::Error> {
    let Some(address) = args.address.clone() else {
        return Ok(Request::Neighbors);
    };
    let table = |table| Request::NeighborTable {
        address: address.clone(),
        table,
        prefix: args.prefix.clone(),
    };
    let op = |op| Request::NeighborOp {
        address: address.clone(),
        op,
        reason: args.reason.clone().unwrap_or_default(),
    };
    let request = match args.action {
        None => Request::Neighbor(address.clone()),
        Some(NeighborAction::AdjIn) => table(PeerTable::AdjIn),
        Some(NeighborAction::AdjOut) => table(PeerTable::AdjOut),
        Some(NeighborAction::Local) => table(PeerTable::Local),
        Some(NeighborAction::Reset) => op(PeerOp::Reset),
        Some(NeighborAction::Softreset) => op(PeerOp::SoftReset),
        Some(NeighborAction::Softresetin) => op(PeerOp::SoftResetIn),
        Some(NeighborAction::Softresetout) => op(PeerOp::SoftResetOut),
        Some(NeighborAction::Shutdown) => op(PeerOp::Shutdown),
        Some(NeighborAction::Enable) => op(PeerOp::Enable),
        Some(NeighborAction::Disable) => op(PeerOp::Disable),
    };
    let is_table = matches!(request, Request::NeighborTable { .. });
    if args.prefix.is_some() && !is_table {
        return Err(usage(
            ErrorKind::UnknownArgument,
            "a prefix goes only after adj-in, adj-out or local",
        ));
    }
    Ok(request)
}

/// `ADDR[:PORT]`: an IPv6 address with a port is `[ADDR]:PORT`; a bare
/// IPv6 address has no port.
pub fn parse_station(text: &str) -> Result<Station, clap::Error> {
    let bad = |why: &str| usage(ErrorKind::ValueValidation, format!("{text:?}: {why}"));
    let port_of = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .map(u32::from)
            .ok_or_else(|| bad("the port is not a number from 1 to 65535"))
    };
    let (address, port) = if let Some(rest) = text.strip_prefix('[') {
        let (address, after) = rest
            .split_once(']')
            .ok_or_else(|| bad("no ']' after the IPv6 address"))?;
        match after.strip_prefix(':') {
            Some(p) => (address, port_of(p)?),
            None if after.is_empty() => (address, 0),
            None => return Err(bad("expected :PORT after ']'")),
        }
    } else if text.matches(':').count() == 1 {
        let (address, p) = text.split_once(':').unwrap_or((text, ""));
        (address, port_of(p)?)
    } else {
        (text, 0)
    };
    if address.is_empty() {
        return Err(bad("no address"));
    }
    Ok(Station {
        address: address.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(args: &[&str]) -> Result<Request, clap::Error> {
        let cli = Cli::try_parse_from(std::iter::once("bgpctl").chain(args.iter().copied()))?;
        cli.request()
    }

    #[test]
    fn defaults_are_gobgps_host_and_port() {
        let cli = Cli::try_parse_from(["bgpctl", "global"]).expect("parse");
        assert_eq!((cli.host.as_str(), cli.port), ("127.0.0.1", 50051));
        assert!(!cli.json);
        assert_eq!(cli.family_or_ipv4(), AddressFamily::Ipv4);
    }

    #[test]
    fn flags_go_anywhere_gobgp_style() {
        let cli = Cli::try_parse_from(["bgpctl", "global", "rib", "-a", "ipv6", "-j", "-p", "5"])
            .expect("parse");
        assert_eq!(cli.family, Some(AddressFamily::Ipv6));
        assert!(cli.json);
        assert_eq!(cli.port, 5);
        assert_eq!(cli.request().expect("ok"), Request::Rib { prefix: None });
    }

    #[test]
    fn neighbor_words_become_requests() {
        assert_eq!(request(&["neighbor"]).expect("ok"), Request::Neighbors);
        assert_eq!(
            request(&["neighbor", "10.0.0.1"]).expect("ok"),
            Request::Neighbor("10.0.0.1".into())
        );
        assert_eq!(
            request(&["neighbor", "10.0.0.1", "adj-in", "10.1.0.0/24"]).expect("ok"),
            Request::NeighborTable {
                address: "10.0.0.1".into(),
                table: PeerTable::AdjIn,
                prefix: Some("10.1.0.0/24".into()),
            }
        );
        assert_eq!(
            request(&["neighbor", "10.0.0.1", "disable", "--reason", "maint"]).expect("ok"),
            Request::NeighborOp {
                address: "10.0.0.1".into(),
                op: PeerOp::Disable,
                reason: "maint".into(),
            }
        );
    }

    #[test]
    fn a_prefix_after_an_operation_is_a_usage_error() {
        let e = request(&["neighbor", "10.0.0.1", "reset", "10.0.0.0/8"]).expect_err("usage");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn an_unknown_neighbor_action_is_a_usage_error() {
        let e = request(&["neighbor", "10.0.0.1", "bounce"]).expect_err("usage");
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn an_unknown_family_is_a_usage_error() {
        let e = request(&["global", "rib", "-a", "l2vpn-evpn"]).expect_err("usage");
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
    }

    #[test]
    fn rib_words_become_requests() {
        assert_eq!(
            request(&["global", "rib", "10.0.0.5"]).expect("ok"),
            Request::Rib {
                prefix: Some("10.0.0.5".into())
            }
        );
        assert_eq!(
            request(&["global", "rib", "summary"]).expect("ok"),
            Request::RibSummary
        );
        assert_eq!(
            request(&["global", "rib", "del", "all", "-a", "ipv6"]).expect("ok"),
            Request::RibDel(None)
        );
        assert_eq!(
            request(&["global", "rib", "-a", "ipv6", "del", "all"]).expect("ok"),
            Request::RibDel(None)
        );
        assert_eq!(
            request(&["global", "rib", "-a", "ipv6", "2001:db8::1"]).expect("ok"),
            Request::Rib {
                prefix: Some("2001:db8::1".into())
            }
        );
        let Request::RibDel(Some(spec)) =
            request(&["global", "rib", "del", "10.9.0.0/24"]).expect("ok")
        else {
            panic!("not a del");
        };
        assert_eq!((spec.address.as_str(), spec.prefix_len), ("10.9.0.0", 24));
        let Request::RibAdd(spec) =
            request(&["global", "rib", "add", "10.9.0.0/24", "med", "5"]).expect("ok")
        else {
            panic!("not an add");
        };
        assert_eq!(spec.med, Some(5));
    }

    #[test]
    fn a_bad_attribute_in_rib_add_is_a_usage_error() {
        let e = request(&["global", "rib", "add", "10.9.0.0/24", "med", "x"]).expect_err("usage");
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("med"), "{e}");
    }

    #[test]
    fn bmp_stations_parse_with_and_without_ports() {
        assert_eq!(
            request(&["bmp", "add", "127.0.0.1:11020", "all"]).expect("ok"),
            Request::BmpAdd(
                Station {
                    address: "127.0.0.1".into(),
                    port: 11020
                },
                BmpPolicy::All
            )
        );
        assert_eq!(
            request(&["bmp", "del", "::1"]).expect("ok"),
            Request::BmpDel(Station {
                address: "::1".into(),
                port: 0
            })
        );
        assert_eq!(
            parse_station("[::1]:5000").expect("ok"),
            Station {
                address: "::1".into(),
                port: 5000
            }
        );
        assert_eq!(
            request(&["bmp", "add", "10.0.0.1", "local-rib"]).expect("ok"),
            Request::BmpAdd(
                Station {
                    address: "10.0.0.1".into(),
                    port: 0
                },
                BmpPolicy::LocalRib
            )
        );
        assert!(parse_station("10.0.0.1:99999").is_err());
        assert!(parse_station(":5").is_err());
        assert_eq!(request(&["bmp"]).expect("ok"), Request::BmpList);
    }

    #[test]
    fn monitor_takes_current() {
        assert_eq!(
            request(&["monitor", "global", "rib", "--current"]).expect("ok"),
            Request::MonitorRib { current: true }
        );
    }

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
