//! Against real libzmq (the `zmq` crate, system libzmq through pkg-config) in both
//! directions: blocking PUSH to libzmq PULL, libzmq REQ to blocking REP, blocking REQ to
//! libzmq REP.

mod common;

use common::{frames, text, LIMIT};
use zmtp_blocking::{PullSocket, PushSocket, RepSocket, ReqSocket};

fn libzmq(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_rcvtimeo(5_000).unwrap();
    s.set_sndtimeo(5_000).unwrap();
    s.set_linger(500).unwrap();
    s
}

fn bind_libzmq(s: &zmq::Socket) -> String {
    s.bind("tcp://127.0.0.1:*").unwrap();
    s.get_last_endpoint().unwrap().unwrap()
}

#[test]
fn blocking_push_to_libzmq_pull() {
    let ctx = zmq::Context::new();
    let pull = libzmq(&ctx, zmq::PULL);
    let endpoint = bind_libzmq(&pull);
    let mut push = PushSocket::new().unwrap();
    push.connect(&endpoint).unwrap();
    for i in 0..100 {
        push.send(common::message(&["n", &i.to_string()])).unwrap();
    }
    for i in 0..100 {
        let got = pull.recv_multipart(0).expect("libzmq recv");
        assert_eq!(got, [b"n".to_vec(), i.to_string().into_bytes()]);
    }
}

#[test]
fn libzmq_push_to_blocking_pull() {
    let ctx = zmq::Context::new();
    let mut pull = PullSocket::new().unwrap();
    let endpoint = pull.bind("tcp://127.0.0.1:0").unwrap();
    let push = libzmq(&ctx, zmq::PUSH);
    push.connect(&endpoint.to_string()).unwrap();
    for i in 0..100 {
        push.send(i.to_string().as_bytes(), 0).unwrap();
    }
    pull.set_recv_timeout(Some(LIMIT));
    for i in 0..100 {
        assert_eq!(text(&pull.recv().unwrap()), i.to_string());
    }
}

#[test]
fn libzmq_req_to_blocking_rep() {
    let ctx = zmq::Context::new();
    let mut rep = RepSocket::new().unwrap();
    let endpoint = rep.bind("tcp://127.0.0.1:0").unwrap();
    rep.set_recv_timeout(Some(LIMIT));
    let req = libzmq(&ctx, zmq::REQ);
    req.connect(&endpoint.to_string()).unwrap();
    for i in 0..10 {
        req.send(format!("q{i}").as_bytes(), 0).unwrap();
        assert_eq!(frames(&rep.recv().unwrap()), [format!("q{i}")]);
        rep.send(format!("a{i}")).unwrap();
        assert_eq!(req.recv_bytes(0).unwrap(), format!("a{i}").into_bytes());
    }
}

#[test]
fn blocking_req_to_libzmq_rep() {
    let ctx = zmq::Context::new();
    let rep = libzmq(&ctx, zmq::REP);
    let endpoint = bind_libzmq(&rep);
    let mut req = ReqSocket::new().unwrap();
    req.set_recv_timeout(Some(LIMIT));
    req.connect(&endpoint).unwrap();
    for i in 0..10 {
        req.send(format!("q{i}")).unwrap();
        assert_eq!(rep.recv_bytes(0).unwrap(), format!("q{i}").into_bytes());
        rep.send(format!("a{i}").as_bytes(), 0).unwrap();
        assert_eq!(text(&req.recv().unwrap()), format!("a{i}"));
    }
}
