//! The pipes: a socket's peer table and its kind's policy. Between the socket API above and the
//! engine below: the socket sends and receives through [`Pipes`], the engine's drivers move
//! messages through it as a [`PipeLink`]. What a kind does with its peers is read from its
//! [`Policy`], declared once per kind in [`kinds`].
//!
//! The application side and every connection driver share the table behind one mutex. Drivers
//! move messages in batches, so the lock is taken once per batch on their side; the receiving
//! application takes a run of messages at a time (all of one peer's while it alone has some),
//! which still count against that peer's high-water mark until read. Every choice of a pipe
//! (round robin, fair queuing, routing by identity, matching subscriptions) costs the same
//! whatever the number of peers.

pub(crate) mod active;
mod drops;
mod guard;
pub(crate) mod kinds;
pub(crate) mod manual;
mod nodrop;
mod notify;
pub(crate) mod pipe;
pub(crate) mod policy;
mod receiving;
pub(crate) mod routing;
mod sending;
pub(crate) mod slab;
mod subscriptions;
pub(crate) mod table;
pub(crate) mod topics;
pub(crate) mod trie;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::task::Context;

use zmtp_core::{Message, SocketType};

use crate::engine::context::lock;
use crate::engine::{Admitted, Inbound, PipeId, PipeLink, SocketContext, SubscriptionCommand};
use crate::monitor::Refusal;
use crate::peer::Peer;
use crate::router_notify::RouterNotify;

pub(crate) use guard::TableGuard;
pub(crate) use pipe::Limits;
pub(crate) use policy::{PeerSubscriptions, Policy};
pub(crate) use receiving::Sender;
pub(crate) use sending::Routed;
pub(crate) use table::{PeerTable, Settings};

/// The pipes of one socket of kind `P`.
#[derive(Debug)]
pub(crate) struct Pipes<P: Policy> {
    table: Mutex<PeerTable<P>>,
}

impl<P: Policy> Pipes<P> {
    pub(crate) fn new(context: &Arc<SocketContext>) -> Pipes<P> {
        let options = &context.options;
        let limits = Limits {
            send_hwm: options.send_hwm,
            recv_hwm: options.recv_hwm,
            recv_bytes: options.recv_byte_limit(),
            conflate: options.conflate && P::CONFLATES,
            immediate: options.immediate,
        };
        let settings = Settings {
            router_handover: options.router_handover,
            // A field set directly, without the builder, still implies verbose.
            xpub_verbose: options.xpub_verbose || options.xpub_verboser,
            xpub_verboser: options.xpub_verboser,
            xpub_nodrop: options.xpub_nodrop,
            // Only an XPUB reads subscriptions to decide on (libzmq's PUB cannot receive).
            xpub_manual: options.xpub_manual && P::SOCKET_TYPE == SocketType::XPub,
            xpub_welcome: (P::SOCKET_TYPE == SocketType::XPub)
                .then(|| options.xpub_welcome_msg.clone())
                .flatten(),
            invert_matching: options.invert_matching,
            router_notify: if P::SOCKET_TYPE == SocketType::Router {
                options.router_notify
            } else {
                RouterNotify::NONE
            },
            probe_router: options.probe_router
                && matches!(
                    P::SOCKET_TYPE,
                    SocketType::Router | SocketType::Dealer | SocketType::Req
                ),
        };
        Pipes {
            table: Mutex::new(PeerTable::new(limits, settings).reporting_to(Arc::clone(context))),
        }
    }

    /// The peer table (see [`lock`] on poisoning); the drivers it wakes are woken when the
    /// guard is dropped.
    pub(crate) fn table(&self) -> TableGuard<'_, P> {
        TableGuard::new(lock(&self.table))
    }
}

impl<P: Policy> PipeLink for Pipes<P> {
    fn remove(&self, pipe: PipeId) {
        self.table().remove(pipe);
    }

    fn admit(&self, pipe: Option<PipeId>, peer: Peer) -> Result<Admitted, Refusal> {
        self.table().admit(pipe, peer)
    }

    fn detach(&self, pipe: PipeId) {
        self.table().detach(pipe);
    }

    fn receives_unchanged(&self) -> bool {
        // Subscriptions must keep their place among an XPUB's messages, so a kind that records
        // them decodes event by event.
        P::INBOUND.unchanged() && P::PEER_SUBSCRIPTIONS == policy::PeerSubscriptions::Ignore
    }

    fn receive(
        &self,
        pipe: PipeId,
        inbound: &mut Vec<Inbound>,
        out: &mut VecDeque<Message>,
    ) -> Result<(), Refusal> {
        self.table().receive(pipe, inbound, out)
    }

    fn receive_and_offer(
        &self,
        pipe: PipeId,
        inbound: &mut Vec<Inbound>,
        out: &mut VecDeque<Message>,
        cx: &Context<'_>,
    ) -> Result<usize, Refusal> {
        let mut table = self.table();
        table.receive(pipe, inbound, out)?;
        Ok(table.offer_run(pipe, out, false, cx))
    }

    fn offer(
        &self,
        pipe: PipeId,
        messages: &mut VecDeque<Message>,
        past_limit: bool,
        cx: &Context<'_>,
    ) -> usize {
        self.table().offer_run(pipe, messages, past_limit, cx)
    }

    fn take_outbound(
        &self,
        pipe: PipeId,
        max: usize,
        max_bytes: usize,
        out: &mut VecDeque<Message>,
        commands: &mut Vec<SubscriptionCommand>,
        cx: &Context<'_>,
    ) -> bool {
        self.table()
            .take_outbound(pipe, max, max_bytes, out, commands, cx)
    }

    fn backlog(&self, pipe: PipeId) -> (usize, usize) {
        self.table().backlog(pipe)
    }

    fn is_persistent(&self, pipe: PipeId) -> bool {
        self.table().is_persistent(pipe)
    }
}

#[cfg(test)]
mod tests;
