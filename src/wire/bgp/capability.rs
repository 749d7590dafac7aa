//! Capabilities advertisement (RFC 5492) and the capabilities we know.
//!
//! Each capability in a Capabilities optional parameter (type 2) is a TLV:
//!
//! ```text
//! +------------------------------+
//! | Capability Code (1 octet)    |
//! +------------------------------+
//! | Capability Length (1 octet)  |
//! +------------------------------+
//! | Capability Value (variable)  |
//! +------------------------------+
//! ```
//!
//! Codes from IANA "Capability Codes": 1 multiprotocol (RFC 4760 §8),
//! 2 route refresh (RFC 2918), 5 extended next hop (RFC 8950 §3),
//! 6 extended message (RFC 8654), 64 graceful restart (RFC 4724 §3),
//! 65 4-octet AS (RFC 6793), 69 ADD-PATH (RFC 7911 §4), 70 enhanced route
//! refresh (RFC 7313), 71 long-lived graceful restart (RFC 9494),
//! 73 FQDN (draft-walton-bgp-hostname-capability), 128 Cisco's
//! pre-standard route refresh. A known code whose value does not parse is
//! kept as [`Capability::Unknown`], so an OPEN always re-encodes to its
//! own bytes.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{DecodeError, EncodeError};
use crate::wire::{Family, Take};

code_enum! {
    /// ADD-PATH Send/Receive field (RFC 7911 §4).
    pub enum AddPathMode: u8 {
        /// 1: willing to receive path ids.
        Receive = 1,
        /// 2: would like to send path ids.
        Send = 2,
        /// 3: both.
        Both = 3,
    }
}

impl AddPathMode {
    /// Receive or Both.
    pub fn receives(self) -> bool {
        matches!(self, AddPathMode::Receive | AddPathMode::Both)
    }

    /// Send or Both.
    pub fn sends(self) -> bool {
        matches!(self, AddPathMode::Send | AddPathMode::Both)
    }
}

/// One family of an ADD-PATH capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct AddPathFamily {
    /// The family.
    #[serde(serialize_with = "super::display")]
    pub family: Family,
    /// Send, receive or both.
    pub mode: AddPathMode,
}

/// One family of a graceful restart capability (RFC 4724 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct GracefulRestartFamily {
    /// The family.
    #[serde(serialize_with = "super::display")]
    pub family: Family,
    /// Flags for Address Family; the top bit is Forwarding State (F).
    pub flags: u8,
}

impl GracefulRestartFamily {
    /// The F bit: forwarding state was preserved for this family.
    pub fn forwarding(&self) -> bool {
        self.flags & 0x80 != 0
    }
}

/// Graceful restart capability value (RFC 4724 §3, RFC 8538 N bit).
///
/// ```text
/// +--------+--------------------+  then per family:
/// | Flags  | Restart Time (s)   |  +-----+------+--------+
/// | 4 bits | 12 bits            |  | AFI | SAFI | Flags  |
/// +--------+--------------------+  +-----+------+--------+
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct GracefulRestart {
    /// Restart Flags, the high 4 bits of the first octet (0..=15).
    pub flags: u8,
    /// Restart Time in seconds (0..=4095).
    pub restart_time: u16,
    /// Families with their flags.
    pub families: Vec<GracefulRestartFamily>,
}

impl GracefulRestart {
    /// Restart State (R) bit: the sender has restarted.
    pub fn restart_state(&self) -> bool {
        self.flags & 0x8 != 0
    }

    /// Notification (N) bit (RFC 8538): graceful restart also after a
    /// NOTIFICATION.
    pub fn notification(&self) -> bool {
        self.flags & 0x4 != 0
    }
}

/// One family of a long-lived graceful restart capability (RFC 9494 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct LongLivedGracefulRestartFamily {
    /// The family.
    #[serde(serialize_with = "super::display")]
    pub family: Family,
    /// Flags; the top bit is Forwarding State (F).
    pub flags: u8,
    /// Long-lived stale time in seconds (24 bits).
    pub stale_time: u32,
}

/// One entry of the extended next hop capability (RFC 8950 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ExtendedNextHop {
    /// The NLRI family (its SAFI is 2 octets on the wire).
    #[serde(serialize_with = "super::display")]
    pub nlri_family: Family,
    /// The next hop's AFI, as a wire number (2 for IPv6).
    pub next_hop_afi: u16,
}

/// A capability (RFC 5492).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Capability {
    /// 1: Multiprotocol Extensions (RFC 4760 §8).
    Multiprotocol(#[serde(serialize_with = "super::display")] Family),
    /// 2: Route Refresh (RFC 2918).
    RouteRefresh,
    /// 5: Extended Next Hop Encoding (RFC 8950).
    ExtendedNextHop(Vec<ExtendedNextHop>),
    /// 6: BGP Extended Message (RFC 8654).
    ExtendedMessage,
    /// 64: Graceful Restart (RFC 4724).
    GracefulRestart(GracefulRestart),
    /// 65: Support for 4-octet AS numbers (RFC 6793), with our ASN.
    FourOctetAs(u32),
    /// 69: ADD-PATH (RFC 7911).
    AddPath(Vec<AddPathFamily>),
    /// 70: Enhanced Route Refresh (RFC 7313).
    EnhancedRouteRefresh,
    /// 71: Long-Lived Graceful Restart (RFC 9494).
    LongLivedGracefulRestart(Vec<LongLivedGracefulRestartFamily>),
    /// 73: FQDN (host and domain name, sent by FRR and gobgpd).
    Fqdn {
        /// Host name.
        hostname: String,
        /// Domain name (often empty).
        domain_name: String,
    },
    /// 128: Cisco's pre-standard Route Refresh.
    RouteRefreshCisco,
    /// Any other capability, or a known one whose value did not parse.
    Unknown {
        /// Capability code.
        code: u8,
        /// Value as received.
        #[serde(serialize_with = "crate::wire::serialize_hex")]
        value: Bytes,
    },
}

impl Capability {
    /// The capability code.
    pub fn code(&self) -> u8 {
        match self {
            Capability::Multiprotocol(_) => 1,
            Capability::RouteRefresh => 2,
            Capability::ExtendedNextHop(_) => 5,
            Capability::ExtendedMessage => 6,
            Capability::GracefulRestart(_) => 64,
            Capability::FourOctetAs(_) => 65,
            Capability::AddPath(_) => 69,
            Capability::EnhancedRouteRefresh => 70,
            Capability::LongLivedGracefulRestart(_) => 71,
            Capability::Fqdn { .. } => 73,
            Capability::RouteRefreshCisco => 128,
            Capability::Unknown { code, .. } => *code,
        }
    }

    /// Decodes every capability in a Capabilities parameter's value.
    pub fn decode_all(mut value: Bytes) -> Result<Vec<Capability>, DecodeError> {
        let mut out = Vec::new();
        while !value.is_empty() {
            let code = value.take_u8().map_err(|_| DecodeError::MalformedOpen)?;
            let length = value.take_u8().map_err(|_| DecodeError::MalformedOpen)?;
            let body = value
                .take_bytes(usize::from(length))
                .map_err(|_| DecodeError::MalformedOpen)?;
            out.push(Capability::decode_value(code, body));
        }
        Ok(out)
    }

    /// Decodes one capability value; a value that does not parse is kept
    /// as [`Capability::Unknown`].
    pub fn decode_value(code: u8, value: Bytes) -> Capability {
        parse(code, value.clone()).unwrap_or(Capability::Unknown { code, value })
    }

    /// Appends code, length and value.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let mut value = BytesMut::new();
        self.encode_value(&mut value)?;
        let length = u8::try_from(value.len()).map_err(|_| EncodeError::FieldTooLong {
            field: "capability",
            length: value.len(),
        })?;
        out.put_u8(self.code());
        out.put_u8(length);
        out.put_slice(&value);
        Ok(())
    }

    fn encode_value(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        match self {
            Capability::Multiprotocol(family) => {
                out.put_u16(family.afi.into());
                out.put_u8(0);
                out.put_u8(family.safi.into());
            }
            Capability::RouteRefresh
            | Capability::ExtendedMessage
            | Capability::EnhancedRouteRefresh
            | Capability::RouteRefreshCisco => {}
            Capability::ExtendedNextHop(entries) => {
                for entry in entries {
                    out.put_u16(entry.nlri_family.afi.into());
                    out.put_u16(u8::from(entry.nlri_family.safi).into());
                    out.put_u16(entry.next_hop_afi);
                }
            }
            Capability::GracefulRestart(gr) => {
                out.put_u16(u16::from(gr.flags & 0x0f) << 12 | (gr.restart_time & 0x0fff));
                for f in &gr.families {
                    put_family(out, f.family);
                    out.put_u8(f.flags);
                }
            }
            Capability::FourOctetAs(asn) => out.put_u32(*asn),
            Capability::AddPath(families) => {
                for f in families {
                    put_family(out, f.family);
                    out.put_u8(f.mode.into());
                }
            }
            Capability::LongLivedGracefulRestart(families) => {
                for f in families {
                    put_family(out, f.family);
                    out.put_u8(f.flags);
                    out.put_slice(&f.stale_time.to_be_bytes()[1..]);
                }
            }
            Capability::Fqdn {
                hostname,
                domain_name,
            } => {
                for name in [hostname, domain_name] {
                    let length =
                        u8::try_from(name.len()).map_err(|_| EncodeError::FieldTooLong {
                            field: "FQDN name",
                            length: name.len(),
                        })?;
                    out.put_u8(length);
                    out.put_slice(name.as_bytes());
                }
            }
            Capability::Unknown { value, .. } => out.put_slice(value),
        }
        Ok(())
    }
}

fn put_family(out: &mut BytesMut, family: Family) {
    out.put_u16(family.afi.into());
    out.put_u8(family.safi.into());
}

fn take_family(value: &mut Bytes) -> Option<Family> {
    let afi = value.take_u16().ok()?;
    let safi = value.take_u8().ok()?;
    Some(Family::new(afi, safi))
}

/// Parses a known capability's value exactly, or `None`.
fn parse(code: u8, mut value: Bytes) -> Option<Capability> {
    let capability = match code {
        1 => {
            let afi = value.take_u16().ok()?;
            let reserved = value.take_u8().ok()?;
            let safi = value.take_u8().ok()?;
            if reserved != 0 {
                return None;
            }
            Capability::Multiprotocol(Family::new(afi, safi))
        }
        2 | 6 | 70 | 128 if !value.is_empty() => return None,
        2 => Capability::RouteRefresh,
        6 => Capability::ExtendedMessage,
        70 => Capability::EnhancedRouteRefresh,
        128 => Capability::RouteRefreshCisco,
        5 => {
            let mut entries = Vec::new();
            while !value.is_empty() {
                let afi = value.take_u16().ok()?;
                let safi = u8::try_from(value.take_u16().ok()?).ok()?;
                let next_hop_afi = value.take_u16().ok()?;
                entries.push(ExtendedNextHop {
                    nlri_family: Family::new(afi, safi),
                    next_hop_afi,
                });
            }
            Capability::ExtendedNextHop(entries)
        }
        64 => {
            let head = value.take_u16().ok()?;
            let mut families = Vec::new();
            while !value.is_empty() {
                let family = take_family(&mut value)?;
                let flags = value.take_u8().ok()?;
                families.push(GracefulRestartFamily { family, flags });
            }
            Capability::GracefulRestart(GracefulRestart {
                // The shift leaves 4 bits, so the cast is exact.
                flags: (head >> 12) as u8,
                restart_time: head & 0x0fff,
                families,
            })
        }
        65 => Capability::FourOctetAs(value.take_u32().ok()?),
        69 => {
            let mut families = Vec::new();
            while !value.is_empty() {
                let family = take_family(&mut value)?;
                let mode = value.take_u8().ok()?.into();
                families.push(AddPathFamily { family, mode });
            }
            Capability::AddPath(families)
        }
        71 => {
            let mut families = Vec::new();
            while !value.is_empty() {
                let family = take_family(&mut value)?;
                let flags = value.take_u8().ok()?;
                let [a, b, c] = value.take_array::<3>().ok()?;
                let stale_time = u32::from_be_bytes([0, a, b, c]);
                families.push(LongLivedGracefulRestartFamily {
                    family,
                    flags,
                    stale_time,
                });
            }
            Capability::LongLivedGracefulRestart(families)
        }
        73 => {
            let mut names = [String::new(), String::new()];
            for name in &mut names {
                let length = value.take_u8().ok()?;
                let bytes = value.take_bytes(usize::from(length)).ok()?;
                *name = String::from_utf8(bytes.to_vec()).ok()?;
            }
            let [hostname, domain_name] = names;
            Capability::Fqdn {
                hostname,
                domain_name,
            }
        }
        _ => return None,
    };
    value.is_empty().then_some(capability)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{from_hex, Afi, Safi};

    fn golden(hex: &str, expected: Capability) {
        let bytes = Bytes::from(from_hex(hex).expect("test hex"));
        assert_eq!(
            Capability::decode_all(bytes.clone()),
            Ok(vec![expected.clone()])
        );
        let mut out = BytesMut::new();
        expected.encode(&mut out).expect("encodes");
        assert_eq!(out.freeze(), bytes);
    }

    #[test]
    fn multiprotocol_golden() {
        golden(
            "0104 0002 00 01",
            Capability::Multiprotocol(Family::IPV6_UNICAST),
        );
    }

    #[test]
    fn route_refresh_and_cisco_golden() {
        golden("0200", Capability::RouteRefresh);
        golden("8000", Capability::RouteRefreshCisco);
        golden("4600", Capability::EnhancedRouteRefresh);
        golden("0600", Capability::ExtendedMessage);
    }

    #[test]
    fn four_octet_as_golden() {
        golden("4104 0001 0000", Capability::FourOctetAs(65536));
    }

    #[test]
    fn add_path_golden() {
        golden(
            "4508 0001 01 03 0002 01 01",
            Capability::AddPath(vec![
                AddPathFamily {
                    family: Family::IPV4_UNICAST,
                    mode: AddPathMode::Both,
                },
                AddPathFamily {
                    family: Family::IPV6_UNICAST,
                    mode: AddPathMode::Receive,
                },
            ]),
        );
    }

    #[test]
    fn graceful_restart_golden() {
        // R and N bits, restart time 120, IPv4 unicast with F bit.
        let gr = GracefulRestart {
            flags: 0xc,
            restart_time: 120,
            families: vec![GracefulRestartFamily {
                family: Family::IPV4_UNICAST,
                flags: 0x80,
            }],
        };
        assert!(gr.restart_state() && gr.notification());
        assert!(gr.families[0].forwarding());
        golden("4006 c078 0001 01 80", Capability::GracefulRestart(gr));
    }

    #[test]
    fn long_lived_graceful_restart_golden() {
        golden(
            "4707 0002 01 80 000e10",
            Capability::LongLivedGracefulRestart(vec![LongLivedGracefulRestartFamily {
                family: Family::IPV6_UNICAST,
                flags: 0x80,
                stale_time: 3600,
            }]),
        );
    }

    #[test]
    fn extended_next_hop_golden() {
        golden(
            "0506 0001 0001 0002",
            Capability::ExtendedNextHop(vec![ExtendedNextHop {
                nlri_family: Family {
                    afi: Afi::Ipv4,
                    safi: Safi::Unicast,
                },
                next_hop_afi: 2,
            }]),
        );
    }

    #[test]
    fn fqdn_golden() {
        golden(
            "4908 04 7231 2d31 02 6c61",
            Capability::Fqdn {
                hostname: "r1-1".into(),
                domain_name: "la".into(),
            },
        );
    }

    #[test]
    fn malformed_known_capability_is_kept_raw() {
        golden(
            "4103 000100",
            Capability::Unknown {
                code: 65,
                value: Bytes::from_static(&[0, 1, 0]),
            },
        );
        golden(
            "0201 00",
            Capability::Unknown {
                code: 2,
                value: Bytes::from_static(&[0]),
            },
        );
    }

    #[test]
    fn capability_overrunning_its_parameter_is_malformed_open() {
        let bytes = Bytes::from(from_hex("4104 0001").expect("test hex"));
        assert_eq!(
            Capability::decode_all(bytes),
            Err(DecodeError::MalformedOpen)
        );
    }
}
