//! Counted topic subscriptions (RFC 29): subscribing twice needs two cancels; the empty topic
//! matches everything; matching is a byte-prefix test on the first frame.

use bytes::{BufMut, Bytes, BytesMut};
use zmtp_core::Message;

/// Most distinct topics a publisher keeps for one peer; a peer asking for more is dropped.
pub(crate) const MAX_TOPICS_PER_PEER: usize = 10_000;
/// Most topic bytes a publisher keeps for one peer.
pub(crate) const MAX_TOPIC_BYTES_PER_PEER: usize = 1024 * 1024;

/// A multiset of topic prefixes.
#[derive(Debug, Default, Clone)]
pub(crate) struct Subscriptions {
    // Few subscriptions per peer is the common case; a linear scan beats a map there.
    topics: Vec<(Bytes, usize)>,
    bytes: usize,
}

impl Subscriptions {
    /// Adds one subscription; returns true if the topic is new.
    pub(crate) fn add(&mut self, topic: Bytes) -> bool {
        match self.topics.iter_mut().find(|(t, _)| *t == topic) {
            Some((_, count)) => {
                *count += 1;
                false
            }
            None => {
                self.bytes += topic.len();
                self.topics.push((topic, 1));
                true
            }
        }
    }

    /// Removes one subscription; returns true if the topic is now gone. Cancelling a topic that
    /// was never subscribed is ignored, as libzmq does.
    pub(crate) fn remove(&mut self, topic: &[u8]) -> bool {
        let Some(i) = self.topics.iter().position(|(t, _)| t == topic) else {
            return false;
        };
        self.topics[i].1 -= 1;
        if self.topics[i].1 == 0 {
            self.bytes -= self.topics[i].0.len();
            self.topics.swap_remove(i);
            true
        } else {
            false
        }
    }

    /// Whether exactly `topic` is subscribed.
    pub(crate) fn contains(&self, topic: &[u8]) -> bool {
        self.topics.iter().any(|(t, _)| t == topic)
    }

    /// Whether any subscribed prefix matches `data`.
    pub(crate) fn matches(&self, data: &[u8]) -> bool {
        self.topics.iter().any(|(t, _)| data.starts_with(t))
    }

    /// Each distinct topic once.
    pub(crate) fn topics(&self) -> impl Iterator<Item = &Bytes> {
        self.topics.iter().map(|(t, _)| t)
    }

    pub(crate) fn clear(&mut self) {
        self.topics.clear();
        self.bytes = 0;
    }

    /// Whether one more topic of `len` bytes stays within the per-peer limits (each topic
    /// costs the publisher memory and a comparison per published message, so a peer must not
    /// be able to subscribe without bound).
    pub(crate) fn has_room_for(&self, len: usize) -> bool {
        self.topics.len() < MAX_TOPICS_PER_PEER && self.bytes + len <= MAX_TOPIC_BYTES_PER_PEER
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
    fn subscriptions_are_counted_and_prefix_matched() {
        let mut s = Subscriptions::default();
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
        assert!(s.contains(b"") && !s.contains(b"x"));
    }

    #[test]
    fn room_is_bounded_by_topic_count_and_bytes() {
        let mut s = Subscriptions::default();
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
        s.clear();
        assert!(s.has_room_for(MAX_TOPIC_BYTES_PER_PEER));
    }

    #[test]
    fn subscription_messages_round_trip() {
        let m = subscription_message(true, b"topic");
        assert_eq!(m.first().unwrap()[..], b"\x01topic"[..]);
        assert_eq!(
            parse_subscription(&m),
            Some((true, Bytes::from_static(b"topic")))
        );
        let m = subscription_message(false, b"");
        assert_eq!(parse_subscription(&m), Some((false, Bytes::new())));
        assert_eq!(parse_subscription(&Message::from("data")), None);
        assert_eq!(parse_subscription(&Message::from(Bytes::new())), None);
    }
}
