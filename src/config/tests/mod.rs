//! Unit tests of the configuration module, one rule per test.
//!
//! The `differential_*` tests replay small files that were also fed to the
//! real gobgpd 3.10 (`gobgpd -d -f FILE --pprof-disable`); each notes what
//! gobgpd did. See docs/config.md for the table.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::*;

mod notes;
mod policy;

const GLOBAL: &str = "[global.config]\nas = 65001\nrouter-id = \"192.0.2.1\"\n";

fn ok(text: &str) -> Config {
    match parse(text, "test.toml") {
        Ok(config) => config,
        Err(e) => panic!("expected success, got: {e}"),
    }
}

fn err(text: &str) -> ConfigError {
    match parse(text, "test.toml") {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(e) => e,
    }
}

fn with_global(rest: &str) -> String {
    format!("{GLOBAL}{rest}")
}

fn neighbor(extra: &str) -> String {
    with_global(&format!(
        "[[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.2\"\npeer-as = 65002\n{extra}"
    ))
}

fn ibgp_neighbor(extra: &str) -> String {
    with_global(&format!(
        "[[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.2\"\npeer-as = 65001\n{extra}"
    ))
}

fn problem(text: &str) -> (String, Problem) {
    let e = err(text);
    let key = e.key().unwrap_or_default().to_owned();
    match e.kind {
        ErrorKind::Invalid { problem, .. } => (key, problem),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn missing_router_id_is_an_error() {
    let (key, p) = problem("[global.config]\nas = 65001\n");
    assert_eq!(key, "global.config.router-id");
    assert_eq!(p, Problem::MissingRouterId);
}

#[test]
fn invalid_router_id_is_an_error() {
    let (_, p) = problem("[global.config]\nrouter-id = \"1.2.3\"\n");
    assert_eq!(p, Problem::InvalidRouterId("1.2.3".to_owned()));
}

#[test]
fn ipv6_router_id_is_an_error() {
    let (_, p) = problem("[global.config]\nrouter-id = \"2001:db8::1\"\n");
    assert_eq!(p, Problem::InvalidRouterId("2001:db8::1".to_owned()));
}

#[test]
fn global_defaults_follow_gobgpd() {
    let c = ok(GLOBAL);
    assert_eq!(c.global.asn, 65001);
    assert_eq!(c.global.router_id, Ipv4Addr::new(192, 0, 2, 1));
    assert_eq!(c.global.port, Some(179));
    assert_eq!(
        c.global.local_addresses,
        vec![IpAddr::from([0u8; 4]), IpAddr::from([0u16; 8])]
    );
    assert_eq!(c.global.families.len(), AfiSafiName::ALL.len());
    assert_eq!(c.global.apply_policy.default_import, DefaultPolicy::Accept);
    assert!(c.unsupported.is_empty() && c.warnings.is_empty());
}

#[test]
fn negative_global_port_means_no_listener() {
    let c = ok("[global.config]\nrouter-id = \"192.0.2.1\"\nport = -1\n");
    assert_eq!(c.global.port, None);
}

#[test]
fn global_port_beyond_65535_is_an_error() {
    let (_, p) = problem("[global.config]\nrouter-id = \"192.0.2.1\"\nport = 70000\n");
    assert_eq!(p, Problem::InvalidPort(70000));
}

#[test]
fn no_neighbor_address_is_an_error() {
    let (key, p) = problem(&with_global(
        "[[neighbors]]\n[neighbors.config]\npeer-as = 65002\n",
    ));
    assert_eq!(key, "neighbors[0].config");
    assert_eq!(p, Problem::NoNeighborAddress);
}

#[test]
fn invalid_neighbor_address_is_an_error() {
    let (key, p) = problem(&with_global(
        "[[neighbors]]\n[neighbors.config]\nneighbor-address = \"x\"\n",
    ));
    assert_eq!(key, "neighbors[0].config.neighbor-address");
    assert_eq!(p, Problem::InvalidAddress("x".to_owned()));
}

#[test]
fn duplicate_neighbor_is_an_error() {
    let text = format!(
        "{}[[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.2\"\n",
        neighbor("")
    );
    let (key, p) = problem(&text);
    assert_eq!(key, "neighbors[1]");
    assert_eq!(p, Problem::DuplicateNeighbor("192.0.2.2".to_owned()));
}

#[test]
fn unknown_peer_group_is_an_error() {
    let (key, p) = problem(&neighbor("peer-group = \"nope\"\n"));
    assert_eq!(key, "neighbors[0].config.peer-group");
    assert_eq!(p, Problem::UnknownPeerGroup("nope".to_owned()));
}

#[test]
fn route_reflector_client_and_route_server_client_is_an_error() {
    let (_, p) = problem(&neighbor(
        "[neighbors.route-reflector.config]\nroute-reflector-client = true\n\
         [neighbors.route-server.config]\nroute-server-client = true\n",
    ));
    assert_eq!(p, Problem::RouteReflectorAndRouteServerClient);
}

#[test]
fn ebgp_multihop_with_ttl_security_is_an_error() {
    let (_, p) = problem(&neighbor(
        "[neighbors.ebgp-multihop.config]\nenabled = true\n[neighbors.ttl-security.config]\nenabled = true\n",
    ));
    assert_eq!(p, Problem::MultihopWithTtlSecurity);
}

#[test]
fn remove_private_as_on_ibgp_peer_is_an_error() {
    let (key, p) = problem(&ibgp_neighbor("remove-private-as = \"all\"\n"));
    assert_eq!(key, "neighbors[0].config.remove-private-as");
    assert_eq!(p, Problem::RemovePrivateAsOnIbgp);
}

#[test]
fn replace_peer_as_on_ibgp_peer_is_an_error() {
    let (_, p) = problem(&ibgp_neighbor(
        "[neighbors.as-path-options.config]\nreplace-peer-as = true\n",
    ));
    assert_eq!(p, Problem::ReplacePeerAsOnIbgp);
}

#[test]
fn bad_statistics_timeout_is_an_error() {
    let (key, p) = problem(&with_global(
        "[[bmp-servers]]\n[bmp-servers.config]\naddress = \"127.0.0.1\"\nstatistics-timeout = 5\n",
    ));
    assert_eq!(key, "bmp-servers[0].config.statistics-timeout");
    assert_eq!(p, Problem::StatisticsTimeoutTooSmall(5));
}

#[test]
fn unknown_afi_safi_name_is_an_error() {
    let (key, p) = problem(&neighbor(
        "[[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = \"ipv4-unicastx\"\n",
    ));
    assert_eq!(key, "neighbors[0].afi-safis[0].config.afi-safi-name");
    assert_eq!(p, Problem::UnknownAfiSafi("ipv4-unicastx".to_owned()));
    assert!(err(&neighbor(
        "[[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = \"ipv4-unicastx\"\n"
    ))
    .to_string()
    .contains("ipv4-unicastx isn't a valid route family name"));
}

#[test]
fn invalid_cluster_id_of_route_reflector_client_is_an_error() {
    let (_, p) = problem(&ibgp_neighbor(
        "[neighbors.route-reflector.config]\nroute-reflector-client = true\nroute-reflector-cluster-id = \"x\"\n",
    ));
    assert_eq!(p, Problem::InvalidClusterId("x".to_owned()));
}

#[test]
fn cluster_id_may_be_ipv4_or_u32() {
    let c = ok(&ibgp_neighbor(
        "[neighbors.route-reflector.config]\nroute-reflector-client = true\nroute-reflector-cluster-id = 1\n",
    ));
    assert_eq!(c.neighbors[0].cluster_id, Ipv4Addr::new(0, 0, 0, 1));
    let c = ok(&ibgp_neighbor(
        "[neighbors.route-reflector.config]\nroute-reflector-client = true\n",
    ));
    assert_eq!(c.neighbors[0].cluster_id, Ipv4Addr::new(192, 0, 2, 1));
}

#[test]
fn hold_time_of_one_or_two_seconds_is_an_error() {
    let (key, p) = problem(&neighbor("[neighbors.timers.config]\nhold-time = 2\n"));
    assert_eq!(key, "neighbors[0].timers.config.hold-time");
    assert_eq!(p, Problem::InvalidHoldTime(2.0));
}

#[test]
fn negative_timer_is_an_error() {
    let (_, p) = problem(&neighbor("[neighbors.timers.config]\nconnect-retry = -1\n"));
    assert_eq!(p, Problem::InvalidTimer(-1.0));
}

#[test]
fn neighbor_defaults_follow_gobgpd() {
    let c = ok(&neighbor(""));
    let n = &c.neighbors[0];
    assert_eq!(n.peer_type, PeerType::External);
    assert_eq!(n.local_as, 65001);
    assert_eq!(n.timers.hold_time, Duration::from_secs(90));
    assert_eq!(n.timers.keepalive_interval, Duration::from_secs(30));
    assert_eq!(n.timers.connect_retry, Duration::from_secs(120));
    assert_eq!(n.timers.idle_hold_time_after_reset, Duration::from_secs(30));
    assert_eq!(n.transport.remote_port, 179);
    assert_eq!(n.transport.ttl, Some(1));
    assert!(n.treat_as_withdraw);
    assert_eq!(n.families, vec![AfiSafi::new(AfiSafiName::Ipv4Unicast)]);
}

#[test]
fn ipv6_neighbor_defaults_to_ipv6_unicast() {
    let c = ok(&with_global(
        "[[neighbors]]\n[neighbors.config]\nneighbor-address = \"2001:db8::2\"\n",
    ));
    assert_eq!(
        c.neighbors[0].families,
        vec![AfiSafi::new(AfiSafiName::Ipv6Unicast)]
    );
}

#[test]
fn keepalive_is_a_third_of_the_hold_time_when_unset() {
    let c = ok(&neighbor("[neighbors.timers.config]\nhold-time = 30\n"));
    assert_eq!(
        c.neighbors[0].timers.keepalive_interval,
        Duration::from_secs(10)
    );
    let c = ok(&neighbor("[neighbors.timers.config]\nhold-time = 0\n"));
    assert_eq!(c.neighbors[0].timers.keepalive_interval, Duration::ZERO);
}

#[test]
fn peer_as_equal_to_local_as_is_ibgp() {
    let c = ok(&ibgp_neighbor(""));
    assert_eq!(c.neighbors[0].peer_type, PeerType::Internal);
    assert_eq!(c.neighbors[0].transport.ttl, None);
}

#[test]
fn ttl_follows_multihop_security_and_transport() {
    let c = ok(&neighbor(
        "[neighbors.ebgp-multihop.config]\nenabled = true\n",
    ));
    assert_eq!(c.neighbors[0].transport.ttl, Some(255));
    let c = ok(&neighbor(
        "[neighbors.ttl-security.config]\nenabled = true\nttl-min = 250\n",
    ));
    assert_eq!(
        (
            c.neighbors[0].transport.ttl,
            c.neighbors[0].transport.min_ttl
        ),
        (Some(255), Some(250))
    );
    let c = ok(&ibgp_neighbor("[neighbors.transport.config]\nttl = 5\n"));
    assert_eq!(c.neighbors[0].transport.ttl, Some(5));
}

#[test]
fn add_paths_are_copied_into_each_family_without_its_own() {
    let c = ok(&neighbor(
        "[neighbors.add-paths.config]\nreceive = true\nsend-max = 2\n\
         [[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = \"ipv4-unicast\"\n\
         [[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = \"ipv6-unicast\"\n\
         [neighbors.afi-safis.add-paths.config]\nsend-max = 4\n",
    ));
    let families = &c.neighbors[0].families;
    assert_eq!(
        families[0].add_paths,
        AddPaths {
            receive: true,
            send_max: 2
        }
    );
    assert_eq!(
        families[1].add_paths,
        AddPaths {
            receive: false,
            send_max: 4
        }
    );
}

#[test]
fn graceful_restart_defaults_to_hold_time_and_360_s_deferral() {
    let c = ok(&neighbor("[neighbors.timers.config]\nhold-time = 60\n[neighbors.graceful-restart.config]\nenabled = true\n"));
    let gr = c.neighbors[0].graceful_restart;
    assert!(gr.enabled);
    assert_eq!(gr.restart_time, Duration::from_secs(60));
    assert_eq!(gr.deferral_time, Duration::from_secs(360));
}

const GROUP: &str = "[[peer-groups]]\n[peer-groups.config]\npeer-group-name = \"g\"\npeer-as = 65010\n\
                     [peer-groups.timers.config]\nhold-time = 30\n\
                     [[peer-groups.afi-safis]]\n[peer-groups.afi-safis.config]\nafi-safi-name = \"ipv6-unicast\"\n";

#[test]
fn neighbor_inherits_unset_keys_from_its_peer_group() {
    let c = ok(&with_global(&format!(
        "{GROUP}[[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.2\"\npeer-group = \"g\"\n"
    )));
    let n = &c.neighbors[0];
    assert_eq!(n.peer_as, 65010);
    assert_eq!(n.timers.hold_time, Duration::from_secs(30));
    assert_eq!(n.timers.keepalive_interval, Duration::from_secs(10));
    assert_eq!(n.families, vec![AfiSafi::new(AfiSafiName::Ipv6Unicast)]);
    assert_eq!(n.peer_group.as_deref(), Some("g"));
    assert_eq!(c.peer_groups[0].template.peer_as, 65010);
}

#[test]
fn keepalive_is_recomputed_from_the_neighbor_hold_time_over_the_group() {
    let c = ok(&with_global(&format!(
        "{GROUP}[[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.2\"\npeer-group = \"g\"\n\
         [neighbors.timers.config]\nhold-time = 60\n"
    )));
    assert_eq!(
        c.neighbors[0].timers.keepalive_interval,
        Duration::from_secs(20)
    );
}

#[test]
fn peer_group_peer_as_always_wins_with_a_warning() {
    let c = ok(&with_global(&format!(
        "{GROUP}[[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.2\"\npeer-group = \"g\"\npeer-as = 65002\n"
    )));
    assert_eq!(c.neighbors[0].peer_as, 65010);
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("neighbors[0].config.peer-as")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn peer_group_graceful_restart_replaces_the_neighbors() {
    let c = ok(&with_global(&format!(
        "{GROUP}[[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.2\"\npeer-group = \"g\"\n\
         [neighbors.graceful-restart.config]\nenabled = true\n"
    )));
    assert!(!c.neighbors[0].graceful_restart.enabled);
    assert!(c.warnings.iter().any(|w| w.contains("graceful-restart")));
}

#[test]
fn dynamic_neighbor_without_peer_group_is_an_error() {
    let (_, p) = problem(&with_global(
        "[[dynamic-neighbors]]\n[dynamic-neighbors.config]\nprefix = \"10.0.0.0/8\"\n",
    ));
    assert_eq!(p, Problem::DynamicNeighborWithoutPeerGroup);
}

#[test]
fn dynamic_neighbor_with_bad_prefix_is_an_error() {
    let (_, p) = problem(&with_global(&format!(
        "{GROUP}[[dynamic-neighbors]]\n[dynamic-neighbors.config]\nprefix = \"10.0.0/8\"\npeer-group = \"g\"\n"
    )));
    assert_eq!(p, Problem::InvalidPrefix("10.0.0/8".to_owned()));
}

#[test]
fn dynamic_neighbor_names_its_peer_group() {
    let c = ok(&with_global(&format!(
        "{GROUP}[[dynamic-neighbors]]\n[dynamic-neighbors.config]\nprefix = \"10.0.0.0/8\"\npeer-group = \"g\"\n"
    )));
    assert_eq!(c.dynamic_neighbors[0].peer_group, "g");
}

#[test]
fn collector_with_url_is_an_error() {
    let (_, p) = problem(&with_global(
        "[collector.config]\nurl = \"http://localhost:8086\"\n",
    ));
    assert_eq!(p, Problem::CollectorNotSupported);
}

#[test]
fn vrf_without_name_or_with_bad_rd_is_an_error() {
    let (_, p) = problem(&with_global("[[vrfs]]\n[vrfs.config]\nrd = \"65000:1\"\n"));
    assert_eq!(p, Problem::EmptyVrfName);
    let (_, p) = problem(&with_global(
        "[[vrfs]]\n[vrfs.config]\nname = \"red\"\nrd = \"x\"\n",
    ));
    assert_eq!(p, Problem::InvalidRouteDistinguisher("x".to_owned()));
}

#[test]
fn neighbor_in_unknown_vrf_is_an_error() {
    let (_, p) = problem(&neighbor("vrf = \"blue\"\n"));
    assert_eq!(p, Problem::UnknownVrf("blue".to_owned()));
}

#[test]
fn parsed_but_not_acted_on_keys_are_listed_once() {
    let c = ok(&neighbor(
        "[neighbors.bfd.config]\nenabled = true\n[[vrfs]]\n[vrfs.config]\nname = \"red\"\nrd = \"65000:1\"\n\
         [zebra.config]\nenabled = true\n[[rpki-servers]]\n[rpki-servers.config]\naddress = \"127.0.0.1\"\n\
         [[mrt-dump]]\n[mrt-dump.config]\nfile-name = \"/tmp/x\"\n",
    ));
    for key in [
        "neighbors[0].bfd",
        "vrfs",
        "zebra",
        "rpki-servers",
        "mrt-dump",
    ] {
        assert!(
            c.unsupported.iter().any(|k| k == key),
            "{key} missing from {:?}",
            c.unsupported
        );
    }
}

#[test]
fn unknown_keys_are_all_listed_with_their_table() {
    let e = err(&format!("{GLOBAL}foo = 1\nbar = 2\n"));
    let text = e.to_string();
    assert!(text.contains("test.toml"), "{text}");
    assert!(
        text.contains("'global.config' has invalid keys: bar, foo"),
        "{text}"
    );
}

#[test]
fn type_errors_name_the_key() {
    let e = err("[global.config]\nas = \"abc\"\n");
    assert_eq!(e.key(), Some("global.config.as"));
    let e = err(&neighbor(
        "[neighbors.timers.config]\nhold-time = \"soon\"\n",
    ));
    assert_eq!(e.key(), Some("neighbors[0].timers.config.hold-time"));
}

#[test]
fn keys_are_case_insensitive() {
    let c = ok("[Global.Config]\nAS = 65001\nRouter-ID = \"192.0.2.1\"\n");
    assert_eq!(c.global.asn, 65001);
}

#[test]
fn syntax_errors_give_line_and_column() {
    let text = err("[global.config\nas = 1\n").to_string();
    assert!(
        text.starts_with("can't read config file test.toml: toml: line 1"),
        "{text}"
    );
}

#[test]
fn v3_and_v4_key_sets_are_both_accepted() {
    let c = ok(&neighbor(
        "send-software-version = true\n[neighbors.transport.config]\nttl = 5\nip-tos = 1\n\
         [neighbors.as-path-options.config]\nallow-as-path-loop-local = true\n",
    ));
    assert!(c.neighbors[0].send_software_version);
    assert!(c
        .unsupported
        .iter()
        .any(|k| k == "neighbors[0].transport.config.ip-tos"));
    let c = ok(&with_global(
        "[global.apply-policy.config]\nin-policy-list = []\ndefault-in-policy = \"accept-route\"\n",
    ));
    assert_eq!(
        c.unsupported,
        vec!["global.apply-policy.config.in-policy-list".to_owned()]
    );
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "=",
        "[[global]]",
        "global = 1",
        "[neighbors]\n",
        "neighbors = [1, 2]",
        "[global.config]\nas = 1e400",
    ] {
        let _ = parse(text, "x.toml");
    }
}

// Differential cases: the same files fed to gobgpd 3.10 `-d`.

#[test]
fn differential_loose_scalars_are_accepted_as_by_gobgpd() {
    let c = ok(&with_global(
        "[[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.2\"\npeer-as = \"65002\"\n\
         [neighbors.timers.config]\nhold-time = 90.0\n[neighbors.transport.config]\npassive-mode = \"true\"\n",
    ));
    assert_eq!(c.neighbors[0].peer_as, 65002);
    assert!(c.neighbors[0].transport.passive_mode);
}

#[test]
fn differential_docs_typo_afi_safi_in_is_rejected_as_by_gobgpd() {
    let e = err(&with_global(
        "[[policy-definitions]]\nname = \"p\"\n[[policy-definitions.statements]]\n\
         [policy-definitions.statements.conditions.bgp-conditions]\nafi-safi-in = [\"ipv4-unicast\"]\n",
    ));
    assert!(e
        .to_string()
        .contains("'policy-definitions[0].statements[0].conditions.bgp-conditions' has invalid keys: afi-safi-in"));
}

#[test]
fn differential_misplaced_top_level_table_is_rejected_as_by_gobgpd() {
    let e = err(&with_global(
        "[apply-policy.config]\ndefault-import-policy = \"reject-route\"\n",
    ));
    assert!(
        e.to_string()
            .contains("'<top level>' has invalid keys: apply-policy"),
        "{e}"
    );
}

#[test]
fn differential_cluster_id_of_non_client_is_ignored_as_by_gobgpd() {
    let c = ok(&neighbor(
        "[neighbors.route-reflector.config]\nroute-reflector-cluster-id = \"not-an-id\"\n",
    ));
    assert_eq!(c.warnings.len(), 1);
}

#[test]
fn differential_unknown_table_under_array_names_the_element() {
    let e = err(&neighbor("[neighbors.bfdx.config]\nenabled = true\n"));
    assert!(
        e.to_string()
            .contains("'neighbors[0]' has invalid keys: bfdx"),
        "{e}"
    );
}

#[test]
fn differential_unknown_keys_of_several_tables_are_all_listed() {
    let e = err(&with_global(
        "[[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.2\"\n\
         [[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.3\"\n\
         [[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = \"ipv4-unicast\"\nx = 1\n\
         [[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\ny = 2\n",
    ));
    assert_eq!(
        e.to_string(),
        "can't read config file test.toml: 'neighbors[1].afi-safis[0].config' has invalid keys: x; \
         'neighbors[1].afi-safis[1].config' has invalid keys: y"
    );
}

#[test]
fn differential_errors_inside_inline_tables_name_the_key() {
    let e = err(
        "global.config.as = 1\nneighbors = [ { config = { neighbor-address = \"192.0.2.2\" }, \
                 timers = { config = { hold-time = \"z\" } } } ]\n",
    );
    assert_eq!(e.key(), Some("neighbors[0].timers.config.hold-time"));
    let e = err("[global]\nconfig = { as = 1, router-id = \"192.0.2.1\", foo = 2 }\n");
    assert!(
        e.to_string()
            .contains("'global.config' has invalid keys: foo"),
        "{e}"
    );
}
