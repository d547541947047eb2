//! A socket in two halves, one that sends and one that receives, so that one task can send
//! while another receives (a ROUTER answering from worker tasks, a DEALER whose replies are
//! read elsewhere). Only for the kinds that send and receive independently: DEALER, ROUTER,
//! PAIR, XPUB and XSUB. REQ and REP are left out on purpose: their alternation is one state
//! that both directions must see, so their halves could only wait on each other. PUB, SUB,
//! PUSH and PULL go one way: move the socket itself into the task.
//!
//! The socket stays open while either half lives; [`SocketSender::reunite`] gives the socket
//! back, for [`Socket::close`].

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::{Sink, Stream};
use zmtp_core::Message;

use super::{sealed, Dealer, Kind, Pair, RecvMessage, Router, SendMessage, Socket, XPub, XSub};
use crate::{Error, Peer, Result, TryRecvError, TrySendError};

/// The kinds whose sockets can be [split](Socket::split).
pub trait Duplex: Kind + sealed::Sealed {}

impl Duplex for Dealer {}
impl Duplex for Router {}
impl Duplex for Pair {}
impl Duplex for XPub {}
impl Duplex for XSub {}

/// The sending half of a split socket.
pub struct SocketSender<K: Duplex> {
    socket: Socket<K>,
}

/// The receiving half of a split socket.
pub struct SocketReceiver<K: Duplex> {
    socket: Socket<K>,
}

/// [`SocketSender::reunite`] was given halves of two different sockets; here they are back.
pub struct ReuniteError<K: Duplex>(pub SocketSender<K>, pub SocketReceiver<K>);

impl<K: Duplex> std::fmt::Debug for SocketSender<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketSender")
            .field("socket_type", &K::SOCKET_TYPE)
            .finish_non_exhaustive()
    }
}

impl<K: Duplex> std::fmt::Debug for SocketReceiver<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketReceiver")
            .field("socket_type", &K::SOCKET_TYPE)
            .finish_non_exhaustive()
    }
}

impl<K: Duplex> std::fmt::Debug for ReuniteError<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<K: Duplex> std::fmt::Display for ReuniteError<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the halves are of two different sockets")
    }
}

impl<K: Duplex> std::error::Error for ReuniteError<K> {}

impl<K: Duplex> Socket<K> {
    /// Splits the socket into a half that sends and a half that receives, each usable from
    /// its own task. Messages already received stay with the receiving half.
    pub fn split(self) -> (SocketSender<K>, SocketReceiver<K>) {
        let (sending, receiving) = self.core.split();
        let sender = Socket {
            core: sending,
            kind: K::default(),
        };
        let receiver = Socket {
            core: receiving,
            kind: self.kind,
        };
        (
            SocketSender { socket: sender },
            SocketReceiver { socket: receiver },
        )
    }
}

impl<K: Duplex> SocketSender<K>
where
    Socket<K>: SendMessage,
{
    /// Sends as the whole socket's `send` does.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<()> {
        self.socket.send_message(message.into()).await
    }

    /// Sends as the whole socket's `try_send` does, handing a refused message back.
    pub fn try_send(&mut self, message: impl Into<Message>) -> Result<(), TrySendError> {
        self.socket.try_send_message(message.into())
    }
}

impl<K: Duplex> SocketSender<K> {
    /// The socket again, from its two halves.
    pub fn reunite(self, receiver: SocketReceiver<K>) -> Result<Socket<K>, Box<ReuniteError<K>>> {
        if !self.socket.core.same_socket(&receiver.socket.core) {
            // Boxed: the halves are large and this is the rare path.
            return Err(Box::new(ReuniteError(self, receiver)));
        }
        // The receiving half keeps what it already took from the peers.
        Ok(receiver.socket)
    }

    /// Peers whose handshake completed and whose connection is up.
    pub fn connected_peers(&self) -> usize {
        self.socket.connected_peers()
    }
}

impl<K: Duplex> SocketReceiver<K>
where
    Socket<K>: RecvMessage,
{
    /// Receives as the whole socket's `recv` does.
    pub async fn recv(&mut self) -> Result<Message> {
        self.socket.recv_message().await
    }

    /// Receives as the whole socket's `try_recv` does.
    pub fn try_recv(&mut self) -> Result<Message, TryRecvError> {
        self.socket.try_recv_message()
    }

    /// Like [`recv`](Self::recv), with the peer that sent the message.
    pub async fn recv_with_peer(&mut self) -> Result<(Message, Arc<Peer>)> {
        let message = self.recv().await?;
        Ok((message, self.socket.core.last_peer()?))
    }
}

impl<K: Duplex> SocketReceiver<K> {
    /// The socket again, from its two halves.
    pub fn reunite(self, sender: SocketSender<K>) -> Result<Socket<K>, Box<ReuniteError<K>>> {
        sender.reunite(self)
    }
}

impl<K: Duplex> SendMessage for SocketSender<K>
where
    Socket<K>: SendMessage,
{
    async fn send_message(&mut self, message: Message) -> Result<()> {
        self.socket.send_message(message).await
    }

    fn try_send_message(&mut self, message: Message) -> Result<(), TrySendError> {
        self.socket.try_send_message(message)
    }
}

impl<K: Duplex> RecvMessage for SocketReceiver<K>
where
    Socket<K>: RecvMessage,
{
    async fn recv_message(&mut self) -> Result<Message> {
        self.socket.recv_message().await
    }

    fn try_recv_message(&mut self) -> Result<Message, TryRecvError> {
        self.socket.try_recv_message()
    }
}

impl<K: Duplex> Sink<Message> for SocketSender<K>
where
    Socket<K>: Sink<Message, Error = Error> + Unpin,
{
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<()> {
        Pin::new(&mut self.get_mut().socket).start_send(message)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_close(cx)
    }
}

impl<K: Duplex> Stream for SocketReceiver<K>
where
    Socket<K>: Stream<Item = Result<Message>> + Unpin,
{
    type Item = Result<Message>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.get_mut().socket).poll_next(cx)
    }
}
