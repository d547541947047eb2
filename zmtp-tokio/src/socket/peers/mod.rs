//! The peer table: one entry ("pipe") per peer with its own bounded queues in both directions,
//! and the strategies that pick among them: round robin for sending, fair queuing for
//! receiving, fan-out with per-subscriber dropping for publishing, reply-to-origin, and routing
//! by identity (ROUTER). Admission rules live here too: PAIR takes one peer, ROUTER one peer
//! per identity.
//!
//! The application side and every connection driver share the table behind one mutex. Drivers
//! move messages in batches, so the lock is taken once per batch on their side; the receiving
//! application takes a run of messages at a time (all of one peer's while it alone has some),
//! which still count against that peer's high-water mark until read. Wake-ups go to the other
//! side only when it registered as waiting.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Waker};

use bytes::Bytes;
use zmtp_core::{Message, PeerInfo, SocketType};

use crate::endpoint::Endpoint;
use crate::monitor::Refusal;
use crate::security::PeerAuth;
use crate::socket::routing::RoutingIds;
use crate::socket::subscriptions::Subscriptions;

mod publishing;

/// Identifies a peer entry for its whole life (never reused).
pub(crate) type PeerId = u64;

/// A subscription change for a SUB's driver to send.
#[derive(Debug, Clone)]
pub(crate) enum SubscriptionCommand {
    Subscribe(Bytes),
    Cancel(Bytes),
}

#[derive(Debug)]
pub(crate) struct Peer {
    pub(crate) id: PeerId,
    /// The endpoint this peer was bound or connected through.
    pub(crate) endpoint: Endpoint,
    /// Set while a connection that completed its handshake drives this entry.
    pub(crate) info: Option<PeerInfo>,
    /// What PLAIN or CURVE established about the peer (`None` with NULL), handed out with each
    /// message received from it.
    auth: Option<Arc<PeerAuth>>,
    /// ROUTER: the identity that routes to this peer while it is connected.
    routing_id: Option<Bytes>,
    /// ROUTER handover: another connection took this peer's identity; its driver closes.
    evicted: bool,
    /// Created by `connect`: it exists before any connection and survives reconnects, so
    /// messages queue for it meanwhile (libzmq behaviour).
    persistent: bool,
    outbound: VecDeque<Message>,
    inbound: VecDeque<Message>,
    /// What `inbound` costs (see [`queued_cost`]).
    inbound_bytes: usize,
    driver_waker: Option<Waker>,
    /// What this peer subscribed to (publishers).
    pub(crate) subscriptions: Subscriptions,
    /// Subscription changes to send (subscribers).
    commands: VecDeque<SubscriptionCommand>,
}

impl Peer {
    /// Whether this peer's subscriptions count: while connected, and for a connecting pipe
    /// also between connections.
    fn holds(&self, topic: &[u8]) -> bool {
        (self.info.is_some() || self.persistent) && self.subscriptions.contains(topic)
    }

    fn wake_driver(&mut self) {
        if let Some(w) = self.driver_waker.take() {
            w.wake();
        }
    }
}

/// Limits shared by every peer of a socket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) send_hwm: usize,
    pub(crate) recv_hwm: usize,
    pub(crate) recv_bytes: usize,
}

impl Limits {
    /// Whether a receive queue holding `messages` that cost `bytes` is full: the check made
    /// before each message joins it.
    fn recv_full(&self, messages: usize, bytes: usize) -> bool {
        (self.recv_hwm != 0 && messages >= self.recv_hwm) || bytes >= self.recv_bytes
    }
}

/// Messages of one pipe handed to the application's receive batch and not yet known to be
/// read: they still count against that pipe's limits, as libzmq counts a pipe's messages until
/// the application reads them.
#[derive(Debug, Clone, Copy)]
struct Loan {
    peer: PeerId,
    messages: usize,
    bytes: usize,
}

/// The socket-type rules the table applies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    pub(crate) socket_type: SocketType,
    /// ROUTER: a new connection with a taken identity takes it over (ZMQ_ROUTER_HANDOVER)
    /// instead of being refused.
    pub(crate) router_handover: bool,
    /// XPUB: every subscription reaches the application, not only new topics
    /// (ZMQ_XPUB_VERBOSE).
    pub(crate) xpub_verbose: bool,
}

/// A connection admitted into the table by [`PeerTable::attach`].
#[derive(Debug)]
pub(crate) struct Attached {
    pub(crate) id: PeerId,
    /// Subscribers: every topic to send to the new peer.
    pub(crate) topics: Vec<Bytes>,
    /// ROUTER: the identity to put in front of each message from this peer.
    pub(crate) routing_id: Option<Bytes>,
}

/// Where a ROUTER's message went.
#[derive(Debug)]
pub(crate) enum Routed {
    Queued,
    /// No connected peer has that identity.
    Unroutable,
    /// The peer's queue is full.
    Full(Message),
}

/// Who sent a run of received messages.
#[derive(Debug)]
pub(crate) struct Sender {
    pub(crate) peer: PeerId,
    pub(crate) auth: Option<Arc<PeerAuth>>,
}

#[derive(Debug)]
pub(crate) struct PeerTable {
    peers: Vec<Peer>,
    next_id: PeerId,
    round_robin: usize,
    fair_queue: usize,
    recv_waker: Option<Waker>,
    send_waker: Option<Waker>,
    /// What the application's receive batch holds, of which pipe.
    loan: Option<Loan>,
    /// Set when that pipe is removed (disconnect, unbind, a connector giving up): the
    /// application drops the batch, as the pipe's queue is dropped. Outside the lock, so that
    /// the application checks it without taking the lock.
    run_revoked: Arc<AtomicBool>,
    limits: Limits,
    policy: Policy,
    routing: RoutingIds,
    closed: bool,
    /// A subscriber's own subscriptions, replayed to every new connection.
    pub(crate) local_subscriptions: Subscriptions,
}

impl PeerTable {
    pub(crate) fn new(limits: Limits, policy: Policy) -> PeerTable {
        PeerTable {
            peers: Vec::new(),
            next_id: 1,
            round_robin: 0,
            fair_queue: 0,
            recv_waker: None,
            send_waker: None,
            loan: None,
            run_revoked: Arc::new(AtomicBool::new(false)),
            limits,
            policy,
            routing: RoutingIds::new(),
            closed: false,
            local_subscriptions: Subscriptions::default(),
        }
    }

    fn find(&mut self, id: PeerId) -> Option<&mut Peer> {
        self.peers.iter_mut().find(|p| p.id == id)
    }

    fn send_full(&self, peer: &Peer) -> bool {
        self.limits.send_hwm != 0 && peer.outbound.len() >= self.limits.send_hwm
    }

    /// Messages and bytes of `id` that the application's receive batch holds.
    fn lent(&self, id: PeerId) -> (usize, usize) {
        match self.loan {
            Some(loan) if loan.peer == id => (loan.messages, loan.bytes),
            _ => (0, 0),
        }
    }

    /// Whether `peer`'s receive queue, counting what the application holds unread, is full.
    fn recv_full(&self, peer: &Peer) -> bool {
        let (messages, bytes) = self.lent(peer.id);
        self.limits
            .recv_full(peer.inbound.len() + messages, peer.inbound_bytes + bytes)
    }

    // ---- lifecycle -------------------------------------------------------------------------

    fn insert(&mut self, endpoint: Endpoint, persistent: bool) -> PeerId {
        let id = self.next_id;
        self.next_id += 1;
        self.peers.push(Peer {
            id,
            endpoint,
            info: None,
            auth: None,
            routing_id: None,
            evicted: false,
            persistent,
            outbound: VecDeque::new(),
            inbound: VecDeque::new(),
            inbound_bytes: 0,
            driver_waker: None,
            subscriptions: Subscriptions::default(),
            commands: VecDeque::new(),
        });
        // A new pipe may be what a blocked sender waits for.
        if let Some(w) = self.send_waker.take() {
            w.wake();
        }
        id
    }

    /// A pipe for a connecting endpoint, created by `connect` before any connection exists.
    pub(crate) fn insert_persistent(&mut self, endpoint: Endpoint) -> PeerId {
        self.insert(endpoint, true)
    }

    /// A connection completed its handshake: attach it to its pipe (creating one for accepted
    /// connections), or refuse it (PAIR already has a peer; ROUTER identity taken).
    pub(crate) fn attach(
        &mut self,
        existing: Option<PeerId>,
        endpoint: &Endpoint,
        info: PeerInfo,
        auth: Option<Arc<PeerAuth>>,
    ) -> Result<Attached, Refusal> {
        let existing = existing.filter(|&id| self.find(id).is_some());
        let routing_id = match self.policy.socket_type {
            SocketType::Pair => {
                let taken = self
                    .peers
                    .iter()
                    .any(|p| p.info.is_some() && Some(p.id) != existing);
                if taken {
                    return Err(Refusal::PairTaken);
                }
                None
            }
            SocketType::Router => Some(self.claim_routing_id(existing, &info.identity)?),
            _ => None,
        };
        let id = match existing {
            Some(id) => id,
            None => self.insert(endpoint.clone(), false),
        };
        if let Some(routing_id) = &routing_id {
            self.routing.insert(routing_id.clone(), id);
        }
        let topics: Vec<Bytes> = self.local_subscriptions.topics().cloned().collect();
        let peer = self.find(id).expect("just found or inserted");
        peer.info = Some(info);
        peer.auth = auth;
        peer.routing_id.clone_from(&routing_id);
        peer.evicted = false;
        // Topics are sent whole on attach; older incremental changes are superseded.
        peer.commands.clear();
        if let Some(w) = self.send_waker.take() {
            w.wake();
        }
        Ok(Attached {
            id,
            topics,
            routing_id,
        })
    }

    /// ROUTER: the identity a new connection routes by: the one it announced, or a generated
    /// one (a zero byte and four more, as libzmq). A taken identity is refused, or taken over
    /// with handover (the old connection is closed).
    fn claim_routing_id(
        &mut self,
        existing: Option<PeerId>,
        announced: &Bytes,
    ) -> Result<Bytes, Refusal> {
        if announced.is_empty() {
            return Ok(self.routing.generate());
        }
        match self.routing.lookup(announced) {
            Some(holder) if Some(holder) != existing => {
                if !self.policy.router_handover {
                    return Err(Refusal::DuplicateIdentity);
                }
                self.routing.remove(announced);
                if let Some(old) = self.find(holder) {
                    old.routing_id = None;
                    old.evicted = true;
                    old.outbound.clear();
                    old.wake_driver();
                }
                Ok(announced.clone())
            }
            _ => Ok(announced.clone()),
        }
    }

    /// The connection of `id` ended. Persistent pipes keep their outbound queue for the next
    /// connection; others are removed once the application has read what they delivered.
    pub(crate) fn detach(&mut self, id: PeerId) {
        let departed = self.xpub_departure_notices(id);
        let Some(peer) = self.find(id) else { return };
        peer.info = None;
        peer.auth = None;
        peer.evicted = false;
        // A connecting publisher keeps the pipe's subscriptions for the reconnect, and keeps
        // queuing what matches them meanwhile (libzmq does the same); the subscriber replays
        // them on reconnect, which changes nothing then.
        if !peer.persistent {
            peer.subscriptions.clear();
        }
        // The application still reads what the peer sent, and the unsubscriptions its leaving
        // implies (XPUB), before the pipe goes.
        let notify = !departed.is_empty();
        for notice in departed {
            peer.inbound_bytes += queued_cost(&notice);
            peer.inbound.push_back(notice);
        }
        if let Some(routing_id) = peer.routing_id.take() {
            self.routing.remove(&routing_id);
        }
        if notify {
            if let Some(w) = self.recv_waker.take() {
                w.wake();
            }
        }
        let Some(peer) = self.find(id) else { return };
        peer.driver_waker = None;
        if !peer.persistent {
            peer.outbound.clear();
            self.remove_if_drained(id);
        }
    }

    /// The flag that tells the application to drop its receive batch (see `run_revoked`).
    pub(crate) fn run_revoked(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.run_revoked)
    }

    /// Removes a pipe now (disconnect/unbind): queued messages both ways are dropped,
    /// including those the application's receive batch holds.
    pub(crate) fn remove(&mut self, id: PeerId) {
        if self.loan.is_some_and(|loan| loan.peer == id) {
            self.loan = None;
            self.run_revoked.store(true, Ordering::Release);
        }
        if let Some(i) = self.peers.iter().position(|p| p.id == id) {
            let mut peer = self.peers.remove(i);
            if let Some(routing_id) = &peer.routing_id {
                self.routing.remove(routing_id);
            }
            peer.wake_driver();
        }
    }

    fn remove_if_drained(&mut self, id: PeerId) {
        if let Some(i) = self.peers.iter().position(|p| p.id == id) {
            let p = &self.peers[i];
            let lent = self.loan.is_some_and(|loan| loan.peer == id);
            if !p.persistent && p.info.is_none() && p.inbound.is_empty() && !lent {
                self.peers.remove(i);
            }
        }
    }

    /// The socket is closing: no new messages in; drivers flush what is queued.
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.loan = None;
        for p in &mut self.peers {
            p.inbound.clear();
            p.inbound_bytes = 0;
            p.wake_driver();
        }
        for w in [self.recv_waker.take(), self.send_waker.take()]
            .into_iter()
            .flatten()
        {
            w.wake();
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether `id` is a connecting endpoint's pipe, which outlives its connections.
    pub(crate) fn is_persistent(&self, id: PeerId) -> bool {
        self.peers.iter().any(|p| p.id == id && p.persistent)
    }

    /// The messages queued for `id` to send, and their payload bytes.
    pub(crate) fn backlog(&self, id: PeerId) -> (usize, usize) {
        self.peers.iter().find(|p| p.id == id).map_or((0, 0), |p| {
            (
                p.outbound.len(),
                p.outbound.iter().map(Message::byte_len).sum(),
            )
        })
    }

    /// Whether the pipe exists and has no queued outbound messages.
    pub(crate) fn outbound_is_empty(&self, id: PeerId) -> bool {
        self.peers
            .iter()
            .find(|p| p.id == id)
            .is_none_or(|p| p.outbound.is_empty())
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
        id: PeerId,
        max: usize,
        max_bytes: usize,
        out: &mut VecDeque<Message>,
        commands: &mut Vec<SubscriptionCommand>,
        cx: &Context<'_>,
    ) -> bool {
        let hwm = self.limits.send_hwm;
        let Some(peer) = self.find(id).filter(|p| !p.evicted) else {
            return false;
        };
        commands.extend(peer.commands.drain(..));
        let was_full = hwm != 0 && peer.outbound.len() >= hwm;
        let mut n = 0;
        let mut bytes = 0;
        while n < max.min(peer.outbound.len()) && (n == 0 || bytes < max_bytes) {
            bytes += peer.outbound[n].byte_len();
            n += 1;
        }
        if n == peer.outbound.len() && out.is_empty() {
            // The whole queue: hand it over without moving each message.
            std::mem::swap(out, &mut peer.outbound);
        } else {
            out.extend(peer.outbound.drain(..n));
        }
        if peer.outbound.is_empty() && peer.commands.is_empty() {
            register(&mut peer.driver_waker, cx);
        }
        if was_full && n > 0 {
            if let Some(w) = self.send_waker.take() {
                w.wake();
            }
        }
        true
    }

    /// Moves messages from the front of `messages` into `id`'s receive queue while it has
    /// room (all of them with `past_limit`); if some are left, registers the driver to be
    /// woken when room comes. A whole batch that fits joins an empty queue without moving
    /// each message.
    pub(crate) fn offer_run(
        &mut self,
        id: PeerId,
        messages: &mut VecDeque<Message>,
        past_limit: bool,
        cx: &Context<'_>,
    ) {
        if self.closed {
            messages.clear();
            return;
        }
        let limits = self.limits;
        let (lent_messages, lent_bytes) = self.lent(id);
        let Some(peer) = self.peers.iter_mut().find(|p| p.id == id) else {
            messages.clear();
            return;
        };
        let queued = peer.inbound.len() + lent_messages;
        let mut bytes = peer.inbound_bytes + lent_bytes;
        let mut taken = 0;
        while taken < messages.len() && (past_limit || !limits.recv_full(queued + taken, bytes)) {
            bytes += queued_cost(&messages[taken]);
            taken += 1;
        }
        peer.inbound_bytes = bytes - lent_bytes;
        if taken == messages.len() {
            if peer.inbound.is_empty() {
                std::mem::swap(&mut peer.inbound, messages);
            } else {
                // Copies the messages as one block rather than moving them one by one.
                peer.inbound.append(messages);
            }
        } else {
            peer.inbound.extend(messages.drain(..taken));
        }
        if !messages.is_empty() {
            register(&mut peer.driver_waker, cx);
        }
        if taken > 0 {
            if let Some(w) = self.recv_waker.take() {
                w.wake();
            }
        }
    }

    // ---- application side ------------------------------------------------------------------

    /// Round robin over pipes with room (connected or, for `connect`ed endpoints, waiting to
    /// be). `Err` hands the message back when none has room; `cx` is then woken on a change.
    pub(crate) fn send_round_robin(
        &mut self,
        message: Message,
        cx: Option<&Context<'_>>,
    ) -> Result<PeerId, Message> {
        let n = self.peers.len();
        let hwm = self.limits.send_hwm;
        let mut i = if self.round_robin < n {
            self.round_robin
        } else {
            0
        };
        for _ in 0..n {
            let next = if i + 1 == n { 0 } else { i + 1 };
            let peer = &mut self.peers[i];
            let usable = peer.persistent || peer.info.is_some();
            if usable && (hwm == 0 || peer.outbound.len() < hwm) {
                self.round_robin = next;
                peer.outbound.push_back(message);
                peer.wake_driver();
                return Ok(peer.id);
            }
            i = next;
        }
        if let Some(cx) = cx {
            register(&mut self.send_waker, cx);
        }
        Err(message)
    }

    /// Whether a round-robin send could proceed now; registers `cx` if not.
    pub(crate) fn poll_round_robin_ready(&mut self, cx: &Context<'_>) -> bool {
        let ready = self
            .peers
            .iter()
            .any(|p| (p.persistent || p.info.is_some()) && !self.send_full(p));
        if !ready {
            register(&mut self.send_waker, cx);
        }
        ready
    }

    /// Sends to one peer (replies). Dropped when the peer is gone or full, as libzmq does.
    pub(crate) fn send_to(&mut self, id: PeerId, message: Message) -> bool {
        let hwm = self.limits.send_hwm;
        match self.find(id) {
            Some(peer) if peer.info.is_some() && (hwm == 0 || peer.outbound.len() < hwm) => {
                peer.outbound.push_back(message);
                peer.wake_driver();
                true
            }
            _ => false,
        }
    }

    /// ROUTER: queues `message` for the connected peer whose identity is `routing_id`.
    pub(crate) fn send_routed(
        &mut self,
        routing_id: &[u8],
        message: Message,
        cx: Option<&Context<'_>>,
    ) -> Routed {
        let hwm = self.limits.send_hwm;
        let Some(id) = self.routing.lookup(routing_id) else {
            return Routed::Unroutable;
        };
        let Some(i) = self.peers.iter().position(|p| p.id == id) else {
            return Routed::Unroutable;
        };
        let peer = &mut self.peers[i];
        if hwm != 0 && peer.outbound.len() >= hwm {
            if let Some(cx) = cx {
                register(&mut self.send_waker, cx);
            }
            return Routed::Full(message);
        }
        peer.outbound.push_back(message);
        peer.wake_driver();
        Routed::Queued
    }

    /// Fair queuing a run at a time: moves messages of the next peer (in turn) that has some
    /// into `out` (which must be empty: the application read the previous run) and returns who
    /// sent them. While other peers have messages too, one
    /// message is taken, so that the order is exactly per-message fair queuing; a peer alone
    /// with messages hands over up to `max` of them at once (its whole queue, without copying,
    /// when it holds no more). With none, registers `cx` (if given) to be woken on delivery.
    ///
    /// Taken messages still count against the pipe's limits until the application has read
    /// them all and calls [`return_loan`](Self::return_loan) (or this again).
    pub(crate) fn recv_fair_run(
        &mut self,
        out: &mut VecDeque<Message>,
        max: usize,
        cx: Option<&Context<'_>>,
    ) -> Option<Sender> {
        debug_assert!(out.is_empty(), "the previous run was not read");
        self.return_loan();
        let n = self.peers.len();
        let start = if self.fair_queue < n {
            self.fair_queue
        } else {
            0
        };
        let Some(i) = (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| !self.peers[i].inbound.is_empty())
        else {
            if let Some(cx) = cx {
                register(&mut self.recv_waker, cx);
            }
            return None;
        };
        let alone = !self
            .peers
            .iter()
            .enumerate()
            .any(|(j, p)| j != i && !p.inbound.is_empty());
        let peer = &mut self.peers[i];
        let take = if alone { max.max(1) } else { 1 };
        let bytes = if peer.inbound.len() <= take {
            std::mem::swap(out, &mut peer.inbound);
            std::mem::take(&mut peer.inbound_bytes)
        } else {
            out.extend(peer.inbound.drain(..take));
            let bytes = out.iter().map(queued_cost).sum();
            peer.inbound_bytes -= bytes;
            bytes
        };
        let sender = Sender {
            peer: peer.id,
            auth: peer.auth.clone(),
        };
        self.loan = Some(Loan {
            peer: sender.peer,
            messages: out.len(),
            bytes,
        });
        self.fair_queue = if i + 1 < n { i + 1 } else { 0 };
        Some(sender)
    }

    /// The application read the run it was lent: the pipe's room comes back, and a pipe that
    /// is gone and drained leaves the table.
    pub(crate) fn return_loan(&mut self) {
        let Some(loan) = self.loan else {
            return;
        };
        let was_full = self
            .peers
            .iter()
            .any(|p| p.id == loan.peer && self.recv_full(p));
        self.loan = None;
        if was_full {
            if let Some(peer) = self.find(loan.peer) {
                peer.wake_driver();
            }
        }
        self.remove_if_drained(loan.peer);
    }

    /// Connected peers (for tests and introspection).
    pub(crate) fn connected_peers(&self) -> usize {
        self.peers.iter().filter(|p| p.info.is_some()).count()
    }

    /// Pipes of an endpoint (for disconnect/unbind).
    pub(crate) fn peers_of(&self, endpoint: &Endpoint) -> Vec<PeerId> {
        self.peers
            .iter()
            .filter(|p| &p.endpoint == endpoint)
            .map(|p| p.id)
            .collect()
    }
}

/// What a queued received message costs in memory, for the receive queue's byte limit: its
/// bodies plus a handle per frame, so that messages of many empty frames count too.
fn queued_cost(message: &Message) -> usize {
    message.byte_len() + std::mem::size_of::<Bytes>() * message.len()
}

fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

#[cfg(test)]
mod tests;
