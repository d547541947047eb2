//! `zmtp req`: a REQ client that sends each message and prints each reply.

use zmtp_tokio::SocketType;

use super::parse_socket_command;
use crate::common::guard;
use crate::error::{CliError, CliResult};
use crate::events::Failures;
use crate::input::Input;
use crate::output::{Printed, Printer};

/// `zmtp req --help`.
pub(crate) const HELP: &str = "\
usage: zmtp req (--bind|--connect) ENDPOINT... [options] [MESSAGE...]

A REQ socket: sends each MESSAGE argument (without any, each line of stdin) as a request,
waits for its reply and prints it as one line on stdout. Messages are read and printed in
the --format (text: frames separated by a TAB; hex: frames in hex separated by a space).

examples:
  zmtp req --connect tcp://127.0.0.1:5555 hello
  zmtp req --connect tcp://127.0.0.1:5555 --timeout 5 --format hex \"6869 -\"

exit status: 0 after every reply; 1 when a request cannot be sent or its reply does not
arrive within --timeout, on authentication failure or bad input; 2 on a bad command line.";

/// Runs `zmtp req`.
pub(crate) async fn run(items: Vec<String>) -> CliResult {
    let (common, messages) = parse_socket_command("req", items, |_, _| Ok(false))?;
    if common.kind.is_some_and(|k| k != SocketType::Req) {
        return Err(CliError::usage(
            "`zmtp req` is always a REQ socket: drop --type",
        ));
    }
    common.check(SocketType::Req)?;
    let format = common.format()?;
    let printer = Printer::new(format.clone());
    let mut input = Input::new(format, messages)?;
    let mut failures = Failures::new();
    let mut socket = common.open(SocketType::Req, &failures, "", false).await?;

    let mut done = 0u64;
    while common.count.is_none_or(|n| done < n) {
        let Some(request) = input.next().await? else {
            break;
        };
        guard(
            &mut failures,
            common.timeout,
            || {
                format!(
                    "could not send request {} ({})",
                    done + 1,
                    common.endpoints()
                )
            },
            socket.send(request),
        )
        .await?;
        let reply = guard(
            &mut failures,
            common.timeout,
            || format!("no reply to request {}", done + 1),
            socket.recv(),
        )
        .await?;
        done += 1;
        if printer.print(&reply)? == Printed::ReaderGone {
            break;
        }
    }
    socket.close().await;
    Ok(())
}
