//! A request broker made of our sockets between libzmq peers: our ROUTER (frontend) and
//! DEALER (backend) in a `Proxy`, libzmq REQ clients on one side and libzmq REP workers on the
//! other, and a capture socket of ours (PUB or PUSH) feeding a libzmq SUB or PULL. Every
//! request must be answered correctly, spread over the workers, and the capture must see
//! every message both ways, envelopes included.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::*;
use zmtp_tokio::{
    DealerSocket, Kind, Proxy, ProxyControl, PubSocket, PushSocket, RouterSocket, Socket,
};

const CLIENTS: usize = 3;
const WORKERS: usize = 2;
/// Requests per client.
const REQUESTS: usize = 4;

/// Waits (at most [`LIMIT`]) until `connected` holds.
async fn wait_until(what: &str, mut connected: impl FnMut() -> bool) {
    within(LIMIT, what, async {
        while !connected() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

/// Client `c`'s `i`-th request: multipart, starting and ending with empty frames.
fn request(c: usize, i: usize) -> Vec<Vec<u8>> {
    owned(&[
        b"",
        format!("client-{c}").as_bytes(),
        i.to_string().as_bytes(),
        b"",
    ])
}

/// A libzmq REP worker on its own thread: echoes each request with `worker-{k}` appended,
/// until `stop`; returns how many it served.
fn worker(rep: zmq::Socket, k: usize, stop: Arc<AtomicBool>) -> Blocking<usize> {
    blocking(&format!("worker-{k}"), move || {
        let mut served = 0;
        while !stop.load(Ordering::SeqCst) {
            if rep.poll(zmq::POLLIN, 10).expect("poll") == 0 {
                continue;
            }
            let mut reply = recv(&rep, "worker request");
            reply.push(format!("worker-{k}").into_bytes());
            send(&rep, &refs(&reply), "worker reply");
            served += 1;
        }
        served
    })
}

/// A libzmq REQ client on its own thread: sends its requests one by one and checks that each
/// reply is its request echoed by some worker.
fn client(req: zmq::Socket, c: usize) -> Blocking<()> {
    blocking(&format!("client-{c}"), move || {
        for i in 0..REQUESTS {
            send(&req, &refs(&request(c, i)), "client request");
            let mut reply = recv(&req, "client reply");
            let by = reply.pop().expect("a reply");
            assert!(by.starts_with(b"worker-"), "{by:?}");
            assert_eq!(
                reply,
                request(c, i),
                "client {c} got another request's reply"
            );
        }
    })
}

/// Runs the broker with `capture` (linked to the libzmq `sink`, ready to deliver) over
/// `transport`, and checks replies, load spreading, statistics and the captured copies.
async fn broker<C: Kind>(mut capture: Socket<C>, sink: zmq::Socket, transport: Transport) {
    let ctx = context();
    let mut frontend = RouterSocket::new();
    let mut backend = DealerSocket::new();
    let reqs: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let req = socket(&ctx, zmq::REQ);
            req.set_identity(format!("client-{c}").as_bytes()).unwrap();
            req
        })
        .collect();
    let reps: Vec<_> = (0..WORKERS).map(|_| socket(&ctx, zmq::REP)).collect();
    let clients_link = link(&frontend, &reqs[0], Binder::Ours, transport).await;
    let workers_link = link(&backend, &reps[0], Binder::Ours, transport).await;
    for req in &reqs[1..] {
        req.connect(&clients_link.endpoint).unwrap();
    }
    for rep in &reps[1..] {
        rep.connect(&workers_link.endpoint).unwrap();
    }
    // Round robin spreads the load only over workers already there.
    wait_until("every worker connected", || {
        backend.connected_peers() == WORKERS
    })
    .await;
    wait_until("every client connected", || {
        frontend.connected_peers() == CLIENTS
    })
    .await;

    let control = ProxyControl::new();
    let steer = control.clone();
    let proxy = tokio::spawn(async move {
        Proxy::new(&mut frontend, &mut backend)
            .capture(&mut capture)
            .control(&steer)
            .run()
            .await
    });
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = reps
        .into_iter()
        .enumerate()
        .map(|(k, rep)| worker(rep, k, stop.clone()))
        .collect();
    let clients: Vec<_> = reqs
        .into_iter()
        .enumerate()
        .map(|(c, req)| client(req, c))
        .collect();
    for client in clients {
        client.join().await;
    }

    let total = CLIENTS * REQUESTS;
    let mut captured = Vec::new();
    for _ in 0..2 * total {
        captured.push(recv_async(&sink, "the capture sink").await);
    }
    control.terminate();
    let stats = within(LIMIT, "the proxy stops", proxy)
        .await
        .expect("proxy task")
        .expect("proxy run");
    stop.store(true, Ordering::SeqCst);
    let mut served = Vec::new();
    for worker in workers {
        served.push(worker.join().await);
    }

    assert_eq!(served.iter().sum::<usize>(), total, "served {served:?}");
    assert!(served.iter().all(|&n| n > 0), "one worker idle: {served:?}");
    assert_eq!(
        (stats.frontend_to_backend, stats.backend_to_frontend),
        (total as u64, total as u64),
        "{stats:?}"
    );
    // Requests as the ROUTER gave them (identity, REQ's delimiter, body); replies the same,
    // with the worker's tag at the end.
    let mut expected: Vec<_> = (0..CLIENTS)
        .flat_map(|c| (0..REQUESTS).map(move |i| (c, i)))
        .map(|(c, i)| {
            let envelope = owned(&[format!("client-{c}").as_bytes(), b""]);
            [envelope, request(c, i)].concat()
        })
        .collect();
    expected.sort();
    let (mut replies, mut requests): (Vec<_>, Vec<_>) = captured
        .into_iter()
        .partition(|m| m.last().is_some_and(|f| f.starts_with(b"worker-")));
    for reply in &mut replies {
        reply.pop();
    }
    requests.sort();
    replies.sort();
    assert_eq!(requests, expected, "captured requests");
    assert_eq!(
        replies, expected,
        "captured replies, without the worker's tag"
    );
    assert_eq!(
        try_recv(&sink),
        None,
        "the capture saw more than the traffic"
    );
}

/// Our capture PUB, linked to a libzmq SUB that subscribed to everything, once the
/// subscription has arrived (a PUB drops what nobody subscribed to yet).
async fn capture_by_pub(transport: Transport) {
    let ctx = context();
    let sink = socket(&ctx, zmq::SUB);
    sink.set_subscribe(b"").unwrap();
    let mut capture = PubSocket::new();
    let _link = link(&capture, &sink, Binder::Ours, transport).await;
    wait_until("the capture SUB subscribed", || {
        capture.publish("probe").expect("publish") == 1
    })
    .await;
    assert_eq!(recv_async(&sink, "probe").await, owned(&[b"probe"]));
    broker(capture, sink, transport).await;
}

async fn capture_by_push(transport: Transport) {
    let ctx = context();
    let sink = socket(&ctx, zmq::PULL);
    let capture = PushSocket::new();
    let _link = link(&capture, &sink, Binder::Ours, transport).await;
    broker(capture, sink, transport).await;
}

interop_tests!(
    our_router_dealer_proxy_serves_libzmq_clients_and_workers_with_a_pub_capture_over_tcp =>
        capture_by_pub(Transport::Tcp),
    our_router_dealer_proxy_serves_libzmq_clients_and_workers_with_a_push_capture_over_tcp =>
        capture_by_push(Transport::Tcp),
    our_router_dealer_proxy_serves_libzmq_clients_and_workers_with_a_pub_capture_over_ipc =>
        capture_by_pub(Transport::Ipc),
);
