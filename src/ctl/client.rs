//! The connection to bgpd's API (TCP or `unix://` socket) and `bgpctl`'s
//! errors: an unreachable daemon is one line naming the address and the
//! cause, a refused request its gRPC code and message.

use std::fmt;
use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

use crate::api::proto::gobgp_api_client::GobgpApiClient;

/// How long connecting may take before bgpd counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where bgpd's API is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `--host` / `--port`.
    Tcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
    /// `--target`: `unix:///path`, `http://host:port` or `host:port`.
    Url(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Target::Tcp { host, port } => write!(f, "{host}:{port}"),
            Target::Url(url) => f.write_str(url),
        }
    }
}

impl Target {
    /// The URL tonic connects to.
    pub fn url(&self) -> String {
        match self {
            Target::Url(url) if url.contains("://") || url.starts_with("unix:") => url.clone(),
            other => format!("http://{other}"),
        }
    }
}

/// Why a command failed.
#[derive(Debug)]
pub enum CtlError {
    /// No connection to bgpd.
    Unreachable {
        /// Where we looked.
        target: Target,
        /// The cause, e.g. `connection refused`.
        reason: String,
    },
    /// bgpd answered with an error.
    Rpc(tonic::Status),
    /// Writing the answer failed (other than a closed pipe).
    Output(std::io::Error),
}

impl fmt::Display for CtlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CtlError::Unreachable { target, reason } => write!(
                f,
                "cannot reach bgpd at {target}: {reason} (is bgpd running? --api-hosts)"
            ),
            CtlError::Rpc(status) => write!(
                f,
                "rpc error: code = {:?} desc = {}",
                status.code(),
                status.message()
            ),
            CtlError::Output(e) => write!(f, "writing the output: {e}"),
        }
    }
}

impl std::error::Error for CtlError {}

impl From<tonic::Status> for CtlError {
    fn from(status: tonic::Status) -> CtlError {
        CtlError::Rpc(status)
    }
}

/// The innermost cause of a connection error, as a short phrase
/// (`connection refused`, `no such file or directory`).
fn cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    let mut text = current.to_string();
    while let Some(next) = current.source() {
        if let Some(io) = next.downcast_ref::<std::io::Error>() {
            text = io.to_string();
            break;
        }
        text = next.to_string();
        current = next;
    }
    let text = match text.find(" (os error") {
        Some(at) => &text[..at],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "unknown error".into(),
    }
}

/// Connects to bgpd at `target`.
pub async fn connect(target: &Target) -> Result<GobgpApiClient<Channel>, CtlError> {
    let unreachable = |reason: String| CtlError::Unreachable {
        target: target.clone(),
        reason,
    };
    let endpoint = Endpoint::from_shared(target.url())
        .map_err(|e| unreachable(format!("invalid address: {}", cause(&e))))?
        .connect_timeout(CONNECT_TIMEOUT);
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, endpoint.connect())
        .await
        .map_err(|_| unreachable("timed out".into()))?;
    let channel = connected.map_err(|e| unreachable(cause(&e)))?;
    Ok(GobgpApiClient::new(channel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_print_as_addresses_and_become_urls() {
        let tcp = Target::Tcp {
            host: "127.0.0.1".into(),
            port: 50051,
        };
        assert_eq!(tcp.to_string(), "127.0.0.1:50051");
        assert_eq!(tcp.url(), "http://127.0.0.1:50051");
        let v6 = Target::Tcp {
            host: "::1".into(),
            port: 5,
        };
        assert_eq!(v6.url(), "http://[::1]:5");
        let unix = Target::Url("unix:///run/bgpd.sock".into());
        assert_eq!(unix.url(), "unix:///run/bgpd.sock");
        assert_eq!(Target::Url("h:1".into()).url(), "http://h:1");
    }

    #[test]
    fn causes_are_short_lowercase_phrases() {
        let io = std::io::Error::from_raw_os_error(111);
        assert_eq!(cause(&io), "connection refused");
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("transport error")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let outer = Outer(std::io::Error::from_raw_os_error(2));
        assert_eq!(cause(&outer), "no such file or directory");
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_with_the_reason() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let target = Target::Tcp {
            host: "127.0.0.1".into(),
            port,
        };
        let Err(error) = connect(&target).await else {
            panic!("connected to a closed port");
        };
        assert_eq!(
            error.to_string(),
            format!("cannot reach bgpd at 127.0.0.1:{port}: connection refused (is bgpd running? --api-hosts)")
        );
    }

    #[test]
    fn rpc_errors_show_code_and_message() {
        let e = CtlError::from(tonic::Status::not_found("neighbor 192.0.2.99 not found"));
        assert_eq!(
            e.to_string(),
            "rpc error: code = NotFound desc = neighbor 192.0.2.99 not found"
        );
    }
}
