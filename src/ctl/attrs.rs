//! One API path read for display: prefix, next hop, AS_PATH and the other
//! attributes as gobgp prints them (`{Origin: i} {Med: 10}`) and as JSON
//! objects (`{"type": 4, "metric": 10}`).
//!
//! The typed `Any` attributes are read (bgpd fills them beside the binary
//! ones); an attribute that does not decode shows as unknown instead of
//! failing the listing.

use std::time::{Duration, SystemTime};

use prost_types::Any;
use serde_json::{json, Value};

use crate::api::proto;

/// A path, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// `ADDR/LEN`.
    pub prefix: String,
    /// The next hop (NEXT_HOP, or MP_REACH_NLRI's first).
    pub next_hop: String,
    /// The AS_PATH as gobgp prints it (`65001 {65002,65003}`).
    pub as_path: String,
    /// The other attributes, one `{Name: value}` each, in order.
    pub attrs: Vec<String>,
    /// Every attribute as gobgp's JSON object, in order.
    pub json_attrs: Vec<Value>,
    /// When the path was learned.
    pub age: Option<SystemTime>,
    /// Selected as best.
    pub best: bool,
    /// The path identifier received (ADD-PATH).
    pub id: u32,
    /// The path identifier we send.
    pub local_id: u32,
    /// The neighbor it came from (empty for local routes).
    pub neighbor_ip: String,
    /// The neighbor's router id.
    pub source_id: String,
    /// A withdrawal (monitoring).
    pub withdrawal: bool,
}

fn name(any: &Any) -> &str {
    any.type_url.rsplit('/').next().unwrap_or_default()
}

fn decode<M: prost::Message + Default>(any: &Any) -> Option<M> {
    M::decode(any.value.as_slice()).ok()
}

/// `ADDR/LEN` of an `IPAddressPrefix`.
pub fn prefix_of(any: &Any) -> Option<String> {
    let p: proto::IpAddressPrefix = decode(any)?;
    Some(format!("{}/{}", p.prefix, p.prefix_len))
}

/// A protobuf timestamp as a wall-clock time.
pub fn time_of(t: &prost_types::Timestamp) -> SystemTime {
    let seconds = u64::try_from(t.seconds).unwrap_or(0);
    let nanos = u32::try_from(t.nanos).unwrap_or(0).min(999_999_999);
    SystemTime::UNIX_EPOCH + Duration::new(seconds, nanos)
}

/// Reads `path`.
pub fn show(path: &proto::Path) -> Shown {
    let mut shown = Shown {
        prefix: path.nlri.as_ref().and_then(prefix_of).unwrap_or_default(),
        next_hop: String::new(),
        as_path: String::new(),
        attrs: Vec::new(),
        json_attrs: Vec::new(),
        age: path.age.as_ref().map(time_of),
        best: path.best,
        id: path.identifier,
        local_id: path.local_identifier,
        neighbor_ip: path.neighbor_ip.clone(),
        source_id: path.source_id.clone(),
        withdrawal: path.is_withdraw,
    };
    for attribute in &path.pattrs {
        read_attribute(attribute, &mut shown);
    }
    shown
}

fn read_attribute(any: &Any, shown: &mut Shown) {
    let (text, value) = match name(any) {
        "apipb.AsPathAttribute" => match decode::<proto::AsPathAttribute>(any) {
            Some(m) => {
                shown.as_path = as_path_text(&m.segments);
                shown.json_attrs.push(as_path_json(&m.segments));
                return;
            }
            None => unknown(any),
        },
        "apipb.NextHopAttribute" => match decode::<proto::NextHopAttribute>(any) {
            Some(m) => {
                shown
                    .json_attrs
                    .push(json!({"type": 3, "nexthop": m.next_hop}));
                shown.next_hop = m.next_hop;
                return;
            }
            None => unknown(any),
        },
        "apipb.MpReachNLRIAttribute" => match decode::<proto::MpReachNlriAttribute>(any) {
            Some(m) => {
                shown.next_hop = m.next_hops.first().cloned().unwrap_or_default();
                let nlris: Vec<Value> = m
                    .nlris
                    .iter()
                    .filter_map(prefix_of)
                    .map(|p| json!({"prefix": p}))
                    .collect();
                shown.json_attrs.push(json!({
                    "type": 14,
                    "nexthop": shown.next_hop,
                    "value": nlris,
                }));
                return;
            }
            None => unknown(any),
        },
        _ => plain(any).unwrap_or_else(|| unknown(any)),
    };
    shown.attrs.push(text);
    shown.json_attrs.push(value);
}

/// The attributes shown in the Attrs column.
fn plain(any: &Any) -> Option<(String, Value)> {
    Some(match name(any) {
        "apipb.OriginAttribute" => {
            let origin = decode::<proto::OriginAttribute>(any)?.origin;
            let letter = match origin {
                0 => "i",
                1 => "e",
                _ => "?",
            };
            (
                format!("{{Origin: {letter}}}"),
                json!({"type": 1, "value": origin}),
            )
        }
        "apipb.MultiExitDiscAttribute" => {
            let med = decode::<proto::MultiExitDiscAttribute>(any)?.med;
            (format!("{{Med: {med}}}"), json!({"type": 4, "metric": med}))
        }
        "apipb.LocalPrefAttribute" => {
            let pref = decode::<proto::LocalPrefAttribute>(any)?.local_pref;
            (
                format!("{{LocalPref: {pref}}}"),
                json!({"type": 5, "value": pref}),
            )
        }
        "apipb.AtomicAggregateAttribute" => ("{AtomicAggregate}".into(), json!({"type": 6})),
        "apipb.AggregatorAttribute" => {
            let m = decode::<proto::AggregatorAttribute>(any)?;
            (
                format!("{{Aggregate: {{AS: {}, Address: {}}}}}", m.asn, m.address),
                json!({"type": 7, "as": m.asn, "address": m.address}),
            )
        }
        "apipb.CommunitiesAttribute" => {
            let m = decode::<proto::CommunitiesAttribute>(any)?;
            let text: Vec<String> = m.communities.iter().map(|c| community(*c)).collect();
            (
                format!("{{Communities: {}}}", text.join(", ")),
                json!({"type": 8, "communities": m.communities}),
            )
        }
        "apipb.OriginatorIdAttribute" => {
            let id = decode::<proto::OriginatorIdAttribute>(any)?.id;
            (
                format!("{{Originator: {id}}}"),
                json!({"type": 9, "value": id}),
            )
        }
        "apipb.ClusterListAttribute" => {
            let ids = decode::<proto::ClusterListAttribute>(any)?.ids;
            (
                format!("{{ClusterList: [{}]}}", ids.join(", ")),
                json!({"type": 10, "value": ids}),
            )
        }
        "apipb.LargeCommunitiesAttribute" => {
            let m = decode::<proto::LargeCommunitiesAttribute>(any)?;
            let text: Vec<String> = m
                .communities
                .iter()
                .map(|c| format!("{}:{}:{}", c.global_admin, c.local_data1, c.local_data2))
                .collect();
            let values: Vec<Value> = m
                .communities
                .iter()
                .map(|c| {
                    json!({
                        "global_admin": c.global_admin,
                        "local_data1": c.local_data1,
                        "local_data2": c.local_data2,
                    })
                })
                .collect();
            (
                format!("{{LargeCommunity: [{}]}}", text.join(", ")),
                json!({"type": 32, "value": values}),
            )
        }
        "apipb.UnknownAttribute" => {
            let m = decode::<proto::UnknownAttribute>(any)?;
            (
                format!("{{UnknownType: {}, Value: {}}}", m.r#type, hex(&m.value)),
                json!({"type": m.r#type, "flags": m.flags, "value": hex(&m.value)}),
            )
        }
        _ => return None,
    })
}

fn unknown(any: &Any) -> (String, Value) {
    let kind = name(any);
    (
        format!("{{Unreadable: {kind}}}"),
        json!({"type_url": any.type_url, "value": hex(&any.value)}),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A community as gobgp prints it: a well-known name or `ASN:VALUE`.
pub fn community(value: u32) -> String {
    let known = match value {
        0xFFFF_0000 => "graceful-shutdown",
        0xFFFF_0001 => "accept-own",
        0xFFFF_0006 => "llgr-stale",
        0xFFFF_0007 => "no-llgr",
        0xFFFF_029A => "blackhole",
        0xFFFF_FF01 => "no-export",
        0xFFFF_FF02 => "no-advertise",
        0xFFFF_FF03 => "no-export-subconfed",
        0xFFFF_FF04 => "no-peer",
        _ => return format!("{}:{}", value >> 16, value & 0xFFFF),
    };
    known.to_string()
}

/// AS_PATH text: a sequence as spaced numbers, a set in braces, a
/// confederation sequence in parentheses and a confederation set in
/// brackets.
pub fn as_path_text(segments: &[proto::AsSegment]) -> String {
    let joined = |numbers: &[u32], separator: &str| {
        numbers
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(separator)
    };
    segments
        .iter()
        .map(|s| match s.r#type {
            1 => format!("{{{}}}", joined(&s.numbers, ",")),
            3 => format!("({})", joined(&s.numbers, " ")),
            4 => format!("[{}]", joined(&s.numbers, ",")),
            _ => joined(&s.numbers, " "),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn as_path_json(segments: &[proto::AsSegment]) -> Value {
    let paths: Vec<Value> = segments
        .iter()
        .map(|s| {
            json!({
                "segment_type": s.r#type,
                "num": s.numbers.len(),
                "asns": s.numbers,
            })
        })
        .collect();
    json!({"type": 2, "as_paths": paths})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any<M: prost::Name>(m: &M) -> Any {
        Any::from_msg(m).expect("encode")
    }

    fn sample() -> proto::Path {
        proto::Path {
            nlri: Some(any(&proto::IpAddressPrefix {
                prefix_len: 24,
                prefix: "10.0.0.0".into(),
            })),
            pattrs: vec![
                any(&proto::OriginAttribute { origin: 2 }),
                any(&proto::AsPathAttribute {
                    segments: vec![
                        proto::AsSegment {
                            r#type: 2,
                            numbers: vec![65002, 65003],
                        },
                        proto::AsSegment {
                            r#type: 1,
                            numbers: vec![1, 2],
                        },
                    ],
                }),
                any(&proto::NextHopAttribute {
                    next_hop: "192.0.2.2".into(),
                }),
                any(&proto::MultiExitDiscAttribute { med: 10 }),
                any(&proto::LocalPrefAttribute { local_pref: 150 }),
                any(&proto::CommunitiesAttribute {
                    communities: vec![(65002 << 16) | 999, 0xFFFF_FF01],
                }),
            ],
            best: true,
            neighbor_ip: "192.0.2.2".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_path_reads_as_gobgp_prints_it() {
        let shown = show(&sample());
        assert_eq!(shown.prefix, "10.0.0.0/24");
        assert_eq!(shown.next_hop, "192.0.2.2");
        assert_eq!(shown.as_path, "65002 65003 {1,2}");
        assert_eq!(
            shown.attrs,
            [
                "{Origin: ?}",
                "{Med: 10}",
                "{LocalPref: 150}",
                "{Communities: 65002:999, no-export}"
            ]
        );
        let types: Vec<u64> = shown
            .json_attrs
            .iter()
            .map(|a| a["type"].as_u64().expect("type"))
            .collect();
        assert_eq!(types, [1, 2, 3, 4, 5, 8]);
        assert_eq!(
            shown.json_attrs[1]["as_paths"][0]["asns"],
            json!([65002, 65003])
        );
    }

    #[test]
    fn an_ipv6_next_hop_comes_from_mp_reach() {
        let mut path = sample();
        path.pattrs[2] = any(&proto::MpReachNlriAttribute {
            family: None,
            next_hops: vec!["2001:db8::2".into()],
            nlris: vec![],
        });
        let shown = show(&path);
        assert_eq!(shown.next_hop, "2001:db8::2");
        assert_eq!(shown.json_attrs[2]["type"], 14);
    }

    #[test]
    fn garbage_attributes_show_as_unreadable_without_failing() {
        let mut path = sample();
        path.pattrs.push(Any {
            type_url: "type.googleapis.com/apipb.MultiExitDiscAttribute".into(),
            value: vec![0xff, 0xff, 0xff],
        });
        path.pattrs.push(Any {
            type_url: "type.googleapis.com/apipb.Mystery".into(),
            value: vec![1],
        });
        path.nlri = Some(Any {
            type_url: "x".into(),
            value: vec![0xff],
        });
        let shown = show(&path);
        assert_eq!(shown.prefix, "");
        assert_eq!(
            &shown.attrs[4..],
            [
                "{Unreadable: apipb.MultiExitDiscAttribute}",
                "{Unreadable: apipb.Mystery}"
            ]
        );
    }

    #[test]
    fn confederation_segments_are_bracketed() {
        let segments = [
            proto::AsSegment {
                r#type: 3,
                numbers: vec![1, 2],
            },
            proto::AsSegment {
                r#type: 4,
                numbers: vec![3, 4],
            },
        ];
        assert_eq!(as_path_text(&segments), "(1 2) [3,4]");
    }
}
