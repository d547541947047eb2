//! The errors a call can end with.

use std::fmt;

/// Why a call did not return the handler's answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No reply came before the call's deadline (or the server said the deadline had passed).
    DeadlineExceeded,
    /// The handler failed; its message.
    Remote(String),
    /// The server has no handler for this method.
    UnknownMethod(String),
    /// A broker lost the worker that was running the call, and did not run
    /// it again because it was not marked idempotent ([`Retry::Idempotent`](crate::Retry)):
    /// it may or may not have run once.
    WorkerLost,
    /// The method name is empty, longer than [`MAX_METHOD_LEN`](crate::wire::MAX_METHOD_LEN)
    /// bytes: no server could read the request.
    InvalidMethod,
    /// The client's socket closed, or its reading task ended.
    Closed,
    /// The socket failed.
    Socket(zmtp_tokio::Error),
    /// A JSON body did not encode or decode.
    #[cfg(feature = "json")]
    Json(serde_json::Error),
    /// A MessagePack body did not encode.
    #[cfg(feature = "msgpack")]
    MsgPackEncode(crate::msgpack::EncodeError),
    /// A MessagePack body did not decode.
    #[cfg(feature = "msgpack")]
    MsgPackDecode(crate::msgpack::DecodeError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DeadlineExceeded => f.write_str("the call's deadline passed"),
            Error::Remote(message) => write!(f, "the handler failed: {message}"),
            Error::UnknownMethod(method) => write!(f, "the server has no method {method:?}"),
            Error::WorkerLost => f.write_str("the worker running the call was lost"),
            Error::InvalidMethod => f.write_str("the method name is empty or too long"),
            Error::Closed => f.write_str("the client is closed"),
            Error::Socket(error) => write!(f, "socket error: {error}"),
            #[cfg(feature = "json")]
            Error::Json(error) => write!(f, "JSON body: {error}"),
            #[cfg(feature = "msgpack")]
            Error::MsgPackEncode(error) => write!(f, "MessagePack body: {error}"),
            #[cfg(feature = "msgpack")]
            Error::MsgPackDecode(error) => write!(f, "MessagePack body: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Socket(error) => Some(error),
            #[cfg(feature = "json")]
            Error::Json(error) => Some(error),
            #[cfg(feature = "msgpack")]
            Error::MsgPackEncode(error) => Some(error),
            #[cfg(feature = "msgpack")]
            Error::MsgPackDecode(error) => Some(error),
            _ => None,
        }
    }
}

impl From<zmtp_tokio::Error> for Error {
    fn from(error: zmtp_tokio::Error) -> Error {
        match error {
            zmtp_tokio::Error::Closed => Error::Closed,
            other => Error::Socket(other),
        }
    }
}

/// A result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
