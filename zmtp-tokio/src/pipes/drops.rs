//! A publisher's drops made visible. Dropping a copy for a subscriber at its high-water mark is
//! ZeroMQ's rule; doing it silently is not a rule. Each copy is counted
//! (`dropped_total`), and each episode of dropping for one subscriber is reported to the
//! monitor twice: when it starts, and when it ends with the number lost. An episode ends when
//! that subscriber's queue has drained to half its high-water mark, not at the first free
//! slot, so that a subscriber hovering at its limit makes two events per half a queue of
//! messages rather than two per message.

use super::table::PeerTable;
use super::Policy;
use crate::engine::PipeId;
use crate::monitor::MonitorEvent;
use crate::telemetry::{self, DropCause};

impl<P: Policy> PeerTable<P> {
    /// A copy for `id` was dropped at its high-water mark.
    pub(super) fn note_dropped(&mut self, id: PipeId) {
        self.dropped_total += 1;
        telemetry::dropped(P::SOCKET_TYPE, DropCause::HighWaterMark, 1);
        let Some(pipe) = self.pipes.get_mut(id) else {
            return;
        };
        pipe.dropping += 1;
        if pipe.dropping == 1 {
            let event = MonitorEvent::HighWaterMarkReached {
                endpoint: pipe.endpoint.clone(),
                peer_addr: peer_addr(pipe),
            };
            self.report(event);
        }
    }

    /// Ends `id`'s drop episode, if one is going on, reporting how many copies it lost.
    pub(super) fn end_drop_episode(&mut self, id: PipeId) {
        let Some(pipe) = self.pipes.get_mut(id) else {
            return;
        };
        let messages = std::mem::take(&mut pipe.dropping);
        if messages > 0 {
            let event = MonitorEvent::MessagesDropped {
                endpoint: pipe.endpoint.clone(),
                peer_addr: peer_addr(pipe),
                messages,
            };
            self.report(event);
        }
    }

    fn report(&self, event: MonitorEvent) {
        if let Some(context) = &self.monitor {
            context.monitor.emit(event);
        }
    }

    /// The table reports drop episodes to `context`'s monitor.
    pub(crate) fn reporting_to(
        mut self,
        context: std::sync::Arc<crate::engine::SocketContext>,
    ) -> Self {
        self.monitor = Some(context);
        self
    }
}

fn peer_addr(pipe: &super::pipe::Pipe) -> String {
    pipe.peer
        .as_ref()
        .map(|peer| peer.address.clone())
        .unwrap_or_default()
}
