//! REQ and REP (RFC 28): strict request/reply alternation with envelopes.
//!
//! REQ prefixes each request with an empty delimiter frame, round-robins requests, and accepts
//! a reply only from the peer it asked (anything else is dropped). REP fair-queues requests,
//! keeps the envelope (every frame up to and including the empty delimiter) and puts it back
//! on the reply, which goes to the peer that asked.

use std::future::poll_fn;

use bytes::Bytes;
use zmtp_core::{Message, SocketType};

use super::core::check_not_empty;
use super::peers::PeerId;
use super::{sealed, Kind, Socket};
use crate::error::{Error, Result};

/// REQ: sends requests, receives replies. See [`Socket<Req>`](Socket#impl-Socket<Req>).
#[derive(Debug, Default)]
pub struct Req {
    awaiting: Option<PeerId>,
}

/// REP: receives requests, sends replies. See [`Socket<Rep>`](Socket#impl-Socket<Rep>).
#[derive(Debug, Default)]
pub struct Rep {
    pending: Option<(PeerId, Vec<Bytes>)>,
}

impl sealed::Sealed for Req {}
impl Kind for Req {
    const SOCKET_TYPE: SocketType = SocketType::Req;
}
impl sealed::Sealed for Rep {}
impl Kind for Rep {
    const SOCKET_TYPE: SocketType = SocketType::Rep;
}

impl Socket<Req> {
    /// Sends a request to the next peer (round robin) that can take it, waiting while none
    /// can. Fails with [`Error::InvalidState`] while the previous reply has not been received.
    ///
    /// Cancel-safe: if the future is dropped before it completes, nothing was sent and the
    /// socket may send again.
    pub async fn send(&mut self, request: impl Into<Message>) -> Result<()> {
        if self.kind.awaiting.is_some() {
            return Err(Error::InvalidState(
                "REQ must receive the reply before sending again",
            ));
        }
        let mut request = request.into();
        check_not_empty(&request)?;
        request.push_front(Bytes::new());
        let mut slot = Some(request);
        let peer = poll_fn(|cx| self.core.poll_send_round_robin(cx, &mut slot)).await?;
        self.kind.awaiting = Some(peer);
        Ok(())
    }

    /// Receives the reply to the last request (without its delimiter). Replies from other peers
    /// and malformed replies are dropped. Fails with [`Error::InvalidState`] when no request is
    /// outstanding.
    ///
    /// Cancel-safe: if the future is dropped, the reply is still awaited by the next `recv`.
    pub async fn recv(&mut self) -> Result<Message> {
        let Some(asked) = self.kind.awaiting else {
            return Err(Error::InvalidState(
                "REQ must send a request before receiving",
            ));
        };
        loop {
            let (peer, reply) = poll_fn(|cx| self.core.poll_recv_fair(cx)).await?;
            if let Some(body) = accept_reply(asked, peer, reply) {
                self.kind.awaiting = None;
                return Ok(body);
            }
        }
    }

    /// The reply if it has arrived, else [`Error::WouldBlock`].
    pub fn try_recv(&mut self) -> Result<Message> {
        let Some(asked) = self.kind.awaiting else {
            return Err(Error::InvalidState(
                "REQ must send a request before receiving",
            ));
        };
        loop {
            let (peer, reply) = self.core.try_recv_fair()?;
            if let Some(body) = accept_reply(asked, peer, reply) {
                self.kind.awaiting = None;
                return Ok(body);
            }
        }
    }

    /// Sends a request and waits for its reply.
    pub async fn request(&mut self, request: impl Into<Message>) -> Result<Message> {
        self.send(request).await?;
        self.recv().await
    }
}

/// A reply is kept only from the peer asked and only with its empty delimiter.
fn accept_reply(asked: PeerId, from: PeerId, mut reply: Message) -> Option<Message> {
    if from != asked {
        tracing::debug!("REQ dropped a reply from a peer it did not ask");
        return None;
    }
    match reply.pop_front() {
        Some(delimiter) if delimiter.is_empty() => Some(reply),
        _ => {
            tracing::debug!("REQ dropped a reply without the empty delimiter");
            None
        }
    }
}

impl Socket<Rep> {
    /// Receives the next request (fair-queued), without its envelope. Fails with
    /// [`Error::InvalidState`] while the previous request has not been answered.
    ///
    /// Cancel-safe: a request is only taken when the future completes.
    pub async fn recv(&mut self) -> Result<Message> {
        if self.kind.pending.is_some() {
            return Err(Error::InvalidState("REP must reply before receiving again"));
        }
        loop {
            let (peer, request) = poll_fn(|cx| self.core.poll_recv_fair(cx)).await?;
            if let Some(body) = self.kind.take_request(peer, request) {
                return Ok(body);
            }
        }
    }

    /// The next request if one is waiting, else [`Error::WouldBlock`].
    pub fn try_recv(&mut self) -> Result<Message> {
        if self.kind.pending.is_some() {
            return Err(Error::InvalidState("REP must reply before receiving again"));
        }
        loop {
            let (peer, request) = self.core.try_recv_fair()?;
            if let Some(body) = self.kind.take_request(peer, request) {
                return Ok(body);
            }
        }
    }

    /// Sends the reply to the request last received, with its envelope. Completes at once; the
    /// reply is dropped if the requester has gone (as libzmq does). Fails with
    /// [`Error::InvalidState`] when there is no request to answer.
    pub async fn send(&mut self, reply: impl Into<Message>) -> Result<()> {
        self.try_send(reply)
    }

    /// Same as [`send`](Self::send), which never waits.
    pub fn try_send(&mut self, reply: impl Into<Message>) -> Result<()> {
        let reply = reply.into();
        check_not_empty(&reply)?;
        let Some((peer, envelope)) = self.kind.pending.take() else {
            return Err(Error::InvalidState(
                "REP must receive a request before replying",
            ));
        };
        let mut message = Message::from(envelope);
        for frame in reply {
            message.push(frame);
        }
        let mut table = self.core.table();
        if table.is_closed() {
            return Err(Error::Closed);
        }
        if !table.send_to(peer, message) {
            tracing::debug!("REP dropped a reply: the requester is gone or full");
        }
        Ok(())
    }
}

impl Rep {
    /// Splits the envelope off a request; malformed requests (no delimiter) are dropped.
    fn take_request(&mut self, peer: PeerId, request: Message) -> Option<Message> {
        let mut frames = request.into_frames();
        let Some(delimiter) = frames.iter().position(|f| f.is_empty()) else {
            tracing::debug!("REP dropped a request without an empty delimiter");
            return None;
        };
        let body = frames.split_off(delimiter + 1);
        self.pending = Some((peer, frames));
        Some(Message::from(body))
    }
}
