//! The broker's bookkeeping, without sockets: the queue of requests waiting for a worker, the
//! workers with their dispatched requests, and the order in which free workers get the next
//! request (least recently used first).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::clock;
use crate::wire::WireRequest;

/// How many workers one request may be dispatched to. An idempotent request whose worker
/// dies is requeued for another, but one lost with this many workers is answered "worker
/// lost" instead: a request that kills every worker it reaches (a poison message) must not
/// go round for ever, taking the workers down one by one.
pub(crate) const MAX_DISPATCHES: u32 = 3;

/// A request and how many workers it has been dispatched to so far.
#[derive(Debug)]
struct Tracked {
    request: WireRequest,
    dispatches: u32,
}

/// A worker the broker knows: when it was last heard from, and what it runs.
#[derive(Debug)]
struct Worker {
    heard: Instant,
    /// The requests dispatched to it and not answered, by ticket (each keeps the client's
    /// envelope, to route the reply, and its flag, to decide what happens if it is lost).
    running: HashMap<u64, Tracked>,
}

/// What became of the requests of a worker declared dead.
#[derive(Debug, Default)]
pub(crate) struct Lost {
    /// Idempotent: put back at the front of the queue, for another worker.
    pub(crate) requeued: usize,
    /// Not idempotent, or already dispatched [`MAX_DISPATCHES`] times: never run again, to
    /// be answered "worker lost".
    pub(crate) failed: Vec<WireRequest>,
}

/// What the next queued request comes to.
#[derive(Debug)]
pub(crate) enum Dispatch {
    /// To this worker, under this ticket.
    Send(Bytes, u64, WireRequest),
    /// Its deadline passed while it waited: not to be run.
    Expired(WireRequest),
}

#[derive(Debug)]
pub(crate) struct Table {
    per_worker: usize,
    workers: HashMap<Bytes, Worker>,
    /// One entry per free slot of a worker, the least recently used first: a worker goes to
    /// the back when it takes a request or answers one.
    free: VecDeque<Bytes>,
    queue: VecDeque<Tracked>,
    next_ticket: u64,
}

impl Table {
    pub(crate) fn new(per_worker: usize) -> Table {
        Table {
            per_worker,
            workers: HashMap::new(),
            free: VecDeque::new(),
            queue: VecDeque::new(),
            next_ticket: 0,
        }
    }

    pub(crate) fn queued(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn workers(&self) -> usize {
        self.workers.len()
    }

    pub(crate) fn running(&self) -> usize {
        self.workers.values().map(|w| w.running.len()).sum()
    }

    pub(crate) fn worker_ids(&self) -> Vec<Bytes> {
        self.workers.keys().cloned().collect()
    }

    /// Whether `worker` is known; notes that it is alive if so.
    pub(crate) fn heard(&mut self, worker: &Bytes, now: Instant) -> bool {
        match self.workers.get_mut(worker) {
            Some(known) => {
                known.heard = now;
                true
            }
            None => false,
        }
    }

    /// Registers a worker that said READY with all its slots free. A known worker saying it
    /// again (it missed our heartbeats) keeps what it runs: nothing is lost twice.
    pub(crate) fn ready(&mut self, worker: Bytes, now: Instant) {
        if self.heard(&worker, now) {
            return;
        }
        self.workers.insert(
            worker.clone(),
            Worker {
                heard: now,
                running: HashMap::new(),
            },
        );
        self.free
            .extend(std::iter::repeat_n(worker, self.per_worker));
    }

    /// Queues a request from a client, at the back.
    pub(crate) fn enqueue(&mut self, request: WireRequest) {
        self.queue.push_back(Tracked {
            request,
            dispatches: 0,
        });
    }

    /// Takes the queued requests whose deadline has passed.
    pub(crate) fn take_expired(&mut self) -> Vec<WireRequest> {
        let (expired, waiting) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|t: &Tracked| clock::has_passed(t.request.deadline_ms));
        self.queue = waiting;
        expired.into_iter().map(|t: Tracked| t.request).collect()
    }

    /// The next request for the least recently used free worker, with its ticket, or the
    /// next queued request found expired; `None` when nothing is queued or no worker is free.
    pub(crate) fn dispatch(&mut self) -> Option<Dispatch> {
        if self.queue.is_empty() || self.free.is_empty() {
            return None;
        }
        if self
            .queue
            .front()
            .is_some_and(|t| clock::has_passed(t.request.deadline_ms))
        {
            return self.queue.pop_front().map(|t| Dispatch::Expired(t.request));
        }
        let worker_id = self.free.pop_front()?;
        // A slot is only listed for a known worker with room (`remove` takes them out).
        let worker = self.workers.get_mut(&worker_id)?;
        let mut tracked = self.queue.pop_front()?;
        tracked.dispatches += 1;
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        let request = tracked.request.clone();
        worker.running.insert(ticket, tracked);
        Some(Dispatch::Send(worker_id, ticket, request))
    }

    /// The request `worker` answers with `ticket` and `id`, which frees one of its slots;
    /// `None` for a reply the broker is not waiting for (an unknown worker, a ticket it was
    /// not given or already answered, an id that is not the request's).
    pub(crate) fn answered(
        &mut self,
        worker_id: &Bytes,
        ticket: u64,
        id: [u8; 8],
    ) -> Option<WireRequest> {
        let worker = self.workers.get_mut(worker_id)?;
        if worker.running.get(&ticket)?.request.id != id {
            return None;
        }
        let tracked = worker.running.remove(&ticket)?;
        self.free.push_back(worker_id.clone());
        Some(tracked.request)
    }

    /// Forgets `worker` (it left or went silent): requeues its idempotent requests and hands
    /// back the others, which must not run again.
    pub(crate) fn remove(&mut self, worker_id: &Bytes) -> Lost {
        let mut lost = Lost::default();
        let Some(worker) = self.workers.remove(worker_id) else {
            return lost;
        };
        self.free.retain(|free| free != worker_id);
        let mut running: Vec<(u64, Tracked)> = worker.running.into_iter().collect();
        // The oldest dispatch goes back in front, as it was queued first.
        running.sort_by_key(|(ticket, _)| std::cmp::Reverse(*ticket));
        for (_, tracked) in running {
            if tracked.request.idempotent && tracked.dispatches < MAX_DISPATCHES {
                self.queue.push_front(tracked);
                lost.requeued += 1;
            } else {
                lost.failed.push(tracked.request);
            }
        }
        lost
    }

    /// The workers silent for longer than `silence`.
    pub(crate) fn silent(&self, now: Instant, silence: Duration) -> Vec<Bytes> {
        self.workers
            .iter()
            .filter(|(_, w)| now.saturating_duration_since(w.heard) > silence)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Empties the table: the queued requests, then those dispatched and not answered.
    pub(crate) fn drain(&mut self) -> (Vec<WireRequest>, Vec<WireRequest>) {
        let queued = self.queue.drain(..).map(|t| t.request).collect();
        let running = self
            .workers
            .drain()
            .flat_map(|(_, w)| w.running.into_values().map(|t| t.request))
            .collect();
        self.free.clear();
        (queued, running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(idempotent: bool) -> WireRequest {
        WireRequest {
            envelope: vec![Bytes::from_static(b"client")],
            id: [0, 0, 0, 0, 0, 0, 0, 1],
            deadline_ms: 0,
            method: "poison".into(),
            body: Bytes::new(),
            idempotent,
        }
    }

    /// Dispatches the one queued request to a new worker and loses that worker.
    fn lose_a_worker(table: &mut Table, n: u8) -> Lost {
        let worker = Bytes::from(vec![b'w', n]);
        table.ready(worker.clone(), Instant::now());
        assert!(matches!(table.dispatch(), Some(Dispatch::Send(..))));
        table.remove(&worker)
    }

    #[test]
    fn an_idempotent_request_goes_to_at_most_max_dispatches_workers() {
        let mut table = Table::new(1);
        table.enqueue(request(true));
        for n in 1..MAX_DISPATCHES {
            let lost = lose_a_worker(&mut table, n as u8);
            assert_eq!((lost.requeued, lost.failed.len()), (1, 0), "worker {n}");
        }
        let lost = lose_a_worker(&mut table, MAX_DISPATCHES as u8);
        assert_eq!((lost.requeued, lost.failed.len()), (0, 1));
        assert_eq!(
            table.queued(),
            0,
            "the poison request is not requeued again"
        );
    }

    #[test]
    fn a_request_that_is_not_idempotent_is_never_requeued() {
        let mut table = Table::new(1);
        table.enqueue(request(false));
        let lost = lose_a_worker(&mut table, 1);
        assert_eq!((lost.requeued, lost.failed.len()), (0, 1));
    }
}
