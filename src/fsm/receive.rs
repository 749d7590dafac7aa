//! What the FSM does with a received message in each state (RFC 4271
//! §8.2.2, events 19–28): OPEN checks and the steps to Established,
//! KEEPALIVE, UPDATE, NOTIFICATION and FSM errors.

use super::*;

impl Fsm {
    /// Events 19–28. Idle ignores messages; Connect and Active have no BGP
    /// session, so any message drops the connection (Idle); the others
    /// dispatch on the message type.
    pub(super) fn on_message(&mut self, now: Instant, raw: Bytes, actions: &mut Vec<Action>) {
        match self.state {
            State::Idle => return,
            State::Connect | State::Active => {
                actions.push(Action::Close);
                actions.push(Action::Failed(Failure::UnexpectedMessage));
                self.reset(now);
                return;
            }
            _ => {}
        }
        let message = match Message::decode(raw.clone(), &self.negotiated) {
            Ok(message) => message,
            Err(error) => return self.on_decode_error(now, &error, actions),
        };
        if let Message::Notification(notification) = message {
            return self.on_notification(now, notification, raw, actions);
        }
        match self.state {
            State::OpenSent => self.on_open_sent(now, message, raw, actions),
            State::OpenConfirm => self.on_open_confirm(now, message, actions),
            State::Established => self.on_established(now, message, raw, actions),
            State::Idle | State::Connect | State::Active => {}
        }
    }

    /// Events 24/25 in OpenSent, OpenConfirm, Established: close, Idle;
    /// Down(RemoteNotification) from Established.
    pub(super) fn on_notification(
        &mut self,
        now: Instant,
        notification: Notification,
        raw: Bytes,
        actions: &mut Vec<Action>,
    ) {
        actions.push(Action::Close);
        actions.push(if self.state == State::Established {
            Action::Down(DownReason::RemoteNotification(raw))
        } else {
            Action::Failed(Failure::ReceivedNotification(notification))
        });
        self.reset(now);
    }

    /// An FSM error (RFC 6608): NOTIFICATION 5/subcode, close, Idle.
    pub(super) fn fsm_error(&mut self, now: Instant, actions: &mut Vec<Action>) {
        let subcode = match self.state {
            State::OpenSent => FsmSubcode::UnexpectedMessageInOpenSent,
            State::OpenConfirm => FsmSubcode::UnexpectedMessageInOpenConfirm,
            State::Established => FsmSubcode::UnexpectedMessageInEstablished,
            _ => FsmSubcode::Unspecified,
        };
        self.fail_with_notification(Notification::new(ErrorCode::Fsm(subcode)), actions);
        self.reset(now);
    }

    /// OpenSent, event 19 (BGPOpen): check the OPEN ([`check_open`]); on
    /// success send KEEPALIVE, set Hold to min(ours, theirs) and Keepalive,
    /// go to OpenConfirm; on failure send the OPEN error. Any other message
    /// is an FSM error 5/1.
    pub(super) fn on_open_sent(
        &mut self,
        now: Instant,
        message: Message,
        raw: Bytes,
        actions: &mut Vec<Action>,
    ) {
        let Message::Open(open) = message else {
            return self.fsm_error(now, actions);
        };
        if let Err(code) = check_open(&self.settings, &open) {
            self.fail_with_notification(Notification::new(ErrorCode::Open(code)), actions);
            return self.reset(now);
        }
        let theirs = Duration::from_secs(u64::from(open.hold_time));
        self.hold_time = theirs.min(self.settings.hold_time);
        self.keepalive_interval = if self.hold_time.is_zero() {
            Duration::ZERO
        } else if self.hold_time < self.settings.hold_time
            || self.settings.keepalive_interval.is_zero()
        {
            self.hold_time / 3
        } else {
            self.settings.keepalive_interval.min(self.hold_time / 3)
        };
        self.negotiated = Negotiated::from_opens(&self.settings.open, &open);
        actions.push(Action::Send(Message::Keepalive));
        self.arm_keepalive(now);
        self.arm_hold(now);
        self.received = Some((open, raw));
        self.state = State::OpenConfirm;
    }

    /// OpenConfirm, event 26 (KeepAliveMsg): restart Hold, go to
    /// Established. OPEN (a collision not resolved by the peer task),
    /// UPDATE and ROUTE-REFRESH are FSM errors 5/2.
    pub(super) fn on_open_confirm(
        &mut self,
        now: Instant,
        message: Message,
        actions: &mut Vec<Action>,
    ) {
        if message != Message::Keepalive {
            return self.fsm_error(now, actions);
        }
        let Some((open, raw)) = self.received.clone() else {
            return self.fsm_error(now, actions);
        };
        self.arm_hold(now);
        self.attempts = 0;
        let session = Box::new(Session {
            negotiated: self.negotiated.clone(),
            peer_as: open.asn(),
            peer_id: open.bgp_identifier,
            received: open,
            sent_open: self.sent_open.clone(),
            received_open: raw,
            hold_time: self.hold_time,
            keepalive_interval: self.keepalive_interval,
        });
        self.session = Some(session.clone());
        self.state = State::Established;
        actions.push(Action::Established(session));
    }

    /// Established: KEEPALIVE restarts Hold; UPDATE restarts Hold and is
    /// handed over (an RFC 7606 session-reset error sends its
    /// NOTIFICATION); ROUTE-REFRESH is handed over; OPEN is an FSM error
    /// 5/3.
    pub(super) fn on_established(
        &mut self,
        now: Instant,
        message: Message,
        raw: Bytes,
        actions: &mut Vec<Action>,
    ) {
        match message {
            Message::Keepalive => self.arm_hold(now),
            Message::Update(update) => {
                self.arm_hold(now);
                if let Some(error) = update
                    .errors
                    .iter()
                    .find(|e| e.action == bgp::AttrAction::SessionReset)
                {
                    let n = error.error.notification();
                    self.fail_with_notification(n, actions);
                    return self.reset(now);
                }
                actions.push(Action::Update { update, raw });
            }
            Message::RouteRefresh(refresh) => {
                self.arm_hold(now);
                actions.push(Action::RouteRefresh(refresh));
            }
            Message::Open(_) | Message::Notification(_) => self.fsm_error(now, actions),
        }
    }
}
