//! JSON bodies, as pyzmq's `send_json`/`recv_json` encode them: one frame of UTF-8 JSON.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use zmtp_rpc::{Client, Request, Server};
//! let socket = zmtp_tokio::RouterSocket::new();
//! let endpoint = socket.bind("tcp://127.0.0.1:0").await?;
//! let _serving = Server::new(socket).serve(|request: Request| async move {
//!     let numbers: Vec<i64> = request.json()?;
//!     Ok(zmtp_rpc::json::encode(&numbers.iter().sum::<i64>())?)
//! });
//! let client = Client::connect(&endpoint)?;
//! let sum: i64 = client.call_json("sum", &[1, 2, 3], Some(Duration::from_secs(5))).await?;
//! assert_eq!(sum, 6);
//! # Ok(()) }
//! ```

use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::client::Client;
use crate::error::{Error, Result};

/// `value` as one frame of JSON.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Bytes, serde_json::Error> {
    serde_json::to_vec(value).map(Bytes::from)
}

/// A value from one frame of JSON.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(body)
}

impl Client {
    /// [`call`](Client::call) with `body` encoded as JSON and the answer decoded from JSON.
    pub async fn call_json<T, R>(
        &self,
        method: &str,
        body: &T,
        deadline: Option<Duration>,
    ) -> Result<R>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let body = encode(body).map_err(Error::Json)?;
        let answer = self.call(method, body, deadline).await?;
        decode(&answer).map_err(Error::Json)
    }
}
