//! NULL (RFC 23): both sides send READY at once and wait for the other's.
//!
//! Sending READY without waiting for the peer's is what keeps two NULL peers from
//! deadlocking on each other.

use crate::command::{Command, RawCommand};
use crate::connection::outbox::Outbox;
use crate::error::{ConnectionError, ProtocolViolation};
use crate::metadata::Metadata;

use super::{Established, HandshakeStep};

#[derive(Debug)]
pub(crate) struct NullHandshake;

impl NullHandshake {
    pub(crate) fn start(local: Metadata, out: &mut Outbox) -> NullHandshake {
        out.push_command(&Command::Ready(local));
        NullHandshake
    }

    pub(crate) fn handle_command(
        &mut self,
        command: RawCommand,
        _out: &mut Outbox,
    ) -> Result<HandshakeStep, ConnectionError> {
        match Command::from_raw(&command)? {
            Some(Command::Ready(metadata)) => Ok(HandshakeStep::Done(Established::new(metadata))),
            Some(Command::Error(reason)) => Err(ConnectionError::PeerError { reason }),
            _ => Err(ProtocolViolation::UnexpectedCommand(command.name_lossy()).into()),
        }
    }
}
