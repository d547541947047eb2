//! One cell of a table: a pair of implementations in one test, its calibration and its
//! measurements.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use crate::exec::{self, Finished, Launch};
use crate::plan::{Config, Impl, Pair, Placement, Test, FAN_SUBSCRIBERS};
use crate::stats::{self, Summary};

/// A measured quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    MsgsPerSec,
    MegabytesPerSec,
    AvgUs,
    P50Us,
    P99Us,
    CpuPerMillion,
    RssLocalMb,
    RssRemoteMb,
    PublishPerSec,
    DeliveredPct,
    ConnPerSec,
    ConnUs,
}

pub fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::MsgsPerSec => "msg/s",
        Metric::MegabytesPerSec => "MB/s",
        Metric::AvgUs => "mean µs",
        Metric::P50Us => "p50 µs",
        Metric::P99Us => "p99 µs",
        Metric::CpuPerMillion => "CPU s/M msgs",
        Metric::RssLocalMb => "RSS local MiB",
        Metric::RssRemoteMb => "RSS remote MiB",
        Metric::PublishPerSec => "publish msg/s",
        Metric::DeliveredPct => "delivered %",
        Metric::ConnPerSec => "conn/s",
        Metric::ConnUs => "µs/conn",
    }
}

/// One measurement.
pub type Sample = BTreeMap<Metric, f64>;

/// One pair in one group, with its measurements.
#[derive(Debug, Clone)]
pub struct Cell {
    pub test: Test,
    pub size: usize,
    pub placement: Placement,
    /// Over CURVE: `--curve` before the mode on both peers.
    pub curve: bool,
    /// Over PLAIN: `--plain` before the mode on both peers.
    pub plain: bool,
    pub pair: Pair,
    pub local: Impl,
    pub remote: Impl,
    /// Messages (or round trips) per run, from calibration; 0 if calibration failed.
    pub count: u64,
    pub samples: Vec<Sample>,
    pub failures: Vec<String>,
}

static NEXT_PORT: AtomicU16 = AtomicU16::new(31_000);

/// A TCP port nothing on the machine uses, fresh for every run (no TIME_WAIT reuse).
fn fresh_port() -> u16 {
    loop {
        let port = NEXT_PORT.fetch_add(1, Ordering::Relaxed);
        if port > 60_000 {
            NEXT_PORT.store(31_000, Ordering::Relaxed);
        }
        if !exec::port_in_use(port) {
            return port;
        }
    }
}

impl Cell {
    pub fn summary(&self, metric: Metric) -> Option<Summary> {
        let values: Vec<f64> = self
            .samples
            .iter()
            .filter_map(|s| s.get(&metric).copied())
            .collect();
        stats::summarize(&values)
    }

    /// The metric shown in progress lines and ratios.
    pub fn headline(&self) -> Metric {
        match self.test {
            Test::Thr | Test::Fan | Test::InprocThr => Metric::MsgsPerSec,
            Test::Lat | Test::InprocLat => Metric::P50Us,
            Test::Hs => Metric::ConnPerSec,
        }
    }

    /// A first, unrecorded run (also a warm-up) that sets `count` so a run takes ~`secs`.
    pub fn calibrate(&mut self, config: &Config, scratch: &Path) {
        let (first, min, max) = match (self.test, self.size) {
            (Test::Thr, s) if s >= 65536 => (2_000, 1_000, 200_000),
            (Test::Thr, s) if s >= 1024 => (50_000, 10_000, 5_000_000),
            (Test::Thr, _) => (200_000, 20_000, 50_000_000),
            (Test::InprocThr, _) => (1_000_000, 100_000, 100_000_000),
            (Test::InprocLat, _) => (20_000, 5_000, 5_000_000),
            (Test::Lat, _) => (2_000, 500, 500_000),
            (Test::Fan, _) => (100_000, 20_000, 5_000_000),
            (Test::Hs, _) => (200, 100, 50_000),
        };
        let count = match self.run(first, config, scratch) {
            Ok(sample) => {
                let per_sec = match self.test {
                    Test::Thr | Test::InprocThr => sample[&Metric::MsgsPerSec],
                    Test::Lat | Test::InprocLat => 1e6 / (2.0 * sample[&Metric::AvgUs]),
                    Test::Hs => sample[&Metric::ConnPerSec],
                    Test::Fan => {
                        sample[&Metric::PublishPerSec].min(sample[&Metric::MsgsPerSec] * 4.0)
                    }
                };
                ((per_sec * config.secs) as u64).clamp(min, max)
            }
            Err(e) => {
                eprintln!("   {} calibration FAILED: {e}", self.pair.label);
                self.failures.push(format!("calibration: {e}"));
                0
            }
        };
        self.count = count;
    }

    /// One measurement with `count` messages or round trips.
    pub fn run(&self, count: u64, config: &Config, scratch: &Path) -> Result<Sample, String> {
        let timeout = Duration::from_secs_f64(30.0_f64.max(config.secs * 20.0));
        if self.test.in_one_process() {
            let mode = match self.test {
                Test::InprocThr => "inproc_thr",
                _ => "inproc_lat",
            };
            let mut argv = self.local.argv.clone();
            argv.extend([
                mode.to_string(),
                "inproc://zmtp-bench".into(),
                self.size.to_string(),
                count.to_string(),
            ]);
            let launch = Launch {
                argv,
                env: self.local.env.clone(),
                cpu: None,
            };
            let done = exec::run_alone(&launch, timeout, scratch)?;
            return self.sample(&[done.clone(), done], count);
        }
        let port = fresh_port();
        let endpoint = format!("tcp://127.0.0.1:{port}");
        let (cpu_local, cpu_remote) = match self.placement {
            Placement::Free => (None, None),
            Placement::SameCore => (Some(0), Some(0)),
            Placement::SplitCores => (Some(0), Some(1)),
        };
        let launch = |imp: &Impl, mode: &str, cpu: Option<usize>, extra: Option<usize>| {
            let mut argv = imp.argv.clone();
            if self.curve {
                argv.push("--curve".into());
            }
            if self.plain {
                argv.push("--plain".into());
            }
            argv.extend([
                mode.to_string(),
                endpoint.clone(),
                self.size.to_string(),
                count.to_string(),
            ]);
            argv.extend(extra.map(|n| n.to_string()));
            Launch {
                argv,
                env: imp.env.clone(),
                cpu,
            }
        };
        let (binder, connectors) = match self.test {
            // (One-process tests returned above.)
            Test::Thr | Test::InprocThr => (
                launch(&self.local, "local_thr", cpu_local, None),
                vec![launch(&self.remote, "remote_thr", cpu_remote, None)],
            ),
            Test::Lat | Test::InprocLat => (
                launch(&self.local, "local_lat", cpu_local, None),
                vec![launch(&self.remote, "remote_lat", cpu_remote, None)],
            ),
            Test::Hs => (
                launch(&self.local, "local_hs", cpu_local, None),
                vec![launch(&self.remote, "remote_hs", cpu_remote, None)],
            ),
            Test::Fan => (
                launch(&self.local, "pub_thr", None, Some(FAN_SUBSCRIBERS)),
                vec![launch(&self.remote, "sub_thr", None, None); FAN_SUBSCRIBERS],
            ),
        };
        let done = exec::run_group(&binder, &connectors, port, timeout, scratch)?;
        self.sample(&done, count)
    }

    fn sample(&self, done: &[Finished], count: u64) -> Result<Sample, String> {
        let need = |f: &Finished, label: &str, unit: &str| {
            f.value(label, unit)
                .ok_or_else(|| format!("no '{label}' {unit} in {:?}", f.stdout))
        };
        let mib = |kb: f64| kb / 1024.0;
        // A one-process test comes as the same process twice: count it once.
        let processes = if self.test.in_one_process() {
            1
        } else {
            done.len()
        };
        let cpu: f64 = done[..processes].iter().map(|f| f.cpu_s).sum();
        let mut s = Sample::new();
        s.insert(Metric::CpuPerMillion, cpu / count as f64 * 1e6);
        s.insert(Metric::RssLocalMb, mib(done[0].rss_kb));
        let remote_rss = done[1..].iter().map(|f| f.rss_kb).fold(0.0, f64::max);
        s.insert(Metric::RssRemoteMb, mib(remote_rss));
        match self.test {
            Test::Thr | Test::InprocThr => {
                s.insert(
                    Metric::MsgsPerSec,
                    need(&done[0], "mean throughput", "[msg/s]")?,
                );
                s.insert(
                    Metric::MegabytesPerSec,
                    need(&done[0], "mean throughput", "[MB/s]")?,
                );
            }
            Test::Lat | Test::InprocLat => {
                s.insert(Metric::AvgUs, need(&done[1], "average latency", "[us]")?);
                s.insert(Metric::P50Us, need(&done[1], "p50 latency", "[us]")?);
                s.insert(Metric::P99Us, need(&done[1], "p99 latency", "[us]")?);
            }
            Test::Hs => {
                s.insert(Metric::ConnPerSec, need(&done[1], "mean rate", "[conn/s]")?);
                s.insert(
                    Metric::ConnUs,
                    need(&done[1], "mean connection time", "[us]")?,
                );
            }
            Test::Fan => {
                s.insert(
                    Metric::PublishPerSec,
                    need(&done[0], "mean throughput", "[msg/s]")?,
                );
                let (mut rate, mut received) = (0.0, 0.0);
                for sub in &done[1..] {
                    rate += need(sub, "mean throughput", "[msg/s]")?;
                    received += need(sub, "message count", "")?;
                }
                let subs = (done.len() - 1) as f64;
                s.insert(Metric::MsgsPerSec, rate / subs);
                s.insert(
                    Metric::MegabytesPerSec,
                    rate / subs * self.size as f64 / 1e6,
                );
                s.insert(
                    Metric::DeliveredPct,
                    received / (subs * count as f64) * 100.0,
                );
            }
        }
        Ok(s)
    }
}
