//! A counting BMP collector for benchmarks (`benches/bmp.sh`).
//!
//! ```text
//! cargo run --release --example bmp_sink -- --listen 127.0.0.1:11019 \
//!     --expect 1010000 --views 3 --connections 2
//! ```
//!
//! Accepts BMP speakers one connection at a time. For each Route
//! Monitoring message it counts the distinct prefixes announced (IPv4 NLRI
//! and MP_REACH_NLRI) per view, a view being (peer type, L and O flags,
//! peer address), and notes End-of-RIB markers. NLRI carrying ADD-PATH
//! path identifiers (gobgpd's Loc-RIB view) are recognised per message: a
//! block that walks cleanly as plain NLRI is plain, else one that walks
//! cleanly with 4-octet path identifiers is ADD-PATH. A connection is
//! complete when `--views` views each hold `--expect` distinct prefixes
//! and, from the second connection on (a resynchronisation dump), an
//! End-of-RIB for each family of each of those views. It then prints one
//! JSON line: seconds from accept (or, for the first connection, from the
//! first announced prefix: live streaming) to completion, the wall-clock
//! times of the first prefix and of completion (Unix nanoseconds, to
//! compare with the injector's first UPDATE), messages, bytes, rate. With
//! `--connections N` it closes each complete connection (the speaker then
//! reconnects and dumps again) until N were measured.
//!
//! Parsing is by hand and minimal (lengths, NLRI walks, a bitmap for IPv4
//! /24s): the sink must not be the bottleneck.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    /// Distinct announced prefixes a view must reach.
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

/// Distinct prefixes: IPv4 /24s in a bitmap, anything else in a set.
#[derive(Debug, Default)]
struct Seen {
    v4_24: Vec<u64>,
    other: HashSet<(bool, u8, u128)>,
    count: u64,
}

impl Seen {
    /// Notes one prefix (`bits` long, `bytes` its significant octets);
    /// true if it was new.
    fn insert(&mut self, v6: bool, bits: u8, bytes: &[u8]) -> bool {
        let fresh = if !v6 && bits == 24 && bytes.len() == 3 {
            if self.v4_24.is_empty() {
                self.v4_24 = vec![0; (1 << 24) / 64];
            }
            let index =
                usize::from(bytes[0]) << 16 | usize::from(bytes[1]) << 8 | usize::from(bytes[2]);
            let (word, bit) = (index / 64, 1u64 << (index % 64));
            let fresh = self.v4_24[word] & bit == 0;
            self.v4_24[word] |= bit;
            fresh
        } else {
            let mut value = [0u8; 16];
            let n = bytes.len().min(16);
            value[..n].copy_from_slice(&bytes[..n]);
            self.other.insert((v6, bits, u128::from_be_bytes(value)))
        };
        self.count += u64::from(fresh);
        fresh
    }
}

#[derive(Debug, Default)]
struct View {
    seen: Seen,
    end_of_rib: usize,
}

#[derive(Debug, Default)]
struct Count {
    messages: u64,
    bytes: u64,
    route_monitoring: u64,
    /// Announced NLRI, duplicates included.
    prefixes: u64,
    views: HashMap<ViewKey, View>,
    first_prefix: Option<(Instant, SystemTime)>,
}

impl Count {
    fn complete(&self, args: &Args, dump: bool) -> bool {
        self.views
            .values()
            .filter(|v| v.seen.count >= args.expect && (!dump || v.end_of_rib >= args.families))
            .count()
            >= args.views
    }

    /// JSON fields: messages, bytes, rate over `seconds`, prefixes and
    /// the distinct prefixes of each view (largest first).
    fn summary(&self, seconds: f64) -> String {
        let mut distinct: Vec<u64> = self.views.values().map(|v| v.seen.count).collect();
        distinct.sort_unstable_by(|a, b| b.cmp(a));
        let rate = if seconds > 0.0 {
            self.bytes as f64 / seconds / 1e6
        } else {
            0.0
        };
        format!(
            "\"messages\":{},\"route_monitoring\":{},\"bytes\":{},\"mb_per_s\":{rate:.1},\"prefixes\":{},\"views\":{},\"distinct_per_view\":{distinct:?}",
            self.messages,
            self.route_monitoring,
            self.bytes,
            self.prefixes,
            self.views.len(),
        )
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
        let view = self.views.entry(key).or_default();
        let mut announced = 0u64;
        let end_of_rib = parse_update(&msg[48..], &mut |v6, bits, bytes| {
            announced += 1;
            view.seen.insert(v6, bits, bytes);
        });
        if end_of_rib {
            view.end_of_rib += 1;
        }
        self.prefixes += announced;
        if announced > 0 && self.first_prefix.is_none() {
            self.first_prefix = Some((Instant::now(), SystemTime::now()));
        }
    }
}

/// Walks one UPDATE, calling `visit(ipv6, bits, octets)` for each
/// announced prefix; returns whether it is an End-of-RIB.
fn parse_update(update: &[u8], visit: &mut dyn FnMut(bool, u8, &[u8])) -> bool {
    let get16 = |at: usize| -> Option<usize> {
        Some(usize::from(u16::from_be_bytes([
            *update.get(at)?,
            *update.get(at + 1)?,
        ])))
    };
    let Some(withdrawn) = get16(19) else {
        return false;
    };
    let Some(attr_len) = get16(21 + withdrawn) else {
        return false;
    };
    let attrs_at = 23 + withdrawn;
    let Some(attrs) = update.get(attrs_at..attrs_at + attr_len) else {
        return false;
    };
    let nlri = update.get(attrs_at + attr_len..).unwrap_or_default();
    walk_nlri(nlri, false, visit);
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
                let v6 = value[..2] == [0, 2];
                let nh = usize::from(value[3]);
                if let Some(rest) = value.get(4 + nh + 1..) {
                    walk_nlri(rest, v6, visit);
                }
            }
            15 => unreach_empty = value.len() == 3,
            _ => {}
        }
        i += head + len;
    }
    (withdrawn == 0 && attr_len == 0 && nlri.is_empty())
        || (withdrawn == 0 && nlri.is_empty() && unreach_empty && attrs.len() == 6)
}

/// Walks an NLRI block, plain or with ADD-PATH identifiers, whichever
/// parses cleanly (plain first), visiting each prefix.
fn walk_nlri(nlri: &[u8], v6: bool, visit: &mut dyn FnMut(bool, u8, &[u8])) {
    let max = if v6 { 128 } else { 32 };
    let add_path = !walks_cleanly(nlri, false, max) && walks_cleanly(nlri, true, max);
    let mut rest = nlri;
    while let Some((bits, prefix, next)) = next_prefix(rest, add_path) {
        visit(v6, bits, prefix);
        rest = next;
    }
}

/// Whether `nlri` is a whole number of prefixes of 1..=`max` bits (0..=
/// `max` with path identifiers).
fn walks_cleanly(mut nlri: &[u8], add_path: bool, max: u8) -> bool {
    while !nlri.is_empty() {
        match next_prefix(nlri, add_path) {
            Some((bits, _, next)) if bits <= max && (add_path || bits > 0) => nlri = next,
            _ => return false,
        }
    }
    true
}

/// The first prefix of `nlri`: (length in bits, octets, the rest).
fn next_prefix(nlri: &[u8], add_path: bool) -> Option<(u8, &[u8], &[u8])> {
    let nlri = if add_path { nlri.get(4..)? } else { nlri };
    let (&bits, rest) = nlri.split_first()?;
    let len = usize::from(bits).div_ceil(8);
    let prefix = rest.get(..len)?;
    Some((bits, prefix, &rest[len..]))
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
        eprintln!("bmp_sink: connection {index} from {speaker}");
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
                .map_err(|_| {
                    format!(
                        "connection {index}: not complete in time: {}",
                        count.summary(0.0)
                    )
                })??;
            if n == 0 {
                return Err(format!(
                    "connection {index}: closed before complete: {}",
                    count.summary(0.0)
                )
                .into());
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
        let done = (Instant::now(), SystemTime::now());
        let from = if dump {
            accepted
        } else {
            count.first_prefix.map_or(accepted, |(at, _)| at)
        };
        let seconds = done.0.duration_since(from).as_secs_f64();
        println!(
            "{{\"connection\":{index},\"speaker\":\"{speaker}\",\"kind\":\"{}\",\"seconds\":{seconds:.3},\"first_prefix_unix_ns\":{},\"done_unix_ns\":{},\"sink_cpu_s\":{:.2},{}}}",
            if dump { "dump" } else { "live" },
            count.first_prefix.map_or(0, |(_, wall)| unix_ns(wall)),
            unix_ns(done.1),
            own_cpu_seconds(),
            count.summary(seconds),
        );
        drop(stream);
    }
    Ok(())
}

/// CPU time (user + system) this process has used, from /proc/self/stat
/// (0 where that cannot be read).
fn own_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which ends with ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // In USER_HZ, which Linux fixes at 100 for user space.
    (ticks(11) + ticks(12)) / 100.0
}

fn unix_ns(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BGP UPDATE from its withdrawn routes, attributes and NLRI.
    fn update(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
        let mut m = vec![0xff; 16];
        let len = 19 + 2 + withdrawn.len() + 2 + attrs.len() + nlri.len();
        m.extend_from_slice(&(len as u16).to_be_bytes());
        m.push(2);
        m.extend_from_slice(&(withdrawn.len() as u16).to_be_bytes());
        m.extend_from_slice(withdrawn);
        m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
        m.extend_from_slice(attrs);
        m.extend_from_slice(nlri);
        m
    }

    /// A Route Monitoring message for peer type `kind`, flags and address.
    fn route_monitoring(kind: u8, flags: u8, last_octet: u8, update: &[u8]) -> Vec<u8> {
        let mut m = vec![3, 0, 0, 0, 0, 0];
        let mut peer = vec![0u8; 42];
        peer[0] = kind;
        peer[1] = flags;
        peer[25] = last_octet;
        m.extend_from_slice(&peer);
        m.extend_from_slice(update);
        let len = m.len() as u32;
        m[1..5].copy_from_slice(&len.to_be_bytes());
        m
    }

    fn collect(update: &[u8]) -> (Vec<(bool, u8, Vec<u8>)>, bool) {
        let mut seen = Vec::new();
        let eor = parse_update(update, &mut |v6, bits, bytes| {
            seen.push((v6, bits, bytes.to_vec()))
        });
        (seen, eor)
    }

    /// MP_REACH_NLRI for IPv6 unicast with next hop 2001:db8::1.
    fn mp_reach_v6(nlri: &[u8]) -> Vec<u8> {
        let mut value = vec![0, 2, 1, 16, 0x20, 0x01, 0x0d, 0xb8];
        value.extend_from_slice(&[0; 11]);
        value.push(1);
        value.push(0);
        value.extend_from_slice(nlri);
        let mut attr = vec![0x90, 14];
        attr.extend_from_slice(&(value.len() as u16).to_be_bytes());
        attr.extend_from_slice(&value);
        attr
    }

    #[test]
    fn plain_ipv4_and_mp_reach_ipv6_prefixes_are_visited() {
        let v4 = [24, 32, 0, 0, 24, 32, 0, 1];
        let (seen, eor) = collect(&update(&[], &[], &v4));
        assert!(!eor);
        assert_eq!(
            seen,
            vec![(false, 24, vec![32, 0, 0]), (false, 24, vec![32, 0, 1])]
        );
        let v6 = [48, 0x2a, 0x0f, 0, 0, 0, 1];
        let (seen, _) = collect(&update(&[], &mp_reach_v6(&v6), &[]));
        assert_eq!(seen, vec![(true, 48, vec![0x2a, 0x0f, 0, 0, 0, 1])]);
    }

    #[test]
    fn add_path_nlri_is_recognised() {
        // Path identifier 1, then 32.0.0.0/24; plain parsing would find
        // zero-length prefixes and a truncated one.
        let nlri = [0, 0, 0, 1, 24, 32, 0, 0, 0, 0, 0, 1, 24, 32, 0, 5];
        let (seen, _) = collect(&update(&[], &[], &nlri));
        assert_eq!(
            seen,
            vec![(false, 24, vec![32, 0, 0]), (false, 24, vec![32, 0, 5])]
        );
    }

    #[test]
    fn end_of_rib_markers_are_detected() {
        assert!(collect(&update(&[], &[], &[])).1);
        let unreach_v6 = [0x80, 15, 3, 0, 2, 1];
        assert!(collect(&update(&[], &unreach_v6, &[])).1);
        assert!(!collect(&update(&[], &[], &[24, 32, 0, 0])).1);
    }

    #[test]
    fn truncated_updates_do_not_panic() {
        let full = update(
            &[],
            &mp_reach_v6(&[48, 0x2a, 0x0f, 0, 0, 0, 1]),
            &[24, 1, 2, 3],
        );
        for cut in 0..full.len() {
            let _ = collect(&full[..cut]);
        }
    }

    #[test]
    fn views_count_distinct_prefixes_only() {
        let mut count = Count::default();
        let nlri = [24, 32, 0, 0, 24, 32, 0, 1];
        let pre = route_monitoring(0, 0, 2, &update(&[], &[], &nlri));
        count.message(&pre);
        count.message(&pre);
        let post = route_monitoring(0, 0x40, 2, &update(&[], &[], &nlri[..4]));
        count.message(&post);
        assert_eq!(count.prefixes, 5);
        assert_eq!(count.route_monitoring, 3);
        let mut per_view: Vec<u64> = count.views.values().map(|v| v.seen.count).collect();
        per_view.sort_unstable();
        assert_eq!(per_view, vec![1, 2]);
        let args = Args::parse_from(["bmp_sink", "--expect", "2", "--views", "1"]);
        assert!(count.complete(&args, false));
        let args = Args::parse_from(["bmp_sink", "--expect", "2", "--views", "2"]);
        assert!(!count.complete(&args, false));
    }

    #[test]
    fn seen_keeps_other_lengths_apart() {
        let mut seen = Seen::default();
        assert!(seen.insert(false, 24, &[10, 0, 0]));
        assert!(!seen.insert(false, 24, &[10, 0, 0]));
        assert!(seen.insert(false, 16, &[10, 0]));
        assert!(seen.insert(true, 16, &[10, 0]));
        assert!(!seen.insert(true, 16, &[10, 0]));
        assert_eq!(seen.count, 3);
    }
}
