//! One peer's pipe: its queues both ways, bounded by the high-water marks, and what the socket
//! knows of the peer.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Waker};

use bytes::Bytes;
use zmtp_core::Message;

use super::topics::PeerTopics;
use crate::endpoint::Endpoint;
use crate::engine::{PipeId, Schedule, SubscriptionCommand};
use crate::peer::Peer;

#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) id: PipeId,
    /// The endpoint this pipe was bound or connected through.
    pub(crate) endpoint: Endpoint,
    /// The peer of the last connection admitted (kept after it leaves, for the messages it
    /// delivered that are still to be read).
    pub(crate) peer: Option<Arc<Peer>>,
    /// Whether a connection whose handshake completed drives this pipe now.
    pub(crate) connected: bool,
    /// Created by `connect`: it exists before any connection and survives reconnects, so
    /// messages queue for it meanwhile (libzmq behaviour).
    pub(crate) persistent: bool,
    /// ROUTER handover: another connection took this peer's identity; its driver closes.
    pub(crate) evicted: bool,
    /// ROUTER: the identity that routes to this peer while it is connected.
    pub(crate) routing_id: Option<Bytes>,
    /// ROUTER `connect_with_routing_id`: `routing_id` was given by the application for this
    /// connecting pipe, so it stays across reconnections, whatever the peer announces.
    pub(crate) assigned_routing_id: bool,
    pub(crate) outbound: VecDeque<Message>,
    pub(crate) inbound: VecDeque<Message>,
    /// What `inbound` costs (see [`queued_cost`]).
    pub(crate) inbound_bytes: usize,
    pub(crate) driver_waker: Option<Waker>,
    /// Whether the driver was woken for messages and has not come for them: a publisher
    /// whose subscriber's queue is full waits for that turn instead of dropping.
    /// Publishers only (`None` for other kinds: it costs a cache miss per batch).
    pub(crate) schedule: Option<Arc<Schedule>>,
    /// Publishers: what this peer subscribed to (manual XPUB: what the application applied).
    pub(crate) topics: PeerTopics,
    /// Manual XPUB: what this peer asked for, whether applied or not; its cancellations are
    /// handed up when the peer leaves.
    pub(crate) requested: PeerTopics,
    /// Subscribers: subscription changes to send.
    pub(crate) commands: VecDeque<SubscriptionCommand>,
    /// Slots in the table's active sets (round robin, fair queue).
    pub(crate) lb_slot: Option<u32>,
    pub(crate) fq_slot: Option<u32>,
    /// Publishers: copies dropped at this pipe's high-water mark in the current drop episode
    /// (0: none going on; see `pipes/drops.rs`).
    pub(crate) dropping: u64,
}

impl Pipe {
    /// A pipe; `publishing` for the kinds that fan out, whose `send` waits for a woken driver.
    pub(crate) fn new(id: PipeId, endpoint: Endpoint, persistent: bool, publishing: bool) -> Pipe {
        Pipe {
            id,
            endpoint,
            peer: None,
            connected: false,
            persistent,
            evicted: false,
            routing_id: None,
            assigned_routing_id: false,
            outbound: VecDeque::new(),
            inbound: VecDeque::new(),
            inbound_bytes: 0,
            driver_waker: None,
            schedule: publishing.then(Arc::default),
            topics: PeerTopics::default(),
            requested: PeerTopics::default(),
            commands: VecDeque::new(),
            lb_slot: None,
            fq_slot: None,
            dropping: 0,
        }
    }

    /// Whether messages may be queued for it: while connected, and for a connecting pipe also
    /// between connections unless `immediate` (ZMQ_IMMEDIATE) asks for completed connections.
    pub(crate) fn usable(&self, immediate: bool) -> bool {
        self.connected || (self.persistent && !immediate)
    }

    /// Wakes the driver if it waits for work, marking it scheduled: its waker goes into
    /// `deferred`, woken once the table's lock is released (see `pipes::TableGuard`).
    pub(crate) fn wake_driver(&mut self, deferred: &mut Vec<Waker>) {
        if let Some(w) = self.driver_waker.take() {
            if let Some(schedule) = &self.schedule {
                schedule.mark_woken();
            }
            deferred.push(w);
        }
    }
}

/// Limits shared by every pipe of a socket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) send_hwm: usize,
    pub(crate) recv_hwm: usize,
    pub(crate) recv_bytes: usize,
    /// Each queue keeps only its newest message (ZMQ_CONFLATE): never full.
    pub(crate) conflate: bool,
    /// Messages go only to pipes whose handshake completed (ZMQ_IMMEDIATE).
    pub(crate) immediate: bool,
}

impl Limits {
    /// Whether an outbound queue of `len` messages is full (0: no limit).
    pub(crate) fn send_full(&self, len: usize) -> bool {
        !self.conflate && self.send_hwm != 0 && len >= self.send_hwm
    }

    /// Whether an outbound queue of `len` messages has drained to half its high-water mark:
    /// where a publisher's drop episode for that pipe ends (see `pipes/drops.rs`).
    pub(crate) fn drained_to_half(&self, len: usize) -> bool {
        len <= self.send_hwm / 2
    }

    /// Whether a receive queue holding `messages` that cost `bytes` is full: the check made
    /// before each message joins it.
    pub(crate) fn recv_full(&self, messages: usize, bytes: usize) -> bool {
        !self.conflate
            && ((self.recv_hwm != 0 && messages >= self.recv_hwm) || bytes >= self.recv_bytes)
    }

    /// How many more messages a receive queue holding `messages` that cost `bytes` takes
    /// (`usize::MAX` without a message limit, 0 when full).
    pub(crate) fn recv_room(&self, messages: usize, bytes: usize) -> usize {
        if self.recv_full(messages, bytes) {
            0
        } else if self.recv_hwm == 0 || self.conflate {
            usize::MAX
        } else {
            self.recv_hwm - messages
        }
    }
}

/// What a queued received message costs in memory, for the receive queue's byte limit: its
/// bodies plus a handle per frame, so that messages of many empty frames count too.
pub(crate) fn queued_cost(message: &Message) -> usize {
    message.byte_len() + std::mem::size_of::<Bytes>() * message.len()
}

/// Keeps `cx`'s waker in `slot` (unless it is there already).
pub(crate) fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// Wakes and empties `slot`.
pub(crate) fn wake(slot: &mut Option<Waker>) {
    if let Some(w) = slot.take() {
        w.wake();
    }
}
