//! A REQ that recovers (ZMQ_REQ_RELAXED, ZMQ_REQ_CORRELATE): a new request may abandon the one
//! awaiting its reply, and a late reply to the abandoned one is never taken for the current
//! one. The server is our ROUTER, which sees the request-id frame on the wire and answers in
//! the order that would fool a REQ without correlation. Over every transport.

use std::time::Duration;

use zmtp_tests::over_every_transport;
use zmtp_tests::socket_harness::{texts, within, Transport};
use zmtp_tokio::{Bytes, Error, Message, Options, ReqSocket, RouterSocket};

const LIMIT: Duration = Duration::from_secs(5);

over_every_transport!(
    a_relaxed_correlating_req_takes_only_the_reply_to_its_last_request,
    a_relaxed_req_without_correlation_takes_a_late_reply,
);

/// A ROUTER and a REQ with `options` connected to it.
async fn router_and_req(t: Transport, options: Options) -> (RouterSocket, ReqSocket) {
    let router = RouterSocket::new();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let req = ReqSocket::with_options(options).unwrap();
    req.connect(&ep).unwrap();
    (router, req)
}

/// The ROUTER's view of one request: [identity, envelope..., body].
async fn next_request(router: &mut RouterSocket) -> Vec<Bytes> {
    within(LIMIT, "the ROUTER receives a request", router.recv())
        .await
        .unwrap()
        .into_frames()
}

/// Replies to a request with its envelope (identity and everything up to the delimiter) and
/// `body`.
async fn reply(router: &mut RouterSocket, request: &[Bytes], body: &str) {
    let mut frames = request[..request.len() - 1].to_vec();
    frames.push(Bytes::copy_from_slice(body.as_bytes()));
    within(
        LIMIT,
        "the ROUTER replies",
        router.send(Message::from(frames)),
    )
    .await
    .unwrap();
}

async fn a_relaxed_correlating_req_takes_only_the_reply_to_its_last_request(t: Transport) {
    let options = Options::default().req_relaxed(true).req_correlate(true);
    let (mut router, mut req) = router_and_req(t, options).await;

    within(LIMIT, "first request", req.send("one"))
        .await
        .unwrap();
    let first = next_request(&mut router).await;
    // The abandoned request's reply is late: a second request goes first.
    within(
        LIMIT,
        "second request, the first unanswered",
        req.send("two"),
    )
    .await
    .unwrap();
    let second = next_request(&mut router).await;
    // On the wire: identity, a 4-byte request id, the empty delimiter, the body.
    for (request, body) in [(&first, "one"), (&second, "two")] {
        assert_eq!(request.len(), 4, "{request:?}");
        assert_eq!(request[1].len(), 4, "request id frame: {request:?}");
        assert!(request[2].is_empty(), "delimiter: {request:?}");
        assert_eq!(request[3], body.as_bytes());
    }
    assert_ne!(first[1], second[1], "each request has its own id");

    reply(&mut router, &first, "late answer to one").await;
    reply(&mut router, &second, "answer to two").await;
    let got = within(LIMIT, "the reply", req.recv()).await.unwrap();
    assert_eq!(texts(&got), ["answer to two"]);
    // The socket alternates again from here.
    within(LIMIT, "third request", req.send("three"))
        .await
        .unwrap();
    let third = next_request(&mut router).await;
    reply(&mut router, &third, "answer to three").await;
    let got = within(LIMIT, "the reply", req.recv()).await.unwrap();
    assert_eq!(texts(&got), ["answer to three"]);
}

/// The reason for correlation: relaxed alone cannot tell a late reply from the awaited one
/// (as in libzmq), and a strict REQ refuses the second request.
async fn a_relaxed_req_without_correlation_takes_a_late_reply(t: Transport) {
    let (mut router, mut req) = router_and_req(t, Options::default().req_relaxed(true)).await;
    within(LIMIT, "first request", req.send("one"))
        .await
        .unwrap();
    let first = next_request(&mut router).await;
    assert_eq!(
        first.len(),
        3,
        "no request id without req_correlate: {first:?}"
    );
    within(LIMIT, "second request", req.send("two"))
        .await
        .unwrap();
    let _second = next_request(&mut router).await;
    reply(&mut router, &first, "late answer to one").await;
    let got = within(LIMIT, "a reply", req.recv()).await.unwrap();
    assert_eq!(texts(&got), ["late answer to one"]);

    let (_router, mut strict) = router_and_req(t, Options::default()).await;
    within(LIMIT, "first request", strict.send("one"))
        .await
        .unwrap();
    let refused = strict.send("two").await;
    assert!(
        matches!(refused, Err(Error::InvalidState(_))),
        "{refused:?}"
    );
    let refused = strict.try_send("two");
    assert!(
        matches!(&refused, Err(e) if matches!(e.error, Error::InvalidState(_)) && texts(&e.message) == ["two"]),
        "{refused:?}"
    );
}
