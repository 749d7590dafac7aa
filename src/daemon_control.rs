//! The API's neighbor operations (`gobgp neighbor ADDR reset | softresetout
//! | shutdown | disable | enable`), carried out by the daemon loop, which
//! owns the peer tasks.
//!
//! A disabled neighbor keeps its configuration and has no task; it shows
//! as administratively down in ListPeer (the published neighbor list
//! carries `admin_down`).
//!
//! Neighbors added through the API (`gobgp neighbor add`) join the running
//! configuration and survive reloads: gobgpd's reload compares the file
//! with the file it read before, so it never removes a neighbor the file
//! did not have. When the file later configures the same address, the
//! file's entry takes over (restarting the session if it differs).
//! Deleting a neighbor (`gobgp neighbor del`), from the file or the API,
//! sends Cease 6/3 as a reload that removes it does; a file neighbor
//! deleted so comes back at the next reload.

use std::sync::Arc;

use tokio::sync::watch;
use tracing::info;

use super::Daemon;
use crate::api::{DaemonRequest, PeerOp};
use crate::config::{Config, Neighbor, PeerAddress};
use crate::rib::event::DownReason;
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
        let (address, op, reply) = match request {
            DaemonRequest::Peer { address, op, reply } => (address, op, reply),
            DaemonRequest::AddPeer { neighbor, reply } => {
                let _ = reply.send(self.add_neighbor(*neighbor));
                self.publish_neighbors(neighbors);
                return None;
            }
            DaemonRequest::DeletePeer { address, reply } => {
                let _ = reply.send(self.delete_neighbor(address).await);
                self.publish_neighbors(neighbors);
                return None;
            }
            other => return Some(other),
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
                // The counters go on, as gobgpd's: the neighbor stays.
                if let Some(stats) = self.peers.get(&address).map(|(_, h)| h.stats.clone()) {
                    self.remove(
                        address,
                        cease(CeaseSubcode::AdministrativeReset, &communication),
                        None,
                    )
                    .await;
                    self.start(neighbor, stats);
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
                let stats = self.peers.get(&address).map(|(_, h)| h.stats.clone());
                self.remove(
                    address,
                    cease(CeaseSubcode::AdministrativeShutdown, &communication),
                    None,
                )
                .await;
                // Kept (Idle) for ListPeer and for the task `enable` starts.
                if let Some(stats) = stats {
                    stats.set_state(crate::fsm::State::Idle);
                    self.stats.insert(address, stats);
                }
                self.disabled.insert(address);
            }
            PeerOp::Enable => {
                info!(Topic = "Operation", Key = %address, "Neighbor enable");
                if self.disabled.remove(&address) && !self.peers.contains_key(&address) {
                    let stats = self.stats.shared(address).unwrap_or_default();
                    self.start(neighbor, stats);
                }
            }
        }
        self.publish_neighbors(neighbors);
        let _ = reply.send(true);
        None
    }

    /// Adds a neighbor through the API; false when the address is taken.
    fn add_neighbor(&mut self, neighbor: Neighbor) -> bool {
        let PeerAddress::Ip(address) = neighbor.address else {
            return false;
        };
        let configured = self
            .config
            .neighbors
            .iter()
            .any(|n| n.address == neighbor.address);
        if configured || self.peers.contains_key(&address) {
            return false;
        }
        info!(Topic = "config", Key = %address, "Add Peer");
        self.config.neighbors.push(neighbor.clone());
        self.added.insert(address);
        if neighbor.transport.min_ttl.is_some() {
            self.raise_listener_ttl();
        }
        if neighbor.admin_down {
            self.disabled.insert(address);
        } else {
            self.add(neighbor);
        }
        true
    }

    /// Deletes a configured neighbor (Cease 6/3, BMP Peer Down reason 5);
    /// false when there is none at `address`.
    async fn delete_neighbor(&mut self, address: std::net::IpAddr) -> bool {
        let before = self.config.neighbors.len();
        self.config
            .neighbors
            .retain(|n| n.address != PeerAddress::Ip(address));
        if self.config.neighbors.len() == before {
            return false;
        }
        info!(Topic = "Peer", Key = %address, "Delete a peer configuration");
        self.added.remove(&address);
        self.disabled.remove(&address);
        self.stats.remove(address);
        let n = Notification::new(ErrorCode::Cease(CeaseSubcode::PeerDeconfigured));
        self.remove(address, n, Some(DownReason::Deconfigured))
            .await;
        true
    }

    /// Adds the neighbors added through the API to a reloaded `config`,
    /// unless it configures their address itself (then the file's entry
    /// takes over).
    pub(super) fn keep_added(&mut self, config: &mut Config) {
        let in_file = |a: &std::net::IpAddr| {
            config
                .neighbors
                .iter()
                .any(|n| n.address == PeerAddress::Ip(*a))
        };
        self.added.retain(|a| !in_file(a));
        let kept: Vec<Neighbor> = self
            .config
            .neighbors
            .iter()
            .filter(|n| matches!(n.address, PeerAddress::Ip(a) if self.added.contains(&a)))
            .cloned()
            .collect();
        config.neighbors.extend(kept);
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
