//! The active phase: frames become messages and commands, in clear text (NULL, PLAIN) or
//! sealed in MESSAGEs (CURVE).

use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::command::{Command, RawCommand, MAX_PING_CONTEXT};
use crate::error::{ConnectionError, ProtocolViolation};
use crate::frame::{decode_frame, decode_frame_mut, FrameLimits};
use crate::mechanism::MESSAGE_OVERHEAD;
use crate::message::Message;

use super::{receive, Connection, Event};

impl Connection {
    /// Clear-text frames, each checked against the budget on its header.
    pub(super) fn process_active(
        &mut self,
        now: Instant,
        src: &mut BytesMut,
    ) -> Result<(), ConnectionError> {
        loop {
            let limits = FrameLimits {
                data: self.incoming.remaining_budget(),
                command: self.command_limit(),
            };
            let Some(frame) = decode_frame(src, limits)? else {
                return Ok(());
            };
            if frame.command {
                self.handle_active_command(now, frame.body)?;
            } else if let Some(message) = self.incoming.push(frame.more, frame.body)? {
                self.deliver(message);
            }
        }
    }

    /// CURVE MESSAGE frames, with either wire flag. Whether a sealed frame is a command is only
    /// known once it is open, so the header is held to the larger of both limits plus the
    /// MESSAGE overhead, and the opened frame to its own limit.
    pub(super) fn process_sealed(
        &mut self,
        now: Instant,
        src: &mut BytesMut,
    ) -> Result<(), ConnectionError> {
        loop {
            let budget = self.incoming.remaining_budget();
            let command_limit = self.command_limit();
            let wire = budget
                .max(command_limit)
                .saturating_add(MESSAGE_OVERHEAD as u64);
            let limits = FrameLimits {
                data: wire,
                command: wire,
            };
            let Some(frame) = decode_frame_mut(src, limits)? else {
                return Ok(());
            };
            let Some(cipher) = self.cipher.as_mut() else {
                return Ok(());
            };
            let opened = cipher.open(frame.body)?;
            let limit = if opened.command {
                command_limit
            } else {
                budget
            };
            let size = opened.payload.len() as u64;
            if size > limit {
                return Err(ProtocolViolation::TooLarge {
                    announced: size,
                    limit,
                    command: opened.command,
                }
                .into());
            }
            if opened.command {
                self.handle_active_command(now, opened.payload)?;
            } else if let Some(message) = self.incoming.push(opened.more, opened.payload)? {
                self.deliver(message);
            }
        }
    }

    fn handle_active_command(&mut self, now: Instant, body: Bytes) -> Result<(), ConnectionError> {
        let raw = RawCommand::parse(body)?;
        match Command::from_raw(&raw)? {
            Some(Command::Ping {
                ttl_deciseconds,
                context,
            }) => {
                let echo = context.slice(..context.len().min(MAX_PING_CONTEXT));
                self.queue_command(&Command::Pong(echo));
                self.timers.on_peer_ping(now, ttl_deciseconds);
            }
            Some(Command::Subscribe(topic)) => self.report_subscription(Event::Subscribe(topic)),
            Some(Command::Cancel(topic)) => self.report_subscription(Event::Cancel(topic)),
            Some(Command::Error(reason)) => return Err(ConnectionError::PeerError { reason }),
            Some(Command::Ready(_)) => {
                return Err(ProtocolViolation::UnexpectedCommand("READY".into()).into())
            }
            // PONG only proves liveness, already noted. Unknown commands are ignored, as libzmq
            // does, so that future protocol additions do not break connections.
            Some(Command::Pong(_)) | None => {}
        }
        Ok(())
    }

    fn deliver(&mut self, message: Message) {
        if self.config.socket_type.receives_subscriptions() {
            if let Some(event) = receive::legacy_subscription(&message) {
                self.events.push_back(event);
                return;
            }
        }
        match &mut self.bulk {
            Some(messages) => messages.push_back(message),
            None => self.events.push_back(Event::Message(message)),
        }
    }

    fn report_subscription(&mut self, event: Event) {
        // Subscriptions only mean something to publishers; others ignore them, as libzmq does.
        if self.config.socket_type.receives_subscriptions() {
            self.events.push_back(event);
        }
    }
}
