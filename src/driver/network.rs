//! Sending a package's request to its servers: Kerberos' transports (RFC
//! 4120 section 7.2: one UDP datagram each way, or TCP with a 4-byte
//! big-endian length before each message) and HTTPS (an MS-KKDCP KDC
//! proxy: one POST, on rustls), blocking, with bounded waits.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use crate::package::{Endpoint, Exchange, IoError, Reply, Transport};

/// Something that can carry an exchange: the system's sockets, or a test's
/// stand-in.
pub trait Network: Send + Sync {
    /// Sends `exchange.message` to its servers in order and returns the
    /// first reply, or why none came.
    fn exchange(&self, exchange: &Exchange) -> Reply;
}

/// The system's sockets, with bounded waits.
#[derive(Clone, Copy, Debug)]
pub struct SystemNetwork {
    /// How long to wait for a TCP connection, and for each read.
    pub timeout: Duration,
    /// The largest reply accepted over TCP.
    pub max_reply: usize,
}

impl Default for SystemNetwork {
    fn default() -> Self {
        SystemNetwork {
            timeout: Duration::from_secs(3),
            max_reply: 1 << 20,
        }
    }
}

/// The largest UDP reply (a datagram).
const MAX_DATAGRAM: usize = 65_535;

impl Network for SystemNetwork {
    fn exchange(&self, exchange: &Exchange) -> Reply {
        let mut worst = IoError::Unreachable;
        for server in &exchange.servers {
            match self.one(server, &exchange.message) {
                Ok(reply) => return Ok(reply),
                // A server that answered badly or late says more than one
                // that could not be reached.
                Err(e) if e != IoError::Unreachable => worst = e,
                Err(_) => {}
            }
        }
        Err(worst)
    }
}

impl SystemNetwork {
    /// One server, each of its addresses in turn.
    fn one(&self, server: &Endpoint, message: &[u8]) -> Reply {
        let addrs = (server.host.as_str(), server.port)
            .to_socket_addrs()
            .map_err(|_| IoError::Unreachable)?;
        let mut worst = IoError::Unreachable;
        for addr in addrs {
            let r = match server.transport {
                Transport::Udp => self.udp(addr, message),
                Transport::Tcp => self.tcp(addr, message),
                Transport::Https => self.https(addr, server, message),
            };
            match r {
                Ok(reply) => return Ok(reply),
                Err(e) if e != IoError::Unreachable => worst = e,
                Err(_) => {}
            }
        }
        Err(worst)
    }

    fn udp(&self, addr: SocketAddr, message: &[u8]) -> Reply {
        let local: SocketAddr = if addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let socket = UdpSocket::bind(local).map_err(|_| IoError::Unreachable)?;
        socket.connect(addr).map_err(|_| IoError::Unreachable)?;
        socket
            .set_read_timeout(Some(self.timeout))
            .map_err(|_| IoError::Unreachable)?;
        socket.send(message).map_err(|_| IoError::Unreachable)?;
        let mut buf = vec![0u8; MAX_DATAGRAM];
        match socket.recv(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                Ok(buf)
            }
            Err(e) if is_timeout(&e) => Err(IoError::TimedOut),
            Err(_) => Err(IoError::Unreachable),
        }
    }

    fn tcp(&self, addr: SocketAddr, message: &[u8]) -> Reply {
        let len = u32::try_from(message.len()).map_err(|_| IoError::BadReply)?;
        let mut stream =
            TcpStream::connect_timeout(&addr, self.timeout).map_err(|e| match is_timeout(&e) {
                true => IoError::TimedOut,
                false => IoError::Unreachable,
            })?;
        let io = |e: std::io::Error| match is_timeout(&e) {
            true => IoError::TimedOut,
            false => IoError::BadReply,
        };
        stream.set_read_timeout(Some(self.timeout)).map_err(io)?;
        stream.set_write_timeout(Some(self.timeout)).map_err(io)?;
        let mut framed = Vec::with_capacity(4 + message.len());
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(message);
        stream.write_all(&framed).map_err(io)?;
        let mut head = [0u8; 4];
        stream.read_exact(&mut head).map_err(io)?;
        let n = u32::from_be_bytes(head) as usize;
        if n > self.max_reply {
            return Err(IoError::BadReply);
        }
        let mut reply = vec![0u8; n];
        stream.read_exact(&mut reply).map_err(io)?;
        Ok(reply)
    }
}

impl SystemNetwork {
    /// A TCP connection to `addr` with this network's timeouts.
    fn connect(&self, addr: SocketAddr) -> Result<TcpStream, IoError> {
        let stream =
            TcpStream::connect_timeout(&addr, self.timeout).map_err(|e| match is_timeout(&e) {
                true => IoError::TimedOut,
                false => IoError::Unreachable,
            })?;
        stream
            .set_read_timeout(Some(self.timeout))
            .and_then(|()| stream.set_write_timeout(Some(self.timeout)))
            .map_err(|_| IoError::Unreachable)?;
        Ok(stream)
    }

    /// One HTTP/1.1 POST of `message` (Content-Type application/kerberos,
    /// MS-KKDCP) over TLS to `server`, whose certificate must be valid for
    /// its host name; the body of a 200 answer. A TLS failure (an untrusted
    /// or wrong certificate) counts as unreachable: no server answered.
    fn https(&self, addr: SocketAddr, server: &Endpoint, message: &[u8]) -> Reply {
        let config = https::client_config().ok_or(IoError::Unreachable)?;
        let name = rustls::pki_types::ServerName::try_from(server.host.clone())
            .map_err(|_| IoError::Unreachable)?;
        let conn = rustls::ClientConnection::new(config, name).map_err(|_| IoError::Unreachable)?;
        let mut tls = rustls::StreamOwned::new(conn, self.connect(addr)?);
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/kerberos\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nPragma: no-cache\r\nConnection: close\r\n\r\n",
            server.path,
            server.host,
            message.len()
        );
        let io = |e: std::io::Error| match e.kind() {
            _ if is_timeout(&e) => IoError::TimedOut,
            std::io::ErrorKind::InvalidData => IoError::Unreachable,
            _ => IoError::BadReply,
        };
        tls.write_all(head.as_bytes()).map_err(io)?;
        tls.write_all(message).map_err(io)?;
        tls.flush().map_err(io)?;
        let mut response = Vec::new();
        // The headers and body, up to the limit (the server closes).
        let limit = (self.max_reply + 16 * 1024) as u64;
        match (&mut tls).take(limit).read_to_end(&mut response) {
            Ok(_) => {}
            // A peer that closes without close_notify has still answered.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(e) => return Err(io(e)),
        }
        https::body(&response, self.max_reply).ok_or(IoError::BadReply)
    }
}

/// The TLS client and the HTTP response of the HTTPS transport.
mod https {
    use std::sync::{Arc, OnceLock};

    /// The client configuration: rustls with its ring provider, TLS 1.2
    /// and 1.3, the system's roots (rustls-native-certs: SSL_CERT_FILE and
    /// SSL_CERT_DIR when set, as OpenSSL's users expect, else the
    /// platform's store). Made once; `None` when no root can be loaded.
    pub fn client_config() -> Option<Arc<rustls::ClientConfig>> {
        static CONFIG: OnceLock<Option<Arc<rustls::ClientConfig>>> = OnceLock::new();
        CONFIG
            .get_or_init(|| {
                let roots = crate::env::Env::trust_roots(&crate::env::SystemEnv);
                if roots.is_empty() {
                    return None;
                }
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .ok()?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                Some(Arc::new(config))
            })
            .clone()
    }

    /// The body of an HTTP/1.x 200 response (Content-Length, or up to the
    /// end); `None` for another status, a malformed or chunked response,
    /// or a body over `max`.
    pub fn body(response: &[u8], max: usize) -> Option<Vec<u8>> {
        let end = response.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&response[..end]).ok()?;
        let body = &response[end + 4..];
        let mut lines = head.split("\r\n");
        let status = lines.next()?;
        let mut parts = status.split(' ');
        if !parts.next()?.starts_with("HTTP/1.") || parts.next()? != "200" {
            return None;
        }
        let mut length = None;
        for line in lines {
            let (name, value) = line.split_once(':')?;
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>().ok()?);
            } else if name.eq_ignore_ascii_case("transfer-encoding")
                && !value.eq_ignore_ascii_case("identity")
            {
                return None;
            }
        }
        let body = match length {
            Some(n) => body.get(..n)?,
            None => body,
        };
        (body.len() <= max).then(|| body.to_vec())
    }

    #[cfg(test)]
    mod tests {
        use super::body;

        #[test]
        fn responses() {
            let ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/kerberos\r\nContent-Length: 3\r\n\r\nabcdef";
            assert_eq!(body(ok, 100).as_deref(), Some(&b"abc"[..]));
            let close = b"HTTP/1.0 200 OK\r\n\r\nxyz";
            assert_eq!(body(close, 100).as_deref(), Some(&b"xyz"[..]));
            assert_eq!(body(close, 2), None);
            assert_eq!(body(b"HTTP/1.1 400 Bad Request\r\n\r\n", 100), None);
            assert_eq!(
                body(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                    100
                ),
                None
            );
            assert_eq!(
                body(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 100),
                None
            );
            assert_eq!(body(b"garbage", 100), None);
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    fn short() -> SystemNetwork {
        SystemNetwork {
            timeout: Duration::from_millis(300),
            max_reply: 64,
        }
    }

    fn endpoint(port: u16, transport: Transport) -> Endpoint {
        Endpoint {
            path: String::new(),
            host: "127.0.0.1".into(),
            port,
            transport,
        }
    }

    #[test]
    fn tcp_frames_each_message_with_its_length() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut head = [0u8; 4];
            s.read_exact(&mut head).unwrap();
            let mut body = vec![0u8; u32::from_be_bytes(head) as usize];
            s.read_exact(&mut body).unwrap();
            body.reverse();
            s.write_all(&(body.len() as u32).to_be_bytes()).unwrap();
            s.write_all(&body).unwrap();
        });
        let exchange = Exchange {
            servers: vec![endpoint(port, Transport::Tcp)],
            message: b"request".to_vec(),
        };
        assert_eq!(short().exchange(&exchange), Ok(b"tseuqer".to_vec()));
        server.join().unwrap();
    }

    #[test]
    fn udp_one_datagram_each_way_after_an_unreachable_server() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let mut buf = [0u8; 64];
            let (n, from) = socket.recv_from(&mut buf).unwrap();
            socket
                .send_to(&buf[..n].to_ascii_uppercase(), from)
                .unwrap();
        });
        // A TCP port nobody listens on comes first.
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let exchange = Exchange {
            servers: vec![
                endpoint(closed_port, Transport::Tcp),
                endpoint(port, Transport::Udp),
            ],
            message: b"ping".to_vec(),
        };
        assert_eq!(short().exchange(&exchange), Ok(b"PING".to_vec()));
        server.join().unwrap();
    }

    #[test]
    fn silence_times_out_and_oversized_replies_are_refused() {
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let exchange = Exchange {
            servers: vec![endpoint(
                silent.local_addr().unwrap().port(),
                Transport::Udp,
            )],
            message: b"anyone?".to_vec(),
        };
        assert_eq!(short().exchange(&exchange), Err(IoError::TimedOut));

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 16];
            let _ = s.read(&mut buf);
            s.write_all(&1_000_000u32.to_be_bytes()).unwrap();
        });
        let exchange = Exchange {
            servers: vec![endpoint(port, Transport::Tcp)],
            message: b"x".to_vec(),
        };
        assert_eq!(short().exchange(&exchange), Err(IoError::BadReply));
        server.join().unwrap();
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let nobody = Exchange {
            servers: vec![endpoint(
                closed.local_addr().unwrap().port(),
                Transport::Tcp,
            )],
            message: b"x".to_vec(),
        };
        drop(closed);
        assert_eq!(short().exchange(&nobody), Err(IoError::Unreachable));
    }
}
