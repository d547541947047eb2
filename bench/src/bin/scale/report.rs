//! The markdown report (medians with min–max, zmtp and libzmq side by side) and the CSV of
//! every sample.

use std::fmt::Write;
use std::time::Duration;

use crate::args::Impl;
use crate::config::{Case, Config};
use crate::driver::Sample;
use crate::{echo, fanout};
use zmtp_bench::machine::{cmd_output, cpu_model};

/// Facts about the run for the header.
pub struct Meta {
    pub argv: String,
    pub elapsed: Duration,
    pub load_before: String,
    pub load_after: String,
}

/// Median, min, max of a non-empty list.
fn summary(mut values: Vec<f64>) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    let median = if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    };
    Some((median, values[0], values[values.len() - 1]))
}

/// A number with a precision that suits its size; thousands separated.
fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        let digits = format!("{:.0}", a);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn selected(samples: &[Sample], case: Case, imp: Impl, n: usize) -> impl Iterator<Item = &Sample> {
    samples
        .iter()
        .filter(move |s| s.case == case && s.imp == imp && s.n == n)
}

fn values(samples: &[Sample], case: Case, imp: Impl, n: usize, key: &str) -> Vec<f64> {
    selected(samples, case, imp, n)
        .filter_map(|s| s.outcome.as_ref().ok()?.get(key).copied())
        .collect()
}

/// `median (min–max)`, or `median` alone for one sample, or `–`.
fn cell(samples: &[Sample], case: Case, imp: Impl, n: usize, key: &str) -> String {
    let v = values(samples, case, imp, n, key);
    let count = v.len();
    match summary(v) {
        None => "–".into(),
        Some((m, _, _)) if count == 1 => num(m),
        Some((m, lo, hi)) => format!("{} ({}–{})", num(m), num(lo), num(hi)),
    }
}

/// zmtp's median of `key` over libzmq's, as `1.23×`; `1` on libzmq's row.
fn ratio(samples: &[Sample], case: Case, imp: Impl, n: usize, key: &str) -> String {
    if imp == Impl::Libzmq {
        return "1".into();
    }
    let ours = summary(values(samples, case, imp, n, key));
    let theirs = summary(values(samples, case, Impl::Libzmq, n, key));
    match (ours, theirs) {
        (Some((a, _, _)), Some((b, _, _))) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "–".into(),
    }
}

fn runs(samples: &[Sample], case: Case, imp: Impl, n: usize) -> String {
    let all = selected(samples, case, imp, n).count();
    let failed = selected(samples, case, imp, n)
        .filter(|s| s.outcome.is_err())
        .count();
    if failed == 0 {
        all.to_string()
    } else {
        format!("{} ({failed} failed)", all - failed)
    }
}

fn failures(out: &mut String, samples: &[Sample], case: Case) {
    let failed: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.case == case && s.outcome.is_err())
        .collect();
    if failed.is_empty() {
        return;
    }
    out.push_str("\nFailed runs:\n\n");
    for s in failed {
        if let Err(e) = &s.outcome {
            let _ = writeln!(out, "- {} N={} rep {}: {e}", s.imp.name(), s.n, s.rep);
        }
    }
}

pub fn markdown(config: &Config, samples: &[Sample], meta: &Meta) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# zmtp vs libzmq: scaling with the number of peers\n");
    let _ = writeln!(w, "```sh");
    if !config.cmdline.is_empty() {
        let _ = writeln!(w, "{}", config.cmdline);
    }
    let _ = writeln!(w, "# = {}", meta.argv);
    let _ = writeln!(w, "```\n");
    let commit = cmd_output(
        "git",
        &[
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "describe",
            "--always",
            "--dirty",
        ],
    );
    let _ = writeln!(
        w,
        "- commit `{commit}`; {} ({} cores); {}",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cmd_output("uname", &["-sr"])
    );
    let _ = writeln!(
        w,
        "- {} rep(s) per cell, interleaved; {} s windows; took {:.0?}; load average {} before, {} after",
        config.reps, config.secs, meta.elapsed, meta.load_before, meta.load_after
    );
    let _ = writeln!(
        w,
        "- every server/publisher is its own process on core 0 (`taskset -c 0`), every client \
         process on core 1; the clients are zmtp sockets for both servers; zmtp servers run on \
         a tokio current_thread runtime, the zmtp clients on a multi_thread one; libzmq 4.3.4 \
         (`zmq` crate 0.9.2), default context\n"
    );

    for &case in &config.cases {
        match case {
            Case::Echo => echo_table(w, config, samples),
            Case::FanFlat | Case::FanPaced => fan_table(w, config, samples, case),
            Case::Idle => idle_table(w, config, samples),
        }
        failures(w, samples, case);
        w.push('\n');
    }
    out
}

fn echo_table(w: &mut String, config: &Config, samples: &[Sample]) {
    let c = Case::Echo;
    let _ = writeln!(
        w,
        "## ROUTER echo, N DEALERs with one {} B request in flight each\n\n\
         Server CPU = getrusage(RUSAGE_SELF) user+sys of the server process over the {} s \
         window (all its threads), divided by the round trips it served in the window; the \
         window starts once every client has made a round trip (+0.2 s). libzmq: ROUTER, \
         `recv_multipart`/`send_multipart` loop, backlog raised to 1024 (tokio's) so that \
         thousands of connects do not retry for seconds.\n",
        echo::REQUEST_SIZE,
        config.secs
    );
    let _ = writeln!(
        w,
        "| N | impl | round trips/s | server CPU µs / round trip | vs libzmq | user µs | sys µs | server peak RSS MiB | runs |"
    );
    let _ = writeln!(w, "|---:|---|---:|---:|---:|---:|---:|---:|---|");
    for &n in &config.echo_n {
        for &imp in &config.impls {
            let _ = writeln!(
                w,
                "| {n} | {} | {} | {} | {} | {} | {} | {} | {} |",
                imp.name(),
                cell(samples, c, imp, n, "rt_per_s"),
                cell(samples, c, imp, n, "us_per_rt"),
                ratio(samples, c, imp, n, "us_per_rt"),
                cell(samples, c, imp, n, "user_us_per_rt"),
                cell(samples, c, imp, n, "sys_us_per_rt"),
                cell(samples, c, imp, n, "server_maxrss_mib"),
                runs(samples, c, imp, n)
            );
        }
    }
}

fn fan_table(w: &mut String, config: &Config, samples: &[Sample], c: Case) {
    let mode = if c == Case::FanFlat {
        "flat out (drops at the HWM of 1000 allowed)".to_string()
    } else {
        format!(
            "paced at {} copies/s summed over the subscribers (= {} / N messages/s)",
            num(config.rate),
            num(config.rate)
        )
    };
    let _ = writeln!(
        w,
        "## PUB → N SUBs, {} B, {mode}\n\n\
         Publisher: XPUB with XPUB_VERBOSE in both (it starts once it has counted N \
         subscriptions), {} s of publishing, then {} end markers {} ms apart, then close with \
         linger (zmtp: `close().await`, which returns once the subscribers have read everything; \
         libzmq: `zmq_close` + `zmq_ctx_term`). Publisher CPU = its getrusage user+sys from the \
         first send to the end of the close, divided by the copies the subscribers counted. \
         Peak RSS = the publisher's ru_maxrss. Subscribers: one process, N zmtp SUBs.\n",
        fanout::MESSAGE_SIZE,
        config.secs,
        fanout::MARKERS,
        fanout::MARKER_GAP.as_millis()
    );
    let _ = writeln!(
        w,
        "| N | impl | messages sent | copies delivered | delivered % | pub CPU µs / copy | vs libzmq | pub peak RSS MiB | close s | runs |"
    );
    let _ = writeln!(w, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for &n in &config.fan_n {
        for &imp in &config.impls {
            let pct = summary(values(samples, c, imp, n, "delivered_pct")).map_or(
                "–".into(),
                |(m, lo, hi)| {
                    if config.reps > 1 {
                        format!("{m:.1} ({lo:.1}–{hi:.1})")
                    } else {
                        format!("{m:.1}")
                    }
                },
            );
            let _ = writeln!(
                w,
                "| {n} | {} | {} | {} | {pct} | {} | {} | {} | {} | {} |",
                imp.name(),
                cell(samples, c, imp, n, "sent"),
                cell(samples, c, imp, n, "delivered"),
                cell(samples, c, imp, n, "us_per_copy"),
                ratio(samples, c, imp, n, "us_per_copy"),
                cell(samples, c, imp, n, "pub_maxrss_mib"),
                cell(samples, c, imp, n, "close_secs"),
                runs(samples, c, imp, n)
            );
        }
    }
}

fn idle_table(w: &mut String, config: &Config, samples: &[Sample]) {
    let c = Case::Idle;
    let _ = writeln!(
        w,
        "## Memory per idle connection\n\n\
         A ROUTER server process reads its RSS (/proc/self/statm) after binding and a warm-up \
         connection, then again 1 s after N connections (one zmtp DEALER each, from one client \
         process) have each sent one {} B message; reported: the difference / N.\n",
        echo::REQUEST_SIZE
    );
    let _ = writeln!(
        w,
        "| connections | impl | RSS before MiB | RSS after MiB | bytes / connection | vs libzmq | runs |"
    );
    let _ = writeln!(w, "|---:|---|---:|---:|---:|---:|---|");
    for &n in &config.idle_n {
        for &imp in &config.impls {
            let _ = writeln!(
                w,
                "| {n} | {} | {} | {} | {} | {} | {} |",
                imp.name(),
                cell(samples, c, imp, n, "rss_before_mib"),
                cell(samples, c, imp, n, "rss_after_mib"),
                cell(samples, c, imp, n, "bytes_per_conn"),
                ratio(samples, c, imp, n, "bytes_per_conn"),
                runs(samples, c, imp, n)
            );
        }
    }
}

/// Every sample, one metric per row: `case,impl,n,rep,metric,value`; a failed run is one row
/// with metric `error` and the message as value.
pub fn csv(samples: &[Sample]) -> String {
    let mut out = String::from("case,impl,n,rep,metric,value\n");
    for s in samples {
        let head = format!("{},{},{},{}", s.case.name(), s.imp.name(), s.n, s.rep);
        match &s.outcome {
            Ok(metrics) => {
                for (k, v) in metrics {
                    let _ = writeln!(out, "{head},{k},{v}");
                }
            }
            Err(e) => {
                let _ = writeln!(out, "{head},error,\"{}\"", e.replace('"', "\"\""));
            }
        }
    }
    out
}
