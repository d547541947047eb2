//! ZMQ_XPUB_NODROP: a publisher whose subscriber is at its high-water mark holds the message
//! back instead of dropping it: `send` waits (backpressure), `try_send` and `publish` fail with
//! `WouldBlock` and queue it for nobody. Every message `send` accepted reaches the subscriber,
//! in order. On the paused clock over `mem://`, where "the subscriber has taken all it can" is
//! a point in time the test can reach.

use std::time::Duration;

use zmtp_tests::on_virtual_time;
use zmtp_tests::socket_harness::{text, wait_until, within, Transport};
use zmtp_tokio::{Bytes, Error, Message, Options, PubSocket, SubSocket, TrySendError, XPubSocket};

const LIMIT: Duration = Duration::from_secs(5);
/// Far more than the queues on both sides and the transport between them hold.
const MESSAGES: usize = 200;
/// Bytes of each message's body: the transport holds few of them.
const BODY: usize = 16 * 1024;

/// Message `i`: its number, then a body that fills the transport's buffers quickly.
fn numbered(i: usize) -> Message {
    [Bytes::from(format!("m{i}")), Bytes::from(vec![b'x'; BODY])]
        .into_iter()
        .collect()
}

/// The number a [`numbered`] message carries.
fn number(message: &Message) -> String {
    String::from_utf8(message.frames()[0].to_vec()).unwrap()
}

on_virtual_time!(
    a_nodrop_xpub_waits_for_a_full_subscriber_and_loses_nothing,
    a_nodrop_pub_refuses_without_waiting_and_hands_the_message_back,
    a_nodrop_send_held_back_by_a_subscriber_goes_on_when_it_leaves,
    a_nodrop_sink_waits_for_room_instead_of_failing,
);

fn nodrop() -> Options {
    Options::default().xpub_nodrop(true).send_hwm(4)
}

/// A subscriber to everything with a small receive queue, reading nothing yet.
fn slow_subscriber(endpoint: &str) -> SubSocket {
    let sub = SubSocket::with_options(Options::default().recv_hwm(4)).unwrap();
    sub.subscribe("").unwrap();
    sub.connect(endpoint).unwrap();
    sub
}

async fn a_nodrop_xpub_waits_for_a_full_subscriber_and_loses_nothing(t: Transport) {
    let mut xpub = XPubSocket::with_options(nodrop()).unwrap();
    let ep = xpub.bind(t.bind_endpoint()).await.unwrap();
    let mut sub = slow_subscriber(&ep.to_string());
    let notice = within(LIMIT, "the subscription", xpub.recv())
        .await
        .unwrap();
    assert_eq!(notice.frames()[0], &b"\x01"[..]);

    // Send until `send` waits: virtual time only passes once every task is idle, so a send
    // that times out is one the subscriber cannot take any more of.
    let mut accepted = 0;
    while accepted < MESSAGES {
        let send = xpub.send(numbered(accepted));
        match tokio::time::timeout(Duration::from_secs(1), send).await {
            Ok(sent) => {
                assert_eq!(sent.unwrap(), 1);
                accepted += 1;
            }
            Err(_) => break,
        }
    }
    assert!(
        accepted < MESSAGES,
        "send never waited for the full subscriber"
    );
    let refused = xpub.try_send("refused").unwrap_err();
    assert!(matches!(refused.error, Error::WouldBlock), "{refused:?}");
    assert_eq!(text(&refused.message), "refused", "handed back untouched");
    assert_eq!(xpub.dropped_messages(), 0);

    // The subscriber reads: `send` goes on, and every accepted message arrives, in order.
    let reader = tokio::spawn(async move {
        for i in 0..MESSAGES {
            let got = within(LIMIT, "a message", sub.recv()).await.unwrap();
            assert_eq!(
                number(&got),
                format!("m{i}"),
                "nothing lost, nothing reordered"
            );
        }
    });
    for i in accepted..MESSAGES {
        within(LIMIT, "send goes on", xpub.send(numbered(i)))
            .await
            .unwrap();
    }
    within(LIMIT, "all read", reader).await.unwrap();
    assert_eq!(xpub.dropped_messages(), 0);
}

async fn a_nodrop_pub_refuses_without_waiting_and_hands_the_message_back(t: Transport) {
    let mut publisher = PubSocket::with_options(nodrop()).unwrap();
    let ep = publisher.bind(t.bind_endpoint()).await.unwrap();
    let mut sub = slow_subscriber(&ep.to_string());
    wait_until(LIMIT, "subscribed", || {
        publisher.publish("probe").unwrap() == 1
    })
    .await;
    assert_eq!(
        text(&within(LIMIT, "the probe", sub.recv()).await.unwrap()),
        "probe"
    );

    let mut accepted = 0;
    let refused = loop {
        match publisher.try_send(numbered(accepted)) {
            Ok(n) => {
                assert_eq!(n, 1);
                accepted += 1;
                assert!(accepted < MESSAGES, "try_send never refused");
            }
            Err(refused) => break refused,
        }
        // Let the connection take what it can, so only a full subscriber refuses.
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let TrySendError { error, message } = refused;
    assert!(matches!(error, Error::WouldBlock), "{error:?}");
    assert_eq!(number(&message), format!("m{accepted}"));
    assert!(matches!(publisher.publish("x"), Err(Error::WouldBlock)));
    assert_eq!(publisher.dropped_messages(), 0);
    for i in 0..accepted {
        let got = within(LIMIT, "a message", sub.recv()).await.unwrap();
        assert_eq!(number(&got), format!("m{i}"));
    }
}

async fn a_nodrop_send_held_back_by_a_subscriber_goes_on_when_it_leaves(t: Transport) {
    let mut xpub = XPubSocket::with_options(nodrop()).unwrap();
    let ep = xpub.bind(t.bind_endpoint()).await.unwrap();
    let sub = slow_subscriber(&ep.to_string());
    within(LIMIT, "the subscription", xpub.recv())
        .await
        .unwrap();
    let mut accepted = 0;
    while tokio::time::timeout(Duration::from_secs(1), xpub.send(numbered(accepted)))
        .await
        .is_ok()
    {
        accepted += 1;
        assert!(accepted < MESSAGES, "send never waited");
    }
    let sending = tokio::spawn(async move {
        let sent = xpub.send("after").await;
        (xpub, sent)
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !sending.is_finished(),
        "held back while the subscriber is full"
    );
    drop(sub);
    let (_xpub, sent) = within(LIMIT, "send goes on once it left", sending)
        .await
        .unwrap();
    assert_eq!(sent.unwrap(), 0, "queued for nobody: no subscriber is left");
}

/// As a `Sink`, a NODROP publisher is not ready while a subscriber is full (the message to
/// come is not known yet), so that `start_send` never has to refuse what it was given.
async fn a_nodrop_sink_waits_for_room_instead_of_failing(t: Transport) {
    use futures::SinkExt;
    let mut xpub = XPubSocket::with_options(nodrop()).unwrap();
    let ep = xpub.bind(t.bind_endpoint()).await.unwrap();
    let mut sub = slow_subscriber(&ep.to_string());
    within(LIMIT, "the subscription", xpub.recv())
        .await
        .unwrap();
    let mut fed = 0;
    while let Ok(fed_one) =
        tokio::time::timeout(Duration::from_secs(1), xpub.feed(numbered(fed))).await
    {
        fed_one.expect("a Sink that was ready takes the message");
        fed += 1;
        assert!(fed < MESSAGES, "the Sink never waited");
    }
    let reader = tokio::spawn(async move {
        for i in 0..=fed {
            let got = within(LIMIT, "a message", sub.recv()).await.unwrap();
            assert_eq!(number(&got), format!("m{i}"));
        }
    });
    within(
        LIMIT,
        "the Sink takes it once there is room",
        xpub.feed(numbered(fed)),
    )
    .await
    .unwrap();
    within(LIMIT, "all read", reader).await.unwrap();
    assert_eq!(xpub.dropped_messages(), 0);
}
