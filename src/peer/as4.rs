//! AS4_PATH and AS4_AGGREGATOR, normalised once in the peer task: merged
//! into AS_PATH and AGGREGATOR for 2-octet peers (RFC 6793 §4.2.3) and
//! dropped on 4-octet sessions (§4.1), so the rib never sees them.

use crate::wire::bgp::{AsPath, AttrType, AttrValue, Segment, SegmentType, Update};

/// Merges AS4_PATH into AS_PATH (and AS4_AGGREGATOR into AGGREGATOR) in an
/// UPDATE from a peer without the 4-octet AS capability, then drops the
/// AS4 attributes, as RFC 6793 §4.2.3 says.
///
/// - AGGREGATOR with an ASN other than AS_TRANS: AS4_PATH and
///   AS4_AGGREGATOR are ignored (dropped).
/// - AS_PATH shorter than AS4_PATH (counting per §9.1.2.2 with
///   confederation segments excluded): AS4_PATH is ignored.
/// - Otherwise the leading `len(AS_PATH) - len(AS4_PATH)` ASNs of AS_PATH
///   are kept and AS4_PATH appended.
pub fn merge_as4(update: &mut Update) {
    let as4_path = update.attributes.iter().find_map(|a| match &a.value {
        AttrValue::As4Path(p) => Some(p.clone()),
        _ => None,
    });
    let as4_aggregator = update.attributes.iter().find_map(|a| match &a.value {
        AttrValue::As4Aggregator(g) => Some(*g),
        _ => None,
    });
    let aggregator_is_trans = update.attributes.iter().find_map(|a| match &a.value {
        AttrValue::Aggregator(g) => Some(g.asn == u32::from(crate::wire::bgp::open::AS_TRANS)),
        _ => None,
    });
    update.attributes.retain(|a| {
        !matches!(
            AttrType::from(a.type_code()),
            AttrType::As4Path | AttrType::As4Aggregator
        )
    });
    if aggregator_is_trans == Some(false) {
        return;
    }
    if let Some(as4) = as4_aggregator {
        for attribute in &mut update.attributes {
            if let AttrValue::Aggregator(g) = &mut attribute.value {
                *g = as4;
            }
        }
    }
    let Some(as4_path) = as4_path else {
        return;
    };
    for attribute in &mut update.attributes {
        if let AttrValue::AsPath(path) = &mut attribute.value {
            if let Some(merged) = merge_paths(path, &as4_path) {
                *path = merged;
            }
        }
    }
}

/// Drops AS4_PATH and AS4_AGGREGATOR from an UPDATE received on a
/// 4-octet session: a NEW speaker must not send them (RFC 6793 §4.1), and
/// AS_PATH and AGGREGATOR already hold the 4-octet values.
pub fn discard_as4(update: &mut Update) {
    update.attributes.retain(|a| {
        !matches!(
            AttrType::from(a.type_code()),
            AttrType::As4Path | AttrType::As4Aggregator
        )
    });
}

/// Number of ASes for the merge: sets count one, confederation segments
/// none.
fn count(path: &AsPath) -> usize {
    path.path_len()
}

/// AS_PATH and AS4_PATH combined: the leading `len(AS_PATH) -
/// len(AS4_PATH)` ASNs of AS_PATH, then AS4_PATH (a kept trailing
/// AS_SEQUENCE and AS4_PATH's leading one become one segment), or `None`
/// when AS4_PATH is longer (ignore it).
pub fn merge_paths(as_path: &AsPath, as4_path: &AsPath) -> Option<AsPath> {
    let total = count(as_path);
    let as4 = count(as4_path);
    if total < as4 {
        return None;
    }
    let mut keep = total - as4;
    let mut segments: Vec<Segment> = Vec::new();
    for segment in &as_path.segments {
        if keep == 0 {
            // Confederation segments before the cut point stay too.
            break;
        }
        match segment.kind {
            SegmentType::Sequence => {
                let n = segment.asns.len().min(keep);
                segments.push(Segment {
                    kind: SegmentType::Sequence,
                    asns: segment.asns.iter().take(n).copied().collect(),
                });
                keep -= n;
            }
            SegmentType::Set => {
                segments.push(segment.clone());
                keep -= 1;
            }
            SegmentType::ConfedSequence | SegmentType::ConfedSet => segments.push(segment.clone()),
        }
    }
    for segment in &as4_path.segments {
        match segments.last_mut() {
            // Join the kept sequence with AS4_PATH's leading one.
            Some(last)
                if last.kind == SegmentType::Sequence && segment.kind == SegmentType::Sequence =>
            {
                last.asns.extend_from_slice(&segment.asns);
            }
            _ => segments.push(segment.clone()),
        }
    }
    Some(AsPath { segments })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::bgp::{Aggregator, PathAttribute};
    use std::net::Ipv4Addr;

    fn update(as_path: Vec<u32>, as4_path: Vec<u32>) -> Update {
        Update {
            attributes: vec![
                PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(as_path))),
                PathAttribute::new(AttrValue::As4Path(AsPath::from_sequence(as4_path))),
            ],
            ..Update::default()
        }
    }

    fn as_path(update: &Update) -> Vec<u32> {
        update
            .attributes
            .iter()
            .find_map(|a| match &a.value {
                AttrValue::AsPath(p) => {
                    Some(p.segments.iter().flat_map(|s| s.asns.clone()).collect())
                }
                _ => None,
            })
            .unwrap_or_default()
    }

    #[test]
    fn as_trans_entries_are_replaced_by_as4_path() {
        let mut u = update(
            vec![65001, 23456, 23456],
            vec![4_200_000_001, 4_200_000_002],
        );
        merge_as4(&mut u);
        assert_eq!(as_path(&u), vec![65001, 4_200_000_001, 4_200_000_002]);
        assert_eq!(u.attributes.len(), 1, "AS4_PATH is dropped");
    }

    #[test]
    fn longer_as4_path_is_ignored() {
        let mut u = update(vec![23456], vec![4_200_000_001, 4_200_000_002]);
        merge_as4(&mut u);
        assert_eq!(as_path(&u), vec![23456]);
    }

    #[test]
    fn aggregator_other_than_as_trans_means_as4_attributes_are_ignored() {
        let mut u = update(vec![65001, 23456], vec![4_200_000_001]);
        u.attributes
            .push(PathAttribute::new(AttrValue::Aggregator(Aggregator {
                asn: 65001,
                address: Ipv4Addr::new(192, 0, 2, 1),
            })));
        merge_as4(&mut u);
        assert_eq!(as_path(&u), vec![65001, 23456]);
    }

    #[test]
    fn as4_aggregator_replaces_an_as_trans_aggregator() {
        let mut u = update(vec![23456], vec![4_200_000_001]);
        let real = Aggregator {
            asn: 4_200_000_001,
            address: Ipv4Addr::new(192, 0, 2, 1),
        };
        u.attributes
            .push(PathAttribute::new(AttrValue::Aggregator(Aggregator {
                asn: 23456,
                ..real
            })));
        u.attributes
            .push(PathAttribute::new(AttrValue::As4Aggregator(real)));
        merge_as4(&mut u);
        assert!(u
            .attributes
            .iter()
            .any(|a| a.value == AttrValue::Aggregator(real)));
        assert_eq!(as_path(&u), vec![4_200_000_001]);
    }

    // Moved from rib::import when the rib's copy of the merge was removed.

    #[test]
    fn as4_path_replaces_the_as_trans_tail_of_as_path() {
        let as_path = AsPath::from_sequence(vec![65002, 23456, 23456]);
        let as4 = AsPath::from_sequence(vec![4_200_000_001, 4_200_000_002]);
        assert_eq!(
            merge_paths(&as_path, &as4),
            Some(AsPath::from_sequence(vec![
                65002,
                4_200_000_001,
                4_200_000_002
            ]))
        );
    }

    #[test]
    fn longer_as4_path_than_as_path_is_ignored() {
        let as_path = AsPath::from_sequence(vec![23456]);
        let as4 = AsPath::from_sequence(vec![4_200_000_001, 4_200_000_002]);
        assert_eq!(merge_paths(&as_path, &as4), None);
    }

    #[test]
    fn as4_attributes_are_dropped_after_merging() {
        let mut u = update(vec![65002, 23456], vec![4_200_000_001]);
        merge_as4(&mut u);
        assert_eq!(u.attributes.len(), 1);
        let Some(AttrValue::AsPath(path)) = u.attributes.first().map(|a| &a.value) else {
            panic!("AS_PATH kept");
        };
        assert_eq!(path.path_len(), 2);
        assert_eq!(path.segments.len(), 1, "one AS_SEQUENCE");
        assert_eq!(path.to_string(), "65002 4200000001");
    }

    #[test]
    fn as4_attributes_on_a_four_octet_session_are_discarded() {
        let mut u = update(vec![65002, 4_200_000_001], vec![4_200_000_009]);
        u.attributes
            .push(PathAttribute::new(AttrValue::As4Aggregator(Aggregator {
                asn: 4_200_000_009,
                address: Ipv4Addr::new(192, 0, 2, 1),
            })));
        discard_as4(&mut u);
        assert_eq!(u.attributes.len(), 1);
        assert_eq!(as_path(&u), vec![65002, 4_200_000_001]);
    }
}
