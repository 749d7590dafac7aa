//! Reading and changing a stored set on its encoding, without decoding
//! it: one attribute's encoded value read in place, and a set built from
//! another by replacing, adding or removing a few encoded attributes.
//!
//! Building a changed set the general way ([`PathAttrs::edit`]) decodes
//! every attribute, encodes the new list and decodes it again to check
//! the round trip. Policy changes a set that way for each distinct set it
//! changes, so [`PathAttrs::splice`] copies the untouched attributes as
//! they are stored and only checks the new values, which gives the same
//! set (equal, same hash) for values that round-trip.

use super::{split, PathAttrs, AS_PATH, LOCAL_PREF, MULTI_EXIT_DISC};
use crate::wire::bgp::attr::required_flags;
use crate::wire::bgp::{AttrFlags, AttrType, NextHop, Origin};

const ORIGIN: u8 = 1;
const COMMUNITIES: u8 = 8;
const EXTENDED_COMMUNITIES: u8 = 16;
const LARGE_COMMUNITIES: u8 = 32;

/// One attribute's value as [`PathAttrs::encoded_value`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodedValue<'a> {
    /// The set has no attribute of that type.
    Absent,
    /// The value's octets as stored (4-octet ASNs), header excluded.
    Value(&'a [u8]),
    /// The set keeps a decoded form (its encoding does not round-trip):
    /// read the attribute with [`PathAttrs::get`].
    DecodedOnly,
}

/// One change for [`PathAttrs::splice`]: the attribute of `type_code`
/// gets this encoded value (4-octet ASNs), or is removed when `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Splice<'a> {
    /// The attribute type code.
    pub type_code: u8,
    /// The new encoded value, header excluded; `None` removes it.
    pub value: Option<&'a [u8]>,
}

/// `value` decodes as an attribute of `type_code` whose encoding gives
/// `value` back octet for octet. Only the types policy changes are known
/// here; any other type answers no.
fn round_trips(type_code: u8, value: &[u8]) -> bool {
    if value.len() > usize::from(u16::MAX) {
        return false;
    }
    match type_code {
        ORIGIN => matches!(value, [0..=2]),
        MULTI_EXIT_DISC | LOCAL_PREF => value.len() == 4,
        COMMUNITIES => !value.is_empty() && value.len() % 4 == 0,
        EXTENDED_COMMUNITIES => !value.is_empty() && value.len() % 8 == 0,
        LARGE_COMMUNITIES => !value.is_empty() && value.len() % 12 == 0,
        AS_PATH => path_round_trips(value),
        _ => false,
    }
}

/// Segments of a known type and 1 to 255 ASNs each, covering the value
/// exactly (what `AsPath::decode` accepts with 4-octet ASNs).
fn path_round_trips(mut value: &[u8]) -> bool {
    while let [kind, count, rest @ ..] = value {
        if !(1..=4).contains(kind) || *count == 0 {
            return false;
        }
        let Some(next) = rest.get(usize::from(*count) * 4..) else {
            return false;
        };
        value = next;
    }
    value.is_empty()
}

/// Appends one attribute; Extended Length is kept when set and added for
/// a value over 255 octets, as `PathAttribute::encode` does.
fn push_attribute(out: &mut Vec<u8>, flags: u8, type_code: u8, value: &[u8]) {
    let flags = if value.len() > 255 {
        flags | AttrFlags::EXTENDED_LENGTH
    } else {
        flags
    };
    out.push(flags);
    out.push(type_code);
    if flags & AttrFlags::EXTENDED_LENGTH != 0 {
        // Checked by `round_trips`: at most u16::MAX octets.
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    } else {
        out.push(value.len() as u8);
    }
    out.extend_from_slice(value);
}

/// AS_PATH length for route selection and the first AS outside
/// confederation segments, from a value `path_round_trips` accepts.
fn path_facts(mut value: &[u8]) -> (u32, Option<u32>) {
    let (mut length, mut first_as) = (0u32, None);
    let mut seen_first = false;
    while let [kind, count, rest @ ..] = value {
        let asns = rest.get(..usize::from(*count) * 4).unwrap_or_default();
        match kind {
            1 => length = length.saturating_add(1),
            2 => length = length.saturating_add(u32::from(*count)),
            _ => {}
        }
        if !seen_first && matches!(kind, 1 | 2) {
            seen_first = true;
            first_as = asns.first_chunk::<4>().map(|asn| u32::from_be_bytes(*asn));
        }
        value = rest.get(asns.len()..).unwrap_or_default();
    }
    (length, first_as)
}

fn u32_value(value: &[u8]) -> Option<u32> {
    value.first_chunk::<4>().map(|v| u32::from_be_bytes(*v))
}

impl PathAttrs {
    /// The stored set has no decoded form: its encoding is the whole
    /// truth, and [`PathAttrs::encoded_value`] and [`PathAttrs::splice`]
    /// work on it.
    pub fn is_encoded(&self) -> bool {
        self.decoded.is_none()
    }

    /// The encoded value of the attribute of this type, read in place (no
    /// copy, no decoding).
    pub fn encoded_value(&self, attr_type: AttrType) -> EncodedValue<'_> {
        if self.decoded.is_some() {
            return EncodedValue::DecodedOnly;
        }
        let type_code = u8::from(attr_type);
        match split(&self.encoded).find(|(_, t, _)| *t == type_code) {
            Some((_, _, value)) => EncodedValue::Value(value),
            None => EncodedValue::Absent,
        }
    }

    /// This set with `changes` made on its encoding and `next_hop` as the
    /// next hop: each change replaces the value of its attribute (keeping
    /// its flags), adds the attribute (with the flags its type requires)
    /// or removes it. The same set [`PathAttrs::edit`] builds from the
    /// decoded values, in one pass and without decoding.
    ///
    /// `changes` must be sorted by type code, one per type, and each value
    /// an ORIGIN, AS_PATH, MULTI_EXIT_DISC, LOCAL_PREF, COMMUNITIES,
    /// EXTENDED COMMUNITIES or LARGE_COMMUNITY value that round-trips
    /// (AS_PATH segments of 1 to 255 ASNs, non-empty community lists,
    /// at most 65,535 octets). `None` otherwise, and when the set keeps a
    /// decoded form: the caller then edits the decoded attributes.
    pub fn splice(&self, changes: &[Splice<'_>], next_hop: Option<NextHop>) -> Option<PathAttrs> {
        if self.decoded.is_some()
            || !changes.windows(2).all(|w| w[0].type_code < w[1].type_code)
            || !changes
                .iter()
                .all(|c| c.value.map_or(true, |v| round_trips(c.type_code, v)))
        {
            return None;
        }
        let added: usize = changes
            .iter()
            .map(|c| c.value.map_or(0, |v| v.len() + 4))
            .sum();
        let mut out = Vec::with_capacity(self.encoded.len() + added);
        let mut pending = changes.iter().peekable();
        let mut rest: &[u8] = &self.encoded;
        let insert = |out: &mut Vec<u8>, change: &Splice<'_>| {
            if let Some(value) = change.value {
                let flags = required_flags(change.type_code)
                    .unwrap_or(AttrFlags::OPTIONAL | AttrFlags::TRANSITIVE);
                push_attribute(out, flags, change.type_code, value);
            }
        };
        for (flags, type_code, value) in split(&self.encoded) {
            let header = if flags & AttrFlags::EXTENDED_LENGTH != 0 {
                4
            } else {
                3
            };
            let (attribute, tail) = rest.split_at_checked(header + value.len())?;
            rest = tail;
            while let Some(change) = pending.next_if(|c| c.type_code < type_code) {
                insert(&mut out, change);
            }
            match pending.next_if(|c| c.type_code == type_code) {
                Some(change) => {
                    if let Some(value) = change.value {
                        push_attribute(&mut out, flags, type_code, value);
                    }
                }
                None => out.extend_from_slice(attribute),
            }
        }
        for change in pending {
            insert(&mut out, change);
        }
        let mut set = PathAttrs {
            encoded: out.into_boxed_slice(),
            decoded: None,
            next_hop,
            hash: 0,
            local_pref: self.local_pref,
            med: self.med,
            as_path_len: self.as_path_len,
            first_as: self.first_as,
            origin: self.origin,
        };
        for change in changes {
            let value = change.value;
            match change.type_code {
                LOCAL_PREF => set.local_pref = value.and_then(u32_value),
                MULTI_EXIT_DISC => set.med = value.and_then(u32_value),
                ORIGIN => {
                    set.origin = value.and_then(|v| match v {
                        [0] => Some(Origin::Igp),
                        [1] => Some(Origin::Egp),
                        [2] => Some(Origin::Incomplete),
                        _ => None,
                    })
                }
                AS_PATH => {
                    (set.as_path_len, set.first_as) = value.map_or((0, None), path_facts);
                }
                _ => {}
            }
        }
        set.hash = set.content_hash();
        Some(set)
    }
}
