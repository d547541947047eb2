//! Subscription topics (RFC 29): the set a publisher keeps for each peer (bounded), the counted
//! subscriptions a subscriber keeps for itself (with a trie to filter what arrives), and the
//! `1 topic` / `0 topic` message form XPUB and XSUB exchange with their applications.

use std::collections::HashSet;

use bytes::{BufMut, Bytes, BytesMut};
use zmtp_core::Message;

use super::trie::Trie;

/// Most distinct topics a publisher keeps for one peer; a peer asking for more is dropped.
pub(crate) const MAX_TOPICS_PER_PEER: usize = 10_000;
/// Most topic bytes a publisher keeps for one peer.
pub(crate) const MAX_TOPIC_BYTES_PER_PEER: usize = 1024 * 1024;

/// What a publisher keeps of one peer's subscriptions: a set, as libzmq's publishers keep
/// (subscribing twice and cancelling once cancels).
#[derive(Debug, Default)]
pub(crate) struct PeerTopics {
    topics: HashSet<Bytes>,
    bytes: usize,
}

impl PeerTopics {
    /// Adds `topic`; true if it is new.
    pub(crate) fn add(&mut self, topic: Bytes) -> bool {
        let len = topic.len();
        let new = self.topics.insert(topic);
        if new {
            self.bytes += len;
        }
        new
    }

    /// Removes `topic`; true if it was there.
    pub(crate) fn remove(&mut self, topic: &[u8]) -> bool {
        let removed = self.topics.remove(topic);
        if removed {
            self.bytes -= topic.len();
        }
        removed
    }

    pub(crate) fn contains(&self, topic: &[u8]) -> bool {
        self.topics.contains(topic)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// Empties the set, returning the topics.
    pub(crate) fn take(&mut self) -> Vec<Bytes> {
        self.bytes = 0;
        self.topics.drain().collect()
    }

    /// Whether one more topic of `len` bytes stays within the per-peer limits (each topic
    /// costs the publisher memory, so a peer must not be able to subscribe without bound).
    pub(crate) fn has_room_for(&self, len: usize) -> bool {
        self.topics.len() < MAX_TOPICS_PER_PEER && self.bytes + len <= MAX_TOPIC_BYTES_PER_PEER
    }
}

/// A subscriber's own subscriptions, counted (subscribing "A" twice needs two cancels), in a
/// trie of counts: filtering a received message costs its topic's length, not the number of
/// subscriptions, and walking it yields the topics in byte order for the replay on connect.
#[derive(Debug, Default)]
pub(crate) struct LocalSubscriptions {
    counts: Trie<usize>,
}

impl LocalSubscriptions {
    /// Adds one subscription; true if the topic is new.
    pub(crate) fn add(&mut self, topic: Bytes) -> bool {
        let count = self.counts.entry(&topic);
        *count += 1;
        *count == 1
    }

    /// Removes one subscription; true if the topic is now gone. Cancelling a topic never
    /// subscribed is ignored, as libzmq does.
    pub(crate) fn remove(&mut self, topic: &[u8]) -> bool {
        self.counts
            .update(topic, |count| match *count {
                0 => false,
                _ => {
                    *count -= 1;
                    *count == 0
                }
            })
            .unwrap_or(false)
    }

    /// Whether a subscribed prefix matches `data`.
    pub(crate) fn matches(&self, data: &[u8]) -> bool {
        self.counts.matches(data)
    }

    /// Each distinct topic once, in byte order as libzmq's trie walk sends them on connect:
    /// the empty topic (everything) first, so that a publisher whose application reads its
    /// notices slowly still learns the broadest subscription before the others.
    pub(crate) fn sorted_topics(&self) -> Vec<Bytes> {
        self.counts.topics()
    }
}

/// A subscription as a message, as XPUB hands it to the application and XSUB takes it from
/// the application: `1 topic` to subscribe, `0 topic` to cancel (RFC 29, ZMTP 3.0's form).
pub(crate) fn subscription_message(subscribe: bool, topic: &[u8]) -> Message {
    let mut frame = BytesMut::with_capacity(1 + topic.len());
    frame.put_u8(u8::from(subscribe));
    frame.extend_from_slice(topic);
    Message::from(frame.freeze())
}

/// The reverse of [`subscription_message`]: `Some((subscribe, topic))` when the first frame
/// starts with 1 or 0.
pub(crate) fn parse_subscription(message: &Message) -> Option<(bool, Bytes)> {
    let frame = message.first()?;
    match frame.first()? {
        1 => Some((true, frame.slice(1..))),
        0 => Some((false, frame.slice(1..))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_subscriptions_are_counted_and_prefix_matched() {
        let mut s = LocalSubscriptions::default();
        assert!(!s.matches(b"anything"));
        assert!(s.add(Bytes::from_static(b"A")));
        assert!(!s.add(Bytes::from_static(b"A")));
        assert!(s.matches(b"Apple") && !s.matches(b"Banana") && !s.matches(b""));
        assert!(!s.remove(b"A"));
        assert!(
            s.matches(b"Apple"),
            "one cancel of two leaves it subscribed"
        );
        assert!(s.remove(b"A"));
        assert!(!s.matches(b"Apple"));
        assert!(!s.remove(b"never"));
        s.add(Bytes::new());
        assert!(s.matches(b"") && s.matches(b"x"), "empty topic matches all");
        assert_eq!(s.sorted_topics(), [Bytes::new()]);
        s.add(Bytes::from_static(b"b"));
        s.add(Bytes::from_static(b"a"));
        s.add(Bytes::from_static(b"b"));
        assert_eq!(
            s.sorted_topics(),
            [
                Bytes::new(),
                Bytes::from_static(b"a"),
                Bytes::from_static(b"b")
            ],
            "replayed once each, everything first"
        );
    }

    #[test]
    fn a_peers_topics_are_a_set_bounded_by_count_and_bytes() {
        let mut s = PeerTopics::default();
        assert!(s.add(Bytes::from_static(b"A")));
        assert!(!s.add(Bytes::from_static(b"A")), "a set, not counted");
        assert!(s.contains(b"A"));
        assert!(s.remove(b"A") && !s.remove(b"A"));
        assert!(s.has_room_for(MAX_TOPIC_BYTES_PER_PEER));
        assert!(!s.has_room_for(MAX_TOPIC_BYTES_PER_PEER + 1));
        s.add(Bytes::from(vec![b'x'; 1000]));
        assert!(!s.has_room_for(MAX_TOPIC_BYTES_PER_PEER - 999));
        assert!(s.remove(&[b'x'; 1000]));
        assert!(s.has_room_for(MAX_TOPIC_BYTES_PER_PEER));
        for i in 0..MAX_TOPICS_PER_PEER {
            s.add(Bytes::from(i.to_string()));
        }
        assert!(!s.has_room_for(0), "the topic count is bounded too");
        assert_eq!(s.take().len(), MAX_TOPICS_PER_PEER);
        assert!(s.is_empty() && s.has_room_for(MAX_TOPIC_BYTES_PER_PEER));
    }

    #[test]
    fn subscription_messages_round_trip() {
        let m = subscription_message(true, b"news");
        assert_eq!(m.first().unwrap(), &b"\x01news"[..]);
        assert_eq!(
            parse_subscription(&m),
            Some((true, Bytes::from_static(b"news")))
        );
        let m = subscription_message(false, b"");
        assert_eq!(parse_subscription(&m), Some((false, Bytes::new())));
        assert_eq!(parse_subscription(&Message::from("x")), None);
    }
}
