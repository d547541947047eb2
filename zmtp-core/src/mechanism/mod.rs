//! Security mechanisms: the handshake that runs after the greeting and ends with both sides
//! knowing each other's metadata.
//!
//! Each mechanism is a small state machine fed the commands the peer sends during the
//! handshake. It writes its own commands to the outbox and finishes with the peer's metadata
//! (plus, for a server, what its authentication hook attached, and for CURVE the cipher that
//! seals every frame afterwards). The connection then validates the metadata the same way for
//! every mechanism (socket type, identity).
//!
//! - NULL (RFC 23): READY both ways.
//! - PLAIN (RFC 24): HELLO / WELCOME / INITIATE / READY, credentials in clear text.
//! - CURVE (RFC 25/26, feature `curve`): the CurveZMQ handshake, then every frame as MESSAGE.
//!
//! Roles come from configuration only: the as-server byte of the peer's greeting is ignored, as
//! libzmq does. No mechanism other than NULL is ever downgraded: ZMTP below 3.0 is refused for
//! all of them in the greeting.

mod auth;
#[cfg(feature = "curve")]
mod curve;
mod null;
mod plain;

use std::time::Instant;

use bytes::Bytes;

use crate::command::{Command, RawCommand};
use crate::connection::config::Config;
use crate::connection::outbox::Outbox;
use crate::error::{ConnectionError, Malformed, ProtocolViolation};
use crate::greeting::MechanismName;
use crate::keys::PublicKey;
use crate::metadata::Metadata;

pub use auth::{AuthDecision, AuthRequest, Credentials, DenyStatus, Password};
#[cfg(feature = "curve")]
pub use curve::{CurveClientConfig, CurveServerConfig};
#[cfg(feature = "curve")]
pub(crate) use curve::{MessageCipher, MESSAGE_OVERHEAD};
pub use plain::PlainCredentials;

/// Which mechanism a connection uses, and in which role; both peers must use the same mechanism,
/// one as client and one as server (for PLAIN and CURVE).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum MechanismConfig {
    /// No authentication, no encryption (RFC 23).
    #[default]
    Null,
    /// PLAIN client (RFC 24): presents a user name and password, in clear text.
    PlainClient(PlainCredentials),
    /// PLAIN server (RFC 24): checks credentials with the authentication hook
    /// ([`Config::auth_requests`]); without one it refuses every client.
    PlainServer,
    /// CURVE client (RFC 25/26): knows the server's public key, proves its own key pair.
    #[cfg(feature = "curve")]
    CurveClient(CurveClientConfig),
    /// CURVE server (RFC 25/26): proves its key pair; without an authentication hook it accepts
    /// every client that knows its public key.
    #[cfg(feature = "curve")]
    CurveServer(CurveServerConfig),
}

impl MechanismConfig {
    /// The name announced in the greeting.
    pub fn name(&self) -> MechanismName {
        match self {
            MechanismConfig::Null => MechanismName::NULL,
            MechanismConfig::PlainClient(_) | MechanismConfig::PlainServer => MechanismName::PLAIN,
            #[cfg(feature = "curve")]
            MechanismConfig::CurveClient(_) | MechanismConfig::CurveServer(_) => {
                MechanismName::CURVE
            }
        }
    }

    /// The as-server byte we announce: 1 for PLAIN and CURVE servers, as the RFCs say. libzmq
    /// sends 0 whatever its role and ignores what it receives, and so do we on receipt.
    pub(crate) fn as_server(&self) -> bool {
        match self {
            MechanismConfig::PlainServer => true,
            #[cfg(feature = "curve")]
            MechanismConfig::CurveServer(_) => true,
            _ => false,
        }
    }
}

/// What a handshake step produced.
#[derive(Debug)]
pub(crate) enum HandshakeStep {
    /// More commands are needed.
    Continue,
    /// A server needs the application's decision about this client before going on.
    Authenticate(AuthRequest),
    /// The handshake is complete.
    Done(Established),
}

/// What a completed handshake hands to the connection.
#[derive(Debug)]
pub(crate) struct Established {
    /// The peer's metadata (READY, or INITIATE on a PLAIN/CURVE server).
    pub(crate) metadata: Metadata,
    /// What the authentication hook attached (servers only).
    pub(crate) user_id: Bytes,
    /// Properties the authentication hook attached (servers only).
    pub(crate) auth_properties: Metadata,
    /// CURVE: the peer's long-term public key.
    pub(crate) peer_key: Option<PublicKey>,
    /// CURVE: seals and opens every frame from now on.
    pub(crate) cipher: Option<Box<MessageCipher>>,
}

impl Established {
    pub(crate) fn new(metadata: Metadata) -> Established {
        Established {
            metadata,
            user_id: Bytes::new(),
            auth_properties: Metadata::new(),
            peer_key: None,
            cipher: None,
        }
    }

    /// Takes what an `Allow` decision attaches.
    pub(crate) fn with_decision(mut self, user_id: Bytes, properties: Metadata) -> Established {
        self.user_id = user_id;
        self.auth_properties = properties;
        self
    }
}

/// A running handshake.
#[derive(Debug)]
pub(crate) enum Handshake {
    Null(null::NullHandshake),
    PlainClient(plain::PlainClient),
    PlainServer(plain::PlainServer),
    #[cfg(feature = "curve")]
    CurveClient(Box<curve::CurveClient>),
    #[cfg(feature = "curve")]
    CurveServer(Box<curve::CurveServer>),
}

impl Handshake {
    /// Starts the handshake, writing the first commands we owe the peer. Only a CURVE client
    /// can fail here: its random source may.
    pub(crate) fn start(config: &Config, out: &mut Outbox) -> Result<Handshake, ConnectionError> {
        let local = config.local_metadata();
        Ok(match &config.mechanism {
            MechanismConfig::Null => Handshake::Null(null::NullHandshake::start(local, out)),
            MechanismConfig::PlainClient(credentials) => {
                Handshake::PlainClient(plain::PlainClient::start(credentials, local, out))
            }
            MechanismConfig::PlainServer => {
                Handshake::PlainServer(plain::PlainServer::start(config, local))
            }
            #[cfg(feature = "curve")]
            MechanismConfig::CurveClient(curve) => {
                Handshake::CurveClient(Box::new(curve::CurveClient::start(curve, local, out)?))
            }
            #[cfg(feature = "curve")]
            MechanismConfig::CurveServer(curve) => {
                Handshake::CurveServer(Box::new(curve::CurveServer::start(curve, config, local)))
            }
        })
    }

    /// Feeds the body of one command frame received during the handshake.
    pub(crate) fn handle_frame(
        &mut self,
        body: Bytes,
        out: &mut Outbox,
        now: Instant,
    ) -> Result<HandshakeStep, ConnectionError> {
        if let Handshake::PlainClient(_) = self {
            if let Some(reason) = plain::libzmq_error_reason(&body) {
                return Err(crate::error::AuthError::Rejected { reason }.into());
            }
        }
        self.handle_command(RawCommand::parse(body)?, out, now)
    }

    /// Feeds one command received during the handshake. `now` dates CURVE cookies.
    #[cfg_attr(not(feature = "curve"), allow(unused_variables))]
    fn handle_command(
        &mut self,
        command: RawCommand,
        out: &mut Outbox,
        now: Instant,
    ) -> Result<HandshakeStep, ConnectionError> {
        match self {
            Handshake::Null(h) => h.handle_command(command, out),
            Handshake::PlainClient(h) => h.handle_command(command, out),
            Handshake::PlainServer(h) => h.handle_command(command, out),
            #[cfg(feature = "curve")]
            Handshake::CurveClient(h) => h.handle_command(command, out),
            #[cfg(feature = "curve")]
            Handshake::CurveServer(h) => h.handle_command(command, out, now),
        }
    }

    /// Whether the handshake waits for [`decide`](Self::decide).
    pub(crate) fn needs_decision(&self) -> bool {
        match self {
            Handshake::PlainServer(h) => h.needs_decision(),
            #[cfg(feature = "curve")]
            Handshake::CurveServer(h) => h.needs_decision(),
            _ => false,
        }
    }

    /// Continues after the application's decision. Only called when
    /// [`needs_decision`](Self::needs_decision) is true.
    pub(crate) fn decide(
        &mut self,
        decision: AuthDecision,
        out: &mut Outbox,
    ) -> Result<HandshakeStep, ConnectionError> {
        match self {
            Handshake::PlainServer(h) => h.decide(decision, out),
            #[cfg(feature = "curve")]
            Handshake::CurveServer(h) => h.decide(decision, out),
            _ => Ok(HandshakeStep::Continue),
        }
    }
}

/// Refuses a client: ERROR with the status code where ZAP's rules want one (not for 300), then
/// the typed error that closes the connection.
pub(crate) fn deny(status: DenyStatus, out: &mut Outbox) -> ConnectionError {
    if let Some(reason) = status.error_reason() {
        out.push_command(&Command::Error(Bytes::from_static(reason)));
    }
    crate::error::AuthError::Denied { status }.into()
}

/// The error for a command that has no place at this point of the handshake.
pub(crate) fn unexpected(command: &RawCommand) -> ConnectionError {
    ProtocolViolation::UnexpectedCommand(command.name_lossy()).into()
}

/// The reason carried by an ERROR command.
pub(crate) fn error_reason(command: &RawCommand) -> Result<Bytes, Malformed> {
    match Command::from_raw(command)? {
        Some(Command::Error(reason)) => Ok(reason),
        _ => Err(Malformed::BadCommandBody { command: "ERROR" }),
    }
}

/// The error for an ERROR received by a PLAIN or CURVE client during the handshake: the server
/// refused our credentials (or could not check them).
pub(crate) fn rejected(command: &RawCommand) -> ConnectionError {
    match error_reason(command) {
        Ok(reason) => crate::error::AuthError::Rejected { reason }.into(),
        Err(malformed) => malformed.into(),
    }
}

/// Without the `curve` feature no cipher exists; this uninhabited stand-in keeps the connection
/// free of feature switches.
#[cfg(not(feature = "curve"))]
#[derive(Debug)]
pub(crate) enum MessageCipher {}

#[cfg(not(feature = "curve"))]
#[allow(dead_code)] // never built: there is no cipher to open anything
pub(crate) struct Opened {
    pub(crate) more: bool,
    pub(crate) command: bool,
    pub(crate) payload: Bytes,
}

#[cfg(not(feature = "curve"))]
pub(crate) const MESSAGE_OVERHEAD: usize = 33;

#[cfg(not(feature = "curve"))]
impl MessageCipher {
    pub(crate) fn seal(&mut self, _: bool, _: bool, _: &[&[u8]], _: &mut Outbox) {
        match *self {}
    }

    pub(crate) fn open(&mut self, _: bytes::BytesMut) -> Result<Opened, ConnectionError> {
        match *self {}
    }
}
