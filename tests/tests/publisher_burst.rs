//! A publisher's burst from a task that never yields otherwise (the body of `main`, or of a
//! test) reaches a subscriber that keeps up, on both runtimes: `send` waits for a connection
//! task that has not had its turn instead of dropping at the high-water mark. A subscriber
//! that does not read still misses messages, `send` does not wait for it, and every copy is
//! accounted for (taken, or counted as dropped).

use std::time::Duration;

use futures::StreamExt;

use zmtp_tests::socket_harness::{text, within, Transport};
use zmtp_tokio::{MonitorEvent, Options, PubSocket, SubSocket};

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
/// subscriber itself), the copies it could not queue are counted, and the two add up; the
/// monitor reports each drop episode's start and, once the subscriber is gone, how many it
/// lost, adding up to the count.
async fn a_stalled_subscriber_costs_drops_not_a_hang(transport: Transport) {
    let mut publisher = PubSocket::with_options(Options::default().send_hwm(10)).unwrap();
    let mut events = publisher.monitor();
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
    let (mut started, mut ended, mut reported) = (0, 0, 0);
    within(LIMIT, "the drop episodes are reported", async {
        while reported < dropped || started > ended {
            match events.next().await.expect("monitor open") {
                MonitorEvent::HighWaterMarkReached { endpoint: e, .. } => {
                    assert_eq!(e, endpoint);
                    assert_eq!(started, ended, "an episode starts after the last ended");
                    started += 1;
                }
                MonitorEvent::MessagesDropped { messages, .. } => {
                    assert_eq!(started, ended + 1, "an episode ends after it started");
                    ended += 1;
                    reported += messages;
                }
                _ => {}
            }
        }
    })
    .await;
    assert_eq!(reported, dropped, "the episodes add up to the count");
    assert!(started >= 1);
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

/// A drop episode ends while the subscriber stays connected, once it catches up: its queue
/// drained to half the high-water mark. The subscriber gets everything but the dropped
/// copies, and the episode's count is the publisher's. On the paused clock over `mem://`.
#[tokio::test(start_paused = true)]
async fn a_drop_episode_ends_when_the_subscriber_catches_up() {
    let mut publisher = PubSocket::with_options(Options::default().send_hwm(10)).unwrap();
    let mut events = publisher.monitor();
    let endpoint = publisher
        .bind(zmtp_tests::socket_harness::unique_memory_endpoint())
        .await
        .unwrap();
    let mut subscriber = SubSocket::with_options(Options::default().recv_hwm(10)).unwrap();
    subscriber.subscribe("").unwrap();
    subscriber.connect(&endpoint).unwrap();
    until_subscribed(&mut publisher).await;
    // Let the probes through, then stop reading while a burst of large messages fills every
    // buffer on the way.
    tokio::time::sleep(Duration::from_millis(10)).await;
    while subscriber.try_recv().is_ok() {}
    let payload = "y".repeat(256 * 1024);
    let mut taken = 0;
    for _ in 0..200 {
        taken += publisher.publish(payload.clone()).unwrap();
    }
    let dropped = publisher.dropped_messages();
    assert!(dropped > 0, "50 MiB does not fit");
    let started = within(LIMIT, "the episode starts", async {
        loop {
            if let MonitorEvent::HighWaterMarkReached { peer_addr, .. } =
                events.next().await.unwrap()
            {
                return peer_addr;
            }
        }
    })
    .await;
    assert!(started.starts_with("mem://"), "{started}");

    let mut received = 0;
    within(LIMIT, "the subscriber reads what was queued", async {
        while received < taken {
            subscriber.recv().await.unwrap();
            received += 1;
        }
    })
    .await;
    let lost = within(LIMIT, "the episode ends", async {
        loop {
            if let MonitorEvent::MessagesDropped { messages, .. } = events.next().await.unwrap() {
                return messages;
            }
        }
    })
    .await;
    assert_eq!(lost, dropped);
    assert_eq!(publisher.connected_peers(), 1, "still connected");
}
