//! PUB/SUB against real libzmq, both ways round: libzmq SUB with our PUB and our SUB with
//! libzmq PUB (and XPUB), each with either side binding, over tcp and ipc.
//!
//! Our PUB's filtering is checked directly: `publish` returns how many subscribers a message
//! was queued for, so a libzmq SUB's subscriptions (SUBSCRIBE/CANCEL commands, ZMTP 3.1) and a
//! hand-written ZMTP 3.0 peer's (`0x01topic`/`0x00topic` messages) must show in that count.
//! Our SUB's subscriptions are checked from a libzmq XPUB, which hands them to the application.
//! Subscriptions must survive either side restarting.

mod support;

use std::time::Duration;

use support::*;
use tokio::io::AsyncWriteExt;
use zmtp_tokio::{Message, Options, PubSocket, SubSocket};

/// Pause between publishing rounds while a subscription propagates.
const ROUND: Duration = Duration::from_millis(10);

/// Publishes `skip` (which the subscriber does not want) and `take` until a libzmq SUB
/// receives `take`; asserts our PUB never queued `skip` for it and that the SUB never saw
/// anything but `take` or one of `stale` (leftovers from earlier rounds).
async fn publish_until_libzmq_receives(
    publisher: &mut PubSocket,
    sub: &zmq::Socket,
    skip: &[&[u8]],
    take: &[&[u8]],
    stale: &[&[u8]],
) {
    let take = owned(take);
    within(
        LIMIT,
        "a libzmq SUB receives what it subscribed to",
        async {
            loop {
                let skipped = publisher.publish(message_of(skip)).expect("publish");
                assert_eq!(
                    skipped, 0,
                    "our PUB queued {skip:?} for a subscriber that did not subscribe to it"
                );
                publisher.publish(message_of(&take)).expect("publish");
                tokio::time::sleep(ROUND).await;
                while let Some(got) = try_recv(sub) {
                    if got == take {
                        return;
                    }
                    assert!(
                        stale.iter().any(|s| got[0].starts_with(s)),
                        "libzmq SUB got {got:?}, expected {take:?}"
                    );
                }
            }
        },
    )
    .await;
}

/// Publishes until our PUB queues `message` for `subscribers` subscribers (a subscription or
/// cancellation has taken effect).
async fn publish_until_count(publisher: &mut PubSocket, message: &[&[u8]], subscribers: usize) {
    let what = format!("our PUB queues {message:?} for {subscribers} subscriber(s)");
    within(LIMIT, &what, async {
        while publisher.publish(message_of(message)).expect("publish") != subscribers {
            tokio::time::sleep(ROUND).await;
        }
    })
    .await;
}

/// A libzmq SUB subscribed to "a" gets only "a" messages from our PUB, multipart intact; once it
/// unsubscribes, our PUB stops sending it anything.
async fn libzmq_sub_against_our_pub(binder: Binder, transport: Transport) {
    let ctx = context();
    let sub = socket(&ctx, zmq::SUB);
    sub.set_subscribe(b"a").unwrap();
    let mut publisher = PubSocket::new();
    let _link = link(&publisher, &sub, binder, transport).await;

    publish_until_libzmq_receives(&mut publisher, &sub, &[b"b-skip"], &[b"a-take"], &[]).await;
    assert_eq!(publisher.publish("b-after").unwrap(), 0, "b is filtered");
    assert_eq!(publisher.publish("").unwrap(), 0, "empty topic is filtered");

    let multipart: [&[u8]; 4] = [b"a-multi", b"", b"third", b""];
    assert_eq!(publisher.publish(message_of(&multipart)).unwrap(), 1);
    loop {
        let got = recv_async(&sub, "libzmq SUB multipart").await;
        if got != owned(&[b"a-take"]) {
            assert_eq!(got, owned(&multipart));
            break;
        }
    }

    sub.set_unsubscribe(b"a").unwrap();
    publish_until_count(&mut publisher, &[b"a-after-cancel"], 0).await;
    assert_eq!(publisher.connected_peers(), 1, "still connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_sub_connected_gets_only_its_topics_from_our_pub_bound_over_tcp() {
    libzmq_sub_against_our_pub(Binder::Ours, Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_sub_bound_gets_only_its_topics_from_our_pub_connected_over_tcp() {
    libzmq_sub_against_our_pub(Binder::Libzmq, Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_sub_gets_only_its_topics_from_our_pub_over_ipc() {
    libzmq_sub_against_our_pub(Binder::Ours, Transport::Ipc).await;
}

/// Publishes `skip` and `take` from a libzmq PUB until our SUB receives `take`; our SUB must
/// never hand out `skip`, nor anything but `take` and `stale` leftovers.
async fn libzmq_publishes_until_we_receive(
    publisher: &zmq::Socket,
    sub: &mut SubSocket,
    skip: &[&[u8]],
    take: &[&[u8]],
    stale: &[&[u8]],
) {
    let take = owned(take);
    let what = format!("our SUB receives {take:?}");
    within(LIMIT, &what, async {
        loop {
            send(publisher, skip, "libzmq PUB");
            let frames: Vec<&[u8]> = take.iter().map(Vec::as_slice).collect();
            send(publisher, &frames, "libzmq PUB");
            while let Ok(got) = tokio::time::timeout(ROUND, sub.recv()).await {
                let got = frames_of(&got.expect("our SUB recv"));
                if got == take {
                    return;
                }
                assert!(
                    stale.iter().any(|s| got[0].starts_with(s)),
                    "our SUB got {got:?}, expected {take:?}"
                );
            }
        }
    })
    .await;
}

/// Our SUB subscribed to "a" gets only "a" messages from a libzmq PUB; after swapping "a" for
/// "c", it gets "c" and no "a" published after the swap.
async fn our_sub_against_libzmq_pub(binder: Binder, transport: Transport) {
    let ctx = context();
    let publisher = socket(&ctx, zmq::PUB);
    let mut sub = SubSocket::new();
    sub.subscribe("a").unwrap();
    let _link = link(&sub, &publisher, binder, transport).await;

    libzmq_publishes_until_we_receive(&publisher, &mut sub, &[b"b-skip"], &[b"a-take"], &[]).await;
    let multipart: [&[u8]; 4] = [b"a-multi", b"", b"third", b""];
    libzmq_publishes_until_we_receive(&publisher, &mut sub, &[b"b-skip"], &multipart, &[b"a-take"])
        .await;

    sub.unsubscribe("a").unwrap();
    sub.subscribe("c").unwrap();
    // Anything starting with "a" that arrives now must have been queued before the swap.
    libzmq_publishes_until_we_receive(
        &publisher,
        &mut sub,
        &[b"a-after-unsubscribe"],
        &[b"c-take"],
        &[b"a-take", b"a-multi"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_sub_connected_gets_only_its_topics_from_libzmq_pub_bound_over_tcp() {
    our_sub_against_libzmq_pub(Binder::Libzmq, Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_sub_bound_gets_only_its_topics_from_libzmq_pub_connected_over_tcp() {
    our_sub_against_libzmq_pub(Binder::Ours, Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_sub_gets_only_its_topics_from_libzmq_pub_over_ipc() {
    our_sub_against_libzmq_pub(Binder::Libzmq, Transport::Ipc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_xpub_sees_our_sub_subscribe_and_only_the_last_cancel_of_a_counted_topic() {
    let ctx = context();
    let xpub = socket(&ctx, zmq::XPUB);
    let mut sub = SubSocket::new();
    let _link = link(&sub, &xpub, Binder::Libzmq, Transport::Tcp).await;
    within(LIMIT, "our SUB connects", async {
        while sub.connected_peers() == 0 {
            tokio::time::sleep(ROUND).await;
        }
    })
    .await;

    sub.subscribe("a").unwrap();
    sub.subscribe("a").unwrap();
    sub.subscribe("c").unwrap();
    assert_eq!(recv_async(&xpub, "subscribe a").await, owned(&[b"\x01a"]));
    assert_eq!(recv_async(&xpub, "subscribe c").await, owned(&[b"\x01c"]));

    // One of two subscriptions to "a" cancelled: nothing goes out. Subscriptions travel in
    // order, so had a CANCEL gone out, XPUB would see it before the next subscription.
    sub.unsubscribe("a").unwrap();
    sub.subscribe("d").unwrap();
    assert_eq!(
        recv_async(&xpub, "subscribe d").await,
        owned(&[b"\x01d"]),
        "our SUB cancelled a topic it is still subscribed to"
    );
    sub.unsubscribe("a").unwrap();
    assert_eq!(recv_async(&xpub, "cancel a").await, owned(&[b"\x00a"]));

    // And what the XPUB publishes reaches our SUB, filtered.
    xpub.send("c-from-xpub", 0).unwrap();
    let got = within(LIMIT, "our SUB receives from XPUB", sub.recv())
        .await
        .unwrap();
    assert_eq!(got, Message::from("c-from-xpub"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_sub_sends_subscribe_and_cancel_commands_that_steer_our_pub() {
    let mut publisher = PubSocket::new();
    let endpoint = publisher.bind("tcp://127.0.0.1:0").await.unwrap();
    let relay = Relay::start(tcp_addr(&endpoint.to_string())).await;
    let ctx = context();
    let sub = socket(&ctx, zmq::SUB);
    sub.connect(&relay.endpoint()).unwrap();

    sub.set_subscribe(b"topic-a").unwrap();
    publish_until_count(&mut publisher, &[b"topic-a-1"], 1).await;
    assert_eq!(publisher.publish("topic-b").unwrap(), 0);
    assert_eq!(
        publisher.publish("topic").unwrap(),
        0,
        "prefix of the topic"
    );

    sub.set_unsubscribe(b"topic-a").unwrap();
    publish_until_count(&mut publisher, &[b"topic-a-2"], 0).await;

    // libzmq 4.3 speaks ZMTP 3.1 to us, so the subscriptions travelled as commands:
    // flags 0x04, size, name length, name, topic.
    let wire = relay.captured_to_upstream();
    let subscribe = find(&wire, b"\x04\x11\x09SUBSCRIBEtopic-a");
    let cancel = find(&wire, b"\x04\x0e\x06CANCELtopic-a");
    assert!(
        subscribe.is_some() && cancel.is_some() && subscribe < cancel,
        "expected SUBSCRIBE then CANCEL commands from libzmq, got {wire:02x?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zmtp30_peer_subscribes_to_our_pub_with_0x01_topic_messages() {
    let mut publisher = PubSocket::new();
    let endpoint = publisher.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut peer = within(
        LIMIT,
        "raw connect",
        tokio::net::TcpStream::connect(tcp_addr(&endpoint.to_string())),
    )
    .await
    .unwrap();

    // A ZMTP 3.0 SUB: 3.0 greeting, READY, then a subscription as a message `0x01 topic`.
    let mut hello = raw::greeting(3, 0, "NULL", false);
    hello.extend(raw::ready("SUB"));
    hello.extend(raw::frame(0x00, b"\x01a"));
    peer.write_all(&hello).await.unwrap();
    let greeting = within(LIMIT, "our greeting", raw::read_greeting(&mut peer))
        .await
        .unwrap();
    assert_eq!((greeting[0], greeting[9], greeting[10]), (0xff, 0x7f, 3));

    publish_until_count(&mut publisher, &[b"a-take"], 1).await;
    assert_eq!(publisher.publish("b-skip").unwrap(), 0);
    let multipart: [&[u8]; 3] = [b"a-multi", b"", b"x"];
    assert_eq!(publisher.publish(message_of(&multipart)).unwrap(), 1);
    assert_eq!(
        within(LIMIT, "first message", raw::read_message(&mut peer))
            .await
            .unwrap(),
        owned(&[b"a-take"])
    );
    assert_eq!(
        within(LIMIT, "second message", raw::read_message(&mut peer))
            .await
            .unwrap(),
        owned(&multipart),
        "b-skip must not be sent, multipart must be intact"
    );

    // `0x00 topic` cancels.
    peer.write_all(&raw::frame(0x00, b"\x00a")).await.unwrap();
    publish_until_count(&mut publisher, &[b"a-gone"], 0).await;
    assert_eq!(publisher.connected_peers(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_sub_subscriptions_are_applied_again_after_our_pub_restarts() {
    let options = Options::default().linger(Some(Duration::ZERO));
    let mut publisher = PubSocket::with_options(options.clone()).unwrap();
    let endpoint = publisher.bind("tcp://127.0.0.1:0").await.unwrap();
    let ctx = context();
    let sub = socket(&ctx, zmq::SUB);
    sub.set_subscribe(b"a").unwrap();
    sub.connect(&endpoint.to_string()).unwrap();
    publish_until_libzmq_receives(&mut publisher, &sub, &[b"b-skip"], &[b"a-before"], &[]).await;

    assert!(
        !publisher.close_timeout(LIMIT).await.stopped_waiting(),
        "our PUB closes within {LIMIT:?}"
    );
    let mut publisher = PubSocket::with_options(options).unwrap();
    within(LIMIT, "bind the same port again", publisher.bind(&endpoint))
        .await
        .expect("our PUB binds the same port again");

    // The libzmq SUB reconnects by itself and subscribes again.
    publish_until_libzmq_receives(
        &mut publisher,
        &sub,
        &[b"b-skip"],
        &[b"a-after"],
        &[b"a-before"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_sub_subscribes_again_after_libzmq_pub_restarts() {
    let ctx = context();
    let publisher = socket(&ctx, zmq::PUB);
    let endpoint = bind_tcp(&publisher);
    let mut sub = SubSocket::new();
    let mut monitor = sub.monitor();
    sub.subscribe("a").unwrap();
    sub.connect(endpoint.as_str()).unwrap();
    libzmq_publishes_until_we_receive(&publisher, &mut sub, &[b"b-skip"], &[b"a-before"], &[])
        .await;

    drop(publisher);
    drop(ctx);
    wait_for_event(
        &mut monitor,
        "our SUB notices the libzmq PUB is gone",
        is_disconnect,
    )
    .await;

    let ctx = context();
    let publisher = socket(&ctx, zmq::PUB);
    publisher
        .bind(&endpoint)
        .expect("libzmq PUB binds the same port again");
    // A new libzmq PUB knows no subscriptions: only our SUB sending them again gets it "a".
    libzmq_publishes_until_we_receive(
        &publisher,
        &mut sub,
        &[b"b-skip"],
        &[b"a-after"],
        &[b"a-before"],
    )
    .await;
}
