//! What a socket and all of its tasks share below the pipes: its type and options, the monitor
//! hub, the task tracker and shutdown token, its endpoints, and what closing could not deliver.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use zmtp_core::SocketType;

use super::outbox::OutboxBudget;
use super::stop::StopSignal;
use crate::close_report::{CloseReport, Undelivered};
use crate::endpoint::Endpoint;
use crate::monitor::MonitorHub;
use crate::options::Options;

#[derive(Debug)]
pub(crate) struct SocketContext {
    pub(crate) socket_type: SocketType,
    pub(crate) options: Options,
    pub(crate) monitor: MonitorHub,
    pub(crate) tasks: TaskTracker,
    /// The encoded bytes its connections may hold ahead of their transports.
    pub(crate) outbox: OutboxBudget,
    shutdown: CancellationToken,
    closing: AtomicBool,
    endpoints: Mutex<Vec<EndpointEntry>>,
    /// When the socket's tasks stop trying to deliver: the linger time after the close (`None`
    /// inside: never). Set once, when the socket closes.
    linger_deadline: OnceLock<Option<Instant>>,
    /// What the tasks of the closed socket could not deliver, one entry per peer.
    undelivered: Mutex<Vec<Undelivered>>,
}

/// A bound or connected endpoint and how to stop its tasks.
#[derive(Debug)]
pub(crate) struct EndpointEntry {
    /// As the application wrote it (`tcp://127.0.0.1:0`).
    pub(crate) requested: Endpoint,
    /// As it really is (`tcp://127.0.0.1:41234`).
    pub(crate) actual: Endpoint,
    pub(crate) stop: StopSignal,
}

impl SocketContext {
    pub(crate) fn new(socket_type: SocketType, options: Options) -> SocketContext {
        SocketContext {
            socket_type,
            options,
            monitor: MonitorHub::new(socket_type),
            tasks: TaskTracker::new(),
            outbox: OutboxBudget::default(),
            shutdown: CancellationToken::new(),
            closing: AtomicBool::new(false),
            endpoints: Mutex::new(Vec::new()),
            linger_deadline: OnceLock::new(),
            undelivered: Mutex::new(Vec::new()),
        }
    }

    /// Runs `task` as one of the socket's tasks (tracked for the close), on the options'
    /// executor or tokio's.
    pub(crate) fn spawn<T: Send + 'static>(&self, task: impl Future<Output = T> + Send + 'static) {
        match &self.options.executor {
            Some(executor) => executor.spawn(Box::pin(self.tasks.track_future(async {
                task.await;
            }))),
            None => {
                self.tasks.spawn(task);
            }
        }
    }

    /// An endpoint's stop signal: fired by itself, or when the socket closes.
    pub(crate) fn endpoint_stop(&self) -> StopSignal {
        StopSignal::child_of(&self.shutdown)
    }

    /// Whether the socket is closing (its tasks then deliver within linger, and end).
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Starts closing: fixes the linger deadline, then tells every task.
    pub(crate) fn begin_close(&self) {
        self.linger_deadline();
        self.closing.store(true, Ordering::Release);
        self.shutdown.cancel();
        self.tasks.close();
    }

    /// When the tasks of the closed socket give up delivering (`None`: never). The linger time
    /// counts from the first call, made when the socket closes.
    pub(crate) fn linger_deadline(&self) -> Option<Instant> {
        *self
            .linger_deadline
            .get_or_init(|| self.options.linger.map(|linger| Instant::now() + linger))
    }

    /// A task of the closed socket ends with something it could not deliver.
    pub(crate) fn report_undelivered(&self, undelivered: Undelivered) {
        if !undelivered.is_empty() {
            lock(&self.undelivered).push(undelivered);
        }
    }

    /// What was not delivered, as far as the tasks have said.
    pub(crate) fn close_report(&self, stopped_waiting: bool) -> CloseReport {
        CloseReport::new(lock(&self.undelivered).clone(), stopped_waiting)
    }

    pub(crate) fn endpoints(&self) -> MutexGuard<'_, Vec<EndpointEntry>> {
        lock(&self.endpoints)
    }
}

/// A poisoned lock is recovered: what these locks guard stays consistent between statements,
/// and a panicking application thread must not take the socket's tasks down with it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
