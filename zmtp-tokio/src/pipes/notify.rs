//! ROUTER_NOTIFY: a ROUTER's application learns that a peer connected or went away from a
//! message in that peer's receive queue, `[routing id, empty frame]` (libzmq 4.3), so that it
//! comes in order with what the peer sent.

use bytes::Bytes;
use zmtp_core::Message;

use super::pipe::{queued_cost, wake};
use super::policy::Policy;
use super::table::PeerTable;
use crate::engine::PipeId;

impl<P: Policy> PeerTable<P> {
    /// Queues a notice naming `id`'s peer behind what it delivered, past the high-water mark
    /// (one message: libzmq would lose it on a full pipe, and with it the only sign of the
    /// event). Nothing for a pipe without a routing id (evicted by a handover) or once closed.
    pub(super) fn notify_peer_event(&mut self, id: PipeId) {
        if self.closed {
            return;
        }
        let Some(pipe) = self.pipes.get_mut(id) else {
            return;
        };
        let Some(routing_id) = pipe.routing_id.clone() else {
            return;
        };
        let notice = Message::from(vec![routing_id, Bytes::new()]);
        pipe.inbound_bytes += queued_cost(&notice);
        pipe.inbound.push_back(notice);
        self.refresh_fq(id);
        wake(&mut self.recv_waker);
    }
}
