//! Driver of the RPC comparison (`bench/rpc.sh`): for each rep, each in-flight count and each
//! implementation, in that order (so that implementations are interleaved), it starts the
//! implementation's server pinned to core 0 and its client pinned to core 1 (both to core 0
//! with `--placement same`) on a fresh loopback port, reads the client's line, kills the
//! server. Then it writes `results/rpc-<date>[-same-core].{md,csv}`: median (min–max) per
//! cell and the issue 17 targets.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use zmtp_bench::machine;

/// Implementations: name in the report, peer binary.
const IMPLS: &[(&str, &str)] = &[
    ("zmtp-rpc", "rpc-zmtp-rpc"),
    ("zmtp REQ/REP", "rpc-zmtp-reqrep"),
    ("libzmq DEALER/ROUTER", "rpc-libzmq"),
    ("HTTP/1.1 JSON (hyper)", "rpc-http"),
    ("gRPC (tonic)", "rpc-grpc"),
];

struct Options {
    peers: PathBuf,
    out: PathBuf,
    reps: usize,
    warmup: f64,
    secs: f64,
    in_flight: Vec<usize>,
    only: Option<Vec<String>>,
    /// Both processes on core 0 (`--placement same`) instead of server on 0, client on 1.
    same_core: bool,
}

/// One client run's result.
#[derive(Clone, Copy)]
struct Sample {
    rps: f64,
    p50: f64,
    p99: f64,
}

fn usage() -> ! {
    eprintln!(
        "usage: rpc-runner --peers DIR [--out DIR] [--reps N] [--warmup SECS] [--secs SECS] \
         [--in-flight 1,64] [--only BIN,BIN] [--placement split|same]  (BIN: {})",
        IMPLS.iter().map(|i| i.1).collect::<Vec<_>>().join(", ")
    );
    std::process::exit(2)
}

fn num<T: std::str::FromStr>(value: &str) -> T {
    value.parse().unwrap_or_else(|_| usage())
}

fn options() -> Options {
    let mut o = Options {
        peers: PathBuf::new(),
        out: PathBuf::from("results"),
        reps: 3,
        warmup: 0.5,
        secs: 2.0,
        in_flight: vec![1, 64],
        only: None,
        same_core: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--peers" => o.peers = value.into(),
            "--out" => o.out = value.into(),
            "--reps" => o.reps = num(&value),
            "--warmup" => o.warmup = num(&value),
            "--secs" => o.secs = num(&value),
            "--in-flight" => o.in_flight = value.split(',').map(num).collect(),
            "--placement" => {
                o.same_core = match value.as_str() {
                    "split" => false,
                    "same" => true,
                    _ => usage(),
                }
            }
            "--only" => o.only = Some(value.split(',').map(str::to_string).collect()),
            _ => usage(),
        }
    }
    if o.peers.as_os_str().is_empty() || o.reps == 0 {
        usage();
    }
    o
}

/// One server + client run; the client's sample or why there is none.
fn run_one(o: &Options, bin: &str, port: u16, in_flight: usize) -> Result<Sample, String> {
    let addr = format!("127.0.0.1:{port}");
    let peer = o.peers.join(bin);
    let mut server = Command::new("taskset")
        .args(["-c", "0"])
        .arg(&peer)
        .args(["server", &addr])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("server: {e}"))?;
    std::thread::sleep(Duration::from_millis(200));
    if let Ok(Some(status)) = server.try_wait() {
        return Err(format!("server exited at start: {status}"));
    }
    // A client that hangs (a server that died, say) is killed well after its window.
    let limit = (o.warmup + o.secs + 30.0).ceil().to_string();
    let client = Command::new("timeout")
        .arg(&limit)
        .args(["taskset", "-c", if o.same_core { "0" } else { "1" }])
        .arg(&peer)
        .args(["client", &addr])
        .arg(in_flight.to_string())
        .arg(o.warmup.to_string())
        .arg(o.secs.to_string())
        .output();
    let _ = server.kill();
    let _ = server.wait();
    let client = client.map_err(|e| format!("client: {e}"))?;
    let stdout = String::from_utf8_lossy(&client.stdout);
    if !client.status.success() {
        return Err(format!(
            "client {}: {}",
            client.status,
            String::from_utf8_lossy(&client.stderr).trim()
        ));
    }
    let words: Vec<&str> = stdout.split_whitespace().collect();
    let field = |name: &str| {
        words
            .iter()
            .position(|w| *w == name)
            .and_then(|i| words.get(i + 1))
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| format!("no {name} in {stdout:?}"))
    };
    Ok(Sample {
        rps: field("requests/s")?,
        p50: field("p50_us")?,
        p99: field("p99_us")?,
    })
}

fn median_min_max(mut values: Vec<f64>) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    Some((median, values[0], values[n - 1]))
}

fn main() {
    let o = options();
    let impls: Vec<(&str, &str)> = IMPLS
        .iter()
        .copied()
        .filter(|(_, bin)| {
            o.only
                .as_ref()
                .is_none_or(|only| only.iter().any(|b| b == bin))
        })
        .collect();
    let command = std::env::var("RPC_COMMAND")
        .unwrap_or_else(|_| std::env::args().collect::<Vec<_>>().join(" "));
    let load_before = machine::loadavg();
    // Below Linux's ephemeral range (32768 up), so that no client's local port takes it.
    let mut port = 10_000 + (std::process::id() % 10_000) as u16 * 2;
    // results[in-flight index][impl index]: samples and errors.
    let mut results: Vec<Vec<(Vec<Sample>, Vec<String>)>> =
        vec![vec![(Vec::new(), Vec::new()); impls.len()]; o.in_flight.len()];
    let mut csv = String::from("rep,in_flight,implementation,requests_per_s,p50_us,p99_us,error\n");
    for rep in 1..=o.reps {
        for (fi, &in_flight) in o.in_flight.iter().enumerate() {
            for (ii, (name, bin)) in impls.iter().enumerate() {
                port += 1;
                let result = run_one(&o, bin, port, in_flight);
                match &result {
                    Ok(s) => {
                        eprintln!(
                            "rep {rep} in-flight {in_flight:>2} {name:<22} {:>9.0} req/s  \
                             p50 {:>7.1} us  p99 {:>7.1} us",
                            s.rps, s.p50, s.p99
                        );
                        csv += &format!(
                            "{rep},{in_flight},{name},{:.1},{:.2},{:.2},\n",
                            s.rps, s.p50, s.p99
                        );
                        results[fi][ii].0.push(*s);
                    }
                    Err(e) => {
                        eprintln!("rep {rep} in-flight {in_flight} {name}: failed: {e}");
                        csv += &format!("{rep},{in_flight},{name},,,,{}\n", e.replace(',', ";"));
                        results[fi][ii].1.push(e.clone());
                    }
                }
            }
        }
    }

    let mut md = format!(
        "# RPC comparison, {}\n\n```sh\n{command}\n```\n\n\
         {} reps per cell, interleaved (every implementation at every in-flight count, then \
         again); {} s warm-up then a {} s window per run; 100-byte request and reply bodies; \
         {} (`taskset`), TCP over loopback. Median \
         (min–max) of the reps. CPU: {}, {} cores; load average before {}, after {}. What each \
         server and client does, and how many connections each uses: bench/README.md, \
         \"RPC comparison\".\n",
        machine::today(),
        o.reps,
        o.warmup,
        o.secs,
        if o.same_core {
            "server and client both pinned to core 0"
        } else {
            "server pinned to core 0, client to core 1"
        },
        machine::cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_before,
        machine::loadavg(),
    );
    let medians = |fi: usize, ii: usize, pick: fn(&Sample) -> f64| {
        median_min_max(results[fi][ii].0.iter().map(pick).collect())
    };
    let cell = |v: Option<(f64, f64, f64)>, digits: usize| match v {
        Some((m, lo, hi)) => format!("{m:.digits$} ({lo:.digits$}–{hi:.digits$})"),
        None => "failed".to_string(),
    };
    for (fi, in_flight) in o.in_flight.iter().enumerate() {
        md += &format!(
            "\n## {in_flight} in flight\n\n| implementation | requests/s | p50 µs | p99 µs | \
             req/s ÷ zmtp-rpc's |\n|---|---:|---:|---:|---:|\n"
        );
        let base = impls
            .iter()
            .position(|i| i.1 == "rpc-zmtp-rpc")
            .and_then(|ii| medians(fi, ii, |s| s.rps));
        for (ii, (name, _)) in impls.iter().enumerate() {
            let rps = medians(fi, ii, |s| s.rps);
            let ratio = match (rps, base) {
                (Some(r), Some(b)) => format!("{:.2}", r.0 / b.0),
                _ => "–".to_string(),
            };
            md += &format!(
                "| {name} | {} | {} | {} | {ratio} |\n",
                cell(rps, 0),
                cell(medians(fi, ii, |s| s.p50), 1),
                cell(medians(fi, ii, |s| s.p99), 1),
            );
            for e in &results[fi][ii].1 {
                md += &format!("\n{name} failed: {e}\n");
            }
        }
    }

    // Issue 17's targets, from the medians.
    let find = |bin: &str| impls.iter().position(|i| i.1 == bin);
    let fi_of = |n: usize| o.in_flight.iter().position(|&f| f == n);
    let med = |n: usize, bin: &str, pick: fn(&Sample) -> f64| {
        fi_of(n)
            .zip(find(bin))
            .and_then(|(fi, ii)| medians(fi, ii, pick))
            .map(|v| v.0)
    };
    let target = |label: &str, value: Option<f64>, ok: fn(f64) -> bool| match value {
        Some(v) => format!(
            "| {label} | {v:.2} | {} |\n",
            if ok(v) { "met" } else { "**not met**" }
        ),
        None => format!("| {label} | – | not measured |\n"),
    };
    let ratio = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a / b);
    let rpc = "rpc-zmtp-rpc";
    md +=
        "\n## Issue 17's targets (ratios of medians)\n\n| target | measured | |\n|---|---:|---|\n";
    md += &target(
        "zmtp-rpc req/s ≥ 3× HTTP/JSON's at 64 in flight",
        ratio(med(64, rpc, |s| s.rps), med(64, "rpc-http", |s| s.rps)),
        |v| v >= 3.0,
    );
    md += &target(
        "zmtp-rpc req/s ≥ 1.5× tonic's at 64 in flight",
        ratio(med(64, rpc, |s| s.rps), med(64, "rpc-grpc", |s| s.rps)),
        |v| v >= 1.5,
    );
    md += &target(
        "zmtp-rpc p50 ≤ 0.5× HTTP/JSON's at 1 in flight",
        ratio(med(1, rpc, |s| s.p50), med(1, "rpc-http", |s| s.p50)),
        |v| v <= 0.5,
    );
    md += &target(
        "zmtp-rpc p50 ≤ 0.8× tonic's at 1 in flight",
        ratio(med(1, rpc, |s| s.p50), med(1, "rpc-grpc", |s| s.p50)),
        |v| v <= 0.8,
    );

    let _ = std::fs::create_dir_all(&o.out);
    let stem = machine::unique_stem(
        &o.out,
        &format!(
            "rpc-{}{}",
            machine::today(),
            if o.same_core { "-same-core" } else { "" }
        ),
    );
    let written = std::fs::write(stem.with_extension("md"), &md)
        .and_then(|()| std::fs::write(stem.with_extension("csv"), &csv));
    if let Err(e) = written {
        eprintln!("rpc-runner: cannot write {}: {e}", stem.display());
        std::process::exit(1);
    }
    let _ = std::io::stdout().write_all(md.as_bytes());
    eprintln!("written: {}.{{md,csv}}", stem.display());
}
