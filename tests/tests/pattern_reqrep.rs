//! REQ/REP behaviour (RFC 28): strict alternation, REQ round robin, REP envelopes checked on the
//! wire with raw peers, and REQ dropping malformed or unsolicited replies.

use std::time::Duration;

use bytes::Bytes;
use zmtp_tests::raw_peer::{RawListener, RawPeer};
use zmtp_tests::socket_harness::{text, texts, within, Transport};
use zmtp_tests::{over_tcp_and_ipc, over_tcp_ipc_inproc};
use zmtp_tokio::{Error, Message, Options, RepSocket, ReqSocket};

const LIMIT: Duration = Duration::from_secs(5);

fn bytes_list(frames: &[&str]) -> Vec<Bytes> {
    frames
        .iter()
        .map(|f| Bytes::copy_from_slice(f.as_bytes()))
        .collect()
}

#[tokio::test]
async fn req_sending_twice_without_a_reply_is_invalid_state() {
    let rep = RepSocket::new();
    let ep = rep.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut req = ReqSocket::new();
    req.connect(&ep).unwrap();
    within(LIMIT, "first send", req.send("one")).await.unwrap();
    let second = within(LIMIT, "second send", req.send("two")).await;
    assert!(matches!(second, Err(Error::InvalidState(_))), "{second:?}");
}

#[tokio::test]
async fn req_receiving_before_sending_is_invalid_state() {
    let mut req = ReqSocket::new();
    req.connect("tcp://127.0.0.1:1").unwrap();
    let r = within(LIMIT, "recv", req.recv()).await;
    assert!(matches!(r, Err(Error::InvalidState(_))), "{r:?}");
    assert!(matches!(
        req.try_recv(),
        Err(zmtp_tokio::TryRecvError::InvalidState(_))
    ));
}

#[tokio::test]
async fn rep_replying_without_a_request_or_receiving_twice_is_invalid_state() {
    let mut rep = RepSocket::new();
    let ep = rep.bind("tcp://127.0.0.1:0").await.unwrap();
    let r = within(LIMIT, "send", rep.send("unasked")).await;
    assert!(matches!(r, Err(Error::InvalidState(_))), "{r:?}");

    let mut req = ReqSocket::new();
    req.connect(&ep).unwrap();
    within(LIMIT, "req send", req.send("q")).await.unwrap();
    assert_eq!(
        within(LIMIT, "rep recv", rep.recv()).await.unwrap(),
        Message::from("q")
    );
    let again = within(LIMIT, "rep recv again", rep.recv()).await;
    assert!(matches!(again, Err(Error::InvalidState(_))), "{again:?}");
    // Replying clears the state: the exchange continues normally.
    rep.send("a").await.unwrap();
    assert_eq!(
        within(LIMIT, "req recv", req.recv()).await.unwrap(),
        Message::from("a")
    );
}

over_tcp_ipc_inproc!(req_round_robins_over_two_reps,);

// With raw peers speaking ZMTP byte by byte: not for inproc, which has no bytes.
over_tcp_and_ipc!(
    rep_returns_the_empty_delimiter_envelope_to_a_raw_req,
    rep_returns_a_multi_frame_envelope_to_a_raw_dealer,
    rep_answers_each_requester_not_the_last_one_connected,
    req_drops_a_reply_without_the_empty_delimiter,
    req_drops_a_reply_from_a_peer_it_did_not_ask,
    rep_drops_the_reply_to_a_requester_that_left_and_serves_the_next,
    rep_drops_a_request_without_an_empty_delimiter,
    req_announces_its_socket_type_identity_and_properties_in_ready,
);

/// Serves `name` forever: replies `"<name>:<request>"`.
fn serve(mut rep: RepSocket, name: &'static str) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok(request) = rep.recv().await {
            if rep
                .send(format!("{name}:{}", text(&request)))
                .await
                .is_err()
            {
                return;
            }
        }
    })
}

async fn req_round_robins_over_two_reps(t: Transport) {
    let a = RepSocket::new();
    let b = RepSocket::new();
    let ep_a = a.bind(t.bind_endpoint()).await.unwrap();
    let ep_b = b.bind(t.bind_endpoint()).await.unwrap();
    let servers = [serve(a, "A"), serve(b, "B")];
    let mut req = ReqSocket::new();
    req.connect(&ep_a).unwrap();
    req.connect(&ep_b).unwrap();

    let mut answered_by = Vec::new();
    for i in 0..10 {
        let reply = within(LIMIT, "request", req.request(format!("{i}")))
            .await
            .unwrap();
        let reply = text(&reply);
        let (who, echo) = reply.split_once(':').unwrap();
        assert_eq!(echo, i.to_string(), "reply to the wrong request");
        answered_by.push(who.to_owned());
    }
    // Connected pipes exist from `connect` on, so the rotation is strict: A, B, A, B, ...
    let expected: Vec<String> = (0..10)
        .map(|i| if i % 2 == 0 { "A" } else { "B" }.to_owned())
        .collect();
    assert_eq!(answered_by, expected);
    for s in servers {
        s.abort();
    }
}

/// A raw REQ sends `["", "body"]`; our REP hands the application `["body"]` and puts the empty
/// delimiter back in front of the reply on the wire.
async fn rep_returns_the_empty_delimiter_envelope_to_a_raw_req(t: Transport) {
    let mut rep = RepSocket::new();
    let ep = rep.bind(t.bind_endpoint()).await.unwrap();
    let mut raw = within(LIMIT, "raw handshake", RawPeer::connect_as(&ep, "REQ"))
        .await
        .unwrap();
    raw.send_message(&[b"", b"body"]).await.unwrap();
    let request = within(LIMIT, "rep recv", rep.recv()).await.unwrap();
    assert_eq!(request, Message::from("body"));
    rep.send(Message::from_iter(["reply", "part2"]))
        .await
        .unwrap();
    let reply = raw.read_message().await.unwrap();
    assert_eq!(reply, bytes_list(&["", "reply", "part2"]));
}

/// A raw DEALER (compatible with REP) sends `["id1", "id2", "", "body", "more"]`: our REP hands
/// over `["body", "more"]` and replies with the whole envelope `["id1", "id2", ""]` in front.
async fn rep_returns_a_multi_frame_envelope_to_a_raw_dealer(t: Transport) {
    let mut rep = RepSocket::new();
    let ep = rep.bind(t.bind_endpoint()).await.unwrap();
    let mut raw = within(LIMIT, "raw handshake", RawPeer::connect_as(&ep, "DEALER"))
        .await
        .unwrap();
    raw.send_message(&[b"id1", b"id2", b"", b"body", b"more"])
        .await
        .unwrap();
    let request = within(LIMIT, "rep recv", rep.recv()).await.unwrap();
    assert_eq!(texts(&request), ["body", "more"]);
    rep.send("reply").await.unwrap();
    assert_eq!(
        raw.read_message().await.unwrap(),
        bytes_list(&["id1", "id2", "", "reply"])
    );

    // A second request with a different envelope gets its own envelope back.
    raw.send_message(&[b"x", b"", b"again"]).await.unwrap();
    let request = within(LIMIT, "rep recv", rep.recv()).await.unwrap();
    assert_eq!(request, Message::from("again"));
    rep.send("reply2").await.unwrap();
    assert_eq!(
        raw.read_message().await.unwrap(),
        bytes_list(&["x", "", "reply2"])
    );
}

/// Two raw requesters with requests waiting: each reply goes back to the peer that asked.
async fn rep_answers_each_requester_not_the_last_one_connected(t: Transport) {
    let mut rep = RepSocket::new();
    let ep = rep.bind(t.bind_endpoint()).await.unwrap();
    let mut one = RawPeer::connect_as(&ep, "DEALER").await.unwrap();
    let mut two = RawPeer::connect_as(&ep, "DEALER").await.unwrap();
    one.send_message(&[b"", b"from-one"]).await.unwrap();
    two.send_message(&[b"", b"from-two"]).await.unwrap();
    for _ in 0..2 {
        let request = within(LIMIT, "rep recv", rep.recv()).await.unwrap();
        let body = text(&request);
        rep.send(format!("re:{body}")).await.unwrap();
    }
    assert_eq!(
        one.read_message().await.unwrap(),
        bytes_list(&["", "re:from-one"])
    );
    assert_eq!(
        two.read_message().await.unwrap(),
        bytes_list(&["", "re:from-two"])
    );
}

async fn accept_raw_rep(listener: &RawListener) -> RawPeer {
    let mut raw = listener.accept().await.unwrap();
    raw.handshake("REP").await.unwrap();
    raw
}

/// A raw REP answers without the empty delimiter (and with a non-empty first frame): our REQ
/// drops those and delivers the well-formed reply that follows.
async fn req_drops_a_reply_without_the_empty_delimiter(t: Transport) {
    let listener = RawListener::bind(t).await.unwrap();
    let mut req = ReqSocket::new();
    req.connect(listener.endpoint()).unwrap();
    let mut raw = within(LIMIT, "raw accept", accept_raw_rep(&listener)).await;

    within(LIMIT, "req send", req.send("q")).await.unwrap();
    assert_eq!(raw.read_message().await.unwrap(), bytes_list(&["", "q"]));

    raw.send_message(&[b"no-delimiter"]).await.unwrap();
    raw.send_message(&[b"x", b"", b"wrong-envelope"])
        .await
        .unwrap();
    let early = tokio::time::timeout(Duration::from_millis(300), req.recv()).await;
    assert!(
        early.is_err(),
        "REQ accepted a reply without the empty delimiter: {early:?}"
    );
    raw.send_message(&[b"", b"good"]).await.unwrap();
    let reply = within(LIMIT, "req recv", req.recv()).await.unwrap();
    assert_eq!(reply, Message::from("good"));
}

/// REQ connected to two raw REPs asks the first; the second sends an unsolicited reply, which is
/// dropped; the first's reply is delivered.
async fn req_drops_a_reply_from_a_peer_it_did_not_ask(t: Transport) {
    let first = RawListener::bind(t).await.unwrap();
    let second = RawListener::bind(t).await.unwrap();
    let mut req = ReqSocket::new();
    req.connect(first.endpoint()).unwrap();
    req.connect(second.endpoint()).unwrap();
    let mut raw1 = within(LIMIT, "accept first", accept_raw_rep(&first)).await;
    let mut raw2 = within(LIMIT, "accept second", accept_raw_rep(&second)).await;

    within(LIMIT, "req send", req.send("q")).await.unwrap();
    // Round robin starts with the first connected endpoint.
    assert_eq!(raw1.read_message().await.unwrap(), bytes_list(&["", "q"]));
    raw2.send_message(&[b"", b"unsolicited"]).await.unwrap();
    let early = tokio::time::timeout(Duration::from_millis(300), req.recv()).await;
    assert!(
        early.is_err(),
        "REQ accepted a reply from a peer it did not ask: {early:?}"
    );
    raw1.send_message(&[b"", b"answer"]).await.unwrap();
    let reply = within(LIMIT, "req recv", req.recv()).await.unwrap();
    assert_eq!(reply, Message::from("answer"));
}

/// A raw requester asks and leaves before the reply: `send` still succeeds (the reply is
/// dropped, as libzmq does) and the REP serves the next requester normally.
async fn rep_drops_the_reply_to_a_requester_that_left_and_serves_the_next(t: Transport) {
    let mut rep = RepSocket::new();
    let ep = rep.bind(t.bind_endpoint()).await.unwrap();
    let mut gone = RawPeer::connect_as(&ep, "REQ").await.unwrap();
    gone.send_message(&[b"", b"first"]).await.unwrap();
    assert_eq!(
        within(LIMIT, "rep recv", rep.recv()).await.unwrap(),
        Message::from("first")
    );
    drop(gone);
    zmtp_tests::socket_harness::wait_until(LIMIT, "requester gone", || rep.connected_peers() == 0)
        .await;
    rep.send("nobody listens").await.unwrap();

    let mut next = RawPeer::connect_as(&ep, "REQ").await.unwrap();
    next.send_message(&[b"", b"second"]).await.unwrap();
    assert_eq!(
        within(LIMIT, "rep recv", rep.recv()).await.unwrap(),
        Message::from("second")
    );
    rep.send("for you").await.unwrap();
    assert_eq!(
        next.read_message().await.unwrap(),
        bytes_list(&["", "for you"])
    );
}

/// Dropping a `recv` future of REQ before the reply arrived loses nothing: the next `recv`
/// gets the reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn req_recv_is_cancel_safe() {
    let mut rep = RepSocket::new();
    let ep = rep.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut req = ReqSocket::new();
    req.connect(&ep).unwrap();
    within(LIMIT, "send", req.send("q")).await.unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(50), req.recv())
        .await
        .is_err());
    within(LIMIT, "rep recv", rep.recv()).await.unwrap();
    rep.send("a").await.unwrap();
    assert_eq!(
        within(LIMIT, "req recv", req.recv()).await.unwrap(),
        Message::from("a")
    );
    // And the socket is ready for the next request.
    within(LIMIT, "send again", req.send("q2")).await.unwrap();
}

/// A request without an empty delimiter has no envelope: REP drops it and serves the next one.
async fn rep_drops_a_request_without_an_empty_delimiter(t: Transport) {
    let mut rep = RepSocket::new();
    let ep = rep.bind(t.bind_endpoint()).await.unwrap();
    let mut raw = RawPeer::connect_as(&ep, "DEALER").await.unwrap();
    raw.send_message(&[b"no", b"delimiter"]).await.unwrap();
    raw.send_message(&[b"", b"ok"]).await.unwrap();
    let request = within(LIMIT, "rep recv", rep.recv()).await.unwrap();
    assert_eq!(request, Message::from("ok"));
    rep.send("done").await.unwrap();
    assert_eq!(raw.read_message().await.unwrap(), bytes_list(&["", "done"]));
}

/// Our REQ's READY carries Socket-Type REQ, the configured Identity and extra properties.
async fn req_announces_its_socket_type_identity_and_properties_in_ready(t: Transport) {
    let listener = RawListener::bind(t).await.unwrap();
    let mut options = Options::default().identity("client-7");
    options.properties.insert("X-Service", "billing").unwrap();
    let req = ReqSocket::with_options(options).unwrap();
    req.connect(listener.endpoint()).unwrap();
    let mut raw = listener.accept().await.unwrap();
    let ready = raw.handshake("REP").await.unwrap();
    let properties = ready.ready_properties().expect("READY properties parse");
    let get = |name: &str| {
        properties
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        get("Socket-Type").as_deref(),
        Some(&b"REQ"[..]),
        "{properties:?}"
    );
    assert_eq!(
        get("Identity").as_deref(),
        Some(&b"client-7"[..]),
        "{properties:?}"
    );
    assert_eq!(
        get("X-Service").as_deref(),
        Some(&b"billing"[..]),
        "{properties:?}"
    );
}

#[tokio::test]
async fn invalid_identities_are_refused_when_the_socket_is_created() {
    let too_long = ReqSocket::with_options(Options::default().identity(vec![b'x'; 256]));
    assert!(matches!(too_long, Err(Error::Config(_))), "{too_long:?}");
    let zero = ReqSocket::with_options(Options::default().identity(&b"\0abc"[..]));
    assert!(matches!(zero, Err(Error::Config(_))), "{zero:?}");
    let mut reserved = Options::default();
    reserved.properties.insert("Socket-Type", "PUB").unwrap();
    let r = ReqSocket::with_options(reserved);
    assert!(matches!(r, Err(Error::Config(_))), "{r:?}");
}
