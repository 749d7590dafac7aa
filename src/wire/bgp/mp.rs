//! MP_REACH_NLRI (type 14) and MP_UNREACH_NLRI (type 15), RFC 4760 §3–4.
//!
//! ```text
//! MP_REACH_NLRI                              MP_UNREACH_NLRI
//! +---------------------------------+        +-------------------------+
//! | AFI (2) | SAFI (1)              |        | AFI (2) | SAFI (1)      |
//! | Length of Next Hop (1)          |        | Withdrawn Routes (var)  |
//! | Next Hop (variable)             |        +-------------------------+
//! | Reserved (1)                    |
//! | NLRI (variable)                 |
//! +---------------------------------+
//! ```
//!
//! IPv4 and IPv6 unicast/multicast prefixes are decoded. The next hop is 4
//! octets (IPv4), 16 (IPv6 global) or 32 (global + link-local, RFC 2545
//! §3); an IPv6 next hop for IPv4 NLRI is RFC 8950. Other families keep
//! next hop and NLRI raw.

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, Bytes, BytesMut};

use super::error::EncodeError;
use super::nlri::{self, Nlri};
use super::Negotiated;
use crate::wire::{Afi, Family, Safi, Take};

/// A next hop in MP_REACH_NLRI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum NextHop {
    /// 4 octets.
    V4(Ipv4Addr),
    /// 16 octets, or 32 with a link-local address (RFC 2545 §3).
    V6 {
        /// Global address.
        global: Ipv6Addr,
        /// Link-local address, when 32 octets were sent.
        link_local: Option<Ipv6Addr>,
    },
}

impl NextHop {
    /// Octets on the wire.
    pub fn encoded_len(&self) -> usize {
        match self {
            NextHop::V4(_) => 4,
            NextHop::V6 {
                link_local: None, ..
            } => 16,
            NextHop::V6 {
                link_local: Some(_),
                ..
            } => 32,
        }
    }

    fn decode(bytes: &[u8]) -> Option<NextHop> {
        if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
            return Some(NextHop::V4(Ipv4Addr::from(v4)));
        }
        if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
            return Some(NextHop::V6 {
                global: Ipv6Addr::from(v6),
                link_local: None,
            });
        }
        let (global, link_local) = bytes.split_first_chunk::<16>()?;
        let link_local = <[u8; 16]>::try_from(link_local).ok()?;
        Some(NextHop::V6 {
            global: Ipv6Addr::from(*global),
            link_local: Some(Ipv6Addr::from(link_local)),
        })
    }

    /// Appends the length octet and the address(es).
    pub fn encode(&self, out: &mut BytesMut) {
        // 4, 16 or 32: always fits the octet.
        out.put_u8(self.encoded_len() as u8);
        match self {
            NextHop::V4(addr) => out.put_slice(&addr.octets()),
            NextHop::V6 { global, link_local } => {
                out.put_slice(&global.octets());
                if let Some(ll) = link_local {
                    out.put_slice(&ll.octets());
                }
            }
        }
    }
}

/// The families whose NLRI are plain IP prefixes.
pub fn is_prefix_family(family: Family) -> bool {
    matches!(family.afi, Afi::Ipv4 | Afi::Ipv6)
        && matches!(family.safi, Safi::Unicast | Safi::Multicast)
}

/// MP_REACH_NLRI value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub enum MpReach {
    /// IPv4/IPv6 unicast or multicast prefixes.
    Prefixes {
        /// AFI/SAFI.
        #[serde(serialize_with = "super::display")]
        family: Family,
        /// Next hop.
        next_hop: NextHop,
        /// Announced prefixes.
        nlri: Vec<Nlri>,
    },
    /// Another family, kept raw.
    Unknown {
        /// AFI/SAFI.
        #[serde(serialize_with = "super::display")]
        family: Family,
        /// Next hop octets.
        #[serde(serialize_with = "crate::wire::serialize_hex")]
        next_hop: Bytes,
        /// NLRI octets.
        #[serde(serialize_with = "crate::wire::serialize_hex")]
        nlri: Bytes,
    },
}

/// MP_UNREACH_NLRI value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub enum MpUnreach {
    /// IPv4/IPv6 unicast or multicast prefixes.
    Prefixes {
        /// AFI/SAFI.
        #[serde(serialize_with = "super::display")]
        family: Family,
        /// Withdrawn prefixes.
        withdrawn: Vec<Nlri>,
    },
    /// Another family, kept raw.
    Unknown {
        /// AFI/SAFI.
        #[serde(serialize_with = "super::display")]
        family: Family,
        /// Withdrawn routes octets.
        #[serde(serialize_with = "crate::wire::serialize_hex")]
        withdrawn: Bytes,
    },
}

/// The value is malformed: session reset (RFC 7606 §7.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

fn take_family(value: &mut Bytes) -> Result<Family, Malformed> {
    let afi = value.take_u16().map_err(|_| Malformed)?;
    let safi = value.take_u8().map_err(|_| Malformed)?;
    Ok(Family::new(afi, safi))
}

impl MpReach {
    /// The family.
    pub fn family(&self) -> Family {
        match self {
            MpReach::Prefixes { family, .. } | MpReach::Unknown { family, .. } => *family,
        }
    }

    /// Decodes the value; prefixes carry path ids when the family is in
    /// `cx.add_path_receive`.
    pub fn decode(mut value: Bytes, cx: &Negotiated) -> Result<MpReach, Malformed> {
        let family = take_family(&mut value)?;
        let next_hop_len = value.take_u8().map_err(|_| Malformed)?;
        let next_hop = value
            .take_bytes(usize::from(next_hop_len))
            .map_err(|_| Malformed)?;
        let _reserved = value.take_u8().map_err(|_| Malformed)?;
        if !is_prefix_family(family) {
            return Ok(MpReach::Unknown {
                family,
                next_hop,
                nlri: value,
            });
        }
        let next_hop = NextHop::decode(&next_hop).ok_or(Malformed)?;
        let add_path = cx.add_path_receive.contains(&family);
        let nlri = nlri::decode(&value, family.afi, add_path).map_err(|_| Malformed)?;
        Ok(MpReach::Prefixes {
            family,
            next_hop,
            nlri,
        })
    }

    /// Appends the value; prefixes carry path ids when the family is in
    /// `cx.add_path_send`.
    pub fn encode(&self, out: &mut BytesMut, cx: &Negotiated) -> Result<(), EncodeError> {
        match self {
            MpReach::Prefixes {
                family,
                next_hop,
                nlri,
            } => {
                encode_header(*family, next_hop, out);
                let add_path = cx.add_path_send.contains(family);
                nlri::encode(nlri, family.afi, add_path, out)
            }
            MpReach::Unknown {
                family,
                next_hop,
                nlri,
            } => {
                out.put_u16(family.afi.into());
                out.put_u8(family.safi.into());
                let length =
                    u8::try_from(next_hop.len()).map_err(|_| EncodeError::FieldTooLong {
                        field: "next hop",
                        length: next_hop.len(),
                    })?;
                out.put_u8(length);
                out.put_slice(next_hop);
                out.put_u8(0);
                out.put_slice(nlri);
                Ok(())
            }
        }
    }
}

/// Appends AFI, SAFI, next hop and the reserved octet: everything before
/// the NLRI.
pub fn encode_header(family: Family, next_hop: &NextHop, out: &mut BytesMut) {
    out.put_u16(family.afi.into());
    out.put_u8(family.safi.into());
    next_hop.encode(out);
    out.put_u8(0);
}

impl MpUnreach {
    /// The family.
    pub fn family(&self) -> Family {
        match self {
            MpUnreach::Prefixes { family, .. } | MpUnreach::Unknown { family, .. } => *family,
        }
    }

    /// Decodes the value; prefixes carry path ids when the family is in
    /// `cx.add_path_receive`.
    pub fn decode(mut value: Bytes, cx: &Negotiated) -> Result<MpUnreach, Malformed> {
        let family = take_family(&mut value)?;
        if !is_prefix_family(family) {
            return Ok(MpUnreach::Unknown {
                family,
                withdrawn: value,
            });
        }
        let add_path = cx.add_path_receive.contains(&family);
        let withdrawn = nlri::decode(&value, family.afi, add_path).map_err(|_| Malformed)?;
        Ok(MpUnreach::Prefixes { family, withdrawn })
    }

    /// Appends the value; prefixes carry path ids when the family is in
    /// `cx.add_path_send`.
    pub fn encode(&self, out: &mut BytesMut, cx: &Negotiated) -> Result<(), EncodeError> {
        out.put_u16(self.family().afi.into());
        out.put_u8(self.family().safi.into());
        match self {
            MpUnreach::Prefixes { family, withdrawn } => {
                let add_path = cx.add_path_send.contains(family);
                nlri::encode(withdrawn, family.afi, add_path, out)
            }
            MpUnreach::Unknown { withdrawn, .. } => {
                out.put_slice(withdrawn);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::from_hex;

    fn bytes(hex: &str) -> Bytes {
        Bytes::from(from_hex(hex).expect("test hex"))
    }

    fn reach_golden(hex: &str, expected: MpReach, cx: &Negotiated) {
        assert_eq!(MpReach::decode(bytes(hex), cx), Ok(expected.clone()));
        let mut out = BytesMut::new();
        expected.encode(&mut out, cx).expect("encodes");
        assert_eq!(out.freeze(), bytes(hex));
    }

    #[test]
    fn mp_reach_ipv6_with_link_local_golden() {
        reach_golden(
            "0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00 \
             30 20010db80001",
            MpReach::Prefixes {
                family: Family::IPV6_UNICAST,
                next_hop: NextHop::V6 {
                    global: "2001:db8::1".parse().expect("addr"),
                    link_local: Some("fe80::1".parse().expect("addr")),
                },
                nlri: vec![Nlri::new("2001:db8:1::/48".parse().expect("net"))],
            },
            &Negotiated::default(),
        );
    }

    #[test]
    fn mp_reach_ipv4_nlri_with_ipv6_next_hop_rfc8950_golden() {
        reach_golden(
            "0001 01 10 20010db8000000000000000000000001 00 18 c00002",
            MpReach::Prefixes {
                family: Family::IPV4_UNICAST,
                next_hop: NextHop::V6 {
                    global: "2001:db8::1".parse().expect("addr"),
                    link_local: None,
                },
                nlri: vec![Nlri::new("192.0.2.0/24".parse().expect("net"))],
            },
            &Negotiated::default(),
        );
    }

    #[test]
    fn mp_reach_unknown_family_is_kept_raw_golden() {
        reach_golden(
            "0019 46 04 0a000001 00 abcdef",
            MpReach::Unknown {
                family: Family::new(25, 70),
                next_hop: bytes("0a000001"),
                nlri: bytes("abcdef"),
            },
            &Negotiated::default(),
        );
    }

    #[test]
    fn mp_unreach_with_add_path_golden() {
        let mut cx = Negotiated::default();
        cx.add_path_receive.insert(Family::IPV6_UNICAST);
        cx.add_path_send.insert(Family::IPV6_UNICAST);
        let hex = "0002 01 00000007 20 20010db8";
        let expected = MpUnreach::Prefixes {
            family: Family::IPV6_UNICAST,
            withdrawn: vec![Nlri::with_path_id("2001:db8::/32".parse().expect("net"), 7)],
        };
        assert_eq!(MpUnreach::decode(bytes(hex), &cx), Ok(expected.clone()));
        let mut out = BytesMut::new();
        expected.encode(&mut out, &cx).expect("encodes");
        assert_eq!(out.freeze(), bytes(hex));
    }

    #[test]
    fn mp_reach_with_bad_next_hop_length_is_malformed() {
        let cx = Negotiated::default();
        assert_eq!(
            MpReach::decode(bytes("0002 01 05 0102030405 00"), &cx),
            Err(Malformed)
        );
    }
}
