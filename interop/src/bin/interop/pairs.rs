//! The socket pairs of the matrix: zmtp's socket(s), the peer's, and who starts.

/// How a pair's traffic flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// zmtp's `ours` sends the script, the peer's `theirs` echoes it on the same socket.
    /// `delimiter`: zmtp adds the empty frame itself (a DEALER talking to a REP). `window`:
    /// most messages in flight (1 for REQ, which alternates).
    Echo {
        ours: &'static str,
        theirs: &'static str,
        delimiter: bool,
        window: usize,
    },
    /// The peer's `theirs` is a client sending `[i, "", m]` and checking each reply; zmtp's
    /// `ours` echoes.
    Serve {
        ours: &'static str,
        theirs: &'static str,
    },
    /// zmtp's `out` sends to the peer's `theirs_in`, the peer relays on its `theirs_out` to
    /// zmtp's `back`: both directions of a one-way pattern in one cell.
    Relay {
        out: &'static str,
        theirs_in: &'static str,
        theirs_out: &'static str,
        back: &'static str,
    },
}

/// A named pair.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    /// As the matrix shows it: zmtp's type first.
    pub name: &'static str,
    /// Its flow.
    pub pattern: Pattern,
}

impl Pair {
    /// Whether this pair is publish-subscribe.
    pub fn pubsub(&self) -> bool {
        matches!(self.pattern, Pattern::Relay { out: "PUB", .. })
    }
}

const fn echo(name: &'static str, ours: &'static str, theirs: &'static str) -> Pair {
    Pair {
        name,
        pattern: Pattern::Echo {
            ours,
            theirs,
            delimiter: false,
            window: 100,
        },
    }
}

/// Every pair, in the order of the matrix.
pub const PAIRS: [Pair; 9] = [
    Pair {
        name: "REQ-REP",
        pattern: Pattern::Echo {
            ours: "REQ",
            theirs: "REP",
            delimiter: false,
            window: 1,
        },
    },
    Pair {
        name: "REQ-ROUTER",
        pattern: Pattern::Echo {
            ours: "REQ",
            theirs: "ROUTER",
            delimiter: false,
            window: 1,
        },
    },
    Pair {
        name: "DEALER-REP",
        pattern: Pattern::Echo {
            ours: "DEALER",
            theirs: "REP",
            delimiter: true,
            window: 100,
        },
    },
    echo("DEALER-ROUTER", "DEALER", "ROUTER"),
    echo("PAIR-PAIR", "PAIR", "PAIR"),
    Pair {
        name: "REP-REQ",
        pattern: Pattern::Serve {
            ours: "REP",
            theirs: "REQ",
        },
    },
    Pair {
        name: "ROUTER-DEALER",
        pattern: Pattern::Serve {
            ours: "ROUTER",
            theirs: "DEALER",
        },
    },
    Pair {
        name: "PUSH-PULL, PULL-PUSH",
        pattern: Pattern::Relay {
            out: "PUSH",
            theirs_in: "PULL",
            theirs_out: "PUSH",
            back: "PULL",
        },
    },
    Pair {
        name: "PUB-SUB, SUB-PUB",
        pattern: Pattern::Relay {
            out: "PUB",
            theirs_in: "SUB",
            theirs_out: "PUB",
            back: "SUB",
        },
    },
];

/// The pair the heartbeat, restart, ipc and security cells use.
pub const DEALER_ROUTER: Pair = echo("DEALER-ROUTER", "DEALER", "ROUTER");
/// Its reverse, where the peer connects.
pub const ROUTER_DEALER: Pair = PAIRS[6];
