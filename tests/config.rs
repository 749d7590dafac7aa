//! The configuration file as the daemon reads it: `docs/example.toml`, and
//! bad files whose errors must name the file and the key.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bgpd::config::{
    self, AddPaths, AfiSafiName, DefaultPolicy, MatchSetOptions, PeerAddress, PeerType,
    RouteDisposition,
};
use bgpd::rib::monitor::{View, Views};

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/example.toml")
}

#[test]
fn example_toml_parses_with_the_documented_values() {
    let c = config::load(&example_path()).expect("docs/example.toml is valid");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(c.unsupported.is_empty(), "{:?}", c.unsupported);

    assert_eq!(c.global.asn, 65001);
    assert_eq!(c.global.router_id, Ipv4Addr::new(192, 0, 2, 1));
    assert_eq!(c.global.port, Some(179));
    assert_eq!(
        c.global.apply_policy.import_policies,
        vec!["import-customers".to_owned()]
    );
    assert_eq!(c.global.apply_policy.default_export, DefaultPolicy::Reject);
    assert!(c.global.route_selection.always_compare_med);

    assert_eq!(c.neighbors.len(), 3);
    let upstream = &c.neighbors[0];
    assert_eq!(
        upstream.address,
        PeerAddress::Ip(IpAddr::from([198, 51, 100, 2]))
    );
    assert_eq!(upstream.peer_as, 65002);
    assert_eq!(upstream.peer_type, PeerType::External);
    assert_eq!(upstream.auth_password.as_deref(), Some("s3cret"));
    assert_eq!(upstream.timers.hold_time, Duration::from_secs(90));
    assert_eq!(upstream.timers.connect_retry, Duration::from_secs(60));
    assert_eq!(
        upstream.transport.local_address,
        Some(IpAddr::from([198, 51, 100, 1]))
    );
    assert_eq!(upstream.transport.ttl, Some(2));
    assert_eq!(upstream.families[0].name, AfiSafiName::Ipv4Unicast);
    assert_eq!(
        upstream.families[0].add_paths,
        AddPaths {
            receive: true,
            send_max: 2
        }
    );
    assert_eq!(
        upstream.families[0].prefix_limit.map(|l| l.max_prefixes),
        Some(1000)
    );

    let v6 = &c.neighbors[1];
    assert_eq!(
        v6.address,
        PeerAddress::Ip("2001:db8::2".parse().expect("literal"))
    );
    assert_eq!(v6.transport.remote_port, 1179);
    assert!(v6.transport.passive_mode);
    assert_eq!(v6.timers.keepalive_interval, Duration::from_secs(60));
    assert_eq!(
        v6.families[0].add_paths,
        AddPaths {
            receive: false,
            send_max: 4
        }
    );
    assert_eq!(v6.graceful_restart.restart_time, Duration::from_secs(120));

    let client = &c.neighbors[2];
    assert_eq!(
        client.peer_group.as_deref(),
        Some("route-reflector-clients")
    );
    assert_eq!(client.peer_type, PeerType::Internal);
    assert!(client.route_reflector_client);
    assert_eq!(client.timers.keepalive_interval, Duration::from_secs(10));

    assert_eq!(c.defined_sets.prefix_sets[0].prefixes[0].max_length, 28);
    assert_eq!(c.policies.len(), 2);
    let first = &c.policies[0].statements[0];
    assert_eq!(
        first.conditions.community_set.as_ref().map(|m| m.options),
        Some(MatchSetOptions::Any)
    );
    assert_eq!(first.actions.route_disposition, RouteDisposition::Reject);

    let bmp = &c.bmp_servers[0];
    assert_eq!(
        bmp.route_monitoring_policy,
        Views::of(&[View::AdjRibInPre, View::AdjRibInPost, View::LocRib])
    );
    assert_eq!(bmp.queue_limit, config::DEFAULT_BMP_QUEUE_LIMIT);
    assert_eq!(bmp.source_address, None);
    assert_eq!(bmp.statistics_timeout, Some(Duration::from_secs(15)));
    assert_eq!(bmp.port, 11019);
}

const GLOBAL: &str = "[global.config]\nas = 65001\nrouter-id = \"192.0.2.1\"\n";

#[test]
fn bad_files_name_the_file_and_the_key() {
    let neighbor = |extra: &str| {
        format!("{GLOBAL}[[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.2\"\npeer-as = 65002\n{extra}")
    };
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("no-router-id.toml", "[global.config]\nas = 1\n".to_owned(), "global.config.router-id", "router-id"),
        ("bad-as.toml", "[global.config]\nas = \"abc\"\n".to_owned(), "global.config.as", "abc"),
        ("unknown.toml", format!("{GLOBAL}colour = 1\n"), "global.config", "has invalid keys: colour"),
        (
            "peer-as.toml",
            format!("{}[[neighbors]]\n[neighbors.config]\nneighbor-address = \"192.0.2.3\"\npeer-as = -5\n", neighbor("")),
            "neighbors[1].config.peer-as",
            "-5",
        ),
        (
            "family.toml",
            neighbor("[[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = \"ipv5\"\n"),
            "neighbors[0].afi-safis[0].config.afi-safi-name",
            "ipv5 isn't a valid route family name",
        ),
        (
            "bmp.toml",
            format!("{GLOBAL}[[bmp-servers]]\n[bmp-servers.config]\naddress = \"x\"\nstatistics-timeout = 14\n"),
            "bmp-servers[0].config.statistics-timeout",
            "too small statistics-timeout value: 14",
        ),
        (
            "hold.toml",
            neighbor("[neighbors.timers.config]\nhold-time = 1\n"),
            "neighbors[0].timers.config.hold-time",
            "hold-time",
        ),
    ];
    for (file, text, key, problem) in cases {
        let error = match config::parse(&text, file) {
            Ok(_) => panic!("{file}: accepted"),
            Err(e) => e,
        };
        let shown = error.to_string();
        assert!(shown.contains(file), "{file}: {shown}");
        assert!(shown.contains(key), "{file}: {shown}");
        assert!(shown.contains(problem), "{file}: {shown}");
    }
}

#[test]
fn missing_file_is_an_io_error_naming_the_file() {
    let error = config::load(Path::new("/nonexistent/gobgpd.toml")).expect_err("no such file");
    assert!(error.to_string().contains("/nonexistent/gobgpd.toml"));
}

/// Manual differential check against gobgpd: run with
/// `BGPD_CONFIG_DIFF_DIR=dir cargo test --test config -- --ignored --nocapture`
/// and compare with `gobgpd -d -f FILE --pprof-disable` on the same files.
#[test]
#[ignore = "manual: needs BGPD_CONFIG_DIFF_DIR"]
fn differential_print_accept_or_reject() {
    let Ok(dir) = std::env::var("BGPD_CONFIG_DIFF_DIR") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for file in files {
        match config::load(&file) {
            Ok(c) => println!(
                "ACCEPT {} warnings={:?} unsupported={:?}",
                file.display(),
                c.warnings,
                c.unsupported
            ),
            Err(e) => println!("REJECT {e}"),
        }
    }
}
