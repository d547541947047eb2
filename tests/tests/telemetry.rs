//! What zmtp-tokio reports through the `metrics` facade (feature `metrics`) and `tracing`:
//! connections, handshakes and their failures by reason, reconnects, dropped messages, and a
//! span per connection naming the socket, the endpoint, the peer and the mechanism. On tokio's
//! paused clock over `mem://`, with a recorder installed for the test's thread.

use std::time::Duration;

use zmtp_tests::raw_peer::RawPeer;
use zmtp_tests::socket_harness::unique_memory_endpoint;
use zmtp_tests::telemetry::{counted, one_message};
use zmtp_tokio::{
    Endpoint, Message, MonitorEvent, Options, PubSocket, PullSocket, PushSocket, RouterSocket,
    SubSocket,
};

/// Lets the sockets' tasks run for `time` of virtual time.
async fn settle(time: Duration) {
    tokio::time::sleep(time).await;
}

#[test]
fn connections_and_handshakes_are_counted_on_both_sides() {
    let recorder = counted(|| one_message(unique_memory_endpoint()));
    let count = |name, labels: &[(&str, &str)]| recorder.counter(name, labels);
    let all = recorder.counters();
    let accepted = [("socket", "PULL"), ("direction", "accepted")];
    assert_eq!(count("zmtp_connections_total", &accepted), 1, "{all:#?}");
    let connected = [("socket", "PUSH"), ("direction", "connected")];
    assert_eq!(count("zmtp_connections_total", &connected), 1, "{all:#?}");
    assert_eq!(count("zmtp_handshakes_total", &[("socket", "PULL")]), 1);
    assert_eq!(count("zmtp_handshakes_total", &[("socket", "PUSH")]), 1);
}

#[test]
fn handshake_failures_are_counted_by_reason() {
    let recorder = counted(|| async {
        let endpoint = unique_memory_endpoint();
        let pull = PullSocket::new();
        pull.bind(endpoint.as_str()).await.unwrap();
        let endpoint: Endpoint = endpoint.parse().unwrap();
        // Not ZMTP at all.
        let mut http = RawPeer::connect(&endpoint).await.unwrap();
        http.send_raw(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        // ZMTP, but a PULL cannot talk to a PULL.
        let mut pull_peer = RawPeer::connect(&endpoint).await.unwrap();
        let _ = pull_peer.handshake("PULL").await;
        settle(Duration::from_secs(1)).await;
    });
    let failures = |reason| {
        recorder.counter(
            "zmtp_handshake_failures_total",
            &[("socket", "PULL"), ("reason", reason)],
        )
    };
    let all = recorder.counters();
    assert_eq!(failures("malformed"), 1, "{all:#?}");
    assert_eq!(failures("incompatible"), 1, "{all:#?}");
    assert_eq!(
        recorder.counter("zmtp_handshakes_total", &[("socket", "PULL")]),
        0
    );
}

#[test]
fn reconnects_are_counted_as_the_monitor_reports_them() {
    let mut retried = 0;
    let recorder = counted(|| async {
        let push = PushSocket::new();
        let mut monitor = push.monitor();
        push.connect(unique_memory_endpoint().as_str()).unwrap();
        settle(Duration::from_secs(2)).await;
        push.close().await;
        while let Some(event) = monitor.next_event().await {
            retried += matches!(event, MonitorEvent::ConnectRetried { .. }) as u64;
        }
    });
    assert!(retried >= 5, "only {retried} retries in 2 s");
    assert_eq!(
        recorder.counter("zmtp_reconnects_total", &[("socket", "PUSH")]),
        retried
    );
}

#[test]
fn disconnects_are_counted_by_reason() {
    let recorder = counted(|| async {
        let endpoint = unique_memory_endpoint();
        let pull = PullSocket::new();
        pull.bind(endpoint.as_str()).await.unwrap();
        let push = PushSocket::new();
        push.connect(endpoint.as_str()).unwrap();
        push.wait_connected(1).await;
        pull.close().await;
        settle(Duration::from_millis(50)).await;
    });
    let all = recorder.counters();
    let labels = [("socket", "PUSH"), ("reason", "peer_disconnected")];
    assert_eq!(
        recorder.counter("zmtp_disconnects_total", &labels),
        1,
        "{all:#?}"
    );
}

#[test]
fn a_publishers_drops_are_counted_per_copy() {
    let mut dropped = 0;
    let recorder = counted(|| async {
        let endpoint = unique_memory_endpoint();
        let mut publisher = PubSocket::with_options(Options::default().send_hwm(10)).unwrap();
        publisher.bind(endpoint.as_str()).await.unwrap();
        let subscriber = SubSocket::with_options(Options::default().recv_hwm(10)).unwrap();
        subscriber.connect(endpoint.as_str()).unwrap();
        subscriber.subscribe("").unwrap();
        publisher.wait_subscribers(1).await.unwrap();
        // The subscriber never reads: 25 MiB cannot fit in its queues and the pipe between.
        let payload = "x".repeat(64 * 1024);
        for _ in 0..400 {
            publisher.send(payload.clone()).await.unwrap();
        }
        settle(Duration::from_millis(10)).await;
        dropped = publisher.dropped_messages();
    });
    assert!(dropped > 0, "nothing dropped");
    let labels = [("socket", "PUB"), ("cause", "hwm")];
    assert_eq!(
        recorder.counter("zmtp_messages_dropped_total", &labels),
        dropped
    );
}

#[test]
fn a_routers_unroutable_messages_are_counted() {
    let recorder = counted(|| async {
        let mut router = RouterSocket::new();
        router
            .bind(unique_memory_endpoint().as_str())
            .await
            .unwrap();
        for _ in 0..3 {
            router
                .send(Message::from_iter(["nobody", "lost"]))
                .await
                .unwrap();
        }
    });
    let labels = [("socket", "ROUTER"), ("cause", "unroutable")];
    assert_eq!(recorder.counter("zmtp_messages_dropped_total", &labels), 3);
}
