//! `-j`: the answers as JSON, in gobgp's shapes where gobgp has one (the
//! rib as `{"PREFIX": [path, …]}`, paths with `attrs`, `neighbor-ip`,
//! `source-id`) and the API's field names otherwise.

use serde_json::{json, Map, Value};

use super::attrs::{self, Shown};
use crate::api::proto;

/// One path.
pub fn path(path: &proto::Path) -> Value {
    let shown: Shown = attrs::show(path);
    json!({
        "nlri": {"prefix": shown.prefix},
        "age": path.age.as_ref().map_or(Value::Null, |t| json!(t.seconds)),
        "best": shown.best,
        "attrs": shown.json_attrs,
        "stale": path.stale,
        "withdrawal": shown.withdrawal,
        "id": shown.id,
        "local-id": shown.local_id,
        "source-id": shown.source_id,
        "neighbor-ip": shown.neighbor_ip,
    })
}

/// A rib listing: each destination's prefix to its paths.
pub fn rib(destinations: &[proto::Destination]) -> Value {
    let mut map = Map::new();
    for destination in destinations {
        let paths: Vec<Value> = destination.paths.iter().map(path).collect();
        map.insert(destination.prefix.clone(), Value::Array(paths));
    }
    Value::Object(map)
}

/// `global`.
pub fn global(global: &proto::Global) -> Value {
    json!({
        "asn": global.asn,
        "router_id": global.router_id,
        "listen_port": global.listen_port,
        "listen_addresses": global.listen_addresses,
    })
}

/// `global rib summary`.
pub fn summary(table: &proto::GetTableResponse) -> Value {
    json!({
        "num_destination": table.num_destination,
        "num_path": table.num_path,
        "num_accepted": table.num_accepted,
    })
}

/// `bmp`.
pub fn bmp(stations: &[proto::list_bmp_response::BmpStation]) -> Value {
    let seconds = |t: Option<&prost_types::Timestamp>| t.map_or(Value::Null, |t| json!(t.seconds));
    let list: Vec<Value> = stations
        .iter()
        .map(|s| {
            let conf = s.conf.clone().unwrap_or_default();
            let state = s.state.unwrap_or_default();
            json!({
                "conf": {"address": conf.address, "port": conf.port},
                "state": {
                    "uptime": seconds(state.uptime.as_ref()),
                    "downtime": seconds(state.downtime.as_ref()),
                },
            })
        })
        .collect();
    Value::Array(list)
}

#[cfg(test)]
mod tests {
    use prost_types::Any;

    use super::*;

    fn any<M: prost::Name>(m: &M) -> Any {
        Any::from_msg(m).expect("encode")
    }

    #[test]
    fn the_rib_is_keyed_by_prefix_with_gobgps_path_fields() {
        let destination = proto::Destination {
            prefix: "10.0.0.0/24".into(),
            paths: vec![proto::Path {
                nlri: Some(any(&proto::IpAddressPrefix {
                    prefix_len: 24,
                    prefix: "10.0.0.0".into(),
                })),
                pattrs: vec![
                    any(&proto::OriginAttribute { origin: 0 }),
                    any(&proto::AsPathAttribute { segments: vec![] }),
                    any(&proto::NextHopAttribute {
                        next_hop: "192.0.2.2".into(),
                    }),
                    any(&proto::MultiExitDiscAttribute { med: 1 }),
                ],
                best: true,
                neighbor_ip: "192.0.2.2".into(),
                age: Some(prost_types::Timestamp {
                    seconds: 42,
                    nanos: 0,
                }),
                ..Default::default()
            }],
        };
        let value = rib(&[destination]);
        let path = &value["10.0.0.0/24"][0];
        assert_eq!(path["best"], true);
        assert_eq!(path["neighbor-ip"], "192.0.2.2");
        assert_eq!(path["nlri"]["prefix"], "10.0.0.0/24");
        assert_eq!(path["age"], 42);
        let types: Vec<&Value> = path["attrs"]
            .as_array()
            .expect("attrs")
            .iter()
            .map(|a| &a["type"])
            .collect();
        assert_eq!(types, [1, 2, 3, 4]);
    }

    #[test]
    fn summary_and_global_use_the_api_names() {
        let value = summary(&proto::GetTableResponse {
            num_destination: 2,
            num_path: 3,
            num_accepted: 1,
        });
        assert_eq!(
            value,
            json!({"num_destination": 2, "num_path": 3, "num_accepted": 1})
        );
        let value = global(&proto::Global {
            asn: 65001,
            router_id: "10.0.0.1".into(),
            ..Default::default()
        });
        assert_eq!(value["asn"], 65001);
        assert_eq!(value["router_id"], "10.0.0.1");
    }
}
