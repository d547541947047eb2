//! The two sides of an inproc link and the flows between them, shared by the link's task and
//! the sides' wakers. A side's waker moves the messages itself, in the thread that queued them
//! (after the table's lock is released), when nobody else is moving them: a message then
//! reaches the peer's queue without a task switch, as libzmq's inproc pipe is written by the
//! sender. The task does the rest: what a busy or closing link leaves, linger, the end.

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use super::flow::{Flow, Stopped};
use super::side::{Side, SideParts};
use crate::engine::context::lock;
use crate::monitor::Refusal;

/// Passes of a wake-up run in a waker's thread before the rest is left to the task.
const INLINE_ROUNDS: usize = 4;

/// How a link ended.
pub(super) enum End {
    /// A side's socket or endpoint stopped, or a side's pipe went: the side named closed.
    Closed { connector: bool },
    /// A side refused what the other sent (too many subscriptions).
    Refused { connector: bool, refusal: Refusal },
}

/// The sides and flows of one link.
pub(super) struct Pair {
    pub(super) connector: Side,
    pub(super) binder: Side,
    /// connector → binder, and binder → connector.
    pub(super) up: Flow,
    pub(super) down: Flow,
    /// An end found by a waker, for the task to act on.
    pub(super) ended: Option<End>,
}

/// A [`Pair`] behind its lock: whoever holds it moves the messages.
pub(super) struct Shared {
    pair: Mutex<Pair>,
}

impl Shared {
    /// A pair whose sides' wakers reach it.
    pub(super) fn new(connector: SideParts, binder: SideParts) -> Arc<Shared> {
        Arc::new_cyclic(|shared: &Weak<Shared>| Shared {
            pair: Mutex::new(Pair {
                connector: Side::new(connector, shared.clone()),
                binder: Side::new(binder, shared.clone()),
                up: Flow::default(),
                down: Flow::default(),
                ended: None,
            }),
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Pair> {
        lock(&self.pair)
    }

    /// From a side's waker: does the moving now if nobody else is (the task, or another
    /// thread's waker) and the link is in its plain running state. `false` leaves it to the
    /// task, which the caller then wakes.
    pub(super) fn run_inline(&self) -> bool {
        let Ok(mut pair) = self.pair.try_lock() else {
            return false;
        };
        if pair.ended.is_some() || pair.any_side_stopping() {
            return false;
        }
        for _ in 0..INLINE_ROUNDS {
            match pair.pass() {
                Ok(true) => {}
                Ok(false) => return true,
                Err(end) => {
                    pair.ended = Some(end);
                    return false;
                }
            }
        }
        false
    }
}

impl Pair {
    pub(super) fn side_mut(&mut self, connector: bool) -> &mut Side {
        if connector {
            &mut self.connector
        } else {
            &mut self.binder
        }
    }

    /// Whether a side's socket is closing or its endpoint stopped: the task handles that.
    fn any_side_stopping(&self) -> bool {
        [&self.connector, &self.binder]
            .iter()
            .any(|side| side.closing || side.stop_fired())
    }

    /// Serves every side woken since the last pass. `Ok(false)` when none was.
    pub(super) fn pass(&mut self) -> Result<bool, End> {
        let mut woken = false;
        for connector in [true, false] {
            if self.side_mut(connector).wake.take() {
                woken = true;
                self.serve(connector)?;
            }
        }
        Ok(woken)
    }

    /// A side was woken (a message queued in its pipe, or room made in it): hands over what
    /// waits for it, then takes what it queued for the other side.
    fn serve(&mut self, connector: bool) -> Result<(), End> {
        let (side, other, into, out) = if connector {
            (&self.connector, &self.binder, &mut self.down, &mut self.up)
        } else {
            (&self.binder, &self.connector, &mut self.up, &mut self.down)
        };
        into.deliver(side);
        if into.wants_source() {
            // The other side had more than this one had room for.
            other.wake.mark();
        }
        match out.collect(side, other) {
            Ok(_) => {}
            Err(Stopped::SourceGone) => return Err(End::Closed { connector }),
            Err(Stopped::Refused(refusal)) => {
                return Err(End::Refused {
                    connector: !connector,
                    refusal,
                })
            }
        }
        if out.wants_source() {
            // A whole batch went and there is room for more.
            side.wake.mark();
        }
        side.wake.set_batching(out.receiver_behind());
        Ok(())
    }
}
