//! From TOML text to the raw structs, with gobgpd's key paths in errors.
//!
//! gobgpd (viper) lower-cases every key and then decodes with
//! `UnmarshalExact`, listing all unknown keys of a table at once. We do the
//! same in three steps:
//!
//! 1. parse the text into a [`toml::Table`] and lower-case its keys;
//! 2. print that table back as canonical TOML (one `[header]` or
//!    `[[header]]` per table, one `key = value` per line) and decode the raw
//!    structs from it with serde, so errors carry a span;
//! 3. turn the span into a key path (`neighbors[1].config.peer-as`) by
//!    reading the canonical text's headers. An unknown key is removed and
//!    decoding retried, so that every unknown key is reported, not the first.

use std::collections::HashMap;
use std::fmt;

use serde::de::DeserializeOwned;
use toml::{Table, Value};

use super::error::{ErrorKind, UnknownKeys};

/// Decodes `text` into `T`, lower-casing keys as viper does; also returns
/// the lower-cased table (peer-group inheritance works key by key on it).
pub(crate) fn decode<T: DeserializeOwned>(text: &str) -> Result<(T, Table), ErrorKind> {
    let mut table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| syntax(text, &e))?;
    lowercase_keys(&mut table);
    let mut unknown: Vec<UnknownKeys> = Vec::new();
    // Each pass removes one unknown key, so the loop ends; the bound only
    // guards against a locating mistake that would not remove anything.
    for _ in 0..10_000 {
        let canonical = toml::to_string(&table).map_err(|e| ErrorKind::Syntax(e.to_string()))?;
        let error = match toml::from_str::<T>(&canonical) {
            Ok(value) if unknown.is_empty() => return Ok((value, table)),
            Ok(_) => return Err(ErrorKind::UnknownKeys(unknown)),
            Err(error) => error,
        };
        let path = error
            .span()
            .map(|span| locate(&canonical, span.start))
            .unwrap_or_default();
        let Some(name) = unknown_field(error.message()) else {
            if !unknown.is_empty() {
                return Err(ErrorKind::UnknownKeys(unknown));
            }
            return Err(ErrorKind::Decode {
                key: path.to_string(),
                message: error.message().to_owned(),
            });
        };
        // The span is on the key itself, or on a header that goes through
        // it (`[neighbors.bfd.config]`): the table is what precedes it.
        let mut table_path = path;
        if let Some(at) = table_path
            .0
            .iter()
            .rposition(|s| *s == Segment::Key(name.to_owned()))
        {
            table_path.0.truncate(at);
        }
        let table_name = table_path.to_string();
        match unknown.iter_mut().find(|u| u.table == table_name) {
            Some(entry) => entry.keys.push(name.to_owned()),
            None => unknown.push(UnknownKeys {
                table: table_name,
                keys: vec![name.to_owned()],
            }),
        }
        if !remove_key(&mut table, &table_path.0, name) {
            break;
        }
    }
    Err(ErrorKind::UnknownKeys(unknown))
}

/// A TOML syntax error as `line L, column C: message` in the user's text.
fn syntax(text: &str, error: &toml::de::Error) -> ErrorKind {
    let Some(span) = error.span() else {
        return ErrorKind::Syntax(error.message().to_owned());
    };
    let before = text.get(..span.start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    ErrorKind::Syntax(format!(
        "line {line}, column {column}: {}",
        error.message().trim_end()
    ))
}

/// The field name of serde's "unknown field `x`, expected ..." message.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

fn lowercase_keys(table: &mut Table) {
    let entries = std::mem::take(table);
    for (key, mut value) in entries {
        lowercase_value(&mut value);
        table.insert(key.to_lowercase(), value);
    }
}

fn lowercase_value(value: &mut Value) {
    match value {
        Value::Table(table) => lowercase_keys(table),
        Value::Array(items) => items.iter_mut().for_each(lowercase_value),
        _ => {}
    }
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A table key.
    Key(String),
    /// An index into an array of tables.
    Index(usize),
}

/// A key path such as `neighbors[1].config.peer-as`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyPath(pub Vec<Segment>);

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// The key path of the byte at `offset` in canonical TOML text.
fn locate(canonical: &str, offset: usize) -> KeyPath {
    // Last index of each array of tables seen, by its indexed path.
    let mut arrays: HashMap<String, usize> = HashMap::new();
    let mut header = KeyPath::default();
    let mut start = 0;
    for line in canonical.split_inclusive('\n') {
        let end = start + line.len();
        let trimmed = line.trim();
        if let Some(inner) = trimmed
            .strip_prefix("[[")
            .and_then(|t| t.strip_suffix("]]"))
        {
            let mut keys = split_dotted(inner);
            let last = keys.pop().unwrap_or_default();
            let mut path = resolve(&arrays, &keys);
            path.0.push(Segment::Key(last));
            let counter = arrays
                .entry(path.to_string())
                .and_modify(|n| *n += 1)
                .or_insert(0);
            path.0.push(Segment::Index(*counter));
            header = path;
        } else if let Some(inner) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            header = resolve(&arrays, &split_dotted(inner));
        } else if offset < end {
            let mut path = header.clone();
            if let Some((key, value)) = line.split_once('=') {
                path.0
                    .extend(split_dotted(key).into_iter().map(Segment::Key));
                // Inside an inline table: name the key under the span too.
                let value_start = start + key.len() + 1;
                if offset > value_start {
                    if let Some(inner) = inline_key(canonical, offset) {
                        if value.contains('{') {
                            path.0.push(Segment::Key(inner));
                        }
                    }
                }
            }
            return path;
        }
        if offset < end {
            return header;
        }
        start = end;
    }
    header
}

/// The bare key at `offset` when it is followed by `=` (inline tables).
fn inline_key(text: &str, offset: usize) -> Option<String> {
    let rest = text.get(offset..)?;
    let key: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let after = rest.get(key.len()..)?.trim_start();
    (!key.is_empty() && after.starts_with('=')).then_some(key)
}

/// Key path of a header's dotted keys, with the current index of each array.
fn resolve(arrays: &HashMap<String, usize>, keys: &[String]) -> KeyPath {
    let mut path = KeyPath::default();
    for key in keys {
        path.0.push(Segment::Key(key.clone()));
        if let Some(n) = arrays.get(&path.to_string()) {
            path.0.push(Segment::Index(*n));
        }
    }
    path
}

/// Splits `a."b.c".d` into `a`, `b.c`, `d`.
fn split_dotted(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '.') => keys.push(std::mem::take(&mut current).trim().to_owned()),
            (None, c) => current.push(c),
        }
    }
    keys.push(current.trim().to_owned());
    keys
}

/// Removes `name` from the table at `path`; false when the path is not found.
fn remove_key(table: &mut Table, path: &[Segment], name: &str) -> bool {
    let mut current = table;
    let mut iter = path.iter().peekable();
    while let Some(segment) = iter.next() {
        let Segment::Key(key) = segment else {
            return false;
        };
        let next = match current.get_mut(key) {
            Some(Value::Table(inner)) => inner,
            Some(Value::Array(items)) => match iter.next() {
                Some(Segment::Index(i)) => match items.get_mut(*i) {
                    Some(Value::Table(inner)) => inner,
                    _ => return false,
                },
                _ => return false,
            },
            _ => return false,
        };
        current = next;
    }
    current.remove(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_names_array_indexes_and_nested_tables() {
        let text =
            "[global.config]\nas = 1\n\n[[neighbors]]\n\n[neighbors.config]\npeer-as = 1\n\n\
                    [[neighbors]]\n\n[neighbors.config]\npeer-as = 2\n\n[[neighbors.afi-safis]]\n\n\
                    [neighbors.afi-safis.config]\nafi-safi-name = \"x\"\n";
        let at =
            |needle: &str| locate(text, text.rfind(needle).expect("needle in text")).to_string();
        assert_eq!(
            locate(text, text.find("as = 1").expect("as")).to_string(),
            "global.config.as"
        );
        assert_eq!(at("peer-as = 2"), "neighbors[1].config.peer-as");
        assert_eq!(
            at("afi-safi-name"),
            "neighbors[1].afi-safis[0].config.afi-safi-name"
        );
    }

    #[test]
    fn quoted_keys_are_split_correctly() {
        assert_eq!(split_dotted("a.\"b.c\".d"), vec!["a", "b.c", "d"]);
    }
}
