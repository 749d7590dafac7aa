//! The management API: gRPC, wire-compatible with the part of GoBGP v3's
//! `apipb.GobgpApi` that bgpd serves, so Debian's `gobgp` command line
//! works against bgpd.
//!
//! ```text
//!  gobgp CLI ──gRPC──▶ api server ──Request::Query(oneshot)──▶ rib task
//!                          │ configured neighbors (watch, updated on reload)
//! ```
//!
//! The server owns no routing state: it asks the rib task, which answers
//! with copies ([`crate::rib::query`]).
//!
//! Served: GetBgp, ListPeer (with the peer tasks' FSM states and message
//! counters, read from shared atomics), ListPath (global rib, adj-in,
//! adj-out; IPv4 and IPv6 unicast), GetTable, AddPath, AddPathStream and
//! DeletePath (local routes in the global rib), AddPeer, DeletePeer,
//! ResetPeer, ShutdownPeer, EnablePeer, DisablePeer, AddBmp, DeleteBmp and
//! ListBmp (through the daemon loop, which owns the peer tasks and the BMP
//! clients), ListPolicy, ListStatement, ListDefinedSet and
//! ListPolicyAssignment (from the running configuration), WatchEvent,
//! SetLogLevel. Every other method answers UNIMPLEMENTED.
//!
//! # Known issues
//!
//! - A path's age is its session's age (the rib keeps no arrival time).
//! - The Discarded message counter and the withdrawal counters are zero.
//! - Policies cannot be changed through the API (Add/Delete/Set of
//!   policies, sets and assignments): edit the file and reload.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use crate::config::{ApplyPolicy, Config, DefinedSets, Global, Neighbor, Policy};
use crate::peer::stats::Registry;
use crate::rib::monitor::Request;

mod capability;
mod convert;
mod monitor;
mod path_in;
mod peer;
mod peer_in;
mod policy;
mod service;
mod stations;

/// Code generated from `proto/` (GoBGP v3's package `apipb`).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("apipb");
}

pub use service::Api;
pub use stations::{handle as handle_daemon_request, DaemonRequest, PeerOp};

/// Where the API listens: gobgpd's `--api-hosts` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix socket path (`unix://PATH`).
    Unix(PathBuf),
}

/// `--api-hosts` could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHost {
    /// The entry.
    pub host: String,
}

impl std::fmt::Display for BadHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--api-hosts: {:?} is not ADDRESS:PORT, :PORT or unix://PATH",
            self.host
        )
    }
}

impl std::error::Error for BadHost {}

/// Parses gobgpd's `--api-hosts`: a comma list of `ADDRESS:PORT`
/// (`[V6]:PORT` too), `:PORT` (every address, as gobgpd) and
/// `unix://PATH`.
pub fn parse_hosts(hosts: &str) -> Result<Vec<Listen>, BadHost> {
    hosts
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|host| {
            let bad = || BadHost {
                host: host.to_string(),
            };
            if let Some(path) = host.strip_prefix("unix://") {
                if path.is_empty() {
                    return Err(bad());
                }
                return Ok(Listen::Unix(PathBuf::from(path)));
            }
            if let Some(port) = host.strip_prefix(':') {
                let port = port.parse::<u16>().map_err(|_| bad())?;
                return Ok(Listen::Tcp(SocketAddr::new(
                    IpAddr::from([0, 0, 0, 0]),
                    port,
                )));
            }
            host.parse::<SocketAddr>()
                .map(Listen::Tcp)
                .map_err(|_| bad())
        })
        .collect()
}

/// Changes the daemon's log level (SetLogLevel): set by `main`, which owns
/// the logging setup.
#[derive(Clone)]
pub struct LogLevel(pub Arc<dyn Fn(tracing::level_filters::LevelFilter) + Send + Sync>);

impl std::fmt::Debug for LogLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogLevel")
    }
}

/// What the API reads: the speaker's settings, the configured neighbors,
/// and the way to the rib task.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// `[global]`.
    pub global: Arc<Global>,
    /// The configured neighbors, replaced on reload.
    pub neighbors: watch::Receiver<Arc<Vec<Neighbor>>>,
    /// The running policies, replaced on reload.
    pub policy: watch::Receiver<Arc<PolicyConfig>>,
    /// The peer tasks' counters and FSM states.
    pub stats: Registry,
    /// The rib task's requests.
    pub rib: mpsc::Sender<Request>,
    /// The daemon loop's requests (BMP stations).
    pub daemon: mpsc::Sender<DaemonRequest>,
    /// Sets the log level; `None`: SetLogLevel answers UNIMPLEMENTED.
    pub log_level: Option<LogLevel>,
}

/// The policy part of the running configuration, for ListPolicy,
/// ListDefinedSet and ListPolicyAssignment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyConfig {
    /// `[defined-sets]`.
    pub defined_sets: DefinedSets,
    /// `[[policy-definitions]]`.
    pub policies: Vec<Policy>,
    /// `[global.apply-policy]`.
    pub global: ApplyPolicy,
}

impl PolicyConfig {
    /// The policy part of `config`.
    pub fn of(config: &Config) -> PolicyConfig {
        PolicyConfig {
            defined_sets: config.defined_sets.clone(),
            policies: config.policies.clone(),
            global: config.global.apply_policy.clone(),
        }
    }
}

/// An API listener could not start.
#[derive(Debug)]
pub struct ApiError {
    /// Where.
    pub listen: Listen,
    /// Why.
    pub source: std::io::Error,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.listen {
            Listen::Tcp(address) => write!(f, "api: listen tcp {address}: {}", self.source),
            Listen::Unix(path) => {
                write!(f, "api: listen unix {}: {}", path.display(), self.source)
            }
        }
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Binds every address, then serves on each until the returned tasks are
/// aborted. A Unix socket path left by an earlier run is replaced. An
/// address that cannot be bound is logged and skipped: BGP and BMP go on
/// without that API listener (another daemon may hold the port).
pub async fn serve(listens: &[Listen], state: ApiState) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for listen in listens {
        match serve_one(listen, state.clone()).await {
            Ok(task) => {
                tracing::info!(Topic = "grpc", Key = ?listen, "API server listening");
                tasks.push(task);
            }
            Err(e) => tracing::error!(Topic = "grpc", Error = %e, "API server not started"),
        }
    }
    tasks
}

async fn serve_one(
    listen: &Listen,
    state: ApiState,
) -> Result<tokio::task::JoinHandle<()>, ApiError> {
    use proto::gobgp_api_server::GobgpApiServer;
    use tonic::codegen::tokio_stream::wrappers::UnixListenerStream;
    use tonic::transport::server::TcpIncoming;
    use tonic::transport::Server;

    let router = Server::builder().add_service(GobgpApiServer::new(Api::new(state)));
    let error = |source| ApiError {
        listen: listen.clone(),
        source,
    };
    let task = match listen {
        Listen::Tcp(address) => {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .map_err(error)?;
            let incoming = TcpIncoming::from(listener);
            tokio::spawn(async move {
                if let Err(e) = router.serve_with_incoming(incoming).await {
                    tracing::error!(Topic = "grpc", Error = %e, "API server stopped");
                }
            })
        }
        Listen::Unix(path) => {
            if std::fs::symlink_metadata(path).is_ok() {
                std::fs::remove_file(path).map_err(error)?;
            }
            let listener = tokio::net::UnixListener::bind(path).map_err(error)?;
            let incoming = UnixListenerStream::new(listener);
            tokio::spawn(async move {
                if let Err(e) = router.serve_with_incoming(incoming).await {
                    tracing::error!(Topic = "grpc", Error = %e, "API server stopped");
                }
            })
        }
    };
    Ok(task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_hosts_take_gobgpd_forms() {
        let hosts = parse_hosts("127.0.0.1:50051, [::1]:50052,:50053,unix:///run/bgpd.sock");
        assert_eq!(
            hosts,
            Ok(vec![
                Listen::Tcp("127.0.0.1:50051".parse().expect("address")),
                Listen::Tcp("[::1]:50052".parse().expect("address")),
                Listen::Tcp("0.0.0.0:50053".parse().expect("address")),
                Listen::Unix(PathBuf::from("/run/bgpd.sock")),
            ])
        );
    }

    #[test]
    fn api_hosts_refuse_what_is_not_an_address() {
        assert!(parse_hosts("localhost").is_err());
        assert!(parse_hosts("unix://").is_err());
        assert!(parse_hosts(":http").is_err());
    }
}
