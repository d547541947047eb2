//! The publishing side of the peer table: subscriptions each peer holds (a set per peer, as
//! libzmq's publishers keep, bounded), XPUB's notices to the application, fan-out, and a
//! subscriber's own subscriptions sent to its peers.

use bytes::Bytes;
use zmtp_core::{Message, SocketType};

use super::{PeerId, PeerTable, SubscriptionCommand};
use crate::monitor::Refusal;
use crate::socket::subscriptions::subscription_message;

impl PeerTable {
    /// A publisher's peer subscribed (`subscribe`) or cancelled. A peer's subscriptions are a
    /// set, as in libzmq's publishers. For XPUB, returns the message to hand to the
    /// application: a topic new to the socket (every subscription when verbose), or one that
    /// no peer holds any more. A peer over the subscription limits is refused (disconnected).
    pub(crate) fn peer_subscription(
        &mut self,
        id: PeerId,
        subscribe: bool,
        topic: Bytes,
    ) -> Result<Option<Message>, Refusal> {
        let held_elsewhere = self.peers.iter().any(|p| p.id != id && p.holds(&topic));
        let Some(peer) = self.find(id) else {
            return Ok(None);
        };
        let changed = if subscribe {
            let new = !peer.subscriptions.contains(&topic);
            if new && !peer.subscriptions.has_room_for(topic.len()) {
                return Err(Refusal::TooManySubscriptions);
            }
            new && peer.subscriptions.add(topic.clone())
        } else {
            peer.subscriptions.remove(&topic)
        };
        let notify = (changed && !held_elsewhere) || (subscribe && self.policy.xpub_verbose);
        Ok((self.policy.socket_type == SocketType::XPub && notify)
            .then(|| subscription_message(subscribe, &topic)))
    }

    /// XPUB: cancellations for the topics only the departing peer `id` held. A connecting
    /// XPUB's pipe keeps its subscriptions across reconnects, so its departure cancels nothing.
    pub(super) fn xpub_departure_notices(&self, id: PeerId) -> Vec<Message> {
        if self.policy.socket_type != SocketType::XPub {
            return Vec::new();
        }
        let Some(peer) = self.peers.iter().find(|p| p.id == id && !p.persistent) else {
            return Vec::new();
        };
        peer.subscriptions
            .topics()
            .filter(|topic| !self.peers.iter().any(|p| p.id != id && p.holds(topic)))
            .map(|topic| subscription_message(false, topic))
            .collect()
    }

    /// Publishes to every connected peer whose subscriptions match the first frame (every
    /// connected peer when `filtered` is false: XSUB's upstream messages), dropping for peers
    /// at their high-water mark. Never blocks. Returns how many peers got it.
    pub(crate) fn send_fan_out(&mut self, message: &Message, filtered: bool) -> usize {
        let topic = message.first().map_or(&[][..], |f| &f[..]);
        let hwm = self.limits.send_hwm;
        let mut sent = 0;
        for peer in &mut self.peers {
            let full = hwm != 0 && peer.outbound.len() >= hwm;
            let wanted = !filtered || peer.subscriptions.matches(topic);
            // A connecting pipe queues between connections too (up to its HWM), as libzmq's.
            let usable = peer.info.is_some() || peer.persistent;
            if usable && !full && wanted {
                peer.outbound.push_back(message.clone());
                peer.wake_driver();
                sent += 1;
            }
        }
        sent
    }

    /// Records a subscriber's subscription and queues it for every connected peer when the topic
    /// is new (a counted subscription forwards only its first subscribe and last cancel, so
    /// reconnects can replay each topic once). XSUB forwards every subscribe, as libzmq does,
    /// so that an XPUB upstream in verbose mode sees each one.
    pub(crate) fn subscribe_local(&mut self, topic: Bytes) {
        let new = self.local_subscriptions.add(topic.clone());
        if new || self.policy.socket_type == SocketType::XSub {
            self.queue_command(SubscriptionCommand::Subscribe(topic));
        }
    }

    /// Cancels one local subscription; the last cancel of a topic is forwarded to peers.
    pub(crate) fn cancel_local(&mut self, topic: Bytes) {
        if self.local_subscriptions.remove(&topic) {
            self.queue_command(SubscriptionCommand::Cancel(topic));
        }
    }

    fn queue_command(&mut self, command: SubscriptionCommand) {
        for peer in self.peers.iter_mut().filter(|p| p.info.is_some()) {
            peer.commands.push_back(command.clone());
            peer.wake_driver();
        }
    }
}
