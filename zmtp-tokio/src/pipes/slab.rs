//! Peers by id: a slab of entries whose ids carry a generation, so that finding a peer costs
//! O(1) whatever their number, and an id kept by a task after its peer left (a driver, the
//! application's receive run) can never name a newer peer that reuses the slot.

use crate::engine::PipeId;

#[derive(Debug)]
pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    /// Indices of vacant entries, reused last in first out.
    free: Vec<u32>,
    len: usize,
}

#[derive(Debug)]
struct Entry<T> {
    generation: u32,
    value: Option<T>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Stores `make(id)` under a new id and returns the id.
    pub(crate) fn insert_with(&mut self, make: impl FnOnce(PipeId) -> T) -> PipeId {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.entries.push(Entry {
                    generation: 0,
                    value: None,
                });
                (self.entries.len() - 1) as u32
            }
        };
        let entry = &mut self.entries[index as usize];
        let id = PipeId::new(index, entry.generation);
        entry.value = Some(make(id));
        self.len += 1;
        id
    }

    pub(crate) fn get(&self, id: PipeId) -> Option<&T> {
        let entry = self.entries.get(id.index() as usize)?;
        if entry.generation != id.generation() {
            return None;
        }
        entry.value.as_ref()
    }

    pub(crate) fn get_mut(&mut self, id: PipeId) -> Option<&mut T> {
        let entry = self.entries.get_mut(id.index() as usize)?;
        if entry.generation != id.generation() {
            return None;
        }
        entry.value.as_mut()
    }

    /// Takes the entry out; its id is never valid again.
    pub(crate) fn remove(&mut self, id: PipeId) -> Option<T> {
        let entry = self.entries.get_mut(id.index() as usize)?;
        if entry.generation != id.generation() {
            return None;
        }
        let value = entry.value.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(id.index());
        self.len -= 1;
        Some(value)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().filter_map(|e| e.value.as_ref())
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.entries.iter_mut().filter_map(|e| e.value.as_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_id_never_finds_the_entry_that_reuses_its_slot() {
        let mut slab = Slab::default();
        let a = slab.insert_with(|_| "a");
        let b = slab.insert_with(|_| "b");
        assert_eq!(slab.get(a), Some(&"a"));
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None);
        let c = slab.insert_with(|_| "c");
        assert_eq!(c.index(), a.index(), "the slot is reused");
        assert_eq!(slab.get(a), None, "the old id is stale");
        assert_eq!(slab.get(c), Some(&"c"));
        assert_eq!(slab.get(b), Some(&"b"));
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.iter().count(), 2);
    }
}
