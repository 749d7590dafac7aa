//! Packing many prefixes that share one attribute set into as few UPDATE
//! messages as fit (RFC 4271 §4.3; 4096 octets, or 65535 with RFC 8654).
//!
//! IPv4 unicast with an IPv4 next hop goes in the NLRI field (with a
//! NEXT_HOP attribute); every other family, and IPv4 with an IPv6 next hop
//! (RFC 8950), goes in MP_REACH_NLRI, encoded as the first attribute as
//! RFC 7606 §5.1 asks. Withdrawals use the withdrawn routes field or
//! MP_UNREACH_NLRI the same way. Prefixes are packed greedily in order, so
//! every message but the last is full. Nothing is truncated: when even one
//! prefix cannot fit beside the attributes, the result is an error.

use bytes::{BufMut, Bytes, BytesMut};

use super::attr::{AttrFlags, AttrType, AttrValue, PathAttribute};
use super::error::EncodeError;
use super::mp::{self, MpUnreach, NextHop};
use super::nlri::{self, Nlri};
use super::update::{patch_len, Update};
use super::{finish_header, MessageType, Negotiated, HEADER_LEN};
use crate::wire::Family;

/// Marker, length and type: the start of every message.
fn start_message(out: &mut BytesMut) -> usize {
    let start = out.len();
    out.put_slice(&[0xff; 16]);
    out.put_u16(0);
    out.put_u8(MessageType::Update.into());
    start
}

/// Where encoded messages go: every message is written to the end of
/// `buf` and split off it, so the messages of one call (or of one batch,
/// when the caller keeps `buf`) share a few allocations sized to what
/// they hold instead of one of the maximum message size each.
#[derive(Debug, Default)]
pub struct Out {
    /// Spare room the messages are written into.
    pub buf: BytesMut,
    /// The messages, in order.
    pub messages: Vec<Bytes>,
}

impl Out {
    /// Room for about `bytes` octets of messages in one allocation.
    pub fn with_capacity(bytes: usize) -> Out {
        Out {
            buf: BytesMut::with_capacity(bytes),
            messages: Vec::new(),
        }
    }
}

/// Splits `prefixes` greedily into runs of at most `max - fixed` octets
/// and writes one message per run to `out`. On error `out` is left as it
/// was.
fn pack(
    out: &mut Out,
    prefixes: &[Nlri],
    add_path: bool,
    fixed: usize,
    max: usize,
    mut write: impl FnMut(&[Nlri], &mut BytesMut) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let too_large = EncodeError::AttributesTooLarge { length: fixed, max };
    let budget = max.checked_sub(fixed).ok_or_else(|| too_large.clone())?;
    if prefixes.iter().any(|p| p.encoded_len(add_path) > budget) {
        return Err(too_large);
    }
    // The room for every message is reserved at once (an MP attribute may
    // need the extended length: 1 octet more per message).
    let room: usize = runs(prefixes, add_path, budget)
        .map(|(_, used)| fixed + used + 1)
        .sum();
    out.buf.reserve(room);
    let kept = out.messages.len();
    for (run, _) in runs(prefixes, add_path, budget) {
        let result = write(prefixes.get(run).unwrap_or_default(), &mut out.buf);
        if let Err(error) = result {
            out.buf.clear();
            out.messages.truncate(kept);
            return Err(error);
        }
        out.messages.push(out.buf.split().freeze());
    }
    Ok(())
}

/// `prefixes` split greedily into runs of at most `budget` octets (each
/// prefix fits alone): each run's range and octets, without allocating.
fn runs(
    prefixes: &[Nlri],
    add_path: bool,
    budget: usize,
) -> impl Iterator<Item = (std::ops::Range<usize>, usize)> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= prefixes.len() {
            return None;
        }
        let mut used = 0;
        let mut end = start;
        while let Some(prefix) = prefixes.get(end) {
            let len = prefix.encoded_len(add_path);
            if used + len > budget && end > start {
                break;
            }
            used += len;
            end += 1;
        }
        let run = start..end;
        start = end;
        Some((run, used))
    })
}

/// Encodes `attributes` (NEXT_HOP, MP_REACH and MP_UNREACH are dropped:
/// the builder writes those) and announces `prefixes` of `family` via
/// `next_hop`. See [`announce_encoded`].
pub fn announce(
    attributes: &[PathAttribute],
    family: Family,
    next_hop: &NextHop,
    prefixes: &[Nlri],
    cx: &Negotiated,
) -> Result<Vec<Bytes>, EncodeError> {
    let mut out = Out::default();
    announce_into(&mut out, attributes, family, next_hop, prefixes, cx)?;
    Ok(out.messages)
}

/// [`announce`], writing to `out`.
pub fn announce_into(
    out: &mut Out,
    attributes: &[PathAttribute],
    family: Family,
    next_hop: &NextHop,
    prefixes: &[Nlri],
    cx: &Negotiated,
) -> Result<(), EncodeError> {
    let builder_owned = |a: &&PathAttribute| {
        !matches!(
            AttrType::from(a.type_code()),
            AttrType::NextHop | AttrType::MpReachNlri | AttrType::MpUnreachNlri
        )
    };
    let next_hop_attribute = match next_hop {
        NextHop::V4(addr) if family == Family::IPV4_UNICAST => {
            Some(PathAttribute::new(AttrValue::NextHop(*addr)))
        }
        _ => None,
    };
    let mut encoded = BytesMut::new();
    let mut pending = next_hop_attribute.as_ref();
    for attribute in attributes.iter().filter(builder_owned) {
        // Keep type-code order: NEXT_HOP (3) goes before the first type
        // above it.
        if attribute.type_code() > u8::from(AttrType::NextHop) {
            if let Some(nh) = pending.take() {
                nh.encode(&mut encoded, cx)?;
            }
        }
        attribute.encode(&mut encoded, cx)?;
    }
    if let Some(nh) = pending {
        nh.encode(&mut encoded, cx)?;
    }
    announce_encoded_into(out, &encoded, family, next_hop, prefixes, cx)
}

/// Announces `prefixes` with already-encoded path attributes.
///
/// For IPv4 unicast with an IPv4 next hop, `attributes` must include the
/// NEXT_HOP attribute and the prefixes go in the NLRI field; otherwise
/// an MP_REACH_NLRI with `next_hop` is written first. Returns whole
/// messages (header included), each within `cx.max_message_len()`.
pub fn announce_encoded(
    attributes: &[u8],
    family: Family,
    next_hop: &NextHop,
    prefixes: &[Nlri],
    cx: &Negotiated,
) -> Result<Vec<Bytes>, EncodeError> {
    let mut out = Out::default();
    announce_encoded_into(&mut out, attributes, family, next_hop, prefixes, cx)?;
    Ok(out.messages)
}

/// [`announce_encoded`], writing to `out`.
pub fn announce_encoded_into(
    out: &mut Out,
    attributes: &[u8],
    family: Family,
    next_hop: &NextHop,
    prefixes: &[Nlri],
    cx: &Negotiated,
) -> Result<(), EncodeError> {
    let max = cx.max_message_len();
    let add_path = cx.add_path_send.contains(&family);
    let in_nlri_field = family == Family::IPV4_UNICAST && matches!(next_hop, NextHop::V4(_));
    if in_nlri_field {
        let fixed = HEADER_LEN + 4 + attributes.len();
        return pack(out, prefixes, add_path, fixed, max, |chunk, out| {
            let start = start_message(out);
            out.put_u16(0);
            let attr_start = out.len();
            out.put_u16(0);
            out.put_slice(attributes);
            patch_len(out, attr_start, "path attributes")?;
            nlri::encode(chunk, family.afi, add_path, out)?;
            finish_header(out, start, max)
        });
    }
    // MP_REACH: flags, type, 2-octet length, AFI, SAFI, next hop, reserved.
    let mp_fixed = 4 + 3 + 1 + next_hop.encoded_len() + 1;
    let fixed = HEADER_LEN + 4 + mp_fixed + attributes.len();
    let mut value = BytesMut::new();
    pack(out, prefixes, add_path, fixed, max, |chunk, out| {
        let start = start_message(out);
        out.put_u16(0);
        let attr_start = out.len();
        out.put_u16(0);
        value.clear();
        mp::encode_header(family, next_hop, &mut value);
        nlri::encode(chunk, family.afi, add_path, &mut value)?;
        put_mp_attribute(out, AttrType::MpReachNlri, &value)?;
        out.put_slice(attributes);
        patch_len(out, attr_start, "path attributes")?;
        finish_header(out, start, max)
    })
}

/// Writes an optional non-transitive MP attribute, extended length only
/// when needed.
fn put_mp_attribute(
    out: &mut BytesMut,
    attr_type: AttrType,
    value: &[u8],
) -> Result<(), EncodeError> {
    let type_code = u8::from(attr_type);
    let length = value.len();
    if let Ok(short) = u8::try_from(length) {
        out.put_u8(AttrFlags::OPTIONAL);
        out.put_u8(type_code);
        out.put_u8(short);
    } else {
        let long = u16::try_from(length)
            .map_err(|_| EncodeError::AttributeTooLong { type_code, length })?;
        out.put_u8(AttrFlags::OPTIONAL | AttrFlags::EXTENDED_LENGTH);
        out.put_u8(type_code);
        out.put_u16(long);
    }
    out.put_slice(value);
    Ok(())
}

/// Withdraws `prefixes` of `family`: IPv4 unicast in the withdrawn routes
/// field, others in MP_UNREACH_NLRI. Whole messages, as few as fit.
pub fn withdraw(
    family: Family,
    prefixes: &[Nlri],
    cx: &Negotiated,
) -> Result<Vec<Bytes>, EncodeError> {
    let mut out = Out::default();
    withdraw_into(&mut out, family, prefixes, cx)?;
    Ok(out.messages)
}

/// [`withdraw`], writing to `out`.
pub fn withdraw_into(
    out: &mut Out,
    family: Family,
    prefixes: &[Nlri],
    cx: &Negotiated,
) -> Result<(), EncodeError> {
    let max = cx.max_message_len();
    let add_path = cx.add_path_send.contains(&family);
    if family == Family::IPV4_UNICAST {
        return pack(
            out,
            prefixes,
            add_path,
            HEADER_LEN + 4,
            max,
            |chunk, out| {
                let start = start_message(out);
                let withdrawn_start = out.len();
                out.put_u16(0);
                nlri::encode(chunk, family.afi, add_path, out)?;
                patch_len(out, withdrawn_start, "withdrawn routes")?;
                out.put_u16(0);
                finish_header(out, start, max)
            },
        );
    }
    let mut value = BytesMut::new();
    pack(
        out,
        prefixes,
        add_path,
        HEADER_LEN + 4 + 4 + 3,
        max,
        |chunk, out| {
            let start = start_message(out);
            out.put_u16(0);
            let attr_start = out.len();
            out.put_u16(0);
            value.clear();
            value.put_u16(family.afi.into());
            value.put_u8(family.safi.into());
            nlri::encode(chunk, family.afi, add_path, &mut value)?;
            put_mp_attribute(out, AttrType::MpUnreachNlri, &value)?;
            patch_len(out, attr_start, "path attributes")?;
            finish_header(out, start, max)
        },
    )
}

/// The End-of-RIB marker for `family` (RFC 4724 §2): an empty UPDATE for
/// IPv4 unicast, else one with an empty MP_UNREACH_NLRI.
pub fn end_of_rib(family: Family) -> Update {
    if family == Family::IPV4_UNICAST {
        return Update::default();
    }
    let unreach = if mp::is_prefix_family(family) {
        MpUnreach::Prefixes {
            family,
            withdrawn: Vec::new(),
        }
    } else {
        MpUnreach::Unknown {
            family,
            withdrawn: Bytes::new(),
        }
    };
    Update {
        attributes: vec![PathAttribute::new(AttrValue::MpUnreach(unreach))],
        ..Update::default()
    }
}

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
