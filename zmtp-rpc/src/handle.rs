//! Running one request's handler, stopped at its deadline: shared by the
//! [`Server`](crate::Server) and the [`Worker`](crate::Worker), so that a call answers the same
//! whichever runs it.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;

use crate::clock;
use crate::request::{HandlerError, Request};
use crate::stats::ServerCounters;
use crate::wire::{Status, WireReply, WireRequest};

/// Decrements the in-flight count however the handler's task ends (reply, panic, abort).
struct InFlight(Arc<ServerCounters>);

impl InFlight {
    fn start(counters: Arc<ServerCounters>) -> InFlight {
        counters.in_flight.add();
        InFlight(counters)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.sub();
    }
}

/// Runs `handler` on `request` until the request's deadline and says how the call ended, as
/// the reply to send (with the request's envelope, to retrace its route).
pub(crate) async fn run<H, F>(
    request: WireRequest,
    handler: &H,
    counters: &Arc<ServerCounters>,
) -> WireReply
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Bytes, HandlerError>> + Send + 'static,
{
    let _in_flight = InFlight::start(Arc::clone(counters));
    let WireRequest {
        envelope,
        id,
        deadline_ms,
        method,
        body,
        ..
    } = request;
    let call = Request {
        method: method.clone(),
        body,
        deadline_ms,
        peer: envelope.first().cloned().unwrap_or_default(),
    };
    let outcome = match clock::instant_of(deadline_ms) {
        Some(until) => tokio::time::timeout_at(until, handler(call)).await.ok(),
        None => Some(handler(call).await),
    };
    let (status, body) = match outcome {
        Some(Ok(body)) => (Status::Ok, body),
        Some(Err(HandlerError::Failed(message))) => (Status::Error, Bytes::from(message)),
        Some(Err(HandlerError::UnknownMethod)) => (Status::UnknownMethod, Bytes::from(method)),
        None => {
            counters.timed_out.add();
            (Status::DeadlineExceeded, Bytes::new())
        }
    };
    WireReply {
        envelope,
        id,
        status,
        body,
    }
}
