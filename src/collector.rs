//! The `bmpd` collector: accepts BMP speakers and renders every message as
//! one JSON object.
//!
//! Each speaker connection is one task that frames the stream
//! ([`bmp::frame_len`]), decodes each message, and decodes the BGP messages
//! inside it with what the speaker's Peer Up told us about that peer's
//! session ([`Decoder`]). Lines go to a single writer through a channel, so
//! output lines never interleave.
//!
//! A stream that cannot be framed, or a BMP message that does not decode,
//! is logged on stderr and closes that speaker's connection only. A BGP
//! message inside a well-formed BMP message that does not decode is logged
//! too, and reported in the line's `bgp_error` field; the stream goes on.
//!
//! # JSON shape
//!
//! Every line has `speaker` (the speaker's `ip:port`), `type`
//! (`route_monitoring`, `statistics_report`, `peer_down`, `peer_up`,
//! `initiation`, `termination`, `route_mirroring`), `length`, and the
//! message's fields (`peer` is the per-peer header). Embedded BGP messages
//! are replaced by their decoded form; Route Monitoring lines also carry
//! `announced` and `withdrawn` (prefix strings of every family) and, for an
//! End-of-RIB marker, `end_of_rib` (the family); `add_path_mismatch` marks
//! an UPDATE that decodes only with ADD-PATH path ids present where the
//! peer's session did not negotiate them, or absent where it did (gobgpd
//! 3.10 re-encodes post-policy routes without them). `--raw` adds `raw`, the
//! whole message in hex.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::wire::bgp;
use crate::wire::bmp::{self, PeerDownReason, PerPeerHeader};
use crate::wire::{to_hex, Family};

/// Accepts speakers on `listener` until the task is dropped; each one is
/// served by its own task sending JSON lines to `lines`.
pub async fn serve(listener: TcpListener, raw: bool, lines: mpsc::Sender<String>) {
    loop {
        match listener.accept().await {
            Ok((stream, speaker)) => {
                let lines = lines.clone();
                let span = tracing::info_span!("speaker", %speaker);
                tokio::spawn(connection(stream, speaker, raw, lines).instrument(span));
            }
            Err(err) => {
                // Out of file descriptors and the like: back off briefly
                // rather than spin.
                tracing::error!(error = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(
    stream: TcpStream,
    speaker: SocketAddr,
    raw: bool,
    lines: mpsc::Sender<String>,
) {
    tracing::info!("speaker connected");
    let mut decoder = Decoder::new(speaker, raw);
    match read_stream(stream, &mut decoder, &lines).await {
        Ok(()) => tracing::info!(messages = decoder.messages, "speaker closed the connection"),
        Err(err) => tracing::error!(
            messages = decoder.messages,
            "error: closing connection: {err}"
        ),
    }
}

/// Why a speaker's connection was closed by us.
#[derive(Debug)]
pub enum StreamError {
    /// Reading the socket failed.
    Io(std::io::Error),
    /// The stream cannot be framed (bad version or length).
    Framing(bmp::DecodeError),
    /// A framed message does not decode.
    Message {
        /// Position of the message in the stream, from 1.
        index: u64,
        /// What is wrong with it.
        error: bmp::DecodeError,
    },
    /// The speaker closed in the middle of a message.
    TruncatedAtClose {
        /// Bytes of the unfinished message.
        pending: usize,
    },
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamError::Io(err) => write!(f, "reading the socket: {err}"),
            StreamError::Framing(err) => write!(f, "cannot frame the BMP stream: {err}"),
            StreamError::Message { index, error } => {
                write!(f, "BMP message {index} does not decode: {error}")
            }
            StreamError::TruncatedAtClose { pending } => {
                write!(
                    f,
                    "connection closed inside a message ({pending} bytes pending)"
                )
            }
        }
    }
}

impl std::error::Error for StreamError {}

/// Reads BMP messages from `reader` until it closes, sending one JSON line
/// per message to `lines`.
///
/// Returns `Ok` when the speaker closed cleanly between messages (or the
/// line consumer went away), and the reason otherwise.
pub async fn read_stream<R: AsyncRead + Unpin>(
    mut reader: R,
    decoder: &mut Decoder,
    lines: &mpsc::Sender<String>,
) -> Result<(), StreamError> {
    let mut buf = BytesMut::with_capacity(1 << 16);
    loop {
        while let Some(len) = bmp::frame_len(&buf).map_err(StreamError::Framing)? {
            let message = buf.split_to(len).freeze();
            let line = decoder.render(message)?;
            if lines.send(line).await.is_err() {
                return Ok(());
            }
        }
        if reader.read_buf(&mut buf).await.map_err(StreamError::Io)? == 0 {
            return match buf.len() {
                0 => Ok(()),
                pending => Err(StreamError::TruncatedAtClose { pending }),
            };
        }
    }
}

/// Identifies a monitored peer within one speaker's stream.
type PeerKey = (u8, [u8; 8], [u8; 16]);

fn peer_key(peer: &PerPeerHeader) -> PeerKey {
    (
        u8::from(peer.peer_type),
        peer.distinguisher,
        peer.peer_address,
    )
}

/// One speaker's decoding state: the BGP session facts of each monitored
/// peer, learnt from its Peer Up, so the UPDATEs inside Route Monitoring
/// decode with the right ADD-PATH and message-size rules.
#[derive(Debug)]
pub struct Decoder {
    speaker: String,
    raw: bool,
    sessions: HashMap<PeerKey, bgp::Negotiated>,
    /// Messages decoded so far.
    pub messages: u64,
    /// Embedded BGP messages that did not decode.
    pub bgp_errors: u64,
}

impl Decoder {
    /// A decoder for the stream of `speaker`; `raw` adds each message's hex.
    pub fn new(speaker: SocketAddr, raw: bool) -> Decoder {
        Decoder {
            speaker: speaker.to_string(),
            raw,
            sessions: HashMap::new(),
            messages: 0,
            bgp_errors: 0,
        }
    }

    /// Decodes one whole BMP message into its JSON line.
    pub fn render(&mut self, message: Bytes) -> Result<String, StreamError> {
        Ok(self.to_json(message)?.to_string())
    }

    /// Decodes one whole BMP message into its JSON value.
    pub fn to_json(&mut self, message: Bytes) -> Result<Value, StreamError> {
        self.messages += 1;
        let decoded =
            bmp::Message::decode(message.clone()).map_err(|error| StreamError::Message {
                index: self.messages,
                error,
            })?;
        let mut object = Map::new();
        object.insert("speaker".into(), Value::from(self.speaker.as_str()));
        object.insert("length".into(), Value::from(message.len()));
        if let Value::Object(fields) = to_value(&decoded) {
            object.extend(fields);
        }
        match &decoded {
            bmp::Message::RouteMonitoring(monitoring) => {
                self.route_monitoring(monitoring, &mut object);
            }
            bmp::Message::PeerUp(up) => self.peer_up(up, &mut object),
            bmp::Message::PeerDown(down) => self.peer_down(down, &mut object),
            bmp::Message::RouteMirroring(mirroring) => self.route_mirroring(mirroring, &mut object),
            bmp::Message::StatisticsReport(_)
            | bmp::Message::Initiation(_)
            | bmp::Message::Termination(_) => {}
        }
        if self.raw {
            object.insert("raw".into(), Value::from(to_hex(&message)));
        }
        Ok(Value::Object(object))
    }

    /// The session context for a message about `peer`.
    fn context(&self, peer: &PerPeerHeader) -> bgp::Negotiated {
        let mut cx = self
            .sessions
            .get(&peer_key(peer))
            .cloned()
            .unwrap_or_default();
        // The A flag, not the session, says how this message encodes AS
        // numbers (RFC 7854 §4.2); Loc-RIB (peer type 3) has no A flag and
        // always uses 4 octets (RFC 9069 §4.2).
        cx.four_octet_as = !peer.is_legacy_as_path();
        // A speaker may re-encode what it monitors; accept the larger size.
        cx.extended_message = true;
        if peer.is_adj_rib_out() {
            // Adj-RIB-Out holds what the router sends (RFC 8671).
            cx.add_path_receive = cx.add_path_send.clone();
        }
        cx
    }

    /// Decodes an embedded BGP message, counting and logging a failure.
    fn decode_bgp(
        &mut self,
        pdu: &Bytes,
        cx: &bgp::Negotiated,
        what: &str,
    ) -> Result<bgp::Message, String> {
        bgp::Message::decode(pdu.clone(), cx).map_err(|err| {
            self.bgp_errors += 1;
            tracing::error!(
                message = self.messages,
                "error: {what} holds a BGP message that does not decode: {err}"
            );
            err.to_string()
        })
    }

    /// Decodes a BGP message carrying routes. When it does not decode with
    /// the session's ADD-PATH setting but does with the opposite one, it is
    /// taken as it is and marked `add_path_mismatch`: gobgpd 3.10 re-encodes
    /// post-policy and Loc-RIB routes without the path ids its session
    /// negotiated, and a mirrored UPDATE may come before any Peer Up.
    fn decode_update(
        &mut self,
        pdu: &Bytes,
        cx: &bgp::Negotiated,
        what: &str,
        object: &mut Map<String, Value>,
    ) -> Result<bgp::Message, String> {
        let first = match bgp::Message::decode(pdu.clone(), cx) {
            Ok(message) => return Ok(message),
            Err(first) => first,
        };
        match bgp::Message::decode(pdu.clone(), &toggle_add_path(cx)) {
            Ok(message) => {
                tracing::warn!(
                    message = self.messages,
                    "{what} decodes only with ADD-PATH path ids {} (not as the peer's session negotiated)",
                    if cx.add_path_receive.is_empty() { "present" } else { "absent" }
                );
                object.insert("add_path_mismatch".into(), Value::Bool(true));
                Ok(message)
            }
            Err(_) => {
                self.bgp_errors += 1;
                tracing::error!(
                    message = self.messages,
                    "error: {what} holds a BGP message that does not decode: {first}"
                );
                Err(first.to_string())
            }
        }
    }

    fn route_monitoring(
        &mut self,
        monitoring: &bmp::RouteMonitoring,
        object: &mut Map<String, Value>,
    ) {
        let cx = self.context(&monitoring.peer);
        let decoded = self.decode_update(&monitoring.update, &cx, "route monitoring", object);
        match decoded {
            Ok(bgp::Message::Update(update)) => {
                let announced: Vec<String> = update
                    .announced()
                    .map(|(_, nlri)| nlri.prefix.to_string())
                    .collect();
                let withdrawn: Vec<String> = update
                    .withdrawals()
                    .map(|(_, nlri)| nlri.prefix.to_string())
                    .collect();
                if let Some(family) = update.is_end_of_rib() {
                    object.insert("end_of_rib".into(), Value::from(family.to_string()));
                }
                object.insert("announced".into(), json!(announced));
                object.insert("withdrawn".into(), json!(withdrawn));
                object.insert("update".into(), to_value(&update));
            }
            Ok(other) => {
                self.bgp_errors += 1;
                let error = format!(
                    "route monitoring holds a {:?}, not an UPDATE",
                    other.message_type()
                );
                tracing::error!(message = self.messages, "error: {error}");
                object.insert("bgp_error".into(), Value::from(error));
            }
            Err(error) => {
                object.insert("bgp_error".into(), Value::from(error));
            }
        }
    }

    fn peer_up(&mut self, up: &bmp::PeerUp, object: &mut Map<String, Value>) {
        let baseline = bgp::Negotiated::default();
        let sent = self.decode_bgp(&up.sent_open, &baseline, "peer up (sent OPEN)");
        let received = self.decode_bgp(&up.received_open, &baseline, "peer up (received OPEN)");
        let key = peer_key(&up.peer);
        match (&sent, &received) {
            (Ok(bgp::Message::Open(sent)), Ok(bgp::Message::Open(received))) => {
                self.sessions
                    .insert(key, bgp::Negotiated::from_opens(sent, received));
            }
            _ => {
                self.sessions.remove(&key);
            }
        }
        for (field, decoded) in [("sent_open", sent), ("received_open", received)] {
            let value = match decoded {
                Ok(message) => to_value(&message),
                Err(error) => json!({ "bgp_error": error }),
            };
            object.insert(field.into(), value);
        }
    }

    fn peer_down(&mut self, down: &bmp::PeerDown, object: &mut Map<String, Value>) {
        self.sessions.remove(&peer_key(&down.peer));
        let notification = match &down.reason {
            PeerDownReason::LocalNotification(pdu) | PeerDownReason::RemoteNotification(pdu) => pdu,
            _ => return,
        };
        // GoBGP sends these reasons with no PDU at all; nothing to decode.
        if notification.is_empty() {
            return;
        }
        let value = match self.decode_bgp(notification, &bgp::Negotiated::default(), "peer down") {
            Ok(message) => to_value(&message),
            Err(error) => json!({ "bgp_error": error }),
        };
        object.insert("notification".into(), value);
    }

    fn route_mirroring(
        &mut self,
        mirroring: &bmp::RouteMirroring,
        object: &mut Map<String, Value>,
    ) {
        let cx = self.context(&mirroring.peer);
        let errored = mirroring.tlvs.iter().any(|tlv| {
            matches!(
                tlv,
                bmp::MirrorTlv::Information(bmp::MirrorInformation::ErroredPdu)
            )
        });
        let mut messages = Vec::new();
        for tlv in &mirroring.tlvs {
            if let bmp::MirrorTlv::BgpMessage(pdu) = tlv {
                // A PDU the speaker itself marked as errored is expected not
                // to decode: report it without counting it as our error.
                let decoded = if errored {
                    bgp::Message::decode(pdu.clone(), &cx).map_err(|err| err.to_string())
                } else {
                    self.decode_update(pdu, &cx, "route mirroring", object)
                };
                messages.push(match decoded {
                    Ok(message) => to_value(&message),
                    Err(error) => json!({ "bgp_error": error }),
                });
            }
        }
        object.insert("bgp_messages".into(), Value::Array(messages));
    }
}

/// The same context with ADD-PATH path ids expected where they were not,
/// and not where they were.
fn toggle_add_path(cx: &bgp::Negotiated) -> bgp::Negotiated {
    let add_path_receive = if cx.add_path_receive.is_empty() {
        [Family::IPV4_UNICAST, Family::IPV6_UNICAST].into()
    } else {
        Default::default()
    };
    bgp::Negotiated {
        add_path_receive,
        ..cx.clone()
    }
}

/// Serializes a decoded value. Our types serialize without fallible parts
/// (no maps with non-string keys), so a failure is reported in the output
/// rather than lost.
fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|err| json!({ "json_error": err.to_string() }))
}
