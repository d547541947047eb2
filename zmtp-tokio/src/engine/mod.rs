//! The engine: everything under the pipes. One driver task per connection moves bytes between a
//! transport and a `zmtp_core::Connection`, and messages between the connection and its pipe;
//! listener and connector tasks create drivers. The engine knows nothing of socket kinds: what
//! a kind does with a peer (admission, what a received message becomes, which queue a message
//! leaves from) is behind [`PipeLink`], which the pipes layer implements.

pub(crate) mod context;
pub(crate) mod driver;
pub(crate) mod endpoints;
pub(crate) mod inproc;
pub(crate) mod outbox;
pub(crate) mod reconnect;
pub(crate) mod schedule;
pub(crate) mod stop;

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Context;

use bytes::Bytes;
use zmtp_core::Message;

use crate::monitor::Refusal;
use crate::peer::Peer;

pub(crate) use context::SocketContext;
pub(crate) use schedule::Schedule;

/// A pipe: a peer's pair of queues in the socket. The generation makes an id outlive its pipe
/// safely: a stale id names nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PipeId(u64);

impl PipeId {
    pub(crate) fn new(index: u32, generation: u32) -> PipeId {
        PipeId(u64::from(generation) << 32 | u64::from(index))
    }

    pub(crate) fn index(self) -> u32 {
        self.0 as u32
    }

    pub(crate) fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

/// What a connection received, for its pipe to handle (everything else — the handshake, PING,
/// the end — stays in the engine).
#[derive(Debug)]
pub(crate) enum Inbound {
    Message(Message),
    Subscribe(Bytes),
    Cancel(Bytes),
}

/// A subscription change a subscriber's connection must send.
#[derive(Debug, Clone)]
pub(crate) enum SubscriptionCommand {
    Subscribe(Bytes),
    Cancel(Bytes),
}

/// A connection admitted into its socket.
#[derive(Debug)]
pub(crate) struct Admitted {
    pub(crate) pipe: PipeId,
    /// Subscribers: every topic the new peer must be told.
    pub(crate) topics: Vec<Bytes>,
    /// Marked when the pipes wake the driver for messages; the driver says when it came for
    /// them (see [`Schedule`]). Publishers only.
    pub(crate) schedule: Option<Arc<Schedule>>,
    /// The peer as the pipes keep it (with a ROUTER's routing id), for the monitor.
    pub(crate) peer: Arc<crate::peer::Peer>,
}

/// What the engine needs from the socket above it: the pipes of one socket, whatever its kind.
/// Every method takes the pipes' lock once; drivers call them once per batch, not per message.
pub(crate) trait PipeLink: Send + Sync + 'static {
    /// Removes a pipe now (disconnect, unbind, a connector giving up): its queues go.
    fn remove(&self, pipe: PipeId);

    /// A handshake completed: admit the peer (into `pipe` for a connecting endpoint, into a new
    /// pipe for an accepted connection), or refuse it.
    fn admit(&self, pipe: Option<PipeId>, peer: Peer) -> Result<Admitted, Refusal>;

    /// The connection of `pipe` ended. A connecting pipe keeps its outbound queue; an accepted
    /// one goes once the application has read what it delivered.
    fn detach(&self, pipe: PipeId);

    /// Whether every message a connection receives reaches the application as it came, so that
    /// the connection may decode straight into its queue (`Connection::handle_bytes_into`).
    fn receives_unchanged(&self) -> bool;

    /// Turns what a connection received into what the application gets (a ROUTER puts the
    /// routing id in front, a SUB filters, an XPUB makes subscriptions into messages),
    /// appended to `out`. A peer breaking the socket's limits is refused.
    fn receive(
        &self,
        pipe: PipeId,
        inbound: &mut Vec<Inbound>,
        out: &mut VecDeque<Message>,
    ) -> Result<(), Refusal>;

    /// An inproc link's hand-over, under one lock: [`receive`](Self::receive) of `inbound`
    /// into `out`, then [`offer`](Self::offer) of `out` (within the limit).
    fn receive_and_offer(
        &self,
        pipe: PipeId,
        inbound: &mut Vec<Inbound>,
        out: &mut VecDeque<Message>,
        cx: &Context<'_>,
    ) -> Result<usize, Refusal>;

    /// Moves messages from the front of `messages` into the pipe's receive queue while it has
    /// room (all of them with `past_limit`); registers `cx` to be woken when room comes.
    /// Returns the room left, in messages (0 when full).
    fn offer(
        &self,
        pipe: PipeId,
        messages: &mut VecDeque<Message>,
        past_limit: bool,
        cx: &Context<'_>,
    ) -> usize;

    /// Moves up to `max` queued messages (about `max_bytes`, at least one) into `out`, and
    /// subscription changes into `commands`; registers `cx` to be woken when more come.
    /// `false` when the connection lost its pipe (removed, or its identity taken over): it
    /// must close.
    fn take_outbound(
        &self,
        pipe: PipeId,
        max: usize,
        max_bytes: usize,
        out: &mut VecDeque<Message>,
        commands: &mut Vec<SubscriptionCommand>,
        cx: &Context<'_>,
    ) -> bool;

    /// The messages queued to send on `pipe`, and their payload bytes.
    fn backlog(&self, pipe: PipeId) -> (usize, usize);

    /// Whether `pipe` belongs to a connecting endpoint.
    fn is_persistent(&self, pipe: PipeId) -> bool;
}

/// The pipes of a socket, as the engine holds them.
pub(crate) type Link = Arc<dyn PipeLink>;
