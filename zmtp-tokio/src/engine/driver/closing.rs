//! How a connection of a closing socket ends: the lingering close (WIRE-NOTES 33).
//!
//! Closing a TCP socket while unread bytes wait in its receive buffer makes Linux send a reset
//! instead of a FIN, and the reset makes the peer's kernel discard what it had received but
//! its application had not read: "written" is not "delivered". So a closing connection
//! 1. keeps reading (the socket's queues are closed, so what arrives is discarded) while it
//!    writes what is queued;
//! 2. then shuts its write side (the peer reads our end of stream after our last message);
//! 3. and reads, discarding, until the peer's end of stream: the peer read everything.
//!
//! All of it within the linger time; what did not make it is reported (see
//! [`CloseReport`](crate::CloseReport)).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::{DriveOutcome, Driver, InputEnd, READ_CHUNK, ROUNDS_BEFORE_YIELD};
use crate::close_report::Undelivered;
use crate::monitor::DisconnectReason;

/// A connection of a closing socket (or of an endpoint being unbound or disconnected).
#[derive(Debug, Clone, Copy)]
pub(super) struct Closing {
    /// When to stop trying (`None`: never).
    pub(super) deadline: Option<Instant>,
    /// Everything is written and our side of the stream is shut: waiting for the peer's.
    pub(super) half_closed: bool,
}

impl Closing {
    fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| d <= Instant::now())
    }
}

impl<R, W> Driver<R, W>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    /// The socket or this endpoint is closing. A closing socket delivers within its linger
    /// time; an endpoint being unbound or disconnected drops what it had (libzmq does too).
    pub(super) fn begin_close(&mut self) {
        let deadline = if self.context.is_closing() {
            self.context.linger_deadline()
        } else {
            Some(Instant::now())
        };
        self.closing = Some(Closing {
            deadline,
            half_closed: false,
        });
    }

    /// While closing: whether the connection is done. It is when linger expired, when nothing
    /// was ever sent on it, or when the peer confirmed. Once everything is written, shuts our
    /// write side (the drain phase follows, see [`poll_drain`](Self::poll_drain)).
    pub(super) fn finish_closing(&mut self, cx: &mut Context<'_>) -> Option<DriveOutcome> {
        let closing = self.closing?;
        if closing.expired() || (!self.work_left() && !self.sent_messages) {
            return Some(self.closed());
        }
        if closing.half_closed || self.work_left() {
            return None;
        }
        // Our last message is written: the peer reads our end of stream after it.
        if Pin::new(&mut self.writer).poll_shutdown(cx).is_ready() {
            self.closing = Some(Closing {
                half_closed: true,
                ..closing
            });
        }
        None
    }

    /// Whether anything of this connection's pipe is still to be written.
    fn work_left(&self) -> bool {
        // An accepted connection that has not finished its handshake has no pipe, so nothing.
        match self.pipe {
            None => false,
            Some(id) => {
                !self.writing.is_empty()
                    || self.conn.pending_transmit() > 0
                    || self.link.backlog(id).0 > 0
            }
        }
    }

    /// The outcome of a connection that ends because it closed.
    fn closed(&mut self) -> DriveOutcome {
        self.conn.close(None);
        while self.conn.poll_event().is_some() {}
        DriveOutcome {
            reason: DisconnectReason::Closed,
            handshake_done: self.attached,
        }
    }

    /// Our side is shut: reads and discards until the peer's end of stream (it read all we
    /// sent), an error, or the end of linger. The connection itself is done: nothing read now
    /// reaches it, and nothing is written.
    pub(super) fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<DriveOutcome> {
        for _ in 0..ROUNDS_BEFORE_YIELD {
            self.read_buf.clear();
            if self.read_buf.capacity() < READ_CHUNK {
                self.read_buf.reserve(READ_CHUNK);
            }
            let read =
                tokio_util::io::poll_read_buf(Pin::new(&mut self.reader), cx, &mut self.read_buf);
            match read {
                Poll::Ready(Ok(0)) => {
                    self.input_ended = Some(InputEnd::Clean);
                    return Poll::Ready(self.closed());
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    self.input_ended = Some(InputEnd::Failed(e.kind()));
                    return Poll::Ready(self.closed());
                }
                Poll::Pending => return self.poll_linger(cx),
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Ready when the linger time is over.
    fn poll_linger(&mut self, cx: &mut Context<'_>) -> Poll<DriveOutcome> {
        let Some(deadline) = self.closing.and_then(|c| c.deadline) else {
            return Poll::Pending;
        };
        if self.timer_at != Some(deadline) {
            self.timer.as_mut().reset(deadline);
            self.timer_at = Some(deadline);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(self.closed()),
            Poll::Pending => Poll::Pending,
        }
    }

    /// What this connection leaves undelivered as the socket closes: the queue of an accepted
    /// connection's pipe (a connecting pipe's queue is its connector's to report), and, if it
    /// carried messages, the bytes not written and whether the peer did not confirm them. (A
    /// connection that sent no message leaves only commands unwritten: the greeting, a
    /// subscription, a PONG; nothing a sender accepted.)
    pub(super) fn undelivered(&self) -> Undelivered {
        let mut undelivered = Undelivered::new(self.endpoint.clone(), self.peer_address.clone());
        if let (true, Some(id)) = (self.attached, self.pipe) {
            if !self.link.is_persistent(id) {
                (undelivered.queued_messages, undelivered.queued_bytes) = self.link.backlog(id);
            }
        }
        if self.sent_messages {
            undelivered.unwritten_bytes =
                self.conn.pending_transmit() + self.writing.iter().map(Bytes::len).sum::<usize>();
            // The peer's end of stream after ours is its word that it read everything.
            undelivered.unconfirmed = self.input_ended != Some(InputEnd::Clean);
        }
        undelivered
    }
}
