//! A loop running in a task of its own until told to stop, then reporting: what a running
//! [`Server`](crate::Server), [`Worker`](crate::Worker) and [`Broker`](crate::Broker) each hold.

use std::future::Future;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The task of a loop that watches a stop flag and ends with a report `R`. Dropping it
/// without [`stop`](Self::stop) aborts the task at once.
#[derive(Debug)]
pub(crate) struct Background<R> {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<R>>,
}

impl<R: Send + 'static> Background<R> {
    /// Spawns the loop `start` makes from the stop flag it is to watch (so inside a tokio
    /// runtime).
    pub(crate) fn spawn<F>(start: impl FnOnce(watch::Receiver<bool>) -> F) -> Background<R>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let (stop, stopped) = watch::channel(false);
        Background {
            stop,
            task: Some(tokio::spawn(start(stopped))),
        }
    }

    /// Tells the loop to stop and waits for its report.
    pub(crate) async fn stop(mut self) -> R {
        let _ = self.stop.send(true);
        let task = self.task.take().expect("stop runs once: it takes self");
        match task.await {
            Ok(report) => report,
            // The loops never panic by design (handlers panic in tasks of their own); if one
            // did, the panic belongs to the caller.
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            // Only a runtime shutting down cancels it (`self` still holds the handle).
            Err(error) => panic!("the background task was cancelled: {error}"),
        }
    }
}

impl<R> Drop for Background<R> {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
