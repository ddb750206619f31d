//! Binding `SYNC_LISTEN_ADDR` with Go semantics (§1.2): `:PORT` listens on every interface,
//! IPv6 and IPv4 (one IPv6 socket with `IPV6_V6ONLY` off, IPv4 if the host has no IPv6);
//! `HOST:PORT` binds that host's first address. `SO_REUSEADDR` is set so a restart right
//! after a SIGKILLed predecessor rebinds at once.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, ToSocketAddrs};

use socket2::{Domain, Socket, Type};

const BACKLOG: i32 = 1024;

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("listen address {0:?}: want HOST:PORT or :PORT")]
    BadAddress(String),
    #[error("resolve {addr}: {source}")]
    Resolve { addr: String, source: io::Error },
    #[error("listen on {addr}: {source}")]
    Bind { addr: String, source: io::Error },
}

/// Binds `addr` and returns a non-blocking listener (ready for tokio).
pub fn bind(addr: &str) -> Result<TcpListener, ListenError> {
    let (host, port) = split_host_port(addr)?;
    let bind_err = |source| ListenError::Bind {
        addr: addr.to_string(),
        source,
    };
    if host.is_empty() {
        return bind_any(port).map_err(bind_err);
    }
    let target = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|source| ListenError::Resolve {
            addr: addr.to_string(),
            source,
        })?
        .next()
        .ok_or_else(|| ListenError::BadAddress(addr.to_string()))?;
    bind_one(target, false).map_err(bind_err)
}

/// `host:port`, `[v6]:port` or `:port`.
fn split_host_port(addr: &str) -> Result<(String, u16), ListenError> {
    let bad = || ListenError::BadAddress(addr.to_string());
    let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
    let port = port.parse::<u16>().map_err(|_| bad())?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok((host.to_string(), port))
}

/// Dual-stack wildcard; falls back to IPv4 only when IPv6 itself is unavailable (not when
/// the port is taken).
fn bind_any(port: u16) -> io::Result<TcpListener> {
    let v6 = SocketAddr::from((Ipv6Addr::UNSPECIFIED, port));
    match bind_one(v6, true) {
        Ok(l) => Ok(l),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied
            ) =>
        {
            Err(e)
        }
        Err(e) => {
            tracing::warn!(error = %e, "IPv6 unavailable, listening on IPv4 only");
            bind_one(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)), false)
        }
    }
}

fn bind_one(addr: SocketAddr, dual_stack: bool) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if dual_stack {
        socket.set_only_v6(false)?;
    }
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;

    #[test]
    fn parses_addresses() {
        assert_eq!(split_host_port(":8080").unwrap(), (String::new(), 8080));
        assert_eq!(split_host_port("[::1]:80").unwrap(), ("::1".into(), 80));
        assert_eq!(
            split_host_port("localhost:1").unwrap(),
            ("localhost".into(), 1)
        );
        assert!(split_host_port("8080").is_err());
        assert!(split_host_port(":http").is_err());
    }

    #[test]
    fn wildcard_accepts_ipv4_and_ipv6_loopback() {
        let l = bind(":0").unwrap();
        let port = l.local_addr().unwrap().port();
        TcpStream::connect(("127.0.0.1", port)).expect("ipv4 loopback");
        if l.local_addr().unwrap().is_ipv6() {
            TcpStream::connect(("::1", port)).expect("ipv6 loopback");
        }
    }

    #[test]
    fn rebinding_a_released_port_works_at_once() {
        let l = bind(":0").unwrap();
        let port = l.local_addr().unwrap().port();
        // Leave a connection behind so the port has TIME_WAIT state after close.
        let c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (server_side, _) = loop {
            match l.accept() {
                Ok(pair) => break pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(e) => panic!("accept: {e}"),
            }
        };
        drop(server_side);
        drop(c);
        drop(l);
        bind(&format!(":{port}")).expect("rebind");
    }
}
