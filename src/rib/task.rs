//! The rib task: owns a [`Rib`] and turns [`PeerEvent`]s into
//! [`Export`]s.
//!
//! One event at a time, in arrival order; each event gives each affected
//! peer one [`Export::Messages`]. A peer whose export channel is closed is
//! gone: it is forgotten as if it went down.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::event::{Export, PeerEvent, PeerId};
use super::monitor::Request;
use super::state::{Outgoing, Rib};
use crate::config::Global;

/// Runs until every sender of `events` is dropped.
pub async fn run(
    global: Arc<Global>,
    mut events: mpsc::Receiver<PeerEvent>,
    mut requests: mpsc::Receiver<Request>,
) {
    let mut rib = Rib::new(global);
    let mut exports: HashMap<PeerId, mpsc::UnboundedSender<Export>> = HashMap::new();
    let mut requests_open = true;
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => break,
            },
            request = requests.recv(), if requests_open => {
                match request {
                    Some(request) => rib.request(request),
                    None => requests_open = false,
                }
                continue;
            }
        };
        let outgoing = match event {
            PeerEvent::Up { info, exports: tx } => {
                tracing::info!(peer = %info.peer, "peer up");
                exports.insert(info.peer, tx);
                rib.peer_up(info)
            }
            PeerEvent::Update { peer, update, .. } => rib.update(peer, &update),
            PeerEvent::RouteRefresh { peer, family } => rib.route_refresh(peer, family),
            PeerEvent::Down { peer, reason } => {
                tracing::info!(%peer, ?reason, "peer down");
                exports.remove(&peer);
                rib.peer_down(peer)
            }
        };
        deliver(&mut rib, &mut exports, outgoing);
    }
    tracing::debug!("rib task: every sender dropped");
}

/// Sends each peer its messages; a closed channel takes the peer down,
/// whose withdrawals are delivered in turn.
fn deliver(
    rib: &mut Rib,
    exports: &mut HashMap<PeerId, mpsc::UnboundedSender<Export>>,
    mut outgoing: Outgoing,
) {
    while !outgoing.is_empty() {
        let mut gone = Vec::new();
        for (peer, messages) in outgoing {
            if messages.is_empty() {
                continue;
            }
            let delivered = exports
                .get(&peer)
                .is_some_and(|tx| tx.send(Export::Messages(messages)).is_ok());
            if !delivered {
                gone.push(peer);
            }
        }
        outgoing = Vec::new();
        for peer in gone {
            tracing::debug!(%peer, "export channel closed: forgetting the peer");
            exports.remove(&peer);
            outgoing.extend(rib.peer_down(peer));
        }
    }
}

#[cfg(test)]
#[path = "task_tests.rs"]
mod tests;
