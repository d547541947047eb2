//! PUSH and PULL (RFC 30): PUSH round-robins over peers that can take a message and waits when
//! none can; PULL fair-queues over its peers.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use zmtp_core::{Message, SocketType};

use super::{sealed, Kind, Socket};
use crate::error::{Error, Result, TrySendError};

/// PUSH: the sending end of a pipeline. See [`Socket<Push>`](Socket#impl-Socket<Push>).
#[derive(Debug, Default)]
pub struct Push {
    _private: (),
}

/// PULL: the receiving end of a pipeline. See [`Socket<Pull>`](Socket#impl-Socket<Pull>).
#[derive(Debug, Default)]
pub struct Pull {
    _private: (),
}

impl sealed::Sealed for Push {}
impl Kind for Push {
    const SOCKET_TYPE: SocketType = SocketType::Push;
}
impl sealed::Sealed for Pull {}
impl Kind for Pull {
    const SOCKET_TYPE: SocketType = SocketType::Pull;
}

impl Socket<Push> {
    /// Queues `message` for the next peer (round robin) whose queue has room, waiting while
    /// none has — including while no peer exists yet.
    ///
    /// Cancel-safe: if the future is dropped before it completes, the message was not queued.
    /// A loop of sends yields to the runtime now and then (tokio's cooperative budget), so
    /// that the connection tasks drain the queue while it is being filled.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<()> {
        tokio::task::consume_budget().await;
        let mut slot = Some(message.into());
        poll_fn(|cx| self.core.poll_send_round_robin(cx, &mut slot)).await?;
        Ok(())
    }

    /// Queues `message` if a peer can take it now; otherwise hands it back with
    /// [`Error::WouldBlock`].
    pub fn try_send(&mut self, message: impl Into<Message>) -> Result<(), TrySendError> {
        self.core.try_send_round_robin(message.into()).map(|_| ())
    }
}

impl futures::Sink<Message> for Socket<Push> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let mut table = self.core.table();
        if table.is_closed() {
            return Poll::Ready(Err(Error::Closed));
        }
        if table.poll_round_robin_ready(cx) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    fn start_send(mut self: Pin<&mut Self>, message: Message) -> Result<()> {
        self.try_send(message).map_err(|e| e.error)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        // Queued messages are written by the connection tasks; there is nothing to wait for.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Socket<Pull> {
    /// The next message, fair-queued over peers.
    ///
    /// Cancel-safe: a message is only taken when the future completes.
    pub async fn recv(&mut self) -> Result<Message> {
        poll_fn(|cx| self.core.poll_recv_fair(cx).map_ok(|(_, m)| m)).await
    }

    /// The next message if one is waiting, else [`Error::WouldBlock`].
    pub fn try_recv(&mut self) -> Result<Message> {
        self.core.try_recv_fair().map(|(_, m)| m)
    }
}

impl futures::Stream for Socket<Pull> {
    type Item = Result<Message>;

    /// Yields messages for ever; ends only when the socket is closed.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Message>>> {
        self.core.poll_next_fair(cx)
    }
}
