//! `bgpctl`: our own command line over bgpd's gRPC API, with gobgp's
//! commands and table formats.
//!
//! ```text
//!  argv ──clap──▶ cli::Request ──run──▶ GobgpApiClient (client.rs) ──gRPC──▶ bgpd
//!                                        │ answers
//!                                        ▼
//!                 format.rs / neighbor.rs (tables) or json.rs (-j) ──▶ stdout
//! ```
//!
//! - [`cli`]: the flags and commands, checked into one [`cli::Request`].
//! - [`client`]: the connection (TCP or `unix://`) and the errors.
//! - [`route`]: `global rib add` words into an API path.
//! - [`attrs`]: an API path read for display.
//! - [`format`], [`neighbor`], [`json`]: the output, pure functions of
//!   the answers and the time.
//!
//! Exit codes: 0 done, 1 bgpd unreachable or the request refused (the
//! gRPC code and message on stderr), 2 a usage error (clap's).

pub mod attrs;
pub mod cli;
pub mod client;
pub mod format;
pub mod json;
pub mod neighbor;
pub mod route;

use std::io::Write;
use std::time::SystemTime;

use tonic::transport::Channel;

use crate::api::proto::{self, gobgp_api_client::GobgpApiClient};
use cli::{AddressFamily, BmpPolicy, Cli, PeerOp, PeerTable, Request};
use client::{CtlError, Target};
use format::Listing;

type Client = GobgpApiClient<Channel>;

/// What every command needs besides the request.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where bgpd is.
    pub target: Target,
    /// `-j`.
    pub json: bool,
    /// `-a`, when given.
    pub family: Option<AddressFamily>,
}

impl Cli {
    /// The options of this command line.
    pub fn options(&self) -> Options {
        let target = match &self.target {
            Some(url) => Target::Url(url.clone()),
            None => Target::Tcp {
                host: self.host.clone(),
                port: self.port,
            },
        };
        Options {
            target,
            json: self.json,
            family: self.family,
        }
    }
}

impl Options {
    /// IPv6 when `-a ipv6`, or with no `-a` when `prefix` is an IPv6 one.
    fn ipv6(&self, prefix: Option<&str>) -> bool {
        match self.family {
            Some(family) => family == AddressFamily::Ipv6,
            None => prefix.is_some_and(|p| p.contains(':')),
        }
    }
}

/// Writes `text`; a closed pipe (`bgpctl … | head`) is not an error.
fn emit(out: &mut impl Write, text: &str) -> Result<(), CtlError> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CtlError::Output(e)),
        _ => Ok(()),
    }
}

fn emit_json(out: &mut impl Write, value: &serde_json::Value) -> Result<(), CtlError> {
    emit(out, &format!("{value}\n"))
}

/// Runs `request` against bgpd, writing the answer to `out`.
pub async fn run(
    options: &Options,
    request: Request,
    out: &mut impl Write,
) -> Result<(), CtlError> {
    let mut client = client::connect(&options.target).await?;
    let now = SystemTime::now;
    match request {
        Request::Neighbors => {
            let peers = list_peers(&mut client, "").await?;
            if options.json {
                let all: Vec<_> = peers.iter().map(neighbor::json).collect();
                emit_json(out, &serde_json::Value::Array(all))
            } else {
                emit(out, &neighbor::list(&peers, now()))
            }
        }
        Request::Neighbor(address) => {
            let peers = list_peers(&mut client, &address).await?;
            let peer = peers
                .first()
                .ok_or_else(|| tonic::Status::not_found(format!("neighbor {address} not found")))?;
            if options.json {
                emit_json(out, &neighbor::json(peer))
            } else {
                emit(out, &neighbor::detail(peer, now()))
            }
        }
        Request::NeighborTable {
            address,
            table,
            prefix,
        } => {
            let (table_type, listing) = match table {
                PeerTable::AdjIn => (proto::TableType::AdjIn, Listing::AdjIn),
                PeerTable::AdjOut => (proto::TableType::AdjOut, Listing::AdjOut),
                PeerTable::Local => (proto::TableType::Local, Listing::Global),
            };
            let ipv6 = options.ipv6(prefix.as_deref());
            let request = list_request(table_type, &address, ipv6, prefix);
            let destinations = list_path(&mut client, request).await?;
            show_rib(out, options, &destinations, listing)
        }
        Request::NeighborOp {
            address,
            op,
            reason,
        } => peer_op(&mut client, address, op, reason).await,
        Request::Global => {
            let global = client
                .get_bgp(proto::GetBgpRequest {})
                .await?
                .into_inner()
                .global
                .unwrap_or_default();
            if options.json {
                emit_json(out, &json::global(&global))
            } else {
                emit(out, &format::global(&global))
            }
        }
        Request::Rib { prefix } => {
            let ipv6 = options.ipv6(prefix.as_deref());
            let request = list_request(proto::TableType::Global, "", ipv6, prefix);
            let destinations = list_path(&mut client, request).await?;
            show_rib(out, options, &destinations, Listing::Global)
        }
        Request::RibSummary => {
            let ipv6 = options.ipv6(None);
            let table = client
                .get_table(proto::GetTableRequest {
                    table_type: proto::TableType::Global as i32,
                    family: Some(route::family(ipv6)),
                    name: String::new(),
                })
                .await?
                .into_inner();
            if options.json {
                emit_json(out, &json::summary(&table))
            } else {
                emit(out, &format::summary(&table, ipv6))
            }
        }
        Request::RibAdd(spec) => {
            client
                .add_path(proto::AddPathRequest {
                    table_type: proto::TableType::Global as i32,
                    vrf_id: String::new(),
                    path: Some(spec.path()),
                })
                .await?;
            Ok(())
        }
        Request::RibDel(spec) => {
            let request = match spec {
                Some(spec) => proto::DeletePathRequest {
                    family: Some(spec.family()),
                    path: Some(spec.prefix_path()),
                    ..Default::default()
                },
                None => proto::DeletePathRequest {
                    family: Some(route::family(options.ipv6(None))),
                    ..Default::default()
                },
            };
            client.delete_path(request).await?;
            Ok(())
        }
        Request::BmpList => {
            let mut stream = client
                .list_bmp(proto::ListBmpRequest {})
                .await?
                .into_inner();
            let mut stations = Vec::new();
            while let Some(response) = stream.message().await? {
                stations.extend(response.station);
            }
            if options.json {
                emit_json(out, &json::bmp(&stations))
            } else {
                emit(out, &format::bmp(&stations, now()))
            }
        }
        Request::BmpAdd(station, policy) => {
            use proto::add_bmp_request::MonitoringPolicy;
            let policy = match policy {
                BmpPolicy::Pre => MonitoringPolicy::Pre,
                BmpPolicy::Post => MonitoringPolicy::Post,
                BmpPolicy::Both => MonitoringPolicy::Both,
                BmpPolicy::LocalRib => MonitoringPolicy::Local,
                BmpPolicy::All => MonitoringPolicy::All,
            };
            client
                .add_bmp(proto::AddBmpRequest {
                    address: station.address,
                    port: station.port,
                    policy: policy as i32,
                    ..Default::default()
                })
                .await?;
            Ok(())
        }
        Request::BmpDel(station) => {
            client
                .delete_bmp(proto::DeleteBmpRequest {
                    address: station.address,
                    port: station.port,
                })
                .await?;
            Ok(())
        }
        Request::MonitorRib { current } => {
            tokio::select! {
                result = monitor(&mut client, options, current, out) => result,
                _ = tokio::signal::ctrl_c() => Ok(()),
            }
        }
    }
}

async fn list_peers(client: &mut Client, address: &str) -> Result<Vec<proto::Peer>, CtlError> {
    let mut stream = client
        .list_peer(proto::ListPeerRequest {
            address: address.to_string(),
            enable_advertised: false,
        })
        .await?
        .into_inner();
    let mut peers = Vec::new();
    while let Some(response) = stream.message().await? {
        peers.extend(response.peer);
    }
    Ok(peers)
}

fn list_request(
    table_type: proto::TableType,
    name: &str,
    ipv6: bool,
    prefix: Option<String>,
) -> proto::ListPathRequest {
    proto::ListPathRequest {
        table_type: table_type as i32,
        name: name.to_string(),
        family: Some(route::family(ipv6)),
        prefixes: prefix
            .into_iter()
            .map(|prefix| proto::TableLookupPrefix {
                prefix,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

async fn list_path(
    client: &mut Client,
    request: proto::ListPathRequest,
) -> Result<Vec<proto::Destination>, CtlError> {
    let mut stream = client.list_path(request).await?.into_inner();
    let mut destinations = Vec::new();
    while let Some(response) = stream.message().await? {
        destinations.extend(response.destination);
    }
    Ok(destinations)
}

fn show_rib(
    out: &mut impl Write,
    options: &Options,
    destinations: &[proto::Destination],
    listing: Listing,
) -> Result<(), CtlError> {
    if options.json {
        emit_json(out, &json::rib(destinations))
    } else {
        emit(out, &format::rib(destinations, listing, SystemTime::now()))
    }
}

async fn peer_op(
    client: &mut Client,
    address: String,
    op: PeerOp,
    communication: String,
) -> Result<(), CtlError> {
    use proto::reset_peer_request::SoftResetDirection;
    let soft = |direction: SoftResetDirection| proto::ResetPeerRequest {
        address: address.clone(),
        communication: String::new(),
        soft: true,
        direction: direction as i32,
    };
    match op {
        PeerOp::Reset => {
            let hard = proto::ResetPeerRequest {
                address,
                communication,
                soft: false,
                direction: 0,
            };
            client.reset_peer(hard).await?
        }
        PeerOp::SoftReset => client.reset_peer(soft(SoftResetDirection::Both)).await?,
        PeerOp::SoftResetIn => client.reset_peer(soft(SoftResetDirection::In)).await?,
        PeerOp::SoftResetOut => client.reset_peer(soft(SoftResetDirection::Out)).await?,
        PeerOp::Shutdown => {
            let request = proto::ShutdownPeerRequest {
                address,
                communication,
            };
            client.shutdown_peer(request).await?
        }
        PeerOp::Enable => {
            client
                .enable_peer(proto::EnablePeerRequest { address })
                .await?
        }
        PeerOp::Disable => {
            let request = proto::DisablePeerRequest {
                address,
                communication,
            };
            client.disable_peer(request).await?
        }
    };
    Ok(())
}

/// Whether `path` is of the family `-a` named (every path without `-a`).
fn wanted(options: &Options, path: &proto::Path) -> bool {
    let Some(family) = options.family else {
        return true;
    };
    let afi = path.family.as_ref().map_or(0, |f| f.afi);
    let want = route::family(family == AddressFamily::Ipv6).afi;
    afi == want
}

/// `monitor global rib`: best paths as they change, until the stream ends.
///
/// # Cancel safety
///
/// Cancelling drops the stream, which ends the watch in bgpd; lines
/// already written stay written.
async fn monitor(
    client: &mut Client,
    options: &Options,
    current: bool,
    out: &mut impl Write,
) -> Result<(), CtlError> {
    use proto::watch_event_request::{table, Table};
    use proto::watch_event_response::Event;
    let request = proto::WatchEventRequest {
        table: Some(Table {
            filters: vec![table::Filter {
                r#type: table::filter::Type::Best as i32,
                init: current,
                ..Default::default()
            }],
        }),
        ..Default::default()
    };
    let mut stream = client.watch_event(request).await?.into_inner();
    while let Some(response) = stream.message().await? {
        let Some(Event::Table(table)) = response.event else {
            continue;
        };
        for path in table.paths.iter().filter(|p| wanted(options, p)) {
            if options.json {
                emit_json(out, &json::path(path))?;
            } else {
                emit(out, &format::monitor_line(path, SystemTime::now()))?;
            }
        }
    }
    Ok(())
}
