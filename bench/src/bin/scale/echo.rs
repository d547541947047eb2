//! Case 1: a ROUTER echoes for N DEALERs, each keeping exactly one request in flight.
//!
//! `echo-server --impl zmtp|libzmq --n N --secs S`: binds tcp://127.0.0.1 on a free port,
//! prints `ENDPOINT`, echoes every message; once it has seen N distinct routing ids (every
//! client has made its first round trip) and echoed for a settling time more, it takes
//! getrusage, echoes for `--secs`, takes getrusage again, prints `RESULT round_trips=..
//! secs=.. cpu_us=..` and exits.
//!
//! `echo-client --endpoint E --n N`: N zmtp DEALERs on a tokio multi_thread runtime, one task
//! each: send 16 bytes, await the reply, repeat, until killed. The same client process serves
//! both servers.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use zmtp_tokio::{Bytes, DealerSocket, Error, RouterSocket, TryRecvError};

use crate::args::{Flags, Impl};
use crate::process::on_current_thread;
use crate::process::say;
use crate::rusage::Usage;

/// Bytes per request.
pub const REQUEST_SIZE: usize = 16;

/// The parameters of one server run.
struct Plan {
    n: usize,
    window: Duration,
    settle: Duration,
    /// How long all N clients may take to make their first round trip.
    ramp_timeout: Duration,
}

pub fn server(flags: &Flags) -> Result<(), String> {
    let plan = Plan {
        n: flags.required("n")?,
        window: Duration::from_secs_f64(flags.get("secs", 2.0)?),
        settle: Duration::from_secs_f64(flags.get("settle", 0.2)?),
        ramp_timeout: Duration::from_secs_f64(flags.get("ramp-timeout", 60.0)?),
    };
    match flags.required::<Impl>("impl")? {
        Impl::Zmtp => on_current_thread(zmtp_server(&plan)),
        Impl::Libzmq => libzmq_server(&plan),
    }
}

/// What the window measured, as a RESULT line.
fn report(round_trips: u64, elapsed: Duration, before: &Usage, after: &Usage) {
    say(format_args!(
        "RESULT round_trips={round_trips} secs={:.6} {}",
        elapsed.as_secs_f64(),
        after.fields_since(before)
    ));
}

async fn zmtp_server(plan: &Plan) -> Result<(), String> {
    let mut router = RouterSocket::new();
    let endpoint = router
        .bind("tcp://127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    say(format_args!("ENDPOINT {endpoint}"));

    // Warm-up: echo until every client has been heard from, then settle.
    let mut seen = HashSet::new();
    let ramp_end = tokio::time::Instant::now() + plan.ramp_timeout;
    while seen.len() < plan.n {
        let message = match tokio::time::timeout_at(ramp_end, router.recv()).await {
            Ok(m) => m.map_err(|e| e.to_string())?,
            Err(_) => {
                return Err(format!(
                    "warm-up: {} of {} clients heard from within {:.0?}",
                    seen.len(),
                    plan.n,
                    plan.ramp_timeout
                ))
            }
        };
        seen.insert(message.frames()[0].clone());
        router.send(message).await.map_err(|e| e.to_string())?;
    }
    zmtp_echo_for(&mut router, plan.settle).await?;

    let before = Usage::now();
    let start = Instant::now();
    let round_trips = zmtp_echo_for(&mut router, plan.window).await?;
    let elapsed = start.elapsed();
    let after = Usage::now();
    report(round_trips, elapsed, &before, &after);
    Ok(())
}

/// Echoes for `window`; returns how many messages were echoed. Takes what is waiting without
/// a future (`try_recv`), and awaits (racing the end of the window) only when nothing is.
async fn zmtp_echo_for(router: &mut RouterSocket, window: Duration) -> Result<u64, String> {
    let end = Instant::now() + window;
    let timer = tokio::time::sleep_until(end.into());
    tokio::pin!(timer);
    let mut count = 0u64;
    loop {
        let message = match router.try_recv() {
            Ok(m) => m,
            Err(TryRecvError::Empty) => tokio::select! {
                biased;
                m = router.recv() => m.map_err(|e| e.to_string())?,
                _ = &mut timer => return Ok(count),
            },
            Err(e) => return Err(e.to_string()),
        };
        router.send(message).await.map_err(|e| e.to_string())?;
        count += 1;
        if Instant::now() >= end {
            return Ok(count);
        }
    }
}

fn libzmq_server(plan: &Plan) -> Result<(), String> {
    let ctx = zmq::Context::new();
    let router = ctx.socket(zmq::ROUTER).map_err(|e| e.to_string())?;
    // tokio's listener (zmtp's) has a backlog of 1024; libzmq's default is 100, which makes
    // thousands of simultaneous connects retry for seconds. Set-up only: no effect on the
    // measured window.
    router.set_backlog(1024).map_err(|e| e.to_string())?;
    router.set_rcvtimeo(100).map_err(|e| e.to_string())?;
    router.set_linger(0).map_err(|e| e.to_string())?;
    router
        .bind("tcp://127.0.0.1:*")
        .map_err(|e| e.to_string())?;
    let endpoint = router
        .get_last_endpoint()
        .map_err(|e| e.to_string())?
        .map_err(|_| "endpoint is not UTF-8".to_string())?;
    say(format_args!("ENDPOINT {endpoint}"));

    let mut seen = HashSet::new();
    let ramp_end = Instant::now() + plan.ramp_timeout;
    while seen.len() < plan.n {
        match router.recv_multipart(0) {
            Ok(frames) => {
                seen.insert(frames[0].clone());
                router
                    .send_multipart(frames, 0)
                    .map_err(|e| e.to_string())?;
            }
            Err(zmq::Error::EAGAIN) => {}
            Err(e) => return Err(e.to_string()),
        }
        if Instant::now() > ramp_end {
            return Err(format!(
                "warm-up: {} of {} clients heard from within {:.0?}",
                seen.len(),
                plan.n,
                plan.ramp_timeout
            ));
        }
    }
    libzmq_echo_for(&router, plan.settle)?;

    let before = Usage::now();
    let start = Instant::now();
    let round_trips = libzmq_echo_for(&router, plan.window)?;
    let elapsed = start.elapsed();
    let after = Usage::now();
    report(round_trips, elapsed, &before, &after);
    Ok(())
}

/// Echoes for `window` with recv_multipart/send_multipart; returns how many.
fn libzmq_echo_for(router: &zmq::Socket, window: Duration) -> Result<u64, String> {
    let end = Instant::now() + window;
    let mut count = 0u64;
    loop {
        match router.recv_multipart(0) {
            Ok(frames) => {
                router
                    .send_multipart(frames, 0)
                    .map_err(|e| e.to_string())?;
                count += 1;
            }
            Err(zmq::Error::EAGAIN) => {}
            Err(e) => return Err(e.to_string()),
        }
        if Instant::now() >= end {
            return Ok(count);
        }
    }
}

pub fn client(flags: &Flags) -> Result<(), String> {
    let endpoint: String = flags.required("endpoint")?;
    let n: usize = flags.required("n")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let payload = Bytes::from(vec![7u8; REQUEST_SIZE]);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let endpoint = endpoint.clone();
            let payload = payload.clone();
            tasks.spawn(async move { one_in_flight(&endpoint, payload).await });
        }
        // Runs until the driver kills us; a failing client is reported on stderr.
        while let Some(done) = tasks.join_next().await {
            if let Ok(Err(e)) = done {
                eprintln!("echo-client: a dealer failed: {e}");
            }
        }
    });
    Ok(())
}

/// One client: a DEALER sending a request and awaiting its reply, for ever.
async fn one_in_flight(endpoint: &str, payload: Bytes) -> Result<(), Error> {
    let mut dealer = DealerSocket::new();
    dealer.connect(endpoint)?;
    loop {
        dealer.send(payload.clone()).await?;
        dealer.recv().await?;
    }
}
