//! MessagePack bodies: one frame holding one MessagePack value, structs written as maps keyed
//! by field name, so that a Python peer's `msgpack.unpackb` gives dicts (and `msgpack.packb`
//! of a dict decodes into a struct).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use zmtp_rpc::{Client, Request, Server};
//! let socket = zmtp_tokio::RouterSocket::new();
//! let endpoint = socket.bind("tcp://127.0.0.1:0").await?;
//! let _serving = Server::new(socket).serve(|request: Request| async move {
//!     let words: Vec<String> = request.msgpack()?;
//!     Ok(zmtp_rpc::msgpack::encode(&words.join(" "))?)
//! });
//! let client = Client::connect(&endpoint)?;
//! let words = ["packed", "small"];
//! let joined: String = client.call_msgpack("join", &words, Some(Duration::from_secs(5))).await?;
//! assert_eq!(joined, "packed small");
//! # Ok(()) }
//! ```

use std::io::Cursor;
use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::client::Client;
use crate::error::{Error, Result};

/// Why a body did not decode: rmp-serde's error, named here so that callers need not depend on
/// rmp-serde to match it.
pub use rmp_serde::decode::Error as DecodeError;
/// Why a value did not encode: rmp-serde's error.
pub use rmp_serde::encode::Error as EncodeError;

/// `value` as one frame of MessagePack, structs as maps with their field names.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Bytes, EncodeError> {
    rmp_serde::to_vec_named(value).map(Bytes::from)
}

/// A value from one frame of MessagePack. Bytes after the value are an error, as they are for
/// JSON and for Python's `msgpack.unpackb`.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    let mut deserializer = rmp_serde::Deserializer::new(Cursor::new(body));
    let value = T::deserialize(&mut deserializer)?;
    let used = deserializer.position();
    if used != body.len() as u64 {
        return Err(DecodeError::Syntax(format!(
            "{} bytes after the MessagePack value",
            body.len() as u64 - used
        )));
    }
    Ok(value)
}

impl Client {
    /// [`call`](Client::call) with `body` encoded as MessagePack and the answer decoded from
    /// MessagePack.
    pub async fn call_msgpack<T, R>(
        &self,
        method: &str,
        body: &T,
        deadline: Option<Duration>,
    ) -> Result<R>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let body = encode(body).map_err(Error::MsgPackEncode)?;
        let answer = self.call(method, body, deadline).await?;
        decode(&answer).map_err(Error::MsgPackDecode)
    }
}
