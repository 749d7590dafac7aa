//! What peer tasks tell the rib task, and what the rib task sends back.
//!
//! ```text
//!  peer task ──PeerEvent──▶ rib task ──Export──▶ peer task ──▶ TCP
//! ```
//!
//! A peer task decodes each UPDATE once, with its session's negotiated
//! context, and hands the rib both the decoded value and the bytes as
//! received (BMP pre-policy Route Monitoring forwards those unchanged). The
//! rib answers with whole BGP messages, already encoded for that session,
//! which the peer task writes as they are.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::attrs::PathAttrs;
use crate::config::Neighbor;
use crate::wire::bgp;
use crate::wire::Family;

/// A neighbor is known by its address: configured neighbors have a unique
/// one, and a dynamic neighbor is keyed by the address it connected from.
pub type PeerId = IpAddr;

/// Facts about one established session: what the rib needs to apply the
/// advertisement rules, and what BMP's Peer Up reports.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// The neighbor's address (its [`PeerId`]).
    pub peer: PeerId,
    /// The neighbor's settings, as configured (peer group applied).
    pub neighbor: Arc<Neighbor>,
    /// Our end of the TCP connection.
    pub local: SocketAddr,
    /// The neighbor's end of the TCP connection.
    pub remote: SocketAddr,
    /// AS number we sent in our OPEN (4-octet capability value if any).
    pub local_as: u32,
    /// The neighbor's AS (4-octet capability value if any, else My AS).
    pub peer_as: u32,
    /// Our BGP identifier.
    pub local_id: Ipv4Addr,
    /// The neighbor's BGP identifier.
    pub peer_id: Ipv4Addr,
    /// What the two OPENs agreed on.
    pub negotiated: bgp::Negotiated,
    /// Our OPEN, the whole message as sent.
    pub sent_open: Bytes,
    /// The neighbor's OPEN, the whole message as received.
    pub received_open: Bytes,
    /// When the session reached Established.
    pub established_at: SystemTime,
}

/// Why a session left Established, in BMP Peer Down terms (RFC 7854 §4.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownReason {
    /// We sent this NOTIFICATION (whole message) and closed.
    LocalNotification(Bytes),
    /// We closed without a NOTIFICATION; the RFC 4271 §8.1 FSM event.
    LocalNoNotification(u16),
    /// The neighbor sent this NOTIFICATION (whole message) and closed.
    RemoteNotification(Bytes),
    /// The neighbor closed the connection without a NOTIFICATION.
    RemoteClosed,
    /// The neighbor was removed from the configuration.
    Deconfigured,
}

/// A message from a peer task to the rib task.
#[derive(Debug)]
pub enum PeerEvent {
    /// The session reached Established. The rib sends the neighbor's
    /// initial table, then End-of-RIB per family, then changes, on
    /// `exports`.
    Up {
        /// The session.
        info: Arc<SessionInfo>,
        /// Where the rib sends messages for this session.
        exports: mpsc::UnboundedSender<Export>,
    },
    /// One UPDATE received on an established session.
    Update {
        /// From whom.
        peer: PeerId,
        /// Decoded with the session's context (RFC 7606 errors recorded in
        /// it; session-fatal ones never reach the rib).
        update: bgp::Update,
        /// The whole message as received.
        raw: Bytes,
        /// When it was read from the socket.
        received_at: SystemTime,
        /// The attribute sets of its announced routes, built by the peer
        /// task ([`super::import::prepare`]) so the rib task only interns
        /// them; empty to let the rib build them.
        sets: Vec<PathAttrs>,
    },
    /// The UPDATEs of one read from the socket, in order: one channel
    /// message (and one wake-up of the rib task) for many UPDATEs.
    Updates {
        /// From whom.
        peer: PeerId,
        /// The UPDATEs.
        updates: Vec<Incoming>,
    },
    /// A message received on an established session that is not a
    /// decoded UPDATE (KEEPALIVE, NOTIFICATION, ROUTE-REFRESH, or an UPDATE
    /// that failed to decode), for BMP Route Mirroring.
    Received {
        /// From whom.
        peer: PeerId,
        /// The whole message as received.
        message: Bytes,
        /// The message could not be used (RFC 7854 §4.7 Errored PDU).
        errored: bool,
    },
    /// The neighbor sent ROUTE-REFRESH for a family: re-send Adj-RIB-Out.
    RouteRefresh {
        /// From whom.
        peer: PeerId,
        /// Which family.
        family: Family,
    },
    /// The session left Established; the neighbor's routes are withdrawn,
    /// or kept stale while it restarts (graceful restart).
    Down {
        /// Which neighbor.
        peer: PeerId,
        /// Why.
        reason: DownReason,
    },
    /// The neighbor is no longer configured: routes kept for it across a
    /// graceful restart are withdrawn.
    Removed {
        /// Which neighbor.
        peer: PeerId,
    },
}

/// One UPDATE of [`PeerEvent::Updates`], with what
/// [`PeerEvent::Update`] carries.
#[derive(Debug)]
pub struct Incoming {
    /// Decoded with the session's context.
    pub update: bgp::Update,
    /// The whole message as received.
    pub raw: Bytes,
    /// When it was read from the socket.
    pub received_at: SystemTime,
    /// The attribute sets of its announced routes (see
    /// [`PeerEvent::Update`]).
    pub sets: Vec<PathAttrs>,
}

/// A message from the rib task to one peer task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Export {
    /// Whole BGP messages (UPDATEs, End-of-RIB markers) encoded for this
    /// session, to be written in order.
    Messages(Vec<Bytes>),
    /// UPDATEs from this peer the rib is done with, handed back to be
    /// freed by the task that decoded them: glibc frees memory across
    /// threads under the other thread's arena lock, which cost the rib
    /// task about a tenth of its time on a full table.
    Spent(Spent),
}

/// UPDATEs the rib has taken, with their emptied attribute set lists.
pub type Spent = Vec<(PeerId, bgp::Update, Vec<PathAttrs>)>;
