//! Soak: PUSH/PULL, PUB/SUB and REQ/REP at a high rate for a bounded time, with the bound side
//! of each pattern restarted (its socket closed or dropped and bound again) every few seconds.
//! Prints, at the end, the messages sent, received and lost per pattern, the peak RSS (VmHWM),
//! and the open file descriptors and live tasks at the start and the end; exits with status 1
//! when an invariant is broken (a message damaged, duplicated or reordered, a request left
//! unanswered, a descriptor or task left behind).
//!
//! ```text
//! cargo run --release -p zmtp-tests --example soak -- --seconds 600 [--restart-every 5]
//! ```
//!
//! Outside the default test command; docs/SOAK.md records a run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{timeout, timeout_at, Instant};
use zmtp_tests::faults::{check_seq_message, open_fds, seq_message, status_kib};
use zmtp_tests::socket_harness::{bind_retrying, Transport};
use zmtp_tokio::{
    Endpoint, Options, PubSocket, PullSocket, PushSocket, RepSocket, ReqSocket, SubSocket,
};

const PUSHERS: usize = 2;
const SUBSCRIBERS: usize = 2;
/// Limit on any one operation that must not hang (a send to a live endpoint, a bind).
const STALL: Duration = Duration::from_secs(10);
/// Time given at the end to deliver what is still queued.
const DRAIN: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
struct Counts {
    sent: AtomicU64,
    received: AtomicU64,
    lost: AtomicU64,
    /// Duplicated, reordered or damaged messages, unanswered requests, stalls: must stay 0.
    broken: AtomicU64,
    restarts: AtomicU64,
    /// REQ/REP: requests resent on a new socket after a timeout.
    retries: AtomicU64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// When the bound side of a pattern is due for its next restart.
struct Restarts {
    every: Duration,
    next: Instant,
}

impl Restarts {
    fn new(every: Duration, offset: Duration) -> Restarts {
        Restarts {
            every,
            next: Instant::now() + every + offset,
        }
    }

    /// Whether a restart is due now (and schedules the next one).
    fn due(&mut self) -> bool {
        if Instant::now() < self.next {
            return false;
        }
        self.next += self.every;
        true
    }
}

fn main() {
    let mut seconds = 60u64;
    let mut restart_every = 5u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{arg} needs a number"))
        };
        match arg.as_str() {
            "--seconds" => seconds = value(),
            "--restart-every" => restart_every = value(),
            other => panic!("unknown argument {other} (--seconds N, --restart-every N)"),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let ok = runtime.block_on(soak(
        Duration::from_secs(seconds),
        Duration::from_secs(restart_every),
    ));
    drop(runtime);
    std::process::exit(if ok { 0 } else { 1 });
}

async fn soak(length: Duration, restart_every: Duration) -> bool {
    let metrics = tokio::runtime::Handle::current().metrics();
    let fds_start = open_fds(None);
    let tasks_start = metrics.num_alive_tasks();
    let rss_start = status_kib(None, "VmRSS");
    let deadline = Instant::now() + length;
    let third = restart_every / 3;
    let (pipeline_counts, pubsub_counts, reqrep_counts) = (
        Arc::new(Counts::default()),
        Arc::new(Counts::default()),
        Arc::new(Counts::default()),
    );
    let pipeline = tokio::spawn(pipeline(
        deadline,
        Restarts::new(restart_every, Duration::ZERO),
        pipeline_counts.clone(),
    ));
    let pubsub = tokio::spawn(pubsub(
        deadline,
        Restarts::new(restart_every, third),
        pubsub_counts.clone(),
    ));
    let reqrep = tokio::spawn(reqrep(
        deadline,
        Restarts::new(restart_every, third * 2),
        reqrep_counts.clone(),
    ));
    let mut rss_max_after_first_minute = 0;
    let mut rss_at_one_minute = None;
    let started = Instant::now();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(10).min(length)).await;
        let rss = status_kib(None, "VmRSS");
        if started.elapsed() >= Duration::from_secs(60) {
            rss_at_one_minute.get_or_insert(rss);
            rss_max_after_first_minute = rss_max_after_first_minute.max(rss);
        }
        eprintln!(
            "{:>4} s: push/pull {} received, pub/sub {} received, req/rep {} replies; RSS {rss} \
             KiB, {} fds",
            started.elapsed().as_secs(),
            get(&pipeline_counts.received),
            get(&pubsub_counts.received),
            get(&reqrep_counts.received),
            open_fds(None)
        );
    }
    for (name, task) in [
        ("pipeline", pipeline),
        ("pubsub", pubsub),
        ("reqrep", reqrep),
    ] {
        if timeout(DRAIN * 3, task).await.is_err() {
            eprintln!("{name} did not finish");
            return false;
        }
    }
    // Sockets are closed; their tasks end once their connections have.
    let settle = Instant::now() + Duration::from_secs(10);
    while (open_fds(None) > fds_start || metrics.num_alive_tasks() > tasks_start)
        && Instant::now() < settle
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fds_end = open_fds(None);
    let tasks_end = metrics.num_alive_tasks();
    let rss_end = status_kib(None, "VmRSS");

    println!(
        "soak: {} s, bound side restarted every {} s",
        length.as_secs(),
        restart_every.as_secs()
    );
    println!();
    println!("| pattern | sent | received | lost | broken | restarts | notes |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    let row = |name: &str, c: &Counts, notes: String| {
        println!(
            "| {name} | {} | {} | {} | {} | {} | {notes} |",
            get(&c.sent),
            get(&c.received),
            get(&c.lost),
            get(&c.broken),
            get(&c.restarts)
        );
    };
    row(
        "PUSH/PULL",
        &pipeline_counts,
        format!("{PUSHERS} pushers, 1 puller"),
    );
    row(
        "PUB/SUB",
        &pubsub_counts,
        format!("{SUBSCRIBERS} subscribers; sent = queued for a subscriber"),
    );
    row(
        "REQ/REP",
        &reqrep_counts,
        format!("lazy pirate, {} retries", get(&reqrep_counts.retries)),
    );
    println!();
    println!("| resource | start | end |");
    println!("|---|---:|---:|");
    println!("| open file descriptors | {fds_start} | {fds_end} |");
    println!("| live tokio tasks | {tasks_start} | {tasks_end} |");
    println!("| RSS (KiB) | {rss_start} | {rss_end} |");
    if let Some(at_one_minute) = rss_at_one_minute {
        println!("| RSS after 1 min, and its maximum after (KiB) | {at_one_minute} | {rss_max_after_first_minute} |");
    }
    println!(
        "| peak RSS, VmHWM (KiB) | | {} |",
        status_kib(None, "VmHWM")
    );

    let broken = [&pipeline_counts, &pubsub_counts, &reqrep_counts]
        .iter()
        .map(|c| get(&c.broken))
        .sum::<u64>();
    let ok = broken == 0 && fds_end <= fds_start && tasks_end <= tasks_start;
    println!();
    println!("{}", if ok { "PASS" } else { "FAIL" });
    ok
}

/// Options of the connecting sockets: quick reconnects (10 ms, backing off to 200 ms), since
/// the bound side comes back within milliseconds of a restart.
fn reconnecting() -> Options {
    Options::default().reconnect(Duration::from_millis(10), Some(Duration::from_millis(200)))
}

/// Per-sender sequence tracking on the receiving side.
struct Tracker {
    next: Vec<u64>,
    counts: Arc<Counts>,
}

impl Tracker {
    fn new(senders: usize, counts: Arc<Counts>) -> Tracker {
        Tracker {
            next: vec![0; senders],
            counts,
        }
    }

    fn record(&mut self, message: &zmtp_tokio::Message) {
        let (tag, seq) = match check_seq_message(message) {
            Ok(checked) => checked,
            Err(e) => {
                eprintln!("damaged message: {e}");
                add(&self.counts.broken, 1);
                return;
            }
        };
        let next = &mut self.next[usize::from(tag[0])];
        if seq < *next {
            eprintln!("sender {}: {seq} after {}", tag[0], *next - 1);
            add(&self.counts.broken, 1);
            return;
        }
        add(&self.counts.lost, seq - *next);
        add(&self.counts.received, 1);
        *next = seq + 1;
    }
}

/// PUSHERS connectors send numbered messages as fast as the pipeline takes them; the PULL is
/// restarted periodically. Lost: what the closed PULL held or what was in flight to it.
async fn pipeline(deadline: Instant, mut restarts: Restarts, counts: Arc<Counts>) {
    let endpoint: Endpoint = Transport::Tcp.free_endpoint().parse().unwrap();
    let mut senders = Vec::new();
    for sender in 0..PUSHERS {
        let mut push = PushSocket::with_options(reconnecting()).unwrap();
        push.connect(&endpoint).unwrap();
        let counts = counts.clone();
        senders.push(tokio::spawn(async move {
            let mut seq = 0u64;
            while Instant::now() < deadline {
                let message = seq_message(&[sender as u8], seq, 1, 256);
                match timeout(STALL, push.send(message)).await {
                    Ok(Ok(())) => {
                        seq += 1;
                        add(&counts.sent, 1);
                    }
                    Ok(Err(e)) => panic!("push: {e}"),
                    Err(_) => {
                        eprintln!("push {sender}: send stalled for {STALL:?}");
                        add(&counts.broken, 1);
                    }
                }
                if seq % 64 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            (push, seq)
        }));
    }
    let mut tracker = Tracker::new(PUSHERS, counts.clone());
    let mut pull = PullSocket::new();
    bind_retrying(&pull, &endpoint, STALL).await;
    let mut generation = 0u64;
    while Instant::now() < deadline {
        if restarts.due() {
            generation += 1;
            if generation % 2 == 0 {
                pull.close().await;
            } else {
                drop(pull);
            }
            pull = PullSocket::new();
            bind_retrying(&pull, &endpoint, STALL).await;
            add(&counts.restarts, 1);
        }
        if let Ok(Ok(message)) = timeout_at(restarts.next.min(deadline), pull.recv()).await {
            tracker.record(&message);
        }
    }
    let mut pushes = Vec::new();
    let mut sent = Vec::new();
    for sender in senders {
        let (push, count) = sender.await.unwrap();
        pushes.push(push);
        sent.push(count);
    }
    let drain_end = Instant::now() + DRAIN;
    while tracker.next.iter().zip(&sent).any(|(n, s)| n < s) {
        match timeout_at(drain_end, pull.recv()).await {
            Ok(Ok(message)) => tracker.record(&message),
            _ => break,
        }
    }
    for (next, sent) in tracker.next.iter().zip(&sent) {
        add(&counts.lost, sent - next);
    }
    drop(pushes);
    pull.close().await;
}

/// A PUB publishes numbered messages (about 20 000 a second) to SUBSCRIBERS subscribers; the
/// PUB is restarted periodically and the subscribers reconnect and subscribe again. Sent counts
/// the messages queued for a subscriber; lost: those queued but not received (dropped with the
/// old PUB's queues, or at a subscriber's high-water mark).
async fn pubsub(deadline: Instant, mut restarts: Restarts, counts: Arc<Counts>) {
    let endpoint: Endpoint = Transport::Tcp.free_endpoint().parse().unwrap();
    let mut subscribers = Vec::new();
    for subscriber in 0..SUBSCRIBERS {
        let mut sub = SubSocket::with_options(reconnecting()).unwrap();
        sub.subscribe("T").unwrap();
        sub.connect(&endpoint).unwrap();
        let counts = counts.clone();
        subscribers.push(tokio::spawn(async move {
            let mut last = None;
            while let Ok(Ok(message)) =
                timeout_at(deadline + Duration::from_secs(2), sub.recv()).await
            {
                match check_seq_message(&message) {
                    Ok((_, seq)) if last < Some(seq) => {
                        last = Some(seq);
                        add(&counts.received, 1);
                    }
                    other => {
                        eprintln!("subscriber {subscriber}: {other:?} after {last:?}");
                        add(&counts.broken, 1);
                    }
                }
            }
            sub.close().await;
        }));
    }
    let mut publisher = PubSocket::new();
    bind_retrying(&publisher, &endpoint, STALL).await;
    let mut seq = 0u64;
    while Instant::now() < deadline {
        if restarts.due() {
            drop(publisher);
            publisher = PubSocket::new();
            bind_retrying(&publisher, &endpoint, STALL).await;
            add(&counts.restarts, 1);
        }
        let queued = publisher.publish(seq_message(b"T", seq, 1, 128)).unwrap();
        add(&counts.sent, queued as u64);
        seq += 1;
        if seq % 20 == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    for subscriber in subscribers {
        subscriber.await.unwrap();
    }
    counts
        .lost
        .store(get(&counts.sent) - get(&counts.received), Ordering::Relaxed);
    publisher.close().await;
}

/// A lazy-pirate REQ client (reply timeout 500 ms: close, reopen, resend) against a REP server
/// restarted periodically. Every request must get its own reply: lost must stay 0.
async fn reqrep(deadline: Instant, mut restarts: Restarts, counts: Arc<Counts>) {
    let endpoint: Endpoint = Transport::Tcp.free_endpoint().parse().unwrap();
    let client_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = {
        let (endpoint, counts, done) = (endpoint.clone(), counts.clone(), client_done.clone());
        tokio::spawn(async move {
            let options = reconnecting().linger(Some(Duration::ZERO));
            let mut socket: Option<ReqSocket> = None;
            let mut seq = 0u64;
            while Instant::now() < deadline {
                let request = seq.to_string();
                add(&counts.sent, 1);
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    if attempts > 40 {
                        eprintln!("request {seq}: no reply after 40 attempts");
                        add(&counts.broken, 1);
                        add(&counts.lost, 1);
                        break;
                    }
                    let req = socket.get_or_insert_with(|| {
                        let req = ReqSocket::with_options(options.clone()).unwrap();
                        req.connect(&endpoint).unwrap();
                        req
                    });
                    let exchange = async {
                        req.send(request.clone()).await?;
                        req.recv().await
                    };
                    match timeout(Duration::from_millis(500), exchange).await {
                        Ok(Ok(reply)) if reply.frames()[0] == request.as_bytes() => {
                            add(&counts.received, 1);
                            break;
                        }
                        Ok(other) => {
                            eprintln!("request {seq}: {other:?}");
                            add(&counts.broken, 1);
                            break;
                        }
                        Err(_) => {
                            add(&counts.retries, 1);
                            socket = None;
                        }
                    }
                }
                seq += 1;
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let mut rep = RepSocket::new();
    bind_retrying(&rep, &endpoint, STALL).await;
    while !client_done.load(Ordering::SeqCst) {
        if restarts.due() {
            drop(rep);
            rep = RepSocket::new();
            bind_retrying(&rep, &endpoint, STALL).await;
            add(&counts.restarts, 1);
        }
        let until = restarts
            .next
            .min(Instant::now() + Duration::from_millis(100));
        if let Ok(Ok(request)) = timeout_at(until, rep.recv()).await {
            rep.send(request).await.unwrap();
        }
    }
    client.await.unwrap();
    rep.close().await;
}
