//! Connection lifecycle events, as a `Stream` (libzmq's zmq_socket_monitor).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::mpsc;
use zmtp_core::{ConnectionError, SocketType};

use crate::endpoint::Endpoint;
use crate::peer::Peer;
use crate::security::PeerAuth;

/// Events a monitor delivers for the endpoints of one socket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MonitorEvent {
    /// A `bind` succeeded; the endpoint is the real one (with the port chosen).
    Listening {
        /// The bound endpoint.
        endpoint: Endpoint,
    },
    /// A connection was accepted on a bound endpoint.
    Accepted {
        /// The bound endpoint.
        endpoint: Endpoint,
        /// The peer's address, as text.
        peer_addr: String,
    },
    /// A connecting endpoint's transport connection was established.
    Connected {
        /// The endpoint connected to.
        endpoint: Endpoint,
    },
    /// A connection attempt failed or a connection ended; the next attempt is after `interval`.
    ConnectRetried {
        /// The endpoint being connected to.
        endpoint: Endpoint,
        /// The wait before the next attempt.
        interval: Duration,
    },
    /// The ZMTP handshake completed.
    HandshakeSucceeded {
        /// The endpoint (bound or connected) the connection belongs to.
        endpoint: Endpoint,
        /// The peer's socket type.
        peer: SocketType,
        /// For PLAIN and CURVE (`None` with NULL): what the security handshake established —
        /// on a server the user id and properties the [`Authenticator`](crate::Authenticator)
        /// attached, and for CURVE the peer's public key. `recv_with_peer` gives the same
        /// with each received message.
        auth: Option<PeerAuth>,
        /// Who the peer is: its address (ip:port, or the ipc path), identity, routing id (for
        /// a ROUTER: the id its messages will carry), READY properties and security.
        peer_info: Arc<Peer>,
    },
    /// The ZMTP handshake failed; the connection was dropped.
    HandshakeFailed {
        /// The endpoint the connection belongs to.
        endpoint: Endpoint,
        /// Why.
        reason: DisconnectReason,
    },
    /// An established connection ended.
    Disconnected {
        /// The endpoint the connection belongs to.
        endpoint: Endpoint,
        /// Why.
        reason: DisconnectReason,
        /// Who left, as [`HandshakeSucceeded`](Self::HandshakeSucceeded) described it: a
        /// ROUTER learns here which routing id is gone.
        peer_info: Arc<Peer>,
    },
    /// A connecting endpoint gave up reconnecting: the peer refused the handshake, or a
    /// condition of [`Options::reconnect_stop`](crate::Options::reconnect_stop) was met.
    /// [`Closed`](Self::Closed) follows.
    ConnectStopped {
        /// The endpoint that was being connected to.
        endpoint: Endpoint,
        /// Why the last attempt failed.
        reason: DisconnectReason,
        /// Messages its queue held, which are dropped: they could only have gone to that peer.
        dropped_messages: usize,
    },
    /// A bound or connected endpoint was closed (unbind, disconnect or socket close).
    Closed {
        /// The endpoint.
        endpoint: Endpoint,
    },
    /// A publisher (PUB, XPUB) found a subscriber's queue at its high-water mark and dropped a
    /// message for it: the first drop of an episode, which lasts until that queue has drained
    /// to half (then [`MessagesDropped`](Self::MessagesDropped) says how many were lost).
    /// libzmq drops silently; [`Socket::dropped_messages`](crate::Socket::dropped_messages)
    /// counts every copy.
    HighWaterMarkReached {
        /// The endpoint the subscriber's connection belongs to.
        endpoint: Endpoint,
        /// The subscriber's address, as text.
        peer_addr: String,
    },
    /// The end of a drop episode (see
    /// [`HighWaterMarkReached`](Self::HighWaterMarkReached)): the subscriber's queue drained
    /// to half its high-water mark, or the subscriber went away.
    MessagesDropped {
        /// The endpoint the subscriber's connection belongs to.
        endpoint: Endpoint,
        /// The subscriber's address, as text.
        peer_addr: String,
        /// Copies dropped for this subscriber during the episode.
        messages: u64,
    },
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The protocol engine closed it (bad bytes, timeout, ERROR, end of stream, ...).
    Connection(ConnectionError),
    /// The transport failed.
    Io(std::io::ErrorKind),
    /// The socket (or the endpoint) was closed locally.
    Closed,
    /// The socket did not admit the peer after its handshake.
    Refused(Refusal),
}

/// Why a socket did not admit a peer whose handshake succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// A PAIR socket talks to one peer at a time and already has one.
    PairTaken,
    /// A ROUTER already has a peer with the identity this one announced (and
    /// [`Options::router_handover`](crate::Options::router_handover) is off).
    DuplicateIdentity,
    /// A subscriber asked a publisher to keep more than 10,000 topics or 1 MiB of them.
    TooManySubscriptions,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::PairTaken => "the PAIR socket already has a peer",
            Refusal::DuplicateIdentity => "another peer of the ROUTER has the same identity",
            Refusal::TooManySubscriptions => "the subscriber exceeded the subscription limits",
        })
    }
}

impl std::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DisconnectReason::Connection(e) => e.fmt(f),
            DisconnectReason::Io(kind) => write!(f, "transport error: {kind}"),
            DisconnectReason::Closed => f.write_str("closed locally"),
            DisconnectReason::Refused(refusal) => write!(f, "refused: {refusal}"),
        }
    }
}

/// Capacity of each monitor's queue; events beyond it are dropped (as with libzmq's monitor
/// socket at its high-water mark), so a monitor nobody reads cannot grow without bound.
const MONITOR_CAPACITY: usize = 4096;

/// Fans events out to every live monitor of a socket, and counts them (feature `metrics`).
#[derive(Debug)]
pub(crate) struct MonitorHub {
    socket_type: SocketType,
    subscribers: Mutex<Vec<mpsc::Sender<MonitorEvent>>>,
}

impl MonitorHub {
    pub(crate) fn new(socket_type: SocketType) -> MonitorHub {
        MonitorHub {
            socket_type,
            subscribers: Mutex::default(),
        }
    }

    pub(crate) fn subscribe(&self) -> Monitor {
        let (tx, rx) = mpsc::channel(MONITOR_CAPACITY);
        self.lock().push(tx);
        Monitor { rx }
    }

    pub(crate) fn emit(&self, event: MonitorEvent) {
        crate::telemetry::record(self.socket_type, &event);
        let mut subscribers = self.lock();
        if subscribers.is_empty() {
            return;
        }
        subscribers.retain(|tx| {
            !matches!(
                tx.try_send(event.clone()),
                Err(mpsc::error::TrySendError::Closed(_))
            )
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<mpsc::Sender<MonitorEvent>>> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A stream of [`MonitorEvent`]s; ends when the socket is gone.
#[derive(Debug)]
pub struct Monitor {
    rx: mpsc::Receiver<MonitorEvent>,
}

impl Monitor {
    /// The next event, or `None` once the socket is gone.
    pub async fn next_event(&mut self) -> Option<MonitorEvent> {
        self.rx.recv().await
    }
}

impl futures::Stream for Monitor {
    type Item = MonitorEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<MonitorEvent>> {
        self.rx.poll_recv(cx)
    }
}
