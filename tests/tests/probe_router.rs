//! ZMQ_PROBE_ROUTER (`Options::probe_router`): a ROUTER, DEALER or REQ sends each new peer an
//! empty message (one empty frame) right after the handshake, ahead of anything queued, so
//! that a ROUTER peer learns its routing id without waiting for a real message. On every
//! connection, reconnections included. Other kinds ignore the option.

use std::time::Duration;

use zmtp_tests::socket_harness::{texts, wait_for_event, within, Transport};
use zmtp_tests::{on_virtual_time, over_every_transport};
use zmtp_tokio::{
    DealerSocket, MonitorEvent, Options, PullSocket, PushSocket, ReqSocket, RouterSocket,
    TryRecvError,
};

const LIMIT: Duration = Duration::from_secs(5);

over_every_transport!(a_probing_dealer_sends_an_empty_message_before_what_it_queued);
on_virtual_time!(
    a_probing_router_tells_the_router_it_connects_to_its_id_at_once,
    a_bound_probing_router_probes_each_peer_it_accepts,
    a_probing_req_sends_one_empty_frame_without_an_envelope,
    a_probing_dealer_probes_again_after_reconnecting,
    kinds_without_the_option_ignore_it,
);

fn probing() -> Options {
    Options::default().probe_router(true)
}

async fn recv_texts(router: &mut RouterSocket, what: &str) -> Vec<String> {
    texts(&within(LIMIT, what, router.recv()).await.unwrap())
}

async fn a_probing_dealer_sends_an_empty_message_before_what_it_queued(t: Transport) {
    let mut router = RouterSocket::new();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let mut dealer = DealerSocket::with_options(probing().identity("D")).unwrap();
    dealer.connect(&ep).unwrap();
    // Queued before the connection is up: still behind the probe.
    dealer.send("queued").await.unwrap();
    assert_eq!(recv_texts(&mut router, "probe").await, ["D", ""]);
    assert_eq!(recv_texts(&mut router, "queued").await, ["D", "queued"]);
}

async fn a_probing_router_tells_the_router_it_connects_to_its_id_at_once(t: Transport) {
    let mut bound = RouterSocket::new();
    let ep = bound.bind(t.bind_endpoint()).await.unwrap();
    let connecting = RouterSocket::with_options(probing().identity("R")).unwrap();
    connecting.connect(&ep).unwrap();
    // The connecting ROUTER sends nothing itself, yet the bound one can now address it.
    assert_eq!(recv_texts(&mut bound, "probe").await, ["R", ""]);
}

async fn a_bound_probing_router_probes_each_peer_it_accepts(t: Transport) {
    let router = RouterSocket::with_options(probing()).unwrap();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    for _ in 0..2 {
        let mut dealer = DealerSocket::new();
        dealer.connect(&ep).unwrap();
        let probe = within(LIMIT, "probe", dealer.recv()).await.unwrap();
        assert_eq!(texts(&probe), [""]);
    }
}

async fn a_probing_req_sends_one_empty_frame_without_an_envelope(t: Transport) {
    let mut router = RouterSocket::new();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let mut req = ReqSocket::with_options(probing().identity("Q")).unwrap();
    req.connect(&ep).unwrap();
    req.send("request").await.unwrap();
    // libzmq's REQ writes the probe into its pipe as DEALER does: no empty delimiter.
    assert_eq!(recv_texts(&mut router, "probe").await, ["Q", ""]);
    assert_eq!(
        recv_texts(&mut router, "request").await,
        ["Q", "", "request"]
    );
}

async fn a_probing_dealer_probes_again_after_reconnecting(t: Transport) {
    let ep = t.bind_endpoint();
    let dealer = DealerSocket::with_options(probing().identity("again")).unwrap();
    let mut monitor = dealer.monitor();
    dealer.connect(ep.as_str()).unwrap();
    for round in 0..2 {
        let mut router = RouterSocket::new();
        router.bind(ep.as_str()).await.unwrap();
        assert_eq!(
            recv_texts(&mut router, "probe").await,
            ["again", ""],
            "round {round}"
        );
        router.close().await;
        wait_for_event(&mut monitor, LIMIT, |e| {
            matches!(e, MonitorEvent::Disconnected { .. })
        })
        .await;
    }
}

async fn kinds_without_the_option_ignore_it(t: Transport) {
    let mut pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::with_options(probing()).unwrap();
    push.connect(&ep).unwrap();
    push.send("only").await.unwrap();
    let got = within(LIMIT, "pull", pull.recv()).await.unwrap();
    assert_eq!(texts(&got), ["only"]);
    assert!(matches!(pull.try_recv(), Err(TryRecvError::Empty)));
}
