//! gobgpd-style log lines: one JSON object per line, keys sorted (so the
//! capitalised fields `Key`, `State`, `Topic` come first, as logrus writes
//! them), with `level`, `msg` and an RFC 3339 `time`:
//!
//! ```text
//! {"Key":"192.0.2.2","State":"BGP_FSM_OPENCONFIRM","Topic":"Peer","level":"info","msg":"Peer Up","time":"2026-11-27T18:19:53Z"}
//! ```
//!
//! The `peer` field of a peer task's span becomes `Key`.
//!
//! [`Syslog`] sends the same lines to the local syslog daemon (`/dev/log`),
//! as gobgpd does with `--syslog yes`: the Debian unit runs it that way.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::Metadata;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// A layer writing gobgpd-style JSON lines, one `write` per line, to what
/// `make_writer` gives (standard output, or [`Syslog`]).
#[derive(Debug, Clone, Copy)]
pub struct JsonLayer<W> {
    make_writer: W,
}

impl<W> JsonLayer<W> {
    /// JSON lines written through `make_writer`.
    pub fn new(make_writer: W) -> JsonLayer<W> {
        JsonLayer { make_writer }
    }
}

/// Fields recorded on a span or event.
#[derive(Debug, Default)]
struct Fields(BTreeMap<String, Value>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_owned(), Value::String(value.to_owned()));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
}

/// logrus's level names.
fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warning",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

impl<S, W> Layer<S> for JsonLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut line = BTreeMap::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<Fields>() {
                    for (key, value) in &fields.0 {
                        let key = if key == "peer" { "Key" } else { key.as_str() };
                        line.insert(key.to_owned(), value.clone());
                    }
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        for (key, value) in fields.0 {
            let key = if key == "message" {
                "msg".to_owned()
            } else {
                key
            };
            line.insert(key, value);
        }
        line.insert(
            "level".to_owned(),
            Value::from(level_name(event.metadata().level())),
        );
        line.insert("time".to_owned(), Value::from(rfc3339(SystemTime::now())));
        if let Ok(mut text) = serde_json::to_string(&line) {
            text.push('\n');
            let mut out = self.make_writer.make_writer_for(event.metadata());
            let _ = out.write_all(text.as_bytes());
        }
    }
}

/// The local syslog daemon, reached through its datagram socket.
///
/// Each log line becomes one RFC 3164 datagram,
/// `<PRI>bgpd[PID]: LINE`, its severity taken from the event's level.
#[derive(Debug)]
pub struct Syslog {
    socket: UnixDatagram,
    facility: u8,
    pid: u32,
}

/// The socket syslog daemons (and journald) listen on.
pub const SYSLOG_SOCKET: &str = "/dev/log";

impl Syslog {
    /// Connects to the syslog socket at `path` with `facility` (see
    /// [`facility`]).
    pub fn connect(path: &Path, facility: u8) -> io::Result<Syslog> {
        let socket = UnixDatagram::unbound()?;
        socket.connect(path)?;
        Ok(Syslog {
            socket,
            facility,
            pid: std::process::id(),
        })
    }
}

/// The syslog facility code for gobgpd's `--syslog-facility` names
/// (`kern` … `local7`), or `None` for an unknown name.
pub fn facility(name: &str) -> Option<u8> {
    const NAMES: [&str; 12] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp",
    ];
    if let Some(n) = name.strip_prefix("local") {
        return n.parse::<u8>().ok().filter(|n| *n < 8).map(|n| 16 + n);
    }
    NAMES
        .iter()
        .position(|known| *known == name)
        .and_then(|i| u8::try_from(i).ok())
}

/// One log line on its way to syslog: sent as one datagram when dropped.
#[derive(Debug)]
pub struct SyslogLine<'a> {
    syslog: &'a Syslog,
    severity: u8,
    line: Vec<u8>,
}

impl Write for SyslogLine<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for SyslogLine<'_> {
    fn drop(&mut self) {
        while self.line.last() == Some(&b'\n') {
            self.line.pop();
        }
        if self.line.is_empty() {
            return;
        }
        let priority = u32::from(self.syslog.facility) * 8 + u32::from(self.severity);
        let mut datagram = format!("<{priority}>bgpd[{}]: ", self.syslog.pid).into_bytes();
        datagram.extend_from_slice(&self.line);
        // A syslog daemon that is gone or full must not stop the daemon.
        let _ = self.syslog.socket.send(&datagram);
    }
}

impl<'a> MakeWriter<'a> for Syslog {
    type Writer = SyslogLine<'a>;

    fn make_writer(&'a self) -> SyslogLine<'a> {
        SyslogLine {
            syslog: self,
            severity: 6,
            line: Vec::new(),
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> SyslogLine<'a> {
        // RFC 5424 severities: error 3, warning 4, informational 6, debug 7.
        let severity = match *meta.level() {
            Level::ERROR => 3,
            Level::WARN => 4,
            Level::INFO => 6,
            Level::DEBUG | Level::TRACE => 7,
        };
        SyslogLine {
            syslog: self,
            severity,
            line: Vec::new(),
        }
    }
}

/// `time` as RFC 3339 in UTC with seconds (`2026-11-27T18:19:48Z`).
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn syslog_facility_names_follow_gobgpd() {
        assert_eq!(facility("kern"), Some(0));
        assert_eq!(facility("daemon"), Some(3));
        assert_eq!(facility("local0"), Some(16));
        assert_eq!(facility("local7"), Some(23));
        assert_eq!(facility("local8"), None);
        assert_eq!(facility("bogus"), None);
    }

    #[test]
    fn syslog_line_is_one_datagram_with_priority_from_level() {
        let dir = std::env::temp_dir().join(format!("bgpd-syslog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("log.sock");
        let _ = std::fs::remove_file(&path);
        let daemon = UnixDatagram::bind(&path).expect("bind");
        daemon
            .set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let syslog = Syslog::connect(&path, 3).expect("connect");
        let subscriber = tracing_subscriber::layer::SubscriberExt::with(
            tracing_subscriber::registry(),
            JsonLayer::new(syslog),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(Topic = "Peer", "something broke");
        });
        let mut buf = [0u8; 1024];
        let len = daemon.recv(&mut buf).expect("a datagram");
        let text = std::str::from_utf8(&buf[..len]).expect("utf-8");
        // daemon (3) * 8 + error (3) = 27
        let prefix = format!("<27>bgpd[{}]: {{", std::process::id());
        assert!(text.starts_with(&prefix), "{text}");
        assert!(text.contains(r#""msg":"something broke""#), "{text}");
        assert!(!text.ends_with('\n'));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn rfc3339_formats_utc_seconds() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_803_588);
        assert_eq!(rfc3339(t), "2026-11-27T18:19:48Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn warn_is_logrus_warning() {
        assert_eq!(level_name(&Level::WARN), "warning");
    }
}
