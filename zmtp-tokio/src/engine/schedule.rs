//! Whether a connection's task was woken for new outbound messages and has not come for them
//! yet. A publisher whose subscriber's queue is full waits on this instead of dropping: the
//! queue is full because the connection task has not had its turn (a burst from a task that
//! never yields, or a runtime slow to unpark a worker), not because the subscriber is slow.
//! Dropping at the high-water mark is ZeroMQ; dropping before the connection ran is not.

use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Context;

use futures::task::AtomicWaker;

#[derive(Debug, Default)]
pub(crate) struct Schedule {
    woken: AtomicBool,
    waiter: AtomicWaker,
}

impl Schedule {
    /// The pipes woke the connection's task for new messages.
    pub(crate) fn mark_woken(&self) {
        self.woken.store(true, Ordering::Release);
    }

    /// Registers `cx` to be woken when the connection comes for its messages, then says
    /// whether it still has to (registering first, so that no turn is missed in between).
    pub(crate) fn poll_pending(&self, cx: &Context<'_>) -> bool {
        self.waiter.register(cx.waker());
        self.woken.load(Ordering::Acquire)
    }

    /// The connection came for its messages (or cannot take more, or ended): whoever waited
    /// looks again.
    pub(crate) fn ran(&self) {
        if self.woken.swap(false, Ordering::AcqRel) {
            self.waiter.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};

    use super::*;

    struct Count(std::sync::atomic::AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_waiter_is_woken_once_when_the_connection_runs() {
        let count = Arc::new(Count(0.into()));
        let waker = Waker::from(Arc::clone(&count));
        let cx = Context::from_waker(&waker);
        let schedule = Schedule::default();
        assert!(
            !schedule.poll_pending(&cx),
            "not woken: nothing to wait for"
        );
        schedule.ran();
        assert_eq!(count.0.load(Ordering::SeqCst), 0, "no turn was pending");
        schedule.mark_woken();
        assert!(schedule.poll_pending(&cx));
        schedule.ran();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(!schedule.poll_pending(&cx));
        schedule.ran();
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "woken once per turn");
    }
}
