//! Pure conversions from the rib's monitoring stream to BMP messages.
//!
//! No I/O and no clock: every function appends whole BMP messages to a
//! `BytesMut` and is told the time when it needs one.
//!
//! | item | BMP message |
//! |---|---|
//! | [`Monitor::PeerUp`] | Peer Up (RFC 7854 §4.10): real local address and ports, both OPENs as exchanged, timestamp = when the session came up |
//! | [`Monitor::PeerDown`] | Peer Down (§4.9): reason 1–5 with its data, never 0 |
//! | [`Monitor::Route`] | one Route Monitoring (§4.6) per UPDATE, flags from the view |
//! | [`Monitor::Mirror`] | Route Mirroring (§4.7): BGP Message TLV, Information code 0 first when errored |
//! | [`Stats`] | one Statistics Report (§4.8, RFC 8671 §6) per reported peer, and one for the Loc-RIB instance |
//!
//! Per-peer header of a session: peer type 0 (global instance), the
//! neighbor's address (V set for IPv6), AS and BGP identifier. Route
//! Monitoring adds L for post-policy views, O for Adj-RIB-Out views
//! (RFC 8671 §4) and A when the session is not 4-octet AS: the rib encodes
//! every per-peer view with the session's AS width (Adj-RIB-Out with the
//! width used towards the peer), so A says how the AS_PATH inside is
//! written (RFC 7854 §4.2). The Loc-RIB instance (RFC 9069 §4) is peer
//! type 3 with a zero address and distinguisher, our AS and router id.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::SystemTime;

use bytes::BytesMut;

use crate::rib::event::{DownReason, SessionInfo};
use crate::rib::monitor::{Monitor, PeerStats, Stats, View, Views};
use crate::rib::PerFamily;
use crate::wire::bgp::{self, Capability, Open};
use crate::wire::bmp::{
    encode_route_monitoring, EncodeError, Initiation, InitiationTlv, Message, MirrorInformation,
    MirrorTlv, PeerDown, PeerDownReason, PeerFlags, PeerInfoTlv, PeerType, PeerUp, PerPeerHeader,
    RouteMirroring, Stat, StatType, StatValue, StatisticsReport, Termination, TerminationReason,
    TerminationTlv,
};
use crate::wire::Family;

/// VRF/Table Name of the global Loc-RIB instance (RFC 9069 §5.1 wants the
/// TLV; the global table has no configured name).
pub const LOC_RIB_TABLE_NAME: &str = "global";

/// Who we are, as the Loc-RIB instance's per-peer header reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    /// Our AS.
    pub asn: u32,
    /// Our BGP identifier.
    pub router_id: Ipv4Addr,
}

/// Families the rib keeps counts for (statistics types 9, 10, 15, 17).
const COUNTED_FAMILIES: [Family; 2] = [Family::IPV4_UNICAST, Family::IPV6_UNICAST];

/// The Initiation message (RFC 7854 §4.3): sysDescr, then sysName.
pub fn initiation(sys_name: &str, sys_descr: &str, out: &mut BytesMut) -> Result<(), EncodeError> {
    Message::Initiation(Initiation {
        information: vec![
            InitiationTlv::SysDescr(sys_descr.to_owned()),
            InitiationTlv::SysName(sys_name.to_owned()),
        ],
    })
    .encode(out)
}

/// The Termination message (RFC 7854 §4.5): the reason, then `text` as a
/// String TLV when given.
pub fn termination(
    reason: TerminationReason,
    text: Option<&str>,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    let mut information = vec![TerminationTlv::Reason(reason)];
    if let Some(text) = text {
        information.push(TerminationTlv::String(text.to_owned()));
    }
    Message::Termination(Termination { information }).encode(out)
}

/// The Loc-RIB instance's per-peer header (RFC 9069 §4.1): peer type 3,
/// zero distinguisher and address, our AS and router id, F clear.
pub fn loc_rib_header(local: &Local, at: SystemTime) -> PerPeerHeader {
    PerPeerHeader::new(
        PeerType::LocRib,
        PeerFlags::EMPTY,
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        local.asn,
        local.router_id,
        at,
    )
}

/// The fabricated OPEN of the Loc-RIB instance (RFC 9069 §5.1): what its
/// Route Monitoring uses, namely 4-octet ASNs and IPv4/IPv6 unicast, no
/// ADD-PATH. Sent as both the sent and the received OPEN.
pub fn loc_rib_open(local: &Local) -> bytes::Bytes {
    let open = Open::new(
        local.asn,
        0,
        local.router_id,
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::Multiprotocol(Family::IPV6_UNICAST),
            Capability::FourOctetAs(local.asn),
        ],
    );
    bgp::Message::Open(open)
        .to_bytes(&bgp::Negotiated::default())
        .expect("an OPEN with three capabilities is far below 4096 octets")
}

/// The Loc-RIB instance's Peer Up (RFC 9069 §5.1): zero local address and
/// ports, the fabricated OPEN twice, and the VRF/Table Name TLV.
pub fn loc_rib_peer_up(
    local: &Local,
    at: SystemTime,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    let open = loc_rib_open(local);
    Message::PeerUp(PeerUp {
        peer: loc_rib_header(local, at),
        local_address: [0; 16],
        local_port: 0,
        remote_port: 0,
        sent_open: open.clone(),
        received_open: open,
        information: vec![PeerInfoTlv::VrfTableName(LOC_RIB_TABLE_NAME.to_owned())],
    })
    .encode(out)
}

/// The per-peer header of `info`'s session, with `flags` (V is set from
/// the address).
pub fn session_header(info: &SessionInfo, flags: PeerFlags, at: SystemTime) -> PerPeerHeader {
    PerPeerHeader::new(
        PeerType::Global,
        flags,
        info.peer,
        info.peer_as,
        info.peer_id,
        at,
    )
}

/// Route Monitoring flags of `view` for `info`'s session.
pub fn view_flags(info: &SessionInfo, view: View) -> PeerFlags {
    let view_flags = match view {
        View::AdjRibInPre | View::LocRib => PeerFlags::EMPTY,
        View::AdjRibInPost => PeerFlags::POST_POLICY,
        View::AdjRibOutPre => PeerFlags::ADJ_RIB_OUT,
        View::AdjRibOutPost => PeerFlags::ADJ_RIB_OUT | PeerFlags::POST_POLICY,
    };
    if info.negotiated.four_octet_as {
        view_flags
    } else {
        view_flags | PeerFlags::LEGACY_AS_PATH
    }
}

/// An IPv4-mapped IPv6 address (a dual-stack socket's view) as IPv4, so an
/// IPv4 session's Peer Up carries the address in the last four octets.
fn canonical(address: SocketAddr) -> IpAddr {
    match address.ip() {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Peer Up of an established session (RFC 7854 §4.10).
pub fn peer_up(info: &SessionInfo, out: &mut BytesMut) -> Result<(), EncodeError> {
    let mut message = PeerUp {
        peer: session_header(info, PeerFlags::EMPTY, info.established_at),
        local_address: [0; 16],
        local_port: info.local.port(),
        remote_port: info.remote.port(),
        sent_open: info.sent_open.clone(),
        received_open: info.received_open.clone(),
        information: Vec::new(),
    };
    message.set_local_address(canonical(info.local));
    Message::PeerUp(message).encode(out)
}

/// The Peer Down reason and data for `reason` (RFC 7854 §4.9).
pub fn down_reason(reason: &DownReason) -> PeerDownReason {
    match reason {
        DownReason::LocalNotification(pdu) => PeerDownReason::LocalNotification(pdu.clone()),
        DownReason::LocalNoNotification(event) => PeerDownReason::LocalFsmEvent(Some(*event)),
        DownReason::RemoteNotification(pdu) => PeerDownReason::RemoteNotification(pdu.clone()),
        DownReason::RemoteClosed => PeerDownReason::RemoteNoData,
        DownReason::Deconfigured => PeerDownReason::Deconfigured,
    }
}

/// Peer Down of a session (RFC 7854 §4.9).
pub fn peer_down(
    info: &SessionInfo,
    reason: &DownReason,
    at: SystemTime,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    Message::PeerDown(PeerDown {
        peer: session_header(info, PeerFlags::EMPTY, at),
        reason: down_reason(reason),
    })
    .encode(out)
}

/// Route Mirroring of one received message (RFC 7854 §4.7).
pub fn mirror(
    info: &SessionInfo,
    message: &bytes::Bytes,
    errored: bool,
    at: SystemTime,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    let mut tlvs = Vec::with_capacity(2);
    if errored {
        tlvs.push(MirrorTlv::Information(MirrorInformation::ErroredPdu));
    }
    tlvs.push(MirrorTlv::BgpMessage(message.clone()));
    Message::RouteMirroring(RouteMirroring {
        peer: session_header(info, PeerFlags::EMPTY, at),
        tlvs,
    })
    .encode(out)
}

/// Route Mirroring saying messages from `info`'s peer may have been lost
/// (RFC 7854 §4.7, Information code 1): sent after the peer's Peer Up on
/// a connection that replaces a lost or overflowed one, since what the
/// peer sent in between was not mirrored.
pub fn mirror_lost(
    info: &SessionInfo,
    at: SystemTime,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    Message::RouteMirroring(RouteMirroring {
        peer: session_header(info, PeerFlags::EMPTY, at),
        tlvs: vec![MirrorTlv::Information(MirrorInformation::MessagesLost)],
    })
    .encode(out)
}

/// Appends the BMP messages of one monitoring item. [`Monitor::Synced`]
/// has none.
///
/// A message that cannot be encoded (an UPDATE whose length field does not
/// match its bytes) is skipped, the others are still appended, and the
/// last error is returned.
pub fn monitor(item: &Monitor, local: &Local, out: &mut BytesMut) -> Result<(), EncodeError> {
    match item {
        Monitor::PeerUp { info } => peer_up(info, out),
        Monitor::PeerDown { info, reason, at } => peer_down(info, reason, *at, out),
        Monitor::Mirror {
            info,
            message,
            errored,
            at,
        } => mirror(info, message, *errored, *at, out),
        Monitor::Route {
            peer,
            view,
            messages,
            at,
        } => {
            let header = match peer {
                Some(info) => session_header(info, view_flags(info, *view), *at),
                None => loc_rib_header(local, *at),
            };
            let mut result = Ok(());
            for message in messages {
                if let Err(error) = encode_route_monitoring(&header, message, out) {
                    result = Err(error);
                }
            }
            result
        }
        Monitor::Synced => Ok(()),
    }
}

/// A 32-bit counter (RFC 7854 §4.8): it wraps, as SNMP counters do.
fn counter(stat_type: StatType, value: u64) -> Stat {
    Stat {
        stat_type,
        value: StatValue::Counter((value & u64::from(u32::MAX)) as u32),
    }
}

fn gauge(stat_type: StatType, value: u64) -> Stat {
    Stat {
        stat_type,
        value: StatValue::Gauge(value),
    }
}

fn family_gauges<'a>(
    stat_type: StatType,
    counts: &'a PerFamily,
    families: impl Iterator<Item = Family> + 'a,
) -> impl Iterator<Item = Stat> + 'a {
    families.map(move |family| Stat {
        stat_type,
        value: StatValue::FamilyGauge {
            family,
            value: counts.get(family),
        },
    })
}

/// The statistics of one peer, in type order: 0–5, 7–12 from its
/// counters (9/10 per negotiated family the rib counts), and 14–17 when
/// `views` holds an Adj-RIB-Out view.
///
/// Not sent: 6 (AS_CONFED loops): bgpd is in no confederation, so an
/// AS_CONFED segment from an external peer is a malformed AS_PATH (RFC
/// 5065 §5), counted in 11/12, not a loop.
pub fn peer_stats(peer: &PeerStats, views: Views) -> Vec<Stat> {
    use StatType::*;
    let c = &peer.counters;
    let families: Vec<Family> = COUNTED_FAMILIES
        .into_iter()
        .filter(|f| peer.info.negotiated.families.contains(f))
        .collect();
    let mut stats = vec![
        counter(RejectedPrefixes, c.rejected),
        counter(DuplicatePrefixAdvertisements, c.duplicates),
        counter(DuplicateWithdraws, c.unknown_withdrawals),
        counter(ClusterListLoop, c.cluster_list_loops),
        counter(AsPathLoop, c.as_path_loops),
        counter(OriginatorIdLoop, c.originator_id_loops),
        gauge(AdjRibInRoutes, c.adj_rib_in.total()),
        gauge(LocRibRoutes, c.loc_rib.total()),
    ];
    stats.extend(family_gauges(
        FamilyAdjRibInRoutes,
        &c.adj_rib_in,
        families.iter().copied(),
    ));
    stats.extend(family_gauges(
        FamilyLocRibRoutes,
        &c.loc_rib,
        families.iter().copied(),
    ));
    stats.push(counter(
        UpdatesTreatedAsWithdraw,
        c.treat_as_withdraw_updates,
    ));
    stats.push(counter(
        PrefixesTreatedAsWithdraw,
        c.treat_as_withdraw_prefixes,
    ));
    stats.push(counter(DuplicateUpdates, c.duplicate_updates));
    if views.contains(View::AdjRibOutPre) || views.contains(View::AdjRibOutPost) {
        let (pre, out) = (&peer.adj_rib_out_pre, &peer.adj_rib_out);
        stats.push(gauge(PrePolicyAdjRibOutRoutes, pre.total()));
        stats.push(gauge(PostPolicyAdjRibOutRoutes, out.total()));
        stats.extend(family_gauges(
            FamilyPrePolicyAdjRibOutRoutes,
            pre,
            families.iter().copied(),
        ));
        stats.extend(family_gauges(
            FamilyPostPolicyAdjRibOutRoutes,
            out,
            families.iter().copied(),
        ));
    }
    stats
}

/// The Loc-RIB instance's statistics (RFC 9069 §6): routes in Loc-RIB
/// (type 8) and per family (type 10).
pub fn loc_rib_stats(loc_rib: &PerFamily) -> Vec<Stat> {
    let mut stats = vec![gauge(StatType::LocRibRoutes, loc_rib.total())];
    stats.extend(family_gauges(
        StatType::FamilyLocRibRoutes,
        loc_rib,
        COUNTED_FAMILIES.into_iter(),
    ));
    stats
}

/// Statistics Reports for `stats`: one per peer for which `reported` is
/// true (the peers whose Peer Up the station has), then one for the
/// Loc-RIB instance when `views` holds [`View::LocRib`]. Returns how many
/// reports were appended.
pub fn statistics(
    stats: &Stats,
    views: Views,
    reported: impl Fn(&SessionInfo) -> bool,
    at: SystemTime,
    out: &mut BytesMut,
) -> Result<usize, EncodeError> {
    let mut reports = 0;
    for peer in stats.peers.iter().filter(|p| reported(&p.info)) {
        Message::StatisticsReport(StatisticsReport {
            peer: session_header(&peer.info, PeerFlags::EMPTY, at),
            stats: peer_stats(peer, views),
        })
        .encode(out)?;
        reports += 1;
    }
    if views.contains(View::LocRib) {
        let local = Local {
            asn: stats.local_as,
            router_id: stats.router_id,
        };
        Message::StatisticsReport(StatisticsReport {
            peer: loc_rib_header(&local, at),
            stats: loc_rib_stats(&stats.loc_rib),
        })
        .encode(out)?;
        reports += 1;
    }
    Ok(reports)
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod tests;
