//! What every socket type shares: options, the peer table, the endpoint tasks, the monitor,
//! and closing with linger.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use zmtp_core::Message;

use crate::close_report::CloseReport;
use crate::endpoint::{Endpoint, IntoEndpoint};
use crate::engine::context::EndpointEntry;
use crate::engine::{endpoints, inproc, Link, PipeId, SocketContext};
use crate::error::{Error, Result};
use crate::monitor::{Monitor, MonitorEvent};
use crate::options::Options;
use crate::peer::Peer;
use crate::pipes::{Pipes, Policy, Sender, TableGuard};
use crate::security::PeerAuth;
use crate::transport::Listener;
use crate::try_error::{TryRecvError, TrySendError};

/// What a socket of any kind does with its pipes: endpoints, closing, and the sending and
/// receiving strategies its kind's methods are written with.
#[derive(Debug)]
pub(crate) struct SocketCore<P: Policy> {
    owner: Arc<Owner<P>>,
    /// The sender of the message last received (of the current run).
    last_peer: Option<Arc<Peer>>,
    /// Messages taken from the peer table in one lock, all from `received_from`, not yet
    /// returned.
    received: VecDeque<Message>,
    received_from: PipeId,
    /// Set by the peer table when the pipe of `received` is removed: drop them.
    received_revoked: Arc<AtomicBool>,
    /// Sends since the last unit of tokio's cooperative budget was spent.
    sends_unpaced: u32,
}

/// Messages moved out of the peer table per lock on the receiving side, when one peer alone
/// has messages waiting: enough to make the hand-over's cost vanish per message. They count
/// against the pipe's high-water mark until read, so this does not change how much queues.
const RECV_BATCH: usize = 1000;

/// Sends per unit of tokio's cooperative budget (128 units per task poll): a loop of sends
/// yields about every 2000 messages, or earlier when a queue fills, so that the connection
/// task finds a whole queue to encode into one write. A unit per send (tokio's default for
/// its own resources) cut writes to ~128 small messages, and the syscalls capped throughput.
const SENDS_PER_BUDGET_UNIT: u32 = 16;

impl<P: Policy> SocketCore<P> {
    pub(crate) fn new(mut options: Options) -> Result<SocketCore<P>> {
        options.security = options.security.with_generated_keys()?;
        options
            .connection_config(P::SOCKET_TYPE)
            .validate()
            .map_err(Error::Config)?;
        let context = Arc::new(SocketContext::new(P::SOCKET_TYPE, options));
        let pipes = Arc::new(Pipes::new(&context));
        Ok(SocketCore::sharing(Arc::new(Owner { context, pipes })))
    }

    /// A core over the same socket, with receiving and pacing state of its own: for the other
    /// half of a split socket.
    fn sharing(owner: Arc<Owner<P>>) -> SocketCore<P> {
        let received_revoked = owner.pipes.table().run_revoked();
        SocketCore {
            received_revoked,
            last_peer: None,
            received: VecDeque::new(),
            received_from: PipeId::new(0, 0),
            sends_unpaced: 0,
            owner,
        }
    }

    /// Two cores over this socket: the first for sending, the second (this one, with any
    /// messages already taken from the table) for receiving.
    pub(crate) fn split(self) -> (SocketCore<P>, SocketCore<P>) {
        (SocketCore::sharing(Arc::clone(&self.owner)), self)
    }

    /// Whether two cores are over the same socket.
    pub(crate) fn same_socket(&self, other: &SocketCore<P>) -> bool {
        Arc::ptr_eq(&self.owner, &other.owner)
    }

    pub(crate) fn context(&self) -> &SocketContext {
        &self.owner.context
    }

    pub(crate) fn table(&self) -> TableGuard<'_, P> {
        self.owner.pipes.table()
    }

    fn link(&self) -> Link {
        Arc::clone(&self.owner.pipes) as Link
    }

    pub(crate) async fn bind(&self, endpoint: impl IntoEndpoint) -> Result<Endpoint> {
        runtime()?;
        let requested = endpoint.into_endpoint()?;
        if let Endpoint::Inproc(name) = &requested {
            return self.bind_inproc(requested.clone(), name);
        }
        let (listener, actual) = Listener::bind(&requested).await?;
        let stop = self.owner.context.endpoint_stop();
        self.owner.context.endpoints().push(EndpointEntry {
            requested,
            actual: actual.clone(),
            stop: stop.clone(),
        });
        self.owner.context.monitor.emit(MonitorEvent::Listening {
            endpoint: actual.clone(),
        });
        tracing::debug!(endpoint = %actual, socket = %P::SOCKET_TYPE, "listening");
        self.owner.context.spawn(endpoints::listen(
            Arc::clone(&self.owner.context),
            self.link(),
            listener,
            actual.clone(),
            stop,
        ));
        Ok(actual)
    }

    pub(crate) fn connect(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        self.connect_routed(endpoint, None)
    }

    /// `connect`, with the routing id its peer gets (ROUTER `connect_with_routing_id`).
    pub(crate) fn connect_routed(
        &self,
        endpoint: impl IntoEndpoint,
        routing_id: Option<Bytes>,
    ) -> Result<()> {
        runtime()?;
        let endpoint = endpoint.into_endpoint()?;
        endpoint.check_connectable()?;
        let pipe = match routing_id {
            None => self.table().insert_persistent(endpoint.clone()),
            Some(routing_id) if routing_id.is_empty() => {
                return Err(Error::InvalidRoutingId {
                    routing_id,
                    reason: "it is empty",
                })
            }
            Some(routing_id) => self
                .table()
                .insert_persistent_routed(endpoint.clone(), routing_id.clone())
                .ok_or(Error::InvalidRoutingId {
                    routing_id,
                    reason: "a peer of this socket has it already",
                })?,
        };
        let stop = self.owner.context.endpoint_stop();
        self.owner.context.endpoints().push(EndpointEntry {
            requested: endpoint.clone(),
            actual: endpoint.clone(),
            stop: stop.clone(),
        });
        let context = Arc::clone(&self.owner.context);
        match &endpoint {
            Endpoint::Inproc(name) => {
                let name = name.clone();
                let task = inproc::connect(context, self.link(), endpoint, name, pipe, stop);
                self.owner.context.spawn(task)
            }
            _ => {
                let task = endpoints::connect(context, self.link(), endpoint, pipe, stop);
                self.owner.context.spawn(task)
            }
        }
        Ok(())
    }

    /// Binds an inproc name in the socket's context: no listener, the connecting sockets'
    /// tasks link to this socket's pipes.
    fn bind_inproc(&self, endpoint: Endpoint, name: &str) -> Result<Endpoint> {
        let context = &self.owner.context;
        let stop = context.endpoint_stop();
        inproc::bind(context, self.link(), &endpoint, name, stop.clone())?;
        context.endpoints().push(EndpointEntry {
            requested: endpoint.clone(),
            actual: endpoint.clone(),
            stop,
        });
        context.monitor.emit(MonitorEvent::Listening {
            endpoint: endpoint.clone(),
        });
        Ok(endpoint)
    }

    /// Stops an endpoint (bound or connected) and drops its connections and queues.
    pub(crate) fn remove_endpoint(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        let endpoint = endpoint.into_endpoint()?;
        let entry = {
            let mut entries = self.owner.context.endpoints();
            let i = entries
                .iter()
                .position(|e| e.actual == endpoint || e.requested == endpoint)
                .ok_or_else(|| Error::UnknownEndpoint(endpoint.to_string()))?;
            entries.remove(i)
        };
        entry.stop.stop();
        let mut table = self.table();
        for id in table.pipes_of(&entry.actual) {
            table.remove(id);
        }
        Ok(())
    }

    pub(crate) fn monitor(&self) -> Monitor {
        self.owner.context.monitor.subscribe()
    }

    /// Closes and waits until queued messages are delivered or linger expires, at most
    /// `limit`; reports what was not delivered.
    pub(crate) async fn close(self, limit: Option<std::time::Duration>) -> CloseReport {
        self.owner.begin_close();
        let done = match limit {
            None => {
                self.owner.context.tasks.wait().await;
                true
            }
            Some(limit) => tokio::time::timeout(limit, self.owner.context.tasks.wait())
                .await
                .is_ok(),
        };
        self.owner.context.close_report(!done)
    }

    /// Whether this send should spend a unit of tokio's cooperative budget (one every
    /// `SENDS_PER_BUDGET_UNIT`), so that a loop of sends yields to the connection tasks now
    /// and then.
    #[inline]
    pub(crate) fn pace_due(&mut self) -> bool {
        self.sends_unpaced += 1;
        if self.sends_unpaced >= SENDS_PER_BUDGET_UNIT {
            self.sends_unpaced = 0;
            return true;
        }
        false
    }

    // ---- sending and receiving strategies, polled by the socket types ------------------------

    /// Round robin over pipes with room; pending while none has.
    pub(crate) fn poll_send_round_robin(
        &self,
        cx: &Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<PipeId>> {
        let Some(message) = slot.take() else {
            return Poll::Ready(Err(Error::InvalidState("message already sent")));
        };
        check_not_empty(&message)?;
        let mut table = self.table();
        if table.is_closed() {
            return Poll::Ready(Err(Error::Closed));
        }
        match table.send_round_robin(message, Some(cx)) {
            Ok(id) => Poll::Ready(Ok(id)),
            Err(message) => {
                *slot = Some(message);
                Poll::Pending
            }
        }
    }

    /// Round robin without waiting.
    pub(crate) fn try_send_round_robin(
        &self,
        message: Message,
    ) -> std::result::Result<PipeId, TrySendError> {
        if let Err(error) = check_not_empty(&message) {
            return Err(TrySendError { error, message });
        }
        let mut table = self.table();
        if table.is_closed() {
            return Err(TrySendError {
                error: Error::Closed,
                message,
            });
        }
        table
            .send_round_robin(message, None)
            .map_err(|message| TrySendError {
                error: Error::WouldBlock,
                message,
            })
    }

    /// Fans `message` out to connected peers: those whose subscriptions match (`filtered`),
    /// or all of them (XSUB's upstream messages). Never waits: with XPUB_NODROP, a matching
    /// subscriber at its high-water mark fails it with `WouldBlock`, queued for nobody.
    /// Returns how many peers got it.
    pub(crate) fn fan_out(&self, message: &Message, filtered: bool) -> Result<usize> {
        check_not_empty(message)?;
        let mut table = self.table();
        if table.is_closed() {
            return Err(Error::Closed);
        }
        if filtered {
            table.fan_out(message, None).ok_or(Error::WouldBlock)
        } else {
            Ok(table.broadcast(message))
        }
    }

    /// A proxy's publishing: [`fan_out`](Self::fan_out) without waiting for connections to
    /// have their turn, but with XPUB_NODROP pending, the message left in `slot`, while a
    /// matching subscriber is full (a proxy must not lose what it forwards either).
    pub(crate) fn poll_fan_out(
        &self,
        cx: &Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<()>> {
        let Some(message) = slot.take() else {
            return Poll::Ready(Err(Error::InvalidState("message already sent")));
        };
        check_not_empty(&message)?;
        let mut table = self.table();
        if table.is_closed() {
            return Poll::Ready(Err(Error::Closed));
        }
        match table.fan_out(&message, Some(cx)) {
            Some(_) => Poll::Ready(Ok(())),
            None => {
                *slot = Some(message);
                Poll::Pending
            }
        }
    }

    /// A publisher `Sink`'s readiness: always, but with XPUB_NODROP only once every
    /// subscriber has room (see `PeerTable::poll_publish_ready`).
    pub(crate) fn poll_publish_ready(&self, cx: &Context<'_>) -> Poll<Result<()>> {
        let mut table = self.table();
        if table.is_closed() {
            Poll::Ready(Err(Error::Closed))
        } else if table.poll_publish_ready(cx) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    /// PUB, XPUB `send`: fans out to matching subscribers once none of them is full only
    /// because its connection has not had its turn yet (see `PeerTable::poll_fan_out`).
    pub(crate) fn poll_publish(&self, message: &Message, cx: &Context<'_>) -> Poll<Result<usize>> {
        check_not_empty(message)?;
        let mut table = self.table();
        if table.is_closed() {
            return Poll::Ready(Err(Error::Closed));
        }
        table.poll_fan_out(message, cx).map(Ok)
    }

    /// A `Sink`'s flush: ready once every queued message was handed to its connection.
    pub(crate) fn poll_flushed(&self, cx: &Context<'_>) -> Poll<Result<()>> {
        if self.table().poll_flushed(cx) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    /// Copies of messages dropped at subscribers' high-water marks.
    pub(crate) fn dropped_messages(&self) -> u64 {
        self.table().dropped_total()
    }

    /// Whether a round-robin send could proceed now (a `Sink`'s readiness).
    pub(crate) fn poll_round_robin_ready(&self, cx: &Context<'_>) -> Poll<Result<()>> {
        let mut table = self.table();
        if table.is_closed() {
            Poll::Ready(Err(Error::Closed))
        } else if table.poll_round_robin_ready(cx) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    /// Fair-queued receive; pending while nothing waits.
    pub(crate) fn poll_recv_fair(&mut self, cx: &Context<'_>) -> Poll<Result<(PipeId, Message)>> {
        match self.next_received(Some(cx)) {
            Ok(Some(message)) => Poll::Ready(Ok((self.received_from, message))),
            Ok(None) => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    /// The next fair-queued message as a `Stream` item: the stream ends when the socket closes.
    pub(crate) fn poll_next_fair(&mut self, cx: &Context<'_>) -> Poll<Option<Result<Message>>> {
        match self.next_received(Some(cx)) {
            Ok(Some(message)) => Poll::Ready(Some(Ok(message))),
            Ok(None) => Poll::Pending,
            Err(Error::Closed) => Poll::Ready(None),
            Err(e) => Poll::Ready(Some(Err(e))),
        }
    }

    /// Fair-queued receive without waiting.
    pub(crate) fn try_recv_fair(&mut self) -> Result<(PipeId, Message), TryRecvError> {
        match self.next_received(None) {
            Ok(Some(message)) => Ok((self.received_from, message)),
            Ok(None) => Err(TryRecvError::Empty),
            // The only failure of a receive that does not wait.
            Err(_) => Err(TryRecvError::Closed),
        }
    }

    /// The next message of the local run, refilled from the peer table when empty.
    #[inline]
    fn next_received(&mut self, cx: Option<&Context<'_>>) -> Result<Option<Message>> {
        match self.next_in_run() {
            Some(message) => Ok(Some(message)),
            None => self.refill(cx),
        }
    }

    /// The next message of the local run, if any: the receive fast path, without the lock.
    #[inline]
    pub(crate) fn next_in_run(&mut self) -> Option<Message> {
        if self.received_revoked.load(Ordering::Acquire) {
            self.received_revoked.store(false, Ordering::Relaxed);
            self.received.clear();
            return None;
        }
        let message = self.received.pop_front()?;
        if self.received.is_empty() {
            // The run is read: its pipe gets its room back now, not at the next receive.
            self.owner.pipes.table().return_loan();
        }
        Some(message)
    }

    fn refill(&mut self, cx: Option<&Context<'_>>) -> Result<Option<Message>> {
        let mut table = self.owner.pipes.table();
        if table.is_closed() {
            return Err(Error::Closed);
        }
        let Some(sender) = table.recv_fair_run(&mut self.received, RECV_BATCH, cx) else {
            return Ok(None);
        };
        drop(table);
        self.note_sender(sender);
        // Through the checks again: a run revoked meanwhile sends us back to the table.
        self.next_received(None)
    }

    fn note_sender(&mut self, sender: Sender) {
        self.received_from = sender.pipe;
        self.last_peer = sender.peer;
    }

    /// The pipe of the message last received, once one was.
    pub(crate) fn last_received_pipe(&self) -> Option<PipeId> {
        // `received_from` starts as a placeholder; a run's sender always has its peer.
        self.last_peer.as_ref().map(|_| self.received_from)
    }

    /// The sender of the message last received.
    pub(crate) fn last_peer(&self) -> Result<Arc<Peer>> {
        self.last_peer
            .clone()
            .ok_or(Error::InvalidState("no message was received yet"))
    }

    /// What PLAIN or CURVE established about the sender of the message last received.
    pub(crate) fn last_auth(&self) -> Option<&PeerAuth> {
        self.last_peer.as_ref().and_then(|peer| peer.auth.as_ref())
    }
}

/// The socket as its user holds it: what the halves of a split socket share. The socket closes
/// when the last holder lets go (the tasks hold the context and the pipes, not this).
#[derive(Debug)]
struct Owner<P: Policy> {
    context: Arc<SocketContext>,
    pipes: Arc<Pipes<P>>,
}

impl<P: Policy> Owner<P> {
    fn begin_close(&self) {
        // The deadline first: the tasks woken by the close read it.
        self.context.linger_deadline();
        self.pipes.table().close();
        self.context.begin_close();
    }
}

impl<P: Policy> Drop for Owner<P> {
    fn drop(&mut self) {
        // Tasks keep running to deliver queued messages for up to the linger time.
        self.begin_close();
    }
}

pub(crate) fn check_not_empty(message: &Message) -> Result<()> {
    if message.is_empty() {
        Err(Error::InvalidState("a message needs at least one frame"))
    } else {
        Ok(())
    }
}

fn runtime() -> Result<tokio::runtime::Handle> {
    tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)
}
