//! ZMQ_XPUB_MANUAL, ZMQ_XPUB_VERBOSER and ZMQ_XPUB_NODROP against real libzmq, both ways
//! round: our XPUB with libzmq SUBs (the `zmq` crate), and libzmq's XPUB with the option set
//! against our SUB and XSUB. The `zmq` crate has no setter for these options, so that side is
//! pyzmq's (tests/python/xpub_options.py; `scripts/test` installs pyzmq, and without it these
//! tests fail).

mod support;

use std::time::Duration;

use support::*;
use zmtp_tests::python_peer::PythonPeer;
use zmtp_tokio::{Bytes, Message, Options, SubSocket, XPubSocket, XSubSocket};

/// How long a send must wait before it counts as held back by the subscriber.
const HELD: Duration = Duration::from_millis(200);
/// Numbered messages of a backpressure test: far more than the socket buffers hold.
const MESSAGES: usize = 1000;
/// Bytes of each numbered message's body.
const BODY: usize = 64 * 1024;

fn python(args: &[&str]) -> PythonPeer {
    PythonPeer::start(
        concat!(env!("CARGO_MANIFEST_DIR"), "/python/xpub_options.py"),
        args,
    )
}

/// Message `i`: its number, then a body that fills the buffers quickly.
fn numbered(i: usize) -> Message {
    [Bytes::from(format!("m{i}")), Bytes::from(vec![b'x'; BODY])]
        .into_iter()
        .collect()
}

/// The next subscription notice our XPUB receives.
async fn notice(xpub: &mut XPubSocket, what: &str) -> Vec<Vec<u8>> {
    frames_of(
        &within(LIMIT, what, xpub.recv())
            .await
            .expect("our XPUB recv"),
    )
}

/// Our manual XPUB: a libzmq SUB's subscription and cancellation reach the application and
/// are applied only when it applies them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_manual_xpub_applies_only_what_its_application_decides_for_a_libzmq_sub() {
    let ctx = context();
    let sub = socket(&ctx, zmq::SUB);
    sub.set_subscribe(b"A").unwrap();
    let mut xpub = XPubSocket::with_options(Options::default().xpub_manual(true)).unwrap();
    let _link = link(&xpub, &sub, Binder::Ours, Transport::Tcp).await;
    assert_eq!(notice(&mut xpub, "A").await, owned(&[b"\x01A"]));
    assert_eq!(xpub.publish("A0").unwrap(), 0, "not applied by the socket");
    xpub.subscribe("A").unwrap();
    assert_eq!(xpub.publish("A1").unwrap(), 1);
    assert_eq!(recv_async(&sub, "A1").await, owned(&[b"A1"]));

    sub.set_unsubscribe(b"A").unwrap();
    assert_eq!(notice(&mut xpub, "the cancel").await, owned(&[b"\x00A"]));
    assert_eq!(xpub.publish("A2").unwrap(), 1, "still applied");
    xpub.unsubscribe("A").unwrap();
    assert_eq!(xpub.publish("A3").unwrap(), 0);
}

/// Our verboser XPUB: a libzmq SUB's cancellation of a topic another SUB still holds is
/// reported, and so is each topic of a SUB that leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_verboser_xpub_reports_every_cancellation_of_libzmq_subs() {
    let ctx = context();
    let mut xpub = XPubSocket::with_options(Options::default().xpub_verboser(true)).unwrap();
    let first = socket(&ctx, zmq::SUB);
    first.set_subscribe(b"A").unwrap();
    let link_first = link(&xpub, &first, Binder::Ours, Transport::Tcp).await;
    assert_eq!(notice(&mut xpub, "first's A").await, owned(&[b"\x01A"]));
    let second = socket(&ctx, zmq::SUB);
    second.set_subscribe(b"A").unwrap();
    second.connect(&link_first.endpoint).unwrap();
    assert_eq!(notice(&mut xpub, "second's A").await, owned(&[b"\x01A"]));

    first.set_unsubscribe(b"A").unwrap();
    assert_eq!(
        notice(&mut xpub, "first's cancel, A still held").await,
        owned(&[b"\x00A"])
    );
    first.set_subscribe(b"A").unwrap();
    assert_eq!(
        notice(&mut xpub, "first's A again").await,
        owned(&[b"\x01A"])
    );
    drop(second);
    assert_eq!(
        notice(&mut xpub, "second left, A still held").await,
        owned(&[b"\x00A"])
    );
}

/// Our XPUB with NODROP and a libzmq SUB that does not read: `send` waits instead of
/// dropping, and once the SUB reads, it gets every message in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_nodrop_xpub_holds_back_for_a_slow_libzmq_sub_and_loses_nothing() {
    let ctx = context();
    let sub = socket(&ctx, zmq::SUB);
    sub.set_rcvhwm(2).unwrap();
    sub.set_subscribe(b"").unwrap();
    let options = Options::default().xpub_nodrop(true).send_hwm(2);
    let mut xpub = XPubSocket::with_options(options).unwrap();
    let _link = link(&xpub, &sub, Binder::Ours, Transport::Tcp).await;
    assert_eq!(notice(&mut xpub, "everything").await, owned(&[b"\x01"]));

    let mut accepted = 0;
    while let Ok(sent) = tokio::time::timeout(HELD, xpub.send(numbered(accepted))).await {
        assert_eq!(sent.unwrap(), 1);
        accepted += 1;
        assert!(accepted < MESSAGES, "send never waited for the libzmq SUB");
    }
    assert_eq!(xpub.dropped_messages(), 0);
    let reader = tokio::task::spawn_blocking(move || {
        for i in 0..MESSAGES {
            let got = recv(&sub, "a numbered message");
            assert_eq!(got[0], format!("m{i}").into_bytes(), "nothing lost");
        }
    });
    for i in accepted..MESSAGES {
        within(LIMIT, "send goes on", xpub.send(numbered(i)))
            .await
            .unwrap();
    }
    within(LIMIT, "the libzmq SUB reads all", reader)
        .await
        .unwrap();
    assert_eq!(xpub.dropped_messages(), 0);
}

/// libzmq's manual XPUB (pyzmq) gets our XSUB's subscription to B and subscribes it by hand
/// to A instead: our XSUB, which filters nothing, receives A and never B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_manual_xpub_subscribes_our_xsub_to_what_its_application_chose() {
    let mut publisher = python(&["manual"]);
    let endpoint = publisher.line();
    let mut xsub = XSubSocket::new();
    xsub.connect(endpoint.as_str()).unwrap();
    xsub.subscribe("B").unwrap();
    // The peer goes on publishing: it is handed back, not dropped (which kills it).
    let notice = tokio::task::spawn_blocking(move || (publisher.line(), publisher));
    let (notice, _publisher) = within(LIMIT, "libzmq's notice", notice).await.unwrap();
    assert_eq!(notice, "0142", "\\x01B, as our XSUB asked");
    for _ in 0..3 {
        let got = within(LIMIT, "a message", xsub.recv()).await.unwrap();
        assert_eq!(frames_of(&got), owned(&[b"A-data"]));
    }
}

/// libzmq's XPUB with NODROP (pyzmq) and our SUB that does not read: libzmq holds messages
/// back (EAGAIN), and once our SUB reads, it gets every one in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_nodrop_xpub_holds_back_for_our_slow_sub_and_loses_nothing() {
    let total = MESSAGES.to_string();
    let mut publisher = python(&["nodrop", &total]);
    let endpoint = publisher.line();
    let mut sub = SubSocket::with_options(Options::default().recv_hwm(2)).unwrap();
    sub.subscribe("").unwrap();
    sub.connect(endpoint.as_str()).unwrap();
    let held = tokio::task::spawn_blocking(move || {
        let sent: usize = publisher.line().parse().expect("a count");
        (publisher, sent)
    });
    let (mut publisher, sent) = within(LIMIT, "libzmq holds back", held).await.unwrap();
    assert!(sent < MESSAGES, "libzmq never held a message back");
    for i in 0..MESSAGES {
        let got = within(LIMIT, "a numbered message", sub.recv())
            .await
            .unwrap();
        assert_eq!(
            got.frames()[0],
            format!("m{i}").into_bytes(),
            "nothing lost"
        );
    }
    let done = tokio::task::spawn_blocking(move || publisher.line());
    assert_eq!(within(LIMIT, "libzmq done", done).await.unwrap(), "done");
}
