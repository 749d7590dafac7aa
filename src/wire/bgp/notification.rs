//! NOTIFICATION message (RFC 4271 §4.5) and its error codes.
//!
//! ```text
//! +--------+-----------+--------------------+
//! | Code 1 | Subcode 1 | Data (variable)    |
//! +--------+-----------+--------------------+
//! ```
//!
//! Codes and subcodes follow IANA "BGP Error (Notification) Codes" and
//! "BGP Error Subcodes": RFC 4271 (codes 1-6), RFC 6608 (FSM subcodes),
//! RFC 4486/8538/9384 (Cease subcodes), RFC 7313 (code 7). Cease subcodes 2
//! (Administrative Shutdown) and 4 (Administrative Reset) may carry a
//! shutdown communication (RFC 9003): one length octet and up to 255
//! octets of UTF-8.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};
use serde::ser::SerializeStruct;

use super::error::{DecodeError, EncodeError};
use crate::wire::Take;

code_enum! {
    /// Message Header Error subcodes (code 1, RFC 4271 §4.5).
    pub enum HeaderSubcode: u8 {
        /// 0: unspecific.
        Unspecific = 0,
        /// 1: Connection Not Synchronized.
        ConnectionNotSynchronized = 1,
        /// 2: Bad Message Length.
        BadMessageLength = 2,
        /// 3: Bad Message Type.
        BadMessageType = 3,
    }
}

code_enum! {
    /// OPEN Message Error subcodes (code 2, RFC 4271 §4.5, RFC 5492).
    pub enum OpenSubcode: u8 {
        /// 0: unspecific.
        Unspecific = 0,
        /// 1: Unsupported Version Number.
        UnsupportedVersionNumber = 1,
        /// 2: Bad Peer AS.
        BadPeerAs = 2,
        /// 3: Bad BGP Identifier.
        BadBgpIdentifier = 3,
        /// 4: Unsupported Optional Parameter.
        UnsupportedOptionalParameter = 4,
        /// 5: deprecated (Authentication Failure).
        AuthenticationFailure = 5,
        /// 6: Unacceptable Hold Time.
        UnacceptableHoldTime = 6,
        /// 7: Unsupported Capability (RFC 5492).
        UnsupportedCapability = 7,
        /// 11: Role Mismatch (RFC 9234).
        RoleMismatch = 11,
    }
}

code_enum! {
    /// UPDATE Message Error subcodes (code 3, RFC 4271 §4.5).
    pub enum UpdateSubcode: u8 {
        /// 0: unspecific.
        Unspecific = 0,
        /// 1: Malformed Attribute List.
        MalformedAttributeList = 1,
        /// 2: Unrecognized Well-known Attribute.
        UnrecognizedWellKnownAttribute = 2,
        /// 3: Missing Well-known Attribute.
        MissingWellKnownAttribute = 3,
        /// 4: Attribute Flags Error.
        AttributeFlagsError = 4,
        /// 5: Attribute Length Error.
        AttributeLengthError = 5,
        /// 6: Invalid ORIGIN Attribute.
        InvalidOriginAttribute = 6,
        /// 7: deprecated (AS Routing Loop).
        AsRoutingLoop = 7,
        /// 8: Invalid NEXT_HOP Attribute.
        InvalidNextHopAttribute = 8,
        /// 9: Optional Attribute Error.
        OptionalAttributeError = 9,
        /// 10: Invalid Network Field.
        InvalidNetworkField = 10,
        /// 11: Malformed AS_PATH.
        MalformedAsPath = 11,
    }
}

code_enum! {
    /// Finite State Machine Error subcodes (code 5, RFC 6608).
    pub enum FsmSubcode: u8 {
        /// 0: unspecified error.
        Unspecified = 0,
        /// 1: Receive Unexpected Message in OpenSent State.
        UnexpectedMessageInOpenSent = 1,
        /// 2: Receive Unexpected Message in OpenConfirm State.
        UnexpectedMessageInOpenConfirm = 2,
        /// 3: Receive Unexpected Message in Established State.
        UnexpectedMessageInEstablished = 3,
    }
}

code_enum! {
    /// Cease subcodes (code 6, RFC 4486, RFC 8538, RFC 9384).
    pub enum CeaseSubcode: u8 {
        /// 0: unspecific.
        Unspecific = 0,
        /// 1: Maximum Number of Prefixes Reached.
        MaximumPrefixesReached = 1,
        /// 2: Administrative Shutdown (may carry a communication).
        AdministrativeShutdown = 2,
        /// 3: Peer De-configured.
        PeerDeconfigured = 3,
        /// 4: Administrative Reset (may carry a communication).
        AdministrativeReset = 4,
        /// 5: Connection Rejected.
        ConnectionRejected = 5,
        /// 6: Other Configuration Change.
        OtherConfigurationChange = 6,
        /// 7: Connection Collision Resolution.
        ConnectionCollisionResolution = 7,
        /// 8: Out of Resources.
        OutOfResources = 8,
        /// 9: Hard Reset (RFC 8538).
        HardReset = 9,
        /// 10: BFD Down (RFC 9384).
        BfdDown = 10,
    }
}

code_enum! {
    /// ROUTE-REFRESH Message Error subcodes (code 7, RFC 7313 §5).
    pub enum RouteRefreshSubcode: u8 {
        /// 0: reserved.
        Reserved = 0,
        /// 1: Invalid Message Length.
        InvalidMessageLength = 1,
    }
}

/// Error code and subcode together, so no pair can be inconsistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ErrorCode {
    /// 1: Message Header Error.
    MessageHeader(HeaderSubcode),
    /// 2: OPEN Message Error.
    Open(OpenSubcode),
    /// 3: UPDATE Message Error.
    Update(UpdateSubcode),
    /// 4: Hold Timer Expired (subcode normally 0).
    HoldTimerExpired(u8),
    /// 5: Finite State Machine Error (RFC 6608).
    Fsm(FsmSubcode),
    /// 6: Cease (RFC 4486).
    Cease(CeaseSubcode),
    /// 7: ROUTE-REFRESH Message Error (RFC 7313).
    RouteRefresh(RouteRefreshSubcode),
    /// Any other code, kept as received.
    Unknown {
        /// Error code.
        code: u8,
        /// Error subcode.
        subcode: u8,
    },
}

impl ErrorCode {
    /// From the wire's code and subcode octets.
    pub fn from_wire(code: u8, subcode: u8) -> ErrorCode {
        match code {
            1 => ErrorCode::MessageHeader(subcode.into()),
            2 => ErrorCode::Open(subcode.into()),
            3 => ErrorCode::Update(subcode.into()),
            4 => ErrorCode::HoldTimerExpired(subcode),
            5 => ErrorCode::Fsm(subcode.into()),
            6 => ErrorCode::Cease(subcode.into()),
            7 => ErrorCode::RouteRefresh(subcode.into()),
            _ => ErrorCode::Unknown { code, subcode },
        }
    }

    /// The Error Code octet.
    pub fn code(&self) -> u8 {
        match self {
            ErrorCode::MessageHeader(_) => 1,
            ErrorCode::Open(_) => 2,
            ErrorCode::Update(_) => 3,
            ErrorCode::HoldTimerExpired(_) => 4,
            ErrorCode::Fsm(_) => 5,
            ErrorCode::Cease(_) => 6,
            ErrorCode::RouteRefresh(_) => 7,
            ErrorCode::Unknown { code, .. } => *code,
        }
    }

    /// The Error Subcode octet.
    pub fn subcode(&self) -> u8 {
        match *self {
            ErrorCode::MessageHeader(s) => s.into(),
            ErrorCode::Open(s) => s.into(),
            ErrorCode::Update(s) => s.into(),
            ErrorCode::HoldTimerExpired(s) => s,
            ErrorCode::Fsm(s) => s.into(),
            ErrorCode::Cease(s) => s.into(),
            ErrorCode::RouteRefresh(s) => s.into(),
            ErrorCode::Unknown { subcode, .. } => subcode,
        }
    }
}

/// A NOTIFICATION message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Error code and subcode.
    pub code: ErrorCode,
    /// Data, as the code defines it (often empty).
    pub data: Bytes,
}

/// Longest shutdown communication (RFC 9003 §2).
pub const MAX_SHUTDOWN_COMMUNICATION: usize = 255;

impl Notification {
    /// A NOTIFICATION with no data.
    pub fn new(code: ErrorCode) -> Notification {
        Notification {
            code,
            data: Bytes::new(),
        }
    }

    /// Cease with a shutdown communication (RFC 9003): `subcode` should be
    /// Administrative Shutdown or Reset. Fails when `text` is over 255
    /// octets rather than cut it.
    pub fn cease_with_communication(
        subcode: CeaseSubcode,
        text: &str,
    ) -> Result<Notification, EncodeError> {
        let length = u8::try_from(text.len()).map_err(|_| EncodeError::FieldTooLong {
            field: "shutdown communication",
            length: text.len(),
        })?;
        let mut data = BytesMut::with_capacity(text.len() + 1);
        data.put_u8(length);
        data.put_slice(text.as_bytes());
        Ok(Notification {
            code: ErrorCode::Cease(subcode),
            data: data.freeze(),
        })
    }

    /// Decodes the body (after the header); at least code and subcode.
    pub fn decode(mut body: Bytes) -> Result<Notification, DecodeError> {
        let bad_length = DecodeError::BadMessageLength(clamp(body.len() + 19));
        let code = body.take_u8().map_err(|_| bad_length.clone())?;
        let subcode = body.take_u8().map_err(|_| bad_length)?;
        Ok(Notification {
            code: ErrorCode::from_wire(code, subcode),
            data: body,
        })
    }

    /// Appends the body (after the header).
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.code.code());
        out.put_u8(self.code.subcode());
        out.put_slice(&self.data);
    }

    /// The RFC 9003 shutdown communication of a Cease 2 or 4, when there is
    /// a well-formed one.
    pub fn shutdown_communication(&self) -> Option<&str> {
        match self.code {
            ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown)
            | ErrorCode::Cease(CeaseSubcode::AdministrativeReset) => {}
            _ => return None,
        }
        let (&length, rest) = self.data.split_first()?;
        if length == 0 {
            return None;
        }
        let text = rest.get(..usize::from(length))?;
        std::str::from_utf8(text).ok()
    }
}

fn clamp(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

impl fmt::Display for Notification {
    /// `code/subcode (Name)`, then the shutdown communication if any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} ({:?})",
            self.code.code(),
            self.code.subcode(),
            self.code
        )?;
        if let Some(text) = self.shutdown_communication() {
            write!(f, ": {text:?}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Notification {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Notification", 5)?;
        s.serialize_field("code", &self.code.code())?;
        s.serialize_field("subcode", &self.code.subcode())?;
        s.serialize_field("error", &self.code)?;
        s.serialize_field("data", &crate::wire::to_hex(&self.data))?;
        s.serialize_field("communication", &self.shutdown_communication())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(hex: &str) -> Bytes {
        Bytes::from(crate::wire::from_hex(hex).expect("test hex"))
    }

    #[test]
    fn cease_admin_shutdown_with_communication_golden() {
        // RFC 9003 §2 layout: code 6, subcode 2, length 5, "maint".
        let bytes = body("0602 05 6d61696e74");
        let n = Notification::decode(bytes.clone()).expect("decodes");
        assert_eq!(
            n.code,
            ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown)
        );
        assert_eq!(n.shutdown_communication(), Some("maint"));
        assert_eq!(
            n,
            Notification::cease_with_communication(CeaseSubcode::AdministrativeShutdown, "maint")
                .expect("short")
        );
        let mut out = BytesMut::new();
        n.encode(&mut out);
        assert_eq!(out.freeze(), bytes);
        assert_eq!(
            n.to_string(),
            "6/2 (Cease(AdministrativeShutdown)): \"maint\""
        );
    }

    #[test]
    fn shutdown_communication_over_255_octets_is_an_error() {
        let long = "x".repeat(256);
        assert!(
            Notification::cease_with_communication(CeaseSubcode::AdministrativeReset, &long)
                .is_err()
        );
        assert!(Notification::cease_with_communication(
            CeaseSubcode::AdministrativeReset,
            &long[..255]
        )
        .is_ok());
    }

    #[test]
    fn shutdown_communication_bad_utf8_or_overrun_is_none() {
        let n = Notification::decode(body("0604 02 ff fe")).expect("decodes");
        assert_eq!(n.shutdown_communication(), None);
        let n = Notification::decode(body("0604 09 41")).expect("decodes");
        assert_eq!(n.shutdown_communication(), None);
    }

    #[test]
    fn every_code_and_subcode_round_trips() {
        for code in 0..=255u8 {
            for subcode in 0..=255u8 {
                let e = ErrorCode::from_wire(code, subcode);
                assert_eq!((e.code(), e.subcode()), (code, subcode));
            }
        }
        assert_eq!(
            ErrorCode::from_wire(6, 9),
            ErrorCode::Cease(CeaseSubcode::HardReset)
        );
        assert_eq!(
            ErrorCode::from_wire(6, 10),
            ErrorCode::Cease(CeaseSubcode::BfdDown)
        );
        assert_eq!(
            ErrorCode::from_wire(5, 3),
            ErrorCode::Fsm(FsmSubcode::UnexpectedMessageInEstablished)
        );
        assert_eq!(
            ErrorCode::from_wire(7, 1),
            ErrorCode::RouteRefresh(RouteRefreshSubcode::InvalidMessageLength)
        );
    }

    #[test]
    fn notification_shorter_than_two_octets_is_bad_length() {
        assert_eq!(
            Notification::decode(body("06")),
            Err(DecodeError::BadMessageLength(20))
        );
    }

    #[test]
    fn hold_timer_expired_golden() {
        let n = Notification::decode(body("0400")).expect("decodes");
        assert_eq!(n, Notification::new(ErrorCode::HoldTimerExpired(0)));
    }
}
