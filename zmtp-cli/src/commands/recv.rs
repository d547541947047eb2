//! `zmtp recv`: prints the messages a socket of any type that receives gets.

use std::time::Duration;

use super::{parse_socket_command, required_type};
use crate::common::guard;
use crate::error::{CliError, CliResult};
use crate::events::Failures;
use crate::output::{Printed, Printer};
use crate::socket;

/// `zmtp recv --help`.
pub(crate) const HELP: &str = "\
usage: zmtp recv --type TYPE (--bind|--connect) ENDPOINT... [options]

Prints each message received as one line on stdout (flushed at once), in the --format: in
text (the default) the frames separated by a TAB, in hex each frame in hex with a space
between frames (an empty frame is -). Use hex for binary data.

types: pull sub xsub xpub dealer router pair (ROUTER: the first frame is the sender's
identity; XPUB: subscriptions arrive as messages whose first byte is 1, cancellations 0).
For REQ use `zmtp req`, for REP `zmtp rep`.

  --subscribe TOPIC        SUB, XSUB: receive messages whose first frame starts with TOPIC
                           (repeatable; in hex with --format hex). Default: everything.

examples:
  zmtp recv --type pull --bind tcp://*:5555
  zmtp recv --type sub --connect tcp://127.0.0.1:5556 --subscribe weather. --count 10
  zmtp recv --type router --bind ipc:///tmp/router.sock --format hex

exit status: 0 after --count messages; 1 when nothing arrives within --timeout (also after
some messages: the timeout is per message), on authentication failure; 2 on a bad command
line.";

/// Runs `zmtp recv`.
pub(crate) async fn run(items: Vec<String>) -> CliResult {
    let (common, _) = parse_socket_command("recv", items, |_, _| Ok(false)).and_then(
        |(common, positional)| match positional.first() {
            Some(p) => Err(CliError::usage(format!(
                "`zmtp recv` takes no message arguments (got {p:?})"
            ))),
            None => Ok((common, positional)),
        },
    )?;
    let kind = required_type(&common, "recv")?;
    if !socket::can_recv(kind) {
        return Err(CliError::usage(format!(
            "a {kind} socket cannot receive (use `zmtp send`)"
        )));
    }
    common.check(kind)?;
    let printer = Printer::new(common.format()?);
    let mut failures = Failures::new();
    let mut socket = common.open(kind, &failures, "", true).await?;

    let mut received = 0u64;
    while common.count.is_none_or(|n| received < n) {
        let message = guard(
            &mut failures,
            common.timeout,
            || match received {
                0 => format!("nothing received ({})", common.endpoints()),
                n => format!("nothing received after message {n}"),
            },
            socket.recv(),
        )
        .await?;
        received += 1;
        if printer.print(&message)? == Printed::ReaderGone {
            break;
        }
    }
    socket.close_timeout(Duration::from_secs(1)).await;
    Ok(())
}
