//! Decodes BGP or BMP messages given as hex on stdin and pretty-prints them
//! as JSON.
//!
//! ```text
//! echo ffffffffffffffffffffffffffffffff001304 | cargo run -q --example decode
//! cargo run -q --example decode -- --as2 --add-path < messages.hex
//! ```
//!
//! One message per line (`#` comment lines are skipped); a line that starts
//! with the BGP marker is a BGP message, anything else is a BMP message.
//! BMP lines share one decoder, so a Peer Up tells how the UPDATEs that
//! follow it are encoded, as in `bmpd`.

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::ExitCode;

use bgpd::collector::Decoder;
use bgpd::wire::{bgp, from_hex, Family};
use bytes::Bytes;
use clap::Parser;

/// Command line.
#[derive(Debug, Parser)]
struct Args {
    /// BGP messages use 2-octet AS numbers (no 4-octet AS capability).
    #[arg(long)]
    as2: bool,
    /// BGP NLRI carry ADD-PATH path identifiers (IPv4 and IPv6 unicast).
    #[arg(long)]
    add_path: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut cx = bgp::Negotiated {
        four_octet_as: !args.as2,
        extended_message: true,
        ..bgp::Negotiated::default()
    };
    if args.add_path {
        cx.add_path_receive = [Family::IPV4_UNICAST, Family::IPV6_UNICAST].into();
    }
    let mut bmp = Decoder::new(SocketAddr::from(([0, 0, 0, 0], 0)), false);
    let mut failed = false;
    for (number, line) in std::io::stdin().lock().lines().enumerate() {
        let Ok(line) = line else { break };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(bytes) = from_hex(line) else {
            eprintln!("line {}: not hex", number + 1);
            failed = true;
            continue;
        };
        let bytes = Bytes::from(bytes);
        let rendered = if bytes.starts_with(&[0xff; 16]) {
            bgp::Message::decode(bytes, &cx)
                .map_err(|err| format!("BGP: {err} (NOTIFICATION {:?})", err.notification()))
                .and_then(|m| serde_json::to_value(&m).map_err(|err| err.to_string()))
        } else {
            bmp.to_json(bytes).map_err(|err| err.to_string())
        };
        match rendered.and_then(|v| serde_json::to_string_pretty(&v).map_err(|e| e.to_string())) {
            Ok(text) => println!("{text}"),
            Err(err) => {
                eprintln!("line {}: {err}", number + 1);
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
