//! BMP stations through the API (AddBmp, DeleteBmp, ListBmp): the daemon
//! loop owns the BMP clients, so the API asks it with a
//! [`DaemonRequest`], answered by [`handle`].
//!
//! Stations added or deleted here change the running set only: a SIGHUP
//! sets it back to the file's `[[bmp-servers]]`.

use tokio::sync::oneshot;

use crate::bmp::{BmpHandle, Station};
use crate::config::BmpServer;

/// What a neighbor operation does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerOp {
    /// Hard reset: Cease 6/4 (administrative reset), then a new session.
    Reset {
        /// Shutdown communication (RFC 8203), may be empty.
        communication: String,
    },
    /// Soft reset in: nothing to do (import policy results are kept
    /// current), answered once the neighbor is known.
    SoftResetIn,
    /// Soft reset out: the Adj-RIB-Out sent again (as on ROUTE-REFRESH).
    SoftResetOut,
    /// Cease 6/2 (administrative shutdown) and no new session until
    /// enabled (`shutdown` and `disable`).
    Disable {
        /// Shutdown communication (RFC 8203), may be empty.
        communication: String,
    },
    /// Start a disabled neighbor again.
    Enable,
}

/// A request to the daemon loop.
#[derive(Debug)]
pub enum DaemonRequest {
    /// Act on one configured neighbor; the answer is false when there is no
    /// such neighbor.
    Peer {
        /// The neighbor.
        address: std::net::IpAddr,
        /// What to do.
        op: PeerOp,
        /// Answered once done.
        reply: oneshot::Sender<bool>,
    },
    /// Add a neighbor (AddPeer): a peer task starts as for a neighbor
    /// added to the file and reloaded.
    AddPeer {
        /// The checked neighbor.
        neighbor: Box<crate::config::Neighbor>,
        /// False when a neighbor (or a dynamic neighbor's session) has
        /// that address already.
        reply: oneshot::Sender<bool>,
    },
    /// Delete a neighbor (DeletePeer): Cease 6/3 (peer de-configured), as
    /// when a reload removes it.
    DeletePeer {
        /// The neighbor.
        address: std::net::IpAddr,
        /// False when no neighbor has that address.
        reply: oneshot::Sender<bool>,
    },
    /// The running stations.
    ListBmp(oneshot::Sender<Vec<Station>>),
    /// Start a station (a new client: Initiation, Peer Ups, full dump).
    AddBmp {
        /// The station.
        server: BmpServer,
        /// False when one runs at that address and port already.
        reply: oneshot::Sender<bool>,
    },
    /// Stop a station (Termination, permanently closed).
    DeleteBmp {
        /// Its address.
        address: String,
        /// Its port.
        port: u16,
        /// False when none runs there.
        reply: oneshot::Sender<bool>,
    },
}

/// The station AddBmp asks for (port 0: 11019).
pub fn bmp_server(request: super::proto::AddBmpRequest) -> Result<BmpServer, tonic::Status> {
    use super::proto;
    use crate::rib::monitor::{View, Views};
    use proto::add_bmp_request::MonitoringPolicy;
    use tonic::Status;
    if request.address.is_empty() {
        return Err(Status::invalid_argument("AddBmp needs an address"));
    }
    let port = match request.port {
        0 => crate::config::DEFAULT_BMP_PORT,
        port => u16::try_from(port)
            .map_err(|_| Status::invalid_argument(format!("invalid port {port}")))?,
    };
    let mut server = crate::config::BmpServer::new(request.address.clone(), port);
    server.route_monitoring_policy = match MonitoringPolicy::try_from(request.policy) {
        Ok(MonitoringPolicy::Pre) => Views::of(&[View::AdjRibInPre]),
        Ok(MonitoringPolicy::Post) => Views::of(&[View::AdjRibInPost]),
        Ok(MonitoringPolicy::Both) => Views::of(&[View::AdjRibInPre, View::AdjRibInPost]),
        Ok(MonitoringPolicy::Local) => Views::of(&[View::LocRib]),
        Ok(MonitoringPolicy::All) => {
            Views::of(&[View::AdjRibInPre, View::AdjRibInPost, View::LocRib])
        }
        Err(_) => {
            return Err(Status::invalid_argument(format!(
                "unknown monitoring policy {}",
                request.policy
            )))
        }
    };
    if request.statistics_timeout > 0 {
        server.statistics_timeout = Some(std::time::Duration::from_secs(
            request.statistics_timeout.unsigned_abs().into(),
        ));
    }
    if !request.sys_name.is_empty() {
        server.sys_name = request.sys_name;
    }
    if !request.sys_descr.is_empty() {
        server.sys_descr = request.sys_descr;
    }
    Ok(server)
}

/// The running stations as ListBmp answers them. The client keeps no
/// connection time: a connected station reports now (Up, 00:00:00).
pub fn listed(stations: Vec<Station>) -> Vec<super::proto::ListBmpResponse> {
    use super::proto::list_bmp_response::{bmp_station, BmpStation};
    use super::proto::ListBmpResponse;
    let now = super::convert::timestamp(std::time::SystemTime::now());
    stations
        .into_iter()
        .map(|station| ListBmpResponse {
            station: Some(BmpStation {
                conf: Some(bmp_station::Conf {
                    address: station.server.address.clone(),
                    port: u32::from(station.server.port),
                }),
                state: Some(bmp_station::State {
                    uptime: station.status.connected.then_some(now),
                    downtime: (!station.status.connected).then_some(now),
                }),
            }),
        })
        .collect()
}

/// Answers `request`; `running` is the daemon's current station list.
pub async fn handle(
    request: DaemonRequest,
    stations: &mut BmpHandle,
    running: &mut Vec<BmpServer>,
) {
    match request {
        DaemonRequest::Peer { reply, .. }
        | DaemonRequest::AddPeer { reply, .. }
        | DaemonRequest::DeletePeer { reply, .. } => {
            // The daemon handles these itself (it owns the peer tasks).
            let _ = reply.send(false);
        }
        DaemonRequest::ListBmp(reply) => {
            let _ = reply.send(stations.stations());
        }
        DaemonRequest::AddBmp { server, reply } => {
            let exists = running
                .iter()
                .any(|s| s.address == server.address && s.port == server.port);
            if !exists {
                tracing::info!(Topic = "bmp", Key = %format!("{}:{}", server.address, server.port), "BMP station added");
                running.push(server);
                stations.reload(running).await;
            }
            let _ = reply.send(!exists);
        }
        DaemonRequest::DeleteBmp {
            address,
            port,
            reply,
        } => {
            let before = running.len();
            running.retain(|s| !(s.address == address && s.port == port));
            let found = running.len() != before;
            if found {
                tracing::info!(Topic = "bmp", Key = %format!("{address}:{port}"), "BMP station deleted");
                stations.reload(running).await;
            }
            let _ = reply.send(found);
        }
    }
}
