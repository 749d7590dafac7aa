//! The capabilities of a session's OPENs as GoBGP's `*Capability`
//! messages (`PeerState.local_cap` / `remote_cap`), which `gobgp neighbor
//! ADDR` prints.

use bytes::Bytes;
use prost_types::Any;

use super::proto;
use crate::wire::bgp::{Capability, Message, Negotiated};
use crate::wire::Family;

fn family(family: Family) -> Option<proto::Family> {
    Some(proto::Family {
        afi: i32::from(u16::from(family.afi)),
        safi: i32::from(u8::from(family.safi)),
    })
}

fn any<M: prost::Name>(message: &M) -> Any {
    Any::from_msg(message).expect("encoding into a Vec cannot fail")
}

/// The capabilities of `open` (a whole OPEN message), in order; none when
/// it does not decode.
pub fn of_open(open: &Bytes) -> Vec<Any> {
    let Ok(Message::Open(open)) = Message::decode(open.clone(), &Negotiated::default()) else {
        return Vec::new();
    };
    open.capabilities().map(capability).collect()
}

/// The capabilities bgpd would advertise to `neighbor` (listed before a
/// session exists, as gobgpd lists them).
pub fn ours(global: &crate::config::Global, neighbor: &crate::config::Neighbor) -> Vec<Any> {
    use crate::peer::open;
    let ipv6 = matches!(
        neighbor.address,
        crate::config::PeerAddress::Ip(std::net::IpAddr::V6(_))
    );
    let families = open::families(neighbor, ipv6);
    let open = open::our_open(global, neighbor, &families, &open::hostname());
    open.capabilities().map(capability).collect()
}

fn capability(capability: &Capability) -> Any {
    match capability {
        Capability::Multiprotocol(f) => any(&proto::MultiProtocolCapability { family: family(*f) }),
        Capability::RouteRefresh => any(&proto::RouteRefreshCapability {}),
        Capability::ExtendedNextHop(entries) => any(&proto::ExtendedNexthopCapability {
            tuples: entries
                .iter()
                .map(|e| proto::ExtendedNexthopCapabilityTuple {
                    nlri_family: family(e.nlri_family),
                    nexthop_family: Some(proto::Family {
                        afi: i32::from(e.next_hop_afi),
                        safi: 1,
                    }),
                })
                .collect(),
        }),
        Capability::GracefulRestart(gr) => any(&proto::GracefulRestartCapability {
            flags: u32::from(gr.flags),
            time: u32::from(gr.restart_time),
            tuples: gr
                .families
                .iter()
                .map(|f| proto::GracefulRestartCapabilityTuple {
                    family: family(f.family),
                    flags: u32::from(f.flags),
                })
                .collect(),
        }),
        Capability::FourOctetAs(asn) => any(&proto::FourOctetAsnCapability { asn: *asn }),
        Capability::AddPath(families) => any(&proto::AddPathCapability {
            tuples: families
                .iter()
                .map(|f| proto::AddPathCapabilityTuple {
                    family: family(f.family),
                    mode: u32::from(u8::from(f.mode)),
                })
                .collect(),
        }),
        Capability::EnhancedRouteRefresh => any(&proto::EnhancedRouteRefreshCapability {}),
        Capability::LongLivedGracefulRestart(families) => {
            any(&proto::LongLivedGracefulRestartCapability {
                tuples: families
                    .iter()
                    .map(|f| proto::LongLivedGracefulRestartCapabilityTuple {
                        family: family(f.family),
                        flags: u32::from(f.flags),
                        time: f.stale_time,
                    })
                    .collect(),
            })
        }
        Capability::Fqdn {
            hostname,
            domain_name,
        } => any(&proto::FqdnCapability {
            host_name: hostname.clone(),
            domain_name: domain_name.clone(),
        }),
        Capability::RouteRefreshCisco => any(&proto::RouteRefreshCiscoCapability {}),
        Capability::ExtendedMessage => any(&proto::UnknownCapability {
            code: 6,
            value: Vec::new(),
        }),
        Capability::Unknown { code, value } => any(&proto::UnknownCapability {
            code: u32::from(*code),
            value: value.to_vec(),
        }),
    }
}
