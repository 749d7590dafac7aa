//! AddPeer's `Peer` as a neighbor: the fields `gobgp neighbor add` sets
//! (address, AS, families, route-reflector and route-server client,
//! allow-own-as, remove-private-as, replace-peer-as, ebgp-multihop, vrf)
//! and a few more an API client may set (local AS, description,
//! admin-down, a TCP MD5 password, passive mode, remote port, local
//! address, timers). The `Peer` message bgpd serves has no apply-policy,
//! graceful restart or add-paths: such a neighbor belongs in the file.

use std::net::IpAddr;

use tonic::Status;

use super::{convert, proto};
use crate::config::{runtime_neighbor, Global, Neighbor, NeighborSpec};

fn invalid(message: String) -> Status {
    Status::invalid_argument(message)
}

fn address(conf: &proto::PeerConf, state: Option<&proto::PeerState>) -> Result<IpAddr, Status> {
    if !conf.neighbor_interface.is_empty() {
        return Err(Status::unimplemented(
            "bgpd has no neighbor-interface (unnumbered) peers",
        ));
    }
    let text = match (conf.neighbor_address.as_str(), state) {
        ("", Some(state)) => state.neighbor_address.as_str(),
        (text, _) => text,
    };
    if text.is_empty() {
        return Err(invalid("AddPeer needs a neighbor address".into()));
    }
    text.parse()
        .map_err(|_| invalid(format!("neighbor address {text:?} is not an address")))
}

fn small(value: u32, what: &str) -> Result<u8, Status> {
    u8::try_from(value).map_err(|_| invalid(format!("{what} {value} is more than 255")))
}

fn families(peer: &proto::Peer) -> Result<Vec<String>, Status> {
    peer.afi_safis
        .iter()
        .filter_map(|a| a.config.as_ref())
        .map(|c| {
            convert::family_from(c.family.as_ref())
                .map(|f| f.to_string())
                .ok_or_else(|| invalid("bgpd serves ipv4-unicast and ipv6-unicast only".into()))
        })
        .collect()
}

fn spec(peer: &proto::Peer) -> Result<NeighborSpec, Status> {
    use proto::peer_conf::RemovePrivateAs;
    let conf = peer
        .conf
        .as_ref()
        .ok_or_else(|| invalid("AddPeer needs the peer's conf".into()))?;
    let mut spec = NeighborSpec::new(address(conf, peer.state.as_ref())?, conf.peer_asn);
    spec.local_as = conf.local_asn;
    spec.description = conf.description.clone();
    spec.admin_down = conf.admin_down;
    spec.auth_password = conf.auth_password.clone();
    spec.vrf = conf.vrf.clone();
    spec.allow_own_as = small(conf.allow_own_as, "allow-own-as")?;
    spec.replace_peer_as = conf.replace_peer_as;
    spec.remove_private_as = match RemovePrivateAs::try_from(conf.remove_private_as) {
        Ok(RemovePrivateAs::None) => String::new(),
        Ok(RemovePrivateAs::All) => "all".into(),
        Ok(RemovePrivateAs::Replace) => "replace".into(),
        Err(_) => return Err(invalid("unknown remove-private-as value".into())),
    };
    spec.families = families(peer)?;
    if let Some(multihop) = peer.ebgp_multihop.as_ref().filter(|m| m.enabled) {
        spec.ebgp_multihop_ttl = Some(small(multihop.multihop_ttl, "ebgp-multihop ttl")?);
    }
    if let Some(rr) = &peer.route_reflector {
        spec.route_reflector_client = rr.route_reflector_client;
        spec.cluster_id = rr.route_reflector_cluster_id.clone();
    }
    if let Some(rs) = &peer.route_server {
        spec.route_server_client = rs.route_server_client;
    }
    if let Some(transport) = &peer.transport {
        spec.passive_mode = transport.passive_mode;
        spec.remote_port = u16::try_from(transport.remote_port).map_err(|_| {
            invalid(format!(
                "remote port {} is out of range",
                transport.remote_port
            ))
        })?;
        if !transport.local_address.is_empty() {
            spec.local_address = Some(transport.local_address.parse().map_err(|_| {
                invalid(format!(
                    "local address {:?} is not an address",
                    transport.local_address
                ))
            })?);
        }
    }
    if let Some(timers) = peer.timers.as_ref().and_then(|t| t.config.as_ref()) {
        spec.hold_time = timers.hold_time;
        spec.keepalive_interval = timers.keepalive_interval;
        spec.connect_retry = timers.connect_retry;
    }
    Ok(spec)
}

/// The neighbor AddPeer asks for, checked as a `[[neighbors]]` entry.
pub fn neighbor(peer: &proto::Peer, global: &Global) -> Result<Neighbor, Status> {
    let spec = spec(peer)?;
    runtime_neighbor(&spec, global).map_err(invalid)
}
