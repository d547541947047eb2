//! Helpers shared by the zmtp-rpc tests: fresh in-memory endpoints, servers and clients on
//! them, and raw sockets that speak the wire format by hand.

#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use zmtp_rpc::{Client, HandlerError, Request, Server, Serving};
use zmtp_tokio::{DealerSocket, Message, RouterSocket};

/// A bound for anything a test waits for, on whichever clock the test runs.
pub const LIMIT: Duration = Duration::from_secs(30);

/// A fresh `mem://` endpoint (in-memory pipes, usable on tokio's paused clock).
pub fn mem_endpoint() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("mem://rpc-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A ROUTER bound to a fresh `mem://` endpoint.
pub async fn bound_router() -> (RouterSocket, String) {
    let socket = RouterSocket::new();
    let endpoint = socket.bind(mem_endpoint()).await.expect("bind mem");
    (socket, endpoint.to_string())
}

/// The test handler: `echo` answers the body, `fail` fails with the body as message, `sleep`
/// sleeps the milliseconds its body names (decimal text) and answers the body.
pub async fn test_handler(request: Request) -> Result<Bytes, HandlerError> {
    match request.method() {
        "echo" => Ok(request.into_body()),
        "fail" => Err(HandlerError::Failed(
            String::from_utf8_lossy(request.body()).into_owned(),
        )),
        "sleep" => {
            let ms: u64 = std::str::from_utf8(request.body())
                .ok()
                .and_then(|s| s.split(' ').next()?.parse().ok())
                .ok_or("sleep wants milliseconds")?;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(request.into_body())
        }
        _ => Err(HandlerError::UnknownMethod),
    }
}

/// A server with [`test_handler`] on a fresh `mem://` endpoint, and a client connected to it.
pub async fn served_pair() -> (Serving, Client, String) {
    let (socket, endpoint) = bound_router().await;
    let serving = Server::new(socket).serve(test_handler);
    let client = Client::connect(&endpoint).expect("connect");
    (serving, client, endpoint)
}

/// A request as a raw peer writes it: `[frames...]` after the DEALER's side of the envelope.
pub fn raw_request(id: u64, deadline_ms: u64, method: &str, body: &str) -> Message {
    Message::new()
        .with(Bytes::new())
        .with("ZRPC1")
        .with(Bytes::copy_from_slice(&id.to_be_bytes()))
        .with(Bytes::copy_from_slice(&deadline_ms.to_be_bytes()))
        .with(method.to_owned())
        .with(body.to_owned())
}

/// A raw DEALER connected to `endpoint`.
pub fn raw_dealer(endpoint: &str) -> DealerSocket {
    let socket = DealerSocket::new();
    socket.connect(endpoint).expect("connect");
    socket
}

/// Awaits `future` within [`LIMIT`], naming `what` if it does not finish.
pub async fn within<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(LIMIT, future)
        .await
        .unwrap_or_else(|_| panic!("not within {LIMIT:?}: {what}"))
}

pub mod python;

/// A broker between two fresh `mem://` endpoints, set up by `configure`; its frontend (for
/// clients) and backend (for workers) endpoints.
pub async fn started_broker(
    configure: impl FnOnce(zmtp_rpc::Broker) -> zmtp_rpc::Broker,
) -> (zmtp_rpc::Brokering, String, String) {
    let (frontend, frontend_endpoint) = bound_router().await;
    let (backend, backend_endpoint) = bound_router().await;
    let brokering = configure(zmtp_rpc::Broker::new(frontend, backend)).start();
    (brokering, frontend_endpoint, backend_endpoint)
}

/// Waits (on the test's clock) until `condition` holds, naming `what` if it never does.
pub async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    within(what, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}
