//! ROUTE-REFRESH message (RFC 2918 §3, RFC 7313 §3).
//!
//! ```text
//! +-------------------+---------------------+----------+
//! | AFI (2 octets)    | Subtype (1 octet)   | SAFI (1) |
//! +-------------------+---------------------+----------+
//! ```
//!
//! Subtype (the Reserved octet of RFC 2918): 0 normal request, 1
//! Beginning of Route Refresh (BoRR), 2 End of Route Refresh (EoRR). The
//! message is exactly 23 octets; any other length is NOTIFICATION 7/1
//! with the whole message as data (RFC 7313 §5).

use bytes::{BufMut, Bytes, BytesMut};

use super::error::DecodeError;
use super::HEADER_LEN;
use crate::wire::{Family, Take};

code_enum! {
    /// ROUTE-REFRESH Message Subtype (RFC 7313 §3). A receiver ignores
    /// unknown subtypes.
    pub enum RouteRefreshSubtype: u8 {
        /// 0: normal route refresh request.
        Normal = 0,
        /// 1: Beginning of Route Refresh.
        BeginningOfRefresh = 1,
        /// 2: End of Route Refresh.
        EndOfRefresh = 2,
    }
}

/// A ROUTE-REFRESH message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RouteRefresh {
    /// The family to refresh.
    #[serde(serialize_with = "super::display")]
    pub family: Family,
    /// Request, BoRR or EoRR.
    pub subtype: RouteRefreshSubtype,
}

impl RouteRefresh {
    /// A normal refresh request for `family`.
    pub fn request(family: Family) -> RouteRefresh {
        RouteRefresh {
            family,
            subtype: RouteRefreshSubtype::Normal,
        }
    }

    /// Decodes the body (after the header): exactly 4 octets.
    pub fn decode(body: Bytes) -> Result<RouteRefresh, DecodeError> {
        if body.len() != 4 {
            return Err(DecodeError::InvalidRouteRefreshLength(whole_message(&body)));
        }
        let mut b = body.clone();
        let invalid = |_| DecodeError::InvalidRouteRefreshLength(whole_message(&body));
        let afi = b.take_u16().map_err(invalid)?;
        let subtype = b.take_u8().map_err(invalid)?;
        let safi = b.take_u8().map_err(invalid)?;
        Ok(RouteRefresh {
            family: Family::new(afi, safi),
            subtype: subtype.into(),
        })
    }

    /// Appends the body (after the header).
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u16(self.family.afi.into());
        out.put_u8(self.subtype.into());
        out.put_u8(self.family.safi.into());
    }
}

/// Rebuilds the whole message (header and body) for NOTIFICATION data.
fn whole_message(body: &Bytes) -> Bytes {
    let mut out = BytesMut::with_capacity(HEADER_LEN + body.len());
    out.put_slice(&[0xff; 16]);
    out.put_u16(u16::try_from(HEADER_LEN + body.len()).unwrap_or(u16::MAX));
    out.put_u8(5);
    out.put_slice(body);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::bgp::{Message, Negotiated};
    use crate::wire::from_hex;

    fn bytes(hex: &str) -> Bytes {
        Bytes::from(from_hex(hex).expect("test hex"))
    }

    #[test]
    fn route_refresh_subtypes_golden() {
        for (hex, subtype) in [
            ("0002 00 01", RouteRefreshSubtype::Normal),
            ("0002 01 01", RouteRefreshSubtype::BeginningOfRefresh),
            ("0002 02 01", RouteRefreshSubtype::EndOfRefresh),
            ("0002 07 01", RouteRefreshSubtype::Unknown(7)),
        ] {
            let expected = RouteRefresh {
                family: Family::IPV6_UNICAST,
                subtype,
            };
            assert_eq!(RouteRefresh::decode(bytes(hex)), Ok(expected));
            let mut out = BytesMut::new();
            expected.encode(&mut out);
            assert_eq!(out.freeze(), bytes(hex));
        }
    }

    #[test]
    fn route_refresh_of_wrong_length_is_notification_7_1_with_whole_message() {
        let msg = bytes("ffffffffffffffffffffffffffffffff 0018 05 0001 00 01 00");
        let error = Message::decode(msg.clone(), &Negotiated::default()).expect_err("24 octets");
        let n = error.notification();
        assert_eq!((n.code.code(), n.code.subcode()), (7, 1));
        assert_eq!(n.data, msg);
    }
}
