//! Heartbeats both ways, seen from a raw peer on the other side: the broker heartbeats a
//! worker and keeps it while it answers; a worker heartbeats the broker and, when the broker
//! goes silent, says READY again.

mod support;

use std::time::Duration;

use bytes::Bytes;
use support::{bound_router, raw_dealer, started_broker, until, within};
use zmtp_rpc::Worker;
use zmtp_tokio::Message;

const INTERVAL: Duration = Duration::from_millis(100);

fn command(code: u8) -> Message {
    [&b""[..], b"ZRPW1", &[code]]
        .iter()
        .map(|p| Bytes::copy_from_slice(p))
        .collect()
}

/// The command byte of a backend message as a ROUTER receives it (routing id in front).
fn code_of(message: &Message) -> u8 {
    match message.frames() {
        [_, empty, protocol, code]
            if empty.is_empty() && protocol == "ZRPW1" && code.len() == 1 =>
        {
            code[0]
        }
        other => panic!("not a bare worker command: {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_broker_keeps_a_worker_that_heartbeats_and_drops_one_that_stops() {
    let (brokering, _frontend, backend) = started_broker(|b| b.heartbeat(INTERVAL, 3)).await;
    let mut worker = raw_dealer(&backend);
    worker.send(command(1)).await.unwrap();
    until("registered", || brokering.stats().workers == 1).await;
    // Two seconds of answering each heartbeat with one: alive all along.
    for _ in 0..20 {
        let heartbeat = within("a heartbeat", worker.recv()).await.unwrap();
        assert_eq!(heartbeat, command(2));
        worker.send(command(2)).await.unwrap();
    }
    assert_eq!(brokering.stats().workers, 1);
    // Silent from now on: gone at the first heartbeat after three silent intervals (the
    // fourth), not before the third.
    tokio::time::sleep(INTERVAL * 2).await;
    assert_eq!(brokering.stats().workers, 1);
    tokio::time::sleep(INTERVAL * 3).await;
    assert_eq!(brokering.stats().workers, 0);
    assert_eq!(brokering.stats().workers_lost, 1);
}

#[tokio::test(start_paused = true)]
async fn a_worker_says_ready_again_when_the_broker_goes_silent() {
    let (mut broker, backend) = bound_router().await;
    let _working = Worker::connect(&backend)
        .unwrap()
        .heartbeat(INTERVAL, 3)
        .serve(support::test_handler);
    let first = within("READY", broker.recv()).await.unwrap();
    let peer = first.frames()[0].clone();
    assert_eq!(code_of(&first), 1);
    // Answering its heartbeats: it never says READY again.
    for _ in 0..10 {
        let message = within("a heartbeat", broker.recv()).await.unwrap();
        assert_eq!(code_of(&message), 2);
        let mut heartbeat = command(2);
        heartbeat.push_front(peer.clone());
        broker.send(heartbeat).await.unwrap();
    }
    // Silent: heartbeats, then READY once three intervals passed without a word.
    let mut seen = Vec::new();
    while seen.last() != Some(&1) && seen.len() < 10 {
        let message = within("READY again", broker.recv()).await.unwrap();
        seen.push(code_of(&message));
    }
    assert_eq!(
        seen,
        [2, 2, 2, 2, 1],
        "three intervals of silence, then READY"
    );
}
