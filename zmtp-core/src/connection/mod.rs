//! The state machine for one ZMTP connection.
//!
//! Phases: greeting (staged, see [`crate::greeting`]) → mechanism handshake (`handshake.rs`,
//! possibly paused on an authentication request) → active (`active.rs`: clear text, or CURVE
//! MESSAGEs) → closed. Inputs carry the caller's `now`; outputs are drained with
//! [`Connection::poll_transmit`], [`Connection::poll_event`] and [`Connection::poll_timeout`]
//! after every input.

mod active;
pub(crate) mod config;
mod handshake;
pub(crate) mod outbox;
mod receive;
pub(crate) mod timers;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::command::Command;
use crate::error::{ConnectionError, SendError};
use crate::greeting::{Greeting, GreetingDecoder, Version, FIRST_STAGE_LEN, OUR_VERSION};
use crate::keys::PublicKey;
use crate::mechanism::{AuthDecision, AuthRequest, Handshake, MessageCipher};
use crate::message::Message;
use crate::metadata::Metadata;
use crate::socket_type::SocketType;

use config::{Config, ConfigError, MAX_COMMAND_SIZE};
use outbox::Outbox;
use receive::Assembler;
use timers::Timers;

/// What the connection reports to its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed; messages may now be sent.
    Ready(Box<PeerInfo>),
    /// A whole message (every frame of it) arrived.
    Message(Message),
    /// The peer subscribed to a topic prefix (only reported to PUB and XPUB connections).
    Subscribe(Bytes),
    /// The peer cancelled one subscription (only reported to PUB and XPUB connections).
    Cancel(Bytes),
    /// A PLAIN or CURVE server with [`Config::auth_requests`] asks whether to let this client
    /// in. The handshake waits until [`Connection::authenticate`] answers.
    AuthRequest(Box<AuthRequest>),
    /// The connection ended. Emitted exactly once; the connection stays closed.
    Closed(ConnectionError),
}

/// What we learnt about the peer during the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// On a PLAIN or CURVE server: the user id the authentication hook attached (empty
    /// otherwise).
    pub user_id: Bytes,
    /// On a PLAIN or CURVE server: the properties the authentication hook attached.
    pub auth_properties: Metadata,
    /// CURVE: the peer's long-term public key (the client's on a server, the server's on a
    /// client).
    pub peer_key: Option<PublicKey>,
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
    /// While [`Connection::handle_bytes_into`] runs: the caller's message queue, which whole
    /// messages join instead of `events`.
    bulk: Option<VecDeque<Message>>,
    timers: Timers,
    incoming: Assembler,
    /// CURVE, once the handshake is done: every frame in and out is a sealed MESSAGE. `None`
    /// for NULL and PLAIN, whose paths test it once per message or per read, never per byte.
    cipher: Option<Box<MessageCipher>>,
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
            incoming: Assembler::new(config.max_message_size),
            config,
            state: State::Greeting {
                decoder: GreetingDecoder::new(),
                sent_rest: false,
            },
            outbox,
            events: VecDeque::new(),
            bulk: None,
            cipher: None,
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

    /// Same as [`handle_bytes`](Self::handle_bytes), but whole messages are appended to
    /// `messages` rather than reported as [`Event::Message`]: a receiver that only queues
    /// messages takes them in bulk instead of one event at a time. Other events are still
    /// reported by [`poll_event`](Self::poll_event), in order among themselves; the handshake's
    /// events precede every message and [`Event::Closed`] follows every message decoded before
    /// it, but [`Event::Subscribe`] and [`Event::Cancel`] (publishers only) lose their place
    /// among messages: publishers that care use `handle_bytes`.
    pub fn handle_bytes_into(
        &mut self,
        now: Instant,
        src: &mut BytesMut,
        messages: &mut VecDeque<Message>,
    ) {
        self.bulk = Some(std::mem::take(messages));
        self.handle_bytes(now, src);
        if let Some(bulk) = self.bulk.take() {
            *messages = bulk;
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
            self.queue_command(&Command::Ping {
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
        if let Some(cipher) = &mut self.cipher {
            for frame in rest {
                cipher.seal(true, false, &[frame], &mut self.outbox);
            }
            cipher.seal(false, false, &[last], &mut self.outbox);
            return Ok(());
        }
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
            self.queue_command(&command);
        } else if let Some(cipher) = &mut self.cipher {
            cipher.seal(
                false,
                false,
                &[&[u8::from(subscribe)], topic],
                &mut self.outbox,
            );
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

    /// Answers an [`Event::AuthRequest`]: the handshake continues (WELCOME or READY is queued)
    /// or the client is refused (ERROR queued where the status calls for one, then
    /// `Closed(Authentication(Denied))`). Ignored when no request is pending, e.g. when the
    /// connection closed (handshake timeout) while the driver was deciding.
    pub fn authenticate(&mut self, now: Instant, decision: AuthDecision) {
        let State::Handshake { handshake, .. } = &mut self.state else {
            return;
        };
        if !handshake.needs_decision() {
            return;
        }
        let result = handshake
            .decide(decision, &mut self.outbox)
            .and_then(|step| self.apply_step(now, step));
        if let Err(error) = result {
            self.fail(error);
        }
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

    /// Runs each phase over the input in turn; a phase that completes hands the rest of the
    /// input to the next one. The active phase is chosen once per call, so the plaintext loop
    /// does no per-frame work for CURVE's sake.
    fn process(&mut self, now: Instant, src: &mut BytesMut) -> Result<(), ConnectionError> {
        if let State::Greeting { .. } = self.state {
            self.process_greeting(src)?;
        }
        if let State::Handshake { .. } = self.state {
            self.process_handshake(now, src)?;
        }
        if let State::Active { .. } = self.state {
            if self.cipher.is_some() {
                self.process_sealed(now, src)?;
            } else {
                self.process_active(now, src)?;
            }
        }
        Ok(())
    }

    fn command_limit(&self) -> u64 {
        MAX_COMMAND_SIZE.min(self.config.max_message_size.unwrap_or(u64::MAX).max(256))
    }

    /// Queues a command: in clear text, or sealed in a MESSAGE once CURVE is established.
    fn queue_command(&mut self, command: &Command) {
        match &mut self.cipher {
            None => self.outbox.push_command(command),
            Some(cipher) => {
                let mut body = Vec::with_capacity(command.encoded_body_len());
                command.encode_body(&mut body);
                cipher.seal(false, true, &[&body], &mut self.outbox);
            }
        }
    }

    fn send_error(&mut self, reason: &[u8]) {
        if matches!(self.state, State::Handshake { .. } | State::Active { .. }) {
            self.queue_command(&Command::Error(Bytes::copy_from_slice(reason)));
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
