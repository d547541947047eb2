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

use std::future::poll_fn;
use std::task::{Context, Poll};

use zmtp_core::{Message, SocketType};

use super::peers::Routed;
use super::strategies::fair_queue_receiving;
use super::{sealed, Kind, Socket};
use crate::error::{Error, Result};

/// ROUTER: receives with the sender's identity in front, sends by identity. See
/// [`Socket<Router>`](Socket#impl-Socket<Router>).
#[derive(Debug, Default)]
pub struct Router {
    _private: (),
}

impl sealed::Sealed for Router {
    fn poll_recv_raw(socket: &mut Socket<Self>, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        socket.core.poll_recv_fair(cx).map_ok(|(_, m)| m)
    }

    fn poll_send_raw(
        socket: &mut Socket<Self>,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<()>> {
        socket.poll_route(Some(cx), slot)
    }
}
impl Kind for Router {
    const SOCKET_TYPE: SocketType = SocketType::Router;
}

impl Socket<Router> {
    /// Sends `message` to the peer whose identity is its first frame (the rest is what the
    /// peer receives). Completes at once unless
    /// [`router_mandatory`](crate::Options::router_mandatory) is on and the peer's queue is
    /// full; see the [module rules](Router) for unknown identities.
    ///
    /// Cancel-safe: if the future is dropped before it completes, the message was not queued.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<()> {
        let mut slot = Some(message.into());
        poll_fn(|cx| self.poll_route(Some(cx), &mut slot)).await
    }

    /// Like [`send`](Self::send) but never waits: a full peer gives [`Error::WouldBlock`] with
    /// `router_mandatory` (the message is then dropped; resend it).
    pub fn try_send(&mut self, message: impl Into<Message>) -> Result<()> {
        match self.poll_route(None, &mut Some(message.into())) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(Error::WouldBlock),
        }
    }

    fn poll_route(&self, cx: Option<&Context<'_>>, slot: &mut Option<Message>) -> Poll<Result<()>> {
        let Some(mut message) = slot.take() else {
            return Poll::Ready(Err(Error::InvalidState("message already sent")));
        };
        if message.len() < 2 {
            return Poll::Ready(Err(Error::InvalidState(
                "a ROUTER message needs an identity frame and at least one more",
            )));
        }
        let identity = message.pop_front().expect("two frames or more");
        let mandatory = self.options().router_mandatory;
        let mut table = self.core.table();
        if table.is_closed() {
            return Poll::Ready(Err(Error::Closed));
        }
        let waiting = cx.filter(|_| mandatory);
        match table.send_routed(&identity, message, waiting) {
            Routed::Queued => Poll::Ready(Ok(())),
            Routed::Unroutable if mandatory => Poll::Ready(Err(Error::HostUnreachable(identity))),
            Routed::Full(mut message) if mandatory && cx.is_some() => {
                message.push_front(identity);
                *slot = Some(message);
                Poll::Pending
            }
            Routed::Full(_) if mandatory => Poll::Ready(Err(Error::WouldBlock)),
            Routed::Unroutable | Routed::Full(_) => {
                tracing::debug!("ROUTER dropped a message for an unknown or full peer");
                Poll::Ready(Ok(()))
            }
        }
    }
}

fair_queue_receiving!(Router);
