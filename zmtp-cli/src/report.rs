//! Printing results in libzmq's perf-tool format (plus MB/s and latency percentiles).

use std::time::Duration;

/// Prints a throughput result as libzmq's `local_thr` does, plus MB/s.
pub(crate) fn throughput(size: usize, count: u64, elapsed: Duration) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let per_sec = count as f64 / secs;
    let bytes_per_sec = per_sec * size as f64;
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("mean throughput: {per_sec:.0} [msg/s]");
    println!("mean throughput: {:.3} [Mb/s]", bytes_per_sec * 8.0 / 1e6);
    println!("mean throughput: {:.3} [MB/s]", bytes_per_sec / 1e6);
}

/// Prints a latency result as libzmq's `remote_lat` does (mean one-way latency), plus the
/// one-way p50 and p99. `round_trips` is sorted in place.
pub(crate) fn latency(size: usize, round_trips: &mut [Duration]) {
    round_trips.sort_unstable();
    let n = round_trips.len().max(1);
    let one_way_us = |d: Duration| d.as_secs_f64() * 1e6 / 2.0;
    let total: Duration = round_trips.iter().sum();
    let percentile = |p: f64| {
        let index = ((n - 1) as f64 * p).round() as usize;
        round_trips.get(index).copied().map_or(0.0, one_way_us)
    };
    println!("message size: {size} [B]");
    println!("roundtrip count: {}", round_trips.len());
    println!("average latency: {:.3} [us]", one_way_us(total) / n as f64);
    println!("p50 latency: {:.3} [us]", percentile(0.50));
    println!("p99 latency: {:.3} [us]", percentile(0.99));
}

/// Prints a handshake-rate result: connections (connect, handshake, one round trip, close) per
/// second, and the mean time of one, in the format of bench/'s peers.
pub(crate) fn handshakes(count: u64, elapsed: Duration) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    println!("connection count: {count}");
    println!("mean rate: {:.1} [conn/s]", count as f64 / secs);
    println!(
        "mean connection time: {:.3} [us]",
        secs * 1e6 / count as f64
    );
}
