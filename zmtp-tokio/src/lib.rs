//! ZeroMQ sockets on tokio, built on the sans-IO protocol engine in [`zmtp_core`].
//!
//! The socket types arrive with the next milestone; this crate currently re-exports the
//! protocol types it will be built on.
#![forbid(unsafe_code)]

pub use zmtp_core::{Message, SocketType};
