//! ROUTER identities: which connected peer each routing id names, and libzmq's generated ids
//! for peers that announce none (a zero byte, then a 32-bit counter starting at a random
//! value, so that ids are not reused soon after a peer leaves and are not guessable).

use std::collections::HashMap;

use bytes::Bytes;

use crate::engine::PipeId;

#[derive(Debug)]
pub(crate) struct RoutingIds {
    routes: HashMap<Bytes, PipeId>,
    next: u32,
}

impl RoutingIds {
    pub(crate) fn new() -> RoutingIds {
        let mut seed = [0u8; 4];
        // A fixed start only makes generated ids predictable; routing still works.
        let _ = getrandom::fill(&mut seed);
        RoutingIds {
            routes: HashMap::new(),
            next: u32::from_be_bytes(seed),
        }
    }

    /// A fresh id, `0x00` and four bytes, not in use.
    pub(crate) fn generate(&mut self) -> Bytes {
        loop {
            let mut id = [0u8; 5];
            id[1..].copy_from_slice(&self.next.to_be_bytes());
            self.next = self.next.wrapping_add(1);
            if !self.routes.contains_key(&id[..]) {
                return Bytes::copy_from_slice(&id);
            }
        }
    }

    pub(crate) fn lookup(&self, id: &[u8]) -> Option<PipeId> {
        self.routes.get(id).copied()
    }

    pub(crate) fn insert(&mut self, id: Bytes, peer: PipeId) {
        self.routes.insert(id, peer);
    }

    pub(crate) fn remove(&mut self, id: &[u8]) {
        self.routes.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_five_bytes_with_a_zero_first_and_never_collide() {
        let mut ids = RoutingIds::new();
        let first = ids.generate();
        assert_eq!(first.len(), 5);
        assert_eq!(first[0], 0);
        ids.insert(first.clone(), PipeId::new(1, 0));
        // Force the counter back onto a taken id: it is skipped.
        ids.next = u32::from_be_bytes(first[1..].try_into().unwrap());
        let second = ids.generate();
        assert_ne!(first, second);
        assert_eq!(ids.lookup(&first), Some(PipeId::new(1, 0)));
        ids.remove(&first);
        assert_eq!(ids.lookup(&first), None);
    }
}
