//! The server's bound on requests in flight: with every slot taken it stops reading, and the
//! queued requests are answered once slots free up.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::{mem_endpoint, raw_request, within};
use tokio::sync::Semaphore;
use zmtp_rpc::{Client, HandlerError, Request, Server, Serving};
use zmtp_tokio::{DealerSocket, Error, Options, RouterSocket};

/// Counts the handlers running now and the most that ever ran at once.
#[derive(Default)]
struct Concurrency {
    now: AtomicUsize,
    most: AtomicUsize,
}

/// A server running at most `bound` handlers, each waiting for the returned gate to open.
async fn gated_server(
    bound: usize,
    options: Options,
) -> (Serving, String, Arc<Semaphore>, Arc<Concurrency>) {
    let socket = RouterSocket::with_options(options).unwrap();
    let endpoint = socket.bind(mem_endpoint()).await.unwrap().to_string();
    let gate = Arc::new(Semaphore::new(0)); // closed: every handler waits
    let seen = Arc::new(Concurrency::default());
    let serving = Server::new(socket).max_in_flight(bound).serve({
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
    (serving, endpoint, gate, seen)
}

#[tokio::test(start_paused = true)]
async fn a_full_server_stops_reading_until_a_handler_finishes() {
    const BOUND: usize = 4;
    const CALLS: usize = 20;
    let (serving, endpoint, gate, seen) = gated_server(BOUND, Options::default()).await;
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

/// With the server full, requests pile up only to the high-water marks and the connection's
/// buffers: then the sending peer is refused (its DEALER would wait), nothing is dropped, and
/// everything accepted is answered once the server has room again.
#[tokio::test(start_paused = true)]
async fn backpressure_reaches_the_sender_through_the_high_water_marks() {
    let (serving, endpoint, gate, _) = gated_server(1, Options::default().recv_hwm(4)).await;
    let mut peer = DealerSocket::with_options(Options::default().send_hwm(4)).unwrap();
    peer.connect(&endpoint).unwrap();
    let body = "x".repeat(16 * 1024);
    let mut accepted = 0u64;
    loop {
        match peer.try_send(raw_request(accepted + 1, 0, "work", &body)) {
            Ok(()) => accepted += 1,
            Err(refused) if matches!(refused.error, Error::WouldBlock) => {
                // Perhaps only not yet connected, or the engine has not written yet: let it
                // run, and stop once it can take nothing more even then.
                tokio::time::sleep(Duration::from_millis(100)).await;
                if peer
                    .try_send(raw_request(accepted + 1, 0, "work", &body))
                    .is_err()
                {
                    break;
                }
                accepted += 1;
            }
            Err(other) => panic!("{:?}", other.error),
        }
        assert!(accepted < 1000, "the sender was never held back");
    }
    assert!(accepted > 1, "the queues took something");
    assert_eq!(serving.stats().started, 1, "one running, the rest queued");

    gate.add_permits(usize::MAX >> 4);
    for _ in 0..accepted {
        let reply = within("reply", peer.recv()).await.unwrap();
        assert_eq!(reply.frames()[3], &[0u8][..], "ok");
    }
    assert_eq!(serving.stats().answered, accepted);
}
