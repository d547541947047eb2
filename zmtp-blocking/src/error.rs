//! The blocking API's error: zmtp-tokio's, plus the two outcomes only blocking calls have.

use std::fmt;

/// What a blocking call can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The timeout was zero and the call could not complete at once (libzmq's `EAGAIN` with
    /// `ZMQ_DONTWAIT` or a timeout of 0). A message that was being sent was not sent.
    WouldBlock,
    /// The timeout elapsed first (libzmq's `EAGAIN` after `ZMQ_SNDTIMEO`/`ZMQ_RCVTIMEO`). A
    /// message that was being sent was not sent; nothing received was lost.
    TimedOut,
    /// Called on a thread that is running a tokio runtime, where waiting would block that
    /// runtime's thread (tokio panics on it): use zmtp-tokio there, or call from a plain thread.
    InsideRuntime,
    /// The runtime that runs the sockets' I/O could not be built.
    Runtime(std::io::Error),
    /// What the socket itself reports.
    Socket(zmtp_tokio::Error),
}

impl Error {
    /// Whether this is libzmq's `EAGAIN`: [`Error::WouldBlock`] or [`Error::TimedOut`], after
    /// which trying again may succeed.
    pub fn is_again(&self) -> bool {
        matches!(self, Error::WouldBlock | Error::TimedOut)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::WouldBlock => f.write_str("the operation would block"),
            Error::TimedOut => f.write_str("the operation timed out"),
            Error::InsideRuntime => f.write_str(
                "a blocking zmtp call was made on a tokio runtime thread; use zmtp-tokio there",
            ),
            Error::Runtime(e) => write!(f, "cannot build the I/O runtime: {e}"),
            Error::Socket(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Runtime(e) => Some(e),
            Error::Socket(e) => Some(e),
            _ => None,
        }
    }
}

impl From<zmtp_tokio::Error> for Error {
    fn from(e: zmtp_tokio::Error) -> Error {
        Error::Socket(e)
    }
}

/// The blocking API's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
