//! Wall-clock deadlines on tokio's clock.
//!
//! Deadlines travel as milliseconds since the Unix epoch, because client and server share no
//! other clock. Reading the wall clock directly would make every deadline test depend on real
//! time, so "now" is the system time read at an anchor plus the time tokio's clock says has
//! passed since: on tokio's paused test clock deadlines then pass in virtual time.
//!
//! The anchor is per thread, because each paused test runtime is one thread with a virtual
//! clock of its own (an anchor shared across runtimes would mix two virtual timelines). On the
//! real clock every thread's anchor agrees with the others to the millisecond. It is renewed
//! after a minute of real time, so that a long-running process follows the system clock when
//! NTP adjusts it.

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// How long an anchor is used, in real time, before the system clock is read again.
const ANCHOR_LIFETIME: Duration = Duration::from_secs(60);

/// The system time in ms and tokio's instant, read together, and the real instant of reading.
type Anchor = (u64, Instant, std::time::Instant);

thread_local! {
    static ANCHOR: Cell<Option<Anchor>> = const { Cell::new(None) };
}

fn anchor() -> (u64, Instant) {
    ANCHOR.with(|cell| match cell.get() {
        Some((ms, at, real)) if real.elapsed() < ANCHOR_LIFETIME => (ms, at),
        _ => {
            let ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            let at = Instant::now();
            cell.set(Some((ms, at, std::time::Instant::now())));
            (ms, at)
        }
    })
}

/// Milliseconds since the Unix epoch, now, as the deadlines on the wire count them.
pub(crate) fn now_ms() -> u64 {
    let (ms, at) = anchor();
    let elapsed = Instant::now().saturating_duration_since(at);
    ms.saturating_add(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}

/// The wire deadline `timeout` from now, never 0 (which means "none").
pub(crate) fn deadline_ms_after(timeout: Duration) -> u64 {
    let timeout = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    now_ms().saturating_add(timeout).max(1)
}

/// Whether a wire deadline has passed (0, no deadline, never has).
pub(crate) fn has_passed(deadline_ms: u64) -> bool {
    deadline_ms != 0 && now_ms() >= deadline_ms
}

/// The tokio instant of a wire deadline, for timers; `None` for no deadline, and for one too
/// far away for the clock to represent (a peer may send any eight bytes).
pub(crate) fn instant_of(deadline_ms: u64) -> Option<Instant> {
    if deadline_ms == 0 {
        return None;
    }
    let left = deadline_ms.saturating_sub(now_ms());
    Instant::now().checked_add(Duration::from_millis(left))
}
