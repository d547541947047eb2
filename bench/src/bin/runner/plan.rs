//! What to run: the settings, the implementations and the test groups.

use std::path::PathBuf;

use crate::cell::Cell;

pub const USAGE: &str =
    "usage: runner [--quick] [--reps N] [--secs S] [--tests thr,lat,place,fan,inproc,curve,plain] \
[--only impl,...] [--zmtp PATH] [--peers DIR] [--zmtp-runtime current|multi] [--out DIR]";

/// Throughput message sizes.
const THR_SIZES: [usize; 4] = [1, 64, 1024, 65536];
/// Latency message sizes.
const LAT_SIZES: [usize; 2] = [1, 1024];
/// Fan-out: message size and subscribers.
const FAN_SIZE: usize = 64;
pub const FAN_SUBSCRIBERS: usize = 4;
/// CURVE (opt-in `--tests curve`, zmtp and libzmq only): throughput sizes, latency size and
/// the handshake test's round-trip size.
const CURVE_THR_SIZES: [usize; 3] = [64, 1024, 65536];
const CURVE_LAT_SIZE: usize = 1;
const CURVE_HS_SIZE: usize = 1;
/// inproc (one process, both sides): throughput sizes and the latency size.
const INPROC_THR_SIZES: [usize; 4] = [1, 64, 1024, 65536];
const INPROC_LAT_SIZE: usize = 1;
/// The implementations with an inproc transport, and the channel baseline.
const INPROC_IMPLS: [&str; 4] = ["zmtp", "libzmq", "omq", "mpsc"];
/// PLAIN (opt-in `--tests plain`, zmtp and libzmq only): throughput sizes and latency size, each
/// run over NULL too so that the two compare within one run.
const PLAIN_THR_SIZES: [usize; 2] = [64, 1024];
const PLAIN_LAT_SIZE: usize = 1;

/// Runner settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub quick: bool,
    pub reps: usize,
    /// Target seconds per measured run.
    pub secs: f64,
    pub tests: Vec<String>,
    /// Only pairs whose implementations are all in here (empty: all).
    pub only: Vec<String>,
    pub zmtp: PathBuf,
    pub zmtp_runtime: Option<String>,
    pub out: PathBuf,
    pub impls: Vec<Impl>,
}

/// One implementation's perf peer.
#[derive(Debug, Clone)]
pub struct Impl {
    pub key: &'static str,
    pub label: String,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Config {
    pub fn from_args(args: Vec<String>) -> Result<Config, String> {
        let bench = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut c = Config {
            quick: false,
            reps: 5,
            secs: 1.0,
            tests: ["thr", "lat", "place", "fan", "inproc"]
                .map(String::from)
                .to_vec(),
            only: Vec::new(),
            zmtp: bench.join("../target/release/zmtp"),
            zmtp_runtime: None,
            out: bench.join("results"),
            impls: Vec::new(),
        };
        let (mut reps, mut secs) = (None, None);
        let mut peers = bench.join("target/release");
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            let mut value = || it.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--quick" => c.quick = true,
                "--reps" => reps = Some(value()?.parse().map_err(|_| "bad --reps")?),
                "--secs" => secs = Some(value()?.parse().map_err(|_| "bad --secs")?),
                "--tests" => c.tests = value()?.split(',').map(String::from).collect(),
                "--only" => c.only = value()?.split(',').map(String::from).collect(),
                "--zmtp" => c.zmtp = value()?.into(),
                "--peers" => peers = value()?.into(),
                "--zmtp-runtime" => c.zmtp_runtime = Some(value()?),
                "--out" => c.out = value()?.into(),
                "-h" | "--help" => return Err("help".into()),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        c.reps = reps.unwrap_or(if c.quick { 1 } else { 5 }).max(1);
        c.secs = secs.unwrap_or(if c.quick { 0.15 } else { 1.0 });
        let peer = |name: &str| vec![peers.join(name).display().to_string()];
        let zmtp_env: Vec<(String, String)> = c
            .zmtp_runtime
            .iter()
            .map(|r| ("ZMTP_RUNTIME".into(), r.clone()))
            .collect();
        let zmtp_env_for_mpsc = zmtp_env.clone();
        c.impls = vec![
            Impl {
                key: "libzmq",
                label: format!("libzmq {} (Debian, `zmq` crate 0.9.2)", libzmq_version()),
                argv: peer("perf-libzmq"),
                env: vec![],
            },
            Impl {
                key: "zmtp",
                label: "zmtp (this repo, `zmtp perf`)".into(),
                argv: vec![c.zmtp.display().to_string(), "perf".into()],
                env: zmtp_env,
            },
            Impl {
                key: "zmtp-blocking",
                label: "zmtp-blocking (this repo: the blocking API, main thread, I/O driven by the waiting caller)"
                    .into(),
                argv: peer("perf-blocking"),
                env: vec![],
            },
            Impl {
                key: "zmtp-blocking-1w",
                label: "zmtp-blocking on one I/O worker thread (`Runtime::with_workers(1)`)".into(),
                argv: peer("perf-blocking"),
                env: vec![("ZMTP_BLOCKING_WORKERS".into(), "1".into())],
            },
            Impl {
                key: "omq",
                label: "omq-tokio 0.33.0".into(),
                argv: peer("perf-omq"),
                env: vec![],
            },
            Impl {
                key: "zeromq",
                label: "zeromq 0.7.0".into(),
                argv: peer("perf-zeromq"),
                env: vec![],
            },
            Impl {
                key: "tcp",
                label: "plain TCP, 4-byte length prefix".into(),
                argv: peer("perf-tcp"),
                env: vec![],
            },
            Impl {
                key: "mpsc",
                label: "a bounded `tokio::sync::mpsc` channel of `Bytes` (capacity 1000) between \
                        two tasks on zmtp's runtime: the inproc tables' physical limit"
                    .into(),
                argv: peer("perf-mpsc"),
                env: zmtp_env_for_mpsc,
            },
        ];
        Ok(c)
    }

    fn impl_index(&self, key: &str) -> usize {
        self.impls
            .iter()
            .position(|i| i.key == key)
            .expect("known implementation")
    }

    /// zmtp and libzmq pairs only (the peers that support `--curve` and `--plain`), with the
    /// cross pairs.
    fn curve_pairs(&self) -> Vec<Pair> {
        let mut pairs = self.pairs(true);
        pairs.retain(|p| {
            [p.local, p.remote]
                .iter()
                .all(|&i| matches!(self.impls[i].key, "zmtp" | "libzmq"))
        });
        pairs
    }

    /// One process per implementation that has inproc (and the channel baseline).
    fn inproc_pairs(&self) -> Vec<Pair> {
        let mut pairs = self.self_pairs();
        pairs.retain(|p| INPROC_IMPLS.contains(&self.impls[p.local].key));
        self.only_wanted(pairs)
    }

    /// Same-implementation pairs, then (with `cross`) zmtp↔libzmq. (The channel baseline is
    /// only for the inproc tables.)
    fn pairs(&self, cross: bool) -> Vec<Pair> {
        let mut pairs = self.self_pairs();
        pairs.retain(|p| self.impls[p.local].key != "mpsc");
        if cross {
            let (z, l) = (self.impl_index("zmtp"), self.impl_index("libzmq"));
            // The sender/requester is the remote side: "zmtp→libzmq" = zmtp sends to libzmq.
            pairs.push(Pair {
                label: "zmtp→libzmq".into(),
                local: l,
                remote: z,
            });
            pairs.push(Pair {
                label: "libzmq→zmtp".into(),
                local: z,
                remote: l,
            });
        }
        self.only_wanted(pairs)
    }

    /// Pairs whose implementations are all in `--only` (all without it).
    fn only_wanted(&self, mut pairs: Vec<Pair>) -> Vec<Pair> {
        pairs.retain(|p| {
            self.only.is_empty()
                || [p.local, p.remote]
                    .iter()
                    .all(|&i| self.only.iter().any(|k| k == self.impls[i].key))
        });
        pairs
    }

    fn self_pairs(&self) -> Vec<Pair> {
        self.impls
            .iter()
            .enumerate()
            .map(|(i, imp)| Pair {
                label: imp.key.to_string(),
                local: i,
                remote: i,
            })
            .collect()
    }

    /// The test groups, in running order.
    pub fn groups(&self) -> Vec<Group> {
        let mut groups = Vec::new();
        let has = |t: &str| self.tests.iter().any(|x| x == t);
        if has("thr") {
            for size in THR_SIZES {
                groups.push(Group {
                    test: Test::Thr,
                    size,
                    placement: Placement::Free,
                    curve: false,
                    plain: false,
                    pairs: self.pairs(true),
                });
            }
        }
        if has("lat") {
            for size in LAT_SIZES {
                groups.push(Group {
                    test: Test::Lat,
                    size,
                    placement: Placement::Free,
                    curve: false,
                    plain: false,
                    pairs: self.pairs(true),
                });
            }
        }
        if has("place") {
            for placement in [Placement::SameCore, Placement::SplitCores] {
                groups.push(Group {
                    test: Test::Lat,
                    size: 1,
                    placement,
                    curve: false,
                    plain: false,
                    pairs: self.pairs(false),
                });
            }
        }
        if has("fan") {
            groups.push(Group {
                test: Test::Fan,
                size: FAN_SIZE,
                placement: Placement::Free,
                curve: false,
                plain: false,
                pairs: self.pairs(false),
            });
        }
        if has("inproc") {
            let tests = INPROC_THR_SIZES
                .map(|size| (Test::InprocThr, size))
                .into_iter()
                .chain([(Test::InprocLat, INPROC_LAT_SIZE)]);
            for (test, size) in tests {
                groups.push(Group {
                    test,
                    size,
                    placement: Placement::Free,
                    curve: false,
                    plain: false,
                    pairs: self.inproc_pairs(),
                });
            }
        }
        if has("curve") {
            let tests = CURVE_THR_SIZES
                .map(|size| (Test::Thr, size))
                .into_iter()
                .chain([(Test::Lat, CURVE_LAT_SIZE), (Test::Hs, CURVE_HS_SIZE)]);
            for (test, size) in tests {
                groups.push(Group {
                    test,
                    size,
                    placement: Placement::Free,
                    curve: true,
                    plain: false,
                    pairs: self.curve_pairs(),
                });
            }
        }
        if has("plain") {
            let tests = PLAIN_THR_SIZES
                .map(|size| (Test::Thr, size))
                .into_iter()
                .chain([(Test::Lat, PLAIN_LAT_SIZE)]);
            for (test, size) in tests {
                // The NULL twin, unless the thr/lat groups already run it.
                let null_runs = match test {
                    Test::Thr => has("thr"),
                    _ => has("lat"),
                };
                for plain in [false, true] {
                    if !plain && null_runs {
                        continue;
                    }
                    groups.push(Group {
                        test,
                        size,
                        placement: Placement::Free,
                        curve: false,
                        plain,
                        pairs: self.curve_pairs(),
                    });
                }
            }
        }
        groups
    }
}

fn libzmq_version() -> String {
    std::process::Command::new("pkg-config")
        .args(["--modversion", "libzmq"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Which perf test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// PUSH→PULL throughput.
    Thr,
    /// REQ→REP latency.
    Lat,
    /// PUB→SUB fan-out.
    Fan,
    /// Handshake rate: connect, handshake, one REQ→REP round trip, close, repeatedly.
    Hs,
    /// PUSH→PULL throughput in one process over inproc.
    InprocThr,
    /// REQ→REP latency in one process over inproc.
    InprocLat,
}

impl Test {
    /// Whether both sides run in one process (over inproc).
    pub fn in_one_process(self) -> bool {
        matches!(self, Test::InprocThr | Test::InprocLat)
    }
}

/// Where the two processes of a latency test run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Wherever the scheduler puts them.
    Free,
    /// Both on core 0.
    SameCore,
    /// REP on core 0, REQ on core 1.
    SplitCores,
}

impl Placement {
    pub fn name(self) -> &'static str {
        match self {
            Placement::Free => "unpinned",
            Placement::SameCore => "same core (taskset -c 0 / -c 0)",
            Placement::SplitCores => "split cores (taskset -c 0 / -c 1)",
        }
    }
}

/// A binding ("local") and a connecting ("remote") implementation.
#[derive(Debug, Clone)]
pub struct Pair {
    pub label: String,
    pub local: usize,
    pub remote: usize,
}

/// One test at one size and placement, over several pairs.
#[derive(Debug, Clone)]
pub struct Group {
    pub test: Test,
    pub size: usize,
    pub placement: Placement,
    /// Over CURVE (`--curve` on both peers).
    pub curve: bool,
    /// Over PLAIN (`--plain` on both peers).
    pub plain: bool,
    pairs: Vec<Pair>,
}

impl Group {
    pub fn title(&self) -> String {
        let title = match self.test {
            Test::Thr => format!("PUSH→PULL throughput, {} B", self.size),
            Test::Lat => format!(
                "REQ→REP latency, {} B, {}",
                self.size,
                self.placement.name()
            ),
            Test::Fan => format!("PUB→{FAN_SUBSCRIBERS}×SUB fan-out, {} B", self.size),
            Test::Hs => format!(
                "handshake rate (connect, 1 round trip of {} B, close)",
                self.size
            ),
            Test::InprocThr => format!("inproc PUSH→PULL throughput, {} B", self.size),
            Test::InprocLat => format!("inproc REQ→REP latency, {} B", self.size),
        };
        if self.curve {
            format!("CURVE {title}")
        } else if self.plain {
            format!("PLAIN {title}")
        } else {
            title
        }
    }

    pub fn cells(&self, config: &Config) -> Vec<Cell> {
        self.pairs
            .iter()
            .map(|pair| Cell {
                test: self.test,
                size: self.size,
                placement: self.placement,
                curve: self.curve,
                plain: self.plain,
                pair: pair.clone(),
                local: config.impls[pair.local].clone(),
                remote: config.impls[pair.remote].clone(),
                count: 0,
                samples: Vec::new(),
                failures: Vec::new(),
            })
            .collect()
    }
}
