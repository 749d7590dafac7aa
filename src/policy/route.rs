//! The route under evaluation: its attributes as received, decoded only
//! when a condition asks, with the changes made by actions kept beside
//! them ([`Changes`]) and applied once, when the route is accepted.

use std::cell::OnceCell;
use std::sync::Arc;

use super::conditions::Reads;
use crate::rib::attrs::{EncodedValue, PathAttrs, Splice};
use crate::wire::bgp::{
    AsPath, AttrType, AttrValue, Community, ExtendedCommunity, LargeCommunity, NextHop, Origin,
    PathAttribute, SegmentType,
};

/// What actions changed, each field replacing the received value. An
/// empty community list removes the attribute.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Changes {
    pub communities: Option<Vec<Community>>,
    pub ext_communities: Option<Vec<ExtendedCommunity>>,
    pub large_communities: Option<Vec<LargeCommunity>>,
    pub med: Option<u32>,
    pub local_pref: Option<u32>,
    pub as_path: Option<AsPath>,
    pub next_hop: Option<NextHop>,
    pub origin: Option<Origin>,
}

impl Changes {
    /// No action changed anything.
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }

    /// The attributes changed, as [`Reads`] bits (the next hop is not
    /// among them: no attribute condition reads it).
    pub fn touched(&self) -> u8 {
        let mut bits = 0;
        for (changed, bit) in [
            (self.med.is_some(), Reads::MED),
            (self.origin.is_some(), Reads::ORIGIN),
            (self.local_pref.is_some(), Reads::LOCAL_PREF),
            (self.as_path.is_some(), Reads::AS_PATH),
            (self.communities.is_some(), Reads::COMMUNITIES),
            (self.ext_communities.is_some(), Reads::EXT_COMMUNITIES),
            (self.large_communities.is_some(), Reads::LARGE_COMMUNITIES),
        ] {
            if changed {
                bits |= bit;
            }
        }
        bits
    }

    /// `base` with the changes made: on its encoding when it can be
    /// ([`PathAttrs::splice`]), else by editing the decoded attributes.
    pub fn apply_to(&self, base: &PathAttrs) -> PathAttrs {
        let next_hop = self.next_hop.or_else(|| base.next_hop().copied());
        self.splice(base, next_hop)
            .unwrap_or_else(|| self.rebuild(base, next_hop))
    }

    /// The changes made on `base`'s encoding; `None` when that cannot
    /// give the set [`Changes::rebuild`] gives (a decoded-only base, an
    /// AS_PATH segment of no or more than 255 ASes, a value too long).
    fn splice(&self, base: &PathAttrs, next_hop: Option<NextHop>) -> Option<PathAttrs> {
        if !base.is_encoded() {
            return None;
        }
        // The new values back to back, then one splice per value, in
        // type-code order.
        let mut values = Vec::new();
        let mut spans: [(u8, Option<(usize, usize)>); 7] = [(0, None); 7];
        let mut count = 0;
        let mut add = |type_code: u8, values: &Vec<u8>, start: Option<usize>| {
            if let Some(span) = spans.get_mut(count) {
                *span = (type_code, start.map(|s| (s, values.len())));
            }
            count += 1;
        };
        if let Some(origin) = self.origin {
            let start = values.len();
            values.push(match origin {
                Origin::Igp => 0,
                Origin::Egp => 1,
                Origin::Incomplete => 2,
            });
            add(u8::from(AttrType::Origin), &values, Some(start));
        }
        if let Some(path) = &self.as_path {
            if !path
                .segments
                .iter()
                .all(|s| (1..=255).contains(&s.asns.len()))
            {
                return None;
            }
            let start = values.len();
            for segment in &path.segments {
                values.push(match segment.kind {
                    SegmentType::Set => 1,
                    SegmentType::Sequence => 2,
                    SegmentType::ConfedSequence => 3,
                    SegmentType::ConfedSet => 4,
                });
                // At most 255, checked above.
                values.push(segment.asns.len() as u8);
                for asn in &segment.asns {
                    values.extend_from_slice(&asn.to_be_bytes());
                }
            }
            add(u8::from(AttrType::AsPath), &values, Some(start));
        }
        if let Some(med) = self.med {
            let start = values.len();
            values.extend_from_slice(&med.to_be_bytes());
            add(u8::from(AttrType::MultiExitDisc), &values, Some(start));
        }
        if let Some(local_pref) = self.local_pref {
            let start = values.len();
            values.extend_from_slice(&local_pref.to_be_bytes());
            add(u8::from(AttrType::LocalPref), &values, Some(start));
        }
        if let Some(list) = &self.communities {
            let start = values.len();
            for community in list {
                values.extend_from_slice(&community.0.to_be_bytes());
            }
            // An empty list removes the attribute, as in `rebuild`.
            let start = (!list.is_empty()).then_some(start);
            add(u8::from(AttrType::Communities), &values, start);
        }
        if let Some(list) = &self.ext_communities {
            let start = values.len();
            for community in list {
                values.extend_from_slice(&community.0);
            }
            let start = (!list.is_empty()).then_some(start);
            add(u8::from(AttrType::ExtendedCommunities), &values, start);
        }
        if let Some(list) = &self.large_communities {
            let start = values.len();
            for community in list {
                values.extend_from_slice(&community.global_admin.to_be_bytes());
                values.extend_from_slice(&community.local_data_1.to_be_bytes());
                values.extend_from_slice(&community.local_data_2.to_be_bytes());
            }
            let start = (!list.is_empty()).then_some(start);
            add(u8::from(AttrType::LargeCommunities), &values, start);
        }
        let mut splices = [Splice {
            type_code: 0,
            value: None,
        }; 7];
        for (splice, (type_code, span)) in splices.iter_mut().zip(spans).take(count) {
            *splice = Splice {
                type_code,
                value: span.and_then(|(start, end)| values.get(start..end)),
            };
        }
        base.splice(splices.get(..count)?, next_hop)
    }

    /// `base` with the changes made, through its decoded attributes.
    pub fn rebuild(&self, base: &PathAttrs, next_hop: Option<NextHop>) -> PathAttrs {
        let mut attributes = base.attributes().into_owned();
        let mut put = |attr_type: AttrType, value: Option<AttrValue>| {
            let code = u8::from(attr_type);
            let slot = attributes.binary_search_by_key(&code, PathAttribute::type_code);
            match (slot, value) {
                (Ok(i), Some(value)) => {
                    if let Some(attribute) = attributes.get_mut(i) {
                        attribute.value = value;
                    }
                }
                (Err(i), Some(value)) => attributes.insert(i, PathAttribute::new(value)),
                (Ok(i), None) => {
                    attributes.remove(i);
                }
                (Err(_), None) => {}
            }
        };
        if let Some(origin) = self.origin {
            put(AttrType::Origin, Some(AttrValue::Origin(origin)));
        }
        if let Some(path) = &self.as_path {
            put(AttrType::AsPath, Some(AttrValue::AsPath(path.clone())));
        }
        if let Some(med) = self.med {
            put(AttrType::MultiExitDisc, Some(AttrValue::MultiExitDisc(med)));
        }
        if let Some(local_pref) = self.local_pref {
            put(AttrType::LocalPref, Some(AttrValue::LocalPref(local_pref)));
        }
        if let Some(communities) = &self.communities {
            put(
                AttrType::Communities,
                list(communities, AttrValue::Communities),
            );
        }
        if let Some(ext) = &self.ext_communities {
            put(
                AttrType::ExtendedCommunities,
                list(ext, AttrValue::ExtendedCommunities),
            );
        }
        if let Some(large) = &self.large_communities {
            put(
                AttrType::LargeCommunities,
                list(large, AttrValue::LargeCommunities),
            );
        }
        PathAttrs::new(attributes, next_hop)
    }
}

/// A list attribute's new value: none (removed) when the list is empty
/// (gobgpd sends an empty extended-communities attribute, a bug we do not
/// copy).
fn list<T: Clone>(list: &[T], wrap: fn(Vec<T>) -> AttrValue) -> Option<AttrValue> {
    (!list.is_empty()).then(|| wrap(list.to_vec()))
}

/// A route's attributes during evaluation.
#[derive(Debug)]
pub(crate) struct Route<'a> {
    base: &'a Arc<PathAttrs>,
    /// The changes so far.
    pub changes: Changes,
    as_path: OnceCell<Option<AsPath>>,
    communities: OnceCell<Vec<Community>>,
    ext_communities: OnceCell<Vec<ExtendedCommunity>>,
    large_communities: OnceCell<Vec<LargeCommunity>>,
}

/// The list value of attribute `attr_type` of `base` (empty without it).
fn list_of<T>(
    base: &PathAttrs,
    attr_type: AttrType,
    unwrap: impl FnOnce(AttrValue) -> Option<Vec<T>>,
) -> Vec<T> {
    base.get(attr_type)
        .and_then(|a| unwrap(a.value))
        .unwrap_or_default()
}

impl<'a> Route<'a> {
    /// The route as received.
    pub fn new(base: &'a Arc<PathAttrs>) -> Route<'a> {
        Route {
            base,
            changes: Changes::default(),
            as_path: OnceCell::new(),
            communities: OnceCell::new(),
            ext_communities: OnceCell::new(),
            large_communities: OnceCell::new(),
        }
    }

    /// The attributes before any action.
    pub fn base(&self) -> &'a Arc<PathAttrs> {
        self.base
    }

    /// MULTI_EXIT_DISC.
    pub fn med(&self) -> Option<u32> {
        self.changes.med.or_else(|| self.base.med())
    }

    /// LOCAL_PREF.
    pub fn local_pref(&self) -> Option<u32> {
        self.changes.local_pref.or_else(|| self.base.local_pref())
    }

    /// ORIGIN.
    pub fn origin(&self) -> Option<Origin> {
        self.changes.origin.or_else(|| self.base.origin())
    }

    /// The next hop.
    pub fn next_hop(&self) -> Option<NextHop> {
        self.changes
            .next_hop
            .or_else(|| self.base.next_hop().copied())
    }

    /// AS_PATH length as gobgpd counts it (a set is one, confederation
    /// segments none).
    pub fn as_path_len(&self) -> usize {
        match &self.changes.as_path {
            None => self.base.as_path_len(),
            Some(path) => path.path_len(),
        }
    }

    /// AS_PATH.
    pub fn as_path(&self) -> Option<&AsPath> {
        match &self.changes.as_path {
            None => self.as_path.get_or_init(|| self.base.as_path()).as_ref(),
            Some(path) => Some(path),
        }
    }

    /// COMMUNITIES (empty without the attribute).
    pub fn communities(&self) -> &[Community] {
        match &self.changes.communities {
            Some(list) => list,
            None => self.communities.get_or_init(|| {
                list_of(self.base, AttrType::Communities, |v| match v {
                    AttrValue::Communities(list) => Some(list),
                    _ => None,
                })
            }),
        }
    }

    /// COMMUNITIES as [`Route::communities`] gives them, read in place
    /// from the received set's encoding when no action changed them.
    pub fn community_values(&self) -> Communities<'_> {
        let (list, encoded): (&[Community], &[u8]) = match &self.changes.communities {
            Some(list) => (list, &[]),
            None => match self.base.encoded_value(AttrType::Communities) {
                EncodedValue::Value(value) => (&[], value),
                EncodedValue::Absent => (&[], &[]),
                EncodedValue::DecodedOnly => (self.communities(), &[]),
            },
        };
        Communities { list, encoded }
    }

    /// The AS_PATH's encoded value (4-octet ASNs, empty without the
    /// attribute) when no action changed it and the received set is
    /// stored encoded; `None` otherwise (read [`Route::as_path`]).
    pub fn encoded_as_path(&self) -> Option<&[u8]> {
        if self.changes.as_path.is_some() {
            return None;
        }
        match self.base.encoded_value(AttrType::AsPath) {
            EncodedValue::Value(value) => Some(value),
            EncodedValue::Absent => Some(&[]),
            EncodedValue::DecodedOnly => None,
        }
    }

    /// EXTENDED COMMUNITIES (empty without the attribute).
    pub fn ext_communities(&self) -> &[ExtendedCommunity] {
        match &self.changes.ext_communities {
            Some(list) => list,
            None => self.ext_communities.get_or_init(|| {
                list_of(self.base, AttrType::ExtendedCommunities, |v| match v {
                    AttrValue::ExtendedCommunities(list) => Some(list),
                    _ => None,
                })
            }),
        }
    }

    /// LARGE_COMMUNITY (empty without the attribute).
    pub fn large_communities(&self) -> &[LargeCommunity] {
        match &self.changes.large_communities {
            Some(list) => list,
            None => self.large_communities.get_or_init(|| {
                list_of(self.base, AttrType::LargeCommunities, |v| match v {
                    AttrValue::LargeCommunities(list) => Some(list),
                    _ => None,
                })
            }),
        }
    }
}

/// A route's communities: a decoded list or the encoded value (one of the
/// two is empty), read without copying.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Communities<'r> {
    list: &'r [Community],
    encoded: &'r [u8],
}

impl<'r> Communities<'r> {
    /// How many.
    pub fn len(&self) -> usize {
        self.list.len() + self.encoded.len() / 4
    }

    /// Each community, in order.
    pub fn iter(&self) -> impl Iterator<Item = Community> + 'r {
        self.list.iter().copied().chain(
            self.encoded
                .chunks_exact(4)
                .map(|c| Community(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))),
        )
    }
}
