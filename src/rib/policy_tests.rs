//! Import and export policy in the rib: rejected and changed routes, the
//! pre- and post-policy views, counters, and a new policy applied without
//! a session reset.

use super::*;
use crate::policy::PolicyEngine;
use crate::rib::Rib;

/// A (192.0.2.2) and B (192.0.2.3) from [`CONFIG`], with `policy` text.
const POLICY: &str = r#"
[[defined-sets.prefix-sets]]
prefix-set-name = "blocked"
[[defined-sets.prefix-sets.prefix-list]]
ip-prefix = "172.16.0.0/12"
masklength-range = "12..24"

[[defined-sets.neighbor-sets]]
neighbor-set-name = "b"
neighbor-info-list = ["192.0.2.3"]

[[policy-definitions]]
name = "in"
[[policy-definitions.statements]]
name = "drop-blocked"
[policy-definitions.statements.conditions.match-prefix-set]
prefix-set = "blocked"
[policy-definitions.statements.actions]
route-disposition = "reject-route"
[[policy-definitions.statements]]
name = "tag"
[policy-definitions.statements.actions.bgp-actions]
set-med = "50"
[policy-definitions.statements.actions.bgp-actions.set-community]
options = "add"
[policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]
communities-list = ["65001:100"]

[[policy-definitions]]
name = "out"
[[policy-definitions.statements]]
name = "to-b"
[policy-definitions.statements.conditions.match-neighbor-set]
neighbor-set = "b"
[policy-definitions.statements.actions.bgp-actions]
set-as-path-prepend = { as = "65001", repeat-n = 2 }
"#;

/// An export policy rejecting the "blocked" prefix set.
const DROP_BLOCKED: &str = r#"
[[policy-definitions]]
name = "out-drop"
[[policy-definitions.statements]]
name = "drop"
[policy-definitions.statements.conditions.match-prefix-set]
prefix-set = "blocked"
[policy-definitions.statements.actions]
route-disposition = "reject-route"
"#;

fn config_with(apply: &str) -> config::Config {
    let text = format!("{CONFIG}\n{POLICY}\n{apply}");
    config::parse(&text, "test.toml").expect("test config parses")
}

const BOTH: &str = r#"
[global.apply-policy.config]
import-policy-list = ["in"]
export-policy-list = ["out"]
"#;

fn engine(config: &config::Config) -> Arc<PolicyEngine> {
    Arc::new(PolicyEngine::from_config(config).expect("policy compiles"))
}

/// Updates for `peer` in `outgoing`, decoded.
fn updates_for(outgoing: &[(IpAddr, Vec<Bytes>)], peer: IpAddr) -> Vec<Update> {
    outgoing
        .iter()
        .filter(|(p, _)| *p == peer)
        .flat_map(|(_, messages)| messages.iter())
        .map(|m| match Message::decode(m.clone(), &cx()) {
            Ok(Message::Update(update)) => update,
            other => panic!("not an UPDATE: {other:?}"),
        })
        .collect()
}

fn announced(updates: &[Update]) -> Vec<IpNet> {
    let mut all: Vec<IpNet> = updates
        .iter()
        .flat_map(|u| u.nlri.iter().map(|n| n.prefix))
        .collect();
    all.sort();
    all
}

fn blocked() -> Nlri {
    Nlri::new(IpNet::V4(
        Ipv4Net::new(Ipv4Addr::new(172, 16, 1, 0), 24).expect("valid"),
    ))
}

/// A rib with A and B up under `config`'s policy.
fn rib_with(config: &config::Config) -> (Rib, IpAddr, IpAddr) {
    let mut rib = Rib::new(Arc::new(config.global.clone()));
    let _ = rib.set_policy(engine(config));
    let a = session(config, 2);
    let b = session(config, 3);
    let (pa, pb) = (a.peer, b.peer);
    rib.peer_up(a);
    rib.peer_up(b);
    (rib, pa, pb)
}

#[test]
fn import_policy_rejects_and_changes_routes_and_keeps_them_as_received() {
    let config = config_with(BOTH);
    let (mut rib, a, b) = rib_with(&config);
    let good = prefixes(2);
    let mut all = good.clone();
    all.push(blocked());
    let out = rib.update(a, &from_a(all));

    // B gets only the accepted routes, changed by import (MED 50 is not
    // passed to another AS, the community is) and export (prepend 2).
    let sent = updates_for(&out, b);
    let want: Vec<IpNet> = good.iter().map(|n| n.prefix).collect();
    assert_eq!(announced(&sent), want);
    for update in sent.iter().filter(|u| !u.nlri.is_empty()) {
        assert_eq!(
            update
                .attribute(bgp::AttrType::AsPath)
                .map(|a| a.value.clone()),
            Some(AttrValue::AsPath(AsPath::from_sequence(vec![
                65001, 65001, 65001, 65002
            ])))
        );
        assert!(update.attribute(bgp::AttrType::MultiExitDisc).is_none());
        assert_eq!(
            update
                .attribute(bgp::AttrType::Communities)
                .map(|a| a.value.clone()),
            Some(AttrValue::Communities(vec![bgp::Community(0xfde9_0064)]))
        );
    }

    // Pre-policy holds all three as received; post-policy the two,
    // changed; the rejection is counted.
    let pre = rib.adj_rib_in(a).expect("A is up");
    assert_eq!(pre.iter().count(), 3);
    for (_, route) in pre.iter() {
        assert_eq!(route.attrs.med(), None, "as received");
    }
    let post = rib.adj_rib_in_post_policy(a).expect("A is up");
    let post: Vec<_> = post.iter().collect();
    assert_eq!(post.len(), 2);
    assert!(post.iter().all(|(_, path)| path.attrs.med() == Some(50)));
    let counters = rib.counters(a).expect("A is up");
    assert_eq!(counters.rejected, 1);
    assert_eq!(counters.adj_rib_in.ipv4_unicast, 3);
    assert_eq!(counters.loc_rib.ipv4_unicast, 2);

    // Withdrawing a changed route removes both its copies.
    let out = rib.update(
        a,
        &Update {
            withdrawn: vec![good[0]],
            ..Update::default()
        },
    );
    let sent = updates_for(&out, b);
    assert_eq!(sent.iter().map(|u| u.withdrawn.len()).sum::<usize>(), 1);
    assert_eq!(rib.adj_rib_in(a).expect("up").iter().count(), 2);
}

#[test]
fn a_new_policy_is_applied_to_held_routes_without_a_reset() {
    let config = config_with(BOTH);
    let (mut rib, a, b) = rib_with(&config);
    let mut all = prefixes(2);
    all.push(blocked());
    rib.update(a, &from_a(all));

    // No policy at all: the blocked route reaches B, and the others are
    // sent again without the prepends and the community.
    let plain = config_with("");
    let out = rib.set_policy(engine(&plain));
    let sent = updates_for(&out, b);
    let mut want: Vec<IpNet> = prefixes(2).iter().map(|n| n.prefix).collect();
    want.push(blocked().prefix);
    want.sort();
    assert_eq!(announced(&sent), want);
    for update in sent.iter().filter(|u| !u.nlri.is_empty()) {
        assert_eq!(
            update
                .attribute(bgp::AttrType::AsPath)
                .map(|a| a.value.clone()),
            Some(AttrValue::AsPath(AsPath::from_sequence(vec![65001, 65002])))
        );
        assert!(update.attribute(bgp::AttrType::Communities).is_none());
    }
    assert_eq!(rib.counters(a).expect("up").loc_rib.ipv4_unicast, 3);
    assert_eq!(rib.adj_rib_in_post_policy(a).expect("up").iter().count(), 3);

    // The same policy again: nothing to send.
    let out = rib.set_policy(engine(&plain));
    assert!(updates_for(&out, b).is_empty());

    // Back to the first policy: the blocked route is withdrawn from B.
    let out = rib.set_policy(engine(&config));
    let sent = updates_for(&out, b);
    let withdrawn: Vec<IpNet> = sent
        .iter()
        .flat_map(|u| u.withdrawn.iter().map(|n| n.prefix))
        .collect();
    assert_eq!(withdrawn, vec![blocked().prefix]);
    assert_eq!(rib.counters(a).expect("up").loc_rib.ipv4_unicast, 2);
}

#[test]
fn default_reject_import_keeps_routes_out_of_loc_rib() {
    let config =
        config_with("[global.apply-policy.config]\ndefault-import-policy = \"reject-route\"\n");
    let (mut rib, a, b) = rib_with(&config);
    let out = rib.update(a, &from_a(prefixes(3)));
    assert!(announced(&updates_for(&out, b)).is_empty());
    assert_eq!(rib.adj_rib_in(a).expect("up").iter().count(), 3);
    assert_eq!(rib.counters(a).expect("up").rejected, 3);
    assert_eq!(rib.loc_rib().prefixes(Family::IPV4_UNICAST), 0);
}

#[test]
fn adj_rib_out_pre_policy_is_the_candidates_before_export_policy() {
    use crate::rib::monitor::{Monitor, Queue, Request, Subscription, View, Views};
    let config = config_with(BOTH);
    let (mut rib, a, b) = rib_with(&config);
    rib.update(a, &from_a(prefixes(2)));
    let (tx, mut rx) = mpsc::unbounded_channel();
    rib.request(Request::Subscribe(Subscription {
        views: Views::of(&[View::AdjRibOutPre, View::AdjRibOutPost]),
        mirroring: false,
        queue: Arc::new(Queue::new(1 << 20)),
        tx,
    }));
    // Prepends to B: one (the rules) before export policy, three after.
    let path_of = |messages: &[Bytes]| -> Vec<Vec<u32>> {
        messages
            .iter()
            .filter_map(|m| match Message::decode(m.clone(), &cx()) {
                Ok(Message::Update(u)) if !u.nlri.is_empty() => {
                    match u.attribute(bgp::AttrType::AsPath).map(|a| a.value.clone()) {
                        Some(AttrValue::AsPath(p)) => Some(p.segments[0].asns.clone()),
                        _ => None,
                    }
                }
                _ => None,
            })
            .collect()
    };
    let mut seen = Vec::new();
    while rib.dump_step(4096) {}
    while let Ok(item) = rx.try_recv() {
        if let Monitor::Route {
            peer: Some(info),
            view,
            messages,
            ..
        } = item
        {
            if info.peer == b {
                seen.push((view, path_of(&messages)));
            }
        }
    }
    assert_eq!(
        seen,
        vec![
            (View::AdjRibOutPre, vec![vec![65001, 65002]]),
            (View::AdjRibOutPost, vec![vec![65001, 65001, 65001, 65002]]),
        ]
    );
    // Live: the rib publishes the pre-policy candidates itself.
    let fresh = Nlri::new(IpNet::V4(
        Ipv4Net::new(Ipv4Addr::new(10, 200, 0, 0), 16).expect("valid"),
    ));
    rib.update(a, &from_a(vec![fresh]));
    let live: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok())
        .filter_map(|item| match item {
            Monitor::Route {
                peer: Some(info),
                view: View::AdjRibOutPre,
                messages,
                ..
            } if info.peer == b => Some(path_of(&messages)),
            _ => None,
        })
        .collect();
    assert_eq!(live, vec![vec![vec![65001, 65002]]]);
}

#[test]
fn routes_export_policy_keeps_back_count_in_the_pre_policy_adj_rib_out_only() {
    // Export: drop the blocked prefix set toward everyone (no import
    // policy, so it reaches Loc-RIB).
    let config = config_with(&format!(
        r#"{DROP_BLOCKED}
[global.apply-policy.config]
export-policy-list = ["out-drop"]
"#
    ));
    let (mut rib, a, b) = rib_with(&config);
    let mut all = prefixes(2);
    all.push(blocked());
    let out = rib.update(a, &from_a(all));
    assert_eq!(announced(&updates_for(&out, b)).len(), 2);
    let stats = rib.stats();
    let of_b = stats
        .peers
        .iter()
        .find(|p| p.info.peer == b)
        .expect("B in stats");
    assert_eq!(of_b.adj_rib_out.ipv4_unicast, 2);
    assert_eq!(of_b.adj_rib_out_pre.ipv4_unicast, 3);

    // Without the export policy the blocked route is sent: both count 3.
    let out = rib.set_policy(engine(&config_with("")));
    assert_eq!(announced(&updates_for(&out, b)), vec![blocked().prefix]);
    let stats = rib.stats();
    let of_b = stats
        .peers
        .iter()
        .find(|p| p.info.peer == b)
        .expect("B in stats");
    assert_eq!(of_b.adj_rib_out.ipv4_unicast, 3);
    assert_eq!(of_b.adj_rib_out_pre.ipv4_unicast, 3);

    // Withdrawn: gone from both.
    rib.update(
        a,
        &Update {
            withdrawn: vec![blocked()],
            ..Update::default()
        },
    );
    let stats = rib.stats();
    let of_b = stats.peers.iter().find(|p| p.info.peer == b).expect("B");
    assert_eq!(of_b.adj_rib_out_pre.ipv4_unicast, 2);
}

#[path = "rib_out_pre_tests.rs"]
mod rib_out_pre;
