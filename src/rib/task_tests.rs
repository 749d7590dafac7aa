//! The rib task end to end: fake peers exchange routes through it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use ipnet::{IpNet, Ipv4Net};
use tokio::sync::mpsc;

use crate::config;
use crate::rib::event::{DownReason, Export, PeerEvent, SessionInfo};
use crate::wire::bgp::{
    self, AsPath, AttrValue, Message, Negotiated, Nlri, Origin, PathAttribute, Update,
};
use crate::wire::Family;

const CONFIG: &str = r#"
[global.config]
as = 65001
router-id = "192.0.2.1"

[[neighbors]]
[neighbors.config]
neighbor-address = "192.0.2.2"
peer-as = 65002

[[neighbors]]
[neighbors.config]
neighbor-address = "192.0.2.3"
peer-as = 65003
"#;

fn cx() -> Negotiated {
    Negotiated {
        four_octet_as: true,
        external: true,
        ..Negotiated::default()
    }
}

fn session(config: &config::Config, n: u8) -> Arc<SessionInfo> {
    let peer = IpAddr::V4(Ipv4Addr::new(192, 0, 2, n));
    let neighbor = config
        .neighbors
        .iter()
        .find(|nb| nb.address == config::PeerAddress::Ip(peer))
        .cloned()
        .expect("neighbor in test config");
    Arc::new(SessionInfo {
        peer,
        local_as: 65001,
        peer_as: neighbor.peer_as,
        neighbor: Arc::new(neighbor),
        local: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 179),
        remote: SocketAddr::new(peer, 40000),
        local_id: Ipv4Addr::new(192, 0, 2, 1),
        peer_id: Ipv4Addr::new(10, 0, 0, n),
        negotiated: cx(),
        sent_open: Bytes::new(),
        received_open: Bytes::new(),
        established_at: SystemTime::now(),
    })
}

struct Fake {
    peer: IpAddr,
    rx: mpsc::UnboundedReceiver<Export>,
}

async fn up(events: &mpsc::Sender<PeerEvent>, config: &config::Config, n: u8) -> Fake {
    let info = session(config, n);
    let (tx, rx) = mpsc::unbounded_channel();
    let peer = info.peer;
    events
        .send(PeerEvent::Up { info, exports: tx })
        .await
        .expect("rib task alive");
    Fake { peer, rx }
}

fn prefixes(count: u32) -> Vec<Nlri> {
    (0..count)
        .map(|i| {
            let addr = Ipv4Addr::from(0x0a00_0000 + (i << 8));
            Nlri::new(IpNet::V4(Ipv4Net::new(addr, 24).expect("valid length")))
        })
        .collect()
}

fn announcement(nlri: Vec<Nlri>, asn: u32, next_hop: Ipv4Addr) -> Update {
    Update {
        attributes: vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![asn]))),
            PathAttribute::new(AttrValue::NextHop(next_hop)),
        ],
        nlri,
        ..Update::default()
    }
}

async fn send_update(events: &mpsc::Sender<PeerEvent>, from: &Fake, update: Update) {
    let raw = Message::Update(update.clone())
        .to_bytes(&cx())
        .expect("encodes");
    events
        .send(PeerEvent::Update {
            peer: from.peer,
            update,
            raw,
            received_at: SystemTime::now(),
            sets: Vec::new(),
        })
        .await
        .expect("rib task alive");
}

/// The messages of the next [`Export::Messages`] (skipping the UPDATEs
/// handed back).
async fn next_messages(fake: &mut Fake) -> Vec<Bytes> {
    for _ in 0..1000 {
        let export = tokio::time::timeout(Duration::from_secs(10), fake.rx.recv())
            .await
            .expect("an export in time")
            .expect("channel open");
        if let Export::Messages(messages) = export {
            return messages;
        }
    }
    panic!("no messages among 1000 exports");
}

/// The next export, decoded.
async fn next_updates(fake: &mut Fake) -> Vec<Update> {
    let messages = next_messages(fake).await;
    messages
        .into_iter()
        .map(|m| match Message::decode(m, &cx()) {
            Ok(Message::Update(update)) => update,
            other => panic!("expected an UPDATE, got {other:?}"),
        })
        .collect()
}

/// Collects exports until `count` prefixes were announced (or withdrawn
/// with `withdrawn`).
async fn collect(fake: &mut Fake, count: usize, withdrawn: bool) -> Vec<Update> {
    if withdrawn {
        collect_both(fake, count, 0).await
    } else {
        collect_both(fake, 0, count).await
    }
}

/// Collects exports until exactly `withdrawn` prefixes were withdrawn and
/// `announced` announced (UPDATEs received back to back may come in one
/// export).
async fn collect_both(fake: &mut Fake, withdrawn: usize, announced: usize) -> Vec<Update> {
    let mut all = Vec::new();
    let (mut gone, mut new) = (0, 0);
    while gone < withdrawn || new < announced {
        let updates = next_updates(fake).await;
        gone += updates.iter().map(|u| u.withdrawn.len()).sum::<usize>();
        new += updates.iter().map(|u| u.nlri.len()).sum::<usize>();
        all.extend(updates);
    }
    assert_eq!((gone, new), (withdrawn, announced));
    all
}

fn config() -> config::Config {
    config::parse(CONFIG, "test.toml").expect("test config parses")
}

/// A rib task on the test configuration.
fn spawn() -> (
    config::Config,
    mpsc::Sender<PeerEvent>,
    tokio::task::JoinHandle<()>,
) {
    let config = config();
    let crate::rib::RibHandle { events, task, .. } =
        crate::rib::spawn(Arc::new(config.global.clone()));
    (config, events, task)
}

/// Drops the last sender and waits for the task to end.
async fn finish(events: mpsc::Sender<PeerEvent>, task: tokio::task::JoinHandle<()>) {
    drop(events);
    task.await.expect("task ends");
}

/// Peers A (192.0.2.2) and B (192.0.2.3) up, each past its initial
/// End-of-RIB.
async fn a_and_b(events: &mpsc::Sender<PeerEvent>, config: &config::Config) -> (Fake, Fake) {
    let mut a = up(events, config, 2).await;
    let mut b = up(events, config, 3).await;
    next_updates(&mut a).await;
    next_updates(&mut b).await;
    (a, b)
}

/// `nlri` announced by A (AS 65002, next hop 192.0.2.2).
fn from_a(nlri: Vec<Nlri>) -> Update {
    announcement(nlri, 65002, Ipv4Addr::new(192, 0, 2, 2))
}

/// Hands `event` to the rib task.
async fn send_event(events: &mpsc::Sender<PeerEvent>, event: PeerEvent) {
    events.send(event).await.expect("task alive");
}

/// A announces `nlri` and B receives all of it.
async fn a_announces_to_b(events: &mpsc::Sender<PeerEvent>, a: &Fake, b: &mut Fake, nlri: &[Nlri]) {
    send_update(events, a, from_a(nlri.to_vec())).await;
    collect(b, nlri.len(), false).await;
}

/// `update` with a treat-as-withdraw attribute error.
fn treat_as_withdraw(mut update: Update) -> Update {
    update.errors.push(bgp::AttrError {
        type_code: 1,
        action: bgp::AttrAction::TreatAsWithdraw,
        error: bgp::DecodeError::MalformedAttributeList,
    });
    update
}

/// 172.16.0.0/16, outside [`prefixes`].
fn other_prefix() -> Nlri {
    Nlri::new(IpNet::V4(
        Ipv4Net::new(Ipv4Addr::new(172, 16, 0, 0), 16).expect("valid"),
    ))
}

fn check_announcements(updates: &[Update], expected: &[Nlri]) {
    let mut got: Vec<Nlri> = updates
        .iter()
        .flat_map(|u| u.nlri.iter().copied())
        .collect();
    got.sort();
    let mut want = expected.to_vec();
    want.sort();
    assert_eq!(got, want);
    for update in updates.iter().filter(|u| !u.nlri.is_empty()) {
        let path = update
            .attribute(bgp::AttrType::AsPath)
            .map(|a| a.value.clone());
        assert_eq!(
            path,
            Some(AttrValue::AsPath(AsPath::from_sequence(vec![65001, 65002])))
        );
        let next_hop = update
            .attribute(bgp::AttrType::NextHop)
            .map(|a| a.value.clone());
        assert_eq!(
            next_hop,
            Some(AttrValue::NextHop(Ipv4Addr::new(192, 0, 2, 1)))
        );
        assert!(update.attribute(bgp::AttrType::LocalPref).is_none());
    }
}

#[tokio::test]
async fn thousand_prefixes_from_one_peer_reach_the_other_packed() {
    let (config, events, task) = spawn();
    let mut a = up(&events, &config, 2).await;
    let mut b = up(&events, &config, 3).await;
    // Empty table: End-of-RIB only.
    assert_eq!(next_updates(&mut a).await.len(), 1);
    let eor = next_updates(&mut b).await;
    assert_eq!(eor.len(), 1);
    assert_eq!(eor[0].is_end_of_rib(), Some(Family::IPV4_UNICAST));

    let all = prefixes(1000);
    for chunk in all.chunks(250) {
        send_update(&events, &a, from_a(chunk.to_vec())).await;
    }
    let updates = collect(&mut b, 1000, false).await;
    check_announcements(&updates, &all);
    // One export per event: four UPDATEs in, four exports of full messages.
    assert!(updates.len() <= 8, "{} messages", updates.len());

    send_update(&events, &a, Update::default()).await;
    drop(events);
    task.await.expect("task ends when senders are dropped");
    // The source gets its UPDATEs back to free, and no message.
    let mut spent = 0;
    while let Ok(export) = a.rx.try_recv() {
        match export {
            Export::Spent(updates) => spent += updates.len(),
            Export::Messages(m) => panic!("messages sent back to the source: {m:?}"),
        }
    }
    assert_eq!(spent, 5, "every UPDATE handed back");
}

#[tokio::test]
async fn initial_table_is_packed_then_end_of_rib() {
    let (config, events, task) = spawn();
    let mut a = up(&events, &config, 2).await;
    next_updates(&mut a).await;
    let all = prefixes(1000);
    send_update(&events, &a, from_a(all.clone())).await;
    let mut b = up(&events, &config, 3).await;
    let updates = next_updates(&mut b).await;
    let (last, routes) = updates.split_last().expect("messages");
    assert_eq!(last.is_end_of_rib(), Some(Family::IPV4_UNICAST));
    check_announcements(routes, &all);
    // 1000 /24s at 4 octets each, plus header and attributes: 4041
    // octets, one message.
    assert_eq!(routes.len(), 1);
    finish(events, task).await;
}

#[tokio::test]
async fn peer_down_withdraws_its_routes_from_the_others() {
    let (config, events, task) = spawn();
    let (a, mut b) = a_and_b(&events, &config).await;
    let all = prefixes(1000);
    a_announces_to_b(&events, &a, &mut b, &all).await;
    send_event(
        &events,
        PeerEvent::Down {
            peer: a.peer,
            reason: DownReason::RemoteClosed,
        },
    )
    .await;
    let updates = collect(&mut b, 1000, true).await;
    let mut withdrawn: Vec<Nlri> = updates
        .iter()
        .flat_map(|u| u.withdrawn.iter().copied())
        .collect();
    withdrawn.sort();
    assert_eq!(withdrawn, all);
    finish(events, task).await;
}

#[tokio::test]
async fn route_refresh_resends_the_adj_rib_out() {
    let (config, events, task) = spawn();
    let (a, mut b) = a_and_b(&events, &config).await;
    let all = prefixes(10);
    a_announces_to_b(&events, &a, &mut b, &all).await;
    send_event(
        &events,
        PeerEvent::RouteRefresh {
            peer: b.peer,
            family: Family::IPV4_UNICAST,
        },
    )
    .await;
    let updates = collect(&mut b, 10, false).await;
    check_announcements(&updates, &all);
    finish(events, task).await;
}

#[tokio::test]
async fn treat_as_withdraw_update_withdraws_its_prefixes() {
    let (config, events, task) = spawn();
    let (a, mut b) = a_and_b(&events, &config).await;
    let all = prefixes(3);
    a_announces_to_b(&events, &a, &mut b, &all).await;
    let broken = treat_as_withdraw(from_a(all.clone()));
    // The task sees the decoded value, errors included.
    send_event(
        &events,
        PeerEvent::Update {
            peer: a.peer,
            update: broken,
            raw: Bytes::new(),
            received_at: SystemTime::now(),
            sets: Vec::new(),
        },
    )
    .await;
    collect(&mut b, 3, true).await;
    finish(events, task).await;
}

#[tokio::test]
async fn peer_with_closed_export_channel_is_forgotten() {
    let (config, events, task) = spawn();
    let a = up(&events, &config, 2).await;
    let mut b = up(&events, &config, 3).await;
    next_updates(&mut b).await;
    a_announces_to_b(&events, &a, &mut b, &prefixes(5)).await;
    drop(a);
    // B announces: sending it to A fails, so A is taken down and its five
    // routes are withdrawn from B.
    let from_b = Fake {
        peer: b.peer,
        rx: mpsc::unbounded_channel().1,
    };
    let other = vec![other_prefix()];
    send_update(
        &events,
        &from_b,
        announcement(other, 65003, Ipv4Addr::new(192, 0, 2, 3)),
    )
    .await;
    collect(&mut b, 5, true).await;
    finish(events, task).await;
}

#[test]
fn counters_follow_duplicates_loops_and_treat_as_withdraw() {
    let config = config();
    let mut rib = crate::rib::Rib::new(Arc::new(config.global.clone()));
    let info = session(&config, 2);
    let peer = info.peer;
    rib.peer_up(info);
    let next_hop = Ipv4Addr::new(192, 0, 2, 2);
    rib.update(peer, &announcement(prefixes(3), 65002, next_hop));
    rib.update(peer, &announcement(prefixes(3), 65002, next_hop));
    let mut looping = announcement(vec![other_prefix()], 65002, next_hop);
    looping.attributes[1] =
        PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![65002, 65001])));
    rib.update(peer, &looping);
    rib.update(
        peer,
        &treat_as_withdraw(announcement(prefixes(2), 65002, next_hop)),
    );
    let counters = *rib.counters(peer).expect("peer is up");
    assert_eq!(counters.duplicates, 3);
    // The second UPDATE changed nothing (BMP type 13); the others did.
    assert_eq!(counters.duplicate_updates, 1);
    assert_eq!(counters.as_path_loops, 1);
    // A loop is not a policy rejection (BMP type 0).
    assert_eq!(counters.rejected, 0);
    assert_eq!(counters.treat_as_withdraw_updates, 1);
    assert_eq!(counters.treat_as_withdraw_prefixes, 2);
    // 3 announced + 1 looped - 2 treated as withdraw.
    assert_eq!(counters.adj_rib_in.ipv4_unicast, 2);
    assert_eq!(counters.loc_rib.ipv4_unicast, 1);
    assert_eq!(rib.loc_rib().prefixes(Family::IPV4_UNICAST), 1);
    let post = rib.adj_rib_in_post_policy(peer).expect("peer is up");
    assert_eq!(post.iter().count(), 1);
    assert_eq!(rib.adj_rib_in(peer).map(|t| t.len()), Some(2));
    // Treat-as-withdraw of prefixes never received is no duplicate
    // withdraw (BMP type 2); an explicit withdrawal of one is.
    let unknown = Nlri::new(IpNet::V4(
        Ipv4Net::new(Ipv4Addr::new(192, 168, 0, 0), 16).expect("valid"),
    ));
    rib.update(
        peer,
        &treat_as_withdraw(announcement(vec![unknown], 65002, next_hop)),
    );
    assert_eq!(rib.counters(peer).map(|c| c.unknown_withdrawals), Some(0));
    rib.update(
        peer,
        &Update {
            withdrawn: vec![unknown],
            ..Update::default()
        },
    );
    assert_eq!(rib.counters(peer).map(|c| c.unknown_withdrawals), Some(1));
    // That withdrawal changed nothing either: a duplicate UPDATE. One
    // with a new prefix among duplicates is not, nor an End-of-RIB.
    assert_eq!(rib.counters(peer).map(|c| c.duplicate_updates), Some(2));
    rib.update(peer, &announcement(prefixes(4), 65002, next_hop));
    rib.update(peer, &Update::default());
    assert_eq!(rib.counters(peer).map(|c| c.duplicate_updates), Some(2));
    rib.update(peer, &announcement(prefixes(4), 65002, next_hop));
    assert_eq!(rib.counters(peer).map(|c| c.duplicate_updates), Some(3));
}

#[test]
fn two_octet_peer_receives_as_trans_and_as4_path() {
    let config = config();
    let mut rib = crate::rib::Rib::new(Arc::new(config.global.clone()));
    let a = session(&config, 2);
    let mut b = (*session(&config, 3)).clone();
    b.negotiated.four_octet_as = false;
    let (peer_a, peer_b) = (a.peer, b.peer);
    rib.peer_up(a);
    rib.peer_up(Arc::new(b));
    let mut update = from_a(prefixes(1));
    update.attributes[1] = PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![
        4_200_000_001,
    ])));
    let outgoing = rib.update(peer_a, &update);
    let (_, messages) = outgoing
        .iter()
        .find(|(p, _)| *p == peer_b)
        .expect("B gets the route");
    let two_octet = Negotiated {
        four_octet_as: false,
        ..cx()
    };
    let Ok(Message::Update(sent)) = Message::decode(messages[0].clone(), &two_octet) else {
        panic!("an UPDATE");
    };
    assert_eq!(
        sent.attribute(bgp::AttrType::AsPath)
            .map(|a| a.value.clone()),
        Some(AttrValue::AsPath(AsPath::from_sequence(vec![65001, 23456])))
    );
    assert_eq!(
        sent.attribute(bgp::AttrType::As4Path)
            .map(|a| a.value.clone()),
        Some(AttrValue::As4Path(AsPath::from_sequence(vec![
            65001,
            4_200_000_001
        ])))
    );
}

/// UPDATEs the task takes back to back are decided as one: the peers
/// get what the last of them leaves, as if each was applied in turn.
#[test]
fn updates_taken_together_export_only_their_outcome() {
    let config = config();
    let rib_with_peers = || {
        let mut rib = crate::rib::Rib::new(Arc::new(config.global.clone()));
        rib.peer_up(session(&config, 2));
        rib.peer_up(session(&config, 3));
        rib
    };
    let (a, b) = (session(&config, 2).peer, session(&config, 3).peer);
    let nlri = prefixes(3);
    let updates = vec![
        from_a(nlri.clone()),
        Update {
            withdrawn: nlri[..1].to_vec(),
            ..Update::default()
        },
        announcement(nlri[1..2].to_vec(), 65009, Ipv4Addr::new(192, 0, 2, 2)),
    ];
    let mut together = rib_with_peers();
    let mut batch: Vec<_> = updates.iter().map(|u| (a, u.clone(), Vec::new())).collect();
    let outgoing = together.updates_prepared(&mut batch);
    let to_b: Vec<Update> = outgoing
        .iter()
        .filter(|(peer, _)| *peer == b)
        .flat_map(|(_, messages)| messages.iter())
        .map(|m| match Message::decode(m.clone(), &cx()) {
            Ok(Message::Update(update)) => update,
            other => panic!("not an UPDATE: {other:?}"),
        })
        .collect();
    assert!(
        to_b.iter().all(|u| u.withdrawn.is_empty()),
        "never sent: nothing to withdraw"
    );
    let mut sent: Vec<(IpNet, Option<AttrValue>)> = to_b
        .iter()
        .flat_map(|u| {
            let path = u.attribute(bgp::AttrType::AsPath).map(|a| a.value.clone());
            u.nlri.iter().map(move |n| (n.prefix, path.clone()))
        })
        .collect();
    sent.sort_by_key(|(prefix, _)| *prefix);
    let path = |asns: Vec<u32>| Some(AttrValue::AsPath(AsPath::from_sequence(asns)));
    assert_eq!(
        sent,
        vec![
            (nlri[1].prefix, path(vec![65001, 65009])),
            (nlri[2].prefix, path(vec![65001, 65002])),
        ]
    );
    // The same Loc-RIB as one UPDATE at a time.
    let mut one_by_one = rib_with_peers();
    for update in &updates {
        one_by_one.update(a, update);
    }
    let bests = |rib: &crate::rib::Rib| {
        let mut all: Vec<(IpNet, String)> = rib
            .loc_rib()
            .destinations(Family::IPV4_UNICAST)
            .filter_map(|(prefix, d)| Some((prefix, format!("{:?}", d.best()?.attrs.as_path()))))
            .collect();
        all.sort();
        all
    };
    assert_eq!(bests(&together), bests(&one_by_one));
}

#[path = "monitoring_tests.rs"]
mod monitoring;

#[path = "multipath_tests.rs"]
mod multipath;

#[path = "policy_tests.rs"]
mod policy;

#[path = "graceful_tests.rs"]
mod graceful;
