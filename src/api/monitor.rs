//! WatchEvent (`gobgp monitor global rib [--current]`, `monitor adj-in`,
//! `monitor neighbor`): a subscription to the rib's monitoring stream, the
//! same one BMP clients take, turned back into API paths and peer events.
//!
//! ```text
//!  api ──Request::Subscribe(views, queue)──▶ rib ──Monitor (dump, Synced, live)──▶ watch task ──▶ gRPC stream
//! ```
//!
//! The dump (everything before `Synced`) is sent only when a filter asks
//! for it (`init`, the CLI's `--current`). The subscription's byte queue
//! bounds what a slow client costs the rib: past it the rib ends the
//! subscription and the stream ends with RESOURCE_EXHAUSTED.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use tokio::sync::mpsc;
use tonic::Status;

use super::proto::watch_event_request::table::filter::Type as FilterType;
use super::proto::watch_event_response::{peer_event, Event, PeerEvent, TableEvent};
use super::{convert, peer, proto, ApiState};
use crate::rib::attrs::PathAttrs;
use crate::rib::event::SessionInfo;
use crate::rib::import;
use crate::rib::monitor::{Monitor, Queue, Request, Subscription, View, Views};
use crate::rib::query::{PathSource, Route};
use crate::wire::bgp::{Message, MpReach, MpUnreach, Negotiated, NextHop};
use crate::wire::Family;

/// Bytes a watcher may have queued in the rib before it is cut off.
const WATCH_QUEUE: usize = 64 << 20;

type Item = Result<proto::WatchEventResponse, Status>;

/// Subscribes for `request` and returns the events' receiver.
pub async fn start(
    state: &ApiState,
    request: proto::WatchEventRequest,
) -> Result<mpsc::Receiver<Item>, Status> {
    let mut views = Views::NONE;
    let mut init = false;
    for filter in request.table.iter().flat_map(|t| &t.filters) {
        let view = match FilterType::try_from(filter.r#type) {
            Ok(FilterType::Best) => View::LocRib,
            Ok(FilterType::Adjin) => View::AdjRibInPre,
            Ok(FilterType::PostPolicy) => View::AdjRibInPost,
            Ok(FilterType::Eor) | Err(_) => {
                return Err(Status::unimplemented(
                    "bgpd watches BEST, ADJIN and POST_POLICY only",
                ))
            }
        };
        views = views.with(view);
        init |= filter.init;
    }
    let peers = request.peer.is_some();
    let (tx, rx) = mpsc::unbounded_channel();
    let queue = Arc::new(Queue::new(WATCH_QUEUE));
    let subscription = Subscription {
        views,
        mirroring: false,
        queue: Arc::clone(&queue),
        tx,
    };
    state
        .rib
        .send(Request::Subscribe(subscription))
        .await
        .map_err(|_| Status::unavailable("bgpd is shutting down"))?;
    let (out, events) = mpsc::channel(64);
    tokio::spawn(forward(rx, queue, out, init, peers));
    Ok(events)
}

/// Turns monitoring items into events until the client or the rib goes.
async fn forward(
    mut rx: mpsc::UnboundedReceiver<Monitor>,
    queue: Arc<Queue>,
    out: mpsc::Sender<Item>,
    init: bool,
    peers: bool,
) {
    let mut synced = false;
    while let Some(item) = rx.recv().await {
        queue.credit(item.size());
        let event = match item {
            Monitor::Synced => {
                synced = true;
                None
            }
            Monitor::Route {
                peer,
                view,
                messages,
                at,
            } if synced || init => table_event(peer.as_deref(), view, &messages, at),
            Monitor::PeerUp { info } if synced && peers => Some(peer_event(&info)),
            Monitor::PeerDown { info, .. } if synced && peers => {
                let mut event = peer_event(&info);
                if let Some(Event::Peer(p)) = &mut event.event {
                    if let Some(state) = p.peer.as_mut().and_then(|p| p.state.as_mut()) {
                        state.session_state = proto::peer_state::SessionState::Idle as i32;
                    }
                    if let Some(timers) = p.peer.as_mut().and_then(|p| p.timers.as_mut()) {
                        if let Some(t) = timers.state.as_mut() {
                            t.uptime = None;
                        }
                    }
                }
                Some(event)
            }
            _ => None,
        };
        if let Some(event) = event {
            if out.send(Ok(event)).await.is_err() {
                return;
            }
        }
    }
    if queue.overflowed() {
        let _ = out
            .send(Err(Status::resource_exhausted(
                "the watch fell too far behind and was ended",
            )))
            .await;
    }
}

fn peer_event(info: &SessionInfo) -> proto::WatchEventResponse {
    let session = crate::rib::query::SessionState {
        info: Arc::new(info.clone()),
        counters: Default::default(),
        advertised: Default::default(),
    };
    proto::WatchEventResponse {
        event: Some(Event::Peer(PeerEvent {
            r#type: peer_event::Type::State as i32,
            peer: Some(peer::peer(&info.neighbor, Some(&session), None)),
        })),
    }
}

/// The paths of whole UPDATE `messages` of one view.
fn table_event(
    peer: Option<&SessionInfo>,
    view: View,
    messages: &[Bytes],
    at: SystemTime,
) -> Option<proto::WatchEventResponse> {
    let cx = match (peer, view) {
        (Some(info), View::AdjRibInPre) => info.negotiated.clone(),
        (Some(info), _) => Negotiated {
            four_octet_as: true,
            add_path_receive: info.negotiated.add_path_receive.clone(),
            ..Negotiated::default()
        },
        (None, _) => Negotiated {
            four_octet_as: true,
            ..Negotiated::default()
        },
    };
    let source = peer.map(|info| PathSource {
        address: info.peer,
        asn: info.peer_as,
        router_id: info.peer_id,
        external: info.negotiated.external,
        since: at,
    });
    let mut paths = Vec::new();
    for message in messages {
        let Ok(Message::Update(update)) = Message::decode(message.clone(), &cx) else {
            continue;
        };
        let attributes = import::base_attributes(&update);
        let mut groups = Vec::new();
        if !update.nlri.is_empty() {
            // A local route's 0.0.0.0 next hop is an error to a receiver
            // (RFC 4271 §6.3), so the decoder drops it; the rib's own
            // messages hold no other invalid one.
            let local =
                (view != View::AdjRibInPre).then_some(NextHop::V4(std::net::Ipv4Addr::UNSPECIFIED));
            groups.push((
                Family::IPV4_UNICAST,
                import::ipv4_next_hop(&update).or(local),
                update.nlri.clone(),
            ));
        }
        if let Some(MpReach::Prefixes {
            family,
            next_hop,
            nlri,
        }) = update.mp_reach()
        {
            groups.push((*family, Some(*next_hop), nlri.clone()));
        }
        for (family, next_hop, nlri) in groups {
            let attrs = Arc::new(PathAttrs::new(attributes.clone(), next_hop));
            for n in nlri {
                let route = Route {
                    prefix: n.prefix,
                    path_id: n.path_id.unwrap_or(0),
                    attrs: Arc::clone(&attrs),
                    best: view == View::LocRib,
                    filtered: false,
                    stale: false,
                    source,
                };
                let mut path = convert::path(&route, family, at);
                path.age = Some(convert::timestamp(at));
                paths.push(path);
            }
        }
        // Only what the message withdraws: the rib encoded it, so its
        // announcements stand even where a receiver would treat them as
        // withdrawn (a local route's 0.0.0.0 next hop).
        let unreach = match update.mp_unreach() {
            Some(MpUnreach::Prefixes { family, withdrawn }) => {
                withdrawn.iter().map(|n| (*family, *n)).collect()
            }
            _ => Vec::new(),
        };
        let withdrawn = update
            .withdrawn
            .iter()
            .map(|n| (Family::IPV4_UNICAST, *n))
            .chain(unreach);
        let empty = Arc::new(PathAttrs::new(Vec::new(), None));
        for (family, n) in withdrawn {
            let route = Route {
                prefix: n.prefix,
                path_id: n.path_id.unwrap_or(0),
                attrs: Arc::clone(&empty),
                best: false,
                filtered: false,
                stale: false,
                source,
            };
            let mut path = convert::path(&route, family, at);
            path.is_withdraw = true;
            path.age = Some(convert::timestamp(at));
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return None;
    }
    Some(proto::WatchEventResponse {
        event: Some(Event::Table(TableEvent { paths })),
    })
}
