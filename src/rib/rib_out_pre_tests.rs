//! The live pre-policy Adj-RIB-Out stream under an export policy that
//! rejects some routes: fed to a model collector, it never withdraws a
//! prefix it did not announce, never announces attributes the collector
//! already holds, and always leaves the collector with the view a fresh
//! subscription dumps.

use std::collections::BTreeMap;

use super::*;
use crate::rib::monitor::{Monitor, Queue, Request, Subscription, View, Views};

/// With [`DROP_BLOCKED`]: rejects the "blocked" prefix set toward
/// everyone; prepends toward B.
const OUT_DROP: &str = r#"
[global.apply-policy.config]
export-policy-list = ["out-drop", "out"]
"#;

/// What a collector holds of one peer's pre-policy Adj-RIB-Out.
#[derive(Debug, Default, PartialEq)]
struct Collector {
    routes: BTreeMap<IpNet, Vec<PathAttribute>>,
    announcements: usize,
    withdrawals: usize,
}

impl Collector {
    /// Applies Route Monitoring `messages`; panics on a message that is
    /// not consistent with what the collector holds.
    fn apply(&mut self, messages: &[Bytes]) {
        for message in messages {
            let Ok(Message::Update(update)) = Message::decode(message.clone(), &cx()) else {
                panic!("Route Monitoring carries an UPDATE");
            };
            for nlri in &update.withdrawn {
                self.withdrawals += 1;
                assert!(
                    self.routes.remove(&nlri.prefix).is_some(),
                    "withdrawal of {} the collector never saw",
                    nlri.prefix
                );
            }
            for nlri in &update.nlri {
                self.announcements += 1;
                let held = self.routes.insert(nlri.prefix, update.attributes.clone());
                assert_ne!(
                    held.as_ref(),
                    Some(&update.attributes),
                    "duplicate announcement of {}",
                    nlri.prefix
                );
            }
        }
    }
}

/// A station wanting only the pre-policy Adj-RIB-Out.
fn subscribe(rib: &mut Rib) -> mpsc::UnboundedReceiver<Monitor> {
    let (tx, rx) = mpsc::unbounded_channel();
    rib.request(Request::Subscribe(Subscription {
        views: Views::of(&[View::AdjRibOutPre]),
        mirroring: false,
        queue: Arc::new(Queue::new(1 << 24)),
        tx,
    }));
    let mut steps = 0;
    while rib.dump_step(4096) {
        steps += 1;
        assert!(steps < 1000, "dump ends");
    }
    rx
}

/// Hands `apply` the messages of `peer`'s pre-policy Adj-RIB-Out that
/// `rx` holds.
fn pre_policy_messages(
    rx: &mut mpsc::UnboundedReceiver<Monitor>,
    peer: IpAddr,
    mut apply: impl FnMut(&[Bytes]),
) {
    while let Ok(item) = rx.try_recv() {
        if let Monitor::Route {
            peer: Some(info),
            view: View::AdjRibOutPre,
            messages,
            ..
        } = item
        {
            if info.peer == peer {
                apply(&messages);
            }
        }
    }
}

/// Waits for `peer`'s pre-policy Adj-RIB-Out items on `rx` and hands
/// their messages to `apply`, which returns how many routes the view then
/// holds, until it holds `wanted` (at most 1000 items, 10 s each).
async fn feed_until(
    rx: &mut mpsc::UnboundedReceiver<Monitor>,
    peer: IpAddr,
    wanted: usize,
    mut apply: impl FnMut(&[Bytes]) -> usize,
) {
    for _ in 0..1000 {
        let item = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("an item in time")
            .expect("subscription open");
        if let Monitor::Route {
            peer: Some(info),
            view: View::AdjRibOutPre,
            messages,
            ..
        } = item
        {
            if info.peer == peer && apply(&messages) >= wanted {
                return;
            }
        }
    }
}

/// Feeds what `rx` holds for `peer` to `collector`.
fn drain(rx: &mut mpsc::UnboundedReceiver<Monitor>, peer: IpAddr, collector: &mut Collector) {
    pre_policy_messages(rx, peer, |messages| collector.apply(messages));
}

/// The collector holds what a new subscription to the view dumps.
fn check(rib: &mut Rib, live: &Collector, peer: IpAddr, step: &str) {
    let mut rx = subscribe(rib);
    let mut fresh = Collector::default();
    drain(&mut rx, peer, &mut fresh);
    assert_eq!(live.routes, fresh.routes, "after {step}");
}

fn with_path(nlri: Vec<Nlri>, path: Vec<u32>, next_hop: Ipv4Addr) -> Update {
    Update {
        attributes: vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(path))),
            PathAttribute::new(AttrValue::NextHop(next_hop)),
        ],
        nlri,
        ..Update::default()
    }
}

fn withdrawal(nlri: Vec<Nlri>) -> Update {
    Update {
        withdrawn: nlri,
        ..Update::default()
    }
}

fn from_b(nlri: Vec<Nlri>) -> Update {
    with_path(nlri, vec![65003], Ipv4Addr::new(192, 0, 2, 3))
}

#[test]
fn pre_policy_adj_rib_out_stream_follows_the_view_exactly() {
    let config = config_with(&format!("{DROP_BLOCKED}{OUT_DROP}"));
    let (mut rib, a, b) = rib_with(&config);
    let mut rx = subscribe(&mut rib);
    let mut view = Collector::default();
    let good = prefixes(2);
    let a_hop = Ipv4Addr::new(192, 0, 2, 2);
    let mut step = |rib: &mut Rib, view: &mut Collector, from: IpAddr, u: Update, name: &str| {
        rib.update(from, &u);
        drain(&mut rx, b, view);
        check(rib, view, b, name);
    };

    let mut all = good.clone();
    all.push(blocked());
    step(&mut rib, &mut view, a, from_a(all), "announce");
    assert_eq!(view.routes.len(), 3, "the blocked route is in the view");
    assert_eq!(rib.kept_back_len(b), 1);

    let longer = with_path(vec![blocked()], vec![65002, 65010], a_hop);
    step(&mut rib, &mut view, a, longer.clone(), "replace");
    step(&mut rib, &mut view, a, longer, "the same again");
    let same = from_a(vec![good[0]]);
    step(&mut rib, &mut view, a, same, "a sent route again");
    assert_eq!(view.announcements, 4, "no duplicate announcements");

    // B's own route is best: never sent back to B, so out of B's view.
    step(&mut rib, &mut view, b, from_b(vec![blocked()]), "B best");
    assert_eq!(view.routes.len(), 2);
    step(
        &mut rib,
        &mut view,
        b,
        from_b(vec![other_prefix()]),
        "B only",
    );
    let gone = withdrawal(vec![other_prefix()]);
    step(&mut rib, &mut view, b, gone, "B only withdrawn");
    step(
        &mut rib,
        &mut view,
        b,
        withdrawal(vec![blocked()]),
        "A best again",
    );
    assert_eq!(view.routes.len(), 3);
    assert_eq!(view.withdrawals, 1, "only the withdrawal of a route held");

    step(
        &mut rib,
        &mut view,
        a,
        withdrawal(vec![blocked()]),
        "withdraw kept back",
    );
    step(
        &mut rib,
        &mut view,
        a,
        withdrawal(vec![good[1]]),
        "withdraw sent",
    );
    assert_eq!(
        view.routes.keys().copied().collect::<Vec<_>>(),
        vec![good[0].prefix]
    );
    assert_eq!(view.withdrawals, 3);
    assert_eq!(rib.kept_back_len(b), 0);
}

#[test]
fn a_new_export_policy_leaves_the_pre_policy_view_alone() {
    let config = config_with(&format!("{DROP_BLOCKED}{OUT_DROP}"));
    let (mut rib, a, b) = rib_with(&config);
    let mut all = prefixes(2);
    all.push(blocked());
    rib.update(a, &from_a(all));
    let mut rx = subscribe(&mut rib);
    let mut view = Collector::default();
    drain(&mut rx, b, &mut view);
    assert_eq!(view.routes.len(), 3);
    let announced = view.announcements;

    // No export policy, then the filtering one again: the routes before
    // export policy are the same throughout.
    rib.set_policy(engine(&config_with("")));
    drain(&mut rx, b, &mut view);
    check(&mut rib, &view, b, "no export policy");
    assert_eq!(rib.kept_back_len(b), 0);
    rib.set_policy(engine(&config));
    drain(&mut rx, b, &mut view);
    check(&mut rib, &view, b, "the policy again");
    assert_eq!(rib.kept_back_len(b), 1);
    assert_eq!((view.announcements, view.withdrawals), (announced, 0));

    // Import policy dropping the blocked prefix takes it out of the view.
    let both = format!("{DROP_BLOCKED}{OUT_DROP}\nimport-policy-list = [\"in\"]\n");
    rib.set_policy(engine(&config_with(&both)));
    drain(&mut rx, b, &mut view);
    check(&mut rib, &view, b, "import drops the blocked prefix");
    assert_eq!(view.withdrawals, 1);
    assert_eq!(rib.kept_back_len(b), 0);
}

#[test]
fn kept_back_attributes_are_held_only_while_the_view_is_monitored() {
    let config = config_with(&format!("{DROP_BLOCKED}{OUT_DROP}"));
    let (mut rib, a, b) = rib_with(&config);
    let mut all = prefixes(2);
    all.push(blocked());
    rib.update(a, &from_a(all));
    assert_eq!(rib.kept_back_len(b), 0, "nobody monitors the view");

    let rx = subscribe(&mut rib);
    assert_eq!(rib.kept_back_len(b), 1);
    drop(rx);
    rib.prune_subscribers();
    rib.update(a, &withdrawal(vec![prefixes(1)[0]]));
    assert_eq!(rib.kept_back_len(b), 0, "the station left");

    // A peer coming up while the view is monitored gets its table on it.
    let mut rx = subscribe(&mut rib);
    drain(&mut rx, b, &mut Collector::default());
    rib.peer_down(b);
    let again = session(&config, 3);
    rib.peer_up(again);
    let mut view = Collector::default();
    drain(&mut rx, b, &mut view);
    assert_eq!(view.routes.len(), 2);
    check(&mut rib, &view, b, "peer up");
    assert_eq!(rib.kept_back_len(b), 1);
}

/// Through the rib task, without export policy (the messages sent are
/// the view): a ROUTE-REFRESH re-sends B's routes, but the view stays as
/// it was, so the station gets nothing for it.
#[tokio::test]
async fn route_refresh_leaves_the_pre_policy_view_alone() {
    let config = config();
    let rib = crate::rib::spawn(Arc::new(config.global.clone()));
    let (tx, mut rx) = mpsc::unbounded_channel();
    rib.requests
        .send(Request::Subscribe(Subscription {
            views: Views::of(&[View::AdjRibOutPre]),
            mirroring: false,
            queue: Arc::new(Queue::new(1 << 24)),
            tx,
        }))
        .await
        .expect("rib alive");
    let (a, mut b) = a_and_b(&rib.events, &config).await;
    let all = prefixes(3);
    a_announces_to_b(&rib.events, &a, &mut b, &all[..2]).await;
    send_event(
        &rib.events,
        PeerEvent::RouteRefresh {
            peer: b.peer,
            family: Family::IPV4_UNICAST,
        },
    )
    .await;
    collect(&mut b, 2, false).await;
    a_announces_to_b(&rib.events, &a, &mut b, &all[2..]).await;

    // Feeds B's view until it holds the three routes; a re-published
    // refresh would be a duplicate announcement on the way.
    let mut view = Collector::default();
    feed_until(&mut rx, b.peer, 3, |messages| {
        view.apply(messages);
        view.routes.len()
    })
    .await;
    assert_eq!(view.routes.len(), 3);
    assert_eq!(view.announcements, 3, "each route once");
    drop(rib.events);
    drop(a);
}

#[path = "rib_out_pre_paths_tests.rs"]
mod paths;
