//! Counted topic subscriptions (RFC 29): subscribing twice needs two cancels; the empty topic
//! matches everything; matching is a byte-prefix test on the first frame.

use bytes::Bytes;

/// A multiset of topic prefixes.
#[derive(Debug, Default, Clone)]
pub(crate) struct Subscriptions {
    // Few subscriptions per peer is the common case; a linear scan beats a map there.
    topics: Vec<(Bytes, usize)>,
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
            self.topics.swap_remove(i);
            true
        } else {
            false
        }
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
    }
}
