//! OPEN message (RFC 4271 §4.2) with optional parameters (RFC 5492,
//! RFC 9072).
//!
//! ```text
//! +---------+---------+-----------+-----------------+-------------+------------+
//! | Version | My AS   | Hold Time | BGP Identifier  | Opt Parm Len| Parameters |
//! | 1       | 2       | 2         | 4               | 1           | variable   |
//! +---------+---------+-----------+-----------------+-------------+------------+
//! ```
//!
//! Each parameter is type (1), length (1), value. RFC 9072: when Opt Parm
//! Len is 255 and the next octet (Non-Ext OP Type) is 255, a 2-octet
//! Extended Opt Parm Length follows and every parameter's length is 2
//! octets. Capabilities are parameter type 2; several capabilities in one
//! parameter and several parameters are both kept as received, so an OPEN
//! re-encodes to the same bytes.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes, BytesMut};

use super::capability::{AddPathFamily, Capability};
use super::error::{DecodeError, EncodeError};
use super::BGP_VERSION;
use crate::wire::{Family, Take};

/// AS_TRANS (RFC 6793 §9): My AS when the real ASN needs 4 octets.
pub const AS_TRANS: u16 = 23456;

/// Optional parameter type carrying capabilities (RFC 5492).
const CAPABILITIES: u8 = 2;

/// One optional parameter of an OPEN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub enum OptionalParameter {
    /// Type 2: one or more capabilities.
    Capabilities(Vec<Capability>),
    /// Any other type (1, authentication, is deprecated), kept raw.
    Unknown {
        /// Parameter type.
        param_type: u8,
        /// Value as received.
        #[serde(serialize_with = "crate::wire::serialize_hex")]
        value: Bytes,
    },
}

/// An OPEN message. The version is always 4: any other is a decode error.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Open {
    /// My Autonomous System: the 2-octet ASN, or [`AS_TRANS`].
    pub my_as: u16,
    /// Proposed hold time in seconds (0, or at least 3).
    pub hold_time: u16,
    /// BGP Identifier (router id).
    pub bgp_identifier: Ipv4Addr,
    /// Optional parameters, in order and grouped as received.
    pub parameters: Vec<OptionalParameter>,
    /// Parameters use the RFC 9072 extended encoding even though they would
    /// fit the classic one (encoding switches to it anyway when needed).
    pub extended_length: bool,
}

impl Open {
    /// An OPEN with all `capabilities` in one parameter. `asn` goes in
    /// My AS, or AS_TRANS when it needs 4 octets (RFC 6793 §3).
    pub fn new(
        asn: u32,
        hold_time: u16,
        bgp_identifier: Ipv4Addr,
        capabilities: Vec<Capability>,
    ) -> Open {
        Open {
            my_as: u16::try_from(asn).unwrap_or(AS_TRANS),
            hold_time,
            bgp_identifier,
            parameters: vec![OptionalParameter::Capabilities(capabilities)],
            extended_length: false,
        }
    }

    /// Decodes the body (after the header).
    ///
    /// Errors: version other than 4 (2/1), BGP Identifier 0.0.0.0 (2/3),
    /// parameters that overrun (2/0). Unknown parameter types are kept;
    /// see [`Open::check_parameters`].
    pub fn decode(mut body: Bytes) -> Result<Open, DecodeError> {
        let short = DecodeError::BadMessageLength(clamp(body.len() + 19));
        let version = body.take_u8().map_err(|_| short.clone())?;
        if version != BGP_VERSION {
            return Err(DecodeError::UnsupportedVersionNumber(version));
        }
        let my_as = body.take_u16().map_err(|_| short.clone())?;
        let hold_time = body.take_u16().map_err(|_| short.clone())?;
        let bgp_identifier = Ipv4Addr::from(body.take_u32().map_err(|_| short.clone())?);
        let length = body.take_u8().map_err(|_| short)?;
        if bgp_identifier.is_unspecified() {
            return Err(DecodeError::BadBgpIdentifier(bgp_identifier));
        }
        let extended_length = length == 255 && body.first() == Some(&255);
        let mut params = if extended_length {
            body.take_u8().map_err(|_| DecodeError::MalformedOpen)?;
            let length = body.take_u16().map_err(|_| DecodeError::MalformedOpen)?;
            body.take_bytes(usize::from(length))
        } else {
            body.take_bytes(usize::from(length))
        }
        .map_err(|_| DecodeError::MalformedOpen)?;
        if !body.is_empty() {
            return Err(DecodeError::MalformedOpen);
        }
        let mut parameters = Vec::new();
        while !params.is_empty() {
            let param_type = params.take_u8().map_err(|_| DecodeError::MalformedOpen)?;
            let length = if extended_length {
                params.take_u16().map(usize::from)
            } else {
                params.take_u8().map(usize::from)
            }
            .map_err(|_| DecodeError::MalformedOpen)?;
            let value = params
                .take_bytes(length)
                .map_err(|_| DecodeError::MalformedOpen)?;
            parameters.push(match param_type {
                CAPABILITIES => OptionalParameter::Capabilities(Capability::decode_all(value)?),
                _ => OptionalParameter::Unknown { param_type, value },
            });
        }
        Ok(Open {
            my_as,
            hold_time,
            bgp_identifier,
            parameters,
            extended_length,
        })
    }

    /// Appends the body (after the header).
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let mut values = Vec::with_capacity(self.parameters.len());
        for parameter in &self.parameters {
            let mut value = BytesMut::new();
            let param_type = match parameter {
                OptionalParameter::Capabilities(capabilities) => {
                    for capability in capabilities {
                        capability.encode(&mut value)?;
                    }
                    CAPABILITIES
                }
                OptionalParameter::Unknown {
                    param_type,
                    value: raw,
                } => {
                    value.put_slice(raw);
                    *param_type
                }
            };
            values.push((param_type, value));
        }
        let classic_len: usize = values.iter().map(|(_, v)| v.len() + 2).sum();
        // RFC 9072 §2: a classic length of 255 followed by type 255 would
        // read as the extended form.
        let first_type = values.first().map(|(t, _)| *t);
        let fits_classic = values.iter().all(|(_, v)| v.len() <= 255)
            && (classic_len < 255 || (classic_len == 255 && first_type != Some(255)));
        out.put_u8(BGP_VERSION);
        out.put_u16(self.my_as);
        out.put_u16(self.hold_time);
        out.put_slice(&self.bgp_identifier.octets());
        if fits_classic && !self.extended_length {
            out.put_u8(classic_len as u8);
            for (param_type, value) in &values {
                out.put_u8(*param_type);
                out.put_u8(value.len() as u8);
                out.put_slice(value);
            }
        } else {
            let length: usize = values.iter().map(|(_, v)| v.len() + 3).sum();
            let too_long = |length| EncodeError::FieldTooLong {
                field: "optional parameters",
                length,
            };
            out.put_u8(255);
            out.put_u8(255);
            out.put_u16(u16::try_from(length).map_err(|_| too_long(length))?);
            for (param_type, value) in &values {
                out.put_u8(*param_type);
                out.put_u16(u16::try_from(value.len()).map_err(|_| too_long(value.len()))?);
                out.put_slice(value);
            }
        }
        Ok(())
    }

    /// Fails with 2/4 (Unsupported Optional Parameter) when a parameter
    /// other than Capabilities is present (RFC 4271 §6.2, RFC 5492).
    pub fn check_parameters(&self) -> Result<(), DecodeError> {
        for parameter in &self.parameters {
            if let OptionalParameter::Unknown { param_type, .. } = parameter {
                return Err(DecodeError::UnsupportedOptionalParameter(*param_type));
            }
        }
        Ok(())
    }

    /// Every capability, across all parameters.
    pub fn capabilities(&self) -> impl Iterator<Item = &Capability> {
        self.parameters.iter().flat_map(|p| match p {
            OptionalParameter::Capabilities(c) => c.as_slice(),
            OptionalParameter::Unknown { .. } => &[],
        })
    }

    /// The ASN of the 4-octet AS capability, if sent.
    pub fn four_octet_as(&self) -> Option<u32> {
        self.capabilities().find_map(|c| match c {
            Capability::FourOctetAs(asn) => Some(*asn),
            _ => None,
        })
    }

    /// The speaker's ASN: the 4-octet AS capability's, else My AS.
    pub fn asn(&self) -> u32 {
        self.four_octet_as().unwrap_or(u32::from(self.my_as))
    }

    /// All ADD-PATH families announced.
    pub fn add_path(&self) -> Vec<AddPathFamily> {
        self.capabilities()
            .filter_map(|c| match c {
                Capability::AddPath(f) => Some(f.as_slice()),
                _ => None,
            })
            .flatten()
            .copied()
            .collect()
    }

    /// Multiprotocol families announced; IPv4 unicast alone when there is
    /// no Multiprotocol capability (RFC 4760 §8).
    pub fn families(&self) -> BTreeSet<Family> {
        let families: BTreeSet<Family> = self
            .capabilities()
            .filter_map(|c| match c {
                Capability::Multiprotocol(f) => Some(*f),
                _ => None,
            })
            .collect();
        if families.is_empty() {
            BTreeSet::from([Family::IPV4_UNICAST])
        } else {
            families
        }
    }
}

fn clamp(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::bgp::capability::AddPathMode;
    use crate::wire::bgp::{Message, Negotiated};
    use crate::wire::from_hex;

    fn bytes(hex: &str) -> Bytes {
        Bytes::from(from_hex(hex).expect("test hex"))
    }

    fn encode(open: &Open) -> Bytes {
        let mut out = BytesMut::new();
        open.encode(&mut out).expect("encodes");
        out.freeze()
    }

    /// AS 65001, hold 90, id 10.0.0.1; one parameter with MP IPv4 unicast
    /// and route refresh, a second with 4-octet AS 65001 (the grouping FRR
    /// uses: one capability per parameter, and several per parameter).
    const TWO_PARAMS: &str = "04 fde9 005a 0a000001 12 \
        0208 0104 0001 0001 0200 \
        0206 4104 0000fde9";

    #[test]
    fn open_with_grouped_parameters_golden() {
        let open = Open::decode(bytes(TWO_PARAMS)).expect("decodes");
        let expected = Open {
            my_as: 65001,
            hold_time: 90,
            bgp_identifier: Ipv4Addr::new(10, 0, 0, 1),
            parameters: vec![
                OptionalParameter::Capabilities(vec![
                    Capability::Multiprotocol(Family::IPV4_UNICAST),
                    Capability::RouteRefresh,
                ]),
                OptionalParameter::Capabilities(vec![Capability::FourOctetAs(65001)]),
            ],
            extended_length: false,
        };
        assert_eq!(open, expected);
        assert_eq!(encode(&expected), bytes(TWO_PARAMS));
        assert_eq!(open.asn(), 65001);
    }

    #[test]
    fn open_with_rfc9072_extended_parameters_golden() {
        let hex = "04 fde9 005a 0a000001 ff ff 0007 02 0004 0200 0600";
        let open = Open::decode(bytes(hex)).expect("decodes");
        assert!(open.extended_length);
        assert_eq!(
            open.parameters,
            vec![OptionalParameter::Capabilities(vec![
                Capability::RouteRefresh,
                Capability::ExtendedMessage
            ])]
        );
        assert_eq!(encode(&open), bytes(hex));
    }

    #[test]
    fn open_with_large_parameters_switches_to_extended_encoding() {
        let capabilities = (0..100)
            .map(|_| Capability::RouteRefresh)
            .collect::<Vec<_>>();
        let mut open = Open::new(65001, 90, Ipv4Addr::new(1, 1, 1, 1), capabilities.clone());
        open.parameters
            .push(OptionalParameter::Capabilities(capabilities));
        let encoded = encode(&open);
        let decoded = Open::decode(encoded).expect("decodes");
        assert!(decoded.extended_length);
        assert_eq!(decoded.parameters, open.parameters);
    }

    #[test]
    fn unknown_parameter_is_kept_and_is_notification_2_4() {
        let hex = "04 fde9 005a 0a000001 04 0102 abcd";
        let open = Open::decode(bytes(hex)).expect("decodes");
        assert_eq!(
            open.parameters,
            vec![OptionalParameter::Unknown {
                param_type: 1,
                value: bytes("abcd")
            }]
        );
        assert_eq!(encode(&open), bytes(hex));
        let error = open.check_parameters().expect_err("unsupported");
        let n = error.notification();
        assert_eq!((n.code.code(), n.code.subcode()), (2, 4));
    }

    #[test]
    fn unsupported_version_is_notification_2_1_with_max_version() {
        let error = Open::decode(bytes("03 fde9 005a 0a000001 00")).expect_err("version 3");
        assert_eq!(error, DecodeError::UnsupportedVersionNumber(3));
        let n = error.notification();
        assert_eq!((n.code.code(), n.code.subcode()), (2, 1));
        assert_eq!(n.data, bytes("0004"));
    }

    #[test]
    fn zero_bgp_identifier_is_notification_2_3() {
        let error = Open::decode(bytes("04 fde9 005a 00000000 00")).expect_err("id 0");
        let n = error.notification();
        assert_eq!((n.code.code(), n.code.subcode()), (2, 3));
    }

    #[test]
    fn overrunning_parameters_are_notification_2_0() {
        let error = Open::decode(bytes("04 fde9 005a 0a000001 05 0206 0200")).expect_err("overrun");
        assert_eq!(error, DecodeError::MalformedOpen);
        let n = error.notification();
        assert_eq!((n.code.code(), n.code.subcode()), (2, 0));
    }

    #[test]
    fn negotiated_from_opens_intersects_per_rfc() {
        let id = Ipv4Addr::new(1, 1, 1, 1);
        let v4 = Family::IPV4_UNICAST;
        let v6 = Family::IPV6_UNICAST;
        let local = Open::new(
            65001,
            90,
            id,
            vec![
                Capability::Multiprotocol(v4),
                Capability::Multiprotocol(v6),
                Capability::FourOctetAs(65001),
                Capability::ExtendedMessage,
                Capability::AddPath(vec![
                    AddPathFamily {
                        family: v4,
                        mode: AddPathMode::Receive,
                    },
                    AddPathFamily {
                        family: v6,
                        mode: AddPathMode::Both,
                    },
                ]),
            ],
        );
        let remote = Open::new(
            65002,
            90,
            id,
            vec![
                Capability::Multiprotocol(v4),
                Capability::FourOctetAs(65002),
                Capability::AddPath(vec![
                    AddPathFamily {
                        family: v4,
                        mode: AddPathMode::Both,
                    },
                    AddPathFamily {
                        family: v6,
                        mode: AddPathMode::Receive,
                    },
                ]),
            ],
        );
        let cx = Negotiated::from_opens(&local, &remote);
        assert!(cx.four_octet_as);
        assert!(!cx.extended_message, "only one side sent it");
        assert_eq!(cx.add_path_receive, BTreeSet::from([v4]));
        assert_eq!(cx.add_path_send, BTreeSet::from([v6]));
        assert_eq!(cx.families, BTreeSet::from([v4]));
        assert!(cx.external);
        assert_eq!(Negotiated::default().families, BTreeSet::from([v4]));
    }

    #[test]
    fn open_message_golden_with_header() {
        let body = bytes(TWO_PARAMS);
        let mut whole = BytesMut::new();
        whole.put_slice(&[0xff; 16]);
        whole.put_u16(19 + body.len() as u16);
        whole.put_u8(1);
        whole.put_slice(&body);
        let whole = whole.freeze();
        let cx = Negotiated::default();
        let message = Message::decode(whole.clone(), &cx).expect("decodes");
        assert_eq!(message.to_bytes(&cx).expect("encodes"), whole);
    }
}
