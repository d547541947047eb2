//! Case 2: one publisher, N subscribers, 64-byte messages.
//!
//! `publisher --impl zmtp|libzmq --n N --secs S --rate R`: an XPUB with XPUB_VERBOSE (both
//! implementations) binds, prints `ENDPOINT`, and counts subscription messages until all N
//! subscribers have subscribed. Then it takes getrusage and publishes for `--secs`: flat out
//! (`--rate 0`; copies are dropped at a subscriber's HWM of 1000, as ZeroMQ does) or paced at
//! R copies per second summed over the subscribers (R/N messages per second, on a deadline
//! schedule: every tick of at least 1 ms it sends what is due). After that it sends end markers
//! (1-byte messages, [`MARKERS`] of them [`MARKER_GAP`] apart), closes the socket with linger so
//! that queued copies are written (zmtp: `close().await`, which waits until the subscribers
//! have read everything; libzmq: zmq_close, then zmq_ctx_term), takes getrusage again and
//! prints `RESULT sent=.. cpu_us=.. maxrss_kib=..`: CPU from the first send to the end of the
//! close.
//!
//! `subscriber --endpoint E --n N`: N zmtp SUBs subscribed to everything, on a tokio
//! multi_thread runtime, each counting 64-byte messages until an end marker or [`IDLE`] without
//! a message. Prints `RESULT delivered=..` when all are done, or with what it has when its
//! stdin is closed.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zmtp_tokio::{Bytes, Options, SubSocket, XPubSocket};

use crate::args::{Flags, Impl};
use crate::process::on_current_thread;
use crate::process::{say, wait_stdin_eof};
use crate::rusage::Usage;

/// Bytes per published message.
pub const MESSAGE_SIZE: usize = 64;
/// End markers sent after publishing.
pub const MARKERS: usize = 10;
/// Pause between end markers.
pub const MARKER_GAP: Duration = Duration::from_millis(10);
/// A subscriber that has had messages stops after this long without one.
pub const IDLE: Duration = Duration::from_secs(3);
/// How long the publisher lingers on close.
const LINGER: Duration = Duration::from_secs(10);
/// Check the clock every this many messages when publishing flat out.
const CLOCK_EVERY: u64 = 64;

struct Plan {
    n: usize,
    window: Duration,
    /// Copies per second over all subscribers; 0: flat out.
    rate: f64,
    ramp_timeout: Duration,
    settle: Duration,
}

impl Plan {
    /// Messages per second when paced.
    fn message_rate(&self) -> f64 {
        self.rate / self.n as f64
    }
}

/// A deadline schedule: message `i` is due at `start + i / rate`; each wake-up sends what is
/// due, and wake-ups are at least [`TICK`] apart (tokio's timer resolution; libzmq's side
/// sleeps the same way so both make the same number of wake-ups).
struct Pacer {
    start: Instant,
    rate: f64,
}

const TICK: Duration = Duration::from_millis(1);

impl Pacer {
    /// Messages due by `now` (the first at `start`).
    fn due(&self, now: Instant) -> u64 {
        (now.duration_since(self.start).as_secs_f64() * self.rate) as u64 + 1
    }

    /// When to wake up next, `sent` messages having been sent at `now`.
    fn next_wake(&self, sent: u64, now: Instant) -> Instant {
        let next = self.start + Duration::from_secs_f64(sent as f64 / self.rate);
        next.max(now + TICK)
    }
}

pub fn publisher(flags: &Flags) -> Result<(), String> {
    let plan = Plan {
        n: flags.required("n")?,
        window: Duration::from_secs_f64(flags.get("secs", 2.0)?),
        rate: flags.get("rate", 0.0)?,
        ramp_timeout: Duration::from_secs_f64(flags.get("ramp-timeout", 60.0)?),
        settle: Duration::from_secs_f64(flags.get("settle", 0.1)?),
    };
    match flags.required::<Impl>("impl")? {
        Impl::Zmtp => on_current_thread(zmtp_publisher(&plan)),
        Impl::Libzmq => libzmq_publisher(&plan),
    }
}

/// Whether a message is a subscription ("\x01topic").
fn is_subscription(first_frame: &[u8]) -> bool {
    first_frame.first() == Some(&1)
}

async fn zmtp_publisher(plan: &Plan) -> Result<(), String> {
    let options = Options::default().xpub_verbose(true).linger(Some(LINGER));
    let mut xpub = XPubSocket::with_options(options).map_err(|e| e.to_string())?;
    let endpoint = xpub
        .bind("tcp://127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    say(format_args!("ENDPOINT {endpoint}"));

    let ramp_end = tokio::time::Instant::now() + plan.ramp_timeout;
    let mut subscribed = 0;
    while subscribed < plan.n {
        match tokio::time::timeout_at(ramp_end, xpub.recv()).await {
            Ok(m) => {
                let m = m.map_err(|e| e.to_string())?;
                if is_subscription(&m.frames()[0]) {
                    subscribed += 1;
                }
            }
            Err(_) => {
                return Err(format!(
                    "{subscribed} of {} subscriptions within {:.0?}",
                    plan.n, plan.ramp_timeout
                ))
            }
        }
    }
    tokio::time::sleep(plan.settle).await;

    let payload = Bytes::from(vec![0u8; MESSAGE_SIZE]);
    let before = Usage::now();
    let start = Instant::now();
    let end = start + plan.window;
    let mut sent = 0u64;
    // Copies queued: what `send` says it was queued for (the rest was dropped at an HWM).
    let mut queued = 0u64;
    if plan.rate > 0.0 {
        let pacer = Pacer {
            start,
            rate: plan.message_rate(),
        };
        loop {
            let now = Instant::now();
            if now >= end {
                break;
            }
            let due = pacer.due(now);
            while sent < due {
                queued += xpub
                    .send(payload.clone())
                    .await
                    .map_err(|e| e.to_string())? as u64;
                sent += 1;
            }
            tokio::time::sleep_until(pacer.next_wake(sent, now).into()).await;
        }
    } else {
        loop {
            queued += xpub
                .send(payload.clone())
                .await
                .map_err(|e| e.to_string())? as u64;
            sent += 1;
            if sent.is_multiple_of(CLOCK_EVERY) && Instant::now() >= end {
                break;
            }
        }
    }
    let send_secs = start.elapsed().as_secs_f64();
    let marker = Bytes::from_static(b"E");
    for _ in 0..MARKERS {
        xpub.send(marker.clone()).await.map_err(|e| e.to_string())?;
        tokio::time::sleep(MARKER_GAP).await;
    }
    let dropped = xpub.dropped_messages();
    let close = xpub.close().await;
    let secs = start.elapsed().as_secs_f64();
    let after = Usage::now();
    // Peers that left after their first end marker have the later markers (3 bytes each)
    // unconfirmed: counted, not printed.
    let unwritten: usize = close.undelivered().iter().map(|u| u.unwritten_bytes).sum();
    say(format_args!(
        "RESULT sent={sent} queued={queued} dropped={dropped} close_complete={} \
         close_undelivered_peers={} close_unwritten_bytes={unwritten} \
         send_secs={send_secs:.6} secs={secs:.6} {}",
        u8::from(close.is_complete()),
        close.undelivered().len(),
        after.fields_since(&before)
    ));
    Ok(())
}

fn libzmq_publisher(plan: &Plan) -> Result<(), String> {
    let e = |e: zmq::Error| e.to_string();
    let mut ctx = zmq::Context::new();
    let xpub = ctx.socket(zmq::XPUB).map_err(e)?;
    xpub.set_xpub_verbose(true).map_err(e)?;
    xpub.set_linger(LINGER.as_millis() as i32).map_err(e)?;
    xpub.set_backlog(1024).map_err(e)?; // as tokio's listener; set-up only
    xpub.set_rcvtimeo(100).map_err(e)?;
    xpub.bind("tcp://127.0.0.1:*").map_err(e)?;
    let endpoint = xpub
        .get_last_endpoint()
        .map_err(e)?
        .map_err(|_| "endpoint is not UTF-8".to_string())?;
    say(format_args!("ENDPOINT {endpoint}"));

    let ramp_end = Instant::now() + plan.ramp_timeout;
    let mut subscribed = 0;
    while subscribed < plan.n {
        match xpub.recv_msg(0) {
            Ok(m) => {
                if is_subscription(&m) {
                    subscribed += 1;
                }
            }
            Err(zmq::Error::EAGAIN) => {}
            Err(err) => return Err(err.to_string()),
        }
        if Instant::now() > ramp_end {
            return Err(format!(
                "{subscribed} of {} subscriptions within {:.0?}",
                plan.n, plan.ramp_timeout
            ));
        }
    }
    std::thread::sleep(plan.settle);

    let payload = [0u8; MESSAGE_SIZE];
    let before = Usage::now();
    let start = Instant::now();
    let end = start + plan.window;
    let mut sent = 0u64;
    if plan.rate > 0.0 {
        let pacer = Pacer {
            start,
            rate: plan.message_rate(),
        };
        loop {
            let now = Instant::now();
            if now >= end {
                break;
            }
            let due = pacer.due(now);
            while sent < due {
                xpub.send(&payload[..], 0).map_err(e)?;
                sent += 1;
            }
            let wake = pacer.next_wake(sent, now);
            std::thread::sleep(wake.saturating_duration_since(Instant::now()));
        }
    } else {
        loop {
            xpub.send(&payload[..], 0).map_err(e)?;
            sent += 1;
            if sent.is_multiple_of(CLOCK_EVERY) && Instant::now() >= end {
                break;
            }
        }
    }
    let send_secs = start.elapsed().as_secs_f64();
    for _ in 0..MARKERS {
        xpub.send(&b"E"[..], 0).map_err(e)?;
        std::thread::sleep(MARKER_GAP);
    }
    drop(xpub); // zmq_close
    ctx.destroy().map_err(e)?; // zmq_ctx_term: waits (up to linger) until queues are written
    let secs = start.elapsed().as_secs_f64();
    let after = Usage::now();
    say(format_args!(
        "RESULT sent={sent} send_secs={send_secs:.6} secs={secs:.6} {}",
        after.fields_since(&before)
    ));
    Ok(())
}

/// Totals of the subscriber process, shared by its tasks.
#[derive(Default)]
struct Counts {
    delivered: AtomicU64,
    /// Subscribers that stopped (end marker or idle).
    finished: AtomicUsize,
    /// Subscribers that stopped on an end marker.
    marked: AtomicUsize,
    reported: AtomicBool,
}

impl Counts {
    /// Prints the RESULT line once (the tasks ending and stdin closing may race).
    fn report(&self, partial: bool, per_sub: Option<(u64, u64)>) {
        if self.reported.swap(true, Ordering::SeqCst) {
            return;
        }
        let (min, max) = per_sub.unwrap_or((0, 0));
        say(format_args!(
            "RESULT delivered={} finished={} marked={} partial={} min_per_sub={min} max_per_sub={max}",
            self.delivered.load(Ordering::SeqCst),
            self.finished.load(Ordering::SeqCst),
            self.marked.load(Ordering::SeqCst),
            u8::from(partial)
        ));
    }
}

pub fn subscriber(flags: &Flags) -> Result<(), String> {
    let endpoint: String = flags.required("endpoint")?;
    let n: usize = flags.required("n")?;
    let counts = Arc::new(Counts::default());
    {
        let counts = Arc::clone(&counts);
        std::thread::spawn(move || {
            wait_stdin_eof();
            counts.report(true, None);
            std::process::exit(0);
        });
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let per_sub = rt.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let endpoint = endpoint.clone();
            let counts = Arc::clone(&counts);
            tasks.spawn(async move { count_until_end(&endpoint, &counts).await });
        }
        let mut per_sub = Vec::with_capacity(n);
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(count)) => per_sub.push(count),
                Ok(Err(e)) => eprintln!("subscriber: {e}"),
                Err(e) => eprintln!("subscriber: task failed: {e}"),
            }
        }
        per_sub
    });
    let min = per_sub.iter().copied().min().unwrap_or(0);
    let max = per_sub.iter().copied().max().unwrap_or(0);
    counts.report(false, Some((min, max)));
    // Exit without waiting for the sockets' linger.
    std::process::exit(0);
}

/// One SUB: counts data messages until an end marker, or [`IDLE`] without a message once
/// messages have started.
async fn count_until_end(endpoint: &str, counts: &Counts) -> Result<u64, String> {
    let mut sub = SubSocket::new();
    sub.subscribe("").map_err(|e| e.to_string())?;
    sub.connect(endpoint).map_err(|e| e.to_string())?;
    let mut count = 0u64;
    loop {
        let message = if count == 0 {
            sub.recv().await
        } else {
            match tokio::time::timeout(IDLE, sub.recv()).await {
                Ok(m) => m,
                Err(_) => break,
            }
        };
        let message = message.map_err(|e| e.to_string())?;
        if message.byte_len() == MESSAGE_SIZE {
            count += 1;
            counts.delivered.fetch_add(1, Ordering::Relaxed);
        } else {
            counts.marked.fetch_add(1, Ordering::SeqCst);
            break;
        }
    }
    counts.finished.fetch_add(1, Ordering::SeqCst);
    Ok(count)
}
