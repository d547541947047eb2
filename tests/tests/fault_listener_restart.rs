//! The bound side of a pipeline restarted many times while connectors keep sending, and an
//! endpoint that refuses connections for seconds before it comes back: connectors reconnect
//! every time (with backoff while refused), keep their order, and lose only what the closed
//! listener socket had not handed to its application.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use zmtp_tests::faults::{check_seq_message, seq_message, SeqReport};
use zmtp_tests::socket_harness::{bind_retrying, wait_for_event, within, Transport};
use zmtp_tests::{on_virtual_time, over_tcp_ipc_inproc};
use zmtp_tokio::{Endpoint, MonitorEvent, Options, PullSocket, PushSocket};

const LIMIT: Duration = Duration::from_secs(5);

over_tcp_ipc_inproc!(connectors_keep_sending_through_twenty_listener_restarts);

// Reconnect intervals are timing: on the paused clock over mem://, where the bounds are exact
// (on the wall clock it failed 1 run in 17 of the whole suite on a loaded 2-core machine).
on_virtual_time!(connectors_back_off_while_refused_and_deliver_when_the_endpoint_returns);

const CONNECTORS: usize = 4;
const RESTARTS: usize = 20;

/// Receives one message and returns (connector, sequence number).
async fn recv_tagged(pull: &mut PullSocket) -> (usize, u64) {
    let message = within(LIMIT, "a message", pull.recv()).await.unwrap();
    let (tag, seq) = check_seq_message(&message).unwrap_or_else(|e| panic!("{e}"));
    (usize::from(tag[0]), seq)
}

/// Four PUSH sockets connect to one endpoint and send numbered messages without pause (each
/// send waits while the endpoint is down). The PULL bound there is dropped and bound anew 20
/// times, alternating `close()` and a plain drop; each incarnation must receive new messages
/// from every connector (each reconnected). At the end every connector's messages arrived in
/// order, without duplicates, its last one included, with at most one gap per restart: the
/// messages a dropped PULL held unread or that were in flight to it.
async fn connectors_keep_sending_through_twenty_listener_restarts(t: Transport) {
    let endpoint: Endpoint = t.free_endpoint().parse().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for connector in 0..CONNECTORS {
        let mut push = PushSocket::with_options(
            Options::default()
                .send_hwm(100)
                .reconnect(Duration::from_millis(10), Some(Duration::from_millis(100))),
        )
        .unwrap();
        push.connect(&endpoint).unwrap();
        let stop = stop.clone();
        senders.push(tokio::spawn(async move {
            let mut sent = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let message = seq_message(&[connector as u8], sent, 1, 32);
                within(LIMIT * 2, "send", push.send(message)).await.unwrap();
                sent += 1;
                if sent % 16 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            (push, sent)
        }));
    }

    let mut received: Vec<Vec<u64>> = vec![Vec::new(); CONNECTORS];
    let mut pull = PullSocket::new();
    for restart in 0..=RESTARTS {
        bind_retrying(&pull, &endpoint, LIMIT).await;
        let mut fresh = [0u32; CONNECTORS];
        while fresh.iter().any(|&n| n < 3) {
            let (connector, seq) = recv_tagged(&mut pull).await;
            fresh[connector] += 1;
            received[connector].push(seq);
        }
        if restart < RESTARTS {
            if restart % 2 == 0 {
                within(LIMIT, "close", pull.close()).await;
            } else {
                drop(pull);
            }
            pull = PullSocket::new();
        }
    }

    stop.store(true, Ordering::SeqCst);
    let mut pushes = Vec::new();
    let mut sent = Vec::new();
    for sender in senders {
        let (push, count) = within(LIMIT, "sender", sender).await.unwrap();
        pushes.push(push);
        sent.push(count);
    }
    // What the connectors still queue reaches the last PULL.
    while received
        .iter()
        .zip(&sent)
        .any(|(got, &sent)| got.last() != Some(&(sent - 1)))
    {
        let (connector, seq) = recv_tagged(&mut pull).await;
        received[connector].push(seq);
    }
    for (connector, (got, &sent)) in received.iter().zip(&sent).enumerate() {
        let report = SeqReport::of(got, sent);
        eprintln!(
            "connector {connector}: sent {sent}, received {}, lost {} in {} gaps",
            report.received,
            report.lost(),
            report.gaps.len()
        );
        assert!(report.out_of_order.is_empty(), "{report:?}");
        assert!(report.gaps.len() <= RESTARTS, "{report:?}");
    }
    drop(pushes);
}

/// A PUSH (reconnect 50 ms, backoff up to 400 ms) connects where nothing listens and queues
/// 100 messages. For 3 s its attempts are refused; the waits it reports double from 50 ms up
/// to 400 ms (each plus up to 50 ms of jitter) and no faster retrying happens. When a PULL
/// binds, the 100 messages arrive within one maximum wait (plus scheduling). After that
/// success the backoff starts again from 50 ms when the PULL goes away.
async fn connectors_back_off_while_refused_and_deliver_when_the_endpoint_returns(t: Transport) {
    let endpoint: Endpoint = t.free_endpoint().parse().unwrap();
    let base = Duration::from_millis(50);
    let max = Duration::from_millis(400);
    let mut push = PushSocket::with_options(Options::default().reconnect(base, Some(max))).unwrap();
    let mut monitor = push.monitor();
    push.connect(&endpoint).unwrap();
    for seq in 0..100 {
        push.try_send(seq_message(b"R", seq, 1, 32)).unwrap();
    }

    let refused_for = Duration::from_secs(3);
    let started = Instant::now();
    let mut waits = Vec::new();
    while started.elapsed() < refused_for {
        let left = refused_for.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, monitor.next_event()).await {
            Ok(Some(MonitorEvent::ConnectRetried { interval, .. })) => waits.push(interval),
            Ok(Some(other)) => panic!("while refused: {other:?}"),
            Ok(None) => panic!("monitor ended"),
            Err(_) => break,
        }
    }
    let floors: Vec<u128> = waits.iter().map(|w| w.as_millis() / 50 * 50).collect();
    eprintln!("waits while refused: {waits:?}");
    assert!(floors.starts_with(&[50, 100, 200, 400]), "{floors:?}");
    assert!(floors[4..].iter().all(|&f| f == 400), "{floors:?}");
    // 3 s of refusals take at most 50 + 100 + 200 + 400 * n ms: about 7 attempts, not 30.
    assert!(
        (4..=10).contains(&waits.len()),
        "{} attempts in {refused_for:?}",
        waits.len()
    );

    let mut pull = PullSocket::new();
    let back = Instant::now();
    bind_retrying(&pull, &endpoint, LIMIT).await;
    for seq in 0..100 {
        let message = within(LIMIT, "queued message", pull.recv()).await.unwrap();
        assert_eq!(check_seq_message(&message).unwrap().1, seq);
    }
    let delay = back.elapsed();
    eprintln!("queued messages delivered {delay:?} after the endpoint came back");
    assert!(delay < max * 4, "{delay:?}");

    within(LIMIT, "close", pull.close()).await;
    let (event, _) = wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::ConnectRetried { .. })
    })
    .await;
    let MonitorEvent::ConnectRetried { interval, .. } = event else {
        unreachable!()
    };
    assert!(interval < base * 2, "backoff not reset: {interval:?}");
}
