//! REQ and REP (RFC 28): strict request/reply alternation with envelopes.
//!
//! REQ prefixes each request with an empty delimiter frame, round-robins requests, and accepts
//! a reply only from the peer it asked (anything else is dropped). With `req_correlate` a
//! request-id frame goes before the delimiter and a reply must bring it back; with
//! `req_relaxed` a new request may abandon the one awaiting its reply (libzmq's options of
//! those names, with their wire behaviour). REP fair-queues requests,
//! keeps the envelope (every frame up to and including the empty delimiter) and puts it back
//! on the reply, which goes to the peer that asked.

use std::future::poll_fn;
use std::sync::Arc;

use bytes::Bytes;
use zmtp_core::{Message, SocketType};

use super::core::check_not_empty;
use super::{sealed, Kind, Socket};
use crate::engine::PipeId;
use crate::error::{Error, Result};
use crate::peer::Peer;
use crate::pipes::kinds;
use crate::pipes::Routed;
use crate::telemetry::{self, DropCause};
use crate::try_error::{TryRecvError, TrySendError};

/// REQ: sends requests, receives replies. See [`Socket<Req>`](Socket#impl-Socket<Req>).
#[derive(Debug, Default)]
pub struct Req {
    awaiting: Option<PipeId>,
    /// The id of the last request sent (`req_correlate`); the next one is this plus one.
    request_id: u32,
}

/// REP: receives requests, sends replies. See [`Socket<Rep>`](Socket#impl-Socket<Rep>).
#[derive(Debug, Default)]
pub struct Rep {
    pending: Option<(PipeId, Vec<Bytes>)>,
}

impl sealed::Sealed for Req {
    type Policy = kinds::Req;
}
impl Kind for Req {}
impl sealed::Sealed for Rep {
    type Policy = kinds::Rep;
}
impl Kind for Rep {}

impl Socket<Req> {
    /// Sends a request to the next peer (round robin) that can take it, waiting while none
    /// can. Fails with [`Error::InvalidState`] while the previous reply has not been received,
    /// unless [`Options::req_relaxed`](crate::Options::req_relaxed) is on: then that request is
    /// abandoned and its reply, should it come, dropped (surely so with
    /// [`req_correlate`](crate::Options::req_correlate)).
    ///
    /// Cancel-safe: if the future is dropped before it completes, nothing was sent and the
    /// socket may send again.
    pub async fn send(&mut self, request: impl Into<Message>) -> Result<()> {
        self.check_may_send()?;
        let request = request.into();
        check_not_empty(&request)?;
        let request = self.envelope(request);
        let mut slot = Some(request);
        let peer = poll_fn(|cx| self.core.poll_send_round_robin(cx, &mut slot)).await?;
        self.kind.awaiting = Some(peer);
        Ok(())
    }

    /// Like [`send`](Self::send), but never waits: when no peer can take the request now it
    /// is handed back with [`Error::WouldBlock`] (and the socket may try again).
    pub fn try_send(&mut self, request: impl Into<Message>) -> Result<(), TrySendError> {
        let request = request.into();
        if let Err(error) = self
            .check_may_send()
            .and_then(|()| check_not_empty(&request))
        {
            return Err(TrySendError {
                error,
                message: request,
            });
        }
        let request = self.envelope(request);
        match self.core.try_send_round_robin(request) {
            Ok(peer) => {
                self.kind.awaiting = Some(peer);
                Ok(())
            }
            Err(mut refused) => {
                // Without the frames we added: the delimiter, and the request id.
                refused.message.pop_front();
                if self.correlates() {
                    refused.message.pop_front();
                }
                Err(refused)
            }
        }
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
            if let Some(body) = self.accept_reply(asked, peer, reply) {
                self.kind.awaiting = None;
                return Ok(body);
            }
        }
    }

    /// The reply if it has arrived, else [`TryRecvError::Empty`] (or `Closed`, or
    /// `InvalidState` when no request is outstanding).
    pub fn try_recv(&mut self) -> Result<Message, TryRecvError> {
        let Some(asked) = self.kind.awaiting else {
            return Err(TryRecvError::InvalidState(
                "REQ must send a request before receiving",
            ));
        };
        loop {
            let (peer, reply) = self.core.try_recv_fair()?;
            if let Some(body) = self.accept_reply(asked, peer, reply) {
                self.kind.awaiting = None;
                return Ok(body);
            }
        }
    }

    /// Like [`recv`](Self::recv), with the peer that sent the reply (its address, identity,
    /// properties, and what PLAIN or CURVE established).
    pub async fn recv_with_peer(&mut self) -> Result<(Message, Arc<Peer>)> {
        let reply = self.recv().await?;
        Ok((reply, self.core.last_peer()?))
    }

    /// Sends a request and waits for its reply.
    pub async fn request(&mut self, request: impl Into<Message>) -> Result<Message> {
        self.send(request).await?;
        self.recv().await
    }
}

impl Socket<Req> {
    fn correlates(&self) -> bool {
        self.core.context().options.req_correlate
    }

    /// Whether a request may go now: none awaits its reply, or the socket is relaxed (the one
    /// awaiting is abandoned).
    fn check_may_send(&mut self) -> Result<()> {
        if self.kind.awaiting.is_some() {
            if !self.core.context().options.req_relaxed {
                return Err(Error::InvalidState(
                    "REQ must receive the reply before sending again",
                ));
            }
            tracing::debug!("REQ abandoned a request awaiting its reply (req_relaxed)");
        }
        Ok(())
    }

    /// The request with what REQ puts in front: the empty delimiter, and before it the next
    /// request id when correlating.
    fn envelope(&mut self, mut request: Message) -> Message {
        request.push_front(Bytes::new());
        if self.correlates() {
            self.kind.request_id = self.kind.request_id.wrapping_add(1);
            // Only this socket reads the id back, so its byte order is ours (libzmq, too,
            // writes it in host order).
            request.push_front(Bytes::copy_from_slice(&self.kind.request_id.to_ne_bytes()));
        }
        request
    }

    /// A reply is kept only from the peer asked, with the current request id when
    /// correlating, and with its empty delimiter.
    fn accept_reply(&self, asked: PipeId, from: PipeId, mut reply: Message) -> Option<Message> {
        if from != asked {
            tracing::debug!("REQ dropped a reply from a peer it did not ask");
            return None;
        }
        if self.correlates() {
            let expected = self.kind.request_id.to_ne_bytes();
            match reply.pop_front() {
                Some(id) if id[..] == expected[..] => {}
                _ => {
                    tracing::debug!("REQ dropped a reply without the current request id");
                    return None;
                }
            }
        }
        match reply.pop_front() {
            Some(delimiter) if delimiter.is_empty() => Some(reply),
            _ => {
                tracing::debug!("REQ dropped a reply without the empty delimiter");
                None
            }
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

    /// Like [`recv`](Self::recv), with the peer that sent the request (its address, identity,
    /// properties, and what PLAIN or CURVE established).
    pub async fn recv_with_peer(&mut self) -> Result<(Message, Arc<Peer>)> {
        let request = self.recv().await?;
        Ok((request, self.core.last_peer()?))
    }

    /// The next request if one is waiting, else [`TryRecvError::Empty`] (or `Closed`, or
    /// `InvalidState` while the last request is not answered).
    pub fn try_recv(&mut self) -> Result<Message, TryRecvError> {
        if self.kind.pending.is_some() {
            return Err(TryRecvError::InvalidState(
                "REP must reply before receiving again",
            ));
        }
        loop {
            let (peer, request) = self.core.try_recv_fair()?;
            if let Some(body) = self.kind.take_request(peer, request) {
                return Ok(body);
            }
        }
    }

    /// Sends the reply to the request last received, with its envelope. Completes at once; the
    /// reply is dropped if the requester has gone or its queue is full (as libzmq does). Fails
    /// with [`Error::InvalidState`] when there is no request to answer.
    pub async fn send(&mut self, reply: impl Into<Message>) -> Result<()> {
        match self.try_send(reply) {
            Err(refused) if matches!(refused.error, Error::WouldBlock) => {
                // The request counts as answered (the reply dropped), as libzmq's REP does.
                self.kind.pending = None;
                tracing::debug!("REP dropped a reply: the requester's queue is full");
                telemetry::dropped(SocketType::Rep, DropCause::HighWaterMark, 1);
                Ok(())
            }
            other => other.map_err(|refused| refused.error),
        }
    }

    /// Like [`send`](Self::send), but a requester whose queue is full hands the reply back
    /// with [`Error::WouldBlock`] and the request stays unanswered, so that the reply can be
    /// sent again; every other refusal hands it back too. A reply to a requester that has gone
    /// is dropped (`Ok`), as in libzmq.
    pub fn try_send(&mut self, reply: impl Into<Message>) -> Result<(), TrySendError> {
        let reply = reply.into();
        let refuse = |error, message| Err(TrySendError { error, message });
        if let Err(error) = check_not_empty(&reply) {
            return refuse(error, reply);
        }
        let Some((peer, envelope)) = self.kind.pending.take() else {
            return refuse(
                Error::InvalidState("REP must receive a request before replying"),
                reply,
            );
        };
        let envelope_frames = envelope.len();
        // The envelope's vector is the request's, which has room for the reply's frame: the
        // reply costs no allocation.
        let mut frames = envelope;
        reply.append_frames_to(&mut frames);
        let message = Message::from(frames);
        let mut table = self.core.table();
        if table.is_closed() {
            let (_, reply) = split_envelope(message, envelope_frames);
            return refuse(Error::Closed, reply);
        }
        match table.send_to(peer, message) {
            Routed::Queued => Ok(()),
            Routed::Unroutable(_) => {
                tracing::debug!("REP dropped a reply: the requester is gone");
                Ok(())
            }
            Routed::Full(message) => {
                // Still to be answered: the caller may send the reply again.
                let (envelope, reply) = split_envelope(message, envelope_frames);
                self.kind.pending = Some((peer, envelope));
                refuse(Error::WouldBlock, reply)
            }
        }
    }
}

impl Rep {
    /// Splits the envelope off a request; malformed requests (no delimiter) are dropped.
    fn take_request(&mut self, peer: PipeId, request: Message) -> Option<Message> {
        let mut frames = request.into_frames();
        let Some(delimiter) = frames.iter().position(|f| f.is_empty()) else {
            tracing::debug!("REP dropped a request without an empty delimiter");
            return None;
        };
        // Drained, not split off: a one-frame body needs no vector of its own.
        let body: Message = frames.drain(delimiter + 1..).collect();
        self.pending = Some((peer, frames));
        Some(body)
    }
}

/// A reply handed back: its envelope, and the frames after it.
fn split_envelope(mut message: Message, envelope_frames: usize) -> (Vec<Bytes>, Message) {
    let envelope = (0..envelope_frames)
        .filter_map(|_| message.pop_front())
        .collect();
    (envelope, message)
}
