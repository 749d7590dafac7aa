//! One RFC rule per test; time is `Instant` arithmetic.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};

use super::*;
use crate::wire::bgp::{Capability, OptionalParameter, RouteRefresh};
use crate::wire::Family;

const SECOND: Duration = Duration::from_secs(1);
const OUR_ID: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const PEER_ID: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);

fn settings() -> Settings {
    Settings {
        open: Open::new(
            65001,
            90,
            OUR_ID,
            vec![
                Capability::Multiprotocol(Family::IPV4_UNICAST),
                Capability::FourOctetAs(65001),
            ],
        ),
        local_as: 65001,
        peer_as: 65002,
        hold_time: 90 * SECOND,
        keepalive_interval: 30 * SECOND,
        connect_retry: 120 * SECOND,
        first_connect_delay: 5 * SECOND,
        idle_hold_time: 30 * SECOND,
        passive: false,
    }
}

fn peer_open(asn: u32, hold_time: u16, id: Ipv4Addr) -> Open {
    Open::new(
        asn,
        hold_time,
        id,
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::FourOctetAs(asn),
        ],
    )
}

fn raw(message: Message) -> Bytes {
    message
        .to_bytes(&Negotiated::default())
        .expect("test message encodes")
}

fn open_sent(settings: Settings, now: Instant) -> Fsm {
    let mut fsm = Fsm::new(settings);
    fsm.handle(now, Event::Start);
    fsm.handle(now, Event::Connected);
    assert_eq!(fsm.state(), State::OpenSent);
    fsm
}

fn open_confirm(now: Instant) -> Fsm {
    let mut fsm = open_sent(settings(), now);
    fsm.handle(
        now,
        Event::Message(raw(Message::Open(peer_open(65002, 90, PEER_ID)))),
    );
    assert_eq!(fsm.state(), State::OpenConfirm);
    fsm
}

fn established(now: Instant) -> Fsm {
    let mut fsm = open_confirm(now);
    fsm.handle(now, Event::Message(raw(Message::Keepalive)));
    assert_eq!(fsm.state(), State::Established);
    fsm
}

/// The NOTIFICATION sent among `actions`.
fn sent_notification(actions: &[Action]) -> Option<Notification> {
    actions.iter().find_map(|a| match a {
        Action::Send(Message::Notification(n)) => Some(n.clone()),
        _ => None,
    })
}

fn code(actions: &[Action]) -> Option<(u8, u8)> {
    sent_notification(actions).map(|n| (n.code.code(), n.code.subcode()))
}

fn reply_to_open(open: Open) -> (Fsm, Vec<Action>) {
    let now = Instant::now();
    let mut fsm = open_sent(settings(), now);
    let actions = fsm.handle(now, Event::Message(raw(Message::Open(open))));
    (fsm, actions)
}

#[test]
fn start_in_idle_arms_first_connect_retry_in_first_delay_jitter_range() {
    let now = Instant::now();
    let mut fsm = Fsm::new(settings());
    fsm.set_jitter(0.5);
    assert!(fsm.handle(now, Event::Start).is_empty());
    assert_eq!(fsm.state(), State::Active);
    assert_eq!(fsm.next_deadline(), Some(now + 7 * SECOND + SECOND / 2));
}

#[test]
fn passive_start_waits_in_active_without_connect_retry() {
    let now = Instant::now();
    let mut fsm = Fsm::new(Settings {
        passive: true,
        ..settings()
    });
    fsm.handle(now, Event::Start);
    assert_eq!(fsm.state(), State::Active);
    assert_eq!(fsm.next_deadline(), None);
}

#[test]
fn connect_retry_expiry_in_active_connects_and_rearms_within_cr_to_2cr() {
    let now = Instant::now();
    let mut fsm = Fsm::new(settings());
    fsm.set_jitter(0.0);
    fsm.handle(now, Event::Start);
    fsm.set_jitter(0.25);
    let later = now + 5 * SECOND;
    assert_eq!(fsm.handle(later, Event::Timeout), vec![Action::Connect]);
    assert_eq!(fsm.state(), State::Connect);
    assert_eq!(fsm.next_deadline(), Some(later + 150 * SECOND));
}

#[test]
fn connect_retry_expiry_in_connect_drops_attempt_and_connects_again() {
    let now = Instant::now();
    let mut fsm = Fsm::new(settings());
    fsm.handle(now, Event::Start);
    let t1 = fsm.next_deadline().expect("connect retry armed");
    fsm.handle(t1, Event::Timeout);
    let t2 = fsm.next_deadline().expect("connect retry re-armed");
    assert_eq!(
        fsm.handle(t2, Event::Timeout),
        vec![Action::Close, Action::Connect]
    );
    assert_eq!(fsm.state(), State::Connect);
}

#[test]
fn connection_failure_in_connect_goes_active_and_rearms_connect_retry() {
    let now = Instant::now();
    let mut fsm = Fsm::new(settings());
    fsm.handle(now, Event::Start);
    let t1 = fsm.next_deadline().expect("armed");
    fsm.handle(t1, Event::Timeout);
    fsm.set_jitter(0.0);
    fsm.handle(t1, Event::ConnectionFailed);
    assert_eq!(fsm.state(), State::Active);
    assert_eq!(fsm.next_deadline(), Some(t1 + 120 * SECOND));
}

#[test]
fn connection_in_active_sends_open_and_arms_large_hold_time() {
    let now = Instant::now();
    let mut fsm = Fsm::new(settings());
    fsm.handle(now, Event::Start);
    let actions = fsm.handle(now, Event::Connected);
    assert_eq!(actions, vec![Action::Send(Message::Open(settings().open))]);
    assert_eq!(fsm.state(), State::OpenSent);
    assert_eq!(fsm.next_deadline(), Some(now + LARGE_HOLD_TIME));
}

#[test]
fn connection_in_idle_is_refused() {
    let mut fsm = Fsm::new(settings());
    assert_eq!(
        fsm.handle(Instant::now(), Event::Connected),
        vec![Action::Close]
    );
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn open_with_version_3_gets_notification_2_1_with_version_4() {
    let now = Instant::now();
    let mut fsm = open_sent(settings(), now);
    let mut bytes = BytesMut::from(&raw(Message::Open(peer_open(65002, 90, PEER_ID)))[..]);
    bytes[19] = 3;
    let actions = fsm.handle(now, Event::Message(bytes.freeze()));
    let n = sent_notification(&actions).expect("notification");
    assert_eq!((n.code.code(), n.code.subcode()), (2, 1));
    assert_eq!(&n.data[..], &[0, 4]);
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn open_from_wrong_peer_as_gets_notification_2_2() {
    let (_, actions) = reply_to_open(peer_open(65003, 90, PEER_ID));
    assert_eq!(code(&actions), Some((2, 2)));
}

#[test]
fn open_from_any_as_is_accepted_when_peer_as_is_0() {
    let now = Instant::now();
    let mut fsm = open_sent(
        Settings {
            peer_as: 0,
            ..settings()
        },
        now,
    );
    fsm.handle(
        now,
        Event::Message(raw(Message::Open(peer_open(4_200_000_000, 90, PEER_ID)))),
    );
    assert_eq!(fsm.state(), State::OpenConfirm);
}

#[test]
fn open_with_our_identifier_on_ibgp_gets_notification_2_3() {
    let now = Instant::now();
    let mut fsm = open_sent(
        Settings {
            peer_as: 65001,
            ..settings()
        },
        now,
    );
    let actions = fsm.handle(
        now,
        Event::Message(raw(Message::Open(peer_open(65001, 90, OUR_ID)))),
    );
    assert_eq!(code(&actions), Some((2, 3)));
}

#[test]
fn open_with_our_identifier_on_ebgp_is_accepted() {
    let (fsm, actions) = reply_to_open(peer_open(65002, 90, OUR_ID));
    assert_eq!(code(&actions), None);
    assert_eq!(fsm.state(), State::OpenConfirm);
}

#[test]
fn open_with_identifier_0_gets_notification_2_3() {
    let now = Instant::now();
    let mut fsm = open_sent(settings(), now);
    let mut bytes = BytesMut::from(&raw(Message::Open(peer_open(65002, 90, PEER_ID)))[..]);
    bytes[24..28].copy_from_slice(&[0, 0, 0, 0]);
    let actions = fsm.handle(now, Event::Message(bytes.freeze()));
    assert_eq!(code(&actions), Some((2, 3)));
}

#[test]
fn open_with_hold_time_1_or_2_gets_notification_2_6() {
    for hold in [1, 2] {
        let (fsm, actions) = reply_to_open(peer_open(65002, hold, PEER_ID));
        assert_eq!(code(&actions), Some((2, 6)));
        assert_eq!(fsm.state(), State::Idle);
    }
}

#[test]
fn open_with_unsupported_optional_parameter_gets_notification_2_4() {
    let mut open = peer_open(65002, 90, PEER_ID);
    open.parameters.push(OptionalParameter::Unknown {
        param_type: 1,
        value: Bytes::from_static(&[0]),
    });
    let (_, actions) = reply_to_open(open);
    assert_eq!(code(&actions), Some((2, 4)));
}

#[test]
fn open_without_capabilities_is_accepted_per_rfc_5492() {
    let open = Open {
        parameters: Vec::new(),
        ..peer_open(65002, 90, PEER_ID)
    };
    let (fsm, actions) = reply_to_open(open);
    assert_eq!(code(&actions), None);
    assert!(!fsm.negotiated().four_octet_as);
    assert_eq!(fsm.state(), State::OpenConfirm);
}

/// RFC 5492 §3: a capability we do not know is ignored. 2/7 (Unsupported
/// Capability) is only for a capability the speaker requires, and bgpd
/// requires none (see [`check_open`]).
#[test]
fn open_with_an_unknown_capability_is_accepted_without_notification_2_7() {
    let mut open = peer_open(65002, 90, PEER_ID);
    open.parameters
        .push(OptionalParameter::Capabilities(vec![Capability::Unknown {
            code: 200,
            value: Bytes::from_static(&[1, 2, 3]),
        }]));
    let (fsm, actions) = reply_to_open(open);
    assert_eq!(code(&actions), None);
    assert_eq!(actions, vec![Action::Send(Message::Keepalive)]);
    assert_eq!(fsm.state(), State::OpenConfirm);
}

#[test]
fn valid_open_sends_keepalive_and_uses_the_smaller_hold_time() {
    let now = Instant::now();
    let (fsm, actions) = reply_to_open(peer_open(65002, 30, PEER_ID));
    assert_eq!(actions, vec![Action::Send(Message::Keepalive)]);
    // Hold 30 (theirs), keepalive 10 = hold/3, armed from the reply time.
    let deadline = fsm.next_deadline().expect("keepalive armed");
    assert!(deadline >= now + 10 * SECOND && deadline < now + 11 * SECOND);
}

#[test]
fn hold_time_0_disables_hold_and_keepalive_timers() {
    let (fsm, _) = reply_to_open(peer_open(65002, 0, PEER_ID));
    assert_eq!(fsm.state(), State::OpenConfirm);
    assert_eq!(fsm.next_deadline(), None);
}

#[test]
fn keepalive_in_open_confirm_reaches_established_with_session_facts() {
    let now = Instant::now();
    let mut fsm = open_confirm(now);
    let actions = fsm.handle(now, Event::Message(raw(Message::Keepalive)));
    let [Action::Established(session)] = actions.as_slice() else {
        panic!("expected Established, got {actions:?}");
    };
    assert_eq!(session.peer_as, 65002);
    assert_eq!(session.peer_id, PEER_ID);
    assert_eq!(session.hold_time, 90 * SECOND);
    assert!(session.negotiated.four_octet_as);
    assert_eq!(session.sent_open, *fsm.sent_open());
}

#[test]
fn hold_timer_expiry_in_open_sent_sends_notification_4_0() {
    let now = Instant::now();
    let mut fsm = open_sent(settings(), now);
    let actions = fsm.handle(now + LARGE_HOLD_TIME, Event::Timeout);
    assert_eq!(code(&actions), Some((4, 0)));
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn hold_timer_expiry_in_open_confirm_sends_notification_4_0() {
    let now = Instant::now();
    let mut fsm = open_confirm(now);
    // Keepalives (every 30 s) do not restart our hold timer; only the
    // peer's messages do.
    for t in [30, 60] {
        let actions = fsm.handle(now + t * SECOND, Event::Timeout);
        assert_eq!(actions, vec![Action::Send(Message::Keepalive)], "at {t} s");
    }
    let actions = fsm.handle(now + 90 * SECOND, Event::Timeout);
    assert_eq!(code(&actions), Some((4, 0)));
    assert!(matches!(
        actions.last(),
        Some(Action::Failed(Failure::SentNotification(_)))
    ));
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn hold_timer_expiry_in_established_sends_notification_4_0_and_goes_down() {
    let now = Instant::now();
    let mut fsm = established(now);
    let actions = fsm.handle(now + 90 * SECOND, Event::Timeout);
    assert_eq!(code(&actions), Some((4, 0)));
    assert!(matches!(
        actions.last(),
        Some(Action::Down(DownReason::LocalNotification(_)))
    ));
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn keepalive_timer_expiry_sends_keepalive_and_rearms() {
    let now = Instant::now();
    let mut fsm = established(now);
    let t = now + 30 * SECOND;
    assert_eq!(
        fsm.handle(t, Event::Timeout),
        vec![Action::Send(Message::Keepalive)]
    );
    assert_eq!(fsm.next_deadline(), Some(t + 30 * SECOND));
}

#[test]
fn keepalive_received_in_established_restarts_hold_timer() {
    let now = Instant::now();
    let mut fsm = established(now);
    fsm.handle(now + 80 * SECOND, Event::Message(raw(Message::Keepalive)));
    // Keepalives we send are due at 30/60/90; the hold timer is not.
    for t in [30, 60, 90, 120, 150] {
        let actions = fsm.handle(now + t * SECOND, Event::Timeout);
        assert_eq!(code(&actions), None, "at {t} s");
    }
    let actions = fsm.handle(now + 170 * SECOND, Event::Timeout);
    assert_eq!(code(&actions), Some((4, 0)));
}

#[test]
fn update_in_established_is_handed_over_with_its_bytes() {
    let now = Instant::now();
    let mut fsm = established(now);
    let bytes = raw(Message::Update(bgp::end_of_rib(Family::IPV4_UNICAST)));
    let actions = fsm.handle(now, Event::Message(bytes.clone()));
    assert_eq!(
        actions,
        vec![Action::Update {
            update: Update::default(),
            raw: bytes
        }]
    );
}

#[test]
fn route_refresh_in_established_is_handed_over() {
    let now = Instant::now();
    let mut fsm = established(now);
    let refresh = RouteRefresh::request(Family::IPV4_UNICAST);
    let actions = fsm.handle(now, Event::Message(raw(Message::RouteRefresh(refresh))));
    assert_eq!(actions, vec![Action::RouteRefresh(refresh)]);
}

#[test]
fn malformed_update_in_established_gets_notification_3_1() {
    let now = Instant::now();
    let mut fsm = established(now);
    let mut bytes = BytesMut::from(&[0xff; 16][..]);
    bytes.put_u16(23);
    bytes.put_u8(2);
    bytes.put_slice(&[0, 16, 0, 0]);
    let actions = fsm.handle(now, Event::Message(bytes.freeze()));
    assert_eq!(code(&actions), Some((3, 1)));
}

#[test]
fn framing_error_gets_notification_1_2() {
    let now = Instant::now();
    let mut fsm = established(now);
    let actions = fsm.handle(
        now,
        Event::FramingError(DecodeError::BadMessageLength(5000)),
    );
    let n = sent_notification(&actions).expect("notification");
    assert_eq!((n.code.code(), n.code.subcode()), (1, 2));
    assert_eq!(&n.data[..], &5000u16.to_be_bytes());
}

/// A KEEPALIVE's bytes with the header changed by `edit`.
fn edited_keepalive(edit: impl FnOnce(&mut BytesMut)) -> Bytes {
    let mut bytes = BytesMut::from(&raw(Message::Keepalive)[..]);
    edit(&mut bytes);
    bytes.freeze()
}

#[test]
fn message_with_a_marker_not_all_ones_gets_notification_1_1() {
    let now = Instant::now();
    let mut fsm = established(now);
    let bytes = edited_keepalive(|b| b[3] = 0xfe);
    let actions = fsm.handle(now, Event::Message(bytes));
    assert_eq!(code(&actions), Some((1, 1)));
    assert!(matches!(actions.last(), Some(Action::Down(_))));
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn message_over_4096_octets_without_extended_message_gets_notification_1_2() {
    let now = Instant::now();
    let mut fsm = established(now);
    assert!(!fsm.negotiated().extended_message);
    // An UPDATE of 4097 octets: empty withdrawn routes, then 4074 octets of
    // path attributes (ORIGIN repeated; the length check comes first).
    let mut bytes = BytesMut::from(&[0xff; 16][..]);
    bytes.put_u16(4097);
    bytes.put_u8(2);
    bytes.put_u16(0);
    bytes.put_u16(4074);
    bytes.put_bytes(0, 4074);
    assert_eq!(bytes.len(), 4097);
    let actions = fsm.handle(now, Event::Message(bytes.freeze()));
    let n = sent_notification(&actions).expect("notification");
    assert_eq!((n.code.code(), n.code.subcode()), (1, 2));
    assert_eq!(&n.data[..], &4097u16.to_be_bytes());
}

#[test]
fn message_with_an_unknown_type_gets_notification_1_3_with_the_type() {
    let now = Instant::now();
    let mut fsm = established(now);
    let bytes = edited_keepalive(|b| b[18] = 9);
    let actions = fsm.handle(now, Event::Message(bytes));
    let n = sent_notification(&actions).expect("notification");
    assert_eq!((n.code.code(), n.code.subcode()), (1, 3));
    assert_eq!(&n.data[..], &[9]);
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn unexpected_message_in_idle_is_ignored() {
    let mut fsm = Fsm::new(settings());
    assert!(fsm
        .handle(Instant::now(), Event::Message(raw(Message::Keepalive)))
        .is_empty());
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn unexpected_message_in_connect_drops_the_connection() {
    let now = Instant::now();
    let mut fsm = Fsm::new(settings());
    fsm.handle(now, Event::Start);
    let t = fsm.next_deadline().expect("armed");
    fsm.handle(t, Event::Timeout);
    assert_eq!(fsm.state(), State::Connect);
    let actions = fsm.handle(t, Event::Message(raw(Message::Keepalive)));
    assert_eq!(actions.first(), Some(&Action::Close));
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn unexpected_message_in_active_drops_the_connection() {
    let now = Instant::now();
    let mut fsm = Fsm::new(settings());
    fsm.handle(now, Event::Start);
    let actions = fsm.handle(now, Event::Message(raw(Message::Keepalive)));
    assert_eq!(actions.first(), Some(&Action::Close));
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn keepalive_in_open_sent_is_fsm_error_5_1() {
    let now = Instant::now();
    let mut fsm = open_sent(settings(), now);
    let actions = fsm.handle(now, Event::Message(raw(Message::Keepalive)));
    assert_eq!(code(&actions), Some((5, 1)));
}

#[test]
fn update_in_open_confirm_is_fsm_error_5_2() {
    let now = Instant::now();
    let mut fsm = open_confirm(now);
    let update = raw(Message::Update(Update::default()));
    assert_eq!(code(&fsm.handle(now, Event::Message(update))), Some((5, 2)));
}

#[test]
fn open_in_established_is_fsm_error_5_3() {
    let now = Instant::now();
    let mut fsm = established(now);
    let open = raw(Message::Open(peer_open(65002, 90, PEER_ID)));
    let actions = fsm.handle(now, Event::Message(open));
    assert_eq!(code(&actions), Some((5, 3)));
    assert!(matches!(actions.last(), Some(Action::Down(_))));
}

#[test]
fn notification_in_established_goes_down_with_remote_notification() {
    let now = Instant::now();
    let mut fsm = established(now);
    let bytes = raw(Message::Notification(Notification::new(ErrorCode::Cease(
        CeaseSubcode::AdministrativeReset,
    ))));
    let actions = fsm.handle(now, Event::Message(bytes.clone()));
    assert_eq!(
        actions,
        vec![
            Action::Close,
            Action::Down(DownReason::RemoteNotification(bytes))
        ]
    );
}

#[test]
fn notification_in_open_sent_closes_without_reply() {
    let now = Instant::now();
    let mut fsm = open_sent(settings(), now);
    let n = Notification::new(ErrorCode::Open(bgp::OpenSubcode::BadPeerAs));
    let actions = fsm.handle(now, Event::Message(raw(Message::Notification(n))));
    assert_eq!(code(&actions), None);
    assert_eq!(actions.first(), Some(&Action::Close));
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn connection_closed_in_established_is_down_remote_closed() {
    let now = Instant::now();
    let mut fsm = established(now);
    assert_eq!(
        fsm.handle(now, Event::ConnectionFailed),
        vec![Action::Down(DownReason::RemoteClosed)]
    );
    assert_eq!(fsm.state(), State::Idle);
}

#[test]
fn idle_hold_timer_restarts_the_fsm_after_a_reset() {
    let now = Instant::now();
    let mut fsm = established(now);
    fsm.handle(now, Event::ConnectionFailed);
    assert_eq!(fsm.next_deadline(), Some(now + 30 * SECOND));
    fsm.handle(now + 30 * SECOND, Event::Timeout);
    assert_eq!(fsm.state(), State::Active);
    assert!(fsm.next_deadline().is_some());
}

#[test]
fn no_idle_hold_after_a_session_with_graceful_restart_on_both_sides() {
    let gr = || {
        Capability::GracefulRestart(bgp::GracefulRestart {
            flags: 0,
            restart_time: 120,
            families: Vec::new(),
        })
    };
    let now = Instant::now();
    let mut ours = settings();
    ours.open.parameters = vec![OptionalParameter::Capabilities(vec![
        Capability::FourOctetAs(65001),
        gr(),
    ])];
    let mut theirs = peer_open(65002, 90, PEER_ID);
    theirs.parameters = vec![OptionalParameter::Capabilities(vec![
        Capability::FourOctetAs(65002),
        gr(),
    ])];
    let mut fsm = open_sent(ours.clone(), now);
    fsm.handle(now, Event::Message(raw(Message::Open(theirs))));
    fsm.handle(now, Event::Message(raw(Message::Keepalive)));
    assert_eq!(fsm.state(), State::Established);
    fsm.handle(now, Event::ConnectionFailed);
    assert_eq!(fsm.next_deadline(), Some(now), "restarts at once");
    fsm.handle(now, Event::Timeout);
    assert_eq!(fsm.state(), State::Active);

    // Only we advertise it: the usual idle hold.
    let mut fsm = open_sent(ours, now);
    let plain = peer_open(65002, 90, PEER_ID);
    fsm.handle(now, Event::Message(raw(Message::Open(plain))));
    fsm.handle(now, Event::Message(raw(Message::Keepalive)));
    fsm.handle(now, Event::ConnectionFailed);
    assert_eq!(fsm.next_deadline(), Some(now + 30 * SECOND));
}

#[test]
fn stop_in_established_sends_cease_and_stays_idle() {
    let now = Instant::now();
    let mut fsm = established(now);
    let cease = Notification::cease_with_communication(CeaseSubcode::AdministrativeShutdown, "bye")
        .expect("short text");
    let actions = fsm.handle(now, Event::Stop(cease.clone()));
    assert_eq!(sent_notification(&actions), Some(cease));
    assert_eq!(fsm.state(), State::Idle);
    assert_eq!(fsm.next_deadline(), None);
}

#[test]
fn open_collision_dump_sends_cease_6_7() {
    let now = Instant::now();
    let mut fsm = open_confirm(now);
    let actions = fsm.handle(now, Event::OpenCollisionDump);
    assert_eq!(code(&actions), Some((6, 7)));
    assert_eq!(fsm.state(), State::Idle);
}
