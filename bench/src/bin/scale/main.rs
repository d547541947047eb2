//! Scaling benchmark, zmtp and libzmq side by side in one run: a ROUTER echoing for N
//! DEALERs (server CPU per round trip), a publisher fanning out to N subscribers (publisher
//! CPU per delivered copy, peak RSS), and RSS per idle connection.
//!
//! Without a subcommand (or with `run`) this is the driver: it starts itself as child
//! processes, each server or publisher pinned to core 0 and each client process to core 1,
//! so that each process can measure itself with getrusage(RUSAGE_SELF) and /proc/self/statm.
//! It writes `results/<date>-scale[-quick].{md,csv}`. Normally started by `bench/scale.sh`.
//! See `config::USAGE` for the options and the module docs of `echo`, `fanout` and `idle` for
//! each case.

mod args;
mod config;
mod driver;
mod echo;
mod fanout;
mod idle;
mod process;
mod report;
mod rusage;

use std::path::{Path, PathBuf};
use std::time::Instant;

use args::Flags;
use config::Config;
use zmtp_bench::machine::{loadavg, today, unique_stem};

/// A child subcommand's entry point.
type ChildMain = fn(&Flags) -> Result<(), String>;

fn main() {
    process::raise_fd_limit();
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match argv.first().map(String::as_str) {
        Some(c) if !c.starts_with("--") => (c.to_string(), &argv[1..]),
        _ => ("run".to_string(), &argv[..]),
    };
    let flags = match Flags::parse(rest) {
        Ok(flags) => flags,
        Err(e) => fail(&command, &e),
    };
    let child: Option<ChildMain> = match command.as_str() {
        "echo-server" => Some(echo::server),
        "echo-client" => Some(echo::client),
        "publisher" => Some(fanout::publisher),
        "subscriber" => Some(fanout::subscriber),
        "idle-server" => Some(idle::server),
        "idle-client" => Some(idle::client),
        "run" => None,
        "help" => {
            println!("{}", config::USAGE);
            return;
        }
        other => fail(other, "unknown subcommand"),
    };
    match child {
        Some(run) => {
            process::die_with_parent();
            if let Err(e) = run(&flags) {
                // The driver reads this line as the cell's error.
                process::say(format_args!("ERROR {e}"));
                std::process::exit(1);
            }
        }
        None => drive(&flags),
    }
}

fn fail(command: &str, error: &str) -> ! {
    eprintln!("scale {command}: {error}\n{}", config::USAGE);
    std::process::exit(2);
}

fn drive(flags: &Flags) {
    if flags.switch("help") {
        println!("{}", config::USAGE);
        return;
    }
    let config = match Config::from_flags(flags) {
        Ok(config) => config,
        Err(e) => fail("run", &e),
    };
    let started = Instant::now();
    eprintln!("open-file limit: {}", process::fd_limit());
    let load_before = loadavg();
    let samples = driver::run_all(&config);
    let meta = report::Meta {
        argv: std::env::args()
            .map(|a| shell_quoted(&a))
            .collect::<Vec<_>>()
            .join(" "),
        elapsed: started.elapsed(),
        load_before,
        load_after: loadavg(),
    };
    let md = report::markdown(&config, &samples, &meta);
    let stem = output_stem(&config.out, config.quick);
    std::fs::create_dir_all(&config.out).expect("output directory");
    std::fs::write(stem.with_extension("md"), &md).expect("write markdown");
    std::fs::write(stem.with_extension("csv"), report::csv(&samples)).expect("write csv");
    println!("{md}");
    eprintln!(
        "wrote {}.{{md,csv}} in {:.0?}",
        stem.display(),
        started.elapsed()
    );
}

/// `results/<YYYY-MM-DD>-scale[-quick][-N]`, not overwriting an earlier run of the same day.
fn output_stem(dir: &Path, quick: bool) -> PathBuf {
    let base = format!("{}-scale{}", today(), if quick { "-quick" } else { "" });
    unique_stem(dir, &base)
}

/// `arg` as a shell word: as it is when plain, else in single quotes.
fn shell_quoted(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}
