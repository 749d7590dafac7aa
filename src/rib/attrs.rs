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
//!
//! Policy reads and changes sets on their encoding (`splice`): one
//! attribute's value read in place, and a changed set built by splicing
//! new values into the stored octets instead of decoding and re-encoding.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::net::Ipv4Addr;
use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};

use super::hash::{FxHashSet, FxHasher};
use crate::wire::bgp::attr::required_flags;
use crate::wire::bgp::{
    AsPath, AttrFlags, AttrType, AttrValue, Community, Negotiated, NextHop, Origin, PathAttribute,
    SegmentType,
};

mod splice;
#[cfg(test)]
mod splice_tests;

pub use splice::{EncodedValue, Splice};

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
const AS_PATH: u8 = 2;
const MULTI_EXIT_DISC: u8 = 4;
const LOCAL_PREF: u8 = 5;
const ORIGINATOR_ID: u8 = 9;
const CLUSTER_LIST: u8 = 10;

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

/// `attribute` decodes back from its encoding to itself by construction:
/// a fixed-format value, or a list the decoder takes whatever it holds,
/// with the Optional and Transitive bits its type requires. Sets made
/// only of those skip decoding their encoding again (the received ones,
/// nearly always).
fn round_trips_by_construction(attribute: &PathAttribute) -> bool {
    let type_code = attribute.type_code();
    let bits = attribute.flags.0 & (AttrFlags::OPTIONAL | AttrFlags::TRANSITIVE);
    if required_flags(type_code) != Some(bits) {
        return false;
    }
    match &attribute.value {
        AttrValue::Origin(_)
        | AttrValue::MultiExitDisc(_)
        | AttrValue::LocalPref(_)
        | AttrValue::AtomicAggregate
        | AttrValue::OriginatorId(_) => true,
        AttrValue::Communities(list) => !list.is_empty(),
        AttrValue::LargeCommunities(list) => !list.is_empty(),
        AttrValue::ClusterList(list) => !list.is_empty(),
        AttrValue::AsPath(path) => path
            .segments
            .iter()
            .all(|s| !s.asns.is_empty() && s.asns.len() <= 255),
        _ => false,
    }
}

/// `out`, the encoding of `attributes`, decodes back to them (but for
/// the Extended Length bit the encoder adds to a long value).
fn decodes_back(out: &Bytes, attributes: &[PathAttribute]) -> bool {
    // Slices of `out`: no copy per attribute.
    let mut decoded = split(out).map(|(f, t, v)| {
        let start = v.as_ptr() as usize - out.as_ptr() as usize;
        let value = out.slice(start..start + v.len());
        PathAttribute::decode(f, t, value, storage_context()).ok()
    });
    let same = |a: &PathAttribute, d: &PathAttribute| {
        a.value == d.value
            && (a.flags.0 | AttrFlags::EXTENDED_LENGTH) == (d.flags.0 | AttrFlags::EXTENDED_LENGTH)
    };
    attributes.iter().all(|a| {
        decoded
            .next()
            .is_some_and(|d| d.is_some_and(|d| same(a, &d)))
    }) && decoded.next().is_none()
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
        // Most received sets encode in well under 128 octets.
        let mut out = BytesMut::with_capacity(128);
        let encoded = attributes
            .iter()
            .try_for_each(|a| a.encode(&mut out, storage_context()))
            .is_ok();
        let round_trips = encoded
            && (attributes.iter().all(round_trips_by_construction)
                || decodes_back(&out.clone().freeze(), &attributes));
        let mut set = PathAttrs {
            encoded: if encoded { &out[..] } else { &[] }.into(),
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

    /// Octets of the stored encoding (a size hint for encoders).
    pub fn encoded_len(&self) -> usize {
        self.encoded.len()
    }

    /// The path attributes as a 4-octet-AS session gets them for `family`,
    /// encoded, NEXT_HOP included for an IPv4 route with an IPv4 next hop
    /// (the builder adds MP_REACH_NLRI otherwise): the stored encoding, no
    /// decoding. `None` when the set keeps a decoded form.
    pub fn wire_attributes(&self, family: crate::wire::Family) -> Option<Vec<u8>> {
        if self.decoded.is_some() {
            return None;
        }
        let next_hop = match self.next_hop {
            Some(NextHop::V4(addr)) if family == crate::wire::Family::IPV4_UNICAST => Some(addr),
            _ => None,
        };
        let Some(addr) = next_hop else {
            return Some(self.encoded.to_vec());
        };
        const NEXT_HOP: u8 = 3;
        let mut out = Vec::with_capacity(self.encoded.len() + 7);
        let mut pending = true;
        let mut rest: &[u8] = &self.encoded;
        for (_, type_code, value) in split(&self.encoded) {
            let header = if rest
                .first()
                .is_some_and(|f| f & AttrFlags::EXTENDED_LENGTH != 0)
            {
                4
            } else {
                3
            };
            let (attribute, tail) = rest.split_at(header + value.len());
            if pending && type_code > NEXT_HOP {
                out.extend_from_slice(&[AttrFlags::TRANSITIVE, NEXT_HOP, 4]);
                out.extend_from_slice(&addr.octets());
                pending = false;
            }
            out.extend_from_slice(attribute);
            rest = tail;
        }
        if pending {
            out.extend_from_slice(&[AttrFlags::TRANSITIVE, NEXT_HOP, 4]);
            out.extend_from_slice(&addr.octets());
        }
        Some(out)
    }

    /// The AS_PATH holds `asn` in any segment (read from the encoding
    /// without decoding the path).
    pub fn as_path_contains(&self, asn: u32) -> bool {
        self.as_path_count(asn) > 0
    }

    /// How many times the AS_PATH holds `asn`, all segments together (read
    /// from the encoding without decoding the path).
    pub fn as_path_count(&self, asn: u32) -> usize {
        if self.decoded.is_some() {
            return self.as_path().map_or(0, |p| {
                p.segments
                    .iter()
                    .flat_map(|s| &s.asns)
                    .filter(|a| **a == asn)
                    .count()
            });
        }
        let Some(mut value) = self.raw(AS_PATH) else {
            return 0;
        };
        let wanted = asn.to_be_bytes();
        let mut count = 0;
        while let [_, segment_len, rest @ ..] = value {
            let len = usize::from(*segment_len) * 4;
            let Some((asns, next)) = rest.split_at_checked(len) else {
                break;
            };
            count += asns.chunks_exact(4).filter(|a| *a == wanted).count();
            value = next;
        }
        count
    }

    /// ORIGINATOR_ID (RFC 4456), read without decoding the set.
    pub fn originator_id(&self) -> Option<Ipv4Addr> {
        if self.decoded.is_some() {
            return match self.get(AttrType::OriginatorId)?.value {
                AttrValue::OriginatorId(id) => Some(id),
                _ => None,
            };
        }
        let octets: [u8; 4] = self
            .raw(u8::from(AttrType::OriginatorId))?
            .try_into()
            .ok()?;
        Some(Ipv4Addr::from(octets))
    }

    /// CLUSTER_LIST (RFC 4456) holds `cluster_id`, read without decoding
    /// the set.
    pub fn cluster_list_contains(&self, cluster_id: Ipv4Addr) -> bool {
        if self.decoded.is_some() {
            return matches!(
                self.get(AttrType::ClusterList).map(|a| a.value),
                Some(AttrValue::ClusterList(list)) if list.contains(&cluster_id)
            );
        }
        let wanted = cluster_id.octets();
        self.raw(u8::from(AttrType::ClusterList))
            .is_some_and(|ids| ids.chunks_exact(4).any(|id| id == wanted))
    }

    /// COMMUNITIES (RFC 1997) holds one of `wanted`, read without decoding
    /// the set.
    pub fn has_community(&self, wanted: &[Community]) -> bool {
        if self.decoded.is_some() {
            return matches!(
                self.get(AttrType::Communities).map(|a| a.value),
                Some(AttrValue::Communities(list)) if list.iter().any(|c| wanted.contains(c))
            );
        }
        self.raw(u8::from(AttrType::Communities))
            .is_some_and(|list| {
                list.chunks_exact(4)
                    .any(|c| wanted.iter().any(|w| c == w.0.to_be_bytes()))
            })
    }

    /// The encoded value of the first attribute of `type_code`.
    fn raw(&self, type_code: u8) -> Option<&[u8]> {
        split(&self.encoded)
            .find(|(_, t, _)| *t == type_code)
            .map(|(_, _, value)| value)
    }

    /// What an eBGP peer gets (RFC 4271 §5.1.2, §5.1.4, §5.1.5): `local_as`
    /// prepended to AS_PATH, LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST
    /// removed, MED kept only when `keep_med`, the Partial bit set on
    /// unrecognized optional transitive attributes; the next hop unchanged.
    ///
    /// Done on the encoding in one pass. `None` when the set keeps a
    /// decoded form (its encoding does not round-trip): the caller edits
    /// the decoded attributes instead.
    pub fn ebgp_export(&self, local_as: u32, keep_med: bool) -> Option<PathAttrs> {
        if self.decoded.is_some() {
            return None;
        }
        let mut out = Vec::with_capacity(self.encoded.len() + 8);
        let mut as_path_len = 0;
        let mut wrote_path = false;
        let push = |out: &mut Vec<u8>, flags: u8, type_code: u8, value: &[u8]| {
            let flags = if value.len() > 255 {
                flags | AttrFlags::EXTENDED_LENGTH
            } else {
                flags
            };
            out.push(flags);
            out.push(type_code);
            if flags & AttrFlags::EXTENDED_LENGTH != 0 {
                out.extend_from_slice(&(value.len() as u16).to_be_bytes());
            } else {
                out.push(value.len() as u8);
            }
            out.extend_from_slice(value);
        };
        let mut path = Vec::new();
        let prepended = |old: &[u8], path: &mut Vec<u8>| {
            path.clear();
            match old {
                [2, count, rest @ ..] if *count < 255 => {
                    path.extend_from_slice(&[2, count + 1]);
                    path.extend_from_slice(&local_as.to_be_bytes());
                    path.extend_from_slice(rest);
                }
                _ => {
                    path.extend_from_slice(&[2, 1]);
                    path.extend_from_slice(&local_as.to_be_bytes());
                    path.extend_from_slice(old);
                }
            }
        };
        for (flags, type_code, value) in split(&self.encoded) {
            if type_code > AS_PATH && !wrote_path {
                prepended(&[], &mut path);
                push(&mut out, AttrFlags::TRANSITIVE, AS_PATH, &path);
                as_path_len = 1;
                wrote_path = true;
            }
            match type_code {
                AS_PATH => {
                    prepended(value, &mut path);
                    push(&mut out, AttrFlags::TRANSITIVE, AS_PATH, &path);
                    as_path_len = self.as_path_len + 1;
                    wrote_path = true;
                }
                LOCAL_PREF | ORIGINATOR_ID | CLUSTER_LIST => {}
                MULTI_EXIT_DISC if !keep_med => {}
                _ => {
                    let unrecognized = required_flags(type_code).is_none()
                        && flags & AttrFlags::OPTIONAL != 0
                        && flags & AttrFlags::TRANSITIVE != 0;
                    let flags = if unrecognized {
                        flags | AttrFlags::PARTIAL
                    } else {
                        flags
                    };
                    push(&mut out, flags, type_code, value);
                }
            }
        }
        if !wrote_path {
            prepended(&[], &mut path);
            push(&mut out, AttrFlags::TRANSITIVE, AS_PATH, &path);
            as_path_len = 1;
        }
        let mut set = PathAttrs {
            encoded: out.into_boxed_slice(),
            decoded: None,
            next_hop: self.next_hop,
            hash: 0,
            local_pref: None,
            med: if keep_med { self.med } else { None },
            as_path_len,
            first_as: Some(local_as),
            origin: self.origin,
        };
        set.hash = set.content_hash();
        Some(set)
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

    /// Encoding from the stored bytes gives the messages encoding the
    /// decoded attributes gives, for IPv4 and IPv6 routes and next hops.
    #[test]
    fn wire_attributes_encode_like_the_decoded_attributes() {
        use crate::wire::bgp::{builder, AsPath, Community, Nlri};
        use crate::wire::Family;
        let v4 = NextHop::V4(Ipv4Addr::new(192, 0, 2, 1));
        let v6 = NextHop::V6 {
            global: "2001:db8::1".parse().expect("address"),
            link_local: None,
        };
        let attributes = vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::from_sequence(vec![65001, 65002]))),
            PathAttribute::new(AttrValue::MultiExitDisc(5)),
            PathAttribute::new(AttrValue::Communities(vec![Community(1)])),
        ];
        let cx = Negotiated {
            four_octet_as: true,
            families: [Family::IPV4_UNICAST, Family::IPV6_UNICAST].into(),
            ..Negotiated::default()
        };
        let cases = [
            (Family::IPV4_UNICAST, v4, "10.0.0.0/8"),
            (Family::IPV4_UNICAST, v6, "10.0.0.0/8"),
            (Family::IPV6_UNICAST, v6, "2001:db8::/32"),
        ];
        for only_origin in [false, true] {
            let list = if only_origin {
                attributes[..1].to_vec()
            } else {
                attributes.clone()
            };
            for (family, next_hop, prefix) in cases {
                let set = PathAttrs::new(list.clone(), Some(next_hop));
                let nlri = [Nlri::new(prefix.parse().expect("prefix"))];
                let wire = set.wire_attributes(family).expect("stored encoded");
                let fast = builder::announce_encoded(&wire, family, &next_hop, &nlri, &cx)
                    .expect("encodes");
                let slow = builder::announce(&set.attributes(), family, &next_hop, &nlri, &cx)
                    .expect("encodes");
                assert_eq!(fast, slow, "{family} via {next_hop:?}");
            }
        }
    }
}
