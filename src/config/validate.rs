//! From the raw structs to a checked [`Config`], in gobgpd's order:
//! defined sets and policies, `[global]`, peer groups, neighbors (merged
//! with their group), dynamic neighbors, BMP stations.

use std::collections::HashSet;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Deserialize;
use toml::{Table, Value};

use super::bmp::{bmp_server, BmpServer};
use super::error::{ErrorKind, Invalid, Problem};
use super::file::RawConfig;
use super::global::global;
use super::neighbor::{neighbor, Context, PeerAddress, PeerGroup, RawNeighbor};
use super::policy::{compile, defined_sets, policies};
use super::{Config, DynamicNeighbor, Notes};

impl From<Invalid> for ErrorKind {
    fn from(invalid: Invalid) -> ErrorKind {
        ErrorKind::Invalid {
            key: invalid.key,
            problem: invalid.problem,
        }
    }
}

/// Checks `raw`; `table` is the same file as a lower-cased TOML table, used
/// to merge neighbors with their peer group key by key.
pub(crate) fn validate(raw: &RawConfig, table: &Table) -> Result<Config, ErrorKind> {
    let mut notes = Notes::default();
    rare_sections(raw, &mut notes)?;
    let vrfs = vrf_names(raw)?;
    let sets = defined_sets(&raw.defined_sets, &mut notes)?;
    let policies = policies(&raw.policy_definitions, &sets, &mut notes)?;
    compile(&sets, &policies)?;
    let global = global(&raw.global, &policies, &mut notes)?;
    let context = Context {
        global: &global,
        policies: &policies,
        vrfs: &vrfs,
    };

    let group_tables = array_of_tables(table, "peer-groups");
    let mut peer_groups: Vec<PeerGroup> = Vec::new();
    for (i, group) in raw.peer_groups.iter().enumerate() {
        let key = format!("peer-groups[{i}]");
        let name = group
            .config
            .peer_group_name
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if name.is_empty() {
            return Err(Invalid::new(
                format!("{key}.config.peer-group-name"),
                Problem::EmptyPeerGroupName,
            )
            .into());
        }
        if peer_groups.iter().any(|g| g.name == name) {
            return Err(Invalid::new(key, Problem::DuplicatePeerGroup(name)).into());
        }
        let mut own = group_tables.get(i).cloned().unwrap_or_default();
        if let Some(Value::Table(config)) = own.get_mut("config") {
            config.remove("peer-group-name");
        }
        let raw_template = decode_neighbor(own, &key)?;
        let template = neighbor(
            &raw_template,
            PeerAddress::Dynamic,
            &key,
            &context,
            &mut notes,
        )?;
        peer_groups.push(PeerGroup { name, template });
    }

    let neighbor_tables = array_of_tables(table, "neighbors");
    let mut neighbors = Vec::new();
    let mut seen: HashSet<PeerAddress> = HashSet::new();
    for (i, raw_neighbor) in raw.neighbors.iter().enumerate() {
        let key = format!("neighbors[{i}]");
        let config = &raw_neighbor.config;
        let address = match (
            config.neighbor_address.as_deref().map(str::trim),
            config.neighbor_interface.as_deref(),
        ) {
            (Some(text), _) if !text.is_empty() => {
                PeerAddress::Ip(text.parse::<IpAddr>().map_err(|_| {
                    Invalid::new(
                        format!("{key}.config.neighbor-address"),
                        Problem::InvalidAddress(text.to_owned()),
                    )
                })?)
            }
            (_, Some(interface)) if !interface.trim().is_empty() => {
                PeerAddress::Interface(interface.trim().to_owned())
            }
            _ => {
                return Err(
                    Invalid::new(format!("{key}.config"), Problem::NoNeighborAddress).into(),
                )
            }
        };
        if !seen.insert(address.clone()) {
            let shown = match &address {
                PeerAddress::Ip(ip) => ip.to_string(),
                PeerAddress::Interface(name) => name.clone(),
                PeerAddress::Dynamic => String::new(),
            };
            return Err(Invalid::new(key, Problem::DuplicateNeighbor(shown)).into());
        }
        let merged;
        let effective = match config
            .peer_group
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
        {
            None => raw_neighbor,
            Some(group_name) => {
                let Some(index) = raw.peer_groups.iter().position(|g| {
                    g.config.peer_group_name.as_deref().map(str::trim) == Some(group_name)
                }) else {
                    return Err(Invalid::new(
                        format!("{key}.config.peer-group"),
                        Problem::UnknownPeerGroup(group_name.to_owned()),
                    )
                    .into());
                };
                let own = neighbor_tables.get(i).cloned().unwrap_or_default();
                let group = group_tables.get(index).cloned().unwrap_or_default();
                merged = decode_neighbor(inherit(own, &group, &key, &mut notes), &key)?;
                &merged
            }
        };
        neighbors.push(neighbor(effective, address, &key, &context, &mut notes)?);
    }

    let mut dynamic_neighbors = Vec::new();
    for (i, entry) in raw.dynamic_neighbors.iter().enumerate() {
        let key = format!("dynamic-neighbors[{i}].config");
        let text = entry.config.prefix.as_deref().unwrap_or_default().trim();
        let prefix: IpNet = text.parse().map_err(|_| {
            Invalid::new(
                format!("{key}.prefix"),
                Problem::InvalidPrefix(text.to_owned()),
            )
        })?;
        let group = entry
            .config
            .peer_group
            .as_deref()
            .unwrap_or_default()
            .trim();
        if group.is_empty() {
            return Err(Invalid::new(
                format!("{key}.peer-group"),
                Problem::DynamicNeighborWithoutPeerGroup,
            )
            .into());
        }
        if !peer_groups.iter().any(|g| g.name == group) {
            return Err(Invalid::new(
                format!("{key}.peer-group"),
                Problem::UnknownPeerGroup(group.to_owned()),
            )
            .into());
        }
        dynamic_neighbors.push(DynamicNeighbor {
            prefix: prefix.trunc(),
            peer_group: group.to_owned(),
        });
    }

    let mut bmp_servers: Vec<BmpServer> = Vec::new();
    for (i, server) in raw.bmp_servers.iter().enumerate() {
        let key = format!("bmp-servers[{i}]");
        let server = bmp_server(server, &key, &mut notes)?;
        // gobgpd refuses a second entry for the same station at AddBmp and
        // goes on with the first; so do we, with a warning at load.
        if bmp_servers
            .iter()
            .any(|s| (s.address.as_str(), s.port) == (server.address.as_str(), server.port))
        {
            notes.warn(format!(
                "{key}: {}:{} is already configured; entry ignored",
                server.address, server.port
            ));
            continue;
        }
        bmp_servers.push(server);
    }

    Ok(Config {
        global,
        neighbors,
        peer_groups,
        dynamic_neighbors,
        defined_sets: sets,
        policies,
        bmp_servers,
        unsupported: notes.unsupported,
        warnings: notes.warnings,
    })
}

/// The tables of a top-level array (`[[neighbors]]`), in order.
fn array_of_tables(table: &Table, name: &str) -> Vec<Table> {
    match table.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Table(t) => t.clone(),
                _ => Table::new(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn decode_neighbor(table: Table, key: &str) -> Result<RawNeighbor, ErrorKind> {
    RawNeighbor::deserialize(Value::Table(table)).map_err(|e| ErrorKind::Decode {
        key: key.to_owned(),
        message: e.message().to_owned(),
    })
}

/// gobgpd's `OverwriteNeighborConfigWithPeerGroup`: every key the neighbor
/// does not set comes from the group; `afi-safis` only as a whole. Two
/// quirks are kept on purpose, with a warning when they change a value the
/// neighbor set: the group's `peer-as` always wins (an unset one means any
/// AS), and so does the group's `graceful-restart.config` (a typo in
/// gobgpd's list of inherited keys).
fn inherit(mut neighbor: Table, group: &Table, key: &str, notes: &mut Notes) -> Table {
    let forced = |table: &Table, outer: &str, inner: &str| -> Option<Value> {
        match table.get(outer) {
            Some(Value::Table(t)) => t.get(inner).cloned(),
            _ => None,
        }
    };
    let group_peer_as = forced(group, "config", "peer-as");
    let own_peer_as = forced(&neighbor, "config", "peer-as");
    let group_gr = forced(group, "graceful-restart", "config");
    let own_gr = forced(&neighbor, "graceful-restart", "config");
    fill(&mut neighbor, group);
    if let Some(Value::Table(config)) = neighbor.get_mut("config") {
        config.remove("peer-group-name");
        match &group_peer_as {
            Some(asn) => config.insert("peer-as".to_owned(), asn.clone()),
            None => config.remove("peer-as"),
        };
    }
    if own_peer_as.is_some() && own_peer_as != group_peer_as {
        notes.warn(format!(
            "{key}.config.peer-as: the peer group's peer-as overrides the neighbor's (gobgpd behaviour){}",
            if group_peer_as.is_none() { "; the group sets none, so any AS is accepted" } else { "" }
        ));
    }
    if let Some(Value::Table(gr)) = neighbor.get_mut("graceful-restart") {
        match &group_gr {
            Some(config) => gr.insert("config".to_owned(), config.clone()),
            None => gr.remove("config"),
        };
    }
    if own_gr.is_some() && own_gr != group_gr {
        notes.warn(format!(
            "{key}.graceful-restart.config: replaced by the peer group's (gobgpd behaviour)"
        ));
    }
    neighbor
}

/// Copies into `target` every key of `source` it lacks, recursing into
/// tables; arrays and scalars of `target` are kept whole.
fn fill(target: &mut Table, source: &Table) {
    for (name, value) in source {
        match (target.get_mut(name), value) {
            (Some(Value::Table(inner)), Value::Table(from)) => fill(inner, from),
            (Some(_), _) => {}
            (None, _) => {
                target.insert(name.clone(), value.clone());
            }
        }
    }
}

/// Sections gobgpd parses that we do not act on, and `[collector]`, which
/// gobgpd refuses.
fn rare_sections(raw: &RawConfig, notes: &mut Notes) -> Result<(), Invalid> {
    if let Some(collector) = &raw.collector {
        if collector
            .config
            .url
            .as_deref()
            .is_some_and(|u| !u.is_empty())
        {
            return Err(Invalid::new(
                "collector.config.url",
                Problem::CollectorNotSupported,
            ));
        }
        notes.unsupported("collector".to_owned());
    }
    for (present, name) in [
        (!raw.rpki_servers.is_empty(), "rpki-servers"),
        (!raw.vrfs.is_empty(), "vrfs"),
        (!raw.mrt_dump.is_empty(), "mrt-dump"),
        (raw.zebra.is_some(), "zebra"),
        (raw.global.state.is_some(), "global.state"),
    ] {
        if present {
            notes.unsupported(name.to_owned());
        }
    }
    Ok(())
}

/// Checks `[[vrfs]]` names and route distinguishers; returns the names.
fn vrf_names(raw: &RawConfig) -> Result<Vec<String>, Invalid> {
    let mut names: Vec<String> = Vec::new();
    for (i, vrf) in raw.vrfs.iter().enumerate() {
        let key = format!("vrfs[{i}].config");
        let name = vrf.config.name.as_deref().unwrap_or_default().trim();
        if name.is_empty() {
            return Err(Invalid::new(format!("{key}.name"), Problem::EmptyVrfName));
        }
        let rd = vrf.config.rd.as_deref().unwrap_or_default().trim();
        if !valid_route_distinguisher(rd) {
            return Err(Invalid::new(
                format!("{key}.rd"),
                Problem::InvalidRouteDistinguisher(rd.to_owned()),
            ));
        }
        if names.iter().any(|n| n == name) {
            return Err(Invalid::new(
                format!("{key}.name"),
                Problem::DuplicateVrf(name.to_owned()),
            ));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

/// `ASN:N`, `IPv4:N` or `ASN4:N` (RFC 4364 §4.2), as gobgpd parses them.
fn valid_route_distinguisher(rd: &str) -> bool {
    let Some((admin, assigned)) = rd.rsplit_once(':') else {
        return false;
    };
    let admin = admin.trim_end_matches('L');
    if admin.parse::<std::net::Ipv4Addr>().is_ok() {
        return assigned.parse::<u16>().is_ok();
    }
    match admin.parse::<u32>() {
        Ok(asn) if asn <= u32::from(u16::MAX) => assigned.parse::<u32>().is_ok(),
        Ok(_) => assigned.parse::<u16>().is_ok(),
        Err(_) => false,
    }
}
