//! A socket whose kind is chosen at run time (from a configuration file or a command line):
//! one enum over the eleven typed sockets, with the methods every kind has and the capability
//! traits, which fail with [`Error::NotSupported`] where the kind lacks the capability.

use std::time::Duration;

use bytes::Bytes;
use zmtp_core::{Message, SocketType};

use super::capability::{RecvMessage, RouteByIdentity, SendMessage, Subscribe};
use super::{Dealer, Pair, Pub, Pull, Push, Rep, Req, Router, Socket, Sub, XPub, XSub};
use crate::{
    CloseReport, Endpoint, Error, IntoEndpoint, Monitor, Options, Result, TryRecvError,
    TrySendError,
};

/// A socket of any of the eleven kinds. Match on it to use a kind's own methods.
#[derive(Debug)]
pub enum AnySocket {
    /// REQ.
    Req(Socket<Req>),
    /// REP.
    Rep(Socket<Rep>),
    /// DEALER.
    Dealer(Socket<Dealer>),
    /// ROUTER.
    Router(Socket<Router>),
    /// PUB.
    Pub(Socket<Pub>),
    /// SUB.
    Sub(Socket<Sub>),
    /// XPUB.
    XPub(Socket<XPub>),
    /// XSUB.
    XSub(Socket<XSub>),
    /// PUSH.
    Push(Socket<Push>),
    /// PULL.
    Pull(Socket<Pull>),
    /// PAIR.
    Pair(Socket<Pair>),
}

/// Runs `$body` with `$s` bound to the typed socket inside `$any` when its kind is one of
/// `$kind`s, else `$otherwise` (omitted when every kind is listed).
macro_rules! on_kinds {
    ($any:expr, [$($kind:ident),*], $s:ident => $body:expr $(, $otherwise:expr)?) => {
        match $any {
            $(AnySocket::$kind($s) => $body,)*
            $(_ => $otherwise,)?
        }
    };
}

/// `on_kinds!` over every kind.
macro_rules! on_kind {
    ($any:expr, $s:ident => $body:expr) => {
        on_kinds!($any, [Req, Rep, Dealer, Router, Pub, Sub, XPub, XSub, Push, Pull, Pair],
            $s => $body)
    };
}

/// `on_kinds!` over the kinds that send (all but SUB and PULL).
macro_rules! on_sending_kind {
    ($any:expr, $s:ident => $body:expr, $otherwise:expr) => {
        on_kinds!($any, [Req, Rep, Dealer, Router, Pub, XPub, XSub, Push, Pair],
            $s => $body, $otherwise)
    };
}

/// `on_kinds!` over the kinds that receive (all but PUB and PUSH).
macro_rules! on_receiving_kind {
    ($any:expr, $s:ident => $body:expr, $otherwise:expr) => {
        on_kinds!($any, [Req, Rep, Dealer, Router, Sub, XPub, XSub, Pull, Pair],
            $s => $body, $otherwise)
    };
}

const DOES_NOT_SEND: &str = "this socket type does not send";
const DOES_NOT_RECEIVE: &str = "this socket type does not receive";

impl AnySocket {
    /// A socket of `socket_type` with `options`.
    pub fn new(socket_type: SocketType, options: Options) -> Result<AnySocket> {
        Ok(match socket_type {
            SocketType::Req => AnySocket::Req(Socket::with_options(options)?),
            SocketType::Rep => AnySocket::Rep(Socket::with_options(options)?),
            SocketType::Dealer => AnySocket::Dealer(Socket::with_options(options)?),
            SocketType::Router => AnySocket::Router(Socket::with_options(options)?),
            SocketType::Pub => AnySocket::Pub(Socket::with_options(options)?),
            SocketType::Sub => AnySocket::Sub(Socket::with_options(options)?),
            SocketType::XPub => AnySocket::XPub(Socket::with_options(options)?),
            SocketType::XSub => AnySocket::XSub(Socket::with_options(options)?),
            SocketType::Push => AnySocket::Push(Socket::with_options(options)?),
            SocketType::Pull => AnySocket::Pull(Socket::with_options(options)?),
            SocketType::Pair => AnySocket::Pair(Socket::with_options(options)?),
            // A type zmtp-core knows and this crate has no socket for yet.
            _ => return Err(Error::NotSupported("this socket type has no socket here")),
        })
    }

    /// The kind.
    pub fn socket_type(&self) -> SocketType {
        on_kind!(self, s => s.socket_type())
    }

    /// Whether the kind sends (all but SUB and PULL).
    pub fn can_send(&self) -> bool {
        !matches!(self, AnySocket::Sub(_) | AnySocket::Pull(_))
    }

    /// Whether the kind receives (all but PUB and PUSH).
    pub fn can_recv(&self) -> bool {
        !matches!(self, AnySocket::Pub(_) | AnySocket::Push(_))
    }

    /// Whether the kind subscribes (SUB, XSUB).
    pub fn can_subscribe(&self) -> bool {
        matches!(self, AnySocket::Sub(_) | AnySocket::XSub(_))
    }

    /// See [`Socket::bind`].
    pub async fn bind(&self, endpoint: impl IntoEndpoint) -> Result<Endpoint> {
        on_kind!(self, s => s.bind(endpoint).await)
    }

    /// See [`Socket::connect`].
    pub fn connect(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        on_kind!(self, s => s.connect(endpoint))
    }

    /// See [`Socket::unbind`].
    pub fn unbind(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        on_kind!(self, s => s.unbind(endpoint))
    }

    /// See [`Socket::disconnect`].
    pub fn disconnect(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        on_kind!(self, s => s.disconnect(endpoint))
    }

    /// See [`Socket::monitor`].
    pub fn monitor(&self) -> Monitor {
        on_kind!(self, s => s.monitor())
    }

    /// See [`Socket::options`].
    pub fn options(&self) -> &Options {
        on_kind!(self, s => s.options())
    }

    /// See [`Socket::connected_peers`].
    pub fn connected_peers(&self) -> usize {
        on_kind!(self, s => s.connected_peers())
    }

    /// See [`Socket::wait_connected`].
    pub async fn wait_connected(&self, n: usize) {
        on_kind!(self, s => s.wait_connected(n).await)
    }

    /// See [`Socket::wait_subscribers`]: [`Error::NotSupported`](crate::Error::NotSupported)
    /// unless this is a PUB or an XPUB.
    pub async fn wait_subscribers(&self, n: usize) -> Result<()> {
        on_kind!(self, s => s.wait_subscribers(n).await)
    }

    /// Sends as the kind sends (REQ: a request; REP: the reply; PUB, XPUB: publishes;
    /// ROUTER: to the identity in the first frame). [`Error::NotSupported`] for SUB and PULL.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<()> {
        let message = message.into();
        on_sending_kind!(self, s => s.send_message(message).await,
            Err(Error::NotSupported(DOES_NOT_SEND)))
    }

    /// Sends if the socket can take the message now, as the kind's `try_send` does; hands it
    /// back otherwise (with [`Error::NotSupported`] for SUB and PULL).
    pub fn try_send(&mut self, message: impl Into<Message>) -> Result<(), TrySendError> {
        let message = message.into();
        on_sending_kind!(self, s => s.try_send_message(message),
            Err(TrySendError { error: Error::NotSupported(DOES_NOT_SEND), message }))
    }

    /// Receives as the kind receives. [`Error::NotSupported`] for PUB and PUSH.
    pub async fn recv(&mut self) -> Result<Message> {
        on_receiving_kind!(self, s => s.recv_message().await,
            Err(Error::NotSupported(DOES_NOT_RECEIVE)))
    }

    /// The next message if one is waiting, as the kind's `try_recv`;
    /// [`TryRecvError::NotSupported`] for PUB and PUSH.
    pub fn try_recv(&mut self) -> Result<Message, TryRecvError> {
        on_receiving_kind!(self, s => s.try_recv_message(),
            Err(TryRecvError::NotSupported(DOES_NOT_RECEIVE)))
    }

    /// Subscribes (SUB, XSUB). [`Error::NotSupported`] for the other kinds.
    pub fn subscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.subscriber()?.subscribe_to(topic.into())
    }

    /// Cancels a subscription (SUB, XSUB). [`Error::NotSupported`] for the other kinds.
    pub fn unsubscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.subscriber()?.unsubscribe_from(topic.into())
    }

    fn subscriber(&self) -> Result<&dyn Subscribe> {
        match self {
            AnySocket::Sub(s) => Ok(s),
            AnySocket::XSub(s) => Ok(s),
            _ => Err(Error::NotSupported("this socket type does not subscribe")),
        }
    }

    /// See [`Socket::close`].
    pub async fn close(self) -> CloseReport {
        on_kind!(self, s => s.close().await)
    }

    /// See [`Socket::close_timeout`].
    pub async fn close_timeout(self, timeout: Duration) -> CloseReport {
        on_kind!(self, s => s.close_timeout(timeout).await)
    }
}

impl SendMessage for AnySocket {
    async fn send_message(&mut self, message: Message) -> Result<()> {
        self.send(message).await
    }

    fn try_send_message(&mut self, message: Message) -> Result<(), TrySendError> {
        self.try_send(message)
    }
}

impl RecvMessage for AnySocket {
    async fn recv_message(&mut self) -> Result<Message> {
        self.recv().await
    }

    fn try_recv_message(&mut self) -> Result<Message, TryRecvError> {
        self.try_recv()
    }
}

impl RouteByIdentity for AnySocket {
    async fn send_routed(&mut self, identity: Bytes, message: Message) -> Result<()> {
        match self {
            AnySocket::Router(s) => s.send_to(identity, message).await,
            _ => Err(Error::NotSupported("only ROUTER routes by identity")),
        }
    }

    async fn recv_routed(&mut self) -> Result<(Bytes, Message)> {
        match self {
            AnySocket::Router(s) => s.recv_from().await,
            _ => Err(Error::NotSupported("only ROUTER routes by identity")),
        }
    }
}

impl Subscribe for AnySocket {
    fn subscribe_to(&self, topic: Bytes) -> Result<()> {
        self.subscribe(topic)
    }

    fn unsubscribe_from(&self, topic: Bytes) -> Result<()> {
        self.unsubscribe(topic)
    }
}

macro_rules! from_typed {
    ($($kind:ident),*) => {$(
        impl From<Socket<$kind>> for AnySocket {
            fn from(socket: Socket<$kind>) -> AnySocket {
                AnySocket::$kind(socket)
            }
        }
    )*};
}

from_typed!(Req, Rep, Dealer, Router, Pub, Sub, XPub, XSub, Push, Pull, Pair);

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [SocketType; 11] = [
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::XPub,
        SocketType::XSub,
        SocketType::Push,
        SocketType::Pull,
        SocketType::Pair,
    ];

    #[tokio::test]
    async fn every_kind_is_built_and_refuses_what_it_cannot_do() {
        for socket_type in ALL {
            let mut socket = AnySocket::new(socket_type, Options::default()).unwrap();
            assert_eq!(socket.socket_type(), socket_type);
            if !socket.can_send() {
                let refused = socket.send("x").await;
                assert!(
                    matches!(refused, Err(Error::NotSupported(_))),
                    "{socket_type:?}"
                );
                let refused = socket.try_send("y").unwrap_err();
                assert!(matches!(refused.error, Error::NotSupported(_)));
                assert_eq!(refused.message.frames()[0], "y", "handed back");
            }
            if socket.can_recv() {
                let empty = socket.try_recv();
                let expected = match socket_type {
                    // Receiving before a request was sent breaks REQ's alternation.
                    SocketType::Req => {
                        TryRecvError::InvalidState("REQ must send a request before receiving")
                    }
                    _ => TryRecvError::Empty,
                };
                assert_eq!(empty.unwrap_err(), expected, "{socket_type:?}");
            } else {
                let refused = socket.recv().await;
                assert!(
                    matches!(refused, Err(Error::NotSupported(_))),
                    "{socket_type:?}"
                );
                assert!(matches!(
                    socket.try_recv(),
                    Err(TryRecvError::NotSupported(_))
                ));
            }
            let subscribed = socket.subscribe("topic");
            assert_eq!(
                subscribed.is_ok(),
                socket.can_subscribe(),
                "{socket_type:?}: {subscribed:?}"
            );
            assert!(socket.close().await.is_complete());
        }
    }
}
