//! The tokio runtime that runs the sockets' I/O, owned by the blocking API.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{Error, Result};

/// A runtime for blocking sockets: a tokio multi-thread runtime whose workers run every
/// connection's I/O, while the caller's thread waits on its own sends and receives.
/// Cheap to clone; the runtime stops when the last clone and the last socket made from it are
/// dropped. libzmq's `zmq::Context` plays the same part.
#[derive(Clone, Debug)]
pub struct Runtime {
    inner: Arc<tokio::runtime::Runtime>,
}

/// Workers of [`Runtime::new`] and of the default runtime. One: the caller's thread already
/// does half of the work (it polls its own send and receive futures), so on small machines a
/// second worker mostly adds wake-ups across cores (an expectation, not yet measured).
pub const DEFAULT_WORKERS: usize = 1;

impl Runtime {
    /// A runtime with [`DEFAULT_WORKERS`] I/O threads.
    pub fn new() -> Result<Runtime> {
        Runtime::with_workers(DEFAULT_WORKERS)
    }

    /// A runtime with `workers` I/O threads (at least one).
    pub fn with_workers(workers: usize) -> Result<Runtime> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .thread_name("zmtp-blocking-io")
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        Ok(Runtime {
            inner: Arc::new(runtime),
        })
    }

    /// The process-wide runtime that sockets made without one share, built on first use.
    pub fn global() -> Result<Runtime> {
        // A lock rather than racing builders: a losing builder would drop its runtime, which
        // tokio refuses on a runtime thread.
        static GLOBAL: Mutex<Option<Runtime>> = Mutex::new(None);
        let mut global = GLOBAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(runtime) = &*global {
            return Ok(runtime.clone());
        }
        let runtime = Runtime::new()?;
        *global = Some(runtime.clone());
        Ok(runtime)
    }

    /// The tokio handle, to run zmtp-tokio code on the same runtime.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        self.inner.handle()
    }

    /// Runs `make` inside the runtime's context (zmtp-tokio spawns its tasks from there).
    pub(crate) fn enter<T>(&self, make: impl FnOnce() -> T) -> T {
        let _guard = self.inner.enter();
        make()
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
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::InsideRuntime);
        }
        // The caller's thread polls the future itself (no hand-off to a worker and back),
        // while the workers drive the sockets and the timer.
        self.inner.block_on(async {
            match timeout {
                None => future.await,
                Some(limit) => tokio::time::timeout(limit, future)
                    .await
                    .unwrap_or(Err(Error::TimedOut)),
            }
        })
    }
}
