//! Reaching a station: name resolution, source address, connect timeout,
//! and the reconnect backoff.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

use crate::config::BmpServer;

/// Connecting to a station failed.
#[derive(Debug)]
pub enum ConnectError {
    /// The name did not resolve.
    Resolve {
        /// `address:port` as configured.
        station: String,
        /// Why.
        source: io::Error,
    },
    /// The name resolved to no address usable with the source address.
    NoAddress {
        /// `address:port` as configured.
        station: String,
    },
    /// Creating, binding or connecting the socket failed.
    Connect {
        /// The address tried last.
        address: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// No answer within the connect timeout.
    Timeout {
        /// The address tried last.
        address: SocketAddr,
    },
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Resolve { station, source } => write!(f, "resolve {station}: {source}"),
            ConnectError::NoAddress { station } => {
                write!(f, "{station}: no address of the source address's family")
            }
            ConnectError::Connect { address, source } => write!(f, "dial tcp {address}: {source}"),
            ConnectError::Timeout { address } => write!(f, "dial tcp {address}: timed out"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectError::Resolve { source, .. } | ConnectError::Connect { source, .. } => {
                Some(source)
            }
            _ => None,
        }
    }
}

/// Resolves the station (DNS names too) and connects to the first address
/// that answers within `connect_timeout`, bound to the source address when
/// one is configured.
pub async fn connect(
    server: &BmpServer,
    connect_timeout: Duration,
) -> Result<TcpStream, ConnectError> {
    let station = format!("{}:{}", server.address, server.port);
    let resolved = timeout(
        connect_timeout,
        tokio::net::lookup_host((server.address.as_str(), server.port)),
    )
    .await
    .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")))
    .map_err(|source| ConnectError::Resolve {
        station: station.clone(),
        source,
    })?;
    let mut last = ConnectError::NoAddress { station };
    for address in resolved {
        if let Some(source) = server.source_address {
            if source.is_ipv4() != address.is_ipv4() {
                continue;
            }
        }
        match connect_one(address, server, connect_timeout).await {
            Ok(stream) => return Ok(stream),
            Err(error) => last = error,
        }
    }
    Err(last)
}

async fn connect_one(
    address: SocketAddr,
    server: &BmpServer,
    connect_timeout: Duration,
) -> Result<TcpStream, ConnectError> {
    let failed = |source| ConnectError::Connect { address, source };
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(failed)?;
    if let Some(source) = server.source_address {
        socket.bind(SocketAddr::new(source, 0)).map_err(failed)?;
    }
    let stream = timeout(connect_timeout, socket.connect(address))
        .await
        .map_err(|_| ConnectError::Timeout { address })?
        .map_err(failed)?;
    // We batch writes ourselves; keepalives find a collector that vanished
    // without a FIN while nothing is being sent.
    let _ = stream.set_nodelay(true);
    let _ = socket2::SockRef::from(&stream).set_keepalive(true);
    Ok(stream)
}

/// Capped exponential backoff with jitter: each delay is uniformly drawn
/// from the upper half of the current step, and the step doubles from
/// `min` up to `max`.
#[derive(Debug)]
pub(crate) struct Backoff {
    step: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            step: min,
            min,
            max: max.max(min),
        }
    }

    /// The next delay.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let step = self.step;
        self.step = (step * 2).min(self.max);
        let half = step / 2;
        half + half.mul_f64(random_fraction())
    }

    /// Back to the shortest delay.
    pub(crate) fn reset(&mut self) {
        self.step = self.min;
    }
}

/// A number in [0, 1): std's randomly keyed hasher is random enough for
/// jitter, with no dependency.
fn random_fraction() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_minimum_to_the_cap_with_jitter_in_the_upper_half() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let steps = [1, 2, 4, 8, 16, 30, 30];
        for step in steps {
            let step = Duration::from_secs(step);
            let delay = backoff.next_delay();
            assert!(delay >= step / 2 && delay <= step, "{delay:?} for {step:?}");
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_secs(1));
    }

    #[test]
    fn random_fraction_is_in_the_unit_interval() {
        for _ in 0..1000 {
            let x = random_fraction();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
