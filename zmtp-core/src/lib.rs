//! A sans-IO implementation of one ZMTP 3.x connection — the wire protocol of ZeroMQ.
//!
//! `zmtp-core` holds everything that is *protocol*: the staged greeting and version negotiation,
//! framing, commands, metadata, the security handshakes ([`mechanism`]: NULL, PLAIN, and CURVE
//! with the `curve` feature, on by default), subscriptions in both encodings, and heartbeats. It
//! does no I/O, reads no clock, spawns nothing and has no randomness of its own: the caller
//! passes bytes, `now`, authentication decisions and (for CURVE) a [`RandomSource`] in, and
//! drains bytes, events and a deadline out. The same inputs always give the same outputs, so the
//! whole protocol can be tested on a virtual clock and fuzzed.
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
//! A PLAIN or CURVE server configured with [`Config::auth_requests`] also emits
//! [`Event::AuthRequest`]; answer it with [`Connection::authenticate`] (see
//! [`mechanism`] for the flow and the behaviour without a hook).
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
//!
//! # Example: CURVE
//!
//! The server needs its key pair, the client the server's public key and a key pair of its own;
//! both need a source of secure random bytes (here a fixed one, for the example only).
//!
//! ```
//! # #[cfg(feature = "curve")] {
//! use std::sync::Arc;
//! use zmtp_core::{Config, CurveClientConfig, CurveServerConfig, KeyPair, MechanismConfig};
//! use zmtp_core::{RandomSource, SecretKey, SocketType};
//!
//! // A real driver passes the operating system's generator.
//! let random: Arc<dyn RandomSource> = Arc::new(|buf: &mut [u8]| {
//!     buf.fill(7);
//!     Ok(())
//! });
//! let server_keys = KeyPair::from_secret(
//!     SecretKey::from_z85("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6").unwrap(),
//! );
//! let server_public = *server_keys.public(); // published as "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
//!
//! let mut server = Config::new(SocketType::Rep);
//! server.mechanism =
//!     MechanismConfig::CurveServer(CurveServerConfig::new(server_keys, random.clone()));
//!
//! let mut client = Config::new(SocketType::Req);
//! let client_keys = KeyPair::generate(&*random);
//! client.mechanism = MechanismConfig::CurveClient(CurveClientConfig::new(
//!     server_public,
//!     client_keys,
//!     random,
//! ));
//! // Connections built from these configs run the handshake, then seal every frame.
//! # }
//! ```
#![forbid(unsafe_code)]
// On docs.rs (nightly, `--cfg docsrs`): each feature-gated item is labelled with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod command;
mod connection;
pub mod error;
pub mod frame;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod greeting;
pub mod keys;
pub mod mechanism;
mod message;
pub mod metadata;
mod random;
mod socket_type;
pub mod z85;

pub use connection::config::{
    max_frames_per_message, Config, ConfigError, DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_MAX_MESSAGE_SIZE, MAX_COMMAND_SIZE, MIN_FRAMES_PER_MESSAGE,
};
pub use connection::timers::Heartbeat;
pub use connection::{Connection, Event, PeerInfo};
pub use error::{AuthError, ConnectionError, SendError};
pub use greeting::Version;
#[cfg(feature = "curve")]
pub use keys::KeyPair;
pub use keys::{KeyError, PublicKey, SecretKey};
pub use mechanism::{
    AuthDecision, AuthRequest, Credentials, DenyStatus, MechanismConfig, Password, PlainCredentials,
};
#[cfg(feature = "curve")]
pub use mechanism::{CurveClientConfig, CurveServerConfig};
pub use message::Message;
pub use metadata::Metadata;
pub use random::{RandomError, RandomSource};
pub use socket_type::SocketType;
