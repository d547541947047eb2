//! The driver: runs every cell (case × N × implementation) `reps` times, interleaved, each
//! as a server/publisher process pinned to one core and a client process pinned to the
//! other, and collects one [`Sample`] per run. A cell that fails or stalls becomes a sample
//! with the error, and the run goes on.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::args::Impl;
use crate::config::{Case, Config, CLIENT_CORE, SERVER_CORE};
use crate::fanout;
use crate::process::Proc;

/// One run of one cell.
#[derive(Debug)]
pub struct Sample {
    pub case: Case,
    pub imp: Impl,
    pub n: usize,
    pub rep: usize,
    /// The derived metrics, or what went wrong.
    pub outcome: Result<BTreeMap<&'static str, f64>, String>,
}

/// How long a server waits for all its clients to show up (in the child; the driver waits a
/// little longer).
const RAMP_TIMEOUT: f64 = 60.0;
const IDLE_RAMP_TIMEOUT: f64 = 120.0;
/// Time for a child to start and bind.
const START_TIMEOUT: Duration = Duration::from_secs(15);

pub fn run_all(config: &Config) -> Vec<Sample> {
    let mut samples = Vec::new();
    for &case in &config.cases {
        eprintln!("== {}", case.name());
        for rep in 0..config.reps {
            for &n in config.ns(case) {
                for &imp in &config.impls {
                    let started = Instant::now();
                    let outcome = run_cell(config, case, imp, n);
                    eprintln!(
                        "   {} [{:.1} s]",
                        progress(case, imp, n, rep, &outcome),
                        started.elapsed().as_secs_f64()
                    );
                    samples.push(Sample {
                        case,
                        imp,
                        n,
                        rep,
                        outcome,
                    });
                }
            }
        }
    }
    samples
}

fn progress(
    case: Case,
    imp: Impl,
    n: usize,
    rep: usize,
    outcome: &Result<BTreeMap<&'static str, f64>, String>,
) -> String {
    let head = format!("{:<9} {:<6} N={n:<5} rep {rep}:", case.name(), imp.name());
    let m = match outcome {
        Err(e) => return format!("{head} FAILED: {e}"),
        Ok(m) => m,
    };
    let get = |k: &str| m.get(k).copied().unwrap_or(f64::NAN);
    match case {
        Case::Echo => format!(
            "{head} {:.0} round trips/s, {:.2} µs CPU/round trip",
            get("rt_per_s"),
            get("us_per_rt")
        ),
        Case::FanFlat | Case::FanPaced => format!(
            "{head} {:.0} sent, {:.0} delivered ({:.1}%), {:.3} µs CPU/copy, {:.1} MiB",
            get("sent"),
            get("delivered"),
            get("delivered_pct"),
            get("us_per_copy"),
            get("pub_maxrss_mib")
        ),
        Case::Idle => format!(
            "{head} {:.0} B/connection ({:.1} → {:.1} MiB)",
            get("bytes_per_conn"),
            get("rss_before_mib"),
            get("rss_after_mib")
        ),
    }
}

fn run_cell(
    config: &Config,
    case: Case,
    imp: Impl,
    n: usize,
) -> Result<BTreeMap<&'static str, f64>, String> {
    match case {
        Case::Echo => echo(config, imp, n),
        Case::FanFlat => fan(config, imp, n, 0.0),
        Case::FanPaced => fan(config, imp, n, config.rate),
        Case::Idle => idle(imp, n),
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn echo(config: &Config, imp: Impl, n: usize) -> Result<BTreeMap<&'static str, f64>, String> {
    let (n_s, secs_s, ramp) = (
        n.to_string(),
        config.secs.to_string(),
        RAMP_TIMEOUT.to_string(),
    );
    let mut server = Proc::spawn(
        "echo-server",
        SERVER_CORE,
        &args(&[
            "echo-server",
            "--impl",
            imp.name(),
            "--n",
            &n_s,
            "--secs",
            &secs_s,
            "--ramp-timeout",
            &ramp,
        ]),
    )?;
    let endpoint = server.expect("ENDPOINT", START_TIMEOUT)?;
    let _client = Proc::spawn(
        "echo-client",
        CLIENT_CORE,
        &args(&["echo-client", "--endpoint", &endpoint, "--n", &n_s]),
    )?;
    let r = server.result(secs(RAMP_TIMEOUT + config.secs + 15.0))?;
    let get = |k: &str| r.get(k).copied().ok_or(format!("RESULT without {k}"));
    let round_trips = get("round_trips")?;
    if round_trips == 0.0 {
        return Err("no round trip in the window".into());
    }
    let mut m = BTreeMap::new();
    m.insert("round_trips", round_trips);
    m.insert("rt_per_s", round_trips / get("secs")?);
    m.insert("us_per_rt", get("cpu_us")? / round_trips);
    m.insert("user_us_per_rt", get("user_us")? / round_trips);
    m.insert("sys_us_per_rt", get("sys_us")? / round_trips);
    m.insert("server_maxrss_mib", get("maxrss_kib")? / 1024.0);
    Ok(m)
}

fn fan(
    config: &Config,
    imp: Impl,
    n: usize,
    rate: f64,
) -> Result<BTreeMap<&'static str, f64>, String> {
    let (n_s, secs_s, rate_s, ramp) = (
        n.to_string(),
        config.secs.to_string(),
        rate.to_string(),
        RAMP_TIMEOUT.to_string(),
    );
    let mut publisher = Proc::spawn(
        "publisher",
        SERVER_CORE,
        &args(&[
            "publisher",
            "--impl",
            imp.name(),
            "--n",
            &n_s,
            "--secs",
            &secs_s,
            "--rate",
            &rate_s,
            "--ramp-timeout",
            &ramp,
        ]),
    )?;
    let endpoint = publisher.expect("ENDPOINT", START_TIMEOUT)?;
    let mut subscriber = Proc::spawn(
        "subscriber",
        CLIENT_CORE,
        &args(&["subscriber", "--endpoint", &endpoint, "--n", &n_s]),
    )?;
    // Publishing, end markers, and a close that lingers up to 10 s.
    let p = publisher.result(secs(RAMP_TIMEOUT + config.secs + 30.0))?;
    let s = match subscriber.result(fanout::IDLE + Duration::from_secs(10)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("   {e}; asking the subscribers for what they have");
            subscriber.close_stdin();
            subscriber.result(Duration::from_secs(5))?
        }
    };
    let pget = |k: &str| {
        p.get(k)
            .copied()
            .ok_or(format!("publisher RESULT without {k}"))
    };
    let sget = |k: &str| {
        s.get(k)
            .copied()
            .ok_or(format!("subscriber RESULT without {k}"))
    };
    let sent = pget("sent")?;
    let delivered = sget("delivered")?;
    let mut m = BTreeMap::new();
    m.insert("sent", sent);
    m.insert("delivered", delivered);
    m.insert("delivered_pct", 100.0 * delivered / (sent * n as f64));
    m.insert("msgs_per_s", sent / pget("send_secs")?);
    m.insert("copies_per_s", delivered / pget("send_secs")?);
    m.insert("pub_cpu_us", pget("cpu_us")?);
    if delivered > 0.0 {
        m.insert("us_per_copy", pget("cpu_us")? / delivered);
    }
    m.insert("pub_maxrss_mib", pget("maxrss_kib")? / 1024.0);
    m.insert("close_secs", pget("secs")? - pget("send_secs")?);
    // zmtp only: copies `send` queued, copies dropped at HWMs, whether close delivered all.
    for k in [
        "queued",
        "dropped",
        "close_complete",
        "close_undelivered_peers",
        "close_unwritten_bytes",
    ] {
        if let Some(&v) = p.get(k) {
            m.insert(k, v);
        }
    }
    m.insert("subs_finished", sget("finished")?);
    m.insert("subs_marked", sget("marked")?);
    m.insert("subs_partial", sget("partial")?);
    m.insert("min_per_sub", sget("min_per_sub")?);
    m.insert("max_per_sub", sget("max_per_sub")?);
    Ok(m)
}

fn idle(imp: Impl, n: usize) -> Result<BTreeMap<&'static str, f64>, String> {
    let (n_s, ramp) = (n.to_string(), IDLE_RAMP_TIMEOUT.to_string());
    let mut server = Proc::spawn(
        "idle-server",
        SERVER_CORE,
        &args(&[
            "idle-server",
            "--impl",
            imp.name(),
            "--n",
            &n_s,
            "--ramp-timeout",
            &ramp,
        ]),
    )?;
    let endpoint = server.expect("ENDPOINT", START_TIMEOUT)?;
    let _client = Proc::spawn(
        "idle-client",
        CLIENT_CORE,
        &args(&["idle-client", "--endpoint", &endpoint, "--n", &n_s]),
    )?;
    let r = server.result(secs(IDLE_RAMP_TIMEOUT + 15.0))?;
    let get = |k: &str| r.get(k).copied().ok_or(format!("RESULT without {k}"));
    let mut m = BTreeMap::new();
    m.insert("conns", get("conns")?);
    m.insert("bytes_per_conn", get("bytes_per_conn")?);
    m.insert("rss_before_mib", get("rss_before")? / 1048576.0);
    m.insert("rss_after_mib", get("rss_after")? / 1048576.0);
    m.insert("server_maxrss_mib", get("maxrss_kib")? / 1024.0);
    Ok(m)
}
