//! The API's neighbor operations (`gobgp neighbor ADDR reset | softresetout
//! | shutdown | disable | enable`), carried out by the daemon loop, which
//! owns the peer tasks.
//!
//! A disabled neighbor keeps its configuration and has no task; it shows
//! as administratively down in ListPeer (the published neighbor list
//! carries `admin_down`).

use std::sync::Arc;

use tokio::sync::watch;
use tracing::info;

use super::Daemon;
use crate::api::{DaemonRequest, PeerOp};
use crate::config::{Neighbor, PeerAddress};
use crate::rib::event::PeerEvent;
use crate::rib::table::FAMILIES;
use crate::wire::bgp::{CeaseSubcode, ErrorCode, Notification};

fn cease(subcode: CeaseSubcode, communication: &str) -> Notification {
    if communication.is_empty() {
        return Notification::new(ErrorCode::Cease(subcode));
    }
    Notification::cease_with_communication(subcode, communication)
        .unwrap_or_else(|_| Notification::new(ErrorCode::Cease(subcode)))
}

impl Daemon {
    /// Handles a neighbor operation and gives any other request back.
    pub(super) async fn peer_request(
        &mut self,
        request: DaemonRequest,
        neighbors: &watch::Sender<Arc<Vec<Neighbor>>>,
    ) -> Option<DaemonRequest> {
        let DaemonRequest::Peer { address, op, reply } = request else {
            return Some(request);
        };
        let configured = self
            .config
            .neighbors
            .iter()
            .find(|n| n.address == PeerAddress::Ip(address))
            .cloned();
        let Some(neighbor) = configured else {
            let _ = reply.send(false);
            return None;
        };
        match op {
            PeerOp::Reset { communication } => {
                info!(Topic = "Operation", Key = %address, "Neighbor reset");
                if self.peers.contains_key(&address) {
                    self.remove(
                        address,
                        cease(CeaseSubcode::AdministrativeReset, &communication),
                        None,
                    )
                    .await;
                    self.add(neighbor);
                }
            }
            PeerOp::SoftResetIn => {
                info!(Topic = "Operation", Key = %address, "Neighbor soft reset in");
            }
            PeerOp::SoftResetOut => {
                info!(Topic = "Operation", Key = %address, "Neighbor soft reset out");
                for family in FAMILIES {
                    let _ = self
                        .events
                        .send(PeerEvent::RouteRefresh {
                            peer: address,
                            family,
                        })
                        .await;
                }
            }
            PeerOp::Disable { communication } => {
                info!(Topic = "Operation", Key = %address, "Neighbor shutdown");
                self.remove(
                    address,
                    cease(CeaseSubcode::AdministrativeShutdown, &communication),
                    None,
                )
                .await;
                self.disabled.insert(address);
            }
            PeerOp::Enable => {
                info!(Topic = "Operation", Key = %address, "Neighbor enable");
                if self.disabled.remove(&address) && !self.peers.contains_key(&address) {
                    self.add(neighbor);
                }
            }
        }
        self.publish_neighbors(neighbors);
        let _ = reply.send(true);
        None
    }

    /// The configured neighbors, disabled ones marked `admin_down`, for the
    /// API.
    pub(super) fn publish_neighbors(&self, neighbors: &watch::Sender<Arc<Vec<Neighbor>>>) {
        let list = self
            .config
            .neighbors
            .iter()
            .map(|n| {
                let mut n = n.clone();
                if let PeerAddress::Ip(ip) = n.address {
                    n.admin_down |= self.disabled.contains(&ip);
                }
                n
            })
            .collect();
        neighbors.send_replace(Arc::new(list));
    }
}
