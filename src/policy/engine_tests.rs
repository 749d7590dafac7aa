//! Dispositions, policy chains, defaults and assignments.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use super::test_support::*;
use super::{Decision, PolicyEngine, PolicyError, SetKind, SourcePeer};
use crate::config::{ApplyPolicy, DefinedSets, NamedList};

/// Two policies: `first` sets LOCAL_PREF 200 and goes on; `second`
/// rejects 10.0.0.0/8 routes (exact /24s via the set) and sets MED 5 on
/// the rest with no disposition.
const CHAIN: &str = r#"
[[defined-sets.prefix-sets]]
prefix-set-name = "ten"
[[defined-sets.prefix-sets.prefix-list]]
ip-prefix = "10.0.0.0/8"
masklength-range = "24..24"

[[policy-definitions]]
name = "first"
[[policy-definitions.statements]]
[policy-definitions.statements.actions.bgp-actions]
set-local-pref = 200

[[policy-definitions]]
name = "second"
[[policy-definitions.statements]]
[policy-definitions.statements.conditions.match-prefix-set]
prefix-set = "ten"
[policy-definitions.statements.actions]
route-disposition = "reject-route"
[[policy-definitions.statements]]
[policy-definitions.statements.actions.bgp-actions]
set-med = "5"
"#;

fn chain(default: &str) -> PolicyEngine {
    engine(&format!(
        "[global.apply-policy.config]\nimport-policy-list = [\"first\", \"second\"]\n\
         default-import-policy = \"{default}\"\n{CHAIN}"
    ))
}

#[test]
fn no_disposition_goes_on_with_changes_kept_and_default_accept_keeps_them() {
    let out = imported(
        &chain("accept-route"),
        "192.0.2.0/24",
        &Attrs::path(&[65002]),
    );
    assert_eq!(out.local_pref(), Some(200));
    assert_eq!(out.med(), Some(5));
}

#[test]
fn reject_route_ends_evaluation() {
    assert_eq!(
        import(
            &chain("accept-route"),
            "10.1.1.0/24",
            &Attrs::path(&[65002])
        ),
        Decision::Reject
    );
}

#[test]
fn default_reject_drops_a_route_with_accumulated_changes() {
    assert_eq!(
        import(
            &chain("reject-route"),
            "192.0.2.0/24",
            &Attrs::path(&[65002])
        ),
        Decision::Reject
    );
}

#[test]
fn accept_route_stops_later_statements_and_policies() {
    let e = engine(
        r#"
[global.apply-policy.config]
import-policy-list = ["a", "b"]
[[policy-definitions]]
name = "a"
[[policy-definitions.statements]]
[policy-definitions.statements.actions]
route-disposition = "accept-route"
[policy-definitions.statements.actions.bgp-actions]
set-med = "1"
[[policy-definitions.statements]]
[policy-definitions.statements.actions.bgp-actions]
set-med = "2"
[[policy-definitions]]
name = "b"
[[policy-definitions.statements]]
[policy-definitions.statements.actions]
route-disposition = "reject-route"
"#,
    );
    assert_eq!(
        imported(&e, "192.0.2.0/24", &Attrs::path(&[65002])).med(),
        Some(1)
    );
}

#[test]
fn later_statements_see_earlier_changes() {
    let e = engine(
        r#"
[global.apply-policy.config]
import-policy-list = ["p"]
[[policy-definitions]]
name = "p"
[[policy-definitions.statements]]
[policy-definitions.statements.actions.bgp-actions]
set-med = "42"
[[policy-definitions.statements]]
[policy-definitions.statements.conditions.bgp-conditions]
med-eq = 42
[policy-definitions.statements.actions]
route-disposition = "reject-route"
"#,
    );
    assert_eq!(
        import(&e, "192.0.2.0/24", &Attrs::path(&[65002])),
        Decision::Reject
    );
}

#[test]
fn no_policy_accepts_unchanged_or_rejects_by_default() {
    let open = engine("");
    assert!(open.import_is_default(&ebgp()));
    assert_eq!(
        import(&open, "192.0.2.0/24", &Attrs::path(&[65002])),
        Decision::Accept
    );
    let closed = engine("[global.apply-policy.config]\ndefault-import-policy = \"reject-route\"\n");
    assert_eq!(
        import(&closed, "192.0.2.0/24", &Attrs::path(&[65002])),
        Decision::Reject
    );
    let source = ebgp();
    assert_eq!(
        closed.export(
            &context("192.0.2.0/24", &source),
            &target(),
            &Attrs::path(&[65002]).build()
        ),
        Decision::Accept,
        "export default is separate"
    );
}

const RS: &str = r#"
[[neighbors]]
[neighbors.config]
neighbor-address = "192.0.2.2"
peer-as = 65002
[neighbors.route-server.config]
route-server-client = true
[neighbors.apply-policy.config]
import-policy-list = ["reject-all"]
export-policy-list = ["reject-all"]

[[policy-definitions]]
name = "reject-all"
[[policy-definitions.statements]]
[policy-definitions.statements.actions]
route-disposition = "reject-route"
"#;

#[test]
fn route_server_client_uses_its_own_import_policy_not_the_global_one() {
    let e = engine(&format!(
        "[global.apply-policy.config]\ndefault-import-policy = \"reject-route\"\n{RS}"
    ));
    let a = Attrs::path(&[65002]).build();
    let rs = SourcePeer {
        route_server_client: true,
        ..ebgp()
    };
    assert_eq!(
        e.import(&context("192.0.2.0/24", &rs), &a),
        Decision::Reject
    );
    let other = SourcePeer {
        address: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3))),
        route_server_client: true,
        ..ebgp()
    };
    assert_eq!(
        e.import(&context("192.0.2.0/24", &other), &a),
        Decision::Accept,
        "a client without an assignment accepts everything"
    );
    assert_eq!(
        e.import(&context("192.0.2.0/24", &ebgp()), &a),
        Decision::Reject,
        "an ordinary peer gets the global default"
    );
}

#[test]
fn route_server_client_target_uses_its_own_export_policy() {
    let e = engine(RS);
    let source = ebgp();
    let a = Attrs::path(&[65002]).build();
    let mut to = target();
    to.address = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
    to.route_server_client = true;
    let route = context("192.0.2.0/24", &source);
    assert_eq!(e.export(&route, &to, &a), Decision::Reject);
    assert_eq!(e.export(&route, &target(), &a), Decision::Accept);
}

#[test]
fn unknown_set_reference_names_policy_statement_and_set() {
    let error = PolicyEngine::new(
        &DefinedSets::default(),
        &[crate::config::Policy {
            name: "p".to_owned(),
            statements: vec![crate::config::Statement {
                name: "s".to_owned(),
                conditions: crate::config::Conditions {
                    community_set: Some(crate::config::SetMatch {
                        set: "missing".to_owned(),
                        options: crate::config::MatchSetOptions::Any,
                    }),
                    ..Default::default()
                },
                actions: Default::default(),
            }],
        }],
        &ApplyPolicy::default(),
        &HashMap::new(),
    )
    .expect_err("dangling reference");
    assert_eq!(
        error,
        PolicyError::UnknownSet {
            policy: "p".to_owned(),
            statement: "s".to_owned(),
            kind: SetKind::Community,
            set: "missing".to_owned(),
        }
    );
}

#[test]
fn unknown_policy_in_an_assignment_is_an_error() {
    let apply = ApplyPolicy {
        import_policies: vec!["nope".to_owned()],
        ..ApplyPolicy::default()
    };
    let error = PolicyEngine::new(&DefinedSets::default(), &[], &apply, &HashMap::new())
        .expect_err("unknown policy");
    assert_eq!(
        error,
        PolicyError::UnknownPolicy {
            policy: "nope".to_owned()
        }
    );
}

#[test]
fn check_reports_a_bad_community_regex() {
    let sets = DefinedSets {
        community_sets: vec![NamedList {
            name: "cs".to_owned(),
            entries: vec!["65000:[".to_owned()],
        }],
        ..DefinedSets::default()
    };
    assert!(matches!(
        PolicyEngine::check(&sets, &[]),
        Err(PolicyError::SetEntry { kind: SetKind::Community, ref set, .. }) if set == "cs"
    ));
}

#[test]
fn routes_sharing_an_attribute_set_are_each_decided_by_their_own_facts() {
    let e = chain("accept-route");
    let shared = Attrs::path(&[65002]).build();
    let source = ebgp();
    for _ in 0..2 {
        assert_eq!(
            e.import(&context("10.1.1.0/24", &source), &shared),
            Decision::Reject
        );
        let Decision::Modified(out) = e.import(&context("192.0.2.0/24", &source), &shared) else {
            panic!("not changed");
        };
        assert_eq!(out.local_pref(), Some(200));
    }
}

#[test]
fn a_new_engine_does_not_reuse_the_answers_of_the_old_one() {
    let shared = Attrs::path(&[65002]).communities(&[(65000, 1)]).build();
    let source = ebgp();
    let route = context("192.0.2.0/24", &source);
    let set = |entry: &str| {
        format!(
            "[global.apply-policy.config]\nimport-policy-list = [\"p\"]\n\
             [[defined-sets.bgp-defined-sets.community-sets]]\ncommunity-set-name = \"c\"\n\
             community-list = [\"{entry}\"]\n[[policy-definitions]]\nname = \"p\"\n\
             [[policy-definitions.statements]]\n\
             [policy-definitions.statements.conditions.bgp-conditions.match-community-set]\n\
             community-set = \"c\"\n[policy-definitions.statements.actions]\n\
             route-disposition = \"reject-route\"\n"
        )
    };
    assert_eq!(
        engine(&set("65000:1")).import(&route, &shared),
        Decision::Reject
    );
    assert_eq!(
        engine(&set("65000:2")).import(&route, &shared),
        Decision::Accept
    );
}
