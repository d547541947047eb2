//! How many encoded bytes a connection may hold ahead of its transport, shared by the socket's
//! connections.
//!
//! A connection takes messages from its queue and encodes them ahead of the socket's writes,
//! so that many small messages leave in one large write. One connection alone gets
//! [`SHARE_MAX`] for that (what the throughput of a single peer needs); a socket with many
//! connections shares [`SOCKET_BUDGET`] among them, down to [`SHARE_MIN`] each, so that a
//! publisher with a thousand subscribers does not hold a quarter of a mebibyte of encoded
//! copies for each (libzmq encodes 8 KiB ahead per connection).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::SocketContext;

/// Encoded bytes one connection may hold when it is alone or one of a few.
pub(crate) const SHARE_MAX: usize = 256 * 1024;
/// The least a connection gets, however many there are: still hundreds of small messages per
/// write.
pub(crate) const SHARE_MIN: usize = 16 * 1024;
/// What a socket's connections share: up to 16 connections get [`SHARE_MAX`] each.
pub(crate) const SOCKET_BUDGET: usize = 16 * SHARE_MAX;

/// The socket's count of connections that send (those whose handshake completed).
#[derive(Debug, Default)]
pub(crate) struct OutboxBudget {
    connections: AtomicUsize,
}

impl OutboxBudget {
    /// This connection's share now (read once per batch it takes).
    pub(crate) fn share(&self) -> usize {
        let connections = self.connections.load(Ordering::Relaxed).max(1);
        (SOCKET_BUDGET / connections).clamp(SHARE_MIN, SHARE_MAX)
    }
}

/// A connection counted in its socket's budget while this lives.
#[derive(Debug)]
pub(crate) struct Counted(Arc<SocketContext>);

impl Counted {
    pub(crate) fn new(context: &Arc<SocketContext>) -> Counted {
        context.outbox.connections.fetch_add(1, Ordering::Relaxed);
        Counted(Arc::clone(context))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.outbox.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_connections_get_the_most_many_share_down_to_the_least() {
        let budget = OutboxBudget::default();
        let with = |n: usize| {
            budget.connections.store(n, Ordering::Relaxed);
            budget.share()
        };
        assert_eq!(with(0), SHARE_MAX);
        assert_eq!(with(1), SHARE_MAX);
        assert_eq!(with(16), SHARE_MAX);
        assert_eq!(with(64), SOCKET_BUDGET / 64);
        assert_eq!(with(1000), SHARE_MIN);
    }
}
