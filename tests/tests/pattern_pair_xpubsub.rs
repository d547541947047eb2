//! PAIR (one peer at a time) and XPUB/XSUB (RFC 29 with subscriptions visible to the
//! application): what XPUB reports for new, repeated, cancelled and departed subscriptions,
//! verbose mode, and XSUB's subscriptions and upstream messages.

use std::collections::BTreeSet;
use std::time::Duration;

use zmtp_tests::socket_harness::{texts, wait_for_event, wait_until, within, Transport};
use zmtp_tests::{over_tcp_and_ipc, over_tcp_ipc_inproc};
use zmtp_tokio::{
    DisconnectReason, Message, MonitorEvent, Options, PairSocket, PubSocket, Refusal, SubSocket,
    TryRecvError, XPubSocket, XSubSocket,
};

const LIMIT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(200);

async fn pair_talks_both_ways_and_refuses_a_second_peer(t: Transport) {
    let mut a = PairSocket::new();
    let mut monitor = a.monitor();
    let ep = a.bind(t.bind_endpoint()).await.unwrap();
    let mut b = PairSocket::new();
    b.connect(&ep).unwrap();
    within(LIMIT, "b sends", b.send("ping")).await.unwrap();
    assert_eq!(
        texts(&within(LIMIT, "a recv", a.recv()).await.unwrap()),
        ["ping"]
    );
    within(LIMIT, "a sends", a.send("pong")).await.unwrap();
    assert_eq!(
        texts(&within(LIMIT, "b recv", b.recv()).await.unwrap()),
        ["pong"]
    );

    let intruder = PairSocket::new();
    intruder.connect(&ep).unwrap();
    let (event, _) = wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::HandshakeFailed { .. })
    })
    .await;
    assert!(
        matches!(
            event,
            MonitorEvent::HandshakeFailed {
                reason: DisconnectReason::Refused(Refusal::PairTaken),
                ..
            }
        ),
        "{event:?}"
    );
    within(LIMIT, "a sends again", a.send("still-b"))
        .await
        .unwrap();
    assert_eq!(
        texts(&within(LIMIT, "b recv", b.recv()).await.unwrap()),
        ["still-b"]
    );
    assert_eq!(a.connected_peers(), 1);
}

/// The subscription messages an XPUB has received within `QUIET` of the last one.
async fn drain_notices(xpub: &mut XPubSocket) -> BTreeSet<Vec<u8>> {
    let mut seen = BTreeSet::new();
    while let Ok(Ok(m)) = tokio::time::timeout(QUIET, xpub.recv()).await {
        assert_eq!(m.len(), 1, "one frame per notice");
        assert!(seen.insert(m.frames()[0].to_vec()), "notice twice: {m:?}");
    }
    seen
}

fn notices(list: &[&[u8]]) -> BTreeSet<Vec<u8>> {
    list.iter().map(|n| n.to_vec()).collect()
}

async fn xpub_reports_new_topics_once_and_cancels_when_the_last_holder_goes(t: Transport) {
    let mut xpub = XPubSocket::new();
    let ep = xpub.bind(t.bind_endpoint()).await.unwrap();
    let first = SubSocket::new();
    first.connect(&ep).unwrap();
    first.subscribe("A").unwrap();
    let second = SubSocket::new();
    second.connect(&ep).unwrap();
    second.subscribe("A").unwrap();
    second.subscribe("B").unwrap();
    wait_until(LIMIT, "both connected", || xpub.connected_peers() == 2).await;
    assert_eq!(
        drain_notices(&mut xpub).await,
        notices(&[b"\x01A", b"\x01B"])
    );

    // `first` cancels A, which `second` still holds: nothing to report.
    first.unsubscribe("A").unwrap();
    assert_eq!(drain_notices(&mut xpub).await, notices(&[]));
    // `second` leaves: both its topics are gone from the socket.
    drop(second);
    assert_eq!(
        drain_notices(&mut xpub).await,
        notices(&[b"\x00A", b"\x00B"])
    );
    // Publishing still filters by what is left: nothing.
    assert_eq!(xpub.publish("A1").unwrap(), 0);
}

async fn verbose_xpub_reports_every_subscription(t: Transport) {
    let mut xpub = XPubSocket::with_options(Options::default().xpub_verbose(true)).unwrap();
    let ep = xpub.bind(t.bind_endpoint()).await.unwrap();
    let mut subs = Vec::new();
    for _ in 0..2 {
        let sub = SubSocket::new();
        sub.connect(&ep).unwrap();
        sub.subscribe("topic").unwrap();
        subs.push(sub);
    }
    let mut seen = Vec::new();
    for _ in 0..2 {
        let m = within(LIMIT, "notice", xpub.recv()).await.unwrap();
        seen.push(texts(&m));
    }
    assert_eq!(seen, vec![vec!["\u{1}topic"], vec!["\u{1}topic"]]);
}

/// ZMQ_XPUB_WELCOME_MSG: each subscriber gets the welcome message first, if it subscribed to
/// it before connecting; one that did not never sees it.
async fn xpub_welcomes_each_subscriber_that_subscribed_to_the_welcome(t: Transport) {
    let options = Options::default()
        .xpub_welcome_msg("welcome!")
        .xpub_verbose(true);
    let mut xpub = XPubSocket::with_options(options).unwrap();
    let ep = xpub.bind(t.bind_endpoint()).await.unwrap();
    let mut welcomed = SubSocket::new();
    welcomed.subscribe("welcome").unwrap();
    welcomed.subscribe("data").unwrap();
    welcomed.connect(&ep).unwrap();
    let mut other = SubSocket::new();
    other.subscribe("data").unwrap();
    other.connect(&ep).unwrap();
    // Verbose: each subscriber's "data" is reported; after both, both are connected and
    // past their welcome.
    let mut data_notices = 0;
    while data_notices < 2 {
        let m = within(LIMIT, "subscription notices", xpub.recv())
            .await
            .unwrap();
        data_notices += usize::from(m.frames()[0] == b"\x01data"[..]);
    }
    xpub.send("data 1").await.unwrap();
    let first = within(LIMIT, "the welcome", welcomed.recv()).await.unwrap();
    assert_eq!(texts(&first), ["welcome!"]);
    let second = within(LIMIT, "data", welcomed.recv()).await.unwrap();
    assert_eq!(texts(&second), ["data 1"]);
    let only = within(LIMIT, "data", other.recv()).await.unwrap();
    assert_eq!(
        texts(&only),
        ["data 1"],
        "no welcome without its subscription"
    );
}

async fn xsub_subscribes_by_message_and_sends_upstream(t: Transport) {
    let mut xpub = XPubSocket::new();
    let ep = xpub.bind(t.bind_endpoint()).await.unwrap();
    let mut xsub = XSubSocket::new();
    xsub.connect(&ep).unwrap();
    within(
        LIMIT,
        "subscribe",
        xsub.send(Message::from(&b"\x01news"[..])),
    )
    .await
    .unwrap();
    let notice = within(LIMIT, "xpub sees it", xpub.recv()).await.unwrap();
    assert_eq!(notice.frames()[0], &b"\x01news"[..]);

    // An ordinary message goes upstream to the publisher.
    within(LIMIT, "upstream", xsub.send("hello-upstream"))
        .await
        .unwrap();
    let up = within(LIMIT, "xpub recv", xpub.recv()).await.unwrap();
    assert_eq!(texts(&up), ["hello-upstream"]);

    // The publisher filters: only `news` reaches the XSUB.
    assert_eq!(xpub.publish("sports").unwrap(), 0);
    assert_eq!(xpub.publish("news-1").unwrap(), 1);
    let got = within(LIMIT, "xsub recv", xsub.recv()).await.unwrap();
    assert_eq!(texts(&got), ["news-1"]);

    xsub.unsubscribe("news").unwrap();
    let notice = within(LIMIT, "cancel", xpub.recv()).await.unwrap();
    assert_eq!(notice.frames()[0], &b"\x00news"[..]);
}

#[tokio::test]
async fn xsub_receives_unfiltered_from_a_pub() {
    let mut publisher = PubSocket::new();
    let ep = publisher.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut xsub = XSubSocket::new();
    xsub.connect(&ep).unwrap();
    xsub.subscribe("").unwrap();
    wait_until(LIMIT, "subscription arrives", || {
        publisher.publish("probe").unwrap() == 1
    })
    .await;
    within(LIMIT, "probe", xsub.recv()).await.unwrap();
    while xsub.try_recv().is_ok() {}
    publisher.publish("anything").unwrap();
    assert_eq!(
        texts(&within(LIMIT, "recv", xsub.recv()).await.unwrap()),
        ["anything"]
    );
    assert!(matches!(xsub.try_recv(), Err(TryRecvError::Empty)));
}

over_tcp_ipc_inproc!(
    pair_talks_both_ways_and_refuses_a_second_peer,
    xpub_reports_new_topics_once_and_cancels_when_the_last_holder_goes,
    verbose_xpub_reports_every_subscription,
    xpub_welcomes_each_subscriber_that_subscribed_to_the_welcome,
    xsub_subscribes_by_message_and_sends_upstream,
);

/// Publishes a text message, returning to how many peers.
type Publish = Box<dyn FnMut(&str) -> usize + Send>;

/// Regression: a subscription decoded in the same read as a message from the same peer took
/// the peer table's lock a second time and deadlocked the connection task (and every task
/// touching the socket after it).
async fn a_subscription_right_after_a_message_in_one_read_does_not_deadlock(t: Transport) {
    use zmtp_tests::raw_peer::{command, message, RawPeer};
    for xpub in [false, true] {
        let (ep, mut publish): (_, Publish) = if xpub {
            let mut s = XPubSocket::new();
            let ep = s.bind(t.bind_endpoint()).await.unwrap();
            (ep, Box::new(move |m| s.publish(m.to_owned()).unwrap()))
        } else {
            let mut s = PubSocket::new();
            let ep = s.bind(t.bind_endpoint()).await.unwrap();
            (ep, Box::new(move |m| s.publish(m.to_owned()).unwrap()))
        };
        let mut peer = within(LIMIT, "connect", RawPeer::connect_as(&ep, "XSUB"))
            .await
            .unwrap();
        let mut burst = message(&[b"upstream-data"]);
        burst.extend(command("SUBSCRIBE", b"t"));
        peer.send_raw(&burst).await.unwrap();
        wait_until(LIMIT, "the subscription is in force", || publish("t1") == 1).await;
        let got = within(LIMIT, "published", peer.read_message())
            .await
            .unwrap();
        assert_eq!(got, [bytes::Bytes::from_static(b"t1")], "xpub: {xpub}");
    }
}

// With a raw peer speaking ZMTP byte by byte: not for inproc, which has no bytes.
over_tcp_and_ipc!(a_subscription_right_after_a_message_in_one_read_does_not_deadlock);
