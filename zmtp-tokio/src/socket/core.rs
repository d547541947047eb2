//! What every socket type shares: options, the peer table, the endpoint tasks, the monitor,
//! and closing with linger.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};

use tokio::time::Instant;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use zmtp_core::{Message, SocketType};

use crate::close_report::{CloseReport, Undelivered};
use crate::endpoint::{Endpoint, IntoEndpoint};
use crate::engine::endpoints;
use crate::error::{Error, Result};
use crate::monitor::{Monitor, MonitorEvent, MonitorHub};
use crate::options::Options;
use crate::security::PeerAuth;
use crate::socket::peers::{Limits, PeerId, PeerTable, Policy, Sender};
use crate::transport::Listener;

/// State shared by a socket and all of its tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) socket_type: SocketType,
    pub(crate) options: Options,
    table: Mutex<PeerTable>,
    pub(crate) monitor: MonitorHub,
    pub(crate) tasks: TaskTracker,
    shutdown: CancellationToken,
    endpoints: Mutex<Vec<EndpointEntry>>,
    /// When the socket's tasks stop trying to deliver: the linger time after the close (`None`
    /// inside: never). Set once, when the socket closes.
    linger_deadline: OnceLock<Option<Instant>>,
    /// What the tasks of the closed socket could not deliver, one entry per peer.
    undelivered: Mutex<Vec<Undelivered>>,
}

#[derive(Debug)]
struct EndpointEntry {
    /// As the application wrote it (`tcp://127.0.0.1:0`).
    requested: Endpoint,
    /// As it really is (`tcp://127.0.0.1:41234`).
    actual: Endpoint,
    stop: CancellationToken,
}

impl Shared {
    /// The peer table. A poisoned lock is recovered: the table stays consistent between
    /// statements, and a panicking application thread must not take the drivers down with it.
    pub(crate) fn table(&self) -> MutexGuard<'_, PeerTable> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The socket closed: when its tasks give up delivering (`None`: never). The linger time
    /// counts from the first call, made when the socket closes.
    pub(crate) fn linger_deadline(&self) -> Option<Instant> {
        *self
            .linger_deadline
            .get_or_init(|| self.options.linger.map(|linger| Instant::now() + linger))
    }

    /// A task of the closed socket ends with something it could not deliver.
    pub(crate) fn report_undelivered(&self, undelivered: Undelivered) {
        if !undelivered.is_empty() {
            self.undelivered
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(undelivered);
        }
    }

    fn close_report(&self, stopped_waiting: bool) -> CloseReport {
        let undelivered = self
            .undelivered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        CloseReport::new(undelivered, stopped_waiting)
    }

    fn endpoints(&self) -> MutexGuard<'_, Vec<EndpointEntry>> {
        self.endpoints.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The socket-type-independent part of a socket.
#[derive(Debug)]
pub(crate) struct SocketCore {
    shared: Arc<Shared>,
    /// What PLAIN or CURVE established about the sender of the message last received.
    last_auth: Option<Arc<PeerAuth>>,
    /// Messages taken from the peer table in one lock, all from `received_from`, not yet
    /// returned.
    received: VecDeque<Message>,
    received_from: PeerId,
    /// Set by the peer table when the pipe of `received` is removed: drop them.
    received_revoked: Arc<AtomicBool>,
    /// Sends since the last unit of tokio's cooperative budget was spent.
    sends_unpaced: u32,
}

/// Messages moved out of the peer table per lock on the receiving side, when one peer alone
/// has messages waiting: enough to make the hand-over's cost vanish per message. They count
/// against the pipe's high-water mark until read, so this does not change how much queues.
const RECV_BATCH: usize = 1000;

/// Sends per unit of tokio's cooperative budget (128 units per task poll): a loop of sends
/// yields about every 2000 messages, or earlier when a queue fills, so that the connection
/// task finds a whole queue to encode into one write. A unit per send (tokio's default for
/// its own resources) cut writes to ~128 small messages, and the syscalls capped throughput.
const SENDS_PER_BUDGET_UNIT: u32 = 16;

impl SocketCore {
    pub(crate) fn new(socket_type: SocketType, options: Options) -> Result<SocketCore> {
        options
            .connection_config(socket_type)
            .validate()
            .map_err(Error::Config)?;
        let limits = Limits {
            send_hwm: options.send_hwm,
            recv_hwm: options.recv_hwm,
            recv_bytes: options.recv_byte_limit(),
        };
        let policy = Policy {
            socket_type,
            router_handover: options.router_handover,
            xpub_verbose: options.xpub_verbose,
        };
        let table = PeerTable::new(limits, policy);
        Ok(SocketCore {
            received_revoked: table.run_revoked(),
            last_auth: None,
            received: VecDeque::new(),
            received_from: 0,
            sends_unpaced: 0,
            shared: Arc::new(Shared {
                socket_type,
                options,
                table: Mutex::new(table),
                monitor: MonitorHub::default(),
                tasks: TaskTracker::new(),
                shutdown: CancellationToken::new(),
                endpoints: Mutex::new(Vec::new()),
                linger_deadline: OnceLock::new(),
                undelivered: Mutex::new(Vec::new()),
            }),
        })
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn table(&self) -> MutexGuard<'_, PeerTable> {
        self.shared.table()
    }

    pub(crate) async fn bind(&self, endpoint: impl IntoEndpoint) -> Result<Endpoint> {
        runtime()?;
        let requested = endpoint.into_endpoint()?;
        let (listener, actual) = Listener::bind(&requested).await?;
        let stop = self.shared.shutdown.child_token();
        self.shared.endpoints().push(EndpointEntry {
            requested,
            actual: actual.clone(),
            stop: stop.clone(),
        });
        self.shared.monitor.emit(MonitorEvent::Listening {
            endpoint: actual.clone(),
        });
        tracing::debug!(endpoint = %actual, socket = %self.shared.socket_type, "listening");
        self.shared.tasks.spawn(endpoints::listen(
            self.shared.clone(),
            listener,
            actual.clone(),
            stop,
        ));
        Ok(actual)
    }

    pub(crate) fn connect(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        runtime()?;
        let endpoint = endpoint.into_endpoint()?;
        let pipe = self.table().insert_persistent(endpoint.clone());
        let stop = self.shared.shutdown.child_token();
        self.shared.endpoints().push(EndpointEntry {
            requested: endpoint.clone(),
            actual: endpoint.clone(),
            stop: stop.clone(),
        });
        self.shared.tasks.spawn(endpoints::connect(
            self.shared.clone(),
            endpoint,
            pipe,
            stop,
        ));
        Ok(())
    }

    /// Stops an endpoint (bound or connected) and drops its connections and queues.
    pub(crate) fn remove_endpoint(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        let endpoint = endpoint.into_endpoint()?;
        let entry = {
            let mut entries = self.shared.endpoints();
            let i = entries
                .iter()
                .position(|e| e.actual == endpoint || e.requested == endpoint)
                .ok_or_else(|| Error::UnknownEndpoint(endpoint.to_string()))?;
            entries.remove(i)
        };
        entry.stop.cancel();
        let mut table = self.table();
        for id in table.peers_of(&entry.actual) {
            table.remove(id);
        }
        Ok(())
    }

    pub(crate) fn monitor(&self) -> Monitor {
        self.shared.monitor.subscribe()
    }

    fn begin_close(&self) {
        // The deadline first: the tasks woken by the close read it.
        self.shared.linger_deadline();
        self.table().close();
        self.shared.shutdown.cancel();
        self.shared.tasks.close();
    }

    /// Closes and waits until queued messages are delivered or linger expires, at most
    /// `limit`; reports what was not delivered.
    pub(crate) async fn close(self, limit: Option<std::time::Duration>) -> CloseReport {
        self.begin_close();
        let done = match limit {
            None => {
                self.shared.tasks.wait().await;
                true
            }
            Some(limit) => tokio::time::timeout(limit, self.shared.tasks.wait())
                .await
                .is_ok(),
        };
        self.shared.close_report(!done)
    }

    /// Whether this send should spend a unit of tokio's cooperative budget (one every
    /// `SENDS_PER_BUDGET_UNIT`), so that a loop of sends yields to the connection tasks now
    /// and then.
    #[inline]
    pub(crate) fn pace_due(&mut self) -> bool {
        self.sends_unpaced += 1;
        if self.sends_unpaced >= SENDS_PER_BUDGET_UNIT {
            self.sends_unpaced = 0;
            return true;
        }
        false
    }

    // ---- sending and receiving strategies, polled by the socket types ------------------------

    /// Round robin over pipes with room; pending while none has.
    pub(crate) fn poll_send_round_robin(
        &self,
        cx: &Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<PeerId>> {
        let Some(message) = slot.take() else {
            return Poll::Ready(Err(Error::InvalidState("message already sent")));
        };
        check_not_empty(&message)?;
        let mut table = self.table();
        if table.is_closed() {
            return Poll::Ready(Err(Error::Closed));
        }
        match table.send_round_robin(message, Some(cx)) {
            Ok(id) => Poll::Ready(Ok(id)),
            Err(message) => {
                *slot = Some(message);
                Poll::Pending
            }
        }
    }

    /// Round robin without waiting.
    pub(crate) fn try_send_round_robin(
        &self,
        message: Message,
    ) -> std::result::Result<PeerId, crate::TrySendError> {
        if let Err(error) = check_not_empty(&message) {
            return Err(crate::TrySendError { error, message });
        }
        let mut table = self.table();
        if table.is_closed() {
            return Err(crate::TrySendError {
                error: Error::Closed,
                message,
            });
        }
        table
            .send_round_robin(message, None)
            .map_err(|message| crate::TrySendError {
                error: Error::WouldBlock,
                message,
            })
    }

    /// Fans the message in `slot` out to connected peers: those whose subscriptions match
    /// (`filtered`), or all of them (XSUB's upstream messages). Never waits. Returns how many
    /// peers got it.
    pub(crate) fn fan_out(&self, slot: &mut Option<Message>, filtered: bool) -> Result<usize> {
        let message = slot
            .take()
            .ok_or(Error::InvalidState("message already sent"))?;
        check_not_empty(&message)?;
        let mut table = self.table();
        if table.is_closed() {
            return Err(Error::Closed);
        }
        Ok(table.send_fan_out(&message, filtered))
    }

    /// Whether a round-robin send could proceed now (a `Sink`'s readiness).
    pub(crate) fn poll_round_robin_ready(&self, cx: &Context<'_>) -> Poll<Result<()>> {
        let mut table = self.table();
        if table.is_closed() {
            Poll::Ready(Err(Error::Closed))
        } else if table.poll_round_robin_ready(cx) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    /// Fair-queued receive; pending while nothing waits.
    pub(crate) fn poll_recv_fair(&mut self, cx: &Context<'_>) -> Poll<Result<(PeerId, Message)>> {
        match self.next_received(Some(cx)) {
            Ok(Some(message)) => Poll::Ready(Ok((self.received_from, message))),
            Ok(None) => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    /// The next fair-queued message as a `Stream` item: the stream ends when the socket closes.
    pub(crate) fn poll_next_fair(&mut self, cx: &Context<'_>) -> Poll<Option<Result<Message>>> {
        match self.next_received(Some(cx)) {
            Ok(Some(message)) => Poll::Ready(Some(Ok(message))),
            Ok(None) => Poll::Pending,
            Err(Error::Closed) => Poll::Ready(None),
            Err(e) => Poll::Ready(Some(Err(e))),
        }
    }

    /// Fair-queued receive without waiting.
    pub(crate) fn try_recv_fair(&mut self) -> Result<(PeerId, Message)> {
        match self.next_received(None)? {
            Some(message) => Ok((self.received_from, message)),
            None => Err(Error::WouldBlock),
        }
    }

    /// The next message of the local run, refilled from the peer table when empty.
    #[inline]
    fn next_received(&mut self, cx: Option<&Context<'_>>) -> Result<Option<Message>> {
        match self.next_in_run() {
            Some(message) => Ok(Some(message)),
            None => self.refill(cx),
        }
    }

    /// The next message of the local run, if any: the receive fast path, without the lock.
    #[inline]
    pub(crate) fn next_in_run(&mut self) -> Option<Message> {
        if self.received_revoked.load(Ordering::Acquire) {
            self.received_revoked.store(false, Ordering::Relaxed);
            self.received.clear();
            return None;
        }
        let message = self.received.pop_front()?;
        if self.received.is_empty() {
            // The run is read: its pipe gets its room back now, not at the next receive.
            self.shared.table().return_loan();
        }
        Some(message)
    }

    fn refill(&mut self, cx: Option<&Context<'_>>) -> Result<Option<Message>> {
        let mut table = self.shared.table();
        if table.is_closed() {
            return Err(Error::Closed);
        }
        let Some(sender) = table.recv_fair_run(&mut self.received, RECV_BATCH, cx) else {
            return Ok(None);
        };
        drop(table);
        self.note_sender(sender);
        // Through the checks again: a run revoked meanwhile sends us back to the table.
        self.next_received(None)
    }

    fn note_sender(&mut self, sender: Sender) {
        self.received_from = sender.peer;
        // NULL connections carry no auth: skip the store (and the drop of an old Arc) then.
        if sender.auth.is_some() || self.last_auth.is_some() {
            self.last_auth = sender.auth;
        }
    }

    /// What PLAIN or CURVE established about the sender of the message last received.
    pub(crate) fn last_auth(&self) -> Option<&PeerAuth> {
        self.last_auth.as_deref()
    }
}

impl Drop for SocketCore {
    fn drop(&mut self) {
        // Tasks keep running to deliver queued messages for up to the linger time.
        self.begin_close();
    }
}

pub(crate) fn check_not_empty(message: &Message) -> Result<()> {
    if message.is_empty() {
        Err(Error::InvalidState("a message needs at least one frame"))
    } else {
        Ok(())
    }
}

fn runtime() -> Result<tokio::runtime::Handle> {
    tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)
}
