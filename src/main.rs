//! `bgpd`: the daemon. Takes gobgpd's command-line flags.

use std::path::PathBuf;
use std::process::ExitCode;

use bgpd::{config, daemon};
use clap::Parser;
use tokio::signal::unix::{signal, SignalKind};
use tracing::level_filters::LevelFilter;
use tracing::{error, info, warn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// gobgpd's flags, so a gobgpd systemd unit works with the binary renamed.
#[derive(Debug, Parser)]
#[command(name = "bgpd", version, about = "BGP speaker built for BMP monitoring")]
struct Args {
    /// Configuration file (gobgpd TOML).
    #[arg(short = 'f', long = "config-file")]
    config_file: Option<PathBuf>,
    /// Configuration file format (only `toml` is supported).
    #[arg(short = 't', long = "config-type", default_value = "toml")]
    config_type: String,
    /// Log level: panic, fatal, error, warn, info, debug, trace.
    #[arg(short = 'l', long = "log-level", default_value = "info")]
    log_level: String,
    /// Plain text logs instead of JSON lines.
    #[arg(short = 'p', long = "log-plain")]
    log_plain: bool,
    /// Check the configuration file and exit.
    #[arg(short = 'd', long = "dry-run")]
    dry_run: bool,
    /// gRPC listen addresses (comma separated; `unix://PATH` for a socket).
    #[arg(long = "api-hosts", default_value = "127.0.0.1:50051")]
    api_hosts: String,
    /// Accepted for gobgpd compatibility; bgpd has no pprof server.
    #[allow(dead_code)]
    #[arg(long = "pprof-disable")]
    pprof_disable: bool,
    /// Accepted for gobgpd compatibility; bgpd has no pprof server.
    #[allow(dead_code)]
    #[arg(long = "pprof-host")]
    pprof_host: Option<String>,
    /// Also log to syslog: `yes` (or anything without a `:`) is the local
    /// daemon at /dev/log; `[network:]address` forms are not supported and
    /// fall back to the local daemon.
    #[arg(short = 's', long = "syslog")]
    syslog: Option<String>,
    /// Syslog facility: kern, user, mail, daemon, auth, syslog, lpr, news,
    /// uucp, cron, authpriv, ftp, local0 … local7.
    #[arg(long = "syslog-facility", default_value = "daemon")]
    syslog_facility: String,
    /// Do not log to standard output.
    #[arg(long = "disable-stdlog")]
    disable_stdlog: bool,
    /// Tell systemd when bgpd is ready (`Type=notify` units).
    #[arg(long = "sdnotify")]
    sdnotify: bool,
    /// Worker threads (default: one per CPU).
    #[arg(long = "cpus")]
    cpus: Option<usize>,
    /// gobgpd's graceful-restart R bit; not supported yet, accepted.
    #[arg(short = 'r', long = "graceful-restart")]
    graceful_restart: bool,
    /// gRPC TLS; accepted, not supported (the API is plain text).
    #[arg(long = "tls")]
    tls: bool,
    /// gRPC TLS certificate file; accepted.
    #[allow(dead_code)]
    #[arg(long = "tls-cert-file")]
    tls_cert_file: Option<PathBuf>,
    /// gRPC TLS key file; accepted.
    #[allow(dead_code)]
    #[arg(long = "tls-key-file")]
    tls_key_file: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let log_level = init_logging(&args);
    if args.config_type != "toml" {
        error!(
            Topic = "Config",
            "config type {:?} is not supported; use toml", args.config_type
        );
        return ExitCode::from(1);
    }
    let Some(path) = args.config_file.clone() else {
        error!(
            Topic = "Config",
            "no configuration file: bgpd needs -f FILE (there is no API to configure it yet)"
        );
        return ExitCode::from(1);
    };
    let config = match config::load(&path) {
        Ok(config) => config,
        Err(e) => {
            error!(Topic = "Config", Error = %e, "Can't read config file {}", path.display());
            return ExitCode::from(1);
        }
    };
    info!(Topic = "Config", "Finished reading the config file");
    for key in &config.unsupported {
        warn!(Topic = "Config", Key = %key, "configuration key is not supported; ignored");
    }
    for warning in &config.warnings {
        warn!(Topic = "Config", "{warning}");
    }
    if args.dry_run {
        return ExitCode::SUCCESS;
    }
    if args.graceful_restart {
        warn!(
            Topic = "Config",
            "-r (graceful restart R bit) is not supported yet; ignored"
        );
    }
    if args.tls {
        warn!(
            Topic = "Config",
            "--tls is accepted but not supported: the gRPC API is plain text"
        );
    }
    let api = match bgpd::api::parse_hosts(&args.api_hosts) {
        Ok(api) => api,
        Err(e) => {
            error!(Topic = "Config", "{e}");
            return ExitCode::from(1);
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(cpus) = args.cpus {
        let available = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cpus == 0 || cpus > available {
            error!(
                Topic = "Config",
                "--cpus {cpus}: this machine has {available} CPUs"
            );
            return ExitCode::from(1);
        }
        builder.worker_threads(cpus);
    }
    let runtime = match builder.build() {
        Ok(runtime) => runtime,
        Err(e) => {
            error!(Error = %e, "failed to start the runtime");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve(config, path, args.sdnotify, api, log_level)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!(Error = %e, "bgpd stopped");
            ExitCode::from(1)
        }
    }
}

/// Runs the daemon; SIGHUP reloads `path`, SIGTERM/SIGINT stop it.
async fn serve(
    config: config::Config,
    path: PathBuf,
    sdnotify: bool,
    api: Vec<bgpd::api::Listen>,
    log_level: bgpd::api::LogLevel,
) -> Result<(), Box<dyn std::error::Error>> {
    info!("bgpd started");
    let (reload_tx, reload_rx) = tokio::sync::mpsc::channel(4);
    let mut hangup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            // A file that does not load is logged and ignored.
            if let Some(config) = daemon::reload_config(&path) {
                if reload_tx.send(config).await.is_err() {
                    return;
                }
            }
        }
    });
    let mut terminate = signal(SignalKind::terminate())?;
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    };
    let mut options = daemon::Options {
        api,
        log_level: Some(log_level),
        ..daemon::Options::default()
    };
    if sdnotify {
        let ready = std::sync::Arc::new(tokio::sync::Notify::new());
        options.ready = Some(ready.clone());
        tokio::spawn(async move {
            ready.notified().await;
            if let Err(e) = bgpd::systemd::notify("READY=1") {
                warn!(Error = %e, "cannot notify systemd");
            }
        });
    }
    let result = daemon::run_with(config, options, reload_rx, shutdown).await;
    if sdnotify {
        let _ = bgpd::systemd::notify("STOPPING=1");
    }
    result?;
    Ok(())
}

/// gobgpd's logging: JSON lines unless `-p`, on standard output unless
/// `--disable-stdlog`, and to syslog with `--syslog`; `-l` recognises
/// `debug` (and `trace`), anything else is `info`.
///
/// Returns how the API's SetLogLevel changes the level afterwards.
fn init_logging(args: &Args) -> bgpd::api::LogLevel {
    let level = match args.log_level.as_str() {
        "debug" => LevelFilter::DEBUG,
        "trace" => LevelFilter::TRACE,
        _ => LevelFilter::INFO,
    };
    let mut problems = Vec::new();
    let syslog = args.syslog.as_ref().and_then(|target| {
        if target.contains(':') {
            problems.push(format!(
                "--syslog {target}: only the local syslog daemon is supported; using {}",
                bgpd::log::SYSLOG_SOCKET
            ));
        }
        let facility = bgpd::log::facility(&args.syslog_facility).unwrap_or_else(|| {
            problems.push(format!(
                "--syslog-facility {}: unknown; using daemon",
                args.syslog_facility
            ));
            3
        });
        match bgpd::log::Syslog::connect(std::path::Path::new(bgpd::log::SYSLOG_SOCKET), facility) {
            Ok(syslog) => Some(syslog),
            Err(e) => {
                problems.push(format!(
                    "cannot reach syslog at {}: {e}",
                    bgpd::log::SYSLOG_SOCKET
                ));
                None
            }
        }
    });
    // Without syslog, standard output stays on whatever --disable-stdlog says:
    // a daemon that logs nowhere helps nobody.
    let stdlog = !args.disable_stdlog || syslog.is_none();
    // One level for every output, changed at run time by SetLogLevel.
    let (filter, handle) = tracing_subscriber::reload::Layer::new(level);
    if args.log_plain {
        tracing_subscriber::registry()
            .with(filter)
            // Colours on a terminal only: a file or the journal gets plain
            // text, as gobgpd's -p gives.
            .with(stdlog.then(|| {
                let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
                tracing_subscriber::fmt::layer().with_ansi(terminal)
            }))
            .with(syslog.map(|syslog| {
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .without_time()
                    .with_writer(syslog)
            }))
            .init();
    } else {
        tracing_subscriber::registry()
            .with(filter)
            .with(stdlog.then(|| bgpd::log::JsonLayer::new(std::io::stdout)))
            .with(syslog.map(bgpd::log::JsonLayer::new))
            .init();
    }
    for problem in problems {
        warn!(Topic = "Config", "{problem}");
    }
    bgpd::api::LogLevel(std::sync::Arc::new(move |level| {
        if let Err(e) = handle.modify(|filter| *filter = level) {
            warn!(Error = %e, "log level not changed");
        }
    }))
}
