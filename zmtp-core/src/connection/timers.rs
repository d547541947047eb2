//! The connection's deadlines: handshake timeout and heartbeats (RFC 37 and libzmq's
//! ZMQ_HEARTBEAT_IVL / _TIMEOUT / _TTL semantics).
//!
//! - A PING goes out every `interval` once the handshake is done.
//! - After sending a PING, if nothing at all arrives within `timeout`, the connection is dead.
//! - When the peer's PING announces a TTL, and nothing arrives within it, the connection is dead.
//! - Any received byte counts as a sign of life, not only PONG.

use std::time::{Duration, Instant};

use crate::error::Timeout;

/// Heartbeat settings (libzmq: all off by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Heartbeat {
    /// Send a PING this often (ZMQ_HEARTBEAT_IVL). `None`: no heartbeats.
    pub interval: Option<Duration>,
    /// Close if nothing arrives this long after a PING (ZMQ_HEARTBEAT_TIMEOUT).
    /// `None`: the interval, as in libzmq.
    pub timeout: Option<Duration>,
    /// The TTL announced to the peer in our PINGs (ZMQ_HEARTBEAT_TTL), rounded down to
    /// deciseconds and capped at 6553.5 s. `None`: 0, no limit.
    pub ttl: Option<Duration>,
}

impl Heartbeat {
    /// The TTL field of our PINGs, in deciseconds.
    pub(crate) fn ttl_deciseconds(&self) -> u16 {
        self.ttl.map_or(0, |ttl| {
            (ttl.as_millis() / 100).min(u128::from(u16::MAX)) as u16
        })
    }
}

#[derive(Debug, Default)]
pub(crate) struct Timers {
    handshake: Option<Instant>,
    next_ping: Option<Instant>,
    ping_timeout: Option<Instant>,
    peer_ttl: Option<Instant>,
    /// The driver stopped reading (backpressure): silence cannot be judged, so the liveness
    /// deadlines are suspended.
    reading_paused: bool,
}

impl Timers {
    pub(crate) fn new(now: Instant, handshake_timeout: Option<Duration>) -> Timers {
        Timers {
            handshake: handshake_timeout.and_then(|d| now.checked_add(d)),
            ..Timers::default()
        }
    }

    /// The handshake completed: stop its clock and start heartbeats.
    pub(crate) fn on_ready(&mut self, now: Instant, heartbeat: &Heartbeat) {
        self.handshake = None;
        self.next_ping = heartbeat.interval.and_then(|i| now.checked_add(i));
    }

    /// Bytes arrived from the peer.
    pub(crate) fn on_traffic(&mut self) {
        self.ping_timeout = None;
        self.peer_ttl = None;
    }

    /// The caller stopped (or resumed) reading from the transport.
    pub(crate) fn set_reading_paused(&mut self, paused: bool) {
        self.reading_paused = paused;
        if paused {
            self.on_traffic();
        }
    }

    /// The peer's PING announced a TTL.
    pub(crate) fn on_peer_ping(&mut self, now: Instant, ttl_deciseconds: u16) {
        if ttl_deciseconds > 0 && self.peer_ttl.is_none() {
            let ttl = Duration::from_millis(u64::from(ttl_deciseconds) * 100);
            self.peer_ttl = now.checked_add(ttl);
        }
    }

    /// Whether a PING is due; if so, the next one is scheduled and the timeout armed.
    pub(crate) fn take_ping_due(&mut self, now: Instant, heartbeat: &Heartbeat) -> bool {
        match (self.next_ping, heartbeat.interval) {
            (Some(due), Some(interval)) if due <= now => {
                self.next_ping = now.checked_add(interval);
                if self.ping_timeout.is_none() && !self.reading_paused {
                    let timeout = heartbeat.timeout.unwrap_or(interval);
                    self.ping_timeout = now.checked_add(timeout);
                }
                true
            }
            _ => false,
        }
    }

    /// The first timer that has expired, if any.
    pub(crate) fn expired(&self, now: Instant) -> Option<Timeout> {
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if due(self.handshake) {
            Some(Timeout::Handshake)
        } else if due(self.ping_timeout) {
            Some(Timeout::Heartbeat)
        } else if due(self.peer_ttl) {
            Some(Timeout::PeerTtl)
        } else {
            None
        }
    }

    /// The earliest deadline.
    pub(crate) fn earliest(&self) -> Option<Instant> {
        [
            self.handshake,
            self.next_ping,
            self.ping_timeout,
            self.peer_ttl,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub(crate) fn clear(&mut self) {
        *self = Timers::default();
    }
}
