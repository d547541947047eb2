//! Subscriptions in the peer table. A publisher records each peer's topics (a bounded set per
//! peer) and indexes them in one trie shared by the socket, so that publishing walks the
//! message's topic, not the subscribers; XPUB hands the application a notice when a topic
//! becomes held or stops being held. A subscriber keeps its own counted subscriptions and
//! queues each change for every connected peer.

use bytes::Bytes;
use zmtp_core::Message;

use super::pipe::{queued_cost, wake};
use super::policy::{PeerSubscriptions, Policy};
use super::table::PeerTable;
use super::topics::subscription_message;
use crate::engine::{PipeId, SubscriptionCommand};
use crate::monitor::Refusal;

impl<P: Policy> PeerTable<P> {
    /// A publisher's peer subscribed (`subscribe`) or cancelled. A peer's subscriptions are a
    /// set, as in libzmq's publishers. For XPUB, returns the message to hand to the
    /// application: a topic new to the socket (every subscription when verbose), or one that
    /// no peer holds any more (every cancellation when verboser). A peer over the subscription
    /// limits is refused (disconnected). A manual XPUB only hands it up (see `manual.rs`).
    /// Connected peers holding at least one subscription (a publisher's readiness).
    pub(crate) fn subscribed_peers(&self) -> usize {
        self.pipes
            .iter()
            .filter(|pipe| pipe.connected && !pipe.topics.is_empty())
            .count()
    }

    pub(crate) fn peer_subscription(
        &mut self,
        id: PipeId,
        subscribe: bool,
        topic: Bytes,
    ) -> Result<Option<Message>, Refusal> {
        if self.settings.xpub_manual {
            return self.requested_subscription(id, subscribe, topic);
        }
        let Some(pipe) = self.pipes.get_mut(id) else {
            return Ok(None);
        };
        let (changed, held_elsewhere) = if subscribe {
            if pipe.topics.contains(&topic) {
                (false, true)
            } else {
                if !pipe.topics.has_room_for(topic.len()) {
                    return Err(Refusal::TooManySubscriptions);
                }
                pipe.topics.add(topic.clone());
                let holders = self.published.entry(&topic);
                let held_elsewhere = !holders.is_empty();
                holders.push(id);
                (true, held_elsewhere)
            }
        } else if pipe.topics.remove(&topic) {
            let remaining = self.published.update(&topic, |holders| {
                holders.retain(|&holder| holder != id);
                holders.len()
            });
            (true, remaining.unwrap_or(0) > 0)
        } else {
            (false, false)
        };
        if changed {
            self.readiness.notify_waiters();
        }
        if changed && !subscribe {
            // A sender held back by this pipe's full queue (XPUB_NODROP) may not be any more.
            wake(&mut self.send_waker);
        }
        // Verbose: every subscribe; verboser: every cancel too, as libzmq's
        // `_verbose_unsubs` (even one for a topic the peer did not hold).
        let notify = (changed && !held_elsewhere)
            || (subscribe && self.settings.xpub_verbose)
            || (!subscribe && self.settings.xpub_verboser);
        Ok(
            (P::PEER_SUBSCRIPTIONS == PeerSubscriptions::RecordAndNotify && notify)
                .then(|| subscription_message(subscribe, &topic)),
        )
    }

    /// The connection of `id` ended. An accepted peer's subscriptions go, and XPUB tells the
    /// application of each topic no other peer holds (each of them when verboser, each it had
    /// asked for when manual), after what the peer sent. A connecting
    /// publisher's pipe keeps its subscriptions for the reconnect, and keeps queuing what
    /// matches them meanwhile (libzmq does the same); the subscriber replays them on
    /// reconnect, which changes nothing then.
    pub(super) fn depart_subscriptions(&mut self, id: PipeId) {
        if P::PEER_SUBSCRIPTIONS == PeerSubscriptions::Ignore {
            return;
        }
        let Some(pipe) = self.pipes.get_mut(id).filter(|p| !p.persistent) else {
            return;
        };
        let topics = pipe.topics.take();
        let mut notices: Vec<Message> = pipe
            .requested
            .take()
            .iter()
            .map(|topic| subscription_message(false, topic))
            .collect();
        let manual = self.settings.xpub_manual;
        let every = self.settings.xpub_verboser;
        for topic in topics {
            let remaining = self.published.update(&topic, |holders| {
                holders.retain(|&holder| holder != id);
                holders.len()
            });
            // Manual: what the application applied goes silently; the notices are for what
            // the peer asked (above), as libzmq's `_manual_subscriptions`.
            if P::PEER_SUBSCRIPTIONS == PeerSubscriptions::RecordAndNotify
                && !manual
                && (every || remaining.unwrap_or(0) == 0)
            {
                notices.push(subscription_message(false, &topic));
            }
        }
        if notices.is_empty() {
            return;
        }
        let pipe = self.pipes.get_mut(id).expect("found above");
        for notice in notices {
            pipe.inbound_bytes += queued_cost(&notice);
            pipe.inbound.push_back(notice);
        }
        self.refresh_fq(id);
        wake(&mut self.recv_waker);
    }

    /// A pipe is removed: its subscriptions leave the index, without notices (its queue goes
    /// with it).
    pub(super) fn forget_subscriptions(&mut self, id: PipeId) {
        if P::PEER_SUBSCRIPTIONS == PeerSubscriptions::Ignore {
            return;
        }
        let Some(pipe) = self.pipes.get_mut(id) else {
            return;
        };
        pipe.requested.take();
        for topic in pipe.topics.take() {
            self.published.update(&topic, |holders| {
                holders.retain(|&holder| holder != id);
            });
        }
    }

    /// Records a subscriber's subscription and queues it for every connected peer when the topic
    /// is new (a counted subscription forwards only its first subscribe and last cancel, so
    /// reconnects can replay each topic once). XSUB forwards every subscribe, as libzmq does,
    /// so that an XPUB upstream in verbose mode sees each one.
    pub(crate) fn subscribe_local(&mut self, topic: Bytes, forward_every: bool) {
        let new = self.local.add(topic.clone());
        if new || forward_every {
            self.queue_command(SubscriptionCommand::Subscribe(topic));
        }
    }

    /// Cancels one local subscription; the last cancel of a topic is forwarded to peers.
    pub(crate) fn cancel_local(&mut self, topic: Bytes) {
        if self.local.remove(&topic) {
            self.queue_command(SubscriptionCommand::Cancel(topic));
        }
    }

    fn queue_command(&mut self, command: SubscriptionCommand) {
        for pipe in self.pipes.iter_mut().filter(|p| p.connected) {
            pipe.commands.push_back(command.clone());
            pipe.wake_driver(&mut self.deferred);
        }
    }
}
