//! The route's changes made on the encoding give the set the decoded
//! edit gives, and conditions read communities and AS paths in place as
//! they read the decoded values.

use std::net::Ipv4Addr;
use std::sync::Arc;

use bytes::BytesMut;

use super::as_path::{with_encoded_path, with_path};
use super::route::{Changes, Route};
use crate::rib::attrs::PathAttrs;
use crate::wire::bgp::{
    AsPath, AttrFlags, AttrValue, Community, ExtendedCommunity, LargeCommunity, NextHop, Origin,
    PathAttribute, Segment, SegmentType,
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

/// A path of up to 3 segments of every kind; `max` ASes a segment (past
/// 255 the path does not round-trip; `empty` allows empty segments).
fn path(rng: &mut Lcg, max: u32, empty: bool) -> AsPath {
    let kinds = [
        SegmentType::Sequence,
        SegmentType::Set,
        SegmentType::ConfedSequence,
        SegmentType::ConfedSet,
    ];
    let segments = (0..rng.next(4))
        .map(|_| {
            let kind = kinds[rng.next(4) as usize];
            let low = u32::from(!empty);
            let count = low + rng.next(max + 1 - low);
            Segment {
                kind,
                asns: (0..count).map(|_| rng.next(5_000_000)).collect(),
            }
        })
        .collect();
    AsPath { segments }
}

fn communities(rng: &mut Lcg) -> Vec<Community> {
    (0..rng.next(4))
        .map(|_| Community(rng.next(u32::MAX)))
        .collect()
}

fn received(rng: &mut Lcg) -> PathAttrs {
    let mut attributes = vec![PathAttribute::new(AttrValue::Origin(Origin::Igp))];
    if rng.chance(80) {
        let max = if rng.chance(5) { 300 } else { 10 };
        attributes.push(PathAttribute::new(AttrValue::AsPath(path(rng, max, false))));
    }
    if rng.chance(50) {
        attributes.push(PathAttribute::new(AttrValue::MultiExitDisc(rng.next(100))));
    }
    if rng.chance(30) {
        attributes.push(PathAttribute::new(AttrValue::LocalPref(rng.next(300))));
    }
    let list = communities(rng);
    if !list.is_empty() {
        let mut attribute = PathAttribute::new(AttrValue::Communities(list));
        if rng.chance(20) {
            attribute.flags.0 |= AttrFlags::EXTENDED_LENGTH;
        }
        attributes.push(attribute);
    }
    if rng.chance(20) {
        attributes.push(PathAttribute::new(AttrValue::ExtendedCommunities(vec![
            ExtendedCommunity([0, 2, 0xfd, 0xe8, 0, 0, 0, 1]),
        ])));
    }
    PathAttrs::new(attributes, Some(NextHop::V4(Ipv4Addr::new(192, 0, 2, 2))))
}

fn changes(rng: &mut Lcg) -> Changes {
    Changes {
        communities: rng.chance(30).then(|| communities(rng)),
        ext_communities: rng.chance(15).then(|| {
            (0..rng.next(3))
                .map(|i| ExtendedCommunity([0, 2, 0, 1, 0, 0, 0, i as u8]))
                .collect()
        }),
        large_communities: rng.chance(15).then(|| {
            (0..rng.next(3))
                .map(|i| LargeCommunity {
                    global_admin: 65000,
                    local_data_1: i,
                    local_data_2: 7,
                })
                .collect()
        }),
        med: rng.chance(30).then(|| rng.next(1000)),
        local_pref: rng.chance(30).then(|| rng.next(1000)),
        as_path: rng.chance(20).then(|| {
            let max = if rng.chance(10) { 300 } else { 6 };
            let empty = rng.chance(10);
            path(rng, max, empty)
        }),
        next_hop: rng
            .chance(15)
            .then(|| NextHop::V4(Ipv4Addr::new(203, 0, 113, 1))),
        origin: rng.chance(20).then_some(Origin::Incomplete),
    }
}

#[test]
fn changes_on_the_encoding_equal_the_decoded_edit() {
    let mut rng = Lcg(9);
    for case in 0..3000 {
        let base = received(&mut rng);
        let changes = changes(&mut rng);
        let next_hop = changes.next_hop.or_else(|| base.next_hop().copied());
        let fast = changes.apply_to(&base);
        let slow = changes.rebuild(&base, next_hop);
        let context = format!("case {case}: {base:?} with {changes:?}");
        assert_eq!(fast, slow, "{context}");
        assert_eq!(fast.is_encoded(), slow.is_encoded(), "{context}");
        assert_eq!(fast.local_pref(), slow.local_pref(), "{context}");
        assert_eq!(fast.med(), slow.med(), "{context}");
        assert_eq!(fast.origin(), slow.origin(), "{context}");
        assert_eq!(fast.as_path_len(), slow.as_path_len(), "{context}");
        assert_eq!(fast.first_as(), slow.first_as(), "{context}");
        assert_eq!(fast.attributes(), slow.attributes(), "{context}");
    }
}

#[test]
fn communities_read_in_place_equal_the_decoded_list() {
    let mut rng = Lcg(21);
    for _ in 0..500 {
        let base = Arc::new(received(&mut rng));
        let route = Route::new(&base);
        let in_place: Vec<Community> = route.community_values().iter().collect();
        assert_eq!(in_place, route.communities());
        assert_eq!(route.community_values().len(), route.communities().len());
    }
}

#[test]
fn as_path_read_in_place_gives_the_decoded_text_and_sequence() {
    let mut rng = Lcg(33);
    for _ in 0..1000 {
        let path = path(&mut rng, 12, false);
        let mut encoded = BytesMut::new();
        path.encode(&mut encoded, true).expect("encodes");
        let decoded = with_path(Some(&path), true, |s, t| (s.to_vec(), t.to_owned()));
        let in_place = with_encoded_path(&encoded, true, |s, t| (s.to_vec(), t.to_owned()));
        assert_eq!(in_place, decoded, "{path:?}");
    }
    let none = with_path(None, true, |s, t| (s.to_vec(), t.to_owned()));
    assert_eq!(
        with_encoded_path(&[], true, |s, t| (s.to_vec(), t.to_owned())),
        none
    );
}
