//! Why a connection ended, in families that say whose fault it was.
//!
//! Every fatal error ends the connection with exactly one [`Event::Closed`](crate::Event::Closed)
//! carrying a [`ConnectionError`]; the connection then stays closed. The types are `PartialEq` so
//! tests can assert the precise reason.

use std::fmt;

use bytes::Bytes;

use crate::socket_type::SocketType;

/// Why a connection was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The peer sent bytes that are not ZMTP.
    Malformed(Malformed),
    /// The peer sent well-formed ZMTP that breaks the protocol's rules at that point.
    Protocol(ProtocolViolation),
    /// The peer speaks ZMTP, but not in a way we can talk to.
    Incompatible(Incompatible),
    /// The peer sent an ERROR command. Per RFC 37 the same credentials must not be retried.
    PeerError {
        /// The reason the peer gave (at most 255 bytes, usually ASCII).
        reason: Bytes,
    },
    /// A timer driven by the caller's clock expired.
    Timeout(Timeout),
    /// The transport reported end of stream.
    PeerDisconnected {
        /// Whether frames of an unfinished multipart message were discarded.
        mid_message: bool,
    },
    /// The local application closed the connection.
    ClosedLocally,
}

/// Bytes that cannot be ZMTP.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// The first ten bytes are not a ZMTP 2.0+ signature (0xFF ... 0x?1).
    BadSignature,
    /// A frame header sets one of the reserved flag bits 3-7 (RFC 23 says they MUST be zero).
    ReservedFlags(u8),
    /// A command frame whose name length runs past the end of the frame, or an empty one.
    BadCommandFrame,
    /// A known command whose body does not match its grammar.
    BadCommandBody {
        /// The command's name, e.g. `"PING"`.
        command: &'static str,
    },
    /// A metadata property list that does not parse.
    BadMetadata,
    /// A metadata property name that appears twice (names compare case-insensitively).
    DuplicateProperty(String),
    /// A `Socket-Type` value that names no ZeroMQ socket type.
    UnknownSocketType(Bytes),
}

/// Well-formed input that the protocol does not allow at that point.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolViolation {
    /// A frame announced a size that would take the message past `max_message_size`
    /// (or a command past the command limit). Checked on the header, before the body arrives.
    TooLarge {
        /// The size the frame header announced.
        announced: u64,
        /// What was still allowed for this message or command.
        limit: u64,
        /// Whether the frame was a command frame.
        command: bool,
    },
    /// A command that is not valid in the current phase (e.g. PING before READY).
    UnexpectedCommand(String),
    /// A data frame before the handshake completed.
    MessageBeforeHandshake,
    /// The peer's READY carried no `Socket-Type` property.
    MissingSocketType,
    /// The peer's `Identity` is longer than 255 bytes.
    IdentityTooLong(usize),
}

/// A peer that speaks a ZMTP we will not talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incompatible {
    /// The peer announced a major version below 3 (ZMTP 1.0 or 2.0).
    Version {
        /// The peer's major version byte.
        major: u8,
    },
    /// The peer's mechanism differs from ours (compared as 20 raw bytes).
    Mechanism {
        /// Our mechanism name.
        ours: String,
        /// The peer's mechanism name, trailing NULs removed.
        theirs: String,
    },
    /// The socket types cannot talk to each other (RFC 23's compatibility table).
    SocketType {
        /// Our socket type.
        ours: SocketType,
        /// The peer's socket type.
        theirs: SocketType,
    },
}

/// Which timer expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timeout {
    /// The greeting and handshake did not complete in time.
    Handshake,
    /// Nothing arrived within the heartbeat timeout after we sent a PING.
    Heartbeat,
    /// Nothing arrived within the TTL the peer announced in its PING.
    PeerTtl,
}

/// Why [`Connection::send`](crate::Connection::send) refused a message. Never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The handshake has not completed yet; keep the message queued and retry after `Ready`.
    NotReady,
    /// The connection is closed.
    Closed,
    /// A message must have at least one frame.
    EmptyMessage,
}

impl From<Malformed> for ConnectionError {
    fn from(e: Malformed) -> Self {
        ConnectionError::Malformed(e)
    }
}

impl From<ProtocolViolation> for ConnectionError {
    fn from(e: ProtocolViolation) -> Self {
        ConnectionError::Protocol(e)
    }
}

impl From<Incompatible> for ConnectionError {
    fn from(e: Incompatible) -> Self {
        ConnectionError::Incompatible(e)
    }
}

impl fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionError::Malformed(e) => write!(f, "malformed input: {e}"),
            ConnectionError::Protocol(e) => write!(f, "protocol violation: {e}"),
            ConnectionError::Incompatible(e) => write!(f, "incompatible peer: {e}"),
            ConnectionError::PeerError { reason } => {
                write!(f, "peer sent ERROR: {}", String::from_utf8_lossy(reason))
            }
            ConnectionError::Timeout(t) => write!(f, "{t}"),
            ConnectionError::PeerDisconnected { mid_message: true } => {
                f.write_str("peer disconnected in the middle of a message")
            }
            ConnectionError::PeerDisconnected { mid_message: false } => {
                f.write_str("peer disconnected")
            }
            ConnectionError::ClosedLocally => f.write_str("closed locally"),
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::BadSignature => f.write_str("greeting signature is not ZMTP 2.0 or later"),
            Malformed::ReservedFlags(flags) => {
                write!(f, "frame flags {flags:#04x} set reserved bits")
            }
            Malformed::BadCommandFrame => f.write_str("command frame name does not fit"),
            Malformed::BadCommandBody { command } => write!(f, "{command} command body is invalid"),
            Malformed::BadMetadata => f.write_str("metadata property list is invalid"),
            Malformed::DuplicateProperty(name) => write!(f, "metadata property {name} repeated"),
            Malformed::UnknownSocketType(name) => {
                write!(f, "unknown socket type {:?}", String::from_utf8_lossy(name))
            }
        }
    }
}

impl fmt::Display for ProtocolViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolViolation::TooLarge {
                announced,
                limit,
                command,
            } => {
                let what = if *command { "command" } else { "message" };
                write!(
                    f,
                    "frame of {announced} bytes exceeds the {what} limit ({limit} bytes left)"
                )
            }
            ProtocolViolation::UnexpectedCommand(name) => write!(f, "unexpected {name} command"),
            ProtocolViolation::MessageBeforeHandshake => {
                f.write_str("message frame before the handshake completed")
            }
            ProtocolViolation::MissingSocketType => f.write_str("READY without Socket-Type"),
            ProtocolViolation::IdentityTooLong(len) => {
                write!(f, "identity of {len} bytes exceeds 255")
            }
        }
    }
}

impl fmt::Display for Incompatible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Incompatible::Version { major } => {
                write!(
                    f,
                    "peer speaks ZMTP major version {major}, we need 3 or later"
                )
            }
            Incompatible::Mechanism { ours, theirs } => {
                write!(f, "peer uses mechanism {theirs:?}, we use {ours:?}")
            }
            Incompatible::SocketType { ours, theirs } => {
                write!(f, "a {ours} socket cannot talk to a {theirs} socket")
            }
        }
    }
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timeout::Handshake => "handshake timed out",
            Timeout::Heartbeat => "no traffic within the heartbeat timeout after a PING",
            Timeout::PeerTtl => "no traffic within the TTL the peer announced",
        })
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::NotReady => "connection handshake not complete",
            SendError::Closed => "connection closed",
            SendError::EmptyMessage => "message has no frames",
        })
    }
}

impl std::error::Error for ConnectionError {}
impl std::error::Error for Malformed {}
impl std::error::Error for ProtocolViolation {}
impl std::error::Error for Incompatible {}
impl std::error::Error for Timeout {}
impl std::error::Error for SendError {}
