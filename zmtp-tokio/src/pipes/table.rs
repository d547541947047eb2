//! The peer table: every pipe of a socket, the active sets that make choosing one O(1) (pipes
//! that can take a message, pipes with messages to read), identities, subscriptions, and the
//! pipes' lifecycle (a connecting endpoint's pipe, admission after a handshake, departure,
//! removal, close). Sending, receiving and subscriptions are in the sibling modules.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Waker};

use bytes::Bytes;
use zmtp_core::Message;

use super::active::ActiveSet;
use super::pipe::{register, wake, Limits, Pipe};
use super::policy::{Admission, Outbound, Policy};
use super::routing::RoutingIds;
use super::slab::Slab;
use super::topics::LocalSubscriptions;
use super::trie::Trie;
use crate::endpoint::Endpoint;
use crate::engine::{Admitted, PipeId, SocketContext, SubscriptionCommand};
use crate::monitor::Refusal;
use crate::peer::Peer;
use crate::router_notify::RouterNotify;

/// Settings of the table beyond the limits.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// ROUTER: a new connection with a taken identity takes it over (ZMQ_ROUTER_HANDOVER).
    pub(crate) router_handover: bool,
    /// XPUB: every subscription reaches the application, not only new topics
    /// (ZMQ_XPUB_VERBOSE).
    pub(crate) xpub_verbose: bool,
    /// XPUB: every cancellation reaches the application too (ZMQ_XPUB_VERBOSER).
    pub(crate) xpub_verboser: bool,
    /// PUB, XPUB: a full subscriber holds a message back instead of missing it
    /// (ZMQ_XPUB_NODROP).
    pub(crate) xpub_nodrop: bool,
    /// XPUB: peers' subscriptions are handed up, not applied; the application applies them
    /// (ZMQ_XPUB_MANUAL).
    pub(crate) xpub_manual: bool,
    /// XPUB: queued first to every peer it admits (ZMQ_XPUB_WELCOME_MSG); `None` for every
    /// other kind.
    pub(crate) xpub_welcome: Option<Bytes>,
    /// PUB, XPUB, SUB: subscriptions select what does not match (ZMQ_INVERT_MATCHING).
    pub(crate) invert_matching: bool,
    /// ROUTER: connect and disconnect notices for the application (ZMQ_ROUTER_NOTIFY); none
    /// for every other kind.
    pub(crate) router_notify: RouterNotify,
    /// ROUTER, DEALER, REQ: an empty message queued first to every peer admitted
    /// (ZMQ_PROBE_ROUTER); off for every other kind.
    pub(crate) probe_router: bool,
}

/// Messages of one pipe handed to the application's receive run and not yet read: they still
/// count against that pipe's limits, as libzmq counts a pipe's messages until the application
/// reads them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Loan {
    pub(crate) pipe: PipeId,
    pub(crate) messages: usize,
    pub(crate) bytes: usize,
}

#[derive(Debug)]
pub(crate) struct PeerTable<P: Policy> {
    pub(super) pipes: Slab<Pipe>,
    /// Round robin: the pipes that can take a message now (usable, below the HWM).
    pub(super) lb: ActiveSet,
    /// Fair queue: the pipes with messages waiting to be read.
    pub(super) fq: ActiveSet,
    /// Pipes whose peer is connected.
    pub(super) connected: usize,
    /// Outbound messages queued over all pipes (a `Sink`'s flush waits for none).
    pub(super) queued_out: usize,
    pub(super) loan: Option<Loan>,
    /// Set when the loaned pipe is removed (disconnect, unbind, a connector giving up): the
    /// application drops its run, as the pipe's queue is dropped. Outside the lock, so that the
    /// application checks it without taking the lock.
    pub(super) run_revoked: Arc<AtomicBool>,
    pub(super) recv_waker: Option<Waker>,
    pub(super) send_waker: Option<Waker>,
    pub(super) flush_waker: Option<Waker>,
    pub(super) limits: Limits,
    pub(super) settings: Settings,
    pub(super) routing: RoutingIds,
    /// Publishers: which pipes hold each topic.
    pub(super) published: Trie<Vec<PipeId>>,
    /// Subscribers: the socket's own subscriptions, sent to every peer.
    pub(super) local: LocalSubscriptions,
    /// Publishers: messages dropped at a subscriber's HWM, over the socket's life.
    pub(super) dropped_total: u64,
    pub(super) closed: bool,
    /// A scratch list of matching pipes (publishing), kept to avoid an allocation per message.
    pub(super) matched: Vec<PipeId>,
    /// Where drop episodes are reported (absent in the table's unit tests).
    pub(super) monitor: Option<Arc<SocketContext>>,
    /// Drivers to wake once the lock is released (see `pipes::TableGuard`).
    pub(super) deferred: Vec<Waker>,
    /// Told whenever a peer connects or leaves, or a peer's subscriptions change: what the
    /// readiness waits (`Socket::wait_connected`, `wait_subscribers`) watch.
    pub(crate) readiness: Arc<tokio::sync::Notify>,
    _kind: PhantomData<P>,
}

impl<P: Policy> PeerTable<P> {
    pub(crate) fn new(limits: Limits, settings: Settings) -> PeerTable<P> {
        PeerTable {
            pipes: Slab::default(),
            lb: ActiveSet::default(),
            fq: ActiveSet::default(),
            connected: 0,
            queued_out: 0,
            loan: None,
            run_revoked: Arc::new(AtomicBool::new(false)),
            recv_waker: None,
            send_waker: None,
            flush_waker: None,
            limits,
            settings,
            routing: RoutingIds::new(),
            published: Trie::default(),
            local: LocalSubscriptions::default(),
            dropped_total: 0,
            closed: false,
            matched: Vec::new(),
            monitor: None,
            deferred: Vec::new(),
            readiness: Arc::new(tokio::sync::Notify::new()),
            _kind: PhantomData,
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// The flag that tells the application to drop its receive run (see `run_revoked`).
    pub(crate) fn run_revoked(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.run_revoked)
    }

    /// Peers whose handshake completed and whose connection is up.
    pub(crate) fn connected_peers(&self) -> usize {
        self.connected
    }

    // ---- active sets ---------------------------------------------------------------------

    /// Puts `id` in or out of the round-robin set after anything that changes whether it can
    /// take a message.
    pub(super) fn refresh_lb(&mut self, id: PipeId) {
        if P::OUTBOUND != Outbound::RoundRobin {
            return;
        }
        let limits = self.limits;
        let Some(pipe) = self.pipes.get_mut(id) else {
            return;
        };
        let wanted =
            pipe.usable(limits.immediate) && !limits.send_full(pipe.outbound.len()) && !self.closed;
        if wanted {
            self.lb.insert(id, &mut pipe.lb_slot);
        } else {
            let mut slot = pipe.lb_slot.take();
            let pipes = &mut self.pipes;
            self.lb.remove(&mut slot, |moved, at| {
                if let Some(p) = pipes.get_mut(moved) {
                    p.lb_slot = Some(at);
                }
            });
        }
    }

    /// Puts `id` in or out of the fair-queue set after its receive queue changed.
    pub(super) fn refresh_fq(&mut self, id: PipeId) {
        let Some(pipe) = self.pipes.get_mut(id) else {
            return;
        };
        if !pipe.inbound.is_empty() {
            self.fq.insert(id, &mut pipe.fq_slot);
        } else {
            let mut slot = pipe.fq_slot.take();
            let pipes = &mut self.pipes;
            self.fq.remove(&mut slot, |moved, at| {
                if let Some(p) = pipes.get_mut(moved) {
                    p.fq_slot = Some(at);
                }
            });
        }
    }

    // ---- lifecycle -------------------------------------------------------------------------

    fn insert(&mut self, endpoint: Endpoint, persistent: bool) -> PipeId {
        let id = self
            .pipes
            .insert_with(|id| Pipe::new(id, endpoint, persistent, P::OUTBOUND == Outbound::FanOut));
        self.refresh_lb(id);
        // A new pipe may be what a blocked sender waits for.
        wake(&mut self.send_waker);
        id
    }

    /// A pipe for a connecting endpoint, created by `connect` before any connection exists.
    pub(crate) fn insert_persistent(&mut self, endpoint: Endpoint) -> PipeId {
        self.insert(endpoint, true)
    }

    /// ROUTER `connect_with_routing_id`: a connecting endpoint's pipe that routes by
    /// `routing_id` from now on, before any connection, and keeps it across reconnections.
    /// `None` (and no pipe) when a peer of the socket has that id already.
    pub(crate) fn insert_persistent_routed(
        &mut self,
        endpoint: Endpoint,
        routing_id: Bytes,
    ) -> Option<PipeId> {
        if self.routing.lookup(&routing_id).is_some() {
            return None;
        }
        let id = self.insert(endpoint, true);
        let pipe = self.pipes.get_mut(id).expect("just inserted");
        pipe.routing_id = Some(routing_id.clone());
        pipe.assigned_routing_id = true;
        self.routing.insert(routing_id, id);
        Some(id)
    }

    /// A connection completed its handshake: admit it into its pipe (a new one for accepted
    /// connections), or refuse it (PAIR already has a peer; ROUTER identity taken).
    pub(crate) fn admit(
        &mut self,
        existing: Option<PipeId>,
        mut peer: Peer,
    ) -> Result<Admitted, Refusal> {
        let existing = existing.filter(|&id| self.pipes.get(id).is_some());
        match P::ADMISSION {
            Admission::Any => {}
            Admission::One => {
                let mine = existing
                    .and_then(|id| self.pipes.get(id))
                    .is_some_and(|p| p.connected);
                if self.connected > usize::from(mine) {
                    return Err(Refusal::PairTaken);
                }
            }
            Admission::UniqueIdentity => {
                peer.routing_id = Some(self.claim_routing_id(existing, &peer.identity)?);
            }
        }
        let id = match existing {
            Some(id) => id,
            None => self.insert(peer.endpoint.clone(), false),
        };
        let routing_id = peer.routing_id.clone();
        if let Some(routing_id) = &routing_id {
            self.routing.insert(routing_id.clone(), id);
        }
        let topics: Vec<Bytes> = if P::SUBSCRIBES {
            self.local.sorted_topics()
        } else {
            Vec::new()
        };
        let pipe = self.pipes.get_mut(id).expect("found or inserted");
        if !pipe.connected {
            pipe.connected = true;
            self.connected += 1;
            self.readiness.notify_waiters();
        }
        let peer = Arc::new(peer);
        pipe.peer = Some(Arc::clone(&peer));
        pipe.routing_id = routing_id;
        pipe.evicted = false;
        // Topics are sent whole on admission; older incremental changes are superseded.
        pipe.commands.clear();
        if let Some(welcome) = &self.settings.xpub_welcome {
            // Ahead of anything queued, past the high-water mark, as libzmq writes it into a
            // new pipe; the subscriber keeps it if it subscribed to it.
            pipe.outbound.push_front(Message::from(welcome.clone()));
            self.queued_out += 1;
        }
        if self.settings.probe_router {
            // Ahead of anything queued, past the high-water mark, as libzmq writes it into a
            // pipe as it attaches: the peer's first message, which tells a ROUTER our id.
            pipe.outbound.push_front(Message::from(Bytes::new()));
            self.queued_out += 1;
        }
        let schedule = pipe.schedule.clone();
        self.refresh_lb(id);
        wake(&mut self.send_waker);
        if self.settings.router_notify.contains(RouterNotify::CONNECT) {
            // Before anything the peer sends: its messages join the queue after admission.
            self.notify_peer_event(id);
        }
        Ok(Admitted {
            pipe: id,
            topics,
            schedule,
            peer,
        })
    }

    /// ROUTER: the identity a new connection routes by: the one it announced, or a generated
    /// one (a zero byte and four more, as libzmq). A taken identity is refused, or taken over
    /// with handover (the old connection is closed).
    fn claim_routing_id(
        &mut self,
        existing: Option<PipeId>,
        announced: &Bytes,
    ) -> Result<Bytes, Refusal> {
        let assigned = existing
            .and_then(|id| self.pipes.get(id))
            .filter(|p| p.assigned_routing_id)
            .and_then(|p| p.routing_id.clone());
        if let Some(assigned) = assigned {
            // The application named this peer at `connect`; what it announces does not count.
            return Ok(assigned);
        }
        if announced.is_empty() {
            return Ok(self.routing.generate());
        }
        match self.routing.lookup(announced) {
            Some(holder) if Some(holder) != existing => {
                // An id the application assigned is never taken over: it names that endpoint.
                let assigned = self
                    .pipes
                    .get(holder)
                    .is_some_and(|p| p.assigned_routing_id);
                if !self.settings.router_handover || assigned {
                    return Err(Refusal::DuplicateIdentity);
                }
                self.routing.remove(announced);
                if let Some(old) = self.pipes.get_mut(holder) {
                    old.routing_id = None;
                    old.evicted = true;
                    self.queued_out -= old.outbound.len();
                    old.outbound.clear();
                    old.wake_driver(&mut self.deferred);
                }
                Ok(announced.clone())
            }
            _ => Ok(announced.clone()),
        }
    }

    /// The connection of `id` ended. A connecting pipe keeps its outbound queue for the next
    /// connection; an accepted one is removed once the application has read what it delivered.
    pub(crate) fn detach(&mut self, id: PipeId) {
        self.depart_subscriptions(id);
        self.end_drop_episode(id);
        let Some(pipe) = self.pipes.get_mut(id) else {
            return;
        };
        let was_connected = std::mem::take(&mut pipe.connected);
        if was_connected {
            self.connected -= 1;
            self.readiness.notify_waiters();
        }
        pipe.evicted = false;
        pipe.driver_waker = None;
        if let Some(schedule) = &pipe.schedule {
            schedule.ran();
        }
        if was_connected
            && self
                .settings
                .router_notify
                .contains(RouterNotify::DISCONNECT)
        {
            // After every message the connection delivered: its driver detaches only once
            // they are all in the queue. An evicted peer has no id left to name.
            self.notify_peer_event(id);
        }
        let Some(pipe) = self.pipes.get_mut(id) else {
            return;
        };
        if !pipe.assigned_routing_id {
            if let Some(routing_id) = pipe.routing_id.take() {
                self.routing.remove(&routing_id);
            }
        }
        if !pipe.persistent {
            self.queued_out -= pipe.outbound.len();
            pipe.outbound.clear();
        }
        self.refresh_lb(id);
        self.refresh_fq(id);
        self.remove_if_drained(id);
        self.wake_flush_if_drained();
        // A sender held back by this pipe's full queue (XPUB_NODROP) may go on.
        wake(&mut self.send_waker);
    }

    /// Removes a pipe now (disconnect/unbind): queued messages both ways are dropped,
    /// including those the application's receive run holds.
    pub(crate) fn remove(&mut self, id: PipeId) {
        if self.loan.is_some_and(|loan| loan.pipe == id) {
            self.loan = None;
            self.run_revoked.store(true, Ordering::Release);
        }
        self.forget_subscriptions(id);
        self.end_drop_episode(id);
        let Some(pipe) = self.pipes.get_mut(id) else {
            return;
        };
        pipe.inbound.clear();
        self.queued_out -= pipe.outbound.len();
        pipe.outbound.clear();
        pipe.persistent = false;
        if std::mem::take(&mut pipe.connected) {
            self.connected -= 1;
            self.readiness.notify_waiters();
        }
        self.refresh_lb(id);
        self.refresh_fq(id);
        let mut pipe = self.pipes.remove(id).expect("found above");
        if let Some(routing_id) = &pipe.routing_id {
            self.routing.remove(routing_id);
        }
        pipe.wake_driver(&mut self.deferred);
        self.wake_flush_if_drained();
        // A sender held back by this pipe's full queue (XPUB_NODROP) may go on.
        wake(&mut self.send_waker);
    }

    /// Drops an accepted pipe that has no connection and nothing left to read.
    pub(super) fn remove_if_drained(&mut self, id: PipeId) {
        let lent = self.loan.is_some_and(|loan| loan.pipe == id);
        let drained = self
            .pipes
            .get(id)
            .is_some_and(|p| !p.persistent && !p.connected && p.inbound.is_empty());
        if drained && !lent {
            self.pipes.remove(id);
        }
    }

    /// The socket is closing: no new messages in; drivers flush what is queued.
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.loan = None;
        self.fq.clear();
        for pipe in self.pipes.iter_mut() {
            pipe.inbound.clear();
            pipe.inbound_bytes = 0;
            pipe.fq_slot = None;
            pipe.lb_slot = None;
            pipe.wake_driver(&mut self.deferred);
        }
        self.lb.clear();
        wake(&mut self.recv_waker);
        wake(&mut self.send_waker);
        wake(&mut self.flush_waker);
    }

    /// Whether every queued outbound message has been handed to its connection (a `Sink`'s
    /// flush); registers `cx` to be woken when that happens if not. A closed table has
    /// nothing more to hand over.
    pub(crate) fn poll_flushed(&mut self, cx: &Context<'_>) -> bool {
        if self.queued_out == 0 || self.closed {
            return true;
        }
        register(&mut self.flush_waker, cx);
        false
    }

    pub(super) fn wake_flush_if_drained(&mut self) {
        if self.queued_out == 0 {
            wake(&mut self.flush_waker);
        }
    }

    // ---- driver side -----------------------------------------------------------------------

    /// Moves up to `max` queued messages of `id`, and up to about `max_bytes` of them (at
    /// least one message), into `out` (which should be empty: then a whole queue is handed
    /// over without moving each message), and pending subscription changes into `commands`.
    /// With nothing queued, registers the driver to be woken. Returns false when the connection
    /// lost its pipe (removed, or its identity taken over): it must close.
    ///
    /// The byte bound keeps large messages in the queue, not in the connection, until the
    /// socket can take them: if the connection dies, what it had taken is lost, and what is
    /// still queued goes to the next connection.
    pub(crate) fn take_outbound(
        &mut self,
        id: PipeId,
        max: usize,
        max_bytes: usize,
        out: &mut VecDeque<Message>,
        commands: &mut Vec<SubscriptionCommand>,
        cx: &Context<'_>,
    ) -> bool {
        let limits = self.limits;
        let Some(pipe) = self.pipes.get_mut(id).filter(|p| !p.evicted) else {
            return false;
        };
        if let Some(schedule) = &pipe.schedule {
            schedule.ran();
        }
        commands.extend(pipe.commands.drain(..));
        let was_full = limits.send_full(pipe.outbound.len());
        let mut n = 0;
        let mut bytes = 0;
        while n < max.min(pipe.outbound.len()) && (n == 0 || bytes < max_bytes) {
            bytes += pipe.outbound[n].byte_len();
            n += 1;
        }
        if n == pipe.outbound.len() && out.is_empty() {
            // The whole queue: hand it over without moving each message.
            std::mem::swap(out, &mut pipe.outbound);
        } else {
            out.extend(pipe.outbound.drain(..n));
        }
        if pipe.outbound.is_empty() && pipe.commands.is_empty() {
            register(&mut pipe.driver_waker, cx);
        }
        // Read on the pipe already in hand: no second lookup per batch for the other kinds.
        let episode_over = pipe.dropping > 0 && limits.drained_to_half(pipe.outbound.len());
        self.queued_out -= n;
        if episode_over {
            self.end_drop_episode(id);
        }
        if was_full && n > 0 {
            self.refresh_lb(id);
            wake(&mut self.send_waker);
        }
        if n > 0 {
            self.wake_flush_if_drained();
        }
        true
    }

    // ---- queries ---------------------------------------------------------------------------

    /// Whether `id` is a connecting endpoint's pipe.
    pub(crate) fn is_persistent(&self, id: PipeId) -> bool {
        self.pipes.get(id).is_some_and(|p| p.persistent)
    }

    /// The messages queued for `id` to send, and their payload bytes.
    pub(crate) fn backlog(&self, id: PipeId) -> (usize, usize) {
        self.pipes.get(id).map_or((0, 0), |p| {
            (
                p.outbound.len(),
                p.outbound.iter().map(zmtp_core::Message::byte_len).sum(),
            )
        })
    }

    /// Pipes of an endpoint (for disconnect/unbind).
    pub(crate) fn pipes_of(&self, endpoint: &Endpoint) -> Vec<PipeId> {
        self.pipes
            .iter()
            .filter(|p| &p.endpoint == endpoint)
            .map(|p| p.id)
            .collect()
    }

    /// The peer of pipe `id`, while it is known.
    #[cfg(test)]
    pub(crate) fn peer(&self, id: PipeId) -> Option<Arc<Peer>> {
        self.pipes.get(id).and_then(|p| p.peer.clone())
    }
}
