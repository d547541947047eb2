//! Deadlines, on tokio's paused clock over `mem://`: the client gives up at its deadline, the
//! server drops requests that expired before it read them and stops handlers that outlive
//! theirs.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use support::{bound_router, raw_dealer, raw_request, served_pair, within};
use tokio::time::Instant;
use zmtp_rpc::{Client, Error, HandlerError, Request, Server};
use zmtp_tokio::DealerSocket;

#[tokio::test(start_paused = true)]
async fn a_call_ends_at_its_deadline_when_the_handler_is_slower() {
    let (serving, client, _) = served_pair().await;
    let start = Instant::now();
    let result = within(
        "call",
        client.call("sleep", "10000", Some(Duration::from_secs(1))),
    )
    .await;
    assert!(matches!(result, Err(Error::DeadlineExceeded)), "{result:?}");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_millis(1010),
        "gave up after {waited:?}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        serving.stats().timed_out,
        1,
        "the server stopped the handler"
    );
    assert_eq!(serving.stats().in_flight, 0);
}

#[tokio::test(start_paused = true)]
async fn a_call_with_no_server_ends_at_its_deadline() {
    let socket = DealerSocket::new();
    socket.connect(support::mem_endpoint()).unwrap(); // nobody binds it
    let client = Client::new(socket);
    let start = Instant::now();
    let result = within(
        "call",
        client.call("echo", "x", Some(Duration::from_millis(250))),
    )
    .await;
    assert!(matches!(result, Err(Error::DeadlineExceeded)), "{result:?}");
    assert_eq!(start.elapsed(), Duration::from_millis(250));
    assert_eq!(client.in_flight(), 0);
}

/// A request that waited in the ROUTER's queue past its deadline is never run.
#[tokio::test(start_paused = true)]
async fn a_request_expired_while_queued_is_dropped_without_running() {
    let (socket, endpoint) = bound_router().await;
    let ran = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&ran);
    // One handler at a time, each taking two seconds.
    let serving = Server::new(socket)
        .max_in_flight(1)
        .serve(move |request: Request| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_secs(2)).await;
                Ok::<_, HandlerError>(request.into_body())
            }
        });
    let client = Client::connect(&endpoint).unwrap();
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.call("slow", "first", None).await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await; // the first is running
    let second = within(
        "second",
        client.call("slow", "second", Some(Duration::from_secs(1))),
    )
    .await;
    assert!(matches!(second, Err(Error::DeadlineExceeded)), "{second:?}");
    assert_eq!(within("first", first).await.unwrap().unwrap(), "first");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        ran.load(Ordering::SeqCst),
        1,
        "the expired request never ran"
    );
    assert_eq!(serving.stats().expired, 1);
}

/// A peer's request whose wire deadline is already past is dropped unrun, with no reply; the
/// same peer's next request is answered.
#[tokio::test(start_paused = true)]
async fn a_request_sent_after_its_deadline_is_dropped() {
    let (serving, _client, endpoint) = served_pair().await;
    let mut peer = raw_dealer(&endpoint);
    peer.send(raw_request(1, 1, "echo", "too late"))
        .await
        .unwrap(); // 1 ms after the epoch
    peer.send(raw_request(2, 0, "echo", "in time"))
        .await
        .unwrap();
    let reply = within("reply", peer.recv()).await.unwrap();
    assert_eq!(
        reply.frames()[2],
        Bytes::copy_from_slice(&2u64.to_be_bytes())
    );
    assert_eq!(reply.frames()[4], "in time");
    assert_eq!(serving.stats().expired, 1);
    assert_eq!(serving.stats().started, 1);
}

#[tokio::test(start_paused = true)]
async fn a_deadline_too_far_for_the_clock_is_no_deadline() {
    let (_serving, client, _) = served_pair().await;
    let answer = within("call", client.call("echo", "x", Some(Duration::MAX))).await;
    assert_eq!(answer.unwrap(), "x");
}
