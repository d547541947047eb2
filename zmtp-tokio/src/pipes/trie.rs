//! A prefix trie over byte strings (libzmq's trie/mtrie): matching a message against every
//! subscription costs the length of the longest subscription it walks, plus the matches,
//! whatever the number of subscriptions and subscribers.
//!
//! Each node holds a value for the topic that ends there (a count for a subscriber's own
//! subscriptions, the set of subscribed peers for a publisher). Nodes live in one arena and
//! are pruned when their value and children are gone, so memory follows the topics held.

#[derive(Debug)]
pub(crate) struct Trie<V> {
    nodes: Vec<Node<V>>,
    free: Vec<u32>,
}

#[derive(Debug)]
struct Node<V> {
    /// Children by next byte, sorted.
    children: Vec<(u8, u32)>,
    value: V,
}

const ROOT: u32 = 0;

impl<V: Default + Empty> Default for Trie<V> {
    fn default() -> Self {
        Trie {
            nodes: vec![Node {
                children: Vec::new(),
                value: V::default(),
            }],
            free: Vec::new(),
        }
    }
}

/// Whether a node's value holds nothing (the node may then be pruned).
pub(crate) trait Empty {
    fn is_empty(&self) -> bool;
}

impl Empty for usize {
    fn is_empty(&self) -> bool {
        *self == 0
    }
}

impl<T> Empty for Vec<T> {
    fn is_empty(&self) -> bool {
        Vec::is_empty(self)
    }
}

impl<V: Default + Empty> Trie<V> {
    /// The value of exactly `topic`, if its node exists.
    #[cfg(test)]
    pub(crate) fn get(&self, topic: &[u8]) -> Option<&V> {
        let mut node = ROOT;
        for &byte in topic {
            node = self.child(node, byte)?;
        }
        Some(&self.nodes[node as usize].value)
    }

    /// The value of exactly `topic`, creating its node.
    pub(crate) fn entry(&mut self, topic: &[u8]) -> &mut V {
        let mut node = ROOT;
        for &byte in topic {
            node = match self.child(node, byte) {
                Some(child) => child,
                None => self.add_child(node, byte),
            };
        }
        &mut self.nodes[node as usize].value
    }

    /// Changes the value of exactly `topic` (if its node exists), then prunes what became
    /// empty along its path. Returns what `change` returned.
    pub(crate) fn update<R>(
        &mut self,
        topic: &[u8],
        change: impl FnOnce(&mut V) -> R,
    ) -> Option<R> {
        let mut path = Vec::with_capacity(topic.len() + 1);
        let mut node = ROOT;
        path.push(node);
        for &byte in topic {
            node = self.child(node, byte)?;
            path.push(node);
        }
        let result = change(&mut self.nodes[node as usize].value);
        // Prune from the leaf upwards while nodes hold nothing (never the root).
        for depth in (1..path.len()).rev() {
            let node = path[depth] as usize;
            if !self.nodes[node].value.is_empty() || !self.nodes[node].children.is_empty() {
                break;
            }
            let parent = path[depth - 1] as usize;
            let byte = topic[depth - 1];
            if let Ok(i) = self.nodes[parent]
                .children
                .binary_search_by_key(&byte, |c| c.0)
            {
                self.nodes[parent].children.remove(i);
            }
            self.free.push(path[depth]);
        }
        Some(result)
    }

    /// Calls `each` with the value of every topic that is a prefix of `data` (the empty topic
    /// first), walking only as deep as `data` and the trie both go.
    pub(crate) fn for_each_prefix(&self, data: &[u8], mut each: impl FnMut(&V)) {
        let mut node = ROOT;
        each(&self.nodes[node as usize].value);
        for &byte in data {
            match self.child(node, byte) {
                Some(child) => node = child,
                None => return,
            }
            each(&self.nodes[node as usize].value);
        }
    }

    /// Every topic with a non-empty value, in byte order (a topic before those it prefixes).
    /// Iterative (topics may be long): a depth-first walk with an explicit stack, children
    /// pushed in reverse so that they come off in byte order.
    pub(crate) fn topics(&self) -> Vec<bytes::Bytes> {
        let mut topics = Vec::new();
        let mut path = Vec::new();
        // (node, its depth, the byte that leads to it; none for the root)
        let mut stack = vec![(ROOT, 0, None)];
        while let Some((id, depth, byte)) = stack.pop() {
            path.truncate(depth);
            path.extend(byte);
            let node = &self.nodes[id as usize];
            if !node.value.is_empty() {
                topics.push(bytes::Bytes::copy_from_slice(&path));
            }
            let below = path.len();
            stack.extend(
                node.children
                    .iter()
                    .rev()
                    .map(|&(b, c)| (c, below, Some(b))),
            );
        }
        topics
    }

    /// Whether any topic that is a prefix of `data` has a non-empty value.
    pub(crate) fn matches(&self, data: &[u8]) -> bool {
        let mut node = ROOT;
        if !self.nodes[node as usize].value.is_empty() {
            return true;
        }
        for &byte in data {
            match self.child(node, byte) {
                Some(child) => node = child,
                None => return false,
            }
            if !self.nodes[node as usize].value.is_empty() {
                return true;
            }
        }
        false
    }

    fn child(&self, node: u32, byte: u8) -> Option<u32> {
        let children = &self.nodes[node as usize].children;
        children
            .binary_search_by_key(&byte, |c| c.0)
            .ok()
            .map(|i| children[i].1)
    }

    fn add_child(&mut self, node: u32, byte: u8) -> u32 {
        let fresh = Node {
            children: Vec::new(),
            value: V::default(),
        };
        let child = match self.free.pop() {
            Some(reused) => {
                self.nodes[reused as usize] = fresh;
                reused
            }
            None => {
                self.nodes.push(fresh);
                (self.nodes.len() - 1) as u32
            }
        };
        let children = &mut self.nodes[node as usize].children;
        let at = children.partition_point(|c| c.0 < byte);
        children.insert(at, (byte, child));
        child
    }

    /// Nodes in use (for tests: pruning gives memory back).
    #[cfg(test)]
    fn live_nodes(&self) -> usize {
        self.nodes.len() - self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Against a map of topic -> count: prefix matching, exact lookups, and pruning back
        /// to the root alone once every topic is gone.
        #[test]
        fn counted_topics_follow_a_map(
            ops in prop::collection::vec((any::<bool>(), prop::collection::vec(0u8..3, 0..4)), 0..80),
            probes in prop::collection::vec(prop::collection::vec(0u8..3, 0..6), 1..10),
        ) {
            let mut trie: Trie<usize> = Trie::default();
            let mut model: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
            for (add, topic) in ops {
                if add {
                    *trie.entry(&topic) += 1;
                    *model.entry(topic).or_default() += 1;
                } else if model.get(&topic).is_some_and(|&n| n > 0) {
                    trie.update(&topic, |n| *n -= 1).unwrap();
                    let n = model.get_mut(&topic).unwrap();
                    *n -= 1;
                    if *n == 0 {
                        model.remove(&topic);
                    }
                }
            }
            for probe in &probes {
                let expected = model.keys().any(|t| probe.starts_with(t));
                prop_assert_eq!(trie.matches(probe), expected);
                let mut counted = 0;
                trie.for_each_prefix(probe, |n| counted += n);
                let model_count: usize = model.iter().filter(|(t, _)| probe.starts_with(t)).map(|(_, n)| n).sum();
                prop_assert_eq!(counted, model_count);
                prop_assert_eq!(trie.get(probe).copied().unwrap_or(0), model.get(probe).copied().unwrap_or(0));
            }
            let listed: Vec<Vec<u8>> = trie.topics().iter().map(|t| t.to_vec()).collect();
            prop_assert_eq!(listed, model.keys().cloned().collect::<Vec<_>>(), "in byte order");
            for (topic, n) in model.clone() {
                trie.update(&topic, |c| *c -= n).unwrap();
            }
            prop_assert_eq!(trie.live_nodes(), 1, "only the root is left");
        }
    }
}
