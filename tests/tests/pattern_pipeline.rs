//! PUSH/PULL behaviour between our own sockets (RFC 30): round robin over peers that can take
//! a message, fair queuing, and the send high-water mark, over TCP and IPC.

use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use zmtp_tests::raw_peer::RawListener;
use zmtp_tests::socket_harness::{text, wait_until, within, Transport};
use zmtp_tests::{over_byte_streams, over_every_transport};
use zmtp_tokio::{Error, Message, Options, PullSocket, PushSocket, TryRecvError};

const LIMIT: Duration = Duration::from_secs(5);

/// Receives exactly `n` messages, as text.
async fn recv_n(pull: &mut PullSocket, n: usize, what: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let m = within(LIMIT, &format!("{what}: message {i} of {n}"), pull.recv())
            .await
            .unwrap();
        out.push(text(&m));
    }
    out
}

over_every_transport!(
    push_round_robins_evenly_over_three_connected_pulls,
    push_skips_a_peer_whose_queue_is_full,
    pull_fair_queues_between_two_pushes,
    push_queues_exactly_send_hwm_messages_for_an_absent_peer_then_waits,
    backpressure_with_tiny_hwms_loses_nothing_and_keeps_order,
    push_and_pull_work_as_sink_and_stream,
    multipart_messages_keep_their_frames_including_empty_ones,
    a_bound_push_without_peers_waits_until_one_connects,
    fifty_pushes_into_one_pull_lose_nothing,
    a_ten_mib_message_arrives_intact,
    one_pull_binds_and_connects_at_once_and_receives_from_both_sides,
);

// With raw peers speaking ZMTP byte by byte: not for inproc, which has no bytes.
over_byte_streams!(push_skips_a_connected_peer_that_stopped_reading,);

/// One PULL both binds (a PUSH connects to it) and connects (to a bound PUSH): it fair-queues
/// messages from both, and unbinding one endpoint leaves the other working.
async fn one_pull_binds_and_connects_at_once_and_receives_from_both_sides(t: Transport) {
    let mut pull = PullSocket::new();
    let bound = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut connecting_push = PushSocket::new();
    connecting_push.connect(&bound).unwrap();
    let mut bound_push = PushSocket::new();
    let push_ep = bound_push.bind(t.bind_endpoint()).await.unwrap();
    pull.connect(&push_ep).unwrap();

    within(LIMIT, "send", connecting_push.send("via bind"))
        .await
        .unwrap();
    within(LIMIT, "send", bound_push.send("via connect"))
        .await
        .unwrap();
    let mut got = vec![
        text(&within(LIMIT, "recv", pull.recv()).await.unwrap()),
        text(&within(LIMIT, "recv", pull.recv()).await.unwrap()),
    ];
    got.sort();
    assert_eq!(got, ["via bind", "via connect"]);

    pull.unbind(&bound).unwrap();
    within(LIMIT, "send", bound_push.send("still here"))
        .await
        .unwrap();
    assert_eq!(
        text(&within(LIMIT, "recv", pull.recv()).await.unwrap()),
        "still here"
    );
}

/// A bound PUSH with three PULLs connected: 300 messages go 100 to each, in strict rotation.
async fn push_round_robins_evenly_over_three_connected_pulls(t: Transport) {
    let mut push = PushSocket::new();
    let ep = push.bind(t.bind_endpoint()).await.unwrap();
    let mut pulls: Vec<PullSocket> = (0..3).map(|_| PullSocket::new()).collect();
    for p in &pulls {
        p.connect(&ep).unwrap();
    }
    wait_until(LIMIT, "PUSH sees 3 peers", || push.connected_peers() == 3).await;

    for i in 0..300 {
        within(LIMIT, "send", push.send(format!("{i}")))
            .await
            .unwrap();
    }
    for (k, pull) in pulls.iter_mut().enumerate() {
        let got: Vec<u32> = recv_n(pull, 100, &format!("pull {k}"))
            .await
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        // Strict rotation: each peer gets every third message, in order.
        let first = got[0];
        assert!(first < 3, "pull {k} started at {first}");
        let expected: Vec<u32> = (0..100).map(|j| first + 3 * j).collect();
        assert_eq!(got, expected, "pull {k} did not get every third message");
        assert!(
            matches!(pull.try_recv(), Err(TryRecvError::Empty)),
            "pull {k} got more than 100"
        );
    }
}

/// A PUSH connected first to an endpoint nobody listens on (its queue fills at send_hwm) and
/// then to a live PULL: once the dead queue is full, every message goes to the live peer and
/// no send waits. The dead queue's messages arrive when a PULL binds there.
async fn push_skips_a_peer_whose_queue_is_full(t: Transport) {
    const HWM: usize = 5;
    let mut live = PullSocket::new();
    let live_ep = live.bind(t.bind_endpoint()).await.unwrap();
    let dead_ep = t.free_endpoint();

    let mut push = PushSocket::with_options(Options::default().send_hwm(HWM)).unwrap();
    push.connect(&dead_ep).unwrap();
    push.connect(&live_ep).unwrap();
    wait_until(LIMIT, "PUSH connected to the live PULL", || {
        push.connected_peers() == 1
    })
    .await;

    for i in 0..100 {
        within(
            LIMIT,
            &format!("send {i} must not wait: the live peer can take it"),
            push.send(format!("{i}")),
        )
        .await
        .unwrap();
    }
    // Alternation until the dead peer's queue holds HWM messages: 0, 2, 4, 6, 8.
    let to_dead: Vec<String> = (0..HWM).map(|k| (2 * k).to_string()).collect();
    let to_live: Vec<String> = (0..100)
        .map(|i: usize| i.to_string())
        .filter(|s| !to_dead.contains(s))
        .collect();
    assert_eq!(recv_n(&mut live, 95, "live pull").await, to_live);

    let mut late = PullSocket::new();
    late.bind(&dead_ep).await.unwrap();
    assert_eq!(recv_n(&mut late, HWM, "late pull").await, to_dead);
}

/// Two PUSH peers with many messages each waiting at one PULL: the PULL takes them in turn,
/// not all of one peer first; each peer's messages stay in order.
async fn pull_fair_queues_between_two_pushes(t: Transport) {
    const N: usize = 300;
    let mut pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut a = PushSocket::new();
    let mut b = PushSocket::new();
    a.connect(&ep).unwrap();
    b.connect(&ep).unwrap();
    wait_until(LIMIT, "both pushes connected", || {
        pull.connected_peers() == 2 && a.connected_peers() == 1 && b.connected_peers() == 1
    })
    .await;
    for i in 0..N {
        within(LIMIT, "send a", a.send(format!("a{i}")))
            .await
            .unwrap();
        within(LIMIT, "send b", b.send(format!("b{i}")))
            .await
            .unwrap();
    }
    // Nothing observable says that both peers' messages have reached the PULL's queues; give
    // loopback a moment (600 tiny messages take well under a millisecond to cross).
    tokio::time::sleep(Duration::from_millis(200)).await;

    let got = recv_n(&mut pull, 2 * N, "pull").await;
    for peer in ["a", "b"] {
        let mine: Vec<&String> = got.iter().filter(|m| m.starts_with(peer)).collect();
        let expected: Vec<String> = (0..N).map(|i| format!("{peer}{i}")).collect();
        assert_eq!(
            mine.into_iter().cloned().collect::<Vec<_>>(),
            expected,
            "messages of {peer} out of order or missing"
        );
    }
    let switches = got.windows(2).filter(|w| w[0][..1] != w[1][..1]).count();
    assert!(
        switches >= N,
        "PULL did not alternate between its peers: {switches} switches in {} messages; \
         first 20: {:?}",
        2 * N,
        &got[..20]
    );
}

/// With send_hwm = N and nobody at the endpoint: exactly N `try_send`s succeed, the next one is
/// `WouldBlock` with the message handed back; `send().await` then waits until a PULL binds,
/// and everything arrives in order.
async fn push_queues_exactly_send_hwm_messages_for_an_absent_peer_then_waits(t: Transport) {
    const HWM: usize = 10;
    let ep = t.free_endpoint();
    let mut push = PushSocket::with_options(Options::default().send_hwm(HWM)).unwrap();
    push.connect(&ep).unwrap();
    for i in 0..HWM {
        push.try_send(format!("{i}"))
            .unwrap_or_else(|e| panic!("try_send {i} of {HWM} failed: {e}"));
    }
    let refused = push.try_send("over").expect_err("try_send beyond send_hwm");
    assert!(
        matches!(refused.error, Error::WouldBlock),
        "{:?}",
        refused.error
    );
    assert_eq!(refused.message, Message::from("over"));

    let sender = tokio::spawn(async move {
        push.send("last").await.unwrap();
        push
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !sender.is_finished(),
        "send() completed although the queue is full and nobody listens"
    );

    let mut pull = PullSocket::new();
    pull.bind(&ep).await.unwrap();
    let _push = within(LIMIT, "send() completes once a PULL is there", sender)
        .await
        .unwrap();
    let mut expected: Vec<String> = (0..HWM).map(|i| i.to_string()).collect();
    expected.push("last".into());
    assert_eq!(recv_n(&mut pull, HWM + 1, "pull").await, expected);
}

/// PULL with recv_hwm 1 and PUSH with send_hwm 1, 16 MB of 16 KiB messages: the sender waits
/// (TCP pushes back), the receiver reads slowly at first; every message arrives intact and in
/// order (no lost wake-up on either side).
async fn backpressure_with_tiny_hwms_loses_nothing_and_keeps_order(t: Transport) {
    const N: usize = 1000;
    const SIZE: usize = 16 * 1024;
    let mut pull = PullSocket::with_options(Options::default().recv_hwm(1)).unwrap();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::with_options(Options::default().send_hwm(1)).unwrap();
    push.connect(&ep).unwrap();
    let sender = tokio::spawn(async move {
        for i in 0..N {
            let mut body = vec![(i % 251) as u8; SIZE];
            body[..8].copy_from_slice(&(i as u64).to_be_bytes());
            push.send(Message::from(body)).await.unwrap();
        }
        push
    });
    // Let everything between the two fill up before reading.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !sender.is_finished(),
        "16 MB fitted in the buffers: no backpressure exercised"
    );
    for i in 0..N {
        let m = within(LIMIT, &format!("message {i}"), pull.recv())
            .await
            .unwrap();
        let body = &m.frames()[0];
        assert_eq!(body.len(), SIZE);
        assert_eq!(u64::from_be_bytes(body[..8].try_into().unwrap()), i as u64);
        assert!(
            body[8..].iter().all(|b| *b == (i % 251) as u8),
            "message {i} corrupted"
        );
    }
    within(LIMIT, "sender done", sender).await.unwrap();
}

/// `Socket<Push>` as a `Sink` (with a small send_hwm, so that `poll_ready` must wait and be
/// woken) and `Socket<Pull>` as a `Stream`.
async fn push_and_pull_work_as_sink_and_stream(t: Transport) {
    let pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::with_options(Options::default().send_hwm(4)).unwrap();
    push.connect(&ep).unwrap();
    let sender = tokio::spawn(async move {
        let mut items = futures::stream::iter((0..2000).map(|i| Ok(Message::from(format!("{i}")))));
        push.send_all(&mut items).await.unwrap();
        push
    });
    let got: Vec<String> = within(
        LIMIT,
        "stream of 2000",
        pull.take(2000)
            .map(|m| text(&m.unwrap()))
            .collect::<Vec<_>>(),
    )
    .await;
    let expected: Vec<String> = (0..2000).map(|i| i.to_string()).collect();
    assert_eq!(got, expected);
    within(LIMIT, "sender", sender).await.unwrap();
}

async fn multipart_messages_keep_their_frames_including_empty_ones(t: Transport) {
    let mut pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::new();
    push.connect(&ep).unwrap();
    let big = Bytes::from(vec![7u8; 300]);
    let sent = [
        Message::from_iter(["", "a", ""]),
        Message::from(""),
        Message::from_iter([Bytes::new(), big.clone(), Bytes::from_static(b"z")]),
    ];
    let many: Message = (0..1000).map(|i| Bytes::from(format!("f{i}"))).collect();
    let sent = [sent[0].clone(), sent[1].clone(), sent[2].clone(), many];
    for m in &sent {
        within(LIMIT, "send", push.send(m.clone())).await.unwrap();
    }
    for m in &sent {
        assert_eq!(&within(LIMIT, "recv", pull.recv()).await.unwrap(), m);
    }
    let empty = push
        .try_send(Message::default())
        .expect_err("a message without frames");
    assert!(
        matches!(empty.error, Error::InvalidState(_)),
        "{:?}",
        empty.error
    );
}

/// A PUSH (send_hwm 5) connected to a raw PULL that completed its handshake and stopped
/// reading, and to a live PULL: once everything towards the stalled peer is full (its TCP
/// buffers, our encoding backlog, its queue of 5), every message goes to the live peer and no
/// send waits for long. When the stalled peer reads again, it gets exactly the rest: each
/// message is delivered once, in order per peer.
async fn push_skips_a_connected_peer_that_stopped_reading(t: Transport) {
    const N: usize = 600;
    const SIZE: usize = 64 * 1024;
    let listener = RawListener::bind(t).await.unwrap();
    let mut live = PullSocket::new();
    let live_ep = live.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::with_options(Options::default().send_hwm(5)).unwrap();
    push.connect(listener.endpoint()).unwrap();
    let mut stalled = listener.accept().await.unwrap();
    stalled.handshake("PULL").await.unwrap();
    push.connect(&live_ep).unwrap();
    wait_until(LIMIT, "both connected", || push.connected_peers() == 2).await;

    let receiver = tokio::spawn(async move {
        let mut got = Vec::new();
        // Ends when nothing more comes for a while: the rest is at the stalled peer.
        while let Ok(m) = tokio::time::timeout(Duration::from_millis(1500), live.recv()).await {
            let m = m.unwrap();
            got.push(u64::from_be_bytes(m.frames()[0][..8].try_into().unwrap()));
        }
        got
    });
    for i in 0..N {
        let mut body = vec![0u8; SIZE];
        body[..8].copy_from_slice(&(i as u64).to_be_bytes());
        within(
            LIMIT,
            &format!("send {i}: the live peer can take it"),
            push.send(Message::from(body)),
        )
        .await
        .unwrap();
    }
    let at_live = within(Duration::from_secs(20), "live receiver", receiver)
        .await
        .unwrap();
    assert!(
        at_live.len() >= N / 2,
        "only {} of {N} went to the live peer",
        at_live.len()
    );
    assert!(
        at_live.windows(2).all(|w| w[0] < w[1]),
        "live peer: out of order"
    );

    let mut at_stalled = Vec::new();
    while at_live.len() + at_stalled.len() < N {
        let m = stalled.read_message().await.unwrap_or_else(|e| {
            panic!(
                "stalled peer: {e} after {} + {} of {N}",
                at_live.len(),
                at_stalled.len()
            )
        });
        at_stalled.push(u64::from_be_bytes(m[0][..8].try_into().unwrap()));
    }
    eprintln!(
        "{} at the live peer, {} at the stalled one",
        at_live.len(),
        at_stalled.len()
    );
    assert!(
        at_stalled.windows(2).all(|w| w[0] < w[1]),
        "stalled peer: out of order"
    );
    let mut all: Vec<u64> = at_live.iter().chain(&at_stalled).copied().collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..N as u64).collect::<Vec<_>>(),
        "lost or duplicated messages"
    );
    drop(push);
}

/// A bound PUSH with no peer: `try_send` would block, `send` waits, and completes once a PULL
/// connects; the message then arrives.
async fn a_bound_push_without_peers_waits_until_one_connects(t: Transport) {
    let mut push = PushSocket::new();
    let ep = push.bind(t.bind_endpoint()).await.unwrap();
    let refused = push.try_send("early").expect_err("no peer to take it");
    assert!(
        matches!(refused.error, Error::WouldBlock),
        "{:?}",
        refused.error
    );
    let sender = tokio::spawn(async move {
        push.send("waited").await.unwrap();
        push
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!sender.is_finished(), "send completed without any peer");
    let mut pull = PullSocket::new();
    pull.connect(&ep).unwrap();
    let _push = within(LIMIT, "send completes once a peer is there", sender)
        .await
        .unwrap();
    assert_eq!(recv_n(&mut pull, 1, "pull").await, ["waited"]);
}

async fn fifty_pushes_into_one_pull_lose_nothing(t: Transport) {
    const PEERS: usize = 50;
    const EACH: usize = 20;
    let mut pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut pushes = Vec::new();
    for p in 0..PEERS {
        let mut push = PushSocket::new();
        push.connect(&ep).unwrap();
        for i in 0..EACH {
            push.try_send(format!("{p}:{i}")).unwrap();
        }
        pushes.push(push);
    }
    let got = recv_n(&mut pull, PEERS * EACH, "pull").await;
    let mut next = vec![0usize; PEERS];
    for m in &got {
        let (p, i) = m.split_once(':').unwrap();
        let (p, i): (usize, usize) = (p.parse().unwrap(), i.parse().unwrap());
        assert_eq!(i, next[p], "peer {p} out of order");
        next[p] += 1;
    }
    assert!(next.iter().all(|n| *n == EACH), "{next:?}");
    assert_eq!(pull.connected_peers(), PEERS);
}

async fn a_ten_mib_message_arrives_intact(t: Transport) {
    let mut pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::new();
    push.connect(&ep).unwrap();
    let body: Vec<u8> = (0..10 * 1024 * 1024)
        .map(|i: usize| (i % 253) as u8)
        .collect();
    let body = Bytes::from(body);
    let sent = Message::from_iter([Bytes::from_static(b"head"), body.clone()]);
    within(LIMIT, "send", push.send(sent.clone()))
        .await
        .unwrap();
    within(LIMIT, "send small", push.send("after"))
        .await
        .unwrap();
    let got = within(LIMIT, "recv big", pull.recv()).await.unwrap();
    assert_eq!(got.frames().len(), 2);
    assert!(got.frames()[1] == body, "10 MiB body corrupted");
    assert_eq!(recv_n(&mut pull, 1, "pull").await, ["after"]);
}
