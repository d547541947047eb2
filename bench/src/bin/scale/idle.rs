//! Case 3: memory per idle connection.
//!
//! `idle-server --impl zmtp|libzmq --n N`: a ROUTER binds; a DEALER of its own warms it up
//! (one connection, one message, closed again); after a pause it reads its RSS from
//! /proc/self/statm and prints `ENDPOINT`. It then receives until N distinct routing ids have
//! sent their message, waits [`SETTLE`], reads RSS again and prints `RESULT rss_before=..
//! rss_after=.. bytes_per_conn=..`. The routing-id set is allocated and touched before the
//! first reading, so that it adds nothing to the difference.
//!
//! `idle-client --endpoint E --n N`: N zmtp DEALERs (one connection each), each sending one
//! 16-byte message, then holding its connection open until killed.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use zmtp_tokio::{Bytes, DealerSocket, RouterSocket};

use crate::args::{Flags, Impl};
use crate::process::on_current_thread;
use crate::process::say;
use crate::rusage::{rss_bytes, Usage};

/// How long the server waits after the last connection's message before reading RSS.
const SETTLE: Duration = Duration::from_secs(1);
/// Pause after the warm-up connection, before the first RSS reading.
const QUIET: Duration = Duration::from_millis(300);

struct Plan {
    n: usize,
    ramp_timeout: Duration,
}

pub fn server(flags: &Flags) -> Result<(), String> {
    let plan = Plan {
        n: flags.required("n")?,
        ramp_timeout: Duration::from_secs_f64(flags.get("ramp-timeout", 120.0)?),
    };
    match flags.required::<Impl>("impl")? {
        Impl::Zmtp => on_current_thread(zmtp_server(&plan)),
        Impl::Libzmq => libzmq_server(&plan),
    }
}

/// A routing id as a fixed-size key (ids are 5 bytes in both implementations; longer ones are
/// hashed), so the set never allocates per entry.
fn key(id: &[u8]) -> u64 {
    if id.len() <= 8 {
        let mut k = [0u8; 8];
        k[..id.len()].copy_from_slice(id);
        u64::from_le_bytes(k) ^ ((id.len() as u64) << 56)
    } else {
        let mut h = DefaultHasher::new();
        id.hash(&mut h);
        h.finish()
    }
}

/// A set with room for `n` keys whose pages are already resident.
fn touched_set(n: usize) -> HashSet<u64> {
    let mut set = HashSet::with_capacity(n);
    for i in 0..n as u64 {
        set.insert(u64::MAX - i);
    }
    set.clear();
    set
}

fn report(n: usize, before: u64, after: u64) {
    let per = (after as f64 - before as f64) / n as f64;
    say(format_args!(
        "RESULT conns={n} rss_before={before} rss_after={after} bytes_per_conn={per:.0} \
         maxrss_kib={}",
        Usage::now().max_rss_kib
    ));
}

fn ramp_error(seen: usize, plan: &Plan) -> String {
    format!(
        "{seen} of {} connections heard from within {:.0?}",
        plan.n, plan.ramp_timeout
    )
}

async fn zmtp_server(plan: &Plan) -> Result<(), String> {
    let e = |e: zmtp_tokio::Error| e.to_string();
    let mut router = RouterSocket::new();
    let endpoint = router.bind("tcp://127.0.0.1:0").await.map_err(e)?;
    {
        let mut warm = DealerSocket::new();
        warm.connect(&endpoint).map_err(e)?;
        warm.send("warm-up").await.map_err(e)?;
        router.recv().await.map_err(e)?;
        warm.close().await;
    }
    let mut seen = touched_set(plan.n);
    tokio::time::sleep(QUIET).await;
    let before = rss_bytes();
    say(format_args!("ENDPOINT {endpoint}"));

    let ramp_end = tokio::time::Instant::now() + plan.ramp_timeout;
    while seen.len() < plan.n {
        match tokio::time::timeout_at(ramp_end, router.recv()).await {
            Ok(m) => {
                seen.insert(key(&m.map_err(e)?.frames()[0]));
            }
            Err(_) => return Err(ramp_error(seen.len(), plan)),
        }
    }
    tokio::time::sleep(SETTLE).await;
    report(plan.n, before, rss_bytes());
    Ok(())
}

fn libzmq_server(plan: &Plan) -> Result<(), String> {
    let e = |e: zmq::Error| e.to_string();
    let ctx = zmq::Context::new();
    let router = ctx.socket(zmq::ROUTER).map_err(e)?;
    router.set_backlog(1024).map_err(e)?; // as tokio's listener; set-up only
    router.set_rcvtimeo(100).map_err(e)?;
    router.set_linger(0).map_err(e)?;
    router.bind("tcp://127.0.0.1:*").map_err(e)?;
    let endpoint = router
        .get_last_endpoint()
        .map_err(e)?
        .map_err(|_| "endpoint is not UTF-8".to_string())?;
    {
        let warm = ctx.socket(zmq::DEALER).map_err(e)?;
        warm.connect(&endpoint).map_err(e)?;
        warm.send("warm-up", 0).map_err(e)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match router.recv_multipart(0) {
                Ok(_) => break,
                Err(zmq::Error::EAGAIN) if Instant::now() < deadline => {}
                Err(err) => return Err(format!("warm-up: {err}")),
            }
        }
    }
    let mut seen = touched_set(plan.n);
    std::thread::sleep(QUIET);
    let before = rss_bytes();
    say(format_args!("ENDPOINT {endpoint}"));

    let ramp_end = Instant::now() + plan.ramp_timeout;
    while seen.len() < plan.n {
        match router.recv_multipart(0) {
            Ok(frames) => {
                seen.insert(key(&frames[0]));
            }
            Err(zmq::Error::EAGAIN) => {}
            Err(err) => return Err(err.to_string()),
        }
        if Instant::now() > ramp_end {
            return Err(ramp_error(seen.len(), plan));
        }
    }
    std::thread::sleep(SETTLE);
    report(plan.n, before, rss_bytes());
    Ok(())
}

pub fn client(flags: &Flags) -> Result<(), String> {
    let endpoint: String = flags.required("endpoint")?;
    let n: usize = flags.required("n")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let payload = Bytes::from(vec![7u8; crate::echo::REQUEST_SIZE]);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let endpoint = endpoint.clone();
            let payload = payload.clone();
            tasks.spawn(async move {
                let mut dealer = DealerSocket::new();
                dealer.connect(&endpoint)?;
                dealer.send(payload).await?;
                // Hold the connection open until the driver kills the process.
                std::future::pending::<()>().await;
                Ok::<(), zmtp_tokio::Error>(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            if let Ok(Err(e)) = done {
                eprintln!("idle-client: a dealer failed: {e}");
            }
        }
    });
    Ok(())
}
