//! `Options::executor`: a socket's tasks (listeners, connections) run where the options say,
//! and its close still waits for them to deliver.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use zmtp_tests::over_every_transport;
use zmtp_tests::socket_harness::{text, within, Transport};
use zmtp_tokio::{Executor, Options, PullSocket, PushSocket, Task};

const LIMIT: Duration = Duration::from_secs(5);

/// Runs each task on tokio, counting them as they start and end.
#[derive(Debug, Default)]
struct Counting {
    spawned: AtomicUsize,
    ended: Arc<AtomicUsize>,
}

impl Executor for Counting {
    fn spawn(&self, task: Task) {
        self.spawned.fetch_add(1, Ordering::SeqCst);
        let ended = Arc::clone(&self.ended);
        tokio::spawn(async move {
            task.await;
            ended.fetch_add(1, Ordering::SeqCst);
        });
    }
}

over_every_transport!(tasks_run_on_the_options_executor);

async fn tasks_run_on_the_options_executor(t: Transport) {
    let binder = Arc::new(Counting::default());
    let connecter = Arc::new(Counting::default());
    let mut pull =
        PullSocket::with_options(Options::default().executor(binder.clone() as Arc<dyn Executor>))
            .unwrap();
    let bound = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::with_options(
        Options::default()
            .linger(None)
            .executor(connecter.clone() as Arc<dyn Executor>),
    )
    .unwrap();
    push.connect(&bound).unwrap();
    for i in 0..100 {
        push.send(format!("m{i}")).await.unwrap();
    }
    // The close waits for the connection task on the executor to deliver everything.
    let report = within(LIMIT, "close", push.close()).await;
    assert!(report.is_complete(), "{report:?}");
    for i in 0..100 {
        let message = within(LIMIT, "receive", pull.recv()).await.unwrap();
        assert_eq!(text(&message), format!("m{i}"));
    }
    // The binder's listener (or inproc name) at least; the connecter's connection task.
    assert!(binder.spawned.load(Ordering::SeqCst) >= 1);
    assert_eq!(connecter.spawned.load(Ordering::SeqCst), 1);
}

/// On a current-thread runtime a task that ends runs on to its executor's count before the
/// closing task is polled again: the count shows whether the close waited for it.
#[tokio::test]
async fn the_close_waits_for_the_tasks_on_the_executor() {
    let executor = Arc::new(Counting::default());
    let mut pull = PullSocket::new();
    let bound = pull.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut push = PushSocket::with_options(
        Options::default()
            .linger(None)
            .executor(executor.clone() as Arc<dyn Executor>),
    )
    .unwrap();
    push.connect(&bound).unwrap();
    push.send("last words").await.unwrap();
    let report = within(LIMIT, "close", push.close()).await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(executor.spawned.load(Ordering::SeqCst), 1);
    assert_eq!(
        executor.ended.load(Ordering::SeqCst),
        1,
        "the close returned first"
    );
    let message = within(LIMIT, "receive", pull.recv()).await.unwrap();
    assert_eq!(text(&message), "last words");
}
