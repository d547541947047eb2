//! Options about connections rather than messages: ZMQ_IMMEDIATE (queue only to peers whose
//! handshake completed), ZMQ_RECONNECT_STOP (when a connecting endpoint gives up) and TCP
//! keepalive (read back from the kernel's own table of sockets).

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use zmtp_tests::socket_harness::{texts, wait_for_event, within, Transport};
use zmtp_tests::{on_virtual_time, over_every_transport};
use zmtp_tokio::{DisconnectReason, MonitorEvent, Options, PullSocket, PushSocket, ReconnectStop};

const LIMIT: Duration = Duration::from_secs(10);

over_every_transport!(
    an_immediate_push_sends_only_to_peers_whose_handshake_completed,
    an_immediate_push_with_no_completed_peer_does_not_queue
);
on_virtual_time!(a_push_without_immediate_queues_to_a_peer_still_connecting);

mod stopping_on_a_refused_connection_drops_the_endpoint_and_reports_its_queue {
    zmtp_tests::transport_case!(tcp stopping_on_a_refused_connection_drops_the_endpoint_and_reports_its_queue);
    zmtp_tests::transport_case!(mem stopping_on_a_refused_connection_drops_the_endpoint_and_reports_its_queue);
}
mod stopping_on_a_failed_handshake_does_not_retry_a_peer_that_speaks_no_zmtp {
    zmtp_tests::transport_case!(tcp stopping_on_a_failed_handshake_does_not_retry_a_peer_that_speaks_no_zmtp);
}
on_virtual_time!(without_reconnect_stop_a_refused_connection_is_retried);

async fn an_immediate_push_sends_only_to_peers_whose_handshake_completed(t: Transport) {
    let mut pull = PullSocket::new();
    let live = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::with_options(Options::default().immediate(true)).unwrap();
    let mut monitor = push.monitor();
    // Nobody listens at the first endpoint: without IMMEDIATE every other message would wait
    // in its pipe, and the PULL would see only half of them.
    push.connect(t.free_endpoint()).unwrap();
    push.connect(&live).unwrap();
    if t != Transport::Inproc {
        wait_for_event(&mut monitor, LIMIT, |e| {
            matches!(e, MonitorEvent::HandshakeSucceeded { .. })
        })
        .await;
    }
    for i in 0..10 {
        within(LIMIT, "send", push.send(format!("m{i}")))
            .await
            .unwrap();
    }
    for i in 0..10 {
        let got = within(LIMIT, "every message reaches the live peer", pull.recv())
            .await
            .unwrap();
        assert_eq!(texts(&got), [format!("m{i}")]);
    }
}

async fn an_immediate_push_with_no_completed_peer_does_not_queue(t: Transport) {
    let mut push = PushSocket::with_options(Options::default().immediate(true)).unwrap();
    let ep = t.free_endpoint();
    push.connect(&ep).unwrap();
    match push.try_send("early") {
        Err(e) if e.is_full() => assert_eq!(texts(&e.into_message()), ["early"]),
        other => panic!("queued to a connection not yet made: {other:?}"),
    }
    // The send waits for a peer, and goes once one completes its handshake.
    let mut pull = PullSocket::new();
    let sending = tokio::spawn(async move {
        push.send("when ready").await.unwrap();
        push
    });
    pull.bind(&ep).await.unwrap();
    let got = within(LIMIT, "recv", pull.recv()).await.unwrap();
    assert_eq!(texts(&got), ["when ready"]);
    within(LIMIT, "send returned", sending).await.unwrap();
}

/// The behaviour IMMEDIATE changes, shown without it: the test above would fail on it.
async fn a_push_without_immediate_queues_to_a_peer_still_connecting(t: Transport) {
    let mut push = PushSocket::new();
    push.connect(t.free_endpoint()).unwrap();
    assert!(push.try_send("queued").is_ok());
}

async fn stopping_on_a_refused_connection_drops_the_endpoint_and_reports_its_queue(t: Transport) {
    let options = Options::default().reconnect_stop(ReconnectStop::CONN_REFUSED);
    let mut push = PushSocket::with_options(options).unwrap();
    let mut monitor = push.monitor();
    let ep = t.free_endpoint();
    push.connect(&ep).unwrap();
    push.send("nobody will take this").await.unwrap();
    let (stopped, _) = wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::ConnectStopped { .. })
    })
    .await;
    let MonitorEvent::ConnectStopped {
        endpoint,
        reason,
        dropped_messages,
    } = stopped
    else {
        unreachable!()
    };
    assert_eq!(endpoint.to_string(), ep);
    assert_eq!(
        reason,
        DisconnectReason::Io(std::io::ErrorKind::ConnectionRefused)
    );
    assert_eq!(dropped_messages, 1, "the queued message is reported");
    wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::Closed { .. })
    })
    .await;
    // The endpoint is gone: a peer binding there now is never connected to.
    let mut pull = PullSocket::new();
    pull.bind(&ep).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_secs(1), pull.recv())
            .await
            .is_err(),
        "a stopped endpoint reconnected"
    );
}

async fn without_reconnect_stop_a_refused_connection_is_retried(t: Transport) {
    let push = PushSocket::new();
    let mut monitor = push.monitor();
    push.connect(t.free_endpoint()).unwrap();
    for _ in 0..3 {
        let (event, skipped) = wait_for_event(&mut monitor, LIMIT, |e| {
            matches!(
                e,
                MonitorEvent::ConnectRetried { .. } | MonitorEvent::ConnectStopped { .. }
            )
        })
        .await;
        assert!(
            matches!(event, MonitorEvent::ConnectRetried { .. }),
            "{event:?} after {skipped:?}"
        );
    }
}

async fn stopping_on_a_failed_handshake_does_not_retry_a_peer_that_speaks_no_zmtp(_: Transport) {
    // A peer that answers every connection with bytes that are not a ZMTP greeting.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ep = format!("tcp://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let mut accepted = 0;
        while let Ok(Ok((mut stream, _))) =
            tokio::time::timeout(Duration::from_secs(2), listener.accept()).await
        {
            accepted += 1;
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
        accepted
    });
    let options = Options::default().reconnect_stop(ReconnectStop::HANDSHAKE_FAILED);
    let push = PushSocket::with_options(options).unwrap();
    let mut monitor = push.monitor();
    push.connect(&ep).unwrap();
    let (stopped, _) = wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::ConnectStopped { .. })
    })
    .await;
    assert!(
        matches!(
            stopped,
            MonitorEvent::ConnectStopped {
                reason: DisconnectReason::Connection(_),
                dropped_messages: 0,
                ..
            }
        ),
        "{stopped:?}"
    );
    // The peer saw one connection, not one every reconnect interval.
    assert_eq!(within(LIMIT, "server", server).await.unwrap(), 1);
}

/// TCP keepalive, on a connecting and on an accepting socket, seen where the kernel keeps it:
/// `/proc/net/tcp` shows a keepalive timer (`tr` 2) armed for the idle time we asked for.
#[cfg(target_os = "linux")]
mod keepalive {
    use super::*;

    use zmtp_tests::socket_harness::within;

    /// The `tr` (timer kind) and `tm->when` (clock ticks) columns of the IPv4 socket from
    /// `local` to `remote`.
    fn timer(local: std::net::SocketAddr, remote: std::net::SocketAddr) -> Option<(u8, u64)> {
        let hex = |a: std::net::SocketAddr| match a {
            std::net::SocketAddr::V4(v4) => format!(
                "{:08X}:{:04X}",
                u32::from_le_bytes(v4.ip().octets()),
                v4.port()
            ),
            std::net::SocketAddr::V6(_) => unreachable!("IPv4 only"),
        };
        let table = std::fs::read_to_string("/proc/self/net/tcp").unwrap();
        table.lines().skip(1).find_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (f[1] == hex(local) && f[2] == hex(remote)).then(|| {
                let (tr, when) = f[5].split_once(':').unwrap();
                (
                    u8::from_str_radix(tr, 16).unwrap(),
                    u64::from_str_radix(when, 16).unwrap(),
                )
            })
        })
    }

    fn ticks_per_second() -> u64 {
        // USER_HZ, the unit of /proc/net/tcp's timers: 100 on every Linux target we know.
        100
    }

    /// Waits until the socket from `local` to `remote` shows a keepalive timer, and returns
    /// how far away it is.
    async fn keepalive_timer(
        local: std::net::SocketAddr,
        remote: std::net::SocketAddr,
    ) -> Duration {
        within(LIMIT, "a keepalive timer", async {
            loop {
                if let Some((2, when)) = timer(local, remote) {
                    return Duration::from_millis(when * 1000 / ticks_per_second());
                }
                tokio::task::yield_now().await;
            }
        })
        .await
    }

    fn tuned() -> Options {
        Options::default()
            .tcp_keepalive(true)
            .tcp_keepalive_idle(Duration::from_secs(777))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_connecting_socket_arms_keepalive_with_its_idle_time() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        let push = PushSocket::with_options(tuned()).unwrap();
        push.connect(format!("tcp://{server}")).unwrap();
        let (_stream, ours) = within(LIMIT, "accept", listener.accept()).await.unwrap();
        let left = keepalive_timer(ours, server).await;
        assert!(
            left > Duration::from_secs(700) && left <= Duration::from_secs(777),
            "keepalive timer {left:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_accepting_socket_arms_keepalive_with_its_idle_time() {
        let pull = PullSocket::with_options(tuned()).unwrap();
        let ep = pull.bind("tcp://127.0.0.1:0").await.unwrap();
        let server: std::net::SocketAddr = ep.to_string()["tcp://".len()..].parse().unwrap();
        let client = tokio::net::TcpStream::connect(server).await.unwrap();
        let left = keepalive_timer(server, client.local_addr().unwrap()).await;
        assert!(
            left > Duration::from_secs(700) && left <= Duration::from_secs(777),
            "keepalive timer {left:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_the_option_no_keepalive_timer_is_armed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        let push = PushSocket::new();
        push.connect(format!("tcp://{server}")).unwrap();
        let (_stream, ours) = within(LIMIT, "accept", listener.accept()).await.unwrap();
        // Our greeting goes out and is acknowledged; then no timer is left on the socket.
        within(LIMIT, "the socket settles", async {
            while timer(ours, server).map(|(tr, _)| tr) != Some(0) {
                tokio::task::yield_now().await;
            }
        })
        .await;
    }
}
