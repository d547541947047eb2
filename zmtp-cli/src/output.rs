//! Printing received messages: one line each on stdout, flushed per message so that a pipe
//! sees every message as it arrives.

use std::io::Write;

use zmtp_tokio::Message;

use crate::error::{CliError, CliResult};
use crate::format::Format;

/// Writes messages to stdout in a format.
#[derive(Debug)]
pub(crate) struct Printer {
    format: Format,
}

/// Whether printing can go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Printed {
    /// The line was written.
    Ok,
    /// The reader of stdout is gone (e.g. `| head -1`): stop quietly.
    ReaderGone,
}

impl Printer {
    /// A printer in `format`.
    pub(crate) fn new(format: Format) -> Printer {
        Printer { format }
    }

    /// Writes `message` as one line and flushes.
    pub(crate) fn print(&self, message: &Message) -> CliResult<Printed> {
        let mut line = self.format.render(message);
        line.push(b'\n');
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        match out.write_all(&line).and_then(|()| out.flush()) {
            Ok(()) => Ok(Printed::Ok),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Printed::ReaderGone),
            Err(e) => Err(CliError::failed(format!("cannot write to stdout: {e}"))),
        }
    }
}
