//! The benchmark runner: runs every implementation's perf peers side by side, interleaved
//! (A B C … A B C …), and writes `results/<date>.md` (+ `.svg` plot, `.csv` raw samples).
//!
//! ```text
//! runner [--quick] [--reps N] [--secs S] [--tests thr,lat,place,fan,curve] [--only a,b]
//!        [--zmtp PATH] [--peers DIR] [--zmtp-runtime current|multi] [--out DIR]
//! ```
//! Normally started by `bench/run.sh`, which builds everything first.

mod cell;
mod exec;
mod plan;
mod report;
mod stats;
mod svg;

use std::path::PathBuf;
use std::time::Instant;

use cell::{Cell, Metric};
use plan::Config;
use zmtp_bench::machine::{loadavg, today, unique_stem};

fn main() {
    let config = match Config::from_args(std::env::args().skip(1).collect()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("runner: {e}\n{}", plan::USAGE);
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let load_before = loadavg();
    let scratch = std::env::temp_dir().join(format!("zmtp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch directory");
    let mut cells: Vec<Cell> = Vec::new();
    for group in config.groups() {
        eprintln!("== {}", group.title());
        let mut group_cells: Vec<Cell> = group.cells(&config);
        for cell in &mut group_cells {
            cell.calibrate(&config, &scratch);
        }
        for rep in 0..config.reps {
            for cell in group_cells.iter_mut().filter(|c| c.count > 0) {
                match cell.run(cell.count, &config, &scratch) {
                    Ok(sample) => cell.samples.push(sample),
                    Err(e) => {
                        eprintln!("   {} rep {rep}: FAILED: {e}", cell.pair.label);
                        cell.failures.push(e);
                    }
                }
            }
        }
        for cell in &group_cells {
            let headline = cell.headline();
            let value = cell.summary(headline).map(|s| stats::range(&s));
            eprintln!(
                "   {:<16} {:>10} {}",
                cell.pair.label,
                headline.name(),
                value.unwrap_or_else(|| "failed".into())
            );
        }
        cells.extend(group_cells);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let meta = report::Meta {
        config: &config,
        elapsed: started.elapsed(),
        load_before,
        load_after: loadavg(),
    };
    // Only the opt-in mechanism groups: named after them, and no throughput plot.
    let curve_only = config.tests.iter().all(|t| t == "curve" || t == "plain");
    let stem = output_stem(&config.out, config.quick, curve_only, &config.tests);
    std::fs::create_dir_all(&config.out).expect("output directory");
    let md = report::markdown(&cells, &meta);
    std::fs::write(stem.with_extension("md"), &md).expect("write markdown");
    if !curve_only {
        std::fs::write(stem.with_extension("svg"), svg::plot(&cells)).expect("write svg");
    }
    std::fs::write(stem.with_extension("csv"), report::csv(&cells)).expect("write csv");
    println!("{md}");
    eprintln!(
        "wrote {}.{{md,csv{}}} in {:.0?}",
        stem.display(),
        if curve_only { "" } else { ",svg" },
        started.elapsed()
    );
}

/// `results/<YYYY-MM-DD>[-curve][-plain][-quick][-N]`, not overwriting an earlier run of the
/// same day; `-curve`/`-plain` when only the CURVE/PLAIN tests ran (no throughput plot then).
fn output_stem(dir: &std::path::Path, quick: bool, curve_only: bool, tests: &[String]) -> PathBuf {
    let base = format!(
        "{}{}{}",
        today(),
        if curve_only {
            tests.iter().map(|t| format!("-{t}")).collect::<String>()
        } else {
            String::new()
        },
        if quick { "-quick" } else { "" }
    );
    unique_stem(dir, &base)
}

impl Metric {
    /// The metric's column name.
    fn name(self) -> &'static str {
        cell::metric_name(self)
    }
}
