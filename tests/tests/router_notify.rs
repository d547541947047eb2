//! ZMQ_ROUTER_NOTIFY (`Options::router_notify`): a ROUTER's application receives
//! `[routing id, empty frame]` when a peer completes its handshake and when it goes away, the
//! second after every message that peer sent (libzmq 4.3). Only the flags asked for; none by
//! default.

use std::time::Duration;

use zmtp_tests::socket_harness::{texts, wait_for_event, within, Transport};
use zmtp_tests::{on_virtual_time, over_every_transport};
use zmtp_tokio::{
    DealerSocket, DisconnectReason, MonitorEvent, Options, Refusal, RouterNotify, RouterSocket,
    TryRecvError,
};

const LIMIT: Duration = Duration::from_secs(5);

over_every_transport!(a_router_hears_of_a_peer_arriving_and_leaving_around_its_messages);
on_virtual_time!(
    a_generated_routing_id_is_named_in_both_notifications,
    only_the_notifications_asked_for_arrive,
    a_disconnect_notification_waits_behind_a_full_queue_and_is_not_lost,
    a_peer_refused_at_its_handshake_brings_no_notification,
);

fn notifying_router(notify: RouterNotify) -> RouterSocket {
    RouterSocket::with_options(Options::default().router_notify(notify)).unwrap()
}

async fn recv_texts(router: &mut RouterSocket, what: &str) -> Vec<String> {
    texts(&within(LIMIT, what, router.recv()).await.unwrap())
}

/// Waits until the router's monitor reports a peer gone (the notification is queued before).
async fn wait_for_disconnect(monitor: &mut zmtp_tokio::Monitor) {
    wait_for_event(monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::Disconnected { .. })
    })
    .await;
}

async fn a_router_hears_of_a_peer_arriving_and_leaving_around_its_messages(t: Transport) {
    let mut router = notifying_router(RouterNotify::CONNECT | RouterNotify::DISCONNECT);
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let mut dealer = DealerSocket::with_options(Options::default().identity("A")).unwrap();
    dealer.connect(&ep).unwrap();
    dealer.send("one").await.unwrap();
    dealer.send("two").await.unwrap();
    // Close waits until the router read both, so the disconnect comes after them.
    let report = within(LIMIT, "dealer close", dealer.close()).await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(recv_texts(&mut router, "connect").await, ["A", ""]);
    assert_eq!(recv_texts(&mut router, "one").await, ["A", "one"]);
    assert_eq!(recv_texts(&mut router, "two").await, ["A", "two"]);
    assert_eq!(recv_texts(&mut router, "disconnect").await, ["A", ""]);
}

async fn a_generated_routing_id_is_named_in_both_notifications(t: Transport) {
    let mut router = notifying_router(RouterNotify::ALL);
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let dealer = DealerSocket::new();
    dealer.connect(&ep).unwrap();
    let (arrived, frames) = within(LIMIT, "connect", router.recv_from()).await.unwrap();
    assert_eq!(arrived.len(), 5, "a generated id: {arrived:?}");
    assert_eq!(texts(&frames), [""]);
    drop(dealer);
    let (left, frames) = within(LIMIT, "disconnect", router.recv_from())
        .await
        .unwrap();
    assert_eq!(left, arrived);
    assert_eq!(texts(&frames), [""]);
    // The peer is gone: its id routes nowhere any more.
    router.send_to(left, "anyone?").await.unwrap();
}

async fn only_the_notifications_asked_for_arrive(t: Transport) {
    for notify in [
        RouterNotify::NONE,
        RouterNotify::CONNECT,
        RouterNotify::DISCONNECT,
    ] {
        let mut router = notifying_router(notify);
        let mut monitor = router.monitor();
        let ep = router.bind(t.bind_endpoint()).await.unwrap();
        let mut dealer = DealerSocket::with_options(Options::default().identity("B")).unwrap();
        dealer.connect(&ep).unwrap();
        dealer.send("hello").await.unwrap();
        let mut seen = vec![recv_texts(&mut router, "hello").await];
        drop(dealer);
        wait_for_disconnect(&mut monitor).await;
        while let Ok(message) = router.try_recv() {
            seen.push(texts(&message));
        }
        let mut expected = Vec::new();
        if notify.contains(RouterNotify::CONNECT) {
            expected.push(vec!["B", ""]);
        }
        expected.push(vec!["B", "hello"]);
        if notify.contains(RouterNotify::DISCONNECT) {
            expected.push(vec!["B", ""]);
        }
        assert_eq!(seen, expected, "with {notify:?}");
    }
}

/// The receive queue is at its high-water mark when the peer leaves: libzmq would drop the
/// notification (its pipe refuses the write); here it waits behind the messages.
async fn a_disconnect_notification_waits_behind_a_full_queue_and_is_not_lost(t: Transport) {
    let options = Options::default()
        .router_notify(RouterNotify::DISCONNECT)
        .recv_hwm(2);
    let mut router = RouterSocket::with_options(options).unwrap();
    let mut monitor = router.monitor();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let mut dealer = DealerSocket::with_options(Options::default().identity("C")).unwrap();
    dealer.connect(&ep).unwrap();
    for i in 0..2 {
        dealer.send(format!("m{i}")).await.unwrap();
    }
    drop(dealer);
    wait_for_disconnect(&mut monitor).await;
    assert_eq!(recv_texts(&mut router, "m0").await, ["C", "m0"]);
    assert_eq!(recv_texts(&mut router, "m1").await, ["C", "m1"]);
    assert_eq!(recv_texts(&mut router, "disconnect").await, ["C", ""]);
    assert!(matches!(router.try_recv(), Err(TryRecvError::Empty)));
}

/// A peer refused for a taken identity never joined: neither notification names it, and the
/// peer holding the identity is not reported gone.
async fn a_peer_refused_at_its_handshake_brings_no_notification(t: Transport) {
    let mut router = notifying_router(RouterNotify::ALL);
    let mut monitor = router.monitor();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let first = DealerSocket::with_options(Options::default().identity("D")).unwrap();
    first.connect(&ep).unwrap();
    assert_eq!(recv_texts(&mut router, "connect").await, ["D", ""]);
    let second = DealerSocket::with_options(Options::default().identity("D")).unwrap();
    second.connect(&ep).unwrap();
    let (event, _) = wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::HandshakeFailed { .. })
    })
    .await;
    assert!(
        matches!(
            event,
            MonitorEvent::HandshakeFailed {
                reason: DisconnectReason::Refused(Refusal::DuplicateIdentity),
                ..
            }
        ),
        "{event:?}"
    );
    drop(second);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(matches!(router.try_recv(), Err(TryRecvError::Empty)));
}
