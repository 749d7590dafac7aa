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
use tracing_subscriber::Layer;

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
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(&args);
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
    for key in not_acted_on_yet(&config) {
        warn!(
            Topic = "Config",
            Key = key,
            "configuration is read but not acted on yet; ignored"
        );
    }
    if args.dry_run {
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            error!(Error = %e, "failed to start the runtime");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve(config, path)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!(Error = %e, "bgpd stopped");
            ExitCode::from(1)
        }
    }
}

/// Runs the daemon; SIGHUP reloads `path`, SIGTERM/SIGINT stop it.
async fn serve(config: config::Config, path: PathBuf) -> Result<(), Box<dyn std::error::Error>> {
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
    daemon::run_with(config, daemon::Options::default(), reload_rx, shutdown).await?;
    Ok(())
}

/// gobgpd's logging: JSON lines unless `-p`; `-l` recognises `debug` (and
/// `trace`), anything else is `info`.
fn init_logging(args: &Args) {
    let level = match args.log_level.as_str() {
        "debug" => LevelFilter::DEBUG,
        "trace" => LevelFilter::TRACE,
        _ => LevelFilter::INFO,
    };
    if args.log_plain {
        tracing_subscriber::fmt().with_max_level(level).init();
    } else {
        tracing_subscriber::registry()
            .with(bgpd::log::JsonLayer.with_filter(level))
            .init();
    }
}

/// Sections this build reads and checks but does not act on yet: policies
/// (every route is accepted and exported as if no policy were set) and BMP
/// collectors.
fn not_acted_on_yet(config: &config::Config) -> Vec<&'static str> {
    let global = &config.global.apply_policy;
    let mut keys = Vec::new();
    if !config.policies.is_empty() {
        keys.push("policy-definitions");
    }
    if !global.import_policies.is_empty()
        || !global.export_policies.is_empty()
        || global.default_import != config::DefaultPolicy::Accept
        || global.default_export != config::DefaultPolicy::Accept
    {
        keys.push("global.apply-policy");
    }
    if !config.bmp_servers.is_empty() {
        keys.push("bmp-servers");
    }
    keys
}
