//! PLAIN and CURVE against real libzmq, in both directions: our CURVE client with a libzmq
//! CURVE server and the reverse (REQ/REP, PUB/SUB with encrypted subscriptions, PUSH/PULL); our
//! PLAIN client with a libzmq PLAIN server whose ZAP handler (a libzmq REP socket on
//! `inproc://zeromq.zap.01`) checks the password, and a libzmq PLAIN client with our server and
//! authenticator. Wrong passwords and wrong server keys fail on both sides: ERROR "400" becomes
//! `AuthError::Rejected` here and `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH` (400) in libzmq.
//!
//! Keys cross between the libraries as Z85 text, as users copy them.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::security::*;
use support::*;
use zmtp_tests::{handshake_auth, handshake_failure};
use zmtp_tokio::{
    AuthDecision, AuthError, AuthRequest, ConnectionError, Credentials, DisconnectReason,
    MonitorEvent, Options, PubSocket, PullSocket, PushSocket, RepSocket, ReqSocket, SecretKey,
    SubSocket,
};

const ROUNDS: usize = 5;

/// libzmq REP answering `rounds` requests with the request itself.
fn libzmq_echo(rep: zmq::Socket, rounds: usize) -> Blocking<zmq::Socket> {
    blocking("libzmq-echo", move || {
        for _ in 0..rounds {
            let request = recv(&rep, "libzmq REP request");
            let frames: Vec<&[u8]> = request.iter().map(Vec::as_slice).collect();
            send(&rep, &frames, "libzmq REP reply");
        }
        rep
    })
}

/// libzmq REQ sending `rounds` requests, returning the replies.
fn libzmq_requests(req: zmq::Socket, rounds: usize) -> Blocking<(zmq::Socket, Vec<Vec<u8>>)> {
    blocking("libzmq-req", move || {
        let mut replies = Vec::new();
        for i in 0..rounds {
            let text = format!("libzmq request {i}");
            send(&req, &[text.as_bytes()], "libzmq REQ request");
            let reply = recv(&req, "libzmq REQ reply");
            assert_eq!(reply, vec![text.clone().into_bytes()]);
            replies.push(text.into_bytes());
        }
        (req, replies)
    })
}

/// Our REP echoing `rounds` requests.
async fn our_echo(rep: &mut RepSocket, rounds: usize) {
    for _ in 0..rounds {
        let request = within(LIMIT, "our REP recv", rep.recv()).await.unwrap();
        within(LIMIT, "our REP send", rep.send(request))
            .await
            .unwrap();
    }
}

async fn our_requests(req: &mut ReqSocket, rounds: usize) {
    for i in 0..rounds {
        let text = format!("our request {i}");
        let reply = within(LIMIT, "our REQ round trip", req.request(text.clone()))
            .await
            .unwrap();
        assert_eq!(frames_of(&reply), vec![text.into_bytes()]);
    }
}

/// libzmq's `ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND`.
const ZMTP_UNEXPECTED_COMMAND: u32 = 0x1000_0001;

// ---- CURVE -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_curve_client_with_a_libzmq_curve_server() {
    let ctx = context();
    let (server_pair, server_key) = libzmq_keys();
    let rep = socket(&ctx, zmq::REP);
    rep.set_curve_server(true).unwrap();
    rep.set_curve_secretkey(&server_pair.secret_key).unwrap();
    let endpoint = bind_tcp(&rep);
    let server = libzmq_echo(rep, ROUNDS);

    let mut req =
        ReqSocket::with_options(Options::default().curve_client(server_key, None)).unwrap();
    let mut monitor = req.monitor();
    req.connect(endpoint.as_str()).unwrap();
    our_requests(&mut req, ROUNDS).await;
    let auth = handshake_auth(&mut monitor, "our client's handshake")
        .await
        .unwrap();
    assert_eq!(auth.peer_key, Some(server_key));
    server.join().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_curve_client_with_our_curve_server_and_authenticator() {
    let ctx = context();
    // Our server's secret key as libzmq users hold it: Z85 text.
    let (server_pair, server_key) = libzmq_keys();
    let secret = SecretKey::from_z85(&zmq::z85_encode(&server_pair.secret_key).unwrap()).unwrap();
    let (client_pair, client_key) = libzmq_keys();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let authenticator = move |request: &AuthRequest| {
        if let Credentials::Curve { client_key } = &request.credentials {
            record.lock().unwrap().push(*client_key);
        }
        AuthDecision::allow_as("libzmq")
    };
    let mut rep = RepSocket::with_options(
        Options::default()
            .curve_server(secret)
            .authenticator(authenticator),
    )
    .unwrap();
    let mut monitor = rep.monitor();
    let endpoint = rep.bind("tcp://127.0.0.1:0").await.unwrap().to_string();

    let req = socket(&ctx, zmq::REQ);
    req.set_curve_serverkey(server_key.to_z85().as_bytes())
        .unwrap();
    req.set_curve_publickey(&client_pair.public_key).unwrap();
    req.set_curve_secretkey(&client_pair.secret_key).unwrap();
    req.connect(&endpoint).unwrap();
    let client = libzmq_requests(req, ROUNDS);
    our_echo(&mut rep, ROUNDS).await;
    client.join().await;

    let auth = handshake_auth(&mut monitor, "our server's handshake")
        .await
        .unwrap();
    assert_eq!(auth.user_id_str(), Some("libzmq"));
    assert_eq!(auth.peer_key, Some(client_key));
    assert_eq!(*seen.lock().unwrap(), vec![client_key]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_curve_client_with_the_wrong_server_key_fails_and_our_server_keeps_serving() {
    let ctx = context();
    let (server_pair, server_key) = libzmq_keys();
    let (_, wrong_key) = libzmq_keys();
    let secret = SecretKey::from_slice(&server_pair.secret_key).unwrap();
    let mut rep = RepSocket::with_options(Options::default().curve_server(secret)).unwrap();
    let mut monitor = rep.monitor();
    let endpoint = rep.bind("tcp://127.0.0.1:0").await.unwrap().to_string();

    let bad = socket(&ctx, zmq::REQ);
    bad.set_curve_serverkey(wrong_key.as_bytes()).unwrap();
    let (bad_pair, _) = libzmq_keys();
    bad.set_curve_publickey(&bad_pair.public_key).unwrap();
    bad.set_curve_secretkey(&bad_pair.secret_key).unwrap();
    bad.connect(&endpoint).unwrap();
    let reason = handshake_failure(&mut monitor, "wrong server key refused").await;
    assert!(
        matches!(
            reason,
            DisconnectReason::Connection(ConnectionError::Authentication(AuthError::BadBox {
                command: "HELLO"
            }))
        ),
        "{reason:?}"
    );

    let good = socket(&ctx, zmq::REQ);
    good.set_curve_serverkey(server_key.as_bytes()).unwrap();
    let (good_pair, _) = libzmq_keys();
    good.set_curve_publickey(&good_pair.public_key).unwrap();
    good.set_curve_secretkey(&good_pair.secret_key).unwrap();
    good.connect(&endpoint).unwrap();
    let client = libzmq_requests(good, ROUNDS);
    our_echo(&mut rep, ROUNDS).await;
    client.join().await;
    drop(bad);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_curve_sub_with_our_curve_pub_filters_by_subscription() {
    let ctx = context();
    let (server_pair, server_key) = libzmq_keys();
    let secret = SecretKey::from_slice(&server_pair.secret_key).unwrap();
    let mut publisher = PubSocket::with_options(Options::default().curve_server(secret)).unwrap();
    let endpoint = publisher
        .bind("tcp://127.0.0.1:0")
        .await
        .unwrap()
        .to_string();

    let sub = socket(&ctx, zmq::SUB);
    sub.set_curve_serverkey(server_key.as_bytes()).unwrap();
    let (client_pair, _) = libzmq_keys();
    sub.set_curve_publickey(&client_pair.public_key).unwrap();
    sub.set_curve_secretkey(&client_pair.secret_key).unwrap();
    sub.set_subscribe(b"weather.").unwrap();
    sub.connect(&endpoint).unwrap();

    // The encrypted SUBSCRIBE must reach us before anything is delivered.
    let first = within(LIMIT, "libzmq SUB receives", async {
        loop {
            publisher.publish("sports.football").unwrap();
            publisher.publish("weather.paris").unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
            if let Some(frames) = try_recv(&sub) {
                break frames;
            }
        }
    })
    .await;
    assert_eq!(first, vec![b"weather.paris".to_vec()]);
    for _ in 0..5 {
        publisher.publish("sports.tennis").unwrap();
        publisher.publish("weather.oslo").unwrap();
    }
    for _ in 0..5 {
        let frames = recv_async(&sub, "libzmq SUB more").await;
        assert!(frames[0].starts_with(b"weather."), "{frames:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_curve_sub_with_a_libzmq_curve_pub_filters_by_subscription() {
    let ctx = context();
    let (server_pair, server_key) = libzmq_keys();
    let publisher = socket(&ctx, zmq::PUB);
    publisher.set_curve_server(true).unwrap();
    publisher
        .set_curve_secretkey(&server_pair.secret_key)
        .unwrap();
    let endpoint = bind_tcp(&publisher);

    let mut sub =
        SubSocket::with_options(Options::default().curve_client(server_key, None)).unwrap();
    sub.subscribe("weather.").unwrap();
    sub.connect(endpoint.as_str()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let feeder = blocking("libzmq-pub", move || {
        while !stopped.load(Ordering::SeqCst) {
            send(&publisher, &[b"sports.football"], "libzmq PUB");
            send(&publisher, &[b"weather.paris"], "libzmq PUB");
            std::thread::sleep(Duration::from_millis(5));
        }
        publisher
    });
    for _ in 0..5 {
        let m = within(LIMIT, "our SUB receives", sub.recv()).await.unwrap();
        assert_eq!(frames_of(&m), vec![b"weather.paris".to_vec()]);
    }
    stop.store(true, Ordering::SeqCst);
    feeder.join().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_curve_push_with_a_libzmq_curve_pull() {
    let ctx = context();
    let (server_pair, server_key) = libzmq_keys();
    let pull = socket(&ctx, zmq::PULL);
    pull.set_curve_server(true).unwrap();
    pull.set_curve_secretkey(&server_pair.secret_key).unwrap();
    let endpoint = bind_tcp(&pull);
    let mut push =
        PushSocket::with_options(Options::default().curve_client(server_key, None)).unwrap();
    push.connect(endpoint.as_str()).unwrap();
    for i in 0..50 {
        within(LIMIT, "our PUSH send", push.send(format!("job {i}")))
            .await
            .unwrap();
    }
    let receiver = blocking("libzmq-pull", move || {
        (0..50)
            .map(|_| recv(&pull, "libzmq PULL"))
            .collect::<Vec<_>>()
    });
    let got = receiver.join().await;
    for (i, frames) in got.iter().enumerate() {
        assert_eq!(frames, &vec![format!("job {i}").into_bytes()]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_curve_push_with_our_curve_pull() {
    let ctx = context();
    let (server_pair, server_key) = libzmq_keys();
    let secret = SecretKey::from_slice(&server_pair.secret_key).unwrap();
    let mut pull = PullSocket::with_options(Options::default().curve_server(secret)).unwrap();
    let endpoint = pull.bind("tcp://127.0.0.1:0").await.unwrap().to_string();
    let push = socket(&ctx, zmq::PUSH);
    push.set_curve_serverkey(server_key.as_bytes()).unwrap();
    let (client_pair, _) = libzmq_keys();
    push.set_curve_publickey(&client_pair.public_key).unwrap();
    push.set_curve_secretkey(&client_pair.secret_key).unwrap();
    push.connect(&endpoint).unwrap();
    let sender = blocking("libzmq-push", move || {
        for i in 0..50 {
            send(&push, &[format!("job {i}").as_bytes()], "libzmq PUSH");
        }
        push
    });
    for i in 0..50 {
        let m = within(LIMIT, "our PULL recv", pull.recv()).await.unwrap();
        assert_eq!(frames_of(&m), vec![format!("job {i}").into_bytes()]);
    }
    sender.join().await;
}

// ---- PLAIN -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_plain_client_with_a_libzmq_plain_server_and_zap_handler() {
    let ctx = context();
    let zap = Zap::start(&ctx, zap_alice);
    let rep = socket(&ctx, zmq::REP);
    rep.set_plain_server(true).unwrap();
    let endpoint = bind_tcp(&rep);

    // A wrong password first: ERROR "400", and no second attempt.
    let intruder =
        ReqSocket::with_options(Options::default().plain_client("alice", "guess")).unwrap();
    let mut intruder_monitor = intruder.monitor();
    intruder.connect(endpoint.as_str()).unwrap();
    let reason = handshake_failure(&mut intruder_monitor, "libzmq rejects a wrong password").await;
    assert!(is_rejected_400(&reason), "{reason:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let later = queued_events(&mut intruder_monitor);
    assert!(
        !later.iter().any(|e| matches!(
            e,
            MonitorEvent::Connected { .. } | MonitorEvent::HandshakeFailed { .. }
        )),
        "the rejected client retried: {later:?}"
    );
    assert!(
        try_recv(&rep).is_none(),
        "libzmq delivered an intruder's message"
    );

    // The right password: served by the same libzmq server.
    let server = libzmq_echo(rep, ROUNDS);
    let mut alice =
        ReqSocket::with_options(Options::default().plain_client("alice", "wonderland")).unwrap();
    alice.connect(endpoint.as_str()).unwrap();
    our_requests(&mut alice, ROUNDS).await;
    server.join().await;

    let seen = zap.stop().await;
    assert_eq!(seen.len(), 2, "one ZAP request per connection: {seen:?}");
    for (request, password) in seen.iter().zip([&b"guess"[..], b"wonderland"]) {
        assert_eq!(request[5], b"PLAIN");
        assert_eq!(request[6], b"alice");
        assert_eq!(request[7], password);
        assert_eq!(request[3], b"127.0.0.1", "ZAP address");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_plain_clients_with_our_plain_server_and_authenticator() {
    let ctx = context();
    let mut rep =
        RepSocket::with_options(Options::default().plain_server().authenticator(alice_only))
            .unwrap();
    let mut monitor = rep.monitor();
    let endpoint = rep.bind("tcp://127.0.0.1:0").await.unwrap().to_string();

    // A wrong password: we deny with ERROR "400". libzmq 4.3's PLAIN client compares ERROR
    // against its own misspelt prefix (see zmtp-core's `libzmq_error_reason`), so it reports a
    // well-formed ERROR as an unexpected command rather than an authentication failure; either
    // way its handshake fails and nothing is delivered.
    let intruder = socket(&ctx, zmq::REQ);
    intruder.set_plain_username(Some("alice")).unwrap();
    intruder.set_plain_password(Some("guess")).unwrap();
    let intruder_monitor = libzmq_monitor(&ctx, &intruder, "plain-intruder");
    intruder.connect(&endpoint).unwrap();
    let failed = blocking("libzmq-monitor", move || {
        let failed = libzmq_event(
            &intruder_monitor,
            &[
                zmq::SocketEvent::HANDSHAKE_FAILED_AUTH,
                zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL,
                zmq::SocketEvent::HANDSHAKE_SUCCEEDED,
            ],
        );
        (failed, intruder, intruder_monitor)
    });
    let reason = handshake_failure(&mut monitor, "we deny libzmq's wrong password").await;
    assert!(
        matches!(
            reason,
            DisconnectReason::Connection(ConnectionError::Authentication(AuthError::Denied { .. }))
        ),
        "{reason:?}"
    );
    let (failed, _intruder, _intruder_monitor) = failed.join().await;
    assert!(
        failed == (zmq::SocketEvent::HANDSHAKE_FAILED_AUTH.to_raw(), 400)
            || failed
                == (
                    zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL.to_raw(),
                    ZMTP_UNEXPECTED_COMMAND
                ),
        "libzmq's handshake outcome: {failed:?}"
    );

    // The right password.
    let alice = socket(&ctx, zmq::REQ);
    alice.set_plain_username(Some("alice")).unwrap();
    alice.set_plain_password(Some("wonderland")).unwrap();
    alice.connect(&endpoint).unwrap();
    let client = libzmq_requests(alice, ROUNDS);
    our_echo(&mut rep, ROUNDS).await;
    client.join().await;
    let auth = handshake_auth(&mut monitor, "alice admitted")
        .await
        .unwrap();
    assert_eq!(auth.user_id_str(), Some("alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_curve_client_refused_by_our_authenticator_reports_status_400() {
    let ctx = context();
    let (server_pair, server_key) = libzmq_keys();
    let secret = SecretKey::from_slice(&server_pair.secret_key).unwrap();
    let rep = RepSocket::with_options(
        Options::default()
            .curve_server(secret)
            .authenticator(|_: &AuthRequest| AuthDecision::deny()),
    )
    .unwrap();
    let mut monitor = rep.monitor();
    let endpoint = rep.bind("tcp://127.0.0.1:0").await.unwrap().to_string();

    let req = socket(&ctx, zmq::REQ);
    req.set_curve_serverkey(server_key.as_bytes()).unwrap();
    let (client_pair, _) = libzmq_keys();
    req.set_curve_publickey(&client_pair.public_key).unwrap();
    req.set_curve_secretkey(&client_pair.secret_key).unwrap();
    let req_monitor = libzmq_monitor(&ctx, &req, "curve-refused");
    req.connect(&endpoint).unwrap();
    let failed = blocking("libzmq-monitor", move || {
        let failed = libzmq_event(
            &req_monitor,
            &[
                zmq::SocketEvent::HANDSHAKE_FAILED_AUTH,
                zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL,
                zmq::SocketEvent::HANDSHAKE_SUCCEEDED,
            ],
        );
        (failed, req, req_monitor)
    });
    let reason = handshake_failure(&mut monitor, "we deny the libzmq CURVE client").await;
    assert!(
        matches!(
            reason,
            DisconnectReason::Connection(ConnectionError::Authentication(AuthError::Denied { .. }))
        ),
        "{reason:?}"
    );
    let (failed, _req, _req_monitor) = failed.join().await;
    assert_eq!(
        failed,
        (zmq::SocketEvent::HANDSHAKE_FAILED_AUTH.to_raw(), 400),
        "libzmq's handshake outcome"
    );
}
