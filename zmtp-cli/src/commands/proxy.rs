//! `zmtp proxy`: zmtp-tokio's [`Proxy`] between a frontend and a backend socket, optionally
//! copying every message to a capture socket, until interrupted.

use zmtp_tokio::{Proxy, ProxySocket, SocketType};

use super::parse_socket_command;
use crate::common::{guard, CommonFlags};
use crate::error::{CliError, CliResult};
use crate::events::Failures;
use crate::security::SecurityFlags;
use crate::socket::{self, AnySocket};

/// `zmtp proxy --help`.
pub(crate) const HELP: &str = "\
usage: zmtp proxy --frontend-type TYPE (--frontend-bind|--frontend-connect) ENDPOINT...
                  --backend-type TYPE (--backend-bind|--backend-connect) ENDPOINT...
                  [--capture-type TYPE (--capture-bind|--capture-connect) ENDPOINT...]
                  [--verbose] [--linger SECONDS] [security options]

Moves every message from the frontend to the backend and back (libzmq's zmq_proxy) until
interrupted (Ctrl-C). Each side takes any number of --*-bind and --*-connect endpoints.

the classic shapes:
  ROUTER frontend, DEALER backend   a request broker between REQ clients and REP workers
  XSUB frontend, XPUB backend       a pub-sub forwarder: subscriptions flow up, data down
  PULL frontend, PUSH backend       a pipeline streamer
  SUB frontend, PUB backend         a forwarder of everything (the SUB subscribes to all)
REQ and REP cannot take part (their strict alternation would stall the proxy).

  --capture-type pub|push|pair|dealer
                           also send a copy of every message, both ways, to this socket

Security: the security options below apply to the frontend (e.g. a CURVE server facing the
clients); prefixed with --frontend-, --backend- or --capture- they apply to that side, e.g.
--backend-curve-server --backend-curve-secret-key SK. Sides without any use none.

example (a broker: clients connect to 5555, workers to 5556):
  zmtp proxy --frontend-type router --frontend-bind tcp://*:5555 \\
             --backend-type dealer --backend-bind tcp://*:5556

exit status: 1 when a bind fails or a socket fails while proxying, 2 on a bad command
line; otherwise it runs until killed.";

/// The type, endpoints and security of one side.
#[derive(Debug, Default)]
struct Side {
    kind: Option<SocketType>,
    bind: Vec<String>,
    connect: Vec<String>,
    /// `--<side>-plain-*` / `--<side>-curve-*`.
    security: SecurityFlags,
    security_given: bool,
}

/// Types a capture socket may have.
const CAPTURE_TYPES: [SocketType; 4] = [
    SocketType::Pub,
    SocketType::Push,
    SocketType::Pair,
    SocketType::Dealer,
];

/// Runs `zmtp proxy`.
pub(crate) async fn run(items: Vec<String>) -> CliResult {
    let mut sides: [Side; 3] = Default::default();
    let names = ["frontend", "backend", "capture"];
    let (mut common, positional) = parse_socket_command("proxy", items, |flag, args| {
        let Some((side, what)) = flag
            .name
            .strip_prefix("--")
            .and_then(|name| name.split_once('-'))
            .and_then(|(side, what)| Some((names.iter().position(|n| *n == side)?, what)))
        else {
            return Ok(false);
        };
        match what {
            "type" => sides[side].kind = Some(socket::parse_type(&args.value(flag)?)?),
            "bind" => sides[side].bind.push(args.value(flag)?),
            "connect" => sides[side].connect.push(args.value(flag)?),
            _ => {
                let unprefixed = flag.renamed(format!("--{what}"));
                if !sides[side].security.accept(&unprefixed, args)? {
                    return Ok(false);
                }
                sides[side].security_given = true;
            }
        }
        Ok(true)
    })?;
    if let Some(p) = positional.first() {
        return Err(CliError::usage(format!(
            "`zmtp proxy` takes no arguments (got {p:?})"
        )));
    }
    if common.kind.is_some() || !common.bind.is_empty() || !common.connect.is_empty() {
        return Err(CliError::usage(
            "`zmtp proxy` takes --frontend-type/-bind/-connect and --backend-type/-bind/-connect \
             instead of --type, --bind and --connect",
        ));
    }
    if !common.subscribe.is_empty() || common.count.is_some() || common.timeout.is_some() {
        return Err(CliError::usage(
            "`zmtp proxy` takes no --subscribe, --count or --timeout",
        ));
    }
    let [frontend, backend, capture] = sides;
    let capture =
        if capture.kind.is_some() || !capture.bind.is_empty() || !capture.connect.is_empty() {
            let kind = capture.kind.ok_or_else(|| {
                CliError::usage("--capture-bind/--capture-connect need --capture-type")
            })?;
            if !CAPTURE_TYPES.contains(&kind) {
                return Err(CliError::usage(format!(
                    "--capture-type must be pub, push, pair or dealer, not {kind}"
                )));
            }
            Some(capture)
        } else {
            None
        };

    // One set of shared flags per socket: the frontend gets the security flags.
    let side_flags = |side: Side,
                      name: &str,
                      common: &mut CommonFlags|
     -> CliResult<(SocketType, CommonFlags)> {
        let kind = side
            .kind
            .ok_or_else(|| CliError::usage(format!("`zmtp proxy` needs --{name}-type")))?;
        if matches!(kind, SocketType::Req | SocketType::Rep) {
            return Err(CliError::usage(format!(
                "a {kind} socket cannot be proxied (use ROUTER for the clients' side, DEALER for the workers')"
            )));
        }
        let mut flags = CommonFlags {
            kind: Some(kind),
            bind: side.bind,
            connect: side.connect,
            linger: common.linger,
            verbose: common.verbose,
            ..CommonFlags::default()
        };
        flags.security = if side.security_given {
            side.security
        } else if name == "frontend" {
            // Unprefixed security flags are the frontend's.
            std::mem::take(&mut common.security)
        } else {
            SecurityFlags::default()
        };
        if flags.bind.is_empty() && flags.connect.is_empty() {
            return Err(CliError::usage(format!(
                "give --{name}-bind or --{name}-connect"
            )));
        }
        flags.check(kind)?;
        Ok((kind, flags))
    };
    let (front_kind, front_flags) = side_flags(frontend, "frontend", &mut common)?;
    let (back_kind, back_flags) = side_flags(backend, "backend", &mut common)?;
    let capture = capture
        .map(|c| side_flags(c, "capture", &mut common))
        .transpose()?;

    let mut failures = Failures::new();
    let mut front = front_flags
        .open(
            front_kind,
            &failures,
            "frontend: ",
            front_kind == SocketType::Sub,
        )
        .await?;
    let mut back = back_flags
        .open(
            back_kind,
            &failures,
            "backend: ",
            back_kind == SocketType::Sub,
        )
        .await?;
    let mut capture_socket = match &capture {
        Some((kind, flags)) => Some(flags.open(*kind, &failures, "capture: ", false).await?),
        None => None,
    };
    let proxy = Proxy::new(proxied(&mut front)?, proxied(&mut back)?);
    let proxy = match capture_socket.as_mut() {
        Some(capture) => proxy.capture(proxied(capture)?),
        None => proxy,
    };
    guard(&mut failures, None, String::new, async {
        proxy
            .run()
            .await
            .map(drop)
            .map_err(|e| CliError::failed(format!("proxy stopped: {e}")))
    })
    .await
}

/// The socket as the proxy sees it; REQ and REP cannot take part.
fn proxied(socket: &mut AnySocket) -> CliResult<&mut dyn ProxySocket> {
    Ok(match socket {
        AnySocket::Dealer(s) => s,
        AnySocket::Router(s) => s,
        AnySocket::Pub(s) => s,
        AnySocket::Sub(s) => s,
        AnySocket::XPub(s) => s,
        AnySocket::XSub(s) => s,
        AnySocket::Push(s) => s,
        AnySocket::Pull(s) => s,
        AnySocket::Pair(s) => s,
        other @ (AnySocket::Req(_) | AnySocket::Rep(_)) => {
            return Err(CliError::usage(format!(
                "a {} socket cannot be proxied",
                other.socket_type()
            )))
        }
    })
}
