//! ZMQ_XPUB_MANUAL: the XPUB applies no subscription itself. Every subscription and
//! cancellation, repeated or not, reaches the application, which applies what it chooses with
//! `subscribe`/`unsubscribe` on the XPUB to the subscriber the last received message came
//! from (libzmq's ZMQ_SUBSCRIBE/ZMQ_UNSUBSCRIBE on a manual XPUB, applied to `_last_pipe`).
//! A subscriber leaving reports a cancellation for each topic it had asked for, and can no
//! longer be subscribed. On the paused clock over `mem://`.

use std::time::Duration;

use zmtp_tests::on_virtual_time;
use zmtp_tests::socket_harness::{text, within, Transport};
use zmtp_tokio::{Error, Options, SubSocket, XPubSocket, XSubSocket};

const LIMIT: Duration = Duration::from_secs(5);

on_virtual_time!(
    a_manual_xpub_applies_only_what_the_application_decides,
    subscribing_by_hand_needs_a_manual_xpub_and_a_received_subscription,
);

/// The next subscription notice, as bytes.
async fn notice(xpub: &mut XPubSocket) -> Vec<u8> {
    let m = within(LIMIT, "a subscription notice", xpub.recv())
        .await
        .unwrap();
    m.frames()[0].to_vec()
}

/// Lets every task run until idle (virtual time): what was sent has arrived.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn a_manual_xpub_applies_only_what_the_application_decides(t: Transport) {
    let mut xpub = XPubSocket::with_options(Options::default().xpub_manual(true)).unwrap();
    let ep = xpub.bind(t.bind_endpoint()).await.unwrap();

    // A subscription reaches the application and is not applied until it says so.
    let mut first = SubSocket::new();
    first.subscribe("A").unwrap();
    first.connect(&ep).unwrap();
    assert_eq!(notice(&mut xpub).await, b"\x01A");
    assert_eq!(xpub.publish("A0").unwrap(), 0, "not applied by the socket");
    // As in libzmq, a `1 topic` the application sends is a message to publish, not a
    // subscription (libzmq's manual XPUB subscribes through ZMQ_SUBSCRIBE only).
    assert_eq!(xpub.publish(&b"\x01A"[..]).unwrap(), 0);
    assert_eq!(
        xpub.publish("A0").unwrap(),
        0,
        "sending `1 A` subscribed nobody"
    );
    xpub.subscribe("A").unwrap();
    assert_eq!(xpub.publish("A1").unwrap(), 1);
    assert_eq!(
        text(&within(LIMIT, "A1", first.recv()).await.unwrap()),
        "A1"
    );

    // A repeated subscription is handed up too; what is applied goes to the subscriber the
    // last received notice came from, whatever topic the application chooses.
    let mut second = XSubSocket::new();
    second.connect(&ep).unwrap();
    second.subscribe("B").unwrap();
    assert_eq!(notice(&mut xpub).await, b"\x01B");
    // Connected now: an XSUB sends each subscribe, even of a topic it holds.
    second.subscribe("B").unwrap();
    assert_eq!(
        notice(&mut xpub).await,
        b"\x01B",
        "every one, repeated or not"
    );
    assert_eq!(xpub.publish("B0").unwrap(), 0);
    xpub.subscribe("B").unwrap();
    xpub.subscribe("A").unwrap();
    assert_eq!(xpub.publish("B1").unwrap(), 1, "only `second` has B");
    assert_eq!(xpub.publish("A2").unwrap(), 2, "both have A now");
    assert_eq!(
        text(&within(LIMIT, "B1", second.recv()).await.unwrap()),
        "B1"
    );
    assert_eq!(
        text(&within(LIMIT, "A2", second.recv()).await.unwrap()),
        "A2"
    );
    assert_eq!(
        text(&within(LIMIT, "A2", first.recv()).await.unwrap()),
        "A2"
    );

    // A cancellation is handed up and applied only when the application cancels.
    first.unsubscribe("A").unwrap();
    assert_eq!(notice(&mut xpub).await, b"\x00A");
    assert_eq!(xpub.publish("A3").unwrap(), 2, "still applied");
    xpub.unsubscribe("A").unwrap();
    assert_eq!(xpub.publish("A4").unwrap(), 1, "only `second` now");

    // `second` leaves: a cancellation for what it asked (B, once), none for the A the
    // application gave it; then it can no longer be subscribed, and has nothing applied.
    drop(second);
    assert_eq!(notice(&mut xpub).await, b"\x00B");
    settle().await;
    assert!(
        xpub.try_recv().is_err(),
        "no notice for what it did not ask"
    );
    assert!(matches!(xpub.subscribe("B"), Err(Error::InvalidState(_))));
    assert_eq!(xpub.publish("B2").unwrap(), 0);
    assert_eq!(xpub.publish("A5").unwrap(), 0);
}

async fn subscribing_by_hand_needs_a_manual_xpub_and_a_received_subscription(t: Transport) {
    let manual = XPubSocket::with_options(Options::default().xpub_manual(true)).unwrap();
    assert!(
        matches!(manual.subscribe("A"), Err(Error::InvalidState(_))),
        "nothing was received: there is no subscriber to apply it to"
    );

    let mut xpub = XPubSocket::new();
    let ep = xpub.bind(t.bind_endpoint()).await.unwrap();
    let sub = SubSocket::new();
    sub.subscribe("A").unwrap();
    sub.connect(&ep).unwrap();
    assert_eq!(notice(&mut xpub).await, b"\x01A");
    assert!(
        matches!(xpub.subscribe("B"), Err(Error::InvalidState(_))),
        "an XPUB that applies subscriptions itself takes none by hand"
    );
    assert_eq!(xpub.publish("A1").unwrap(), 1, "applied by the socket");
    assert_eq!(xpub.publish("B1").unwrap(), 0);
}
