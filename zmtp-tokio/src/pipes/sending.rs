//! The sending side of the peer table: round robin over the pipes with room (libzmq's lb),
//! a reply to one pipe, routing by identity, and fan-out to subscribers through the
//! subscription index. None of them looks at pipes that cannot take the message.

use std::task::{Context, Poll};

use zmtp_core::Message;

use super::pipe::{register, Pipe};
use super::policy::Policy;
use super::table::PeerTable;
use crate::engine::PipeId;

/// Where a ROUTER's message went.
#[derive(Debug)]
pub(crate) enum Routed {
    Queued,
    /// No connected peer has that identity (the message is handed back).
    Unroutable(Message),
    /// The peer's queue is full.
    Full(Message),
}

impl<P: Policy> PeerTable<P> {
    /// Queues `message` on `id`, which has room, and tells its driver.
    fn push(&mut self, id: PipeId, message: Message) {
        let Some(pipe) = self.pipes.get_mut(id) else {
            return;
        };
        if self.limits.conflate {
            // The newest message replaces whatever this peer had not taken yet.
            self.queued_out -= pipe.outbound.len();
            pipe.outbound.clear();
        }
        pipe.outbound.push_back(message);
        self.queued_out += 1;
        pipe.wake_driver(&mut self.deferred);
        if self.limits.send_full(pipe.outbound.len()) {
            self.refresh_lb(id);
        }
    }

    fn has_room(&self, pipe: &Pipe) -> bool {
        !self.limits.send_full(pipe.outbound.len())
    }

    /// Round robin over pipes with room (connected or, for `connect`ed endpoints, waiting to
    /// be). `Err` hands the message back when none has room; `cx` is then woken on a change.
    pub(crate) fn send_round_robin(
        &mut self,
        message: Message,
        cx: Option<&Context<'_>>,
    ) -> Result<PipeId, Message> {
        match self.lb.next() {
            Some(id) => {
                self.push(id, message);
                Ok(id)
            }
            None => {
                if let Some(cx) = cx {
                    register(&mut self.send_waker, cx);
                }
                Err(message)
            }
        }
    }

    /// Whether a round-robin send could proceed now; registers `cx` if not.
    pub(crate) fn poll_round_robin_ready(&mut self, cx: &Context<'_>) -> bool {
        let ready = !self.lb.is_empty();
        if !ready {
            register(&mut self.send_waker, cx);
        }
        ready
    }

    /// Sends to one connected peer (REP's replies).
    pub(crate) fn send_to(&mut self, id: PipeId, message: Message) -> Routed {
        match self.pipes.get(id).filter(|p| p.connected) {
            None => Routed::Unroutable(message),
            Some(pipe) if !self.has_room(pipe) => Routed::Full(message),
            Some(_) => {
                self.push(id, message);
                Routed::Queued
            }
        }
    }

    /// ROUTER: queues `message` for the connected peer whose identity is `routing_id` (or
    /// the connecting endpoint `connect_with_routing_id` gave it to, while it may queue).
    pub(crate) fn send_routed(
        &mut self,
        routing_id: &[u8],
        message: Message,
        cx: Option<&Context<'_>>,
    ) -> Routed {
        let Some(pipe) = self
            .routing
            .lookup(routing_id)
            .and_then(|id| self.pipes.get(id))
            // With `immediate`, an assigned id names nobody until its connection completes, as
            // libzmq then has no pipe for it.
            .filter(|p| p.usable(self.limits.immediate))
        else {
            return Routed::Unroutable(message);
        };
        let id = pipe.id;
        if !self.has_room(pipe) {
            if let Some(cx) = cx {
                register(&mut self.send_waker, cx);
            }
            return Routed::Full(message);
        }
        self.push(id, message);
        Routed::Queued
    }

    /// PUB, XPUB: queues `message` for every pipe holding a subscription that prefix-matches
    /// its first frame, found through the subscription index (the cost follows the matching
    /// subscribers, not all of them). Never waits: a subscriber whose queue is full misses
    /// it (counted); with XPUB_NODROP nobody gets it then, and `None` says so (`cx`, if given,
    /// is woken when that may have changed). Returns how many subscribers it was queued for.
    pub(crate) fn fan_out(&mut self, message: &Message, cx: Option<&Context<'_>>) -> Option<usize> {
        let matched = self.subscribers_of(message);
        let sent = if self.held_back(&matched, cx) {
            None
        } else {
            Some(self.queue_copies(&matched, message))
        };
        self.matched = matched;
        sent
    }

    /// PUB, XPUB `send`: [`fan_out`](Self::fan_out), after waiting (`Pending`, `cx` woken)
    /// while a matching subscriber's queue is full only because its connection was woken and
    /// has not come for its messages yet. A subscriber that is really slow (its connection ran
    /// and could not take more) still misses the message, as in libzmq, unless XPUB_NODROP
    /// is on: then `send` waits until every matching subscriber has room.
    pub(crate) fn poll_fan_out(&mut self, message: &Message, cx: &Context<'_>) -> Poll<usize> {
        let matched = self.subscribers_of(message);
        let waits = self.held_back(&matched, Some(cx))
            || matched.iter().any(|&id| {
                self.pipes.get(id).is_some_and(|pipe| {
                    pipe.connected
                        && !self.has_room(pipe)
                        && pipe.schedule.as_ref().is_some_and(|s| s.poll_pending(cx))
                })
            });
        if waits {
            self.matched = matched;
            return Poll::Pending;
        }
        let sent = self.queue_copies(&matched, message);
        self.matched = matched;
        Poll::Ready(sent)
    }

    /// The pipes whose subscriptions prefix-match `message`'s first frame, each once, in the
    /// table's reusable buffer (give it back to `self.matched`).
    fn subscribers_of(&mut self, message: &Message) -> Vec<PipeId> {
        let topic = message.first().map_or(&[][..], |f| &f[..]);
        let mut matched = std::mem::take(&mut self.matched);
        matched.clear();
        self.published
            .for_each_prefix(topic, |holders| matched.extend_from_slice(holders));
        if matched.len() > 1 || self.settings.invert_matching {
            // A peer holding two matching prefixes ("a", "ab") gets the message once.
            matched.sort_unstable_by_key(|id| id.index());
            matched.dedup();
        }
        if self.settings.invert_matching {
            // Every subscriber but those (libzmq's reversed distribution): a cost in all the
            // subscribers, which only this mode pays.
            let others: Vec<PipeId> = self
                .pipes
                .iter()
                .filter(|p| {
                    p.usable(self.limits.immediate)
                        && matched
                            .binary_search_by_key(&p.id.index(), |id| id.index())
                            .is_err()
                })
                .map(|p| p.id)
                .collect();
            matched.clear();
            matched.extend(others);
        }
        matched
    }

    /// XSUB: queues `message` for every usable pipe, unfiltered (its messages upstream).
    pub(crate) fn broadcast(&mut self, message: &Message) -> usize {
        let mut matched = std::mem::take(&mut self.matched);
        matched.clear();
        matched.extend(
            self.pipes
                .iter()
                .filter(|p| p.usable(self.limits.immediate))
                .map(|p| p.id),
        );
        let sent = self.queue_copies(&matched, message);
        self.matched = matched;
        sent
    }

    fn queue_copies(&mut self, pipes: &[PipeId], message: &Message) -> usize {
        let mut sent = 0;
        for &id in pipes {
            let Some(pipe) = self.pipes.get(id) else {
                continue;
            };
            if self.has_room(pipe) {
                self.push(id, message.clone());
                sent += 1;
            } else {
                self.note_dropped(id);
            }
        }
        sent
    }

    /// Copies of messages a publisher dropped at its subscribers' high-water marks, over its
    /// life.
    pub(crate) fn dropped_total(&self) -> u64 {
        self.dropped_total
    }
}
