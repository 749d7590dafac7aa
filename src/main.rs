//! `bgpd`: the daemon. Takes gobgpd's command-line flags.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

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
    #[arg(long = "pprof-disable")]
    pprof_disable: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.config_type != "toml" {
        eprintln!(
            "bgpd: config type {:?} is not supported; use toml",
            args.config_type
        );
        return ExitCode::from(1);
    }
    eprintln!(
        "bgpd: the BGP speaker is not built yet (issue 3); flags parsed: {:?}",
        args
    );
    ExitCode::from(1)
}
