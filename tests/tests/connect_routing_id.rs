//! ZMQ_CONNECT_ROUTING_ID (`RouterSocket::connect_with_routing_id`): a connecting ROUTER names
//! the peer of that endpoint itself, so it can send to it at once, before the connection is
//! up and whatever id the peer announces; the id stays across reconnections. An empty id, or
//! one a peer already has, is refused (libzmq: EINVAL, an assertion), and so is a later peer
//! announcing it.

use std::time::Duration;

use zmtp_tests::socket_harness::{texts, wait_for_event, within, Transport};
use zmtp_tests::{on_virtual_time, over_every_transport};
use zmtp_tokio::{
    DealerSocket, DisconnectReason, Error, MonitorEvent, Options, Refusal, RouterSocket,
};

const LIMIT: Duration = Duration::from_secs(5);

over_every_transport!(a_connecting_router_sends_by_the_id_it_assigned_before_the_peer_is_up);
on_virtual_time!(
    the_assigned_id_stays_across_reconnections,
    an_empty_or_taken_id_is_refused,
    a_peer_announcing_an_assigned_id_is_refused_even_with_handover,
    with_immediate_an_assigned_id_is_unreachable_until_its_connection_is_up,
);

fn router_named(identity: &str) -> RouterSocket {
    RouterSocket::with_options(Options::default().identity(identity.to_owned())).unwrap()
}

async fn a_connecting_router_sends_by_the_id_it_assigned_before_the_peer_is_up(t: Transport) {
    // The bound ROUTER announces "server": the assigned id wins over it.
    let mut server = router_named("server");
    let ep = server.bind(t.bind_endpoint()).await.unwrap();
    let mut client = router_named("client");
    client.connect_with_routing_id(&ep, "assigned").unwrap();
    client.send_to("assigned", "hello").await.unwrap();
    let (from, got) = within(LIMIT, "server recv", server.recv_from())
        .await
        .unwrap();
    assert_eq!(
        (from.as_ref(), texts(&got)),
        (&b"client"[..], vec!["hello".into()])
    );
    server.send_to("client", "back").await.unwrap();
    let (from, got) = within(LIMIT, "client recv", client.recv_from())
        .await
        .unwrap();
    assert_eq!(from, b"assigned"[..]);
    assert_eq!(texts(&got), ["back"]);
}

async fn the_assigned_id_stays_across_reconnections(t: Transport) {
    let ep = t.bind_endpoint();
    let mut client = router_named("client");
    let mut monitor = client.monitor();
    client
        .connect_with_routing_id(ep.as_str(), "assigned")
        .unwrap();
    for round in 0..2 {
        let mut server = RouterSocket::new();
        server.bind(ep.as_str()).await.unwrap();
        let message = format!("round {round}");
        client.send_to("assigned", message.clone()).await.unwrap();
        let (_, got) = within(LIMIT, "server recv", server.recv_from())
            .await
            .unwrap();
        assert_eq!(texts(&got), [message]);
        server.close().await;
        wait_for_event(&mut monitor, LIMIT, |e| {
            matches!(e, MonitorEvent::Disconnected { .. })
        })
        .await;
    }
}

async fn an_empty_or_taken_id_is_refused(t: Transport) {
    let mut server = RouterSocket::new();
    let ep = server.bind(t.bind_endpoint()).await.unwrap();
    let mut dealer = DealerSocket::with_options(Options::default().identity("dealer")).unwrap();
    dealer.connect(&ep).unwrap();
    dealer.send("here").await.unwrap();
    within(LIMIT, "dealer arrives", server.recv())
        .await
        .unwrap();

    let other = t.bind_endpoint();
    let refused = |result: zmtp_tokio::Result<()>| {
        assert!(
            matches!(result, Err(Error::InvalidRoutingId { .. })),
            "{result:?}"
        );
    };
    refused(server.connect_with_routing_id(other.as_str(), ""));
    // Announced by a connected peer.
    refused(server.connect_with_routing_id(other.as_str(), "dealer"));
    server
        .connect_with_routing_id(other.as_str(), "first")
        .unwrap();
    // Assigned by an earlier connect.
    refused(server.connect_with_routing_id(t.bind_endpoint().as_str(), "first"));
    // The refused calls connected nothing: a message for "dealer" still reaches the dealer.
    server.send_to("dealer", "still you").await.unwrap();
    let got = within(LIMIT, "dealer recv", dealer.recv()).await.unwrap();
    assert_eq!(texts(&got), ["still you"]);
}

async fn a_peer_announcing_an_assigned_id_is_refused_even_with_handover(t: Transport) {
    let options = Options::default().router_handover(true);
    let router = RouterSocket::with_options(options).unwrap();
    let mut monitor = router.monitor();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    router
        .connect_with_routing_id(t.bind_endpoint().as_str(), "taken")
        .unwrap();
    let dealer = DealerSocket::with_options(Options::default().identity("taken")).unwrap();
    dealer.connect(&ep).unwrap();
    let (event, _) = wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::HandshakeFailed { .. })
    })
    .await;
    assert!(
        matches!(
            event,
            MonitorEvent::HandshakeFailed {
                reason: DisconnectReason::Refused(Refusal::DuplicateIdentity),
                ..
            }
        ),
        "{event:?}"
    );
}

/// With `immediate` (ZMQ_IMMEDIATE) nothing queues for a connection not yet made, so an
/// assigned id is unreachable until then (libzmq creates the pipe on connection), and
/// reachable from then on.
async fn with_immediate_an_assigned_id_is_unreachable_until_its_connection_is_up(t: Transport) {
    let options = Options::default().immediate(true).router_mandatory(true);
    let mut client = RouterSocket::with_options(options).unwrap();
    let mut monitor = client.monitor();
    let ep = t.bind_endpoint();
    client
        .connect_with_routing_id(ep.as_str(), "assigned")
        .unwrap();
    let early = client.send_to("assigned", "too early").await;
    assert!(
        matches!(&early, Err(Error::HostUnreachable(id)) if id == "assigned"),
        "{early:?}"
    );
    let mut server = RouterSocket::new();
    server.bind(ep.as_str()).await.unwrap();
    wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::HandshakeSucceeded { .. })
    })
    .await;
    client.send_to("assigned", "now").await.unwrap();
    let (_, got) = within(LIMIT, "server recv", server.recv_from())
        .await
        .unwrap();
    assert_eq!(texts(&got), ["now"]);
}
