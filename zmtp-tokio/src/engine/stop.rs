//! How an endpoint's tasks learn that it stopped (unbind, disconnect, or the socket closing).
//!
//! A cancellation token wakes them; a flag beside it lets a connection check without the
//! token's lock. A connection registers with the token once and afterwards reads the flag and
//! the socket's closing flag on each poll: with thousands of connections the token's lock,
//! taken on every poll, was the server's top cost.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Context;

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

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

/// A connection's view of its endpoint's stop: the flags, read on each poll, and the token's
/// future, polled once to register the task to be woken.
#[derive(Debug)]
pub(crate) struct StopWatch {
    signal: StopSignal,
    woken: Pin<Box<WaitForCancellationFutureOwned>>,
    registered: bool,
}

impl StopWatch {
    pub(crate) fn new(signal: StopSignal) -> StopWatch {
        StopWatch {
            woken: Box::pin(signal.token.clone().cancelled_owned()),
            signal,
            registered: false,
        }
    }

    /// Whether the endpoint stopped or the socket (`closing`) is closing, from the flags alone
    /// (for code that is not the task).
    pub(crate) fn fired(&self, closing: bool) -> bool {
        closing || self.signal.is_stopped()
    }

    /// Whether the endpoint stopped or the socket (`closing`) is closing. After the first
    /// call only the flags are read: the task stays registered with the token, and a stop sets
    /// the flags before it wakes the task.
    pub(crate) fn requested(&mut self, closing: bool, cx: &mut Context<'_>) -> bool {
        if closing || self.signal.is_stopped() {
            return true;
        }
        if !self.registered {
            self.registered = true;
            return self.woken.as_mut().poll(cx).is_ready();
        }
        false
    }
}
