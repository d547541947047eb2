//! A sans-IO implementation of one ZMTP 3.x connection — the wire protocol of ZeroMQ.
//!
//! `zmtp-core` holds everything that is *protocol*: the staged greeting and version negotiation,
//! framing, commands, metadata, the security handshake (NULL today; PLAIN and CURVE plug into
//! [`mechanism`]), subscriptions in both encodings, and heartbeats. It does no I/O, reads no
//! clock, spawns nothing and has no randomness of its own: the caller passes bytes and `now` in
//! and drains bytes, events and a deadline out. The same inputs always give the same outputs,
//! so the whole protocol can be tested on a virtual clock and fuzzed.
//!
//! # The run loop
//!
//! 1. Create a [`Connection`] with a [`Config`]; the first greeting bytes are queued at once.
//! 2. Whenever bytes arrive, call [`Connection::handle_bytes`] with the read buffer: every
//!    complete frame is consumed and a partial tail is left in place for the next read.
//! 3. When the deadline from [`Connection::poll_timeout`] passes, call
//!    [`Connection::handle_timeout`]; on end of stream, [`Connection::handle_eof`].
//! 4. After *any* input or command, drain [`Connection::poll_transmit`] (write those bytes, in
//!    order) and [`Connection::poll_event`] until both return `None`, then re-read
//!    `poll_timeout`.
//!
//! [`Event::Closed`] is emitted exactly once, with a [`ConnectionError`] that says why.
//!
//! # Example: two connections talking through memory
//!
//! ```
//! use std::time::Instant;
//! use bytes::BytesMut;
//! use zmtp_core::{Config, Connection, Event, Message, SocketType};
//!
//! let now = Instant::now(); // the caller owns the clock; tests use a virtual one
//! let mut req = Connection::new(Config::new(SocketType::Req), now).unwrap();
//! let mut rep = Connection::new(Config::new(SocketType::Rep), now).unwrap();
//!
//! // Moves what `from` has to send into `to`; reports whether anything moved.
//! fn transfer(from: &mut Connection, to: &mut Connection, now: Instant) -> bool {
//!     let mut wire = BytesMut::new();
//!     while let Some(chunk) = from.poll_transmit() {
//!         wire.extend_from_slice(&chunk);
//!     }
//!     let moved = !wire.is_empty();
//!     to.handle_bytes(now, &mut wire);
//!     moved
//! }
//! fn pump(a: &mut Connection, b: &mut Connection, now: Instant) {
//!     while transfer(a, b, now) | transfer(b, a, now) {}
//! }
//!
//! pump(&mut req, &mut rep, now);
//! assert!(matches!(req.poll_event(), Some(Event::Ready(peer)) if peer.socket_type == SocketType::Rep));
//! assert!(matches!(rep.poll_event(), Some(Event::Ready(_))));
//!
//! // REQ puts the empty delimiter frame in front of the request itself.
//! req.send(&Message::from_iter(["", "hello"])).unwrap();
//! pump(&mut req, &mut rep, now);
//! match rep.poll_event() {
//!     Some(Event::Message(m)) => assert_eq!(m.frames()[1], "hello"),
//!     other => panic!("expected a message, got {other:?}"),
//! }
//! ```
#![forbid(unsafe_code)]

pub mod command;
mod connection;
pub mod error;
pub mod frame;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod greeting;
pub mod mechanism;
mod message;
pub mod metadata;
mod socket_type;

pub use connection::config::{
    Config, ConfigError, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_MESSAGE_SIZE, MAX_COMMAND_SIZE,
};
pub use connection::timers::Heartbeat;
pub use connection::{Connection, Event, PeerInfo};
pub use error::{ConnectionError, SendError};
pub use greeting::Version;
pub use message::Message;
pub use metadata::Metadata;
pub use socket_type::SocketType;
