//! PUB and SUB (RFC 29): the publisher filters by each subscriber's subscriptions and drops
//! for subscribers at their high-water mark, never blocking; the subscriber keeps counted
//! subscriptions, sends them to every publisher (again after each reconnect) and fair-queues.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use zmtp_core::{Message, SocketType};

use super::core::check_not_empty;
use super::strategies::fair_queue_receiving;
use super::{sealed, Kind, Socket};
use crate::error::{Error, Result};

/// PUB: publishes to subscribers. See [`Socket<Pub>`](Socket#impl-Socket<Pub>).
#[derive(Debug, Default)]
pub struct Pub {
    _private: (),
}

/// SUB: receives what it subscribed to. See [`Socket<Sub>`](Socket#impl-Socket<Sub>).
#[derive(Debug, Default)]
pub struct Sub {
    _private: (),
}

impl sealed::Sealed for Pub {
    fn poll_send_raw(
        socket: &mut Socket<Self>,
        _cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<()>> {
        Poll::Ready(publish_from(socket.core.shared(), slot, true).map(|_| ()))
    }
}
impl Kind for Pub {
    const SOCKET_TYPE: SocketType = SocketType::Pub;
}
impl sealed::Sealed for Sub {
    fn poll_recv_raw(socket: &mut Socket<Self>, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        socket.core.poll_recv_fair(cx).map_ok(|(_, m)| m)
    }
}
impl Kind for Sub {
    const SOCKET_TYPE: SocketType = SocketType::Sub;
}

impl Socket<Pub> {
    /// Publishes `message` to every connected subscriber whose subscriptions prefix-match its
    /// first frame. Never waits: a subscriber whose queue is full misses the message.
    /// Returns how many subscribers it was queued for.
    pub fn publish(&mut self, message: impl Into<Message>) -> Result<usize> {
        publish_from(self.core.shared(), &mut Some(message.into()), true)
    }

    /// Same as [`publish`](Self::publish), but an await point: a loop of `send`s yields to
    /// the runtime now and then (tokio's cooperative budget), so that the connection tasks
    /// get to run and drain the queues. A loop of `publish` calls that never awaits starves
    /// them and makes subscribers' queues overflow.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<()> {
        tokio::task::consume_budget().await;
        self.publish(message).map(|_| ())
    }
}

/// Fans the message in `slot` out to connected peers: those whose subscriptions match
/// (`filtered`), or all of them (XSUB's upstream messages). Never waits.
pub(crate) fn publish_from(
    shared: &super::core::Shared,
    slot: &mut Option<Message>,
    filtered: bool,
) -> Result<usize> {
    let message = slot
        .take()
        .ok_or(Error::InvalidState("message already sent"))?;
    check_not_empty(&message)?;
    let mut table = shared.table();
    if table.is_closed() {
        return Err(Error::Closed);
    }
    Ok(table.send_fan_out(&message, filtered))
}

impl futures::Sink<Message> for Socket<Pub> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        // A publisher never waits.
        Poll::Ready(Ok(()))
    }

    fn start_send(mut self: Pin<&mut Self>, message: Message) -> Result<()> {
        self.publish(message).map(|_| ())
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Socket<Sub> {
    /// Subscribes to messages whose first frame starts with `topic` (empty: everything).
    /// Subscriptions are counted: subscribing twice needs two [`unsubscribe`](Self::unsubscribe)s.
    pub fn subscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.core.table().subscribe_local(topic.into());
        Ok(())
    }

    /// Cancels one subscription to `topic`.
    pub fn unsubscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.core.table().cancel_local(topic.into());
        Ok(())
    }
}

fair_queue_receiving!(Sub);
