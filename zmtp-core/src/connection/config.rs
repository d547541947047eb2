//! What one side of a connection announces and enforces.

use std::time::Duration;

use bytes::Bytes;

use crate::connection::timers::Heartbeat;
use crate::mechanism::MechanismConfig;
use crate::metadata::{self, Metadata};
use crate::socket_type::SocketType;

/// Default handshake timeout: 30 s, as libzmq's ZMQ_HANDSHAKE_IVL.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Default largest accepted message: 16 MiB over all its frames.
///
/// libzmq's default is unlimited, which lets one peer make us allocate whatever its frame
/// headers claim (as the bytes arrive). Raise it with [`Config::max_message_size`] when larger
/// messages are expected.
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 16 * 1024 * 1024;

/// Frames a message may always carry, however small `max_message_size` is.
pub const MIN_FRAMES_PER_MESSAGE: u64 = 64;

/// The most frames a message may carry under a `max_message_size` of `max`: `max / 32` (the
/// memory a frame's handle costs), at least [`MIN_FRAMES_PER_MESSAGE`]; unlimited when the
/// size is. Empty frames use none of the size budget, so without this a peer sending empty
/// frames with MORE would grow the message being assembled without bound.
pub fn max_frames_per_message(max: Option<u64>) -> u64 {
    const FRAME_COST: u64 = std::mem::size_of::<Bytes>() as u64;
    match max {
        None => u64::MAX,
        Some(max) => (max / FRAME_COST).max(MIN_FRAMES_PER_MESSAGE),
    }
}

/// Largest accepted command frame. The largest legal commands are READY/INITIATE with metadata;
/// 64 KiB leaves ample room for application properties.
pub const MAX_COMMAND_SIZE: u64 = 64 * 1024;

/// Configuration of one connection.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Our socket type, announced as `Socket-Type`.
    pub socket_type: SocketType,
    /// Our identity (routing id), announced as `Identity` by REQ, DEALER and ROUTER.
    /// At most 255 bytes; must not start with a zero byte (reserved for generated ids).
    pub identity: Bytes,
    /// Extra properties for READY, e.g. `X-Service`. `Socket-Type` and `Identity` are reserved.
    pub properties: Metadata,
    /// The security mechanism; both peers must use the same one.
    pub mechanism: MechanismConfig,
    /// Largest message accepted, over all its frames; `None`: unlimited (libzmq's default).
    /// It also limits the number of frames: see [`max_frames_per_message`].
    pub max_message_size: Option<u64>,
    /// Time allowed for greeting and handshake; `None`: unlimited.
    pub handshake_timeout: Option<Duration>,
    /// Heartbeat settings; off by default.
    pub heartbeat: Heartbeat,
    /// PLAIN and CURVE servers: ask the driver about every client with
    /// [`Event::AuthRequest`](crate::Event::AuthRequest), answered by
    /// [`Connection::authenticate`](crate::Connection::authenticate) (see
    /// [`mechanism`](crate::mechanism) for the flow). When false, as libzmq without a ZAP
    /// handler: PLAIN refuses everyone, CURVE accepts anyone who knows the server's key.
    pub auth_requests: bool,
    /// The peer's address as the driver wants the authentication hook to see it (e.g.
    /// `"192.0.2.7"`); opaque to the core.
    pub peer_address: String,
}

impl Config {
    /// Defaults for a socket type: no identity, NULL mechanism, 16 MiB message limit,
    /// 30 s handshake timeout, no heartbeats, no authentication requests.
    pub fn new(socket_type: SocketType) -> Config {
        Config {
            socket_type,
            identity: Bytes::new(),
            properties: Metadata::new(),
            mechanism: MechanismConfig::Null,
            max_message_size: Some(DEFAULT_MAX_MESSAGE_SIZE),
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            heartbeat: Heartbeat::default(),
            auth_requests: false,
            peer_address: String::new(),
        }
    }

    /// Checks the rules a peer would reject us for.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.identity.len() > 255 {
            return Err(ConfigError::IdentityTooLong(self.identity.len()));
        }
        if self.identity.first() == Some(&0) {
            return Err(ConfigError::IdentityStartsWithZero);
        }
        for (name, _) in self.properties.iter() {
            if name.eq_ignore_ascii_case(metadata::SOCKET_TYPE)
                || name.eq_ignore_ascii_case(metadata::IDENTITY)
            {
                return Err(ConfigError::ReservedProperty(name.to_owned()));
            }
        }
        if let MechanismConfig::PlainClient(credentials) = &self.mechanism {
            for (field, len) in [
                ("username", credentials.username.len()),
                ("password", credentials.password.len()),
            ] {
                if len > 255 {
                    return Err(ConfigError::CredentialTooLong { field, len });
                }
            }
        }
        Ok(())
    }

    /// The metadata we announce in READY.
    pub(crate) fn local_metadata(&self) -> Metadata {
        let mut m = Metadata::new();
        let mut insert = |name: &str, value: Bytes| {
            m.insert(name, value)
                .expect("property names were validated on insertion")
        };
        insert(
            metadata::SOCKET_TYPE,
            Bytes::from_static(self.socket_type.as_str().as_bytes()),
        );
        if self.socket_type.sends_identity() {
            insert(metadata::IDENTITY, self.identity.clone());
        }
        for (name, value) in self.properties.iter() {
            insert(name, value.clone());
        }
        m
    }
}

/// A configuration a connection cannot be built from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// Identities are at most 255 bytes.
    IdentityTooLong(usize),
    /// Identities starting with a zero byte are reserved for ROUTER-generated ones.
    IdentityStartsWithZero,
    /// `Socket-Type` and `Identity` are set from the configuration, not as properties.
    ReservedProperty(String),
    /// A PLAIN user name or password longer than the 255 bytes its length byte can say.
    CredentialTooLong {
        /// `"username"` or `"password"`.
        field: &'static str,
        /// Its length.
        len: usize,
    },
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::IdentityTooLong(len) => write!(f, "identity of {len} bytes exceeds 255"),
            ConfigError::IdentityStartsWithZero => {
                f.write_str("identity must not start with a zero byte")
            }
            ConfigError::ReservedProperty(name) => {
                write!(f, "property {name} is set by the connection itself")
            }
            ConfigError::CredentialTooLong { field, len } => {
                write!(f, "PLAIN {field} of {len} bytes exceeds 255")
            }
        }
    }
}

impl std::error::Error for ConfigError {}
