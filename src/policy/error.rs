//! Why a set of policies could not be compiled.

use std::fmt;

/// The kind of a defined set, as gobgpd names it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `prefix-sets`.
    Prefix,
    /// `neighbor-sets`.
    Neighbor,
    /// `community-sets`.
    Community,
    /// `ext-community-sets`.
    ExtCommunity,
    /// `large-community-sets`.
    LargeCommunity,
    /// `as-path-sets`.
    AsPath,
}

impl fmt::Display for SetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetKind::Prefix => "prefix set",
            SetKind::Neighbor => "neighbor set",
            SetKind::Community => "community set",
            SetKind::ExtCommunity => "ext-community set",
            SetKind::LargeCommunity => "large-community set",
            SetKind::AsPath => "as-path set",
        })
    }
}

/// What is wrong with one entry of a set or of a community action.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryProblem {
    /// The entry is taken as a regular expression and does not compile.
    Regex(regex::Error),
    /// An extended community without a known `rt:`/`soo:`/`encap:`/`lb:`
    /// prefix.
    ExtCommunityKind,
    /// Not a community (`N`, `A:B` or a well-known name).
    Community,
    /// Not an extended community value (`A:N`, `A.B:N`, `a.b.c.d:N`).
    ExtCommunity,
    /// Not a large community (`A:B:C`).
    LargeCommunity,
}

impl fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryProblem::Regex(e) => write!(f, "invalid regular expression: {e}"),
            EntryProblem::ExtCommunityKind => {
                f.write_str("invalid ext-community format ([rt|soo|encap|lb]:<value>)")
            }
            EntryProblem::Community => f.write_str("failed to parse as community"),
            EntryProblem::ExtCommunity => f.write_str("failed to parse as ext-community"),
            EntryProblem::LargeCommunity => f.write_str("failed to parse as large community"),
        }
    }
}

/// A policy configuration the engine refuses, naming the set, policy or
/// statement at fault.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyError {
    /// An entry of a defined set does not parse or compile.
    SetEntry {
        /// Kind of set.
        kind: SetKind,
        /// Set name.
        set: String,
        /// The entry as written.
        entry: String,
        /// What is wrong with it.
        problem: EntryProblem,
    },
    /// A value of a community action does not parse or compile.
    ActionEntry {
        /// Policy name.
        policy: String,
        /// Statement name.
        statement: String,
        /// The value as written.
        entry: String,
        /// What is wrong with it.
        problem: EntryProblem,
    },
    /// A statement refers to a set that is not defined.
    UnknownSet {
        /// Policy name.
        policy: String,
        /// Statement name.
        statement: String,
        /// Kind of set.
        kind: SetKind,
        /// The name referred to.
        set: String,
    },
    /// An apply-policy names a policy that is not defined.
    UnknownPolicy {
        /// The name referred to.
        policy: String,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::SetEntry {
                kind,
                set,
                entry,
                problem,
            } => write!(f, "{kind} {set}: entry {entry:?}: {problem}"),
            PolicyError::ActionEntry {
                policy,
                statement,
                entry,
                problem,
            } => write!(
                f,
                "policy {policy} statement {statement}: value {entry:?}: {problem}"
            ),
            PolicyError::UnknownSet {
                policy,
                statement,
                kind,
                set,
            } => write!(
                f,
                "policy {policy} statement {statement}: not found {kind} {set}"
            ),
            PolicyError::UnknownPolicy { policy } => write!(f, "not found policy {policy}"),
        }
    }
}

impl std::error::Error for PolicyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PolicyError::SetEntry {
                problem: EntryProblem::Regex(e),
                ..
            }
            | PolicyError::ActionEntry {
                problem: EntryProblem::Regex(e),
                ..
            } => Some(e),
            _ => None,
        }
    }
}
