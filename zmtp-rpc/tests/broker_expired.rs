//! Requests whose deadline passes while they wait in the broker's queue are answered
//! "deadline exceeded" by the broker and never reach a worker.

mod support;

use std::time::Duration;

use support::{started_broker, test_handler, until, within};
use zmtp_rpc::{Client, Error, Worker};

const INTERVAL: Duration = Duration::from_millis(50);

#[tokio::test(start_paused = true)]
async fn a_request_expired_while_queued_behind_a_busy_worker_never_runs() {
    // Heartbeats too rare to sweep the queue during the test: the check at dispatch drops it.
    let rare = Duration::from_secs(60);
    let (brokering, frontend, backend) = started_broker(|b| b.heartbeat(rare, 3)).await;
    let worker = Worker::connect(&backend)
        .unwrap()
        .heartbeat(rare, 3)
        .serve(test_handler);
    until("the worker ready", || brokering.stats().workers == 1).await;
    let client = Client::connect(&frontend).unwrap();

    // The only worker is busy for 500 ms; the second call only waits 100 ms.
    let busy = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .call("sleep", "500", Some(Duration::from_secs(5)))
                .await
        }
    });
    until("the worker busy", || worker.stats().started == 1).await;
    let queued = client
        .call("echo", "late", Some(Duration::from_millis(100)))
        .await;
    assert!(matches!(queued, Err(Error::DeadlineExceeded)), "{queued:?}");

    assert_eq!(within("the busy call", busy).await.unwrap().unwrap(), "500");
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The broker dropped it: the worker neither ran it nor saw it.
    assert_eq!(brokering.stats().expired, 1);
    assert_eq!(brokering.stats().dispatched, 1);
    assert_eq!((worker.stats().started, worker.stats().expired), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn with_no_worker_at_all_an_expired_request_is_answered_by_the_broker() {
    let (brokering, frontend, _backend) = started_broker(|b| b.heartbeat(INTERVAL, 3)).await;
    let mut raw = support::raw_dealer(&frontend);
    let deadline_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        + 100;
    raw.send(support::raw_request(9, deadline_ms, "echo", "x"))
        .await
        .unwrap();
    // A raw peer never gives up by itself: the answer comes from the broker.
    let reply = within("the broker's answer", raw.recv()).await.unwrap();
    let frames = reply.frames();
    assert_eq!(frames[2].as_ref(), &9u64.to_be_bytes());
    assert_eq!(frames[3].as_ref(), &[3], "the deadline-exceeded status");
    assert_eq!(brokering.stats().expired, 1);
    assert_eq!(brokering.stats().queued, 0);
}
