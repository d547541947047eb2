//! The driver side of `PROTOCOL.md` for the Rust peers: the command loop and the echo, relay
//! and client actions, written once over [`PeerSocket`]; each peer's binary only opens its
//! library's sockets.

use std::future::Future;

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::command::{client_message, Action, Command, SocketSpec};
use crate::{DRIVER_TIMEOUT, END};

/// One socket of the peer's library.
pub trait PeerSocket: Sized {
    /// Receives one whole message.
    fn recv(&mut self) -> impl Future<Output = Result<Vec<Bytes>, String>>;
    /// Sends one whole message.
    fn send(&mut self, frames: Vec<Bytes>) -> impl Future<Output = Result<(), String>>;
    /// Closes, delivering what is queued.
    fn close(self) -> impl Future<Output = ()>;
}

/// Opens the peer library's sockets.
pub trait Opener {
    /// Its socket.
    type Socket: PeerSocket;
    /// A socket per `spec`, bound or connected, with the command's options (an option the
    /// library lacks is an error).
    fn open(
        &self,
        spec: &SocketSpec,
        command: &Command,
    ) -> impl Future<Output = Result<Self::Socket, String>>;
}

/// Prints `hello {version}`, then runs each command line of stdin, printing its verdict.
pub async fn run<O: Opener>(version: &str, opener: O) {
    println!("hello {version}");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim().is_empty() {
            continue;
        }
        let verdict = match Command::parse(&line) {
            None => format!("fail unparsable command: {line}"),
            Some(command) => match execute(&opener, &command).await {
                Ok(n) => format!("ok {n}"),
                Err(why) => format!("fail {}", why.replace('\n', " ")),
            },
        };
        println!("{verdict}");
    }
}

async fn timed<T>(what: &str, f: impl Future<Output = Result<T, String>>) -> Result<T, String> {
    match tokio::time::timeout(DRIVER_TIMEOUT, f).await {
        Ok(result) => result,
        Err(_) => Err(format!("timed out ({DRIVER_TIMEOUT:?}) in {what}")),
    }
}

async fn execute<O: Opener>(opener: &O, command: &Command) -> Result<usize, String> {
    match &command.action {
        Action::Client(spec, n) => {
            let mut socket = opener.open(spec, command).await?;
            for i in 0..*n {
                let message: Vec<Bytes> =
                    client_message(i, *n).into_iter().map(Bytes::from).collect();
                timed("a send", socket.send(message.clone())).await?;
                let reply = timed("a receive", socket.recv()).await?;
                if reply != message {
                    return Err(format!("reply {i} was {reply:?}"));
                }
            }
            socket.close().await;
            Ok(*n)
        }
        Action::Echo(spec) => {
            let mut socket = opener.open(spec, command).await?;
            let n = pass_on(None, &mut socket).await?;
            socket.close().await;
            Ok(n)
        }
        Action::Relay(from, to) => {
            let mut source = opener.open(from, command).await?;
            let mut sink = opener.open(to, command).await?;
            let n = pass_on(Some(&mut source), &mut sink).await?;
            source.close().await;
            sink.close().await;
            Ok(n)
        }
    }
}

/// Receives on `source` (or `sink` itself) and sends on `sink` until a message ending with
/// `END` has been passed on; returns how many were.
async fn pass_on<S: PeerSocket>(mut source: Option<&mut S>, sink: &mut S) -> Result<usize, String> {
    let mut count = 0;
    loop {
        let message = match source.as_deref_mut() {
            Some(source) => timed("a receive", source.recv()).await?,
            None => timed("a receive", sink.recv()).await?,
        };
        let last = message.last().is_some_and(|f| f[..] == *END);
        timed("a send", sink.send(message)).await?;
        count += 1;
        if last {
            return Ok(count);
        }
    }
}
