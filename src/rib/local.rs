//! Locally originated paths (the API's AddPath / DeletePath): held in
//! Loc-RIB under the rib's local [`Source`] (`peer: None`), selected and
//! exported like any other path, and shown to BMP as Loc-RIB (RFC 9069),
//! never under a peer.

use std::sync::Arc;

use ipnet::IpNet;

use super::super::attrs::PathAttrs;
use super::super::query::LocalChange;
use super::super::table::{family_of, Path};
use super::{Outgoing, Rib};
use crate::wire::Family;

impl Rib {
    /// Applies `change` and answers its asker; the changes for every peer
    /// are returned for the task to deliver.
    pub fn local_change(&mut self, change: LocalChange) -> Outgoing {
        match change {
            LocalChange::Add {
                prefix,
                attrs,
                reply,
            } => {
                let outgoing = self.add_local(prefix, attrs);
                let _ = reply.send(());
                outgoing
            }
            LocalChange::Delete { prefix, reply } => {
                let (found, outgoing) = self.delete_local(prefix);
                let _ = reply.send(found);
                outgoing
            }
            LocalChange::DeleteFamily { family, reply } => {
                let (count, outgoing) = self.delete_local_family(family);
                let _ = reply.send(count);
                outgoing
            }
        }
    }

    /// Installs (or replaces) the local path for `prefix`.
    pub fn add_local(&mut self, prefix: IpNet, attrs: PathAttrs) -> Outgoing {
        let prefix = prefix.trunc();
        let attrs = self.store.intern(attrs);
        self.seq += 1;
        let path = Path {
            source: Arc::clone(&self.local),
            path_id: 0,
            attrs,
            seq: self.seq,
        };
        if let Some(old) = self.loc.insert(prefix, path) {
            self.store.release(old.attrs);
        }
        self.decide_and_export(vec![prefix])
    }

    /// Withdraws the local path for `prefix`; false when there was none.
    pub fn delete_local(&mut self, prefix: IpNet) -> (bool, Outgoing) {
        let prefix = prefix.trunc();
        match self.loc.remove(&prefix, &self.local, 0) {
            Some(path) => {
                self.store.release(path.attrs);
                (true, self.decide_and_export(vec![prefix]))
            }
            None => (false, Vec::new()),
        }
    }

    /// Withdraws every local path of `family`; answers how many.
    pub fn delete_local_family(&mut self, family: Family) -> (usize, Outgoing) {
        let prefixes: Vec<IpNet> = self
            .loc
            .destinations(family)
            .filter(|(_, d)| d.path_of(&self.local, 0).is_some())
            .map(|(prefix, _)| prefix)
            .collect();
        for prefix in &prefixes {
            if let Some(path) = self.loc.remove(prefix, &self.local, 0) {
                self.store.release(path.attrs);
            }
        }
        let count = prefixes.len();
        debug_assert!(prefixes.iter().all(|p| family_of(p) == family));
        (count, self.decide_and_export(prefixes))
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    use std::time::SystemTime;

    use bytes::Bytes;

    use super::*;
    use crate::config;
    use crate::rib::event::SessionInfo;
    use crate::wire::bgp::{
        AsPath, AttrValue, Message, Negotiated, NextHop, Origin, PathAttribute,
    };

    const CONFIG: &str = r#"
[global.config]
as = 65001
router-id = "192.0.2.1"

[[neighbors]]
[neighbors.config]
neighbor-address = "192.0.2.2"
peer-as = 65002
"#;

    fn cx() -> Negotiated {
        Negotiated {
            four_octet_as: true,
            external: true,
            ..Negotiated::default()
        }
    }

    fn rib_with_peer() -> Rib {
        let config = config::parse(CONFIG, "test.toml").expect("config");
        let mut rib = Rib::new(Arc::new(config.global.clone()));
        let peer = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        let info = Arc::new(SessionInfo {
            peer,
            local_as: 65001,
            peer_as: 65002,
            neighbor: Arc::new(config.neighbors[0].clone()),
            local: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 179),
            remote: SocketAddr::new(peer, 40000),
            local_id: Ipv4Addr::new(192, 0, 2, 1),
            peer_id: Ipv4Addr::new(10, 0, 0, 2),
            negotiated: cx(),
            sent_open: Bytes::new(),
            received_open: Bytes::new(),
            established_at: SystemTime::now(),
        });
        let _ = rib.peer_up(info);
        rib
    }

    fn local_attrs() -> PathAttrs {
        let attributes = vec![
            PathAttribute::new(AttrValue::Origin(Origin::Incomplete)),
            PathAttribute::new(AttrValue::AsPath(AsPath::default())),
        ];
        PathAttrs::new(attributes, Some(NextHop::V4(Ipv4Addr::UNSPECIFIED)))
    }

    fn updates(outgoing: Outgoing) -> Vec<crate::wire::bgp::Update> {
        outgoing
            .into_iter()
            .flat_map(|(_, messages)| messages)
            .filter_map(|m| match Message::decode(m, &cx()) {
                Ok(Message::Update(update)) => Some(update),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_local_path_is_exported_with_our_as_and_next_hop_self_then_withdrawn() {
        let mut rib = rib_with_peer();
        let prefix: IpNet = "10.9.0.0/24".parse().expect("prefix");
        let sent = updates(rib.add_local(prefix, local_attrs()));
        assert_eq!(sent.len(), 1);
        let update = &sent[0];
        let announced: Vec<IpNet> = update.announced().map(|(_, n)| n.prefix).collect();
        assert_eq!(announced, [prefix]);
        let as_path = update.attributes.iter().find_map(|a| match &a.value {
            AttrValue::AsPath(path) => Some(path.clone()),
            _ => None,
        });
        assert_eq!(as_path, Some(AsPath::from_sequence(vec![65001])));
        let next_hop = update.attributes.iter().find_map(|a| match &a.value {
            AttrValue::NextHop(addr) => Some(*addr),
            _ => None,
        });
        assert_eq!(next_hop, Some(Ipv4Addr::new(192, 0, 2, 1)));
        let best = rib.loc_rib().get(&prefix).and_then(|d| d.best());
        assert!(best.is_some_and(|p| p.source.is_local()));

        let (found, outgoing) = rib.delete_local(prefix);
        assert!(found);
        let withdrawn: Vec<IpNet> = updates(outgoing)
            .iter()
            .flat_map(|u| u.withdrawals().map(|(_, n)| n.prefix).collect::<Vec<_>>())
            .collect();
        assert_eq!(withdrawn, [prefix]);
        assert!(rib.loc_rib().get(&prefix).is_none());
        assert!(!rib.delete_local(prefix).0, "nothing left to delete");
    }

    #[test]
    fn deleting_a_family_withdraws_only_its_local_paths() {
        let mut rib = rib_with_peer();
        let v4: IpNet = "10.9.0.0/24".parse().expect("prefix");
        let v6: IpNet = "2001:db8:9::/48".parse().expect("prefix");
        let _ = rib.add_local(v4, local_attrs());
        let v6_attrs = PathAttrs::new(
            vec![PathAttribute::new(AttrValue::Origin(Origin::Igp))],
            Some(NextHop::V6 {
                global: "2001:db8::1".parse().expect("ip"),
                link_local: None,
            }),
        );
        let _ = rib.add_local(v6, v6_attrs);
        let (count, _) = rib.delete_local_family(Family::IPV6_UNICAST);
        assert_eq!(count, 1);
        assert!(rib.loc_rib().get(&v6).is_none());
        assert!(rib.loc_rib().get(&v4).is_some());
    }
}
