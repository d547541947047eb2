//! REQ_RELAXED and REQ_CORRELATE against real libzmq, both ways round: our relaxed,
//! correlating REQ against a libzmq ROUTER answering an abandoned request late, and a libzmq
//! REQ with the same options against our REP (which must echo the request-id frame as part of
//! the envelope for libzmq to accept the reply).

mod support;

use support::*;
use zmtp_tokio::{Options, RepSocket, ReqSocket};

/// Our REQ abandons its first request; libzmq's ROUTER answers both, the abandoned one first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_relaxed_correlating_req_takes_only_the_current_reply_from_a_libzmq_router() {
    let ctx = context();
    let router = socket(&ctx, zmq::ROUTER);
    let options = Options::default().req_relaxed(true).req_correlate(true);
    let mut req = ReqSocket::with_options(options).unwrap();
    let _link = link(&req, &router, Binder::Libzmq, Transport::Tcp).await;

    within(LIMIT, "first request", req.send("one"))
        .await
        .unwrap();
    within(LIMIT, "second request", req.send("two"))
        .await
        .unwrap();
    let server = blocking("libzmq-router", move || {
        let first = recv(&router, "the first request");
        let second = recv(&router, "the second request");
        for (request, body) in [
            (&first, &b"late answer to one"[..]),
            (&second, b"answer to two"),
        ] {
            // identity, request id, delimiter, body: the reply keeps all but the body.
            let mut reply = request[..request.len() - 1].to_vec();
            reply.push(body.to_vec());
            send(&router, &refs(&reply), "a reply");
        }
        (router, first, second)
    });
    let got = within(LIMIT, "our REQ's reply", req.recv()).await.unwrap();
    assert_eq!(frames_of(&got), owned(&[b"answer to two"]));
    let (_router, first, second) = server.join().await;
    assert_eq!(first.len(), 4, "identity, id, delimiter, body: {first:?}");
    assert_eq!(first[1].len(), 4, "the request id is 4 bytes, as libzmq's");
    assert_ne!(first[1], second[1]);
}

/// libzmq's REQ abandons its first request; our REP answers both in turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_relaxed_correlating_req_takes_the_current_reply_from_our_rep() {
    let ctx = context();
    let req = socket(&ctx, zmq::REQ);
    req.set_req_relaxed(true).unwrap();
    req.set_req_correlate(true).unwrap();
    let mut rep = RepSocket::new();
    let _link = link(&rep, &req, Binder::Ours, Transport::Tcp).await;

    let client = blocking("libzmq-req", move || {
        send(&req, &[b"one"], "the first request");
        // Relaxed: a second request without the first one's reply.
        send(&req, &[b"two"], "the second request");
        let reply = recv(&req, "the reply");
        (req, reply)
    });
    for (request, answer) in [("one", "late answer to one"), ("two", "answer to two")] {
        let got = within(LIMIT, "our REP receives", rep.recv()).await.unwrap();
        assert_eq!(frames_of(&got), owned(&[request.as_bytes()]));
        within(LIMIT, "our REP replies", rep.send(answer))
            .await
            .unwrap();
    }
    let (_req, reply) = client.join().await;
    assert_eq!(reply, owned(&[b"answer to two"]));
}
