//! A runtime driven by the threads that wait on it: the default of the blocking API.
//!
//! With I/O on a worker thread, every blocking call pays for two wake-ups across threads (the
//! caller wakes the worker to write, the worker wakes the caller when the answer is read), a
//! few microseconds each: more than a loopback round trip of zmtp itself. Here a caller that
//! has to wait runs the sockets' tasks on its own thread while it waits (tokio's
//! current-thread runtime, entered with `block_on`), so a request and its reply never change
//! threads, as in async code; and the sockets' tasks run inside the future the call waits on
//! (`inline.rs`), so that a connection that reads the answer completes the wait in the same
//! poll.
//!
//! While no caller waits, a background thread drives the runtime instead (heartbeats, reads
//! into the receive queues up to the high-water mark, reconnects, lingering closes), and lets
//! go as soon as a caller comes to wait. It takes over only after callers have been away for
//! a quiet period, so that a program calling in a tight loop never hands the runtime back and
//! forth: [`QUIET`] when a caller left a task for a driver to run, [`IDLE`] otherwise, so that
//! a loop of calls that leaves nothing behind (REQ and REP, whose sends write at once:
//! [`Driven::send_now`]) costs it a wake-up every few milliseconds, not every 0.2 ms (each one
//! a stall of the caller's core). A message a caller queued without waiting is written at once
//! by a short turn of the runtime on the caller's thread when nobody drives it
//! ([`Driven::nudge`]).

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use zmtp_tokio::Executor;

use crate::inline::Inline;
use crate::owned_runtime::OwnedRuntime;

/// How long callers must have been away before the background thread drives: long enough
/// that a loop of sends and receives never loses the runtime to it, short next to any
/// heartbeat or timeout a socket keeps.
const QUIET: Duration = Duration::from_micros(200);

/// How long the background thread stays parked while callers drive and leave no task
/// waiting for a driver: what bounds the delay of heartbeats, timers and reading ahead once
/// callers go away without leaving anything queued.
const IDLE: Duration = Duration::from_millis(5);

/// A caller's nudge turns the runtime only if nothing has driven it for this long: messages
/// queued faster than that are written together by the next turn (or wait).
const NUDGE_GAP: Duration = Duration::from_micros(50);

/// The runtime and what its drivers share.
#[derive(Debug)]
struct Shared {
    runtime: OwnedRuntime,
    /// Callers inside [`Driven::block_on`]: they drive (or wait for their turn to).
    callers: AtomicUsize,
    /// Nanoseconds since `epoch` when a caller last stopped driving: how the background
    /// thread tells a quiet period from a busy caller that happens to be between two calls,
    /// and a nudge a runtime turned a moment ago.
    last_turn: AtomicU64,
    epoch: Instant,
    /// Whether the background thread is driving now.
    background: AtomicBool,
    /// Wakes the background thread's drive so that it lets go of the runtime.
    release: Notify,
    stop: AtomicBool,
    /// The sockets' tasks, run by whoever drives.
    inline: Arc<Inline>,
}

impl Shared {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn turned(&self) {
        // Never the value it had: a coarse clock must not hide a turn from the quiet check.
        let previous = self.last_turn.load(Ordering::Relaxed);
        self.last_turn
            .store(self.now().max(previous + 1), Ordering::Release);
    }

    /// The background thread: drives while no caller does, after a quiet period.
    fn background(&self) {
        while !self.stop.load(Ordering::SeqCst) {
            if !self.quiet() {
                continue;
            }
            self.background.store(true, Ordering::SeqCst);
            self.runtime.block_on(self.inline.drive(async {
                loop {
                    let notified = self.release.notified();
                    tokio::pin!(notified);
                    // Registered before the check, so a caller arriving after it wakes us.
                    notified.as_mut().enable();
                    if self.callers.load(Ordering::SeqCst) > 0 || self.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    notified.await;
                }
            }));
            self.background.store(false, Ordering::SeqCst);
        }
    }

    /// Waits a quiet period (a long one while no task waits for a driver); whether no caller
    /// drove during it and none drives now.
    fn quiet(&self) -> bool {
        let before = self.last_turn.load(Ordering::Acquire);
        // Parked rather than asleep, so that dropping the runtime wakes it at once.
        self.inline.park_background(QUIET, IDLE);
        self.callers.load(Ordering::SeqCst) == 0 && self.last_turn.load(Ordering::Acquire) == before
    }
}

/// A current-thread tokio runtime driven by its waiting callers, and by a background thread
/// while none waits. Dropping the last handle stops the background thread.
#[derive(Debug)]
pub(crate) struct Driven {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Driven {
    pub(crate) fn new(runtime: tokio::runtime::Runtime) -> std::io::Result<Driven> {
        let shared = Arc::new(Shared {
            runtime: OwnedRuntime::new(runtime),
            callers: AtomicUsize::new(0),
            last_turn: AtomicU64::new(0),
            epoch: Instant::now(),
            background: AtomicBool::new(false),
            release: Notify::new(),
            stop: AtomicBool::new(false),
            inline: Inline::new(),
        });
        let background = Arc::clone(&shared);
        let (learnt, scheduler_known) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("zmtp-blocking-io".into())
            .spawn(move || {
                // On this thread, which is never inside async code, before anyone drives.
                background.inline.learn_scheduler(&background.runtime);
                let _ = learnt.send(());
                background.background();
            })?;
        // A short wait, and no tokio call: safe inside async code too.
        let _ = scheduler_known.recv();
        Ok(Driven {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    pub(crate) fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.shared.runtime
    }

    /// Where the sockets made on this runtime run their tasks.
    pub(crate) fn executor(&self) -> Arc<dyn Executor> {
        Arc::clone(&self.shared.inline) as Arc<dyn Executor>
    }

    /// Runs `future` to completion on this thread, driving the runtime meanwhile (once the
    /// background thread or another caller lets go of it).
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        let shared = &self.shared;
        shared.callers.fetch_add(1, Ordering::SeqCst);
        // Only the background thread ever waits on `release`, and it raises its flag before
        // it checks `callers`: if we do not see the flag, it will see us (both SeqCst).
        if shared.background.load(Ordering::SeqCst) {
            shared.release.notify_waiters();
        }
        let output = shared.runtime.block_on(shared.inline.drive(future));
        shared.callers.fetch_sub(1, Ordering::SeqCst);
        shared.turned();
        output
    }

    /// Queues with `send` what must be written at once (a request or a reply) and, if nobody
    /// drives the runtime, runs the connection on this thread now, without a turn of the
    /// runtime (its I/O driver and timers wait for the call that follows): the message is
    /// written before the call returns, and nothing is left for the background thread.
    pub(crate) fn send_now<T>(&self, send: impl FnOnce() -> T) -> T {
        let shared = &self.shared;
        // Whoever drives runs the connection (it is told as usual).
        if shared.callers.load(Ordering::SeqCst) > 0
            || shared.background.load(Ordering::SeqCst)
            || crate::runtime::inside_async_code()
        {
            return send();
        }
        // The runtime's context, for what the tasks create (timers, tasks of their own).
        let _context = shared.runtime.enter();
        shared.inline.run_now(send)
    }

    /// After a caller queued something without waiting: if nobody drives the runtime and
    /// nobody has for a moment, one turn of it on this thread, so that the message is written
    /// now rather than when the background thread next takes over.
    pub(crate) fn nudge(&self) {
        let shared = &self.shared;
        if shared.callers.load(Ordering::SeqCst) > 0 || shared.background.load(Ordering::SeqCst) {
            return;
        }
        let since = shared
            .now()
            .saturating_sub(shared.last_turn.load(Ordering::Relaxed));
        // Inside async code tokio refuses to block (the message is written on the next turn).
        if since < NUDGE_GAP.as_nanos() as u64 || crate::runtime::inside_async_code() {
            return;
        }
        self.block_on(tokio::task::yield_now());
    }
}

impl Drop for Driven {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.release.notify_waiters();
        let thread = crate::lock(&self.thread).take();
        if let Some(thread) = thread {
            thread.thread().unpark();
            let _ = thread.join();
        }
        // The tasks hold their sockets' options, which hold the executor: drop them now.
        self.shared.inline.clear();
    }
}
