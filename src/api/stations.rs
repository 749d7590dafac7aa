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

/// Answers `request`; `running` is the daemon's current station list.
pub async fn handle(
    request: DaemonRequest,
    stations: &mut BmpHandle,
    running: &mut Vec<BmpServer>,
) {
    match request {
        DaemonRequest::Peer { reply, .. } => {
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
