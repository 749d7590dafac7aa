//! The rib side of BMP monitoring: subscriptions, their dumps and live
//! streams, and statistics snapshots (see [`super::monitor`]).

use super::counters::PerFamily;
use super::monitor::{Monitor, PeerStats, Request, Stats, Subscription};
use super::state::Rib;
use super::table::FAMILIES;
use crate::wire::Family;

impl Rib {
    /// Answers a request from a BMP client (or the API).
    pub fn request(&mut self, request: Request) {
        match request {
            Request::Stats(reply) => {
                // The asker may have gone; nothing to do then.
                let _ = reply.send(self.stats());
            }
            Request::Subscribe(subscription) => self.subscribe(subscription),
        }
    }

    /// The counters of every established peer and Loc-RIB, in O(peers).
    pub fn stats(&self) -> Stats {
        let mut loc_rib = PerFamily::default();
        for family in FAMILIES {
            let n = self.loc_rib().prefixes(family) as u64;
            if family == Family::IPV4_UNICAST {
                loc_rib.ipv4_unicast = n;
            } else {
                loc_rib.ipv6_unicast = n;
            }
        }
        let peers = self
            .sessions()
            .map(|(info, counters, rib_out)| {
                let mut adj_rib_out = PerFamily::default();
                adj_rib_out.ipv4_unicast = rib_out.iter(Family::IPV4_UNICAST).count() as u64;
                adj_rib_out.ipv6_unicast = rib_out.iter(Family::IPV6_UNICAST).count() as u64;
                PeerStats {
                    info: info.clone(),
                    counters: *counters,
                    adj_rib_out,
                }
            })
            .collect();
        Stats {
            peers,
            loc_rib,
            router_id: self.global().router_id,
            local_as: self.global().asn,
        }
    }

    fn subscribe(&mut self, subscription: Subscription) {
        for (info, _, _) in self.sessions() {
            let item = Monitor::PeerUp { info: info.clone() };
            if !subscription.queue.charge(item.size()) || subscription.tx.send(item).is_err() {
                return;
            }
        }
        let _ = subscription.tx.send(Monitor::Synced);
    }
}
