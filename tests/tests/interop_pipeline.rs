//! PUSH/PULL against real libzmq, both ways round: our PUSH to libzmq PULL and libzmq PUSH
//! to our PULL, each with either side binding, over tcp and ipc; multipart messages with empty
//! frames, 3 MiB messages, 10 000 messages in order, and a libzmq PULL restarting while our
//! PUSH queues.

mod support;

use support::*;
use zmtp_tokio::{PullSocket, PushSocket};

/// A mix of shapes: single frames, 3+ frames with empty ones, a lone empty frame.
fn assorted() -> Vec<Vec<Vec<u8>>> {
    vec![
        owned(&[b"one"]),
        owned(&[b"a", b"", b"c", b"d"]),
        owned(&[b""]),
        owned(&[b"", b"", b"third-of-three"]),
        owned(&[b"topic", b"body", b"", b"trailer", b"last"]),
    ]
}

/// Our PUSH sends `messages`; a libzmq PULL must receive exactly them, in order.
async fn our_push_to_libzmq_pull(
    binder: Binder,
    transport: Transport,
    messages: Vec<Vec<Vec<u8>>>,
) {
    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    let mut push = PushSocket::new();
    let _link = link(&push, &pull, binder, transport).await;

    let n = messages.len();
    let receiver = blocking("libzmq-pull", move || {
        let got: Vec<_> = (0..n).map(|_| recv(&pull, "libzmq PULL")).collect();
        (pull, got)
    });
    for message in &messages {
        within(LIMIT, "our PUSH send", push.send(message_of(message)))
            .await
            .expect("our PUSH send");
    }
    let (_pull, got) = receiver.join().await;
    assert_eq!(got.len(), messages.len());
    for (i, (got, sent)) in got.iter().zip(&messages).enumerate() {
        assert!(
            got == sent,
            "message {i}: libzmq PULL got frames of sizes {:?}, we sent {:?}",
            got.iter().map(Vec::len).collect::<Vec<_>>(),
            sent.iter().map(Vec::len).collect::<Vec<_>>()
        );
    }
}

/// A libzmq PUSH sends `messages`; our PULL must receive exactly them, in order.
async fn libzmq_push_to_our_pull(
    binder: Binder,
    transport: Transport,
    messages: Vec<Vec<Vec<u8>>>,
) {
    let ctx = context();
    let push = socket(&ctx, zmq::PUSH);
    let mut pull = PullSocket::new();
    let _link = link(&pull, &push, binder, transport).await;

    let to_send = messages.clone();
    // The socket comes back from the thread and stays open until everything was received.
    let sender = blocking("libzmq-push", move || {
        for message in &to_send {
            let frames: Vec<&[u8]> = message.iter().map(Vec::as_slice).collect();
            send(&push, &frames, "libzmq PUSH");
        }
        push
    });
    for (i, sent) in messages.iter().enumerate() {
        let got = within(LIMIT, "our PULL recv", pull.recv())
            .await
            .expect("our PULL recv");
        assert!(
            &frames_of(&got) == sent,
            "message {i}: our PULL got frames of sizes {:?}, libzmq sent {:?}",
            got.frames().iter().map(|f| f.len()).collect::<Vec<_>>(),
            sent.iter().map(Vec::len).collect::<Vec<_>>()
        );
    }
    let _push = sender.join().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_push_bound_feeds_libzmq_pull_connected_over_tcp() {
    our_push_to_libzmq_pull(Binder::Ours, Transport::Tcp, assorted()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_push_connected_feeds_libzmq_pull_bound_over_tcp() {
    our_push_to_libzmq_pull(Binder::Libzmq, Transport::Tcp, assorted()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_push_bound_feeds_our_pull_connected_over_tcp() {
    libzmq_push_to_our_pull(Binder::Libzmq, Transport::Tcp, assorted()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_push_connected_feeds_our_pull_bound_over_tcp() {
    libzmq_push_to_our_pull(Binder::Ours, Transport::Tcp, assorted()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_push_bound_feeds_libzmq_pull_over_ipc() {
    our_push_to_libzmq_pull(Binder::Ours, Transport::Ipc, assorted()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_push_bound_feeds_our_pull_over_ipc() {
    libzmq_push_to_our_pull(Binder::Libzmq, Transport::Ipc, assorted()).await;
}

/// A 3 MiB frame between small ones, then a small message after it.
fn large() -> Vec<Vec<Vec<u8>>> {
    vec![
        vec![
            b"big".to_vec(),
            pattern(3 << 20, 7),
            Vec::new(),
            b"end".to_vec(),
        ],
        owned(&[b"after-the-big-one"]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_mib_message_from_our_push_reaches_libzmq_pull_intact() {
    our_push_to_libzmq_pull(Binder::Libzmq, Transport::Tcp, large()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_mib_message_from_libzmq_push_reaches_our_pull_intact() {
    libzmq_push_to_our_pull(Binder::Ours, Transport::Tcp, large()).await;
}

/// 10 000 small numbered messages; every tenth has three frames.
fn many() -> Vec<Vec<Vec<u8>>> {
    (0..10_000u32)
        .map(|i| {
            let n = i.to_be_bytes().to_vec();
            if i % 10 == 0 {
                vec![b"seq".to_vec(), n, Vec::new()]
            } else {
                vec![n]
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_from_our_push_reach_libzmq_pull_in_order() {
    our_push_to_libzmq_pull(Binder::Libzmq, Transport::Tcp, many()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_from_libzmq_push_reach_our_pull_in_order() {
    libzmq_push_to_our_pull(Binder::Ours, Transport::Tcp, many()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_push_queues_while_libzmq_pull_restarts_and_delivers_when_it_is_back() {
    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    let endpoint = bind_tcp(&pull);
    let mut push = PushSocket::new();
    let mut monitor = push.monitor();
    push.connect(endpoint.as_str()).expect("our connect");

    within(LIMIT, "our PUSH send", push.send("before-restart"))
        .await
        .unwrap();
    assert_eq!(
        recv_async(&pull, "first libzmq PULL").await,
        owned(&[b"before-restart"])
    );

    // The peer goes away entirely, socket and context.
    drop(pull);
    drop(ctx);
    wait_for_event(
        &mut monitor,
        "our PUSH notices the libzmq PULL is gone",
        is_disconnect,
    )
    .await;

    // Sent while nothing listens: these wait in the queue of the connecting pipe.
    for i in 0..20 {
        within(LIMIT, "our PUSH queues", push.send(format!("queued-{i}")))
            .await
            .expect("our PUSH send while disconnected");
    }
    // Let reconnect attempts fail before the peer comes back: the first retry is scheduled
    // when the connection drops, the second after an attempt was refused.
    for _ in 0..2 {
        wait_for_event(&mut monitor, "a reconnect attempt", |e| {
            matches!(e, zmtp_tokio::MonitorEvent::ConnectRetried { .. })
        })
        .await;
    }

    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    pull.bind(&endpoint)
        .expect("libzmq PULL binds the same port again");
    for i in 0..20 {
        assert_eq!(
            recv_async(&pull, "restarted libzmq PULL").await,
            vec![format!("queued-{i}").into_bytes()],
            "queued message {i}"
        );
    }
    within(LIMIT, "our PUSH send", push.send("after-restart"))
        .await
        .unwrap();
    assert_eq!(
        recv_async(&pull, "restarted libzmq PULL").await,
        owned(&[b"after-restart"])
    );
}
