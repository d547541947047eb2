//! Running one request's handler, stopped at its deadline: shared by the
//! [`Server`](crate::Server) and the [`Worker`](crate::Worker), so that a call answers the same
//! whichever runs it.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use tracing::Instrument;
use zmtp_tokio::Peer;

use crate::clock;
use crate::request::{HandlerError, Request};
use crate::stats::ServerCounters;
use crate::telemetry::{self, Role};
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
/// the reply to send (with the request's envelope, to retrace its route). `connection` is the
/// peer the request came from, when it came straight from a client (not through a broker).
/// The handler runs inside the request's span, which ends with the outcome.
pub(crate) async fn run<H, F>(
    request: WireRequest,
    connection: Option<Arc<Peer>>,
    handler: &H,
    counters: &Arc<ServerCounters>,
) -> WireReply
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Bytes, HandlerError>> + Send + 'static,
{
    let _in_flight = InFlight::start(Arc::clone(counters));
    let started = telemetry::start();
    let span = request_span(counters.role, &request.method, connection.as_deref());
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
        connection,
    };
    let handling = handler(call).instrument(span.clone());
    let outcome = match clock::instant_of(deadline_ms) {
        Some(until) => tokio::time::timeout_at(until, handling).await.ok(),
        None => Some(handling.await),
    };
    let (status, body) = match outcome {
        Some(Ok(body)) => (Status::Ok, body),
        Some(Err(HandlerError::Failed(message))) => (Status::Error, Bytes::from(message)),
        Some(Err(HandlerError::UnknownMethod)) => {
            (Status::UnknownMethod, Bytes::from(method.clone()))
        }
        None => {
            counters.timed_out.add();
            (Status::DeadlineExceeded, Bytes::new())
        }
    };
    let outcome = telemetry::request_outcome(status);
    span.record("outcome", outcome);
    if telemetry::RECORDS {
        let method = counters.methods.label(&method, status);
        let elapsed = telemetry::elapsed(started);
        telemetry::request_finished(counters.role, method, outcome, elapsed);
    }
    WireReply {
        envelope,
        id,
        status,
        body,
    }
}

/// The span a request's handler runs in: its method, and when it came straight from a
/// client, that client's address, mechanism and user id.
fn request_span(role: Role, method: &str, connection: Option<&Peer>) -> tracing::Span {
    let span = tracing::info_span!(
        "zmtp_rpc.request",
        role = role.label(),
        method,
        peer = tracing::field::Empty,
        mechanism = tracing::field::Empty,
        user_id = tracing::field::Empty,
        outcome = tracing::field::Empty,
    );
    if let Some(peer) = connection {
        span.record("peer", peer.address.as_str());
        span.record("mechanism", peer.mechanism);
        if let Some(user_id) = peer.auth.as_ref().and_then(|auth| auth.user_id_str()) {
            span.record("user_id", user_id);
        }
    }
    span
}
