//! What the crate reports through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`) and `tracing`: how each call and each request ended and how long it took, and
//! every counter of [`ClientStats`](crate::ClientStats), [`ServerStats`](crate::ServerStats)
//! and [`BrokerStats`](crate::BrokerStats) as it changes. The names and labels are listed in
//! the crate docs ("Observability"). Without the feature the metric functions are empty.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::error::Error;
use crate::wire::Status;

/// Whether a server's or worker's numbers are labelled `server` or `worker`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Server,
    Worker,
}

impl Role {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Worker => "worker",
        }
    }
}

/// The `outcome` of a call, as the client saw it.
pub(crate) fn call_outcome(result: &Result<Bytes, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(Error::Remote(_)) => "remote_error",
        Err(Error::UnknownMethod(_)) => "unknown_method",
        Err(Error::DeadlineExceeded) => "deadline_exceeded",
        Err(Error::WorkerLost) => "worker_lost",
        Err(Error::Closed) => "closed",
        Err(_) => "error",
    }
}

/// The `outcome` of a request, as the server answered it.
pub(crate) fn request_outcome(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Error => "error",
        Status::UnknownMethod => "unknown_method",
        Status::DeadlineExceeded => "deadline_exceeded",
        Status::WorkerLost => "worker_lost",
    }
}

/// How many distinct method names a server labels its metrics with; requests for others are
/// labelled `other`. Method names come from peers: without a bound, a peer sending a new name
/// with every request would grow the metrics recorder without end.
pub(crate) const MAX_METHOD_LABELS: usize = 64;

/// The method names a server has used as labels so far (at most [`MAX_METHOD_LABELS`]), each
/// kept once and shared by every request's metrics.
#[derive(Debug)]
pub(crate) struct MethodLabels {
    known: Mutex<HashSet<Arc<str>>>,
    unknown: Arc<str>,
    other: Arc<str>,
}

impl Default for MethodLabels {
    fn default() -> MethodLabels {
        MethodLabels {
            known: Mutex::default(),
            unknown: Arc::from("unknown"),
            other: Arc::from("other"),
        }
    }
}

impl MethodLabels {
    /// The label for `method` in a request that ended with `status`: a method the handler did
    /// not know is `unknown`, and past the bound, a name not seen before is `other`.
    pub(crate) fn label(&self, method: &str, status: Status) -> Arc<str> {
        if status == Status::UnknownMethod {
            return Arc::clone(&self.unknown);
        }
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(label) = known.get(method) {
            return Arc::clone(label);
        }
        if known.len() < MAX_METHOD_LABELS {
            let label: Arc<str> = Arc::from(method);
            known.insert(Arc::clone(&label));
            label
        } else {
            Arc::clone(&self.other)
        }
    }
}

/// A client's call ended with `outcome` after `elapsed`.
#[cfg(feature = "metrics")]
pub(crate) fn call_finished(method: &str, outcome: &'static str, elapsed: Duration) {
    // One copy of the method name, shared by both metrics; the fixed words are not copied.
    let method = metrics::SharedString::from(Arc::<str>::from(method));
    let calls = metrics::counter!(
        "zmtp_rpc_client_calls_total",
        "method" => method.clone(),
        "outcome" => outcome
    );
    calls.increment(1);
    let seconds = metrics::histogram!(
        "zmtp_rpc_client_call_seconds",
        "method" => method,
        "outcome" => outcome
    );
    seconds.record(elapsed.as_secs_f64());
}

#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub(crate) fn call_finished(_method: &str, _outcome: &'static str, _elapsed: Duration) {}

/// A server's or worker's request ended with `outcome` after `elapsed`.
#[cfg(feature = "metrics")]
pub(crate) fn request_finished(
    role: Role,
    method: Arc<str>,
    outcome: &'static str,
    elapsed: Duration,
) {
    let (role, method) = (role.label(), metrics::SharedString::from(method));
    let requests = metrics::counter!(
        "zmtp_rpc_server_requests_total",
        "role" => role,
        "method" => method.clone(),
        "outcome" => outcome
    );
    requests.increment(1);
    let seconds = metrics::histogram!(
        "zmtp_rpc_server_request_seconds",
        "role" => role,
        "method" => method,
        "outcome" => outcome
    );
    seconds.record(elapsed.as_secs_f64());
}

#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub(crate) fn request_finished(
    _role: Role,
    _method: Arc<str>,
    _outcome: &'static str,
    _: Duration,
) {
}

/// Whether call and request metrics are recorded at all: without them neither the clock is
/// read nor the method label worked out for nothing (two clock reads cost a call as much as
/// its correlation does).
pub(crate) const RECORDS: bool = cfg!(feature = "metrics");

/// Now, when metrics are recorded (the start of what [`elapsed`] measures).
pub(crate) fn start() -> Option<Instant> {
    RECORDS.then(Instant::now)
}

/// The time since `start`, zero when metrics are not recorded.
pub(crate) fn elapsed(start: Option<Instant>) -> Duration {
    start.map_or(Duration::ZERO, |start| start.elapsed())
}

/// One of the stats counters changed by `delta`: a monotonic counter (`gauge` false, `delta`
/// positive) or a gauge.
#[cfg(feature = "metrics")]
pub(crate) fn stat_changed(name: &'static str, role: &'static str, gauge: bool, delta: i64) {
    if gauge {
        metrics::gauge!(name, "role" => role).increment(delta as f64);
    } else if let Ok(delta) = u64::try_from(delta) {
        metrics::counter!(name, "role" => role).increment(delta);
    }
}

#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub(crate) fn stat_changed(_name: &'static str, _role: &'static str, _gauge: bool, _delta: i64) {}

/// A gauge of the stats was set to `value`.
#[cfg(feature = "metrics")]
pub(crate) fn stat_set(name: &'static str, role: &'static str, value: u64) {
    metrics::gauge!(name, "role" => role).set(value as f64);
}

#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub(crate) fn stat_set(_name: &'static str, _role: &'static str, _value: u64) {}
