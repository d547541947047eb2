//! DEALER and ROUTER (RFC 28): identities in front of received messages, routing by the first
//! frame, generated identities, the duplicate-identity policy (refuse, or hand over),
//! `router_mandatory`, and REQ/REP talking to DEALER/ROUTER with their envelopes.

use std::time::Duration;

use zmtp_tests::over_tcp_ipc_inproc;
use zmtp_tests::socket_harness::{texts, wait_for_event, wait_until, within, Transport};
use zmtp_tokio::{
    DealerSocket, DisconnectReason, Error, Message, MonitorEvent, Options, Refusal, RepSocket,
    ReqSocket, RouterSocket, TryRecvError,
};

const LIMIT: Duration = Duration::from_secs(5);

fn dealer_with_identity(identity: &str) -> DealerSocket {
    DealerSocket::with_options(Options::default().identity(identity.to_owned())).unwrap()
}

fn frames(parts: &[&[u8]]) -> Message {
    Message::from(
        parts
            .iter()
            .map(|p| bytes::Bytes::copy_from_slice(p))
            .collect::<Vec<_>>(),
    )
}

async fn router_prefixes_the_sender_identity_and_routes_replies_by_it(t: Transport) {
    let mut router = RouterSocket::new();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let mut a = dealer_with_identity("A");
    let mut b = dealer_with_identity("B");
    a.connect(&ep).unwrap();
    b.connect(&ep).unwrap();
    within(LIMIT, "A sends", a.send(frames(&[b"from-a", b""])))
        .await
        .unwrap();
    within(LIMIT, "B sends", b.send("from-b")).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let m = within(LIMIT, "router recv", router.recv()).await.unwrap();
        seen.push(texts(&m));
    }
    seen.sort();
    assert_eq!(seen, vec![vec!["A", "from-a", ""], vec!["B", "from-b"]]);

    within(
        LIMIT,
        "route to B",
        router.send(frames(&[b"B", b"for-b", b"2"])),
    )
    .await
    .unwrap();
    within(LIMIT, "route to A", router.send(frames(&[b"A", b"for-a"])))
        .await
        .unwrap();
    let got_b = within(LIMIT, "B recv", b.recv()).await.unwrap();
    assert_eq!(
        texts(&got_b),
        ["for-b", "2"],
        "the identity frame is taken off"
    );
    let got_a = within(LIMIT, "A recv", a.recv()).await.unwrap();
    assert_eq!(texts(&got_a), ["for-a"]);
    assert!(
        matches!(b.try_recv(), Err(TryRecvError::Empty)),
        "B got only its own"
    );
}

async fn peers_without_identity_get_distinct_generated_ones(t: Transport) {
    let mut router = RouterSocket::new();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let mut dealers = [DealerSocket::new(), DealerSocket::new()];
    let mut ids = Vec::new();
    for (i, d) in dealers.iter_mut().enumerate() {
        d.connect(&ep).unwrap();
        within(LIMIT, "dealer sends", d.send(format!("hello-{i}")))
            .await
            .unwrap();
        let m = within(LIMIT, "router recv", router.recv()).await.unwrap();
        let id = m.frames()[0].clone();
        assert_eq!(
            id.len(),
            5,
            "libzmq's generated identities are 5 bytes: {id:?}"
        );
        assert_eq!(id[0], 0, "and start with a zero byte");
        assert_eq!(texts(&m)[1], format!("hello-{i}"));
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1]);
    // Replies route back through the generated identities.
    for (i, id) in ids.iter().enumerate() {
        let reply = Message::from(vec![id.clone(), bytes::Bytes::from(format!("reply-{i}"))]);
        within(LIMIT, "router send", router.send(reply))
            .await
            .unwrap();
    }
    for (i, d) in dealers.iter_mut().enumerate() {
        let m = within(LIMIT, "dealer recv", d.recv()).await.unwrap();
        assert_eq!(texts(&m), [format!("reply-{i}")]);
    }
}

async fn a_second_peer_with_a_taken_identity_is_refused(t: Transport) {
    let mut router = RouterSocket::new();
    let mut monitor = router.monitor();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let mut first = dealer_with_identity("same");
    first.connect(&ep).unwrap();
    within(LIMIT, "first sends", first.send("one"))
        .await
        .unwrap();
    within(LIMIT, "router recv", router.recv()).await.unwrap();

    let second = dealer_with_identity("same");
    second.connect(&ep).unwrap();
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
    // The first peer keeps its identity and its messages.
    within(
        LIMIT,
        "reply",
        router.send(frames(&[b"same", b"still-you"])),
    )
    .await
    .unwrap();
    let m = within(LIMIT, "first recv", first.recv()).await.unwrap();
    assert_eq!(texts(&m), ["still-you"]);
}

async fn with_handover_the_newer_peer_takes_the_identity(t: Transport) {
    let mut router = RouterSocket::with_options(Options::default().router_handover(true)).unwrap();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let mut old = dealer_with_identity("worker");
    old.connect(&ep).unwrap();
    within(LIMIT, "old sends", old.send("old")).await.unwrap();
    within(LIMIT, "router recv", router.recv()).await.unwrap();

    let mut new = dealer_with_identity("worker");
    new.connect(&ep).unwrap();
    within(LIMIT, "new sends", new.send("new")).await.unwrap();
    let m = within(LIMIT, "router recv", router.recv()).await.unwrap();
    assert_eq!(texts(&m), ["worker", "new"]);
    within(LIMIT, "route", router.send(frames(&[b"worker", b"to-new"])))
        .await
        .unwrap();
    let got = within(LIMIT, "new recv", new.recv()).await.unwrap();
    assert_eq!(texts(&got), ["to-new"]);
    assert!(matches!(old.try_recv(), Err(TryRecvError::Empty)));
}

#[tokio::test]
async fn unroutable_messages_are_dropped_or_fail_with_router_mandatory() {
    let mut lenient = RouterSocket::new();
    lenient.bind("tcp://127.0.0.1:0").await.unwrap();
    within(LIMIT, "send", lenient.send(frames(&[b"nobody", b"x"])))
        .await
        .expect("dropped silently without router_mandatory");

    let mut strict = RouterSocket::with_options(Options::default().router_mandatory(true)).unwrap();
    strict.bind("tcp://127.0.0.1:0").await.unwrap();
    let r = within(LIMIT, "send", strict.send(frames(&[b"nobody", b"x"]))).await;
    assert!(
        matches!(&r, Err(Error::HostUnreachable(id)) if id == "nobody"),
        "{r:?}"
    );
    let r = strict.try_send(frames(&[b"nobody", b"x"]));
    let refused = r.expect_err("unroutable with router_mandatory");
    assert!(
        matches!(refused.error, Error::HostUnreachable(_)),
        "{refused:?}"
    );
    assert_eq!(
        refused.message,
        frames(&[b"nobody", b"x"]),
        "the message is handed back whole"
    );
}

#[tokio::test]
async fn a_router_message_needs_an_identity_and_a_body() {
    let mut router = RouterSocket::new();
    let r = within(LIMIT, "send", router.send("only-an-identity")).await;
    assert!(matches!(r, Err(Error::InvalidState(_))), "{r:?}");
}

async fn req_clients_through_a_router_get_their_own_replies(t: Transport) {
    let mut router = RouterSocket::new();
    let ep = router.bind(t.bind_endpoint()).await.unwrap();
    let server = tokio::spawn(async move {
        for _ in 0..4 {
            // [identity, "", body]: echo it back with the envelope.
            let mut m = router.recv().await.unwrap();
            assert_eq!(m.len(), 3, "REQ puts an empty delimiter: {:?}", texts(&m));
            assert!(m.frames()[1].is_empty());
            let body = m.frames()[2].clone();
            m.push(bytes::Bytes::from(format!(
                "{}!",
                String::from_utf8_lossy(&body)
            )));
            router.send(m).await.unwrap();
        }
    });
    let mut clients = [ReqSocket::new(), ReqSocket::new()];
    for c in &mut clients {
        c.connect(&ep).unwrap();
    }
    for round in 0..2 {
        for (i, c) in clients.iter_mut().enumerate() {
            let q = format!("q{i}-{round}");
            let reply = within(LIMIT, "request", c.request(q.clone()))
                .await
                .unwrap();
            assert_eq!(texts(&reply), [q.clone(), format!("{q}!")]);
        }
    }
    within(LIMIT, "server", server).await.unwrap();
}

async fn a_dealer_round_robins_to_rep_workers_with_its_own_delimiter(t: Transport) {
    let mut dealer = DealerSocket::new();
    let ep = dealer.bind(t.bind_endpoint()).await.unwrap();
    let mut workers = Vec::new();
    for w in 0..2 {
        let mut rep = RepSocket::new();
        rep.connect(&ep).unwrap();
        workers.push(tokio::spawn(async move {
            let mut served = 0;
            while let Ok(Ok(request)) =
                tokio::time::timeout(Duration::from_millis(1500), rep.recv()).await
            {
                let mut reply = request;
                reply.push(bytes::Bytes::from(format!("worker-{w}")));
                rep.send(reply).await.unwrap();
                served += 1;
            }
            served
        }));
    }
    wait_until(LIMIT, "both workers connected", || {
        dealer.connected_peers() == 2
    })
    .await;
    for i in 0..6 {
        let request = frames(&[b"", format!("job-{i}").as_bytes()]);
        within(LIMIT, "dealer send", dealer.send(request))
            .await
            .unwrap();
    }
    let mut by_worker = [0, 0];
    for _ in 0..6 {
        let reply = within(LIMIT, "dealer recv", dealer.recv()).await.unwrap();
        let t = texts(&reply);
        assert_eq!(t[0], "", "REP keeps the envelope: {t:?}");
        by_worker[usize::from(t[2] == "worker-1")] += 1;
    }
    assert_eq!(by_worker, [3, 3], "round robin over both workers");
    for w in workers {
        assert_eq!(within(LIMIT, "worker", w).await.unwrap(), 3);
    }
}

over_tcp_ipc_inproc!(
    router_prefixes_the_sender_identity_and_routes_replies_by_it,
    peers_without_identity_get_distinct_generated_ones,
    a_second_peer_with_a_taken_identity_is_refused,
    with_handover_the_newer_peer_takes_the_identity,
    req_clients_through_a_router_get_their_own_replies,
    a_dealer_round_robins_to_rep_workers_with_its_own_delimiter,
);

/// WIRE-NOTES 27: a DEALER with no peer (or none with room) waits rather than dropping; after
/// `connect` it queues for the peer-to-be, and the message arrives once the peer binds.
#[tokio::test]
async fn a_dealer_without_peers_waits_and_a_connected_one_queues() {
    let mut lonely = DealerSocket::new();
    assert!(matches!(lonely.try_send("x"), Err(e) if matches!(e.error, Error::WouldBlock)));
    let pending = tokio::time::timeout(Duration::from_millis(100), lonely.send("x")).await;
    assert!(pending.is_err(), "send waits while there is no peer");

    let ep = zmtp_tests::socket_harness::Transport::Tcp.free_endpoint();
    let mut early = DealerSocket::new();
    early.connect(ep.as_str()).unwrap();
    within(LIMIT, "queued before the peer exists", early.send("queued"))
        .await
        .unwrap();
    let mut router = RouterSocket::new();
    router.bind(ep.as_str()).await.unwrap();
    let m = within(LIMIT, "router recv", router.recv()).await.unwrap();
    assert_eq!(texts(&m)[1], "queued");
}

/// A ROUTER learns from its monitor who came and who left, by routing id and address (what
/// libzmq users ask for, libzmq #3201): the routing id in `HandshakeSucceeded`'s peer is the one
/// the peer's messages carry, generated or announced, and `Disconnected` names the peer that
/// left. On the paused clock over `mem://`.
#[tokio::test(start_paused = true)]
async fn a_router_learns_which_routing_id_left() {
    let mut router = RouterSocket::new();
    let mut monitor = router.monitor();
    let ep = router
        .bind(zmtp_tests::socket_harness::unique_memory_endpoint())
        .await
        .unwrap();
    let mut named = dealer_with_identity("named");
    named.connect(&ep).unwrap();
    let mut anonymous = DealerSocket::new();
    anonymous.connect(&ep).unwrap();
    let mut arrived = std::collections::HashMap::new();
    while arrived.len() < 2 {
        let (event, _) = wait_for_event(&mut monitor, LIMIT, |e| {
            matches!(e, MonitorEvent::HandshakeSucceeded { .. })
        })
        .await;
        let MonitorEvent::HandshakeSucceeded { peer_info, .. } = event else {
            unreachable!()
        };
        let id = peer_info
            .routing_id
            .clone()
            .expect("a ROUTER's peer has a routing id");
        arrived.insert(id, peer_info.address.clone());
    }
    assert!(arrived.contains_key(&b"named"[..]), "{arrived:?}");

    anonymous.send("who am I").await.unwrap();
    let (generated, _) = within(LIMIT, "recv", router.recv_from()).await.unwrap();
    assert_ne!(generated, b"named"[..]);
    assert!(
        arrived.contains_key(&generated),
        "the id announced on arrival"
    );

    drop(anonymous);
    let (event, _) = wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::Disconnected { .. })
    })
    .await;
    let MonitorEvent::Disconnected { peer_info, .. } = event else {
        unreachable!()
    };
    assert_eq!(peer_info.routing_id.as_ref(), Some(&generated));
    assert_eq!(Some(&peer_info.address), arrived.get(&generated));
    named.send("still here").await.unwrap();
    let (from, _) = within(LIMIT, "recv", router.recv_from()).await.unwrap();
    assert_eq!(from, b"named"[..]);
}
