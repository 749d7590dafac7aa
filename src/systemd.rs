//! systemd readiness notification (`sd_notify(3)`), for `--sdnotify`.
//!
//! Debian's gobgpd unit is `Type=notify`: systemd waits for `READY=1` on
//! the datagram socket named by `$NOTIFY_SOCKET` before it considers the
//! service started. The protocol is one datagram of `KEY=VALUE` lines; a
//! name starting with `@` is an abstract socket.

use std::ffi::OsStr;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// Sends `state` (e.g. `READY=1`) to systemd. Returns `Ok(false)` when not
/// run by systemd (no `$NOTIFY_SOCKET`).
pub fn notify(state: &str) -> io::Result<bool> {
    match std::env::var_os("NOTIFY_SOCKET") {
        Some(socket) => notify_to(&socket, state).map(|()| true),
        None => Ok(false),
    }
}

/// Sends `state` to the notification socket `socket` (a path, or `@name`
/// for an abstract socket).
pub fn notify_to(socket: &OsStr, state: &str) -> io::Result<()> {
    let address = match socket.as_bytes().strip_prefix(b"@") {
        Some(name) => SocketAddr::from_abstract_name(name)?,
        None => SocketAddr::from_pathname(socket)?,
    };
    UnixDatagram::unbound()?.send_to_addr(state.as_bytes(), &address)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn receive(socket: &UnixDatagram) -> String {
        socket
            .set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let mut buf = [0u8; 64];
        let len = socket.recv(&mut buf).expect("a datagram");
        String::from_utf8_lossy(&buf[..len]).into_owned()
    }

    #[test]
    fn ready_reaches_a_path_socket() {
        let path = std::env::temp_dir().join(format!("bgpd-notify-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let systemd = UnixDatagram::bind(&path).expect("bind");
        notify_to(path.as_os_str(), "READY=1").expect("sent");
        assert_eq!(receive(&systemd), "READY=1");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn ready_reaches_an_abstract_socket() {
        let name = format!("bgpd-notify-test-{}", std::process::id());
        let address = SocketAddr::from_abstract_name(name.as_bytes()).expect("name");
        let systemd = UnixDatagram::bind_addr(&address).expect("bind");
        notify_to(OsStr::new(&format!("@{name}")), "STOPPING=1").expect("sent");
        assert_eq!(receive(&systemd), "STOPPING=1");
    }
}
