//! `global rib add PREFIX [nexthop A] [aspath "1 2 3"] [community X,Y]
//! [med N] [local-pref N] [origin igp|egp|incomplete]`: the words read
//! into a [`RouteSpec`], and the spec as the API's `Path` (the `Any`
//! attributes gobgp sends).
//!
//! The prefix's address and length go to bgpd as written: bgpd judges
//! them and answers INVALID_ARGUMENT for a malformed one, so the daemon
//! stays the one place that decides what a valid route is.

use prost_types::Any;

use super::cli::AddressFamily;
use crate::api::proto;

/// A route to originate, as the command line gave it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteSpec {
    /// The prefix's address, as written.
    pub address: String,
    /// The prefix length (the address's full length when absent).
    pub prefix_len: u32,
    /// The family: `-a`, or else the address's (a `:` makes it IPv6).
    pub ipv6: bool,
    /// `nexthop` (0.0.0.0 or :: when absent, as gobgp).
    pub next_hop: Option<String>,
    /// `aspath`: one AS_SEQUENCE.
    pub as_path: Vec<u32>,
    /// `community`: RFC 1997 values.
    pub communities: Vec<u32>,
    /// `med`.
    pub med: Option<u32>,
    /// `local-pref`.
    pub local_pref: Option<u32>,
    /// `origin`: 0 IGP, 1 EGP, 2 INCOMPLETE (the default, as gobgp).
    pub origin: u32,
}

/// Reads `PREFIX` and the keyword / value pairs after it; `family` is
/// `-a` when given. Errors name the word at fault.
pub fn parse(
    prefix: &str,
    words: &[String],
    family: Option<AddressFamily>,
) -> Result<RouteSpec, String> {
    let mut spec = prefix_spec(prefix, family)?;
    let mut words = words.iter();
    while let Some(keyword) = words.next() {
        let value = words
            .next()
            .ok_or_else(|| format!("{keyword:?} needs a value"))?;
        match keyword.as_str() {
            "nexthop" => spec.next_hop = Some(value.clone()),
            "aspath" => spec.as_path = as_path(value)?,
            "community" => spec.communities = communities(value)?,
            "med" => spec.med = Some(number("med", value)?),
            "local-pref" => spec.local_pref = Some(number("local-pref", value)?),
            "origin" => {
                spec.origin = match value.as_str() {
                    "igp" => 0,
                    "egp" => 1,
                    "incomplete" => 2,
                    _ => return Err(format!("origin {value:?}: igp, egp or incomplete")),
                }
            }
            _ => {
                return Err(format!(
                    "unknown attribute {keyword:?} (nexthop, aspath, community, med, local-pref, origin)"
                ))
            }
        }
    }
    Ok(spec)
}

/// A prefix as written: `ADDR/LEN` or `ADDR` (a host route).
pub fn prefix_spec(prefix: &str, family: Option<AddressFamily>) -> Result<RouteSpec, String> {
    let (address, len) = match prefix.split_once('/') {
        Some((address, len)) => (address, Some(len)),
        None => (prefix, None),
    };
    let ipv6 = match family {
        Some(f) => f == AddressFamily::Ipv6,
        None => address.contains(':'),
    };
    let prefix_len = match len {
        Some(len) => len
            .parse::<u32>()
            .map_err(|_| format!("prefix {prefix:?}: the length is not a number"))?,
        None if ipv6 => 128,
        None => 32,
    };
    Ok(RouteSpec {
        address: address.to_string(),
        prefix_len,
        ipv6,
        origin: 2,
        ..RouteSpec::default()
    })
}

fn number(keyword: &str, value: &str) -> Result<u32, String> {
    value
        .parse()
        .map_err(|_| format!("{keyword} {value:?}: not a number from 0 to 4294967295"))
}

fn as_path(value: &str) -> Result<Vec<u32>, String> {
    value
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(|asn| {
            asn.parse()
                .map_err(|_| format!("aspath {value:?}: {asn:?} is not an AS number"))
        })
        .collect()
}

/// `ASN:VALUE` pairs, a plain 32-bit number, or a well-known name.
fn communities(value: &str) -> Result<Vec<u32>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|c| community(c).ok_or_else(|| format!("community {c:?}: expected ASN:VALUE")))
        .collect()
}

fn community(text: &str) -> Option<u32> {
    match text.to_ascii_lowercase().as_str() {
        "no-export" => return Some(0xFFFF_FF01),
        "no-advertise" => return Some(0xFFFF_FF02),
        "no-export-subconfed" => return Some(0xFFFF_FF03),
        "blackhole" => return Some(0xFFFF_029A),
        _ => {}
    }
    match text.split_once(':') {
        Some((high, low)) => {
            let high: u16 = high.parse().ok()?;
            let low: u16 = low.parse().ok()?;
            Some((u32::from(high) << 16) | u32::from(low))
        }
        None => text.parse().ok(),
    }
}

fn any<M: prost::Name>(message: &M) -> Any {
    Any::from_msg(message).expect("encoding into a Vec cannot fail")
}

impl RouteSpec {
    /// The API family of the route.
    pub fn family(&self) -> proto::Family {
        family(self.ipv6)
    }

    fn nlri(&self) -> proto::IpAddressPrefix {
        proto::IpAddressPrefix {
            prefix_len: self.prefix_len,
            prefix: self.address.clone(),
        }
    }

    /// The prefix alone, as `DeletePath` takes it.
    pub fn prefix_path(&self) -> proto::Path {
        proto::Path {
            nlri: Some(any(&self.nlri())),
            family: Some(self.family()),
            ..Default::default()
        }
    }

    /// The route with its attributes, as `AddPath` takes it: IPv4 next
    /// hops as NEXT_HOP, IPv6 ones in MP_REACH_NLRI.
    pub fn path(&self) -> proto::Path {
        let mut pattrs = vec![any(&proto::OriginAttribute {
            origin: self.origin,
        })];
        let segments = if self.as_path.is_empty() {
            Vec::new()
        } else {
            vec![proto::AsSegment {
                r#type: 2,
                numbers: self.as_path.clone(),
            }]
        };
        pattrs.push(any(&proto::AsPathAttribute { segments }));
        let default_hop = if self.ipv6 { "::" } else { "0.0.0.0" };
        let next_hop = self.next_hop.as_deref().unwrap_or(default_hop).to_string();
        if next_hop.contains(':') || self.ipv6 {
            pattrs.push(any(&proto::MpReachNlriAttribute {
                family: Some(self.family()),
                next_hops: vec![next_hop],
                nlris: vec![any(&self.nlri())],
            }));
        } else {
            pattrs.push(any(&proto::NextHopAttribute { next_hop }));
        }
        if let Some(med) = self.med {
            pattrs.push(any(&proto::MultiExitDiscAttribute { med }));
        }
        if let Some(local_pref) = self.local_pref {
            pattrs.push(any(&proto::LocalPrefAttribute { local_pref }));
        }
        if !self.communities.is_empty() {
            pattrs.push(any(&proto::CommunitiesAttribute {
                communities: self.communities.clone(),
            }));
        }
        proto::Path {
            pattrs,
            ..self.prefix_path()
        }
    }
}

/// The API family for IPv4 or IPv6 unicast.
pub fn family(ipv6: bool) -> proto::Family {
    let afi = if ipv6 {
        proto::family::Afi::Ip6
    } else {
        proto::family::Afi::Ip
    };
    proto::Family {
        afi: afi as i32,
        safi: proto::family::Safi::Unicast as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_attribute_keyword_is_read() {
        let spec = parse(
            "10.9.0.0/24",
            &words(&[
                "nexthop",
                "192.0.2.1",
                "aspath",
                "65001 65002",
                "community",
                "65001:7,no-export",
                "med",
                "5",
                "local-pref",
                "200",
                "origin",
                "igp",
            ]),
            None,
        )
        .expect("valid");
        assert_eq!(
            spec,
            RouteSpec {
                address: "10.9.0.0".into(),
                prefix_len: 24,
                ipv6: false,
                next_hop: Some("192.0.2.1".into()),
                as_path: vec![65001, 65002],
                communities: vec![(65001 << 16) | 7, 0xFFFF_FF01],
                med: Some(5),
                local_pref: Some(200),
                origin: 0,
            }
        );
    }

    #[test]
    fn the_family_comes_from_the_flag_or_the_address() {
        assert!(prefix_spec("2001:db8::/32", None).expect("ok").ipv6);
        assert!(!prefix_spec("10.0.0.0/8", None).expect("ok").ipv6);
        assert!(
            prefix_spec("10.0.0.0/8", Some(AddressFamily::Ipv6))
                .expect("ok")
                .ipv6
        );
        assert_eq!(prefix_spec("10.0.0.1", None).expect("ok").prefix_len, 32);
        assert_eq!(
            prefix_spec("2001:db8::1", None).expect("ok").prefix_len,
            128
        );
    }

    #[test]
    fn bad_words_are_named() {
        let e = parse("10.0.0.0/8", &words(&["med"]), None).expect_err("no value");
        assert!(e.contains("\"med\" needs a value"), "{e}");
        let e = parse("10.0.0.0/8", &words(&["colour", "red"]), None).expect_err("unknown");
        assert!(e.contains("colour"), "{e}");
        let e = parse("10.0.0.0/8", &words(&["community", "1:2:3"]), None).expect_err("bad");
        assert!(e.contains("1:2:3"), "{e}");
        let e = parse("10.0.0.0/8", &words(&["aspath", "1 x"]), None).expect_err("bad");
        assert!(e.contains("\"x\""), "{e}");
        let e = parse("10.0.0.0/8", &words(&["origin", "bgp"]), None).expect_err("bad");
        assert!(e.contains("igp"), "{e}");
        assert!(prefix_spec("10.0.0.0/x", None).is_err());
    }

    #[test]
    fn an_ipv4_route_carries_next_hop_and_an_ipv6_one_mp_reach() {
        let v4 = parse("10.9.0.0/24", &words(&["med", "5"]), None).expect("ok");
        let path = v4.path();
        let names: Vec<&str> = path.pattrs.iter().map(|a| a.type_url.as_str()).collect();
        assert_eq!(
            names,
            [
                "type.googleapis.com/apipb.OriginAttribute",
                "type.googleapis.com/apipb.AsPathAttribute",
                "type.googleapis.com/apipb.NextHopAttribute",
                "type.googleapis.com/apipb.MultiExitDiscAttribute",
            ]
        );
        let v6 = parse("2001:db8:9::/48", &[], None).expect("ok");
        let path = v6.path();
        let reach: proto::MpReachNlriAttribute = path.pattrs[2].to_msg().expect("mp reach");
        assert_eq!(reach.next_hops, ["::"]);
        assert_eq!(path.family, Some(family(true)));
        let nlri: proto::IpAddressPrefix = path.nlri.expect("nlri").to_msg().expect("prefix");
        assert_eq!(
            (nlri.prefix.as_str(), nlri.prefix_len),
            ("2001:db8:9::", 48)
        );
    }
}
