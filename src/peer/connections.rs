//! The peer task's connections: taking an incoming one (or refusing it),
//! a second connection while the first is opening, what each connection
//! reads, and collision resolution (RFC 4271 §6.8, see the module docs of
//! [`super`]).

use super::*;

impl Peer {
    pub(super) async fn on_incoming(&mut self, stream: TcpStream) {
        let remote = stream.peer_addr().ok();
        match self.primary.fsm.state() {
            State::Connect | State::Active => {
                self.overtaken_connect = self.primary.connecting.take();
                self.primary.conn = None;
                if self.attach(false, stream, false) {
                    self.dispatch(false, Event::Connected).await;
                }
            }
            State::OpenSent | State::OpenConfirm if self.secondary.is_none() => {
                self.second_connection(stream, false).await;
            }
            State::Established
                if self.secondary.is_none() && self.primary.fsm.graceful_restart() =>
            {
                // RFC 4724 §4.2: a new connection from a peer whose
                // session has graceful restart means the peer restarted
                // before the old connection was seen to end. The old
                // session ends as if closed (its routes kept, stale); the
                // new connection is taken.
                info!(
                    Topic = "Peer",
                    ?remote,
                    "new connection while Established with graceful restart: the peer restarted"
                );
                self.primary.conn = None;
                self.dispatch(false, Event::ConnectionFailed).await;
                // No idle hold after a graceful restart: Idle to Active.
                self.dispatch(false, Event::Timeout).await;
                if self.primary.fsm.state() == State::Active && self.attach(false, stream, false) {
                    self.dispatch(false, Event::Connected).await;
                }
            }
            state => {
                debug!(
                    Topic = "Peer",
                    ?remote,
                    State = state.gobgp_name(),
                    "connection refused"
                );
            }
        }
    }

    /// Runs `stream` on a second FSM while the first is in OpenSent or
    /// OpenConfirm, so collision detection can choose between them.
    pub(super) async fn second_connection(&mut self, stream: TcpStream, outbound: bool) {
        let mut fsm = self.new_fsm();
        fsm.handle(now(), Event::Start);
        self.secondary = Some(Slot {
            fsm,
            conn: None,
            connecting: None,
            outbound,
        });
        if self.attach(true, stream, outbound) {
            self.dispatch(true, Event::Connected).await;
        }
    }

    /// Gives `stream` to a slot; false when the socket is unusable.
    pub(super) fn attach(&mut self, second: bool, stream: TcpStream, outbound: bool) -> bool {
        self.next_id += 1;
        let id = self.next_id;
        let neighbor = self.neighbor.clone();
        let io = self.io_tx.clone();
        let Some(slot) = self.slot_mut(second) else {
            return false;
        };
        match Conn::new(id, stream, &neighbor.transport, io) {
            Ok(conn) => {
                slot.conn = Some(conn);
                slot.outbound = outbound;
                true
            }
            Err(error) => {
                warn!(Topic = "Peer", %error, "failed to set up the connection");
                false
            }
        }
    }

    pub(super) async fn on_io(&mut self, io: Io) {
        match io {
            Io::Connected { id, result } => {
                if self.overtaken_connect == Some(id) {
                    self.overtaken_connect = None;
                    let open = matches!(
                        self.primary.fsm.state(),
                        State::OpenSent | State::OpenConfirm
                    );
                    if let (Ok(stream), true, true) = (result, open, self.secondary.is_none()) {
                        self.second_connection(stream, true).await;
                    }
                    return;
                }
                if self.primary.connecting != Some(id) {
                    return;
                }
                self.primary.connecting = None;
                match result {
                    Ok(stream) => {
                        if self.attach(false, stream, true) {
                            self.dispatch(false, Event::Connected).await;
                        } else {
                            self.dispatch(false, Event::ConnectionFailed).await;
                        }
                    }
                    Err(error) => {
                        debug!(Topic = "Peer", %error, "failed to connect");
                        self.dispatch(false, Event::ConnectionFailed).await;
                    }
                }
            }
            Io::Frames {
                id,
                frames,
                received_at,
            } => {
                for bytes in frames {
                    // A message may end the connection: the rest are dropped.
                    let Some(second) = self.which(id) else {
                        break;
                    };
                    self.stats.received(&bytes);
                    let (established, actions) = match self.slot_mut(second) {
                        Some(slot) => (
                            slot.fsm.state() == State::Established,
                            slot.fsm.handle(now(), Event::Message(bytes.clone())),
                        ),
                        None => break,
                    };
                    if established {
                        self.mirror(&bytes, &actions).await;
                    }
                    self.apply_at(second, actions, received_at).await;
                    self.resolve_collision().await;
                }
                // The read's UPDATEs reach the rib together.
                self.hand_over().await;
            }
            Io::FramingError { id, error } => {
                if let Some(second) = self.which(id) {
                    self.dispatch(second, Event::FramingError(error)).await;
                }
            }
            Io::Closed { id } => {
                if let Some(second) = self.which(id) {
                    if let Some(slot) = self.slot_mut(second) {
                        slot.conn = None;
                    }
                    self.dispatch(second, Event::ConnectionFailed).await;
                }
            }
        }
    }

    /// Hands the rib a message received on the established session that
    /// does not reach it as an UPDATE, for BMP Route Mirroring: every
    /// other message type, and an UPDATE that failed to decode (errored).
    pub(super) async fn mirror(&mut self, bytes: &bytes::Bytes, actions: &[Action]) {
        const UPDATE: u8 = 2;
        let is_update = bytes.get(18) == Some(&UPDATE);
        let delivered = actions.iter().any(|a| matches!(a, Action::Update { .. }));
        if is_update && delivered {
            return;
        }
        let event = PeerEvent::Received {
            peer: self.address,
            message: bytes.clone(),
            errored: is_update,
        };
        self.tell_rib(event).await;
    }

    /// Which slot owns connection `id` (`true`: the second).
    pub(super) fn which(&self, id: u64) -> Option<bool> {
        if self.primary.owns(id) {
            Some(false)
        } else if self.secondary.as_ref().is_some_and(|s| s.owns(id)) {
            Some(true)
        } else {
            None
        }
    }

    /// §6.8: with two connections, once either has the peer's OPEN, the
    /// higher BGP identifier keeps the connection it initiated.
    pub(super) async fn resolve_collision(&mut self) {
        let Some(secondary) = &self.secondary else {
            return;
        };
        let remote_id = self
            .primary
            .fsm
            .received_open()
            .or(secondary.fsm.received_open())
            .map(|open| open.bgp_identifier);
        let Some(remote_id) = remote_id else {
            return;
        };
        let local_id = self.global.router_id;
        let dump_outbound = u32::from(local_id) < u32::from(remote_id);
        let loser_is_second = if self.primary.outbound == secondary.outbound {
            true
        } else {
            secondary.outbound == dump_outbound
        };
        info!(
            Topic = "Peer",
            %local_id,
            %remote_id,
            "connection collision: dumping the {} connection",
            if dump_outbound { "outgoing" } else { "incoming" }
        );
        let actions = match self.slot_mut(loser_is_second) {
            Some(slot) => slot.fsm.handle(now(), Event::OpenCollisionDump),
            None => return,
        };
        self.apply(loser_is_second, actions).await;
        if loser_is_second {
            self.secondary = None;
        } else if let Some(secondary) = self.secondary.take() {
            self.primary = secondary;
        }
    }
}
