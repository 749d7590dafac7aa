//! Golden tests over messages captured from real implementations (gobgpd
//! 3.10, FRR 8.4, ExaBGP 4.2; `tests/fixtures/README.md` says how).
//!
//! Every captured message must decode without any error and re-encode to
//! exactly the bytes that were on the wire; every truncation and every
//! single-bit flip of every message must decode to `Ok` or `Err`, never
//! panic.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bgpd::collector::Decoder;
use bgpd::wire::{bgp, bmp, from_hex, Family};
use bytes::{Bytes, BytesMut};

/// One fixture file: its header comments and its messages.
struct Fixture {
    path: PathBuf,
    comments: Vec<String>,
    messages: Vec<Bytes>,
}

fn fixtures(kind: &str) -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hex"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("fixture is readable");
            let mut comments = Vec::new();
            let mut messages = Vec::new();
            for (number, line) in text.lines().enumerate() {
                let line = line.trim();
                if let Some(comment) = line.strip_prefix('#') {
                    comments.push(comment.trim().to_string());
                } else if !line.is_empty() {
                    let bytes = from_hex(line)
                        .unwrap_or_else(|| panic!("{}:{}: not hex", path.display(), number + 1));
                    messages.push(Bytes::from(bytes));
                }
            }
            assert!(!messages.is_empty(), "{}: no messages", path.display());
            Fixture {
                path,
                comments,
                messages,
            }
        })
        .collect()
}

/// The session context a BGP fixture file declares in its header:
/// `# Encoding: AS_PATH 2-octet ...` and
/// `# ADD-PATH: NLRI carry 4-octet path identifiers for AFI/SAFI 1/1.`
fn context(fixture: &Fixture) -> bgp::Negotiated {
    let mut cx = bgp::Negotiated {
        four_octet_as: true,
        ..bgp::Negotiated::default()
    };
    for comment in &fixture.comments {
        if comment.starts_with("Encoding:") && comment.contains("2-octet") {
            cx.four_octet_as = false;
        }
        if let Some(rest) = comment.strip_prefix("ADD-PATH:") {
            if let Some(families) = rest.split("AFI/SAFI").nth(1) {
                for pair in families.split(',') {
                    let pair = pair.trim().trim_end_matches('.');
                    let (afi, safi) = pair.split_once('/').expect("AFI/SAFI pair");
                    let family = Family::new(
                        afi.trim().parse().expect("AFI number"),
                        safi.trim().parse().expect("SAFI number"),
                    );
                    cx.add_path_receive.insert(family);
                }
            }
        }
    }
    cx
}

fn speaker() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], 179))
}

#[test]
fn bgp_fixtures_decode_cleanly_and_reencode_to_the_same_bytes() {
    let mut kinds = BTreeSet::new();
    let mut count = 0;
    for fixture in fixtures("bgp") {
        let cx = context(&fixture);
        for (index, message) in fixture.messages.iter().enumerate() {
            let at = format!("{} message {}", fixture.path.display(), index + 1);
            let decoded = bgp::Message::decode(message.clone(), &cx)
                .unwrap_or_else(|err| panic!("{at}: {err}"));
            if let bgp::Message::Update(update) = &decoded {
                assert!(
                    update.errors.is_empty(),
                    "{at}: attribute errors {:?}",
                    update.errors
                );
            }
            kinds.insert(format!("{:?}", decoded.message_type()));
            let mut out = BytesMut::new();
            decoded
                .encode(&mut out, &cx.mirrored())
                .unwrap_or_else(|err| panic!("{at}: encode: {err}"));
            assert_eq!(
                bgpd::wire::to_hex(&out),
                bgpd::wire::to_hex(message),
                "{at}"
            );
            count += 1;
        }
    }
    assert!(count > 200, "only {count} BGP fixture messages");
    assert_eq!(
        kinds.len(),
        5,
        "every BGP message type is covered: {kinds:?}"
    );
}

#[test]
fn bmp_fixtures_decode_and_reencode_to_the_same_bytes() {
    let mut kinds = BTreeSet::new();
    for fixture in fixtures("bmp") {
        for (index, message) in fixture.messages.iter().enumerate() {
            let at = format!("{} message {}", fixture.path.display(), index + 1);
            let decoded =
                bmp::Message::decode(message.clone()).unwrap_or_else(|err| panic!("{at}: {err}"));
            kinds.insert(decoded.kind().name());
            let mut out = BytesMut::new();
            decoded
                .encode(&mut out)
                .unwrap_or_else(|err| panic!("{at}: encode: {err}"));
            assert_eq!(
                bgpd::wire::to_hex(&out),
                bgpd::wire::to_hex(message),
                "{at}"
            );
        }
    }
    for kind in [
        "route_monitoring",
        "statistics_report",
        "peer_down",
        "peer_up",
        "initiation",
    ] {
        assert!(
            kinds.contains(kind),
            "no {kind} in the BMP fixtures: {kinds:?}"
        );
    }
}

/// The collector decodes each speaker's captured stream, the BGP messages
/// inside included, with no error.
#[test]
fn collector_decodes_every_captured_bmp_stream_without_error() {
    for source in ["gobgpd", "frr"] {
        let mut decoder = Decoder::new(speaker(), false);
        // The files lost the stream's interleaving: Peer Up goes first (it
        // tells how each peer's UPDATEs are encoded), Peer Down last.
        let mut files = fixtures("bmp");
        files.retain(|f| {
            f.path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(source))
        });
        files.sort_by_key(|f| {
            let name = f.path.to_string_lossy();
            (!name.contains("peer-up"), name.contains("peer-down"))
        });
        let mut prefixes = 0;
        for fixture in &files {
            for message in &fixture.messages {
                let value = decoder
                    .to_json(message.clone())
                    .unwrap_or_else(|err| panic!("{}: {err}", fixture.path.display()));
                assert!(
                    value.get("bgp_error").is_none(),
                    "{}: {value}",
                    fixture.path.display()
                );
                prefixes += value["announced"].as_array().map_or(0, Vec::len);
            }
        }
        assert_eq!(decoder.bgp_errors, 0, "{source}");
        assert!(prefixes > 0, "{source}: no prefixes decoded");
    }
}

/// Runs `decode` on every proper prefix and every single-bit flip of
/// `message`; a panic fails the test.
fn mutate(message: &Bytes, mut decode: impl FnMut(Bytes)) {
    for len in 0..message.len() {
        decode(message.slice(..len));
    }
    let mut flipped = message.to_vec();
    for bit in 0..message.len() * 8 {
        flipped[bit / 8] ^= 1 << (bit % 8);
        decode(Bytes::copy_from_slice(&flipped));
        flipped[bit / 8] ^= 1 << (bit % 8);
    }
}

#[test]
fn every_truncation_and_bit_flip_of_bgp_fixtures_is_ok_or_err() {
    for fixture in fixtures("bgp") {
        let cx = context(&fixture);
        for message in &fixture.messages {
            mutate(message, |bytes| {
                let _ = bgp::Message::decode(bytes.clone(), &cx);
                let _ = bgp::frame_len(&bytes, 65535);
            });
        }
    }
}

#[test]
fn every_truncation_and_bit_flip_of_bmp_fixtures_is_ok_or_err() {
    for fixture in fixtures("bmp") {
        for message in &fixture.messages {
            let mut decoder = Decoder::new(speaker(), true);
            mutate(message, |bytes| {
                let _ = bmp::frame_len(&bytes);
                let _ = decoder.to_json(bytes);
            });
        }
    }
}
