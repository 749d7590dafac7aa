//! Per-peer counters, kept as events happen (never by walking a table), for
//! BMP Statistics Reports (RFC 7854 §4.8) and the management API.

use super::table::{family_index, Rejection};
use crate::wire::Family;

/// A count per supported family (IPv4 unicast, IPv6 unicast).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerFamily {
    /// IPv4 unicast.
    pub ipv4_unicast: u64,
    /// IPv6 unicast.
    pub ipv6_unicast: u64,
}

impl PerFamily {
    /// The count for `family` (0 for unsupported families).
    pub fn get(&self, family: Family) -> u64 {
        match family_index(family) {
            Some(0) => self.ipv4_unicast,
            Some(1) => self.ipv6_unicast,
            _ => 0,
        }
    }

    /// Sum over families.
    pub fn total(&self) -> u64 {
        self.ipv4_unicast + self.ipv6_unicast
    }

    fn slot(&mut self, family: Family) -> Option<&mut u64> {
        match family_index(family) {
            Some(0) => Some(&mut self.ipv4_unicast),
            Some(1) => Some(&mut self.ipv6_unicast),
            _ => None,
        }
    }

    pub(crate) fn add(&mut self, family: Family) {
        if let Some(slot) = self.slot(family) {
            *slot += 1;
        }
    }

    pub(crate) fn sub(&mut self, family: Family) {
        if let Some(slot) = self.slot(family) {
            *slot = slot.saturating_sub(1);
        }
    }
}

/// One peer's counters. Gauges (`adj_rib_in`, `loc_rib`) are current
/// sizes; the rest count since the session came up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeerCounters {
    /// Routes in the pre-policy Adj-RIB-In (BMP stat types 7/9).
    pub adj_rib_in: PerFamily,
    /// This peer's routes accepted into Loc-RIB (BMP stat type 8 as gobgpd
    /// reports it, "accepted").
    pub loc_rib: PerFamily,
    /// Routes rejected by the import policy (BMP stat type 0).
    pub rejected: u64,
    /// Same prefix re-announced with the same attributes (type 1).
    pub duplicates: u64,
    /// Withdrawals of prefixes we did not have (type 2).
    pub unknown_withdrawals: u64,
    /// UPDATEs that changed nothing: every prefix they announce a
    /// duplicate, every one they withdraw unknown (type 13).
    pub duplicate_updates: u64,
    /// AS-path loops (type 4).
    pub as_path_loops: u64,
    /// CLUSTER_LIST loops (type 3).
    pub cluster_list_loops: u64,
    /// ORIGINATOR_ID loops (type 5).
    pub originator_id_loops: u64,
    /// UPDATEs treated as withdraw (RFC 7606; type 11).
    pub treat_as_withdraw_updates: u64,
    /// Prefixes treated as withdraw (RFC 7606; type 12).
    pub treat_as_withdraw_prefixes: u64,
}

impl PeerCounters {
    pub(crate) fn reject(&mut self, rejection: Rejection) {
        match rejection {
            Rejection::AsPathLoop => self.as_path_loops += 1,
            Rejection::ClusterListLoop => self.cluster_list_loops += 1,
            Rejection::OriginatorIdLoop => self.originator_id_loops += 1,
            Rejection::Policy => self.rejected += 1,
        }
    }
}
