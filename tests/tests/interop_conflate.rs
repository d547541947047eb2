//! ZMQ_CONFLATE against real libzmq, both ways round, with the option on both sides: a
//! conflating PUSH that queued while no peer was there hands only its newest message to a
//! conflating PULL. Each PUSH connects to a free port first; the PULL binds it afterwards.

mod support;

use support::*;
use zmtp_tokio::{Options, PullSocket, PushSocket};

/// A loopback endpoint nobody listens on now.
fn free_endpoint() -> String {
    zmtp_tests::socket_harness::Transport::Tcp.free_endpoint()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_conflating_push_gives_a_libzmq_conflating_pull_only_the_newest() {
    let endpoint = free_endpoint();
    let mut push = PushSocket::with_options(Options::default().conflate(true)).unwrap();
    push.connect(endpoint.as_str()).unwrap();
    for i in 0..10 {
        within(
            LIMIT,
            "send while nobody listens",
            push.send(format!("state {i}")),
        )
        .await
        .unwrap();
    }
    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    pull.set_conflate(true).unwrap();
    pull.bind(&endpoint).expect("libzmq bind");
    assert_eq!(recv_async(&pull, "the newest").await, owned(&[b"state 9"]));
    within(LIMIT, "send", push.send("after")).await.unwrap();
    assert_eq!(recv_async(&pull, "the next").await, owned(&[b"after"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_libzmq_conflating_push_gives_our_conflating_pull_only_the_newest() {
    let endpoint = free_endpoint();
    let ctx = context();
    let push = socket(&ctx, zmq::PUSH);
    push.set_conflate(true).unwrap();
    push.connect(&endpoint).expect("libzmq connect");
    for i in 0..10 {
        let message = format!("state {i}");
        send(
            &push,
            &[message.as_bytes()],
            "libzmq send while nobody listens",
        );
    }
    let mut pull = PullSocket::with_options(Options::default().conflate(true)).unwrap();
    pull.bind(endpoint.as_str()).await.unwrap();
    let got = within(LIMIT, "the newest", pull.recv()).await.unwrap();
    assert_eq!(frames_of(&got), owned(&[b"state 9"]));
    send_async(&push, &[b"after"], "libzmq send").await;
    let got = within(LIMIT, "the next", pull.recv()).await.unwrap();
    assert_eq!(frames_of(&got), owned(&[b"after"]));
}
