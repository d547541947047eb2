//! Shared pieces of the comparison peers (`perf-libzmq`, `perf-zeromq`, `perf-omq`,
//! `perf-tcp`): the command line of libzmq's perf tools and their output format, which
//! `zmtp perf` prints too, so that the runner parses every implementation the same way.
//!
//! ```text
//! <peer> local_thr  <bind-to>    <message-size> <message-count>
//! <peer> remote_thr <connect-to> <message-size> <message-count>
//! <peer> local_lat  <bind-to>    <message-size> <roundtrips>
//! <peer> remote_lat <connect-to> <message-size> <roundtrips>
//! <peer> pub_thr    <bind-to>    <message-size> <message-count> <subscribers>
//! <peer> sub_thr    <connect-to> <message-size> <message-count>
//! ```
//! <peer> local_hs   <bind-to>    <message-size> <connections>
//! <peer> remote_hs  <connect-to> <message-size> <connections>
//! ```
//! `--curve` before the test name (zmtp and libzmq only) runs it over CURVE, with the fixed
//! [`CURVE_SERVER_SECRET`]/[`CURVE_CLIENT_SECRET`] test key pairs: a benchmark-only
//! convenience, never a way to secure anything.
//!
//! `local_hs`/`remote_hs` measure the handshake rate: the remote side, `connections` times,
//! opens a REQ socket, connects, makes one round trip of `message-size` bytes and closes it;
//! the local REP answers `connections` requests. The remote prints connections per second.
//!
//! ```text
//! `inproc_thr`/`inproc_lat` (zmtp, libzmq, omq and the `tokio::sync::mpsc` baseline) run both
//! sides in one process over `inproc://`, as libzmq's `inproc_thr`/`inproc_lat` do with two
//! threads: the output is `local_thr`'s and `remote_lat`'s.
//!
//! `pub_thr` ends with end markers: messages of message-size + 1 bytes. `sub_thr` stops at
//! message-count messages, an end marker, or 1 s of silence after the first message.

pub mod machine;
pub mod rpc;

use std::time::Duration;

/// Which perf test to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// PULL (or receiver) binds and prints throughput.
    LocalThr,
    /// PUSH (or sender) connects and sends.
    RemoteThr,
    /// REP binds and echoes.
    LocalLat,
    /// REQ connects and prints latency.
    RemoteLat,
    /// PUB binds, waits for its subscribers, publishes.
    PubThr,
    /// SUB connects, receives, prints throughput.
    SubThr,
    /// REP binds and answers one request per connection.
    LocalHs,
    /// REQ per connection: connect, handshake, one round trip, close; prints connections/s.
    RemoteHs,
    /// Sender and receiver in this process over inproc; prints throughput.
    InprocThr,
    /// REQ and REP in this process over inproc; prints latency.
    InprocLat,
}

/// The zmq_curve(7) example server key pair (Z85), public then secret. Published keys: for
/// benchmarks and tests only.
pub const CURVE_SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
/// The secret half of [`CURVE_SERVER_PUBLIC`].
pub const CURVE_SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
/// The zmq_curve(7) example client key pair (Z85), public then secret.
pub const CURVE_CLIENT_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
/// The secret half of [`CURVE_CLIENT_PUBLIC`].
pub const CURVE_CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

/// A parsed command line.
#[derive(Debug, Clone)]
pub struct Args {
    /// The test.
    pub mode: Mode,
    /// `tcp://host:port` to bind or connect.
    pub endpoint: String,
    /// Bytes per message.
    pub size: usize,
    /// Messages or round trips.
    pub count: u64,
    /// Subscribers a publisher waits for (`pub_thr` only).
    pub subscribers: usize,
    /// `--curve`: CURVE with the fixed test keys (the binding side is the CURVE server).
    pub curve: bool,
    /// `--plain`: PLAIN, user "perf" password "perf" (the binding side accepts anyone).
    pub plain: bool,
}

/// Parses `std::env::args()`, exiting with a usage message on error. Refuses `--curve`,
/// the handshake modes (peers without CURVE support) and the inproc modes.
pub fn args() -> Args {
    let args = args_with_curve();
    if matches!(args.mode, Mode::InprocThr | Mode::InprocLat) {
        eprintln!("this peer has no inproc transport");
        std::process::exit(2);
    }
    without_curve(args)
}

/// [`args`] for peers that have inproc but not CURVE (omq).
pub fn args_with_inproc() -> Args {
    without_curve(args_with_curve())
}

fn without_curve(args: Args) -> Args {
    if args.curve || args.plain || matches!(args.mode, Mode::LocalHs | Mode::RemoteHs) {
        eprintln!("this peer supports neither --curve, --plain nor local_hs/remote_hs");
        std::process::exit(2);
    }
    args
}

/// [`args`] for peers that support `--curve`, the handshake modes and inproc.
pub fn args_with_curve() -> Args {
    let argv: Vec<String> = std::env::args().collect();
    parse(&argv[1..]).unwrap_or_else(|e| {
        eprintln!("{e}\nusage: {} [--curve|--plain] <local_thr|remote_thr|local_lat|remote_lat|pub_thr|sub_thr|local_hs|remote_hs|inproc_thr|inproc_lat> <endpoint> <message-size> <count> [<subscribers>]", argv[0]);
        std::process::exit(2)
    })
}

fn parse(argv: &[String]) -> Result<Args, String> {
    let curve = argv.first().map(String::as_str) == Some("--curve");
    let plain = argv.first().map(String::as_str) == Some("--plain");
    let argv = if curve || plain { &argv[1..] } else { argv };
    let mode = match argv.first().map(String::as_str) {
        Some("local_thr") => Mode::LocalThr,
        Some("remote_thr") => Mode::RemoteThr,
        Some("local_lat") => Mode::LocalLat,
        Some("remote_lat") => Mode::RemoteLat,
        Some("pub_thr") => Mode::PubThr,
        Some("sub_thr") => Mode::SubThr,
        Some("local_hs") => Mode::LocalHs,
        Some("remote_hs") => Mode::RemoteHs,
        Some("inproc_thr") => Mode::InprocThr,
        Some("inproc_lat") => Mode::InprocLat,
        other => return Err(format!("unknown mode {other:?}")),
    };
    let expected = if mode == Mode::PubThr { 5 } else { 4 };
    if argv.len() != expected {
        return Err(format!("expected {} arguments", expected - 1));
    }
    let num = |i: usize| -> Result<u64, String> {
        argv[i]
            .parse()
            .map_err(|_| format!("bad number {:?}", argv[i]))
    };
    Ok(Args {
        mode,
        endpoint: argv[1].clone(),
        size: num(2)? as usize,
        count: num(3)?.max(1),
        subscribers: if mode == Mode::PubThr {
            num(4)? as usize
        } else {
            0
        },
        curve,
        plain,
    })
}

/// `tcp://host:port` → `host:port`, for plain sockets.
pub fn tcp_address(endpoint: &str) -> &str {
    endpoint.strip_prefix("tcp://").unwrap_or(endpoint)
}

/// Prints a throughput result in libzmq's `local_thr` format, plus MB/s.
pub fn print_throughput(size: usize, count: u64, elapsed: Duration) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let per_sec = count as f64 / secs;
    let bytes_per_sec = per_sec * size as f64;
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("mean throughput: {per_sec:.0} [msg/s]");
    println!("mean throughput: {:.3} [Mb/s]", bytes_per_sec * 8.0 / 1e6);
    println!("mean throughput: {:.3} [MB/s]", bytes_per_sec / 1e6);
}

/// Prints a latency result in libzmq's `remote_lat` format (mean one-way latency, i.e. half
/// the round trip), plus one-way p50 and p99. Sorts `round_trips`.
pub fn print_latency(size: usize, round_trips: &mut [Duration]) {
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

/// Prints a handshake-rate result: connections (connect, handshake, one round trip, close)
/// per second, and the mean time of one.
pub fn print_handshakes(count: u64, elapsed: Duration) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    println!("connection count: {count}");
    println!("mean rate: {:.1} [conn/s]", count as f64 / secs);
    println!(
        "mean connection time: {:.3} [us]",
        secs * 1e6 / count as f64
    );
}

/// The tokio runtime a peer runs on: `BENCH_RUNTIME=current|multi`, else `default`.
pub fn tokio_runtime(default_multi: bool) -> tokio::runtime::Runtime {
    let multi = match std::env::var("BENCH_RUNTIME").as_deref() {
        Ok("multi") => true,
        Ok("current") => false,
        _ => default_multi,
    };
    let mut builder = if multi {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().expect("tokio runtime")
}

/// How long `sub_thr` waits for the next message once data has started flowing.
pub const SUB_IDLE: Duration = Duration::from_secs(1);

/// How many end markers `pub_thr` sends, 5 ms apart.
pub const END_MARKERS: usize = 20;
