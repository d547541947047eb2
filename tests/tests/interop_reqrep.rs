//! REQ/REP against real libzmq, both ways round: libzmq REQ with our REP and our REQ with
//! libzmq REP, each with either side binding, over tcp and ipc; multipart bodies with empty
//! frames (including an empty first frame, which must not be taken for the envelope) and
//! 3 MiB messages.

mod support;

use support::*;
use zmtp_tokio::{RepSocket, ReqSocket};

const ROUNDS: usize = 5;

/// The `i`-th request: multipart, with empty frames, and in round 2 an empty first frame.
fn request(i: usize) -> Vec<Vec<u8>> {
    let i = i.to_string().into_bytes();
    if i == b"2" {
        owned(&[b"", b"starts-empty", &i])
    } else {
        owned(&[b"request", &i, b"", b"tail"])
    }
}

/// What the server replies to `request`: a marker, then the request's frames echoed.
fn reply_to(request: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut reply = vec![b"reply-to".to_vec()];
    reply.extend(request.iter().cloned());
    reply
}

/// libzmq REQ sends `ROUNDS` requests; our REP answers each.
async fn libzmq_req_against_our_rep(binder: Binder, transport: Transport) {
    let ctx = context();
    let req = socket(&ctx, zmq::REQ);
    let mut rep = RepSocket::new();
    let _link = link(&rep, &req, binder, transport).await;

    let client = blocking("libzmq-req", move || {
        let mut replies = Vec::new();
        for i in 0..ROUNDS {
            let frames = request(i);
            let frames: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
            send(&req, &frames, "libzmq REQ request");
            replies.push(recv(&req, "libzmq REQ reply"));
        }
        (req, replies)
    });
    for i in 0..ROUNDS {
        let got = within(LIMIT, "our REP receives a request", rep.recv())
            .await
            .expect("our REP recv");
        assert_eq!(frames_of(&got), request(i), "request {i} as our REP saw it");
        within(
            LIMIT,
            "our REP replies",
            rep.send(message_of(&reply_to(&request(i)))),
        )
        .await
        .expect("our REP send");
    }
    let (_req, replies) = client.join().await;
    for (i, reply) in replies.iter().enumerate() {
        assert_eq!(
            reply,
            &reply_to(&request(i)),
            "reply {i} as libzmq REQ saw it"
        );
    }
}

/// Our REQ sends `ROUNDS` requests; libzmq REP answers each.
async fn our_req_against_libzmq_rep(binder: Binder, transport: Transport) {
    let ctx = context();
    let rep = socket(&ctx, zmq::REP);
    let mut req = ReqSocket::new();
    let _link = link(&req, &rep, binder, transport).await;

    let server = blocking("libzmq-rep", move || {
        let mut requests = Vec::new();
        for _ in 0..ROUNDS {
            let request = recv(&rep, "libzmq REP request");
            let reply = reply_to(&request);
            let reply: Vec<&[u8]> = reply.iter().map(Vec::as_slice).collect();
            send(&rep, &reply, "libzmq REP reply");
            requests.push(request);
        }
        (rep, requests)
    });
    for i in 0..ROUNDS {
        let reply = within(
            LIMIT,
            "our REQ gets a reply",
            req.request(message_of(&request(i))),
        )
        .await
        .expect("our REQ request");
        assert_eq!(frames_of(&reply), reply_to(&request(i)), "reply {i}");
    }
    let (_rep, requests) = server.join().await;
    for (i, got) in requests.iter().enumerate() {
        assert_eq!(got, &request(i), "request {i} as libzmq REP saw it");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_req_connected_gets_replies_from_our_rep_bound_over_tcp() {
    libzmq_req_against_our_rep(Binder::Ours, Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_req_bound_gets_replies_from_our_rep_connected_over_tcp() {
    libzmq_req_against_our_rep(Binder::Libzmq, Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_req_connected_gets_replies_from_libzmq_rep_bound_over_tcp() {
    our_req_against_libzmq_rep(Binder::Libzmq, Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_req_bound_gets_replies_from_libzmq_rep_connected_over_tcp() {
    our_req_against_libzmq_rep(Binder::Ours, Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_req_gets_replies_from_our_rep_bound_over_ipc() {
    libzmq_req_against_our_rep(Binder::Ours, Transport::Ipc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_req_gets_replies_from_libzmq_rep_bound_over_ipc() {
    our_req_against_libzmq_rep(Binder::Libzmq, Transport::Ipc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_mib_requests_and_replies_cross_between_our_req_and_libzmq_rep() {
    const BIG: usize = 3 << 20;
    let ctx = context();
    let rep = socket(&ctx, zmq::REP);
    let mut req = ReqSocket::new();
    let _link = link(&req, &rep, Binder::Libzmq, Transport::Tcp).await;

    let server = blocking("libzmq-rep", move || {
        let request = recv(&rep, "libzmq REP big request");
        let reply = [b"big-reply".as_slice(), &pattern(BIG, 2), b""];
        send(&rep, &reply, "libzmq REP big reply");
        (rep, request)
    });
    let request = [b"big-request".to_vec(), pattern(BIG, 1), Vec::new()];
    let reply = within(LIMIT, "3 MiB round trip", req.request(message_of(&request)))
        .await
        .expect("our REQ request");
    let (_rep, got) = server.join().await;
    assert!(got == request, "libzmq REP got a different 3 MiB request");
    let expected = [b"big-reply".to_vec(), pattern(BIG, 2), Vec::new()];
    assert!(
        frames_of(&reply) == expected,
        "our REQ got a different 3 MiB reply (frame sizes {:?})",
        reply.frames().iter().map(|f| f.len()).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_mib_requests_and_replies_cross_between_libzmq_req_and_our_rep() {
    const BIG: usize = 3 << 20;
    let ctx = context();
    let req = socket(&ctx, zmq::REQ);
    let mut rep = RepSocket::new();
    let _link = link(&rep, &req, Binder::Ours, Transport::Tcp).await;

    let client = blocking("libzmq-req", move || {
        let request = [b"big-request".as_slice(), &pattern(BIG, 3), b""];
        send(&req, &request, "libzmq REQ big request");
        let reply = recv(&req, "libzmq REQ big reply");
        (req, reply)
    });
    let got = within(LIMIT, "our REP receives 3 MiB", rep.recv())
        .await
        .expect("our REP recv");
    let expected = [b"big-request".to_vec(), pattern(BIG, 3), Vec::new()];
    assert!(
        frames_of(&got) == expected,
        "our REP got a different 3 MiB request (frame sizes {:?})",
        got.frames().iter().map(|f| f.len()).collect::<Vec<_>>()
    );
    let reply = [b"big-reply".to_vec(), pattern(BIG, 4)];
    within(LIMIT, "our REP replies", rep.send(message_of(&reply)))
        .await
        .expect("our REP send");
    let (_req, got) = client.join().await;
    assert!(got == reply, "libzmq REQ got a different 3 MiB reply");
}
