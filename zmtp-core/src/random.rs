//! Randomness, passed in: zmtp-core has none of its own, so that every handshake can be replayed
//! exactly in tests with a seeded source.

/// A source of random bytes for CURVE: transient key pairs, cookie keys and nonces.
///
/// A real driver passes the operating system's generator (for example
/// `|buf: &mut [u8]| getrandom::fill(buf).expect("OS random source")`); tests pass a seeded,
/// deterministic one. The core cannot tell a weak source from a good one: in production it must
/// be cryptographically secure, or CURVE protects nothing.
///
/// It takes `&self` so that one source can be shared by every connection of a socket behind an
/// `Arc`; a seeded test source keeps its state behind a `Mutex`.
pub trait RandomSource: Send + Sync {
    /// Fills `dest` entirely with random bytes.
    fn fill(&self, dest: &mut [u8]);
}

impl<F> RandomSource for F
where
    F: Fn(&mut [u8]) + Send + Sync,
{
    fn fill(&self, dest: &mut [u8]) {
        self(dest)
    }
}
