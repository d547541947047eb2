//! ROUTER (RFC 28): every received message starts with the identity of the peer it came from;
//! every sent message starts with the identity of the peer it goes to, which is taken off
//! before sending. A peer's identity is the one it announced in its READY (a REQ or DEALER
//! with [`Options::identity`](crate::Options::identity)), or one the ROUTER generated: a zero
//! byte and four more. A second peer announcing a taken identity is refused
//! ([`Refusal::DuplicateIdentity`](crate::Refusal::DuplicateIdentity)) unless
//! [`Options::router_handover`](crate::Options::router_handover) lets it take the identity
//! over. A message for an unknown identity, or for a peer whose queue is full, is dropped;
//! with [`Options::router_mandatory`](crate::Options::router_mandatory) the first fails with
//! [`Error::HostUnreachable`] and the second waits.
//! [`Options::router_notify`](crate::Options::router_notify) adds a message `[routing id,
//! empty frame]` when a peer arrives and when it leaves, and
//! [`connect_with_routing_id`](Socket::connect_with_routing_id) names a connected peer before
//! it is even up.

use std::future::poll_fn;
use std::task::{Context, Poll};

use bytes::Bytes;
use zmtp_core::{Message, SocketType};

use super::strategies::fair_queue_receiving;
use super::{sealed, Kind, Socket};
use crate::endpoint::IntoEndpoint;
use crate::error::{Error, Result};
use crate::pipes::kinds;
use crate::pipes::Routed;
use crate::telemetry::{self, DropCause};
use crate::try_error::TrySendError;

/// ROUTER: receives with the sender's identity in front, sends by identity. See
/// [`Socket<Router>`](Socket#impl-Socket<Router>).
#[derive(Debug, Default)]
pub struct Router {
    _private: (),
}

impl sealed::Sealed for Router {
    type Policy = kinds::Router;

    fn poll_recv_raw(socket: &mut Socket<Self>, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        socket.core.poll_recv_fair(cx).map_ok(|(_, m)| m)
    }

    fn poll_send_raw(
        socket: &mut Socket<Self>,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<()>> {
        socket.poll_send_slot(cx, slot)
    }
}
impl Kind for Router {}

impl Socket<Router> {
    /// Sends `message` to the peer whose identity is its first frame (the rest is what the
    /// peer receives). Completes at once unless
    /// [`router_mandatory`](crate::Options::router_mandatory) is on and the peer's queue is
    /// full; see the [module rules](Router) for unknown identities.
    ///
    /// Cancel-safe: if the future is dropped before it completes, the message was not queued.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<()> {
        let mut slot = Some(message.into());
        poll_fn(|cx| self.poll_send_slot(cx, &mut slot)).await
    }

    /// Sends `message` to the peer whose routing id is `identity`: [`send`](Self::send) with
    /// the identity frame put in front.
    pub async fn send_to(
        &mut self,
        identity: impl Into<Bytes>,
        message: impl Into<Message>,
    ) -> Result<()> {
        let mut message = message.into();
        message.push_front(identity.into());
        self.send(message).await
    }

    /// [`connect`](Socket::connect), with the peer of this endpoint routed by `routing_id`
    /// instead of the id it announces or one generated (libzmq's ZMQ_CONNECT_ROUTING_ID, set
    /// before the `connect` it applies to). Messages for `routing_id` can be sent at once:
    /// they wait for the connection, as for any connecting endpoint (with
    /// [`immediate`](crate::Options::immediate), the id is unreachable until the connection
    /// is up), and the id stays with the endpoint across reconnections until `disconnect`. Fails with
    /// [`Error::InvalidRoutingId`] for an empty id, or one a peer of this socket has already
    /// (libzmq asserts); another peer later announcing it is refused
    /// ([`Refusal::DuplicateIdentity`](crate::Refusal::DuplicateIdentity)), even with
    /// `router_handover`.
    pub fn connect_with_routing_id(
        &self,
        endpoint: impl IntoEndpoint,
        routing_id: impl Into<Bytes>,
    ) -> Result<()> {
        self.core.connect_routed(endpoint, Some(routing_id.into()))
    }

    /// The next message, with the routing id of the peer that sent it taken off the front.
    pub async fn recv_from(&mut self) -> Result<(Bytes, Message)> {
        let mut message = self.recv().await?;
        // The driver puts the routing id in front of every message it hands a ROUTER.
        let identity = message.pop_front().unwrap_or_default();
        Ok((identity, message))
    }

    /// Sends the message in `slot`; pending, with the message back in `slot`, while a full
    /// peer must be waited for (only with `router_mandatory`).
    fn poll_send_slot(&self, cx: &Context<'_>, slot: &mut Option<Message>) -> Poll<Result<()>> {
        let Some(message) = slot.take() else {
            return Poll::Ready(Err(Error::InvalidState("message already sent")));
        };
        let mandatory = self.options().router_mandatory;
        match self.route(message, mandatory.then_some(cx)) {
            Route::Queued | Route::Dropped => Poll::Ready(Ok(())),
            Route::Refused(error, _) => Poll::Ready(Err(error)),
            Route::Full(message) if mandatory => {
                *slot = Some(message);
                Poll::Pending
            }
            Route::Full(_) => {
                tracing::debug!("ROUTER dropped a message for a full peer");
                telemetry::dropped(SocketType::Router, DropCause::HighWaterMark, 1);
                Poll::Ready(Ok(()))
            }
        }
    }

    /// Like [`send`](Self::send) but never waits: a peer whose queue is full hands the message
    /// back with [`Error::WouldBlock`] (with or without `router_mandatory`: the caller decides
    /// whether to drop it), and every other refusal hands it back too. A message for an
    /// unknown identity is dropped (`Ok`) unless `router_mandatory` is on, as in libzmq.
    pub fn try_send(&mut self, message: impl Into<Message>) -> Result<(), TrySendError> {
        match self.route(message.into(), None) {
            Route::Queued | Route::Dropped => Ok(()),
            Route::Refused(error, message) => Err(TrySendError { error, message }),
            Route::Full(message) => Err(TrySendError {
                error: Error::WouldBlock,
                message,
            }),
        }
    }

    /// Queues `message` for the peer its first frame names. `cx` is registered to be woken
    /// when a full peer has room.
    fn route(&self, mut message: Message, cx: Option<&Context<'_>>) -> Route {
        if message.len() < 2 {
            return Route::Refused(
                Error::InvalidState(
                    "a ROUTER message needs an identity frame and at least one more",
                ),
                message,
            );
        }
        let identity = message.pop_front().expect("two frames or more");
        let mut table = self.core.table();
        let refused = |error, mut message: Message, identity| {
            message.push_front(identity);
            Route::Refused(error, message)
        };
        if table.is_closed() {
            return refused(Error::Closed, message, identity);
        }
        match table.send_routed(&identity, message, cx) {
            Routed::Queued => Route::Queued,
            Routed::Unroutable(message) if self.options().router_mandatory => {
                refused(Error::HostUnreachable(identity.clone()), message, identity)
            }
            Routed::Unroutable(_) => {
                tracing::debug!("ROUTER dropped a message for an unknown peer");
                telemetry::dropped(SocketType::Router, DropCause::Unroutable, 1);
                Route::Dropped
            }
            Routed::Full(mut message) => {
                message.push_front(identity);
                Route::Full(message)
            }
        }
    }
}

/// What became of a message a ROUTER was given.
enum Route {
    Queued,
    /// For an unknown identity without `router_mandatory` (libzmq drops it too).
    Dropped,
    /// Not sent, for the reason given; the message is handed back whole.
    Refused(Error, Message),
    /// The peer's queue is full; the message is handed back whole.
    Full(Message),
}

fair_queue_receiving!(Router);
