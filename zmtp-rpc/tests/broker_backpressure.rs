//! A full queue stops the broker reading clients: the requests wait in the sockets (their
//! high-water marks push back on the callers) instead of piling up in the broker.

mod support;

use std::time::Duration;

use support::{started_broker, test_handler, until, within};
use zmtp_rpc::{Client, Worker};

#[tokio::test(start_paused = true)]
async fn a_full_queue_leaves_requests_in_the_sockets_until_a_worker_comes() {
    let (brokering, frontend, backend) = started_broker(|b| b.max_queued(2)).await;
    let client = Client::connect(&frontend).unwrap();
    let calls: Vec<_> = (0..5)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .call("echo", format!("{i}"), Some(Duration::from_secs(10)))
                    .await
            })
        })
        .collect();
    until("the queue full", || brokering.stats().queued == 2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        brokering.stats().received,
        2,
        "not read beyond the queue's bound"
    );

    let _worker = Worker::connect(&backend).unwrap().serve(test_handler);
    for (i, call) in calls.into_iter().enumerate() {
        let reply = within("a call", call).await.unwrap();
        assert_eq!(reply.unwrap(), format!("{i}"));
    }
    assert_eq!(brokering.stats().received, 5);
}
