//! Endpoints: `tcp://host:port`, `ipc:///path` and `inproc://name`, parsed and displayed the
//! way libzmq does; with the `test-util` feature also `mem://name`, ZMTP over in-memory pipes
//! for deterministic tests.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::Error;

/// Where to bind or connect.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// TCP. `host` is an IP address or a name to resolve; `*` binds every IPv4 interface.
    Tcp {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// Port; 0 (or `*`) binds a free port.
        port: u16,
    },
    /// A Unix domain socket at a filesystem path.
    Ipc(PathBuf),
    /// `inproc://name`: sockets of one process linked pipe to pipe, without ZMTP encoding.
    /// Names are scoped by the sockets' [`Context`](crate::Context).
    Inproc(String),
    /// `mem://name` (feature `test-util`): ZMTP over in-memory pipes within the process, with
    /// the whole engine (handshake, heartbeats, reconnect) as over tcp; for tests on tokio's
    /// paused clock. Names are process-wide.
    #[cfg(feature = "test-util")]
    Memory(String),
}

impl Endpoint {
    /// The address to bind, for TCP (`*` means every IPv4 interface, as in libzmq).
    pub(crate) fn tcp_bind_host(host: &str) -> &str {
        if host == "*" {
            "0.0.0.0"
        } else {
            host
        }
    }

    /// A TCP endpoint for a concrete socket address, as reported after binding.
    pub fn from_socket_addr(addr: SocketAddr) -> Endpoint {
        Endpoint::Tcp {
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }

    /// Checks that a socket can connect here: not to a wildcard address (`tcp://*:5555`,
    /// `tcp://0.0.0.0:5555`), which names no peer (libzmq refuses it too).
    pub(crate) fn check_connectable(&self) -> Result<(), Error> {
        match self {
            Endpoint::Tcp { host, .. } if matches!(host.as_str(), "*" | "0.0.0.0" | "::") => {
                Err(Error::InvalidEndpoint {
                    endpoint: self.to_string(),
                    reason: "cannot connect to a wildcard address; name the host".to_owned(),
                })
            }
            Endpoint::Tcp { port: 0, .. } => Err(Error::InvalidEndpoint {
                endpoint: self.to_string(),
                reason: "cannot connect to port 0".to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// The loopback address to reach a socket bound on every interface (for convenience in tests
    /// and examples): `tcp://0.0.0.0:5555` becomes `tcp://127.0.0.1:5555`.
    pub fn to_connectable(&self) -> Endpoint {
        match self {
            Endpoint::Tcp { host, port } if host == "0.0.0.0" || host == "*" => Endpoint::Tcp {
                host: Ipv4Addr::LOCALHOST.to_string(),
                port: *port,
            },
            Endpoint::Tcp { host, port } if host == "::" => Endpoint::Tcp {
                host: "::1".into(),
                port: *port,
            },
            other => other.clone(),
        }
    }
}

impl FromStr for Endpoint {
    type Err = Error;

    fn from_str(s: &str) -> Result<Endpoint, Error> {
        let bad = |why: &str| Error::InvalidEndpoint {
            endpoint: s.to_owned(),
            reason: why.to_owned(),
        };
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| bad("expected scheme://address"))?;
        match scheme {
            "tcp" => {
                let (host, port) = rest
                    .rsplit_once(':')
                    .ok_or_else(|| bad("expected host:port"))?;
                let port = match port {
                    "*" => 0,
                    p => p.parse().map_err(|_| bad("port must be 0-65535 or *"))?,
                };
                let host = host.strip_prefix('[').map_or(Ok(host), |h| {
                    h.strip_suffix(']')
                        .ok_or_else(|| bad("unclosed [ in IPv6 address"))
                })?;
                if host.is_empty() {
                    return Err(bad("empty host"));
                }
                if host.contains(':') && host.parse::<IpAddr>().is_err() {
                    return Err(bad("invalid IPv6 address"));
                }
                Ok(Endpoint::Tcp {
                    host: host.to_owned(),
                    port,
                })
            }
            "ipc" => {
                if rest.is_empty() {
                    return Err(bad("empty path"));
                }
                Ok(Endpoint::Ipc(PathBuf::from(rest)))
            }
            "inproc" => {
                if rest.is_empty() {
                    return Err(bad("empty name"));
                }
                Ok(Endpoint::Inproc(rest.to_owned()))
            }
            #[cfg(feature = "test-util")]
            "mem" => {
                if rest.is_empty() {
                    return Err(bad("empty name"));
                }
                Ok(Endpoint::Memory(rest.to_owned()))
            }
            other => Err(Error::UnsupportedTransport(other.to_owned())),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            Endpoint::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Endpoint::Ipc(path) => write!(f, "ipc://{}", path.display()),
            Endpoint::Inproc(name) => write!(f, "inproc://{name}"),
            #[cfg(feature = "test-util")]
            Endpoint::Memory(name) => write!(f, "mem://{name}"),
        }
    }
}

/// Anything that names an endpoint: a string or an [`Endpoint`].
pub trait IntoEndpoint {
    /// Parses or converts.
    fn into_endpoint(self) -> Result<Endpoint, Error>;
}

impl IntoEndpoint for Endpoint {
    fn into_endpoint(self) -> Result<Endpoint, Error> {
        Ok(self)
    }
}

impl IntoEndpoint for &Endpoint {
    fn into_endpoint(self) -> Result<Endpoint, Error> {
        Ok(self.clone())
    }
}

impl IntoEndpoint for &str {
    fn into_endpoint(self) -> Result<Endpoint, Error> {
        self.parse()
    }
}

impl IntoEndpoint for &String {
    fn into_endpoint(self) -> Result<Endpoint, Error> {
        self.parse()
    }
}

impl IntoEndpoint for String {
    fn into_endpoint(self) -> Result<Endpoint, Error> {
        self.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_endpoints_parse_and_print_back() {
        for s in [
            "tcp://127.0.0.1:5555",
            "tcp://localhost:0",
            "tcp://[::1]:7000",
            "tcp://*:9",
        ] {
            let e: Endpoint = s.parse().unwrap();
            assert_eq!(e.to_string(), s);
        }
        assert_eq!(
            "tcp://*:*".parse::<Endpoint>().unwrap(),
            Endpoint::Tcp {
                host: "*".into(),
                port: 0
            }
        );
    }

    #[test]
    fn ipc_endpoints_keep_their_path() {
        let e: Endpoint = "ipc:///tmp/zmtp.sock".parse().unwrap();
        assert_eq!(e, Endpoint::Ipc("/tmp/zmtp.sock".into()));
        assert_eq!(e.to_string(), "ipc:///tmp/zmtp.sock");
    }

    #[test]
    fn inproc_endpoints_keep_their_name() {
        let e: Endpoint = "inproc://workers/a".parse().unwrap();
        assert_eq!(e, Endpoint::Inproc("workers/a".into()));
        assert_eq!(e.to_string(), "inproc://workers/a");
    }

    #[test]
    fn malformed_endpoints_and_unknown_schemes_are_clear_errors() {
        for s in [
            "127.0.0.1:5555",
            "tcp://127.0.0.1",
            "tcp://:5",
            "tcp://h:70000",
            "tcp://[::1:5",
            "ipc://",
            "tcp://1:2:3:5",
        ] {
            assert!(
                matches!(s.parse::<Endpoint>(), Err(Error::InvalidEndpoint { .. })),
                "{s}"
            );
        }
        assert!(matches!(
            "udp://x:1".parse::<Endpoint>(),
            Err(Error::UnsupportedTransport(t)) if t == "udp"
        ));
        assert!(matches!(
            "inproc://".parse::<Endpoint>(),
            Err(Error::InvalidEndpoint { .. })
        ));
    }

    #[test]
    fn wildcard_addresses_and_port_0_cannot_be_connected_to() {
        for s in [
            "tcp://*:5555",
            "tcp://0.0.0.0:5555",
            "tcp://[::]:5555",
            "tcp://h:0",
        ] {
            let e: Endpoint = s.parse().unwrap();
            assert!(
                matches!(e.check_connectable(), Err(Error::InvalidEndpoint { .. })),
                "{s}"
            );
        }
        let e: Endpoint = "tcp://127.0.0.1:5555".parse().unwrap();
        assert!(e.check_connectable().is_ok());
    }
}
