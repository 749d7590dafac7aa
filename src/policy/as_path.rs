//! AS-path set entries: Quagga/Cisco-style regular expressions over the
//! AS_PATH text, with gobgpd's fast forms for one AS.
//!
//! The text is the segments joined by spaces: a sequence `65001 65002`, a
//! set `{65003,65004}`, a confederation sequence `(64512 64513)` and a
//! confederation set `[64514,64515]`. In an entry, `_` stands for
//! `(^|[,{}() ]|$)`: a boundary between ASes.
//!
//! The four forms `^N_` (leftmost AS), `_N$` (origin AS), `_N_` (anywhere)
//! and `^N$` (the only AS) skip the text and compare numbers. As in
//! gobgpd they read the AS_SEQUENCE members only; every other segment
//! counts as one AS numbered 0, so an AS_SET member is never found by them
//! although a regular expression sees it (reference §2.1).

use std::cell::RefCell;

use regex::Regex;

use super::community::push_decimal;
use super::error::EntryProblem;
use crate::wire::bgp::{AsPath, SegmentType};

/// What `_` stands for.
const BOUNDARY: &str = "(^|[,{}() ]|$)";

/// The fast single-AS forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// `^N_`.
    LeftMost,
    /// `_N$`.
    Origin,
    /// `_N_`.
    Anywhere,
    /// `^N$`.
    Only,
}

/// One entry of an AS-path set.
#[derive(Debug, Clone)]
pub(crate) enum AsPathPattern {
    /// A fast form.
    Single {
        /// The AS.
        asn: u32,
        /// Where it must be.
        position: Position,
    },
    /// A regular expression over the text.
    Regex(Regex),
}

pub(super) fn single(text: &str) -> Option<AsPathPattern> {
    let forms = [
        ("^", "_", Position::LeftMost),
        ("_", "$", Position::Origin),
        ("_", "_", Position::Anywhere),
        ("^", "$", Position::Only),
    ];
    forms.into_iter().find_map(|(head, tail, position)| {
        let number = text.strip_prefix(head)?.strip_suffix(tail)?;
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(AsPathPattern::Single {
            asn: number.parse().ok()?,
            position,
        })
    })
}

impl AsPathPattern {
    /// Parses one entry.
    pub fn parse(text: &str) -> Result<AsPathPattern, EntryProblem> {
        if let Some(pattern) = single(text) {
            return Ok(pattern);
        }
        Regex::new(&text.replace('_', BOUNDARY))
            .map(AsPathPattern::Regex)
            .map_err(EntryProblem::Regex)
    }

    /// The pattern needs the AS_PATH text (else the sequence list).
    pub fn needs_text(&self) -> bool {
        matches!(self, AsPathPattern::Regex(_))
    }

    /// Matches, given the sequence list and (for expressions) the text.
    pub fn matches(&self, sequence: &[u32], text: &str) -> bool {
        match self {
            AsPathPattern::Single { asn, position } => match position {
                Position::LeftMost => sequence.first() == Some(asn),
                Position::Origin => sequence.last() == Some(asn),
                Position::Anywhere => sequence.contains(asn),
                Position::Only => sequence == [*asn],
            },
            AsPathPattern::Regex(regex) => regex.is_match(text),
        }
    }
}

/// Writes the AS_PATH text (empty for no path).
pub(crate) fn write_text(path: Option<&AsPath>, out: &mut String) {
    out.clear();
    for (i, segment) in path.into_iter().flat_map(|p| &p.segments).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let (open, separator, close) = match segment.kind {
            SegmentType::Sequence => ("", ' ', ""),
            SegmentType::Set => ("{", ',', "}"),
            SegmentType::ConfedSequence => ("(", ' ', ")"),
            SegmentType::ConfedSet => ("[", ',', "]"),
        };
        out.push_str(open);
        for (j, asn) in segment.asns.iter().enumerate() {
            if j > 0 {
                out.push(separator);
            }
            push_decimal(out, *asn);
        }
        out.push_str(close);
    }
}

/// Writes the list the fast forms read: AS_SEQUENCE members in order, a
/// 0 for each other segment.
pub(crate) fn write_sequence(path: Option<&AsPath>, out: &mut Vec<u32>) {
    out.clear();
    for segment in path.into_iter().flat_map(|p| &p.segments) {
        match segment.kind {
            SegmentType::Sequence => out.extend_from_slice(&segment.asns),
            _ => out.push(0),
        }
    }
}

/// The segments of an encoded AS_PATH (4-octet ASNs): (segment type,
/// ASNs as octets); stops at the first malformed segment (a stored value
/// always decodes, so there is none).
fn encoded_segments(mut value: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (&[kind, count], rest) = value.split_first_chunk::<2>()?;
        let (asns, rest) = rest.split_at_checked(usize::from(count) * 4)?;
        value = rest;
        Some((kind, asns))
    })
}

fn encoded_asns(asns: &[u8]) -> impl Iterator<Item = u32> + '_ {
    asns.chunks_exact(4)
        .map(|a| u32::from_be_bytes([a[0], a[1], a[2], a[3]]))
}

/// [`write_text`] for an encoded AS_PATH (segment types 1 AS_SET,
/// 2 AS_SEQUENCE, 3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET).
pub(crate) fn write_encoded_text(value: &[u8], out: &mut String) {
    out.clear();
    for (i, (kind, asns)) in encoded_segments(value).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let (open, separator, close) = match kind {
            1 => ("{", ',', "}"),
            3 => ("(", ' ', ")"),
            4 => ("[", ',', "]"),
            _ => ("", ' ', ""),
        };
        out.push_str(open);
        for (j, asn) in encoded_asns(asns).enumerate() {
            if j > 0 {
                out.push(separator);
            }
            push_decimal(out, asn);
        }
        out.push_str(close);
    }
}

/// [`write_sequence`] for an encoded AS_PATH.
pub(crate) fn write_encoded_sequence(value: &[u8], out: &mut Vec<u32>) {
    out.clear();
    for (kind, asns) in encoded_segments(value) {
        match kind {
            2 => out.extend(encoded_asns(asns)),
            _ => out.push(0),
        }
    }
}

thread_local! {
    /// Scratch buffers, so that matching allocates nothing per route.
    static SCRATCH: RefCell<(String, Vec<u32>)> =
        const { RefCell::new((String::new(), Vec::new())) };
}

/// Runs `f` with the sequence list and text `fill` writes into the
/// scratch buffers.
fn with_scratch<R>(
    fill: impl Fn(&mut String, &mut Vec<u32>),
    f: impl FnOnce(&[u32], &str) -> R,
) -> R {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => {
            let (string, sequence) = &mut *scratch;
            string.clear();
            fill(string, sequence);
            f(sequence, string)
        }
        // Re-entered (not done by this module): use fresh buffers.
        Err(_) => {
            let (mut string, mut sequence) = (String::new(), Vec::new());
            fill(&mut string, &mut sequence);
            f(&sequence, &string)
        }
    })
}

/// Runs `f` with the path's sequence list and, when `text` is asked for,
/// its text (else an empty string).
pub(crate) fn with_path<R>(
    path: Option<&AsPath>,
    text: bool,
    f: impl FnOnce(&[u32], &str) -> R,
) -> R {
    let fill = |string: &mut String, sequence: &mut Vec<u32>| {
        write_sequence(path, sequence);
        if text {
            write_text(path, string);
        }
    };
    with_scratch(fill, f)
}

/// [`with_path`] for an encoded AS_PATH (4-octet ASNs, empty for no
/// path), read in place.
pub(crate) fn with_encoded_path<R>(
    value: &[u8],
    text: bool,
    f: impl FnOnce(&[u32], &str) -> R,
) -> R {
    let fill = |string: &mut String, sequence: &mut Vec<u32>| {
        write_encoded_sequence(value, sequence);
        if text {
            write_encoded_text(value, string);
        }
    };
    with_scratch(fill, f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::bgp::Segment;

    fn path(segments: &[(SegmentType, &[u32])]) -> AsPath {
        AsPath {
            segments: segments
                .iter()
                .map(|(kind, asns)| Segment {
                    kind: *kind,
                    asns: asns.to_vec(),
                })
                .collect(),
        }
    }

    fn matches(entry: &str, p: &AsPath) -> bool {
        let pattern = AsPathPattern::parse(entry).expect("test pattern");
        with_path(Some(p), pattern.needs_text(), |seq, text| {
            pattern.matches(seq, text)
        })
    }

    #[test]
    fn path_text_brackets_each_segment_kind() {
        let p = path(&[
            (SegmentType::ConfedSequence, &[64512, 64513]),
            (SegmentType::Sequence, &[65001, 65002]),
            (SegmentType::Set, &[65003, 65004]),
        ]);
        let mut text = String::new();
        write_text(Some(&p), &mut text);
        assert_eq!(text, "(64512 64513) 65001 65002 {65003,65004}");
    }

    #[test]
    fn fast_forms_are_recognised() {
        assert!(matches!(
            AsPathPattern::parse("^65001_"),
            Ok(AsPathPattern::Single {
                asn: 65001,
                position: Position::LeftMost
            })
        ));
        assert!(AsPathPattern::parse("_65001_.*").expect("p").needs_text());
    }

    #[test]
    fn leftmost_origin_anywhere_and_only() {
        let p = path(&[(SegmentType::Sequence, &[65001, 65002, 65003])]);
        assert!(matches("^65001_", &p));
        assert!(!matches("^65002_", &p));
        assert!(matches("_65003$", &p));
        assert!(matches("_65002_", &p));
        assert!(!matches("^65001$", &p));
        let lone = path(&[(SegmentType::Sequence, &[65001])]);
        assert!(matches("^65001$", &lone));
    }

    #[test]
    fn fast_forms_do_not_see_as_set_members_but_regexps_do() {
        let p = path(&[
            (SegmentType::Sequence, &[65001]),
            (SegmentType::Set, &[65003, 65004]),
        ]);
        assert!(!matches("_65004_", &p));
        assert!(!matches("_65004$", &p));
        assert!(matches("_65004_.*", &p), "regex sees the set");
        assert!(matches("_65004}", &p));
    }

    #[test]
    fn underscore_is_an_as_boundary_not_a_digit_match() {
        let p = path(&[(SegmentType::Sequence, &[165001, 65002])]);
        assert!(!matches("_65001 ", &p));
        assert!(matches("65001", &p), "plain regex matches inside a number");
        assert!(matches("^165001_65002$", &p));
    }

    #[test]
    fn bad_regex_is_an_error() {
        assert!(matches!(
            AsPathPattern::parse("^(65001"),
            Err(EntryProblem::Regex(_))
        ));
    }

    #[test]
    fn empty_path_matches_only_empty_expressions() {
        let p = AsPath::default();
        assert!(matches("^$", &p));
        assert!(!matches("_65001_", &p));
    }
}
