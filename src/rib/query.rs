//! Questions from the management API, answered by the rib task from its
//! own tables (so no table is shared between tasks), and the API's changes
//! to locally originated paths ([`LocalChange`], applied in `local.rs`).
//!
//! ```text
//!  api ──Request::Query(Query::…, oneshot)──▶ rib task ──answer──▶ api
//! ```
//!
//! Answers are copies: the attribute sets are cloned out of the store, so
//! the API task holds no reference the store counts.

use std::sync::Arc;
use std::time::SystemTime;

use ipnet::IpNet;
use tokio::sync::oneshot;

use super::attrs::PathAttrs;
use super::counters::{PeerCounters, PerFamily};
use super::event::{PeerId, SessionInfo};
use super::state::Rib;
use super::table::{family_of, Source};
use crate::wire::Family;

/// Which table a path listing or count reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Loc-RIB: every candidate path, the best one marked.
    Global,
    /// A peer's Adj-RIB-In as received (pre-policy), rejected routes
    /// included (marked filtered).
    AdjIn(PeerId),
    /// A peer's Adj-RIB-Out, as sent (after export rules and policy).
    AdjOut(PeerId),
}

/// A question for the rib.
#[derive(Debug)]
pub enum Query {
    /// Every established session with its counters.
    Sessions(oneshot::Sender<Vec<SessionState>>),
    /// The paths of one table and family.
    Paths {
        /// The table.
        table: Table,
        /// IPv4 or IPv6 unicast.
        family: Family,
        /// The answer; `Err` when the peer has no session.
        reply: oneshot::Sender<Result<Vec<Route>, QueryError>>,
    },
    /// Prefix and path counts of one table and family.
    Counts {
        /// The table.
        table: Table,
        /// IPv4 or IPv6 unicast.
        family: Family,
        /// The answer; `Err` when the peer has no session.
        reply: oneshot::Sender<Result<Counts, QueryError>>,
    },
}

/// A change to the locally originated paths (the API's AddPath and
/// DeletePath); the rib answers once the change is applied.
#[derive(Debug)]
pub enum LocalChange {
    /// Install (or replace) the local path for `prefix`.
    Add {
        /// The prefix.
        prefix: IpNet,
        /// Its attributes (ORIGIN, AS_PATH, next hop...).
        attrs: PathAttrs,
        /// Answered once installed.
        reply: oneshot::Sender<()>,
    },
    /// Withdraw the local path for `prefix`; answers whether there was one.
    Delete {
        /// The prefix.
        prefix: IpNet,
        /// Whether a path was withdrawn.
        reply: oneshot::Sender<bool>,
    },
    /// Withdraw every local path of `family`; answers how many.
    DeleteFamily {
        /// IPv4 or IPv6 unicast.
        family: Family,
        /// How many were withdrawn.
        reply: oneshot::Sender<usize>,
    },
}

/// Why a query has no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryError {
    /// The neighbor has no established session.
    NotEstablished(PeerId),
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::NotEstablished(peer) => {
                write!(f, "neighbor {peer}'s BGP session is not established")
            }
        }
    }
}

impl std::error::Error for QueryError {}

/// One established session, as the API reports it.
#[derive(Debug, Clone)]
pub struct SessionState {
    /// The session.
    pub info: Arc<SessionInfo>,
    /// Its Adj-RIB-In counters.
    pub counters: PeerCounters,
    /// Prefixes in its Adj-RIB-Out per family.
    pub advertised: PerFamily,
}

/// One path of a table.
#[derive(Debug, Clone)]
pub struct Route {
    /// The prefix.
    pub prefix: IpNet,
    /// The path id it was received with (0 without ADD-PATH), or the one it
    /// is sent with (Adj-RIB-Out).
    pub path_id: u32,
    /// Its attributes (a copy, not held by the store).
    pub attrs: Arc<PathAttrs>,
    /// The best path of its prefix (Loc-RIB).
    pub best: bool,
    /// Kept out of Loc-RIB by a loop check or import policy (Adj-RIB-In).
    pub filtered: bool,
    /// Kept across its peer's graceful restart, not received again yet.
    pub stale: bool,
    /// The neighbor it came from; `None` when originated here.
    pub source: Option<PathSource>,
}

/// The neighbor a path came from.
#[derive(Debug, Clone, Copy)]
pub struct PathSource {
    /// Its address.
    pub address: PeerId,
    /// Its AS.
    pub asn: u32,
    /// Its BGP identifier.
    pub router_id: std::net::Ipv4Addr,
    /// eBGP.
    pub external: bool,
    /// When its session came up: the age the API reports, since the rib
    /// keeps no per-path arrival time.
    pub since: SystemTime,
}

/// Sizes of one table and family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Prefixes.
    pub destinations: u64,
    /// Paths.
    pub paths: u64,
    /// Accepted paths (Adj-RIB-In: those in Loc-RIB).
    pub accepted: u64,
}

impl Rib {
    /// Answers `query` (the asker may have gone: nothing to do then).
    pub fn query(&mut self, query: Query) {
        match query {
            Query::Sessions(reply) => {
                let sessions = self
                    .sessions()
                    .map(|(info, counters, rib_out)| SessionState {
                        info: info.clone(),
                        counters: *counters,
                        advertised: PerFamily {
                            ipv4_unicast: rib_out.len_of(Family::IPV4_UNICAST) as u64,
                            ipv6_unicast: rib_out.len_of(Family::IPV6_UNICAST) as u64,
                        },
                    })
                    .collect();
                let _ = reply.send(sessions);
            }
            Query::Paths {
                table,
                family,
                reply,
            } => {
                let _ = reply.send(self.paths_of(table, family));
            }
            Query::Counts {
                table,
                family,
                reply,
            } => {
                let _ = reply.send(self.counts_of(table, family));
            }
        }
    }

    fn path_source(&self, source: &Source) -> Option<PathSource> {
        let address = source.peer?;
        let since = self
            .session(address)
            .map(|info| info.established_at)
            .or_else(|| self.away_since(address))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        Some(PathSource {
            address,
            asn: source.peer_as,
            router_id: source.router_id,
            external: source.external,
            since,
        })
    }

    fn paths_of(&mut self, table: Table, family: Family) -> Result<Vec<Route>, QueryError> {
        let copy = |attrs: &Arc<PathAttrs>| Arc::new(PathAttrs::clone(attrs));
        match table {
            Table::Global => {
                let mut routes = Vec::new();
                for (prefix, destination) in self.loc_rib().destinations(family) {
                    let best = destination.best().map(|p| p.seq);
                    for path in destination.paths.iter() {
                        routes.push(Route {
                            prefix,
                            path_id: path.path_id,
                            attrs: copy(&path.attrs),
                            best: Some(path.seq) == best,
                            filtered: false,
                            stale: path
                                .source
                                .peer
                                .is_some_and(|p| self.is_stale(p, &(prefix, path.path_id))),
                            source: self.path_source(&path.source),
                        });
                    }
                }
                Ok(routes)
            }
            Table::AdjIn(peer) => {
                let view = self
                    .adj_rib_in(peer)
                    .ok_or(QueryError::NotEstablished(peer))?;
                let info = self.session(peer).ok_or(QueryError::NotEstablished(peer))?;
                let source = PathSource {
                    address: peer,
                    asn: info.peer_as,
                    router_id: info.peer_id,
                    external: info.negotiated.external,
                    since: info.established_at,
                };
                Ok(view
                    .iter()
                    .filter(|((prefix, _), _)| family_of(prefix) == family)
                    .map(|((prefix, path_id), route)| Route {
                        prefix,
                        path_id,
                        attrs: copy(&route.attrs),
                        best: false,
                        filtered: route.rejected.is_some(),
                        stale: self.is_stale(peer, &(prefix, path_id)),
                        source: Some(source),
                    })
                    .collect())
            }
            Table::AdjOut(peer) => {
                let routes = self
                    .exported_routes(peer)
                    .ok_or(QueryError::NotEstablished(peer))?;
                let mut out = Vec::with_capacity(routes.len());
                let (store, _) = self.store_and_monitors();
                for (nlri, attrs) in routes {
                    if family_of(&nlri.prefix) == family {
                        out.push(Route {
                            prefix: nlri.prefix,
                            path_id: nlri.path_id.unwrap_or(0),
                            attrs: copy(&attrs),
                            best: false,
                            filtered: false,
                            stale: false,
                            source: None,
                        });
                    }
                    store.release(attrs);
                }
                Ok(out)
            }
        }
    }

    fn counts_of(&mut self, table: Table, family: Family) -> Result<Counts, QueryError> {
        match table {
            Table::Global => Ok(Counts {
                destinations: self.loc_rib().prefixes(family) as u64,
                paths: self.loc_rib().paths(family) as u64,
                accepted: 0,
            }),
            Table::AdjIn(peer) => {
                let counters = *self
                    .counters(peer)
                    .ok_or(QueryError::NotEstablished(peer))?;
                let routes = self.paths_of(table, family)?;
                let mut prefixes: Vec<IpNet> = routes.iter().map(|r| r.prefix).collect();
                prefixes.sort_unstable();
                prefixes.dedup();
                Ok(Counts {
                    destinations: prefixes.len() as u64,
                    paths: counters.adj_rib_in.get(family),
                    accepted: counters.loc_rib.get(family),
                })
            }
            Table::AdjOut(peer) => {
                let rib_out = self
                    .adj_rib_out(peer)
                    .ok_or(QueryError::NotEstablished(peer))?;
                let prefixes = rib_out.len_of(family) as u64;
                let extra: usize = rib_out.extras(family).map(|(_, e)| e.len()).sum();
                Ok(Counts {
                    destinations: prefixes,
                    paths: prefixes + extra as u64,
                    accepted: 0,
                })
            }
        }
    }
}
