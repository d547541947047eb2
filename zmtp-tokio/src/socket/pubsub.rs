//! PUB and SUB (RFC 29): the publisher filters by each subscriber's subscriptions and drops
//! for subscribers at their high-water mark, never blocking (unless
//! [`xpub_nodrop`](crate::Options::xpub_nodrop) is on); the subscriber keeps counted
//! subscriptions, sends them to every publisher (again after each reconnect) and fair-queues.

use std::task::{Context, Poll};

use bytes::Bytes;
use zmtp_core::Message;

use super::strategies::{fair_queue_receiving, fan_out_publishing};
use super::{sealed, Kind, Socket};
use crate::error::Result;
use crate::pipes::kinds;

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
    type Policy = kinds::Pub;

    fn poll_send_raw(
        socket: &mut Socket<Self>,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<()>> {
        socket.core.poll_fan_out(cx, slot)
    }
}
impl Kind for Pub {}
impl sealed::Sealed for Sub {
    type Policy = kinds::Sub;

    fn poll_recv_raw(socket: &mut Socket<Self>, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        socket.core.poll_recv_fair(cx).map_ok(|(_, m)| m)
    }
}
impl Kind for Sub {}

fan_out_publishing!(Pub);

impl Socket<Sub> {
    /// Subscribes to messages whose first frame starts with `topic` (empty: everything).
    /// Subscriptions are counted: subscribing twice needs two [`unsubscribe`](Self::unsubscribe)s.
    pub fn subscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.core.table().subscribe_local(topic.into(), false);
        Ok(())
    }

    /// Cancels one subscription to `topic`.
    pub fn unsubscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.core.table().cancel_local(topic.into());
        Ok(())
    }
}

fair_queue_receiving!(Sub);
