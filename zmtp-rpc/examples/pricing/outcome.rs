//! What the calls came to: printed, and checked against what the demo promises.

use std::time::Duration;

use zmtp_rpc::{BrokerStats, Bytes, ClientStats, Error};

use crate::fleet::{Survivor, NAMES};
use crate::worker::{booking, quote};
use crate::{CALLS, VICTIM};

/// The two methods of the pricing service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Idempotent: run again on another worker if its worker dies.
    Quote,
    /// Not idempotent: fails with `Error::WorkerLost` if its worker dies.
    Book,
}

/// How one call ended.
#[derive(Debug)]
pub(crate) enum Answer {
    /// The right answer, from this worker.
    By(&'static str),
    WorkerLost,
    DeadlineMissed,
    /// A wrong answer, or another error.
    Unexpected(String),
}

/// One call: its method, how long it took, how it ended.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) method: Method,
    pub(crate) latency: Duration,
    pub(crate) answer: Answer,
}

impl Outcome {
    /// The outcome of a call of `method` for `symbol` that returned `result`.
    pub(crate) fn of(
        method: Method,
        symbol: &str,
        latency: Duration,
        result: zmtp_rpc::Result<Bytes>,
    ) -> Outcome {
        let expected = match method {
            Method::Quote => quote(symbol),
            Method::Book => booking(symbol),
        };
        let answer = match result {
            Ok(reply) => {
                let text = String::from_utf8_lossy(&reply);
                let by = text
                    .strip_prefix(&expected)
                    .and_then(|by| by.strip_prefix(" by "));
                match NAMES.into_iter().find(|name| by == Some(*name)) {
                    Some(name) => Answer::By(name),
                    None => Answer::Unexpected(format!("{method:?} {symbol}: {text:?}")),
                }
            }
            Err(Error::WorkerLost) => Answer::WorkerLost,
            Err(Error::DeadlineExceeded) => Answer::DeadlineMissed,
            Err(error) => Answer::Unexpected(format!("{method:?} {symbol}: {error}")),
        };
        Outcome {
            method,
            latency,
            answer,
        }
    }
}

/// Everything the orchestrator learned.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) outcomes: Vec<Outcome>,
    /// The broker's counters once every call had returned.
    pub(crate) broker: BrokerStats,
    pub(crate) client: ClientStats,
    pub(crate) survivors: Result<Vec<Survivor>, String>,
    /// Whether the broker's graceful shutdown found nothing unanswered or unflushed.
    pub(crate) broker_complete: bool,
}

impl Run {
    /// The calls of `method` that ended as `matches` says.
    fn count(&self, method: Method, matches: impl Fn(&Answer) -> bool) -> usize {
        let calls = self.outcomes.iter().filter(|o| o.method == method);
        calls.filter(|o| matches(&o.answer)).count()
    }

    /// The calls of `method` answered by `worker`.
    fn answered_by(&self, method: Method, worker: &str) -> usize {
        let by_worker = |answer: &Answer| matches!(answer, Answer::By(by) if *by == worker);
        self.count(method, by_worker)
    }

    /// "300 of 300 answered: worker-A 118, worker-B 40 (killed), worker-C 142".
    fn answered(&self, method: Method, verb: &str) -> String {
        let all = self.count(method, |_| true);
        let answered = self.count(method, |answer| matches!(answer, Answer::By(_)));
        let by: Vec<String> = (NAMES.into_iter())
            .map(|name| {
                let killed = if name == VICTIM { " (killed)" } else { "" };
                format!("{name} {}{killed}", self.answered_by(method, name))
            })
            .collect();
        format!("{answered} of {all} {verb}: {}", by.join(", "))
    }

    /// "p50 12 ms, p99 602 ms, max 610 ms" of the calls of `method`.
    fn latency(&self, method: Method) -> String {
        let mut latencies: Vec<Duration> = (self.outcomes.iter())
            .filter(|o| o.method == method)
            .map(|o| o.latency)
            .collect();
        latencies.sort();
        let ms = |percent: usize| {
            let rank = (latencies.len() * percent).div_ceil(100).max(1);
            latencies.get(rank - 1).map_or(0, Duration::as_millis)
        };
        format!("p50 {} ms, p99 {} ms, max {} ms", ms(50), ms(99), ms(100))
    }
}

/// Prints the outcome; what went other than promised, if anything.
pub(crate) fn report(run: &Run) -> Vec<String> {
    let lost = |answer: &Answer| matches!(answer, Answer::WorkerLost);
    let missed = |answer: &Answer| matches!(answer, Answer::DeadlineMissed);
    let books_lost = run.count(Method::Book, lost);
    let deadlines_missed = run.count(Method::Quote, missed) + run.count(Method::Book, missed);
    let BrokerStats {
        received,
        dispatched,
        answered,
        retried,
        failed_lost,
        expired,
        workers_lost,
        stray_replies,
        ..
    } = run.broker;
    let resent = run.client.retries;
    let complete = run.broker_complete;

    println!("quotes     {}", run.answered(Method::Quote, "answered"));
    let booked = run.answered(Method::Book, "booked");
    println!("bookings   {booked}; {books_lost} failed with WorkerLost");
    println!(
        "retried    {retried} quotes of {VICTIM} run again on a survivor by the broker; \
         {resent} resent by the client"
    );
    println!("deadlines  {deadlines_missed} missed");
    let (quotes, books) = (run.latency(Method::Quote), run.latency(Method::Book));
    println!("latency    quotes {quotes}; bookings {books}");
    println!(
        "broker     received {received}, dispatched {dispatched}, answered {answered}, \
         retried {retried}, failed lost {failed_lost},\n           expired {expired}, \
         workers lost {workers_lost}, stray replies {stray_replies}; shutdown complete: {complete}"
    );
    if let Ok(survivors) = &run.survivors {
        let ran: Vec<String> = (survivors.iter())
            .map(|s| format!("{} ran {} quotes, {} bookings", s.name, s.quotes, s.books))
            .collect();
        println!("survivors  {}", ran.join("; "));
    }
    problems(run, books_lost, deadlines_missed)
}

/// What went other than promised.
fn problems(run: &Run, books_lost: usize, deadlines_missed: usize) -> Vec<String> {
    let (b, c) = (&run.broker, &run.client);
    let quotes_lost = run.count(Method::Quote, |answer| matches!(answer, Answer::WorkerLost));
    let discarded = c.late_replies + c.unknown_replies + c.malformed_replies;
    let n = |count: usize| count as u64;
    // Each request answered once; dispatched once, and once more when retried as idempotent.
    let (settled, due) = (b.answered + b.failed_lost, b.received + b.retried);
    let counts = [
        ("calls returned", n(run.outcomes.len()), n(CALLS)),
        ("quotes failed with WorkerLost", n(quotes_lost), 0),
        ("calls past their deadline", n(deadlines_missed), 0),
        ("replies the client discarded", discarded, 0),
        ("workers the broker lost", b.workers_lost, 1),
        ("stray replies at the broker", b.stray_replies, 0),
        ("requests the broker received", b.received, n(CALLS)),
        ("requests the broker answered", settled, b.received),
        ("requests failed as lost", b.failed_lost, n(books_lost)),
        ("requests the broker dispatched", b.dispatched, due),
    ];
    let mut problems: Vec<String> = (counts.into_iter())
        .filter(|(_, count, expected)| count != expected)
        .map(|(what, count, expected)| format!("{what}: {count}, expected {expected}"))
        .collect();
    if !run.broker_complete {
        problems.push("the broker's shutdown left something unanswered".to_owned());
    }
    for outcome in &run.outcomes {
        if let Answer::Unexpected(what) = &outcome.answer {
            problems.push(format!("unexpected answer: {what}"));
        }
    }
    match &run.survivors {
        Err(error) => problems.push(error.clone()),
        Ok(survivors) if survivors.len() != NAMES.len() - 1 => {
            problems.push(format!("{} survivors reported", survivors.len()));
        }
        // A survivor ran exactly what it answered: no call that failed with WorkerLost ran
        // again there, and none ran without its answer reaching the caller.
        Ok(survivors) => {
            for s in survivors {
                let quotes = run.answered_by(Method::Quote, s.name);
                let books = run.answered_by(Method::Book, s.name);
                let ran = (s.quotes, s.books, s.complete);
                if ran != (quotes, books, true) {
                    let name = s.name;
                    problems.push(format!("{name} ran {ran:?}, answered ({quotes}, {books})"));
                }
            }
        }
    }
    problems
}
