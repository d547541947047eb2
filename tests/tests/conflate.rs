//! ZMQ_CONFLATE: a queue keeps only its newest message. A PUSH that queues while its peer is
//! away hands over only the last message (every transport), and a PULL that has not read keeps
//! only the newest of what arrived (on the paused clock, where "everything has arrived" is a
//! point in time the test can reach).

use std::time::Duration;

use zmtp_tests::socket_harness::{bind_retrying, texts, wait_for_event, within, Transport};
use zmtp_tests::{on_virtual_time, over_every_transport};
use zmtp_tokio::{MonitorEvent, Options, PullSocket, PushSocket, TryRecvError};

const LIMIT: Duration = Duration::from_secs(5);

over_every_transport!(a_conflating_push_keeps_only_its_newest_message_while_the_peer_is_away);
on_virtual_time!(a_conflating_pull_keeps_only_the_newest_message_it_has_not_read);

async fn a_conflating_push_keeps_only_its_newest_message_while_the_peer_is_away(t: Transport) {
    let mut pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    // A high-water mark of one: without conflation the second send would wait.
    let mut push = PushSocket::with_options(Options::default().conflate(true).send_hwm(1)).unwrap();
    let mut monitor = push.monitor();
    push.connect(&ep).unwrap();
    within(LIMIT, "send", push.send("before")).await.unwrap();
    let got = within(LIMIT, "recv", pull.recv()).await.unwrap();
    assert_eq!(texts(&got), ["before"]);
    within(LIMIT, "close pull", pull.close()).await;
    wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::Disconnected { .. })
    })
    .await;

    for i in 0..10 {
        within(
            LIMIT,
            "send while away never waits",
            push.send(format!("state {i}")),
        )
        .await
        .unwrap();
    }
    let mut pull = PullSocket::new();
    bind_retrying(&pull, &ep, LIMIT).await;
    let got = within(LIMIT, "recv", pull.recv()).await.unwrap();
    assert_eq!(texts(&got), ["state 9"]);
    within(LIMIT, "send", push.send("after")).await.unwrap();
    let got = within(LIMIT, "recv", pull.recv()).await.unwrap();
    assert_eq!(texts(&got), ["after"], "nothing older was kept");
}

async fn a_conflating_pull_keeps_only_the_newest_message_it_has_not_read(t: Transport) {
    let mut pull = PullSocket::with_options(Options::default().conflate(true)).unwrap();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::new();
    push.connect(&ep).unwrap();
    for i in 0..100 {
        push.send(format!("state {i}")).await.unwrap();
    }
    // Virtual time: this returns once every task is idle, everything delivered.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = within(LIMIT, "recv", pull.recv()).await.unwrap();
    assert_eq!(texts(&got), ["state 99"]);
    assert!(matches!(pull.try_recv(), Err(TryRecvError::Empty)));
}
