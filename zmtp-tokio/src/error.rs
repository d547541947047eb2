//! Errors of socket operations.

use std::{fmt, io};

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The endpoint string does not parse.
    InvalidEndpoint {
        /// What was given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A scheme other than `tcp` or `ipc`.
    UnsupportedTransport(String),
    /// Binding failed (the address is in use, not local, not permitted, ...).
    Bind {
        /// The endpoint that could not be bound.
        endpoint: String,
        /// The operating system's error; `AddrInUse` when the address is taken.
        source: io::Error,
    },
    /// A host name did not resolve.
    Resolve {
        /// The endpoint being resolved.
        endpoint: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// `unbind`/`disconnect` of an endpoint this socket is not bound or connected to.
    UnknownEndpoint(String),
    /// A non-blocking operation could not proceed now (no peer can take the message, or no
    /// message is waiting).
    WouldBlock,
    /// The operation breaks the socket's send/receive pattern (libzmq's EFSM), e.g. a REQ
    /// sending twice without receiving the reply.
    InvalidState(&'static str),
    /// The socket type does not support the operation, e.g. receiving on PUB.
    NotSupported(&'static str),
    /// A ROUTER with [`Options::router_mandatory`](crate::Options::router_mandatory) was given
    /// a message for an identity that no connected peer has (libzmq's EHOSTUNREACH).
    HostUnreachable(bytes::Bytes),
    /// A ROUTER's [`connect_with_routing_id`](crate::Socket::connect_with_routing_id) was given
    /// an empty routing id (libzmq's EINVAL), or one that a peer of the socket already has
    /// (libzmq asserts).
    InvalidRoutingId {
        /// The routing id given.
        routing_id: bytes::Bytes,
        /// Why it cannot be used.
        reason: &'static str,
    },
    /// The socket was closed.
    Closed,
    /// The options are invalid.
    Config(zmtp_core::ConfigError),
    /// The operating system's random generator failed (making a CURVE key pair).
    Random(io::Error),
    /// The runtime is missing: sockets must be used inside a tokio runtime.
    NoRuntime,
}

impl Error {
    /// Whether this is a bind failure because the address is already in use.
    pub fn is_addr_in_use(&self) -> bool {
        matches!(self, Error::Bind { source, .. } if source.kind() == io::ErrorKind::AddrInUse)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidEndpoint { endpoint, reason } => {
                write!(f, "invalid endpoint {endpoint:?}: {reason}")
            }
            Error::UnsupportedTransport(t) => {
                write!(f, "unsupported transport {t:?} (supported: tcp, ipc)")
            }
            Error::Bind { endpoint, source } => write!(f, "cannot bind {endpoint}: {source}"),
            Error::Resolve { endpoint, source } => {
                write!(f, "cannot resolve {endpoint}: {source}")
            }
            Error::UnknownEndpoint(e) => write!(f, "not bound or connected to {e}"),
            Error::WouldBlock => f.write_str("operation would block"),
            Error::InvalidState(why) => write!(f, "invalid socket state: {why}"),
            Error::NotSupported(what) => write!(f, "not supported by this socket type: {what}"),
            Error::HostUnreachable(id) => write!(f, "no connected peer has the identity {id:?}"),
            Error::InvalidRoutingId { routing_id, reason } => {
                write!(f, "routing id {routing_id:?} cannot be used: {reason}")
            }
            Error::Closed => f.write_str("socket closed"),
            Error::Config(e) => write!(f, "invalid options: {e}"),
            Error::Random(e) => write!(f, "the operating system's random generator failed: {e}"),
            Error::NoRuntime => {
                f.write_str("zmtp-tokio sockets must be used within a tokio runtime")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Bind { source, .. } | Error::Resolve { source, .. } | Error::Random(source) => {
                Some(source)
            }
            Error::Config(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        let kind = match &e {
            Error::WouldBlock => io::ErrorKind::WouldBlock,
            Error::Closed => io::ErrorKind::NotConnected,
            Error::Bind { source, .. } => source.kind(),
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, e)
    }
}

/// Result of socket operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
