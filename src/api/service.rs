//! The `GobgpApi` methods bgpd serves; the trait's defaults answer
//! UNIMPLEMENTED for the others.

use std::net::IpAddr;
use std::pin::Pin;
use std::time::SystemTime;

use tokio::sync::oneshot;
use tonic::codegen::tokio_stream;
use tonic::{Request, Response, Status};

use super::convert::{self, Lookup};
use super::path_in::{self, global_only, prefix_of_uuid, uuid_of};
use super::proto;
use super::{peer_in, policy};
use super::{ApiState, DaemonRequest, PeerOp};
use crate::config::PeerAddress;
use crate::rib::monitor;
use crate::rib::query::{Counts, LocalChange, Query, QueryError, Route, Table};
use crate::wire::Family;

type Stream<T> = Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;

fn stream<T: Send + 'static>(items: Vec<T>) -> Stream<T> {
    Box::pin(tokio_stream::iter(items.into_iter().map(Ok)))
}

/// The service: asks the rib, answers in GoBGP's messages.
#[derive(Debug, Clone)]
pub struct Api {
    state: ApiState,
}

impl Api {
    /// A service over `state`.
    pub fn new(state: ApiState) -> Api {
        Api { state }
    }

    async fn ask<T>(&self, query: impl FnOnce(oneshot::Sender<T>) -> Query) -> Result<T, Status> {
        let (tx, rx) = oneshot::channel();
        self.send(monitor::Request::Query(query(tx)), rx).await
    }

    async fn change<T>(
        &self,
        change: impl FnOnce(oneshot::Sender<T>) -> LocalChange,
    ) -> Result<T, Status> {
        let (tx, rx) = oneshot::channel();
        self.send(monitor::Request::Local(change(tx)), rx).await
    }

    async fn daemon<T>(
        &self,
        request: DaemonRequest,
        rx: oneshot::Receiver<T>,
    ) -> Result<T, Status> {
        let gone = || Status::unavailable("bgpd is shutting down");
        self.state.daemon.send(request).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())
    }

    async fn peer_op(&self, address: &str, op: PeerOp) -> Result<Response<()>, Status> {
        let ip: IpAddr = address.parse().map_err(|_| {
            Status::invalid_argument(format!("neighbor address {address:?} is not an address"))
        })?;
        let (reply, rx) = oneshot::channel();
        let found = self
            .daemon(
                DaemonRequest::Peer {
                    address: ip,
                    op,
                    reply,
                },
                rx,
            )
            .await?;
        if !found {
            return Err(Status::not_found(format!("neighbor {ip} not found")));
        }
        Ok(Response::new(()))
    }

    async fn send<T>(
        &self,
        request: monitor::Request,
        rx: oneshot::Receiver<T>,
    ) -> Result<T, Status> {
        let gone = || Status::unavailable("bgpd is shutting down");
        self.state.rib.send(request).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())
    }

    fn table(&self, table_type: i32, name: &str) -> Result<Table, Status> {
        use proto::TableType;
        let peer = || {
            name.parse::<IpAddr>().map_err(|_| {
                Status::invalid_argument(format!("neighbor address {name:?} is not an address"))
            })
        };
        match TableType::try_from(table_type) {
            Ok(TableType::Global) => Ok(Table::Global),
            Ok(TableType::AdjIn) => Ok(Table::AdjIn(peer()?)),
            Ok(TableType::AdjOut) => Ok(Table::AdjOut(peer()?)),
            Ok(TableType::Local) => Err(Status::unimplemented(
                "bgpd has no per-peer local rib (route-server tables); use adj-in or the global rib",
            )),
            Ok(TableType::Vrf) => Err(Status::unimplemented("bgpd has no VRFs")),
            Err(_) => Err(Status::invalid_argument(format!(
                "unknown table type {table_type}"
            ))),
        }
    }

    /// A peer table needs a configured neighbor.
    fn check_neighbor(&self, table: Table) -> Result<(), Status> {
        let address = match table {
            Table::Global => return Ok(()),
            Table::AdjIn(a) | Table::AdjOut(a) => a,
        };
        let known = self
            .state
            .neighbors
            .borrow()
            .iter()
            .any(|n| n.address == PeerAddress::Ip(address));
        if known {
            Ok(())
        } else {
            Err(Status::not_found(format!("neighbor {address} not found")))
        }
    }
}

fn family_of(family: Option<&proto::Family>) -> Result<Family, Status> {
    convert::family_from(family)
        .ok_or_else(|| Status::invalid_argument("bgpd serves ipv4-unicast and ipv6-unicast only"))
}

fn not_established(e: QueryError) -> Status {
    Status::failed_precondition(e.to_string())
}

#[tonic::async_trait]
impl proto::gobgp_api_server::GobgpApi for Api {
    async fn get_bgp(
        &self,
        _request: Request<proto::GetBgpRequest>,
    ) -> Result<Response<proto::GetBgpResponse>, Status> {
        let global = &self.state.global;
        let families = global
            .families
            .iter()
            .map(|f| {
                let family = f.name.family();
                (u32::from(u16::from(family.afi)) << 16) | u32::from(u8::from(family.safi))
            })
            .collect();
        Ok(Response::new(proto::GetBgpResponse {
            global: Some(proto::Global {
                asn: global.asn,
                router_id: global.router_id.to_string(),
                listen_port: global.port.map_or(-1, i32::from),
                listen_addresses: global
                    .local_addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                families,
                use_multiple_paths: false,
            }),
        }))
    }

    async fn list_peer(
        &self,
        request: Request<proto::ListPeerRequest>,
    ) -> Result<Response<Stream<proto::ListPeerResponse>>, Status> {
        let address = request.into_inner().address;
        let filter = if address.is_empty() {
            None
        } else {
            Some(address.parse::<IpAddr>().map_err(|_| {
                Status::invalid_argument(format!("neighbor address {address:?} is not an address"))
            })?)
        };
        let sessions = self.ask(Query::Sessions).await?;
        let neighbors = self.state.neighbors.borrow().clone();
        let mut peers =
            super::peer::peers(&self.state.global, &neighbors, &sessions, &self.state.stats);
        if let Some(filter) = filter {
            peers.retain(|(ip, _)| *ip == filter);
            if peers.is_empty() {
                return Err(Status::not_found(format!("neighbor {filter} not found")));
            }
        }
        // gobgp sorts, but other clients get the same order: IPv4 first.
        peers.sort_by_key(|(ip, _)| (ip.is_ipv6(), *ip));
        let items = peers
            .into_iter()
            .map(|(_, peer)| proto::ListPeerResponse { peer: Some(peer) })
            .collect();
        Ok(Response::new(stream(items)))
    }

    async fn list_path(
        &self,
        request: Request<proto::ListPathRequest>,
    ) -> Result<Response<Stream<proto::ListPathResponse>>, Status> {
        let request = request.into_inner();
        let table = self.table(request.table_type, &request.name)?;
        let family = family_of(request.family.as_ref())?;
        let lookups = request
            .prefixes
            .iter()
            .map(Lookup::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(Status::invalid_argument)?;
        self.check_neighbor(table)?;
        let routes = self
            .ask(|reply| Query::Paths {
                table,
                family,
                reply,
            })
            .await?
            .map_err(not_established)?;
        let mut routes: Vec<Route> = convert::select(routes, &lookups);
        routes.sort_by_key(|r| (r.prefix, !r.best));
        let now = SystemTime::now();
        let mut destinations: Vec<proto::Destination> = Vec::new();
        for route in &routes {
            let path = convert::path(route, family, now);
            let prefix = route.prefix.to_string();
            match destinations.last_mut() {
                Some(d) if d.prefix == prefix => d.paths.push(path),
                _ => destinations.push(proto::Destination {
                    prefix,
                    paths: vec![path],
                }),
            }
        }
        let items = destinations
            .into_iter()
            .map(|d| proto::ListPathResponse {
                destination: Some(d),
            })
            .collect();
        Ok(Response::new(stream(items)))
    }

    async fn add_path(
        &self,
        request: Request<proto::AddPathRequest>,
    ) -> Result<Response<proto::AddPathResponse>, Status> {
        let request = request.into_inner();
        global_only(request.table_type, &request.vrf_id)?;
        let path = request
            .path
            .ok_or_else(|| Status::invalid_argument("AddPath needs a path"))?;
        let local = path_in::read(&path).map_err(Status::invalid_argument)?;
        let prefix = local.prefix;
        self.change(|reply| LocalChange::Add {
            prefix,
            attrs: local.attrs,
            reply,
        })
        .await?;
        tracing::info!(Topic = "grpc", Key = %prefix, "local route added");
        Ok(Response::new(proto::AddPathResponse {
            uuid: uuid_of(prefix),
        }))
    }

    async fn add_path_stream(
        &self,
        request: Request<tonic::Streaming<proto::AddPathStreamRequest>>,
    ) -> Result<Response<()>, Status> {
        let mut stream = request.into_inner();
        let mut added = 0usize;
        while let Some(message) = stream.message().await? {
            global_only(message.table_type, &message.vrf_id)?;
            for path in &message.paths {
                let local = path_in::read(path).map_err(Status::invalid_argument)?;
                // Not waiting for each answer: the rib's bounded queue paces
                // the stream, and requests are applied in order.
                let (reply, _) = oneshot::channel();
                let change = LocalChange::Add {
                    prefix: local.prefix,
                    attrs: local.attrs,
                    reply,
                };
                self.state
                    .rib
                    .send(monitor::Request::Local(change))
                    .await
                    .map_err(|_| Status::unavailable("bgpd is shutting down"))?;
                added += 1;
            }
        }
        tracing::info!(
            Topic = "grpc",
            count = added,
            "local routes added from a stream"
        );
        Ok(Response::new(()))
    }

    async fn delete_path(
        &self,
        request: Request<proto::DeletePathRequest>,
    ) -> Result<Response<()>, Status> {
        let request = request.into_inner();
        global_only(request.table_type, &request.vrf_id)?;
        let prefix = if !request.uuid.is_empty() {
            Some(prefix_of_uuid(&request.uuid)?)
        } else if let Some(path) = &request.path {
            Some(
                path_in::read(path)
                    .map_err(Status::invalid_argument)?
                    .prefix,
            )
        } else {
            None
        };
        match prefix {
            Some(prefix) => {
                let found = self
                    .change(|reply| LocalChange::Delete { prefix, reply })
                    .await?;
                if !found {
                    return Err(Status::not_found(format!(
                        "no local route for {prefix} (only routes added through the API can be deleted)"
                    )));
                }
                tracing::info!(Topic = "grpc", Key = %prefix, "local route deleted");
            }
            None => {
                let family = family_of(request.family.as_ref())?;
                let count = self
                    .change(|reply| LocalChange::DeleteFamily { family, reply })
                    .await?;
                tracing::info!(Topic = "grpc", count, "local routes deleted");
            }
        }
        Ok(Response::new(()))
    }

    async fn add_bmp(
        &self,
        request: Request<proto::AddBmpRequest>,
    ) -> Result<Response<()>, Status> {
        let server = super::stations::bmp_server(request.into_inner())?;
        let (address, port) = (server.address.clone(), server.port);
        let (reply, rx) = oneshot::channel();
        self.daemon(DaemonRequest::AddBmp { server, reply }, rx)
            .await?
            .then_some(())
            .ok_or_else(|| {
                Status::already_exists(format!("BMP station {address}:{port} already exists"))
            })?;
        Ok(Response::new(()))
    }

    async fn delete_bmp(
        &self,
        request: Request<proto::DeleteBmpRequest>,
    ) -> Result<Response<()>, Status> {
        let request = request.into_inner();
        let port = match request.port {
            0 => crate::config::DEFAULT_BMP_PORT,
            port => u16::try_from(port)
                .map_err(|_| Status::invalid_argument(format!("invalid port {port}")))?,
        };
        let (reply, rx) = oneshot::channel();
        let address = request.address.clone();
        let found = self
            .daemon(
                DaemonRequest::DeleteBmp {
                    address,
                    port,
                    reply,
                },
                rx,
            )
            .await?;
        if !found {
            return Err(Status::not_found(format!(
                "BMP station {}:{port} not found",
                request.address
            )));
        }
        Ok(Response::new(()))
    }

    async fn list_bmp(
        &self,
        _request: Request<proto::ListBmpRequest>,
    ) -> Result<Response<Stream<proto::ListBmpResponse>>, Status> {
        let (reply, rx) = oneshot::channel();
        let stations = self.daemon(DaemonRequest::ListBmp(reply), rx).await?;
        let items = super::stations::listed(stations);
        Ok(Response::new(stream(items)))
    }

    async fn set_log_level(
        &self,
        request: Request<proto::SetLogLevelRequest>,
    ) -> Result<Response<()>, Status> {
        use proto::set_log_level_request::Level;
        use tracing::level_filters::LevelFilter;
        let Some(set) = &self.state.log_level else {
            return Err(Status::unimplemented(
                "this bgpd cannot change its log level",
            ));
        };
        let level = match Level::try_from(request.into_inner().level) {
            Ok(Level::Panic | Level::Fatal | Level::Error) => LevelFilter::ERROR,
            Ok(Level::Warn) => LevelFilter::WARN,
            Ok(Level::Info) => LevelFilter::INFO,
            Ok(Level::Debug) => LevelFilter::DEBUG,
            Ok(Level::Trace) => LevelFilter::TRACE,
            Err(_) => return Err(Status::invalid_argument("unknown log level")),
        };
        (set.0)(level);
        tracing::info!(Topic = "grpc", Level = %level, "log level changed");
        Ok(Response::new(()))
    }

    async fn reset_peer(
        &self,
        request: Request<proto::ResetPeerRequest>,
    ) -> Result<Response<()>, Status> {
        use proto::reset_peer_request::SoftResetDirection;
        let request = request.into_inner();
        let op = if !request.soft {
            PeerOp::Reset {
                communication: request.communication,
            }
        } else {
            match SoftResetDirection::try_from(request.direction) {
                // Import policy results are kept up to date as policies
                // change; there is nothing to evaluate again.
                Ok(SoftResetDirection::In) => PeerOp::SoftResetIn,
                Ok(SoftResetDirection::Out | SoftResetDirection::Both) => PeerOp::SoftResetOut,
                Err(_) => return Err(Status::invalid_argument("unknown soft reset direction")),
            }
        };
        self.peer_op(&request.address, op).await
    }

    async fn shutdown_peer(
        &self,
        request: Request<proto::ShutdownPeerRequest>,
    ) -> Result<Response<()>, Status> {
        let request = request.into_inner();
        let op = PeerOp::Disable {
            communication: request.communication,
        };
        self.peer_op(&request.address, op).await
    }

    async fn disable_peer(
        &self,
        request: Request<proto::DisablePeerRequest>,
    ) -> Result<Response<()>, Status> {
        let request = request.into_inner();
        let op = PeerOp::Disable {
            communication: request.communication,
        };
        self.peer_op(&request.address, op).await
    }

    async fn enable_peer(
        &self,
        request: Request<proto::EnablePeerRequest>,
    ) -> Result<Response<()>, Status> {
        let request = request.into_inner();
        self.peer_op(&request.address, PeerOp::Enable).await
    }

    async fn watch_event(
        &self,
        request: Request<proto::WatchEventRequest>,
    ) -> Result<Response<Stream<proto::WatchEventResponse>>, Status> {
        let events = super::monitor::start(&self.state, request.into_inner()).await?;
        let stream = tokio_stream::wrappers::ReceiverStream::new(events);
        Ok(Response::new(Box::pin(stream)))
    }

    async fn get_table(
        &self,
        request: Request<proto::GetTableRequest>,
    ) -> Result<Response<proto::GetTableResponse>, Status> {
        let request = request.into_inner();
        let table = self.table(request.table_type, &request.name)?;
        let family = family_of(request.family.as_ref())?;
        self.check_neighbor(table)?;
        let Counts {
            destinations,
            paths,
            accepted,
        } = self
            .ask(|reply| Query::Counts {
                table,
                family,
                reply,
            })
            .await?
            .map_err(not_established)?;
        Ok(Response::new(proto::GetTableResponse {
            num_destination: destinations,
            num_path: paths,
            num_accepted: accepted,
        }))
    }

    async fn add_peer(
        &self,
        request: Request<proto::AddPeerRequest>,
    ) -> Result<Response<()>, Status> {
        let peer = request
            .into_inner()
            .peer
            .ok_or_else(|| Status::invalid_argument("AddPeer needs a peer"))?;
        let neighbor = peer_in::neighbor(&peer, &self.state.global)?;
        let PeerAddress::Ip(ip) = neighbor.address else {
            return Err(Status::invalid_argument("AddPeer needs a neighbor address"));
        };
        let (reply, rx) = oneshot::channel();
        let neighbor = Box::new(neighbor);
        if !self
            .daemon(DaemonRequest::AddPeer { neighbor, reply }, rx)
            .await?
        {
            return Err(Status::already_exists(format!(
                "can't overwrite the existing peer: {ip}"
            )));
        }
        Ok(Response::new(()))
    }

    async fn delete_peer(
        &self,
        request: Request<proto::DeletePeerRequest>,
    ) -> Result<Response<()>, Status> {
        let request = request.into_inner();
        if !request.interface.is_empty() {
            return Err(Status::unimplemented(
                "bgpd has no neighbor-interface (unnumbered) peers",
            ));
        }
        let address = &request.address;
        let ip: IpAddr = address.parse().map_err(|_| {
            Status::invalid_argument(format!("neighbor address {address:?} is not an address"))
        })?;
        let (reply, rx) = oneshot::channel();
        if !self
            .daemon(DaemonRequest::DeletePeer { address: ip, reply }, rx)
            .await?
        {
            return Err(Status::not_found(format!(
                "can't delete a peer configuration for {ip}"
            )));
        }
        Ok(Response::new(()))
    }

    async fn list_policy(
        &self,
        request: Request<proto::ListPolicyRequest>,
    ) -> Result<Response<Stream<proto::ListPolicyResponse>>, Status> {
        let config = self.state.policy.borrow().clone();
        let items = policy::policies(&config, &request.into_inner().name)
            .into_iter()
            .map(|p| proto::ListPolicyResponse { policy: Some(p) })
            .collect();
        Ok(Response::new(stream(items)))
    }

    async fn list_statement(
        &self,
        request: Request<proto::ListStatementRequest>,
    ) -> Result<Response<Stream<proto::ListStatementResponse>>, Status> {
        let config = self.state.policy.borrow().clone();
        let items = policy::statements(&config, &request.into_inner().name)
            .into_iter()
            .map(|s| proto::ListStatementResponse { statement: Some(s) })
            .collect();
        Ok(Response::new(stream(items)))
    }

    async fn list_defined_set(
        &self,
        request: Request<proto::ListDefinedSetRequest>,
    ) -> Result<Response<Stream<proto::ListDefinedSetResponse>>, Status> {
        let request = request.into_inner();
        let config = self.state.policy.borrow().clone();
        let items = policy::defined_sets(&config, request.defined_type, &request.name)?
            .into_iter()
            .map(|d| proto::ListDefinedSetResponse {
                defined_set: Some(d),
            })
            .collect();
        Ok(Response::new(stream(items)))
    }

    async fn list_policy_assignment(
        &self,
        request: Request<proto::ListPolicyAssignmentRequest>,
    ) -> Result<Response<Stream<proto::ListPolicyAssignmentResponse>>, Status> {
        let items = policy::list_assignments(&self.state, &request.into_inner())?;
        Ok(Response::new(stream(items)))
    }
}
