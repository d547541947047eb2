//! A set of pipes that supports O(1) insert, remove and round-robin choice: libzmq's "active
//! pipes" (lb.cpp, fq.cpp), which keep the pipes that can be used now at the front of an array
//! so that choosing one never scans the others. Each pipe records its slot in the set, so
//! removing it needs no search.

use crate::engine::PipeId;

#[derive(Debug, Default)]
pub(crate) struct ActiveSet {
    pipes: Vec<PipeId>,
    /// The next slot to use.
    cursor: usize,
}

impl ActiveSet {
    /// Adds `id` unless `slot` says it is in already; records its slot.
    pub(crate) fn insert(&mut self, id: PipeId, slot: &mut Option<u32>) {
        if slot.is_none() {
            *slot = Some(self.pipes.len() as u32);
            self.pipes.push(id);
        }
    }

    /// Removes the pipe at `slot` (if any); the pipe moved into its place gets its new slot
    /// through `moved`.
    pub(crate) fn remove(&mut self, slot: &mut Option<u32>, moved: impl FnOnce(PipeId, u32)) {
        let Some(at) = slot.take() else { return };
        let at = at as usize;
        self.pipes.swap_remove(at);
        if let Some(&other) = self.pipes.get(at) {
            moved(other, at as u32);
        }
    }

    /// The pipe whose turn it is, advancing the turn.
    pub(crate) fn next(&mut self) -> Option<PipeId> {
        if self.pipes.is_empty() {
            return None;
        }
        if self.cursor >= self.pipes.len() {
            self.cursor = 0;
        }
        let id = self.pipes[self.cursor];
        self.cursor += 1;
        Some(id)
    }

    pub(crate) fn len(&self) -> usize {
        self.pipes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pipes.is_empty()
    }

    pub(crate) fn clear(&mut self) -> Vec<PipeId> {
        self.cursor = 0;
        std::mem::take(&mut self.pipes)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A set with its slots kept as a table would keep them.
    struct Model {
        set: ActiveSet,
        slots: HashMap<PipeId, Option<u32>>,
    }

    impl Model {
        fn insert(&mut self, id: PipeId) {
            let slot = self.slots.entry(id).or_default();
            self.set.insert(id, slot);
        }

        fn remove(&mut self, id: PipeId) {
            let mut slot = self.slots.get(&id).copied().flatten();
            let mut moved_to = None;
            self.set
                .remove(&mut slot, |other, at| moved_to = Some((other, at)));
            self.slots.insert(id, slot);
            if let Some((other, at)) = moved_to {
                self.slots.insert(other, Some(at));
            }
        }
    }

    #[test]
    fn every_member_gets_its_turn_and_removal_keeps_slots_right() {
        let ids: Vec<PipeId> = (0..5).map(|i| PipeId::new(i, 0)).collect();
        let mut m = Model {
            set: ActiveSet::default(),
            slots: HashMap::new(),
        };
        for &id in &ids {
            m.insert(id);
            m.insert(id); // twice is once
        }
        assert_eq!(m.set.len(), 5);
        let turns: Vec<PipeId> = (0..5).map(|_| m.set.next().unwrap()).collect();
        assert_eq!(turns, ids, "one turn each, in order");
        m.remove(ids[1]);
        m.remove(ids[4]);
        m.remove(ids[4]); // absent: nothing
        assert_eq!(m.set.len(), 3);
        for (id, slot) in &m.slots {
            if let Some(slot) = slot {
                assert_eq!(m.set.pipes[*slot as usize], *id, "recorded slot is right");
            }
        }
        let mut seen: Vec<PipeId> = (0..3).map(|_| m.set.next().unwrap()).collect();
        seen.sort_by_key(|id| id.index());
        assert_eq!(
            seen,
            vec![ids[0], ids[2], ids[3]],
            "each remaining once per round"
        );
        assert_eq!(m.set.clear().len(), 3);
        assert!(m.set.is_empty() && m.set.next().is_none());
    }
}
