//! The worker process: a [`Worker`] that quotes and books, until its standard input closes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use zmtp_rpc::{Bytes, HandlerError, Request, Worker};

/// The broker's and the workers' heartbeats: a worker silent for half a second is dead.
pub(crate) const HEARTBEAT: Duration = Duration::from_millis(100);
pub(crate) const LIVENESS: u32 = 5;

/// A booking waits for the exchange: five times a quote on average, so that bookings and
/// quotes each take about half of a worker's time, and the killed worker is running some of
/// both.
const BOOKING_TIME: Duration = Duration::from_millis(200);

/// The quote of `symbol`, "AAPL 123.45": the same on every worker, so that any one may answer.
pub(crate) fn quote(symbol: &str) -> String {
    let cents = 1_000 + fnv1a(symbol) % 99_000;
    format!("{symbol} {}.{:02}", cents / 100, cents % 100)
}

/// The confirmation of a booking of `symbol`, "booked AAPL 123.45".
pub(crate) fn booking(symbol: &str) -> String {
    format!("booked {}", quote(symbol))
}

/// How long pricing `symbol` takes: 20 to 60 ms.
fn pricing_time(symbol: &str) -> Duration {
    Duration::from_millis(20 + fnv1a(symbol) % 41)
}

/// The FNV-1a hash: stable across runs and Rust versions, unlike the standard hasher.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What this worker ran, by method: its report to the orchestrator when it stops.
#[derive(Debug, Default)]
struct Ran {
    quotes: AtomicUsize,
    books: AtomicUsize,
}

/// Serves the broker's backend at `endpoint` as `name` until standard input closes, then
/// shuts down gracefully and prints "ran QUOTES BOOKS COMPLETE" on standard output.
pub(crate) fn run(endpoint: &str, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (name, ran): (Arc<str>, _) = (name.into(), Arc::new(Ran::default()));
        let handler = {
            let ran = Arc::clone(&ran);
            move |request| serve(request, Arc::clone(&name), Arc::clone(&ran))
        };
        let working = Worker::connect(endpoint)?
            .heartbeat(HEARTBEAT, LIVENESS)
            .serve(handler);
        // The orchestrator stops this worker by closing our standard input; so does its death,
        // which leaves no worker behind.
        let stdin = || std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        tokio::task::spawn_blocking(stdin).await??;
        let report = working.shutdown().await;
        let quotes = ran.quotes.load(Ordering::Relaxed);
        let books = ran.books.load(Ordering::Relaxed);
        println!("ran {quotes} {books} {}", report.is_complete());
        Ok(())
    })
}

/// The handler: "quote" and "book", with the symbol as the body.
async fn serve(request: Request, name: Arc<str>, ran: Arc<Ran>) -> Result<Bytes, HandlerError> {
    let symbol = std::str::from_utf8(request.body()).map_err(|_| "the symbol is not UTF-8")?;
    match request.method() {
        "quote" => {
            ran.quotes.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(pricing_time(symbol)).await;
            Ok(format!("{} by {name}", quote(symbol)).into())
        }
        "book" => {
            ran.books.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(BOOKING_TIME).await;
            Ok(format!("{} by {name}", booking(symbol)).into())
        }
        _ => Err(HandlerError::UnknownMethod),
    }
}
