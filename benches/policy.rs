// `criterion_group!` generates an undocumented `pub fn benches`.
#![allow(missing_docs)]

//! Policy evaluation throughput: 1M IPv4 routes through a global import
//! policy, in routes per second, on one core.
//!
//! - `five_statements`: a policy of 5 statements over a 10,000-entry
//!   prefix set, a community regular expression and an AS-path regular
//!   expression (about half the routes are changed, so the cost of
//!   building new attribute sets is included);
//! - `five_statements_mixed`: the same, with the four routes of each
//!   attribute set split between statements (each set changed two ways:
//!   twice the attribute sets to build);
//! - `prefix_set_only/<n>`: one statement with an `n`-entry prefix set
//!   and no action, to show that lookups do not grow with the set;
//! - `no_policy`: the fast path when no import policy applies.
//!
//! Run: `cargo bench --bench policy -- --warm-up-time 1 --measurement-time 5`

use std::fmt::Write;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bgpd::config;
use bgpd::policy::{Decision, PolicyEngine, RouteContext, SourcePeer};
use bgpd::rib::attrs::PathAttrs;
use bgpd::wire::bgp::{AsPath, AttrValue, Community, NextHop, Origin, PathAttribute};
use bgpd::wire::Family;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ipnet::{IpNet, Ipv4Net};

const ROUTES: u32 = 1_000_000;
/// Distinct attribute sets the routes share (four routes per set).
const ATTR_SETS: usize = ROUTES as usize / 4;

/// A small deterministic generator (no dependency for randomness).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

/// `n` distinct prefix-set entries of length `length` (16 or 20) with
/// `masklength-range = "<length>..24"`, from 11.0.0.0 up.
fn prefix_set(name: &str, n: usize, length: u32) -> String {
    let mut text = format!("[[defined-sets.prefix-sets]]\nprefix-set-name = \"{name}\"\n");
    let per_16 = 1usize << (length - 16);
    for i in 0..n {
        let (slash16, sub) = (i / per_16, i % per_16);
        let (a, b) = (11 + slash16 / 250, slash16 % 250);
        let c = sub << (24 - length);
        let _ = write!(
            text,
            "[[defined-sets.prefix-sets.prefix-list]]\nip-prefix = \"{a}.{b}.{c}.0/{length}\"\n\
             masklength-range = \"{length}..24\"\n"
        );
    }
    text
}

const FIVE_STATEMENTS: &str = r#"
[global.apply-policy.config]
import-policy-list = ["import"]

[[defined-sets.prefix-sets]]
prefix-set-name = "bogons"
[[defined-sets.prefix-sets.prefix-list]]
ip-prefix = "10.0.0.0/8"
masklength-range = "8..32"
[[defined-sets.prefix-sets.prefix-list]]
ip-prefix = "192.168.0.0/16"
masklength-range = "16..32"

[[defined-sets.bgp-defined-sets.community-sets]]
community-set-name = "tagged"
community-list = ["^6500[0-9]:1[0-9][0-9]$"]

[[defined-sets.bgp-defined-sets.as-path-sets]]
as-path-set-name = "transit"
as-path-list = ["_(174|3356|1299)_"]

[[policy-definitions]]
name = "import"

[[policy-definitions.statements]]
name = "bogons"
[policy-definitions.statements.conditions.match-prefix-set]
prefix-set = "bogons"
[policy-definitions.statements.actions]
route-disposition = "reject-route"

[[policy-definitions.statements]]
name = "customers"
[policy-definitions.statements.conditions.match-prefix-set]
prefix-set = "customers"
[policy-definitions.statements.actions.bgp-actions]
set-local-pref = 200

[[policy-definitions.statements]]
name = "tagged"
[policy-definitions.statements.conditions.bgp-conditions.match-community-set]
community-set = "tagged"
[policy-definitions.statements.actions.bgp-actions]
set-med = "+10"

[[policy-definitions.statements]]
name = "transit"
[policy-definitions.statements.conditions.bgp-conditions.match-as-path-set]
as-path-set = "transit"
[policy-definitions.statements.actions]
route-disposition = "accept-route"
[policy-definitions.statements.actions.bgp-actions]
set-local-pref = 80

[[policy-definitions.statements]]
name = "too-long"
[policy-definitions.statements.conditions.bgp-conditions]
as-path-length = { operator = "ge", value = 8 }
[policy-definitions.statements.actions]
route-disposition = "reject-route"
"#;

fn engine(policies: &str) -> PolicyEngine {
    let text = format!("[global.config]\nas = 65001\nrouter-id = \"192.0.2.1\"\n{policies}");
    let config = config::parse(&text, "bench.toml").expect("bench config parses");
    PolicyEngine::from_config(&config).expect("bench policies compile")
}

/// Attribute sets: AS paths of 1 to 8 ASes (some through 174/3356/1299),
/// 0 to 3 communities (some matching the regex), some MEDs.
fn attr_sets() -> Vec<Arc<PathAttrs>> {
    let mut rng = Lcg(7);
    (0..ATTR_SETS)
        .map(|_| {
            let length = 1 + rng.next() % 8;
            let asns = (0..length)
                .map(|_| match rng.next() % 20 {
                    0 => 174,
                    1 => 3356,
                    2 => 1299,
                    _ => 64512 + rng.next() % 1000,
                })
                .collect();
            let communities = (0..rng.next() % 4)
                .map(|_| {
                    Community::new(65000 + (rng.next() % 20) as u16, (rng.next() % 300) as u16)
                })
                .collect::<Vec<_>>();
            let mut attributes = vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(asns))),
            ];
            if !communities.is_empty() {
                attributes.push(PathAttribute::new(AttrValue::Communities(communities)));
            }
            if rng.next() % 2 == 0 {
                attributes.push(PathAttribute::new(AttrValue::MultiExitDisc(
                    rng.next() % 100,
                )));
            }
            let next_hop = NextHop::V4(Ipv4Addr::new(192, 0, 2, 2));
            Arc::new(PathAttrs::new(attributes, Some(next_hop)))
        })
        .collect()
}

/// 1M /24s: half inside the customer set's /16s (11.0/16 to 50.249/16),
/// the rest spread over 51/8 to 223/8 (a few in 10/8). `mixed`: the four
/// routes sharing an attribute set alternate between the halves (worst
/// case: each set is changed two ways); else the four are in one half, as
/// when one UPDATE carries one origin's prefixes.
fn prefixes(mixed: bool) -> Vec<IpNet> {
    let mut rng = Lcg(11);
    (0..ROUTES)
        .map(|i| {
            let customer = if mixed { i % 2 == 0 } else { (i / 4) % 2 == 0 };
            let first = if customer {
                11 + rng.next() % 40
            } else {
                51 + rng.next() % 173
            };
            let addr = Ipv4Addr::new(
                first as u8,
                (rng.next() % 250) as u8,
                (rng.next() % 256) as u8,
                0,
            );
            let prefix = match i % 1000 {
                0 => Ipv4Net::new(Ipv4Addr::new(10, 1, (i % 256) as u8, 0), 24),
                _ => Ipv4Net::new(addr, 24),
            };
            IpNet::V4(prefix.expect("length 24"))
        })
        .collect()
}

fn source() -> SourcePeer {
    SourcePeer {
        address: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2))),
        local_address: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
        asn: 65002,
        router_id: Ipv4Addr::new(192, 0, 2, 2),
        external: true,
        route_server_client: false,
    }
}

/// Imports every route; returns (accepted unchanged, changed, rejected).
fn run(engine: &PolicyEngine, prefixes: &[IpNet], attrs: &[Arc<PathAttrs>]) -> [u32; 3] {
    let source = source();
    let mut counts = [0u32; 3];
    for (i, prefix) in prefixes.iter().enumerate() {
        let route = RouteContext {
            prefix: *prefix,
            family: Family::IPV4_UNICAST,
            source: &source,
            original_next_hop: None,
        };
        let slot = match black_box(engine.import(&route, &attrs[i / 4])) {
            Decision::Accept => 0,
            Decision::Modified(_) => 1,
            Decision::Reject => 2,
        };
        counts[slot] += 1;
    }
    counts
}

/// Nanoseconds this thread has run on a CPU (Linux schedstat), so that
/// the figure is per core even on a busy machine.
fn cpu_time_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Routes per CPU-second over `rounds` full runs.
fn per_cpu_second(
    engine: &PolicyEngine,
    prefixes: &[IpNet],
    attrs: &[Arc<PathAttrs>],
) -> Option<f64> {
    let rounds = 5;
    let start = cpu_time_ns()?;
    for _ in 0..rounds {
        black_box(run(engine, prefixes, attrs));
    }
    let spent = cpu_time_ns()?.checked_sub(start)?;
    Some(f64::from(ROUTES) * f64::from(rounds) / (spent as f64 / 1e9))
}

fn bench(c: &mut Criterion) {
    let prefixes_mixed = prefixes(true);
    let prefixes = prefixes(false);
    let attrs = attr_sets();
    let mut group = c.benchmark_group("policy_import_1M");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(ROUTES)));

    let five = engine(&format!(
        "{FIVE_STATEMENTS}{}",
        prefix_set("customers", 10_000, 16)
    ));
    let counts = run(&five, &prefixes, &attrs);
    eprintln!(
        "five_statements: {} accepted unchanged, {} changed, {} rejected",
        counts[0], counts[1], counts[2]
    );
    if let Some(rate) = per_cpu_second(&five, &prefixes, &attrs) {
        eprintln!("five_statements: {:.2} M routes per CPU-second", rate / 1e6);
    }
    group.bench_function("five_statements", |b| {
        b.iter(|| run(&five, &prefixes, &attrs))
    });
    if let Some(rate) = per_cpu_second(&five, &prefixes_mixed, &attrs) {
        eprintln!(
            "five_statements_mixed: {:.2} M routes per CPU-second",
            rate / 1e6
        );
    }
    group.bench_function("five_statements_mixed", |b| {
        b.iter(|| run(&five, &prefixes_mixed, &attrs))
    });

    for n in [10usize, 10_000, 100_000] {
        let only = engine(&format!(
            "[global.apply-policy.config]\nimport-policy-list = [\"p\"]\n{}\n\
             [[policy-definitions]]\nname = \"p\"\n[[policy-definitions.statements]]\n\
             [policy-definitions.statements.conditions.match-prefix-set]\nprefix-set = \"s\"\n",
            prefix_set("s", n, 20)
        ));
        group.bench_with_input(BenchmarkId::new("prefix_set_only", n), &only, |b, e| {
            b.iter(|| run(e, &prefixes, &attrs))
        });
    }

    if let Some(rate) = per_cpu_second(&engine(""), &prefixes, &attrs) {
        eprintln!("no_policy: {:.2} M routes per CPU-second", rate / 1e6);
    }
    let none = engine("");
    group.bench_function("no_policy", |b| b.iter(|| run(&none, &prefixes, &attrs)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
