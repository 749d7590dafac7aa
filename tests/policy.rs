//! Policies in running daemons on loopback: a fake peer F1 announces to
//! daemon A, A passes the routes to daemon B, whose global import policy
//! filters and changes them, and B passes what it accepts to an iBGP fake
//! peer F2 (iBGP, so MED and LOCAL_PREF reach it unchanged).
//!
//! ```text
//!  F1 127.0.0.3 ──▶ A 127.0.0.1 ──▶ B 127.0.0.2 ──iBGP──▶ F2 127.0.0.4
//!   AS 65003        AS 65001        AS 65002 (import       AS 65002
//!                                    policy "in")
//! ```
//!
//! Reloads go through `daemon::reload_config` on a file, as SIGHUP does.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bgpd::config;
use bgpd::daemon;
use bgpd::wire::bgp::{
    self, AsPath, AttrValue, Community, Message, MpReach, NextHop, Nlri, Origin, PathAttribute,
};
use bgpd::wire::Family;
use common::*;
use ipnet::IpNet;
use tokio::io::AsyncWriteExt;
use tokio::time::timeout;

/// What F2 holds for one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Route {
    next_hop: NextHop,
    path: String,
    med: Option<u32>,
    local_pref: Option<u32>,
    communities: Vec<String>,
}

type Rib = BTreeMap<IpNet, Route>;

/// Routes F1 announces: prefix, family. Each carries MED 10 and community
/// 65003:1 (A drops the MED towards B, another AS).
const ROUTES: [&str; 5] = [
    "10.1.1.0/24",
    "10.1.2.0/24",
    "10.2.1.0/24",
    "10.3.1.0/24",
    "2001:db8:3::/48",
];

/// B's import policy: reject the /24s of `deny`, set MED `med` and add
/// community 65002:7 on the /24s of 10.2.0.0/16. `extra` is appended (more
/// sets or policies).
fn policy_toml(deny: &str, med: u32, extra: &str) -> String {
    format!(
        r#"
[global.apply-policy.config]
  import-policy-list = ["in"]
  default-import-policy = "accept-route"

[[defined-sets.prefix-sets]]
  prefix-set-name = "deny"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "{deny}"
    masklength-range = "24..24"

[[defined-sets.prefix-sets]]
  prefix-set-name = "tag"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "10.2.0.0/16"
    masklength-range = "24..24"

[[policy-definitions]]
  name = "in"
  [[policy-definitions.statements]]
    name = "reject-deny"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "deny"
    [policy-definitions.statements.actions]
      route-disposition = "reject-route"
  [[policy-definitions.statements]]
    name = "tag"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "tag"
    [policy-definitions.statements.actions.bgp-actions]
      set-med = "{med}"
    [policy-definitions.statements.actions.bgp-actions.set-community]
      options = "add"
      [policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]
        communities-list = ["65002:7"]
{extra}"#
    )
}

struct Chain {
    a: Running,
    b: Running,
    /// B's configuration without its policy.
    b_base: String,
    /// B's configuration file (reloads rewrite it).
    b_file: PathBuf,
    f1: Fake,
    f2: Fake,
    rib: Rib,
}

fn localhost(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

fn temp_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "bgpd-policy-test-{}-{name}.toml",
        std::process::id()
    ))
}

/// Starts A and B (B with `policy`) and the fakes, all sessions up.
async fn chain(name: &str, policy: &str) -> Chain {
    let a_port = free_port("127.0.0.1").await;
    let b_port = free_port("127.0.0.2").await;
    let families: &[&str] = &["ipv4-unicast", "ipv6-unicast"];
    let a_neighbors = format!(
        "{}{}",
        fake_neighbor("127.0.0.3", 65003, "127.0.0.1").toml(),
        Neighbor {
            passive: true,
            families,
            hold_time: Some(90),
            ..Neighbor::new("127.0.0.2", 65002, "127.0.0.1", b_port)
        }
        .toml()
    );
    let b_neighbors = format!(
        "{}{}",
        Neighbor {
            families,
            hold_time: Some(90),
            ..Neighbor::new("127.0.0.1", 65001, "127.0.0.2", a_port)
        }
        .toml(),
        fake_neighbor("127.0.0.4", 65002, "127.0.0.2").toml()
    );
    let b_base = config_text(65002, "127.0.0.2", &["127.0.0.2"], b_port, &b_neighbors);
    let b_file = temp_file(name);
    std::fs::write(&b_file, format!("{b_base}{policy}")).expect("write config");
    let b_config = config::load(&b_file).expect("B's configuration");
    let mut a = start(daemon_config(
        65001,
        "127.0.0.1",
        &["127.0.0.1"],
        a_port,
        &a_neighbors,
    ));
    let mut b = start(b_config);
    wait_for(&mut a, "127.0.0.2", true).await;
    wait_for(&mut b, "127.0.0.1", true).await;
    let mut f1 = Fake::connect("127.0.0.3", SocketAddr::new(localhost(1), a_port)).await;
    f1.handshake(fake_open(65003, Ipv4Addr::new(127, 0, 0, 3), 90, false))
        .await;
    wait_for(&mut a, "127.0.0.3", true).await;
    let mut f2 = Fake::connect("127.0.0.4", SocketAddr::new(localhost(2), b_port)).await;
    f2.handshake(fake_open(65002, Ipv4Addr::new(127, 0, 0, 4), 90, false))
        .await;
    wait_for(&mut b, "127.0.0.4", true).await;
    Chain {
        a,
        b,
        b_base,
        b_file,
        f1,
        f2,
        rib: Rib::new(),
    }
}

/// F1 announces [`ROUTES`] with MED 10 and community 65003:1.
async fn announce(f1: &mut Fake) {
    let attributes = vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![65003]))),
        PathAttribute::new(AttrValue::MultiExitDisc(10)),
        PathAttribute::new(AttrValue::Communities(vec![Community(65003 << 16 | 1)])),
    ];
    for prefix in ROUTES {
        let (family, next_hop) = if prefix.contains(':') {
            (Family::IPV6_UNICAST, v6_next_hop("2001:db8::3"))
        } else {
            (
                Family::IPV4_UNICAST,
                NextHop::V4(Ipv4Addr::new(127, 0, 0, 3)),
            )
        };
        let nlri = [Nlri::new(net(prefix))];
        for message in bgp::announce(&attributes, family, &next_hop, &nlri, &f1.cx).expect("encode")
        {
            f1.stream.write_all(&message).await.expect("write");
        }
    }
}

/// Applies one UPDATE to `rib`, all attributes kept.
fn apply(rib: &mut Rib, update: &bgp::Update) {
    for (_, nlri) in update.withdrawals() {
        rib.remove(&nlri.prefix);
    }
    let mut route = Route {
        next_hop: NextHop::V4(Ipv4Addr::UNSPECIFIED),
        path: String::new(),
        med: None,
        local_pref: None,
        communities: Vec::new(),
    };
    for attribute in &update.attributes {
        match &attribute.value {
            AttrValue::AsPath(path) => route.path = path.to_string(),
            AttrValue::NextHop(v4) => route.next_hop = NextHop::V4(*v4),
            AttrValue::MultiExitDisc(med) => route.med = Some(*med),
            AttrValue::LocalPref(lp) => route.local_pref = Some(*lp),
            AttrValue::Communities(c) => {
                route.communities = c.iter().map(ToString::to_string).collect()
            }
            _ => {}
        }
    }
    for nlri in &update.nlri {
        rib.insert(nlri.prefix, route.clone());
    }
    if let Some(MpReach::Prefixes { next_hop, nlri, .. }) = update.mp_reach() {
        for nlri in nlri {
            rib.insert(
                nlri.prefix,
                Route {
                    next_hop: *next_hop,
                    ..route.clone()
                },
            );
        }
    }
}

/// Reads F2's UPDATEs until `done` holds (bounded by 3 × [`WAIT`]). Any
/// OPEN or NOTIFICATION, or a closed connection, fails: the session must
/// not be reset.
async fn f2_until(chain: &mut Chain, done: impl Fn(&Rib) -> bool) {
    let Chain { f2, rib, .. } = chain;
    timeout(WAIT * 3, async {
        while !done(rib) {
            match f2.recv().await {
                Some(Message::Update(update)) => apply(rib, &update),
                Some(Message::Keepalive) => {}
                Some(other) => panic!("F2's session was reset: {other:?}"),
                None => panic!("F2's session was closed; routes so far: {rib:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("F2 never held the expected routes; it holds {rib:?}"));
}

fn prefixes(rib: &Rib) -> Vec<String> {
    rib.keys().map(ToString::to_string).collect()
}

fn has_exactly(rib: &Rib, want: &[&str]) -> bool {
    prefixes(rib) == want
}

/// The route F2 should hold for `prefix` when B's policy left it alone.
fn untouched(prefix: &str) -> Route {
    let next_hop = if prefix.contains(':') {
        v6_next_hop("::ffff:127.0.0.1")
    } else {
        NextHop::V4(Ipv4Addr::new(127, 0, 0, 1))
    };
    Route {
        next_hop,
        path: "65001 65003".to_owned(),
        med: None,
        local_pref: Some(100),
        communities: vec!["65003:1".to_owned()],
    }
}

/// The route F2 should hold for a /24 of 10.2.0.0/16 with MED `med`.
fn tagged(med: u32) -> Route {
    Route {
        med: Some(med),
        communities: vec!["65003:1".to_owned(), "65002:7".to_owned()],
        ..untouched("10.2.1.0/24")
    }
}

/// No session of A or B went down (or came up again) so far.
fn assert_no_session_change(chain: &mut Chain) {
    for (name, running) in [("A", &mut chain.a), ("B", &mut chain.b)] {
        if let Ok(change) = running.observed.try_recv() {
            panic!("daemon {name}: a session changed: {change:?}");
        }
    }
}

/// Reloads B from its file rewritten with `policy`, as SIGHUP does; returns
/// whether the file was accepted and sent, and what was logged.
async fn reload_b(chain: &mut Chain, policy: &str) -> (bool, String) {
    std::fs::write(&chain.b_file, format!("{}{policy}", chain.b_base)).expect("write config");
    let (config, logged) = capture_logs(|| daemon::reload_config(&chain.b_file));
    let sent = match config {
        Some(config) => {
            chain.b.reload.send(config).await.expect("B running");
            true
        }
        None => false,
    };
    (sent, logged)
}

/// Runs `f` with this thread's log lines captured; returns its value and
/// the lines.
fn capture_logs<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let value = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8_lossy(&buffer.0.lock().expect("lock")).into_owned();
    (value, text)
}

async fn finish(chain: Chain) {
    let _ = std::fs::remove_file(&chain.b_file);
    stop(chain.b).await;
    stop(chain.a).await;
}

#[tokio::test]
async fn import_policy_rejects_a_prefix_set_and_changes_med_and_communities() {
    let mut chain = chain("import", &policy_toml("10.1.0.0/16", 50, "")).await;
    announce(&mut chain.f1).await;
    let want = ["10.2.1.0/24", "10.3.1.0/24", "2001:db8:3::/48"];
    f2_until(&mut chain, |rib| has_exactly(rib, &want)).await;
    assert_eq!(chain.rib[&net("10.2.1.0/24")], tagged(50));
    assert_eq!(chain.rib[&net("10.3.1.0/24")], untouched("10.3.1.0/24"));
    assert_eq!(
        chain.rib[&net("2001:db8:3::/48")],
        untouched("2001:db8:3::/48")
    );
    assert_no_session_change(&mut chain);
    finish(chain).await;
}

#[tokio::test]
async fn reload_with_a_changed_policy_sends_the_difference_without_a_session_reset() {
    let mut chain = chain("reload", &policy_toml("10.1.0.0/16", 50, "")).await;
    announce(&mut chain.f1).await;
    let before = ["10.2.1.0/24", "10.3.1.0/24", "2001:db8:3::/48"];
    f2_until(&mut chain, |rib| has_exactly(rib, &before)).await;
    assert_eq!(chain.rib[&net("10.2.1.0/24")], tagged(50));

    // Now 10.3.0.0/16 is denied instead of 10.1.0.0/16, and the MED is 60.
    let (sent, logged) = reload_b(&mut chain, &policy_toml("10.3.0.0/16", 60, "")).await;
    assert!(sent, "the new file was refused: {logged}");
    let after = [
        "10.1.1.0/24",
        "10.1.2.0/24",
        "10.2.1.0/24",
        "2001:db8:3::/48",
    ];
    f2_until(&mut chain, |rib| {
        has_exactly(rib, &after) && rib[&net("10.2.1.0/24")].med == Some(60)
    })
    .await;
    assert_eq!(chain.rib[&net("10.1.1.0/24")], untouched("10.1.1.0/24"));
    assert_eq!(chain.rib[&net("10.1.2.0/24")], untouched("10.1.2.0/24"));
    assert_eq!(chain.rib[&net("10.2.1.0/24")], tagged(60));
    // No session of either daemon went down, and F2 got no OPEN or
    // NOTIFICATION (f2_until fails on those).
    assert_no_session_change(&mut chain);

    // The route F1 sends after the reload meets the new policy too.
    chain
        .f1
        .announce(
            65003,
            Family::IPV4_UNICAST,
            NextHop::V4(Ipv4Addr::new(127, 0, 0, 3)),
            &["10.3.2.0/24", "10.4.1.0/24"],
        )
        .await;
    f2_until(&mut chain, |rib| rib.contains_key(&net("10.4.1.0/24"))).await;
    assert!(!chain.rib.contains_key(&net("10.3.2.0/24")));
    assert_no_session_change(&mut chain);
    finish(chain).await;
}

/// Policy files gobgpd refuses (its `failed to create routing policy`):
/// each is refused on reload with the reason logged, and the running
/// policy stays in force.
#[tokio::test]
async fn reload_of_a_policy_file_gobgpd_refuses_keeps_the_running_policy() {
    let mut chain = chain("refused", &policy_toml("10.1.0.0/16", 50, "")).await;
    announce(&mut chain.f1).await;
    let want = ["10.2.1.0/24", "10.3.1.0/24", "2001:db8:3::/48"];
    f2_until(&mut chain, |rib| has_exactly(rib, &want)).await;

    let bad_regexp = r#"
[[defined-sets.bgp-defined-sets.community-sets]]
  community-set-name = "broken"
  community-list = ["^65003:(1"]
[[policy-definitions]]
  name = "uses-broken"
  [[policy-definitions.statements]]
    [policy-definitions.statements.conditions.bgp-conditions.match-community-set]
      community-set = "broken"
    [policy-definitions.statements.actions]
      route-disposition = "reject-route"
"#;
    let bad_as_path = r#"
[[defined-sets.bgp-defined-sets.as-path-sets]]
  as-path-set-name = "broken-path"
  as-path-list = ["_650[03_"]
"#;
    let unknown_set = r#"
[[policy-definitions]]
  name = "dangling"
  [[policy-definitions.statements]]
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "no-such-set"
"#;
    let two_families = r#"
[[defined-sets.prefix-sets]]
  prefix-set-name = "mixed"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "10.9.0.0/16"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "2001:db8:9::/48"
"#;
    // Each bad file would also deny 10.3.0.0/16 if it were taken.
    for (what, extra, named) in [
        ("bad community regexp", bad_regexp, "broken"),
        ("bad AS-path regexp", bad_as_path, "broken-path"),
        ("unknown set", unknown_set, "no-such-set"),
        ("prefix set of two families", two_families, "mixed"),
    ] {
        let (sent, logged) = reload_b(&mut chain, &policy_toml("10.3.0.0/16", 60, extra)).await;
        assert!(!sent, "{what}: the file was accepted");
        assert!(
            logged.contains("ERROR") && logged.contains("keeping the running configuration"),
            "{what}: no error logged: {logged}"
        );
        assert!(
            logged.contains(named),
            "{what}: the error does not name {named}: {logged}"
        );
    }

    // The running policy still decides: a new route of 10.3.0.0/16 is
    // accepted (the refused files denied it), one of 10.1.0.0/16 is not.
    chain
        .f1
        .announce(
            65003,
            Family::IPV4_UNICAST,
            NextHop::V4(Ipv4Addr::new(127, 0, 0, 3)),
            &["10.1.3.0/24", "10.3.2.0/24"],
        )
        .await;
    f2_until(&mut chain, |rib| rib.contains_key(&net("10.3.2.0/24"))).await;
    assert!(!chain.rib.contains_key(&net("10.1.3.0/24")));
    assert_eq!(chain.rib[&net("10.2.1.0/24")], tagged(50));
    assert_no_session_change(&mut chain);
    finish(chain).await;
}

#[test]
fn the_differential_test_policy_file_is_accepted() {
    // tests/interop/policy_diff.toml, loaded by gobgpd 3.10 in
    // test_policy_gobgpd.sh, is accepted here too, with no warning.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/policy_diff.toml");
    let config = config::load(&path).expect("policy_diff.toml");
    assert_eq!(config.policies.len(), 11);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}
