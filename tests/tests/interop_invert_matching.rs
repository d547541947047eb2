//! ZMQ_INVERT_MATCHING against libzmq, both ways round, with the option on both sides. The
//! `zmq` crate has no setter for it, so the libzmq side is pyzmq's (tests/python/
//! invert_matching.py; `scripts/test` installs pyzmq, and without it this test fails).

use std::time::Duration;

use zmtp_tests::python_peer::PythonPeer;
use zmtp_tests::socket_harness::{texts, within};
use zmtp_tokio::{Options, PubSocket, SubSocket};

const LIMIT: Duration = Duration::from_secs(10);

fn python(args: &[&str]) -> PythonPeer {
    PythonPeer::start(
        concat!(env!("CARGO_MANIFEST_DIR"), "/python/invert_matching.py"),
        args,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pyzmq_inverted_pub_sends_our_inverted_sub_what_it_did_not_subscribe_to() {
    let mut publisher = python(&["pub"]);
    let endpoint = publisher.line();
    let mut sub = SubSocket::with_options(Options::default().invert_matching(true)).unwrap();
    sub.subscribe("a").unwrap();
    sub.connect(endpoint.as_str()).unwrap();
    for _ in 0..3 {
        let got = within(LIMIT, "a message", sub.recv()).await.unwrap();
        assert_eq!(texts(&got), ["b-topic"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_inverted_pub_sends_a_pyzmq_inverted_sub_what_it_did_not_subscribe_to() {
    let mut publisher = PubSocket::with_options(Options::default().invert_matching(true)).unwrap();
    let endpoint = publisher.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut subscriber = python(&["sub", &endpoint.to_string()]);
    let received =
        tokio::task::spawn_blocking(move || (0..3).map(|_| subscriber.line()).collect::<Vec<_>>());
    within(LIMIT, "the Python SUB reads three", async {
        while !received.is_finished() {
            publisher.publish("a-topic").unwrap();
            publisher.publish("b-topic").unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(received.await.unwrap(), ["b-topic", "b-topic", "b-topic"]);
}
