//! BMP subscriptions through the real rib task: the order of a stream,
//! dumps as snapshots with live changes after them, byte accounting, Peer
//! Down reasons and statistics.

use std::collections::BTreeSet;

use tokio::sync::oneshot;

use super::*;
use crate::rib::monitor::{Monitor, Queue, Request, Stats, Subscription, View, Views};
use crate::rib::RibHandle;

/// A rib task with its request channel.
fn spawn_with_requests() -> (config::Config, RibHandle) {
    let config = config();
    let handle = crate::rib::spawn(Arc::new(config.global.clone()));
    (config, handle)
}

struct Client {
    rx: mpsc::UnboundedReceiver<Monitor>,
    queue: Arc<Queue>,
}

async fn subscribe(rib: &RibHandle, views: &[View], limit: usize) -> Client {
    let (tx, rx) = mpsc::unbounded_channel();
    let queue = Arc::new(Queue::new(limit));
    let sub = Subscription {
        views: Views::of(views),
        mirroring: true,
        queue: queue.clone(),
        tx,
    };
    rib.requests
        .send(Request::Subscribe(sub))
        .await
        .expect("rib alive");
    Client { rx, queue }
}

impl Client {
    /// The next item, credited as a client does once written.
    async fn next(&mut self) -> Monitor {
        let item = tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
            .await
            .expect("an item in time")
            .expect("subscription open");
        self.queue.credit(item.size());
        item
    }

    /// Items up to and including `Synced`.
    async fn until_synced(&mut self) -> Vec<Monitor> {
        let mut items = Vec::new();
        for _ in 0..100_000 {
            let item = self.next().await;
            if matches!(item, Monitor::Synced) {
                return items;
            }
            items.push(item);
        }
        panic!("no Synced within 100000 items");
    }
}

/// The routes a view's messages leave in place: announcements minus
/// withdrawals, applied in order; and the End-of-RIB families seen.
#[derive(Debug, Default)]
struct Applied {
    routes: BTreeSet<IpNet>,
    end_of_rib: Vec<Family>,
}

impl Applied {
    fn apply(&mut self, messages: &[Bytes]) {
        for message in messages {
            let Ok(Message::Update(update)) = Message::decode(message.clone(), &cx()) else {
                panic!("not an UPDATE: {message:?}");
            };
            if let Some(family) = update.is_end_of_rib() {
                self.end_of_rib.push(family);
                continue;
            }
            for nlri in &update.withdrawn {
                assert!(
                    self.routes.remove(&nlri.prefix),
                    "withdrawn twice or unknown: {nlri:?}"
                );
            }
            for nlri in &update.nlri {
                // A route re-announced with the same attributes would be a
                // duplicate: the dump/live split must not produce one.
                assert!(self.routes.insert(nlri.prefix), "announced twice: {nlri:?}");
            }
        }
    }
}

fn view_of(item: &Monitor) -> Option<(Option<IpAddr>, View, &[Bytes])> {
    match item {
        Monitor::Route {
            peer,
            view,
            messages,
            ..
        } => Some((peer.as_ref().map(|i| i.peer), *view, messages)),
        _ => None,
    }
}

#[tokio::test]
async fn a_subscription_gets_peer_ups_then_each_view_then_live_changes() {
    let (config, rib) = spawn_with_requests();
    let (a, mut b) = a_and_b(&rib.events, &config).await;
    let nlri = prefixes(3);
    a_announces_to_b(&rib.events, &a, &mut b, &nlri).await;

    let all = [
        View::AdjRibInPre,
        View::AdjRibInPost,
        View::LocRib,
        View::AdjRibOutPost,
    ];
    let mut client = subscribe(&rib, &all, 1 << 20).await;
    let dump = client.until_synced().await;

    // Peer Up for both sessions first, in address order.
    let ups: Vec<IpAddr> = dump
        .iter()
        .take_while(|i| matches!(i, Monitor::PeerUp { .. }))
        .map(|i| match i {
            Monitor::PeerUp { info } => info.peer,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(ups, vec![a.peer, b.peer]);

    // Then the views in order, each peer's ending with its End-of-RIB.
    let routes: Vec<_> = dump.iter().filter_map(view_of).collect();
    assert_eq!(routes.len(), dump.len() - 2, "only Peer Ups and routes");
    let order: Vec<(Option<IpAddr>, View)> = routes.iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(
        order,
        vec![
            (Some(a.peer), View::AdjRibInPre),
            (Some(b.peer), View::AdjRibInPre),
            (Some(a.peer), View::AdjRibInPost),
            (Some(b.peer), View::AdjRibInPost),
            (None, View::LocRib),
            (Some(a.peer), View::AdjRibOutPost),
            (Some(b.peer), View::AdjRibOutPost),
        ]
    );
    let want: BTreeSet<IpNet> = nlri.iter().map(|n| n.prefix).collect();
    for (peer, view, messages) in &routes {
        let mut applied = Applied::default();
        applied.apply(messages);
        let expected = match (peer, view) {
            (Some(p), View::AdjRibInPre | View::AdjRibInPost) if *p == a.peer => want.clone(),
            (None, View::LocRib) => want.clone(),
            (Some(p), View::AdjRibOutPost) if *p == b.peer => want.clone(),
            _ => BTreeSet::new(),
        };
        assert_eq!(applied.routes, expected, "{peer:?} {view:?}");
        assert_eq!(applied.end_of_rib.first(), Some(&Family::IPV4_UNICAST));
    }

    // Live: A announces one more prefix; the raw bytes come first, as sent.
    let extra = other_prefix();
    let update = from_a(vec![extra]);
    let raw = Message::Update(update.clone())
        .to_bytes(&cx())
        .expect("encodes");
    send_event(
        &rib.events,
        PeerEvent::Update {
            peer: a.peer,
            update,
            raw: raw.clone(),
            received_at: SystemTime::now(),
            sets: Vec::new(),
        },
    )
    .await;
    let mut live = Vec::new();
    for _ in 0..5 {
        live.push(client.next().await);
    }
    let kinds: Vec<(Option<IpAddr>, View)> = live
        .iter()
        .filter_map(view_of)
        .map(|r| (r.0, r.1))
        .collect();
    assert!(matches!(&live[0], Monitor::Mirror { message, errored: false, .. } if *message == raw));
    assert_eq!(
        kinds,
        vec![
            (Some(a.peer), View::AdjRibInPre),
            (Some(a.peer), View::AdjRibInPost),
            (None, View::LocRib),
            (Some(b.peer), View::AdjRibOutPost),
        ]
    );
    let Some((_, _, pre)) = view_of(&live[1]) else {
        unreachable!()
    };
    assert_eq!(pre, &[raw][..], "pre-policy forwards the received bytes");
    for item in &live[2..] {
        let mut applied = Applied::default();
        applied.apply(view_of(item).expect("route").2);
        assert_eq!(applied.routes, BTreeSet::from([extra.prefix]));
    }
    finish(rib.events, rib.task).await;
}

#[tokio::test]
async fn a_dump_in_chunks_with_changes_during_it_has_no_gap_and_no_duplicate() {
    let (config, rib) = spawn_with_requests();
    let (a, mut b) = a_and_b(&rib.events, &config).await;
    // Well over one dump chunk.
    let nlri = prefixes(20_000);
    for chunk in nlri.chunks(500) {
        send_update(&rib.events, &a, from_a(chunk.to_vec())).await;
    }
    collect(&mut b, nlri.len(), false).await;

    let mut client = subscribe(&rib, &[View::LocRib], 64 << 20).await;
    // Changes while the dump is being encoded: withdraw the first 1000,
    // announce one new prefix.
    let withdrawn: Vec<Nlri> = nlri[..1000].to_vec();
    send_update(
        &rib.events,
        &a,
        Update {
            withdrawn: withdrawn.clone(),
            ..Update::default()
        },
    )
    .await;
    send_update(&rib.events, &a, from_a(vec![other_prefix()])).await;
    collect_both(&mut b, 1000, 1).await;

    let mut applied = Applied::default();
    let mut items = 0;
    let mut messages = 0;
    let mut synced = false;
    let mut after_sync = 0;
    // Until Loc-RIB holds what the rib now holds (bounded by count).
    let want: BTreeSet<IpNet> = nlri[1000..]
        .iter()
        .map(|n| n.prefix)
        .chain([other_prefix().prefix])
        .collect();
    while applied.routes != want || !synced {
        assert!(items < 10_000, "stream did not converge");
        items += 1;
        match client.next().await {
            Monitor::Synced => synced = true,
            Monitor::Route {
                view: View::LocRib,
                messages: batch,
                ..
            } => {
                messages += batch.len();
                applied.apply(&batch);
                if synced {
                    after_sync += 1;
                }
            }
            // Mirroring is on: the UPDATEs sent during the dump come back.
            Monitor::PeerUp { .. } | Monitor::Mirror { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(items > 2, "the dump came in several chunks");
    assert!(messages > 0);
    assert_eq!(applied.end_of_rib.len(), 2, "one End-of-RIB per family");
    let _ = after_sync;
    finish(rib.events, rib.task).await;
}

#[tokio::test]
async fn a_client_that_does_not_read_is_dropped_at_its_limit_and_bgp_goes_on() {
    let (config, rib) = spawn_with_requests();
    let (a, mut b) = a_and_b(&rib.events, &config).await;
    let mut stuck = subscribe(&rib, &[View::AdjRibInPre], 64 * 1024).await;
    let mut reader = subscribe(&rib, &[View::AdjRibInPre], 64 << 20).await;
    // Two Peer Ups and an empty table (End-of-RIB) for each.
    assert_eq!(stuck.until_synced().await.len(), 4);
    reader.until_synced().await;
    // Never read `stuck` again: 200 UPDATEs of 100 prefixes overflow 64 KiB.
    let nlri = prefixes(20_000);
    for chunk in nlri.chunks(100) {
        send_update(&rib.events, &a, from_a(chunk.to_vec())).await;
    }
    // BGP went on: B got everything.
    collect(&mut b, nlri.len(), false).await;
    // The reading client got every UPDATE.
    let mut seen = 0;
    while seen < 200 {
        if let Monitor::Route { messages, .. } = reader.next().await {
            seen += messages.len();
        }
    }
    // The stuck one was cut off: its channel ends, marked overflowed.
    let mut drained = 0;
    while stuck.rx.recv().await.is_some() {
        drained += 1;
        assert!(drained < 1000, "channel never closed");
    }
    assert!(stuck.queue.overflowed());
    finish(rib.events, rib.task).await;
}

#[tokio::test]
async fn peer_down_carries_its_reason_and_stats_count_the_tables() {
    let (config, rib) = spawn_with_requests();
    let (a, mut b) = a_and_b(&rib.events, &config).await;
    let nlri = prefixes(10);
    a_announces_to_b(&rib.events, &a, &mut b, &nlri).await;

    let (reply, answer) = oneshot::channel();
    rib.requests
        .send(Request::Stats(reply))
        .await
        .expect("rib alive");
    let stats: Stats = answer.await.expect("stats answered");
    assert_eq!(stats.loc_rib.ipv4_unicast, 10);
    assert_eq!(stats.router_id, Ipv4Addr::new(192, 0, 2, 1));
    let of = |peer| {
        stats
            .peers
            .iter()
            .find(|p| p.info.peer == peer)
            .expect("peer in stats")
    };
    assert_eq!(of(a.peer).counters.adj_rib_in.ipv4_unicast, 10);
    assert_eq!(of(b.peer).adj_rib_out.ipv4_unicast, 10);
    assert_eq!(of(a.peer).adj_rib_out.ipv4_unicast, 0);

    let mut client = subscribe(&rib, &[], 1 << 20).await;
    client.until_synced().await;
    let notification = Bytes::from_static(&[0xff; 21]);
    send_event(
        &rib.events,
        PeerEvent::Down {
            peer: a.peer,
            reason: DownReason::RemoteNotification(notification.clone()),
        },
    )
    .await;
    match client.next().await {
        Monitor::PeerDown { info, reason, .. } => {
            assert_eq!(info.peer, a.peer);
            assert_eq!(reason, DownReason::RemoteNotification(notification));
        }
        other => panic!("expected Peer Down, got {other:?}"),
    }
    finish(rib.events, rib.task).await;
}

#[tokio::test]
async fn a_dump_packs_the_routes_of_each_attribute_set_together() {
    let (config, rib) = spawn_with_requests();
    let (a, mut b) = a_and_b(&rib.events, &config).await;
    // 2000 attribute sets (one MED each) of 4 prefixes.
    let nlri = prefixes(8000);
    for (med, chunk) in nlri.chunks(4).enumerate() {
        let mut update = from_a(chunk.to_vec());
        update
            .attributes
            .push(PathAttribute::new(AttrValue::MultiExitDisc(med as u32)));
        send_update(&rib.events, &a, update).await;
    }
    collect(&mut b, nlri.len(), false).await;
    let mut client = subscribe(&rib, &[View::LocRib], 64 << 20).await;
    let mut applied = Applied::default();
    let mut messages = 0;
    for item in client.until_synced().await {
        if let Monitor::Route { messages: m, .. } = item {
            messages += m.len();
            applied.apply(&m);
        }
    }
    assert_eq!(applied.routes.len(), 8000);
    // One UPDATE per set, and two End-of-RIBs; table order would give
    // about one UPDATE per route.
    assert_eq!(messages, 2000 + 2);
    finish(rib.events, rib.task).await;
}
