//! The worker: serves requests a [`Broker`](crate::Broker) hands it, over a DEALER socket.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use zmtp_tokio::{DealerSocket, IntoEndpoint};

use crate::background::Background;
use crate::error::Result;
use crate::heartbeat::Heartbeat;
use crate::report::ShutdownReport;
use crate::request::{HandlerError, Request};
use crate::stats::{ServerCounters, ServerStats};
use crate::telemetry::Role;
use crate::worker_loop::{self, Settings};

/// Answers the requests a [`Broker`](crate::Broker) dispatches to it, with the same handlers
/// as a [`Server`](crate::Server).
///
/// It says READY when it starts, heartbeats the broker, and runs each request it is given in
/// a task of its own, stopped at the request's deadline; the broker decides how many run at
/// once ([`Broker::max_per_worker`](crate::Broker::max_per_worker)). When the broker is silent
/// for the heartbeat liveness, it says READY again, so that a restarted broker, or one that
/// declared it dead, takes it back.
#[derive(Debug)]
pub struct Worker {
    socket: DealerSocket,
    settings: Settings,
}

impl Worker {
    /// A worker on `socket`, connected (or to be connected) to a broker's backend by the
    /// caller.
    pub fn new(socket: DealerSocket) -> Worker {
        Worker {
            socket,
            settings: Settings {
                heartbeat: Heartbeat::default(),
                grace: Duration::from_secs(5),
                linger: Duration::from_secs(1),
            },
        }
    }

    /// A worker on a new DEALER socket connected to the broker's backend at `endpoint`.
    pub fn connect(endpoint: impl IntoEndpoint) -> Result<Worker> {
        let socket = DealerSocket::new();
        socket.connect(endpoint)?;
        Ok(Worker::new(socket))
    }

    /// A heartbeat to the broker every `interval`; the broker is taken as gone after
    /// `liveness` intervals of silence (1 s and 3 unless set; give the broker the same).
    pub fn heartbeat(mut self, interval: Duration, liveness: u32) -> Worker {
        self.settings.heartbeat = Heartbeat::new(interval, liveness);
        self
    }

    /// How long [`Working::shutdown`] waits for running handlers (5 s unless set).
    pub fn shutdown_grace(mut self, grace: Duration) -> Worker {
        self.settings.grace = grace;
        self
    }

    /// How long [`Working::shutdown`] waits for the last replies to be written (1 s unless
    /// set).
    pub fn linger(mut self, linger: Duration) -> Worker {
        self.settings.linger = linger;
        self
    }

    /// Starts serving with `handler`, in a task of its own (so inside a tokio runtime). The
    /// handler is the one [`Server::serve`](crate::Server::serve) takes; behind a broker,
    /// [`Request::peer`] is empty (the worker never sees the client's route).
    pub fn serve<H, F>(self, handler: H) -> Working
    where
        H: Fn(Request) -> F + Send + Sync + 'static,
        F: Future<Output = Result<Bytes, HandlerError>> + Send + 'static,
    {
        let counters = Arc::new(ServerCounters::new(Role::Worker));
        let loop_counters = Arc::clone(&counters);
        let task = Background::spawn(|stopped| {
            worker_loop::run(
                self.socket,
                self.settings,
                Arc::new(handler),
                stopped,
                loop_counters,
            )
        });
        Working { task, counters }
    }
}

/// A running [`Worker`]. Dropping it without [`shutdown`](Self::shutdown) stops the worker at
/// once, abandoning its running handlers (the broker finds out by the missing heartbeats).
#[derive(Debug)]
pub struct Working {
    task: Background<ShutdownReport>,
    counters: Arc<ServerCounters>,
}

impl Working {
    /// The worker's counters now.
    pub fn stats(&self) -> ServerStats {
        self.counters.snapshot()
    }

    /// Stops reading requests, lets the running handlers finish (within the grace period),
    /// sends their replies, tells the broker it leaves (it settles what was not answered),
    /// closes the socket (within the linger) and says what was left unanswered.
    pub async fn shutdown(self) -> ShutdownReport {
        self.task.stop().await
    }
}
