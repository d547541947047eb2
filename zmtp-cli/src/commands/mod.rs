//! The subcommands, one file each.

pub(crate) mod keygen;
pub(crate) mod proxy;
pub(crate) mod recv;
pub(crate) mod rep;
pub(crate) mod req;
pub(crate) mod send;

use zmtp_tokio::SocketType;

use crate::args::{self, Arg, Args};
use crate::common::CommonFlags;
use crate::error::{CliError, CliResult};

/// Parses the shared flags and the positional arguments of a socket command; `extra` takes
/// the command's own flags (returning `Ok(false)` for a flag it does not know).
pub(crate) fn parse_socket_command(
    command: &str,
    items: Vec<String>,
    mut extra: impl FnMut(&args::Flag, &mut Args) -> CliResult<bool>,
) -> CliResult<(CommonFlags, Vec<String>)> {
    let mut args = Args::new(items);
    let mut common = CommonFlags::default();
    let mut positional = Vec::new();
    while let Some(arg) = args.next_arg() {
        match arg {
            Arg::Positional(p) => positional.push(p),
            Arg::Flag(flag) => {
                if !common.accept(&flag, &mut args)? && !extra(&flag, &mut args)? {
                    return Err(args::unknown(&flag, command));
                }
            }
        }
    }
    Ok((common, positional))
}

/// The socket type of `zmtp send`/`zmtp recv`: required, and able to do what the command does.
pub(crate) fn required_type(common: &CommonFlags, command: &str) -> CliResult<SocketType> {
    let kind = common.kind.ok_or_else(|| {
        CliError::usage(format!(
            "`zmtp {command}` needs --type (one of: {})",
            crate::socket::TYPE_NAMES
        ))
    })?;
    match kind {
        SocketType::Req => Err(CliError::usage(
            "a REQ socket must alternate sending and receiving: use `zmtp req`",
        )),
        SocketType::Rep => Err(CliError::usage(
            "a REP socket must alternate receiving and replying: use `zmtp rep`",
        )),
        _ => Ok(kind),
    }
}
