//! Graceful shutdown: no new requests taken, running handlers finish (within the grace
//! period), their replies flushed, and a report of what was not answered.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{bound_router, served_pair, within};
use tokio::sync::Semaphore;
use zmtp_rpc::{Client, Error, HandlerError, Reason, Request, Server, Serving};

/// A server running at most two handlers, each waiting for the returned gate, with five calls
/// made to it: two running, three queued.
async fn two_running_three_queued(
    grace: Duration,
) -> (
    Serving,
    Arc<Semaphore>,
    Vec<tokio::task::JoinHandle<zmtp_rpc::Result<bytes::Bytes>>>,
) {
    let (socket, endpoint) = bound_router().await;
    let gate = Arc::new(Semaphore::new(0));
    let serving = Server::new(socket)
        .max_in_flight(2)
        .shutdown_grace(grace)
        .serve({
            let gate = Arc::clone(&gate);
            move |request: Request| {
                let gate = Arc::clone(&gate);
                async move {
                    gate.acquire().await.expect("open").forget();
                    Ok::<_, HandlerError>(request.into_body())
                }
            }
        });
    let client = Client::connect(&endpoint).unwrap();
    let calls = (0..5)
        .map(|i| {
            let client = client.clone();
            let deadline = Some(Duration::from_secs(20));
            tokio::spawn(async move { client.call("work", format!("{i}"), deadline).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(serving.stats().in_flight, 2);
    (serving, gate, calls)
}

#[tokio::test(start_paused = true)]
async fn shutdown_finishes_running_handlers_and_reports_the_requests_not_taken() {
    let (serving, gate, calls) = two_running_three_queued(Duration::from_secs(10)).await;
    let shutdown = tokio::spawn(serving.shutdown());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!shutdown.is_finished(), "waits for the running handlers");
    gate.add_permits(10);
    let report = within("shutdown", shutdown).await.unwrap();

    let mut answered = Vec::new();
    for call in calls {
        match within("call", call).await.unwrap() {
            Ok(answer) => answered.push(answer),
            Err(Error::DeadlineExceeded) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(
        answered.len(),
        2,
        "the running handlers' replies were flushed"
    );
    assert_eq!(report.stats.answered, 2);
    assert_eq!(report.unanswered.len(), 3, "{report:?}");
    assert!(report
        .unanswered
        .iter()
        .all(|u| u.reason == Reason::NotTaken));
    assert!(report.unanswered.iter().all(|u| u.method == "work"));
    assert!(report.close.is_complete(), "{report:?}");
    assert!(!report.is_complete());
}

#[tokio::test(start_paused = true)]
async fn handlers_still_running_after_the_grace_period_are_stopped_and_reported() {
    let (serving, _gate, _calls) = two_running_three_queued(Duration::from_secs(2)).await;
    let start = tokio::time::Instant::now();
    let report = within("shutdown", serving.shutdown()).await;
    assert!(start.elapsed() >= Duration::from_secs(2));
    let stopped = report
        .unanswered
        .iter()
        .filter(|u| u.reason == Reason::GraceExpired)
        .count();
    assert_eq!(stopped, 2, "{report:?}");
    assert_eq!(report.unanswered.len(), 5);
    assert_eq!(report.stats.in_flight, 0);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_is_reported_and_the_server_goes_on() {
    let (socket, endpoint) = bound_router().await;
    let serving = Server::new(socket).serve(|request: Request| async move {
        assert!(request.method() != "panic", "handler panics on purpose");
        Ok::<_, HandlerError>(request.into_body())
    });
    let client = Client::connect(&endpoint).unwrap();
    let deadline = Some(Duration::from_secs(1));
    let panicked = within("call", client.call("panic", "", deadline)).await;
    assert!(
        matches!(panicked, Err(Error::DeadlineExceeded)),
        "{panicked:?}"
    );
    let answer = within("call", client.call("echo", "still here", deadline)).await;
    assert_eq!(answer.unwrap(), "still here");
    let report = within("shutdown", serving.shutdown()).await;
    assert_eq!(report.unanswered.len(), 1, "{report:?}");
    assert_eq!(report.unanswered[0].reason, Reason::HandlerPanicked);
    assert_eq!(report.unanswered[0].method, "panic");
}

#[tokio::test(start_paused = true)]
async fn an_idle_server_shuts_down_complete() {
    let (serving, client, _) = served_pair().await;
    let answer = within("call", client.call("echo", "x", None)).await;
    assert_eq!(answer.unwrap(), "x");
    let report = within("shutdown", serving.shutdown()).await;
    assert!(report.is_complete(), "{report:?}");
}
