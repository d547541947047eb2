//! One task per connection: read → zmtp-core → write, plus timers.
//!
//! The driver is a hand-written poll loop rather than a `select!`, so that one wake-up does all
//! the work that is ready: it decodes everything a read returned, moves a batch of queued
//! messages into the connection, and writes everything the connection produced with one
//! vectored write. Backpressure is structural: it stops reading while the peer's receive queue
//! is full, and stops taking messages while too many encoded bytes wait for the socket.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};
use zmtp_core::{
    AuthDecision, AuthRequest, Connection, ConnectionError, DenyStatus, Event, Message,
};

use super::{Inbound, Link, PipeId, Schedule, SocketContext, SubscriptionCommand};
use crate::endpoint::Endpoint;
use crate::monitor::{DisconnectReason, MonitorEvent, Refusal};
use crate::peer::Peer;

mod closing;

use closing::Closing;

use super::outbox::Counted;
use super::stop::{StopSignal, StopWatch};

/// Messages moved from the peer's queue into the connection per lock: more than a default
/// high-water mark, so that a full queue of small messages goes out in one write (the byte
/// bound, the connection's outbox share (`engine/outbox.rs`), stops large ones first).
const BATCH: usize = 4096;
/// Chunks handed to one vectored write.
const IOV_MAX: usize = 64;
/// Read buffer growth step; also the minimum free space before a read.
const READ_CHUNK: usize = 64 * 1024;
/// Most space reserved at once for a large frame still arriving.
const READ_RESERVE_MAX: usize = 1024 * 1024;
/// Bytes read (and decoded into the connection's event queue) while the application's queue
/// is full: enough to notice that the peer closed or stays alive, bounded so that a stalled
/// application bounds our memory too.
const PAUSED_READ_LIMIT: usize = 64 * 1024;
/// Loop rounds before yielding to other tasks.
const ROUNDS_BEFORE_YIELD: usize = 32;

/// How the transport's input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputEnd {
    /// End of stream: the peer closed its side.
    Clean,
    /// A read failed.
    Failed(io::ErrorKind),
}

/// How a connection ended.
#[derive(Debug)]
pub(crate) struct DriveOutcome {
    pub(crate) reason: DisconnectReason,
    pub(crate) handshake_done: bool,
}

/// Where a connection comes from, as its driver reports it.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    /// The endpoint of ours it belongs to (bound or connected).
    pub(crate) endpoint: Endpoint,
    /// The pipe it feeds from the start: a connecting endpoint's (an accepted connection gets
    /// one when its handshake completes).
    pub(crate) pipe: Option<PipeId>,
    /// The peer's address (`ip:port`, an ipc path, the endpoint connected to).
    pub(crate) peer_address: String,
    /// The address an authenticator sees (ZAP's `Address`: the IP without the port).
    pub(crate) auth_address: String,
    /// Whether it was accepted (its peer address then goes into the close report).
    pub(crate) accepted: bool,
}

/// One connection over any byte stream: `R` and `W` are the reading and writing halves (TCP,
/// IPC, or an in-memory pipe in tests).
pub(crate) struct Driver<R, W> {
    context: Arc<SocketContext>,
    link: Link,
    endpoint: Endpoint,
    /// The peer's address, as `Peer::address`.
    address: String,
    /// An accepted connection's peer address, for the close report.
    peer_address: Option<String>,
    /// The pipe this connection feeds: the `connect`ed endpoint's from the start, an accepted
    /// connection's once its handshake completes.
    pipe: Option<PipeId>,
    attached: bool,
    /// The peer once admitted, for the monitor's `Disconnected`.
    peer: Option<Arc<Peer>>,
    /// Counts this connection in the socket's outbox budget while it is attached.
    counted: Option<Counted>,
    /// Marked by the pipes when they wake this driver for messages; told when it came for them
    /// (or could not), so that a publisher can tell a queue that is full because this task has
    /// not run yet.
    schedule: Option<Arc<Schedule>>,
    conn: Connection,
    reader: R,
    writer: W,
    read_buf: BytesMut,
    writing: VecDeque<Bytes>,
    /// Received messages, in order, waiting to join the peer's receive queue (for room, or for
    /// the next lock).
    decoded: VecDeque<Message>,
    /// What the connection reported and the pipes are to turn into messages.
    inbound: Vec<Inbound>,
    /// Whether the connection decodes messages straight into `decoded` (see
    /// [`PipeLink::receives_unchanged`](super::PipeLink::receives_unchanged)), rather than
    /// reporting each as an event.
    bulk: bool,
    timer: Pin<Box<Sleep>>,
    timer_at: Option<Instant>,
    /// The endpoint's stop (or the socket's close).
    stop: StopWatch,
    /// Set once the socket or endpoint is closing.
    closing: Option<Closing>,
    /// Whether this connection took messages to send: then a close waits for the peer to
    /// confirm it read them.
    sent_messages: bool,
    batch: VecDeque<Message>,
    commands: Vec<SubscriptionCommand>,
    ended: Option<DisconnectReason>,
    /// Bytes read while the application's queue was full.
    read_ahead: usize,
    /// The transport reported end of stream or an error (kept until the bytes before it are
    /// decoded).
    input_ended: Option<InputEnd>,
    /// Whether the connection was told that we stopped reading.
    reading_paused: bool,
    /// The connection's `tracing` span: what it logs is inside it.
    span: tracing::Span,
}

impl<R, W> Driver<R, W>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    pub(crate) fn new(
        context: Arc<SocketContext>,
        link: Link,
        origin: Origin,
        (reader, writer): (R, W),
        stop: StopSignal,
    ) -> Result<Self, crate::error::Error> {
        let span = connection_span(&context, &origin);
        let mut config = context.options.connection_config(context.socket_type);
        config.peer_address = origin.auth_address;
        let conn =
            Connection::new(config, Instant::now().into_std()).map_err(crate::Error::Config)?;
        let bulk = link.receives_unchanged();
        Ok(Driver {
            context,
            link,
            endpoint: origin.endpoint,
            peer_address: origin.accepted.then(|| origin.peer_address.clone()),
            address: origin.peer_address,
            pipe: origin.pipe,
            attached: false,
            counted: None,
            peer: None,
            schedule: None,
            conn,
            reader,
            writer,
            read_buf: BytesMut::with_capacity(READ_CHUNK),
            writing: VecDeque::new(),
            decoded: VecDeque::new(),
            inbound: Vec::new(),
            bulk,
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
            timer_at: None,
            stop: StopWatch::new(stop),
            closing: None,
            sent_messages: false,
            batch: VecDeque::new(),
            commands: Vec::new(),
            ended: None,
            read_ahead: 0,
            input_ended: None,
            reading_paused: false,
            span,
        })
    }

    /// Runs the connection to its end.
    pub(crate) async fn run(mut self) -> DriveOutcome {
        let span = self.span.clone();
        let outcome = poll_fn(|cx| span.in_scope(|| self.poll_drive(cx))).await;
        let _inside = span.enter();
        if self.context.is_closing() {
            self.context.report_undelivered(self.undelivered());
        }
        if let (true, Some(id)) = (self.attached, self.pipe) {
            self.link.detach(id);
        }
        let event = if let (true, Some(peer)) = (outcome.handshake_done, self.peer.take()) {
            MonitorEvent::Disconnected {
                endpoint: self.endpoint.clone(),
                reason: outcome.reason.clone(),
                peer_info: peer,
            }
        } else {
            MonitorEvent::HandshakeFailed {
                endpoint: self.endpoint.clone(),
                reason: outcome.reason.clone(),
            }
        };
        match &outcome.reason {
            DisconnectReason::Closed => {
                tracing::debug!(endpoint = %self.endpoint, "connection closed")
            }
            reason => tracing::info!(endpoint = %self.endpoint, %reason, "connection dropped"),
        }
        self.context.monitor.emit(event);
        drop(_inside);
        let _ = poll_fn(|cx| Pin::new(&mut self.writer).poll_shutdown(cx)).await;
        outcome
    }

    fn poll_drive(&mut self, cx: &mut Context<'_>) -> Poll<DriveOutcome> {
        if self.closing.is_none() && self.stop.requested(self.context.is_closing(), cx) {
            self.begin_close();
        }
        for _ in 0..ROUNDS_BEFORE_YIELD {
            let mut progress = self.dispatch_events(cx);
            if let Some(outcome) = self.finished(cx) {
                return Poll::Ready(outcome);
            }
            if self.closing.is_some_and(|c| c.half_closed) {
                return self.poll_drain(cx);
            }
            progress |= self.pull_outbound(cx);
            match self.poll_write(cx) {
                Ok(p) => progress |= p,
                Err(e) => {
                    self.end_input(InputEnd::Failed(e.kind()));
                    progress = true;
                }
            }
            progress |= self.poll_read(cx);
            progress |= self.poll_timer(cx);
            if !progress {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn now() -> std::time::Instant {
        Instant::now().into_std()
    }

    /// The transport is done (end of stream or an error): close the connection; what it
    /// decoded before is still delivered.
    fn end_input(&mut self, end: InputEnd) {
        if self.input_ended.is_none() {
            self.input_ended = Some(end);
        }
        self.conn.handle_eof(Self::now());
    }

    /// Handles the connection's events, and moves received messages into the pipe, taking its
    /// lock once for all that are ready. Returns whether anything happened.
    fn dispatch_events(&mut self, cx: &Context<'_>) -> bool {
        let mut progress = false;
        // Messages held back for room come before anything still queued in the connection,
        // which then holds more messages (events). In bulk, the connection's events are never
        // messages, and come first: the handshake's admit the peer whose messages follow.
        if !self.bulk && !self.decoded.is_empty() {
            progress |= self.deliver_decoded(cx);
            if !self.decoded.is_empty() {
                return progress;
            }
        }
        while let Some(event) = self.conn.poll_event() {
            progress = true;
            match event {
                Event::Message(message) => self.inbound.push(Inbound::Message(message)),
                Event::Subscribe(topic) => self.inbound.push(Inbound::Subscribe(topic)),
                Event::Cancel(topic) => self.inbound.push(Inbound::Cancel(topic)),
                event => {
                    // What came before the event is the pipe's before the event changes it.
                    self.receive_inbound();
                    self.handle_event(event);
                }
            }
        }
        self.receive_inbound();
        progress | self.deliver_decoded(cx)
    }

    /// Hands what the connection reported to the pipe, which makes it into messages for the
    /// application (in `decoded`), or refuses the peer.
    fn receive_inbound(&mut self) {
        if self.inbound.is_empty() {
            return;
        }
        let Some(id) = self.pipe.filter(|_| self.attached) else {
            // Not admitted (refused): nothing it sent reaches the application.
            self.inbound.clear();
            return;
        };
        if let Err(refusal) = self.link.receive(id, &mut self.inbound, &mut self.decoded) {
            self.inbound.clear();
            self.refuse(refusal);
        }
    }

    /// Moves decoded messages into the peer's receive queue while it has room. Once the
    /// connection is closed, what it decoded is delivered even past the high-water mark (at
    /// most one read-ahead's worth): it was accepted, so it is not lost, and the pipe can
    /// reconnect without waiting for the application.
    fn deliver_decoded(&mut self, cx: &Context<'_>) -> bool {
        if self.decoded.is_empty() {
            return false;
        }
        let Some(id) = self.pipe.filter(|_| self.attached) else {
            // Not admitted (refused): nothing it sent reaches the application.
            self.decoded.clear();
            return true;
        };
        let before = self.decoded.len();
        self.link
            .offer(id, &mut self.decoded, self.conn.is_closed(), cx);
        if self.decoded.is_empty() {
            self.resume_reading();
        }
        self.decoded.len() != before
    }

    /// Everything but messages: handshake completion, subscriptions, the end.
    fn handle_event(&mut self, event: Event) {
        match event {
            // Messages are queued by the caller and never reach here.
            Event::Message(_) => {}
            Event::Ready(info) => self.admit(*info),
            // Subscriptions are handled with messages by the caller and never reach here.
            Event::Subscribe(_) | Event::Cancel(_) => {}
            Event::Closed(error) => {
                // A refusal closes the connection itself: keep that reason.
                self.ended.get_or_insert(closed_reason(error));
            }
            Event::AuthRequest(request) => {
                let decision = self.decide(&request);
                self.conn.authenticate(Self::now(), decision);
            }
            // A kind of event this driver does not know yet (`Event` may grow): nothing it
            // must act on.
            _ => tracing::debug!(?event, "event not handled"),
        }
    }

    /// The handshake completed: join the socket's pipes, unless the socket refuses the peer
    /// (PAIR already has one, ROUTER identity taken).
    fn admit(&mut self, info: zmtp_core::PeerInfo) {
        let mechanism = self.context.options.security.mechanism_name();
        let peer =
            Peer::from_handshake(self.endpoint.clone(), self.address.clone(), info, mechanism);

        let mut admitted = match self.link.admit(self.pipe, peer) {
            Ok(admitted) => admitted,
            Err(refusal) => {
                self.refuse(refusal);
                return;
            }
        };
        self.pipe = Some(admitted.pipe);
        self.attached = true;
        self.counted = Some(Counted::new(&self.context));
        self.schedule = admitted.schedule;
        for topic in std::mem::take(&mut admitted.topics) {
            let _ = self.conn.subscribe(&topic);
        }
        record_peer(&self.span, &admitted.peer);
        self.context.monitor.emit(MonitorEvent::HandshakeSucceeded {
            endpoint: self.endpoint.clone(),
            peer: admitted.peer.socket_type,
            auth: admitted.peer.auth.clone(),
            peer_info: Arc::clone(&admitted.peer),
        });
        self.peer = Some(admitted.peer);
    }

    /// Drops a peer the socket will not serve, with the reason for the monitor.
    fn refuse(&mut self, refusal: Refusal) {
        tracing::info!(endpoint = %self.endpoint, %refusal, "peer refused");
        self.conn.close(None);
        self.ended = Some(DisconnectReason::Refused(refusal));
    }

    /// Asks the socket's authenticator about a client (on this task: it must be quick). None
    /// is asked for without one; should a request arrive anyway, it is refused. A panicking
    /// authenticator refuses with status 500 instead of taking the connection task down.
    fn decide(&self, request: &AuthRequest) -> AuthDecision {
        let Some(authenticator) = &self.context.options.authenticator else {
            return AuthDecision::deny();
        };
        let decision = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            authenticator.authenticate(request)
        }));
        match decision {
            Ok(decision) => {
                if let AuthDecision::Deny(status) = &decision {
                    tracing::info!(
                        endpoint = %self.endpoint,
                        peer = %request.peer_address,
                        status = status.code(),
                        "client refused by the authenticator"
                    );
                }
                decision
            }
            Err(_) => {
                tracing::error!(endpoint = %self.endpoint, "the authenticator panicked");
                AuthDecision::Deny(DenyStatus::Internal)
            }
        }
    }

    /// The application's queue has room again.
    fn resume_reading(&mut self) {
        self.read_ahead = 0;
        if self.reading_paused {
            self.reading_paused = false;
            self.conn.set_reading_paused(false);
        }
    }

    fn finished(&mut self, cx: &mut Context<'_>) -> Option<DriveOutcome> {
        if let Some(reason) = self.ended.clone() {
            if !self.decoded.is_empty() {
                return None;
            }
            // Give queued output (an ERROR, a PONG) one chance to leave, then go.
            let _ = self.poll_write(cx);
            let reason = match self.input_ended {
                Some(InputEnd::Failed(kind)) => DisconnectReason::Io(kind),
                _ => reason,
            };
            return Some(DriveOutcome {
                reason,
                handshake_done: self.attached,
            });
        }
        self.finish_closing(cx)
    }

    /// Moves queued messages into the connection while the encoded backlog is small.
    fn pull_outbound(&mut self, cx: &Context<'_>) -> bool {
        let Some(id) = self.pipe.filter(|_| self.attached) else {
            return false;
        };
        // Bytes already taken out of the connection for the socket count too: while the socket
        // is blocked, they are what piles up.
        let writing: usize = self.writing.iter().map(Bytes::len).sum();
        let backlog = self.conn.pending_transmit() + writing;
        let high_water = self.context.outbox.share();
        if !self.conn.is_ready() || backlog >= high_water {
            // Not coming for messages now: a publisher waiting for this turn drops instead.
            if let Some(schedule) = &self.schedule {
                schedule.ran();
            }
            return false;
        }
        let still_ours = self.link.take_outbound(
            id,
            BATCH,
            high_water - backlog,
            &mut self.batch,
            &mut self.commands,
            cx,
        );
        if !still_ours {
            // Another connection took this peer's identity over (ROUTER handover).
            self.conn.close(None);
            return true;
        }
        let progress = !self.batch.is_empty() || !self.commands.is_empty();
        for command in self.commands.drain(..) {
            let _ = match command {
                SubscriptionCommand::Subscribe(topic) => self.conn.subscribe(&topic),
                SubscriptionCommand::Cancel(topic) => self.conn.cancel(&topic),
            };
        }
        self.sent_messages |= !self.batch.is_empty();
        for message in self.batch.drain(..) {
            // Cannot fail: the connection is ready and messages are never empty here.
            let _ = self.conn.send(&message);
        }
        progress
    }

    /// Writes what the connection produced, as many chunks per syscall as possible.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let mut progress = false;
        loop {
            while self.writing.len() < IOV_MAX {
                match self.conn.poll_transmit() {
                    Some(chunk) => self.writing.push_back(chunk),
                    None => break,
                }
            }
            if self.writing.is_empty() {
                return Ok(progress);
            }
            let mut iov = [IoSlice::new(&[]); IOV_MAX];
            let n = self.writing.len().min(IOV_MAX);
            for (slot, chunk) in iov.iter_mut().zip(&self.writing) {
                *slot = IoSlice::new(chunk);
            }
            match Pin::new(&mut self.writer).poll_write_vectored(cx, &iov[..n]) {
                Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(mut written)) => {
                    progress = true;
                    while written > 0 {
                        // A writer never reports more than it was given; stop if one did.
                        let Some(front) = self.writing.front_mut() else {
                            break;
                        };
                        if written >= front.len() {
                            written -= front.len();
                            self.writing.pop_front();
                        } else {
                            front.advance(written);
                            written = 0;
                        }
                    }
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => return Ok(progress),
            }
        }
    }

    /// Reads and decodes. While the application's queue for this peer is full, reads ahead a
    /// bounded amount (decoded messages wait in the connection's event queue), so that a peer
    /// that closes, or stays silent, is still noticed.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> bool {
        if self.input_ended.is_some() || self.conn.is_closed() {
            return false;
        }
        let paused = !self.decoded.is_empty();
        if paused && self.read_ahead >= PAUSED_READ_LIMIT {
            // Read-ahead exhausted: the peer may be sending and we cannot see it.
            if !self.reading_paused {
                self.reading_paused = true;
                self.conn.set_reading_paused(true);
            }
            return false;
        }
        let free = self.read_buf.capacity() - self.read_buf.len();
        if free < READ_CHUNK / 4 {
            let needed = zmtp_core::frame::bytes_needed(&self.read_buf).unwrap_or(0);
            self.read_buf
                .reserve(needed.clamp(READ_CHUNK, READ_RESERVE_MAX));
        }
        let before = self.read_buf.len();
        match tokio_util::io::poll_read_buf(Pin::new(&mut self.reader), cx, &mut self.read_buf) {
            Poll::Ready(Ok(0)) => self.end_input(InputEnd::Clean),
            Poll::Ready(Ok(_)) => {
                if paused {
                    self.read_ahead += self.read_buf.len() - before;
                }
                if self.bulk {
                    self.conn
                        .handle_bytes_into(Self::now(), &mut self.read_buf, &mut self.decoded);
                } else {
                    self.conn.handle_bytes(Self::now(), &mut self.read_buf);
                }
            }
            Poll::Ready(Err(e)) => self.end_input(InputEnd::Failed(e.kind())),
            Poll::Pending => return false,
        }
        true
    }

    /// Keeps the timer on the earliest deadline and fires the connection's timers.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let conn_deadline = self.conn.poll_timeout().map(Instant::from_std);
        let linger_deadline = self.closing.and_then(|c| c.deadline);
        let deadline = match (conn_deadline, linger_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(deadline) = deadline else {
            return false;
        };
        if self.timer_at != Some(deadline) {
            self.timer.as_mut().reset(deadline);
            self.timer_at = Some(deadline);
        }
        if self.timer.as_mut().poll(cx).is_ready() {
            self.timer_at = None;
            self.conn.handle_timeout(Self::now());
            return true;
        }
        false
    }
}

fn closed_reason(error: ConnectionError) -> DisconnectReason {
    match error {
        ConnectionError::ClosedLocally => DisconnectReason::Closed,
        other => DisconnectReason::Connection(other),
    }
}

/// A span per connection, so that its log lines say which socket, endpoint and peer they are
/// about; the peer's socket type and user id are filled in when the handshake completes.
fn connection_span(context: &SocketContext, origin: &Origin) -> tracing::Span {
    tracing::info_span!(
        "zmtp.connection",
        socket = context.socket_type.as_str(),
        endpoint = %origin.endpoint,
        peer_addr = %origin.peer_address,
        mechanism = context.options.security.mechanism_name(),
        peer_socket = tracing::field::Empty,
        user_id = tracing::field::Empty,
    )
}

fn record_peer(span: &tracing::Span, peer: &Peer) {
    span.record("peer_socket", peer.socket_type.as_str());
    if let Some(user_id) = peer.auth.as_ref().and_then(|auth| auth.user_id_str()) {
        span.record("user_id", user_id);
    }
}
