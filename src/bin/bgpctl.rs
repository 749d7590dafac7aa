//! `bgpctl`: gobgp's command line for bgpd, over its gRPC API.
//!
//! ```text
//! bgpctl [-u HOST] [-p PORT | --target unix:///PATH] [-j] [-a ipv4|ipv6] COMMAND
//! ```
//!
//! The commands and output live in the library (`bgpd::ctl`); this file
//! parses the command line, runs one request and turns the outcome into an
//! exit code: 0 done, 1 bgpd unreachable or the request refused, 2 usage.

use std::io::Write;
use std::process::ExitCode;

use bgpd::ctl::{self, cli::Cli};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let request = match cli.request() {
        Ok(request) => request,
        Err(usage) => usage.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return fail(&format!("cannot start the runtime: {e}"));
        }
    };
    let options = cli.options();
    let mut out = std::io::stdout();
    match runtime.block_on(ctl::run(&options, request, &mut out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}

/// Reports `message` on stderr (a closed stderr is no reason to panic,
/// as `eprintln!` would) and answers exit code 1.
fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "bgpctl: {message}");
    ExitCode::FAILURE
}
