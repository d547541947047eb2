//! The server's task: read while a handler slot is free, run each request in a task of its
//! own, and on shutdown drain, flush and report.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{watch, Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::task::{Id, JoinError, JoinSet};
use zmtp_tokio::{CloseReport, Peer, Router, RouterSocket, SocketReceiver, SocketSender};

use crate::clock;
use crate::handle;
use crate::report::{Reason, ShutdownReport, Unanswered};
use crate::request::{HandlerError, Request};
use crate::stats::ServerCounters;
use crate::wire::{self, WireRequest};

/// The server's limits, set on [`Server`](crate::Server).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) max_in_flight: usize,
    pub(crate) grace: Duration,
    pub(crate) linger: Duration,
}

type Replies = Arc<Mutex<SocketSender<Router>>>;

/// The requests whose handlers run, by task, for the shutdown report.
#[derive(Default)]
struct Running {
    tasks: JoinSet<()>,
    calls: HashMap<Id, (String, [u8; 8])>,
    unanswered: Vec<Unanswered>,
}

impl Running {
    /// Forgets a finished handler; one that did not finish normally goes in the report.
    fn settle(&mut self, done: Result<(Id, ()), JoinError>) {
        let (id, reason) = match done {
            Ok((id, ())) => (id, None),
            Err(error) if error.is_panic() => (error.id(), Some(Reason::HandlerPanicked)),
            Err(error) => (error.id(), Some(Reason::GraceExpired)),
        };
        let call = self.calls.remove(&id);
        if let (Some((method, id)), Some(reason)) = (call, reason) {
            self.unanswered.push(Unanswered { method, id, reason });
        }
    }
}

/// Serves until `stopped` says so (or the socket closes), then shuts down.
pub(crate) async fn run<H, F>(
    socket: RouterSocket,
    settings: Settings,
    handler: Arc<H>,
    mut stopped: watch::Receiver<bool>,
    counters: Arc<ServerCounters>,
) -> ShutdownReport
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Bytes, HandlerError>> + Send + 'static,
{
    let (sender, mut receiver) = socket.split();
    let replies: Replies = Arc::new(Mutex::new(sender));
    let slots = Arc::new(Semaphore::new(settings.max_in_flight));
    let mut running = Running::default();
    loop {
        while let Some(done) = running.tasks.try_join_next_with_id() {
            running.settle(done);
        }
        // A slot first, then a message: with every slot taken the socket is not read, so
        // requests wait in the ROUTER's queue and behind it (backpressure).
        let next = async {
            let slot = Arc::clone(&slots).acquire_owned().await;
            (slot, receiver.recv_with_peer().await)
        };
        let (slot, message) = tokio::select! {
            // Stopping wins over a ready message, which then stays queued (and is reported).
            biased;
            _ = stopped.wait_for(|stop| *stop) => break,
            next = next => next,
        };
        let (Ok(slot), Ok((message, connection))) = (slot, message) else {
            break; // the socket closed
        };
        match wire::decode_request(message) {
            // Without routing frames there is nobody to answer.
            Ok(request) if !request.envelope.is_empty() => {
                if clock::has_passed(request.deadline_ms) {
                    counters.expired.add();
                    continue;
                }
                counters.started.add();
                let call = (request.method.clone(), request.id);
                let task = running.tasks.spawn(answer(
                    request,
                    connection,
                    Arc::clone(&handler),
                    Arc::clone(&replies),
                    Arc::clone(&counters),
                    slot,
                ));
                running.calls.insert(task.id(), call);
            }
            Ok(_) | Err(_) => counters.malformed.add(),
        }
    }
    shut_down(receiver, replies, running, settings, &counters).await
}

/// Runs the handler (stopped at the request's deadline) and sends its reply.
async fn answer<H, F>(
    request: WireRequest,
    connection: Arc<Peer>,
    handler: Arc<H>,
    replies: Replies,
    counters: Arc<ServerCounters>,
    slot: OwnedSemaphorePermit,
) where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Bytes, HandlerError>> + Send + 'static,
{
    let _slot = slot;
    // Boxed: this task's future then stays small, so that spawning it per request copies and
    // allocates little (the handler's state is allocated once, where it runs).
    let handling = Box::pin(handle::run(request, Some(connection), &*handler, &counters));
    let reply = wire::encode_reply(handling.await);
    // Counted before it can reach the caller, so that whoever holds the reply sees it counted.
    counters.answered.add();
    // A ROUTER send does not wait: a reply for a peer that left, or whose queue is full, is
    // dropped by the socket, as the caller's deadline would drop it anyway.
    if replies.lock().await.send(reply).await.is_err() {
        counters.answered.sub(); // the socket is closed
    }
}

/// Lets the handlers finish within the grace period, lists what was not answered, and closes
/// the socket within the linger.
async fn shut_down(
    mut receiver: SocketReceiver<Router>,
    replies: Replies,
    mut running: Running,
    settings: Settings,
    counters: &ServerCounters,
) -> ShutdownReport {
    let finished = tokio::time::timeout(settings.grace, async {
        while let Some(done) = running.tasks.join_next_with_id().await {
            running.settle(done);
        }
    })
    .await;
    if finished.is_err() {
        running.tasks.abort_all();
        while let Some(done) = running.tasks.join_next_with_id().await {
            running.settle(done);
        }
    }
    // What arrived but was never read: reported, not run.
    while let Ok(message) = receiver.try_recv() {
        match wire::decode_request(message) {
            Ok(request) => running.unanswered.push(Unanswered {
                method: request.method,
                id: request.id,
                reason: Reason::NotTaken,
            }),
            Err(_) => counters.malformed.add(),
        }
    }
    // Every handler task has ended, and with it every other holder of the sending half.
    let close = match Arc::try_unwrap(replies) {
        Ok(sender) => match receiver.reunite(sender.into_inner()) {
            Ok(socket) => socket.close_timeout(settings.linger).await,
            Err(_) => CloseReport::default(),
        },
        Err(_) => CloseReport::default(),
    };
    ShutdownReport {
        unanswered: running.unanswered,
        close,
        stats: counters.snapshot(),
    }
}
