//! The tokio runtime that runs the sockets' I/O, owned by the blocking API.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::driven::Driven;
use crate::owned_runtime::OwnedRuntime;
use crate::{Error, Result};

/// A runtime for blocking sockets; libzmq's `zmq::Context` plays the same part. Cheap to
/// clone; the runtime stops when the last clone and the last socket made from it are dropped.
///
/// By default ([`Runtime::new`], and the global runtime) the sockets' I/O runs on the threads
/// that wait in `send`, `recv` or a poll, so that a request and its reply never cross threads,
/// and on a background thread while none waits (heartbeats, reading ahead up to the
/// high-water mark, reconnects, lingering closes). [`Runtime::with_workers`] puts the I/O on
/// worker threads instead.
#[derive(Clone, Debug)]
pub struct Runtime {
    inner: Arc<Kind>,
}

#[derive(Debug)]
enum Kind {
    /// Driven by its waiting callers, and a background thread while none waits.
    Driven(Driven),
    /// A multi-thread runtime whose workers run the I/O.
    Workers(OwnedRuntime),
}

/// Whether this thread runs a tokio runtime (async code), where tokio refuses to block on or
/// drop one: blocking calls there return [`Error::InsideRuntime`], and what would only have
/// helped (a nudge, a scheduler entry) is skipped.
pub(crate) fn inside_async_code() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}

/// The I/O worker threads of [`Runtime::new`] and of the default runtime: none, the waiting
/// callers drive the I/O (and a background thread while none waits). Measured against one
/// worker in `bench/results/blocking-driven-2026-12-06`.
pub const DEFAULT_WORKERS: usize = 0;

impl Runtime {
    /// A runtime driven by its callers ([`DEFAULT_WORKERS`]).
    pub fn new() -> Result<Runtime> {
        Runtime::with_workers(DEFAULT_WORKERS)
    }

    /// A runtime with `workers` I/O threads; 0 for one driven by its callers.
    pub fn with_workers(workers: usize) -> Result<Runtime> {
        let kind = if workers == 0 {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(Error::Runtime)?;
            Kind::Driven(Driven::new(runtime).map_err(Error::Runtime)?)
        } else {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .thread_name("zmtp-blocking-io")
                .enable_all()
                .build()
                .map_err(Error::Runtime)?;
            Kind::Workers(OwnedRuntime::new(runtime))
        };
        Ok(Runtime {
            inner: Arc::new(kind),
        })
    }

    /// The process-wide runtime that sockets made without one share, built on first use.
    pub fn global() -> Result<Runtime> {
        // A lock rather than racing builders: a losing builder would drop its runtime, which
        // tokio refuses on a runtime thread.
        static GLOBAL: Mutex<Option<Runtime>> = Mutex::new(None);
        let mut global = crate::lock(&GLOBAL);
        if let Some(runtime) = &*global {
            return Ok(runtime.clone());
        }
        let runtime = Runtime::new()?;
        *global = Some(runtime.clone());
        Ok(runtime)
    }

    fn tokio(&self) -> &tokio::runtime::Runtime {
        match &*self.inner {
            Kind::Driven(driven) => driven.runtime(),
            Kind::Workers(runtime) => runtime,
        }
    }

    /// The tokio handle, to run zmtp-tokio code on the same runtime. On a runtime driven by
    /// its callers, tasks spawned there run while a caller waits or the background thread
    /// drives.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        self.tokio().handle()
    }

    /// `options` with this runtime's executor, unless they name one: on a runtime driven by its
    /// callers, the sockets' tasks run inside the calls that wait (see `inline.rs`).
    pub(crate) fn options(&self, options: zmtp_tokio::Options) -> zmtp_tokio::Options {
        match &*self.inner {
            Kind::Driven(driven) if options.executor.is_none() => {
                options.executor(driven.executor())
            }
            _ => options,
        }
    }

    /// Runs `make` inside the runtime's context (zmtp-tokio spawns its tasks from there).
    pub(crate) fn enter<T>(&self, make: impl FnOnce() -> T) -> T {
        let _guard = self.tokio().enter();
        make()
    }

    /// Whether the sockets' tasks run inside the calls that wait (a runtime driven by its
    /// callers, see `inline.rs`): a task a call wakes without waiting then runs when the next
    /// call waits (or a nudge, or the background thread, turns the runtime).
    pub(crate) fn runs_tasks_inline(&self) -> bool {
        matches!(&*self.inner, Kind::Driven(_))
    }

    /// Queues with `send` a message that must go at once (see `Driven::send_now`).
    pub(crate) fn send_now<T>(&self, send: impl FnOnce() -> T) -> T {
        match &*self.inner {
            Kind::Driven(driven) => driven.send_now(send),
            Kind::Workers(_) => send(),
        }
    }

    /// After something was queued without waiting: on a runtime driven by its callers, makes
    /// sure it is written soon (see `Driven::nudge`).
    pub(crate) fn nudge(&self) {
        if let Kind::Driven(driven) = &*self.inner {
            driven.nudge();
        }
    }

    /// Waits on the caller's thread for `future`, for at most `timeout` (None: for ever;
    /// zero: the caller has already tried once, so [`Error::WouldBlock`] at once).
    pub(crate) fn wait<T>(
        &self,
        timeout: Option<Duration>,
        future: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        if timeout == Some(Duration::ZERO) {
            return Err(Error::WouldBlock);
        }
        if inside_async_code() {
            return Err(Error::InsideRuntime);
        }
        // The caller's thread polls the future itself (no hand-off to a worker and back);
        // on a driven runtime it runs the sockets' tasks meanwhile too.
        let limited = async {
            match timeout {
                None => future.await,
                Some(limit) => tokio::time::timeout(limit, future)
                    .await
                    .unwrap_or(Err(Error::TimedOut)),
            }
        };
        match &*self.inner {
            Kind::Driven(driven) => driven.block_on(limited),
            Kind::Workers(runtime) => runtime.block_on(limited),
        }
    }
}
