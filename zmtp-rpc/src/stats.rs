//! Counters of what a client or server discarded, so that hostile or confused peers show up
//! in numbers instead of crashes or silence.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::telemetry::{self, Role};

/// A counter shared between a socket's tasks and whoever reads it, mirrored to the `metrics`
/// facade under its name (feature `metrics`).
#[derive(Debug)]
pub(crate) struct Counter {
    value: AtomicU64,
    name: &'static str,
    role: &'static str,
    /// Whether it goes up and down (a gauge) rather than only up.
    gauge: bool,
}

impl Counter {
    /// A count that only goes up (`sub` undoes an `add` here, not in the metric).
    fn total(name: &'static str, role: &'static str) -> Counter {
        Counter {
            value: AtomicU64::new(0),
            name,
            role,
            gauge: false,
        }
    }

    /// A level that goes up and down.
    fn level(name: &'static str, role: &'static str) -> Counter {
        Counter {
            gauge: true,
            ..Counter::total(name, role)
        }
    }

    pub(crate) fn add(&self) {
        self.value.fetch_add(1, Ordering::Relaxed);
        telemetry::stat_changed(self.name, self.role, self.gauge, 1);
    }

    pub(crate) fn sub(&self) {
        self.value.fetch_sub(1, Ordering::Relaxed);
        telemetry::stat_changed(self.name, self.role, self.gauge, -1);
    }

    pub(crate) fn set(&self, value: usize) {
        let value = u64::try_from(value).unwrap_or(u64::MAX);
        self.value.store(value, Ordering::Relaxed);
        telemetry::stat_set(self.name, self.role, value);
    }

    pub(crate) fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

/// What a [`Client`](crate::Client) has seen besides the answers to its calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// Replies to a call this client made but no longer waits for (its deadline passed, it
    /// was dropped, or another attempt was answered first): discarded.
    pub late_replies: u64,
    /// Replies with a correlation id this client never issued: discarded.
    pub unknown_replies: u64,
    /// Messages that are not replies of this protocol: discarded.
    pub malformed_replies: u64,
    /// Requests sent again by [`Retry::Idempotent`](crate::Retry::Idempotent).
    pub retries: u64,
}

/// What a [`Server`](crate::Server) has done with the messages it read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Requests read and handed to the handler.
    pub started: u64,
    /// Replies sent.
    pub answered: u64,
    /// Requests whose deadline had passed when they were read: dropped without running.
    pub expired: u64,
    /// Handlers stopped because the request's deadline passed while they ran (answered with
    /// the deadline-exceeded status).
    pub timed_out: u64,
    /// Messages that are not requests of this protocol: discarded.
    pub malformed: u64,
    /// Handlers running now.
    pub in_flight: u64,
}

#[derive(Debug)]
pub(crate) struct ClientCounters {
    pub(crate) late: Counter,
    pub(crate) unknown: Counter,
    pub(crate) malformed: Counter,
    pub(crate) retries: Counter,
}

impl ClientCounters {
    pub(crate) fn new() -> ClientCounters {
        let total = |name| Counter::total(name, "client");
        ClientCounters {
            late: total("zmtp_rpc_client_late_replies_total"),
            unknown: total("zmtp_rpc_client_unknown_replies_total"),
            malformed: total("zmtp_rpc_client_malformed_replies_total"),
            retries: total("zmtp_rpc_client_retries_total"),
        }
    }

    pub(crate) fn snapshot(&self) -> ClientStats {
        ClientStats {
            late_replies: self.late.get(),
            unknown_replies: self.unknown.get(),
            malformed_replies: self.malformed.get(),
            retries: self.retries.get(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct ServerCounters {
    pub(crate) role: Role,
    /// The method names the request metrics are labelled with.
    pub(crate) methods: telemetry::MethodLabels,
    pub(crate) started: Counter,
    pub(crate) answered: Counter,
    pub(crate) expired: Counter,
    pub(crate) timed_out: Counter,
    pub(crate) malformed: Counter,
    pub(crate) in_flight: Counter,
}

impl ServerCounters {
    pub(crate) fn new(role: Role) -> ServerCounters {
        let total = |name| Counter::total(name, role.label());
        ServerCounters {
            role,
            methods: telemetry::MethodLabels::default(),
            started: total("zmtp_rpc_server_started_total"),
            answered: total("zmtp_rpc_server_answered_total"),
            expired: total("zmtp_rpc_server_expired_total"),
            timed_out: total("zmtp_rpc_server_timed_out_total"),
            malformed: total("zmtp_rpc_server_malformed_total"),
            in_flight: Counter::level("zmtp_rpc_server_in_flight", role.label()),
        }
    }

    pub(crate) fn snapshot(&self) -> ServerStats {
        ServerStats {
            started: self.started.get(),
            answered: self.answered.get(),
            expired: self.expired.get(),
            timed_out: self.timed_out.get(),
            malformed: self.malformed.get(),
            in_flight: self.in_flight.get(),
        }
    }
}

/// What a [`Broker`](crate::Broker) has done with the messages it read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrokerStats {
    /// Requests read from clients.
    pub received: u64,
    /// Requests handed to workers (a request retried on another worker counts again).
    pub dispatched: u64,
    /// Workers' replies passed on to clients.
    pub answered: u64,
    /// Requests whose deadline passed before a worker took them: answered with the
    /// deadline-exceeded status, never run.
    pub expired: u64,
    /// Idempotent requests of a lost worker queued again for another worker.
    pub retried: u64,
    /// Requests of a lost worker that were not idempotent: answered with the worker-lost
    /// status, never run again.
    pub failed_lost: u64,
    /// Workers declared dead (silent for the heartbeat liveness) or that said they leave.
    pub workers_lost: u64,
    /// Messages on the frontend that are not requests of this protocol: discarded.
    pub malformed_requests: u64,
    /// Messages on the backend that are not worker messages of this protocol: discarded.
    pub malformed_worker_messages: u64,
    /// Worker replies the broker was not waiting for (an unknown worker or ticket, a worker
    /// already declared dead, a duplicate): discarded.
    pub stray_replies: u64,
    /// Workers known now.
    pub workers: u64,
    /// Requests waiting for a worker now.
    pub queued: u64,
}

#[derive(Debug)]
pub(crate) struct BrokerCounters {
    pub(crate) received: Counter,
    pub(crate) dispatched: Counter,
    pub(crate) answered: Counter,
    pub(crate) expired: Counter,
    pub(crate) retried: Counter,
    pub(crate) failed_lost: Counter,
    pub(crate) workers_lost: Counter,
    pub(crate) malformed_requests: Counter,
    pub(crate) malformed_worker_messages: Counter,
    pub(crate) stray_replies: Counter,
    pub(crate) workers: Counter,
    pub(crate) queued: Counter,
}

impl BrokerCounters {
    pub(crate) fn new() -> BrokerCounters {
        let total = |name| Counter::total(name, "broker");
        let level = |name| Counter::level(name, "broker");
        BrokerCounters {
            received: total("zmtp_rpc_broker_received_total"),
            dispatched: total("zmtp_rpc_broker_dispatched_total"),
            answered: total("zmtp_rpc_broker_answered_total"),
            expired: total("zmtp_rpc_broker_expired_total"),
            retried: total("zmtp_rpc_broker_retried_total"),
            failed_lost: total("zmtp_rpc_broker_failed_lost_total"),
            workers_lost: total("zmtp_rpc_broker_workers_lost_total"),
            malformed_requests: total("zmtp_rpc_broker_malformed_requests_total"),
            malformed_worker_messages: total("zmtp_rpc_broker_malformed_worker_messages_total"),
            stray_replies: total("zmtp_rpc_broker_stray_replies_total"),
            workers: level("zmtp_rpc_broker_workers"),
            queued: level("zmtp_rpc_broker_queued"),
        }
    }

    pub(crate) fn snapshot(&self) -> BrokerStats {
        BrokerStats {
            received: self.received.get(),
            dispatched: self.dispatched.get(),
            answered: self.answered.get(),
            expired: self.expired.get(),
            retried: self.retried.get(),
            failed_lost: self.failed_lost.get(),
            workers_lost: self.workers_lost.get(),
            malformed_requests: self.malformed_requests.get(),
            malformed_worker_messages: self.malformed_worker_messages.get(),
            stray_replies: self.stray_replies.get(),
            workers: self.workers.get(),
            queued: self.queued.get(),
        }
    }
}
