//! Retries: an idempotent call whose first server does not answer is sent again, with the same
//! id, to the next server in the DEALER's round robin.

mod support;

use std::time::Duration;

use support::{bound_router, test_handler, within};
use zmtp_rpc::{Client, Error, Retry, Server, Serving};
use zmtp_tokio::{DealerSocket, RouterSocket};

/// A client connected first to a ROUTER that never answers, then to a real server, so that
/// its first request goes to the silent one.
async fn silent_then_real() -> (RouterSocket, Serving, Client) {
    let (silent, silent_endpoint) = bound_router().await;
    let (socket, real_endpoint) = bound_router().await;
    let serving = Server::new(socket).serve(test_handler);
    let dealer = DealerSocket::new();
    dealer.connect(&silent_endpoint).unwrap();
    while dealer.connected_peers() < 1 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    dealer.connect(&real_endpoint).unwrap();
    while dealer.connected_peers() < 2 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    (silent, serving, Client::new(dealer))
}

#[tokio::test(start_paused = true)]
async fn an_idempotent_call_is_retried_on_the_next_server() {
    let (mut silent, _serving, client) = silent_then_real().await;
    let client = client.with_retry(Retry::Idempotent { attempts: 2 });
    let start = tokio::time::Instant::now();
    let answer = within(
        "call",
        client.call("echo", "twice", Some(Duration::from_secs(2))),
    )
    .await;
    assert_eq!(answer.unwrap(), "twice");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_millis(1100),
        "the first attempt had half the deadline: {waited:?}"
    );
    assert_eq!(client.stats().retries, 1);
    let lost = silent
        .try_recv()
        .expect("the silent server got the first attempt");
    assert_eq!(lost.frames()[5], "echo");
    assert_eq!(lost.frames()[3], 1u64.to_be_bytes().as_slice(), "same id");
}

#[tokio::test(start_paused = true)]
async fn without_retries_the_same_call_ends_at_its_deadline() {
    let (_silent, _serving, client) = silent_then_real().await;
    let result = within(
        "call",
        client.call("echo", "once", Some(Duration::from_secs(2))),
    )
    .await;
    assert!(matches!(result, Err(Error::DeadlineExceeded)), "{result:?}");
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test(start_paused = true)]
async fn a_call_without_a_deadline_is_not_retried() {
    let (_silent, _serving, client) = silent_then_real().await;
    let call = client.call_with("echo", "x", None, Retry::Idempotent { attempts: 3 });
    assert!(tokio::time::timeout(Duration::from_secs(60), call)
        .await
        .is_err());
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test(start_paused = true)]
async fn a_huge_attempt_count_sends_at_most_one_request_per_millisecond() {
    let (mut silent, serving, client) = silent_then_real().await;
    // Both servers silent: the real one is stopped first.
    drop(serving);
    let retry = Retry::Idempotent { attempts: u32::MAX };
    let result = within(
        "call",
        client.call_with("sleep", "100000", Some(Duration::from_millis(50)), retry),
    )
    .await;
    assert!(matches!(result, Err(Error::DeadlineExceeded)), "{result:?}");
    let retries = client.stats().retries;
    assert!((1..=50).contains(&retries), "{retries} retries in 50 ms");
    let mut received = 0;
    while silent.try_recv().is_ok() {
        received += 1;
    }
    assert!(
        received <= 26,
        "{received} attempts reached the silent server"
    );
}
