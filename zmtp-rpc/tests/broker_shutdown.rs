//! Graceful shutdown of the broker (what runs is answered, what cannot be is reported) and of
//! a worker (it finishes, then tells the broker it leaves).

mod support;

use std::time::Duration;

use bytes::Bytes;
use support::{started_broker, test_handler, until, within};
use tokio::task::JoinHandle;
use zmtp_rpc::{Broker, Brokering, Client, Reason, Worker, Working};

/// A broker set up by `configure`, one worker, and a call of 200 ms the worker has started.
async fn busy_worker(
    configure: impl FnOnce(Broker) -> Broker,
) -> (Brokering, Working, JoinHandle<zmtp_rpc::Result<Bytes>>) {
    let (brokering, frontend, backend) = started_broker(configure).await;
    let worker = Worker::connect(&backend).unwrap().serve(test_handler);
    until("the worker ready", || brokering.stats().workers == 1).await;
    let client = Client::connect(&frontend).unwrap();
    let call = tokio::spawn(async move {
        client
            .call("sleep", "200", Some(Duration::from_secs(5)))
            .await
    });
    until("the worker busy", || worker.stats().started == 1).await;
    (brokering, worker, call)
}

#[tokio::test(start_paused = true)]
async fn a_broker_shutting_down_passes_on_the_replies_of_running_requests() {
    let (brokering, _worker, call) =
        busy_worker(|b| b.shutdown_grace(Duration::from_secs(1))).await;

    let report = within("shutdown", brokering.shutdown()).await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(within("the call", call).await.unwrap().unwrap(), "200");
    assert_eq!(report.stats.answered, 1);
}

#[tokio::test(start_paused = true)]
async fn a_broker_reports_what_its_grace_period_could_not_answer() {
    let (brokering, frontend, backend) =
        started_broker(|b| b.shutdown_grace(Duration::from_millis(100))).await;
    let worker = Worker::connect(&backend).unwrap().serve(test_handler);
    until("the worker ready", || brokering.stats().workers == 1).await;
    let client = Client::connect(&frontend).unwrap();
    let deadline = Some(Duration::from_secs(5));
    let (running, queued) = (client.clone(), client.clone());
    let _running = tokio::spawn(async move { running.call("sleep", "1000", deadline).await });
    until("the worker busy", || worker.stats().started == 1).await;
    let _queued = tokio::spawn(async move { queued.call("echo", "waits", deadline).await });
    until("one queued", || brokering.stats().queued == 1).await;

    let report = within("shutdown", brokering.shutdown()).await;
    let mut reasons: Vec<(String, Reason)> = report
        .unanswered
        .iter()
        .map(|u| (u.method.clone(), u.reason))
        .collect();
    reasons.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        reasons,
        [
            ("echo".to_owned(), Reason::NotTaken),
            ("sleep".to_owned(), Reason::GraceExpired)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_worker_shutting_down_finishes_its_request_then_leaves_the_broker() {
    let (brokering, worker, call) = busy_worker(|b| b).await;

    let report = within("worker shutdown", worker.shutdown()).await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(within("the call", call).await.unwrap().unwrap(), "200");
    // It said DISCONNECT: gone at once, not after 3 s of missed heartbeats, with nothing lost.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stats = brokering.stats();
    assert_eq!((stats.workers, stats.workers_lost), (0, 1));
    assert_eq!(
        (stats.answered, stats.failed_lost, stats.retried),
        (1, 0, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn a_worker_shuts_down_without_a_broker_to_talk_to() {
    // Never bound: what it sends queues for a connection that never comes, until the
    // high-water mark (1000) is reached; no send may then hold the worker's loop.
    let fast = Duration::from_millis(10);
    let nowhere = Worker::connect(support::mem_endpoint().as_str())
        .unwrap()
        .heartbeat(fast, 3)
        .serve(test_handler);
    tokio::time::sleep(fast * 3000).await;
    within("shutdown without a broker", nowhere.shutdown()).await;

    // A broker that went away after the worker registered: heartbeats cannot be sent either.
    let (brokering, _frontend, backend) = started_broker(|b| b).await;
    let orphan = Worker::connect(&backend)
        .unwrap()
        .heartbeat(fast, 3)
        .serve(test_handler);
    until("the worker ready", || brokering.stats().workers == 1).await;
    within("broker shutdown", brokering.shutdown()).await;
    tokio::time::sleep(fast * 3000).await;
    within("shutdown after the broker left", orphan.shutdown()).await;
}
