//! ZMQ_PROBE_ROUTER, ZMQ_ROUTER_NOTIFY and ZMQ_CONNECT_ROUTING_ID against real libzmq: a
//! probing libzmq DEALER to our ROUTER and our probing DEALER to a libzmq ROUTER; our
//! notifying ROUTER hearing a libzmq DEALER arrive, talk and leave; our ROUTER assigning the
//! routing id of the libzmq ROUTER it connects to, and a pyzmq ROUTER assigning ours (the
//! `zmq` crate has no setter for ZMQ_CONNECT_ROUTING_ID; tests/python/connect_routing_id.py,
//! which `scripts/test` makes runnable by installing pyzmq, and without which this test
//! fails).
//!
//! Not here: a libzmq ROUTER with ZMQ_ROUTER_NOTIFY. The option is in libzmq's draft API, and
//! neither the system libzmq nor pyzmq's is built with it (both refuse it with EINVAL).

mod support;

use std::time::Duration;

use support::*;
use zmtp_tokio::{DealerSocket, Options, RouterNotify, RouterSocket};

/// A libzmq DEALER announcing `identity`, not reconnecting by itself.
fn libzmq_dealer(identity: &str, probe: bool) -> zmq::Socket {
    let dealer = socket(&context(), zmq::DEALER);
    dealer.set_identity(identity.as_bytes()).unwrap();
    dealer.set_probe_router(probe).unwrap();
    dealer.set_reconnect_ivl(-1).unwrap();
    dealer
}

/// Our ROUTER, not reconnecting within a test (when it is the side that connects).
fn our_router(options: Options) -> RouterSocket {
    RouterSocket::with_options(options.reconnect(Duration::from_secs(60), None)).unwrap()
}

async fn our_recv(router: &mut RouterSocket, what: &str) -> Vec<Vec<u8>> {
    frames_of(&within(LIMIT, what, router.recv()).await.expect(what))
}

/// A libzmq DEALER with ZMQ_PROBE_ROUTER: our ROUTER receives its probe, `[id, empty]`, before
/// it sends anything, and can reply to it at once.
async fn libzmq_dealer_probes_our_router(binder: Binder, transport: Transport) {
    let mut router = our_router(Options::default());
    let dealer = libzmq_dealer("probing", true);
    let _link = link(&router, &dealer, binder, transport).await;
    // A bound libzmq socket attaches an accepted connection's pipe, and so writes the probe,
    // only when its application calls into it: ask it for its events meanwhile.
    let probe = within(LIMIT, "the probe", async {
        loop {
            dealer.get_events().unwrap();
            if let Ok(message) = router.try_recv() {
                return frames_of(&message);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
    assert_eq!(probe, owned(&[b"probing", b""]));
    within(LIMIT, "reply", router.send_to("probing", "welcome"))
        .await
        .unwrap();
    assert_eq!(
        recv_async(&dealer, "libzmq DEALER gets the reply").await,
        owned(&[b"welcome"])
    );
}

/// Our DEALER with `probe_router`: the libzmq ROUTER receives `[id, empty]` first.
async fn our_dealer_probes_a_libzmq_router(binder: Binder, transport: Transport) {
    let options = Options::default()
        .identity("ours")
        .probe_router(true)
        .reconnect(Duration::from_secs(60), None);
    let mut dealer = DealerSocket::with_options(options).unwrap();
    let router = socket(&context(), zmq::ROUTER);
    let _link = link(&dealer, &router, binder, transport).await;
    assert_eq!(
        recv_async(&router, "libzmq ROUTER gets the probe").await,
        owned(&[b"ours", b""])
    );
    send_async(&router, &[b"ours", b"welcome"], "libzmq ROUTER replies").await;
    let got = within(LIMIT, "our DEALER", dealer.recv()).await.unwrap();
    assert_eq!(frames_of(&got), owned(&[b"welcome"]));
}

/// Our ROUTER with `router_notify`: a libzmq DEALER's arrival, its message, and its departure
/// (the DEALER closed), in that order.
async fn our_notifying_router_hears_a_libzmq_dealer_come_and_go(
    binder: Binder,
    transport: Transport,
) {
    let mut router = our_router(Options::default().router_notify(RouterNotify::ALL));
    let dealer = libzmq_dealer("leaving", false);
    let link = link(&router, &dealer, binder, transport).await;
    send_async(&dealer, &[b"last words"], "libzmq DEALER sends").await;
    assert_eq!(
        our_recv(&mut router, "connect").await,
        owned(&[b"leaving", b""])
    );
    assert_eq!(
        our_recv(&mut router, "message").await,
        owned(&[b"leaving", b"last words"])
    );
    drop(dealer);
    assert_eq!(
        our_recv(&mut router, "disconnect").await,
        owned(&[b"leaving", b""])
    );
    drop(link);
}

every_link!(
    a_probing_libzmq_dealer_to_our_router => libzmq_dealer_probes_our_router,
    our_probing_dealer_to_a_libzmq_router => our_dealer_probes_a_libzmq_router,
    our_notifying_router_and_a_libzmq_dealer => our_notifying_router_hears_a_libzmq_dealer_come_and_go,
);

/// Our ROUTER connects to a libzmq ROUTER under an id it chose, and sends to it at once, before
/// the connection is up (without the option a ROUTER must wait to learn the peer's id).
async fn our_router_assigns_the_libzmq_routers_id(transport: Transport) {
    let mut ours = our_router(Options::default().identity("ours"));
    let theirs = socket(&context(), zmq::ROUTER);
    theirs.set_identity(b"announced").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let endpoint = match transport {
        Transport::Tcp => "tcp://127.0.0.1:*".to_owned(),
        Transport::Ipc => ipc_endpoint(dir.path(), "assigned.sock"),
    };
    theirs.bind(&endpoint).unwrap();
    ours.connect_with_routing_id(last_endpoint(&theirs).as_str(), "assigned")
        .unwrap();
    within(LIMIT, "send at once", ours.send_to("assigned", "hello"))
        .await
        .unwrap();
    assert_eq!(
        recv_async(&theirs, "libzmq ROUTER receives").await,
        owned(&[b"ours", b"hello"])
    );
    send_async(&theirs, &[b"ours", b"back"], "libzmq ROUTER replies").await;
    assert_eq!(
        our_recv(&mut ours, "reply").await,
        owned(&[b"assigned", b"back"])
    );
}

/// A pyzmq ROUTER connects to ours with ZMQ_CONNECT_ROUTING_ID and sends under that id at
/// once; our reply comes back to it under the id it assigned.
async fn a_pyzmq_router_assigns_our_id() {
    let mut ours = our_router(Options::default().identity("ours"));
    let endpoint = ours.bind("tcp://127.0.0.1:0").await.unwrap().to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/connect_routing_id.py");
    let mut python = zmtp_tests::python_peer::PythonPeer::start(script, &[&endpoint]);
    assert_eq!(
        our_recv(&mut ours, "the pyzmq ROUTER's message").await,
        owned(&[b"py", b"hello"])
    );
    within(LIMIT, "reply", ours.send_to("py", "back"))
        .await
        .unwrap();
    let line = tokio::task::spawn_blocking(move || python.line());
    let line = within(LIMIT, "the pyzmq ROUTER's reply line", line)
        .await
        .unwrap();
    assert_eq!(line, "assigned-to-ours back");
}

interop_tests!(
    our_router_assigns_a_libzmq_routers_id_over_tcp =>
        our_router_assigns_the_libzmq_routers_id(Transport::Tcp),
    our_router_assigns_a_libzmq_routers_id_over_ipc =>
        our_router_assigns_the_libzmq_routers_id(Transport::Ipc),
    a_pyzmq_router_with_connect_routing_id_to_our_router => a_pyzmq_router_assigns_our_id(),
);
