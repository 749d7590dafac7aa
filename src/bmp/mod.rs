//! The BMP client (RFC 7854, RFC 9069 Loc-RIB, RFC 8671 Adj-RIB-Out): one
//! task per `[[bmp-servers]]` entry, streaming what the rib reports.
//!
//! ```text
//!  daemon ──spawn / reload / shutdown──▶ BmpHandle
//!                                           │ one client task per station
//!                                           ▼
//!  rib task ──Monitor (Peer Up, dump, Synced, live)──▶ client ──TCP──▶ station
//!           ◀──Request::Subscribe / Request::Stats────
//! ```
//!
//! # Layout
//!
//! - [`encode`]: pure conversions from [`Monitor`](crate::rib::monitor::Monitor)
//!   items and [`Stats`](crate::rib::monitor::Stats) to BMP messages;
//! - [`client`]: one station's task: Initiation, subscribe, stream,
//!   statistics, Termination, reconnect;
//! - [`connect`]: resolving and dialling a station (DNS, source address,
//!   timeout) and the reconnect backoff;
//! - this module: [`BmpHandle`], which starts, reloads and stops the
//!   clients.
//!
//! # Known issues
//!
//! - At shutdown, Peer Down messages for the sessions the daemon closes
//!   reach a station only if the rib has queued them before the
//!   Termination is written.
//! - No TLS, TCP-AO or passive (listening) mode.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{info, warn, Instrument};

pub mod client;
pub mod connect;
pub mod encode;

pub use client::ClientStatus;
pub use connect::ConnectError;
pub use encode::Local;

use crate::config::BmpServer;
use crate::rib::monitor::Request;
use client::{Client, Counters, Stop};

/// Timing of the clients; tests shorten it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Bound on resolving and connecting to a station.
    pub connect_timeout: Duration,
    /// First reconnect delay step (each delay is jittered in the upper half
    /// of its step).
    pub backoff_min: Duration,
    /// Largest reconnect delay step.
    pub backoff_max: Duration,
    /// Bound on writing the Termination message when a client stops.
    pub stop_timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            connect_timeout: Duration::from_secs(5),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            stop_timeout: Duration::from_secs(2),
        }
    }
}

/// One station's client, as seen from [`BmpHandle::stations`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Station {
    /// The configuration it runs with.
    pub server: BmpServer,
    /// What it has done so far.
    pub status: ClientStatus,
}

struct Running {
    server: BmpServer,
    stop: oneshot::Sender<Stop>,
    task: JoinHandle<()>,
    counters: Arc<Counters>,
}

type Key = (String, u16);

fn key(server: &BmpServer) -> Key {
    (server.address.clone(), server.port)
}

/// The running BMP clients.
pub struct BmpHandle {
    clients: HashMap<Key, Running>,
    local: Local,
    requests: mpsc::Sender<Request>,
    options: Options,
}

impl std::fmt::Debug for BmpHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BmpHandle")
            .field("stations", &self.clients.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Starts one client per entry of `servers`, with default timing.
pub fn spawn(servers: &[BmpServer], local: Local, requests: mpsc::Sender<Request>) -> BmpHandle {
    spawn_with(servers, local, requests, Options::default())
}

/// [`spawn`] with `options`.
pub fn spawn_with(
    servers: &[BmpServer],
    local: Local,
    requests: mpsc::Sender<Request>,
    options: Options,
) -> BmpHandle {
    let mut handle = BmpHandle {
        clients: HashMap::new(),
        local,
        requests,
        options,
    };
    for server in servers {
        handle.start(server.clone());
    }
    handle
}

impl BmpHandle {
    fn start(&mut self, server: BmpServer) {
        let key = key(&server);
        if self.clients.contains_key(&key) {
            warn!(Topic = "bmp", Key = %format!("{}:{}", key.0, key.1), "BMP station already configured; entry ignored");
            return;
        }
        let station = format!("{}:{}", server.address, server.port);
        info!(Topic = "bmp", Key = %station, "Add a BMP station");
        let counters = Arc::new(Counters::default());
        let (stop, stop_rx) = oneshot::channel();
        let client = Client {
            server: server.clone(),
            local: self.local,
            requests: self.requests.clone(),
            options: self.options.clone(),
            counters: counters.clone(),
        };
        let span = tracing::info_span!("bmp", station = %station);
        let task = tokio::spawn(client.run(stop_rx).instrument(span));
        self.clients.insert(
            key,
            Running {
                server,
                stop,
                task,
                counters,
            },
        );
    }

    /// Stops `clients` with `reason`, each sending its Termination, and
    /// waits for them (bounded; stragglers are aborted).
    async fn stop_all(&self, clients: Vec<Running>, reason: Stop) {
        let mut tasks = Vec::with_capacity(clients.len());
        for running in clients {
            let _ = running.stop.send(reason);
            tasks.push((running.server, running.task));
        }
        // Termination writes are bounded by stop_timeout; allow for the
        // final drain and the connect in progress.
        let deadline = tokio::time::Instant::now() + self.options.stop_timeout * 2;
        for (server, task) in tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout_at(deadline, task).await.is_err() {
                warn!(Topic = "bmp", Key = %format!("{}:{}", server.address, server.port), "BMP client did not stop in time");
                abort.abort();
            }
        }
    }

    /// Applies a new `[[bmp-servers]]` list: removed stations get a
    /// Termination (reason 4), changed ones are restarted (Termination
    /// reason 0, then a new connection), new ones are started.
    pub async fn reload(&mut self, servers: &[BmpServer]) {
        let wanted: HashMap<Key, &BmpServer> = servers.iter().map(|s| (key(s), s)).collect();
        let removed: Vec<Key> = self
            .clients
            .keys()
            .filter(|k| !wanted.contains_key(*k))
            .cloned()
            .collect();
        let changed: Vec<Key> = self
            .clients
            .iter()
            .filter(|(k, running)| wanted.get(*k).is_some_and(|s| **s != running.server))
            .map(|(k, _)| k.clone())
            .collect();
        let take = |clients: &mut HashMap<Key, Running>, keys: &[Key]| -> Vec<Running> {
            keys.iter().filter_map(|k| clients.remove(k)).collect()
        };
        let gone = take(&mut self.clients, &removed);
        for running in &gone {
            let server = &running.server;
            info!(Topic = "bmp", Key = %format!("{}:{}", server.address, server.port), "Delete a BMP station");
        }
        self.stop_all(gone, Stop::Removed).await;
        let restarted = take(&mut self.clients, &changed);
        self.stop_all(restarted, Stop::Restart).await;
        for server in servers {
            if !self.clients.contains_key(&key(server)) {
                self.start(server.clone());
            }
        }
    }

    /// The running clients.
    pub fn stations(&self) -> Vec<Station> {
        let mut stations: Vec<Station> = self
            .clients
            .values()
            .map(|running| Station {
                server: running.server.clone(),
                status: running.counters.status(),
            })
            .collect();
        stations.sort_by_key(|a| key(&a.server));
        stations
    }

    /// Sends Termination to every station and stops every client, waiting
    /// a bounded time.
    pub async fn shutdown(mut self) {
        let all: Vec<Running> = self.clients.drain().map(|(_, running)| running).collect();
        self.stop_all(all, Stop::Shutdown).await;
    }
}
