//! What a socket can do, as traits, so that code can be generic over "a socket that sends" or
//! "a socket that receives" whatever its kind: a relay, a logger, a test harness. Each kind
//! implements the traits of what it does; [`AnySocket`](crate::AnySocket) implements all of
//! them and reports [`Error::NotSupported`](crate::Error::NotSupported) for what its kind
//! cannot do.
//!
//! The methods behave as the kind's own `send`, `try_send`, `recv`, `try_recv` and `subscribe`
//! do (a REQ alternates, a ROUTER routes by the first frame, a PUB drops for a subscriber at
//! its high-water mark); the kind's documentation says what waiting means for it.

use std::future::Future;

use bytes::Bytes;
use zmtp_core::Message;

use super::{Dealer, Pair, Pub, Pull, Push, Rep, Req, Router, Socket, Sub, XPub, XSub};
use crate::{Result, TryRecvError, TrySendError};

/// A socket that sends messages (every kind but SUB and PULL).
pub trait SendMessage: Send {
    /// Sends `message` as the kind sends it; resolves once the socket has taken it.
    fn send_message(&mut self, message: Message) -> impl Future<Output = Result<()>> + Send;

    /// Sends `message` if the socket can take it now; otherwise hands it back.
    fn try_send_message(&mut self, message: Message) -> Result<(), TrySendError>;
}

/// A socket that receives messages (every kind but PUB and PUSH).
pub trait RecvMessage: Send {
    /// The next message, as the kind receives it (a ROUTER's starts with the sender's
    /// routing id).
    fn recv_message(&mut self) -> impl Future<Output = Result<Message>> + Send;

    /// The next message if one is waiting now.
    fn try_recv_message(&mut self) -> Result<Message, TryRecvError>;
}

/// A socket that addresses its peers by routing id (ROUTER): what a broker or a server with
/// conversations per client is written against.
pub trait RouteByIdentity: Send {
    /// Sends `message` to the peer whose routing id is `identity` (see ROUTER's rules for an
    /// unknown or full peer).
    fn send_routed(
        &mut self,
        identity: Bytes,
        message: Message,
    ) -> impl Future<Output = Result<()>> + Send;

    /// The next message and the routing id of the peer that sent it.
    fn recv_routed(&mut self) -> impl Future<Output = Result<(Bytes, Message)>> + Send;
}

/// A socket that subscribes to topics (SUB, XSUB).
pub trait Subscribe {
    /// Subscribes to messages whose first frame starts with `topic` (counted: subscribing
    /// twice needs two cancels, as in libzmq).
    fn subscribe_to(&self, topic: Bytes) -> Result<()>;

    /// Cancels one subscription to `topic`.
    fn unsubscribe_from(&self, topic: Bytes) -> Result<()>;
}

macro_rules! sends {
    ($($kind:ident),*) => {$(
        impl SendMessage for Socket<$kind> {
            async fn send_message(&mut self, message: Message) -> Result<()> {
                self.send(message).await.map(drop)
            }

            fn try_send_message(&mut self, message: Message) -> Result<(), TrySendError> {
                self.try_send(message).map(drop)
            }
        }
    )*};
}

macro_rules! receives {
    ($($kind:ident),*) => {$(
        impl RecvMessage for Socket<$kind> {
            async fn recv_message(&mut self) -> Result<Message> {
                self.recv().await
            }

            fn try_recv_message(&mut self) -> Result<Message, TryRecvError> {
                self.try_recv()
            }
        }
    )*};
}

macro_rules! subscribes {
    ($($kind:ident),*) => {$(
        impl Subscribe for Socket<$kind> {
            fn subscribe_to(&self, topic: Bytes) -> Result<()> {
                self.subscribe(topic)
            }

            fn unsubscribe_from(&self, topic: Bytes) -> Result<()> {
                self.unsubscribe(topic)
            }
        }
    )*};
}

sends!(Req, Rep, Dealer, Router, Pub, XPub, XSub, Push, Pair);
receives!(Req, Rep, Dealer, Router, Sub, XPub, XSub, Pull, Pair);
subscribes!(Sub, XSub);

impl RouteByIdentity for Socket<Router> {
    async fn send_routed(&mut self, identity: Bytes, message: Message) -> Result<()> {
        self.send_to(identity, message).await
    }

    async fn recv_routed(&mut self) -> Result<(Bytes, Message)> {
        self.recv_from().await
    }
}
