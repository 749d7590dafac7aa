//! Policy, defined-set and BMP rules.

use super::*;
use crate::rib::monitor::{View, Views};

#[test]
fn unknown_enum_strings_are_kept_as_default_with_a_warning() {
    let c = ok(&with_global(
        "[global.apply-policy.config]\ndefault-import-policy = \"reject\"\n\
         [[policy-definitions]]\nname = \"p\"\n[[policy-definitions.statements]]\n\
         [policy-definitions.statements.actions]\nroute-disposition = \"accept\"\n",
    ));
    assert_eq!(c.global.apply_policy.default_import, DefaultPolicy::Accept);
    assert_eq!(
        c.policies[0].statements[0].actions.route_disposition,
        RouteDisposition::None
    );
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
}

#[test]
fn unknown_policy_name_in_apply_policy_is_dropped_with_a_warning() {
    let c = ok(&with_global(
        "[global.apply-policy.config]\nimport-policy-list = [\"nope\"]\n",
    ));
    assert!(c.global.apply_policy.import_policies.is_empty());
    assert!(c.warnings[0].contains("nope"));
}

#[test]
fn dangling_set_reference_is_an_error() {
    let (key, p) = problem(&with_global(
        "[[policy-definitions]]\nname = \"p\"\n[[policy-definitions.statements]]\n\
         [policy-definitions.statements.conditions.match-prefix-set]\nprefix-set = \"nope\"\n",
    ));
    assert_eq!(
        key,
        "policy-definitions[0].statements[0].conditions.match-prefix-set"
    );
    assert_eq!(p, Problem::UnknownSet("prefix set", "nope".to_owned()));
}

#[test]
fn duplicate_policy_and_empty_names_are_errors() {
    let (_, p) = problem(&with_global(
        "[[policy-definitions]]\nname = \"p\"\n[[policy-definitions]]\nname = \"p\"\n",
    ));
    assert_eq!(p, Problem::DuplicateName("policy", "p".to_owned()));
    let (_, p) = problem(&with_global("[[policy-definitions]]\n"));
    assert_eq!(p, Problem::EmptyName("policy"));
    let (_, p) = problem(&with_global("[[defined-sets.prefix-sets]]\n"));
    assert_eq!(p, Problem::EmptyName("prefix set"));
}

#[test]
fn prefix_set_rules_are_checked() {
    let set = |entries: &str| {
        with_global(&format!(
            "[[defined-sets.prefix-sets]]\nprefix-set-name = \"s\"\n{entries}"
        ))
    };
    let entry = |prefix: &str, range: &str| {
        format!("[[defined-sets.prefix-sets.prefix-list]]\nip-prefix = \"{prefix}\"\nmasklength-range = \"{range}\"\n")
    };
    let (_, p) = problem(&set(&entry("10.0.0.0/8", "24..33")));
    assert_eq!(p, Problem::InvalidMaskLengthRange("24..33".to_owned()));
    let (_, p) = problem(&set(&format!(
        "{}{}",
        entry("10.0.0.0/8", ""),
        entry("2001:db8::/32", "")
    )));
    assert_eq!(p, Problem::MixedFamilies("s".to_owned()));
    let c = ok(&set(&entry("10.0.0.0/8", "")));
    assert_eq!(c.defined_sets.prefix_sets[0].prefixes[0].min_length, 8);
}

#[test]
fn statement_names_default_to_policy_and_index() {
    let c = ok(&with_global(
        "[[policy-definitions]]\nname = \"p\"\n[[policy-definitions.statements]]\n",
    ));
    assert_eq!(c.policies[0].statements[0].name, "p_stmt0");
}

#[test]
fn set_med_and_next_hop_are_checked() {
    let action = |body: &str| {
        with_global(&format!(
            "[[policy-definitions]]\nname = \"p\"\n[[policy-definitions.statements]]\n\
             [policy-definitions.statements.actions.bgp-actions]\n{body}"
        ))
    };
    let c = ok(&action("set-med = \"-5\"\nset-next-hop = \"self\"\n"));
    let a = &c.policies[0].statements[0].actions;
    assert_eq!(a.set_med, Some(MedAction::Subtract(5)));
    assert_eq!(a.set_next_hop, Some(NextHopAction::OwnAddress));
    let (_, p) = problem(&action("set-med = \"x5\"\n"));
    assert_eq!(p, Problem::InvalidSetMed("x5".to_owned()));
}

#[test]
fn bmp_server_defaults_and_both_means_pre_and_post_policy() {
    let c = ok(&with_global(
        "[[bmp-servers]]\n[bmp-servers.config]\naddress = \"bmp.example.net\"\nroute-monitoring-policy = \"both\"\n",
    ));
    let b = &c.bmp_servers[0];
    assert_eq!((b.address.as_str(), b.port), ("bmp.example.net", 11019));
    assert_eq!(
        b.route_monitoring_policy,
        Views::of(&[View::AdjRibInPre, View::AdjRibInPost])
    );
    assert_eq!(b.statistics_timeout, None);
    assert_eq!(b.queue_limit, crate::config::DEFAULT_BMP_QUEUE_LIMIT);
    assert!(c.warnings[0].contains("obsolete"), "{:?}", c.warnings);
}

fn bmp(extra: &str) -> String {
    with_global(&format!(
        "[[bmp-servers]]\n[bmp-servers.config]\naddress = \"192.0.2.9\"\n{extra}"
    ))
}

#[test]
fn bmp_route_monitoring_policy_names_select_views() {
    use View::*;
    let cases: [(&str, &[View]); 8] = [
        ("", &[AdjRibInPre]),
        ("route-monitoring-policy = \"pre-policy\"", &[AdjRibInPre]),
        ("route-monitoring-policy = \"post-policy\"", &[AdjRibInPost]),
        ("route-monitoring-policy = \"local-rib\"", &[LocRib]),
        (
            "route-monitoring-policy = \"all\"",
            &[AdjRibInPre, AdjRibInPost, LocRib],
        ),
        (
            "route-monitoring-policy = \"adj-rib-out-pre-policy\"",
            &[AdjRibOutPre],
        ),
        (
            "route-monitoring-policy = \"adj-rib-out-post-policy\"",
            &[AdjRibOutPost],
        ),
        ("route-monitoring-policy = \"bogus\"", &[AdjRibInPre]),
    ];
    for (line, views) in cases {
        let c = ok(&bmp(line));
        assert_eq!(
            c.bmp_servers[0].route_monitoring_policy,
            Views::of(views),
            "{line}"
        );
    }
    assert!(ok(&bmp("route-monitoring-policy = \"bogus\"")).warnings[0].contains("bogus"));
}

#[test]
fn bmp_route_monitoring_policy_list_is_the_union_and_may_be_empty() {
    use View::*;
    let c = ok(&bmp(
        "route-monitoring-policy = [\"pre-policy\", \"local-rib\", \"adj-rib-out-post-policy\"]",
    ));
    assert_eq!(
        c.bmp_servers[0].route_monitoring_policy,
        Views::of(&[AdjRibInPre, LocRib, AdjRibOutPost])
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let c = ok(&bmp("route-monitoring-policy = []"));
    assert_eq!(c.bmp_servers[0].route_monitoring_policy, Views::NONE);
    let (key, p) = problem(&bmp("route-monitoring-policy = [\"pre-policy\", \"nope\"]"));
    assert_eq!(key, "bmp-servers[0].config.route-monitoring-policy");
    assert_eq!(p, Problem::UnknownMonitoringView("nope".to_owned()));
}

#[test]
fn bmp_queue_limit_and_source_address_are_checked() {
    let c = ok(&bmp(
        "queue-limit = 1048576\nsource-address = \"2001:db8::1\"",
    ));
    let b = &c.bmp_servers[0];
    assert_eq!(b.queue_limit, 1 << 20);
    assert_eq!(
        b.source_address,
        Some("2001:db8::1".parse().expect("literal"))
    );
    let (key, p) = problem(&bmp("queue-limit = 100"));
    assert_eq!(key, "bmp-servers[0].config.queue-limit");
    assert_eq!(p, Problem::BmpQueueLimitTooSmall(100));
    let (key, p) = problem(&bmp("source-address = \"bmp.example.net\""));
    assert_eq!(key, "bmp-servers[0].config.source-address");
    assert_eq!(p, Problem::InvalidAddress("bmp.example.net".to_owned()));
}

#[test]
fn bmp_statistics_timeout_is_0_or_15_and_up() {
    assert_eq!(
        ok(&bmp("statistics-timeout = 0")).bmp_servers[0].statistics_timeout,
        None
    );
    let c = ok(&bmp("statistics-timeout = 15"));
    assert_eq!(
        c.bmp_servers[0].statistics_timeout,
        Some(std::time::Duration::from_secs(15))
    );
    let (_, p) = problem(&bmp("statistics-timeout = 14"));
    assert_eq!(p, Problem::StatisticsTimeoutTooSmall(14));
}

#[test]
fn duplicate_bmp_server_is_ignored_with_a_warning() {
    let c = ok(&with_global(
        "[[bmp-servers]]\n[bmp-servers.config]\naddress = \"192.0.2.9\"\n\
         [[bmp-servers]]\n[bmp-servers.config]\naddress = \"192.0.2.9\"\nport = 11019\n",
    ));
    assert_eq!(c.bmp_servers.len(), 1);
    assert!(
        c.warnings[0].contains("already configured"),
        "{:?}",
        c.warnings
    );
}

#[test]
fn bad_as_path_regex_is_an_error_naming_the_set() {
    let (key, p) = problem(&with_global(
        "[[defined-sets.bgp-defined-sets.as-path-sets]]\nas-path-set-name = \"paths\"\n\
         as-path-list = [\"^(65001_\"]\n",
    ));
    assert_eq!(key, "defined-sets.bgp-defined-sets.as-path-sets[0]");
    assert!(p.to_string().contains("as-path set paths"), "{p}");
}

#[test]
fn ext_community_entry_without_kind_is_an_error() {
    let (key, p) = problem(&with_global(
        "[[defined-sets.bgp-defined-sets.ext-community-sets]]\next-community-set-name = \"e\"\n\
         ext-community-list = [\"65000:100\"]\n",
    ));
    assert_eq!(key, "defined-sets.bgp-defined-sets.ext-community-sets[0]");
    let Problem::Policy(error) = p else {
        panic!("not a policy problem: {p:?}");
    };
    assert!(matches!(
        *error,
        crate::policy::PolicyError::SetEntry {
            problem: crate::policy::EntryProblem::ExtCommunityKind,
            ..
        }
    ));
}

#[test]
fn bad_community_in_an_add_action_is_an_error_naming_the_statement() {
    let (key, p) = problem(&with_global(
        "[[policy-definitions]]\nname = \"p\"\n[[policy-definitions.statements]]\nname = \"s\"\n\
         [policy-definitions.statements.actions.bgp-actions.set-community]\noptions = \"add\"\n\
         [policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]\n\
         communities-list = [\"not-a-community\"]\n",
    ));
    assert_eq!(key, "policy-definitions[0].statements[0]");
    let text = p.to_string();
    assert!(text.contains("policy p statement s"), "{text}");
    assert!(text.contains("not-a-community"), "{text}");
}
