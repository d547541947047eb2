//! The eleven socket kinds, each declared once: who it admits, what it does with what it
//! receives and with its peers' subscriptions, and where what it sends goes. Their typed
//! methods (REQ's alternation, REP's envelopes, ...) are in `crate::socket`.

use zmtp_core::SocketType;

use super::policy::{Admission, Inbound, Outbound, PeerSubscriptions, Policy};

macro_rules! kind {
    (
        $(#[$doc:meta])*
        $name:ident: $socket_type:ident,
        admission: $admission:ident,
        inbound: $inbound:ident,
        peer_subscriptions: $subs:ident,
        outbound: $outbound:ident
        $(, subscribes: $subscribes:literal)?
        $(, conflates: $conflates:literal)?
    ) => {
        $(#[$doc])*
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $name {
            _private: (),
        }

        impl Policy for $name {
            const SOCKET_TYPE: SocketType = SocketType::$socket_type;
            const ADMISSION: Admission = Admission::$admission;
            const INBOUND: Inbound = Inbound::$inbound;
            const PEER_SUBSCRIPTIONS: PeerSubscriptions = PeerSubscriptions::$subs;
            const OUTBOUND: Outbound = Outbound::$outbound;
            $(const SUBSCRIBES: bool = $subscribes;)?
            $(const CONFLATES: bool = $conflates;)?
        }
    };
}

kind! {
    /// REQ: sends requests round robin, receives the reply (RFC 28). See
    /// [`Socket<Req>`](crate::Socket#impl-Socket<Req>).
    Req: Req, admission: Any, inbound: Deliver, peer_subscriptions: Ignore, outbound: RoundRobin
}
kind! {
    /// REP: receives requests fair-queued, replies to the one that asked (RFC 28). See
    /// [`Socket<Rep>`](crate::Socket#impl-Socket<Rep>).
    Rep: Rep, admission: Any, inbound: Deliver, peer_subscriptions: Ignore, outbound: ToOrigin
}
kind! {
    /// DEALER: round robin out, fair queue in (RFC 28).
    Dealer: Dealer, admission: Any, inbound: Deliver, peer_subscriptions: Ignore,
    outbound: RoundRobin, conflates: true
}
kind! {
    /// ROUTER: receives with the sender's routing id in front, sends to the peer the first
    /// frame names (RFC 28). See [`Socket<Router>`](crate::Socket#impl-Socket<Router>).
    Router: Router, admission: UniqueIdentity, inbound: PrefixRoutingId,
    peer_subscriptions: Ignore, outbound: ByRoutingId
}
kind! {
    /// PUB: publishes to the subscribers whose subscriptions match, dropping for those whose
    /// queue is full (RFC 29).
    Pub: Pub, admission: Any, inbound: Discard, peer_subscriptions: Record, outbound: FanOut,
    conflates: true
}
kind! {
    /// SUB: receives what it subscribed to (RFC 29).
    Sub: Sub, admission: Any, inbound: Filter, peer_subscriptions: Ignore, outbound: None,
    subscribes: true, conflates: true
}
kind! {
    /// XPUB: a publisher that receives its subscribers' subscriptions as messages (RFC 29).
    /// See [`Socket<XPub>`](crate::Socket#impl-Socket<XPub>).
    XPub: XPub, admission: Any, inbound: Deliver, peer_subscriptions: RecordAndNotify,
    outbound: FanOut
}
kind! {
    /// XSUB: a subscriber that sends its subscriptions, and any other message, upstream
    /// (RFC 29). See [`Socket<XSub>`](crate::Socket#impl-Socket<XSub>).
    XSub: XSub, admission: Any, inbound: Deliver, peer_subscriptions: Ignore,
    outbound: Broadcast, subscribes: true
}
kind! {
    /// PUSH: round robin to the peers with room, waiting while none has (RFC 30).
    Push: Push, admission: Any, inbound: Discard, peer_subscriptions: Ignore,
    outbound: RoundRobin, conflates: true
}
kind! {
    /// PULL: fair queue from its peers (RFC 30).
    Pull: Pull, admission: Any, inbound: Deliver, peer_subscriptions: Ignore, outbound: None,
    conflates: true
}
kind! {
    /// PAIR: one peer at a time, both ways (RFC 31).
    Pair: Pair, admission: One, inbound: Deliver, peer_subscriptions: Ignore,
    outbound: RoundRobin
}
