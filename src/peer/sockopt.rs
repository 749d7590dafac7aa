//! Transport socket options of a BGP session: TTL, GTSM's minimum TTL
//! (RFC 5082) and TCP MD5 signatures (RFC 2385).
//!
//! The TTL goes through `socket2`'s safe API. `IP_MINTTL`,
//! `IPV6_MINHOPCOUNT` and `TCP_MD5SIG` have no safe binding: this module
//! is the only place in the crate with `unsafe` code, all of it in
//! [`setsockopt`] (and the test-only `getsockopt`), two calls into libc
//! whose arguments are a live descriptor and a pointer/length pair taken
//! from one Rust value.
//!
//! A socket of the IPv6 family may carry IPv4 traffic (IPv4-mapped
//! addresses on a dual-stack listener); the IPv4 options are set on it too,
//! which Linux allows on TCP sockets of both families.

#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::net::{IpAddr, Ipv6Addr};
use std::os::fd::{AsFd, AsRawFd};

use socket2::SockRef;

use crate::config::Transport;

/// The longest TCP MD5 key Linux takes (`TCP_MD5SIG_MAXKEYLEN`).
pub const MAX_KEY_LEN: usize = 80;

/// `TCP_MD5SIG_FLAG_PREFIX` (`linux/tcp.h`): `tcpm_prefixlen` is valid.
const TCP_MD5SIG_FLAG_PREFIX: u8 = 1;

/// `struct tcp_md5sig` of `linux/tcp.h` (libc does not define it).
///
/// `tcpm_addr` is a `struct __kernel_sockaddr_storage`: 128 bytes aligned
/// to 8, holding a `sockaddr_in` or a `sockaddr_in6`.
#[repr(C, align(8))]
struct TcpMd5Sig {
    tcpm_addr: [u8; 128],
    tcpm_flags: u8,
    tcpm_prefixlen: u8,
    tcpm_keylen: u16,
    tcpm_ifindex: libc::c_int,
    tcpm_key: [u8; MAX_KEY_LEN],
}

// The kernel reads exactly this many bytes (`sizeof(struct tcp_md5sig)`).
const _: () = assert!(mem::size_of::<TcpMd5Sig>() == 216);

/// Whether the socket is of the IPv6 family (else IPv4).
fn is_v6(socket: &impl AsFd) -> io::Result<bool> {
    Ok(SockRef::from(socket).local_addr()?.is_ipv6())
}

/// The TTL (`transport.ttl`) and GTSM's minimum TTL of a session socket.
pub fn set_session_ttls(socket: &impl AsFd, transport: &Transport) -> io::Result<()> {
    if let Some(ttl) = transport.ttl {
        set_ttl(socket, ttl)?;
    }
    if let Some(min_ttl) = transport.min_ttl {
        set_min_ttl(socket, min_ttl)?;
    }
    Ok(())
}

/// Sets the IP TTL (IPv6: unicast hop limit) of packets sent on `socket`.
pub fn set_ttl(socket: &impl AsFd, ttl: u8) -> io::Result<()> {
    let sock = SockRef::from(socket);
    sock.set_ttl_v4(u32::from(ttl))?;
    if is_v6(socket)? {
        sock.set_unicast_hops_v6(u32::from(ttl))?;
    }
    Ok(())
}

/// GTSM: drops packets that arrive on `socket` with a TTL (IPv6: hop
/// limit) below `min_ttl` (`IP_MINTTL`, `IPV6_MINHOPCOUNT`).
pub fn set_min_ttl(socket: &impl AsFd, min_ttl: u8) -> io::Result<()> {
    let value = libc::c_int::from(min_ttl);
    setsockopt(socket, libc::IPPROTO_IP, libc::IP_MINTTL, &value)?;
    if is_v6(socket)? {
        setsockopt(socket, libc::IPPROTO_IPV6, libc::IPV6_MINHOPCOUNT, &value)?;
    }
    Ok(())
}

/// Sets (`key` non-empty) or removes (`key` empty) the TCP MD5 key for
/// segments from and to `peer` (RFC 2385).
///
/// `prefix_len` (`None`: the whole address) makes the key cover a prefix
/// of addresses (Linux 4.13). On an IPv6 socket an IPv4 `peer` is set as
/// its IPv4-mapped address, which Linux stores as the IPv4 key of a
/// dual-stack socket. An IPv6 `peer` on an IPv4 socket is an error.
pub fn set_md5(
    socket: &impl AsFd,
    peer: IpAddr,
    prefix_len: Option<u8>,
    key: &[u8],
) -> io::Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("TCP MD5 key longer than {MAX_KEY_LEN} bytes"),
        ));
    }
    let v6 = is_v6(socket)?;
    let mut sig = TcpMd5Sig {
        tcpm_addr: [0; 128],
        tcpm_flags: 0,
        tcpm_prefixlen: 0,
        tcpm_keylen: 0,
        tcpm_ifindex: 0,
        tcpm_key: [0; MAX_KEY_LEN],
    };
    // The address length in bits: Linux takes the prefix length of an
    // IPv4-mapped address as an IPv4 one.
    let full: u8 = if peer.is_ipv4() { 32 } else { 128 };
    match (peer, v6) {
        (IpAddr::V4(v4), false) => {
            // struct sockaddr_in: family, port, address (network order).
            let family = libc::sa_family_t::try_from(libc::AF_INET).map_err(invalid)?;
            sig.tcpm_addr[0..2].copy_from_slice(&family.to_ne_bytes());
            sig.tcpm_addr[4..8].copy_from_slice(&v4.octets());
        }
        (IpAddr::V4(v4), true) => {
            write_sockaddr_in6(&mut sig.tcpm_addr, v4.to_ipv6_mapped())?;
        }
        (IpAddr::V6(v6addr), true) => {
            write_sockaddr_in6(&mut sig.tcpm_addr, v6addr)?;
        }
        (IpAddr::V6(_), false) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "IPv6 peer on an IPv4 socket",
            ))
        }
    }
    let option = match prefix_len {
        Some(len) if len < full => {
            sig.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
            sig.tcpm_prefixlen = len;
            libc::TCP_MD5SIG_EXT
        }
        _ => libc::TCP_MD5SIG,
    };
    sig.tcpm_keylen = u16::try_from(key.len()).map_err(invalid)?;
    sig.tcpm_key[..key.len()].copy_from_slice(key);
    setsockopt(socket, libc::IPPROTO_TCP, option, &sig)
}

fn write_sockaddr_in6(storage: &mut [u8; 128], address: Ipv6Addr) -> io::Result<()> {
    // struct sockaddr_in6: family, port, flowinfo, address, scope id.
    let family = libc::sa_family_t::try_from(libc::AF_INET6).map_err(invalid)?;
    storage[0..2].copy_from_slice(&family.to_ne_bytes());
    storage[8..24].copy_from_slice(&address.octets());
    Ok(())
}

fn invalid<E: std::error::Error + Send + Sync + 'static>(error: E) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, error)
}

/// `setsockopt(2)` with `value` as the option value.
///
/// `T` must be a plain C type the kernel expects for `(level, name)`
/// (`c_int` or [`TcpMd5Sig`]): every caller is in this module.
fn setsockopt<T>(
    socket: &impl AsFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    let len = libc::socklen_t::try_from(mem::size_of::<T>()).map_err(invalid)?;
    let fd = socket.as_fd().as_raw_fd();
    // SAFETY: `fd` is borrowed from `socket`, which outlives the call, so
    // it is an open descriptor. `value` is a live reference to a
    // `size_of::<T>()`-byte value: the kernel reads at most `len` bytes
    // from it and keeps no pointer after the call. `T` is `repr(C)` (or a
    // C integer) with no padding the kernel reads as data: `TcpMd5Sig`'s
    // fields add up to its size (asserted above).
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (value as *const T).cast::<libc::c_void>(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `getsockopt(2)` of a C `int` option (tests read options back with it).
#[cfg(test)]
fn getsockopt_int(
    socket: &impl AsFd,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = libc::socklen_t::try_from(mem::size_of::<libc::c_int>()).map_err(invalid)?;
    let fd = socket.as_fd().as_raw_fd();
    // SAFETY: `fd` is an open descriptor borrowed from `socket`; `value`
    // and `len` are live locals, `len` is the size of `value`, and the
    // kernel writes at most `len` bytes to `value` and updates `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            (&mut value as *mut libc::c_int).cast::<libc::c_void>(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(value)
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::net::SocketAddr;
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpSocket, TcpStream};
    use tokio::time::timeout;

    /// Long enough for a loopback handshake, short enough for a test: a
    /// dropped SYN is retried after 1 s, so a failed attempt takes this.
    const SHORT: Duration = Duration::from_millis(1500);

    fn listener(ip: &str) -> TcpListener {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::new(ip.parse().expect("ip"), 0))
            .expect("bind");
        socket.listen(16).expect("listen")
    }

    /// Connects from `source` to `target` with `key` (and `ttl`), accepts
    /// on `listener` and exchanges one line each way.
    async fn exchange(
        listener: &TcpListener,
        source: &str,
        key: Option<&str>,
        ttl: Option<u8>,
    ) -> io::Result<()> {
        let target = listener.local_addr()?;
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(source.parse().map_err(invalid)?, 0))?;
        if let Some(key) = key {
            set_md5(&socket, target.ip(), None, key.as_bytes())?;
        }
        if let Some(ttl) = ttl {
            set_ttl(&socket, ttl)?;
        }
        let connect = async {
            let mut client = socket.connect(target).await?;
            let (mut server, _) = listener.accept().await?;
            client.write_all(b"ping\n").await?;
            let mut buf = [0u8; 5];
            server.read_exact(&mut buf).await?;
            server.write_all(&buf).await?;
            client.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"ping\n");
            Ok::<(), io::Error>(())
        };
        timeout(SHORT, connect)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no connection in time"))?
    }

    #[test]
    fn ttl_and_min_ttl_read_back_v4() {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        set_ttl(&socket, 255).expect("ttl");
        assert_eq!(socket.ttl_v4().expect("IP_TTL"), 255);
        set_min_ttl(&socket, 254).expect("min ttl");
        let min = getsockopt_int(&socket, libc::IPPROTO_IP, libc::IP_MINTTL).expect("IP_MINTTL");
        assert_eq!(min, 254);
    }

    #[test]
    fn ttl_and_min_ttl_read_back_v6_with_the_v4_options_for_mapped_peers() {
        let socket = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::STREAM, None)
            .expect("socket");
        set_ttl(&socket, 7).expect("ttl");
        assert_eq!(socket.unicast_hops_v6().expect("IPV6_UNICAST_HOPS"), 7);
        assert_eq!(socket.ttl_v4().expect("IP_TTL"), 7);
        set_min_ttl(&socket, 250).expect("min ttl");
        let hops = getsockopt_int(&socket, libc::IPPROTO_IPV6, libc::IPV6_MINHOPCOUNT)
            .expect("IPV6_MINHOPCOUNT");
        assert_eq!(hops, 250);
        let min = getsockopt_int(&socket, libc::IPPROTO_IP, libc::IP_MINTTL).expect("IP_MINTTL");
        assert_eq!(min, 250);
    }

    #[test]
    fn ttl_is_set_on_a_tokio_socket_before_connect() {
        let socket = TcpSocket::new_v4().expect("socket");
        set_ttl(&socket, 1).expect("ttl");
        assert_eq!(SockRef::from(&socket).ttl_v4().expect("IP_TTL"), 1);
    }

    #[test]
    fn bad_keys_and_families_are_errors() {
        let v4 = TcpSocket::new_v4().expect("socket");
        let long = [b'k'; MAX_KEY_LEN + 1];
        let peer: IpAddr = "127.0.0.1".parse().expect("ip");
        let error = set_md5(&v4, peer, None, &long).expect_err("too long");
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        set_md5(&v4, peer, None, &[b'k'; MAX_KEY_LEN]).expect("80 bytes fit");
        let error = set_md5(&v4, "::1".parse().expect("ip"), None, b"k").expect_err("v6 on v4");
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        // Removing a key that is not there: the kernel says so.
        assert!(set_md5(&v4, "127.0.0.9".parse().expect("ip"), None, b"").is_err());
        // A v6 socket takes v4 (mapped) and v6 peers, and prefixes.
        let v6 = TcpSocket::new_v6().expect("socket");
        set_md5(&v6, peer, None, b"k").expect("mapped");
        set_md5(&v6, "2001:db8::1".parse().expect("ip"), Some(64), b"k").expect("v6 prefix");
        set_md5(&v6, "10.0.0.0".parse().expect("ip"), Some(8), b"k").expect("mapped prefix");
        set_md5(&v6, "10.0.0.0".parse().expect("ip"), Some(8), b"").expect("removed");
    }

    #[tokio::test]
    async fn md5_matching_keys_connect_and_exchange_bytes() {
        let listener = listener("127.0.0.1");
        set_md5(&listener, "127.0.0.2".parse().expect("ip"), None, b"s3cret").expect("md5");
        exchange(&listener, "127.0.0.2", Some("s3cret"), None)
            .await
            .expect("signed connection");
    }

    #[tokio::test]
    async fn md5_wrong_or_missing_key_cannot_connect() {
        let listener = listener("127.0.0.1");
        set_md5(&listener, "127.0.0.2".parse().expect("ip"), None, b"s3cret").expect("md5");
        let wrong = exchange(&listener, "127.0.0.2", Some("other"), None).await;
        assert_eq!(
            wrong.expect_err("wrong key").kind(),
            io::ErrorKind::TimedOut
        );
        let none = exchange(&listener, "127.0.0.2", None, None).await;
        assert_eq!(none.expect_err("no key").kind(), io::ErrorKind::TimedOut);
        // A signed SYN to a listener without a key for the source is dropped too.
        let plain = listener_plain();
        let signed = exchange(&plain, "127.0.0.2", Some("s3cret"), None).await;
        assert_eq!(
            signed.expect_err("unexpected key").kind(),
            io::ErrorKind::TimedOut
        );
        // Another source, without a key on either side, still connects.
        exchange(&listener, "127.0.0.3", None, None)
            .await
            .expect("unsigned connection from a keyless address");
    }

    fn listener_plain() -> TcpListener {
        listener("127.0.0.1")
    }

    #[tokio::test]
    async fn md5_prefix_key_covers_the_prefix_and_can_be_removed() {
        let listener = listener("127.0.0.1");
        let prefix: IpAddr = "127.0.0.0".parse().expect("ip");
        set_md5(&listener, prefix, Some(8), b"group").expect("md5 prefix");
        exchange(&listener, "127.0.0.5", Some("group"), None)
            .await
            .expect("signed connection from inside the prefix");
        set_md5(&listener, prefix, Some(8), b"").expect("removed");
        exchange(&listener, "127.0.0.5", None, None)
            .await
            .expect("unsigned once removed");
    }

    #[tokio::test]
    async fn md5_on_a_dual_stack_listener_for_an_ipv4_peer() {
        let socket = TcpSocket::new_v6().expect("socket");
        // Dual stack: bound to ::, reached through 127.0.0.1.
        if socket.bind("[::]:0".parse().expect("addr")).is_err() {
            return; // no IPv6 on this host
        }
        let listener = socket.listen(16).expect("listen");
        set_md5(&listener, "127.0.0.2".parse().expect("ip"), None, b"dual").expect("md5");
        let port = listener.local_addr().expect("addr").port();
        let connect = |key: Option<&'static str>| async move {
            let client = TcpSocket::new_v4()?;
            client.bind("127.0.0.2:0".parse().map_err(invalid)?)?;
            if let Some(key) = key {
                set_md5(
                    &client,
                    "127.0.0.1".parse().map_err(invalid)?,
                    None,
                    key.as_bytes(),
                )?;
            }
            let target: SocketAddr = SocketAddr::new("127.0.0.1".parse().map_err(invalid)?, port);
            timeout(SHORT, client.connect(target))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no connection in time"))?
        };
        let stream: TcpStream = connect(Some("dual")).await.expect("signed");
        drop(stream);
        let unsigned = connect(None).await;
        assert_eq!(
            unsigned.expect_err("unsigned").kind(),
            io::ErrorKind::TimedOut
        );
    }

    #[tokio::test]
    async fn gtsm_min_ttl_drops_segments_below_it() {
        let listener = listener("127.0.0.1");
        set_min_ttl(&listener, 255).expect("min ttl");
        // Loopback does not decrement: the SYN arrives with the TTL sent.
        let low = exchange(&listener, "127.0.0.2", None, Some(64)).await;
        assert_eq!(low.expect_err("ttl 64").kind(), io::ErrorKind::TimedOut);
        exchange(&listener, "127.0.0.2", None, Some(255))
            .await
            .expect("ttl 255 passes");
    }

    #[tokio::test]
    async fn md5_and_gtsm_together() {
        let listener = listener("127.0.0.1");
        set_md5(&listener, "127.0.0.2".parse().expect("ip"), None, b"both").expect("md5");
        set_min_ttl(&listener, 254).expect("min ttl");
        exchange(&listener, "127.0.0.2", Some("both"), Some(255))
            .await
            .expect("signed, ttl 255");
    }
}
