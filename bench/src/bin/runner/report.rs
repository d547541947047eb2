//! The markdown report and the raw CSV.

use std::fmt::Write;
use std::time::Duration;

use crate::cell::{metric_name, Cell, Metric};
use crate::plan::{Config, Placement, Test};
use crate::stats::{human, range};
use zmtp_bench::machine::{cmd_output, cpu_model};

/// Facts about the run for the report header.
pub struct Meta<'a> {
    pub config: &'a Config,
    pub elapsed: Duration,
    pub load_before: String,
    pub load_after: String,
}

/// The cell of pair `label` in the same group as `cell`.
fn baseline<'a>(cells: &'a [Cell], cell: &Cell, label: &str) -> Option<&'a Cell> {
    cells.iter().find(|c| {
        c.test == cell.test
            && c.size == cell.size
            && c.placement == cell.placement
            && c.curve == cell.curve
            && c.plain == cell.plain
            && c.pair.label == label
    })
}

/// `cell`'s median of `metric` over libzmq's, as `1.23×`.
fn ratio(cells: &[Cell], cell: &Cell, metric: Metric) -> String {
    ratio_to(cells, cell, metric, "libzmq")
}

/// `cell`'s median of `metric` over that of pair `label`, as `1.23×`.
fn ratio_to(cells: &[Cell], cell: &Cell, metric: Metric, label: &str) -> String {
    let ours = cell.summary(metric);
    let theirs = baseline(cells, cell, label).and_then(|b| b.summary(metric));
    match (ours, theirs) {
        (Some(a), Some(b)) if b.median > 0.0 => format!("{:.2}×", a.median / b.median),
        _ => "–".into(),
    }
}

fn med(cell: &Cell, metric: Metric) -> String {
    cell.summary(metric).map_or("–".into(), |s| human(s.median))
}

fn rng(cell: &Cell, metric: Metric) -> String {
    cell.summary(metric).map_or("–".into(), |s| range(&s))
}

fn runs(cell: &Cell) -> String {
    if cell.failures.is_empty() {
        cell.samples.len().to_string()
    } else {
        format!("{} ({} failed)", cell.samples.len(), cell.failures.len())
    }
}

fn rss(cell: &Cell) -> String {
    format!(
        "{} / {}",
        med(cell, Metric::RssLocalMb),
        med(cell, Metric::RssRemoteMb)
    )
}

/// The whole report.
pub fn markdown(cells: &[Cell], meta: &Meta) -> String {
    let c = meta.config;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# zmtp side-by-side benchmark{}\n",
        if c.quick { " (quick)" } else { "" }
    );
    let _ = writeln!(
        md,
        "{} cores ({}), kernel {}, {}; {} rep(s) per cell, runs calibrated to ~{} s; interleaved \
         A B C … A B C; load average {} before, {} after; took {:.0} s. zmtp runtime: {}.\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        cmd_output("uname", &["-r"]),
        cmd_output("rustc", &["--version"]),
        c.reps,
        c.secs,
        meta.load_before,
        meta.load_after,
        meta.elapsed.as_secs_f64(),
        c.zmtp_runtime.as_deref().unwrap_or("default"),
    );
    let impls: Vec<String> = c
        .impls
        .iter()
        .map(|i| format!("`{}` = {}", i.key, i.label))
        .collect();
    let _ = writeln!(md, "Implementations: {}.\n", impls.join(", "));
    let _ = writeln!(
        md,
        "Every cell: median (min–max) over the reps. ×libzmq: ratio of medians to the libzmq \
         cell of the same table and size (throughput: higher is better; latency: lower is \
         better). CPU: user+sys seconds of all processes of a run per million messages (or \
         round trips). RSS: peak resident set of the binding / connecting process (fan-out: \
         PUB / largest SUB), MiB. Pairs `a→b`: a sends (PUSH, REQ), b binds (PULL, REP).\n"
    );

    let plain = |test: Test| {
        cells
            .iter()
            .filter(move |c| c.test == test && !c.curve && !c.plain)
    };
    if plain(Test::Thr).next().is_some() {
        let _ = writeln!(md, "## PUSH→PULL throughput\n");
        let _ = writeln!(
            md,
            "| size | pair | msg/s | MB/s | ×libzmq | CPU s/M msgs | RSS MiB | runs |"
        );
        let _ = writeln!(md, "|---:|---|---:|---:|---:|---:|---:|---:|");
        for cell in plain(Test::Thr) {
            let _ = writeln!(
                md,
                "| {} B | {} | {} | {} | {} | {} | {} | {} |",
                cell.size,
                cell.pair.label,
                rng(cell, Metric::MsgsPerSec),
                med(cell, Metric::MegabytesPerSec),
                ratio(cells, cell, Metric::MsgsPerSec),
                med(cell, Metric::CpuPerMillion),
                rss(cell),
                runs(cell)
            );
        }
    }

    if plain(Test::Lat).next().is_some() {
        let _ = writeln!(md, "\n## REQ→REP latency (one-way = round trip / 2)\n");
        let _ = writeln!(md, "| size | placement | pair | p50 µs | p99 µs | mean µs | p50 ×libzmq | CPU s/M round trips | RSS MiB | runs |");
        let _ = writeln!(md, "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|");
        for cell in plain(Test::Lat) {
            let placement = match cell.placement {
                Placement::Free => "unpinned",
                Placement::SameCore => "same core",
                Placement::SplitCores => "split cores",
            };
            let _ = writeln!(
                md,
                "| {} B | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell.size,
                placement,
                cell.pair.label,
                rng(cell, Metric::P50Us),
                rng(cell, Metric::P99Us),
                med(cell, Metric::AvgUs),
                ratio(cells, cell, Metric::P50Us),
                med(cell, Metric::CpuPerMillion),
                rss(cell),
                runs(cell)
            );
        }
    }

    if cells.iter().any(|c| c.test.in_one_process()) {
        inproc_section(&mut md, cells);
    }

    if cells.iter().any(|c| c.curve) {
        curve_section(&mut md, cells);
    }
    if cells.iter().any(|c| c.plain) {
        plain_section(&mut md, cells);
    }

    if cells.iter().any(|c| c.test == Test::Fan) {
        let _ = writeln!(md, "\n## PUB→4×SUB fan-out\n");
        let _ = writeln!(
            md,
            "HWM 1000 (each library's default), so a publisher faster than its subscribers \
             drops: *delivered msg/s* is per subscriber, first to last message received; \
             *delivered %* is the share of published messages that reached the subscribers.\n"
        );
        let _ = writeln!(md, "| size | pair | delivered msg/s per SUB | ×libzmq | delivered % | publish msg/s | CPU s/M published | RSS MiB | runs |");
        let _ = writeln!(md, "|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        for cell in cells.iter().filter(|c| c.test == Test::Fan) {
            let _ = writeln!(
                md,
                "| {} B | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell.size,
                cell.pair.label,
                rng(cell, Metric::MsgsPerSec),
                ratio(cells, cell, Metric::MsgsPerSec),
                med(cell, Metric::DeliveredPct),
                med(cell, Metric::PublishPerSec),
                med(cell, Metric::CpuPerMillion),
                rss(cell),
                runs(cell)
            );
        }
    }

    let failures: Vec<String> = cells
        .iter()
        .flat_map(|c| {
            c.failures.iter().map(move |f| {
                format!(
                    "- {} {} B {}: {f}",
                    c.pair.label,
                    c.size,
                    metric_name(c.headline())
                )
            })
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(md, "\n## Failures\n\n{}", failures.join("\n"));
    }
    md
}

/// The CURVE table: throughput, latency and handshake rate, zmtp and libzmq and their cross
/// pairs, both peers using the same fixed test keys.
fn curve_section(md: &mut String, cells: &[Cell]) {
    let _ = writeln!(md, "\n## CURVE\n");
    let _ = writeln!(
        md,
        "Both peers with `--curve`: the binding side is a CURVE server with the zmq_curve(7) \
         example key pair, the connecting side a client with the example client key pair (no \
         ZAP handler / authenticator). Cross pairs prove interop under CURVE. Handshake rate: \
         the remote side opens a REQ socket, connects, makes one round trip, closes, and \
         again (one connection at a time); CPU and RSS as above, per million connections. \
         ×libzmq: the row's headline (msg/s, p50 µs, conn/s) over libzmq's.\n"
    );
    let _ = writeln!(
        md,
        "| test | pair | result | ×libzmq | CPU s/M | RSS MiB | runs |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|");
    let curve = |test: Test| cells.iter().filter(move |c| c.test == test && c.curve);
    for cell in curve(Test::Thr)
        .chain(curve(Test::Lat))
        .chain(curve(Test::Hs))
    {
        let Some((test, result)) = headline_row(cell) else {
            continue;
        };
        let _ = writeln!(
            md,
            "| {test} | {} | {result} | {} | {} | {} | {} |",
            cell.pair.label,
            ratio(cells, cell, cell.headline()),
            med(cell, Metric::CpuPerMillion),
            rss(cell),
            runs(cell)
        );
    }
}

/// The inproc table: both sides in one process, against libzmq's inproc and the channel
/// baseline.
fn inproc_section(md: &mut String, cells: &[Cell]) {
    let _ = writeln!(md, "\n## inproc (one process)\n");
    let _ = writeln!(
        md,
        "Both sides in one process over `inproc://`: libzmq as its `inproc_thr`/`inproc_lat` \
         (two threads, one context), zmtp and omq as two tasks on one tokio runtime, `mpsc` a \
         bounded `tokio::sync::mpsc` channel of `Bytes` between two tasks on zmtp's runtime \
         (what moving messages between tasks costs at least). ×libzmq and ×mpsc: the row's \
         headline (msg/s, p50 µs) over theirs. CPU: user+sys seconds of the process per \
         million messages (round trips); RSS: its peak, MiB.\n"
    );
    let _ = writeln!(
        md,
        "| test | pair | result | ×libzmq | ×mpsc | CPU s/M | RSS MiB | runs |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|");
    let inproc = |test: Test| cells.iter().filter(move |c| c.test == test);
    for cell in inproc(Test::InprocThr).chain(inproc(Test::InprocLat)) {
        let Some((test, result)) = headline_row(cell) else {
            continue;
        };
        let _ = writeln!(
            md,
            "| {test} | {} | {result} | {} | {} | {} | {} | {} |",
            cell.pair.label,
            ratio(cells, cell, cell.headline()),
            ratio_to(cells, cell, cell.headline(), "mpsc"),
            med(cell, Metric::CpuPerMillion),
            med(cell, Metric::RssLocalMb),
            runs(cell)
        );
    }
}

/// PLAIN next to NULL: the same pair, test and size over both mechanisms in one run.
fn plain_section(md: &mut String, cells: &[Cell]) {
    let _ = writeln!(md, "\n## PLAIN next to NULL\n");
    let _ = writeln!(
        md,
        "Both peers with `--plain` (user and password \"perf\"; the binding side accepts \
         anyone: libzmq through an allow-all ZAP handler, zmtp through an allow-all \
         authenticator). PLAIN ÷ NULL: the PLAIN median over the NULL \
         median of the same pair in this run (msg/s for throughput, p50 for latency: 1.00 = \
         same cost). ×libzmq: the PLAIN row over libzmq's PLAIN row.\n"
    );
    let _ = writeln!(
        md,
        "| test | pair | PLAIN | NULL | PLAIN ÷ NULL | ×libzmq | CPU s/M | runs |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|");
    for cell in cells.iter().filter(|c| c.plain) {
        let metric = cell.headline();
        let test = match cell.test {
            Test::Thr => format!("PUSH→PULL {} B msg/s", cell.size),
            Test::Lat => format!("REQ→REP latency {} B p50 µs", cell.size),
            _ => continue,
        };
        let null = cells.iter().find(|c| {
            c.test == cell.test
                && c.size == cell.size
                && c.placement == cell.placement
                && !c.curve
                && !c.plain
                && c.pair.label == cell.pair.label
        });
        let (null_value, vs_null) =
            match (null.and_then(|n| n.summary(metric)), cell.summary(metric)) {
                (Some(n), Some(p)) if n.median > 0.0 => {
                    (human(n.median), format!("{:.2}", p.median / n.median))
                }
                _ => ("–".into(), "–".into()),
            };
        let _ = writeln!(
            md,
            "| {test} | {} | {} | {null_value} | {vs_null} | {} | {} | {} |",
            cell.pair.label,
            rng(cell, metric),
            ratio(cells, cell, metric),
            med(cell, Metric::CpuPerMillion),
            runs(cell)
        );
    }
}

/// A row's test name and headline result, for the CURVE and inproc tables.
fn headline_row(cell: &Cell) -> Option<(String, String)> {
    Some(match cell.test {
        Test::Thr | Test::InprocThr => (
            format!("PUSH→PULL {} B", cell.size),
            format!(
                "{} msg/s ({} MB/s)",
                rng(cell, Metric::MsgsPerSec),
                med(cell, Metric::MegabytesPerSec)
            ),
        ),
        Test::Lat | Test::InprocLat => (
            format!("REQ→REP latency {} B", cell.size),
            format!(
                "p50 {} µs, p99 {} µs",
                rng(cell, Metric::P50Us),
                med(cell, Metric::P99Us)
            ),
        ),
        Test::Hs => (
            "handshakes (connect + 1 round trip + close)".into(),
            format!(
                "{} conn/s ({} µs each)",
                rng(cell, Metric::ConnPerSec),
                med(cell, Metric::ConnUs)
            ),
        ),
        Test::Fan => return None,
    })
}

/// Every sample, one line each.
pub fn csv(cells: &[Cell]) -> String {
    let metrics = [
        Metric::MsgsPerSec,
        Metric::MegabytesPerSec,
        Metric::AvgUs,
        Metric::P50Us,
        Metric::P99Us,
        Metric::CpuPerMillion,
        Metric::RssLocalMb,
        Metric::RssRemoteMb,
        Metric::PublishPerSec,
        Metric::DeliveredPct,
        Metric::ConnPerSec,
        Metric::ConnUs,
    ];
    let mut out = String::from("test,curve,plain,size,placement,pair,count");
    for m in metrics {
        let _ = write!(out, ",{}", metric_name(m));
    }
    out.push('\n');
    for cell in cells {
        for sample in &cell.samples {
            let _ = write!(
                out,
                "{:?},{},{},{},{:?},{},{}",
                cell.test,
                cell.curve,
                cell.plain,
                cell.size,
                cell.placement,
                cell.pair.label,
                cell.count
            );
            for m in metrics {
                let _ = write!(
                    out,
                    ",{}",
                    sample.get(&m).map_or(String::new(), |v| format!("{v:.3}"))
                );
            }
            out.push('\n');
        }
    }
    out
}
