//! `zmtp send`: sends messages (from the arguments, or stdin lines) on a socket of any type
//! that sends.

use std::time::Duration;

use zmtp_tokio::SocketType;

use super::{parse_socket_command, required_type};
use crate::common::{self, guard};
use crate::error::{CliError, CliResult};
use crate::events::Failures;
use crate::input::Input;
use crate::socket;

/// `zmtp send --help`.
pub(crate) const HELP: &str = "\
usage: zmtp send --type TYPE (--bind|--connect) ENDPOINT... [options] [MESSAGE...]

Sends each MESSAGE argument as one message; without any, each line of stdin. A message is
written in the --format: in text (the default) its frames are separated by a TAB, so
`zmtp send -t push -c tcp://127.0.0.1:5555 $'job\\t42'` sends two frames, `job` and `42`;
in hex, `6869 -` is the frames `hi` and an empty one.

It first waits until a peer is connected (and, for PUB and XPUB, 200 ms more for its
subscriptions to arrive), then sends, then waits up to --linger for everything to be
delivered.

types: push pub xpub xsub dealer router pair. ROUTER: the first frame is the identity of the
peer to send to (an identity no connected peer has is an error). XSUB: a message starting
with byte 1 or 0 is a subscription or a cancellation. For REQ use `zmtp req`, for REP
`zmtp rep`. Messages starting with - go after `--`.

examples:
  zmtp send --type push --connect tcp://127.0.0.1:5555 hello world      # two messages
  seq 3 | zmtp send --type pub --bind tcp://*:5556
  zmtp send --format hex --type push --connect tcp://127.0.0.1:5555 \"6869 -\"

exit status: 0 once every message was delivered (each peer read it: it closed its side of the
connection after our last message); 1 when no peer came, a message could not be sent within
--timeout, the linger time ran out before everything was delivered, on authentication failure,
or on a line of stdin that is not valid in the --format (what came before it is delivered);
2 on a bad command line, a MESSAGE argument not valid in the --format included (nothing is
bound or connected then).";

/// How long a PUB or XPUB waits after its first peer connected, for subscriptions to arrive.
const SUBSCRIPTION_SETTLE: Duration = Duration::from_millis(200);

/// Runs `zmtp send`.
pub(crate) async fn run(items: Vec<String>) -> CliResult {
    let (mut common, messages) = parse_socket_command("send", items, |_, _| Ok(false))?;
    common.router_mandatory = true;
    let kind = required_type(&common, "send")?;
    if !socket::can_send(kind) {
        return Err(CliError::usage(format!(
            "a {kind} socket cannot send (use `zmtp recv`)"
        )));
    }
    common.check(kind)?;
    let mut input = Input::new(common.format()?, messages)?;
    let mut failures = Failures::new();
    let mut socket = common.open(kind, &failures, "", false).await?;
    let timeout = common.timeout;

    guard(
        &mut failures,
        timeout,
        || format!("no peer connected ({})", common.endpoints()),
        common::wait_for_peer(&socket),
    )
    .await?;
    if matches!(kind, SocketType::Pub | SocketType::XPub) {
        tokio::time::sleep(SUBSCRIPTION_SETTLE).await;
    }

    let mut sent = 0u64;
    let mut bad_input = None;
    while common.count.is_none_or(|n| sent < n) {
        let message = match input.next().await {
            Ok(Some(message)) => message,
            Ok(None) => break,
            // What was sent before the bad line is still delivered: close first.
            Err(e) => {
                bad_input = Some(e);
                break;
            }
        };
        guard(
            &mut failures,
            timeout,
            || {
                format!(
                    "could not send message {} (no peer could take it)",
                    sent + 1
                )
            },
            socket.send(message),
        )
        .await?;
        sent += 1;
    }
    let report = socket.close().await;
    if let Some(e) = bad_input {
        return Err(e);
    }
    if report.is_complete() {
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "not everything was delivered within the linger time (see --linger): {report}"
        )))
    }
}
