//! Heartbeat settings shared by the broker and its workers.

use std::time::Duration;

use tokio::time::{Instant, Interval, MissedTickBehavior};

/// How often a peer says it is alive, and how many intervals of silence mean it is dead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Heartbeat {
    pub(crate) interval: Duration,
    pub(crate) liveness: u32,
}

impl Default for Heartbeat {
    /// The zguide's Paranoid Pirate values: a heartbeat a second, dead after three missed.
    fn default() -> Heartbeat {
        Heartbeat {
            interval: Duration::from_secs(1),
            liveness: 3,
        }
    }
}

impl Heartbeat {
    /// Settings with a usable interval (at least a millisecond: a zero interval would spin)
    /// and at least one interval of silence allowed.
    pub(crate) fn new(interval: Duration, liveness: u32) -> Heartbeat {
        Heartbeat {
            interval: interval.max(Duration::from_millis(1)),
            liveness: liveness.max(1),
        }
    }

    /// How long a peer may stay silent before it is declared dead.
    pub(crate) fn silence(&self) -> Duration {
        self.interval.saturating_mul(self.liveness)
    }

    /// A timer ticking every interval, starting one interval from now; a tick missed while
    /// the loop was busy is not made up in a burst.
    pub(crate) fn ticker(&self) -> Interval {
        let mut ticker = tokio::time::interval_at(Instant::now() + self.interval, self.interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker
    }
}
