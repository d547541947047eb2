//! The receive side: assembling frames into messages within the size budget, validating the
//! peer's metadata, and recognising ZMTP 3.0 subscription messages.

use bytes::Bytes;

use crate::connection::config::max_frames_per_message;
use crate::connection::{Event, PeerInfo};
use crate::error::{ConnectionError, Incompatible, Malformed, ProtocolViolation};
use crate::greeting::Version;
use crate::message::Message;
use crate::metadata::{self, Metadata};
use crate::socket_type::SocketType;

/// Collects the frames of one message and enforces `max_message_size` over all of them, and
/// the frame count that bounds the memory of frames too small to use the budget.
#[derive(Debug)]
pub(crate) struct Assembler {
    max: u64,
    max_frames: u64,
    partial: Message,
    size: u64,
}

impl Assembler {
    pub(crate) fn new(max: Option<u64>) -> Assembler {
        Assembler {
            max: max.unwrap_or(u64::MAX),
            max_frames: max_frames_per_message(max),
            partial: Message::new(),
            size: 0,
        }
    }

    /// Bytes the next data frame may still carry.
    pub(crate) fn remaining_budget(&self) -> u64 {
        self.max - self.size
    }

    /// Adds a frame (the decoder already checked it against the budget); returns the message
    /// when it was the last one. Fails when the message would have too many frames.
    pub(crate) fn push(
        &mut self,
        more: bool,
        body: Bytes,
    ) -> Result<Option<Message>, ProtocolViolation> {
        if self.partial.len() as u64 >= self.max_frames {
            return Err(ProtocolViolation::TooManyFrames {
                limit: self.max_frames,
            });
        }
        self.size += body.len() as u64;
        self.partial.push(body);
        if more {
            return Ok(None);
        }
        self.size = 0;
        Ok(Some(std::mem::take(&mut self.partial)))
    }

    pub(crate) fn is_mid_message(&self) -> bool {
        !self.partial.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.partial = Message::new();
        self.size = 0;
    }
}

/// ZMTP 3.0 subscriptions: a single-frame message `0x01 topic` or `0x00 topic`.
pub(crate) fn legacy_subscription(message: &Message) -> Option<Event> {
    let [frame] = message.frames() else {
        return None;
    };
    match frame.first()? {
        1 => Some(Event::Subscribe(frame.slice(1..))),
        0 => Some(Event::Cancel(frame.slice(1..))),
        _ => None,
    }
}

/// Checks the peer's metadata against our socket type (same rules for every mechanism).
pub(crate) fn validate_peer(
    ours: SocketType,
    metadata: Metadata,
    announced: Version,
    version: Version,
) -> Result<PeerInfo, ConnectionError> {
    let name = metadata
        .get(metadata::SOCKET_TYPE)
        .ok_or(ProtocolViolation::MissingSocketType)?;
    let socket_type =
        SocketType::from_wire(name).ok_or_else(|| Malformed::UnknownSocketType(name.clone()))?;
    if !ours.is_compatible_with(socket_type) {
        return Err(Incompatible::SocketType {
            ours,
            theirs: socket_type,
        }
        .into());
    }
    let identity = metadata
        .get(metadata::IDENTITY)
        .cloned()
        .unwrap_or_default();
    if identity.len() > 255 {
        return Err(ProtocolViolation::IdentityTooLong(identity.len()).into());
    }
    Ok(PeerInfo {
        socket_type,
        identity,
        metadata,
        announced_version: announced,
        version,
        user_id: Bytes::new(),
        auth_properties: Metadata::new(),
        peer_key: None,
    })
}
