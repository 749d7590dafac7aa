//! Neighbors added at run time (the API's AddPeer): checked by the same
//! rules, with the same defaults, as a `[[neighbors]]` table holding the
//! same settings.

use std::net::IpAddr;

use super::file::{Container, RawAfiSafi};
use super::neighbor::{neighbor, Context, Neighbor, PeerAddress, RawNeighbor};
use super::{Global, Notes};

/// What a run-time neighbor can set: what `gobgp neighbor add` sends, and
/// a few settings other API clients may send. Unset (zero, empty) fields
/// take the file's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct NeighborSpec {
    /// `neighbor-address`.
    pub address: IpAddr,
    /// `peer-as` (0: any AS).
    pub peer_as: u32,
    /// `local-as` (0: the global AS).
    pub local_as: u32,
    /// `description`.
    pub description: String,
    /// `admin-down`.
    pub admin_down: bool,
    /// `vrf` (bgpd has none: refused when set).
    pub vrf: String,
    /// `afi-safi-name`s (empty: the address's family).
    pub families: Vec<String>,
    /// `remove-private-as` (`all`, `replace`; empty: none).
    pub remove_private_as: String,
    /// `allow-own-as`.
    pub allow_own_as: u8,
    /// `replace-peer-as`.
    pub replace_peer_as: bool,
    /// `ebgp-multihop` TTL (`None`: off).
    pub ebgp_multihop_ttl: Option<u8>,
    /// `route-reflector-client`.
    pub route_reflector_client: bool,
    /// `route-reflector-cluster-id` (empty: the router id).
    pub cluster_id: String,
    /// `route-server-client`.
    pub route_server_client: bool,
    /// `passive-mode`.
    pub passive_mode: bool,
    /// `remote-port` (0: 179).
    pub remote_port: u16,
    /// `local-address` (`None`: chosen by the kernel).
    pub local_address: Option<IpAddr>,
    /// `hold-time` in seconds (0: 90).
    pub hold_time: u64,
    /// `keepalive-interval` in seconds (0: a third of the hold time).
    pub keepalive_interval: u64,
    /// `connect-retry` in seconds (0: 120).
    pub connect_retry: u64,
    /// `auth-password` (TCP MD5; empty: none).
    pub auth_password: String,
}

impl NeighborSpec {
    /// A neighbor at `address` in `peer_as`, everything else default.
    pub fn new(address: IpAddr, peer_as: u32) -> NeighborSpec {
        NeighborSpec {
            address,
            peer_as,
            local_as: 0,
            description: String::new(),
            admin_down: false,
            vrf: String::new(),
            families: Vec::new(),
            remove_private_as: String::new(),
            allow_own_as: 0,
            replace_peer_as: false,
            ebgp_multihop_ttl: None,
            route_reflector_client: false,
            cluster_id: String::new(),
            route_server_client: false,
            passive_mode: false,
            remote_port: 0,
            local_address: None,
            hold_time: 0,
            keepalive_interval: 0,
            connect_retry: 0,
            auth_password: String::new(),
        }
    }
}

fn set<T>(value: T, unset: bool) -> Option<T> {
    (!unset).then_some(value)
}

fn raw(spec: &NeighborSpec) -> RawNeighbor {
    let mut raw = RawNeighbor::default();
    let config = &mut raw.config;
    config.neighbor_address = Some(spec.address.to_string());
    config.peer_as = Some(spec.peer_as);
    config.local_as = set(spec.local_as, spec.local_as == 0);
    config.description = set(spec.description.clone(), spec.description.is_empty());
    config.admin_down = Some(spec.admin_down);
    config.auth_password = set(spec.auth_password.clone(), spec.auth_password.is_empty());
    config.vrf = set(spec.vrf.clone(), spec.vrf.is_empty());
    config.remove_private_as = set(
        spec.remove_private_as.clone(),
        spec.remove_private_as.is_empty(),
    );
    raw.afi_safis = spec
        .families
        .iter()
        .map(|name| {
            let mut family = RawAfiSafi::default();
            family.config.afi_safi_name = Some(name.clone());
            family
        })
        .collect();
    raw.as_path_options.config.allow_own_as = Some(spec.allow_own_as);
    raw.as_path_options.config.replace_peer_as = Some(spec.replace_peer_as);
    if let Some(ttl) = spec.ebgp_multihop_ttl {
        raw.ebgp_multihop.config.enabled = Some(true);
        raw.ebgp_multihop.config.multihop_ttl = Some(ttl);
    }
    raw.route_reflector = Container::default();
    raw.route_reflector.config.route_reflector_client = Some(spec.route_reflector_client);
    raw.route_reflector.config.route_reflector_cluster_id =
        set(spec.cluster_id.clone(), spec.cluster_id.is_empty());
    raw.route_server.config.route_server_client = Some(spec.route_server_client);
    let transport = &mut raw.transport.config;
    transport.passive_mode = Some(spec.passive_mode);
    transport.remote_port = set(spec.remote_port, spec.remote_port == 0);
    transport.local_address = spec.local_address.map(|a| a.to_string());
    let seconds = |s: u64| set(s as f64, s == 0);
    raw.timers.config.hold_time = seconds(spec.hold_time);
    raw.timers.config.keepalive_interval = seconds(spec.keepalive_interval);
    raw.timers.config.connect_retry = seconds(spec.connect_retry);
    raw
}

/// Checks `spec` as gobgpd checks a `[[neighbors]]` entry; the error says
/// which setting is wrong.
pub fn runtime_neighbor(spec: &NeighborSpec, global: &Global) -> Result<Neighbor, String> {
    let context = Context {
        global,
        policies: &[],
        vrfs: &[],
    };
    let mut notes = Notes::default();
    let key = format!("neighbor {}", spec.address);
    neighbor(
        &raw(spec),
        PeerAddress::Ip(spec.address),
        &key,
        &context,
        &mut notes,
    )
    .map_err(|e| format!("'{}': {}", e.key, e.problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global() -> Global {
        let text = "[global.config]\n  as = 65001\n  router-id = \"192.0.2.1\"\n";
        super::super::parse(text, "test.toml")
            .expect("valid file")
            .global
    }

    fn file_neighbor(body: &str) -> Neighbor {
        let text = format!(
            "[global.config]\n  as = 65001\n  router-id = \"192.0.2.1\"\n[[neighbors]]\n  [neighbors.config]\n{body}"
        );
        super::super::parse(&text, "test.toml")
            .expect("valid file")
            .neighbors
            .remove(0)
    }

    #[test]
    fn a_runtime_neighbor_equals_the_same_file_neighbor() {
        let spec = NeighborSpec::new("192.0.2.2".parse().expect("ip"), 65002);
        let added = runtime_neighbor(&spec, &global()).expect("valid");
        let file = file_neighbor("    neighbor-address = \"192.0.2.2\"\n    peer-as = 65002\n");
        assert_eq!(added, file);
    }

    #[test]
    fn runtime_settings_reach_the_neighbor() {
        let mut spec = NeighborSpec::new("2001:db8::2".parse().expect("ip"), 65001);
        spec.families = vec!["ipv4-unicast".into(), "ipv6-unicast".into()];
        spec.route_reflector_client = true;
        spec.hold_time = 30;
        spec.auth_password = "secret".into();
        let added = runtime_neighbor(&spec, &global()).expect("valid");
        assert_eq!(added.auth_password.as_deref(), Some("secret"));
        assert_eq!(added.families.len(), 2);
        assert!(added.route_reflector_client);
        assert_eq!(added.timers.keepalive_interval.as_secs(), 10);
        assert_eq!(added.peer_type, super::super::PeerType::Internal);
    }

    #[test]
    fn bad_runtime_settings_are_refused_with_the_setting() {
        let mut spec = NeighborSpec::new("192.0.2.2".parse().expect("ip"), 65002);
        spec.families = vec!["ipv4-unicastx".into()];
        let error = runtime_neighbor(&spec, &global()).expect_err("bad family");
        assert!(error.contains("ipv4-unicastx"), "{error}");
        let mut spec = NeighborSpec::new("192.0.2.2".parse().expect("ip"), 65002);
        spec.vrf = "red".into();
        assert!(runtime_neighbor(&spec, &global()).is_err());
    }
}
