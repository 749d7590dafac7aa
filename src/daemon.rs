//! Wiring: the rib task, the listeners, one peer task per neighbor,
//! reloads and graceful shutdown.
//!
//! The listeners carry the TCP MD5 key (RFC 2385) of every neighbor with an
//! `auth-password`, and of every dynamic-neighbor prefix whose peer group
//! has one: the kernel drops unsigned or badly signed segments from those
//! addresses, and signed ones from the others, before accept.
//!
//! ```text
//!  listener ──accept──▶ daemon loop ──Control::Incoming──▶ peer task
//!  reloads  ──Config──▶ daemon loop ──add / Control::Stop──▶ peer tasks
//!  shutdown ─────────▶ daemon loop ──Cease 6/2──▶ every peer, then exit
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use crate::bmp;
use crate::config::{Config, Global, Neighbor, PeerAddress};
use crate::peer::stats::{PeerStats, Registry};
use crate::peer::{self, sockopt, Control, PeerHandle};
use crate::policy::PolicyEngine;
use crate::rib;
use crate::rib::event::DownReason;
use crate::wire::bgp::{CeaseSubcode, ErrorCode, Notification};

/// The shutdown communication sent with Cease 6/2 (RFC 8203).
pub const SHUTDOWN_COMMUNICATION: &str = "bgpd shutting down";

/// How long shutdown waits for peers to send their Cease.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// The daemon could not start.
#[derive(Debug)]
pub enum DaemonError {
    /// Binding a listener failed.
    Bind {
        /// The address we tried.
        address: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The policies do not compile (a loaded file's are checked already).
    Policy(crate::policy::PolicyError),
}

impl fmt::Display for DaemonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DaemonError::Bind { address, source } => write!(f, "listen tcp {address}: {source}"),
            DaemonError::Policy(e) => write!(f, "policy: {e}"),
        }
    }
}

impl std::error::Error for DaemonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DaemonError::Bind { source, .. } => Some(source),
            DaemonError::Policy(e) => Some(e),
        }
    }
}

/// Options that are not in the configuration file.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Peer task options (first connect delay).
    pub peer: peer::Options,
    /// Notified once the listeners are bound and every neighbor is started
    /// (systemd readiness, `--sdnotify`).
    pub ready: Option<Arc<tokio::sync::Notify>>,
    /// BMP client timing (connect timeout, reconnect backoff).
    pub bmp: bmp::Options,
    /// Where the management API listens (`--api-hosts`); none: no API.
    pub api: Vec<crate::api::Listen>,
    /// How the API's SetLogLevel changes the log level.
    pub log_level: Option<crate::api::LogLevel>,
}

/// Runs the daemon until `shutdown` completes; then sends Cease 6/2 to
/// every established peer and returns.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), DaemonError> {
    let (_reload_tx, reload_rx) = mpsc::channel(1);
    run_with(config, Options::default(), reload_rx, shutdown).await
}

/// [`run`] with options, and a channel of reloaded configurations (SIGHUP):
/// neighbors added, removed (Cease 6/3) or changed (restarted with Cease
/// 6/6) are applied; `[global]` is kept, as gobgpd does. Neighbors added
/// through the API are kept (see `daemon_control.rs`).
pub async fn run_with(
    config: Config,
    options: Options,
    mut reloads: mpsc::Receiver<Config>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let global = Arc::new(config.global.clone());
    let (accept_tx, mut accept_rx) = mpsc::channel(64);
    let listeners: Vec<Arc<TcpListener>> =
        bind_all(&global).await?.into_iter().map(Arc::new).collect();
    // Aborted on exit so the ports are free again (a restart binds them).
    let accepting: Vec<_> = listeners
        .iter()
        .map(|listener| tokio::spawn(accept_loop(listener.clone(), accept_tx.clone())))
        .collect();
    let policy = PolicyEngine::from_config(&config).map_err(DaemonError::Policy)?;
    let rib::RibHandle {
        events,
        requests,
        task: rib_task,
    } = rib::spawn_with(global.clone(), Arc::new(policy));
    let policy_requests = requests.clone();
    let (neighbors_tx, neighbors_rx) =
        tokio::sync::watch::channel(Arc::new(config.neighbors.clone()));
    let (daemon_tx, mut daemon_rx) = mpsc::channel(16);
    let stats = Registry::default();
    let (policy_tx, policy_rx) =
        tokio::sync::watch::channel(Arc::new(crate::api::PolicyConfig::of(&config)));
    let api_state = crate::api::ApiState {
        global: global.clone(),
        neighbors: neighbors_rx,
        policy: policy_rx,
        stats: stats.clone(),
        rib: requests.clone(),
        daemon: daemon_tx,
        log_level: options.log_level.clone(),
    };
    let api_tasks = crate::api::serve(&options.api, api_state).await;
    let local = bmp::Local {
        asn: global.asn,
        router_id: global.router_id,
    };
    let mut stations = bmp::spawn_with(&config.bmp_servers, local, requests, options.bmp.clone());
    // The running stations: the file's, changed by the API until a reload.
    let mut bmp_servers = config.bmp_servers.clone();
    let mut daemon = Daemon {
        global,
        events,
        options,
        peers: HashMap::new(),
        config,
        listeners,
        disabled: std::collections::HashSet::new(),
        added: std::collections::HashSet::new(),
        stats,
    };
    daemon.set_dynamic_keys(true);
    daemon.raise_listener_ttl();
    for neighbor in daemon.config.neighbors.clone() {
        daemon.add(neighbor);
    }
    if let Some(ready) = &daemon.options.ready {
        ready.notify_one();
    }
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(stream) = accept_rx.recv() => daemon.on_accept(stream).await,
            Some(request) = daemon_rx.recv() => {
                if let Some(request) = daemon.peer_request(request, &neighbors_tx).await {
                    crate::api::handle_daemon_request(request, &mut stations, &mut bmp_servers).await;
                }
            }
            Some(config) = reloads.recv() => {
                stations.reload(&config.bmp_servers).await;
                bmp_servers = config.bmp_servers.clone();
                match PolicyEngine::from_config(&config) {
                    Ok(policy) => {
                        let request = rib::monitor::Request::Policy(Arc::new(policy));
                        let _ = policy_requests.send(request).await;
                        policy_tx.send_replace(Arc::new(crate::api::PolicyConfig::of(&config)));
                    }
                    Err(e) => error!(Topic = "Policy", Error = %e, "policy not changed"),
                }
                daemon.reload(config).await;
                daemon.publish_neighbors(&neighbors_tx);
            }
        }
    }
    info!("stopping bgpd server");
    for task in api_tasks {
        task.abort();
    }
    let notification = Notification::cease_with_communication(
        CeaseSubcode::AdministrativeShutdown,
        SHUTDOWN_COMMUNICATION,
    )
    .unwrap_or_else(|_| Notification::new(ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown)));
    let peers: Vec<IpAddr> = daemon.peers.keys().copied().collect();
    for address in peers {
        daemon.remove(address, notification.clone(), None).await;
    }
    drop(daemon);
    // The rib ends once it has every peer's last event (no sender is
    // left): only then are the stations stopped, so that each gets every
    // Peer Down before its Termination.
    let mut rib_task = rib_task;
    if tokio::time::timeout(STOP_TIMEOUT, &mut rib_task)
        .await
        .is_err()
    {
        warn!("the rib task did not end in time; stopping the BMP stations anyway");
    }
    stations.shutdown().await;
    for task in accepting {
        task.abort();
        let _ = task.await;
    }
    rib_task.abort();
    Ok(())
}

struct Daemon {
    global: Arc<Global>,
    events: mpsc::Sender<rib::event::PeerEvent>,
    options: Options,
    peers: HashMap<IpAddr, (Arc<Neighbor>, PeerHandle)>,
    config: Config,
    listeners: Vec<Arc<TcpListener>>,
    /// Neighbors disabled through the API (no task until enabled).
    disabled: std::collections::HashSet<IpAddr>,
    /// Neighbors added through the API (kept across reloads).
    added: std::collections::HashSet<IpAddr>,
    /// The peer tasks' counters, for the API.
    stats: Registry,
}

impl Daemon {
    /// Sets (`password` non-empty) or removes (empty) the TCP MD5 key for
    /// `address` (a prefix of `prefix_len` bits when given) on every
    /// listener of a family that can carry it.
    fn set_listener_keys(&self, address: IpAddr, prefix_len: Option<u8>, password: &str) {
        for listener in &self.listeners {
            let v6_listener = listener.local_addr().is_ok_and(|a| a.is_ipv6());
            if address.is_ipv6() && !v6_listener {
                continue;
            }
            if let Err(error) =
                sockopt::set_md5(&**listener, address, prefix_len, password.as_bytes())
            {
                let local = listener.local_addr().ok();
                if password.is_empty() {
                    debug!(Topic = "Peer", Key = %address, ?local, %error, "failed to remove the TCP MD5 key");
                } else {
                    warn!(Topic = "Peer", Key = %address, ?local, %error, "failed to set the TCP MD5 key on the listener");
                }
            }
        }
    }

    /// Sends the listeners' SYN-ACKs with TTL 255 once a neighbor (or a
    /// dynamic neighbor's peer group) uses `ttl-security`: its GTSM check
    /// (set before connect) would drop a SYN-ACK sent with the system
    /// default. Accepted sockets get their neighbor's TTL in
    /// [`Daemon::on_accept`]. Not lowered again when GTSM is configured
    /// away.
    fn raise_listener_ttl(&self) {
        let gtsm = self
            .config
            .neighbors
            .iter()
            .any(|n| n.transport.min_ttl.is_some())
            || self.config.dynamic_neighbors.iter().any(|d| {
                self.config
                    .peer_groups
                    .iter()
                    .any(|g| g.name == d.peer_group && g.template.transport.min_ttl.is_some())
            });
        if !gtsm {
            return;
        }
        for listener in &self.listeners {
            if let Err(error) = sockopt::set_ttl(&**listener, u8::MAX) {
                let local = listener.local_addr().ok();
                warn!(Topic = "Peer", ?local, %error, "failed to set the listener TTL for ttl-security");
            }
        }
    }

    /// Sets (`on`) or removes the listener keys of the dynamic-neighbor
    /// prefixes whose peer group has an `auth-password`.
    fn set_dynamic_keys(&self, on: bool) {
        for dynamic in &self.config.dynamic_neighbors {
            let password = self
                .config
                .peer_groups
                .iter()
                .find(|g| g.name == dynamic.peer_group)
                .and_then(|g| g.template.auth_password.as_deref());
            if let Some(password) = password {
                let prefix = dynamic.prefix;
                let password = if on { password } else { "" };
                self.set_listener_keys(prefix.addr(), Some(prefix.prefix_len()), password);
            }
        }
    }

    fn add(&mut self, neighbor: Neighbor) {
        self.start(neighbor, Arc::new(PeerStats::default()));
    }

    /// Starts a peer task counting into `stats`.
    fn start(&mut self, neighbor: Neighbor, stats: Arc<PeerStats>) {
        let PeerAddress::Ip(address) = neighbor.address else {
            warn!(
                Topic = "Peer",
                "neighbor-interface peers are not supported; skipped"
            );
            return;
        };
        info!(Topic = "Peer", Key = %address, "Add a peer configuration");
        if let Some(password) = &neighbor.auth_password {
            self.set_listener_keys(address, None, password);
        }
        let neighbor = Arc::new(neighbor);
        let handle = peer::spawn(
            address,
            neighbor.clone(),
            self.global.clone(),
            self.events.clone(),
            self.options.peer.clone(),
            stats.clone(),
        );
        self.stats.insert(address, stats);
        self.peers.insert(address, (neighbor, handle));
    }

    async fn remove(
        &mut self,
        address: IpAddr,
        notification: Notification,
        reason: Option<DownReason>,
    ) {
        let Some((neighbor, handle)) = self.peers.remove(&address) else {
            return;
        };
        self.stats.remove(address);
        if neighbor.auth_password.is_some() {
            self.set_listener_keys(address, None, "");
        }
        let _ = handle
            .control
            .send(Control::Stop {
                notification,
                reason,
            })
            .await;
        if tokio::time::timeout(STOP_TIMEOUT, handle.task)
            .await
            .is_err()
        {
            warn!(Topic = "Peer", Key = %address, "peer task did not stop in time");
        }
    }

    async fn on_accept(&mut self, stream: TcpStream) {
        let Ok(remote) = stream.peer_addr() else {
            return;
        };
        let address = canonical(remote.ip());
        if !self.peers.contains_key(&address) {
            let dynamic = self
                .config
                .dynamic_neighbors
                .iter()
                .find(|d| d.prefix.contains(&address))
                .and_then(|d| {
                    self.config
                        .peer_groups
                        .iter()
                        .find(|g| g.name == d.peer_group)
                });
            match dynamic {
                Some(group) => {
                    let mut neighbor = group.template.clone();
                    neighbor.address = PeerAddress::Ip(address);
                    neighbor.transport.passive_mode = true;
                    self.add(neighbor);
                }
                None => {
                    info!(Topic = "Peer", Key = %address, "Can't find configuration for a new passive connection");
                    return;
                }
            }
        }
        if let Some((neighbor, handle)) = self.peers.get(&address) {
            // As early as the daemon can: the peer's OPEN may be queued
            // already (the kernel checks GTSM as segments arrive).
            if let Err(error) = sockopt::set_session_ttls(&stream, &neighbor.transport) {
                warn!(Topic = "Peer", Key = %address, %error, "failed to set the TTL of an accepted connection");
                return;
            }
            let _ = handle.control.send(Control::Incoming(stream)).await;
        }
    }

    async fn reload(&mut self, mut config: Config) {
        info!(Topic = "Config", "Reload the config file");
        self.keep_added(&mut config);
        let new: HashMap<IpAddr, Neighbor> = config
            .neighbors
            .iter()
            .filter_map(|n| match n.address {
                PeerAddress::Ip(a) => Some((a, n.clone())),
                _ => None,
            })
            .collect();
        let configured: Vec<IpAddr> = self
            .config
            .neighbors
            .iter()
            .filter_map(|n| match n.address {
                PeerAddress::Ip(a) => Some(a),
                _ => None,
            })
            .collect();
        for address in configured {
            match new.get(&address) {
                None => {
                    info!(Topic = "Peer", Key = %address, "Delete a peer configuration");
                    let n = Notification::new(ErrorCode::Cease(CeaseSubcode::PeerDeconfigured));
                    self.remove(address, n, Some(DownReason::Deconfigured))
                        .await;
                    self.stats.remove(address);
                }
                Some(neighbor) => {
                    let changed = self
                        .peers
                        .get(&address)
                        .is_some_and(|(old, _)| **old != *neighbor);
                    if changed {
                        info!(Topic = "config", Key = %address, "Update Peer");
                        let n = Notification::new(ErrorCode::Cease(
                            CeaseSubcode::OtherConfigurationChange,
                        ));
                        self.remove(address, n, None).await;
                        self.add(neighbor.clone());
                    }
                }
            }
        }
        // Neighbors disabled through the API stay disabled while configured.
        self.disabled.retain(|a| new.contains_key(a));
        for (address, neighbor) in &new {
            if !self.peers.contains_key(address) && !self.disabled.contains(address) {
                self.add(neighbor.clone());
            }
        }
        let global = self.config.global.clone();
        self.set_dynamic_keys(false);
        self.config = Config { global, ..config };
        self.set_dynamic_keys(true);
        self.raise_listener_ttl();
    }
}

/// Reads `path` again for a reload (SIGHUP): the new configuration, or
/// `None` after logging why it cannot be used, so the running one stays.
/// Unsupported keys and warnings are logged as at startup.
pub fn reload_config(path: &Path) -> Option<Config> {
    match crate::config::load(path) {
        Ok(config) => {
            for key in &config.unsupported {
                warn!(Topic = "Config", Key = %key, "configuration key is not supported; ignored");
            }
            for warning in &config.warnings {
                warn!(Topic = "Config", "{warning}");
            }
            Some(config)
        }
        Err(e) => {
            error!(
                Topic = "Config",
                Error = %e,
                "Can't read config file {}; keeping the running configuration",
                path.display()
            );
            None
        }
    }
}

/// An IPv4-mapped IPv6 address as IPv4 (a dual-stack listener's view).
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
        v4 => v4,
    }
}

/// Binds `port` on every `local-address-list` entry (none when the port is
/// negative). `0.0.0.0` and `::` together are one dual-stack socket on
/// Linux: the second "address in use" is not an error.
async fn bind_all(global: &Global) -> Result<Vec<TcpListener>, DaemonError> {
    let Some(port) = global.port else {
        return Ok(Vec::new());
    };
    let mut listeners = Vec::new();
    for &ip in &global.local_addresses {
        let address = SocketAddr::new(ip, port);
        match bind(address) {
            Ok(listener) => listeners.push(listener),
            Err(source)
                if source.kind() == io::ErrorKind::AddrInUse
                    && ip.is_unspecified()
                    && listeners.iter().any(|l: &TcpListener| {
                        l.local_addr().is_ok_and(|a| a.ip().is_unspecified())
                    }) =>
            {
                info!(Topic = "Config", %address, "dual-stack listener already covers this address");
            }
            Err(source) => {
                error!(Topic = "Config", %address, %source, "failed to listen");
                return Err(DaemonError::Bind { address, source });
            }
        }
    }
    Ok(listeners)
}

fn bind(address: SocketAddr) -> io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(128)
}

/// Accepts connections and hands them to the daemon loop.
async fn accept_loop(listener: Arc<TcpListener>, accepted: mpsc::Sender<TcpStream>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                if accepted.send(stream).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                warn!(Topic = "Peer", %error, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[path = "daemon_control.rs"]
mod control;

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("bgpd-reload-{}-{name}.toml", std::process::id()));
        std::fs::write(&path, text).expect("write temp file");
        path
    }

    #[test]
    fn reload_of_a_bad_file_keeps_the_running_configuration() {
        let path = temp_file("bad", "[global.config]\n  as = \"not a number\"\n");
        assert!(reload_config(&path).is_none());
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn reload_of_a_missing_file_keeps_the_running_configuration() {
        let path = std::env::temp_dir().join("bgpd-reload-does-not-exist.toml");
        assert!(reload_config(&path).is_none());
    }

    #[test]
    fn reload_of_a_good_file_gives_the_new_configuration() {
        let text = "[global.config]\n  as = 65001\n  router-id = \"192.0.2.1\"\n\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"192.0.2.2\"\n    peer-as = 65002\n";
        let path = temp_file("good", text);
        let config = reload_config(&path).expect("valid file");
        assert_eq!(config.neighbors.len(), 1);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn ipv4_mapped_addresses_are_canonical_ipv4() {
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        assert_eq!(canonical(mapped), IpAddr::from([192, 0, 2, 1]));
        let v6: IpAddr = "2001:db8::1".parse().expect("ip");
        assert_eq!(canonical(v6), v6);
    }
}
