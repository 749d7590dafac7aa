//! `bmpd`: a BMP collector printing one JSON object per message on stdout.
//!
//! ```text
//! bmpd --listen 0.0.0.0:11019 [--raw]
//! ```
//!
//! Decode problems go to stderr; a speaker whose stream cannot be framed is
//! disconnected, and the other speakers go on.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "bmpd",
    version,
    about = "BMP collector: one JSON object per BMP message"
)]
struct Args {
    /// Address and port to accept BMP speakers on (gobmpd's default port).
    #[arg(long, default_value = "0.0.0.0:11019")]
    listen: SocketAddr,
    /// Add each message's bytes in hex (`"raw"`).
    #[arg(long)]
    raw: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let listener = match TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("bmpd: cannot listen on {}: {err}", args.listen);
            return ExitCode::from(1);
        }
    };
    tracing::info!(listen = %args.listen, "bmpd listening");
    let (lines_tx, lines_rx) = mpsc::channel(4096);
    let writer = tokio::spawn(write_lines(lines_rx));
    tokio::select! {
        () = bgpd::collector::serve(listener, args.raw, lines_tx) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    // Connections still hold senders, so the writer does not end by itself:
    // give it a moment to write what is queued.
    let _ = tokio::time::timeout(std::time::Duration::from_millis(500), writer).await;
    ExitCode::SUCCESS
}

/// Writes JSON lines to stdout, flushing whenever the queue runs empty so a
/// burst of messages costs few system calls.
async fn write_lines(mut lines: mpsc::Receiver<String>) {
    let mut stdout = tokio::io::BufWriter::with_capacity(1 << 16, tokio::io::stdout());
    while let Some(line) = lines.recv().await {
        if write_line(&mut stdout, &line).await.is_err() {
            return;
        }
        while let Ok(line) = lines.try_recv() {
            if write_line(&mut stdout, &line).await.is_err() {
                return;
            }
        }
        if stdout.flush().await.is_err() {
            return;
        }
    }
}

async fn write_line<W: tokio::io::AsyncWrite + Unpin>(
    out: &mut W,
    line: &str,
) -> std::io::Result<()> {
    out.write_all(line.as_bytes()).await?;
    out.write_all(b"\n").await
}
