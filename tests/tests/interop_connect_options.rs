//! ZMQ_IMMEDIATE and ZMQ_RECONNECT_STOP against real libzmq: our PUSH with IMMEDIATE, connected
//! to a libzmq PULL and to an endpoint nobody serves, delivers everything to the PULL (libzmq's
//! PUSH with the same option does the same); our PUSH with RECONNECT_STOP_HANDSHAKE_FAILED
//! gives up on a libzmq CURVE server that cannot read its HELLO, where it would otherwise retry.

mod support;

use support::security::libzmq_keys;
use support::*;
use zmtp_tests::socket_harness::{wait_for_event, Transport as Harness};
use zmtp_tokio::{MonitorEvent, Options, PushSocket, ReconnectStop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_immediate_push_sends_only_to_the_libzmq_pull_that_is_there() {
    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    let ep = bind_tcp(&pull);
    let mut push = PushSocket::with_options(Options::default().immediate(true)).unwrap();
    let mut monitor = push.monitor();
    push.connect(Harness::Tcp.free_endpoint()).unwrap();
    push.connect(&ep).unwrap();
    wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::HandshakeSucceeded { .. })
    })
    .await;
    let n = 20;
    let receiver = blocking("libzmq-pull", move || {
        let got: Vec<_> = (0..n).map(|_| recv(&pull, "libzmq PULL")).collect();
        (pull, got)
    });
    for i in 0..n {
        within(LIMIT, "send", push.send(format!("m{i}")))
            .await
            .unwrap();
    }
    let (_pull, got) = receiver.join().await;
    let expected: Vec<Vec<Vec<u8>>> = (0..n).map(|i| vec![format!("m{i}").into_bytes()]).collect();
    assert_eq!(got, expected, "every message, in order, at the live peer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_immediate_push_behaves_the_same_towards_our_pull() {
    let mut pull = zmtp_tokio::PullSocket::new();
    let ep = pull.bind("tcp://127.0.0.1:0").await.unwrap().to_string();
    let ctx = context();
    let push = socket(&ctx, zmq::PUSH);
    push.set_immediate(true).unwrap();
    push.connect(&Harness::Tcp.free_endpoint()).unwrap();
    push.connect(&ep).unwrap();
    let n = 20;
    // libzmq's send blocks until our PULL's handshake completed, then goes only there.
    let sender = blocking("libzmq-push", move || {
        for i in 0..n {
            push.send(format!("m{i}").as_bytes(), 0).unwrap();
        }
        push
    });
    for i in 0..n {
        let got = within(LIMIT, "recv", pull.recv()).await.unwrap();
        assert_eq!(
            got.first().map(|f| f.to_vec()),
            Some(format!("m{i}").into_bytes())
        );
    }
    let _push = sender.join().await;
}

/// Our CURVE client with the wrong server key: libzmq cannot open our HELLO and closes the
/// connection during the handshake. Reconnecting is the default (the key might be fixed on
/// the server); HANDSHAKE_FAILED stops it.
async fn against_a_libzmq_curve_server_with_the_wrong_key(stop: ReconnectStop) -> MonitorEvent {
    let ctx = context();
    let (server_pair, _) = libzmq_keys();
    let (_, wrong_key) = libzmq_keys();
    let pull = socket(&ctx, zmq::PULL);
    pull.set_curve_server(true).unwrap();
    pull.set_curve_secretkey(&server_pair.secret_key).unwrap();
    let ep = bind_tcp(&pull);
    let options = Options::default()
        .curve_client(wrong_key, None)
        .reconnect_stop(stop);
    let push = PushSocket::with_options(options).unwrap();
    let mut monitor = push.monitor();
    push.connect(&ep).unwrap();
    let (event, _) = wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(
            e,
            MonitorEvent::ConnectStopped { .. } | MonitorEvent::ConnectRetried { .. }
        )
    })
    .await;
    drop(pull);
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_push_stops_reconnecting_after_a_failed_handshake_with_libzmq() {
    let event =
        against_a_libzmq_curve_server_with_the_wrong_key(ReconnectStop::HANDSHAKE_FAILED).await;
    assert!(
        matches!(event, MonitorEvent::ConnectStopped { .. }),
        "{event:?}"
    );
    let event = against_a_libzmq_curve_server_with_the_wrong_key(ReconnectStop::NEVER).await;
    assert!(
        matches!(event, MonitorEvent::ConnectRetried { .. }),
        "without the option the handshake is retried: {event:?}"
    );
}
