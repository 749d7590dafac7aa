//! Graceful restart, receiving speaker (RFC 4724 §4.2, RFC 8538): A
//! (graceful restart enabled) restarts; B, a plain peer, is told nothing
//! until A's routes really go.

use std::time::Instant;

use super::*;
use crate::rib::state::{graceful_now, STALE_PATH_TIME};
use crate::rib::{Outgoing, Rib};
use crate::wire::bgp::{
    Capability, CeaseSubcode, ErrorCode, GracefulRestart, GracefulRestartFamily, Notification, Open,
};

/// The test configuration with graceful restart (and its N bit) enabled
/// for A (192.0.2.2), not for B (192.0.2.3).
fn gr_config() -> config::Config {
    let a = "peer-as = 65002\n";
    let text = CONFIG.replacen(
        a,
        &format!(
            "{a}[neighbors.graceful-restart.config]\nenabled = true\nnotification-enabled = true\n"
        ),
        1,
    );
    config::parse(&text, "gr.toml").expect("parses")
}

const RESTART_TIME: u64 = 120;

/// An OPEN (whole message) with a graceful restart capability for IPv4
/// unicast: the N bit when `notification`, the F bit when `forwarding`.
fn open_with_gr(notification: bool, forwarding: bool) -> Bytes {
    let gr = GracefulRestart {
        flags: if notification { 0x4 } else { 0 },
        restart_time: RESTART_TIME as u16,
        families: vec![GracefulRestartFamily {
            family: Family::IPV4_UNICAST,
            flags: if forwarding { 0x80 } else { 0 },
        }],
    };
    let open = Open::new(
        65002,
        90,
        Ipv4Addr::new(10, 0, 0, 2),
        vec![Capability::GracefulRestart(gr)],
    );
    Message::Open(open)
        .to_bytes(&Negotiated::default())
        .expect("an OPEN encodes")
}

/// A's session: its OPEN lists IPv4 unicast for graceful restart (F bit
/// as `forwarding`), and both OPENs set the N bit.
fn a_session(config: &config::Config, forwarding: bool) -> Arc<SessionInfo> {
    let mut info = (*session(config, 2)).clone();
    info.received_open = open_with_gr(true, forwarding);
    info.sent_open = open_with_gr(true, false);
    Arc::new(info)
}

/// A and B up, A announcing three prefixes; the rib, A and B.
fn restarting_a() -> (Rib, IpAddr, IpAddr) {
    let config = gr_config();
    let mut rib = Rib::new(Arc::new(config.global.clone()));
    let a = a_session(&config, true);
    let (a_peer, b_peer) = (a.peer, session(&config, 3).peer);
    rib.peer_up(a);
    rib.peer_up(session(&config, 3));
    let out = rib.update(a_peer, &from_a(prefixes(3)));
    assert_eq!(changes_for(&out, b_peer), (0, 3));
    (rib, a_peer, b_peer)
}

/// (withdrawn, announced) prefixes in what `outgoing` sends `peer`.
fn changes_for(outgoing: &[(IpAddr, Vec<Bytes>)], peer: IpAddr) -> (usize, usize) {
    let mut counts = (0, 0);
    for message in outgoing
        .iter()
        .filter(|(p, _)| *p == peer)
        .flat_map(|(_, m)| m)
    {
        if let Ok(Message::Update(update)) = Message::decode(message.clone(), &cx()) {
            counts.0 += update.withdrawn.len();
            counts.1 += update.nlri.len();
        }
    }
    counts
}

/// A NOTIFICATION with `code`, whole message.
fn notification(code: ErrorCode) -> Bytes {
    Message::Notification(Notification::new(code))
        .to_bytes(&Negotiated::default())
        .expect("a NOTIFICATION encodes")
}

fn v4_routes(rib: &Rib) -> usize {
    rib.loc_rib().prefixes(Family::IPV4_UNICAST)
}

/// Loc-RIB's IPv4 paths as the API lists them.
fn global_paths(rib: &mut Rib) -> Vec<crate::rib::query::Route> {
    use crate::rib::query::{Query, Table};
    let (reply, mut answer) = tokio::sync::oneshot::channel();
    rib.query(Query::Paths {
        table: Table::Global,
        family: Family::IPV4_UNICAST,
        reply,
    });
    answer.try_recv().expect("answered").expect("Loc-RIB")
}

/// How many of Loc-RIB's IPv4 paths the API shows stale.
fn stale_paths(rib: &mut Rib) -> usize {
    global_paths(rib).iter().filter(|r| r.stale).count()
}

fn again(rib: &mut Rib, forwarding: bool) -> Outgoing {
    let config = gr_config();
    rib.peer_up(a_session(&config, forwarding))
}

#[test]
fn a_restarting_peers_routes_are_kept_until_its_end_of_rib() {
    let (mut rib, a, b) = restarting_a();
    let out = rib.session_down(a, &DownReason::RemoteClosed);
    assert_eq!(changes_for(&out, b), (0, 0), "B sees no change");
    assert_eq!((v4_routes(&rib), rib.stale_len(a)), (3, 3));
    assert!(rib.session(a).is_none(), "A's session is gone");
    // Listed stale, aged from when the session that went down came up.
    let paths = global_paths(&mut rib);
    assert_eq!(paths.iter().filter(|r| r.stale).count(), 3);
    let ages: Vec<_> = paths.iter().map(|r| r.source.map(|s| s.since)).collect();
    assert!(
        ages.iter().all(|at| *at > Some(SystemTime::UNIX_EPOCH)),
        "{ages:?}"
    );

    // Back: its stale routes are taken over, not sent back to it.
    let out = again(&mut rib, true);
    assert_eq!(changes_for(&out, b), (0, 0));
    assert_eq!(changes_for(&out, a), (0, 0), "its own routes");
    assert_eq!(rib.counters(a).map(|c| c.adj_rib_in.total()), Some(3));
    // The first prefix again, unchanged; the second with a new AS_PATH.
    let all = prefixes(3);
    let out = rib.update(a, &from_a(vec![all[0]]));
    assert_eq!(changes_for(&out, b), (0, 0));
    let longer = announcement(vec![all[1]], 65002, Ipv4Addr::new(192, 0, 2, 2));
    let mut longer = longer;
    longer.attributes[1] =
        PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![65002, 65010])));
    let out = rib.update(a, &longer);
    assert_eq!(changes_for(&out, b), (0, 1));
    assert_eq!(rib.stale_len(a), 1);
    assert_eq!(stale_paths(&mut rib), 1, "the API marks the stale path");

    // End-of-RIB: the third, not received again, goes.
    let out = rib.update(a, &Update::default());
    assert_eq!(changes_for(&out, b), (1, 0));
    assert_eq!((v4_routes(&rib), rib.stale_len(a)), (2, 0));
    assert_eq!(stale_paths(&mut rib), 0);
    assert_eq!(rib.counters(a).map(|c| c.adj_rib_in.total()), Some(2));
    assert!(rib.next_stale_deadline().is_none());
}

#[test]
fn stale_routes_go_when_the_restart_timer_ends() {
    let (mut rib, a, b) = restarting_a();
    let start = graceful_now();
    rib.session_down(a, &DownReason::LocalNoNotification(18));
    let deadline = rib.next_stale_deadline().expect("a restart timer");
    assert!(deadline >= start + Duration::from_secs(RESTART_TIME));
    assert!(rib.expire_stale(start).is_empty(), "not yet");
    assert_eq!(v4_routes(&rib), 3);
    let out = rib.expire_stale(deadline);
    assert_eq!(changes_for(&out, b), (3, 0));
    assert_eq!((v4_routes(&rib), rib.stale_len(a)), (0, 0));
    // Back after that: a new session like any other.
    let out = again(&mut rib, true);
    assert_eq!(changes_for(&out, b), (0, 0));
    assert_eq!(rib.counters(a).map(|c| c.adj_rib_in.total()), Some(0));
}

#[test]
fn the_stale_path_timer_ends_a_restart_without_end_of_rib() {
    let (mut rib, a, b) = restarting_a();
    rib.session_down(a, &DownReason::RemoteClosed);
    let back = Instant::now();
    again(&mut rib, true);
    rib.update(a, &from_a(prefixes(1)));
    let deadline = rib.next_stale_deadline().expect("the stale-path timer");
    assert!(deadline >= back + STALE_PATH_TIME);
    let out = rib.expire_stale(deadline);
    assert_eq!(changes_for(&out, b), (2, 0));
    assert_eq!(v4_routes(&rib), 1);
    assert_eq!(rib.counters(a).map(|c| c.loc_rib.total()), Some(1));
}

#[test]
fn a_family_back_without_forwarding_state_loses_its_stale_routes_at_once() {
    let (mut rib, a, b) = restarting_a();
    rib.session_down(a, &DownReason::RemoteClosed);
    let out = again(&mut rib, false);
    assert_eq!(changes_for(&out, b), (3, 0));
    assert_eq!((v4_routes(&rib), rib.stale_len(a)), (0, 0));
    assert_eq!(rib.counters(a).map(|c| c.adj_rib_in.total()), Some(0));
}

#[test]
fn a_removed_neighbor_loses_its_stale_routes() {
    let (mut rib, a, b) = restarting_a();
    rib.session_down(a, &DownReason::RemoteClosed);
    let out = rib.forget_stale(a);
    assert_eq!(changes_for(&out, b), (3, 0));
    assert!(rib.next_stale_deadline().is_none());
}

/// Which endings keep the routes: none without the capability on both
/// sides; a NOTIFICATION only with the N bit on both sides, never our own
/// Cease nor a Hard Reset.
#[test]
fn graceful_restart_follows_how_the_session_ended() {
    let hold_expired = notification(ErrorCode::HoldTimerExpired(0));
    let admin = notification(ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown));
    let hard = notification(ErrorCode::Cease(CeaseSubcode::HardReset));
    let cases = [
        (DownReason::RemoteClosed, true),
        (DownReason::LocalNoNotification(18), true),
        (DownReason::LocalNotification(hold_expired.clone()), true),
        (DownReason::RemoteNotification(hold_expired), true),
        (DownReason::RemoteNotification(admin.clone()), true),
        (DownReason::LocalNotification(admin), false),
        (DownReason::RemoteNotification(hard), false),
        (DownReason::Deconfigured, false),
    ];
    for (reason, kept) in cases {
        let (mut rib, a, b) = restarting_a();
        let out = rib.session_down(a, &reason);
        let want = if kept { (0, 0) } else { (3, 0) };
        assert_eq!(changes_for(&out, b), want, "{reason:?}");
    }

    // Without the N bit in our OPEN, a NOTIFICATION ends it all.
    let config = gr_config();
    let mut rib = Rib::new(Arc::new(config.global.clone()));
    let mut info = (*a_session(&config, true)).clone();
    info.sent_open = open_with_gr(false, false);
    let a = info.peer;
    rib.peer_up(Arc::new(info));
    rib.update(a, &from_a(prefixes(2)));
    let timer = notification(ErrorCode::HoldTimerExpired(0));
    rib.session_down(a, &DownReason::LocalNotification(timer));
    assert_eq!(v4_routes(&rib), 0);

    // B has graceful restart off in our configuration: nothing kept.
    let mut info = (*session(&config, 3)).clone();
    info.received_open = open_with_gr(true, true);
    let b = info.peer;
    rib.peer_up(Arc::new(info));
    rib.update(
        b,
        &announcement(prefixes(2), 65003, Ipv4Addr::new(192, 0, 2, 3)),
    );
    rib.session_down(b, &DownReason::RemoteClosed);
    assert_eq!((v4_routes(&rib), rib.stale_len(b)), (0, 0));
}

/// Through the rib task with paused time: the restart timer runs on
/// tokio's clock and withdraws A's routes from B when it ends.
#[tokio::test(start_paused = true)]
async fn the_rib_task_runs_the_restart_timer() {
    let config = gr_config();
    let crate::rib::RibHandle { events, task, .. } =
        crate::rib::spawn(Arc::new(config.global.clone()));
    let (tx, rx) = mpsc::unbounded_channel();
    let info = a_session(&config, true);
    let a = Fake {
        peer: info.peer,
        rx,
    };
    send_event(&events, PeerEvent::Up { info, exports: tx }).await;
    let mut b = up(&events, &config, 3).await;
    next_updates(&mut b).await; // End-of-RIB
    send_update(&events, &a, from_a(prefixes(3))).await;
    collect(&mut b, 3, false).await;
    let down = PeerEvent::Down {
        peer: a.peer,
        reason: DownReason::RemoteClosed,
    };
    send_event(&events, down).await;
    tokio::time::sleep(Duration::from_secs(RESTART_TIME - 1)).await;
    assert!(b.rx.try_recv().is_err(), "nothing before the restart time");
    tokio::time::sleep(Duration::from_secs(2)).await;
    collect(&mut b, 3, true).await;
    finish(events, task).await;
}

/// (withdrawn, announced) prefixes of `peer`'s post-policy Adj-RIB-In
/// items on `rx`.
fn post_policy_changes(
    rx: &mut mpsc::UnboundedReceiver<crate::rib::monitor::Monitor>,
    peer: IpAddr,
) -> (usize, usize) {
    use crate::rib::monitor::{Monitor, View};
    let mut counts = (0, 0);
    while let Ok(item) = rx.try_recv() {
        let Monitor::Route {
            peer: Some(info),
            view: View::AdjRibInPost,
            messages,
            ..
        } = item
        else {
            continue;
        };
        if info.peer != peer {
            continue;
        }
        for message in messages {
            if let Ok(Message::Update(update)) = Message::decode(message, &cx()) {
                counts.0 += update.withdrawn.len();
                counts.1 += update.nlri.len();
            }
        }
    }
    counts
}

/// BMP: A's new session starts with an empty post-policy view at the
/// station, so the routes it took over are announced there after its
/// Peer Up, and the stale ones withdrawn there at End-of-RIB.
#[test]
fn the_post_policy_view_of_the_new_session_holds_the_routes_taken_over() {
    use crate::rib::monitor::{Queue, Request, Subscription, View, Views};
    let (mut rib, a, _) = restarting_a();
    let (tx, mut rx) = mpsc::unbounded_channel();
    rib.request(Request::Subscribe(Subscription {
        views: Views::of(&[View::AdjRibInPost]),
        mirroring: false,
        queue: Arc::new(Queue::new(1 << 24)),
        tx,
    }));
    for _ in 0..1000 {
        if !rib.dump_step(4096) {
            break;
        }
    }
    assert_eq!(post_policy_changes(&mut rx, a), (0, 3), "the dump");
    rib.session_down(a, &DownReason::RemoteClosed);
    again(&mut rib, true);
    assert_eq!(post_policy_changes(&mut rx, a), (0, 3), "taken over");
    rib.update(a, &from_a(prefixes(1)));
    assert_eq!(post_policy_changes(&mut rx, a), (0, 1));
    rib.update(a, &Update::default());
    assert_eq!(post_policy_changes(&mut rx, a), (2, 0), "the stale ones");
}
