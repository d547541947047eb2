//! A worker *process* killed mid-request (SIGKILL: no reply, no DISCONNECT, no heartbeat):
//! the idempotent request is answered by another worker process, the other one fails with
//! `Error::WorkerLost`, and neither runs more often than it may. On the real clock over TCP.
//!
//! The worker processes are this test binary run again on [`worker_process`], an ignored
//! test that serves only when the environment names a broker: no extra binary to build.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;
use zmtp_rpc::{Broker, Brokering, Client, Error, HandlerError, Request, Retry, Worker};
use zmtp_tokio::RouterSocket;

const ENDPOINT: &str = "ZMTP_RPC_TEST_WORKER_ENDPOINT";
const LOG: &str = "ZMTP_RPC_TEST_WORKER_LOG";
const HOLD_MS: &str = "ZMTP_RPC_TEST_WORKER_HOLD_MS";
// Half a second of silence: short for a test, long enough that a busy machine does not make
// a live worker look dead (which would make the run counts below wrong).
const INTERVAL: Duration = Duration::from_millis(100);
const LIVENESS: u32 = 5;
const LIMIT: Duration = Duration::from_secs(30);

/// Not a test: the worker process. Appends "pid body" to the log file for each request it
/// starts, then holds it for the milliseconds the environment says and answers its pid.
#[test]
#[ignore = "the worker process the other tests of this file run and kill"]
fn worker_process() {
    let (Ok(endpoint), Ok(log), Ok(hold)) = (
        std::env::var(ENDPOINT),
        std::env::var(LOG),
        std::env::var(HOLD_MS),
    ) else {
        return;
    };
    let hold = Duration::from_millis(hold.parse().expect("hold ms"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let handler = move |request: Request| {
            let log = log.clone();
            async move {
                let pid = std::process::id();
                let line = format!("{pid} {}\n", String::from_utf8_lossy(request.body()));
                let failed = |e: std::io::Error| HandlerError::Failed(e.to_string());
                let mut file = std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&log)
                    .map_err(failed)?;
                file.write_all(line.as_bytes()).map_err(failed)?;
                tokio::time::sleep(hold).await;
                Ok::<Bytes, HandlerError>(Bytes::from(pid.to_string()))
            }
        };
        let _working = Worker::connect(endpoint.as_str())
            .unwrap()
            .heartbeat(INTERVAL, LIVENESS)
            .serve(handler);
        std::future::pending::<()>().await;
    });
}

/// A worker process, killed when dropped (a failing test leaves none behind).
struct Process(Child);

impl Process {
    fn spawn(endpoint: &str, log: &Path, hold_ms: u64) -> Process {
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "worker_process",
                "--exact",
                "--ignored",
                "--nocapture",
                "--quiet",
            ])
            .env(ENDPOINT, endpoint)
            .env(LOG, log)
            .env(HOLD_MS, hold_ms.to_string())
            .spawn()
            .expect("spawn the worker process");
        Process(child)
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The log's lines: which process started which request.
fn runs(log: &Path) -> Vec<(u32, String)> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let (pid, body) = line.split_once(' ')?;
            Some((pid.parse().ok()?, body.to_owned()))
        })
        .collect()
}

async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < LIMIT, "not within {LIMIT:?}: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A broker on TCP with the test's heartbeats; its client and worker endpoints.
async fn broker() -> (Brokering, String, String) {
    let (frontend, backend) = (RouterSocket::new(), RouterSocket::new());
    let clients = frontend
        .bind("tcp://127.0.0.1:0")
        .await
        .unwrap()
        .to_string();
    let workers = backend.bind("tcp://127.0.0.1:0").await.unwrap().to_string();
    let brokering = Broker::new(frontend, backend)
        .heartbeat(INTERVAL, LIVENESS)
        .start();
    (brokering, clients, workers)
}

/// Runs one call with `retry` on a worker process that holds it, starts a second worker
/// process that answers at once, kills the first: the call's result, how long it took, the
/// log and the two processes' ids.
async fn kill_mid_request(
    name: &str,
    retry: Retry,
) -> (Result<Bytes, Error>, Duration, Vec<(u32, String)>, u32, u32) {
    let log: PathBuf = std::env::temp_dir().join(format!(
        "zmtp-rpc-broker-process-{}-{name}.log",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&log);
    let (brokering, clients, workers) = broker().await;
    let first = Process::spawn(&workers, &log, 600_000);
    until("the first worker ready", || brokering.stats().workers == 1).await;

    let client = Client::connect(clients.as_str()).unwrap().with_retry(retry);
    let started = Instant::now();
    let call = tokio::spawn(async move { client.call("work", "the call", Some(LIMIT)).await });
    until("the first worker runs it", || runs(&log).len() == 1).await;

    let second = Process::spawn(&workers, &log, 0);
    until("the second worker ready", || brokering.stats().workers == 2).await;
    let (first_pid, second_pid) = (first.pid(), second.pid());
    first.kill();

    let result = call.await.unwrap();
    let took = started.elapsed();
    // Time for a second run, if anything were to start one.
    tokio::time::sleep(INTERVAL * LIVENESS * 2).await;
    let lines = runs(&log);
    let _ = std::fs::remove_file(&log);
    drop(second);
    (result, took, lines, first_pid, second_pid)
}

#[tokio::test]
async fn an_idempotent_request_of_a_killed_worker_process_is_answered_by_another() {
    let (result, took, runs, first, second) =
        kill_mid_request("idempotent", Retry::Idempotent { attempts: 1 }).await;
    assert_eq!(
        result.unwrap(),
        second.to_string(),
        "answered by the second process"
    );
    assert!(
        took < Duration::from_secs(10),
        "not at the deadline: {took:?}"
    );
    let by = |pid| runs.iter().filter(|(p, _)| *p == pid).count();
    assert_eq!((by(first), by(second), runs.len()), (1, 1, 2), "{runs:?}");
}

#[tokio::test]
async fn a_non_idempotent_request_of_a_killed_worker_process_fails_and_never_runs_twice() {
    let (result, took, runs, first, _second) = kill_mid_request("once", Retry::Never).await;
    assert!(matches!(result, Err(Error::WorkerLost)), "{result:?}");
    assert!(
        took < Duration::from_secs(10),
        "failed fast, not at the deadline: {took:?}"
    );
    assert_eq!(
        runs,
        [(first, "the call".to_owned())],
        "run once, by the killed process"
    );
}
