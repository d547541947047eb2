//! What a socket kind does with its peers, as data: each kind declares its whole behaviour once
//! (in [`kinds`](super::kinds)), and the peer table reads it. The declarations are constants,
//! so each kind's table is compiled with only its own branches.

use zmtp_core::SocketType;

/// A socket kind's rules for its peers. Sealed: the kinds are ZeroMQ's.
pub trait Policy: Send + Sync + Sized + 'static {
    /// The ZMTP socket type.
    const SOCKET_TYPE: SocketType;
    /// Which peers it takes.
    const ADMISSION: Admission;
    /// What a message a peer sent becomes.
    const INBOUND: Inbound;
    /// What a peer's subscriptions do.
    const PEER_SUBSCRIPTIONS: PeerSubscriptions;
    /// Where a message the application sends goes.
    const OUTBOUND: Outbound;
    /// Whether it subscribes to its peers (SUB, XSUB): its topics are sent to each.
    const SUBSCRIBES: bool = false;
    /// Whether `Options::conflate` applies (PUSH, PULL, PUB, SUB, DEALER, as in libzmq).
    const CONFLATES: bool = false;
}

/// Which peers a kind takes once their handshake succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Every compatible peer.
    Any,
    /// One at a time (PAIR); another is refused.
    One,
    /// One per identity (ROUTER): a taken identity is refused, or handed over.
    UniqueIdentity,
}

/// What a message received from a peer becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound {
    /// Handed to the application as it came.
    Deliver,
    /// Handed over with the peer's routing id in front (ROUTER).
    PrefixRoutingId,
    /// Handed over if it matches the socket's own subscriptions (SUB: a publisher may still
    /// send what was just cancelled).
    Filter,
    /// Dropped: the kind does not receive (PUSH, PUB).
    Discard,
}

/// What a kind does with its peers' subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerSubscriptions {
    /// Ignored: the kind does not publish.
    Ignore,
    /// Kept per peer, to filter what is published (PUB).
    Record,
    /// Kept, and handed to the application as `1 topic` / `0 topic` messages (XPUB).
    RecordAndNotify,
}

/// Where a message the application sends goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbound {
    /// Nowhere: the kind does not send (PULL, SUB).
    None,
    /// To the next peer with room, in turn; waits while none has.
    RoundRobin,
    /// To every peer whose subscriptions match (PUB, XPUB); never waits, drops per peer
    /// (with XPUB_NODROP: waits, and sends to all of them or none).
    FanOut,
    /// To every peer, unfiltered (XSUB's messages upstream).
    Broadcast,
    /// To the peer that sent the request being answered (REP).
    ToOrigin,
    /// To the peer named by the first frame (ROUTER).
    ByRoutingId,
}

impl Inbound {
    /// Whether messages reach the application exactly as they came.
    pub(crate) const fn unchanged(self) -> bool {
        matches!(self, Inbound::Deliver)
    }
}
