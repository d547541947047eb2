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
    /// PLAIN or CURVE: a peer was refused, refused us, or sent bytes that fail CURVE's
    /// integrity checks. See [`AuthError`].
    Authentication(AuthError),
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
    /// CURVE needed random bytes (a transient key, a cookie key, a nonce) and the
    /// [`RandomSource`](crate::RandomSource) failed: the connection stops rather than go on
    /// with bytes that are not random.
    Random(crate::random::RandomError),
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
    /// A mechanism command of a size its grammar does not allow (CURVE's are fixed or have a
    /// minimum: HELLO 200 bytes, WELCOME 168, INITIATE at least 257, READY at least 30, MESSAGE
    /// at least 33, counted from the name-length byte).
    BadCommandSize {
        /// The command's name, e.g. `"HELLO"`.
        command: &'static str,
        /// The size of the command body received.
        size: usize,
    },
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
    /// A message with more frames than `max_message_size` allows: `max_message_size / 32`,
    /// at least 64 (see [`max_frames_per_message`](crate::max_frames_per_message)). Empty
    /// frames use none of the size budget but still cost memory.
    TooManyFrames {
        /// The most frames a message may carry.
        limit: u64,
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
    /// The CURVE client's HELLO announced a CurveZMQ version other than 1.0.
    CurveVersion {
        /// Major version byte.
        major: u8,
        /// Minor version byte.
        minor: u8,
    },
    /// The socket types cannot talk to each other (RFC 23's compatibility table).
    SocketType {
        /// Our socket type.
        ours: SocketType,
        /// The peer's socket type.
        theirs: SocketType,
    },
}

/// Why a PLAIN or CURVE handshake, or a CURVE connection, failed on security grounds.
///
/// Only [`Rejected`](AuthError::Rejected) and [`Denied`](AuthError::Denied) are about
/// credentials; the others mean the bytes could not have come from a peer holding the keys it
/// claims (wrong server key, tampering, replay).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// We refused the peer: our authentication hook said no, or no hook was configured for a
    /// PLAIN server, which then refuses everyone.
    Denied {
        /// What the refusal said (sent as the ERROR reason `"300"`, `"400"` or `"500"`).
        status: crate::mechanism::DenyStatus,
    },
    /// The peer refused us: it sent ERROR during a PLAIN or CURVE handshake (for a libzmq
    /// server, the ZAP status code, e.g. `"400"`). Do not retry with the same credentials.
    Rejected {
        /// The reason the peer gave.
        reason: Bytes,
    },
    /// A CURVE box did not open: a wrong key (a client with the wrong server key fails on
    /// HELLO or WELCOME), or bytes altered on the way.
    BadBox {
        /// The command whose box failed, e.g. `"HELLO"` or `"MESSAGE"`.
        command: &'static str,
    },
    /// The cookie in a CURVE INITIATE is not the one this server issued in its WELCOME.
    BadCookie,
    /// The cookie in a CURVE INITIATE is older than the cookie lifetime (60 s).
    CookieExpired,
    /// The vouch in a CURVE INITIATE does not open with the client's long-term key, or does not
    /// name the client's transient key and this server's key.
    BadVouch,
    /// A CURVE short nonce not greater than the last one received: a replayed or reordered
    /// command or MESSAGE.
    NonceNotIncreasing {
        /// The command that carried it.
        command: &'static str,
        /// The nonce received.
        nonce: u64,
        /// The last nonce accepted.
        last: u64,
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

impl From<AuthError> for ConnectionError {
    fn from(e: AuthError) -> Self {
        ConnectionError::Authentication(e)
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
            ConnectionError::Authentication(e) => write!(f, "authentication failed: {e}"),
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
            ConnectionError::Random(e) => write!(f, "{e}"),
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
            Malformed::BadCommandSize { command, size } => {
                write!(f, "{command} command of {size} bytes has the wrong size")
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
            ProtocolViolation::TooManyFrames { limit } => {
                write!(f, "message has more than the {limit} frames allowed")
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
            Incompatible::CurveVersion { major, minor } => {
                write!(f, "peer speaks CurveZMQ {major}.{minor}, we speak 1.0")
            }
            Incompatible::SocketType { ours, theirs } => {
                write!(f, "a {ours} socket cannot talk to a {theirs} socket")
            }
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Denied { status } => {
                write!(f, "peer refused by our authentication ({})", status.code())
            }
            AuthError::Rejected { reason } => write!(
                f,
                "peer refused our credentials: {}",
                String::from_utf8_lossy(reason)
            ),
            AuthError::BadBox { command } => {
                write!(
                    f,
                    "{command} box does not open (wrong key or altered bytes)"
                )
            }
            AuthError::BadCookie => f.write_str("INITIATE cookie is not ours"),
            AuthError::CookieExpired => f.write_str("INITIATE cookie has expired"),
            AuthError::BadVouch => f.write_str("INITIATE vouch is invalid"),
            AuthError::NonceNotIncreasing {
                command,
                nonce,
                last,
            } => write!(
                f,
                "{command} nonce {nonce} is not greater than the last one ({last})"
            ),
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

impl From<crate::random::RandomError> for ConnectionError {
    fn from(e: crate::random::RandomError) -> ConnectionError {
        ConnectionError::Random(e)
    }
}
impl std::error::Error for Malformed {}
impl std::error::Error for ProtocolViolation {}
impl std::error::Error for Incompatible {}
impl std::error::Error for AuthError {}
impl std::error::Error for Timeout {}
impl std::error::Error for SendError {}
