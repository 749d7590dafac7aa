//! The OPEN checks of RFC 4271 §6.2 (with RFC 5492 and RFC 6793).

use super::Settings;
use crate::wire::bgp::{Open, OpenSubcode};

/// Checks the peer's OPEN against our settings; the error is the OPEN
/// Message Error subcode to send.
///
/// The version (2/1) and a zero BGP Identifier (2/3) are already refused
/// by the decoder. Here, in order:
/// - an optional parameter other than Capabilities: 2/4 (RFC 5492 §5);
/// - the peer's AS (4-octet capability value, else My AS) differs from the
///   configured peer AS, unless that is 0 (any): 2/2;
/// - BGP Identifier 0, or equal to ours on an iBGP session: 2/3 (RFC 6286
///   allows equal identifiers between different ASes);
/// - hold time 1 or 2 seconds: 2/6.
///
/// No capability is required (RFC 5492 lets either side go without): a
/// peer without 4-octet AS gets AS_TRANS and 2-octet paths, one without
/// Multiprotocol means IPv4 unicast, families or ADD-PATH not shared are
/// simply not used. So 2/7 (Unsupported Capability) is never sent.
pub fn check_open(settings: &Settings, open: &Open) -> Result<(), OpenSubcode> {
    if open.check_parameters().is_err() {
        return Err(OpenSubcode::UnsupportedOptionalParameter);
    }
    let peer_as = open.asn();
    if settings.peer_as != 0 && peer_as != settings.peer_as {
        return Err(OpenSubcode::BadPeerAs);
    }
    let internal = peer_as == settings.local_as;
    if open.bgp_identifier.is_unspecified()
        || (internal && open.bgp_identifier == settings.open.bgp_identifier)
    {
        return Err(OpenSubcode::BadBgpIdentifier);
    }
    if matches!(open.hold_time, 1 | 2) {
        return Err(OpenSubcode::UnacceptableHoldTime);
    }
    Ok(())
}
