//! XPUB and XSUB (RFC 29): PUB and SUB that show subscriptions to the application, for
//! building forwarders.
//!
//! XPUB publishes like PUB, and receives its subscribers' subscriptions as messages: `1 topic`
//! for a topic no other subscriber had (every subscription with
//! [`Options::xpub_verbose`](crate::Options::xpub_verbose)), `0 topic` when the last
//! subscriber of a topic cancels it or leaves (every cancellation with
//! [`Options::xpub_verboser`](crate::Options::xpub_verboser)). It also receives any other
//! message a subscriber sends (an XSUB's upstream messages). With
//! [`Options::xpub_manual`](crate::Options::xpub_manual) it applies no subscription itself:
//! the application reads each one and applies its choice with `subscribe` and `unsubscribe`
//! (see [`Socket<XPub>`](Socket#impl-Socket<XPub>)).
//!
//! XSUB receives everything its publishers send (no filtering: the publishers filter), and
//! sends messages: `1 topic` subscribes, `0 topic` cancels (both are kept and re-sent after a
//! reconnect, like SUB's), anything else goes to every connected publisher.

use std::task::{Context, Poll};

use bytes::Bytes;
use zmtp_core::Message;

use super::strategies::{fair_queue_receiving, fan_out_publishing};
use super::{sealed, Kind, Socket};
use crate::error::{Error, Result};
use crate::pipes::kinds;
use crate::pipes::manual::NotApplied;
use crate::pipes::topics::{parse_subscription, subscription_message};
use crate::try_error::TrySendError;

/// XPUB: a publisher that receives subscriptions. See [`Socket<XPub>`](Socket#impl-Socket<XPub>).
#[derive(Debug, Default)]
pub struct XPub {
    _private: (),
}

/// XSUB: a subscriber that sends subscriptions as messages. See
/// [`Socket<XSub>`](Socket#impl-Socket<XSub>).
#[derive(Debug, Default)]
pub struct XSub {
    _private: (),
}

impl sealed::Sealed for XPub {
    type Policy = kinds::XPub;

    fn poll_recv_raw(socket: &mut Socket<Self>, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        socket.core.poll_recv_fair(cx).map_ok(|(_, m)| m)
    }

    fn poll_send_raw(
        socket: &mut Socket<Self>,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<()>> {
        socket.core.poll_fan_out(cx, slot)
    }
}
impl Kind for XPub {}

impl sealed::Sealed for XSub {
    type Policy = kinds::XSub;

    fn poll_recv_raw(socket: &mut Socket<Self>, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        socket.core.poll_recv_fair(cx).map_ok(|(_, m)| m)
    }

    fn poll_send_raw(
        socket: &mut Socket<Self>,
        _cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<()>> {
        let message = slot.take();
        Poll::Ready(match message {
            Some(message) => socket.send_upstream(&message),
            None => Err(Error::InvalidState("message already sent")),
        })
    }
}
impl Kind for XSub {}

fan_out_publishing!(XPub);
fair_queue_receiving!(XPub);

impl Socket<XPub> {
    /// With [`xpub_manual`](crate::Options::xpub_manual): subscribes the subscriber the last
    /// received message came from to `topic`, so that what is published on it goes to that
    /// subscriber (libzmq's ZMQ_SUBSCRIBE on a manual XPUB). Typically called after reading
    /// its `1 topic`, with that topic or another one.
    ///
    /// Fails with [`Error::InvalidState`] without `xpub_manual`, before any message was
    /// received, once that subscriber has left (libzmq ignores the call then), or when it
    /// holds as many topics as a publisher keeps for one peer.
    pub fn subscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.apply_subscription(true, topic.into())
    }

    /// With [`xpub_manual`](crate::Options::xpub_manual): cancels `topic` for the subscriber
    /// the last received message came from (libzmq's ZMQ_UNSUBSCRIBE on a manual XPUB).
    /// Fails as [`subscribe`](Self::subscribe) does.
    pub fn unsubscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.apply_subscription(false, topic.into())
    }

    fn apply_subscription(&self, subscribe: bool, topic: Bytes) -> Result<()> {
        let Some(pipe) = self.core.last_received_pipe() else {
            return Err(Error::InvalidState("no message was received yet"));
        };
        self.core
            .table()
            .apply_subscription(pipe, subscribe, topic)
            .map_err(|reason| {
                Error::InvalidState(match reason {
                    NotApplied::NotManual => {
                        "subscriptions are applied by hand only with xpub_manual"
                    }
                    NotApplied::Gone => "the subscriber of the last received message has left",
                    NotApplied::TooManyTopics => {
                        "the subscriber holds the most topics a publisher keeps"
                    }
                })
            })
    }
}

impl Socket<XSub> {
    /// Subscribes to `topic` (the same as sending `1 topic`). Unlike SUB, each subscribe is
    /// sent upstream, so an XPUB in verbose mode sees every one.
    pub fn subscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.send_upstream(&subscription_message(true, &topic.into()))
    }

    /// Cancels one subscription to `topic` (the same as sending `0 topic`); the last cancel
    /// of a topic is sent upstream.
    pub fn unsubscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.send_upstream(&subscription_message(false, &topic.into()))
    }

    /// Sends a subscription (`1 topic`), a cancellation (`0 topic`) or any other message to
    /// every connected publisher. Never waits: a publisher whose queue is full misses an
    /// ordinary message (subscriptions are never lost: they are kept and replayed).
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<()> {
        tokio::task::consume_budget().await;
        self.send_upstream(&message.into())
    }

    /// [`send`](Self::send) without the await point (it never waits anyway); a refused
    /// message (closed socket, no frame) is handed back.
    pub fn try_send(&mut self, message: impl Into<Message>) -> Result<(), TrySendError> {
        let message = message.into();
        self.send_upstream(&message)
            .map_err(|error| TrySendError { error, message })
    }

    fn send_upstream(&self, message: &Message) -> Result<()> {
        match parse_subscription(message) {
            // XSUB forwards every subscribe, as libzmq does, so that an XPUB upstream
            // in verbose mode sees each one.
            Some((true, topic)) => self.core.table().subscribe_local(topic, true),
            Some((false, topic)) => self.core.table().cancel_local(topic),
            None => {
                self.core.fan_out(message, false)?;
            }
        }
        Ok(())
    }
}

fair_queue_receiving!(XSub);
