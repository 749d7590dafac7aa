//! NLRI prefixes (RFC 4271 §4.3) with optional ADD-PATH path ids
//! (RFC 7911 §3).
//!
//! ```text
//! +--------------------------------+
//! | Path Identifier (4 octets)     |  only when ADD-PATH is negotiated
//! +--------------------------------+
//! | Length (1 octet, in bits)      |
//! +--------------------------------+
//! | Prefix (ceil(Length/8) octets) |
//! +--------------------------------+
//! ```
//!
//! The bits past the prefix length are irrelevant (RFC 4271 §4.3): they are
//! accepted and masked off, and encoding writes the minimal octet count.
//! Decoding is one tight loop over a slice with no allocation per prefix
//! beyond the output `Vec`.

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, BytesMut};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::error::EncodeError;
use crate::wire::Afi;

/// One prefix, with its ADD-PATH path id when the session carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Nlri {
    /// Path Identifier (RFC 7911), present only when negotiated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_id: Option<u32>,
    /// The prefix, host bits zero.
    #[serde(serialize_with = "super::display")]
    pub prefix: IpNet,
}

impl Nlri {
    /// A prefix without a path id; host bits are cleared.
    pub fn new(prefix: IpNet) -> Nlri {
        Nlri {
            path_id: None,
            prefix: prefix.trunc(),
        }
    }

    /// A prefix with a path id; host bits are cleared.
    pub fn with_path_id(prefix: IpNet, path_id: u32) -> Nlri {
        Nlri {
            path_id: Some(path_id),
            prefix: prefix.trunc(),
        }
    }

    /// Octets this prefix takes on the wire.
    pub fn encoded_len(&self, add_path: bool) -> usize {
        let path_id = if add_path { 4 } else { 0 };
        path_id + 1 + usize::from(self.prefix.prefix_len()).div_ceil(8)
    }
}

/// A prefix whose length exceeds the address or whose octets overrun.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidPrefix;

fn mask_v4(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask_v6(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

/// Splits off a path id when `add_path`.
#[inline(always)]
fn take_path_id(data: &[u8], add_path: bool) -> Result<(Option<u32>, &[u8]), InvalidPrefix> {
    if !add_path {
        return Ok((None, data));
    }
    let (id, rest) = data.split_first_chunk::<4>().ok_or(InvalidPrefix)?;
    Ok((Some(u32::from_be_bytes(*id)), rest))
}

/// Decodes IPv4 prefixes, appending to `out`.
pub fn decode_v4(
    mut data: &[u8],
    add_path: bool,
    out: &mut Vec<Nlri>,
) -> Result<(), InvalidPrefix> {
    if data.is_empty() {
        return Ok(());
    }
    out.reserve(data.len() / 4 + 1);
    while !data.is_empty() {
        let (path_id, rest) = take_path_id(data, add_path)?;
        let (&len, rest) = rest.split_first().ok_or(InvalidPrefix)?;
        if len > 32 {
            return Err(InvalidPrefix);
        }
        let octets = usize::from(len).div_ceil(8);
        let (bytes, rest) = rest.split_at_checked(octets).ok_or(InvalidPrefix)?;
        let mut addr = [0u8; 4];
        if let Some(head) = addr.get_mut(..octets) {
            head.copy_from_slice(bytes);
        }
        let addr = Ipv4Addr::from(u32::from_be_bytes(addr) & mask_v4(len));
        let net = Ipv4Net::new(addr, len).map_err(|_| InvalidPrefix)?;
        out.push(Nlri {
            path_id,
            prefix: IpNet::V4(net),
        });
        data = rest;
    }
    Ok(())
}

/// Decodes IPv6 prefixes, appending to `out`.
pub fn decode_v6(
    mut data: &[u8],
    add_path: bool,
    out: &mut Vec<Nlri>,
) -> Result<(), InvalidPrefix> {
    out.reserve(data.len() / 8 + 1);
    while !data.is_empty() {
        let (path_id, rest) = take_path_id(data, add_path)?;
        let (&len, rest) = rest.split_first().ok_or(InvalidPrefix)?;
        if len > 128 {
            return Err(InvalidPrefix);
        }
        let octets = usize::from(len).div_ceil(8);
        let (bytes, rest) = rest.split_at_checked(octets).ok_or(InvalidPrefix)?;
        let mut addr = [0u8; 16];
        if let Some(head) = addr.get_mut(..octets) {
            head.copy_from_slice(bytes);
        }
        let addr = Ipv6Addr::from(u128::from_be_bytes(addr) & mask_v6(len));
        let net = Ipv6Net::new(addr, len).map_err(|_| InvalidPrefix)?;
        out.push(Nlri {
            path_id,
            prefix: IpNet::V6(net),
        });
        data = rest;
    }
    Ok(())
}

/// Decodes the prefixes of an IPv4 or IPv6 family.
pub fn decode(data: &[u8], afi: Afi, add_path: bool) -> Result<Vec<Nlri>, InvalidPrefix> {
    let mut out = Vec::new();
    match afi {
        Afi::Ipv4 => decode_v4(data, add_path, &mut out)?,
        Afi::Ipv6 => decode_v6(data, add_path, &mut out)?,
        _ => return Err(InvalidPrefix),
    }
    Ok(out)
}

/// Appends one prefix. With `add_path` a missing path id is written as 0;
/// without it the path id is not sent (it was not negotiated).
pub fn encode_one(nlri: &Nlri, add_path: bool, out: &mut BytesMut) {
    if add_path {
        out.put_u32(nlri.path_id.unwrap_or(0));
    }
    let len = nlri.prefix.prefix_len();
    let octets = usize::from(len).div_ceil(8);
    out.put_u8(len);
    match nlri.prefix {
        IpNet::V4(net) => {
            let addr = (u32::from(net.addr()) & mask_v4(len)).to_be_bytes();
            out.put_slice(addr.get(..octets).unwrap_or_default());
        }
        IpNet::V6(net) => {
            let addr = (u128::from(net.addr()) & mask_v6(len)).to_be_bytes();
            out.put_slice(addr.get(..octets).unwrap_or_default());
        }
    }
}

/// Appends prefixes that must all be of `afi`.
pub fn encode(
    nlri: &[Nlri],
    afi: Afi,
    add_path: bool,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    for n in nlri {
        if !matches_afi(n, afi) {
            return Err(EncodeError::FamilyMismatch);
        }
        encode_one(n, add_path, out);
    }
    Ok(())
}

/// The prefix is of this address family.
pub fn matches_afi(nlri: &Nlri, afi: Afi) -> bool {
    matches!(
        (nlri.prefix, afi),
        (IpNet::V4(_), Afi::Ipv4) | (IpNet::V6(_), Afi::Ipv6)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::from_hex;

    fn net(s: &str) -> IpNet {
        s.parse().expect("test prefix")
    }

    #[test]
    fn v4_prefixes_golden() {
        let bytes = from_hex("18 0a0001  00  20 c0000201  09 8000").expect("hex");
        let expected = vec![
            Nlri::new(net("10.0.1.0/24")),
            Nlri::new(net("0.0.0.0/0")),
            Nlri::new(net("192.0.2.1/32")),
            Nlri::new(net("128.0.0.0/9")),
        ];
        assert_eq!(decode(&bytes, Afi::Ipv4, false), Ok(expected.clone()));
        let mut out = BytesMut::new();
        encode(&expected, Afi::Ipv4, false, &mut out).expect("encodes");
        assert_eq!(&out[..], &bytes[..]);
    }

    #[test]
    fn v6_prefixes_with_path_ids_golden() {
        let bytes =
            from_hex("00000001 30 20010db80001  0000000a 40 20010db800000000").expect("hex");
        let expected = vec![
            Nlri::with_path_id(net("2001:db8:1::/48"), 1),
            Nlri::with_path_id(net("2001:db8::/64"), 10),
        ];
        assert_eq!(decode(&bytes, Afi::Ipv6, true), Ok(expected.clone()));
        let mut out = BytesMut::new();
        encode(&expected, Afi::Ipv6, true, &mut out).expect("encodes");
        assert_eq!(&out[..], &bytes[..]);
    }

    #[test]
    fn trailing_bits_are_masked_and_encode_is_minimal() {
        let bytes = from_hex("17 0a00ff").expect("hex");
        let decoded = decode(&bytes, Afi::Ipv4, false).expect("decodes");
        assert_eq!(decoded, vec![Nlri::new(net("10.0.254.0/23"))]);
        let mut out = BytesMut::new();
        encode(&decoded, Afi::Ipv4, false, &mut out).expect("encodes");
        assert_eq!(&out[..], &from_hex("17 0a00fe").expect("hex")[..]);
    }

    #[test]
    fn prefix_longer_than_address_is_invalid() {
        assert_eq!(
            decode(&[33, 1, 2, 3, 4, 5], Afi::Ipv4, false),
            Err(InvalidPrefix)
        );
        let mut v6 = vec![129];
        v6.extend([0; 17]);
        assert_eq!(decode(&v6, Afi::Ipv6, false), Err(InvalidPrefix));
    }

    #[test]
    fn prefix_overrunning_the_field_is_invalid() {
        assert_eq!(decode(&[24, 10, 0], Afi::Ipv4, false), Err(InvalidPrefix));
        assert_eq!(decode(&[0, 0, 0], Afi::Ipv4, true), Err(InvalidPrefix));
    }

    #[test]
    fn encoding_a_v6_prefix_as_v4_is_an_error() {
        let mut out = BytesMut::new();
        let v6 = [Nlri::new(net("2001:db8::/32"))];
        assert_eq!(
            encode(&v6, Afi::Ipv4, false, &mut out),
            Err(EncodeError::FamilyMismatch)
        );
    }
}
