//! A counting BMP collector for benchmarks (`benches/bmp.sh`).
//!
//! ```text
//! cargo run --release --example bmp_sink -- --listen 127.0.0.1:11019 \
//!     --expect 1010000 --views 3 --connections 2
//! ```
//!
//! Accepts BMP speakers one connection at a time. For each Route
//! Monitoring message it counts the prefixes announced (IPv4 NLRI and
//! MP_REACH_NLRI, no ADD-PATH) per view, a view being (peer type, L and O
//! flags, peer address), and notes End-of-RIB markers. A connection is
//! complete when `--views` views each hold `--expect` announced prefixes
//! and, from the second connection on (a resynchronisation dump), an
//! End-of-RIB for each family of each of those views. It then prints one
//! JSON line: seconds from accept (or, for the first connection, from the
//! first announced prefix: live streaming) to completion, messages, bytes,
//! rate. With `--connections N` it closes each complete connection (the
//! speaker then reconnects and dumps again) until N were measured.
//!
//! Parsing is by hand and minimal (lengths, NLRI walks): the sink must not
//! be the bottleneck.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Counting BMP collector for benchmarks")]
struct Args {
    /// Where to accept the BMP speaker.
    #[arg(long, default_value = "127.0.0.1:11019")]
    listen: SocketAddr,
    /// Announced prefixes a view must reach.
    #[arg(long, default_value_t = 1_010_000)]
    expect: u64,
    /// Views that must reach `--expect` (e.g. 3 for "all" with one peer).
    #[arg(long, default_value_t = 1)]
    views: usize,
    /// Families each view's dump ends with an End-of-RIB for.
    #[arg(long, default_value_t = 2)]
    families: usize,
    /// Connections to measure (the first is the live stream).
    #[arg(long, default_value_t = 2)]
    connections: usize,
    /// Seconds allowed per connection.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

/// (peer type, L|O flags, peer address).
type ViewKey = (u8, u8, [u8; 16]);

#[derive(Debug, Default)]
struct View {
    announced: u64,
    end_of_rib: usize,
}

#[derive(Debug, Default)]
struct Count {
    messages: u64,
    bytes: u64,
    route_monitoring: u64,
    views: HashMap<ViewKey, View>,
    first_prefix: Option<Instant>,
}

impl Count {
    fn complete(&self, args: &Args, dump: bool) -> bool {
        self.views
            .values()
            .filter(|v| v.announced >= args.expect && (!dump || v.end_of_rib >= args.families))
            .count()
            >= args.views
    }

    /// One whole BMP message.
    fn message(&mut self, msg: &[u8]) {
        self.messages += 1;
        self.bytes += msg.len() as u64;
        // Common header (6), then Route Monitoring (type 0): per-peer
        // header (42) and one BGP UPDATE.
        if msg.len() < 6 + 42 + 19 || msg[5] != 0 {
            return;
        }
        self.route_monitoring += 1;
        let peer = &msg[6..48];
        let mut address = [0u8; 16];
        address.copy_from_slice(&peer[10..26]);
        let key = (peer[0], peer[1] & 0x50, address);
        let update = &msg[48..];
        let (announced, end_of_rib) = parse_update(update);
        if announced > 0 && self.first_prefix.is_none() {
            self.first_prefix = Some(Instant::now());
        }
        let view = self.views.entry(key).or_default();
        view.announced += announced;
        if end_of_rib {
            view.end_of_rib += 1;
        }
    }
}

/// Prefixes announced by one UPDATE, and whether it is an End-of-RIB.
fn parse_update(update: &[u8]) -> (u64, bool) {
    let get16 = |at: usize| -> Option<usize> {
        Some(usize::from(u16::from_be_bytes([
            *update.get(at)?,
            *update.get(at + 1)?,
        ])))
    };
    let Some(withdrawn) = get16(19) else {
        return (0, false);
    };
    let Some(attr_len) = get16(21 + withdrawn) else {
        return (0, false);
    };
    let attrs_at = 23 + withdrawn;
    let Some(attrs) = update.get(attrs_at..attrs_at + attr_len) else {
        return (0, false);
    };
    let nlri = update.get(attrs_at + attr_len..).unwrap_or_default();
    let mut announced = count_nlri(nlri);
    let mut unreach_empty = false;
    let mut i = 0;
    while i + 3 <= attrs.len() {
        let flags = attrs[i];
        let kind = attrs[i + 1];
        let (len, head) = if flags & 0x10 != 0 {
            match attrs.get(i + 2..i + 4) {
                Some(b) => (usize::from(u16::from_be_bytes([b[0], b[1]])), 4),
                None => break,
            }
        } else {
            (usize::from(attrs[i + 2]), 3)
        };
        let Some(value) = attrs.get(i + head..i + head + len) else {
            break;
        };
        match kind {
            14 if value.len() >= 5 => {
                let nh = usize::from(value[3]);
                if let Some(rest) = value.get(4 + nh + 1..) {
                    announced += count_nlri(rest);
                }
            }
            15 => unreach_empty = value.len() == 3,
            _ => {}
        }
        i += head + len;
    }
    let end_of_rib = (withdrawn == 0 && attr_len == 0 && nlri.is_empty())
        || (withdrawn == 0 && nlri.is_empty() && unreach_empty && attrs.len() == 6);
    (announced, end_of_rib)
}

fn count_nlri(mut nlri: &[u8]) -> u64 {
    let mut n = 0;
    while let Some(&bits) = nlri.first() {
        let len = 1 + usize::from(bits).div_ceil(8);
        if len > nlri.len() {
            break;
        }
        nlri = &nlri[len..];
        n += 1;
    }
    n
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bmp_sink: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind(args.listen).await?;
    eprintln!("bmp_sink: listening on {}", args.listen);
    for index in 0..args.connections {
        let (mut stream, speaker) = listener.accept().await?;
        let accepted = Instant::now();
        let dump = index > 0;
        let mut count = Count::default();
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
        let mut start = 0usize;
        let deadline = accepted + Duration::from_secs(args.timeout);
        let mut chunk = vec![0u8; 1 << 20];
        while !count.complete(args, dump) {
            let left = deadline.saturating_duration_since(Instant::now());
            let n = tokio::time::timeout(left, stream.read(&mut chunk))
                .await
                .map_err(|_| format!("connection {index}: not complete in time: {count:?}"))??;
            if n == 0 {
                return Err(
                    format!("connection {index}: closed before complete: {count:?}").into(),
                );
            }
            buf.extend_from_slice(&chunk[..n]);
            while buf.len() - start >= 6 {
                let len = u32::from_be_bytes([
                    buf[start + 1],
                    buf[start + 2],
                    buf[start + 3],
                    buf[start + 4],
                ]) as usize;
                if len < 6 {
                    return Err("bad BMP length".into());
                }
                if buf.len() - start < len {
                    break;
                }
                count.message(&buf[start..start + len]);
                start += len;
            }
            buf.drain(..start);
            start = 0;
        }
        let done = Instant::now();
        let from = if dump {
            accepted
        } else {
            count.first_prefix.unwrap_or(accepted)
        };
        let seconds = done.duration_since(from).as_secs_f64();
        println!(
            "{{\"connection\":{index},\"speaker\":\"{speaker}\",\"kind\":\"{}\",\"seconds\":{seconds:.3},\"messages\":{},\"route_monitoring\":{},\"bytes\":{},\"mb_per_s\":{:.1},\"views\":{}}}",
            if dump { "dump" } else { "live" },
            count.messages,
            count.route_monitoring,
            count.bytes,
            count.bytes as f64 / seconds / 1e6,
            count.views.len(),
        );
        drop(stream);
    }
    Ok(())
}
