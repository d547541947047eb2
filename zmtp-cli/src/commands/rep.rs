//! `zmtp rep`: a REP server that prints each request and answers it, with the request itself
//! (`--echo`) or a fixed reply (`--reply`).

use zmtp_tokio::{Message, SocketType};

use super::parse_socket_command;
use crate::common::guard;
use crate::error::{CliError, CliResult};
use crate::events::Failures;
use crate::output::{Printed, Printer};

/// `zmtp rep --help`.
pub(crate) const HELP: &str = "\
usage: zmtp rep (--bind|--connect) ENDPOINT... (--echo | --reply MESSAGE) [options]

A REP socket: prints each request as one line on stdout, and answers it.

  --echo                   reply with the request itself
  --reply MESSAGE          reply with MESSAGE, in the --format (text: frames separated by a
                           TAB; hex: frames in hex separated by a space, - an empty frame)

examples:
  zmtp rep --bind tcp://*:5555 --echo
  zmtp rep --bind tcp://*:5555 --reply ok --count 1

exit status: 0 after --count requests were answered; 1 when no request arrives within
--timeout, on authentication failure; 2 on a bad command line.";

/// Runs `zmtp rep`.
pub(crate) async fn run(items: Vec<String>) -> CliResult {
    let mut echo = false;
    let mut reply_text: Option<String> = None;
    let (common, positional) = parse_socket_command("rep", items, |flag, args| {
        match flag.name.as_str() {
            "--echo" => {
                args.switch(flag)?;
                echo = true;
            }
            "--reply" => reply_text = Some(args.value(flag)?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if let Some(p) = positional.first() {
        return Err(CliError::usage(format!(
            "`zmtp rep` takes no message arguments (got {p:?}; did you mean --reply?)"
        )));
    }
    if common.kind.is_some_and(|k| k != SocketType::Rep) {
        return Err(CliError::usage(
            "`zmtp rep` is always a REP socket: drop --type",
        ));
    }
    common.check(SocketType::Rep)?;
    let format = common.format()?;
    let reply: Option<Message> = match (echo, reply_text) {
        (true, None) => None,
        (false, Some(text)) => Some(
            format
                .parse(text.as_bytes())
                .map_err(|e| CliError::usage(format!("--reply: {e}")))?,
        ),
        (true, Some(_)) => return Err(CliError::usage("choose --echo or --reply, not both")),
        (false, None) => {
            return Err(CliError::usage(
                "`zmtp rep` needs --echo or --reply MESSAGE",
            ))
        }
    };
    let printer = Printer::new(format);
    let mut failures = Failures::new();
    let mut socket = common.open(SocketType::Rep, &failures, "", false).await?;

    let mut answered = 0u64;
    let mut printing = true;
    while common.count.is_none_or(|n| answered < n) {
        let request = guard(
            &mut failures,
            common.timeout,
            || match answered {
                0 => format!("no request received ({})", common.endpoints()),
                n => format!("no request received after request {n}"),
            },
            socket.recv(),
        )
        .await?;
        if printing && printer.print(&request)? == Printed::ReaderGone {
            printing = false;
        }
        let answer = reply.clone().unwrap_or(request);
        guard(
            &mut failures,
            common.timeout,
            || format!("could not reply to request {}", answered + 1),
            socket.send(answer),
        )
        .await?;
        answered += 1;
    }
    socket.close().await;
    Ok(())
}
