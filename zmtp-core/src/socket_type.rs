//! ZeroMQ socket types, their wire names and which pairs may talk (RFC 23, "Socket Types").

use std::fmt;

/// A ZeroMQ socket type, as announced in the `Socket-Type` property of READY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// Exclusive pair.
    Pair,
    /// Publisher.
    Pub,
    /// Subscriber.
    Sub,
    /// Request (client side of request-reply).
    Req,
    /// Reply (server side of request-reply).
    Rep,
    /// Asynchronous request.
    Dealer,
    /// Asynchronous reply, routing by identity.
    Router,
    /// Pipeline sink.
    Pull,
    /// Pipeline source.
    Push,
    /// Publisher that sees subscriptions.
    XPub,
    /// Subscriber that sends subscriptions as messages.
    XSub,
}

impl SocketType {
    /// Every socket type, in libzmq's numbering order.
    pub const ALL: [SocketType; 11] = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::XPub,
        SocketType::XSub,
    ];

    /// The name sent on the wire. libzmq compares it case-sensitively, so this exact casing
    /// is what we emit.
    pub const fn as_str(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pull => "PULL",
            SocketType::Push => "PUSH",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
        }
    }

    /// Parses a wire name. Case-sensitive, as libzmq is: `"req"` is not a socket type.
    pub fn from_wire(name: &[u8]) -> Option<SocketType> {
        SocketType::ALL
            .into_iter()
            .find(|t| t.as_str().as_bytes() == name)
    }

    /// Whether a socket of this type may talk to a peer of type `peer` (RFC 23, RFC 28-30).
    pub const fn is_compatible_with(self, peer: SocketType) -> bool {
        use SocketType::*;
        matches!(
            (self, peer),
            (Req, Rep)
                | (Req, Router)
                | (Rep, Req)
                | (Rep, Dealer)
                | (Dealer, Rep)
                | (Dealer, Dealer)
                | (Dealer, Router)
                | (Router, Req)
                | (Router, Dealer)
                | (Router, Router)
                | (Pub | XPub, Sub | XSub)
                | (Sub | XSub, Pub | XPub)
                | (Push, Pull)
                | (Pull, Push)
                | (Pair, Pair)
        )
    }

    /// Whether libzmq sends an `Identity` property (possibly empty) for this type.
    pub const fn sends_identity(self) -> bool {
        matches!(
            self,
            SocketType::Req | SocketType::Dealer | SocketType::Router
        )
    }

    /// Whether this type receives subscriptions from its peers (publishers).
    pub const fn receives_subscriptions(self) -> bool {
        matches!(self, SocketType::Pub | SocketType::XPub)
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_are_case_sensitive() {
        for t in SocketType::ALL {
            assert_eq!(SocketType::from_wire(t.as_str().as_bytes()), Some(t));
            let lower = t.as_str().to_ascii_lowercase();
            assert_eq!(SocketType::from_wire(lower.as_bytes()), None);
        }
        assert_eq!(SocketType::from_wire(b""), None);
    }

    #[test]
    fn compatibility_is_symmetric_and_matches_rfc_table() {
        for a in SocketType::ALL {
            for b in SocketType::ALL {
                assert_eq!(a.is_compatible_with(b), b.is_compatible_with(a), "{a} {b}");
            }
        }
        let count = SocketType::ALL
            .iter()
            .flat_map(|a| SocketType::ALL.iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.is_compatible_with(**b))
            .count();
        // REQ-REP, REQ-ROUTER, REP-DEALER, DEALER-ROUTER (each both ways) = 8, DEALER-DEALER,
        // ROUTER-ROUTER, PAIR-PAIR = 3, {PUB,XPUB}x{SUB,XSUB} both ways = 8, PUSH-PULL both = 2.
        assert_eq!(count, 21);
        assert!(!SocketType::Req.is_compatible_with(SocketType::Req));
        assert!(!SocketType::Pub.is_compatible_with(SocketType::Pull));
    }
}
