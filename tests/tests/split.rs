//! A socket split into a sending and a receiving half, used from different tasks: a ROUTER
//! whose replies come from a worker task, halves that keep the socket open alone, reuniting,
//! and messages already received staying with the receiving half. On the paused clock over
//! `mem://`.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use zmtp_tests::socket_harness::{text, unique_memory_endpoint, wait_until, within};
use zmtp_tokio::{
    Bytes, DealerSocket, Message, MonitorEvent, Options, PairSocket, RouterSocket, TryRecvError,
    XPubSocket, XSubSocket,
};

const LIMIT: Duration = Duration::from_secs(5);

/// The receiving half reads requests in one task and hands them to a worker task that
/// answers through the sending half: every client gets each of its own replies, in order.
#[tokio::test(start_paused = true)]
async fn a_router_receives_in_one_task_and_replies_from_another() {
    let router = RouterSocket::new();
    let endpoint = router.bind(unique_memory_endpoint()).await.unwrap();
    let (mut replies, mut requests) = router.split();
    let (to_worker, mut work) = tokio::sync::mpsc::unbounded_channel::<Message>();
    let reader = tokio::spawn(async move {
        while let Ok(request) = requests.recv().await {
            if to_worker.send(request).is_err() {
                break;
            }
        }
    });
    let worker = tokio::spawn(async move {
        while let Some(mut request) = work.recv().await {
            let identity = request.pop_front().unwrap();
            let body = text(&request);
            replies
                .send(Message::new().with(identity).with(format!("re: {body}")))
                .await
                .unwrap();
        }
    });

    const CLIENTS: usize = 5;
    const ROUNDS: usize = 20;
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let mut dealer = DealerSocket::new();
        dealer.connect(&endpoint).unwrap();
        clients.push(tokio::spawn(async move {
            for r in 0..ROUNDS {
                dealer.send(format!("{c}/{r}")).await.unwrap();
                let reply = within(LIMIT, "reply", dealer.recv()).await.unwrap();
                assert_eq!(text(&reply), format!("re: {c}/{r}"));
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    reader.abort();
    worker.abort();
}

/// Either half keeps the socket open: with the receiving half dropped, the sending half still
/// delivers; the connection closes when the last half goes.
#[tokio::test(start_paused = true)]
async fn the_socket_lives_while_either_half_does() {
    let mut peer = PairSocket::new();
    let endpoint = peer.bind(unique_memory_endpoint()).await.unwrap();
    let mut peer_events = peer.monitor();
    let pair = PairSocket::new();
    pair.connect(&endpoint).unwrap();
    let (mut sender, receiver) = pair.split();
    drop(receiver);
    sender.send("still open").await.unwrap();
    let got = within(LIMIT, "message", peer.recv()).await.unwrap();
    assert_eq!(text(&got), "still open");

    drop(sender);
    within(LIMIT, "the peer sees the connection close", async {
        while let Some(event) = peer_events.next().await {
            if matches!(event, MonitorEvent::Disconnected { .. }) {
                return;
            }
        }
        panic!("monitor ended");
    })
    .await;
}

/// Halves of one socket reunite into it (and it closes cleanly); halves of two sockets are
/// handed back.
#[tokio::test(start_paused = true)]
async fn halves_reunite_only_with_their_own_socket() {
    let (a_sender, a_receiver) = DealerSocket::new().split();
    let (b_sender, b_receiver) = DealerSocket::new().split();
    let refused = a_sender.reunite(b_receiver).unwrap_err();
    let zmtp_tokio::ReuniteError(a_sender, b_receiver) = *refused;
    let a = a_sender.reunite(a_receiver).unwrap();
    let b = b_receiver.reunite(b_sender).unwrap();
    assert!(a.close().await.is_complete());
    assert!(b.close().await.is_complete());
}

/// Messages the socket already took from its peers (a receive takes a run at once) are read
/// from the receiving half, none lost and none repeated.
#[tokio::test(start_paused = true)]
async fn messages_already_received_stay_with_the_receiving_half() {
    let mut dealer = DealerSocket::new();
    let endpoint = dealer.bind(unique_memory_endpoint()).await.unwrap();
    let mut sender = DealerSocket::new();
    sender.connect(&endpoint).unwrap();
    for i in 0..10 {
        sender.send(i.to_string()).await.unwrap();
    }
    let first = within(LIMIT, "first", dealer.recv()).await.unwrap();
    assert_eq!(text(&first), "0");
    let (_to_peers, mut from_peers) = dealer.split();
    for i in 1..10 {
        let next = within(LIMIT, "next", from_peers.recv()).await.unwrap();
        assert_eq!(text(&next), i.to_string());
    }
    assert_eq!(from_peers.try_recv().unwrap_err(), TryRecvError::Empty);
}

/// The halves are a `Sink` and a `Stream`: an XPUB forwards subscriptions it reads on one half
/// while publishing on the other, as a proxy's frontend would.
#[tokio::test(start_paused = true)]
async fn the_halves_are_a_sink_and_a_stream() {
    let xpub = XPubSocket::with_options(Options::default().xpub_verbose(true)).unwrap();
    let endpoint = xpub.bind(unique_memory_endpoint()).await.unwrap();
    let (mut publishing, mut notices) = xpub.split();
    let mut subscriber = XSubSocket::new();
    subscriber.connect(&endpoint).unwrap();
    subscriber.subscribe("news").unwrap();
    let notice = within(LIMIT, "subscription", notices.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notice.frames()[0], b"\x01news"[..]);
    publishing
        .send(Message::from(Bytes::from_static(b"news: split")))
        .await
        .unwrap();
    publishing.flush().await.unwrap();
    let news = within(LIMIT, "news", subscriber.recv()).await.unwrap();
    assert_eq!(text(&news), "news: split");
    wait_until(LIMIT, "one subscriber", || {
        publishing.connected_peers() == 1
    })
    .await;
}
