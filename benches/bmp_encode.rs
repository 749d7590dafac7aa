//! Route Monitoring encode and decode throughput (messages per second).
//!
//! Two UPDATE sizes: a 60-octet single-prefix UPDATE (the common case) and
//! a 4096-octet one (the RFC 4271 maximum). Encoding goes through the
//! client's hot path, `encode_route_monitoring`, into a reused buffer.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::UNIX_EPOCH;

use bgpd::wire::bmp::{encode_route_monitoring, Message, PeerFlags, PeerType, PerPeerHeader};
use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// A whole BGP UPDATE of exactly `len` octets: header, no withdrawals, one
/// opaque path attribute filling the rest (content does not matter to BMP).
fn update(len: usize) -> Vec<u8> {
    let total = u16::try_from(len).expect("bench sizes fit");
    let mut pdu = vec![0xff; 16];
    pdu.extend_from_slice(&total.to_be_bytes());
    pdu.push(2);
    pdu.extend_from_slice(&0u16.to_be_bytes());
    let attrs = total - 23;
    pdu.extend_from_slice(&attrs.to_be_bytes());
    pdu.resize(len, 0x42);
    pdu
}

fn bench(c: &mut Criterion) {
    let peer = PerPeerHeader::new(
        PeerType::Global,
        PeerFlags::EMPTY,
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        65001,
        Ipv4Addr::new(192, 0, 2, 1),
        UNIX_EPOCH,
    );
    let mut group = c.benchmark_group("bmp_route_monitoring");
    group.throughput(Throughput::Elements(1));
    for size in [60usize, 4096] {
        let pdu = update(size);
        let mut out = BytesMut::with_capacity(64 * 1024);
        group.bench_function(format!("encode_{size}"), |b| {
            b.iter(|| {
                if out.len() > 32 * 1024 {
                    out.clear();
                }
                encode_route_monitoring(black_box(&peer), black_box(&pdu), &mut out)
                    .expect("valid UPDATE");
            })
        });
        let mut encoded = BytesMut::new();
        encode_route_monitoring(&peer, &pdu, &mut encoded).expect("valid UPDATE");
        let encoded: Bytes = encoded.freeze();
        group.bench_function(format!("decode_{size}"), |b| {
            b.iter(|| Message::decode(black_box(encoded.clone())).expect("valid message"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
