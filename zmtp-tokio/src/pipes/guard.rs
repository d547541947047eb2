//! The peer table's lock, with the drivers it woke woken after it is released.
//!
//! A driver woken while the table is locked would, if it ran at once (an inproc link runs in
//! the waker's own thread when it can: `engine/inproc/side.rs`), need the same lock; and a task
//! woken under a lock may start on another thread only to wait for it. So the table collects
//! the drivers' wakers while locked, and the guard wakes them after unlocking. (The
//! application's wakers are tokio tasks' and are woken in place.)

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::sync::MutexGuard;
use std::task::Waker;

use super::{PeerTable, Policy};

thread_local! {
    /// Wakers taken out of a table before its lock is released, kept between uses so that
    /// waking costs no allocation. (A waker running code that locks another table finds it
    /// taken and uses a fresh list.)
    static SCRATCH: Cell<Vec<Waker>> = const { Cell::new(Vec::new()) };
}

/// The locked peer table (`Pipes::table`).
pub(crate) struct TableGuard<'a, P: Policy> {
    /// Always `Some` until dropped.
    guard: Option<MutexGuard<'a, PeerTable<P>>>,
}

impl<'a, P: Policy> TableGuard<'a, P> {
    pub(super) fn new(guard: MutexGuard<'a, PeerTable<P>>) -> TableGuard<'a, P> {
        TableGuard { guard: Some(guard) }
    }
}

impl<P: Policy> Deref for TableGuard<'_, P> {
    type Target = PeerTable<P>;

    fn deref(&self) -> &PeerTable<P> {
        self.guard.as_deref().expect("held until dropped")
    }
}

impl<P: Policy> DerefMut for TableGuard<'_, P> {
    fn deref_mut(&mut self) -> &mut PeerTable<P> {
        self.guard.as_deref_mut().expect("held until dropped")
    }
}

impl<P: Policy> Drop for TableGuard<'_, P> {
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        match guard.deferred.len() {
            0 => return,
            1 => {
                // The usual case (one driver told of one message) without the list.
                let waker = guard.deferred.pop();
                drop(guard);
                if let Some(waker) = waker {
                    waker.wake();
                }
                return;
            }
            _ => {}
        }
        let mut wakers = SCRATCH.take();
        wakers.append(&mut guard.deferred);
        drop(guard);
        for waker in wakers.drain(..) {
            waker.wake();
        }
        SCRATCH.set(wakers);
    }
}
