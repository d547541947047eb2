//! A small system of services in one process, talking ZMTP over TCP loopback:
//!
//! 1. request-reply: a pricing service (REP) answers quotes for a client (REQ), first as a task
//!    beside its client (`inproc://pricing`), then as it would on another host
//!    (`tcp://127.0.0.1:0`): the same code, only the endpoint string changes;
//! 2. a pipeline: a ventilator (PUSH) spreads jobs over three workers (PULL → PUSH), whose
//!    results a sink (PULL) collects: round robin out, fair queuing in;
//! 3. publish-subscribe: a market feed (PUB) with two subscribers (SUB) on different topics,
//!    filtered at the publisher;
//! 4. backpressure: a producer (PUSH) feeding a deliberately slow consumer (PULL) waits instead
//!    of queueing without bound, and a publisher drops for a subscriber that stopped reading.
//!
//! cargo run --release -p zmtp-tokio --example microservices

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zmtp_tokio::{
    Endpoint, Message, Options, PubSocket, PullSocket, PushSocket, RepSocket, ReqSocket, SubSocket,
};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

// The multi-thread runtime: this process runs a dozen services at once, which spread over the
// cores (its pipeline measured 1.7-2.2M jobs/s here against 1.3-1.8M on current_thread, two
// runs each). `zmtp perf` uses current_thread: a process that only moves messages is faster
// on one thread.
#[tokio::main]
async fn main() -> Result {
    // A service starts life as a task in the process that uses it, and moves out when it must
    // scale: nothing but its endpoint changes.
    request_reply("inproc://pricing").await?;
    request_reply("tcp://127.0.0.1:0").await?;
    pipeline().await?;
    publish_subscribe().await?;
    backpressure().await?;
    Ok(())
}

fn text(frame: &[u8]) -> String {
    String::from_utf8_lossy(frame).into_owned()
}

async fn request_reply(address: &str) -> Result {
    println!("== request-reply: a pricing service on {address}");
    let mut pricing = RepSocket::new();
    let endpoint = pricing.bind(address).await?;
    println!("pricing service listening on {endpoint}");
    let service = tokio::spawn(async move {
        for _ in 0..3 {
            let request = pricing.recv().await?;
            let item = text(&request.frames()[0]);
            let cents = item.bytes().map(u64::from).sum::<u64>() * 7 % 10_000;
            pricing
                .send(Message::from_iter([
                    item,
                    format!("{}.{:02}", cents / 100, cents % 100),
                ]))
                .await?;
        }
        Ok::<_, zmtp_tokio::Error>(())
    });
    let mut client = ReqSocket::new();
    client.connect(&endpoint)?;
    for item in ["coffee", "croissant", "newspaper"] {
        let started = Instant::now();
        let reply = client.request(item).await?;
        println!(
            "  quote for {:<10} = {:>6} EUR  (round trip {:?})",
            text(&reply.frames()[0]),
            text(&reply.frames()[1]),
            started.elapsed()
        );
    }
    service.await??;
    println!();
    Ok(())
}

async fn pipeline() -> Result {
    println!("== pipeline: ventilator -> 3 workers -> sink");
    const JOBS: u64 = 30_000;
    let mut ventilator = PushSocket::new();
    let jobs = ventilator.bind("tcp://127.0.0.1:0").await?;
    let mut sink = PullSocket::new();
    let results = sink.bind("tcp://127.0.0.1:0").await?;

    let mut workers = Vec::new();
    for worker in 0..3u64 {
        let (jobs, results) = (jobs.clone(), results.clone());
        workers.push(tokio::spawn(async move {
            let mut input = PullSocket::new();
            input.connect(&jobs)?;
            let mut output = PushSocket::new();
            output.connect(&results)?;
            loop {
                let job = input.recv().await?;
                let n: u64 = text(&job.frames()[0]).parse().unwrap_or(0);
                let digest = (0..200).fold(n, |h, i| h.rotate_left(5) ^ (i * 0x9e37_79b9));
                output
                    .send(Message::from_iter([worker.to_string(), digest.to_string()]))
                    .await?;
            }
            #[allow(unreachable_code)]
            Ok::<_, zmtp_tokio::Error>(())
        }));
    }
    // Wait until every worker is connected, so that round robin spreads evenly.
    ventilator.wait_connected(3).await;
    let started = Instant::now();
    let producer = tokio::spawn(async move {
        for n in 0..JOBS {
            ventilator.send(n.to_string()).await?;
        }
        ventilator.close().await;
        Ok::<_, zmtp_tokio::Error>(())
    });
    let mut per_worker = [0u64; 3];
    for _ in 0..JOBS {
        let result = sink.recv().await?;
        let worker: usize = text(&result.frames()[0]).parse()?;
        per_worker[worker] += 1;
    }
    let elapsed = started.elapsed();
    producer.await??;
    // The workers serve for ever; this demo is done with them.
    for w in workers {
        w.abort();
    }
    println!(
        "  {JOBS} jobs in {elapsed:?} ({:.0} jobs/s); per worker: {per_worker:?}",
        JOBS as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

async fn subscriber(endpoint: &Endpoint, topic: &str) -> Result<SubSocket> {
    let sub = SubSocket::new();
    sub.subscribe(topic.to_owned())?;
    sub.connect(endpoint)?;
    Ok(sub)
}

async fn publish_subscribe() -> Result {
    println!("\n== publish-subscribe: a market feed");
    let mut feed = PubSocket::new();
    let endpoint = feed.bind("tcp://127.0.0.1:0").await?;
    let mut stocks = subscriber(&endpoint, "stock.").await?;
    let mut fx = subscriber(&endpoint, "fx.EUR").await?;
    // Both subscriptions have reached the publisher: nothing below is lost to a slow joiner.
    feed.wait_subscribers(2).await?;
    let mut delivered = 0;
    for tick in 0..1000u32 {
        for topic in [
            "stock.ACME",
            "stock.INIT",
            "fx.EURUSD",
            "fx.GBPUSD",
            "news.weather",
        ] {
            delivered += feed.publish(Message::from_iter([topic.to_owned(), tick.to_string()]))?;
        }
        // A publisher never waits, it drops for subscribers that fall behind by more than
        // their high-water mark (1000); this feed pauses briefly so that nobody does.
        if tick % 100 == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    for (name, sub) in [("stocks (stock.)", &mut stocks), ("fx (fx.EUR)", &mut fx)] {
        let mut count = 0;
        // The feed has no end marker: a quiet half second ends the count.
        while let Ok(m) = tokio::time::timeout(Duration::from_millis(500), sub.recv()).await {
            m?;
            count += 1;
        }
        println!("  {name:<16} received {count} ticks");
    }
    println!("  publisher queued {delivered} deliveries for 5000 ticks (news.weather and fx.GBP* went to nobody)");
    Ok(())
}

async fn backpressure() -> Result {
    println!("\n== backpressure");
    // Small high-water marks, and more messages than they and the kernel's TCP buffers hold
    // together: the producer runs ahead until everything in between is full, then goes at the
    // consumer's pace.
    const MESSAGES: usize = 500;
    const PACE: Duration = Duration::from_millis(1);
    let small = || Options::default().send_hwm(20).recv_hwm(20);
    let mut consumer = PullSocket::with_options(small())?;
    let endpoint = consumer.bind("tcp://127.0.0.1:0").await?;
    let mut producer = PushSocket::with_options(small())?;
    producer.connect(&endpoint)?;
    let consumed = Arc::new(AtomicUsize::new(0));
    let slow = tokio::spawn({
        let consumed = Arc::clone(&consumed);
        async move {
            let started = Instant::now();
            for _ in 0..MESSAGES {
                consumer.recv().await?;
                consumed.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(PACE).await;
            }
            // Per message, as it really went (a timer sleeps at least its time).
            Ok::<_, zmtp_tokio::Error>(started.elapsed() / MESSAGES as u32)
        }
    });
    let payload = zmtp_tokio::Bytes::from(vec![0u8; 64 * 1024]);
    let started = Instant::now();
    // When the consumer had taken at most a few messages, a send went "at once": into the
    // queues and buffers, not at the consumer's pace.
    let mut at_once = (0, Duration::ZERO);
    for sent in 1..=MESSAGES {
        producer.send(payload.clone()).await?;
        if consumed.load(Ordering::Relaxed) <= 2 {
            at_once = (sent, started.elapsed());
        }
    }
    let total = started.elapsed();
    let (first, burst) = at_once;
    let rest = MESSAGES - first;
    let pace = slow.await??;
    println!(
        "  producer sent {MESSAGES} x 64 KiB to a consumer sleeping {PACE:?} after each (HWM 20 on both sides):"
    );
    println!("    the first {first} went at once into the queues and TCP buffers ({burst:?})");
    if rest > 0 {
        println!(
            "    the other {rest} waited for room: {:?} each; the consumer took {pace:?} per message",
            (total - burst) / u32::try_from(rest)?
        );
    }

    let mut publisher = PubSocket::with_options(Options::default().send_hwm(50))?;
    let endpoint = publisher.bind("tcp://127.0.0.1:0").await?;
    let stalled = subscriber(&endpoint, "").await?; // subscribes, then never reads
    publisher.wait_subscribers(1).await?;
    let started = Instant::now();
    let mut queued = 0;
    for _ in 0..20_000 {
        queued += publisher.publish(vec![0u8; 4096])?;
    }
    println!(
        "  publisher sent 20000 x 4 KiB to a subscriber that stopped reading in {:?}: {} queued, {} dropped, never blocked",
        started.elapsed(),
        queued,
        20_000 - queued
    );
    drop(stalled);
    Ok(())
}
