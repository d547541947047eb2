//! Security mechanisms: the handshake that runs after the greeting and ends with both sides
//! knowing each other's metadata.
//!
//! Each mechanism is a small state machine fed the commands the peer sends during the
//! handshake. It writes its own commands to the outbox and finishes with the peer's metadata,
//! which the connection then validates the same way for every mechanism (socket type, identity).
//! PLAIN and CURVE plug in here as further variants.

mod null;

use crate::command::RawCommand;
use crate::connection::outbox::Outbox;
use crate::error::ConnectionError;
use crate::greeting::MechanismName;
use crate::metadata::Metadata;

/// Which mechanism a connection uses; both peers must configure the same one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MechanismConfig {
    /// No authentication, no encryption (RFC 23).
    #[default]
    Null,
}

impl MechanismConfig {
    /// The name announced in the greeting.
    pub fn name(&self) -> MechanismName {
        match self {
            MechanismConfig::Null => MechanismName::NULL,
        }
    }

    /// The as-server byte we announce. libzmq sends 0 for NULL and ignores what it receives.
    pub(crate) fn as_server(&self) -> bool {
        false
    }
}

/// What a handshake step produced.
#[derive(Debug)]
pub(crate) enum HandshakeStep {
    /// More commands are needed. NULL finishes in one step; PLAIN and CURVE take several.
    #[allow(dead_code)]
    Continue,
    /// The handshake is complete; here is the peer's metadata.
    Done(Metadata),
}

/// A running handshake.
#[derive(Debug)]
pub(crate) enum Handshake {
    Null(null::NullHandshake),
}

impl Handshake {
    /// Starts the handshake, writing the first commands we owe the peer.
    pub(crate) fn start(config: &MechanismConfig, local: Metadata, out: &mut Outbox) -> Handshake {
        match config {
            MechanismConfig::Null => Handshake::Null(null::NullHandshake::start(local, out)),
        }
    }

    /// Feeds one command received during the handshake.
    pub(crate) fn handle_command(
        &mut self,
        command: RawCommand,
        out: &mut Outbox,
    ) -> Result<HandshakeStep, ConnectionError> {
        match self {
            Handshake::Null(h) => h.handle_command(command, out),
        }
    }
}
