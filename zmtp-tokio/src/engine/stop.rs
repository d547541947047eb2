//! How an endpoint's tasks learn that it stopped (unbind, disconnect, or the socket closing).
//!
//! A cancellation token wakes them; a flag beside it lets a connection check without the
//! token's lock. A connection registers with the token once and afterwards reads the flag and
//! the socket's closing flag on each poll: with thousands of connections the token's lock,
//! taken on every poll, was the server's top cost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

/// One endpoint's stop: cancelled by [`stop`](Self::stop), or with the socket's token.
#[derive(Debug, Clone)]
pub(crate) struct StopSignal {
    token: CancellationToken,
    stopped: Arc<AtomicBool>,
}

impl StopSignal {
    /// A signal that also fires when `parent` (the socket's token) is cancelled; the socket
    /// sets its own closing flag before that.
    pub(crate) fn child_of(parent: &CancellationToken) -> StopSignal {
        StopSignal {
            token: parent.child_token(),
            stopped: Arc::default(),
        }
    }

    /// Stops the endpoint: the flag first, so that a task the token wakes sees it.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        self.token.cancel();
    }

    /// Whether [`stop`](Self::stop) was called (not whether the socket closed: see
    /// `SocketContext::is_closing`).
    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// The token, for the endpoint's own tasks, which wait on it.
    pub(crate) fn token(&self) -> &CancellationToken {
        &self.token
    }
}
