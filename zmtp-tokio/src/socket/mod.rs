//! Sockets: one generic [`Socket`] carrying what every type shares (endpoints, options,
//! monitor, close), and one small file per socket type with its send/receive rules.

mod any;
mod capability;
pub(crate) mod core;
mod dealer;
mod pair;
mod pipeline;
mod pubsub;
mod readiness;
mod reqrep;
mod router;
mod split;
mod strategies;
mod xpubsub;

use std::time::Duration;

use zmtp_core::SocketType;

use crate::close_report::CloseReport;
use crate::endpoint::{Endpoint, IntoEndpoint};
use crate::error::Result;
use crate::monitor::Monitor;
use crate::options::Options;
use crate::security::PeerAuth;
use core::SocketCore;

pub use any::AnySocket;
pub use capability::{RecvMessage, RouteByIdentity, SendMessage, Subscribe};
pub use dealer::Dealer;
pub use pair::Pair;
pub use pipeline::{Pull, Push};
pub use pubsub::{Pub, Sub};
pub use reqrep::{Rep, Req};
pub use router::Router;
pub use split::{Duplex, ReuniteError, SocketReceiver, SocketSender};
pub use xpubsub::{XPub, XSub};

/// A ZeroMQ socket of kind `K` ([`Req`], [`Rep`], [`Dealer`], [`Router`], [`Pub`], [`Sub`],
/// [`XPub`], [`XSub`], [`Push`], [`Pull`], [`Pair`]).
///
/// Every socket can bind and connect to any number of endpoints, mixing both. `connect`
/// returns at once: the connection is made, and re-made after failures, in the background,
/// and messages sent meanwhile wait in its queue (up to the send high-water mark). Dropping the
/// socket closes it; queued messages are still delivered for up to the linger time
/// ([`Options::linger`]) by background tasks, which end after that. [`Socket::close`] does the
/// same and waits for it.
#[derive(Debug)]
pub struct Socket<K: Kind> {
    core: SocketCore<K::Policy>,
    kind: K,
}

/// The socket kinds. Sealed: the kinds are ZeroMQ's.
pub trait Kind: sealed::Sealed + Default + Send + 'static {
    /// The ZMTP socket type.
    const SOCKET_TYPE: SocketType = <Self::Policy as crate::pipes::Policy>::SOCKET_TYPE;
}

pub(crate) mod sealed {
    use std::task::{Context, Poll};

    use zmtp_core::Message;

    use super::{Kind, Socket};
    use crate::error::{Error, Result};

    /// Moving whole messages in and out without a socket type's own rules on top (REQ's
    /// alternation, ...): what a proxy does. Types that cannot take part keep the defaults.
    pub trait Sealed: Sized {
        /// What the kind does with its peers (declared in `crate::pipes::kinds`).
        type Policy: crate::pipes::Policy;

        /// The next message as the socket type receives it (ROUTER: with the identity frame).
        fn poll_recv_raw(socket: &mut Socket<Self>, cx: &mut Context<'_>) -> Poll<Result<Message>>
        where
            Self: Kind,
        {
            let _ = (socket, cx);
            Poll::Ready(Err(Error::NotSupported("receiving in a proxy")))
        }

        /// Sends the message in `slot` as the socket type sends (ROUTER: routed by the first
        /// frame); pending, with the message left in `slot`, while it must wait.
        fn poll_send_raw(
            socket: &mut Socket<Self>,
            cx: &mut Context<'_>,
            slot: &mut Option<Message>,
        ) -> Poll<Result<()>>
        where
            Self: Kind,
        {
            let _ = (socket, cx, slot);
            Poll::Ready(Err(Error::NotSupported("sending in a proxy")))
        }
    }

    /// [`Sealed`]'s raw operations on a socket of any kind, object-safe, so that one
    /// [`Proxy`](crate::Proxy) serves every combination of kinds without being generic.
    pub trait Raw: Send {
        fn poll_recv_message(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message>>;
        fn poll_send_message(
            &mut self,
            cx: &mut Context<'_>,
            slot: &mut Option<Message>,
        ) -> Poll<Result<()>>;
    }

    impl<K: Kind> Raw for Socket<K> {
        fn poll_recv_message(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message>> {
            K::poll_recv_raw(self, cx)
        }

        fn poll_send_message(
            &mut self,
            cx: &mut Context<'_>,
            slot: &mut Option<Message>,
        ) -> Poll<Result<()>> {
            K::poll_send_raw(self, cx, slot)
        }
    }
}

/// A socket that a [`Proxy`](crate::Proxy) can move messages through: every [`Socket`], as
/// `&mut dyn ProxySocket`, so sockets whose kinds are chosen at run time fit one proxy. REQ
/// and REP refuse when the proxy runs (their alternation would stall it).
pub trait ProxySocket: sealed::Raw {}

impl<K: Kind> ProxySocket for Socket<K> {}

impl<K: Kind> Socket<K> {
    /// A socket with libzmq's default options. Must be used within a tokio runtime.
    pub fn new() -> Socket<K> {
        Socket::with_options(Options::default()).expect("default options are valid")
    }

    /// A socket with the given options; fails when they are invalid (e.g. an identity over 255
    /// bytes).
    pub fn with_options(options: Options) -> Result<Socket<K>> {
        Ok(Socket {
            core: SocketCore::new(options)?,
            kind: K::default(),
        })
    }

    /// Listens on `endpoint` (`tcp://127.0.0.1:5555`, `tcp://*:0`, `ipc:///tmp/feed.sock`) and
    /// returns the real endpoint: with port 0 (or `*`) the operating system picks a free port,
    /// reported here. Fails at once when the address is in use or invalid.
    pub async fn bind(&self, endpoint: impl IntoEndpoint) -> Result<Endpoint> {
        self.core.bind(endpoint).await
    }

    /// Connects to `endpoint` in the background and keeps reconnecting; returns at once.
    /// Messages sent before the connection is up wait in its queue.
    pub fn connect(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        self.core.connect(endpoint)
    }

    /// Stops listening on an endpoint given to (or returned by) `bind`, and closes the
    /// connections accepted on it.
    pub fn unbind(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        self.core.remove_endpoint(endpoint)
    }

    /// Stops connecting to an endpoint given to `connect`, dropping its connection and the
    /// messages queued for it.
    pub fn disconnect(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        self.core.remove_endpoint(endpoint)
    }

    /// A stream of lifecycle events for this socket's endpoints, from now on.
    pub fn monitor(&self) -> Monitor {
        self.core.monitor()
    }

    /// The socket's options.
    pub fn options(&self) -> &Options {
        &self.core.context().options
    }

    /// The ZMTP socket type.
    pub fn socket_type(&self) -> SocketType {
        K::SOCKET_TYPE
    }

    /// What PLAIN or CURVE established about the peer that sent the message last received:
    /// the user id and properties the server's [`Authenticator`](crate::Authenticator)
    /// attached, and for CURVE the peer's public key (libzmq's `zmq_msg_gets` with `User-Id`
    /// and ZAP properties). `None` before the first message and for NULL peers.
    #[deprecated(
        since = "0.1.0",
        note = "a side channel about the last message; `recv_with_peer` returns the sender, \
                with `Peer::auth`, beside each message"
    )]
    pub fn peer_auth(&self) -> Option<&PeerAuth> {
        self.core.last_auth()
    }

    /// Peers whose handshake completed and whose connection is up.
    pub fn connected_peers(&self) -> usize {
        self.core.table().connected_peers()
    }

    /// Closes the socket and waits until every message it accepted is delivered or the linger
    /// time has passed, and every task of the socket has ended; reports what was not
    /// delivered.
    ///
    /// Delivered means read by the peer: each connection writes what is queued, shuts its
    /// write side, and waits for the peer to close its side after reading everything. Messages
    /// still queued when linger runs out, or written but not confirmed, are listed in the
    /// [`CloseReport`] (and dropped). Dropping the socket does the same in the background.
    pub async fn close(self) -> CloseReport {
        self.core.close(None).await
    }

    /// Like [`close`](Self::close), but stops waiting after `timeout`: the report then says
    /// [`stopped_waiting`](CloseReport::stopped_waiting), and the tasks go on until linger
    /// ends.
    pub async fn close_timeout(self, timeout: Duration) -> CloseReport {
        self.core.close(Some(timeout)).await
    }
}

impl<K: Kind> Default for Socket<K> {
    fn default() -> Self {
        Socket::new()
    }
}
