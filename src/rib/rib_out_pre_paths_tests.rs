//! The pre-policy Adj-RIB-Out of an ADD-PATH send peer (send-max 2)
//! under an export policy that rejects some paths: the view is the two
//! best paths before export policy, by rank, and its live stream, fed to
//! a model collector keyed by path id, never withdraws a rank it did not
//! announce, never announces a set the collector holds, and always
//! leaves the collector with what a fresh subscription dumps.

use super::*;
use crate::wire::bgp::Community;

/// C (192.0.2.4, ADD-PATH send-max 2) and E (192.0.2.5) beside A and B.
const MORE_PEERS: &str = r#"
[[neighbors]]
[neighbors.config]
neighbor-address = "192.0.2.4"
peer-as = 65004
[neighbors.add-paths.config]
send-max = 2

[[neighbors]]
[neighbors.config]
neighbor-address = "192.0.2.5"
peer-as = 65005
"#;

/// "drop-tagged" rejects paths with community 65000:666 on export;
/// "drop-a" rejects A's routes on import.
const TAGGED: &str = r#"
[[defined-sets.bgp-defined-sets.community-sets]]
community-set-name = "tagged"
community-list = ["65000:666"]

[[defined-sets.neighbor-sets]]
neighbor-set-name = "a"
neighbor-info-list = ["192.0.2.2"]

[[policy-definitions]]
name = "drop-tagged"
[[policy-definitions.statements]]
name = "drop-tagged-paths"
[policy-definitions.statements.conditions.bgp-conditions.match-community-set]
community-set = "tagged"
[policy-definitions.statements.actions]
route-disposition = "reject-route"

[[policy-definitions]]
name = "drop-a"
[[policy-definitions.statements]]
name = "drop-a-routes"
[policy-definitions.statements.conditions.match-neighbor-set]
neighbor-set = "a"
[policy-definitions.statements.actions]
route-disposition = "reject-route"
"#;

const EXPORT_DROP_TAGGED: &str = r#"
[global.apply-policy.config]
export-policy-list = ["drop-tagged"]
"#;

fn config_paths(apply: &str) -> config::Config {
    config_with(&format!("{MORE_PEERS}{TAGGED}{apply}"))
}

/// The session context of C (and of the collectors decoding its views).
fn add_path_cx() -> Negotiated {
    let mut cx = cx();
    cx.add_path_send.insert(Family::IPV4_UNICAST);
    cx.add_path_receive.insert(Family::IPV4_UNICAST);
    cx
}

/// A rib under `config`'s policy with A, B, C (ADD-PATH send) and E up.
fn rib_of_four(config: &config::Config) -> (Rib, [IpAddr; 4]) {
    let mut rib = Rib::new(Arc::new(config.global.clone()));
    let _ = rib.set_policy(engine(config));
    let mut peers = [IpAddr::from([0, 0, 0, 0]); 4];
    for (slot, n) in peers.iter_mut().zip([2, 3, 4, 5]) {
        let info = if n == 4 {
            c_session(config)
        } else {
            session(config, n)
        };
        *slot = info.peer;
        rib.peer_up(info);
    }
    (rib, peers)
}

fn c_session(config: &config::Config) -> Arc<SessionInfo> {
    let mut info = (*session(config, 4)).clone();
    info.negotiated = add_path_cx();
    info.negotiated.add_path_receive.clear();
    Arc::new(info)
}

/// What a collector holds of one view of C, by (prefix, path id).
#[derive(Debug, Default)]
struct Paths {
    routes: BTreeMap<(IpNet, u32), Vec<PathAttribute>>,
    announcements: usize,
    withdrawals: usize,
}

impl Paths {
    /// Applies `messages`; panics on one not consistent with what the
    /// collector holds.
    fn apply(&mut self, messages: &[Bytes]) {
        for message in messages {
            let Ok(Message::Update(update)) = Message::decode(message.clone(), &add_path_cx())
            else {
                panic!("an UPDATE");
            };
            for nlri in &update.withdrawn {
                self.withdrawals += 1;
                let key = (nlri.prefix, nlri.path_id.expect("a path id"));
                assert!(
                    self.routes.remove(&key).is_some(),
                    "withdrawal of {key:?} the collector never saw"
                );
            }
            for nlri in &update.nlri {
                self.announcements += 1;
                let key = (nlri.prefix, nlri.path_id.expect("a path id"));
                let held = self.routes.insert(key, update.attributes.clone());
                assert_ne!(
                    held.as_ref(),
                    Some(&update.attributes),
                    "duplicate announcement of {key:?}"
                );
            }
        }
    }

    /// (path id, the neighbor AS the path came from) of `prefix`.
    fn ranks(&self, prefix: IpNet) -> Vec<(u32, u32)> {
        self.routes
            .iter()
            .filter(|((p, _), _)| *p == prefix)
            .map(|((_, id), attributes)| (*id, neighbor_as(attributes)))
            .collect()
    }
}

/// The AS after ours in an exported AS_PATH.
fn neighbor_as(attributes: &[PathAttribute]) -> u32 {
    attributes
        .iter()
        .find_map(|a| match &a.value {
            AttrValue::AsPath(path) => path.segments.first()?.asns.get(1).copied(),
            _ => None,
        })
        .expect("an AS_PATH through ours")
}

/// Feeds what `rx` holds of `peer`'s pre-policy Adj-RIB-Out to `paths`.
fn drain_paths(rx: &mut mpsc::UnboundedReceiver<Monitor>, peer: IpAddr, paths: &mut Paths) {
    pre_policy_messages(rx, peer, |messages| paths.apply(messages));
}

/// The collector holds what a new subscription to the view dumps.
fn check_paths(rib: &mut Rib, live: &Paths, peer: IpAddr, step: &str) {
    let mut rx = subscribe(rib);
    let mut fresh = Paths::default();
    drain_paths(&mut rx, peer, &mut fresh);
    assert_eq!(live.routes, fresh.routes, "after {step}");
}

/// `prefix` from `asns[0]`'s peer with that AS_PATH, tagged 65000:666
/// (rejected by "drop-tagged") when `tagged`.
fn path_of(prefix: Nlri, asns: Vec<u32>, tagged: bool) -> Update {
    let hop = Ipv4Addr::new(192, 0, 2, (asns[0] - 65000) as u8);
    let mut update = with_path(vec![prefix], asns, hop);
    if tagged {
        let community = Community((65000 << 16) | 666);
        let value = AttrValue::Communities(vec![community]);
        update.attributes.push(PathAttribute::new(value));
    }
    update
}

#[test]
fn add_path_pre_policy_view_is_the_best_paths_before_export_policy() {
    let config = config_paths(EXPORT_DROP_TAGGED);
    let (mut rib, [a, b, c, e]) = rib_of_four(&config);
    let mut rx = subscribe(&mut rib);
    let mut pre = Paths::default();
    let mut post = Paths::default();
    let prefix = other_prefix();
    let p = prefix.prefix;
    let mut step =
        |rib: &mut Rib, pre: &mut Paths, post: &mut Paths, from: IpAddr, u: Update, name: &str| {
            let outgoing = rib.update(from, &u);
            for (_, messages) in outgoing.iter().filter(|(to, _)| *to == c) {
                post.apply(messages);
            }
            drain_paths(&mut rx, c, pre);
            check_paths(rib, pre, c, name);
        };

    // A's path is the best but tagged, B's second, E's third.
    let a_path = path_of(prefix, vec![65002, 65010], true);
    step(&mut rib, &mut pre, &mut post, a, a_path, "A");
    let b_path = path_of(prefix, vec![65003, 65010, 65011], false);
    step(&mut rib, &mut pre, &mut post, b, b_path.clone(), "B");
    let e_path = path_of(prefix, vec![65005, 65010, 65011, 65012], false);
    step(&mut rib, &mut pre, &mut post, e, e_path, "E");
    assert_eq!(pre.ranks(p), vec![(1, 65002), (2, 65003)]);
    assert_eq!(post.ranks(p), vec![(1, 65003), (2, 65005)]);
    assert_eq!(rib.kept_back_len(c), 2, "the view's two ranks");
    step(&mut rib, &mut pre, &mut post, b, b_path, "B again");
    assert_eq!((pre.announcements, pre.withdrawals), (2, 0));

    // A new best path from E: E, A in the view.
    let shorter = path_of(prefix, vec![65005], false);
    step(&mut rib, &mut pre, &mut post, e, shorter, "E better");
    assert_eq!(pre.ranks(p), vec![(1, 65005), (2, 65002)]);
    assert_eq!(post.ranks(p), vec![(1, 65005), (2, 65003)]);

    // The best withdrawn: A, B again.
    let gone = withdrawal(vec![prefix]);
    step(
        &mut rib,
        &mut pre,
        &mut post,
        e,
        gone.clone(),
        "E withdrawn",
    );
    assert_eq!(pre.ranks(p), vec![(1, 65002), (2, 65003)]);

    // The path export policy rejected leaves: B alone, rank 2 withdrawn.
    step(
        &mut rib,
        &mut pre,
        &mut post,
        a,
        gone.clone(),
        "A withdrawn",
    );
    assert_eq!(pre.ranks(p), vec![(1, 65003)]);
    assert_eq!(post.ranks(p), vec![(1, 65003)]);
    assert_eq!(pre.withdrawals, 1);
    step(&mut rib, &mut pre, &mut post, b, gone, "B withdrawn");
    assert!(pre.routes.is_empty());
    assert_eq!(pre.withdrawals, 2, "only ranks the view held");
    assert_eq!(rib.kept_back_len(c), 0);
}

#[test]
fn add_path_pre_policy_view_through_new_policies_and_peer_up() {
    let config = config_paths(EXPORT_DROP_TAGGED);
    let (mut rib, [a, b, c, e]) = rib_of_four(&config);
    let prefix = other_prefix();
    let p = prefix.prefix;
    rib.update(a, &path_of(prefix, vec![65002, 65010], true));
    rib.update(b, &path_of(prefix, vec![65003, 65010, 65011], false));
    rib.update(e, &path_of(prefix, vec![65005, 65010, 65011, 65012], false));
    assert_eq!(rib.kept_back_len(c), 0, "nobody monitors the view");

    // Monitoring starts: the ranks are held from Loc-RIB.
    let mut rx = subscribe(&mut rib);
    let mut view = Paths::default();
    drain_paths(&mut rx, c, &mut view);
    assert_eq!(view.ranks(p), vec![(1, 65002), (2, 65003)]);
    assert_eq!(rib.kept_back_len(c), 2);

    // No export policy, then the filtering one again: the view stays.
    let announced = view.announcements;
    rib.set_policy(engine(&config_paths("")));
    drain_paths(&mut rx, c, &mut view);
    check_paths(&mut rib, &view, c, "no export policy");
    assert_eq!(rib.kept_back_len(c), 0);
    rib.set_policy(engine(&config));
    drain_paths(&mut rx, c, &mut view);
    check_paths(&mut rib, &view, c, "the policy again");
    assert_eq!((view.announcements, view.withdrawals), (announced, 0));
    assert_eq!(rib.kept_back_len(c), 2);

    // Import policy dropping A's routes: B, E in the view.
    let both = format!("{EXPORT_DROP_TAGGED}import-policy-list = [\"drop-a\"]\n");
    rib.set_policy(engine(&config_paths(&both)));
    drain_paths(&mut rx, c, &mut view);
    check_paths(&mut rib, &view, c, "import drops A");
    assert_eq!(view.ranks(p), vec![(1, 65003), (2, 65005)]);
    assert_eq!(view.withdrawals, 0);
    rib.set_policy(engine(&config));
    drain_paths(&mut rx, c, &mut view);
    check_paths(&mut rib, &view, c, "A back");

    // C again while monitored: its table on the view, ranks held.
    rib.peer_down(c);
    assert_eq!(rib.kept_back_len(c), 0);
    rib.peer_up(c_session(&config));
    let mut again = Paths::default();
    drain_paths(&mut rx, c, &mut again);
    assert_eq!(again.ranks(p), vec![(1, 65002), (2, 65003)]);
    assert_eq!(rib.kept_back_len(c), 2);
    rib.update(a, &withdrawal(vec![prefix]));
    drain_paths(&mut rx, c, &mut again);
    check_paths(&mut rib, &again, c, "A withdrawn after C's return");
    assert_eq!(again.ranks(p), vec![(1, 65003), (2, 65005)]);

    // The station leaves: nothing held after the next event.
    drop(rx);
    rib.prune_subscribers();
    rib.update(b, &withdrawal(vec![prefix]));
    assert_eq!(rib.kept_back_len(c), 0, "the station left");
}

/// `peer`'s BMP statistics 14 and 16: paths in its pre- and post-policy
/// Adj-RIB-Out (IPv4 unicast).
fn out_paths(rib: &Rib, peer: IpAddr) -> (u64, u64) {
    let stats = rib.stats();
    let of = stats.peers.iter().find(|p| p.info.peer == peer);
    let of = of.expect("the peer in the statistics");
    (of.adj_rib_out_pre.ipv4_unicast, of.adj_rib_out.ipv4_unicast)
}

#[test]
fn add_path_adj_rib_out_statistics_count_paths_not_prefixes() {
    let config = config_paths(EXPORT_DROP_TAGGED);
    let (mut rib, [a, b, c, e]) = rib_of_four(&config);
    let [x, y, z] = [other_prefix(), prefixes(1)[0], prefixes(2)[1]];
    // X: A (tagged), B and E; Y: A (tagged) alone; Z: B alone.
    rib.update(a, &path_of(x, vec![65002, 65010], true));
    rib.update(b, &path_of(x, vec![65003, 65010, 65011], false));
    rib.update(e, &path_of(x, vec![65005, 65010, 65011, 65012], false));
    rib.update(a, &path_of(y, vec![65002, 65020], true));
    rib.update(b, &path_of(z, vec![65003, 65030], false));
    // Pre-policy: X's A and B, Y's A, Z's B. Sent: X's B and E, Z's B.
    assert_eq!(out_paths(&rib, c), (4, 3));
    // E's path goes: X keeps A and B before policy, B alone after.
    rib.update(e, &withdrawal(vec![x]));
    assert_eq!(out_paths(&rib, c), (4, 2));

    // Without export policy both views are what is sent.
    rib.set_policy(engine(&config_paths("")));
    assert_eq!(out_paths(&rib, c), (4, 4));
    rib.set_policy(engine(&config));
    assert_eq!(out_paths(&rib, c), (4, 2));

    // Every path withdrawn: nothing in either view.
    for (from, prefix) in [(a, x), (b, x), (a, y), (b, z)] {
        rib.update(from, &withdrawal(vec![prefix]));
    }
    assert_eq!(out_paths(&rib, c), (0, 0));
}

/// Through the rib task, without export policy (the messages sent are
/// the view): a ROUTE-REFRESH and a new policy re-send C's paths, but the
/// view stays as it was, so the station gets nothing for them.
#[tokio::test]
async fn resent_paths_leave_the_add_path_pre_policy_view_alone() {
    let config = config_paths("");
    let rib = crate::rib::spawn(Arc::new(config.global.clone()));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let subscription = Subscription {
        views: Views::of(&[View::AdjRibOutPre]),
        mirroring: false,
        queue: Arc::new(Queue::new(1 << 24)),
        tx,
    };
    let requests = &rib.requests;
    requests
        .send(Request::Subscribe(subscription))
        .await
        .expect("rib alive");
    let (a, b) = a_and_b(&rib.events, &config).await;
    let (exports, c_rx) = mpsc::unbounded_channel();
    let info = c_session(&config);
    let mut c = Fake {
        peer: info.peer,
        rx: c_rx,
    };
    send_event(&rib.events, PeerEvent::Up { info, exports }).await;
    next_messages(&mut c).await; // End-of-RIB
    let prefix = other_prefix();
    send_update(&rib.events, &a, path_of(prefix, vec![65002], false)).await;
    next_messages(&mut c).await;
    let b_path = path_of(prefix, vec![65003, 65010], false);
    send_update(&rib.events, &b, b_path).await;
    next_messages(&mut c).await;
    let refresh = PeerEvent::RouteRefresh {
        peer: c.peer,
        family: Family::IPV4_UNICAST,
    };
    send_event(&rib.events, refresh).await;
    let mut resent = Paths::default();
    resent.apply(&next_messages(&mut c).await);
    assert_eq!(resent.announcements, 2, "the two paths again");
    requests
        .send(Request::Policy(engine(&config)))
        .await
        .expect("rib alive");
    next_messages(&mut c).await;
    send_update(&rib.events, &a, from_a(prefixes(1))).await;

    // Feeds C's view until it holds the three paths; a re-published
    // refresh or policy would be a duplicate announcement on the way.
    let mut view = Paths::default();
    feed_until(&mut rx, c.peer, 3, |messages| {
        view.apply(messages);
        view.routes.len()
    })
    .await;
    assert_eq!(view.ranks(prefix.prefix), vec![(1, 65002), (2, 65003)]);
    assert_eq!(view.announcements, 3, "each path once");
    drop(rib.events);
    drop((a, b));
}
