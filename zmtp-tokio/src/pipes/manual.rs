//! ZMQ_XPUB_MANUAL: the XPUB does not apply its peers' subscriptions. Each one, repeated or
//! not, is handed to the application, which applies what it chooses to the peer the last
//! received message came from (libzmq: ZMQ_SUBSCRIBE/ZMQ_UNSUBSCRIBE on the XPUB apply to
//! `_last_pipe`). What the peer asked is kept apart from what was applied, so that its
//! departure hands up a cancellation for each topic it had asked for, as libzmq's
//! `_manual_subscriptions` does, while what the application applied goes silently.

use bytes::Bytes;
use zmtp_core::Message;

use super::pipe::wake;
use super::policy::Policy;
use super::table::PeerTable;
use super::topics::subscription_message;
use crate::engine::PipeId;
use crate::monitor::Refusal;

/// Why a manual subscription could not be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotApplied {
    /// The socket is not a manual XPUB: it applies its peers' subscriptions itself.
    NotManual,
    /// The peer has left (libzmq clears `_last_pipe` then, and ignores the call).
    Gone,
    /// The peer holds as many topics as a publisher keeps for one peer.
    TooManyTopics,
}

impl<P: Policy> PeerTable<P> {
    /// A peer of a manual XPUB asked for (`subscribe`) or cancelled `topic`: kept as asked,
    /// and handed up whatever it was (libzmq hands up every one in manual mode). A peer asking
    /// beyond the subscription limits is refused, as when subscriptions are applied.
    pub(super) fn requested_subscription(
        &mut self,
        id: PipeId,
        subscribe: bool,
        topic: Bytes,
    ) -> Result<Option<Message>, Refusal> {
        let Some(pipe) = self.pipes.get_mut(id) else {
            return Ok(None);
        };
        if !subscribe {
            pipe.requested.remove(&topic);
        } else if !pipe.requested.contains(&topic) {
            if !pipe.requested.has_room_for(topic.len()) {
                return Err(Refusal::TooManySubscriptions);
            }
            pipe.requested.add(topic.clone());
        }
        Ok(Some(subscription_message(subscribe, &topic)))
    }

    /// The application of a manual XPUB subscribes `id` to `topic`, or cancels it: from now
    /// on what is published goes to that peer by it. The peer must still be there: connected,
    /// or a connecting pipe between connections (which keeps its subscriptions).
    pub(crate) fn apply_subscription(
        &mut self,
        id: PipeId,
        subscribe: bool,
        topic: Bytes,
    ) -> Result<(), NotApplied> {
        if !self.settings.xpub_manual {
            return Err(NotApplied::NotManual);
        }
        // The peer has not left (whether messages may be queued for it now is another matter:
        // its subscriptions are recorded either way).
        let Some(pipe) = self.pipes.get_mut(id).filter(|p| p.usable(false)) else {
            return Err(NotApplied::Gone);
        };
        if subscribe {
            if pipe.topics.contains(&topic) {
                return Ok(());
            }
            if !pipe.topics.has_room_for(topic.len()) {
                return Err(NotApplied::TooManyTopics);
            }
            pipe.topics.add(topic.clone());
            self.published.entry(&topic).push(id);
        } else if pipe.topics.remove(&topic) {
            self.published.update(&topic, |holders| {
                holders.retain(|&holder| holder != id);
            });
            // A sender held back by this pipe's full queue (XPUB_NODROP) may not be any more.
            wake(&mut self.send_waker);
        }
        Ok(())
    }
}
