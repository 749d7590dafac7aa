//! The BGP finite state machine of one connection (RFC 4271 §8).
//!
//! A plain struct, quinn-proto style: the driver tells it what happened
//! and what time it is ([`Fsm::handle`]) and carries out the [`Action`]s it
//! answers with. Timers (ConnectRetry, Hold, Keepalive, IdleHold) are
//! deadlines: the driver sleeps until [`Fsm::next_deadline`] and passes
//! [`Event::Timeout`]. The FSM never reads the clock, draws random numbers,
//! spawns or touches a socket; the driver supplies a uniform number in
//! `[0, 1)` with [`Fsm::set_jitter`] for the ConnectRetry jitter.
//!
//! ```text
//!  Idle ──Start──▶ Active ──ConnectRetry──▶ Connect ──Connected──▶ OpenSent
//!    ▲              │  ▲                        │                     │ OPEN ok
//!    │              │  └──────ConnectionFailed──┘                     ▼
//!    │              └─────────Connected (incoming)──────────▶ OpenSent  OpenConfirm
//!    └── errors, NOTIFICATION, Stop (IdleHold restarts) ◀──────── Established ◀─ KEEPALIVE
//! ```
//!
//! Collision detection (§6.8) needs two connections, so it lives in the
//! peer task, which runs one `Fsm` per connection and dumps the loser with
//! [`Event::OpenCollisionDump`].
//!
//! # Known issues
//!
//! - DelayOpen, DampPeerOscillations and the optional attributes of §8.1.1
//!   are not implemented; IdleHold is gobgpd's fixed
//!   `idle-hold-time-after-reset`.
//! - Passive peers wait in Active without a ConnectRetry timer, as gobgpd.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::rib::event::DownReason;
use crate::wire::bgp::{
    self, Capability, CeaseSubcode, DecodeError, ErrorCode, FsmSubcode, Message, Negotiated,
    Notification, Open, Update,
};

mod check;
mod receive;
#[cfg(test)]
mod tests;

pub use check::check_open;

/// Hold time used in OpenSent before the peer's OPEN arrives (RFC 4271
/// §8.2.2 suggests 4 minutes).
pub const LARGE_HOLD_TIME: Duration = Duration::from_secs(240);

/// The RFC 4271 §8.2.2 states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Refusing connections; waiting for a start (or the IdleHold timer).
    Idle,
    /// Waiting for an outgoing TCP connection to complete.
    Connect,
    /// Waiting for an incoming connection or the ConnectRetry timer.
    Active,
    /// OPEN sent, waiting for the peer's.
    OpenSent,
    /// OPENs exchanged, waiting for KEEPALIVE.
    OpenConfirm,
    /// Session up: UPDATEs flow.
    Established,
}

impl State {
    /// gobgpd's name for the state (`BGP_FSM_ESTABLISHED`), as in its logs.
    pub fn gobgp_name(self) -> &'static str {
        match self {
            State::Idle => "BGP_FSM_IDLE",
            State::Connect => "BGP_FSM_CONNECT",
            State::Active => "BGP_FSM_ACTIVE",
            State::OpenSent => "BGP_FSM_OPENSENT",
            State::OpenConfirm => "BGP_FSM_OPENCONFIRM",
            State::Established => "BGP_FSM_ESTABLISHED",
        }
    }
}

/// What happened, told to the FSM (RFC 4271 §8.1 events, collapsed where
/// the actions are identical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Events 1, 3, 4, 5 (ManualStart, AutomaticStart and their passive
    /// variants): passive-ness comes from [`Settings::passive`].
    Start,
    /// Events 2 and 8 (ManualStop, AutomaticStop): send this NOTIFICATION
    /// (Cease) if a session is open, close, and stay Idle until the next
    /// [`Event::Start`].
    Stop(Notification),
    /// Events 9, 10, 11, 12, 13 (ConnectRetry, Hold, Keepalive and IdleHold
    /// timers expire): every timer whose deadline is not after `now`
    /// fires.
    Timeout,
    /// Events 16 and 17 (Tcp_CR_Acked, TcpConnectionConfirmed): a TCP
    /// connection, outgoing or incoming, is up.
    Connected,
    /// Event 18 (TcpConnectionFails): the connection failed or closed.
    ConnectionFailed,
    /// Events 19–28: one whole BGP message as read (header included).
    Message(Bytes),
    /// Event 21 (BGPHeaderErr) found by the framer before a whole message
    /// was read (bad marker or length).
    FramingError(DecodeError),
    /// Event 23 (OpenCollisionDump): this connection lost the collision
    /// resolution (§6.8).
    OpenCollisionDump,
}

/// What the driver must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a TCP connection to the peer.
    Connect,
    /// Write this message (encoded with [`Fsm::negotiated`]).
    Send(Message),
    /// Close the TCP connection (after writing what was sent).
    Close,
    /// The session reached Established.
    Established(Box<Session>),
    /// An UPDATE arrived on the established session.
    Update {
        /// Decoded with the session's context.
        update: Update,
        /// The whole message as received.
        raw: Bytes,
    },
    /// A ROUTE-REFRESH arrived on the established session.
    RouteRefresh(bgp::RouteRefresh),
    /// The session left Established.
    Down(DownReason),
    /// A connection that had not reached Established ended (for logging).
    Failed(Failure),
}

/// Why a connection that never reached Established ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// We sent this NOTIFICATION.
    SentNotification(Notification),
    /// The peer sent this NOTIFICATION.
    ReceivedNotification(Notification),
    /// The TCP connection failed or was closed.
    ConnectionClosed,
    /// A BGP message arrived in Connect or Active (no session to notify).
    UnexpectedMessage,
}

/// Facts of an established session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// What the OPENs agreed on.
    pub negotiated: Negotiated,
    /// The peer's OPEN.
    pub received: Open,
    /// Our OPEN, the whole message as sent.
    pub sent_open: Bytes,
    /// The peer's OPEN, the whole message as received.
    pub received_open: Bytes,
    /// The peer's AS (4-octet capability value, else My AS).
    pub peer_as: u32,
    /// The peer's BGP identifier.
    pub peer_id: Ipv4Addr,
    /// Negotiated hold time (zero: no keepalives).
    pub hold_time: Duration,
    /// Keepalive interval in use.
    pub keepalive_interval: Duration,
}

/// What the FSM needs to know about the neighbor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Our OPEN (AS, hold time, identifier, capabilities).
    pub open: Open,
    /// Our AS (the real one, even when the OPEN carries AS_TRANS).
    pub local_as: u32,
    /// Expected peer AS; 0 accepts any.
    pub peer_as: u32,
    /// Hold time we propose.
    pub hold_time: Duration,
    /// Configured keepalive interval (used unless the peer's smaller hold
    /// time forces hold/3).
    pub keepalive_interval: Duration,
    /// ConnectRetry time: attempts after the first come every
    /// `[cr, 2cr)` (gobgpd's jitter).
    pub connect_retry: Duration,
    /// The first attempt comes after `[d, 2d)` (gobgpd: 5 s).
    pub first_connect_delay: Duration,
    /// Time in Idle after a session ends, before restarting.
    pub idle_hold_time: Duration,
    /// Never connect out; wait for the peer.
    pub passive: bool,
}

/// The state machine of one connection to one neighbor.
#[derive(Debug)]
pub struct Fsm {
    settings: Settings,
    state: State,
    sent_open: Bytes,
    negotiated: Negotiated,
    session: Option<Box<Session>>,
    received: Option<(Open, Bytes)>,
    connect_retry: Option<Instant>,
    hold: Option<Instant>,
    keepalive: Option<Instant>,
    idle_hold: Option<Instant>,
    hold_time: Duration,
    keepalive_interval: Duration,
    attempts: u32,
    jitter: f64,
}

impl Fsm {
    /// A new FSM in Idle; nothing happens until [`Event::Start`].
    pub fn new(settings: Settings) -> Fsm {
        // Our OPEN never exceeds 4096 octets unless capabilities overflow;
        // then the encode error leaves the bytes empty and the peer will
        // reject the OPEN we send, which the driver logs.
        let sent_open = Message::Open(settings.open.clone())
            .to_bytes(&Negotiated::default())
            .unwrap_or_default();
        Fsm {
            hold_time: settings.hold_time,
            keepalive_interval: settings.keepalive_interval,
            settings,
            state: State::Idle,
            sent_open,
            negotiated: Negotiated::default(),
            session: None,
            received: None,
            connect_retry: None,
            hold: None,
            keepalive: None,
            idle_hold: None,
            attempts: 0,
            jitter: 0.5,
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The session context: the RFC 4271 baseline until OPENs are
    /// exchanged.
    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// Our OPEN, the whole message.
    pub fn sent_open(&self) -> &Bytes {
        &self.sent_open
    }

    /// The peer's OPEN once received (OpenConfirm and Established).
    pub fn received_open(&self) -> Option<&Open> {
        self.received.as_ref().map(|(open, _)| open)
    }

    /// The established session, if any.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_deref()
    }

    /// Supplies a uniform random number in `[0, 1)` used the next time the
    /// ConnectRetry timer is armed (values outside are clamped).
    pub fn set_jitter(&mut self, unit: f64) {
        self.jitter = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.5
        };
    }

    /// The earliest timer deadline, if any timer runs.
    pub fn next_deadline(&self) -> Option<Instant> {
        [
            self.connect_retry,
            self.hold,
            self.keepalive,
            self.idle_hold,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Handles one event at time `now`; returns the actions in order.
    pub fn handle(&mut self, now: Instant, event: Event) -> Vec<Action> {
        let mut actions = Vec::new();
        match event {
            Event::Timeout => self.on_timeout(now, &mut actions),
            Event::Start => self.on_start(now),
            Event::Stop(notification) => self.on_stop(notification, &mut actions),
            Event::Connected => self.on_connected(now, &mut actions),
            Event::ConnectionFailed => self.on_connection_failed(now, &mut actions),
            Event::Message(raw) => self.on_message(now, raw, &mut actions),
            Event::FramingError(error) => self.on_decode_error(now, &error, &mut actions),
            Event::OpenCollisionDump => {
                if self.has_session() {
                    let n = Notification::new(ErrorCode::Cease(
                        CeaseSubcode::ConnectionCollisionResolution,
                    ));
                    self.fail_with_notification(n, &mut actions);
                    self.stop_timers();
                    self.state = State::Idle;
                }
            }
        }
        actions
    }

    fn has_session(&self) -> bool {
        matches!(
            self.state,
            State::OpenSent | State::OpenConfirm | State::Established
        )
    }

    fn stop_timers(&mut self) {
        self.connect_retry = None;
        self.hold = None;
        self.keepalive = None;
        self.idle_hold = None;
    }

    /// Arms ConnectRetry with gobgpd's jitter: `[d, 2d)` for the first
    /// attempt, `[cr, 2cr)` after.
    fn arm_connect_retry(&mut self, now: Instant) {
        let base = if self.attempts == 0 {
            self.settings.first_connect_delay
        } else {
            self.settings.connect_retry
        };
        self.attempts = self.attempts.saturating_add(1);
        self.connect_retry = Some(now + base + base.mul_f64(self.jitter));
    }

    /// Idle, events 1/3/4/5: initialize, arm ConnectRetry (not when
    /// passive) and go to Active, where the peer's connection is accepted
    /// and the ConnectRetry expiry starts our own attempt. Ignored in any
    /// other state.
    fn on_start(&mut self, now: Instant) {
        if self.state != State::Idle {
            return;
        }
        self.stop_timers();
        self.negotiated = Negotiated::default();
        self.received = None;
        self.session = None;
        if !self.settings.passive {
            self.arm_connect_retry(now);
        }
        self.state = State::Active;
    }

    /// Any state, events 2/8: send the Cease (OpenSent, OpenConfirm,
    /// Established), close, stop every timer and stay Idle (no IdleHold
    /// restart).
    fn on_stop(&mut self, notification: Notification, actions: &mut Vec<Action>) {
        match self.state {
            State::Idle => {}
            State::Connect | State::Active => actions.push(Action::Close),
            State::OpenSent | State::OpenConfirm | State::Established => {
                self.fail_with_notification(notification, actions);
            }
        }
        self.stop_timers();
        self.attempts = 0;
        self.state = State::Idle;
    }

    /// Sends `notification`, closes, and reports Down or Failed.
    fn fail_with_notification(&mut self, notification: Notification, actions: &mut Vec<Action>) {
        let was_established = self.state == State::Established;
        let bytes = Message::Notification(notification.clone())
            .to_bytes(&self.negotiated)
            .unwrap_or_default();
        actions.push(Action::Send(Message::Notification(notification.clone())));
        actions.push(Action::Close);
        actions.push(if was_established {
            Action::Down(DownReason::LocalNotification(bytes))
        } else {
            Action::Failed(Failure::SentNotification(notification))
        });
    }

    /// Ends the connection after an error: Idle with the IdleHold timer,
    /// after which the FSM starts again by itself (gobgpd's
    /// `idle-hold-time-after-reset`).
    ///
    /// No idle hold after an established session with graceful restart
    /// on both sides (RFC 4724): the peer comes back at once, its routes
    /// kept stale for it only for its Restart Time.
    fn reset(&mut self, now: Instant) {
        let graceful = self.state == State::Established && self.graceful_restart();
        self.stop_timers();
        self.session = None;
        self.state = State::Idle;
        let hold = if graceful {
            Duration::ZERO
        } else {
            self.settings.idle_hold_time
        };
        self.idle_hold = Some(now + hold);
    }

    /// Both OPENs of this connection carry the graceful restart capability.
    pub fn graceful_restart(&self) -> bool {
        let has = |open: &Open| {
            open.capabilities()
                .any(|c| matches!(c, Capability::GracefulRestart(_)))
        };
        has(&self.settings.open) && self.received.as_ref().is_some_and(|(open, _)| has(open))
    }

    /// Timer expiry (events 9–13), per state:
    /// - IdleHold (Idle): as Start.
    /// - ConnectRetry (Connect, Active): drop any attempt, Connect, re-arm,
    ///   go to Connect.
    /// - Hold (OpenSent, OpenConfirm, Established): NOTIFICATION 4/0, close,
    ///   Idle.
    /// - Keepalive (OpenConfirm, Established): send KEEPALIVE, re-arm.
    fn on_timeout(&mut self, now: Instant, actions: &mut Vec<Action>) {
        let due = |deadline: Option<Instant>| deadline.is_some_and(|d| d <= now);
        if due(self.idle_hold) {
            self.idle_hold = None;
            if self.state == State::Idle {
                self.on_start(now);
            }
        }
        if due(self.hold) {
            self.hold = None;
            if self.has_session() {
                self.fail_with_notification(
                    Notification::new(ErrorCode::HoldTimerExpired(0)),
                    actions,
                );
                self.reset(now);
                return;
            }
        }
        if due(self.keepalive) {
            self.keepalive = None;
            if matches!(self.state, State::OpenConfirm | State::Established) {
                actions.push(Action::Send(Message::Keepalive));
                self.arm_keepalive(now);
            }
        }
        if due(self.connect_retry) {
            self.connect_retry = None;
            if matches!(self.state, State::Connect | State::Active) {
                if self.state == State::Connect {
                    actions.push(Action::Close);
                }
                actions.push(Action::Connect);
                self.arm_connect_retry(now);
                self.state = State::Connect;
            }
        }
    }

    fn arm_keepalive(&mut self, now: Instant) {
        self.keepalive =
            (!self.keepalive_interval.is_zero()).then(|| now + self.keepalive_interval);
    }

    fn arm_hold(&mut self, now: Instant) {
        self.hold = (!self.hold_time.is_zero()).then(|| now + self.hold_time);
    }

    /// Connect/Active, events 16/17: stop ConnectRetry, send our OPEN, arm
    /// Hold with the large value, go to OpenSent. In Idle the connection is
    /// refused (Close); in later states it is not this FSM's (the peer task
    /// runs a second FSM for it).
    fn on_connected(&mut self, now: Instant, actions: &mut Vec<Action>) {
        match self.state {
            State::Connect | State::Active => {
                self.connect_retry = None;
                actions.push(Action::Send(Message::Open(self.settings.open.clone())));
                self.hold = Some(now + LARGE_HOLD_TIME);
                self.state = State::OpenSent;
            }
            State::Idle => actions.push(Action::Close),
            State::OpenSent | State::OpenConfirm | State::Established => {}
        }
    }

    /// Event 18: Connect → Active with ConnectRetry re-armed (also from
    /// OpenSent, RFC 4271 §8.2.2); OpenConfirm and Established → Idle
    /// (Down: remote closed).
    fn on_connection_failed(&mut self, now: Instant, actions: &mut Vec<Action>) {
        match self.state {
            State::Idle | State::Active => {}
            State::Connect | State::OpenSent => {
                if self.state == State::OpenSent {
                    actions.push(Action::Failed(Failure::ConnectionClosed));
                }
                self.stop_timers();
                if !self.settings.passive {
                    self.arm_connect_retry(now);
                }
                self.state = State::Active;
            }
            State::OpenConfirm => {
                actions.push(Action::Failed(Failure::ConnectionClosed));
                self.reset(now);
            }
            State::Established => {
                actions.push(Action::Down(DownReason::RemoteClosed));
                self.reset(now);
            }
        }
    }

    /// A decode error: its NOTIFICATION (RFC 4271 §6), close, Idle.
    fn on_decode_error(&mut self, now: Instant, error: &DecodeError, actions: &mut Vec<Action>) {
        match self.state {
            State::Idle => {}
            State::Connect | State::Active => {
                actions.push(Action::Close);
                actions.push(Action::Failed(Failure::UnexpectedMessage));
                self.reset(now);
            }
            _ => {
                self.fail_with_notification(error.notification(), actions);
                self.reset(now);
            }
        }
    }
}
