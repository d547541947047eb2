//! The server's bound on requests in flight: with every slot taken it stops reading, and the
//! queued requests are answered once slots free up.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::{bound_router, within};
use tokio::sync::Semaphore;
use zmtp_rpc::{Client, HandlerError, Request, Server};

/// Counts the handlers running now and the most that ever ran at once.
#[derive(Default)]
struct Concurrency {
    now: AtomicUsize,
    most: AtomicUsize,
}

#[tokio::test(start_paused = true)]
async fn a_full_server_stops_reading_until_a_handler_finishes() {
    const BOUND: usize = 4;
    const CALLS: usize = 20;
    let (socket, endpoint) = bound_router().await;
    let gate = Arc::new(Semaphore::new(0)); // closed: every handler waits
    let seen = Arc::new(Concurrency::default());
    let serving = Server::new(socket).max_in_flight(BOUND).serve({
        let (gate, seen) = (Arc::clone(&gate), Arc::clone(&seen));
        move |request: Request| {
            let (gate, seen) = (Arc::clone(&gate), Arc::clone(&seen));
            async move {
                let now = seen.now.fetch_add(1, Ordering::SeqCst) + 1;
                seen.most.fetch_max(now, Ordering::SeqCst);
                gate.acquire().await.expect("open").forget();
                seen.now.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, HandlerError>(request.into_body())
            }
        }
    });
    let client = Client::connect(&endpoint).unwrap();
    let calls: Vec<_> = (0..CALLS)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.call("work", format!("{i}"), None).await })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await; // everything that can happen has
    let stats = serving.stats();
    assert_eq!(stats.started, BOUND as u64, "read only as many as it runs");
    assert_eq!(stats.in_flight, BOUND as u64);
    assert_eq!(client.in_flight(), CALLS, "the others wait, none was lost");

    gate.add_permits(CALLS);
    for (i, call) in calls.into_iter().enumerate() {
        let answer = within("a queued call", call).await.unwrap().unwrap();
        assert_eq!(answer, format!("{i}"));
    }
    assert_eq!(seen.most.load(Ordering::SeqCst), BOUND);
    assert_eq!(serving.stats().answered, CALLS as u64);
}
