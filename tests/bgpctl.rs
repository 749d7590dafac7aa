//! `bgpctl` end to end: the built binary against a daemon started by the
//! harness, with a fake peer that announced routes.
//!
//! ```text
//!  fake 127.0.0.3 AS 65003 ──BGP──▶ bgpd 127.0.0.1 AS 65001 ◀──gRPC── bgpctl (child process)
//! ```
//!
//! Every command of `bgpctl --help` runs here, and its output or its
//! effect (on the fake peer, a BMP station, the tables) is checked.
//! Every child process is waited for at most [`WAIT`], then killed.

mod common;
#[path = "bgpctl_support/mod.rs"]
mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};

use bgpd::wire::bgp::{CeaseSubcode, ErrorCode, NextHop};
use common::*;
use support::*;
use tokio::io::AsyncReadExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_commands_print_gobgps_tables() {
    let setup = setup("read").await;

    let neighbors = ok(&setup, &["neighbor"]).await;
    let mut lines = neighbors.lines();
    assert_eq!(
        lines.next(),
        Some("Peer         AS  Up/Down State       |#Received  Accepted")
    );
    let row = lines.next().expect("one neighbor");
    assert!(row.starts_with("127.0.0.3 65003 00:00:0"), "{row}");
    assert!(row.ends_with(" Establ      |        3         3"), "{row}");

    let detail = ok(&setup, &["neighbor", "127.0.0.3"]).await;
    for want in [
        "BGP neighbor is 127.0.0.3, remote AS 65003\n",
        "  BGP version 4, remote router ID 127.0.0.3\n",
        "  BGP state = ESTABLISHED, up for 00:00:0",
        "        ipv4-unicast:\tadvertised and received\n",
        "        ipv6-unicast:\tadvertised and received\n",
        "    4-octet-as:\tadvertised and received\n",
        "    Received:               3\n",
        "    Accepted:               3\n",
    ] {
        assert!(detail.contains(want), "{want:?} not in:\n{detail}");
    }

    let adj_in = ok(&setup, &["neighbor", "127.0.0.3", "adj-in"]).await;
    assert!(adj_in.starts_with(
        "   ID  Network              Next Hop             AS_PATH              Age        Attrs\n"
    ));
    let row = line(&adj_in, "   0   10.1.0.0/24 ");
    assert!(
        row.starts_with(
            "   0   10.1.0.0/24          192.0.2.3            65003                00:00:0"
        ),
        "{row}"
    );
    assert!(row.ends_with("   [{Origin: i}]"), "{row}");
    let lookup = ok(&setup, &["neighbor", "127.0.0.3", "adj-in", "10.1.1.7"]).await;
    assert!(
        lookup.contains("10.1.1.0/24") && !lookup.contains("10.1.0.0/24"),
        "{lookup}"
    );
    let adj_in_v6 = ok(&setup, &["neighbor", "127.0.0.3", "adj-in", "-a", "ipv6"]).await;
    assert!(line(&adj_in_v6, "   0   2001:db8:1::/48 ").contains(" 2001:db8::3 "));
    // Its own routes are not sent back to it.
    let adj_out = ok(&setup, &["neighbor", "127.0.0.3", "adj-out"]).await;
    assert_eq!(adj_out, "Network not in table\n");
    let local = fails(&setup, &["neighbor", "127.0.0.3", "local"], 1).await;
    assert!(
        local.starts_with("bgpctl: rpc error: code = Unimplemented desc = "),
        "{local}"
    );

    let global = ok(&setup, &["global"]).await;
    assert_eq!(
        global,
        format!(
            "AS:        65001\nRouter-ID: 127.0.0.1\nListening Port: {}, Addresses: 127.0.0.1\n",
            setup.bgp_port
        )
    );

    let rib = ok(&setup, &["global", "rib"]).await;
    let mut rows = rib.lines();
    assert_eq!(
        rows.next(),
        Some("   Network              Next Hop             AS_PATH              Age        Attrs")
    );
    for prefix in ["10.1.0.0/24", "10.1.1.0/24"] {
        let row = rows.next().expect("a route");
        let start = format!("*> {prefix:<20} 192.0.2.3            65003                00:00:0");
        assert!(row.starts_with(&start), "{row}");
        assert!(row.ends_with("   [{Origin: i}]"), "{row}");
    }
    assert_eq!(rows.next(), None);
    let rib6 = ok(&setup, &["global", "rib", "-a", "ipv6"]).await;
    assert!(
        line(&rib6, "*> 2001:db8:1::/48 ").contains(" 2001:db8::3 "),
        "{rib6}"
    );
    let lookup = ok(&setup, &["global", "rib", "10.1.1.7"]).await;
    assert_eq!(lookup.lines().count(), 2, "{lookup}");
    assert!(lookup.contains("*> 10.1.1.0/24 "), "{lookup}");
    // An IPv6 lookup needs no -a.
    let lookup6 = ok(&setup, &["global", "rib", "2001:db8:1::1"]).await;
    assert!(lookup6.contains("*> 2001:db8:1::/48 "), "{lookup6}");

    assert_eq!(
        ok(&setup, &["global", "rib", "summary"]).await,
        "Table afi:AFI_IP safi:SAFI_UNICAST\nDestination: 2, Path: 2\n"
    );
    assert_eq!(
        ok(&setup, &["global", "rib", "summary", "-a", "ipv6"]).await,
        "Table afi:AFI_IP6 safi:SAFI_UNICAST\nDestination: 1, Path: 1\n"
    );
    finish(setup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_and_the_unix_socket() {
    let setup = setup("json").await;
    let json = |text: &str| -> serde_json::Value { serde_json::from_str(text).expect("JSON") };

    let rib = json(&ok(&setup, &["global", "rib", "-j"]).await);
    let prefixes: Vec<&String> = rib.as_object().expect("object").keys().collect();
    assert_eq!(prefixes, ["10.1.0.0/24", "10.1.1.0/24"]);
    let path = &rib["10.1.0.0/24"][0];
    assert_eq!(path["best"], true);
    assert_eq!(path["neighbor-ip"], "127.0.0.3");
    let types: Vec<u64> = path["attrs"]
        .as_array()
        .expect("attrs")
        .iter()
        .map(|a| a["type"].as_u64().expect("type"))
        .collect();
    assert_eq!(types, [1, 2, 3]);

    let neighbors = json(&ok(&setup, &["-j", "neighbor"]).await);
    assert_eq!(neighbors[0]["state"]["neighbor_address"], "127.0.0.3");
    assert_eq!(neighbors[0]["state"]["session_state"], 6);
    let one = json(&ok(&setup, &["neighbor", "127.0.0.3", "-j"]).await);
    assert_eq!(one["conf"]["peer_asn"], 65003);
    let adj_in = json(
        &ok(
            &setup,
            &["neighbor", "127.0.0.3", "adj-in", "-j", "-a", "ipv6"],
        )
        .await,
    );
    assert!(adj_in.get("2001:db8:1::/48").is_some(), "{adj_in}");
    let global = json(&ok(&setup, &["global", "-j"]).await);
    assert_eq!(global["asn"], 65001);
    let summary = json(&ok(&setup, &["global", "rib", "summary", "-j"]).await);
    assert_eq!(summary["num_destination"], 2);
    let stations = json(&ok(&setup, &["bmp", "-j"]).await);
    assert_eq!(stations, serde_json::json!([]));

    let mut unix = Command::new(BIN);
    unix.arg("--target")
        .arg(format!("unix://{}", setup.socket.display()))
        .arg("global")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = output(unix).await;
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("AS:        65001\n"));
    finish(setup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_routes_are_added_shown_sent_and_deleted() {
    let mut setup = setup("local").await;
    ok(
        &setup,
        &[
            "global",
            "rib",
            "add",
            "10.9.0.0/24",
            "aspath",
            "65100",
            "origin",
            "igp",
            "med",
            "5",
            "local-pref",
            "200",
            "community",
            "65001:7",
        ],
    )
    .await;
    ok(
        &setup,
        &[
            "global",
            "rib",
            "add",
            "-a",
            "ipv6",
            "2001:db8:9::/48",
            "nexthop",
            "2001:db8::1",
        ],
    )
    .await;

    let shown = ok(&setup, &["global", "rib", "10.9.0.0/24"]).await;
    let row = line(&shown, "*> 10.9.0.0/24 ");
    assert!(
        row.starts_with(
            "*> 10.9.0.0/24          0.0.0.0              65100                00:00:0"
        ),
        "{row}"
    );
    assert!(
        row.ends_with("   [{Origin: i} {Med: 5} {LocalPref: 200} {Communities: 65001:7}]"),
        "{row}"
    );
    let shown6 = ok(&setup, &["global", "rib", "-a", "ipv6"]).await;
    assert!(
        line(&shown6, "*> 2001:db8:9::/48 ").contains(" 2001:db8::1 "),
        "{shown6}"
    );

    // The peer gets both from us (eBGP: our AS first, next hop self).
    let v4 = net("10.9.0.0/24");
    let v6 = net("2001:db8:9::/48");
    tokio::time::timeout(
        WAIT,
        setup
            .fake
            .routes_until(|r| r.contains_key(&v4) && r.contains_key(&v6)),
    )
    .await
    .expect("the peer gets the local routes");
    let (next_hop, as_path) = &setup.fake.routes[&v4];
    assert_eq!(*next_hop, NextHop::V4(Ipv4Addr::new(127, 0, 0, 1)));
    assert_eq!(as_path, "65001 65100");

    ok(&setup, &["global", "rib", "del", "10.9.0.0/24"]).await;
    ok(&setup, &["global", "rib", "-a", "ipv6", "del", "all"]).await;
    tokio::time::timeout(
        WAIT,
        setup
            .fake
            .routes_until(|r| !r.contains_key(&v4) && !r.contains_key(&v6)),
    )
    .await
    .expect("the peer loses the local routes");
    assert_eq!(
        ok(&setup, &["global", "rib", "10.9.0.0/24"]).await,
        "Network not in table\n"
    );

    // Bad requests: bgpd refuses them, bgpctl says why, nothing crashes.
    let again = fails(&setup, &["global", "rib", "del", "10.9.0.0/24"], 1).await;
    assert!(
        again.starts_with("bgpctl: rpc error: code = NotFound desc = "),
        "{again}"
    );
    let bad = fails(&setup, &["global", "rib", "add", "10.9.0.0/33"], 1).await;
    assert!(
        bad.starts_with("bgpctl: rpc error: code = InvalidArgument desc = "),
        "{bad}"
    );
    assert!(bad.contains("10.9.0.0/33"), "{bad}");
    let bad = fails(&setup, &["global", "rib", "10.0.0.300"], 1).await;
    assert!(
        bad.starts_with("bgpctl: rpc error: code = InvalidArgument desc = "),
        "{bad}"
    );
    let usage = fails(
        &setup,
        &["global", "rib", "add", "10.9.0.0/24", "med", "x"],
        2,
    )
    .await;
    assert!(usage.contains("med"), "{usage}");
    let usage = fails(&setup, &["global", "rib", "-a", "l2vpn-evpn"], 2).await;
    assert!(usage.contains("l2vpn-evpn"), "{usage}");
    // Still serving.
    assert!(ok(&setup, &["global"]).await.starts_with("AS:"));
    finish(setup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bmp_stations_are_added_listed_and_deleted() {
    let setup = setup("bmp").await;
    let station = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = station.local_addr().expect("addr").port();
    let name = format!("127.0.0.1:{port}");

    ok(&setup, &["bmp", "add", &name, "all"]).await;
    let (mut stream, _) = tokio::time::timeout(WAIT, station.accept())
        .await
        .expect("connects in time")
        .expect("accept");
    // BMP version 3, type 4: Initiation.
    let mut header = [0u8; 6];
    tokio::time::timeout(WAIT, stream.read_exact(&mut header))
        .await
        .expect("in time")
        .expect("read");
    assert_eq!((header[0], header[5]), (3, 4));

    let listed = wait_until(&setup, &["bmp"], " Up ").await;
    assert_eq!(
        line(&listed, "Session"),
        "Session                 State  Uptime    "
    );
    let row = line(&listed, &name);
    assert!(
        row.starts_with(&format!("{name:<23} Up     00:00:0")),
        "{row}"
    );
    let again = fails(&setup, &["bmp", "add", &name], 1).await;
    assert!(again.contains("code = AlreadyExists"), "{again}");

    ok(&setup, &["bmp", "del", &name]).await;
    // Termination, then the client closes the connection.
    let mut rest = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut rest))
        .await
        .expect("closed in time")
        .expect("read");
    assert_eq!(
        ok(&setup, &["bmp"]).await,
        "Session                 State  Uptime    \n"
    );
    let gone = fails(&setup, &["bmp", "del", &name], 1).await;
    assert!(gone.contains("code = NotFound"), "{gone}");
    let usage = fails(&setup, &["bmp", "add", "127.0.0.1:99999"], 2).await;
    assert!(usage.contains("port"), "{usage}");
    finish(setup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neighbor_operations_reach_the_session() {
    let mut setup = setup("ops").await;
    // A local route, to see soft reset out send it again.
    ok(&setup, &["global", "rib", "add", "10.9.0.0/24"]).await;
    let v4 = net("10.9.0.0/24");
    tokio::time::timeout(WAIT, setup.fake.routes_until(|r| r.contains_key(&v4)))
        .await
        .expect("the peer gets the local route");
    setup.fake.routes.clear();
    ok(&setup, &["neighbor", "127.0.0.3", "softresetout"]).await;
    tokio::time::timeout(WAIT, setup.fake.routes_until(|r| r.contains_key(&v4)))
        .await
        .expect("soft reset out sends the route again");
    setup.fake.routes.clear();
    ok(&setup, &["neighbor", "127.0.0.3", "softreset"]).await;
    tokio::time::timeout(WAIT, setup.fake.routes_until(|r| r.contains_key(&v4)))
        .await
        .expect("soft reset sends the route again");
    ok(&setup, &["neighbor", "127.0.0.3", "softresetin"]).await;

    ok(&setup, &["neighbor", "127.0.0.3", "reset"]).await;
    let cease = setup.fake.recv_notification().await;
    assert_eq!(
        cease.code,
        ErrorCode::Cease(CeaseSubcode::AdministrativeReset)
    );
    setup.fake = established_fake(setup.bgp_port).await;

    ok(
        &setup,
        &[
            "neighbor",
            "127.0.0.3",
            "disable",
            "--reason",
            "maintenance",
        ],
    )
    .await;
    let cease = setup.fake.recv_notification().await;
    assert_eq!(
        cease.code,
        ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown)
    );
    let listed = wait_until(&setup, &["neighbor"], "Idle(Admin)").await;
    // Up/Down: the time since the session went down.
    assert!(line(&listed, "127.0.0.3 ").contains(" 00:00:0"), "{listed}");
    assert!(
        line(&listed, "127.0.0.3 ").contains(" Idle(Admin) |"),
        "{listed}"
    );

    ok(&setup, &["neighbor", "127.0.0.3", "enable"]).await;
    let listed = ok(&setup, &["neighbor"]).await;
    assert!(!listed.contains("Idle(Admin)"), "{listed}");
    setup.fake = established_fake(setup.bgp_port).await;
    wait_until(&setup, &["neighbor"], " Establ ").await;

    ok(&setup, &["neighbor", "127.0.0.3", "shutdown"]).await;
    let cease = setup.fake.recv_notification().await;
    assert_eq!(
        cease.code,
        ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown)
    );
    wait_until(&setup, &["neighbor"], "Idle(Admin)").await;

    // An unknown neighbor is NotFound, whatever the command.
    for args in [
        &["neighbor", "192.0.2.99"][..],
        &["neighbor", "192.0.2.99", "reset"],
        &["neighbor", "192.0.2.99", "adj-in"],
    ] {
        let stderr = fails(&setup, args, 1).await;
        assert_eq!(
            stderr, "bgpctl: rpc error: code = NotFound desc = neighbor 192.0.2.99 not found\n",
            "{args:?}"
        );
    }
    let bad = fails(&setup, &["neighbor", "not-an-address", "enable"], 1).await;
    assert!(bad.contains("code = InvalidArgument"), "{bad}");
    let usage = fails(&setup, &["neighbor", "127.0.0.3", "bounce"], 2).await;
    assert!(usage.contains("bounce"), "{usage}");
    finish(setup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_prints_the_table_then_changes() {
    let setup = setup("monitor").await;
    let mut monitor = Monitor::start(setup.api, &["monitor", "global", "rib", "--current"]);
    let first = monitor
        .expect("[ROUTE] 10.1.0.0/24 via 192.0.2.3 aspath [65003] attrs [{Origin: i}]")
        .await;
    // RFC 3339 time first: 2026-01-02T03:04:05Z.
    let time = first.split(' ').next().expect("time");
    assert_eq!(
        (time.len(), &time[10..11], &time[19..]),
        (20, "T", "Z"),
        "{first}"
    );
    monitor
        .expect("[ROUTE] 2001:db8:1::/48 via 2001:db8::3")
        .await;

    ok(&setup, &["global", "rib", "add", "10.7.0.0/24", "med", "9"]).await;
    let added = monitor.expect("[ROUTE] 10.7.0.0/24 via 0.0.0.0 ").await;
    assert!(
        added.ends_with(" aspath [] attrs [{Origin: ?} {Med: 9}]"),
        "{added}"
    );
    ok(&setup, &["global", "rib", "del", "10.7.0.0/24"]).await;
    monitor.expect("[DELROUTE] 10.7.0.0/24").await;
    monitor.stop();

    // -a ipv6: IPv6 paths only.
    let mut v6 = Monitor::start(
        setup.api,
        &["monitor", "global", "rib", "--current", "-a", "ipv6"],
    );
    v6.expect("[ROUTE] 2001:db8:1::/48").await;
    ok(&setup, &["global", "rib", "add", "10.8.0.0/24"]).await;
    ok(&setup, &["global", "rib", "add", "2001:db8:8::/48"]).await;
    v6.expect("[ROUTE] 2001:db8:8::/48").await;
    let seen = v6.stop();
    assert!(seen.iter().all(|l| !l.contains(" 10.")), "{seen:?}");

    // -j: one JSON object per path.
    let mut json = Monitor::start(setup.api, &["monitor", "global", "rib", "--current", "-j"]);
    let line = json.expect(r#""prefix":"10.1.0.0/24""#).await;
    json.stop();
    let path: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(path["withdrawal"], false);
    assert_eq!(path["best"], true);
    assert_eq!(
        path["attrs"][2],
        serde_json::json!({"type": 3, "nexthop": "192.0.2.3"})
    );
    finish(setup).await;
}

#[tokio::test]
async fn an_absent_daemon_is_one_clear_line_and_exit_code_1() {
    let port = free_port(ROUTER_ID).await;
    let api = SocketAddr::new(ROUTER_ID.parse().expect("ip"), port);
    let out = output(command(api, &["neighbor"])).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("bgpctl: cannot reach bgpd at 127.0.0.1:{port}: connection refused (is bgpd running? --api-hosts)\n")
    );

    let mut unix = Command::new(BIN);
    unix.args(["--target", "unix:///nonexistent/bgpd.sock", "global"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = output(unix).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "bgpctl: cannot reach bgpd at unix:///nonexistent/bgpd.sock: no such file or directory (is bgpd running? --api-hosts)\n"
    );

    let usage = output(command(api, &["frobnicate"])).await;
    assert_eq!(usage.status.code(), Some(2));
}
