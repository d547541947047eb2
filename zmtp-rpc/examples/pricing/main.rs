//! The demo of issue 17: a pricing service of three worker processes behind a [`Broker`], a
//! [`Client`] making hundreds of concurrent calls with deadlines, one worker killed partway
//! through, and the printed outcome.
//!
//! ```text
//! cargo run --release -p zmtp-rpc --example pricing
//! ```
//!
//! Run without arguments, the binary is the orchestrator. It binds a broker on TCP loopback,
//! starts three worker processes (itself again, as `pricing worker ENDPOINT NAME`), waits
//! until the broker has all three, and makes 360 calls, 32 in flight, each with a 2 s
//! deadline:
//!
//! - 300 quotes, idempotent ([`Retry::Idempotent`]): a quote running on the killed worker is
//!   run again on a survivor by the broker, and answered in time all the same;
//! - 60 bookings, not idempotent: one running on the killed worker fails at once with
//!   [`Error::WorkerLost`](zmtp_rpc::Error::WorkerLost) and is not run a second time.
//!
//! After a third of the replies it kills worker-B (`Child::kill`: SIGKILL, so no reply and no
//! goodbye); the missing heartbeats (every 100 ms, dead after 5) tell the broker within about
//! half a second, and the two survivors carry on. At the end the survivors stop gracefully and
//! say what they ran. The outcome says who answered what, what was retried or lost, the
//! latencies and the broker's counters, and is checked: the process exits with status 1 if
//! anything went other than promised (a call without a typed answer, a wrong price, a missed
//! deadline, a reply to a call already answered, a request dispatched more often than the
//! broker retried it, a survivor that ran a call whose answer did not reach the caller, such
//! as a booking that failed with WorkerLost).

mod fleet;
mod outcome;
mod worker;

use std::error::Error;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use zmtp_rpc::{Broker, Brokering, Client, Retry};
use zmtp_tokio::RouterSocket;

use fleet::{Fleet, NAMES};
use outcome::{Method, Outcome, Run};

/// Calls in all: every sixth a booking, the others quotes.
const CALLS: usize = 360;
const BOOK_EVERY: usize = 6;
/// Calls waiting for their reply at any moment.
const IN_FLIGHT: usize = 32;
const DEADLINE: Duration = Duration::from_secs(2);
/// Requests one worker runs at once.
const PER_WORKER: usize = 8;
/// The worker killed, and when: after this many replies.
const VICTIM: &str = "worker-B";
const KILL_AFTER: usize = CALLS / 3;
/// Seven symbols, so that the bookings (every sixth call) go round them all.
const SYMBOLS: [&str; 7] = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "TSLA", "META"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [] => orchestrate(),
        [mode, endpoint, name] if mode == "worker" => worker::run(endpoint, name),
        _ => Err("usage: pricing [worker ENDPOINT NAME]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pricing: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Broker, workers, calls, kill, outcome.
fn orchestrate() -> Result<(), Box<dyn Error>> {
    tokio::runtime::Runtime::new()?.block_on(async {
        let (brokering, clients, workers) = start_broker().await?;
        println!("pricing: broker at {clients} for clients, {workers} for workers");
        let mut fleet = Fleet::spawn(&workers)?;
        wait_ready(&brokering).await?;
        println!("pricing: ready: {}", fleet.describe());

        let client = Client::connect(clients.as_str())?;
        let client = client.with_retry(Retry::Idempotent { attempts: 1 });
        println!(
            "pricing: {CALLS} calls ({} quotes, {} bookings), {IN_FLIGHT} in flight, \
             each with a {DEADLINE:?} deadline",
            CALLS - CALLS / BOOK_EVERY,
            CALLS / BOOK_EVERY
        );
        let started = Instant::now();
        let outcomes = make_calls(&client, &mut fleet, &brokering).await?;
        let (returned, took) = (outcomes.len(), started.elapsed().as_secs_f64());
        println!("pricing: {returned} calls returned in {took:.2} s\n");

        // The counters now, before the survivors leave (which the broker counts as lost).
        let (broker, client) = (brokering.stats(), client.stats());
        let survivors = fleet.stop().await;
        let broker_complete = brokering.shutdown().await.is_complete();
        let run = Run {
            outcomes,
            broker,
            client,
            survivors,
            broker_complete,
        };
        let problems = outcome::report(&run);
        if problems.is_empty() {
            println!("\nOK: every quote answered with the right price, in time; every booking");
            println!("    booked or failed with WorkerLost, none run again on a survivor;");
            println!("    no call answered twice");
            return Ok(());
        }
        for problem in &problems {
            println!("UNEXPECTED: {problem}");
        }
        Err(format!("{} unexpected outcomes", problems.len()).into())
    })
}

/// A broker on TCP loopback with the demo's heartbeats; its client and worker endpoints.
async fn start_broker() -> Result<(Brokering, String, String), Box<dyn Error>> {
    let (frontend, backend) = (RouterSocket::new(), RouterSocket::new());
    let clients = frontend.bind("tcp://127.0.0.1:0").await?.to_string();
    let workers = backend.bind("tcp://127.0.0.1:0").await?.to_string();
    let brokering = Broker::new(frontend, backend)
        .max_per_worker(PER_WORKER)
        .heartbeat(worker::HEARTBEAT, worker::LIVENESS)
        .start();
    Ok((brokering, clients, workers))
}

/// Waits until every worker process has said READY to the broker.
async fn wait_ready(brokering: &Brokering) -> Result<(), Box<dyn Error>> {
    let all_ready = async {
        let mut poll = tokio::time::interval(Duration::from_millis(10));
        while brokering.stats().workers < NAMES.len() as u64 {
            poll.tick().await;
        }
    };
    let within = Duration::from_secs(10);
    tokio::time::timeout(within, all_ready)
        .await
        .map_err(|_| format!("the workers were not all ready within {within:?}").into())
}

/// Makes the calls, `IN_FLIGHT` at a time, kills the victim after `KILL_AFTER` replies and
/// says when the broker found out. The outcomes in the order they returned.
async fn make_calls(
    client: &Client,
    fleet: &mut Fleet,
    brokering: &Brokering,
) -> Result<Vec<Outcome>, Box<dyn Error>> {
    let next = Arc::new(AtomicUsize::new(0));
    let (returned, mut outcomes) = mpsc::unbounded_channel();
    for _ in 0..IN_FLIGHT {
        let (client, next, returned) = (client.clone(), Arc::clone(&next), returned.clone());
        tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= CALLS || returned.send(call(&client, index).await).is_err() {
                    break;
                }
            }
        });
    }
    drop(returned); // the channel closes when the last caller is done
    let (mut all, mut killed) = (Vec::with_capacity(CALLS), None);
    while let Some(outcome) = outcomes.recv().await {
        all.push(outcome);
        if all.len() == KILL_AFTER {
            let pid = fleet.kill(VICTIM)?;
            println!("pricing: killed {VICTIM} (pid {pid}, SIGKILL) after {KILL_AFTER} replies");
            killed = Some(Instant::now());
        }
        // The survivors' replies keep coming meanwhile: the broker is asked at each.
        if let Some(at) = killed.filter(|_| brokering.stats().workers_lost > 0) {
            let after = at.elapsed().as_secs_f64();
            println!("pricing: the broker found {VICTIM} dead {after:.2} s after the kill");
            killed = None;
        }
    }
    Ok(all)
}

/// Call number `index`: a quote, or every `BOOK_EVERY`th a booking, which must not run twice.
async fn call(client: &Client, index: usize) -> Outcome {
    let symbol = SYMBOLS[index % SYMBOLS.len()];
    let started = Instant::now();
    let deadline = Some(DEADLINE);
    let (method, result) = if index % BOOK_EVERY == BOOK_EVERY - 1 {
        let book = client.call_with("book", symbol, deadline, Retry::Never);
        (Method::Book, book.await)
    } else {
        // The client's own policy: Retry::Idempotent.
        (Method::Quote, client.call("quote", symbol, deadline).await)
    };
    Outcome::of(method, symbol, started.elapsed(), result)
}
