//! ZMTP heartbeats against real libzmq, both ways round: libzmq PINGs (ZMQ_HEARTBEAT_IVL,
//! _TIMEOUT, _TTL) that we must answer, and our PINGs (`Options::heartbeat`, `heartbeat_ttl`)
//! that libzmq answers and whose TTL it enforces. A relay between the two counts the PING and
//! PONG commands on the wire; the connection must stay up across idle time (one handshake, no
//! disconnect) and messages must still flow after it.

mod support;

use std::time::Duration;

use support::*;
use zmtp_tokio::{MonitorEvent, Options, PushSocket, ReqSocket};

/// How long the connection sits idle: many heartbeat intervals.
const IDLE: Duration = Duration::from_secs(2);
/// A PING command's size byte and name (its body is name length, name, TTL, context).
const PING: &[u8] = b"\x04PING";
const PONG: &[u8] = b"\x04PONG";

/// Asserts the monitor saw exactly one handshake and no disconnect.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_req_answers_libzmq_heartbeats_and_stays_connected_while_idle() {
    let ctx = context();
    let rep = socket(&ctx, zmq::REP);
    // PING every 100 ms; drop us if nothing comes back within 300 ms; tell us to drop it after
    // 500 ms of silence.
    set_heartbeats(&rep, 100, 300, 500);
    let endpoint = bind_tcp(&rep);
    let relay = Relay::start(tcp_addr(&endpoint)).await;

    let mut req = ReqSocket::new();
    let mut monitor = req.monitor();
    req.connect(relay.endpoint().as_str()).unwrap();

    let server = blocking("libzmq-rep", move || {
        for _ in 0..2 {
            let request = recv(&rep, "libzmq REP request");
            let reply: Vec<&[u8]> = request.iter().map(Vec::as_slice).collect();
            send(&rep, &reply, "libzmq REP reply");
        }
        rep
    });
    let reply = within(LIMIT, "first round trip", req.request("before-idle"))
        .await
        .unwrap();
    assert_eq!(frames_of(&reply), owned(&[b"before-idle"]));

    let (pings_before, pongs_before) = (
        occurrences(&relay.captured_from_upstream(), PING),
        occurrences(&relay.captured_to_upstream(), PONG),
    );
    tokio::time::sleep(IDLE).await;
    let pings = occurrences(&relay.captured_from_upstream(), PING) - pings_before;
    let pongs = occurrences(&relay.captured_to_upstream(), PONG) - pongs_before;
    assert!(pings >= 5, "libzmq sent only {pings} PINGs in {IDLE:?}");
    assert!(
        pongs + 2 >= pings,
        "we answered only {pongs} of libzmq's {pings} PINGs"
    );

    assert_eq!(req.connected_peers(), 1);
    let mut events = queued_events(&mut monitor);
    assert_one_unbroken_connection(&events);
    let reply = within(LIMIT, "round trip after idle", req.request("after-idle"))
        .await
        .unwrap();
    assert_eq!(frames_of(&reply), owned(&[b"after-idle"]));
    let _rep = server.join().await;
    events.extend(queued_events(&mut monitor));
    assert_one_unbroken_connection(&events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_answers_our_heartbeats_and_honours_our_ttl_while_idle() {
    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    let endpoint = bind_tcp(&pull);
    let relay = Relay::start(tcp_addr(&endpoint)).await;

    // PING every 100 ms, give up 400 ms after one goes unanswered, and tell libzmq to drop us
    // after 300 ms of silence: the connection survives only if our PINGs keep coming.
    let options = Options::default()
        .heartbeat(Duration::from_millis(100), Duration::from_millis(400))
        .heartbeat_ttl(Duration::from_millis(300));
    let mut push = PushSocket::with_options(options).unwrap();
    let mut monitor = push.monitor();
    push.connect(relay.endpoint().as_str()).unwrap();

    push.send("before-idle").await.unwrap();
    assert_eq!(
        recv_async(&pull, "libzmq PULL before idle").await,
        owned(&[b"before-idle"])
    );

    let (pings_before, pongs_before) = (
        occurrences(&relay.captured_to_upstream(), PING),
        occurrences(&relay.captured_from_upstream(), PONG),
    );
    tokio::time::sleep(IDLE).await;
    let pings = occurrences(&relay.captured_to_upstream(), PING) - pings_before;
    let pongs = occurrences(&relay.captured_from_upstream(), PONG) - pongs_before;
    assert!(pings >= 5, "we sent only {pings} PINGs in {IDLE:?}");
    assert!(
        pongs + 2 >= pings,
        "libzmq answered only {pongs} of our {pings} PINGs"
    );
    // Our PINGs carry the TTL in deciseconds: 300 ms is 3.
    let wire = relay.captured_to_upstream();
    assert!(
        find(&wire, b"\x04PING\x00\x03").is_some(),
        "our PINGs do not announce a 300 ms TTL: {wire:02x?}"
    );

    assert_eq!(push.connected_peers(), 1);
    let mut events = queued_events(&mut monitor);
    assert_one_unbroken_connection(&events);
    within(LIMIT, "send after idle", push.send("after-idle"))
        .await
        .unwrap();
    assert_eq!(
        recv_async(&pull, "libzmq PULL after idle").await,
        owned(&[b"after-idle"])
    );
    events.extend(queued_events(&mut monitor));
    assert_one_unbroken_connection(&events);
}
