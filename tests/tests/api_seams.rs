//! The API a tokio user meets: generic code over the capability traits, the run-time-typed
//! socket, `Sink::poll_flush` meaning "handed to the connection", `try_send` handing the
//! message back for every kind that can refuse one, and endpoints that cannot be connected to.
//! On the paused clock over `mem://`.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use zmtp_tests::socket_harness::{text, unique_memory_endpoint, wait_until, within};
use zmtp_tokio::{
    AnySocket, Bytes, DealerSocket, Error, Message, Options, PullSocket, PushSocket, RecvMessage,
    RepSocket, ReqSocket, RouteByIdentity, RouterSocket, SendMessage, SocketType, Subscribe,
    TryRecvError,
};

const LIMIT: Duration = Duration::from_secs(5);

/// Generic over "a socket that sends" and "a socket that receives", whatever their kinds.
async fn relay_one(from: &mut impl RecvMessage, to: &mut impl SendMessage) -> Message {
    let message = from.recv_message().await.unwrap();
    to.send_message(message.clone()).await.unwrap();
    message
}

#[tokio::test(start_paused = true)]
async fn generic_code_relays_between_typed_and_run_time_typed_sockets() {
    let inbound = PullSocket::new();
    let first = inbound.bind(unique_memory_endpoint()).await.unwrap();
    let mut outbound = AnySocket::new(SocketType::Push, Options::default()).unwrap();
    let last = outbound.bind(unique_memory_endpoint()).await.unwrap();
    let mut source = PushSocket::new();
    source.connect(&first).unwrap();
    let mut sink = AnySocket::new(SocketType::Pull, Options::default()).unwrap();
    sink.connect(&last).unwrap();

    let mut inbound = inbound;
    source.send("through the relay").await.unwrap();
    let relayed = within(LIMIT, "relay", relay_one(&mut inbound, &mut outbound)).await;
    assert_eq!(text(&relayed), "through the relay");
    let arrived = within(LIMIT, "arrival", sink.recv()).await.unwrap();
    assert_eq!(arrived, relayed);
}

#[tokio::test(start_paused = true)]
async fn a_subscriber_is_generic_too() {
    fn subscribe_all(subscriber: &impl Subscribe, topics: &[&str]) {
        for topic in topics {
            subscriber
                .subscribe_to(Bytes::copy_from_slice(topic.as_bytes()))
                .unwrap();
        }
    }
    let publisher = AnySocket::new(SocketType::Pub, Options::default()).unwrap();
    let endpoint = publisher.bind(unique_memory_endpoint()).await.unwrap();
    let mut subscriber = AnySocket::new(SocketType::Sub, Options::default()).unwrap();
    subscribe_all(&subscriber, &["weather"]);
    subscriber.connect(&endpoint).unwrap();
    let mut publisher = publisher;
    within(LIMIT, "the subscription arrives", async {
        loop {
            publisher.send("sports").await.unwrap();
            publisher.send("weather").await.unwrap();
            let wait = Duration::from_millis(10);
            if let Ok(got) = tokio::time::timeout(wait, subscriber.recv()).await {
                assert_eq!(text(&got.unwrap()), "weather", "filtered at the publisher");
                return;
            }
        }
    })
    .await;
    assert!(matches!(
        publisher.subscribe("x"),
        Err(Error::NotSupported(_))
    ));
}

/// `flush` completes once the messages are in the connection, not before: with nobody at
/// the endpoint it stays pending, and completes when a peer arrives.
#[tokio::test(start_paused = true)]
async fn sink_flush_waits_until_the_connection_took_the_messages() {
    let endpoint = unique_memory_endpoint();
    let mut push = PushSocket::new();
    push.connect(endpoint.as_str()).unwrap();
    push.feed(Message::from("queued")).await.unwrap();
    let early = tokio::time::timeout(Duration::from_secs(1), push.flush()).await;
    assert!(
        early.is_err(),
        "flushed with no connection to hand the message to"
    );

    let mut pull = PullSocket::new();
    pull.bind(endpoint.as_str()).await.unwrap();
    within(LIMIT, "flush once a peer is there", push.flush())
        .await
        .unwrap();
    let got = within(LIMIT, "recv", pull.next()).await.unwrap().unwrap();
    assert_eq!(text(&got), "queued");
}

/// A ROUTER's `try_send` hands the message back when the peer's queue is full (libzmq would
/// drop it), and a REP's hands the reply back and keeps the request to answer.
#[tokio::test(start_paused = true)]
async fn try_send_hands_the_message_back_for_router_and_rep() {
    let mut router = RouterSocket::with_options(Options::default().send_hwm(1)).unwrap();
    let endpoint = router.bind(unique_memory_endpoint()).await.unwrap();
    // A peer that never reads and never connects its reading side: a DEALER we do not poll.
    let dealer =
        zmtp_tokio::DealerSocket::with_options(Options::default().identity("slow").recv_hwm(1))
            .unwrap();
    dealer.connect(&endpoint).unwrap();
    wait_until(LIMIT, "the dealer is known", || {
        router.connected_peers() == 1
    })
    .await;
    let big = vec![0u8; 256 * 1024];
    let mut handed_back = None;
    for _ in 0..64 {
        let message: Message = [Bytes::from_static(b"slow"), Bytes::from(big.clone())]
            .into_iter()
            .collect();
        match router.try_send(message) {
            Ok(()) => tokio::task::yield_now().await,
            Err(refused) => {
                handed_back = Some(refused);
                break;
            }
        }
    }
    let refused = handed_back.expect("16 MiB cannot all be queued for a peer that does not read");
    assert!(matches!(refused.error, Error::WouldBlock), "{refused:?}");
    assert_eq!(
        refused.message.frames()[0],
        b"slow"[..],
        "the identity is back in front"
    );
    assert_eq!(refused.message.len(), 2);
    drop(dealer);

    let mut rep = RepSocket::new();
    let refused = rep.try_send("no request yet").unwrap_err();
    assert!(matches!(refused.error, Error::InvalidState(_)));
    assert_eq!(text(&refused.message), "no request yet");
    let endpoint = rep.bind(unique_memory_endpoint()).await.unwrap();
    let mut req = ReqSocket::new();
    req.connect(&endpoint).unwrap();
    req.send("question").await.unwrap();
    let question = within(LIMIT, "request", rep.recv()).await.unwrap();
    assert_eq!(text(&question), "question");
    rep.try_send("answer").unwrap();
    let answer = within(LIMIT, "reply", req.recv()).await.unwrap();
    assert_eq!(text(&answer), "answer");
}

#[tokio::test]
async fn a_wildcard_endpoint_cannot_be_connected_to() {
    let push = PushSocket::new();
    let refused = push.connect("tcp://*:5555");
    assert!(
        matches!(refused, Err(Error::InvalidEndpoint { .. })),
        "{refused:?}"
    );
}

/// A multipart message from frames of different types, chained without a common type.
#[test]
fn a_multipart_message_from_mixed_frames() {
    let message = Message::new()
        .with("text")
        .with(vec![1u8, 2, 3])
        .with(String::from("owned"))
        .with(Bytes::from_static(b"shared"))
        .with(&b"static"[..]);
    assert_eq!(message.len(), 5);
    assert_eq!(message.frames()[1], [1u8, 2, 3][..]);
    assert_eq!(message.frames()[2], b"owned"[..]);
}

/// The sender comes with the message when asked for: its socket type, identity and address,
/// and each message of a run from two peers names its own sender.
#[tokio::test(start_paused = true)]
async fn recv_with_peer_names_the_sender_of_each_message() {
    let mut server = DealerSocket::new();
    let endpoint = server.bind(unique_memory_endpoint()).await.unwrap();
    // DEALERs announce their identity (PUSH does not, as in libzmq).
    let mut alice = DealerSocket::with_options(Options::default().identity("alice")).unwrap();
    let mut bob = DealerSocket::with_options(Options::default().identity("bob")).unwrap();
    alice.connect(&endpoint).unwrap();
    bob.connect(&endpoint).unwrap();
    for _ in 0..3 {
        alice.send("from alice").await.unwrap();
        bob.send("from bob").await.unwrap();
    }
    for _ in 0..6 {
        let (message, peer) = within(LIMIT, "recv", server.recv_with_peer())
            .await
            .unwrap();
        assert_eq!(peer.socket_type, SocketType::Dealer);
        assert!(peer.address.starts_with("mem://"), "{}", peer.address);
        let expected = format!("from {}", String::from_utf8_lossy(&peer.identity));
        assert_eq!(text(&message), expected);
    }
}

/// A REQ's `try_send` hands back a request no peer can take (without the delimiter it would
/// have added) and refuses a second request; its `try_recv` says "empty" until the reply is
/// there, and reports the alternation as such, not as emptiness.
#[tokio::test(start_paused = true)]
async fn req_try_send_and_try_recv_keep_the_alternation() {
    let mut req = ReqSocket::new();
    let refused = req.try_send("early").unwrap_err();
    assert!(refused.is_full(), "{refused:?}");
    assert_eq!(refused.message.len(), 1, "no delimiter left on it");
    assert_eq!(text(&refused.message), "early");
    assert!(matches!(req.try_recv(), Err(TryRecvError::InvalidState(_))));

    let mut rep = RepSocket::new();
    let endpoint = rep.bind(unique_memory_endpoint()).await.unwrap();
    req.connect(&endpoint).unwrap();
    wait_until(LIMIT, "connected", || req.connected_peers() == 1).await;
    req.try_send(refused.into_message()).unwrap();
    let second = req.try_send("second").unwrap_err();
    assert!(matches!(second.error, Error::InvalidState(_)));
    assert_eq!(req.try_recv().unwrap_err(), TryRecvError::Empty);

    let request = within(LIMIT, "request", rep.recv()).await.unwrap();
    rep.send(Message::from(format!("re: {}", text(&request))))
        .await
        .unwrap();
    let reply = within(LIMIT, "reply", async {
        loop {
            match req.try_recv() {
                Ok(reply) => return reply,
                Err(TryRecvError::Empty) => tokio::task::yield_now().await,
                Err(other) => panic!("{other}"),
            }
        }
    })
    .await;
    assert_eq!(text(&reply), "re: early");
}

/// `try_send` and `try_recv` through the capability traits and on every publisher-side kind:
/// XSUB sends upstream without waiting, PUB says how many subscribers took the message.
#[tokio::test(start_paused = true)]
async fn try_operations_through_the_traits() {
    let mut xpub = zmtp_tokio::XPubSocket::new();
    let endpoint = xpub.bind(unique_memory_endpoint()).await.unwrap();
    let mut xsub = zmtp_tokio::XSubSocket::new();
    xsub.connect(&endpoint).unwrap();
    SendMessage::try_send_message(&mut xsub, Message::from(&b"\x01t"[..])).unwrap();
    let notice = within(LIMIT, "subscription", xpub.recv()).await.unwrap();
    assert_eq!(notice.frames()[0], b"\x01t"[..]);
    assert_eq!(
        xpub.try_send("t: one").unwrap(),
        1,
        "one subscriber took it"
    );
    let got = within(LIMIT, "publication", xsub.recv()).await.unwrap();
    assert_eq!(text(&got), "t: one");
    assert_eq!(
        RecvMessage::try_recv_message(&mut xsub).unwrap_err(),
        TryRecvError::Empty
    );
    let refused = xsub.try_send(Message::new()).unwrap_err();
    assert!(matches!(refused.error, Error::InvalidState(_)), "no frame");
}

/// Code written against "a socket that routes by identity" serves a typed ROUTER and a
/// run-time-typed one alike, and answers each client by name; other kinds refuse.
#[tokio::test(start_paused = true)]
async fn routing_by_identity_is_a_capability() {
    /// Answers one request from a client named `name` connected to `endpoint`.
    async fn serve_one(
        server: &mut impl RouteByIdentity,
        endpoint: &zmtp_tokio::Endpoint,
        name: &'static str,
    ) {
        let mut client = DealerSocket::with_options(Options::default().identity(name)).unwrap();
        client.connect(endpoint).unwrap();
        client.send("there").await.unwrap();
        let (from, request) = within(LIMIT, "request", server.recv_routed())
            .await
            .unwrap();
        assert_eq!(from, name.as_bytes());
        let reply = Message::from(format!("hello {}", text(&request)));
        server.send_routed(from, reply).await.unwrap();
        let reply = within(LIMIT, "reply", client.recv()).await.unwrap();
        assert_eq!(text(&reply), "hello there");
    }
    let mut typed = RouterSocket::new();
    let endpoint = typed.bind(unique_memory_endpoint()).await.unwrap();
    serve_one(&mut typed, &endpoint, "ann").await;
    let mut any = AnySocket::new(SocketType::Router, Options::default()).unwrap();
    let endpoint = any.bind(unique_memory_endpoint()).await.unwrap();
    serve_one(&mut any, &endpoint, "bo").await;

    let mut dealer = AnySocket::new(SocketType::Dealer, Options::default()).unwrap();
    let refused = dealer
        .send_routed(Bytes::from_static(b"x"), Message::from("y"))
        .await;
    assert!(
        matches!(refused, Err(Error::NotSupported(_))),
        "{refused:?}"
    );
}
