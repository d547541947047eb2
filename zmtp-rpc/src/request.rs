//! What a handler is given, and what it may answer besides a body.

use std::sync::Arc;

use bytes::Bytes;
use tokio::time::Instant;
use zmtp_tokio::Peer;

use crate::clock;

/// One request, as the server's handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) method: String,
    pub(crate) body: Bytes,
    pub(crate) deadline_ms: u64,
    pub(crate) peer: Bytes,
    pub(crate) connection: Option<Arc<Peer>>,
}

impl Request {
    /// The method called.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The request body, owned.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// When the caller stops waiting, on tokio's clock; `None` if it waits as long as it
    /// takes. The server stops the handler at this instant (answering "deadline exceeded"), so
    /// a handler only needs it to pass the deadline on to calls of its own.
    pub fn deadline(&self) -> Option<Instant> {
        clock::instant_of(self.deadline_ms)
    }

    /// The ROUTER's routing id of the connection the request came on (the first routing frame).
    pub fn peer(&self) -> &Bytes {
        &self.peer
    }

    /// The client's connection, when the request came straight from it (to a
    /// [`Server`](crate::Server); a [`Worker`](crate::Worker) behind a broker does not know
    /// it): its address, and on a PLAIN or CURVE server the user id and key the authenticator
    /// established, for a handler that decides who may call what.
    pub fn connection(&self) -> Option<&Peer> {
        self.connection.as_deref()
    }

    /// The body decoded from JSON, as pyzmq's `send_json` writes it.
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body decoded from MessagePack ([`msgpack::decode`](crate::msgpack::decode)), as
    /// Python's `msgpack.packb` writes it.
    #[cfg(feature = "msgpack")]
    #[cfg_attr(docsrs, doc(cfg(feature = "msgpack")))]
    pub fn msgpack<T: serde::de::DeserializeOwned>(
        &self,
    ) -> Result<T, crate::msgpack::DecodeError> {
        crate::msgpack::decode(&self.body)
    }
}

/// A handler's answer other than a body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandlerError {
    /// The call failed; the message goes to the caller ([`Error::Remote`](crate::Error)).
    Failed(String),
    /// The handler has no such method ([`Error::UnknownMethod`](crate::Error)).
    UnknownMethod,
}

impl From<String> for HandlerError {
    fn from(message: String) -> HandlerError {
        HandlerError::Failed(message)
    }
}

impl From<&str> for HandlerError {
    fn from(message: &str) -> HandlerError {
        HandlerError::Failed(message.to_owned())
    }
}

#[cfg(feature = "json")]
impl From<serde_json::Error> for HandlerError {
    fn from(error: serde_json::Error) -> HandlerError {
        HandlerError::Failed(format!("JSON body: {error}"))
    }
}

#[cfg(feature = "msgpack")]
impl From<crate::msgpack::EncodeError> for HandlerError {
    fn from(error: crate::msgpack::EncodeError) -> HandlerError {
        HandlerError::Failed(format!("MessagePack body: {error}"))
    }
}

#[cfg(feature = "msgpack")]
impl From<crate::msgpack::DecodeError> for HandlerError {
    fn from(error: crate::msgpack::DecodeError) -> HandlerError {
        HandlerError::Failed(format!("MessagePack body: {error}"))
    }
}
