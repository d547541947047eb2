//! Where a socket runs its tasks: its listeners and its connections.
//!
//! tokio's `spawn` by default. A program that drives a runtime of its own from blocking calls
//! (zmtp-blocking) can run them itself instead, inside the future each call waits on: a
//! connection that reads an answer then completes the wait in the same pass, where a tokio
//! task would wake the waiting future from outside and cost the scheduler one more turn of its
//! I/O driver (a system call) per wait.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A socket's task: runs until its endpoint or the socket is done with it.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs a socket's tasks ([`Options::executor`](crate::Options::executor)). Each task must be
/// polled inside the tokio runtime the socket was made in (its I/O and timers are registered
/// there), until it completes, or dropped when the executor is.
pub trait Executor: Send + Sync + fmt::Debug + 'static {
    /// Takes `task` to run.
    fn spawn(&self, task: Task);
}
