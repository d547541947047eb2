//! Dropping sockets with live connections releases every file descriptor: the number of
//! entries in /proc/self/fd returns to its earlier value. Alone in its own test binary, since
//! any other test running in the same process would open descriptors too.

use std::time::{Duration, Instant};

use zmtp_tests::socket_harness::{text, wait_until, within, Transport};
use zmtp_tokio::{Options, PubSocket, PullSocket, PushSocket, RepSocket, ReqSocket, SubSocket};

const LIMIT: Duration = Duration::from_secs(5);

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd (Linux)")
        .count()
}

/// Creates sockets of every kind over `t`, connects them, exchanges messages, and drops them
/// all while their connections are up (plus a PUSH with messages queued for an absent peer and
/// linger 0). Returns after everything has been dropped.
async fn busy_round(t: Transport) {
    let mut pull = PullSocket::new();
    let pull_ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut pushes: Vec<PushSocket> = (0..3).map(|_| PushSocket::new()).collect();
    for push in &mut pushes {
        push.connect(&pull_ep).unwrap();
        within(LIMIT, "push send", push.send("x")).await.unwrap();
    }
    for _ in 0..3 {
        assert_eq!(
            text(&within(LIMIT, "pull", pull.recv()).await.unwrap()),
            "x"
        );
    }

    let mut rep = RepSocket::new();
    let rep_ep = rep.bind(t.bind_endpoint()).await.unwrap();
    let mut req = ReqSocket::new();
    req.connect(&rep_ep).unwrap();
    within(LIMIT, "req send", req.send("q")).await.unwrap();
    within(LIMIT, "rep recv", rep.recv()).await.unwrap();
    rep.send("a").await.unwrap();
    within(LIMIT, "req recv", req.recv()).await.unwrap();

    let mut publisher = PubSocket::new();
    let pub_ep = publisher.bind(t.bind_endpoint()).await.unwrap();
    let mut sub = SubSocket::new();
    sub.subscribe("").unwrap();
    sub.connect(&pub_ep).unwrap();
    let deadline = Instant::now() + LIMIT;
    while publisher.publish("p").unwrap() == 0 {
        assert!(Instant::now() < deadline, "subscription never arrived");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    within(LIMIT, "sub recv", sub.recv()).await.unwrap();

    let stuck = PushSocket::with_options(Options::default().linger(Some(Duration::ZERO))).unwrap();
    stuck.connect(t.free_endpoint()).unwrap();

    wait_until(LIMIT, "all connected", || {
        pull.connected_peers() == 3 && rep.connected_peers() == 1 && sub.connected_peers() == 1
    })
    .await;
    drop((pull, pushes, rep, req, publisher, sub, stuck));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_sockets_release_their_file_descriptors() {
    // Warm up: the first sockets may initialise lazily created runtime resources.
    busy_round(Transport::Tcp).await;
    busy_round(Transport::Ipc).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = open_fds();

    for _ in 0..3 {
        busy_round(Transport::Tcp).await;
        busy_round(Transport::Ipc).await;
    }
    let during = open_fds();
    let deadline = Instant::now() + LIMIT;
    let mut now = open_fds();
    while now > before + 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        now = open_fds();
    }
    eprintln!("open fds: {before} before, {during} right after dropping, {now} at the end");
    assert!(
        now <= before + 2,
        "file descriptors leaked: {before} before, {during} right after dropping, {now} after \
         waiting {LIMIT:?}"
    );
}
