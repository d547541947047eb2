//! Load balancing: requests spread over the workers, least recently used first, never more
//! at once on one worker than the broker allows.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use support::{started_broker, until, within};
use zmtp_rpc::{Brokering, Client, HandlerError, Request, Worker, Working};

/// What one worker did: requests run in all, and the most it ran at once.
#[derive(Default)]
struct Load {
    runs: AtomicUsize,
    now: AtomicUsize,
    most: AtomicUsize,
}

/// A worker whose handler takes 10 ms per request and records its load.
fn worker(backend: &str, load: Arc<Load>) -> Working {
    Worker::connect(backend)
        .unwrap()
        .serve(move |request: Request| {
            let load = Arc::clone(&load);
            async move {
                load.runs.fetch_add(1, Ordering::SeqCst);
                let now = load.now.fetch_add(1, Ordering::SeqCst) + 1;
                load.most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                load.now.fetch_sub(1, Ordering::SeqCst);
                Ok::<Bytes, HandlerError>(request.into_body())
            }
        })
}

/// Three workers behind a broker allowing `per_worker` requests per worker, with their
/// loads, and a client.
async fn three_workers(per_worker: usize) -> (Brokering, Vec<Working>, Vec<Arc<Load>>, Client) {
    let (brokering, frontend, backend) = started_broker(|b| b.max_per_worker(per_worker)).await;
    let loads: Vec<Arc<Load>> = (0..3).map(|_| Arc::default()).collect();
    let workers = loads
        .iter()
        .map(|l| worker(&backend, Arc::clone(l)))
        .collect();
    until("three workers ready", || brokering.stats().workers == 3).await;
    let client = Client::connect(&frontend).unwrap();
    (brokering, workers, loads, client)
}

/// Runs `calls` concurrent calls through a broker allowing `per_worker` requests per worker
/// to three workers, and says what each worker did.
async fn spread(calls: usize, per_worker: usize) -> Vec<Arc<Load>> {
    let (brokering, frontend, backend) = started_broker(|b| b.max_per_worker(per_worker)).await;
    let loads: Vec<Arc<Load>> = (0..3).map(|_| Arc::default()).collect();
    let _workers: Vec<Working> = loads
        .iter()
        .map(|l| worker(&backend, Arc::clone(l)))
        .collect();
    until("three workers ready", || brokering.stats().workers == 3).await;
    let client = Client::connect(&frontend).unwrap();
    let deadline = Some(Duration::from_secs(5));
    let replies = futures::future::join_all(
        (0..calls).map(|i| client.call("echo", format!("call {i}"), deadline)),
    );
    for (i, reply) in within("all calls", replies).await.into_iter().enumerate() {
        assert_eq!(
            reply.unwrap(),
            format!("call {i}"),
            "each call its own answer"
        );
    }
    assert_eq!(brokering.stats().answered, calls as u64);
    loads
}

#[tokio::test(start_paused = true)]
async fn one_request_at_a_time_per_worker_spreads_evenly() {
    let loads = spread(30, 1).await;
    for load in &loads {
        // Equal handlers, least recently used first: ten each.
        assert_eq!(load.runs.load(Ordering::SeqCst), 10);
        assert_eq!(
            load.most.load(Ordering::SeqCst),
            1,
            "one at a time by default"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_worker_gets_at_most_the_configured_number_at_once() {
    let loads = spread(30, 2).await;
    for load in &loads {
        assert_eq!(load.runs.load(Ordering::SeqCst), 10);
        assert_eq!(
            load.most.load(Ordering::SeqCst),
            2,
            "two at once, never three"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn one_call_after_another_goes_to_the_least_recently_used_worker() {
    let (_brokering, _workers, loads, client) = three_workers(1).await;
    for i in 0..30 {
        let reply = within("a call", client.call("echo", format!("{i}"), None)).await;
        assert_eq!(reply.unwrap(), format!("{i}"));
    }
    // Each idle worker in turn, not the one that answered last.
    for load in &loads {
        assert_eq!(load.runs.load(Ordering::SeqCst), 10);
    }
}
