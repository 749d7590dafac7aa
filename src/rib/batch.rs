//! The changes for one peer from one event, packed into as few UPDATEs as
//! fit: withdrawals grouped per family, announcements grouped per family
//! and outgoing attribute set (interned, so grouped by pointer).

use std::sync::Arc;

use bytes::Bytes;
use ipnet::IpNet;

use super::attrs::{AttrStore, PathAttrs};
use super::export::two_octet_attributes;
use super::hash::FxHashMap;
use super::table::{family_index, family_of, FAMILIES};
use crate::wire::bgp::{self, builder, Message, Negotiated, Nlri};
use crate::wire::Family;

/// Pending announcements and withdrawals for one peer.
#[derive(Debug, Default)]
pub struct Batch {
    withdrawn: [Vec<Nlri>; 2],
    groups: Vec<(Family, Arc<PathAttrs>, Vec<Nlri>)>,
    index: FxHashMap<(usize, usize), usize>,
}

/// The prefix as sent on a session: path id 1 with ADD-PATH (we send the
/// best path only), none without.
pub fn outgoing_nlri(prefix: IpNet, cx: &Negotiated) -> Nlri {
    if cx.add_path_send.contains(&family_of(&prefix)) {
        Nlri::with_path_id(prefix, 1)
    } else {
        Nlri::new(prefix)
    }
}

impl Batch {
    /// Nothing pending.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.withdrawn.iter().all(Vec::is_empty)
    }

    /// Queues `prefix` for announcement with `attrs` (a reference the batch
    /// gives back to the store when encoded).
    pub fn announce(&mut self, attrs: Arc<PathAttrs>, nlri: Nlri) {
        let family = family_of(&nlri.prefix);
        let Some(family_slot) = family_index(family) else {
            return;
        };
        let key = (family_slot, Arc::as_ptr(&attrs) as usize);
        match self.index.get(&key).and_then(|&i| self.groups.get_mut(i)) {
            Some((_, _, prefixes)) => prefixes.push(nlri),
            None => {
                self.index.insert(key, self.groups.len());
                self.groups.push((family, attrs, vec![nlri]));
            }
        }
    }

    /// The announcements queued, in order (for tests).
    #[cfg(test)]
    pub fn announced(&self) -> Vec<(Nlri, Arc<PathAttrs>)> {
        self.groups
            .iter()
            .flat_map(|(_, attrs, prefixes)| prefixes.iter().map(|n| (*n, Arc::clone(attrs))))
            .collect()
    }

    /// Queues `nlri` for withdrawal.
    pub fn withdraw(&mut self, nlri: Nlri) {
        if let Some(list) =
            family_index(family_of(&nlri.prefix)).and_then(|i| self.withdrawn.get_mut(i))
        {
            list.push(nlri);
        }
    }

    /// Encodes withdrawals then announcements for a session with context
    /// `cx`, giving the batch's attribute references back to `store`. An
    /// encoding error drops that group (logged); it cannot happen for
    /// attributes that fit a message.
    pub fn encode(self, cx: &Negotiated, store: &mut AttrStore) -> Vec<Bytes> {
        // The batch's messages share one allocation sized to them.
        let mut out = builder::Out::with_capacity(self.size_hint(cx));
        for (family, withdrawn) in FAMILIES.iter().zip(&self.withdrawn) {
            if withdrawn.is_empty() {
                continue;
            }
            if let Err(error) = builder::withdraw_into(&mut out, *family, withdrawn, cx) {
                tracing::warn!(%error, %family, "withdrawal not encoded");
            }
        }
        for (family, attrs, prefixes) in self.groups {
            if let Some(next_hop) = attrs.next_hop() {
                let wire = cx
                    .four_octet_as
                    .then(|| attrs.wire_attributes(family))
                    .flatten();
                let result = if let Some(wire) = wire {
                    builder::announce_encoded_into(&mut out, &wire, family, next_hop, &prefixes, cx)
                } else if cx.four_octet_as {
                    let attributes = attrs.attributes();
                    builder::announce_into(&mut out, &attributes, family, next_hop, &prefixes, cx)
                } else {
                    let attributes = two_octet_attributes(&attrs);
                    builder::announce_into(&mut out, &attributes, family, next_hop, &prefixes, cx)
                };
                if let Err(error) = result {
                    tracing::warn!(%error, %family, "announcement not encoded");
                }
            }
            store.release(attrs);
        }
        out.messages
    }

    /// About the octets [`Batch::encode`] writes: every prefix, each set's
    /// attributes, and a message's fixed part per group and per 4096
    /// octets.
    fn size_hint(&self, cx: &Negotiated) -> usize {
        const FIXED: usize = 64;
        let prefixes = |family: Family, list: &[Nlri]| {
            let add_path = cx.add_path_send.contains(&family);
            let bytes: usize = list.iter().map(|n| n.encoded_len(add_path)).sum();
            bytes + FIXED * (1 + bytes / 4096)
        };
        let withdrawn: usize = FAMILIES
            .iter()
            .zip(&self.withdrawn)
            .filter(|(_, list)| !list.is_empty())
            .map(|(family, list)| prefixes(*family, list))
            .sum();
        let announced: usize = self
            .groups
            .iter()
            .map(|(family, attrs, list)| attrs.encoded_len() + prefixes(*family, list))
            .sum();
        withdrawn + announced
    }
}

/// The End-of-RIB marker for `family` on a session with context `cx`.
pub fn end_of_rib(family: Family, cx: &Negotiated) -> Option<Bytes> {
    match Message::Update(bgp::end_of_rib(family)).to_bytes(cx) {
        Ok(bytes) => Some(bytes),
        Err(error) => {
            tracing::warn!(%error, %family, "End-of-RIB not encoded");
            None
        }
    }
}
