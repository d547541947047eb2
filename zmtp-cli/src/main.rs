//! `zmtp`: a ZeroMQ command line tool on zmtp-tokio.
//!
//! - `zmtp send` / `zmtp recv`: send or print messages on a socket of any type;
//! - `zmtp req` / `zmtp rep`: request-reply client and server;
//! - `zmtp proxy`: a frontend-backend proxy (libzmq's `zmq_proxy`), with optional capture;
//! - `zmtp keygen`: a CURVE key pair in Z85;
//! - `zmtp perf`: libzmq's four perf tests plus fan-out and handshake-rate pairs.
//!
//! Run `zmtp <command> --help` for each. The code is one file per concept: `args` (parsing),
//! `format` (text and hex messages), `security` (PLAIN/CURVE flags), `socket` (any socket
//! type), `common` (the shared flags and socket setup), `events` (monitor watching), `input`
//! and `output`, and `commands/` (one file per subcommand).

mod args;
mod commands;
mod common;
mod error;
mod events;
mod format;
mod input;
mod output;
mod perf;
mod perf_cmd;
mod report;
mod security;
mod socket;

use std::process::ExitCode;

use error::{CliError, CliResult};

/// `zmtp --help`.
const USAGE: &str = "\
usage: zmtp <command> [options]

commands:
  send     send messages (arguments, or stdin lines) on a socket of any type that sends
  recv     print the messages a socket of any type receives, one line each
  req      REQ client: send each message, print each reply
  rep      REP server: print each request, answer it (--echo or --reply)
  proxy    move messages between a frontend and a backend socket (ROUTER/DEALER, XSUB/XPUB, ...)
  keygen   print a new CURVE key pair (Z85)
  perf     throughput and latency tests, compatible with libzmq's perf tools

Run `zmtp <command> --help` for its options. Example, in two terminals:
  zmtp recv --type pull --bind tcp://127.0.0.1:5555
  zmtp send --type push --connect tcp://127.0.0.1:5555 hello

exit status: 0 on success, 1 on failure (timeout, authentication, bind, ...), 2 on a bad
command line.";

fn main() -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.into_string())
        .collect();
    let result = match args {
        Ok(args) => run(args),
        Err(bad) => Err(CliError::usage(format!(
            "argument {bad:?} is not valid UTF-8 (use --format hex for binary data)"
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zmtp: {e}");
            e.exit_code()
        }
    }
}

/// The help text of a socket command, `None` for an unknown one.
fn help_of(command: &str) -> Option<String> {
    let (own, shared) = match command {
        "send" => (commands::send::HELP, true),
        "recv" => (commands::recv::HELP, true),
        "req" => (commands::req::HELP, true),
        "rep" => (commands::rep::HELP, true),
        "proxy" => (commands::proxy::HELP, false),
        "keygen" => (commands::keygen::HELP, false),
        "perf" => (perf_cmd::USAGE, false),
        _ => return None,
    };
    let mut text = own.to_owned();
    if shared {
        text.push_str("\n\n");
        text.push_str(common::HELP);
        text.push_str("\n\n");
        text.push_str(security::HELP);
        text.push_str(&format!("\n\nsocket types: {}", socket::TYPE_NAMES));
    } else if command == "proxy" {
        text.push_str("\n\n");
        text.push_str(security::HELP);
    }
    Some(text)
}

/// Runs the command named by the first argument.
fn run(mut args: Vec<String>) -> CliResult {
    if args.is_empty() {
        return Err(CliError::usage(
            "missing command (send, recv, req, rep, proxy, keygen, perf); see `zmtp --help`",
        ));
    }
    let command = args.remove(0);
    match command.as_str() {
        "-h" | "--help" | "help" => {
            match args.first().and_then(|c| help_of(c)) {
                Some(help) => println!("{help}"),
                None => println!("{USAGE}"),
            }
            return Ok(());
        }
        "-V" | "--version" => {
            println!("zmtp {}", env!("CARGO_PKG_VERSION"));
            return Ok(());
        }
        // Unchanged since before the other commands: its own parsing and runtime choice.
        "perf" => return perf_cmd::run(&args).map_err(CliError::failed),
        _ => {}
    }
    let Some(help) = help_of(&command) else {
        return Err(CliError::usage(format!(
            "unknown command {command:?} (expected send, recv, req, rep, proxy, keygen or perf); see `zmtp --help`"
        )));
    };
    if args::wants_help(&args) {
        println!("{help}");
        return Ok(());
    }
    if command == "keygen" {
        return commands::keygen::run(args).map_err(|e| with_hint(e, &command));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("cannot start the tokio runtime: {e}")))?;
    let result = runtime.block_on(async move {
        match command.as_str() {
            "send" => commands::send::run(args).await,
            "recv" => commands::recv::run(args).await,
            "req" => commands::req::run(args).await,
            "rep" => commands::rep::run(args).await,
            "proxy" => commands::proxy::run(args).await,
            _ => unreachable!("help_of knows only these"),
        }
        .map_err(|e| with_hint(e, &command))
    });
    // Background tasks (connections still lingering after a failure) must not hold the exit.
    runtime.shutdown_background();
    result
}

/// Points a command line error at the command's help.
fn with_hint(error: CliError, command: &str) -> CliError {
    match error {
        CliError::Usage(m) if !m.contains("--help") => {
            CliError::Usage(format!("{m} (see `zmtp {command} --help`)"))
        }
        other => other,
    }
}
