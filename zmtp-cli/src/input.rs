//! Where messages to send come from: the command's arguments (one a message) or, without
//! any, standard input (one line a message, read on a thread of its own so that the runtime
//! never blocks on it).

use std::collections::VecDeque;
use std::io::BufRead;

use tokio::sync::mpsc;
use zmtp_tokio::Message;

use crate::error::{CliError, CliResult};
use crate::format::Format;

/// A source of messages in a format.
#[derive(Debug)]
pub(crate) struct Input {
    format: Format,
    source: Source,
    /// How many items were taken, for error messages.
    taken: usize,
}

#[derive(Debug)]
enum Source {
    /// The arguments, parsed before anything is bound or connected.
    Args(VecDeque<Message>),
    Stdin(mpsc::Receiver<std::io::Result<Vec<u8>>>),
}

impl Input {
    /// Messages from `args`, or from standard input when there are none. Every argument is
    /// parsed now: one that is not valid in `format` is a command-line error (exit status 2),
    /// found before the socket exists.
    pub(crate) fn new(format: Format, args: Vec<String>) -> CliResult<Input> {
        let source = if args.is_empty() {
            Source::Stdin(read_stdin())
        } else {
            let messages = args
                .iter()
                .enumerate()
                .map(|(i, arg)| {
                    format
                        .parse(arg.as_bytes())
                        .map_err(|e| CliError::usage(format!("message argument {}: {e}", i + 1)))
                })
                .collect::<CliResult<VecDeque<Message>>>()?;
            Source::Args(messages)
        };
        Ok(Input {
            format,
            source,
            taken: 0,
        })
    }

    /// The next message, `None` at the end of the input. A line of stdin that is not valid in
    /// the format is a failure naming its line number (exit status 1): what came before it
    /// was sent, so the caller still closes its socket properly.
    pub(crate) async fn next(&mut self) -> CliResult<Option<Message>> {
        let line = match &mut self.source {
            Source::Args(args) => return Ok(args.pop_front()),
            Source::Stdin(lines) => match lines.recv().await {
                Some(Ok(line)) => line,
                Some(Err(e)) => return Err(CliError::failed(format!("cannot read stdin: {e}"))),
                None => return Ok(None),
            },
        };
        self.taken += 1;
        self.format
            .parse(&line)
            .map(Some)
            .map_err(|e| CliError::failed(format!("input line {}: {e}", self.taken)))
    }
}

/// Lines of standard input without their line endings (`\n` or `\r\n`), from a thread.
fn read_stdin() -> mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut stdin = stdin.lock();
        loop {
            let mut line = Vec::new();
            match stdin.read_until(b'\n', &mut line) {
                Ok(0) => return,
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                    }
                    if tx.blocking_send(Ok(line)).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    rx
}
