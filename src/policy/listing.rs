//! Set entries as gobgpd lists them (ListDefinedSet): the form it matches
//! them in, not as written.
//!
//! - standard communities: a number, `A:B` or a well-known name becomes
//!   the anchored `^A:B$`; an expression stays as written;
//! - extended communities: the lower-case kind, then `^VALUE$` when the
//!   value is `ASN:N`, `IPv4:N` or `A.B:N`, else the expression;
//! - large communities: `A:B:C` becomes `^A:B:C$`;
//! - AS path sets: the single-AS forms (`_N_`, `^N_`, `_N$`, `^N$`) first,
//!   then the expressions, each group in file order (gobgpd keeps them
//!   apart).

use super::as_path::single;
use super::community::well_known;

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A standard community-set entry.
pub fn community(entry: &str) -> String {
    if digits(entry) {
        if let Ok(value) = entry.parse::<u32>() {
            return format!("^{}:{}$", value >> 16, value & 0xffff);
        }
    }
    if let Some((high, low)) = entry.split_once(':') {
        if digits(high) && digits(low) {
            return format!("^{entry}$");
        }
    }
    match well_known(entry) {
        Some(value) => format!("^{}:{}$", value >> 16, value & 0xffff),
        None => entry.to_owned(),
    }
}

/// An extended community-set entry (`rt:65000:1` → `rt:^65000:1$`).
pub fn ext_community(entry: &str) -> String {
    let Some((kind, value)) = entry.split_once(':') else {
        return entry.to_owned();
    };
    let kind = kind.to_ascii_lowercase();
    let plain = value.rsplit_once(':').is_some_and(|(global, local)| {
        digits(local)
            && (digits(global)
                || global.parse::<std::net::Ipv4Addr>().is_ok()
                || global
                    .split_once('.')
                    .is_some_and(|(a, b)| digits(a) && digits(b)))
    });
    if plain {
        format!("{kind}:^{value}$")
    } else {
        format!("{kind}:{value}")
    }
}

/// A large community-set entry.
pub fn large_community(entry: &str) -> String {
    let parts: Vec<&str> = entry.split(':').collect();
    if parts.len() == 3 && parts.iter().all(|p| digits(p)) {
        format!("^{entry}$")
    } else {
        entry.to_owned()
    }
}

/// An AS path set's entries, in gobgpd's order.
pub fn as_path_set(entries: &[String]) -> Vec<String> {
    let (singles, expressions): (Vec<&String>, Vec<&String>) =
        entries.iter().partition(|e| single(e).is_some());
    singles.into_iter().chain(expressions).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_communities_are_listed_anchored_unless_expressions() {
        assert_eq!(community("65000:100"), "^65000:100$");
        assert_eq!(community("4259840100"), "^65000:100$");
        assert_eq!(community("no-export"), "^65535:65281$");
        assert_eq!(community("blackhole"), "^65535:666$");
        assert_eq!(community("^65001:.*$"), "^65001:.*$");
        assert_eq!(community("65000:.*"), "65000:.*");
    }

    #[test]
    fn extended_communities_keep_their_kind_and_anchor_plain_values() {
        assert_eq!(ext_community("rt:65000:1"), "rt:^65000:1$");
        assert_eq!(ext_community("SoO:10.0.0.1:2"), "soo:^10.0.0.1:2$");
        assert_eq!(ext_community("rt:^65.*$"), "rt:^65.*$");
    }

    #[test]
    fn large_communities_and_as_paths_are_listed_as_gobgpd_does() {
        assert_eq!(large_community("65000:1:2"), "^65000:1:2$");
        assert_eq!(large_community("^1:.*:3$"), "^1:.*:3$");
        let entries = vec!["^65001 65002$".to_owned(), "_65003_".to_owned()];
        assert_eq!(as_path_set(&entries), vec!["_65003_", "^65001 65002$"]);
    }
}
