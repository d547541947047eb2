//! `zmtp perf`: its usage text, runtime choice and argument parsing (the tests themselves
//! live in `perf.rs`).

use crate::perf;

/// Which tokio runtime the perf test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runtime {
    /// `current_thread`: everything on the main thread.
    Current,
    /// `multi_thread` with one worker per core.
    Multi,
}

impl Runtime {
    /// Parses `current` or `multi`.
    fn parse(name: &str) -> Option<Runtime> {
        match name {
            "current" | "current_thread" => Some(Runtime::Current),
            "multi" | "multi_thread" => Some(Runtime::Multi),
            _ => None,
        }
    }
}

/// The runtime used when neither `--runtime` nor `ZMTP_RUNTIME` says otherwise: the one that
/// measured faster on the benchmark suite (bench/): 1.4-1.5x the throughput of multi_thread
/// at 1 and 64 B; from 1 KiB up, and for latency, they are within run-to-run noise.
const DEFAULT_RUNTIME: Runtime = Runtime::Current;

pub(crate) const USAGE: &str = "\
usage: zmtp perf [--runtime current|multi] [--curve|--plain] <test> <args...>

tests (libzmq's perf tools, same argument order and output):
  local_thr  <bind-to>    <message-size> <message-count>   PULL: receive, print throughput
  remote_thr <connect-to> <message-size> <message-count>   PUSH: send, exit once delivered
  local_lat  <bind-to>    <message-size> <roundtrips>      REP: echo
  remote_lat <connect-to> <message-size> <roundtrips>      REQ: print one-way latency
fan-out (no libzmq equivalent):
  pub_thr    <bind-to>    <message-size> <message-count> <subscribers>
             PUB: wait for <subscribers> peers, publish, then send end markers
             (a message of message-size + 1 bytes)
  sub_thr    <connect-to> <message-size> <message-count>
             SUB: receive until message-count messages, an end marker or 1 s of silence
in one process over inproc (libzmq's inproc_thr / inproc_lat):
  inproc_thr <inproc://name> <message-size> <message-count>   PUSH task → PULL: throughput
  inproc_lat <inproc://name> <message-size> <roundtrips>      REQ ↔ REP task: latency
handshake rate (no libzmq equivalent):
  local_hs   <bind-to>    <message-size> <connections>    REP: answer one request per connection
  remote_hs  <connect-to> <message-size> <connections>
             REQ, <connections> times: connect, handshake, one round trip, close;
             print connections per second

--curve: CURVE with FIXED, PUBLISHED test keys (the zmq_curve(7) examples; server public key
rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7): the binding side is the server. For benchmarks
only: these keys protect nothing.
--plain: PLAIN, user \"perf\" password \"perf\"; the binding side accepts anyone.

--runtime current|multi (or env ZMTP_RUNTIME): tokio's current_thread runtime or the
multi_thread one with a worker per core. Default: current, which measured faster for
small-message throughput; for latency and from 1 KiB up they are close (bench/README.md).
endpoints: tcp://host:port, ipc://path or inproc://name";

/// Parses the arguments after `zmtp perf` and runs the chosen test.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut args = args.iter().map(String::as_str).peekable();
    let mut runtime = match std::env::var("ZMTP_RUNTIME") {
        Ok(name) => Runtime::parse(&name).ok_or(format!("bad ZMTP_RUNTIME {name:?}"))?,
        Err(_) => DEFAULT_RUNTIME,
    };
    let mut rest = Vec::new();
    let mut security = perf::Security::Null;
    while let Some(arg) = args.next() {
        match arg {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--curve" => security = perf::Security::Curve,
            "--plain" => security = perf::Security::Plain,
            "--runtime" => {
                let name = args.next().ok_or("--runtime needs current or multi")?;
                runtime = Runtime::parse(name).ok_or(format!("bad runtime {name:?}"))?;
            }
            _ => match arg.strip_prefix("--runtime=") {
                Some(name) => {
                    runtime = Runtime::parse(name).ok_or(format!("bad runtime {name:?}"))?;
                }
                None => rest.push(arg),
            },
        }
    }
    let test = perf::Test::parse(&rest).map_err(|e| format!("{e}\n{USAGE}"))?;
    let rt = match runtime {
        Runtime::Current => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Runtime::Multi => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    }
    .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
    // The test runs as a spawned task, not as `block_on`'s own future: a connection task
    // waking a spawned task queues it directly, while waking `block_on`'s future costs the
    // current_thread scheduler an extra pass through the I/O driver (an `epoll_wait`) per
    // wake-up, which showed in every round trip of the latency test.
    rt.block_on(async move {
        match tokio::spawn(async move { test.run(security).await.map_err(|e| e.to_string()) }).await
        {
            Ok(result) => result,
            Err(e) => Err(format!("the perf test task failed: {e}")),
        }
    })
}
