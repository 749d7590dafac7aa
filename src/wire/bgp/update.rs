//! UPDATE message (RFC 4271 §4.3) with RFC 7606 revised error handling.
//!
//! ```text
//! +-----------------------------------------------------+
//! | Withdrawn Routes Length (2 octets)                  |
//! | Withdrawn Routes (variable): IPv4 unicast prefixes   |
//! | Total Path Attribute Length (2 octets)              |
//! | Path Attributes (variable)                          |
//! | Network Layer Reachability Information (variable)   |
//! +-----------------------------------------------------+
//! ```
//!
//! Other families travel in MP_REACH_NLRI/MP_UNREACH_NLRI (RFC 4760).
//! End-of-RIB (RFC 4724 §2) is an empty UPDATE for IPv4 unicast, or one
//! holding only an empty MP_UNREACH_NLRI for other families.
//!
//! Decoding follows RFC 7606: an attribute error that is not session-fatal
//! is recorded in [`Update::errors`] with its action (treat-as-withdraw or
//! attribute discard) and decoding succeeds; only session-fatal errors
//! return `Err`.

use bytes::{BufMut, Bytes, BytesMut};

use super::attr::{AttrType, AttrValue, PathAttribute};
use super::error::{AttrAction, AttrError, DecodeError, EncodeError};
use super::mp::{MpReach, MpUnreach};
use super::nlri::{self, Nlri};
use super::Negotiated;
use crate::wire::{Afi, Family, Take};

/// An UPDATE message.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Update {
    /// Withdrawn IPv4 unicast prefixes.
    pub withdrawn: Vec<Nlri>,
    /// Path attributes in wire order (malformed and duplicate ones removed).
    pub attributes: Vec<PathAttribute>,
    /// Announced IPv4 unicast prefixes.
    pub nlri: Vec<Nlri>,
    /// Attribute errors met while decoding (RFC 7606), each with its
    /// action; never encoded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<AttrError>,
}

impl Update {
    /// Decodes the body (after the header) received on a session with
    /// context `cx`.
    ///
    /// Session-fatal errors (RFC 7606: lengths that overrun the message,
    /// bad prefixes, malformed or repeated MP_REACH/MP_UNREACH,
    /// unrecognized well-known attributes) return `Err`. Other attribute
    /// errors are recorded in [`Update::errors`]; see
    /// [`Update::treat_as_withdraw`].
    pub fn decode(mut body: Bytes, cx: &Negotiated) -> Result<Update, DecodeError> {
        let malformed = |_| DecodeError::MalformedAttributeList;
        let withdrawn_len = body.take_u16().map_err(malformed)?;
        let withdrawn_bytes = body
            .take_bytes(usize::from(withdrawn_len))
            .map_err(malformed)?;
        let attributes_len = body.take_u16().map_err(malformed)?;
        let mut attributes_bytes = body
            .take_bytes(usize::from(attributes_len))
            .map_err(malformed)?;
        let v4_add_path = cx.add_path_receive.contains(&Family::IPV4_UNICAST);
        let mut withdrawn = Vec::new();
        nlri::decode_v4(&withdrawn_bytes, v4_add_path, &mut withdrawn)
            .map_err(|_| DecodeError::InvalidNetworkField)?;
        let mut nlri = Vec::new();
        nlri::decode_v4(&body, v4_add_path, &mut nlri)
            .map_err(|_| DecodeError::InvalidNetworkField)?;

        let mut update = Update {
            withdrawn,
            // A typical UPDATE holds 4 to 8 attributes: one allocation.
            attributes: if attributes_bytes.is_empty() {
                Vec::new()
            } else {
                Vec::with_capacity(8)
            },
            nlri,
            errors: Vec::new(),
        };
        let mut seen = [false; 256];
        while !attributes_bytes.is_empty() {
            let Some(&[flags, type_code]) = attributes_bytes.first_chunk::<2>() else {
                update.overrun(0, &attributes_bytes)?;
                break;
            };
            let header = if flags & 0x10 != 0 { 4 } else { 3 };
            let length = match attributes_bytes.get(2..header) {
                Some(&[len]) => usize::from(len),
                Some(&[high, low]) => usize::from(u16::from_be_bytes([high, low])),
                _ => {
                    update.overrun(type_code, &attributes_bytes)?;
                    break;
                }
            };
            if attributes_bytes.len() < header + length {
                update.overrun(type_code, &attributes_bytes)?;
                break;
            }
            let mut value = attributes_bytes.split_to(header + length);
            let value = value.split_off(header);
            // A u8 always indexes the 256 slots.
            if std::mem::replace(&mut seen[usize::from(type_code)], true) {
                // RFC 7606 §3 (g).
                if is_mp(type_code) {
                    return Err(DecodeError::MalformedAttributeList);
                }
                update.errors.push(AttrError {
                    type_code,
                    action: AttrAction::AttributeDiscard,
                    error: DecodeError::MalformedAttributeList,
                });
                continue;
            }
            match PathAttribute::decode(flags, type_code, value, cx) {
                Ok(attribute) => update.attributes.push(attribute),
                Err(error) if error.action == AttrAction::SessionReset => return Err(error.error),
                Err(error) => update.errors.push(error),
            }
        }
        update.check_mandatory(&seen);
        Ok(update)
    }

    /// RFC 7606 §4: an attribute overruns the attribute field. Fatal when
    /// it is MP_REACH/MP_UNREACH (its NLRI cannot be parsed), else
    /// treat-as-withdraw.
    fn overrun(&mut self, type_code: u8, rest: &Bytes) -> Result<(), DecodeError> {
        let error = DecodeError::AttributeLengthError(rest.clone());
        if is_mp(type_code) {
            return Err(error);
        }
        self.errors.push(AttrError {
            type_code,
            action: AttrAction::TreatAsWithdraw,
            error,
        });
        Ok(())
    }

    /// RFC 7606 §3 (d): a missing well-known mandatory attribute makes an
    /// UPDATE that announces routes treat-as-withdraw. NEXT_HOP is only
    /// mandatory with IPv4 NLRI in the NLRI field (RFC 4760 §3).
    fn check_mandatory(&mut self, seen: &[bool; 256]) {
        let announces = !self.nlri.is_empty() || seen[usize::from(u8::from(AttrType::MpReachNlri))];
        if !announces {
            return;
        }
        let next_hop = (!self.nlri.is_empty()).then_some(AttrType::NextHop);
        let mandatory = [Some(AttrType::Origin), Some(AttrType::AsPath), next_hop];
        for attr_type in mandatory.into_iter().flatten() {
            let type_code = u8::from(attr_type);
            if !seen[usize::from(type_code)] {
                self.errors.push(AttrError {
                    type_code,
                    action: AttrAction::TreatAsWithdraw,
                    error: DecodeError::MissingWellKnownAttribute(type_code),
                });
            }
        }
    }

    /// Appends the body (after the header) for a session with context
    /// `cx`. [`Update::errors`] is not encoded.
    pub fn encode(&self, out: &mut BytesMut, cx: &Negotiated) -> Result<(), EncodeError> {
        let v4_add_path = cx.add_path_send.contains(&Family::IPV4_UNICAST);
        let start = out.len();
        out.put_u16(0);
        nlri::encode(&self.withdrawn, Afi::Ipv4, v4_add_path, out)?;
        patch_len(out, start, "withdrawn routes")?;
        let start = out.len();
        out.put_u16(0);
        for attribute in &self.attributes {
            attribute.encode(out, cx)?;
        }
        patch_len(out, start, "path attributes")?;
        nlri::encode(&self.nlri, Afi::Ipv4, v4_add_path, out)
    }

    /// The first error that makes this UPDATE treat-as-withdraw, if any:
    /// all its prefixes are then to be withdrawn (RFC 7606 §2).
    pub fn treat_as_withdraw(&self) -> Option<&AttrError> {
        self.errors
            .iter()
            .find(|e| e.action == AttrAction::TreatAsWithdraw)
    }

    /// The family of an End-of-RIB marker (RFC 4724 §2), if this is one.
    pub fn is_end_of_rib(&self) -> Option<Family> {
        if !self.withdrawn.is_empty() || !self.nlri.is_empty() || !self.errors.is_empty() {
            return None;
        }
        match self.attributes.as_slice() {
            [] => Some(Family::IPV4_UNICAST),
            [attribute] => match &attribute.value {
                AttrValue::MpUnreach(MpUnreach::Prefixes { family, withdrawn })
                    if withdrawn.is_empty() =>
                {
                    Some(*family)
                }
                AttrValue::MpUnreach(MpUnreach::Unknown { family, withdrawn })
                    if withdrawn.is_empty() =>
                {
                    Some(*family)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The first attribute of this type.
    pub fn attribute(&self, attr_type: AttrType) -> Option<&PathAttribute> {
        let type_code = u8::from(attr_type);
        self.attributes.iter().find(|a| a.type_code() == type_code)
    }

    /// The MP_REACH_NLRI attribute, if any.
    pub fn mp_reach(&self) -> Option<&MpReach> {
        self.attributes.iter().find_map(|a| match &a.value {
            AttrValue::MpReach(reach) => Some(reach),
            _ => None,
        })
    }

    /// The MP_UNREACH_NLRI attribute, if any.
    pub fn mp_unreach(&self) -> Option<&MpUnreach> {
        self.attributes.iter().find_map(|a| match &a.value {
            AttrValue::MpUnreach(unreach) => Some(unreach),
            _ => None,
        })
    }

    /// Every prefix announced, with its family: the NLRI field (IPv4
    /// unicast), then MP_REACH_NLRI. Empty when the UPDATE is
    /// treat-as-withdraw (see [`Update::withdrawals`]).
    pub fn announced(&self) -> impl Iterator<Item = (Family, &Nlri)> {
        let active = self.treat_as_withdraw().is_none();
        self.reachable().filter(move |_| active)
    }

    /// Every prefix withdrawn, with its family: the withdrawn routes field
    /// (IPv4 unicast), MP_UNREACH_NLRI, and, when the UPDATE is
    /// treat-as-withdraw, every prefix it announced.
    pub fn withdrawals(&self) -> impl Iterator<Item = (Family, &Nlri)> {
        let unreach = self.mp_unreach().and_then(|u| match u {
            MpUnreach::Prefixes { family, withdrawn } => Some((*family, withdrawn.as_slice())),
            MpUnreach::Unknown { .. } => None,
        });
        let treat_as_withdraw = self.treat_as_withdraw().is_some();
        self.withdrawn
            .iter()
            .map(|n| (Family::IPV4_UNICAST, n))
            .chain(flatten(unreach))
            .chain(self.reachable().filter(move |_| treat_as_withdraw))
    }

    fn reachable(&self) -> impl Iterator<Item = (Family, &Nlri)> {
        let reach = self.mp_reach().and_then(|r| match r {
            MpReach::Prefixes { family, nlri, .. } => Some((*family, nlri.as_slice())),
            MpReach::Unknown { .. } => None,
        });
        self.nlri
            .iter()
            .map(|n| (Family::IPV4_UNICAST, n))
            .chain(flatten(reach))
    }

    /// Sets the Partial bit on every unrecognized optional transitive
    /// attribute, before passing the UPDATE on (RFC 4271 §5).
    pub fn mark_partial(&mut self) {
        for attribute in &mut self.attributes {
            attribute.mark_partial();
        }
    }
}

fn flatten(list: Option<(Family, &[Nlri])>) -> impl Iterator<Item = (Family, &Nlri)> {
    list.into_iter()
        .flat_map(|(family, prefixes)| prefixes.iter().map(move |n| (family, n)))
}

fn is_mp(type_code: u8) -> bool {
    matches!(
        AttrType::from(type_code),
        AttrType::MpReachNlri | AttrType::MpUnreachNlri
    )
}

/// Writes the length of what follows the 2-octet slot at `start`.
pub(crate) fn patch_len(
    out: &mut BytesMut,
    start: usize,
    field: &'static str,
) -> Result<(), EncodeError> {
    let length = out.len() - start - 2;
    let value = u16::try_from(length).map_err(|_| EncodeError::FieldTooLong { field, length })?;
    if let Some(slot) = out.get_mut(start..start + 2) {
        slot.copy_from_slice(&value.to_be_bytes());
    }
    Ok(())
}

#[cfg(test)]
#[path = "update_tests.rs"]
pub(crate) mod tests;
