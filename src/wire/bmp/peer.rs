//! Peer Up (type 3, RFC 7854 §4.10) and Peer Down (type 2, RFC 7854 §4.9,
//! RFC 9069 §5.2) notifications.
//!
//! Peer Up, after the per-peer header:
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Local Address (16 octets)                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Local Port            |        Remote Port            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Sent OPEN Message                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  Received OPEN Message                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Information TLVs (variable)                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The two OPENs are whole BGP messages (header included), split by the
//! length at offset 16 of each BGP header, and kept raw.
//!
//! Peer Down, after the per-peer header: a 1-octet reason, then data that
//! depends on it (see [`PeerDownReason`]).

use std::net::IpAddr;

use bytes::{BufMut, Bytes, BytesMut};
use serde::ser::SerializeStruct;

use super::header::{address_from, address_to};
use super::{check_bgp_pdu, take_bgp_pdu, DecodeError, EncodeError, PeerInfoTlv, PerPeerHeader};
use crate::wire::{to_hex, Take};

/// Peer Up notification: a session with the peer reached Established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerUp {
    /// The peer.
    pub peer: PerPeerHeader,
    /// Local address as sent; see [`local_address`](Self::local_address).
    pub local_address: [u8; 16],
    /// Local TCP port.
    pub local_port: u16,
    /// Remote TCP port.
    pub remote_port: u16,
    /// The OPEN the monitored router sent, as a whole BGP message.
    pub sent_open: Bytes,
    /// The OPEN it received, as a whole BGP message.
    pub received_open: Bytes,
    /// Information TLVs (RFC 7854 §4.10, RFC 9069 VRF/Table Name).
    pub information: Vec<PeerInfoTlv>,
}

impl PeerUp {
    /// The local address, read as IPv6 when the header's V flag is set.
    pub fn local_address(&self) -> IpAddr {
        address_from(&self.local_address, self.peer.is_ipv6())
    }

    /// Sets the local address (IPv4 in the last four octets).
    pub fn set_local_address(&mut self, address: IpAddr) {
        self.local_address = address_to(address);
    }

    pub(super) fn decode_body(mut body: Bytes) -> Result<PeerUp, DecodeError> {
        let peer = PerPeerHeader::decode(&mut body)?;
        let local_address = body.take_array()?;
        let local_port = body.take_u16()?;
        let remote_port = body.take_u16()?;
        let sent_open = take_bgp_pdu(&mut body)?;
        let received_open = take_bgp_pdu(&mut body)?;
        let information = PeerInfoTlv::decode_all(body)?;
        Ok(PeerUp {
            peer,
            local_address,
            local_port,
            remote_port,
            sent_open,
            received_open,
            information,
        })
    }

    pub(super) fn encode_body(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        check_bgp_pdu(&self.sent_open)?;
        check_bgp_pdu(&self.received_open)?;
        out.reserve(PerPeerHeader::LEN + 20 + self.sent_open.len() + self.received_open.len());
        self.peer.encode(out);
        out.put_slice(&self.local_address);
        out.put_u16(self.local_port);
        out.put_u16(self.remote_port);
        out.put_slice(&self.sent_open);
        out.put_slice(&self.received_open);
        PeerInfoTlv::encode_all(&self.information, out)
    }
}

/// JSON shape: the local address as text and the OPENs as hex.
impl serde::Serialize for PeerUp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("PeerUp", 7)?;
        s.serialize_field("peer", &self.peer)?;
        s.serialize_field("local_address", &self.local_address().to_string())?;
        s.serialize_field("local_port", &self.local_port)?;
        s.serialize_field("remote_port", &self.remote_port)?;
        s.serialize_field("sent_open", &to_hex(&self.sent_open))?;
        s.serialize_field("received_open", &to_hex(&self.received_open))?;
        s.serialize_field("information", &self.information)?;
        s.end()
    }
}

/// Why the session went down, with the data each reason carries
/// (IANA "BMP Peer Down Reason Codes").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerDownReason {
    /// 1: the local system closed the session and sent this NOTIFICATION
    /// (whole BGP message). Kept as received: GoBGP sometimes sends this
    /// reason with no PDU, which decodes as an empty value.
    LocalNotification(#[serde(serialize_with = "crate::wire::serialize_hex")] Bytes),
    /// 2: the local system closed the session without a NOTIFICATION; the
    /// FSM event code (RFC 4271 §8.1) that caused it. `None` when the data
    /// is missing, as GoBGP sends on admin-down.
    LocalFsmEvent(Option<u16>),
    /// 3: the remote system closed the session with this NOTIFICATION
    /// (whole BGP message; may be empty, see reason 1).
    RemoteNotification(#[serde(serialize_with = "crate::wire::serialize_hex")] Bytes),
    /// 4: the remote system closed the session without a NOTIFICATION.
    RemoteNoData,
    /// 5: the peer was de-configured; no data.
    Deconfigured,
    /// 6: the local system closed the session; information TLVs follow
    /// (RFC 9069 §5.2, used for Loc-RIB instances with a VRF/Table Name).
    LocalTlv(Vec<PeerInfoTlv>),
    /// Any other reason code (0 is reserved, yet GoBGP sends it), with
    /// whatever data followed.
    Unknown(
        u8,
        #[serde(serialize_with = "crate::wire::serialize_hex")] Bytes,
    ),
}

impl PeerDownReason {
    /// The reason code on the wire.
    pub fn code(&self) -> u8 {
        match self {
            PeerDownReason::LocalNotification(_) => 1,
            PeerDownReason::LocalFsmEvent(_) => 2,
            PeerDownReason::RemoteNotification(_) => 3,
            PeerDownReason::RemoteNoData => 4,
            PeerDownReason::Deconfigured => 5,
            PeerDownReason::LocalTlv(_) => 6,
            PeerDownReason::Unknown(code, _) => *code,
        }
    }
}

/// Peer Down notification: the session with the peer left Established.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PeerDown {
    /// The peer.
    pub peer: PerPeerHeader,
    /// Why, with the reason's data.
    pub reason: PeerDownReason,
}

impl PeerDown {
    pub(super) fn decode_body(mut body: Bytes) -> Result<PeerDown, DecodeError> {
        let peer = PerPeerHeader::decode(&mut body)?;
        let code = body.take_u8()?;
        let bad = |len| DecodeError::BadPeerDownData { reason: code, len };
        let reason = match code {
            1 => PeerDownReason::LocalNotification(body),
            2 => match body.len() {
                0 => PeerDownReason::LocalFsmEvent(None),
                2 => PeerDownReason::LocalFsmEvent(Some(body.take_u16()?)),
                len => return Err(bad(len)),
            },
            3 => PeerDownReason::RemoteNotification(body),
            4 | 5 if !body.is_empty() => return Err(bad(body.len())),
            4 => PeerDownReason::RemoteNoData,
            5 => PeerDownReason::Deconfigured,
            6 => PeerDownReason::LocalTlv(PeerInfoTlv::decode_all(body)?),
            other => PeerDownReason::Unknown(other, body),
        };
        Ok(PeerDown { peer, reason })
    }

    pub(super) fn encode_body(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        self.peer.encode(out);
        let code = self.reason.code();
        out.put_u8(code);
        match &self.reason {
            PeerDownReason::LocalNotification(pdu) | PeerDownReason::RemoteNotification(pdu) => {
                out.put_slice(pdu)
            }
            PeerDownReason::LocalFsmEvent(Some(event)) => out.put_u16(*event),
            PeerDownReason::LocalFsmEvent(None)
            | PeerDownReason::RemoteNoData
            | PeerDownReason::Deconfigured => {}
            PeerDownReason::LocalTlv(tlvs) => PeerInfoTlv::encode_all(tlvs, out)?,
            PeerDownReason::Unknown(_, data) => out.put_slice(data),
        }
        Ok(())
    }
}
