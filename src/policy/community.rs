//! Community, extended-community and large-community patterns and values.
//!
//! A set entry (and a `remove` value) is a pattern matched against a
//! community's text, as gobgpd does it (reference §1.6):
//!
//! - standard: a decimal `u32` or `A:B` is anchored (`^A:B$`, the digits
//!   as written, so `065000:1` matches nothing), a well-known name
//!   (`no-export`, `blackhole`..., case-insensitive, `_` for `-`) is its
//!   value, anything else is an unanchored regular expression over
//!   `"A:B"`;
//! - extended: `rt:`, `soo:`, `encap:` or `lb:` (case-insensitive), then a
//!   standard pattern over the community's text (`65000:100`,
//!   `192.0.2.1:100`, `1.10:100` for a 4-octet AS); only communities of
//!   that sub-type are compared;
//! - large: `A:B:C` anchored, else a regular expression over `"A:B:C"`.
//!
//! `add` and `replace` values are plain communities.

use std::fmt::{self, Write};
use std::net::Ipv4Addr;

use regex::Regex;

use super::error::EntryProblem;
use crate::wire::bgp::{Community, ExtendedCommunity, LargeCommunity};

/// gobgpd's well-known community names.
const WELL_KNOWN: [(&str, u32); 14] = [
    ("internet", 0x0000_0000),
    ("planned-shut", 0xffff_0000),
    ("accept-own", 0xffff_0001),
    ("route-filter-translated-v4", 0xffff_0002),
    ("route-filter-v4", 0xffff_0003),
    ("route-filter-translated-v6", 0xffff_0004),
    ("route-filter-v6", 0xffff_0005),
    ("llgr-stale", 0xffff_0006),
    ("no-llgr", 0xffff_0007),
    ("blackhole", 0xffff_029a),
    ("no-export", 0xffff_ff01),
    ("no-advertise", 0xffff_ff02),
    ("no-export-subconfed", 0xffff_ff03),
    ("no-peer", 0xffff_ff04),
];

/// Extended community sub-types a pattern can name (RFC 4360, RFC 5512,
/// draft-ietf-idr-link-bandwidth).
const ROUTE_TARGET: u8 = 0x02;
const ROUTE_ORIGIN: u8 = 0x03;
const LINK_BANDWIDTH: u8 = 0x04;
const ENCAPSULATION: u8 = 0x0c;

/// A short text built on the stack (community renderings fit easily).
pub(crate) struct Text {
    buf: [u8; 64],
    len: usize,
}

impl Text {
    /// Empty text.
    pub fn new() -> Text {
        Text {
            buf: [0; 64],
            len: 0,
        }
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so this cannot fail.
        std::str::from_utf8(self.buf.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

impl Text {
    /// Appends `n` in decimal.
    pub fn push_decimal(&mut self, n: u32) {
        let mut digits = [0u8; 10];
        let written = decimal_octets(n, &mut digits);
        let end = self.len + written.len();
        if let Some(slot) = self.buf.get_mut(self.len..end) {
            slot.copy_from_slice(written);
            self.len = end;
        }
    }
}

impl Write for Text {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The decimal digits of `n` as ASCII octets, written without `fmt`
/// (this runs for every community and AS of every route a regex looks
/// at).
fn decimal_octets(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut start = buf.len();
    for slot in buf.iter_mut().rev() {
        // n % 10 < 10: the cast cannot truncate.
        *slot = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.get(start..).unwrap_or_default()
}

/// The decimal digits of `n`.
#[cfg(test)]
pub(crate) fn decimal(n: u32, buf: &mut [u8; 10]) -> &str {
    std::str::from_utf8(decimal_octets(n, buf)).unwrap_or_default()
}

/// Appends the decimal digits of `n` to `out`.
pub(crate) fn push_decimal(out: &mut String, n: u32) {
    for &digit in decimal_octets(n, &mut [0; 10]) {
        out.push(char::from(digit));
    }
}

/// All ASCII digits, and at least one.
fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A pattern over a community's text.
#[derive(Debug, Clone)]
pub(crate) enum TextPattern {
    /// The whole text equals this.
    Literal(String),
    /// A regular expression matches somewhere in the text.
    Regex(Regex),
}

impl TextPattern {
    /// Matches `text`.
    pub fn matches(&self, text: &str) -> bool {
        match self {
            TextPattern::Literal(literal) => literal == text,
            TextPattern::Regex(regex) => regex.is_match(text),
        }
    }
}

/// A standard community pattern.
#[derive(Debug, Clone)]
pub(crate) enum CommunityPattern {
    /// One value (numeric, canonical `A:B` or well-known name).
    Exact(u32),
    /// A literal or expression over `"A:B"`.
    Text(TextPattern),
}

impl CommunityPattern {
    /// Matches `community`.
    pub fn matches(&self, community: Community) -> bool {
        match self {
            CommunityPattern::Exact(value) => *value == community.0,
            CommunityPattern::Text(pattern) => {
                let mut text = Text::new();
                text.push_decimal(community.0 >> 16);
                let _ = text.write_str(":");
                text.push_decimal(community.0 & 0xffff);
                pattern.matches(text.as_str())
            }
        }
    }
}

pub(super) fn well_known(text: &str) -> Option<u32> {
    let name = text.to_ascii_lowercase().replace('_', "-");
    WELL_KNOWN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, value)| *value)
}

fn regex(text: &str) -> Result<Regex, EntryProblem> {
    Regex::new(text).map_err(EntryProblem::Regex)
}

/// The text pattern of a standard community entry: numeric and `A:B`
/// forms become literals, names their value's text, the rest a regex.
fn text_pattern(text: &str) -> Result<TextPattern, EntryProblem> {
    // A number too large for u32 falls through to a regex, as in gobgpd.
    if let Some(value) = digits(text).then(|| text.parse::<u32>().ok()).flatten() {
        return Ok(TextPattern::Literal(format!(
            "{}:{}",
            value >> 16,
            value & 0xffff
        )));
    }
    if let Some((high, low)) = text.split_once(':') {
        if digits(high) && digits(low) {
            return Ok(TextPattern::Literal(text.to_owned()));
        }
    }
    if let Some(value) = well_known(text) {
        return Ok(TextPattern::Literal(format!(
            "{}:{}",
            value >> 16,
            value & 0xffff
        )));
    }
    regex(text).map(TextPattern::Regex)
}

/// Parses a community-set entry or a `set-community remove` value.
pub(crate) fn community_pattern(text: &str) -> Result<CommunityPattern, EntryProblem> {
    let pattern = text_pattern(text)?;
    if let TextPattern::Literal(literal) = &pattern {
        if let Ok(value) = community_value(literal) {
            // Only when the literal is how that value renders: `065000:1`
            // must keep matching nothing.
            let canonical = format!("{}:{}", value >> 16, value & 0xffff);
            if &canonical == literal {
                return Ok(CommunityPattern::Exact(value));
            }
        }
    }
    Ok(CommunityPattern::Text(pattern))
}

/// Parses a `set-community add|replace` value: `N`, `A:B` or a name.
pub(crate) fn community_value(text: &str) -> Result<u32, EntryProblem> {
    if digits(text) {
        return text.parse().map_err(|_| EntryProblem::Community);
    }
    if let Some((high, low)) = text.split_once(':') {
        if digits(high) && digits(low) {
            let high: u16 = high.parse().map_err(|_| EntryProblem::Community)?;
            let low: u16 = low.parse().map_err(|_| EntryProblem::Community)?;
            return Ok(u32::from(high) << 16 | u32::from(low));
        }
    }
    well_known(text).ok_or(EntryProblem::Community)
}

/// An extended community pattern: a sub-type and a pattern over the text.
#[derive(Debug, Clone)]
pub(crate) struct ExtPattern {
    subtype: u8,
    pattern: TextPattern,
}

/// Splits `rt:…` into the sub-type and the rest.
fn ext_kind(text: &str) -> Result<(u8, &str), EntryProblem> {
    let (kind, rest) = text.split_once(':').ok_or(EntryProblem::ExtCommunityKind)?;
    let subtype = match kind.to_ascii_lowercase().as_str() {
        "rt" => ROUTE_TARGET,
        "soo" => ROUTE_ORIGIN,
        "encap" => ENCAPSULATION,
        "lb" => LINK_BANDWIDTH,
        _ => return Err(EntryProblem::ExtCommunityKind),
    };
    Ok((subtype, rest))
}

impl ExtPattern {
    /// Parses an ext-community-set entry or a `remove` value.
    pub fn parse(text: &str) -> Result<ExtPattern, EntryProblem> {
        let (subtype, rest) = ext_kind(text)?;
        Ok(ExtPattern {
            subtype,
            pattern: text_pattern(rest)?,
        })
    }

    /// Matches `community`: same sub-type, and the pattern over its text.
    pub fn matches(&self, community: &ExtendedCommunity) -> bool {
        if community.subtype() != self.subtype {
            return false;
        }
        let mut text = Text::new();
        ext_text(community, &mut text).is_ok() && self.pattern.matches(text.as_str())
    }
}

/// gobgpd's text for the address-specific kinds: `AS:N`, `a.b.c.d:N`,
/// `high.low:N` (4-octet AS); other kinds have none here.
fn ext_text(community: &ExtendedCommunity, out: &mut Text) -> fmt::Result {
    let b = community.0;
    let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    // The transitive bit (0x40) does not change the layout.
    match community.type_high() & !0x40 {
        0x00 => write!(out, "{}:{}", u16_at(2), u32_at(4)),
        0x01 => write!(out, "{}:{}", Ipv4Addr::from(u32_at(2)), u16_at(6)),
        0x02 => write!(out, "{}.{}:{}", u16_at(2), u16_at(4), u16_at(6)),
        _ => Err(fmt::Error),
    }
}

/// Parses a `set-ext-community add|replace` value: `rt:`/`soo:` with
/// `AS:N` (2-octet AS, 4-octet N), `A.B:N` or `AS:N` with AS > 65535
/// (4-octet AS), `a.b.c.d:N`; or `valid`/`not-found`/`invalid` (origin
/// validation state, RFC 8097).
pub(crate) fn ext_community_value(text: &str) -> Result<ExtendedCommunity, EntryProblem> {
    let state = match text.to_ascii_lowercase().as_str() {
        "valid" => Some(0),
        "not-found" => Some(1),
        "invalid" => Some(2),
        _ => None,
    };
    if let Some(state) = state {
        return Ok(ExtendedCommunity([0x43, 0x00, 0, 0, 0, 0, 0, state]));
    }
    let (subtype, rest) = ext_kind(text)?;
    if subtype != ROUTE_TARGET && subtype != ROUTE_ORIGIN {
        return Err(EntryProblem::ExtCommunityKind);
    }
    let (global, local) = rest.rsplit_once(':').ok_or(EntryProblem::ExtCommunity)?;
    let bad = |_| EntryProblem::ExtCommunity;
    let mut b = [0u8; 8];
    b[1] = subtype;
    if let Ok(address) = global.parse::<Ipv4Addr>() {
        b[0] = 0x01;
        b[2..6].copy_from_slice(&address.octets());
        b[6..8].copy_from_slice(&local.parse::<u16>().map_err(bad)?.to_be_bytes());
    } else if let Some((high, low)) = global.split_once('.') {
        let asn = u32::from(high.parse::<u16>().map_err(bad)?) << 16
            | u32::from(low.parse::<u16>().map_err(bad)?);
        b[0] = 0x02;
        b[2..6].copy_from_slice(&asn.to_be_bytes());
        b[6..8].copy_from_slice(&local.parse::<u16>().map_err(bad)?.to_be_bytes());
    } else {
        let asn: u32 = global.parse().map_err(bad)?;
        if let Ok(asn) = u16::try_from(asn) {
            b[2..4].copy_from_slice(&asn.to_be_bytes());
            b[4..8].copy_from_slice(&local.parse::<u32>().map_err(bad)?.to_be_bytes());
        } else {
            b[0] = 0x02;
            b[2..6].copy_from_slice(&asn.to_be_bytes());
            b[6..8].copy_from_slice(&local.parse::<u16>().map_err(bad)?.to_be_bytes());
        }
    }
    Ok(ExtendedCommunity(b))
}

/// A large community pattern: a literal `A:B:C` or an expression.
#[derive(Debug, Clone)]
pub(crate) struct LargePattern(TextPattern);

impl LargePattern {
    /// Parses a large-community-set entry or a `remove` value.
    pub fn parse(text: &str) -> Result<LargePattern, EntryProblem> {
        let parts: Vec<&str> = text.split(':').collect();
        if parts.len() == 3 && parts.iter().all(|p| digits(p)) {
            return Ok(LargePattern(TextPattern::Literal(text.to_owned())));
        }
        regex(text).map(|r| LargePattern(TextPattern::Regex(r)))
    }

    /// Matches `community`'s `A:B:C` text.
    pub fn matches(&self, community: &LargeCommunity) -> bool {
        let mut text = Text::new();
        text.push_decimal(community.global_admin);
        let _ = text.write_str(":");
        text.push_decimal(community.local_data_1);
        let _ = text.write_str(":");
        text.push_decimal(community.local_data_2);
        self.0.matches(text.as_str())
    }
}

/// Parses a `set-large-community add|replace` value: `A:B:C`.
pub(crate) fn large_community_value(text: &str) -> Result<LargeCommunity, EntryProblem> {
    let mut parts = text.split(':').map(|p| {
        if digits(p) {
            p.parse::<u32>().ok()
        } else {
            None
        }
    });
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Some(global_admin)), Some(Some(local_data_1)), Some(Some(local_data_2)), None) => {
            Ok(LargeCommunity {
                global_admin,
                local_data_1,
                local_data_2,
            })
        }
        _ => Err(EntryProblem::LargeCommunity),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn community(text: &str) -> Community {
        Community(community_value(text).expect("test community"))
    }

    fn pattern(text: &str) -> CommunityPattern {
        community_pattern(text).expect("test pattern")
    }

    #[test]
    fn decimal_writes_every_digit() {
        for n in [0, 7, 10, 65535, 4_294_967_295] {
            assert_eq!(decimal(n, &mut [0; 10]), n.to_string());
            let mut text = String::from("x");
            push_decimal(&mut text, n);
            assert_eq!(text, format!("x{n}"));
        }
    }

    #[test]
    fn a_colon_b_entry_is_anchored() {
        let p = pattern("65000:1");
        assert!(p.matches(community("65000:1")));
        assert!(!p.matches(community("65000:10")));
        assert!(!p.matches(Community::new(5000, 1)));
    }

    #[test]
    fn decimal_entry_is_the_community_with_that_value() {
        let p = pattern("4259840001");
        assert!(p.matches(Community::new(65000, 1)));
    }

    #[test]
    fn leading_zero_a_colon_b_entry_matches_nothing() {
        let p = pattern("065000:1");
        assert!(!p.matches(Community::new(65000, 1)));
    }

    #[test]
    fn well_known_names_are_case_insensitive_with_underscores() {
        assert!(pattern("NO_EXPORT").matches(Community::NO_EXPORT));
        assert!(pattern("blackhole").matches(Community::BLACKHOLE));
        assert_eq!(community_value("no-peer"), Ok(0xffff_ff04));
    }

    #[test]
    fn other_entries_are_unanchored_regexps_over_a_colon_b() {
        let p = pattern("^65000:1[0-9]$");
        assert!(p.matches(Community::new(65000, 12)));
        assert!(!p.matches(Community::new(65000, 1)));
        let p = pattern("00:");
        assert!(p.matches(Community::new(65000, 7)));
        assert!(matches!(
            community_pattern("65000:("),
            Err(EntryProblem::Regex(_))
        ));
    }

    #[test]
    fn community_values_refuse_out_of_range_halves_and_garbage() {
        assert_eq!(community_value("65536:1"), Err(EntryProblem::Community));
        assert_eq!(community_value("foo"), Err(EntryProblem::Community));
    }

    #[test]
    fn ext_pattern_compares_subtype_then_text() {
        let rt = ext_community_value("rt:65000:100").expect("rt");
        let soo = ext_community_value("soo:65000:100").expect("soo");
        let p = ExtPattern::parse("rt:65000:100").expect("pattern");
        assert!(p.matches(&rt));
        assert!(!p.matches(&soo));
        let p = ExtPattern::parse("RT:^65000:.*$").expect("pattern");
        assert!(p.matches(&rt));
        assert_eq!(
            ExtPattern::parse("65000:100").err(),
            Some(EntryProblem::ExtCommunityKind)
        );
    }

    #[test]
    fn ext_values_pick_the_layout_from_the_global_part() {
        let two = ext_community_value("rt:65000:4000000000").expect("two-octet");
        assert_eq!(two.0, [0x00, 0x02, 0xfd, 0xe8, 0xee, 0x6b, 0x28, 0x00]);
        let ip = ext_community_value("soo:192.0.2.1:7").expect("ipv4");
        assert_eq!(ip.0, [0x01, 0x03, 192, 0, 2, 1, 0, 7]);
        let four = ext_community_value("rt:4200000000:7").expect("four-octet");
        assert_eq!(four.type_high(), 0x02);
        let dotted = ExtPattern::parse("rt:64086.59904:7").expect("pattern");
        assert!(dotted.matches(&four), "4-octet AS renders as high.low");
        let state = ext_community_value("not-found").expect("state");
        assert_eq!(state.0, [0x43, 0, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn large_pattern_is_anchored_literal_or_regex() {
        let c = large_community_value("65000:1:2").expect("large");
        assert!(LargePattern::parse("65000:1:2").expect("p").matches(&c));
        assert!(!LargePattern::parse("65000:1:20").expect("p").matches(&c));
        assert!(LargePattern::parse("^65000:").expect("p").matches(&c));
        assert_eq!(
            large_community_value("1:2"),
            Err(EntryProblem::LargeCommunity)
        );
    }
}
