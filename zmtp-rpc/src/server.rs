//! The server: a ROUTER socket, a handler, and a bound on the requests it runs at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use zmtp_tokio::RouterSocket;

use crate::background::Background;
use crate::report::ShutdownReport;
use crate::request::{HandlerError, Request};
use crate::serve_loop::{self, Settings};
use crate::stats::{ServerCounters, ServerStats};
use crate::telemetry::Role;

/// Answers requests arriving on a ROUTER socket with a handler.
///
/// At most [`max_in_flight`](Self::max_in_flight) handlers run at once; when that many run,
/// the server stops reading, so requests queue in the ROUTER up to its receive high-water
/// mark, then in the connections, then in the clients' DEALERs, whose sends finally wait:
/// backpressure reaches the callers instead of piling up in memory here.
#[derive(Debug)]
pub struct Server {
    socket: RouterSocket,
    settings: Settings,
}

impl Server {
    /// A server on `socket`, bound or connected by the caller.
    pub fn new(socket: RouterSocket) -> Server {
        Server {
            socket,
            settings: Settings {
                max_in_flight: 64,
                grace: Duration::from_secs(5),
                linger: Duration::from_secs(1),
            },
        }
    }

    /// At most `handlers` requests run at once (at least one; 64 unless set).
    pub fn max_in_flight(mut self, handlers: usize) -> Server {
        self.settings.max_in_flight = handlers.max(1);
        self
    }

    /// How long [`Serving::shutdown`] waits for running handlers before stopping them (5 s
    /// unless set).
    pub fn shutdown_grace(mut self, grace: Duration) -> Server {
        self.settings.grace = grace;
        self
    }

    /// How long [`Serving::shutdown`] waits for the last replies to be written (1 s unless
    /// set).
    pub fn linger(mut self, linger: Duration) -> Server {
        self.settings.linger = linger;
        self
    }

    /// Starts answering requests with `handler`, in a task of its own (so inside a tokio
    /// runtime). Each request runs in a task of its own too, stopped at the request's
    /// deadline.
    ///
    /// The handler's `Ok` body is the answer; [`HandlerError`] says the call failed or the
    /// method is unknown. Requests whose deadline passed before they were read are dropped
    /// without running.
    pub fn serve<H, F>(self, handler: H) -> Serving
    where
        H: Fn(Request) -> F + Send + Sync + 'static,
        F: Future<Output = Result<Bytes, HandlerError>> + Send + 'static,
    {
        let counters = Arc::new(ServerCounters::new(Role::Server));
        let loop_counters = Arc::clone(&counters);
        let task = Background::spawn(|stopped| {
            serve_loop::run(
                self.socket,
                self.settings,
                Arc::new(handler),
                stopped,
                loop_counters,
            )
        });
        Serving { task, counters }
    }
}

/// A running [`Server`]. Dropping it without [`shutdown`](Self::shutdown) stops the server at
/// once, abandoning the handlers that run.
#[derive(Debug)]
pub struct Serving {
    task: Background<ShutdownReport>,
    counters: Arc<ServerCounters>,
}

impl Serving {
    /// The server's counters now.
    pub fn stats(&self) -> ServerStats {
        self.counters.snapshot()
    }

    /// Stops taking requests, lets the running handlers finish (within the grace period),
    /// writes their replies (within the linger), closes the socket, and says what was left
    /// unanswered.
    pub async fn shutdown(self) -> ShutdownReport {
        self.task.stop().await
    }
}
