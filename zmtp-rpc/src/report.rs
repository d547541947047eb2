//! What a graceful shutdown could not do.

use zmtp_tokio::CloseReport;

use crate::stats::ServerStats;

/// The outcome of [`Serving::shutdown`](crate::Serving::shutdown).
#[derive(Debug)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Requests that got no reply, and why.
    pub unanswered: Vec<Unanswered>,
    /// Replies sent but not handed to their connections when the socket's linger ran out.
    pub close: CloseReport,
    /// The server's counters at the end.
    pub stats: ServerStats,
}

impl ShutdownReport {
    /// Whether every request read was answered and every reply flushed.
    pub fn is_complete(&self) -> bool {
        self.unanswered.is_empty() && self.close.is_complete()
    }
}

/// One request that got no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unanswered {
    /// The method called.
    pub method: String,
    /// The request's correlation id.
    pub id: [u8; 8],
    /// Why it got no reply.
    pub reason: Reason,
}

/// Why a request got no reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// Its handler was still running when the shutdown's grace period ended, and was stopped.
    GraceExpired,
    /// Its handler panicked.
    HandlerPanicked,
    /// It had arrived but was not read when the server stopped taking requests.
    NotTaken,
}
