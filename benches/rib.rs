// `criterion_group!` generates an undocumented `pub fn benches`.
#![allow(missing_docs)]

//! Rib throughput without the tokio task: 1M IPv4 /24 routes fed through
//! Adj-RIB-In, Loc-RIB and best path, in routes per second.
//!
//! - `four_per_set`: 250 000 distinct attribute sets, 4 prefixes each (one
//!   UPDATE per set, as a full table looks);
//! - `thousand_per_update`: 1000 UPDATEs of 1000 prefixes each;
//! - `four_per_set_with_ebgp_peer`: as the first, with one eBGP peer up,
//!   so each event is also exported and encoded.
//!
//! Also prints resident memory per route after one full load.
//!
//! Run: `cargo bench --bench rib -- --warm-up-time 1 --measurement-time 5`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::SystemTime;

use bgpd::config;
use bgpd::rib::event::SessionInfo;
use bgpd::rib::Rib;
use bgpd::wire::bgp::{
    AsPath, AttrValue, Community, Negotiated, Nlri, Origin, PathAttribute, Update,
};
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ipnet::{IpNet, Ipv4Net};

const ROUTES: u32 = 1_000_000;

const CONFIG: &str = r#"
[global.config]
as = 65001
router-id = "192.0.2.1"
[[neighbors]]
[neighbors.config]
neighbor-address = "192.0.2.2"
peer-as = 65002
[[neighbors]]
[neighbors.config]
neighbor-address = "192.0.2.3"
peer-as = 65003
"#;

fn session(config: &config::Config, n: u8) -> Arc<SessionInfo> {
    let peer = IpAddr::V4(Ipv4Addr::new(192, 0, 2, n));
    let neighbor = config
        .neighbors
        .iter()
        .find(|nb| nb.address == config::PeerAddress::Ip(peer))
        .cloned()
        .expect("neighbor in bench config");
    Arc::new(SessionInfo {
        peer,
        local_as: 65001,
        peer_as: neighbor.peer_as,
        neighbor: Arc::new(neighbor),
        local: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 179),
        remote: SocketAddr::new(peer, 40000),
        local_id: Ipv4Addr::new(192, 0, 2, 1),
        peer_id: Ipv4Addr::new(10, 0, 0, n),
        negotiated: Negotiated {
            four_octet_as: true,
            external: true,
            ..Negotiated::default()
        },
        sent_open: Bytes::new(),
        received_open: Bytes::new(),
        established_at: SystemTime::now(),
    })
}

/// UPDATEs of `per_update` prefixes, each with its own attribute set.
fn updates(per_update: u32) -> Vec<Update> {
    (0..ROUTES / per_update)
        .map(|u| {
            let nlri = (0..per_update)
                .map(|i| {
                    let n = u * per_update + i;
                    let net =
                        Ipv4Net::new(Ipv4Addr::from(0x0100_0000 + (n << 8)), 24).expect("/24");
                    Nlri::new(IpNet::V4(net))
                })
                .collect();
            Update {
                attributes: vec![
                    PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                    PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![
                        65002,
                        3356,
                        100_000 + u,
                    ]))),
                    PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(192, 0, 2, 2))),
                    PathAttribute::new(AttrValue::MultiExitDisc(u % 100)),
                    PathAttribute::new(AttrValue::Communities(vec![Community(0xfdea_0064)])),
                ],
                nlri,
                ..Update::default()
            }
        })
        .collect()
}

fn load(config: &config::Config, updates: &[Update], with_peer: bool) -> Rib {
    let mut rib = Rib::new(Arc::new(config.global.clone()));
    let source = session(config, 2);
    let peer = source.peer;
    black_box(rib.peer_up(source));
    if with_peer {
        black_box(rib.peer_up(session(config, 3)));
    }
    for update in updates {
        black_box(rib.update(peer, update));
    }
    rib
}

/// Resident set size in bytes (Linux), for the memory estimate.
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn rib(c: &mut Criterion) {
    let config = config::parse(CONFIG, "bench.toml").expect("bench config");
    let four = updates(4);
    let thousand = updates(1000);

    let before = rss();
    let loaded = load(&config, &four, false);
    if let (Some(before), Some(after)) = (before, rss()) {
        eprintln!(
            "rib: {} routes, {} attribute sets, ~{} bytes per route (RSS delta)",
            loaded.loc_rib().paths(bgpd::wire::Family::IPV4_UNICAST),
            loaded.attribute_sets(),
            after.saturating_sub(before) / u64::from(ROUTES)
        );
    }
    drop(loaded);

    let mut group = c.benchmark_group("rib");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(ROUTES)));
    group.bench_function("four_per_set", |b| {
        b.iter_with_large_drop(|| load(&config, &four, false))
    });
    group.bench_function("thousand_per_update", |b| {
        b.iter_with_large_drop(|| load(&config, &thousand, false))
    });
    group.bench_function("four_per_set_with_ebgp_peer", |b| {
        b.iter_with_large_drop(|| load(&config, &four, true))
    });
    group.finish();
}

criterion_group!(benches, rib);
criterion_main!(benches);
