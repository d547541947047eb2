//! A worker lost mid-request (its task aborted: no more heartbeats, no reply): the broker
//! declares it dead after the heartbeat liveness, runs the idempotent request on another
//! worker, and answers the other one "worker lost" at once, never running it twice.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use support::{started_broker, until, within};
use tokio::time::Instant;
use zmtp_rpc::{Brokering, Client, Error, HandlerError, Request, Retry, Worker, Working};

const INTERVAL: Duration = Duration::from_millis(100);
const LIVENESS: u32 = 3;
/// Far beyond the time the broker takes to declare a worker dead.
const DEADLINE: Duration = Duration::from_secs(20);

/// A worker that counts the requests it runs and answers `name`, after `hold` (for ever if
/// `None`).
fn worker(
    backend: &str,
    name: &'static str,
    hold: Option<Duration>,
    runs: Arc<AtomicUsize>,
) -> Working {
    Worker::connect(backend)
        .unwrap()
        .heartbeat(INTERVAL, LIVENESS)
        .serve(move |_request: Request| {
            let runs = Arc::clone(&runs);
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                match hold {
                    Some(hold) => tokio::time::sleep(hold).await,
                    None => std::future::pending::<()>().await,
                }
                Ok::<Bytes, HandlerError>(Bytes::from_static(name.as_bytes()))
            }
        })
}

/// A broker with one worker that never answers, running the call `retry` makes; then a
/// second, healthy worker, and the first one lost. Returns the call's result, how long it
/// took, and the runs of each worker once everything settled.
async fn lose_a_worker_during(
    retry: Retry,
) -> (Result<Bytes, Error>, Duration, usize, usize, Brokering) {
    let (brokering, frontend, backend) = started_broker(|b| b.heartbeat(INTERVAL, LIVENESS)).await;
    let (first_runs, second_runs) = (Arc::default(), Arc::default());
    let first = worker(&backend, "first", None, Arc::clone(&first_runs));
    until("the first worker ready", || brokering.stats().workers == 1).await;

    let client = Client::connect(&frontend).unwrap().with_retry(retry);
    let started = Instant::now();
    let call = tokio::spawn(async move { client.call("work", "x", Some(DEADLINE)).await });
    until("the first worker runs it", || {
        first_runs.load(Ordering::SeqCst) == 1
    })
    .await;

    let _second = worker(
        &backend,
        "second",
        Some(Duration::from_millis(5)),
        Arc::clone(&second_runs),
    );
    until("the second worker ready", || brokering.stats().workers == 2).await;
    drop(first); // lost mid-request: its task, socket and handler are gone

    let result = within("the call", call).await.unwrap();
    let took = started.elapsed();
    // Whatever could still run it would have by now.
    tokio::time::sleep(DEADLINE).await;
    let runs = (
        first_runs.load(Ordering::SeqCst),
        second_runs.load(Ordering::SeqCst),
    );
    (result, took, runs.0, runs.1, brokering)
}

#[tokio::test(start_paused = true)]
async fn an_idempotent_request_of_a_lost_worker_is_answered_by_another() {
    // One attempt: the client does not retry by itself, only the broker does.
    let (result, took, first, second, brokering) =
        lose_a_worker_during(Retry::Idempotent { attempts: 1 }).await;
    assert_eq!(result.unwrap(), "second");
    assert!(
        took < Duration::from_secs(1),
        "answered after the liveness, not the deadline: {took:?}"
    );
    assert_eq!((first, second), (1, 1));
    let stats = brokering.stats();
    assert_eq!(
        (stats.workers_lost, stats.retried, stats.failed_lost),
        (1, 1, 0)
    );
    assert_eq!(stats.workers, 1);
}

#[tokio::test(start_paused = true)]
async fn a_non_idempotent_request_of_a_lost_worker_fails_fast_and_never_runs_twice() {
    let (result, took, first, second, brokering) = lose_a_worker_during(Retry::Never).await;
    assert!(matches!(result, Err(Error::WorkerLost)), "{result:?}");
    assert!(
        took < Duration::from_secs(1),
        "failed fast, not at the deadline: {took:?}"
    );
    assert_eq!((first, second), (1, 0), "run once, by the lost worker only");
    let stats = brokering.stats();
    assert_eq!(
        (stats.workers_lost, stats.retried, stats.failed_lost),
        (1, 0, 1)
    );
}
