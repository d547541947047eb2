//! A publisher's burst from a task that never yields otherwise (the body of `main`, or of a
//! test) reaches a subscriber that keeps up, on both runtimes: `send` waits for a connection
//! task that has not had its turn instead of dropping at the high-water mark. A subscriber
//! that does not read still misses messages, `send` does not wait for it, and every copy is
//! accounted for (taken, or counted as dropped).

use std::time::Duration;

use zmtp_tests::socket_harness::{text, within, Transport};
use zmtp_tokio::{Options, PubSocket, SubSocket};

const LIMIT: Duration = Duration::from_secs(20);
/// Three times the default high-water mark (1000): the burst the report lost two thirds of.
const TICKS: usize = 3000;

/// Publishes a probe until the subscriber's subscription has arrived.
async fn until_subscribed(publisher: &mut PubSocket) {
    within(LIMIT, "the subscription arrives", async {
        while publisher.publish("probe").unwrap() == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

/// The report's case: 3000 ticks from the test's own body to one SUB reading in a task. Every
/// one arrives and none is counted as dropped.
async fn a_burst_from_the_main_task_arrives_whole(transport: Transport) {
    let mut publisher = PubSocket::new();
    let endpoint = publisher.bind(transport.bind_endpoint()).await.unwrap();
    let mut subscriber = SubSocket::new();
    subscriber.subscribe("").unwrap();
    subscriber.connect(&endpoint).unwrap();
    until_subscribed(&mut publisher).await;
    let reader = tokio::spawn(async move {
        let mut ticks = Vec::new();
        loop {
            let message = subscriber.recv().await.unwrap();
            match text(&message).as_str() {
                "probe" => {}
                "end" => return ticks,
                tick => ticks.push(tick.to_owned()),
            }
        }
    });
    for i in 0..TICKS {
        let taken = publisher.send(format!("tick-{i}")).await.unwrap();
        assert_eq!(taken, 1, "tick {i} was not queued for the subscriber");
    }
    assert_eq!(publisher.send("end").await.unwrap(), 1);
    let ticks = within(LIMIT, "the ticks arrive", reader).await.unwrap();
    let expected: Vec<String> = (0..TICKS).map(|i| format!("tick-{i}")).collect();
    assert_eq!(ticks.len(), TICKS, "ticks lost");
    assert_eq!(ticks, expected);
    assert_eq!(publisher.dropped_messages(), 0);
}

/// A subscriber that never reads: `send` returns for every message (it never waits for the
/// subscriber itself), the copies it could not queue are counted, and the two add up.
async fn a_stalled_subscriber_costs_drops_not_a_hang(transport: Transport) {
    let mut publisher = PubSocket::with_options(Options::default().send_hwm(10)).unwrap();
    let endpoint = publisher.bind(transport.bind_endpoint()).await.unwrap();
    let subscriber = SubSocket::with_options(Options::default().recv_hwm(10)).unwrap();
    subscriber.subscribe("").unwrap();
    subscriber.connect(&endpoint).unwrap();
    until_subscribed(&mut publisher).await;
    let dropped_before = publisher.dropped_messages();
    let payload = "x".repeat(64 * 1024);
    let mut taken = 0;
    let messages = 400;
    within(LIMIT, "sending to a subscriber that never reads", async {
        for _ in 0..messages {
            taken += publisher.send(payload.clone()).await.unwrap() as u64;
        }
    })
    .await;
    let dropped = publisher.dropped_messages() - dropped_before;
    assert!(
        dropped > 0,
        "25 MiB cannot fit in the buffers of a subscriber that never reads"
    );
    assert_eq!(
        taken + dropped,
        messages,
        "every copy is either taken or counted"
    );
    drop(subscriber);
}

/// Each case over tcp and ipc, as tests run with the given tokio test attribute.
macro_rules! cases {
    ($runtime:meta; $($case:ident),* $(,)?) => {
        $(
            mod $case {
                use super::super::*;

                #[$runtime]
                async fn tcp() {
                    $case(Transport::Tcp).await;
                }

                #[$runtime]
                async fn ipc() {
                    $case(Transport::Ipc).await;
                }
            }
        )*
    };
}

mod current_thread {
    cases!(
        tokio::test(flavor = "current_thread");
        a_burst_from_the_main_task_arrives_whole,
        a_stalled_subscriber_costs_drops_not_a_hang,
    );
}

mod multi_thread {
    cases!(
        tokio::test(flavor = "multi_thread", worker_threads = 2);
        a_burst_from_the_main_task_arrives_whole,
        a_stalled_subscriber_costs_drops_not_a_hang,
    );
}
