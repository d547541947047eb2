//! The worker's task: one loop owns the DEALER, says READY, heartbeats, runs each request in
//! a task of its own and sends the replies those tasks hand back.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::Instant;
use zmtp_tokio::{DealerSocket, Message};

use crate::clock;
use crate::handle;
use crate::heartbeat::Heartbeat;
use crate::report::{Reason, ShutdownReport, Unanswered};
use crate::request::{HandlerError, Request};
use crate::stats::ServerCounters;
use crate::wire::{Status, WireReply};
use crate::worker_wire::{self, Command};

/// The worker's settings, set on [`Worker`](crate::Worker).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) heartbeat: Heartbeat,
    pub(crate) grace: Duration,
    pub(crate) linger: Duration,
}

/// A running handler's ticket and what the report says of it.
type Call = (u64, [u8; 8], String);

enum Event {
    Stop,
    Tick,
    Done(u64, WireReply),
    Ended(Result<(Id, ()), JoinError>),
    Message(zmtp_tokio::Result<Message>),
}

/// The socket, the running handlers and the counters.
struct Worker {
    socket: DealerSocket,
    /// How long a reply may wait for room on the socket (the heartbeat silence).
    patience: Duration,
    tasks: JoinSet<()>,
    calls: HashMap<Id, Call>,
    counters: Arc<ServerCounters>,
}

impl Worker {
    /// Sends READY, HEARTBEAT or DISCONNECT if the socket takes it now. Never waits: with no
    /// broker connected, or none reading, a DEALER send would wait, and the loop with it (no
    /// replies, no shutdown). A lost one is harmless: the next tick sends another.
    fn signal(&mut self, command: Command) {
        let _ = self.socket.try_send(worker_wire::encode(command));
    }

    /// Sends a handler's reply under its ticket, waiting at most the heartbeat silence for
    /// room: by then the heartbeats, which do not wait, have been missing as long, so the
    /// broker has declared this worker dead and settled the request itself.
    async fn reply(&mut self, ticket: u64, reply: WireReply) {
        // Counted before it can reach the caller, so that whoever holds the reply sees it.
        self.counters.answered.add();
        let message = worker_wire::encode(Command::Reply(ticket, reply));
        let sent = tokio::time::timeout(self.patience, self.socket.send(message)).await;
        if !matches!(sent, Ok(Ok(()))) {
            self.counters.answered.sub(); // dropped, or the socket is closed
        }
    }

    /// Forgets a finished handler. One that panicked sent no reply, so one is sent for it:
    /// otherwise the broker would count the slot busy for as long as the worker lives.
    async fn settle(&mut self, ended: Result<(Id, ()), JoinError>) -> Option<Call> {
        let (id, failed) = match ended {
            Ok((id, ())) => (id, false),
            Err(error) => (error.id(), error.is_panic()),
        };
        let call = self.calls.remove(&id)?;
        if failed {
            let (ticket, id, _) = call.clone();
            let body = Bytes::from_static(b"the handler panicked");
            let reply = WireReply {
                envelope: Vec::new(),
                id,
                status: Status::Error,
                body,
            };
            self.reply(ticket, reply).await;
            return Some(call);
        }
        None
    }
}

/// Serves until `stopped` says so (or the socket closes), then shuts down.
pub(crate) async fn run<H, F>(
    socket: DealerSocket,
    settings: Settings,
    handler: Arc<H>,
    mut stopped: watch::Receiver<bool>,
    counters: Arc<ServerCounters>,
) -> ShutdownReport
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Bytes, HandlerError>> + Send + 'static,
{
    let mut worker = Worker {
        socket,
        patience: settings.heartbeat.silence(),
        tasks: JoinSet::new(),
        calls: HashMap::new(),
        counters,
    };
    let (done, mut replies) = mpsc::unbounded_channel::<(u64, WireReply)>();
    let mut ticker = settings.heartbeat.ticker();
    let mut heard = Instant::now();
    // The first READY waits for the connection (a DEALER send waits for a peer), but not
    // past a shutdown.
    let ready = worker_wire::encode(Command::Ready);
    let mut stopping = tokio::select! {
        biased;
        _ = stopped.wait_for(|stop| *stop) => true,
        sent = worker.socket.send(ready) => sent.is_err(),
    };
    while !stopping {
        let event = tokio::select! {
            biased;
            _ = stopped.wait_for(|stop| *stop) => Event::Stop,
            _ = ticker.tick() => Event::Tick,
            Some((ticket, reply)) = replies.recv() => Event::Done(ticket, reply),
            Some(ended) = worker.tasks.join_next_with_id() => Event::Ended(ended),
            message = worker.socket.recv() => Event::Message(message),
        };
        match event {
            Event::Stop => stopping = true,
            Event::Tick => {
                worker.signal(Command::Heartbeat);
                // The broker went silent (it restarted, or declared this worker dead): say
                // READY again, so that it takes this worker (back) with all its slots.
                if heard.elapsed() > settings.heartbeat.silence() {
                    heard = Instant::now();
                    worker.signal(Command::Ready);
                }
            }
            Event::Done(ticket, reply) => worker.reply(ticket, reply).await,
            Event::Ended(ended) => {
                worker.settle(ended).await;
            }
            Event::Message(Err(_)) => break, // the socket closed
            Event::Message(Ok(message)) => {
                heard = Instant::now();
                match worker_wire::decode(message) {
                    Ok(Command::Request(ticket, request)) => {
                        if clock::has_passed(request.deadline_ms) {
                            // Answered, not dropped: the broker holds a slot until a reply.
                            worker.counters.expired.add();
                            let reply = WireReply {
                                envelope: Vec::new(),
                                id: request.id,
                                status: Status::DeadlineExceeded,
                                body: Bytes::new(),
                            };
                            worker.reply(ticket, reply).await;
                            continue;
                        }
                        worker.counters.started.add();
                        let call = (ticket, request.id, request.method.clone());
                        let (handler, counters, done) = (
                            Arc::clone(&handler),
                            Arc::clone(&worker.counters),
                            done.clone(),
                        );
                        let task = worker.tasks.spawn(async move {
                            let reply = handle::run(request, None, &*handler, &counters).await;
                            let _ = done.send((ticket, reply));
                        });
                        worker.calls.insert(task.id(), call);
                    }
                    Ok(Command::Heartbeat) => {}
                    Ok(_) | Err(_) => worker.counters.malformed.add(),
                }
            }
        }
    }
    drop(done);
    shut_down(worker, replies, settings).await
}

/// Lets the handlers finish within the grace period and sends their replies, says
/// DISCONNECT (the broker settles whatever it still waits for), and closes.
async fn shut_down(
    mut worker: Worker,
    mut replies: mpsc::UnboundedReceiver<(u64, WireReply)>,
    settings: Settings,
) -> ShutdownReport {
    let mut unanswered = Vec::new();
    let grace_over = Instant::now() + settings.grace;
    loop {
        let event = tokio::select! {
            biased;
            Some((ticket, reply)) = replies.recv() => Event::Done(ticket, reply),
            Some(ended) = worker.tasks.join_next_with_id() => Event::Ended(ended),
            _ = tokio::time::sleep_until(grace_over), if !worker.tasks.is_empty() => Event::Stop,
            else => break,
        };
        match event {
            Event::Done(ticket, reply) => worker.reply(ticket, reply).await,
            Event::Ended(ended) => {
                if let Some((_, id, method)) = worker.settle(ended).await {
                    let reason = Reason::HandlerPanicked;
                    unanswered.push(Unanswered { method, id, reason });
                }
            }
            _ => {
                worker.tasks.abort_all();
                for (_, (_, id, method)) in worker.calls.drain() {
                    let reason = Reason::GraceExpired;
                    unanswered.push(Unanswered { method, id, reason });
                }
            }
        }
    }
    // Requests that arrived but were not read: never run (the broker settles them).
    while let Ok(message) = worker.socket.try_recv() {
        if let Ok(Command::Request(_, request)) = worker_wire::decode(message) {
            let (method, id, reason) = (request.method, request.id, Reason::NotTaken);
            unanswered.push(Unanswered { method, id, reason });
        }
    }
    worker.signal(Command::Disconnect);
    let close = worker.socket.close_timeout(settings.linger).await;
    ShutdownReport {
        unanswered,
        close,
        stats: worker.counters.snapshot(),
    }
}
