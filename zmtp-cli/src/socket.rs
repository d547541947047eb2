//! Any of the eleven socket types behind one enum, built from the `--type` name, with the
//! operations the commands need (one match arm per type).

use std::time::Duration;

use bytes::Bytes;
use zmtp_tokio::{
    CloseReport, DealerSocket, Endpoint, Message, Monitor, Options, PairSocket, PubSocket,
    PullSocket, PushSocket, RepSocket, ReqSocket, RouterSocket, SocketType, SubSocket, XPubSocket,
    XSubSocket,
};

use crate::error::{CliError, CliResult};

/// The names `--type` accepts, for help texts.
pub(crate) const TYPE_NAMES: &str =
    "req rep dealer router pub sub xpub xsub push pull pair (any case)";

/// Parses a `--type` name (any case).
pub(crate) fn parse_type(name: &str) -> CliResult<SocketType> {
    SocketType::from_wire(name.to_ascii_uppercase().as_bytes()).ok_or_else(|| {
        CliError::usage(format!(
            "unknown socket type {name:?} (expected one of: {TYPE_NAMES})"
        ))
    })
}

/// Whether a socket of this type can send messages.
pub(crate) fn can_send(kind: SocketType) -> bool {
    !matches!(kind, SocketType::Sub | SocketType::Pull)
}

/// Whether a socket of this type can receive messages.
pub(crate) fn can_recv(kind: SocketType) -> bool {
    !matches!(kind, SocketType::Pub | SocketType::Push)
}

/// Whether a socket of this type takes subscriptions (`--subscribe`).
pub(crate) fn subscribes(kind: SocketType) -> bool {
    matches!(kind, SocketType::Sub | SocketType::XSub)
}

/// A socket of any type.
#[derive(Debug)]
pub(crate) enum AnySocket {
    /// REQ.
    Req(ReqSocket),
    /// REP.
    Rep(RepSocket),
    /// DEALER.
    Dealer(DealerSocket),
    /// ROUTER.
    Router(RouterSocket),
    /// PUB.
    Pub(PubSocket),
    /// SUB.
    Sub(SubSocket),
    /// XPUB.
    XPub(XPubSocket),
    /// XSUB.
    XSub(XSubSocket),
    /// PUSH.
    Push(PushSocket),
    /// PULL.
    Pull(PullSocket),
    /// PAIR.
    Pair(PairSocket),
}

/// Runs `$body` with `$s` bound to the socket inside whichever variant `$socket` is.
macro_rules! each {
    ($socket:expr, $s:ident => $body:expr) => {
        match $socket {
            AnySocket::Req($s) => $body,
            AnySocket::Rep($s) => $body,
            AnySocket::Dealer($s) => $body,
            AnySocket::Router($s) => $body,
            AnySocket::Pub($s) => $body,
            AnySocket::Sub($s) => $body,
            AnySocket::XPub($s) => $body,
            AnySocket::XSub($s) => $body,
            AnySocket::Push($s) => $body,
            AnySocket::Pull($s) => $body,
            AnySocket::Pair($s) => $body,
        }
    };
}

impl AnySocket {
    /// A socket of `kind` with `options`.
    pub(crate) fn new(kind: SocketType, options: Options) -> CliResult<AnySocket> {
        Ok(match kind {
            SocketType::Req => AnySocket::Req(ReqSocket::with_options(options)?),
            SocketType::Rep => AnySocket::Rep(RepSocket::with_options(options)?),
            SocketType::Dealer => AnySocket::Dealer(DealerSocket::with_options(options)?),
            SocketType::Router => AnySocket::Router(RouterSocket::with_options(options)?),
            SocketType::Pub => AnySocket::Pub(PubSocket::with_options(options)?),
            SocketType::Sub => AnySocket::Sub(SubSocket::with_options(options)?),
            SocketType::XPub => AnySocket::XPub(XPubSocket::with_options(options)?),
            SocketType::XSub => AnySocket::XSub(XSubSocket::with_options(options)?),
            SocketType::Push => AnySocket::Push(PushSocket::with_options(options)?),
            SocketType::Pull => AnySocket::Pull(PullSocket::with_options(options)?),
            SocketType::Pair => AnySocket::Pair(PairSocket::with_options(options)?),
        })
    }

    /// The socket's type.
    pub(crate) fn kind(&self) -> SocketType {
        each!(self, s => s.socket_type())
    }

    /// Binds, returning the real endpoint.
    pub(crate) async fn bind(&self, endpoint: &str) -> CliResult<Endpoint> {
        Ok(each!(self, s => s.bind(endpoint).await)?)
    }

    /// Starts connecting in the background.
    pub(crate) fn connect(&self, endpoint: &str) -> CliResult {
        each!(self, s => s.connect(endpoint))
            .map_err(|e| CliError::failed(format!("cannot connect to {endpoint}: {e}")))
    }

    /// A stream of the socket's lifecycle events from now on.
    pub(crate) fn monitor(&self) -> Monitor {
        each!(self, s => s.monitor())
    }

    /// Peers whose handshake completed.
    pub(crate) fn connected_peers(&self) -> usize {
        each!(self, s => s.connected_peers())
    }

    /// Subscribes a SUB or XSUB to `topic`.
    pub(crate) fn subscribe(&mut self, topic: Bytes) -> CliResult {
        match self {
            AnySocket::Sub(s) => Ok(s.subscribe(topic)?),
            AnySocket::XSub(s) => Ok(s.subscribe(topic)?),
            other => Err(CliError::usage(format!(
                "--subscribe is for SUB and XSUB sockets, not {}",
                other.kind()
            ))),
        }
    }

    /// Sends one message the way the socket type sends.
    pub(crate) async fn send(&mut self, message: Message) -> CliResult {
        match self {
            AnySocket::Req(s) => s.send(message).await?,
            AnySocket::Rep(s) => s.send(message).await?,
            AnySocket::Dealer(s) => s.send(message).await?,
            AnySocket::Router(s) => s.send(message).await?,
            AnySocket::Pub(s) => s.send(message).await?,
            AnySocket::XPub(s) => s.send(message).await?,
            AnySocket::XSub(s) => s.send(message).await?,
            AnySocket::Push(s) => s.send(message).await?,
            AnySocket::Pair(s) => s.send(message).await?,
            AnySocket::Sub(_) | AnySocket::Pull(_) => {
                return Err(CliError::usage(format!(
                    "a {} socket cannot send",
                    self.kind()
                )))
            }
        }
        Ok(())
    }

    /// Receives one message the way the socket type receives (cancel-safe).
    pub(crate) async fn recv(&mut self) -> CliResult<Message> {
        Ok(match self {
            AnySocket::Req(s) => s.recv().await?,
            AnySocket::Rep(s) => s.recv().await?,
            AnySocket::Dealer(s) => s.recv().await?,
            AnySocket::Router(s) => s.recv().await?,
            AnySocket::Sub(s) => s.recv().await?,
            AnySocket::XPub(s) => s.recv().await?,
            AnySocket::XSub(s) => s.recv().await?,
            AnySocket::Pull(s) => s.recv().await?,
            AnySocket::Pair(s) => s.recv().await?,
            AnySocket::Pub(_) | AnySocket::Push(_) => {
                return Err(CliError::usage(format!(
                    "a {} socket cannot receive",
                    self.kind()
                )))
            }
        })
    }

    /// Closes the socket, waiting up to its linger time for queued messages to be delivered,
    /// and at most `limit` (then the background tasks finish on their own); reports what was
    /// not delivered.
    pub(crate) async fn close(self, limit: Option<Duration>) -> CloseReport {
        match limit {
            Some(limit) => each!(self, s => s.close_timeout(limit).await),
            None => each!(self, s => s.close().await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_name_parses_in_any_case() {
        for name in TYPE_NAMES.split_whitespace().take(11) {
            let kind = parse_type(name).unwrap();
            assert_eq!(kind.as_str(), name.to_ascii_uppercase());
            assert_eq!(parse_type(&name.to_ascii_uppercase()).unwrap(), kind);
        }
        assert_eq!(parse_type("XPub").unwrap(), SocketType::XPub);
        assert!(matches!(parse_type("stream"), Err(CliError::Usage(_))));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn every_type_is_built() {
        for kind in SocketType::ALL {
            let socket = AnySocket::new(kind, Options::default()).unwrap();
            assert_eq!(socket.kind(), kind);
            assert_eq!(
                can_send(kind),
                !matches!(kind, SocketType::Sub | SocketType::Pull)
            );
        }
    }
}
