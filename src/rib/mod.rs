//! The rib task: the one owner of routing state.
//!
//! Adj-RIB-In per peer (as received and after import policy), Loc-RIB with
//! best-path selection, and Adj-RIB-Out per peer. Peer tasks talk to it
//! through [`event::PeerEvent`]; it answers each session with
//! [`event::Export`].

pub mod event;

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config;
use crate::wire::bgp::{self, Message};

/// Starts the rib task; peer tasks send it [`event::PeerEvent`]s.
///
/// Stand-in until the real rib lands: on `Up` it answers with End-of-RIB
/// for each negotiated family and otherwise drops events.
pub fn spawn(global: Arc<config::Global>) -> (mpsc::Sender<event::PeerEvent>, JoinHandle<()>) {
    let (events_tx, mut events_rx) = mpsc::channel(1024);
    let handle = tokio::spawn(async move {
        let _global = global;
        while let Some(event) = events_rx.recv().await {
            if let event::PeerEvent::Up { info, exports } = event {
                let cx = &info.negotiated;
                let messages = cx
                    .families
                    .iter()
                    .filter_map(|&family| {
                        Message::Update(bgp::end_of_rib(family)).to_bytes(cx).ok()
                    })
                    .collect();
                // The session may already be gone; nothing to do then.
                let _ = exports.send(event::Export::Messages(messages));
            }
        }
    });
    (events_tx, handle)
}
