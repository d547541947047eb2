//! Waiting for peers instead of sleeping after `connect`: `wait_connected` and, on a
//! publisher, `wait_subscribers`, each bounded by its timeout.

mod common;

use std::time::Duration;

use common::{endpoint, link, text, transports, LIMIT};
use zmtp_blocking::{Error, PubSocket, PullSocket, PushSocket, SubSocket};

/// The slow joiner, ended: once the publisher has seen the subscription, the very first
/// message published reaches the subscriber (no retry loop, no sleep).
#[test]
fn the_first_message_after_wait_subscribers_arrives() {
    for transport in transports() {
        let mut publisher = PubSocket::new().unwrap();
        let mut sub = SubSocket::new().unwrap();
        sub.subscribe("").unwrap();
        link(&mut publisher, &mut sub, transport);
        publisher.wait_subscribers(1, Some(LIMIT)).unwrap();
        publisher.send("first").unwrap();
        assert_eq!(text(&sub.recv().unwrap()), "first", "{transport}");
    }
}

#[test]
fn wait_connected_returns_once_the_peer_is_there_and_times_out_without_one() {
    for transport in transports() {
        let mut pull = PullSocket::new().unwrap();
        let mut push = PushSocket::new().unwrap();
        link(&mut pull, &mut push, transport);
        push.wait_connected(1, Some(LIMIT)).unwrap();
        assert_eq!(push.connected_peers(), 1, "{transport}");

        let lonely = PushSocket::new().unwrap();
        let nobody = match transport {
            "tcp" => "tcp://127.0.0.1:1".to_owned(), // a privileged port nothing listens on
            _ => endpoint(transport),                // a fresh name nobody binds
        };
        lonely.connect(nobody.as_str()).unwrap();
        let waited = lonely.wait_connected(1, Some(Duration::from_millis(100)));
        assert!(
            matches!(waited, Err(Error::TimedOut)),
            "{transport}: {waited:?}"
        );
    }
}

#[test]
fn only_a_publisher_waits_for_subscribers() {
    let push = PushSocket::new().unwrap();
    let refused = push.wait_subscribers(1, Some(LIMIT));
    assert!(
        matches!(
            refused,
            Err(Error::Socket(zmtp_tokio::Error::NotSupported(_)))
        ),
        "{refused:?}"
    );
}
