//! `PathAttrs::splice` and `PathAttrs::encoded_value` against the decoded
//! path: for varied attribute sets and changes, the set built on the
//! encoding equals (same hash, same derived values) the set built by
//! decoding, changing and re-encoding.

use std::net::Ipv4Addr;

use bytes::{Bytes, BytesMut};

use super::{storage_context, EncodedValue, PathAttrs, Splice};
use crate::wire::bgp::{
    AsPath, AttrFlags, AttrType, AttrValue, Community, ExtendedCommunity, LargeCommunity, NextHop,
    Origin, PathAttribute, Segment, SegmentType,
};

/// A small deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as u32) % below.max(1)
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.next(100) < percent
    }
}

fn path(rng: &mut Lcg, max_segment: u32) -> AsPath {
    let kinds = [
        SegmentType::Sequence,
        SegmentType::Set,
        SegmentType::ConfedSequence,
        SegmentType::ConfedSet,
    ];
    let segments = (0..rng.next(4))
        .map(|_| Segment {
            kind: if rng.chance(70) {
                SegmentType::Sequence
            } else {
                kinds[rng.next(4) as usize]
            },
            asns: (0..1 + rng.next(max_segment))
                .map(|_| 64500 + rng.next(5_000_000))
                .collect(),
        })
        .collect();
    AsPath { segments }
}

/// A value of type `code` (one of the types policy changes).
fn value(rng: &mut Lcg, code: u8, max_segment: u32) -> AttrValue {
    let most = if rng.chance(10) { 40 } else { 4 };
    let len = 1 + rng.next(most);
    match code {
        1 => {
            AttrValue::Origin([Origin::Igp, Origin::Egp, Origin::Incomplete][rng.next(3) as usize])
        }
        2 => AttrValue::AsPath(path(rng, max_segment)),
        4 => AttrValue::MultiExitDisc(rng.next(u32::MAX)),
        5 => AttrValue::LocalPref(rng.next(400)),
        8 => AttrValue::Communities((0..len).map(|_| Community(rng.next(u32::MAX))).collect()),
        16 => AttrValue::ExtendedCommunities(
            (0..len)
                .map(|_| {
                    let mut b = [0u8; 8];
                    b.iter_mut().for_each(|o| *o = rng.next(256) as u8);
                    ExtendedCommunity(b)
                })
                .collect(),
        ),
        _ => AttrValue::LargeCommunities(
            (0..len)
                .map(|_| LargeCommunity {
                    global_admin: rng.next(u32::MAX),
                    local_data_1: rng.next(1000),
                    local_data_2: rng.next(1000),
                })
                .collect(),
        ),
    }
}

const EDITABLE: [u8; 7] = [1, 2, 4, 5, 8, 16, 32];

/// A received set: some of the editable types (some with Extended
/// Length or Partial set as received), some others, and now and then an
/// AS_PATH segment too long to round-trip (the set keeps a decoded form).
fn received(rng: &mut Lcg) -> Vec<PathAttribute> {
    let max_segment = if rng.chance(5) { 300 } else { 12 };
    let mut attributes = Vec::new();
    for code in EDITABLE {
        if rng.chance(60) {
            let mut attribute = PathAttribute::new(value(rng, code, max_segment));
            if rng.chance(15) {
                attribute.flags.0 |= AttrFlags::EXTENDED_LENGTH;
            }
            if code >= 8 && rng.chance(10) {
                attribute.flags.0 |= AttrFlags::PARTIAL;
            }
            attributes.push(attribute);
        }
    }
    if rng.chance(30) {
        attributes.push(PathAttribute::new(AttrValue::AtomicAggregate));
    }
    if rng.chance(30) {
        attributes.push(PathAttribute::new(AttrValue::OriginatorId(Ipv4Addr::new(
            10, 0, 0, 1,
        ))));
    }
    if rng.chance(30) {
        attributes.push(PathAttribute {
            flags: AttrFlags(AttrFlags::OPTIONAL | AttrFlags::TRANSITIVE | AttrFlags::PARTIAL),
            value: AttrValue::Unknown {
                type_code: 99,
                value: Bytes::from_static(&[1, 2, 3]),
            },
        });
    }
    if rng.chance(20) {
        attributes.push(PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(
            192, 0, 2, 1,
        ))));
    }
    attributes
}

/// The value octets the wire encoder writes for `value`.
fn encoded(value: &AttrValue) -> Vec<u8> {
    let mut out = BytesMut::new();
    PathAttribute::new(value.clone())
        .encode(&mut out, storage_context())
        .expect("test values encode");
    let header = if out[0] & AttrFlags::EXTENDED_LENGTH != 0 {
        4
    } else {
        3
    };
    out[header..].to_vec()
}

/// The decoded path: the attributes decoded, each change made on the
/// list (a replaced value keeps its flags), encoded again.
fn decoded_edit(
    base: &PathAttrs,
    changes: &[(u8, Option<AttrValue>)],
    next_hop: Option<NextHop>,
) -> PathAttrs {
    let mut attributes = base.attributes().into_owned();
    for (code, change) in changes {
        let slot = attributes.iter().position(|a| a.type_code() == *code);
        match (slot, change) {
            (Some(i), Some(value)) => attributes[i].value = value.clone(),
            (None, Some(value)) => attributes.push(PathAttribute::new(value.clone())),
            (Some(i), None) => {
                attributes.remove(i);
            }
            (None, None) => {}
        }
    }
    PathAttrs::new(attributes, next_hop)
}

fn assert_same(fast: &PathAttrs, slow: &PathAttrs, context: &str) {
    assert_eq!(fast, slow, "{context}");
    assert_eq!(fast.hash, slow.hash, "{context}");
    assert_eq!(fast.local_pref(), slow.local_pref(), "{context}");
    assert_eq!(fast.med(), slow.med(), "{context}");
    assert_eq!(fast.origin(), slow.origin(), "{context}");
    assert_eq!(fast.as_path_len(), slow.as_path_len(), "{context}");
    assert_eq!(fast.first_as(), slow.first_as(), "{context}");
    assert_eq!(fast.attributes(), slow.attributes(), "{context}");
}

#[test]
fn splice_on_the_encoding_equals_the_decoded_edit() {
    let mut rng = Lcg(4);
    let mut spliced = 0;
    for case in 0..3000 {
        let base = PathAttrs::new(
            received(&mut rng),
            Some(NextHop::V4(Ipv4Addr::new(192, 0, 2, 1))),
        );
        let mut changes: Vec<(u8, Option<AttrValue>)> = Vec::new();
        for code in EDITABLE {
            if rng.chance(35) {
                let change = rng.chance(75).then(|| value(&mut rng, code, 255));
                changes.push((code, change));
            }
        }
        let next_hop = if rng.chance(20) {
            Some(NextHop::V4(Ipv4Addr::new(203, 0, 113, 9)))
        } else {
            base.next_hop().copied()
        };
        let values: Vec<(u8, Option<Vec<u8>>)> = changes
            .iter()
            .map(|(code, v)| (*code, v.as_ref().map(encoded)))
            .collect();
        let splices: Vec<Splice<'_>> = values
            .iter()
            .map(|(type_code, value)| Splice {
                type_code: *type_code,
                value: value.as_deref(),
            })
            .collect();
        let slow = decoded_edit(&base, &changes, next_hop);
        let context = format!("case {case}: {base:?} with {changes:?}");
        match base.splice(&splices, next_hop) {
            Some(fast) => {
                assert_same(&fast, &slow, &context);
                spliced += 1;
            }
            None => assert!(!base.is_encoded(), "no splice for {context}"),
        }
    }
    assert!(spliced > 2500, "most cases take the fast path: {spliced}");
}

#[test]
fn splice_refuses_what_would_not_round_trip() {
    let base = PathAttrs::new(vec![PathAttribute::new(AttrValue::MultiExitDisc(1))], None);
    let change = |type_code, value: &'static [u8]| {
        base.splice(
            &[Splice {
                type_code,
                value: Some(value),
            }],
            None,
        )
    };
    assert!(change(1, &[3]).is_none(), "ORIGIN 3");
    assert!(change(4, &[0, 0, 1]).is_none(), "short MED");
    assert!(change(8, &[]).is_none(), "empty COMMUNITIES");
    assert!(
        change(8, &[0, 0, 0, 1, 0]).is_none(),
        "COMMUNITIES of 5 octets"
    );
    assert!(change(2, &[2, 0]).is_none(), "empty segment");
    assert!(change(2, &[5, 1, 0, 0, 0, 1]).is_none(), "segment type 5");
    assert!(
        change(2, &[2, 2, 0, 0, 0, 1]).is_none(),
        "overrunning segment"
    );
    assert!(
        change(9, &[1, 2, 3, 4]).is_none(),
        "a type policy does not change"
    );
    assert!(change(4, &[0, 0, 0, 2]).is_some());
    let unsorted = [
        Splice {
            type_code: 5,
            value: Some(&[0, 0, 0, 1]),
        },
        Splice {
            type_code: 4,
            value: None,
        },
    ];
    assert!(base.splice(&unsorted, None).is_none(), "unsorted");
}

#[test]
fn encoded_value_reads_the_stored_octets() {
    let attrs = PathAttrs::new(
        vec![
            PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![65001]))),
            PathAttribute::new(AttrValue::Communities(vec![Community(0xfde8_0001)])),
        ],
        None,
    );
    assert_eq!(
        attrs.encoded_value(AttrType::Communities),
        EncodedValue::Value(&[0xfd, 0xe8, 0, 1])
    );
    assert_eq!(
        attrs.encoded_value(AttrType::AsPath),
        EncodedValue::Value(&[2, 1, 0, 0, 0xfd, 0xe9])
    );
    assert_eq!(
        attrs.encoded_value(AttrType::LocalPref),
        EncodedValue::Absent
    );
    let long = AsPath {
        segments: vec![Segment {
            kind: SegmentType::Sequence,
            asns: (0..300).collect(),
        }],
    };
    let decoded = PathAttrs::new(vec![PathAttribute::new(AttrValue::AsPath(long))], None);
    assert!(!decoded.is_encoded());
    assert_eq!(
        decoded.encoded_value(AttrType::AsPath),
        EncodedValue::DecodedOnly
    );
}

/// Sets the builder takes as decoding back by construction (it then skips
/// decoding their encoding) do decode back: checked against the full
/// decode for generated sets, flags varied too.
#[test]
fn sets_taken_as_round_tripping_by_construction_decode_back() {
    use crate::rib::attrs::{decodes_back, round_trips_by_construction};
    let mut rng = Lcg(11);
    let mut taken = 0;
    for _ in 0..5000 {
        let mut attributes = received(&mut rng);
        if rng.chance(10) {
            if let Some(a) = attributes.first_mut() {
                a.flags.0 ^=
                    [AttrFlags::OPTIONAL, AttrFlags::TRANSITIVE, 0x01][rng.next(3) as usize];
            }
        }
        attributes.retain(|a| !matches!(a.value, AttrValue::NextHop(_)));
        attributes.sort_by_key(PathAttribute::type_code);
        attributes.dedup_by_key(|a| a.type_code());
        if !attributes.iter().all(round_trips_by_construction) {
            continue;
        }
        taken += 1;
        let mut out = BytesMut::new();
        for a in &attributes {
            a.encode(&mut out, storage_context()).expect("encodes");
        }
        assert!(decodes_back(&out.freeze(), &attributes), "{attributes:?}");
    }
    assert!(taken > 1000, "only {taken} sets taken");
    // What the decoder would refuse or change is never taken.
    let refused = [
        PathAttribute::new(AttrValue::Communities(Vec::new())),
        PathAttribute::new(AttrValue::ClusterList(Vec::new())),
        PathAttribute::new(AttrValue::LargeCommunities(Vec::new())),
        PathAttribute::new(AttrValue::AsPath(AsPath {
            segments: vec![Segment {
                kind: SegmentType::Sequence,
                asns: (0..256).collect(),
            }],
        })),
        PathAttribute::new(AttrValue::AsPath(AsPath {
            segments: vec![Segment {
                kind: SegmentType::Set,
                asns: Vec::new(),
            }],
        })),
        PathAttribute {
            flags: AttrFlags(AttrFlags::TRANSITIVE),
            value: AttrValue::MultiExitDisc(1),
        },
    ];
    for attribute in &refused {
        assert!(!round_trips_by_construction(attribute), "{attribute:?}");
    }
}
