//! The retry policy of a call.

/// Whether a call that got no reply is sent again.
///
/// Only a call without side effects, or whose effects are the same done twice, may be retried:
/// the first server may have run it and only its reply been lost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Retry {
    /// Send once; no reply by the deadline is [`Error::DeadlineExceeded`](crate::Error).
    #[default]
    Never,
    /// Up to `attempts` sends in all (1 is the same as [`Retry::Never`]), with the same
    /// correlation id, so that whichever reply comes first answers the call and the others are
    /// discarded as late. The call's deadline is shared out: each attempt waits for an equal
    /// part of what is left of it (at least a millisecond, so that no attempt count turns
    /// into a burst of sends), then the request goes again, to the next server in the
    /// DEALER's round robin. A call without a deadline is never retried (nothing says when an
    /// attempt is lost). An error reply is an answer and is not retried.
    Idempotent {
        /// Sends in all, the first included.
        attempts: u32,
    },
}

impl Retry {
    /// Sends in all that the policy allows (at least one).
    pub(crate) fn attempts(self) -> u32 {
        match self {
            Retry::Never => 1,
            Retry::Idempotent { attempts } => attempts.max(1),
        }
    }
}
