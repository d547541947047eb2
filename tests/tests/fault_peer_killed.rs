//! A peer process killed with SIGKILL, some of the time half-way through writing a message,
//! and started again on the same endpoint: our sockets reconnect, a SUB subscribes again, no
//! partial message is ever delivered, messages queued during the outage (up to the high-water
//! mark) are delivered after it, and a counted pipeline loses only what was in flight to the
//! dead peer.
//!
//! The peer is the `fault_peer` binary of this package (`tests/src/bin/fault_peer.rs`).

use std::time::Duration;

use zmtp_tests::faults::{check_seq_message, seq_message, tcp_buffer_max, PeerProcess, SeqReport};
use zmtp_tests::socket_harness::{wait_for_event, within, Transport};
use zmtp_tokio::{Error, Monitor, MonitorEvent, Options, PullSocket, PushSocket, SubSocket};

const PEER: &str = env!("CARGO_BIN_EXE_fault_peer");
const LIMIT: Duration = Duration::from_secs(5);
/// Large parts, so that half of a message ends inside a frame's body.
const PARTS: usize = 4;
const PART_LEN: usize = 64 * 1024;

fn is_disconnected(event: &MonitorEvent) -> bool {
    matches!(event, MonitorEvent::Disconnected { .. })
}

/// The sequence numbers of the `GOT TAG SEQ` lines of a `pull` peer; panics on a `BAD` line
/// (a message that arrived damaged).
fn got(peer: &PeerProcess, tag: &str) -> Vec<u64> {
    let prefix = format!("GOT {tag} ");
    peer.history
        .iter()
        .filter_map(|line| {
            assert!(!line.starts_with("BAD"), "damaged message: {line}");
            line.strip_prefix(&prefix)?.parse().ok()
        })
        .collect()
}

/// Receives `count` messages and checks they are whole and numbered `from..from + count`.
async fn expect_sequence<S>(socket: &mut S, from: u64, count: u64)
where
    S: futures::Stream<Item = zmtp_tokio::Result<zmtp_tokio::Message>> + Unpin,
{
    use futures::StreamExt;
    for seq in from..from + count {
        let message = within(LIMIT, "next message", socket.next())
            .await
            .expect("socket open")
            .expect("receive");
        let (_, got) = check_seq_message(&message).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got, seq, "messages out of order");
    }
}

/// Nothing arrives for a while: in particular not the half message the dead peer wrote.
async fn expect_silence<S>(socket: &mut S)
where
    S: futures::Stream<Item = zmtp_tokio::Result<zmtp_tokio::Message>> + Unpin,
{
    use futures::StreamExt;
    if let Ok(Some(received)) =
        tokio::time::timeout(Duration::from_millis(300), socket.next()).await
    {
        let verdict = received.as_ref().map(check_seq_message);
        panic!("delivered after the peer died half-way through a message: {verdict:?}");
    }
}

/// Once `peer` has written half a message, kills it: our socket sees the connection end and
/// delivers nothing more, in particular not the half message.
async fn kill_half_way<S>(peer: &mut PeerProcess, monitor: &mut Monitor, socket: &mut S)
where
    S: futures::Stream<Item = zmtp_tokio::Result<zmtp_tokio::Message>> + Unpin,
{
    peer.wait_line(LIMIT, "half a message written", |l| l.starts_with("HALF"))
        .await;
    peer.kill().await;
    wait_for_event(monitor, LIMIT, is_disconnected).await;
    expect_silence(socket).await;
}

/// A raw publisher subscribed to by our SUB writes 5 whole messages and half of a sixth, and
/// is killed; twice. Each time the SUB drops the half message, reconnects to the restarted
/// publisher and subscribes again (the publisher reports the SUBSCRIBE it read); then a real
/// zmtp PUB is started on the endpoint and the SUB, subscribed again, receives its messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_drops_the_half_message_of_a_killed_publisher_and_resubscribes_after_restart() {
    let endpoint = Transport::Tcp.free_endpoint();
    let addr = endpoint.strip_prefix("tcp://").expect("tcp endpoint");
    let mut sub =
        SubSocket::with_options(Options::default().reconnect(Duration::from_millis(20), None))
            .unwrap();
    let mut monitor = sub.monitor();
    sub.subscribe("A").unwrap();
    sub.connect(&endpoint).unwrap();
    let (parts, part_len) = (PARTS.to_string(), PART_LEN.to_string());
    for round in 0..2u64 {
        let from = round * 100;
        let mut publisher = PeerProcess::start(
            PEER,
            &[
                "raw-pub-half",
                addr,
                "A",
                &from.to_string(),
                "5",
                &parts,
                &part_len,
            ],
        );
        publisher
            .wait_line(LIMIT, "the SUB's subscription", |l| l == "SUBSCRIBED A")
            .await;
        expect_sequence(&mut sub, from, 5).await;
        kill_half_way(&mut publisher, &mut monitor, &mut sub).await;
    }

    let mut publisher = PeerProcess::start(PEER, &["pub", &endpoint, "A"]);
    publisher
        .wait_line(LIMIT, "PUB bound", |l| l == "READY")
        .await;
    use futures::StreamExt;
    let mut last = None;
    for _ in 0..20 {
        let message = within(LIMIT, "a message from the restarted PUB", sub.next())
            .await
            .expect("socket open")
            .expect("receive");
        let (tag, seq) = check_seq_message(&message).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tag, "A");
        assert!(last < Some(seq), "{last:?} then {seq}");
        last = Some(seq);
    }
}

/// A raw pusher connected to our PULL writes 5 whole messages and half of a sixth, and is
/// killed: the PULL delivers the 5 and not the half. A zmtp PUSH process started afterwards
/// delivers all its messages through the same PULL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_drops_the_half_message_of_a_pusher_killed_mid_message() {
    let mut pull = PullSocket::new();
    let mut monitor = pull.monitor();
    let endpoint = pull.bind("tcp://127.0.0.1:0").await.unwrap().to_string();
    let (parts, part_len) = (PARTS.to_string(), PART_LEN.to_string());
    let sequence = |from: u64, count: u64| -> Vec<String> {
        vec![
            endpoint.clone(),
            "P".into(),
            from.to_string(),
            count.to_string(),
            parts.clone(),
            part_len.clone(),
        ]
    };
    for round in 0..2u64 {
        let from = round * 100;
        let args = sequence(from, 5);
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.insert(0, "raw-push-half");
        let mut pusher = PeerProcess::start(PEER, &args);
        expect_sequence(&mut pull, from, 5).await;
        kill_half_way(&mut pusher, &mut monitor, &mut pull).await;
    }
    let args = sequence(500, 20);
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.insert(0, "push");
    let mut pusher = PeerProcess::start(PEER, &args);
    expect_sequence(&mut pull, 500, 20).await;
    pusher
        .wait_line(LIMIT * 2, "pusher done", |l| l == "DONE")
        .await;
    assert!(pusher.wait_exit(LIMIT).await.success());
}

/// Our PUSH (send_hwm 300) delivers 100 messages to a PULL process, which is then killed.
/// While it is down, exactly 300 more messages can be queued (then WouldBlock); after the
/// restart all 300 arrive, in order: nothing was in flight at the kill, so nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_queues_up_to_its_hwm_while_the_puller_is_dead_and_delivers_after_restart() {
    let endpoint = Transport::Tcp.free_endpoint();
    let mut push = PushSocket::with_options(
        Options::default()
            .send_hwm(300)
            .reconnect(Duration::from_millis(20), None),
    )
    .unwrap();
    let mut monitor = push.monitor();
    push.connect(&endpoint).unwrap();
    let mut puller = PeerProcess::start(PEER, &["pull", &endpoint, "1000"]);
    for seq in 0..100 {
        within(LIMIT, "send", push.send(seq_message(b"Q", seq, 1, 1024)))
            .await
            .unwrap();
    }
    puller
        .wait_line(LIMIT, "message 99", |l| l == "GOT Q 99")
        .await;
    puller.kill().await;
    assert_eq!(got(&puller, "Q"), (0..100).collect::<Vec<_>>());
    wait_for_event(&mut monitor, LIMIT, is_disconnected).await;

    let mut queued = 0u64;
    let error = loop {
        match push.try_send(seq_message(b"Q", 100 + queued, 1, 1024)) {
            Ok(()) => queued += 1,
            Err(e) => break e.error,
        }
        assert!(queued <= 10_000, "the queue never filled");
    };
    assert!(matches!(error, Error::WouldBlock), "{error:?}");
    assert_eq!(queued, 300, "messages queued while the peer was down");

    let mut restarted = PeerProcess::start(PEER, &["pull", &endpoint, "1000"]);
    restarted
        .wait_line(LIMIT, "the last queued message", |l| l == "GOT Q 399")
        .await;
    assert_eq!(got(&restarted, "Q"), (100..400).collect::<Vec<_>>());
}

/// A counted pipeline: our PUSH sends 3000 messages of 16 KiB without pause to a PULL process
/// (recv_hwm 100), which is killed after it received about 1000 and restarted 300 ms later.
/// Exactly one contiguous range may be missing: what had left our queue for the dead
/// connection (our connection's output buffer, the kernel's socket buffers, the dead peer's
/// read buffer and receive queue). Everything else arrives once, in order, intact; the count
/// lost is printed, and bounded by what those buffers can hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counted_pipeline_through_a_killed_puller_loses_only_what_was_in_flight() {
    const TOTAL: u64 = 3000;
    const SIZE: usize = 16 * 1024;
    const PEER_RECV_HWM: u64 = 100;
    let endpoint = Transport::Tcp.free_endpoint();
    let mut push =
        PushSocket::with_options(Options::default().reconnect(Duration::from_millis(20), None))
            .unwrap();
    push.connect(&endpoint).unwrap();
    let hwm = PEER_RECV_HWM.to_string();
    let mut first = PeerProcess::start(PEER, &["pull", &endpoint, &hwm]);
    first.wait_line(LIMIT, "PULL bound", |l| l == "READY").await;
    let sender = tokio::spawn(async move {
        for seq in 0..TOTAL {
            within(
                LIMIT * 2,
                "send",
                push.send(seq_message(b"C", seq, 1, SIZE)),
            )
            .await
            .unwrap();
        }
        push
    });
    first
        .wait_line(LIMIT * 2, "a third of the messages", |l| {
            l.strip_prefix("GOT C ")
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|seq| seq >= TOTAL / 3)
        })
        .await;
    first.kill().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut second = PeerProcess::start(PEER, &["pull", &endpoint, &hwm]);
    let last = format!("GOT C {}", TOTAL - 1);
    second
        .wait_line(LIMIT * 4, "the last message", |l| l == last)
        .await;
    let push = within(LIMIT, "sender", sender).await.unwrap();

    let before = got(&first, "C");
    let after = got(&second, "C");
    let all: Vec<u64> = before.iter().chain(&after).copied().collect();
    let report = SeqReport::of(&all, TOTAL);
    assert!(report.out_of_order.is_empty(), "{report:?}");
    assert!(
        report.gaps.len() <= 1,
        "more than one range lost: {report:?}"
    );
    let lost = report.lost();
    // What can sit between our queue and the dead peer's application: one batch taken by our
    // driver (256 messages, or 256 KiB of output), the kernel's send and receive buffers, the
    // peer's 64 KiB read-ahead, its receive queue, and one message held by its driver.
    let (rmem, wmem) = tcp_buffer_max();
    let bound = 256 + (256 * 1024 + rmem + wmem + 64 * 1024) / SIZE as u64 + PEER_RECV_HWM + 1;
    eprintln!(
        "counted pipeline: {TOTAL} sent, {} received by the killed peer (last {:?}), {} by \
         the restarted one (first {:?}), lost {lost} {:?}; bound {bound}",
        before.len(),
        before.last(),
        after.len(),
        after.first(),
        report.gaps
    );
    assert!(lost <= bound, "lost {lost} > {bound}");
    assert_eq!(report.received + lost, TOTAL);
    drop(push);
}
