//! The executor of a runtime driven by its callers: the sockets' tasks (listeners,
//! connections) run inside the future each blocking call waits on, not as tokio tasks.
//!
//! A tokio task that completes a wait (a connection that has read the answer) wakes the
//! waiting `block_on` future from inside the scheduler, and tokio's current-thread scheduler
//! then turns its I/O driver once more (an `epoll_wait` that finds nothing) before it polls
//! that future again: one system call per blocking wait that async code does not pay. Run
//! inline, the connection reads the answer and the wait completes in the same poll.
//!
//! Any thread that drives the runtime (a caller in `block_on`, or the background thread) runs
//! the tasks that are ready, one thread at a time; a task woken while nobody drives waits in
//! the ready queue for the next one, as a tokio task would in the runtime's queue.

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use zmtp_tokio::{Executor, Task};

use crate::lock;

/// Tasks polled per pass before the waiting future is polled again.
const TASKS_PER_PASS: usize = 64;

/// Passes per poll of the waiting future, before it lets tokio turn its I/O driver and timers.
const PASSES_PER_POLL: usize = 4;

/// The sockets' tasks of one runtime driven by its callers.
#[derive(Debug)]
pub(crate) struct Inline {
    /// Itself, for the wakers of the tasks it takes.
    me: Weak<Inline>,
    state: Mutex<State>,
    /// Held by the thread running tasks now: tasks run one thread at a time.
    running: AtomicBool,
    /// Whether `state.ready` may have something (read without the lock).
    has_ready: AtomicBool,
    /// A driver found `running` held: told again once it is released.
    refused: AtomicBool,
    /// Futures driving the runtime now (callers' waits, the background thread's drive).
    drivers: AtomicUsize,
    /// The thread that drives the runtime while no caller does, parked meanwhile: told when a
    /// task becomes ready with nobody to run it ([`Inline::park_background`]).
    background: OnceLock<std::thread::Thread>,
    /// The background thread is parked for long (no task was ready when it parked).
    background_idle: AtomicBool,
    /// It has been told since it parked.
    background_told: AtomicBool,
    /// The waker tokio gives the future of whichever thread runs the runtime's scheduler:
    /// waking it has that thread poll its future again, which runs the ready tasks (and costs
    /// a system call only from outside the scheduler). Learnt once ([`Inline::learn_scheduler`]).
    scheduler: OnceLock<Waker>,
}

#[derive(Debug, Default)]
struct State {
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    ready: VecDeque<usize>,
}

struct Slot {
    /// `None` while a thread polls it.
    task: Option<Task>,
    waker: Arc<TaskWaker>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("running", &self.task.is_none())
            .finish()
    }
}

struct TaskWaker {
    id: usize,
    /// In the ready queue already: a second wake adds nothing.
    queued: AtomicBool,
    inline: Weak<Inline>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(inline) = self.inline.upgrade() {
            inline.make_ready(self.id);
        }
    }
}

impl Inline {
    pub(crate) fn new() -> Arc<Inline> {
        Arc::new_cyclic(|me| Inline {
            me: me.clone(),
            state: Mutex::default(),
            running: AtomicBool::new(false),
            has_ready: AtomicBool::new(false),
            refused: AtomicBool::new(false),
            drivers: AtomicUsize::new(0),
            background: OnceLock::new(),
            background_idle: AtomicBool::new(false),
            background_told: AtomicBool::new(false),
            scheduler: OnceLock::new(),
        })
    }

    /// Learns the scheduler's waker from `runtime`, a current-thread runtime that nobody else
    /// drives yet (so that this thread's `block_on` runs its scheduler), outside async code.
    pub(crate) fn learn_scheduler(&self, runtime: &tokio::runtime::Runtime) {
        let waker = runtime.block_on(std::future::poll_fn(|cx| Poll::Ready(cx.waker().clone())));
        let _ = self.scheduler.set(waker);
    }

    /// Parks the background thread (the caller) while callers drive: for `quiet` if tasks
    /// are ready that nobody runs, else for up to `idle`, cut short when one becomes ready
    /// with nobody to run it. A loop of calls that leaves nothing behind then costs the
    /// background thread a wake-up per `idle`, not per `quiet`.
    pub(crate) fn park_background(&self, quiet: Duration, idle: Duration) {
        let _ = self.background.set(std::thread::current());
        if self.undriven() {
            std::thread::park_timeout(quiet);
            return;
        }
        self.background_told.store(false, Ordering::SeqCst);
        self.background_idle.store(true, Ordering::SeqCst);
        // Looked at again after the flag is up: a task made ready (or left ready by a driver
        // that stops) in between either sees the flag, and unparks us, which makes the park
        // return at once, or is seen here.
        let sleep = match self.undriven() {
            true => quiet,
            false => idle,
        };
        std::thread::park_timeout(sleep);
        self.background_idle.store(false, Ordering::SeqCst);
    }

    /// Whether tasks are ready with nobody driving to run them. (A driver runs what is ready
    /// before it stops, and what it leaves it announces.)
    fn undriven(&self) -> bool {
        self.has_ready.load(Ordering::SeqCst) && self.drivers.load(Ordering::SeqCst) == 0
    }

    /// A task is ready and nobody drives: the background thread, if parked for long, looks
    /// at it within its quiet period instead.
    fn tell_background(&self) {
        if self.background_idle.load(Ordering::SeqCst)
            && !self.background_told.swap(true, Ordering::SeqCst)
        {
            if let Some(background) = self.background.get() {
                background.unpark();
            }
        }
    }

    fn make_ready(&self, id: usize) {
        lock(&self.state).ready.push_back(id);
        self.has_ready.store(true, Ordering::SeqCst);
        // Made ready by what this thread's driver polls (its own future, or a task): it runs
        // the task before it returns, and a wake-up would only cost tokio another pass
        // through its I/O driver before the next poll.
        if !self.driven_here() {
            self.wake_drivers();
        }
    }

    /// Whether this thread is inside one of this executor's drivers' polls.
    fn driven_here(&self) -> bool {
        POLLING.with(Cell::get) == self.me.as_ptr() as usize
    }

    /// Tells whoever drives the runtime that a task is ready. Nobody: the next driver runs
    /// it when it starts (it counts itself before it looks, and the task was queued before
    /// this looks at the count, all SeqCst: one of the two sees the other).
    fn wake_drivers(&self) {
        if self.drivers.load(Ordering::SeqCst) == 0 {
            self.tell_background();
        } else if let Some(scheduler) = self.scheduler.get() {
            scheduler.wake_by_ref();
        }
    }

    /// Runs `f` (which queues what a connection must write at once) and then the ready tasks,
    /// on this thread, now, outside any driver: the caller will not return before the
    /// connection has written it. The tasks `f` wakes are not announced (this thread runs
    /// them), unless some are still ready at the end.
    pub(crate) fn run_now<T>(&self, f: impl FnOnce() -> T) -> T {
        let polling = Polling::enter(self);
        let output = f();
        for _ in 0..PASSES_PER_POLL {
            if !self.run_ready(TASKS_PER_PASS) {
                break;
            }
        }
        drop(polling);
        self.announce_leftovers();
        output
    }

    /// After this thread stopped running tasks (a wait that returned, [`Inline::run_now`]):
    /// tasks made ready meanwhile without being announced are announced now.
    fn announce_leftovers(&self) {
        if self.has_ready.load(Ordering::SeqCst) {
            self.wake_drivers();
        }
    }

    /// Runs `future` with the ready tasks, on the thread that polls the result: what every
    /// driver of the runtime waits on.
    pub(crate) async fn drive<F: Future>(&self, future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let driver = Driver::enter(self);
        let output = std::future::poll_fn(|cx| {
            let _polling = Polling::enter(self);
            for _ in 0..PASSES_PER_POLL {
                if let Poll::Ready(output) = future.as_mut().poll(cx) {
                    return Poll::Ready(output);
                }
                if !self.run_ready(TASKS_PER_PASS) {
                    return Poll::Pending;
                }
            }
            // Tasks keep becoming ready: let tokio turn its I/O driver and timers, then go on.
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
        // No longer a driver: what the last poll made ready goes to whoever drives next.
        drop(driver);
        self.announce_leftovers();
        output
    }

    /// Polls up to `limit` ready tasks, if no other thread is polling tasks now. Whether any
    /// ran.
    fn run_ready(&self, limit: usize) -> bool {
        if !self.has_ready.load(Ordering::SeqCst) {
            return false;
        }
        if self.running.swap(true, Ordering::SeqCst) {
            // The thread running tasks tells the drivers again when it is done.
            self.refused.store(true, Ordering::SeqCst);
            return false;
        }
        let mut ran = 0;
        while ran < limit {
            let Some((id, mut task, waker)) = self.next_ready() else {
                break;
            };
            ran += 1;
            let waker = Waker::from(waker);
            let mut cx = Context::from_waker(&waker);
            // A panicking task ends alone, as a tokio task would (the hook has reported it).
            let finished = std::panic::catch_unwind(AssertUnwindSafe(|| {
                task.as_mut().poll(&mut cx).is_ready()
            }))
            .unwrap_or(true);
            self.put_back(id, task, finished);
        }
        self.running.store(false, Ordering::SeqCst);
        // Another driver found the tasks taken while this thread ran them: if some are still
        // ready, it must look again.
        if self.refused.swap(false, Ordering::SeqCst) && self.has_ready.load(Ordering::SeqCst) {
            self.wake_drivers();
        }
        ran > 0
    }

    fn next_ready(&self) -> Option<(usize, Task, Arc<TaskWaker>)> {
        let mut state = lock(&self.state);
        loop {
            let Some(id) = state.ready.pop_front() else {
                self.has_ready.store(false, Ordering::SeqCst);
                return None;
            };
            // A waker that outlived its task (the slot empty, or another task's since).
            let Some(Some(slot)) = state.slots.get_mut(id) else {
                continue;
            };
            let Some(task) = slot.task.take() else {
                continue;
            };
            // Cleared before the poll: a wake during it queues the task again.
            slot.waker.queued.store(false, Ordering::Release);
            return Some((id, task, Arc::clone(&slot.waker)));
        }
    }

    fn put_back(&self, id: usize, task: Task, finished: bool) {
        let mut state = lock(&self.state);
        if finished {
            if let Some(slot) = state.slots.get_mut(id) {
                *slot = None;
                state.free.push(id);
            }
            drop(state);
            // Dropped outside the lock: its destructors may wake other tasks.
            drop(task);
        } else if let Some(Some(slot)) = state.slots.get_mut(id) {
            slot.task = Some(task);
        }
    }

    /// Drops every task (the runtime is going away).
    pub(crate) fn clear(&self) {
        let slots = std::mem::take(&mut lock(&self.state).slots);
        drop(slots);
    }
}

impl Executor for Inline {
    fn spawn(&self, task: Task) {
        let mut state = lock(&self.state);
        let id = state.free.pop().unwrap_or(state.slots.len());
        let waker = Arc::new(TaskWaker {
            id,
            queued: AtomicBool::new(true),
            inline: self.me.clone(),
        });
        // Outside tokio's cooperative budget: a task out of budget has tokio keep its wake-up
        // for the scheduler's next turn, and a `block_on` that returns first (the call's
        // future done in the same poll) drops it, stranding the task. Each task's work per
        // poll is bounded anyway, by the high-water marks and the socket buffers.
        let task: Task = Box::pin(tokio::task::unconstrained(task));
        let slot = Some(Slot {
            task: Some(task),
            waker,
        });
        match state.slots.get_mut(id) {
            Some(free) => *free = slot,
            None => state.slots.push(slot),
        }
        state.ready.push_back(id);
        drop(state);
        self.has_ready.store(true, Ordering::SeqCst);
        if !self.driven_here() {
            self.wake_drivers();
        }
    }
}

thread_local! {
    /// The executor (its address) whose driver this thread is polling now, or 0.
    static POLLING: Cell<usize> = const { Cell::new(0) };
}

/// Marks this thread as polling `inline`'s driver until dropped.
struct Polling {
    before: usize,
}

impl Polling {
    fn enter(inline: &Inline) -> Polling {
        Polling {
            before: POLLING.with(|polling| polling.replace(inline.me.as_ptr() as usize)),
        }
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        POLLING.with(|polling| polling.set(self.before));
    }
}

/// Counts a driver of the runtime until dropped.
struct Driver<'a> {
    inline: &'a Inline,
}

impl Driver<'_> {
    fn enter(inline: &Inline) -> Driver<'_> {
        inline.drivers.fetch_add(1, Ordering::SeqCst);
        Driver { inline }
    }
}

impl Drop for Driver<'_> {
    fn drop(&mut self) {
        self.inline.drivers.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use tokio::sync::oneshot;

    use super::*;

    fn runtime() -> (tokio::runtime::Runtime, Arc<Inline>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let inline = Inline::new();
        inline.learn_scheduler(&runtime);
        (runtime, inline)
    }

    /// Drives `future` on `runtime` with `inline`'s tasks; a wait that never ends fails the test.
    fn wait<F: Future>(runtime: &tokio::runtime::Runtime, inline: &Inline, future: F) -> F::Output {
        let limited =
            async { tokio::time::timeout(std::time::Duration::from_secs(10), future).await };
        runtime
            .block_on(inline.drive(limited))
            .expect("the wait never ended")
    }

    /// A task that forwards what `input` brings to `output`.
    fn relay(inline: &Inline) -> (oneshot::Sender<u32>, oneshot::Receiver<u32>) {
        let (input, input_rx) = oneshot::channel::<u32>();
        let (output_tx, output) = oneshot::channel();
        inline.spawn(Box::pin(async move {
            if let Ok(value) = input_rx.await {
                let _ = output_tx.send(value + 1);
            }
        }));
        (input, output)
    }

    #[test]
    fn a_task_runs_inside_the_wait_it_completes() {
        let (runtime, inline) = runtime();
        let (input, output) = relay(&inline);
        input.send(1).unwrap();
        assert_eq!(wait(&runtime, &inline, output), Ok(2));
    }

    #[test]
    fn a_task_woken_while_nobody_drives_runs_when_the_next_wait_starts() {
        let (runtime, inline) = runtime();
        let (input, output) = relay(&inline);
        // The task waits for its input: polled once by a wait that ends at once.
        runtime.block_on(inline.drive(tokio::task::yield_now()));
        input.send(41).unwrap();
        assert!(inline.has_ready.load(Ordering::SeqCst), "queued, not run");
        assert_eq!(wait(&runtime, &inline, output), Ok(42));
    }

    #[test]
    fn a_task_woken_from_another_thread_runs_while_a_caller_waits() {
        let (runtime, inline) = runtime();
        let (input, output) = relay(&inline);
        let sender = std::thread::spawn(move || input.send(7).unwrap());
        assert_eq!(wait(&runtime, &inline, output), Ok(8));
        sender.join().unwrap();
    }

    #[test]
    fn a_panicking_task_ends_alone() {
        let (runtime, inline) = runtime();
        inline.spawn(Box::pin(async { panic!("a task's own bug") }));
        let (input, output) = relay(&inline);
        input.send(1).unwrap();
        assert_eq!(wait(&runtime, &inline, output), Ok(2));
        let state = lock(&inline.state);
        assert!(state.slots.iter().all(Option::is_none), "both tasks ended");
        assert_eq!(state.free.len(), 2);
    }

    #[test]
    fn many_tasks_all_run_to_the_end() {
        let (runtime, inline) = runtime();
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..1_000 {
            let done = Arc::clone(&done);
            inline.spawn(Box::pin(async move {
                tokio::task::yield_now().await;
                done.fetch_add(1, Ordering::SeqCst);
            }));
        }
        wait(&runtime, &inline, async {
            while done.load(Ordering::SeqCst) < 1_000 {
                tokio::task::yield_now().await;
            }
        });
        assert!(lock(&inline.state).slots.iter().all(Option::is_none));
    }

    #[test]
    fn run_now_runs_what_its_closure_woke_before_returning() {
        let (_runtime, inline) = runtime();
        let (input, mut output) = relay(&inline);
        // Polled once: the relay now waits for its input.
        inline.run_now(|| ());
        assert!(output.try_recv().is_err());
        inline.run_now(|| input.send(5).unwrap());
        assert_eq!(output.try_recv(), Ok(6), "ran before run_now returned");
        assert!(!inline.has_ready.load(Ordering::SeqCst));
    }

    /// Parks a background thread for long; what it returns with: how soon it came back.
    fn park_in_background(inline: &Arc<Inline>) -> std::sync::mpsc::Receiver<()> {
        let (returned, rx) = std::sync::mpsc::channel();
        let background = Arc::clone(inline);
        std::thread::spawn(move || {
            let long = std::time::Duration::from_secs(60);
            background.park_background(long, long);
            let _ = returned.send(());
        });
        // Until it is parked for long (or about to be: an unpark before the park counts too).
        let since = std::time::Instant::now();
        while !inline.background_idle.load(Ordering::SeqCst) {
            assert!(since.elapsed().as_secs() < 10, "tasks were left ready");
            std::thread::yield_now();
        }
        rx
    }

    /// With a relay task waiting for its input and the background thread parked for long,
    /// `make_ready` gives the relay its input: the background thread must be told.
    fn background_is_told_when(
        inline: &Arc<Inline>,
        make_ready: impl FnOnce(oneshot::Sender<u32>),
    ) {
        let (input, _output) = relay(inline);
        inline.run_now(|| ());
        let returned = park_in_background(inline);
        make_ready(input);
        returned
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the background thread was not told");
    }

    #[test]
    fn a_task_ready_with_nobody_driving_calls_the_background_thread() {
        let (_runtime, inline) = runtime();
        background_is_told_when(&inline, |input| input.send(1).unwrap());
    }

    #[test]
    fn a_task_left_ready_by_a_wait_that_returned_calls_the_background_thread() {
        let (runtime, inline) = runtime();
        // Woken by the waiting future's own last poll, which then returns at once.
        background_is_told_when(&inline, |input| {
            wait(&runtime, &inline, async move { input.send(1).unwrap() })
        });
    }

    #[test]
    fn tasks_ready_with_nobody_driving_keep_the_background_thread_to_its_quiet_period() {
        let (_runtime, inline) = runtime();
        let (input, _output) = relay(&inline);
        inline.run_now(|| ());
        input.send(1).unwrap(); // ready now, and nobody drives
        let since = std::time::Instant::now();
        inline.park_background(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_secs(20),
        );
        assert!(since.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn clear_drops_the_tasks() {
        let (_runtime, inline) = runtime();
        let held = Arc::new(());
        let in_task = Arc::clone(&held);
        inline.spawn(Box::pin(async move {
            std::future::pending::<()>().await;
            drop(in_task);
        }));
        assert_eq!(Arc::strong_count(&held), 2);
        inline.clear();
        assert_eq!(Arc::strong_count(&held), 1);
    }
}
