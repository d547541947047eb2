//! Blocking ZeroMQ sockets for programs without async: zmtp-tokio's eleven socket kinds,
//! options and semantics, with libzmq's send and receive timeouts and a poller, running their
//! I/O on a tokio runtime this crate owns. Pure Rust, no C library.
//!
//! ```
//! use std::time::Duration;
//! use zmtp_blocking::{Error, PullSocket, PushSocket};
//!
//! # fn main() -> zmtp_blocking::Result<()> {
//! let mut pull = PullSocket::new()?;
//! let endpoint = pull.bind("tcp://127.0.0.1:0")?;
//! let mut push = PushSocket::new()?;
//! push.connect(&endpoint)?;
//! push.send("job 1")?;
//! assert_eq!(pull.recv()?.frames()[0], "job 1");
//!
//! pull.set_recv_timeout(Some(Duration::from_millis(10))); // libzmq's ZMQ_RCVTIMEO
//! assert!(matches!(pull.recv(), Err(Error::TimedOut)));
//! # Ok(()) }
//! ```
//!
//! # How it runs
//!
//! A [`Runtime`] (libzmq's context) owns a tokio runtime that runs the connections; sockets
//! made without one share a global runtime built on first use. `send` and `recv` first try
//! without waiting; a call that must wait runs the sockets' connections on the caller's own
//! thread, inside the future it waits on, so that a request and its reply never change
//! threads (a thread wake-up costs more than a loopback round trip) and a connection that
//! reads the answer completes the wait in the same step. A REQ or REP `send` writes its
//! message before it returns (or hands it to the thread that drives, if another does). While
//! no caller waits, a background thread drives the
//! connections (heartbeats, reading ahead, reconnects, lingering closes): within about 0.2 ms
//! when a caller left something for them to do, and within about 10 ms otherwise. A message of
//! the other kinds queued without waiting is written at once by a short turn on the caller's
//! thread, except one sent within 50 µs of the last turn, which goes with the next turn, wait
//! or background drive (within about 0.2 ms). [`Runtime::with_workers`] puts the I/O on worker
//! threads instead.
//!
//! Called on a thread that runs a tokio runtime, a call that would wait fails with
//! [`Error::InsideRuntime`] instead of blocking (or panicking) that runtime: async code should
//! use zmtp-tokio directly.
//!
//! # Timeouts
//!
//! [`Socket::set_send_timeout`] and [`Socket::set_recv_timeout`] are libzmq's `ZMQ_SNDTIMEO`
//! and `ZMQ_RCVTIMEO`: `None` (the default) waits for ever, `Some(Duration::ZERO)` never
//! waits and fails with [`Error::WouldBlock`], and any other value fails with
//! [`Error::TimedOut`] once it has passed ([`Error::is_again`] covers both, as `EAGAIN`).
//!
//! # Polling
//!
//! [`Poller`] waits until any of several sockets can be received from (zmq_poll with
//! `ZMQ_POLLIN`; there is no `ZMQ_POLLOUT`: zmtp-tokio cannot tell whether a send would wait
//! without sending, so use a send timeout of zero instead).

mod driven;
mod error;
mod inline;
mod owned_runtime;
mod poller;
mod runtime;
mod socket;
mod typed;

pub use error::{Error, Result};
pub use poller::Poller;
pub use runtime::{Runtime, DEFAULT_WORKERS};
pub use socket::Socket;
pub use typed::{
    DealerSocket, PairSocket, PubSocket, PullSocket, PushSocket, RepSocket, ReqSocket,
    RouterSocket, SubSocket, XPubSocket, XSubSocket,
};
pub use zmtp_tokio::{Bytes, CloseReport, Endpoint, Message, Monitor, Options, SocketType};

/// `mutex`'s lock, even if a thread panicked holding it: what this crate keeps behind locks
/// (task lists, the global runtime, a thread handle) stays valid whatever happened.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
