//! Reconnect timing, libzmq's rule: wait the current interval plus a random jitter of up to one
//! base interval; with a maximum set, the interval doubles after each failure up to it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

#[derive(Debug)]
pub(crate) struct Backoff {
    base: Duration,
    max: Option<Duration>,
    current: Duration,
    rng: u64,
}

impl Backoff {
    pub(crate) fn new(base: Duration, max: Option<Duration>) -> Backoff {
        // A seed from std's per-process random hasher keys: no extra dependency for jitter.
        let mut h = RandomState::new().build_hasher();
        h.write_u64(0x5eed);
        Backoff {
            base,
            max: max.filter(|m| *m > base),
            current: base,
            rng: h.finish() | 1,
        }
    }

    /// The wait before the next attempt.
    pub(crate) fn next_wait(&mut self) -> Duration {
        // xorshift64: enough for jitter.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let base_ms = self.base.as_millis().max(1) as u64;
        let wait = self.current + Duration::from_millis(self.rng % base_ms);
        if let Some(max) = self.max {
            self.current = (self.current * 2).min(max);
        }
        wait
    }

    /// A connection succeeded: start again from the base interval.
    pub(crate) fn reset(&mut self) {
        self.current = self.base;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_interval_plus_jitter_below_one_interval() {
        let mut b = Backoff::new(Duration::from_millis(100), None);
        for _ in 0..1000 {
            let w = b.next_wait();
            assert!(
                w >= Duration::from_millis(100) && w < Duration::from_millis(200),
                "{w:?}"
            );
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Some(Duration::from_millis(500)));
        let floors: Vec<u128> = (0..6)
            .map(|_| b.next_wait().as_millis() / 100 * 100)
            .collect();
        assert!(floors[0] >= 100 && floors[0] < 200);
        assert!(floors[1] >= 200 && floors[1] < 300);
        assert!(floors[2] >= 400 && floors[2] < 500);
        assert!(floors[5] >= 500 && floors[5] < 600);
        b.reset();
        assert!(b.next_wait() < Duration::from_millis(200));
    }
}
