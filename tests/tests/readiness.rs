//! Readiness waits instead of slow-joiner sleeps: `wait_connected(n)` returns once n peers
//! completed their handshake, `wait_subscribers(n)` once a publisher's n peers subscribed, so
//! that the first message published after it reaches every subscriber.

use std::time::Duration;

use zmtp_tests::socket_harness::{texts, within, Transport};
use zmtp_tests::{on_virtual_time, over_every_transport};
use zmtp_tokio::{Error, PubSocket, PullSocket, PushSocket, SubSocket};

const LIMIT: Duration = Duration::from_secs(10);

on_virtual_time!(wait_connected_returns_only_once_enough_peers_are_there);
over_every_transport!(
    after_wait_subscribers_the_first_message_reaches_every_subscriber,
    wait_connected_counts_accepted_peers_too
);

async fn wait_connected_returns_only_once_enough_peers_are_there(t: Transport) {
    let push = PushSocket::new();
    let (first, second) = (t.free_endpoint(), t.free_endpoint());
    push.connect(&first).unwrap();
    push.connect(&second).unwrap();
    let early = tokio::time::timeout(Duration::from_secs(5), push.wait_connected(1)).await;
    assert!(early.is_err(), "ready with nobody there");

    let pull_1 = PullSocket::new();
    pull_1.bind(&first).await.unwrap();
    within(LIMIT, "one peer", push.wait_connected(1)).await;
    let half = tokio::time::timeout(Duration::from_secs(5), push.wait_connected(2)).await;
    assert!(half.is_err(), "ready with one peer of two");

    let pull_2 = PullSocket::new();
    pull_2.bind(&second).await.unwrap();
    within(LIMIT, "two peers", push.wait_connected(2)).await;
    assert_eq!(push.connected_peers(), 2);
}

async fn wait_connected_counts_accepted_peers_too(t: Transport) {
    let pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let pushes: Vec<PushSocket> = (0..3).map(|_| PushSocket::new()).collect();
    for push in &pushes {
        push.connect(&ep).unwrap();
    }
    within(LIMIT, "three peers", pull.wait_connected(3)).await;
    assert_eq!(pull.connected_peers(), 3);
}

async fn after_wait_subscribers_the_first_message_reaches_every_subscriber(t: Transport) {
    let mut publisher = PubSocket::new();
    let ep = publisher.bind(t.bind_endpoint()).await.unwrap();
    let mut subscribers = Vec::new();
    for _ in 0..3 {
        let sub = SubSocket::new();
        sub.connect(&ep).unwrap();
        sub.subscribe("news").unwrap();
        subscribers.push(sub);
    }
    within(LIMIT, "subscriptions", publisher.wait_subscribers(3))
        .await
        .unwrap();
    // No sleep, no retry: the one message sent goes to all three.
    publisher.send("news: first").await.unwrap();
    for sub in &mut subscribers {
        let got = within(LIMIT, "the first message", sub.recv())
            .await
            .unwrap();
        assert_eq!(texts(&got), ["news: first"]);
    }
    let push = PushSocket::new();
    assert!(matches!(
        push.wait_subscribers(1).await,
        Err(Error::NotSupported(_))
    ));
}
