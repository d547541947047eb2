//! The broker's task: one loop owns both sockets and the table, so that every decision
//! (dispatch, retry, fail, expire) is made in one place, in order, without locks.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;
use tokio::time::Instant;
use zmtp_tokio::{Message, RouterSocket};

use crate::broker_table::{Dispatch, Lost, Table};
use crate::heartbeat::Heartbeat;
use crate::report::{Reason, Unanswered};
use crate::stats::BrokerCounters;
use crate::wire::{self, Status, WireReply, WireRequest};
use crate::worker_wire::{self, Command};

/// The broker's limits, set on [`Broker`](crate::Broker).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) per_worker: usize,
    pub(crate) max_queued: usize,
    pub(crate) heartbeat: Heartbeat,
    pub(crate) grace: Duration,
    pub(crate) linger: Duration,
}

/// What the loop reacts to.
enum Event {
    Stop,
    GraceOver,
    Tick,
    Worker(zmtp_tokio::Result<Message>),
    Client(zmtp_tokio::Result<Message>),
}

/// The two sockets, the table and the counters: what every step needs.
struct Broker {
    frontend: RouterSocket,
    backend: RouterSocket,
    table: Table,
    counters: Arc<BrokerCounters>,
}

/// Brokers until `stopped` says so (or a socket closes), then shuts down.
pub(crate) async fn run(
    frontend: RouterSocket,
    backend: RouterSocket,
    settings: Settings,
    mut stopped: watch::Receiver<bool>,
    counters: Arc<BrokerCounters>,
) -> crate::BrokerReport {
    let mut broker = Broker {
        frontend,
        backend,
        table: Table::new(settings.per_worker),
        counters,
    };
    let mut ticker = settings.heartbeat.ticker();
    // Set once stopping: until then, what is queued or running may still be answered.
    let mut grace_over: Option<Instant> = None;
    loop {
        if grace_over.is_some() && broker.table.queued() == 0 && broker.table.running() == 0 {
            break;
        }
        // Not reading clients while the queue is full leaves them to the sockets' high-water
        // marks (backpressure), as a server does.
        let accepting = grace_over.is_none() && broker.table.queued() < settings.max_queued;
        let event = tokio::select! {
            // Heartbeats first, so that a flood of messages cannot make workers look dead;
            // workers' messages before clients', as replies free the slots requests need.
            biased;
            _ = stopped.wait_for(|stop| *stop), if grace_over.is_none() => Event::Stop,
            _ = sleep_until(grace_over) => Event::GraceOver,
            _ = ticker.tick() => Event::Tick,
            message = broker.backend.recv() => Event::Worker(message),
            message = broker.frontend.recv(), if accepting => Event::Client(message),
        };
        match event {
            Event::Stop => grace_over = Some(Instant::now() + settings.grace),
            Event::GraceOver => break,
            Event::Tick => broker.tick(settings.heartbeat).await,
            Event::Worker(Ok(message)) => broker.on_worker(message).await,
            Event::Client(Ok(message)) => broker.on_client(message).await,
            Event::Worker(Err(_)) | Event::Client(Err(_)) => break, // a socket closed
        }
        broker.dispatch().await;
        broker.counters.workers.set(broker.table.workers());
        broker.counters.queued.set(broker.table.queued());
    }
    broker.shut_down(settings.linger).await
}

/// Sleeps until `until`; never wakes for `None`.
async fn sleep_until(until: Option<Instant>) {
    match until {
        Some(until) => tokio::time::sleep_until(until).await,
        None => std::future::pending().await,
    }
}

impl Broker {
    /// Answers `request`'s client with `status` and an empty body.
    async fn answer(&mut self, request: WireRequest, status: Status) {
        let reply = WireReply {
            envelope: request.envelope,
            id: request.id,
            status,
            body: Bytes::new(),
        };
        // A ROUTER send does not wait; a reply to a client that left is dropped.
        let _ = self.frontend.send(wire::encode_reply(reply)).await;
    }

    async fn on_client(&mut self, message: Message) {
        match wire::decode_request(message) {
            // Without routing frames there is nobody to answer.
            Ok(request) if !request.envelope.is_empty() => {
                self.counters.received.add();
                self.table.enqueue(request);
            }
            Ok(_) | Err(_) => self.counters.malformed_requests.add(),
        }
    }

    async fn on_worker(&mut self, mut message: Message) {
        let Some(worker) = message.pop_front() else {
            return; // a ROUTER always puts the routing id in front
        };
        let now = Instant::now();
        let command = match worker_wire::decode(message) {
            Ok(command) => command,
            Err(_) => return self.counters.malformed_worker_messages.add(),
        };
        match command {
            Command::Ready => self.table.ready(worker, now),
            // From an unknown worker: ignored, as it will say READY again when it misses ours.
            Command::Heartbeat => {
                self.table.heard(&worker, now);
            }
            Command::Reply(ticket, reply) => {
                self.table.heard(&worker, now);
                match self.table.answered(&worker, ticket, reply.id) {
                    Some(request) => {
                        let reply = WireReply {
                            envelope: request.envelope,
                            ..reply
                        };
                        self.counters.answered.add();
                        let _ = self.frontend.send(wire::encode_reply(reply)).await;
                    }
                    None => self.counters.stray_replies.add(),
                }
            }
            Command::Disconnect => {
                let lost = self.table.remove(&worker);
                self.settle(lost).await;
            }
            // Only the broker sends requests.
            Command::Request(..) => self.counters.malformed_worker_messages.add(),
        }
    }

    /// Retries or fails what a lost worker was running.
    async fn settle(&mut self, lost: Lost) {
        self.counters.workers_lost.add();
        for _ in 0..lost.requeued {
            self.counters.retried.add();
        }
        for request in lost.failed {
            self.counters.failed_lost.add();
            self.answer(request, Status::WorkerLost).await;
        }
    }

    /// Heartbeats every worker, declares the silent ones dead, and answers the queued
    /// requests that expired while no worker was free.
    async fn tick(&mut self, heartbeat: Heartbeat) {
        for worker in self.table.silent(Instant::now(), heartbeat.silence()) {
            let lost = self.table.remove(&worker);
            self.settle(lost).await;
        }
        for worker in self.table.worker_ids() {
            let mut message = worker_wire::encode(Command::Heartbeat);
            message.push_front(worker);
            let _ = self.backend.send(message).await;
        }
        for request in self.table.take_expired() {
            self.counters.expired.add();
            self.answer(request, Status::DeadlineExceeded).await;
        }
    }

    /// Hands queued requests to free workers while there are both.
    async fn dispatch(&mut self) {
        while let Some(next) = self.table.dispatch() {
            match next {
                Dispatch::Send(worker, ticket, mut request) => {
                    request.envelope.clear(); // the worker never sees the client's route
                    let mut message = worker_wire::encode(Command::Request(ticket, request));
                    message.push_front(worker);
                    self.counters.dispatched.add();
                    let _ = self.backend.send(message).await;
                }
                Dispatch::Expired(request) => {
                    self.counters.expired.add();
                    self.answer(request, Status::DeadlineExceeded).await;
                }
            }
        }
    }

    /// Lists what was not answered and closes both sockets within the linger.
    async fn shut_down(mut self, linger: Duration) -> crate::BrokerReport {
        let unanswered = |request: WireRequest, reason| Unanswered {
            method: request.method,
            id: request.id,
            reason,
        };
        let (queued, running) = self.table.drain();
        let mut list: Vec<Unanswered> = Vec::new();
        list.extend(queued.into_iter().map(|r| unanswered(r, Reason::NotTaken)));
        list.extend(
            running
                .into_iter()
                .map(|r| unanswered(r, Reason::GraceExpired)),
        );
        // What arrived but was never read: reported, not run.
        while let Ok(message) = self.frontend.try_recv() {
            match wire::decode_request(message) {
                Ok(request) => list.push(unanswered(request, Reason::NotTaken)),
                Err(_) => self.counters.malformed_requests.add(),
            }
        }
        let (frontend, backend) = tokio::join!(
            self.frontend.close_timeout(linger),
            self.backend.close_timeout(linger)
        );
        self.counters.workers.set(0);
        self.counters.queued.set(0);
        crate::BrokerReport {
            unanswered: list,
            frontend,
            backend,
            stats: self.counters.snapshot(),
        }
    }
}
