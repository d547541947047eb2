//! ZMQ_XPUB_NODROP: a publisher whose matching subscriber is at its high-water mark holds the
//! message back instead of dropping the copy for it, as libzmq's `dist.check_hwm()` does
//! before `send_to_matching`: all the matching subscribers get the message, or none does and
//! the sender hears so (libzmq: EAGAIN), so that nothing `send` accepted is lost at the HWM.

use std::task::Context;

use super::pipe::register;
use super::policy::Policy;
use super::table::PeerTable;
use crate::engine::PipeId;

impl<P: Policy> PeerTable<P> {
    /// With XPUB_NODROP, whether one of `matched` is full, so that the message must wait;
    /// registers `cx` (if given) to be woken when a queue drains, a subscriber cancels or a
    /// pipe goes. Always false without the option.
    pub(super) fn held_back(&mut self, matched: &[PipeId], cx: Option<&Context<'_>>) -> bool {
        if !self.settings.xpub_nodrop {
            return false;
        }
        let limits = self.limits;
        let full = matched.iter().any(|&id| {
            self.pipes
                .get(id)
                .is_some_and(|pipe| limits.send_full(pipe.outbound.len()))
        });
        if full {
            if let Some(cx) = cx {
                register(&mut self.send_waker, cx);
            }
        }
        full
    }

    /// With XPUB_NODROP, whether every pipe that can be sent to has room, so that any message
    /// can be published now (a `Sink`'s readiness, which does not know the message yet);
    /// registers `cx` if not. Always true without the option: a publisher never waits.
    pub(crate) fn poll_publish_ready(&mut self, cx: &Context<'_>) -> bool {
        if !self.settings.xpub_nodrop {
            return true;
        }
        let limits = self.limits;
        let ready = self
            .pipes
            .iter()
            .all(|pipe| !pipe.usable(limits.immediate) || !limits.send_full(pipe.outbound.len()));
        if !ready {
            register(&mut self.send_waker, cx);
        }
        ready
    }
}
