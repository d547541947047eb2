//! Misbehaving raw peers at one of our PULL sockets: garbage, an oversized frame, an
//! incompatible socket type, a handshake that never finishes. Each is dropped with a monitor
//! event carrying a typed reason, while a well-behaved PUSH connected to the same PULL keeps
//! delivering and nothing already received is lost.

use std::time::{Duration, Instant};

use zmtp_core::error::{Incompatible, Malformed, ProtocolViolation, Timeout};
use zmtp_tests::over_tcp_and_ipc;
use zmtp_tests::raw_peer::{frame, greeting, ready, RawPeer, LONG};
use zmtp_tests::socket_harness::{text, wait_for_event, wait_until, within, Transport};
use zmtp_tokio::{
    ConnectionError, DisconnectReason, Endpoint, Monitor, MonitorEvent, Options, PullSocket,
    PushSocket, SocketType,
};

const LIMIT: Duration = Duration::from_secs(5);

/// A PULL (handshake timeout 300 ms) with a well-behaved PUSH that has delivered `good0..9`
/// into the PULL's queue (not yet read by the application).
struct Setup {
    pull: PullSocket,
    ep: Endpoint,
    monitor: Monitor,
    good: PushSocket,
}

async fn setup(t: Transport) -> Setup {
    setup_with(t, Options::default()).await
}

async fn setup_with(t: Transport, options: Options) -> Setup {
    let pull =
        PullSocket::with_options(options.handshake_timeout(Some(Duration::from_millis(300))))
            .unwrap();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut monitor = pull.monitor();
    let mut good = PushSocket::new();
    good.connect(&ep).unwrap();
    for i in 0..10 {
        within(LIMIT, "good send", good.send(format!("good{i}")))
            .await
            .unwrap();
    }
    wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::HandshakeSucceeded { .. })
    })
    .await;
    Setup {
        pull,
        ep,
        monitor,
        good,
    }
}

impl Setup {
    /// Waits for the bad peer's HandshakeFailed/Disconnected event and returns its reason.
    async fn dropped(&mut self, handshake_done: bool) -> DisconnectReason {
        let (event, skipped) = wait_for_event(&mut self.monitor, LIMIT, |e| {
            matches!(
                e,
                MonitorEvent::HandshakeFailed { .. } | MonitorEvent::Disconnected { .. }
            )
        })
        .await;
        assert!(
            skipped.iter().all(|e| matches!(
                e,
                MonitorEvent::Accepted { .. } | MonitorEvent::HandshakeSucceeded { .. }
            )),
            "{skipped:?}"
        );
        match event {
            MonitorEvent::HandshakeFailed { endpoint, reason } if !handshake_done => {
                assert_eq!(endpoint, self.ep);
                reason
            }
            MonitorEvent::Disconnected { endpoint, reason } if handshake_done => {
                assert_eq!(endpoint, self.ep);
                reason
            }
            other => panic!("unexpected event {other:?} (handshake done: {handshake_done})"),
        }
    }

    /// The good peer is still connected and delivering: the ten messages sent before, then
    /// ten more, all in order (`extra` are other messages expected in between, any position).
    async fn good_peer_unaffected(mut self, extra: &[&str]) {
        for i in 10..20 {
            within(LIMIT, "good send", self.good.send(format!("good{i}")))
                .await
                .unwrap();
        }
        let mut good = Vec::new();
        let mut others = Vec::new();
        while good.len() < 20 || others.len() < extra.len() {
            let m = within(LIMIT, "recv", self.pull.recv()).await.unwrap();
            let t = text(&m);
            if t.starts_with("good") {
                good.push(t);
            } else {
                others.push(t);
            }
        }
        let expected: Vec<String> = (0..20).map(|i| format!("good{i}")).collect();
        assert_eq!(good, expected);
        assert_eq!(others, extra);
        assert_eq!(self.good.connected_peers(), 1);
        wait_until(LIMIT, "only the good peer remains", || {
            self.pull.connected_peers() == 1
        })
        .await;
    }
}

over_tcp_and_ipc!(
    garbage_instead_of_a_greeting_is_dropped,
    an_oversized_frame_is_dropped_on_its_header,
    an_incompatible_socket_type_is_refused_with_an_error_command,
    a_handshake_that_never_finishes_times_out,
    a_message_before_the_handshake_is_dropped,
    a_message_over_max_message_size_is_dropped_counting_all_frames,
);

async fn garbage_instead_of_a_greeting_is_dropped(t: Transport) {
    let mut s = setup(t).await;
    let mut raw = RawPeer::connect(&s.ep).await.unwrap();
    raw.send_raw(b"GET / HTTP/1.1\r\nHost: example\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        s.dropped(false).await,
        DisconnectReason::Connection(ConnectionError::Malformed(Malformed::BadSignature))
    );
    raw.read_until_closed().await.unwrap();
    s.good_peer_unaffected(&[]).await;
}

/// A raw PUSH delivers two messages, then a frame header announcing 2^63-1 bytes: it is dropped
/// on the header (TooLarge), and its two messages are still delivered.
async fn an_oversized_frame_is_dropped_on_its_header(t: Transport) {
    let mut s = setup(t).await;
    let mut raw = RawPeer::connect_as(&s.ep, "PUSH").await.unwrap();
    raw.send_message(&[b"raw1"]).await.unwrap();
    raw.send_message(&[b"raw2"]).await.unwrap();
    let mut header = vec![LONG];
    header.extend_from_slice(&(i64::MAX as u64).to_be_bytes());
    header.extend_from_slice(b"just a few body bytes");
    raw.send_raw(&header).await.unwrap();
    let reason = s.dropped(true).await;
    assert!(
        matches!(
            &reason,
            DisconnectReason::Connection(ConnectionError::Protocol(ProtocolViolation::TooLarge {
                announced,
                command: false,
                ..
            })) if *announced == i64::MAX as u64
        ),
        "{reason:?}"
    );
    raw.read_until_closed().await.unwrap();
    s.good_peer_unaffected(&["raw1", "raw2"]).await;
}

/// READY with Socket-Type PUB to our PULL: HandshakeFailed (incompatible socket type), and the
/// raw peer is told why with an ERROR command before the connection closes.
async fn an_incompatible_socket_type_is_refused_with_an_error_command(t: Transport) {
    let mut s = setup(t).await;
    let mut raw = RawPeer::connect(&s.ep).await.unwrap();
    let mut hello = greeting(1);
    hello.extend_from_slice(&ready("PUB"));
    raw.send_raw(&hello).await.unwrap();
    assert_eq!(
        s.dropped(false).await,
        DisconnectReason::Connection(ConnectionError::Incompatible(Incompatible::SocketType {
            ours: SocketType::Pull,
            theirs: SocketType::Pub
        }))
    );
    raw.read_greeting().await.unwrap();
    let frames = raw.read_until_closed().await.unwrap();
    assert!(
        frames
            .iter()
            .any(|f| f.command_name().as_deref() == Some("ERROR")),
        "no ERROR command before the close: {frames:?}"
    );
    s.good_peer_unaffected(&[]).await;
}

/// A peer that sends its greeting and then nothing: dropped for the 300 ms handshake timeout.
async fn a_handshake_that_never_finishes_times_out(t: Transport) {
    let mut s = setup(t).await;
    let mut raw = RawPeer::connect(&s.ep).await.unwrap();
    let started = Instant::now();
    raw.send_raw(&greeting(1)).await.unwrap();
    assert_eq!(
        s.dropped(false).await,
        DisconnectReason::Connection(ConnectionError::Timeout(Timeout::Handshake))
    );
    let after = started.elapsed();
    assert!(
        after >= Duration::from_millis(250) && after < Duration::from_millis(1500),
        "handshake timeout of 300 ms fired after {after:?}"
    );
    raw.read_until_closed().await.unwrap();
    s.good_peer_unaffected(&[]).await;
}

/// A message frame before READY: dropped on the frame header.
async fn a_message_before_the_handshake_is_dropped(t: Transport) {
    let mut s = setup(t).await;
    let mut raw = RawPeer::connect(&s.ep).await.unwrap();
    let mut bytes = greeting(1);
    bytes.extend_from_slice(&frame(0, b"too early"));
    raw.send_raw(&bytes).await.unwrap();
    assert_eq!(
        s.dropped(false).await,
        DisconnectReason::Connection(ConnectionError::Protocol(
            ProtocolViolation::MessageBeforeHandshake
        ))
    );
    raw.read_until_closed().await.unwrap();
    s.good_peer_unaffected(&[]).await;
}

/// With max_message_size 1000: a two-frame message of exactly 1000 bytes is delivered; a
/// message whose second frame header takes it past 1000 bytes drops the peer (the limit is
/// over all frames of a message, checked on the header).
async fn a_message_over_max_message_size_is_dropped_counting_all_frames(t: Transport) {
    let mut s = setup_with(t, Options::default().max_message_size(Some(1000))).await;
    let mut raw = RawPeer::connect_as(&s.ep, "PUSH").await.unwrap();
    let a = vec![b'a'; 500];
    let b = vec![b'b'; 500];
    raw.send_message(&[&a, &b]).await.unwrap();
    let big = vec![b'c'; 600];
    raw.send_message(&[&big, &big]).await.unwrap();
    let reason = s.dropped(true).await;
    assert_eq!(
        reason,
        DisconnectReason::Connection(ConnectionError::Protocol(ProtocolViolation::TooLarge {
            announced: 600,
            limit: 400,
            command: false
        }))
    );
    raw.read_until_closed().await.unwrap();
    let exact = String::from_utf8(a).unwrap();
    s.good_peer_unaffected(&[exact.as_str()]).await;
}
