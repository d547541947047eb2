//! 1000 concurrent connections to one bound socket, then connecting and disconnecting in a
//! churn loop (some abandoned before or during the greeting): afterwards the bound socket's
//! process has as many file descriptors open and tokio tasks alive as before, and its resident
//! memory has grown by no more than what the allocator keeps from the peak of 1000 live
//! connections. Alone in its test binary, since any other test in the process would open
//! descriptors and allocate too.
//!
//! The clients run in a `fault_peer churn` process, so that this process holds only the bound
//! side (1000 connections need about 1100 descriptors here, and as many there).
//!
//! Parameters (environment): `ZMTP_CHURN_SECONDS` (default 5) for each churn round, e.g. 600 for
//! a soak; `ZMTP_CHURN_ROUNDS` (default 1), the rounds after the warm-up, with RSS printed after
//! each (with more than one, RSS is compared from the end of the first); `ZMTP_CHURN_CLIENTS` (default 1000).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zmtp_tests::faults::{check_seq_message, ensure_nofile, open_fds, status_kib, PeerProcess};
use zmtp_tests::socket_harness::{wait_until, within};
use zmtp_tokio::PullSocket;

const PEER: &str = env!("CARGO_BIN_EXE_fault_peer");
/// Allowed RSS growth per concurrent client: each connection's 64 KiB read buffer is touched
/// in different places over its life, and the allocator keeps the freed buffers' pages, so the
/// heap left after the peak grows towards (peak connections x 64 KiB) over the first rounds.
/// That is bounded by the concurrency, not by the number of connections made: with 100
/// clients, 36 000 connections per round grow RSS by about 0.3 MiB per round. A leaked
/// connection (its task, its state, the touched pages of its buffer: several KiB) would show
/// after a few thousand of the ~20 000 connections a round makes; leaked tasks are counted
/// too.
const RSS_SLACK_PER_CLIENT_KIB: u64 = 64;

fn parameter(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
        Err(_) => default,
    }
}

/// One run of the churn process: its clients connect and hold until all are connected (the
/// bound socket must see every one of them), then churn for `seconds`, then exit. Returns the
/// process's summary line and the descriptors open here while all clients were connected.
async fn churn_round(
    peers: &AtomicUsize,
    endpoint: &str,
    clients: u64,
    seconds: u64,
) -> (String, usize) {
    let hold_ms = 1000;
    let mut peer = PeerProcess::start(
        PEER,
        &[
            "churn",
            endpoint,
            &clients.to_string(),
            &hold_ms.to_string(),
            &seconds.to_string(),
        ],
    );
    let connect_limit = Duration::from_secs(30 + clients / 50);
    peer.wait_line(connect_limit, "all clients connected", |l| {
        l.starts_with("HOLDING")
    })
    .await;
    wait_until(
        Duration::from_secs(10),
        "every client seen by the PULL",
        || peers.load(Ordering::SeqCst) as u64 >= clients,
    )
    .await;
    let fds_at_peak = open_fds(None);
    let done = peer
        .wait_line(Duration::from_secs(seconds + 60), "the churn to end", |l| {
            l.starts_with("DONE")
        })
        .await;
    assert!(peer.wait_exit(Duration::from_secs(10)).await.success());
    wait_until(
        Duration::from_secs(20),
        "every connection gone from the PULL",
        || peers.load(Ordering::SeqCst) == 0,
    )
    .await;
    (done, fds_at_peak)
}

/// Waits (bounded) until the open descriptors fall to `target` or below; returns the count.
async fn settled_fds(target: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut now = open_fds(None);
    while now > target && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        now = open_fds(None);
    }
    now
}

/// A warm-up round (connect all clients, churn 1 s) brings the runtime and the allocator to
/// their working size; then descriptors, live tasks and RSS are read, the main rounds run, and
/// they are read again once every connection is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_churning_connections_leak_no_descriptors_tasks_or_memory() {
    let clients = parameter("ZMTP_CHURN_CLIENTS", 1000);
    let seconds = parameter("ZMTP_CHURN_SECONDS", 5);
    let rounds = parameter("ZMTP_CHURN_ROUNDS", 1);
    let limit = ensure_nofile(clients + 200).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("descriptor limit {limit}; {clients} clients, {rounds} x {seconds} s of churn");
    let runtime = tokio::runtime::Handle::current().metrics();

    let mut pull = PullSocket::new();
    let endpoint = pull.bind("tcp://127.0.0.1:0").await.unwrap().to_string();
    let received = Arc::new(AtomicU64::new(0));
    let peers = Arc::new(AtomicUsize::new(0));
    // Owns the PULL: drains and checks what the clients send, and publishes its peer count.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let receiver = {
        let (received, peers) = (received.clone(), peers.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(5));
            loop {
                tokio::select! {
                    _ = &mut stopped => return pull,
                    _ = tick.tick() => peers.store(pull.connected_peers(), Ordering::SeqCst),
                    message = pull.recv() => {
                        check_seq_message(&message.unwrap()).unwrap_or_else(|e| panic!("{e}"));
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        })
    };

    let (warm_up, _) = churn_round(&peers, &endpoint, clients, 1).await;
    let fds_before = settled_fds(0).await;
    let tasks_before = runtime.num_alive_tasks();
    let mut rss_before = status_kib(None, "VmRSS");
    eprintln!("warm-up {warm_up:?}: {fds_before} fds, {tasks_before} tasks, RSS {rss_before} KiB");

    let started = Instant::now();
    let mut fds_at_peak = 0;
    for round in 1..=rounds {
        let (done, fds) = churn_round(&peers, &endpoint, clients, seconds).await;
        fds_at_peak = fds_at_peak.max(fds);
        let rss = status_kib(None, "VmRSS");
        eprintln!(
            "round {round} {done:?}: {fds} fds with {clients} connected; RSS {rss} KiB after"
        );
        if round == 1 && rounds > 1 {
            // A long run: the first full round finishes the allocator's warm-up.
            rss_before = rss;
        }
    }
    let fds_after = settled_fds(fds_before).await;
    wait_until(Duration::from_secs(10), "connection tasks to end", || {
        runtime.num_alive_tasks() <= tasks_before
    })
    .await;
    let rss_after = status_kib(None, "VmRSS");
    eprintln!(
        "churn: {:?}, {} messages received; fds {fds_before} before, {fds_at_peak} with \
         {clients} connected, {fds_after} after; RSS {rss_before} KiB before, {rss_after} KiB \
         after, peak {} KiB",
        started.elapsed(),
        received.load(Ordering::Relaxed),
        status_kib(None, "VmHWM"),
    );
    drop(stop);
    within(Duration::from_secs(5), "receiver", receiver)
        .await
        .unwrap();
    assert!(
        fds_at_peak as u64 >= clients,
        "{fds_at_peak} descriptors open with {clients} connections"
    );
    assert!(
        fds_after <= fds_before,
        "descriptors leaked: {fds_before} before, {fds_after} after"
    );
    let slack = clients * RSS_SLACK_PER_CLIENT_KIB;
    assert!(
        rss_after <= rss_before + slack,
        "RSS grew from {rss_before} KiB to {rss_after} KiB (more than {slack} KiB)"
    );
}
