//! The flags every socket command shares (`--type`, `--bind`, `--connect`, `--subscribe`,
//! `--count`, `--timeout`, `--linger`, `--format`, `--separator`, `--identity`, `--verbose`,
//! and the security flags), opening the socket they describe, and waiting on it with the
//! timeout while watching for fatal handshake failures.

use std::future::Future;
use std::time::Duration;

use zmtp_tokio::{Options, SocketType};

use crate::args::{self, Args, Flag};
use crate::error::{CliError, CliResult};
use crate::events::{Failures, WatchConfig};
use crate::format::Format;
use crate::security::SecurityFlags;
use crate::socket::{self, AnySocket};

/// The shared flags' help text.
pub(crate) const HELP: &str = "\
endpoints (at least one; repeatable, mixable):
  --bind ENDPOINT          listen: tcp://127.0.0.1:5555, tcp://*:5555, ipc:///tmp/feed.sock
  --connect ENDPOINT       connect (in the background, reconnecting): tcp://host:5555, ipc://...
options:
  --count N                stop after N messages
  --timeout SECONDS        fail (exit 1) when nothing arrives, or nothing can be sent, for
                           that long (default: wait for ever; fractions allowed: 0.5)
  --linger SECONDS         on exit, wait at most this long for unsent messages (default 30)
  --format text|hex        text (default): the frames' bytes, separated by --separator;
                           hex: each frame in hex, frames separated by a space, empty frame -
                           (use hex for binary data: a newline inside a frame would split
                           its line in text)
  --separator STRING       frame separator of the text format (default a TAB; \\t is a TAB)
  --identity ID            the socket's routing identity (REQ, DEALER, ROUTER peers see it)
  -v, --verbose            print connection events (listening, connected, handshakes,
                           disconnections) to stderr
  short forms: -t --type, -b --bind, -c --connect, -s --subscribe, -n --count, -f --format;
  values also as --flag=value; `--` ends the options";

/// The shared flags as given.
#[derive(Debug, Default)]
pub(crate) struct CommonFlags {
    /// `--type`, parsed.
    pub(crate) kind: Option<SocketType>,
    /// `--bind` endpoints, in order.
    pub(crate) bind: Vec<String>,
    /// `--connect` endpoints, in order.
    pub(crate) connect: Vec<String>,
    /// `--subscribe` topics, as written.
    pub(crate) subscribe: Vec<String>,
    /// `--count`.
    pub(crate) count: Option<u64>,
    /// `--timeout`.
    pub(crate) timeout: Option<Duration>,
    /// `--linger`.
    pub(crate) linger: Option<Duration>,
    /// `--format`, as written.
    pub(crate) format: Option<String>,
    /// `--separator`, as written.
    pub(crate) separator: Option<String>,
    /// `--identity`.
    pub(crate) identity: Option<String>,
    /// `--verbose`.
    pub(crate) verbose: bool,
    /// Not a flag: `zmtp send` sets it so that a ROUTER fails on an identity no peer has
    /// instead of dropping the message silently.
    pub(crate) router_mandatory: bool,
    /// The security flags.
    pub(crate) security: SecurityFlags,
}

impl CommonFlags {
    /// Takes `flag` (and its value) if it is a shared flag; `Ok(false)` if it is not one.
    pub(crate) fn accept(&mut self, flag: &Flag, args: &mut Args) -> CliResult<bool> {
        match flag.name.as_str() {
            "--type" | "-t" => self.kind = Some(socket::parse_type(&args.value(flag)?)?),
            "--bind" | "-b" => self.bind.push(args.value(flag)?),
            "--connect" | "-c" => self.connect.push(args.value(flag)?),
            "--subscribe" | "-s" => self.subscribe.push(args.value(flag)?),
            "--count" | "-n" => self.count = Some(args::count(flag, &args.value(flag)?)?),
            "--timeout" => self.timeout = Some(args::seconds(flag, &args.value(flag)?)?),
            "--linger" => self.linger = Some(args::seconds(flag, &args.value(flag)?)?),
            "--format" | "-f" => self.format = Some(args.value(flag)?),
            "--separator" => self.separator = Some(args.value(flag)?),
            "--identity" => self.identity = Some(args.value(flag)?),
            "--verbose" | "-v" => {
                args.switch(flag)?;
                self.verbose = true;
            }
            _ => return self.security.accept(flag, args),
        }
        Ok(true)
    }

    /// The message format chosen.
    pub(crate) fn format(&self) -> CliResult<Format> {
        Format::from_flags(self.format.as_deref(), self.separator.as_deref())
            .map_err(CliError::usage)
    }

    /// Checks what every socket command needs: an endpoint, and subscriptions only where they
    /// apply. `kind` is the socket type the command will open.
    pub(crate) fn check(&self, kind: SocketType) -> CliResult {
        if self.bind.is_empty() && self.connect.is_empty() {
            return Err(CliError::usage(
                "give at least one --bind or --connect endpoint",
            ));
        }
        if !self.subscribe.is_empty() && !socket::subscribes(kind) {
            return Err(CliError::usage(format!(
                "--subscribe is for SUB and XSUB sockets, not {kind}"
            )));
        }
        self.security.role()?;
        self.format()?;
        Ok(())
    }

    /// The socket options the flags give.
    pub(crate) fn options(&self) -> CliResult<Options> {
        let mut options = Options::default();
        if let Some(linger) = self.linger {
            options = options.linger(Some(linger));
        }
        if self.router_mandatory {
            options = options.router_mandatory(true);
        }
        if let Some(identity) = &self.identity {
            options = options.identity(identity.clone().into_bytes());
        }
        self.security.apply(options)
    }

    /// Opens a socket of `kind` as the flags describe: options, monitor watcher (labelled
    /// `label`), subscriptions (without `--subscribe`, to everything if `subscribe_all`),
    /// then every bind and connect.
    pub(crate) async fn open(
        &self,
        kind: SocketType,
        failures: &Failures,
        label: &str,
        subscribe_all: bool,
    ) -> CliResult<AnySocket> {
        let options = self.options()?;
        let mut config = WatchConfig::new(
            self.verbose,
            self.security.role()?,
            &options.security,
            self.bind.is_empty(),
        );
        config.label = label.to_owned();
        let socket = AnySocket::new(kind, options)?;
        failures.watch(socket.monitor(), config);
        if socket::subscribes(kind) {
            let format = self.format()?;
            if self.subscribe.is_empty() && subscribe_all {
                socket.subscribe(bytes::Bytes::new())?;
            }
            for topic in &self.subscribe {
                let topic = format
                    .parse_frame(topic)
                    .map_err(|e| CliError::usage(format!("--subscribe {topic:?}: {e}")))?;
                socket.subscribe(topic)?;
            }
        }
        for endpoint in &self.bind {
            socket.bind(endpoint).await?;
        }
        for endpoint in &self.connect {
            socket
                .connect(endpoint.as_str())
                .map_err(|e| CliError::failed(format!("cannot connect to {endpoint}: {e}")))?;
        }
        Ok(socket)
    }

    /// The endpoints, for error messages: `tcp://a, tcp://b`.
    pub(crate) fn endpoints(&self) -> String {
        self.bind
            .iter()
            .chain(&self.connect)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Runs `operation`, failing with a timeout error (naming `what`) after `timeout`, or with
/// the first fatal handshake failure the watchers report, whichever comes first.
pub(crate) async fn guard<T, E: Into<CliError>>(
    failures: &mut Failures,
    timeout: Option<Duration>,
    what: impl FnOnce() -> String,
    operation: impl Future<Output = Result<T, E>>,
) -> CliResult<T> {
    let timed = async move {
        match timeout {
            Some(limit) => match tokio::time::timeout(limit, operation).await {
                Ok(result) => result.map_err(Into::into),
                Err(_) => Err(CliError::failed(format!(
                    "timed out after {} s: {}",
                    limit.as_secs_f64(),
                    what()
                ))),
            },
            None => operation.await.map_err(Into::into),
        }
    };
    tokio::select! {
        biased;
        failure = failures.next() => Err(failure),
        result = timed => result,
    }
}

/// Waits until at least one peer has completed its handshake.
pub(crate) async fn wait_for_peer(socket: &AnySocket) -> CliResult {
    while socket.connected_peers() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}
