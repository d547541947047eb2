//! The greeting and handshake phases of a connection: staged greeting, mechanism commands, the
//! authentication pause, and the checks that end the handshake.

use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::error::{ConnectionError, Incompatible, ProtocolViolation};
use crate::frame::{decode_frame, FrameHeader, FrameLimits};
use crate::greeting::{Version, FIRST_STAGE_LEN};
use crate::mechanism::{Established, Handshake, HandshakeStep};

use super::{our_greeting, receive, Connection, Event, State};

impl Connection {
    pub(super) fn process_greeting(&mut self, src: &mut BytesMut) -> Result<(), ConnectionError> {
        let State::Greeting { decoder, sent_rest } = &mut self.state else {
            return Ok(());
        };
        decoder.feed(src)?;
        if !*sent_rest && decoder.peer_major().is_some() {
            // The peer speaks ZMTP 3+ (the decoder refused anything older, whatever the
            // mechanism: nothing is ever downgraded): finish our greeting.
            self.outbox
                .push_raw(&our_greeting(&self.config)[FIRST_STAGE_LEN..]);
            *sent_rest = true;
        }
        let Some(peer) = decoder.greeting() else {
            return Ok(());
        };
        let ours = self.config.mechanism.name();
        if peer.mechanism != ours {
            return Err(Incompatible::Mechanism {
                ours: ours.to_string_lossy(),
                theirs: peer.mechanism.to_string_lossy(),
            }
            .into());
        }
        // The peer's as-server byte is ignored, as libzmq does: roles come from configuration.
        let handshake = Handshake::start(&self.config, &mut self.outbox)?;
        self.state = State::Handshake {
            handshake,
            version: Version::negotiate(peer.version),
            announced: peer.version,
        };
        Ok(())
    }

    /// Feeds handshake commands until the handshake completes or the input runs out.
    pub(super) fn process_handshake(
        &mut self,
        now: Instant,
        src: &mut BytesMut,
    ) -> Result<(), ConnectionError> {
        while let State::Handshake { .. } = self.state {
            // Refuse a message frame on its header, not after buffering its body.
            if let Some((header, _)) = FrameHeader::parse(src)? {
                if !header.command {
                    return Err(ProtocolViolation::MessageBeforeHandshake.into());
                }
            }
            let limits = FrameLimits {
                data: 0,
                command: self.command_limit(),
            };
            let Some(frame) = decode_frame(src, limits)? else {
                return Ok(());
            };
            self.handle_handshake_command(now, frame.body)?;
        }
        Ok(())
    }

    fn handle_handshake_command(
        &mut self,
        now: Instant,
        body: Bytes,
    ) -> Result<(), ConnectionError> {
        let State::Handshake { handshake, .. } = &mut self.state else {
            return Ok(());
        };
        let step = handshake.handle_frame(body, &mut self.outbox, now)?;
        self.apply_step(now, step)
    }

    pub(super) fn apply_step(
        &mut self,
        now: Instant,
        step: HandshakeStep,
    ) -> Result<(), ConnectionError> {
        match step {
            HandshakeStep::Continue => Ok(()),
            HandshakeStep::Authenticate(request) => {
                self.events.push_back(Event::AuthRequest(Box::new(request)));
                Ok(())
            }
            HandshakeStep::Done(established) => self.complete_handshake(now, established),
        }
    }

    fn complete_handshake(
        &mut self,
        now: Instant,
        established: Established,
    ) -> Result<(), ConnectionError> {
        let State::Handshake {
            version, announced, ..
        } = self.state
        else {
            return Ok(());
        };
        let Established {
            metadata,
            user_id,
            auth_properties,
            peer_key,
            cipher,
        } = established;
        // From here on CURVE seals everything, the ERROR below included: the peer may already
        // be reading MESSAGEs only.
        self.cipher = cipher;
        let peer = receive::validate_peer(self.config.socket_type, metadata, announced, version);
        let mut peer = match peer {
            Ok(peer) => peer,
            Err(error @ ConnectionError::Incompatible(Incompatible::SocketType { .. })) => {
                // RFC 23: tell the peer why before closing; libzmq reports it as a handshake
                // failure either way.
                self.send_error(b"Invalid socket type");
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        peer.user_id = user_id;
        peer.auth_properties = auth_properties;
        peer.peer_key = peer_key;
        self.state = State::Active { version };
        self.timers.on_ready(now, &self.config.heartbeat);
        self.events.push_back(Event::Ready(Box::new(peer)));
        Ok(())
    }
}
