//! ZeroMQ sockets on tokio, speaking ZMTP 3.x through the sans-IO engine [`zmtp_core`].
#![forbid(unsafe_code)]

mod endpoint;
mod engine;
mod error;
mod monitor;
mod options;
mod socket;
mod transport;

pub use endpoint::{Endpoint, IntoEndpoint};
pub use error::{Error, Result, TrySendError};
pub use monitor::{DisconnectReason, Monitor, MonitorEvent};
pub use options::Options;
pub use socket::{Kind, Pub, Pull, Push, Rep, Req, Socket, Sub};
pub use zmtp_core::{ConnectionError, Message, SocketType};

/// A REQ socket: sends requests, receives replies.
pub type ReqSocket = Socket<Req>;
/// A REP socket: receives requests, sends replies.
pub type RepSocket = Socket<Rep>;
/// A PUB socket: publishes to subscribers.
pub type PubSocket = Socket<Pub>;
/// A SUB socket: receives what it subscribed to.
pub type SubSocket = Socket<Sub>;
/// A PUSH socket: sends down a pipeline.
pub type PushSocket = Socket<Push>;
/// A PULL socket: receives from a pipeline.
pub type PullSocket = Socket<Pull>;
