//! Connection lifecycle of our sockets: reconnecting with queued messages, linger on drop and
//! close, heartbeats detecting a silent peer (raw peer), and monitor event sequences. The
//! timing-dependent cases run on tokio's paused clock over `mem://` (see `on_virtual_time!`).

use std::time::Duration;

use tokio::time::Instant;
use zmtp_core::error::Timeout;
use zmtp_tests::raw_peer::{RawListener, RawPeer};
use zmtp_tests::socket_harness::{
    bind_retrying, expect_incompatible, next_event, text, wait_for_event, wait_until, within,
    Transport,
};
use zmtp_tests::{on_virtual_time, over_byte_streams, over_every_transport};
use zmtp_tokio::{
    ConnectionError, DisconnectReason, Endpoint, MonitorEvent, Options, PullSocket, PushSocket,
    SocketType,
};

/// A `HandshakeSucceeded`'s endpoint and peer type, after checking that its `peer_info`
/// agrees with them and names the peer's address.
fn handshake_of(event: MonitorEvent) -> (Endpoint, SocketType) {
    let MonitorEvent::HandshakeSucceeded {
        endpoint,
        peer,
        auth,
        peer_info,
    } = event
    else {
        panic!("not a handshake: {event:?}")
    };
    assert_eq!(peer_info.socket_type, peer);
    assert_eq!(peer_info.endpoint, endpoint);
    assert!(!peer_info.address.is_empty(), "{peer_info:?}");
    assert_eq!(auth, None, "NULL connections carry no auth");
    (endpoint, peer)
}

/// A `Disconnected`'s endpoint, reason and the type of the peer that left.
fn disconnect_of(event: MonitorEvent) -> (Endpoint, DisconnectReason, SocketType) {
    let MonitorEvent::Disconnected {
        endpoint,
        reason,
        peer_info,
    } = event
    else {
        panic!("not a disconnect: {event:?}")
    };
    assert_eq!(peer_info.endpoint, endpoint);
    (endpoint, reason, peer_info.socket_type)
}

const LIMIT: Duration = Duration::from_secs(5);

async fn recv_texts(pull: &mut PullSocket, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        let m = within(LIMIT, &format!("message {i} of {n}"), pull.recv())
            .await
            .unwrap();
        out.push(text(&m));
    }
    out
}

fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

over_every_transport!(
    push_delivers_messages_queued_while_the_pull_was_away,
    dropping_a_push_delivers_its_queued_messages_to_a_live_pull,
    close_waits_until_queued_messages_are_delivered,
    dropping_a_bound_push_delivers_its_queued_messages_to_connected_pulls,
    monitor_reports_listen_accept_handshake_disconnect_close,
);

// With raw peers speaking ZMTP byte by byte: not for inproc, which has no bytes.
over_byte_streams!(connect_gives_up_on_a_peer_of_an_incompatible_type,);

// Timing behaviour (linger, heartbeats, reconnect intervals, timeouts) on the paused clock over
// in-memory transports: deterministic, and the bounds below are exact virtual times.
on_virtual_time!(
    a_dropped_push_lingers_for_a_pull_that_binds_later,
    close_with_an_absent_peer_returns_after_linger,
    close_reports_messages_a_stalled_peer_left_unwritten,
    heartbeat_drops_a_silent_peer,
    heartbeat_keeps_a_responsive_peer,
    heartbeat_does_not_drop_a_sending_peer_while_the_application_reads_slowly,
    a_dead_peer_is_dropped_and_reconnected_while_the_application_is_not_reading,
    peer_ping_ttl_drops_us_when_the_peer_goes_silent,
    pings_announce_the_configured_ttl,
    heartbeat_drops_a_silent_peer_on_a_bound_socket,
    connect_retries_after_a_peer_hangs_up_during_the_handshake,
    connect_retries_after_a_handshake_timeout,
    reconnect_backoff_doubles_up_to_the_maximum,
    close_timeout_gives_up_waiting_for_an_absent_peer,
    monitor_reports_connect_retries_then_connect_and_handshake,
);

/// PULL bound, PUSH connected; the PULL closes, the PUSH queues meanwhile, a new PULL binds on
/// the same endpoint: the queued messages arrive, and the monitor shows the reconnect.
async fn push_delivers_messages_queued_while_the_pull_was_away(t: Transport) {
    let mut pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::new();
    let mut monitor = push.monitor();
    push.connect(&ep).unwrap();
    within(LIMIT, "send", push.send("before")).await.unwrap();
    assert_eq!(recv_texts(&mut pull, 1).await, ["before"]);

    within(LIMIT, "close pull", pull.close()).await;
    wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::Disconnected { .. })
    })
    .await;
    for m in numbered("queued", 10) {
        within(LIMIT, "send while away", push.send(m))
            .await
            .unwrap();
    }

    let mut pull = PullSocket::new();
    bind_retrying(&pull, &ep, LIMIT).await;
    assert_eq!(recv_texts(&mut pull, 10).await, numbered("queued", 10));

    // After the disconnect: at least one retry, then connected and handshake, in that order.
    // An inproc connector does not retry: it waits for the name to be bound again.
    if t != Transport::Inproc {
        let (retried, _) = wait_for_event(&mut monitor, LIMIT, |e| {
            matches!(e, MonitorEvent::ConnectRetried { .. })
        })
        .await;
        assert!(
            matches!(&retried, MonitorEvent::ConnectRetried { endpoint, .. } if *endpoint == ep),
            "{retried:?}"
        );
    }
    let (_, between) = wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::Connected { .. })
    })
    .await;
    assert!(
        between
            .iter()
            .all(|e| matches!(e, MonitorEvent::ConnectRetried { .. })),
        "{between:?}"
    );
    let handshake = next_event(&mut monitor, LIMIT).await;
    assert_eq!(handshake_of(handshake), (ep.clone(), SocketType::Pull));
}

/// 2000 messages sent and the PUSH dropped at once: the PULL, still up, gets all of them.
async fn dropping_a_push_delivers_its_queued_messages_to_a_live_pull(t: Transport) {
    let mut pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::with_options(Options::default().send_hwm(0)).unwrap();
    push.connect(&ep).unwrap();
    for m in numbered("m", 2000) {
        push.try_send(m).unwrap();
    }
    drop(push);
    assert_eq!(recv_texts(&mut pull, 2000).await, numbered("m", 2000));
}

/// A bound PUSH with two PULLs connected queues 2000 messages and is dropped at once: the
/// accepted connections linger too, and the PULLs get all of them between them.
async fn dropping_a_bound_push_delivers_its_queued_messages_to_connected_pulls(t: Transport) {
    let mut push = PushSocket::with_options(Options::default().send_hwm(0)).unwrap();
    let ep = push.bind(t.bind_endpoint()).await.unwrap();
    let mut a = PullSocket::new();
    let mut b = PullSocket::new();
    a.connect(&ep).unwrap();
    b.connect(&ep).unwrap();
    wait_until(LIMIT, "both connected", || push.connected_peers() == 2).await;
    for m in numbered("m", 2000) {
        push.try_send(m).unwrap();
    }
    drop(push);
    let from_a = recv_texts(&mut a, 1000).await;
    let from_b = recv_texts(&mut b, 1000).await;
    let mut all: Vec<String> = from_a.into_iter().chain(from_b).collect();
    all.sort_by_key(|m| m[1..].parse::<u32>().unwrap());
    assert_eq!(all, numbered("m", 2000));
}

/// `close().await` returns once everything queued is delivered; the PULL then has it all
/// (no receive needed during the close for it to complete).
async fn close_waits_until_queued_messages_are_delivered(t: Transport) {
    let mut pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::new();
    push.connect(&ep).unwrap();
    for m in numbered("m", 500) {
        push.try_send(m).unwrap();
    }
    let report = within(LIMIT, "close with a live peer", push.close()).await;
    assert!(report.is_complete(), "close reports {report}");
    for (i, expected) in numbered("m", 500).into_iter().enumerate() {
        let m = within(LIMIT, "recv after close", pull.recv())
            .await
            .unwrap();
        assert_eq!(text(&m), expected, "message {i}");
    }
}

/// A PUSH with messages queued for an endpoint where nobody listens yet is dropped (default
/// linger 30 s): a PULL binding there a moment later still gets them.
async fn a_dropped_push_lingers_for_a_pull_that_binds_later(t: Transport) {
    let ep = t.free_endpoint();
    let mut push = PushSocket::new();
    push.connect(&ep).unwrap();
    for m in numbered("late", 5) {
        push.try_send(m).unwrap();
    }
    drop(push);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut pull = PullSocket::new();
    pull.bind(&ep).await.unwrap();
    assert_eq!(recv_texts(&mut pull, 5).await, numbered("late", 5));
}

/// With linger 200 ms and nobody at the endpoint, `close().await` gives up within about a
/// second; with linger 0 it returns at once.
async fn close_with_an_absent_peer_returns_after_linger(t: Transport) {
    for (linger, bound) in [
        (Duration::from_millis(200), Duration::from_secs(1)),
        (Duration::ZERO, Duration::from_millis(300)),
    ] {
        let mut push = PushSocket::with_options(Options::default().linger(Some(linger))).unwrap();
        push.connect(t.free_endpoint()).unwrap();
        for m in numbered("m", 3) {
            push.try_send(m).unwrap();
        }
        let started = Instant::now();
        let report = within(
            Duration::from_secs(5),
            "close with an absent peer",
            push.close(),
        )
        .await;
        assert_eq!(
            report.queued_messages(),
            3,
            "close reports the messages linger dropped: {report}"
        );
        assert!(!report.is_complete());
        let took = started.elapsed();
        assert!(
            took < bound,
            "close() with linger {linger:?} took {took:?} (bound {bound:?})"
        );
    }
}

/// A bound PUSH whose one peer stopped reading: when linger runs out, the messages still
/// queued (and the bytes the connection could not write) are dropped, and `close` says so.
async fn close_reports_messages_a_stalled_peer_left_unwritten(t: Transport) {
    let mut push =
        PushSocket::with_options(Options::default().linger(Some(Duration::from_millis(200))))
            .unwrap();
    let ep = push.bind(t.bind_endpoint()).await.unwrap();
    let stalled = PullSocket::with_options(Options::default().recv_hwm(1)).unwrap();
    stalled.connect(&ep).unwrap();
    wait_until(LIMIT, "peer connected", || push.connected_peers() == 1).await;
    // Far more than the PULL's queue, read-ahead and the kernel's buffers can hold.
    let big = vec![7u8; 64 * 1024];
    for _ in 0..400 {
        within(LIMIT, "queue", push.send(big.clone()))
            .await
            .unwrap();
    }
    let report = within(LIMIT, "close with a stalled peer", push.close()).await;
    assert!(
        !report.is_complete(),
        "close reports the messages linger dropped"
    );
    let [peer] = report.undelivered() else {
        panic!("one peer expected: {report}");
    };
    assert!(
        peer.queued_messages > 0 && peer.unconfirmed,
        "messages left in the queue, and the written ones unconfirmed: {report}"
    );
    drop(stalled);
}

fn heartbeat_options() -> Options {
    Options::default().heartbeat(Duration::from_millis(100), Duration::from_millis(300))
}

/// Our PUSH (heartbeat 100 ms, timeout 300 ms) connects to a raw peer that completes the
/// handshake and then never sends another byte: it is dropped for a heartbeat timeout, after
/// the first PING plus the timeout (~400 ms) and well within a second.
async fn heartbeat_drops_a_silent_peer(t: Transport) {
    let listener = RawListener::bind(t).await.unwrap();
    let push = PushSocket::with_options(heartbeat_options()).unwrap();
    let mut monitor = push.monitor();
    push.connect(listener.endpoint()).unwrap();
    let mut raw = listener.accept().await.unwrap();
    raw.handshake("PULL").await.unwrap();
    wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::HandshakeSucceeded { .. })
    })
    .await;
    let handshake_at = Instant::now();

    let (event, skipped) = wait_for_event(&mut monitor, Duration::from_secs(3), |e| {
        matches!(e, MonitorEvent::Disconnected { .. })
    })
    .await;
    let after = handshake_at.elapsed();
    assert!(skipped.is_empty(), "{skipped:?}");
    let MonitorEvent::Disconnected { reason, .. } = event else {
        unreachable!()
    };
    assert_eq!(
        reason,
        DisconnectReason::Connection(ConnectionError::Timeout(Timeout::Heartbeat))
    );
    assert!(
        after >= Duration::from_millis(250) && after <= Duration::from_millis(1200),
        "dropped {after:?} after the handshake (expected ~400 ms)"
    );
    // The raw peer saw PINGs before being dropped.
    let frames = raw.read_until_closed().await.unwrap();
    assert!(
        frames
            .iter()
            .any(|f| f.command_name().as_deref() == Some("PING")),
        "no PING on the wire: {frames:?}"
    );
}

/// Two of our sockets with heartbeats answer each other's PINGs: nobody is dropped.
async fn heartbeat_keeps_a_responsive_peer(t: Transport) {
    let mut pull = PullSocket::with_options(heartbeat_options()).unwrap();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut pull_monitor = pull.monitor();
    let mut push = PushSocket::with_options(heartbeat_options()).unwrap();
    let mut push_monitor = push.monitor();
    push.connect(&ep).unwrap();
    wait_until(LIMIT, "connected", || push.connected_peers() == 1).await;
    // Ten heartbeat intervals, three timeouts.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let drained: Vec<MonitorEvent> = std::iter::from_fn(|| {
        futures::FutureExt::now_or_never(pull_monitor.next_event()).flatten()
    })
    .chain(std::iter::from_fn(|| {
        futures::FutureExt::now_or_never(push_monitor.next_event()).flatten()
    }))
    .collect();
    assert!(
        !drained
            .iter()
            .any(|e| matches!(e, MonitorEvent::Disconnected { .. })),
        "{drained:?}"
    );
    within(LIMIT, "send", push.send("alive")).await.unwrap();
    assert_eq!(recv_texts(&mut pull, 1).await, ["alive"]);
}

/// A PULL with heartbeats (100 ms / 300 ms) and recv_hwm 1 whose application does not read for
/// 1.5 s while a PUSH (no heartbeats of its own) keeps sending: the PUSH is alive and its bytes
/// keep arriving; they wait in the PULL's socket buffer only because the PULL stopped reading
/// for backpressure, and its PONGs wait behind them. The PULL must not declare the peer dead
/// ("any received traffic cancels the timeout", RFC 37 / ZMQ_HEARTBEAT_TIMEOUT), and nothing
/// may be lost.
async fn heartbeat_does_not_drop_a_sending_peer_while_the_application_reads_slowly(t: Transport) {
    const N: usize = 5000;
    let mut pull = PullSocket::with_options(heartbeat_options().recv_hwm(1)).unwrap();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut monitor = pull.monitor();
    let mut push = PushSocket::new();
    push.connect(&ep).unwrap();
    let payload = "x".repeat(4096);
    let sender = tokio::spawn(async move {
        for i in 0..N {
            push.send(format!("{i:05}{payload}")).await.unwrap();
        }
        push
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for i in 0..N {
        let m = within(LIMIT, &format!("message {i}"), pull.recv())
            .await
            .unwrap();
        let got = &text(&m)[..5];
        if got != format!("{i:05}") {
            let events: Vec<MonitorEvent> = std::iter::from_fn(|| {
                futures::FutureExt::now_or_never(monitor.next_event()).flatten()
            })
            .collect();
            panic!("expected message {i}, got {got}: messages lost; monitor: {events:?}");
        }
    }
    // Kept until the events are read: dropping it closes the connection, which the PULL
    // would rightly report as a disconnect.
    let push = within(LIMIT, "sender", sender).await.unwrap();
    let events: Vec<MonitorEvent> =
        std::iter::from_fn(|| futures::FutureExt::now_or_never(monitor.next_event()).flatten())
            .collect();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, MonitorEvent::Disconnected { .. })),
        "a live, sending peer was dropped: {events:?}"
    );
    drop(push);
}

/// Our PULL (heartbeats on, recv_hwm 1) connects to a raw PUSH that sends three messages and
/// then goes silent, and the application does not read. The dead peer must still be noticed
/// (Disconnected for the heartbeat timeout) and the endpoint reconnected, without waiting for
/// the application to read; the three messages received before are still delivered.
async fn a_dead_peer_is_dropped_and_reconnected_while_the_application_is_not_reading(t: Transport) {
    let listener = RawListener::bind(t).await.unwrap();
    let mut pull = PullSocket::with_options(heartbeat_options().recv_hwm(1)).unwrap();
    let mut monitor = pull.monitor();
    pull.connect(listener.endpoint()).unwrap();
    let mut raw = listener.accept().await.unwrap();
    raw.handshake("PUSH").await.unwrap();
    raw.send_message(&[b"m0"]).await.unwrap();
    raw.send_message(&[b"m1"]).await.unwrap();
    raw.send_message(&[b"m2"]).await.unwrap();

    let (event, _) = wait_for_event(&mut monitor, Duration::from_secs(3), |e| {
        matches!(e, MonitorEvent::Disconnected { .. })
    })
    .await;
    assert!(
        matches!(
            &event,
            MonitorEvent::Disconnected {
                reason: DisconnectReason::Connection(ConnectionError::Timeout(Timeout::Heartbeat)),
                ..
            }
        ),
        "{event:?}"
    );
    let _second = listener
        .accept()
        .await
        .expect("reconnect while the application is not reading");
    for expected in ["m0", "m1", "m2"] {
        let m = within(LIMIT, "recv", pull.recv()).await.unwrap();
        assert_eq!(text(&m), expected);
    }
}

/// A raw peer sends PING with a TTL of 300 ms, gets its PONG (context echoed), and goes
/// silent: our socket, without heartbeats of its own, drops it for the peer's TTL.
async fn peer_ping_ttl_drops_us_when_the_peer_goes_silent(t: Transport) {
    let pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut monitor = pull.monitor();
    let mut raw = RawPeer::connect_as(&ep, "PUSH").await.unwrap();
    raw.send_command("PING", b"\x00\x03ctx").await.unwrap();
    let sent_at = Instant::now();
    let pong = raw.read_command().await.unwrap();
    assert_eq!(pong.command_name().as_deref(), Some("PONG"));
    assert_eq!(pong.command_data().as_deref(), Some(&b"ctx"[..]));
    let (event, _) = wait_for_event(&mut monitor, Duration::from_secs(3), |e| {
        matches!(e, MonitorEvent::Disconnected { .. })
    })
    .await;
    let after = sent_at.elapsed();
    assert!(
        matches!(
            &event,
            MonitorEvent::Disconnected {
                reason: DisconnectReason::Connection(ConnectionError::Timeout(Timeout::PeerTtl)),
                ..
            }
        ),
        "{event:?}"
    );
    assert!(
        after >= Duration::from_millis(250) && after <= Duration::from_millis(1200),
        "dropped {after:?} after a PING with TTL 300 ms"
    );
}

/// A bound PULL reports: Listening (the real endpoint), Accepted, HandshakeSucceeded (peer
/// PUSH), Disconnected when the peer goes, and Closed on unbind.
async fn monitor_reports_listen_accept_handshake_disconnect_close(t: Transport) {
    let pull = PullSocket::new();
    let mut monitor = pull.monitor();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    assert_eq!(
        next_event(&mut monitor, LIMIT).await,
        MonitorEvent::Listening {
            endpoint: ep.clone()
        }
    );
    let push = PushSocket::new();
    let mut push_monitor = push.monitor();
    push.connect(&ep).unwrap();
    let accepted = next_event(&mut monitor, LIMIT).await;
    let MonitorEvent::Accepted {
        endpoint,
        peer_addr,
    } = &accepted
    else {
        panic!("expected Accepted, got {accepted:?}")
    };
    assert_eq!(*endpoint, ep);
    if t == Transport::Tcp {
        let addr: std::net::SocketAddr = peer_addr.parse().expect("peer address");
        assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    }
    assert_eq!(
        handshake_of(next_event(&mut monitor, LIMIT).await),
        (ep.clone(), SocketType::Push)
    );
    // The PUSH closes cleanly once it has read the PULL's whole handshake: a socket closed
    // with unread input is reset by the kernel (the PULL would see `Io(ConnectionReset)`).
    wait_for_event(&mut push_monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::HandshakeSucceeded { .. })
    })
    .await;
    within(LIMIT, "push close", push.close()).await;
    let gone = next_event(&mut monitor, LIMIT).await;
    assert!(
        matches!(
            &gone,
            MonitorEvent::Disconnected {
                endpoint,
                reason: DisconnectReason::Connection(ConnectionError::PeerDisconnected { .. }),
                peer_info,
            } if *endpoint == ep && peer_info.socket_type == SocketType::Push
        ),
        "{gone:?}"
    );
    pull.unbind(&ep).unwrap();
    assert_eq!(
        next_event(&mut monitor, LIMIT).await,
        MonitorEvent::Closed {
            endpoint: ep.clone()
        }
    );
}

/// A PUSH connecting where nobody listens reports ConnectRetried (interval within
/// [100 ms, 200 ms): the default interval plus jitter) until a PULL binds, then Connected and
/// HandshakeSucceeded; closing it gives Disconnected (closed locally), Closed, and the end of
/// the monitor stream.
async fn monitor_reports_connect_retries_then_connect_and_handshake(t: Transport) {
    let ep: Endpoint = t.free_endpoint().parse().unwrap();
    let push = PushSocket::new();
    let mut monitor = push.monitor();
    push.connect(&ep).unwrap();
    for _ in 0..2 {
        match next_event(&mut monitor, LIMIT).await {
            MonitorEvent::ConnectRetried { endpoint, interval } => {
                assert_eq!(endpoint, ep);
                assert!(
                    interval >= Duration::from_millis(100) && interval < Duration::from_millis(200),
                    "{interval:?}"
                );
            }
            other => panic!("expected ConnectRetried, got {other:?}"),
        }
    }
    let pull = PullSocket::new();
    pull.bind(&ep).await.unwrap();
    let (connected, _) = wait_for_event(&mut monitor, LIMIT, |e| {
        !matches!(e, MonitorEvent::ConnectRetried { .. })
    })
    .await;
    assert_eq!(
        connected,
        MonitorEvent::Connected {
            endpoint: ep.clone()
        }
    );
    assert_eq!(
        handshake_of(next_event(&mut monitor, LIMIT).await),
        (ep.clone(), SocketType::Pull)
    );
    within(LIMIT, "close", push.close()).await;
    assert_eq!(
        disconnect_of(next_event(&mut monitor, LIMIT).await),
        (ep.clone(), DisconnectReason::Closed, SocketType::Pull)
    );
    assert_eq!(
        next_event(&mut monitor, LIMIT).await,
        MonitorEvent::Closed {
            endpoint: ep.clone()
        }
    );
    assert_eq!(
        within(LIMIT, "monitor end", monitor.next_event()).await,
        None,
        "the monitor stream ends once the socket is gone"
    );
    drop(pull);
}

/// With heartbeat_ttl 2 s, our PINGs carry a TTL of 20 deciseconds.
async fn pings_announce_the_configured_ttl(t: Transport) {
    let listener = RawListener::bind(t).await.unwrap();
    let push = PushSocket::with_options(heartbeat_options().heartbeat_ttl(Duration::from_secs(2)))
        .unwrap();
    push.connect(listener.endpoint()).unwrap();
    let mut raw = listener.accept().await.unwrap();
    raw.handshake("PULL").await.unwrap();
    let ping = raw.read_command().await.unwrap();
    assert_eq!(ping.command_name().as_deref(), Some("PING"));
    let data = ping.command_data().unwrap();
    assert_eq!(u16::from_be_bytes([data[0], data[1]]), 20, "{data:?}");
}

/// Our PULL (heartbeats on) is bound; a raw PUSH connects, completes the handshake, and goes
/// silent: dropped for the heartbeat timeout, as on the connecting side.
async fn heartbeat_drops_a_silent_peer_on_a_bound_socket(t: Transport) {
    let pull = PullSocket::with_options(heartbeat_options()).unwrap();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut monitor = pull.monitor();
    let _raw = RawPeer::connect_as(&ep, "PUSH").await.unwrap();
    let (event, _) = wait_for_event(&mut monitor, Duration::from_secs(3), |e| {
        matches!(e, MonitorEvent::Disconnected { .. })
    })
    .await;
    assert_eq!(
        disconnect_of(event),
        (
            ep,
            DisconnectReason::Connection(ConnectionError::Timeout(Timeout::Heartbeat)),
            SocketType::Push
        )
    );
}

/// A peer answering READY with an incompatible socket type: HandshakeFailed, then the endpoint
/// is given up (ConnectStopped, saying why, then Closed), and no further connection attempt
/// reaches the peer.
async fn connect_gives_up_on_a_peer_of_an_incompatible_type(t: Transport) {
    let listener = RawListener::bind(t).await.unwrap();
    let push = PushSocket::new();
    let mut monitor = push.monitor();
    push.connect(listener.endpoint()).unwrap();
    let mut raw = listener.accept().await.unwrap();
    let _ = raw.handshake("PUB").await;
    expect_incompatible(&mut monitor, LIMIT).await;
    let next = next_event(&mut monitor, LIMIT).await;
    assert!(
        matches!(
            next,
            MonitorEvent::ConnectStopped {
                reason: DisconnectReason::Connection(ConnectionError::Incompatible(_)),
                dropped_messages: 0,
                ..
            }
        ),
        "{next:?}"
    );
    let next = next_event(&mut monitor, LIMIT).await;
    assert!(matches!(next, MonitorEvent::Closed { .. }), "{next:?}");
    let again = tokio::time::timeout(Duration::from_millis(500), listener.accept()).await;
    assert!(again.is_err(), "reconnected to an incompatible peer");
}

/// A peer that hangs up in the middle of the handshake is retried (unlike an incompatible one).
async fn connect_retries_after_a_peer_hangs_up_during_the_handshake(t: Transport) {
    let listener = RawListener::bind(t).await.unwrap();
    let mut push = PushSocket::new();
    let mut monitor = push.monitor();
    push.connect(listener.endpoint()).unwrap();
    let first = listener.accept().await.unwrap();
    drop(first);
    let (failed, _) = wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::HandshakeFailed { .. })
    })
    .await;
    assert!(
        matches!(
            &failed,
            MonitorEvent::HandshakeFailed {
                reason: DisconnectReason::Connection(ConnectionError::PeerDisconnected { .. })
                    | DisconnectReason::Io(_),
                ..
            }
        ),
        "{failed:?}"
    );
    let mut second = listener
        .accept()
        .await
        .expect("a second connection attempt");
    second.handshake("PULL").await.unwrap();
    within(LIMIT, "send", push.send("after retry"))
        .await
        .unwrap();
    assert_eq!(
        second.read_message().await.unwrap(),
        [bytes::Bytes::from_static(b"after retry")]
    );
}

/// reconnect(20 ms, max 80 ms): the retry intervals double from 20 ms up to 80 ms (each plus
/// up to 20 ms of jitter).
async fn reconnect_backoff_doubles_up_to_the_maximum(t: Transport) {
    let push = PushSocket::with_options(
        Options::default().reconnect(Duration::from_millis(20), Some(Duration::from_millis(80))),
    )
    .unwrap();
    let mut monitor = push.monitor();
    push.connect(t.free_endpoint()).unwrap();
    let mut floors = Vec::new();
    for _ in 0..5 {
        match next_event(&mut monitor, LIMIT).await {
            MonitorEvent::ConnectRetried { interval, .. } => {
                floors.push(interval.as_millis() / 20 * 20);
            }
            other => panic!("expected ConnectRetried, got {other:?}"),
        }
    }
    assert_eq!(floors, [20, 40, 80, 80, 80]);
}

/// `close_timeout` says it stopped waiting when linger (1 s here) keeps it waiting for an
/// absent peer.
async fn close_timeout_gives_up_waiting_for_an_absent_peer(t: Transport) {
    let mut push =
        PushSocket::with_options(Options::default().linger(Some(Duration::from_secs(1)))).unwrap();
    push.connect(t.free_endpoint()).unwrap();
    push.try_send("stuck").unwrap();
    let started = Instant::now();
    let report = within(
        LIMIT,
        "close_timeout",
        push.close_timeout(Duration::from_millis(200)),
    )
    .await;
    assert!(
        report.stopped_waiting() && !report.is_complete(),
        "close completed although the message could not be delivered: {report}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
}

/// Outside a tokio runtime, binding and connecting fail with NoRuntime instead of panicking.
#[test]
fn bind_and_connect_outside_a_runtime_fail_with_no_runtime() {
    let push = PushSocket::new();
    let r = push.connect("tcp://127.0.0.1:5555");
    assert!(matches!(r, Err(zmtp_tokio::Error::NoRuntime)), "{r:?}");
    let r = futures::FutureExt::now_or_never(push.bind("tcp://127.0.0.1:0"))
        .expect("bind outside a runtime completes at once");
    assert!(matches!(r, Err(zmtp_tokio::Error::NoRuntime)), "{r:?}");
    drop(push);
}

/// A peer that accepts and never answers: our connecting side's handshake times out (200 ms)
/// and it tries again.
async fn connect_retries_after_a_handshake_timeout(t: Transport) {
    let listener = RawListener::bind(t).await.unwrap();
    let push = PushSocket::with_options(
        Options::default().handshake_timeout(Some(Duration::from_millis(200))),
    )
    .unwrap();
    let mut monitor = push.monitor();
    push.connect(listener.endpoint()).unwrap();
    let _silent = listener.accept().await.unwrap();
    let (failed, _) = wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::HandshakeFailed { .. })
    })
    .await;
    assert!(
        matches!(
            &failed,
            MonitorEvent::HandshakeFailed {
                reason: DisconnectReason::Connection(ConnectionError::Timeout(Timeout::Handshake)),
                ..
            }
        ),
        "{failed:?}"
    );
    let retried = next_event(&mut monitor, LIMIT).await;
    assert!(
        matches!(retried, MonitorEvent::ConnectRetried { .. }),
        "{retried:?}"
    );
    listener.accept().await.expect("a second attempt");
}
