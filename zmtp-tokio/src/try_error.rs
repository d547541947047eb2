//! Errors of the calls that never wait (`try_send`, `try_recv`), shaped as tokio's channels
//! shape theirs: a send hands the message back, a receive says whether it found the socket
//! empty or closed.

use std::fmt;

use zmtp_core::Message;

use crate::error::Error;

/// A `try_send` that did not send: the error and the message, handed back.
#[derive(Debug)]
pub struct TrySendError {
    /// Why it was not sent ([`Error::WouldBlock`] when no peer could take it now).
    pub error: Error,
    /// The message, untouched.
    pub message: Message,
}

impl TrySendError {
    /// Takes the message back.
    pub fn into_message(self) -> Message {
        self.message
    }

    /// Whether it was not sent only because no peer could take it now: trying again later,
    /// or awaiting `send`, may succeed.
    pub fn is_full(&self) -> bool {
        matches!(self.error, Error::WouldBlock)
    }
}

impl fmt::Display for TrySendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for TrySendError {}

impl From<TrySendError> for Error {
    fn from(refused: TrySendError) -> Error {
        refused.error
    }
}

/// A `try_recv` that found no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryRecvError {
    /// No message is waiting now; one may arrive later.
    Empty,
    /// The socket was closed: no message will come.
    Closed,
    /// Receiving now breaks the socket's pattern (a REQ with no request outstanding, a REP
    /// whose last request is not answered).
    InvalidState(&'static str),
    /// The socket type does not receive (PUB, PUSH inside an [`AnySocket`](crate::AnySocket)).
    NotSupported(&'static str),
}

impl TryRecvError {
    /// Whether no message was waiting (and one may still come).
    pub fn is_empty(&self) -> bool {
        matches!(self, TryRecvError::Empty)
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("no message is waiting"),
            TryRecvError::Closed => f.write_str("socket closed"),
            TryRecvError::InvalidState(why) => write!(f, "invalid socket state: {why}"),
            TryRecvError::NotSupported(what) => {
                write!(f, "not supported by this socket type: {what}")
            }
        }
    }
}

impl std::error::Error for TryRecvError {}

/// So that `?` works in a function returning [`Result`](crate::Result).
impl From<TryRecvError> for Error {
    fn from(e: TryRecvError) -> Error {
        match e {
            TryRecvError::Empty => Error::WouldBlock,
            TryRecvError::Closed => Error::Closed,
            TryRecvError::InvalidState(why) => Error::InvalidState(why),
            TryRecvError::NotSupported(what) => Error::NotSupported(what),
        }
    }
}
