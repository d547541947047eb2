//! The interop runner: every peer's driver as a child process, zmtp-tokio on this side, the
//! matrix written to docs/INTEROP.md. Exits nonzero when a cell fails that no known peer
//! defect explains.
//!
//! `interop [--peers pyzmq,jeromq,...] [--cells SUBSTRING] [--out PATH]` (`--cells` keeps the
//! cells whose key contains it: for debugging one cell)

mod cell;
mod content;
mod driver;
mod known;
mod ours;
mod pairs;
mod peers;
mod report;

use std::time::Instant;

use report::{Outcome, PeerResult};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let only: Option<Vec<String>> =
        value("--peers").map(|p| p.split(',').map(String::from).collect());
    let out = value("--out")
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/INTEROP.md").into());
    let defects = known::load();
    let start = Instant::now();
    let mut results = Vec::new();
    let mut unexplained = 0;
    for peer in peers::all() {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|k| k == peer.key))
        {
            continue;
        }
        let peer_start = Instant::now();
        let mut driver = driver::Driver::start(&peer.argv).await;
        let version = match &driver {
            Ok(d) => d.version.clone(),
            Err(why) => format!("cannot run: {why}"),
        };
        println!("== {} ({version})", peer.key);
        let mut cells = Vec::new();
        let wanted = value("--cells");
        for cell in peer.cells() {
            if wanted
                .as_ref()
                .is_some_and(|w| !cell.key().contains(w.as_str()))
            {
                continue;
            }
            let result = match driver.as_mut() {
                Ok(d) => cell.run(d).await,
                Err(why) => Err(format!("driver cannot run: {why}")),
            };
            let outcome = match result {
                Ok(what) => Outcome::Pass(what),
                Err(why) => match known::explain(&defects, peer.key, &cell.key()) {
                    Some(d) => Outcome::Explained(d.number, why),
                    None => {
                        unexplained += 1;
                        Outcome::Fail(why)
                    }
                },
            };
            let shown = match &outcome {
                Outcome::Pass(what) => format!("pass ({what})"),
                Outcome::Explained(n, why) => format!("explained by defect #{n}: {why}"),
                Outcome::Fail(why) => format!("FAIL: {why}"),
            };
            println!("{:<60} {shown}", cell.key());
            // A driver that fails a cell may have lost its footing: start it afresh.
            if matches!(outcome, Outcome::Fail(_) | Outcome::Explained(..)) && driver.is_ok() {
                if let Ok(d) = driver {
                    d.kill().await;
                }
                driver = driver::Driver::start(&peer.argv).await;
            }
            cells.push((cell, outcome));
        }
        if let Ok(d) = driver {
            d.stop().await;
        }
        println!("   {} s", peer_start.elapsed().as_secs());
        results.push(PeerResult {
            key: peer.key,
            label: peer.label,
            version,
            driver: peer.driver,
            cells,
        });
    }
    let seconds = start.elapsed().as_secs();
    std::fs::write(&out, report::render(&results, &defects, seconds))
        .unwrap_or_else(|e| panic!("{out}: {e}"));
    let total: usize = results.iter().map(|r| r.cells.len()).sum();
    println!("interop: {total} cells, {unexplained} unexplained failures, {seconds} s; matrix written to {out}");
    if unexplained > 0 {
        std::process::exit(1);
    }
}
