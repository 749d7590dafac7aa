// `criterion_group!` generates an undocumented `pub fn benches`.
#![allow(missing_docs)]

//! UPDATE decode throughput, in prefixes per second.
//!
//! Run: `cargo bench --bench bgp_update -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};

use bgpd::wire::bgp::{
    announce, AsPath, AttrValue, Community, Message, Negotiated, NextHop, Nlri, Origin,
    PathAttribute,
};
use bgpd::wire::Family;
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

fn attributes() -> Vec<PathAttribute> {
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![
            65001, 65002, 65003,
        ]))),
        PathAttribute::new(AttrValue::MultiExitDisc(100)),
        PathAttribute::new(AttrValue::Communities(vec![
            Community::new(65001, 100),
            Community::new(65001, 200),
        ])),
    ]
}

fn v4(count: u32) -> Vec<Nlri> {
    (0..count)
        .map(|i| {
            let net = Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24).expect("/24");
            Nlri::new(IpNet::V4(net))
        })
        .collect()
}

fn v6(count: u32) -> Vec<Nlri> {
    (0..count)
        .map(|i| {
            let addr = Ipv6Addr::from(0x2001_0db8u128 << 96 | u128::from(i) << 80);
            Nlri::new(IpNet::V6(Ipv6Net::new(addr, 48).expect("/48")))
        })
        .collect()
}

/// The first (full) UPDATE the builder makes, and its prefix count.
fn first_update(
    family: Family,
    next_hop: NextHop,
    prefixes: &[Nlri],
    cx: &Negotiated,
) -> (Bytes, u64) {
    let messages = announce(&attributes(), family, &next_hop, prefixes, cx).expect("fits");
    let first = messages.into_iter().next().expect("one message");
    let Ok(Message::Update(update)) = Message::decode(first.clone(), cx) else {
        panic!("builder output decodes");
    };
    let count = update.announced().count() as u64;
    (first, count)
}

fn decode(c: &mut Criterion) {
    let cx = Negotiated::default();
    let v4_next_hop = NextHop::V4(Ipv4Addr::new(192, 0, 2, 1));
    let v6_next_hop = NextHop::V6 {
        global: "2001:db8::1".parse().expect("addr"),
        link_local: Some("fe80::1".parse().expect("addr")),
    };
    let cases = [
        (
            "full_4096_ipv4_slash24",
            first_update(Family::IPV4_UNICAST, v4_next_hop, &v4(2000), &cx),
        ),
        (
            "four_ipv4_prefixes",
            first_update(Family::IPV4_UNICAST, v4_next_hop, &v4(4), &cx),
        ),
        (
            "full_4096_ipv6_slash48",
            first_update(Family::IPV6_UNICAST, v6_next_hop, &v6(1000), &cx),
        ),
    ];
    let mut group = c.benchmark_group("update_decode");
    for (name, (message, prefixes)) in cases {
        eprintln!("{name}: {} octets, {prefixes} prefixes", message.len());
        group.throughput(Throughput::Elements(prefixes));
        group.bench_function(name, |b| {
            b.iter(|| Message::decode(black_box(message.clone()), black_box(&cx)))
        });
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
