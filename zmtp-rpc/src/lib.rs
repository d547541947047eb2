//! Request/reply microservices over ZeroMQ, without hand-written correlation: a [`Client`] on
//! a DEALER socket with many calls in flight, each matched to its reply by a correlation id,
//! each with its own deadline; a [`Server`] on a ROUTER socket that runs a handler per request
//! with a bound on how many run at once, drops requests whose deadline passed, and shuts down
//! gracefully with a report of what it did not answer.
//!
//! The [wire format](wire) is plain ZMTP frames (docs/RPC.md), so that a pyzmq or libzmq peer
//! can be a client or a server in a few lines.
//!
//! # Quickstart
//!
//! ```
//! use std::time::Duration;
//! use zmtp_rpc::{Client, HandlerError, Request, Server};
//! use zmtp_tokio::RouterSocket;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let socket = RouterSocket::new();
//! let endpoint = socket.bind("tcp://127.0.0.1:0").await?;
//! let serving = Server::new(socket).max_in_flight(16).serve(|request: Request| async move {
//!     match request.method() {
//!         "echo" => Ok(request.into_body()),
//!         "fail" => Err(HandlerError::from("no luck")),
//!         _ => Err(HandlerError::UnknownMethod),
//!     }
//! });
//!
//! let client = Client::connect(&endpoint)?;
//! let deadline = Some(Duration::from_secs(5));
//! let (a, b) = tokio::join!(
//!     client.call("echo", "one", deadline), // both in flight on one socket
//!     client.call("echo", "two", deadline),
//! );
//! assert_eq!((a?, b?), ("one".into(), "two".into()));
//! assert!(matches!(
//!     client.call("fail", "", deadline).await,
//!     Err(zmtp_rpc::Error::Remote(message)) if message == "no luck"
//! ));
//!
//! let report = serving.shutdown().await; // finishes what runs, flushes, closes
//! assert!(report.unanswered.is_empty());
//! # Ok(()) }
//! ```
//!
//! # Broker
//!
//! A [`Broker`] puts many [`Worker`]s behind one endpoint: clients connect to its frontend as
//! to a [`Server`] (the same [`Client`], unchanged), workers to its backend, and each request
//! goes to the least recently used worker with room. Heartbeats both ways find dead workers:
//! their idempotent requests run elsewhere, the others fail at once with
//! [`Error::WorkerLost`], never running twice. The backend protocol is in docs/RPC.md.
//!
//! ```
//! use std::time::Duration;
//! use zmtp_rpc::{Broker, Client, HandlerError, Request, Retry, Worker};
//! use zmtp_tokio::RouterSocket;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (frontend, backend) = (RouterSocket::new(), RouterSocket::new());
//! let clients = frontend.bind("tcp://127.0.0.1:0").await?;
//! let workers = backend.bind("tcp://127.0.0.1:0").await?;
//! let brokering = Broker::new(frontend, backend).max_per_worker(2).start();
//! let handler = |request: Request| async move {
//!     match request.method() {
//!         "price" => Ok(request.into_body()),
//!         _ => Err(HandlerError::UnknownMethod),
//!     }
//! };
//! let working = [
//!     Worker::connect(&workers)?.serve(handler),
//!     Worker::connect(&workers)?.serve(handler),
//! ];
//!
//! // Idempotent: if its worker dies, the broker runs it on the other one.
//! let client = Client::connect(&clients)?.with_retry(Retry::Idempotent { attempts: 1 });
//! let reply = client.call("price", "AAPL", Some(Duration::from_secs(5))).await?;
//! assert_eq!(reply, "AAPL");
//!
//! for worker in working {
//!     worker.shutdown().await;
//! }
//! assert!(brokering.shutdown().await.unanswered.is_empty());
//! # Ok(()) }
//! ```
//!
//! # Observability
//!
//! Every call runs in a `tracing` span `zmtp_rpc.call` (`method`, `outcome`), and every
//! request a server or worker handles in a span `zmtp_rpc.request` (`role`, `method`,
//! `outcome`, and on a [`Server`] the client's `peer` address, `mechanism` and `user_id`,
//! which the handler also gets from [`Request::connection`]). zmtp-tokio adds a span per
//! connection.
//!
//! With the feature `metrics`, the crate records through the
//! [`metrics`](https://docs.rs/metrics) facade (and turns on zmtp-tokio's socket counters:
//! connections, handshake failures by reason, reconnects, messages dropped at high-water
//! marks):
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `zmtp_rpc_client_calls_total` | `method`, `outcome` | calls ended: `ok`, `remote_error`, `unknown_method`, `deadline_exceeded`, `worker_lost`, `closed`, `cancelled` (the future dropped), `error` |
//! | `zmtp_rpc_client_call_seconds` (histogram) | `method`, `outcome` | how long each call took |
//! | `zmtp_rpc_server_requests_total` | `role` (`server`, `worker`), `method`, `outcome` | requests answered: `ok`, `error`, `unknown_method`, `deadline_exceeded` |
//! | `zmtp_rpc_server_request_seconds` (histogram) | `role`, `method`, `outcome` | how long each handler ran |
//! | `zmtp_rpc_client_*_total`, `zmtp_rpc_server_*_total`, `zmtp_rpc_broker_*_total` | `role` | each field of [`ClientStats`] (`retries`, `late_replies`, ...), [`ServerStats`] (`expired`, `timed_out`, ...) and [`BrokerStats`] (`dispatched`, `retried`, `workers_lost`, ...) as it changes |
//! | `zmtp_rpc_server_in_flight`, `zmtp_rpc_broker_workers`, `zmtp_rpc_broker_queued` (gauges) | `role` | the levels of the same stats |
//!
//! A server's method label is the method a client named, so a server labels at most 64
//! distinct names (then `other`), and a method its handler did not know is `unknown`: a
//! peer cannot grow the recorder without bound.
//!
//! # Choices
//!
//! - Deadlines travel as wall-clock milliseconds since the Unix epoch: client and server
//!   clocks must agree to within the precision the deadlines need.
//! - A server reads a request only when a handler slot is free ([`Server::max_in_flight`]);
//!   backpressure goes through the sockets' high-water marks to the callers.
//! - Retries are off unless asked for ([`Retry`]): only the caller knows whether a method can
//!   run twice.
//! - Nothing a peer sends can make a client or server panic: a message that is not exactly a
//!   request or reply of this protocol is discarded and counted ([`ClientStats`],
//!   [`ServerStats`]).

#![cfg_attr(docsrs, feature(doc_cfg))]

mod background;
mod broker;
mod broker_loop;
mod broker_table;
mod client;
mod clock;
mod error;
mod handle;
mod heartbeat;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub mod json;
#[cfg(feature = "msgpack")]
#[cfg_attr(docsrs, doc(cfg(feature = "msgpack")))]
pub mod msgpack;
mod pending;
mod report;
mod request;
mod retry;
mod serve_loop;
mod server;
mod stats;
mod telemetry;
pub mod wire;
mod worker;
mod worker_loop;
mod worker_wire;

pub use broker::{Broker, BrokerReport, Brokering};
pub use bytes::Bytes;
pub use client::Client;
pub use error::{Error, Result};
pub use report::{Reason, ShutdownReport, Unanswered};
pub use request::{HandlerError, Request};
pub use retry::Retry;
pub use server::{Server, Serving};
pub use stats::{BrokerStats, ClientStats, ServerStats};
pub use worker::{Worker, Working};
