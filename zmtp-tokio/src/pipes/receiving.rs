//! The receiving side of the peer table: what a connection received becomes what the
//! application gets (by the kind's [`Inbound`](super::policy::Inbound) rule), joins the pipe's
//! queue within its limits, and is read fair-queued over the pipes that have messages
//! (libzmq's fq), a run at a time.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Context;

use zmtp_core::Message;

use super::pipe::{queued_cost, register, wake};
use super::policy::{Inbound as Rule, PeerSubscriptions, Policy};
use super::table::{Loan, PeerTable};
use crate::engine::{Inbound, PipeId};
use crate::monitor::Refusal;
use crate::peer::Peer;

/// Who sent a run of received messages.
#[derive(Debug)]
pub(crate) struct Sender {
    pub(crate) pipe: PipeId,
    /// The peer, as its handshake described it.
    pub(crate) peer: Option<Arc<Peer>>,
}

impl<P: Policy> PeerTable<P> {
    /// Messages and bytes of `id` that the application's receive run holds.
    fn lent(&self, id: PipeId) -> (usize, usize) {
        match self.loan {
            Some(loan) if loan.pipe == id => (loan.messages, loan.bytes),
            _ => (0, 0),
        }
    }

    /// Whether `id`'s receive queue, counting what the application holds unread, is full.
    fn recv_full(&self, id: PipeId) -> bool {
        let (messages, bytes) = self.lent(id);
        self.pipes.get(id).is_some_and(|p| {
            self.limits
                .recv_full(p.inbound.len() + messages, p.inbound_bytes + bytes)
        })
    }

    /// Turns what a connection received into what the application gets, appended to `out`:
    /// messages by the kind's inbound rule, subscriptions recorded (and for XPUB made into
    /// messages, in their place among the others). A peer breaking the subscription limits is
    /// refused; what it sent before stays in `out`.
    pub(crate) fn receive(
        &mut self,
        id: PipeId,
        inbound: &mut Vec<Inbound>,
        out: &mut VecDeque<Message>,
    ) -> Result<(), Refusal> {
        for item in inbound.drain(..) {
            match item {
                Inbound::Message(message) => {
                    if let Some(message) = self.inbound_message(id, message) {
                        out.push_back(message);
                    }
                }
                Inbound::Subscribe(topic) | Inbound::Cancel(topic)
                    if P::PEER_SUBSCRIPTIONS == PeerSubscriptions::Ignore =>
                {
                    drop(topic);
                }
                Inbound::Subscribe(topic) => {
                    if let Some(notice) = self.peer_subscription(id, true, topic)? {
                        out.push_back(notice);
                    }
                }
                Inbound::Cancel(topic) => {
                    if let Some(notice) = self.peer_subscription(id, false, topic)? {
                        out.push_back(notice);
                    }
                }
            }
        }
        Ok(())
    }

    fn inbound_message(&self, id: PipeId, mut message: Message) -> Option<Message> {
        match P::INBOUND {
            Rule::Deliver => Some(message),
            Rule::Discard => None,
            // A publisher may still send what was just cancelled.
            Rule::Filter => {
                let matches = self
                    .local
                    .matches(message.first().map_or(&[][..], |f| &f[..]));
                (matches != self.settings.invert_matching).then_some(message)
            }
            Rule::PrefixRoutingId => {
                let routing_id = self.pipes.get(id)?.routing_id.clone()?;
                message.push_front(routing_id);
                Some(message)
            }
        }
    }

    /// Moves messages from the front of `messages` into `id`'s receive queue while it has
    /// room (all of them with `past_limit`); if some are left, or the queue is full, registers
    /// the driver to be woken when room comes. A whole batch that fits joins an empty queue
    /// without moving each message. Returns how many more messages the queue has room for
    /// (an inproc peer takes no more than that from its own queue, so that the two queues
    /// hold what their two high-water marks allow, as in libzmq).
    pub(crate) fn offer_run(
        &mut self,
        id: PipeId,
        messages: &mut VecDeque<Message>,
        past_limit: bool,
        cx: &Context<'_>,
    ) -> usize {
        if self.closed {
            messages.clear();
            return 0;
        }
        let limits = self.limits;
        let (lent_messages, lent_bytes) = self.lent(id);
        let Some(pipe) = self.pipes.get_mut(id) else {
            messages.clear();
            return 0;
        };
        if limits.conflate {
            // Only the newest message stays, replacing any the application has not taken.
            if let Some(newest) = messages.pop_back() {
                messages.clear();
                messages.push_back(newest);
                pipe.inbound.clear();
                pipe.inbound_bytes = 0;
            }
        }
        let queued = pipe.inbound.len() + lent_messages;
        let mut bytes = pipe.inbound_bytes + lent_bytes;
        let mut taken = 0;
        while taken < messages.len() && (past_limit || !limits.recv_full(queued + taken, bytes)) {
            bytes += queued_cost(&messages[taken]);
            taken += 1;
        }
        pipe.inbound_bytes = bytes - lent_bytes;
        if taken == messages.len() {
            if pipe.inbound.is_empty() {
                std::mem::swap(&mut pipe.inbound, messages);
            } else {
                // Copies the messages as one block rather than moving them one by one.
                pipe.inbound.append(messages);
            }
        } else {
            pipe.inbound.extend(messages.drain(..taken));
        }
        let room = limits.recv_room(queued + taken, bytes);
        if !messages.is_empty() || room == 0 {
            register(&mut pipe.driver_waker, cx);
        }
        if taken > 0 {
            self.refresh_fq(id);
            wake(&mut self.recv_waker);
        }
        room
    }

    /// Fair queuing a run at a time: moves messages of the next pipe (in turn) that has some
    /// into `out` (which must be empty: the application read the previous run) and returns who
    /// sent them. While other pipes have messages too, one message is taken, so that the
    /// order is exactly per-message fair queuing; a pipe alone with messages hands over up to
    /// `max` of them at once (its whole queue, without copying, when it holds no more). With
    /// none, registers `cx` (if given) to be woken on delivery.
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
        let alone = self.fq.len() == 1;
        let Some(id) = self.fq.next() else {
            if let Some(cx) = cx {
                register(&mut self.recv_waker, cx);
            }
            return None;
        };
        let pipe = self.pipes.get_mut(id).expect("active pipes exist");
        let take = if alone { max.max(1) } else { 1 };
        let bytes = if pipe.inbound.len() <= take {
            std::mem::swap(out, &mut pipe.inbound);
            std::mem::take(&mut pipe.inbound_bytes)
        } else {
            out.extend(pipe.inbound.drain(..take));
            let bytes = out.iter().map(queued_cost).sum();
            pipe.inbound_bytes -= bytes;
            bytes
        };
        // One reference count per run, not per message.
        let peer = pipe.peer.clone();
        self.loan = Some(Loan {
            pipe: id,
            messages: out.len(),
            bytes,
        });
        self.refresh_fq(id);
        Some(Sender { pipe: id, peer })
    }

    /// The application read the run it was lent: the pipe's room comes back, and a pipe that
    /// is gone and drained leaves the table.
    pub(crate) fn return_loan(&mut self) {
        let Some(loan) = self.loan else {
            return;
        };
        let was_full = self.recv_full(loan.pipe);
        self.loan = None;
        if was_full {
            if let Some(pipe) = self.pipes.get_mut(loan.pipe) {
                pipe.wake_driver(&mut self.deferred);
            }
        }
        self.remove_if_drained(loan.pipe);
    }
}
