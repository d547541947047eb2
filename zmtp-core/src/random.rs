//! Randomness, passed in: zmtp-core has none of its own, so that every handshake can be replayed
//! exactly in tests with a seeded source.

use std::fmt;

/// A source of random bytes for CURVE: transient key pairs, cookie keys and nonces.
///
/// A real driver passes the operating system's generator (for example
/// `|buf: &mut [u8]| getrandom::fill(buf).map_err(|e| RandomError::new(e.to_string()))`); tests
/// pass a seeded, deterministic one. The core cannot tell a weak source from a good one: in
/// production it must be cryptographically secure, or CURVE protects nothing.
///
/// It may fail: the connection that needed the bytes then closes with
/// [`ConnectionError::Random`](crate::ConnectionError::Random) instead of the process
/// panicking, and nothing is sent with bytes that were not random.
///
/// It takes `&self` so that one source can be shared by every connection of a socket behind an
/// `Arc`; a seeded test source keeps its state behind a `Mutex`.
pub trait RandomSource: Send + Sync {
    /// Fills `dest` entirely with random bytes, or fails.
    fn try_fill(&self, dest: &mut [u8]) -> Result<(), RandomError>;
}

impl<F> RandomSource for F
where
    F: Fn(&mut [u8]) -> Result<(), RandomError> + Send + Sync,
{
    fn try_fill(&self, dest: &mut [u8]) -> Result<(), RandomError> {
        self(dest)
    }
}

/// A [`RandomSource`] could not provide random bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomError {
    reason: String,
}

impl RandomError {
    /// An error with the source's own explanation (e.g. the OS error).
    pub fn new(reason: impl Into<String>) -> RandomError {
        RandomError {
            reason: reason.into(),
        }
    }

    /// The source's explanation.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for RandomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the random source failed: {}", self.reason)
    }
}

impl std::error::Error for RandomError {}
