//! The client: many calls in flight on one DEALER socket, each matched to its reply by id.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Mutex;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tracing::Instrument;
use zmtp_tokio::{Dealer, DealerSocket, IntoEndpoint, SocketReceiver, SocketSender};

use crate::clock;
use crate::error::{Error, Result};
use crate::pending::Pending;
use crate::retry::Retry;
use crate::stats::{ClientCounters, ClientStats};
use crate::telemetry;
use crate::wire::{self, Status, WireReply, WireRequest};

/// The shortest time an attempt of a retried call is given.
const MIN_ATTEMPT: Duration = Duration::from_millis(1);

/// Calls methods of [`Server`](crate::Server)s (or any peer speaking the
/// [wire format](crate::wire)) over one DEALER socket.
///
/// Cheap to clone: the clones share the socket, so calls from many tasks are in flight
/// together. When connected to several servers, the DEALER sends each request to the next one
/// in turn. Dropping the last clone stops the task that reads replies and closes the socket in
/// the background (with its linger); waiting calls then end with [`Error::Closed`].
#[derive(Debug, Clone)]
pub struct Client {
    shared: Arc<Shared>,
    retry: Retry,
}

#[derive(Debug)]
struct Shared {
    /// Sending waits while no server has room (the DEALER's high-water mark): one sender at a
    /// time, the others queue behind the lock, as they would behind the socket.
    sender: Mutex<SocketSender<Dealer>>,
    pending: Arc<Pending>,
    counters: Arc<ClientCounters>,
    reader: AbortHandle,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Client {
    /// A client over `socket`, connected (or to be connected) by the caller. Spawns the task
    /// that reads replies, so it must be called inside a tokio runtime.
    pub fn new(socket: DealerSocket) -> Client {
        let (sender, receiver) = socket.split();
        let pending = Arc::new(Pending::default());
        let counters = Arc::new(ClientCounters::new());
        let reader = tokio::spawn(read_replies(
            receiver,
            Arc::clone(&pending),
            Arc::clone(&counters),
        ))
        .abort_handle();
        Client {
            shared: Arc::new(Shared {
                sender: Mutex::new(sender),
                pending,
                counters,
                reader,
            }),
            retry: Retry::Never,
        }
    }

    /// A client on a new DEALER socket connected to `endpoint` (in the background: calls made
    /// before the server is up wait for it, within their deadlines).
    pub fn connect(endpoint: impl IntoEndpoint) -> Result<Client> {
        let socket = DealerSocket::new();
        socket.connect(endpoint)?;
        Ok(Client::new(socket))
    }

    /// This client with `retry` as the policy of [`call`](Self::call).
    pub fn with_retry(mut self, retry: Retry) -> Client {
        self.retry = retry;
        self
    }

    /// Calls `method` with `body` and waits for the reply, at most `deadline` from now (`None`:
    /// as long as it takes). The deadline travels with the request, so that a server which
    /// reads it too late drops it without running it.
    ///
    /// Cancel-safe: dropping the future forgets the call; its reply, if one comes, is
    /// discarded and counted in [`ClientStats::late_replies`].
    pub async fn call(
        &self,
        method: &str,
        body: impl Into<Bytes>,
        deadline: Option<Duration>,
    ) -> Result<Bytes> {
        self.call_with(method, body, deadline, self.retry).await
    }

    /// [`call`](Self::call) with its own retry policy.
    ///
    /// The call runs in a `tracing` span `zmtp_rpc.call` with its `method`, and ends with its
    /// `outcome` recorded there and, with the feature `metrics`, in the call metrics.
    pub async fn call_with(
        &self,
        method: &str,
        body: impl Into<Bytes>,
        deadline: Option<Duration>,
        retry: Retry,
    ) -> Result<Bytes> {
        let mut record = CallRecord::start(method);
        let span = record.span.clone();
        let result = self
            .exchange(method, body.into(), deadline, retry)
            .instrument(span)
            .await;
        record.finish(telemetry::call_outcome(&result));
        result
    }

    /// Sends the request and waits for its reply, sending it again as `retry` allows.
    async fn exchange(
        &self,
        method: &str,
        body: Bytes,
        deadline: Option<Duration>,
        retry: Retry,
    ) -> Result<Bytes> {
        if method.is_empty() || method.len() > wire::MAX_METHOD_LEN {
            return Err(Error::InvalidMethod);
        }
        // A deadline too far away for the clock to represent is none.
        let deadline = deadline.filter(|d| Instant::now().checked_add(*d).is_some());
        let until = deadline.map(|d| Instant::now() + d);
        let (ticket, mut reply) = self.shared.pending.register()?;
        let mut request = Some(wire::encode_request(WireRequest {
            envelope: Vec::new(),
            id: ticket.id.to_be_bytes(),
            deadline_ms: deadline.map_or(0, clock::deadline_ms_after),
            method: method.to_owned(),
            body,
            // Only the caller knows; a broker retries on another worker only when told.
            idempotent: matches!(retry, Retry::Idempotent { .. }),
        }));
        let attempts = if until.is_some() { retry.attempts() } else { 1 };
        for attempt in 0..attempts {
            if attempt > 0 {
                if until.is_some_and(|until| Instant::now() >= until) {
                    break; // the deadline is spent
                }
                self.shared.counters.retries.add();
            }
            // An equal share of what is left for each attempt still to come, but at least a
            // millisecond, so that a huge attempt count cannot become a burst of sends.
            let attempt_until = until.map(|until| {
                let left = until.saturating_duration_since(Instant::now());
                let share = (left / (attempts - attempt)).max(MIN_ATTEMPT).min(left);
                Instant::now() + share
            });
            // The last attempt sends the request itself, the others a copy.
            let message = match attempt + 1 == attempts {
                true => request.take(),
                false => request.clone(),
            }
            .expect("taken by the last attempt only");
            let exchange = async {
                let send = async { self.shared.sender.lock().await.send(message).await };
                tokio::select! {
                    // An earlier attempt's reply may come while this one waits to be sent.
                    biased;
                    answer = &mut reply => return answer.map_err(|_| Error::Closed),
                    sent = send => sent?,
                }
                (&mut reply).await.map_err(|_| Error::Closed)
            };
            if let Some(answer) = before(attempt_until, exchange).await {
                return answer.and_then(into_result);
            }
        }
        // `ticket` drops here: the id is forgotten, a reply after this is late.
        Err(Error::DeadlineExceeded)
    }

    /// What this client (and its clones) discarded so far.
    pub fn stats(&self) -> ClientStats {
        self.shared.counters.snapshot()
    }

    /// How many calls wait for a reply now.
    pub fn in_flight(&self) -> usize {
        self.shared.pending.waiting()
    }
}

/// `future`'s output, or `None` if `until` comes first.
async fn before<F: Future>(until: Option<Instant>, future: F) -> Option<F::Output> {
    match until {
        Some(until) => tokio::time::timeout_at(until, future).await.ok(),
        None => Some(future.await),
    }
}

/// The call's result from the reply's status.
/// A call's span and start, recording its outcome when it ends, or `cancelled` when its
/// future is dropped first.
struct CallRecord<'a> {
    method: &'a str,
    started: Option<Instant>,
    span: tracing::Span,
    finished: bool,
}

impl<'a> CallRecord<'a> {
    fn start(method: &'a str) -> CallRecord<'a> {
        CallRecord {
            method,
            started: telemetry::start(),
            span: tracing::info_span!("zmtp_rpc.call", method, outcome = tracing::field::Empty),
            finished: false,
        }
    }

    fn finish(&mut self, outcome: &'static str) {
        self.finished = true;
        self.span.record("outcome", outcome);
        telemetry::call_finished(self.method, outcome, telemetry::elapsed(self.started));
    }
}

impl Drop for CallRecord<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.finish("cancelled");
        }
    }
}

fn into_result(reply: WireReply) -> Result<Bytes> {
    let text = || String::from_utf8_lossy(&reply.body).into_owned();
    match reply.status {
        Status::Ok => Ok(reply.body.clone()),
        Status::Error => Err(Error::Remote(text())),
        Status::UnknownMethod => Err(Error::UnknownMethod(text())),
        Status::DeadlineExceeded => Err(Error::DeadlineExceeded),
        Status::WorkerLost => Err(Error::WorkerLost),
    }
}

/// Reads replies until the socket closes, handing each to its call; anything else is counted
/// and discarded.
async fn read_replies(
    mut receiver: SocketReceiver<Dealer>,
    pending: Arc<Pending>,
    counters: Arc<ClientCounters>,
) {
    while let Ok(message) = receiver.recv().await {
        match wire::decode_reply(message) {
            // A DEALER's reply has no routing frames before the delimiter.
            Ok(reply) if reply.envelope.is_empty() => pending.resolve(reply, &counters),
            Ok(_) | Err(_) => counters.malformed.add(),
        }
    }
    pending.close();
}
