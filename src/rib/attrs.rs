//! Interned path attribute sets.
//!
//! Most routes share their attributes with many others (a full table has
//! roughly one distinct set per four prefixes), so each distinct set is
//! stored once behind an [`Arc`] and routes hold a pointer to it. The
//! [`AttrStore`] hash-conses: interning a set equal to one already held
//! returns the held one, so two routes with equal attributes share one
//! allocation and can be compared (and grouped into one UPDATE) by pointer.
//!
//! A set carries the attributes of a route except the ones the UPDATE
//! builder writes itself (NEXT_HOP, MP_REACH_NLRI, MP_UNREACH_NLRI); the
//! next hop is kept beside them as a [`NextHop`]. The few values best-path
//! selection reads are computed once, when the set is built.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};

use super::hash::{FxHashSet, FxHasher};
use crate::wire::bgp::attr::required_flags;
use crate::wire::bgp::{
    AsPath, AttrFlags, AttrType, AttrValue, Negotiated, NextHop, Origin, PathAttribute, SegmentType,
};

/// One route's path attributes, with the next hop kept apart.
///
/// The attributes are stored encoded (4-octet ASNs, sorted by type code),
/// one small allocation per set, and decoded on demand; the few values
/// best-path selection reads are decoded once, when the set is built. A
/// set whose encoding does not decode back to the same attributes (or
/// cannot be encoded) keeps the decoded form as well.
///
/// Equality and hashing cover the attributes and the next hop only; the
/// other fields are derived from them (the hash too: computed once when
/// the set is built or changed, so interning hashes a set in one step).
#[derive(Debug, Clone)]
pub struct PathAttrs {
    encoded: Box<[u8]>,
    decoded: Option<Box<[PathAttribute]>>,
    next_hop: Option<NextHop>,
    hash: u64,
    local_pref: Option<u32>,
    med: Option<u32>,
    as_path_len: u32,
    first_as: Option<u32>,
    origin: Option<Origin>,
}

impl PartialEq for PathAttrs {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
            && self.next_hop == other.next_hop
            && self.encoded == other.encoded
            && self.decoded == other.decoded
    }
}

impl Eq for PathAttrs {}

impl Hash for PathAttrs {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// True for the attributes the UPDATE builder writes itself.
fn builder_owned(attribute: &PathAttribute) -> bool {
    matches!(
        AttrType::from(attribute.type_code()),
        AttrType::NextHop | AttrType::MpReachNlri | AttrType::MpUnreachNlri
    )
}

/// The context the stored encoding uses: 4-octet ASNs.
fn storage_context() -> &'static Negotiated {
    static CX: OnceLock<Negotiated> = OnceLock::new();
    CX.get_or_init(|| Negotiated {
        four_octet_as: true,
        ..Negotiated::default()
    })
}

/// The encoded attributes one by one: (flags, type code, value).
fn split(mut bytes: &[u8]) -> impl Iterator<Item = (u8, u8, &[u8])> {
    std::iter::from_fn(move || {
        let (&flags, rest) = bytes.split_first()?;
        let (&type_code, rest) = rest.split_first()?;
        let (length, rest) = if flags & AttrFlags::EXTENDED_LENGTH != 0 {
            let (len, rest) = rest.split_at_checked(2)?;
            (usize::from(u16::from_be_bytes([len[0], len[1]])), rest)
        } else {
            let (&len, rest) = rest.split_first()?;
            (usize::from(len), rest)
        };
        let (value, rest) = rest.split_at_checked(length)?;
        bytes = rest;
        Some((flags, type_code, value))
    })
}

fn decode_one(flags: u8, type_code: u8, value: &[u8]) -> Option<PathAttribute> {
    PathAttribute::decode(
        flags,
        type_code,
        Bytes::copy_from_slice(value),
        storage_context(),
    )
    .ok()
}

impl PathAttrs {
    /// A set from `attributes` (NEXT_HOP, MP_REACH and MP_UNREACH are
    /// dropped, the rest sorted by type code, the first of each type kept)
    /// and the route's next hop.
    pub fn new(mut attributes: Vec<PathAttribute>, next_hop: Option<NextHop>) -> PathAttrs {
        attributes.retain(|a| !builder_owned(a));
        attributes.sort_by_key(PathAttribute::type_code);
        attributes.dedup_by_key(|a| a.type_code());
        PathAttrs::from_sorted(attributes, next_hop)
    }

    fn from_sorted(attributes: Vec<PathAttribute>, next_hop: Option<NextHop>) -> PathAttrs {
        let mut out = BytesMut::new();
        let encoded = attributes
            .iter()
            .try_for_each(|a| a.encode(&mut out, storage_context()))
            .is_ok();
        let out = out.freeze();
        let round_trips = encoded && {
            // Slices of `out`: no copy per attribute.
            let mut decoded = split(&out).map(|(f, t, v)| {
                let start = v.as_ptr() as usize - out.as_ptr() as usize;
                let value = out.slice(start..start + v.len());
                PathAttribute::decode(f, t, value, storage_context()).ok()
            });
            attributes
                .iter()
                .all(|a| decoded.next().is_some_and(|d| d.as_ref() == Some(a)))
                && decoded.next().is_none()
        };
        let mut set = PathAttrs {
            encoded: if encoded { out.to_vec() } else { Vec::new() }.into_boxed_slice(),
            decoded: None,
            next_hop,
            hash: 0,
            local_pref: None,
            med: None,
            as_path_len: 0,
            first_as: None,
            origin: None,
        };
        for attribute in &attributes {
            match &attribute.value {
                AttrValue::LocalPref(v) => set.local_pref = Some(*v),
                AttrValue::MultiExitDisc(v) => set.med = Some(*v),
                AttrValue::Origin(o) => set.origin = Some(*o),
                AttrValue::AsPath(path) => {
                    set.as_path_len = u32::try_from(path.path_len()).unwrap_or(u32::MAX);
                    set.first_as = first_as(path);
                }
                _ => {}
            }
        }
        if !round_trips {
            set.decoded = Some(attributes.into_boxed_slice());
        }
        set.hash = set.content_hash();
        set
    }

    /// The attributes, sorted by type code, without NEXT_HOP and MP_*.
    pub fn attributes(&self) -> Cow<'_, [PathAttribute]> {
        match &self.decoded {
            Some(decoded) => Cow::Borrowed(decoded),
            None => Cow::Owned(
                split(&self.encoded)
                    .filter_map(|(f, t, v)| decode_one(f, t, v))
                    .collect(),
            ),
        }
    }

    /// The next hop (NEXT_HOP or the MP_REACH_NLRI next hop).
    pub fn next_hop(&self) -> Option<&NextHop> {
        self.next_hop.as_ref()
    }

    /// LOCAL_PREF, if present.
    pub fn local_pref(&self) -> Option<u32> {
        self.local_pref
    }

    /// MULTI_EXIT_DISC, if present.
    pub fn med(&self) -> Option<u32> {
        self.med
    }

    /// ORIGIN, if present.
    pub fn origin(&self) -> Option<Origin> {
        self.origin
    }

    /// AS_PATH length for route selection (a set counts one,
    /// confederation segments zero; 0 without AS_PATH).
    pub fn as_path_len(&self) -> usize {
        self.as_path_len as usize
    }

    /// The leftmost ASN outside confederation segments: the neighbor AS
    /// that MED comparison groups by (RFC 4271 §9.1.2.2 c).
    pub fn first_as(&self) -> Option<u32> {
        self.first_as
    }

    /// The AS_PATH, if present.
    pub fn as_path(&self) -> Option<AsPath> {
        match self.get(AttrType::AsPath)?.value {
            AttrValue::AsPath(path) => Some(path),
            _ => None,
        }
    }

    /// The first attribute of this type.
    pub fn get(&self, attr_type: AttrType) -> Option<PathAttribute> {
        let type_code = u8::from(attr_type);
        match &self.decoded {
            Some(decoded) => decoded.iter().find(|a| a.type_code() == type_code).cloned(),
            None => split(&self.encoded)
                .find(|(_, t, _)| *t == type_code)
                .and_then(|(f, t, v)| decode_one(f, t, v)),
        }
    }

    /// Replaces (or adds) the attribute of `value`'s type.
    pub fn set(&mut self, value: AttrValue) {
        let type_code = value.type_code();
        let mut attributes = self.attributes().into_owned();
        match attributes.binary_search_by_key(&type_code, PathAttribute::type_code) {
            Ok(i) => {
                if let Some(slot) = attributes.get_mut(i) {
                    *slot = PathAttribute::new(value);
                }
            }
            Err(i) => attributes.insert(i, PathAttribute::new(value)),
        }
        *self = PathAttrs::from_sorted(attributes, self.next_hop);
    }

    /// Edits the attributes in one step (decoded once, encoded once);
    /// `edit` may add, change and remove attributes (NEXT_HOP and MP_*
    /// are dropped, duplicates resolved as in [`PathAttrs::new`]).
    pub fn edit(&mut self, edit: impl FnOnce(&mut Vec<PathAttribute>)) {
        let mut attributes = self.attributes().into_owned();
        edit(&mut attributes);
        *self = PathAttrs::new(attributes, self.next_hop);
    }

    /// Removes the attribute of this type, if present.
    pub fn remove(&mut self, attr_type: AttrType) {
        let type_code = u8::from(attr_type);
        let present = match &self.decoded {
            Some(decoded) => decoded.iter().any(|a| a.type_code() == type_code),
            None => split(&self.encoded).any(|(_, t, _)| t == type_code),
        };
        if present {
            let mut attributes = self.attributes().into_owned();
            attributes.retain(|a| a.type_code() != type_code);
            *self = PathAttrs::from_sorted(attributes, self.next_hop);
        }
    }

    /// Sets the Partial bit on unrecognized optional transitive
    /// attributes, as a speaker passing them on must (RFC 4271 §5).
    pub fn mark_partial(&mut self) {
        let candidate = |f: u8, t: u8| {
            required_flags(t).is_none()
                && f & AttrFlags::OPTIONAL != 0
                && f & AttrFlags::TRANSITIVE != 0
                && f & AttrFlags::PARTIAL == 0
        };
        if self.decoded.is_none() && !split(&self.encoded).any(|(f, t, _)| candidate(f, t)) {
            return;
        }
        let mut attributes = self.attributes().into_owned();
        let before = attributes.clone();
        for attribute in attributes.iter_mut() {
            attribute.mark_partial();
        }
        if attributes != before {
            *self = PathAttrs::from_sorted(attributes, self.next_hop);
        }
    }

    /// Sets the next hop.
    pub fn set_next_hop(&mut self, next_hop: NextHop) {
        self.next_hop = Some(next_hop);
        self.hash = self.content_hash();
    }

    fn content_hash(&self) -> u64 {
        let mut hasher = FxHasher::default();
        self.next_hop.hash(&mut hasher);
        self.encoded.hash(&mut hasher);
        if let Some(decoded) = &self.decoded {
            decoded.hash(&mut hasher);
        }
        hasher.finish()
    }
}

fn first_as(path: &AsPath) -> Option<u32> {
    path.segments
        .iter()
        .find(|s| matches!(s.kind, SegmentType::Sequence | SegmentType::Set))
        .and_then(|s| s.asns.first().copied())
}

/// The hash-consing store: one [`Arc`] per distinct [`PathAttrs`].
///
/// Every holder gives its `Arc` back through [`AttrStore::release`], which
/// forgets a set when the store's own reference is the last one left.
#[derive(Debug, Default)]
pub struct AttrStore {
    sets: FxHashSet<Arc<PathAttrs>>,
}

impl AttrStore {
    /// An empty store.
    pub fn new() -> AttrStore {
        AttrStore::default()
    }

    /// The shared copy of `attrs`, inserting it when new.
    pub fn intern(&mut self, attrs: PathAttrs) -> Arc<PathAttrs> {
        if let Some(held) = self.sets.get(&attrs) {
            return Arc::clone(held);
        }
        let shared = Arc::new(attrs);
        self.sets.insert(Arc::clone(&shared));
        shared
    }

    /// Gives back one reference; the set is forgotten when nobody else
    /// holds it.
    pub fn release(&mut self, attrs: Arc<PathAttrs>) {
        // Ours plus the one being released: nobody else holds it.
        if Arc::strong_count(&attrs) == 2 {
            self.sets.remove(&*attrs);
        }
    }

    /// Number of distinct sets held.
    pub fn len(&self) -> usize {
        self.sets.len()
    }

    /// No set is held.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn set(local_pref: u32) -> PathAttrs {
        PathAttrs::new(
            vec![
                PathAttribute::new(AttrValue::LocalPref(local_pref)),
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::NextHop(Ipv4Addr::new(192, 0, 2, 1))),
            ],
            Some(NextHop::V4(Ipv4Addr::new(192, 0, 2, 1))),
        )
    }

    #[test]
    fn equal_sets_are_interned_once() {
        let mut store = AttrStore::new();
        let a = store.intern(set(100));
        let b = store.intern(set(100));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(store.len(), 1);
        let c = store.intern(set(200));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn set_is_forgotten_when_last_holder_releases_it() {
        let mut store = AttrStore::new();
        let a = store.intern(set(100));
        let b = store.intern(set(100));
        store.release(a);
        assert_eq!(store.len(), 1);
        store.release(b);
        assert!(store.is_empty());
    }

    #[test]
    fn builder_owned_attributes_are_dropped_and_rest_sorted() {
        let attrs = set(100);
        let codes: Vec<u8> = attrs.attributes().iter().map(|a| a.type_code()).collect();
        assert_eq!(codes, vec![1, 5]);
        assert_eq!(attrs.local_pref(), Some(100));
        assert_eq!(attrs.origin(), Some(Origin::Igp));
    }

    #[test]
    fn first_as_skips_confederation_segments() {
        let path = AsPath {
            segments: vec![
                crate::wire::bgp::Segment {
                    kind: SegmentType::ConfedSequence,
                    asns: vec![64512],
                },
                crate::wire::bgp::Segment {
                    kind: SegmentType::Sequence,
                    asns: vec![65002, 65003],
                },
            ],
        };
        let attrs = PathAttrs::new(vec![PathAttribute::new(AttrValue::AsPath(path))], None);
        assert_eq!(attrs.first_as(), Some(65002));
        assert_eq!(attrs.as_path_len(), 2);
    }
}
