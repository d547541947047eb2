//! The state machine for one ZMTP connection.
//!
//! Phases: greeting (staged, see [`crate::greeting`]) → mechanism handshake → active → closed.
//! Inputs carry the caller's `now`; outputs are drained with [`Connection::poll_transmit`],
//! [`Connection::poll_event`] and [`Connection::poll_timeout`] after every input.

pub(crate) mod config;
pub(crate) mod outbox;
mod receive;
pub(crate) mod timers;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::command::Command;
use crate::error::{ConnectionError, Incompatible, SendError};
use crate::frame::{decode_frame, FrameHeader, FrameLimits};
use crate::greeting::{Greeting, GreetingDecoder, Version, FIRST_STAGE_LEN, OUR_VERSION};
use crate::mechanism::{Handshake, HandshakeStep};
use crate::message::Message;
use crate::metadata::Metadata;
use crate::socket_type::SocketType;

use config::{Config, ConfigError, MAX_COMMAND_SIZE};
use outbox::Outbox;
use receive::Assembler;
use timers::Timers;

/// What the connection reports to its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake completed; messages may now be sent.
    Ready(PeerInfo),
    /// A whole message (every frame of it) arrived.
    Message(Message),
    /// The peer subscribed to a topic prefix (only reported to PUB and XPUB connections).
    Subscribe(Bytes),
    /// The peer cancelled one subscription (only reported to PUB and XPUB connections).
    Cancel(Bytes),
    /// The connection ended. Emitted exactly once; the connection stays closed.
    Closed(ConnectionError),
}

/// What we learnt about the peer during the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's socket type.
    pub socket_type: SocketType,
    /// The peer's identity; empty when it sent none.
    pub identity: Bytes,
    /// Every property the peer sent, `Socket-Type` and `Identity` included.
    pub metadata: Metadata,
    /// The version the peer announced in its greeting.
    pub announced_version: Version,
    /// The version spoken with it (3.0 or 3.1).
    pub version: Version,
}

enum State {
    Greeting {
        decoder: GreetingDecoder,
        sent_rest: bool,
    },
    Handshake {
        handshake: Handshake,
        version: Version,
        announced: Version,
    },
    Active {
        version: Version,
    },
    Closed,
}

/// One ZMTP connection, without I/O. See the crate documentation for the run loop.
pub struct Connection {
    config: Config,
    state: State,
    outbox: Outbox,
    events: VecDeque<Event>,
    timers: Timers,
    incoming: Assembler,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let phase = match self.state {
            State::Greeting { .. } => "greeting",
            State::Handshake { .. } => "handshake",
            State::Active { .. } => "active",
            State::Closed => "closed",
        };
        f.debug_struct("Connection")
            .field("socket_type", &self.config.socket_type)
            .field("phase", &phase)
            .field("pending_transmit", &self.outbox.pending())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Starts a connection: the first greeting stage is queued for transmission at once.
    pub fn new(config: Config, now: Instant) -> Result<Connection, ConfigError> {
        config.validate()?;
        let mut outbox = Outbox::default();
        outbox.push_raw(&our_greeting(&config)[..FIRST_STAGE_LEN]);
        Ok(Connection {
            timers: Timers::new(now, config.handshake_timeout),
            incoming: Assembler::new(config.max_message_size.unwrap_or(u64::MAX)),
            config,
            state: State::Greeting {
                decoder: GreetingDecoder::new(),
                sent_rest: false,
            },
            outbox,
            events: VecDeque::new(),
        })
    }

    /// Consumes every complete greeting part and frame in `src`, leaving a partial tail in place.
    ///
    /// Call it with the read buffer each time new bytes were read; any bytes count as a sign of
    /// life for heartbeats. After the connection closed, input is discarded.
    pub fn handle_bytes(&mut self, now: Instant, src: &mut BytesMut) {
        if matches!(self.state, State::Closed) {
            src.clear();
            return;
        }
        if src.is_empty() {
            return;
        }
        self.timers.on_traffic();
        if let Err(error) = self.process(now, src) {
            self.fail(error);
            src.clear();
        }
    }

    /// Fires expired timers. Early or repeated calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        if matches!(self.state, State::Closed) {
            return;
        }
        if let Some(timeout) = self.timers.expired(now) {
            self.fail(ConnectionError::Timeout(timeout));
            return;
        }
        if matches!(self.state, State::Active { .. })
            && self.timers.take_ping_due(now, &self.config.heartbeat)
        {
            self.outbox.push_command(&Command::Ping {
                ttl_deciseconds: self.config.heartbeat.ttl_deciseconds(),
                context: Bytes::new(),
            });
        }
    }

    /// Tells the connection that the caller stopped reading from the transport (for
    /// backpressure: its application takes no messages and its read-ahead is full) or resumed. While paused, the heartbeat
    /// timeout and the peer's TTL are suspended: unread bytes may be waiting in the transport,
    /// so silence proves nothing (libzmq drops live peers here). PINGs are still sent.
    pub fn set_reading_paused(&mut self, paused: bool) {
        self.timers.set_reading_paused(paused);
    }

    /// The transport reached end of stream.
    pub fn handle_eof(&mut self, _now: Instant) {
        let mid_message = self.incoming.is_mid_message();
        self.fail(ConnectionError::PeerDisconnected { mid_message });
    }

    /// Queues a whole message. Frames are shared with the caller, not copied, when large.
    pub fn send(&mut self, message: &Message) -> Result<(), SendError> {
        match self.state {
            State::Active { .. } => {}
            State::Closed => return Err(SendError::Closed),
            _ => return Err(SendError::NotReady),
        }
        let frames = message.frames();
        let Some((last, rest)) = frames.split_last() else {
            return Err(SendError::EmptyMessage);
        };
        for frame in rest {
            self.outbox.push_frame(true, false, frame);
        }
        self.outbox.push_frame(false, false, last);
        Ok(())
    }

    /// Subscribes the peer to `topic`: a SUBSCRIBE command with ZMTP 3.1 peers, a message
    /// `0x01 topic` with ZMTP 3.0 peers.
    pub fn subscribe(&mut self, topic: &[u8]) -> Result<(), SendError> {
        self.send_subscription(true, topic)
    }

    /// Cancels one subscription to `topic` (CANCEL command, or `0x00 topic` with ZMTP 3.0).
    pub fn cancel(&mut self, topic: &[u8]) -> Result<(), SendError> {
        self.send_subscription(false, topic)
    }

    fn send_subscription(&mut self, subscribe: bool, topic: &[u8]) -> Result<(), SendError> {
        let version = match self.state {
            State::Active { version } => version,
            State::Closed => return Err(SendError::Closed),
            _ => return Err(SendError::NotReady),
        };
        if version.has_commands() {
            let topic = Bytes::copy_from_slice(topic);
            let command = if subscribe {
                Command::Subscribe(topic)
            } else {
                Command::Cancel(topic)
            };
            self.outbox.push_command(&command);
        } else {
            self.outbox.push_prefixed_frame(u8::from(subscribe), topic);
        }
        Ok(())
    }

    /// Closes the connection locally. With a reason, an ERROR command carrying it is queued first
    /// (when the greeting is far enough along for commands). Emits `Closed(ClosedLocally)`.
    pub fn close(&mut self, error_reason: Option<&[u8]>) {
        if let Some(reason) = error_reason {
            self.send_error(reason);
        }
        self.fail(ConnectionError::ClosedLocally);
    }

    /// Next bytes to write, in order. Keep calling until `None`; bytes queued before a close
    /// (an ERROR, say) are still returned after it.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.outbox.pop()
    }

    /// Bytes queued for transmission and not yet returned by [`poll_transmit`](Self::poll_transmit).
    pub fn pending_transmit(&self) -> usize {
        self.outbox.pending()
    }

    /// Next event. Keep calling until `None`.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The earliest instant at which [`handle_timeout`](Self::handle_timeout) must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.earliest()
    }

    /// Whether the handshake has completed and the connection is not closed.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Active { .. })
    }

    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Our socket type.
    pub fn socket_type(&self) -> SocketType {
        self.config.socket_type
    }

    fn process(&mut self, now: Instant, src: &mut BytesMut) -> Result<(), ConnectionError> {
        if let State::Greeting { .. } = self.state {
            self.process_greeting(src)?;
        }
        loop {
            let limits = match self.state {
                State::Handshake { .. } => {
                    // Refuse a message frame on its header, not after buffering its body.
                    if let Some((header, _)) = FrameHeader::parse(src)? {
                        if !header.command {
                            return Err(
                                crate::error::ProtocolViolation::MessageBeforeHandshake.into()
                            );
                        }
                    }
                    FrameLimits {
                        data: 0,
                        command: self.command_limit(),
                    }
                }
                State::Active { .. } => FrameLimits {
                    data: self.incoming.remaining_budget(),
                    command: self.command_limit(),
                },
                State::Greeting { .. } | State::Closed => return Ok(()),
            };
            let Some(frame) = decode_frame(src, limits)? else {
                return Ok(());
            };
            if frame.command {
                self.handle_command(now, frame.body)?;
            } else if let Some(message) = self.incoming.push(frame.more, frame.body) {
                self.deliver(message);
            }
        }
    }

    fn command_limit(&self) -> u64 {
        MAX_COMMAND_SIZE.min(self.config.max_message_size.unwrap_or(u64::MAX).max(256))
    }

    fn process_greeting(&mut self, src: &mut BytesMut) -> Result<(), ConnectionError> {
        let State::Greeting { decoder, sent_rest } = &mut self.state else {
            return Ok(());
        };
        decoder.feed(src)?;
        if !*sent_rest && decoder.peer_major().is_some() {
            // The peer speaks ZMTP 3+ (the decoder refused anything older): finish our greeting.
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
        let handshake = Handshake::start(
            &self.config.mechanism,
            self.config.local_metadata(),
            &mut self.outbox,
        );
        self.state = State::Handshake {
            handshake,
            version: Version::negotiate(peer.version),
            announced: peer.version,
        };
        Ok(())
    }

    fn handle_command(&mut self, now: Instant, body: Bytes) -> Result<(), ConnectionError> {
        let raw = crate::command::RawCommand::parse(body)?;
        if let State::Handshake { handshake, .. } = &mut self.state {
            if let HandshakeStep::Done(metadata) =
                handshake.handle_command(raw, &mut self.outbox)?
            {
                self.complete_handshake(now, metadata)?;
            }
            return Ok(());
        }
        match Command::from_raw(&raw)? {
            Some(Command::Ping {
                ttl_deciseconds,
                context,
            }) => {
                let echo = context.slice(..context.len().min(crate::command::MAX_PING_CONTEXT));
                self.outbox.push_command(&Command::Pong(echo));
                self.timers.on_peer_ping(now, ttl_deciseconds);
            }
            Some(Command::Subscribe(topic)) => self.report_subscription(Event::Subscribe(topic)),
            Some(Command::Cancel(topic)) => self.report_subscription(Event::Cancel(topic)),
            Some(Command::Error(reason)) => return Err(ConnectionError::PeerError { reason }),
            Some(Command::Ready(_)) => {
                return Err(
                    crate::error::ProtocolViolation::UnexpectedCommand("READY".into()).into(),
                )
            }
            // PONG only proves liveness, already noted. Unknown commands are ignored, as libzmq
            // does, so that future protocol additions do not break connections.
            Some(Command::Pong(_)) | None => {}
        }
        Ok(())
    }

    fn complete_handshake(
        &mut self,
        now: Instant,
        metadata: Metadata,
    ) -> Result<(), ConnectionError> {
        let State::Handshake {
            version, announced, ..
        } = self.state
        else {
            return Ok(());
        };
        let peer = receive::validate_peer(self.config.socket_type, metadata, announced, version);
        let peer = match peer {
            Ok(peer) => peer,
            Err(error @ ConnectionError::Incompatible(Incompatible::SocketType { .. })) => {
                // RFC 23: tell the peer why before closing; libzmq reports it as a handshake
                // failure either way.
                self.send_error(b"Invalid socket type");
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        self.state = State::Active { version };
        self.timers.on_ready(now, &self.config.heartbeat);
        self.events.push_back(Event::Ready(peer));
        Ok(())
    }

    fn deliver(&mut self, message: Message) {
        if self.config.socket_type.receives_subscriptions() {
            if let Some(event) = receive::legacy_subscription(&message) {
                self.events.push_back(event);
                return;
            }
        }
        self.events.push_back(Event::Message(message));
    }

    fn report_subscription(&mut self, event: Event) {
        // Subscriptions only mean something to publishers; others ignore them, as libzmq does.
        if self.config.socket_type.receives_subscriptions() {
            self.events.push_back(event);
        }
    }

    fn send_error(&mut self, reason: &[u8]) {
        if matches!(self.state, State::Handshake { .. } | State::Active { .. }) {
            self.outbox
                .push_command(&Command::Error(Bytes::copy_from_slice(reason)));
        }
    }

    fn fail(&mut self, error: ConnectionError) {
        if matches!(self.state, State::Closed) {
            return;
        }
        self.state = State::Closed;
        self.timers.clear();
        self.incoming.clear();
        self.events.push_back(Event::Closed(error));
    }
}

fn our_greeting(config: &Config) -> [u8; crate::greeting::GREETING_LEN] {
    Greeting {
        version: OUR_VERSION,
        mechanism: config.mechanism.name(),
        as_server: config.mechanism.as_server(),
    }
    .encode()
}
