//! What only inproc has: connecting before binding, names scoped by context, the two
//! high-water marks added up, messages moved without a copy, a socket bound on inproc and tcp
//! at once, peers on other runtimes. (Every pattern also runs over inproc in the `pattern_*`,
//! `lifecycle`, `endpoints` and `close_*` suites.) Timing cases run on tokio's paused clock.

use std::time::Duration;

use tokio::time::Instant;
use zmtp_tests::socket_harness::{
    expect_incompatible, text, unique_inproc_endpoint, wait_for_event, within,
};
use zmtp_tokio::{
    Bytes, Context, Error, Message, MonitorEvent, Options, PairSocket, PubSocket, PullSocket,
    PushSocket, RouterSocket, SubSocket,
};

const LIMIT: Duration = Duration::from_secs(10);

async fn recv_texts(pull: &mut PullSocket, n: usize) -> Vec<String> {
    let mut got = Vec::new();
    for _ in 0..n {
        got.push(text(&within(LIMIT, "recv", pull.recv()).await.unwrap()));
    }
    got
}

fn numbered(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("m{i}")).collect()
}

#[tokio::test(start_paused = true)]
async fn messages_sent_before_the_bind_arrive_once_it_comes() {
    let ep = unique_inproc_endpoint();
    let mut push = PushSocket::new();
    push.connect(&ep).unwrap();
    for m in numbered(5) {
        // Queued in the connecting pipe, as libzmq ≥ 4 allows.
        push.try_send(m).unwrap();
    }
    tokio::time::sleep(Duration::from_secs(60)).await;
    let mut pull = PullSocket::new();
    pull.bind(&ep).await.unwrap();
    assert_eq!(recv_texts(&mut pull, 5).await, numbered(5));
}

#[tokio::test(start_paused = true)]
async fn a_name_is_bound_once_per_context_and_free_after_unbind() {
    let ep = unique_inproc_endpoint();
    let first = PullSocket::new();
    first.bind(&ep).await.unwrap();
    let second = PullSocket::new();
    let taken = second.bind(&ep).await;
    assert!(matches!(&taken, Err(e) if e.is_addr_in_use()), "{taken:?}");

    // Another context has names of its own.
    let other = Context::new();
    assert!(!other.same_as(&Context::global()));
    let elsewhere = PullSocket::with_options(Options::default().context(&other)).unwrap();
    elsewhere.bind(&ep).await.unwrap();

    first.unbind(&ep).unwrap();
    let mut second = second;
    second.bind(&ep).await.unwrap();
    let mut push = PushSocket::new();
    push.connect(&ep).unwrap();
    push.send("to the new binder").await.unwrap();
    let got = within(LIMIT, "recv", second.recv()).await.unwrap();
    assert_eq!(text(&got), "to the new binder");
}

#[tokio::test(start_paused = true)]
async fn a_connector_reaches_only_the_binder_of_its_own_context() {
    let ep = unique_inproc_endpoint();
    let private = Context::new();
    let mut global_pull = PullSocket::new();
    global_pull.bind(&ep).await.unwrap();
    let mut private_push = PushSocket::with_options(Options::default().context(&private)).unwrap();
    private_push.connect(&ep).unwrap();
    private_push.send("private").await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(global_pull.try_recv().is_err(), "crossed contexts");

    let mut private_pull = PullSocket::with_options(Options::default().context(&private)).unwrap();
    private_pull.bind(&ep).await.unwrap();
    let got = within(LIMIT, "recv", private_pull.recv()).await.unwrap();
    assert_eq!(text(&got), "private");
}

/// libzmq's inproc pipe holds the sender's SNDHWM plus the receiver's RCVHWM: so do the two
/// queues here, and not a message more (taking a whole queue into a full receiver would hold
/// a third queue's worth in between).
#[tokio::test(start_paused = true)]
async fn a_pipe_holds_the_senders_and_the_receivers_high_water_marks() {
    for (send_hwm, recv_hwm) in [(3, 5), (10, 1), (1, 1), (100, 40)] {
        let ep = unique_inproc_endpoint();
        let mut pull = PullSocket::with_options(Options::default().recv_hwm(recv_hwm)).unwrap();
        pull.bind(&ep).await.unwrap();
        let mut push = PushSocket::with_options(Options::default().send_hwm(send_hwm)).unwrap();
        push.connect(&ep).unwrap();
        let mut accepted = 0;
        // Every task runs between attempts (the clock is paused), so the link has moved all it
        // could before each try.
        for i in 0..1000 {
            tokio::time::sleep(Duration::from_millis(1)).await;
            if push.try_send(format!("m{i}")).is_err() {
                break;
            }
            accepted += 1;
        }
        assert_eq!(
            accepted,
            send_hwm + recv_hwm,
            "SNDHWM {send_hwm}, RCVHWM {recv_hwm}"
        );
        let got = recv_texts(&mut pull, accepted).await;
        assert_eq!(got, numbered(accepted));
    }
}

/// The same with the sender's queue full before the receiver binds: the link moves what the
/// receiver has room for, and the sender's queue takes only what left it.
#[tokio::test(start_paused = true)]
async fn a_queue_filled_before_the_bind_moves_only_what_the_receiver_can_hold() {
    let (send_hwm, recv_hwm) = (10, 3);
    let ep = unique_inproc_endpoint();
    let mut push = PushSocket::with_options(Options::default().send_hwm(send_hwm)).unwrap();
    push.connect(&ep).unwrap();
    let mut accepted = 0;
    while push.try_send(format!("m{accepted}")).is_ok() {
        accepted += 1;
    }
    assert_eq!(accepted, send_hwm);
    let mut pull = PullSocket::with_options(Options::default().recv_hwm(recv_hwm)).unwrap();
    pull.bind(&ep).await.unwrap();
    for _ in 0..1000 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        if push.try_send(format!("m{accepted}")).is_err() {
            break;
        }
        accepted += 1;
    }
    assert_eq!(accepted, send_hwm + recv_hwm);
    assert_eq!(recv_texts(&mut pull, accepted).await, numbered(accepted));
}

/// The receiver gets the very buffer the sender gave: moved, not encoded and decoded.
#[tokio::test(start_paused = true)]
async fn a_message_arrives_as_the_same_buffer_without_a_copy() {
    let ep = unique_inproc_endpoint();
    let mut pull = PullSocket::new();
    pull.bind(&ep).await.unwrap();
    let mut push = PushSocket::new();
    push.connect(&ep).unwrap();
    let body = Bytes::from(vec![7u8; 64 * 1024]);
    let sent_at = body.as_ptr();
    push.send(Message::from(body)).await.unwrap();
    let got = within(LIMIT, "recv", pull.recv()).await.unwrap();
    assert_eq!(got.frames()[0].as_ptr(), sent_at);
    assert_eq!(got.frames()[0].len(), 64 * 1024);
}

/// A slow receiver pushes back: `send` waits once both queues are full, and resumes as the
/// receiver reads, with every message arriving once and in order.
#[tokio::test(start_paused = true)]
async fn a_slow_receiver_paces_the_sender() {
    let ep = unique_inproc_endpoint();
    let mut pull = PullSocket::with_options(Options::default().recv_hwm(10)).unwrap();
    pull.bind(&ep).await.unwrap();
    let mut push = PushSocket::with_options(Options::default().send_hwm(10)).unwrap();
    push.connect(&ep).unwrap();
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(2)).await;
            got.push(text(&pull.recv().await.unwrap()));
        }
        got
    });
    let start = Instant::now();
    for m in numbered(200) {
        push.send(m).await.unwrap();
    }
    // The last 180 sends each waited for a read (2 ms apart): at least 360 ms of virtual time.
    assert!(
        start.elapsed() >= Duration::from_millis(360),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(reader.await.unwrap(), numbered(200));
}

#[tokio::test(start_paused = true)]
async fn many_connectors_share_one_name_and_are_fair_queued() {
    const PEERS: usize = 50;
    let ep = unique_inproc_endpoint();
    let mut pull = PullSocket::new();
    pull.bind(&ep).await.unwrap();
    let mut pushes = Vec::new();
    for p in 0..PEERS {
        let mut push = PushSocket::new();
        push.connect(&ep).unwrap();
        for i in 0..20 {
            push.try_send(format!("{p}:{i}")).unwrap();
        }
        pushes.push(push);
    }
    let mut next = vec![0; PEERS];
    for _ in 0..PEERS * 20 {
        let got = text(&within(LIMIT, "recv", pull.recv()).await.unwrap());
        let (p, i) = got.split_once(':').unwrap();
        let (p, i): (usize, usize) = (p.parse().unwrap(), i.parse().unwrap());
        assert_eq!(i, next[p], "peer {p} out of order");
        next[p] += 1;
    }
    assert!(next.iter().all(|&n| n == 20));
    assert_eq!(pull.connected_peers(), PEERS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_bound_on_inproc_and_tcp_serves_both() {
    let ep = unique_inproc_endpoint();
    let mut router = RouterSocket::new();
    router.bind(&ep).await.unwrap();
    let tcp = router.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut near =
        zmtp_tokio::DealerSocket::with_options(Options::default().identity("near")).unwrap();
    near.connect(&ep).unwrap();
    let mut far =
        zmtp_tokio::DealerSocket::with_options(Options::default().identity("far")).unwrap();
    far.connect(&tcp).unwrap();
    near.send("from near").await.unwrap();
    far.send("from far").await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let m = within(LIMIT, "recv", router.recv()).await.unwrap();
        seen.push((
            text(&Message::from(m.frames()[0].clone())),
            text(&Message::from(m.frames()[1].clone())),
        ));
        router
            .send(Message::from(vec![
                m.frames()[0].clone(),
                Bytes::from("reply"),
            ]))
            .await
            .unwrap();
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            ("far".to_owned(), "from far".to_owned()),
            ("near".to_owned(), "from near".to_owned())
        ]
    );
    assert_eq!(
        text(&within(LIMIT, "near", near.recv()).await.unwrap()),
        "reply"
    );
    assert_eq!(
        text(&within(LIMIT, "far", far.recv()).await.unwrap()),
        "reply"
    );
}

/// The peer lives on another runtime, on another thread: inproc links sockets, not runtimes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_on_another_runtime_talks_both_ways() {
    let ep = unique_inproc_endpoint();
    let mut here = PairSocket::new();
    here.bind(&ep).await.unwrap();
    let there_ep = ep.clone();
    let there = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let mut pair = PairSocket::new();
            pair.connect(&there_ep).unwrap();
            for i in 0..100 {
                pair.send(format!("ping {i}")).await.unwrap();
                let m = pair.recv().await.unwrap();
                assert_eq!(text(&m), format!("pong {i}"));
            }
            pair.close().await.is_complete()
        })
    });
    for i in 0..100 {
        let m = within(LIMIT, "ping", here.recv()).await.unwrap();
        assert_eq!(text(&m), format!("ping {i}"));
        here.send(format!("pong {i}")).await.unwrap();
    }
    assert!(tokio::task::spawn_blocking(move || there.join().unwrap())
        .await
        .unwrap());
}

#[tokio::test(start_paused = true)]
async fn a_connector_of_an_incompatible_type_gives_up() {
    let ep = unique_inproc_endpoint();
    let pull = PullSocket::new();
    pull.bind(&ep).await.unwrap();
    let pair = PairSocket::new();
    let mut monitor = pair.monitor();
    pair.connect(&ep).unwrap();
    expect_incompatible(&mut monitor, LIMIT).await;
    wait_for_event(&mut monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::Closed { .. })
    })
    .await;
    assert_eq!(pull.connected_peers(), 0);
}

/// Linger on the paused clock: a connector closing with messages and nobody bound keeps them
/// for its linger time; a binder appearing within it gets them, after it they are reported.
#[tokio::test(start_paused = true)]
async fn closing_delivers_to_a_binder_that_comes_within_linger_and_reports_the_rest() {
    let ep = unique_inproc_endpoint();
    let linger = Options::default().linger(Some(Duration::from_millis(500)));
    let mut push = PushSocket::with_options(linger.clone()).unwrap();
    push.connect(&ep).unwrap();
    for m in numbered(4) {
        push.try_send(m).unwrap();
    }
    let closing = tokio::spawn(push.close());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut pull = PullSocket::new();
    pull.bind(&ep).await.unwrap();
    assert_eq!(recv_texts(&mut pull, 4).await, numbered(4));
    let report = closing.await.unwrap();
    assert!(report.is_complete(), "{report:?}");

    let late = unique_inproc_endpoint();
    let mut push = PushSocket::with_options(linger).unwrap();
    push.connect(&late).unwrap();
    for m in numbered(3) {
        push.try_send(m).unwrap();
    }
    let start = Instant::now();
    let report = push.close().await;
    assert_eq!(start.elapsed(), Duration::from_millis(500));
    assert_eq!(report.queued_messages(), 3, "{report:?}");
}

/// A bound socket closing with messages queued for a connected peer whose queue is full
/// delivers as the peer reads, within linger; what is left then is in its report.
#[tokio::test(start_paused = true)]
async fn a_closing_binder_reports_what_its_stalled_peer_did_not_take() {
    let ep = unique_inproc_endpoint();
    let mut push = PushSocket::with_options(
        Options::default()
            .send_hwm(10)
            .linger(Some(Duration::from_millis(300))),
    )
    .unwrap();
    push.bind(&ep).await.unwrap();
    let mut pull = PullSocket::with_options(Options::default().recv_hwm(5)).unwrap();
    pull.connect(&ep).unwrap();
    let mut accepted = 0;
    for i in 0..100 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        if push.try_send(format!("m{i}")).is_err() {
            break;
        }
        accepted += 1;
    }
    assert_eq!(accepted, 15);
    let report = push.close().await;
    assert_eq!(report.queued_messages(), 10, "{report:?}");
    assert_eq!(recv_texts(&mut pull, 5).await, numbered(5));
}

#[tokio::test(start_paused = true)]
async fn subscriptions_cross_inproc_and_filter_at_the_publisher() {
    let ep = unique_inproc_endpoint();
    let mut publisher = PubSocket::new();
    publisher.bind(&ep).await.unwrap();
    let mut sub = SubSocket::new();
    sub.subscribe("a").unwrap();
    sub.connect(&ep).unwrap();
    // Until the subscription arrived, a publication reaches nobody.
    let mut reached = 0;
    while reached == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        reached = publisher.send("a: hello").await.unwrap();
    }
    assert_eq!(publisher.send("b: filtered").await.unwrap(), 0);
    assert_eq!(publisher.send("a: again").await.unwrap(), 1);
    assert_eq!(
        text(&within(LIMIT, "recv", sub.recv()).await.unwrap()),
        "a: hello"
    );
    assert_eq!(
        text(&within(LIMIT, "recv", sub.recv()).await.unwrap()),
        "a: again"
    );
}

#[tokio::test]
async fn unknown_inproc_endpoints_cannot_be_unbound() {
    let pull = PullSocket::new();
    let r = pull.unbind(unique_inproc_endpoint().as_str());
    assert!(matches!(r, Err(Error::UnknownEndpoint(_))), "{r:?}");
}
