//! The driver's options.

use std::path::PathBuf;

use crate::args::{Flags, Impl};

pub const USAGE: &str = "\
scale [--quick] [--reps R] [--secs S] [--cases echo,fan,idle] [--only zmtp,libzmq]
      [--echo-n 1,10,100,1000,5000] [--fan-n 1,10,100,1000] [--idle-n 10000]
      [--rate 20000] [--out DIR] [--cmdline TEXT]

  --quick    smoke run: N up to 100 (idle: 100 connections), 0.5 s windows, 1 rep
  --reps     repetitions of every cell, interleaved (default 3); medians are reported
  --secs     measuring window of the echo server and publishing time (default 2)
  --cases    echo (ROUTER echo), fan (PUB/SUB flat out and paced), fan-flat, fan-paced, idle
  --rate     paced fan-out: copies per second summed over all subscribers (default 20000)
  --out      where <date>-scale[-quick].{md,csv} go (default: bench/results)
  --cmdline  the command line to print at the top of the report (bench/scale.sh passes it)

Child subcommands (started by the driver): echo-server, echo-client, publisher,
subscriber, idle-server, idle-client.";

/// One kind of measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Echo,
    FanFlat,
    FanPaced,
    Idle,
}

impl Case {
    pub fn name(self) -> &'static str {
        match self {
            Case::Echo => "echo",
            Case::FanFlat => "fan-flat",
            Case::FanPaced => "fan-paced",
            Case::Idle => "idle",
        }
    }
}

#[derive(Debug)]
pub struct Config {
    pub quick: bool,
    pub reps: usize,
    pub secs: f64,
    pub cases: Vec<Case>,
    pub impls: Vec<Impl>,
    pub echo_n: Vec<usize>,
    pub fan_n: Vec<usize>,
    pub idle_n: Vec<usize>,
    pub rate: f64,
    pub out: PathBuf,
    pub cmdline: String,
}

/// The server or publisher runs on this core, the clients on the other.
pub const SERVER_CORE: usize = 0;
pub const CLIENT_CORE: usize = 1;

impl Config {
    pub fn from_flags(flags: &Flags) -> Result<Config, String> {
        let quick = flags.switch("quick");
        let cases = match flags.string("cases") {
            None => vec![Case::Echo, Case::FanFlat, Case::FanPaced, Case::Idle],
            Some(list) => {
                let mut cases = Vec::new();
                for name in list.split(',') {
                    match name {
                        "echo" => cases.push(Case::Echo),
                        "fan" => cases.extend([Case::FanFlat, Case::FanPaced]),
                        "fan-flat" => cases.push(Case::FanFlat),
                        "fan-paced" => cases.push(Case::FanPaced),
                        "idle" => cases.push(Case::Idle),
                        other => return Err(format!("unknown case {other:?}")),
                    }
                }
                cases
            }
        };
        let (echo_n, fan_n, idle_n, secs, reps) = if quick {
            (vec![1, 10, 100], vec![1, 10, 100], vec![100], 0.5, 1)
        } else {
            (
                vec![1, 10, 100, 1000, 5000],
                vec![1, 10, 100, 1000],
                vec![10_000],
                2.0,
                3,
            )
        };
        let config = Config {
            quick,
            reps: flags.get("reps", reps)?,
            secs: flags.get("secs", secs)?,
            cases,
            impls: flags.list("only", vec![Impl::Zmtp, Impl::Libzmq])?,
            echo_n: flags.list("echo-n", echo_n)?,
            fan_n: flags.list("fan-n", fan_n)?,
            idle_n: flags.list("idle-n", idle_n)?,
            rate: flags.get("rate", 20_000.0)?,
            out: flags
                .string("out")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results")),
            cmdline: flags.string("cmdline").unwrap_or_default().to_string(),
        };
        if config.reps == 0 || config.secs <= 0.0 || config.rate <= 0.0 {
            return Err("--reps, --secs and --rate must be positive".into());
        }
        let all_n = config
            .echo_n
            .iter()
            .chain(&config.fan_n)
            .chain(&config.idle_n);
        if all_n.clone().any(|&n| n == 0) {
            return Err("every N must be at least 1".into());
        }
        Ok(config)
    }

    /// The N values of a case.
    pub fn ns(&self, case: Case) -> &[usize] {
        match case {
            Case::Echo => &self.echo_n,
            Case::FanFlat | Case::FanPaced => &self.fan_n,
            Case::Idle => &self.idle_n,
        }
    }
}
