//! The broker: one endpoint for clients, many workers behind it (the zguide's load-balancing
//! pattern, with heartbeats).

use std::sync::Arc;
use std::time::Duration;

use zmtp_tokio::{CloseReport, RouterSocket};

use crate::background::Background;
use crate::broker_loop::{self, Settings};
use crate::heartbeat::Heartbeat;
use crate::report::Unanswered;
use crate::stats::{BrokerCounters, BrokerStats};

/// Spreads requests over [`Worker`](crate::Worker)s.
///
/// Clients connect to the frontend ROUTER as to a [`Server`](crate::Server): same frames, the
/// same [`Client`](crate::Client). Workers connect to the backend ROUTER, say they are ready,
/// and get requests least recently used first, at most
/// [`max_per_worker`](Self::max_per_worker) at a time each. Broker and workers heartbeat
/// each other: a worker silent for the [heartbeat](Self::heartbeat) liveness is declared dead,
/// its idempotent requests go to another worker (three workers at most: a request lost with a
/// third is answered as lost, so that one that kills every worker it reaches cannot take them
/// all down), and the others are answered
/// [`Error::WorkerLost`](crate::Error::WorkerLost) at once, never run twice. A request whose
/// deadline passes while queued is answered "deadline exceeded" and never run.
#[derive(Debug)]
pub struct Broker {
    frontend: RouterSocket,
    backend: RouterSocket,
    settings: Settings,
}

impl Broker {
    /// A broker between `frontend` (for clients) and `backend` (for workers), both bound or
    /// connected by the caller.
    pub fn new(frontend: RouterSocket, backend: RouterSocket) -> Broker {
        Broker {
            frontend,
            backend,
            settings: Settings {
                per_worker: 1,
                max_queued: 1024,
                heartbeat: Heartbeat::default(),
                grace: Duration::from_secs(5),
                linger: Duration::from_secs(1),
            },
        }
    }

    /// At most `requests` dispatched to one worker and not yet answered (at least one; one
    /// unless set, as in the zguide). A worker runs what it is given at once, so this is its
    /// concurrency.
    pub fn max_per_worker(mut self, requests: usize) -> Broker {
        self.settings.per_worker = requests.max(1);
        self
    }

    /// At most `requests` waiting for a worker (1024 unless set); beyond it the broker stops
    /// reading clients, who then wait on the sockets' high-water marks.
    pub fn max_queued(mut self, requests: usize) -> Broker {
        self.settings.max_queued = requests.max(1);
        self
    }

    /// A heartbeat to each worker every `interval`; a worker silent for `liveness` intervals
    /// is declared dead (1 s and 3 unless set). Give [`Worker::heartbeat`](crate::Worker::heartbeat)
    /// the same values.
    pub fn heartbeat(mut self, interval: Duration, liveness: u32) -> Broker {
        self.settings.heartbeat = Heartbeat::new(interval, liveness);
        self
    }

    /// How long [`Brokering::shutdown`] waits for queued and running requests to be answered
    /// (5 s unless set).
    pub fn shutdown_grace(mut self, grace: Duration) -> Broker {
        self.settings.grace = grace;
        self
    }

    /// How long [`Brokering::shutdown`] waits for the last messages to be written (1 s unless
    /// set).
    pub fn linger(mut self, linger: Duration) -> Broker {
        self.settings.linger = linger;
        self
    }

    /// Starts brokering in a task of its own (so inside a tokio runtime).
    pub fn start(self) -> Brokering {
        let counters = Arc::new(BrokerCounters::new());
        let loop_counters = Arc::clone(&counters);
        let task = Background::spawn(|stopped| {
            broker_loop::run(
                self.frontend,
                self.backend,
                self.settings,
                stopped,
                loop_counters,
            )
        });
        Brokering { task, counters }
    }
}

/// A running [`Broker`]. Dropping it without [`shutdown`](Self::shutdown) stops the broker at
/// once.
#[derive(Debug)]
pub struct Brokering {
    task: Background<BrokerReport>,
    counters: Arc<BrokerCounters>,
}

impl Brokering {
    /// The broker's counters now.
    pub fn stats(&self) -> BrokerStats {
        self.counters.snapshot()
    }

    /// Stops reading clients, keeps dispatching what is queued and passing on replies until
    /// nothing is left or the grace period ends, closes both sockets (within the linger), and
    /// says what was left unanswered.
    pub async fn shutdown(self) -> BrokerReport {
        self.task.stop().await
    }
}

/// The outcome of [`Brokering::shutdown`].
#[derive(Debug)]
#[non_exhaustive]
pub struct BrokerReport {
    /// Requests that got no reply: still queued ([`Reason::NotTaken`](crate::Reason)) or
    /// running on a worker when the grace period ended ([`Reason::GraceExpired`](crate::Reason)).
    pub unanswered: Vec<Unanswered>,
    /// Replies to clients not written when the frontend's linger ran out.
    pub frontend: CloseReport,
    /// Messages to workers not written when the backend's linger ran out.
    pub backend: CloseReport,
    /// The broker's counters at the end.
    pub stats: BrokerStats,
}

impl BrokerReport {
    /// Whether every request read was answered and every message flushed.
    pub fn is_complete(&self) -> bool {
        self.unanswered.is_empty() && self.frontend.is_complete() && self.backend.is_complete()
    }
}
