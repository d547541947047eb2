//! The rest of issue 5's libzmq interop matrix for PLAIN and CURVE, beside
//! `interop_security.rs`:
//!
//! - heartbeats over CURVE (PING/PONG travel encrypted inside MESSAGE): libzmq's
//!   ZMQ_HEARTBEAT_IVL/_TIMEOUT/_TTL on its side and `Options::heartbeat` on ours, with a short
//!   timeout on both, so an unanswered or undecryptable PING would drop the connection; it must
//!   stay up across 1.5 s idle (one handshake, no disconnect, bytes flowing both ways through a
//!   relay) and messages must flow after it. Both roles: libzmq as CURVE server and as client.
//! - PLAIN over PUB/SUB and PUSH/PULL with libzmq both ways: a libzmq PLAIN server with a ZAP
//!   handler (a libzmq REP on `inproc://zeromq.zap.01`), and our PLAIN server with an
//!   authenticator.
//! - our CURVE client refused by a libzmq ZAP handler (status 400): our monitor reports
//!   `Authentication(Rejected { reason: "400" })` and we do not reconnect.
//! - our CURVE client with the wrong server key against a libzmq CURVE server: libzmq cannot
//!   open our HELLO and closes the connection (its monitor says
//!   ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC); our handshake fails with a typed reason, and
//!   libzmq keeps serving a client with the right key.
//!
//! Every wait is bounded ([`LIMIT`], libzmq's `TIMEOUT_MS` receive timeouts).

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::security::*;
use support::*;
use zmtp_tokio::{
    AuthError, ConnectionError, DisconnectReason, KeyPair, MonitorEvent, Options, OsRandom,
    PubSocket, PublicKey, PullSocket, PushSocket, RepSocket, ReqSocket, SecretKey, SubSocket,
};

/// How long the CURVE connections sit idle in the heartbeat tests: 15 heartbeat intervals,
/// 5 heartbeat timeouts.
const IDLE: Duration = Duration::from_millis(1500);
/// Heartbeat interval, timeout and TTL on both sides, ms.
const HB_IVL: u64 = 100;
const HB_TIMEOUT: u64 = 300;
const HB_TTL: u64 = 500;
/// Messages per PLAIN pipeline test.
const JOBS: usize = 20;
/// libzmq's `ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC`.
const ZMTP_CRYPTOGRAPHIC: u32 = 0x1100_0001;

/// Makes a libzmq socket a CURVE client of `server_key` with a fresh key pair.
fn libzmq_curve_client(s: &zmq::Socket, server_key: &PublicKey) {
    let (pair, _) = libzmq_keys();
    s.set_curve_serverkey(server_key.as_bytes()).unwrap();
    s.set_curve_publickey(&pair.public_key).unwrap();
    s.set_curve_secretkey(&pair.secret_key).unwrap();
}

/// Our heartbeat settings, the same as libzmq's.
fn our_heartbeats(options: Options) -> Options {
    options
        .heartbeat(
            Duration::from_millis(HB_IVL),
            Duration::from_millis(HB_TIMEOUT),
        )
        .heartbeat_ttl(Duration::from_millis(HB_TTL))
}

/// libzmq's heartbeat settings, the same as ours.
fn libzmq_heartbeats(s: &zmq::Socket) {
    set_heartbeats(s, HB_IVL as i32, HB_TIMEOUT as i32, HB_TTL as i32);
}

/// Asserts the monitor saw exactly one handshake and no disconnect or failed handshake.
fn assert_one_unbroken_connection(events: &[MonitorEvent]) {
    let handshakes = events
        .iter()
        .filter(|e| matches!(e, MonitorEvent::HandshakeSucceeded { .. }))
        .count();
    let drops: Vec<_> = events.iter().filter(|e| is_disconnect(e)).collect();
    assert!(
        handshakes == 1 && drops.is_empty(),
        "expected one connection that stayed up; monitor saw {events:?}"
    );
}

/// Bytes through `relay` (to upstream, from upstream) while the connection idles for [`IDLE`]:
/// the encrypted heartbeats, which the relay cannot read.
async fn idle_traffic(relay: &Relay) -> (u64, u64) {
    let (up, down) = (relay.bytes_to_upstream(), relay.bytes_from_upstream());
    tokio::time::sleep(IDLE).await;
    (
        relay.bytes_to_upstream() - up,
        relay.bytes_from_upstream() - down,
    )
}

/// At least this many bytes each way during [`IDLE`]: 20 encrypted heartbeat commands
/// (about 40 bytes each). One side's PINGs and the other's PONGs make ~15 a direction; both
/// sides pinging make ~30 (measured: ~1150 bytes each way), so this proves both send PINGs.
const MIN_IDLE_BYTES: u64 = 20 * 40;

/// Sleeps 1 s, then asserts the monitor saw no new connection attempt.
async fn assert_no_retry(monitor: &mut zmtp_tokio::Monitor, what: &str) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let later = queued_events(monitor);
    assert!(
        !later.iter().any(|e| matches!(
            e,
            MonitorEvent::Connected { .. } | MonitorEvent::HandshakeFailed { .. }
        )),
        "{what}: the refused client retried: {later:?}"
    );
}

// ---- heartbeats over CURVE ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_heartbeats_with_a_libzmq_curve_server_keep_the_connection_up() {
    let ctx = context();
    let (server_pair, server_key) = libzmq_keys();
    let rep = socket(&ctx, zmq::REP);
    rep.set_curve_server(true).unwrap();
    rep.set_curve_secretkey(&server_pair.secret_key).unwrap();
    libzmq_heartbeats(&rep);
    let endpoint = bind_tcp(&rep);
    let relay = Relay::start(tcp_addr(&endpoint)).await;
    let server = blocking("libzmq-rep", move || {
        for _ in 0..2 {
            let request = recv(&rep, "libzmq REP request");
            let reply: Vec<&[u8]> = request.iter().map(Vec::as_slice).collect();
            send(&rep, &reply, "libzmq REP reply");
        }
        rep
    });

    let mut req = ReqSocket::with_options(our_heartbeats(
        Options::default().curve_client(server_key, None),
    ))
    .unwrap();
    let mut monitor = req.monitor();
    req.connect(relay.endpoint().as_str()).unwrap();
    let reply = within(LIMIT, "round trip before idle", req.request("before"))
        .await
        .unwrap();
    assert_eq!(frames_of(&reply), owned(&[b"before"]));

    let (up, down) = idle_traffic(&relay).await;
    assert!(
        up >= MIN_IDLE_BYTES && down >= MIN_IDLE_BYTES,
        "heartbeats while idle: {up} bytes to libzmq, {down} from it"
    );
    assert_eq!(req.connected_peers(), 1);
    assert_one_unbroken_connection(&queued_events(&mut monitor));
    let reply = within(LIMIT, "round trip after idle", req.request("after"))
        .await
        .unwrap();
    assert_eq!(frames_of(&reply), owned(&[b"after"]));
    server.join().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_heartbeats_with_a_libzmq_curve_client_keep_the_connection_up() {
    let ctx = context();
    let (server_pair, server_key) = libzmq_keys();
    let secret = SecretKey::from_slice(&server_pair.secret_key).unwrap();
    let mut rep =
        RepSocket::with_options(our_heartbeats(Options::default().curve_server(secret))).unwrap();
    let mut monitor = rep.monitor();
    let endpoint = rep.bind("tcp://127.0.0.1:0").await.unwrap().to_string();
    let relay = Relay::start(tcp_addr(&endpoint)).await;

    let req = socket(&ctx, zmq::REQ);
    libzmq_curve_client(&req, &server_key);
    libzmq_heartbeats(&req);
    req.connect(&relay.endpoint()).unwrap();
    // The second request goes out once we have measured the idle traffic.
    let go = Arc::new(AtomicBool::new(false));
    let go_on = go.clone();
    let client = blocking("libzmq-req", move || {
        for text in ["before", "after"] {
            while text == "after" && !go_on.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
            }
            send(&req, &[text.as_bytes()], "libzmq REQ request");
            assert_eq!(recv(&req, "libzmq REQ reply"), owned(&[text.as_bytes()]));
        }
        req
    });
    let request = within(LIMIT, "request before idle", rep.recv())
        .await
        .unwrap();
    assert_eq!(frames_of(&request), owned(&[b"before"]));
    within(LIMIT, "reply before idle", rep.send(request))
        .await
        .unwrap();

    let (up, down) = idle_traffic(&relay).await;
    assert!(
        up >= MIN_IDLE_BYTES && down >= MIN_IDLE_BYTES,
        "heartbeats while idle: {up} bytes to us, {down} from us"
    );
    assert_eq!(rep.connected_peers(), 1);
    assert_one_unbroken_connection(&queued_events(&mut monitor));
    go.store(true, Ordering::SeqCst);
    let request = within(LIMIT, "request after idle", rep.recv())
        .await
        .unwrap();
    assert_eq!(frames_of(&request), owned(&[b"after"]));
    within(LIMIT, "reply after idle", rep.send(request))
        .await
        .unwrap();
    client.join().await;
}

// ---- PLAIN over PUB/SUB and PUSH/PULL ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_plain_sub_with_a_libzmq_plain_pub_and_zap_handler() {
    let ctx = context();
    let zap = Zap::start(&ctx, zap_alice);
    let publisher = socket(&ctx, zmq::PUB);
    publisher.set_plain_server(true).unwrap();
    let endpoint = bind_tcp(&publisher);

    let mut sub =
        SubSocket::with_options(Options::default().plain_client("alice", "wonderland")).unwrap();
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
        assert_eq!(frames_of(&m), owned(&[b"weather.paris"]));
    }
    stop.store(true, Ordering::SeqCst);
    feeder.join().await;
    let seen = zap.stop().await;
    assert_eq!(seen.len(), 1, "one ZAP request: {seen:?}");
    assert_eq!(seen[0][5], b"PLAIN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_plain_sub_with_our_plain_pub_and_authenticator() {
    let ctx = context();
    let mut publisher =
        PubSocket::with_options(Options::default().plain_server().authenticator(alice_only))
            .unwrap();
    let mut monitor = publisher.monitor();
    let endpoint = publisher
        .bind("tcp://127.0.0.1:0")
        .await
        .unwrap()
        .to_string();

    let sub = socket(&ctx, zmq::SUB);
    sub.set_plain_username(Some("alice")).unwrap();
    sub.set_plain_password(Some("wonderland")).unwrap();
    sub.set_subscribe(b"weather.").unwrap();
    sub.connect(&endpoint).unwrap();
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
    assert_eq!(first, owned(&[b"weather.paris"]));
    for _ in 0..5 {
        publisher.publish("sports.tennis").unwrap();
        publisher.publish("weather.oslo").unwrap();
    }
    for _ in 0..5 {
        let frames = recv_async(&sub, "libzmq SUB more").await;
        assert!(frames[0].starts_with(b"weather."), "{frames:?}");
    }
    let auth = handshake_auth(&mut monitor, "alice admitted")
        .await
        .unwrap();
    assert_eq!(auth.user_id_str(), Some("alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_plain_push_with_a_libzmq_plain_pull_and_zap_handler() {
    let ctx = context();
    let zap = Zap::start(&ctx, zap_alice);
    let pull = socket(&ctx, zmq::PULL);
    pull.set_plain_server(true).unwrap();
    let endpoint = bind_tcp(&pull);

    let mut push =
        PushSocket::with_options(Options::default().plain_client("alice", "wonderland")).unwrap();
    push.connect(endpoint.as_str()).unwrap();
    for i in 0..JOBS {
        within(LIMIT, "our PUSH send", push.send(format!("job {i}")))
            .await
            .unwrap();
    }
    let receiver = blocking("libzmq-pull", move || {
        (0..JOBS)
            .map(|_| recv(&pull, "libzmq PULL"))
            .collect::<Vec<_>>()
    });
    let got = receiver.join().await;
    for (i, frames) in got.iter().enumerate() {
        assert_eq!(frames, &vec![format!("job {i}").into_bytes()]);
    }
    let seen = zap.stop().await;
    assert_eq!(seen.len(), 1, "one ZAP request: {seen:?}");
    assert_eq!(
        (&seen[0][5][..], &seen[0][6][..]),
        (&b"PLAIN"[..], &b"alice"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_plain_push_with_our_plain_pull_and_authenticator() {
    let ctx = context();
    let mut pull =
        PullSocket::with_options(Options::default().plain_server().authenticator(alice_only))
            .unwrap();
    let mut monitor = pull.monitor();
    let endpoint = pull.bind("tcp://127.0.0.1:0").await.unwrap().to_string();

    // A wrong password first: refused, nothing of it delivered.
    let intruder = socket(&ctx, zmq::PUSH);
    intruder.set_plain_username(Some("alice")).unwrap();
    intruder.set_plain_password(Some("guess")).unwrap();
    intruder.connect(&endpoint).unwrap();
    send(&intruder, &[b"intruder"], "libzmq PUSH (queued)");
    let reason = handshake_failure(&mut monitor, "we deny libzmq's wrong password").await;
    assert!(
        matches!(
            reason,
            DisconnectReason::Connection(ConnectionError::Authentication(AuthError::Denied { .. }))
        ),
        "{reason:?}"
    );

    let push = socket(&ctx, zmq::PUSH);
    push.set_plain_username(Some("alice")).unwrap();
    push.set_plain_password(Some("wonderland")).unwrap();
    push.connect(&endpoint).unwrap();
    let sender = blocking("libzmq-push", move || {
        for i in 0..JOBS {
            send(&push, &[format!("job {i}").as_bytes()], "libzmq PUSH");
        }
        push
    });
    for i in 0..JOBS {
        let m = within(LIMIT, "our PULL recv", pull.recv()).await.unwrap();
        assert_eq!(frames_of(&m), vec![format!("job {i}").into_bytes()]);
    }
    sender.join().await;
    let more = tokio::time::timeout(Duration::from_millis(200), pull.recv()).await;
    assert!(
        more.is_err(),
        "the intruder's message was delivered: {more:?}"
    );
    drop(intruder);
}

// ---- CURVE failures against libzmq -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_curve_client_refused_by_a_libzmq_zap_handler_does_not_reconnect() {
    let ctx = context();
    let zap = Zap::start(&ctx, |request| {
        assert_eq!(request[5], b"CURVE");
        ("400", "")
    });
    let (server_pair, server_key) = libzmq_keys();
    let rep = socket(&ctx, zmq::REP);
    rep.set_curve_server(true).unwrap();
    rep.set_curve_secretkey(&server_pair.secret_key).unwrap();
    let endpoint = bind_tcp(&rep);

    let client_keys = KeyPair::generate(&OsRandom);
    let client_key = *client_keys.public();
    let req = ReqSocket::with_options(
        Options::default()
            .curve_client(server_key, Some(client_keys))
            .reconnect(Duration::from_millis(50), None),
    )
    .unwrap();
    let mut monitor = req.monitor();
    req.connect(endpoint.as_str()).unwrap();
    let reason = handshake_failure(&mut monitor, "libzmq's ZAP handler refuses us").await;
    assert!(is_rejected_400(&reason), "{reason:?}");
    assert_no_retry(&mut monitor, "ZAP 400").await;
    assert!(try_recv(&rep).is_none(), "libzmq delivered something");

    let seen = zap.stop().await;
    assert_eq!(seen.len(), 1, "one ZAP request, no retry: {seen:?}");
    assert_eq!(seen[0][6], client_key.as_bytes(), "ZAP saw our public key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_curve_client_with_the_wrong_server_key_fails_and_libzmq_keeps_serving() {
    let ctx = context();
    let (server_pair, server_key) = libzmq_keys();
    let (_, wrong_key) = libzmq_keys();
    let rep = socket(&ctx, zmq::REP);
    rep.set_curve_server(true).unwrap();
    rep.set_curve_secretkey(&server_pair.secret_key).unwrap();
    let rep_monitor = libzmq_monitor(&ctx, &rep, "curve-wrong-key");
    let endpoint = bind_tcp(&rep);

    let bad = ReqSocket::with_options(Options::default().curve_client(wrong_key, None)).unwrap();
    let mut bad_monitor = bad.monitor();
    bad.connect(endpoint.as_str()).unwrap();
    let reason = handshake_failure(&mut bad_monitor, "libzmq cannot open our HELLO").await;
    // libzmq closes without ERROR when a HELLO box does not open: all we can tell is that the
    // peer hung up during the handshake (or reset the connection).
    assert!(
        matches!(
            reason,
            DisconnectReason::Connection(ConnectionError::PeerDisconnected { .. })
                | DisconnectReason::Io(std::io::ErrorKind::ConnectionReset)
        ),
        "{reason:?}"
    );
    let libzmq_saw = blocking("libzmq-monitor", move || {
        let event = libzmq_event(
            &rep_monitor,
            &[
                zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL,
                zmq::SocketEvent::HANDSHAKE_FAILED_AUTH,
                zmq::SocketEvent::HANDSHAKE_SUCCEEDED,
            ],
        );
        (event, rep_monitor)
    });
    let (event, _rep_monitor) = libzmq_saw.join().await;
    assert_eq!(
        event,
        (
            zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL.to_raw(),
            ZMTP_CRYPTOGRAPHIC
        ),
        "libzmq's view of our HELLO"
    );

    // libzmq keeps serving a client with the right key, while the bad one keeps failing.
    let server = blocking("libzmq-rep", move || {
        let request = recv(&rep, "libzmq REP request");
        let reply: Vec<&[u8]> = request.iter().map(Vec::as_slice).collect();
        send(&rep, &reply, "libzmq REP reply");
        rep
    });
    let mut good =
        ReqSocket::with_options(Options::default().curve_client(server_key, None)).unwrap();
    good.connect(endpoint.as_str()).unwrap();
    let reply = within(LIMIT, "good client's round trip", good.request("hello"))
        .await
        .unwrap();
    assert_eq!(frames_of(&reply), owned(&[b"hello"]));
    server.join().await;
    drop(bad);
}
