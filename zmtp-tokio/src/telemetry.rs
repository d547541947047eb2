//! Counters through the [`metrics`](https://docs.rs/metrics) facade (feature `metrics`): what
//! the monitor reports, counted for every socket whether or not anyone holds a monitor, plus
//! the drops the monitor does not report one by one. Without the feature every function here
//! is empty and compiles away.
//!
//! The counters and their labels are listed in the crate docs ("Monitoring and logging").
//!
//! Label values are fixed strings, never text a peer chose, so that a hostile peer cannot
//! grow a recorder's label set.

use zmtp_core::SocketType;

use crate::monitor::MonitorEvent;
#[cfg(feature = "metrics")]
use crate::monitor::{DisconnectReason, Refusal};

/// Why a message was dropped, as the `cause` label says it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DropCause {
    /// The peer's queue was at its high-water mark.
    HighWaterMark,
    /// A ROUTER had no peer with the identity the message named.
    Unroutable,
}

/// Counts what `event` reports for a socket of type `socket`.
#[cfg(feature = "metrics")]
pub(crate) fn record(socket: SocketType, event: &MonitorEvent) {
    let socket = socket.as_str();
    match event {
        MonitorEvent::Accepted { .. } => {
            metrics::counter!("zmtp_connections_total", "socket" => socket, "direction" => "accepted")
                .increment(1);
        }
        MonitorEvent::Connected { .. } => {
            metrics::counter!("zmtp_connections_total", "socket" => socket, "direction" => "connected")
                .increment(1);
        }
        MonitorEvent::HandshakeSucceeded { .. } => {
            metrics::counter!("zmtp_handshakes_total", "socket" => socket).increment(1);
        }
        MonitorEvent::HandshakeFailed { reason, .. } => {
            let reason = reason_label(reason);
            metrics::counter!("zmtp_handshake_failures_total", "socket" => socket, "reason" => reason)
                .increment(1);
        }
        MonitorEvent::Disconnected { reason, .. } => {
            let reason = reason_label(reason);
            metrics::counter!("zmtp_disconnects_total", "socket" => socket, "reason" => reason)
                .increment(1);
        }
        MonitorEvent::ConnectRetried { .. } => {
            metrics::counter!("zmtp_reconnects_total", "socket" => socket).increment(1);
        }
        MonitorEvent::ConnectStopped {
            dropped_messages, ..
        } => {
            metrics::counter!("zmtp_messages_dropped_total", "socket" => socket, "cause" => "connect_stopped")
                .increment(*dropped_messages as u64);
        }
        // A publisher's drops are counted as they happen (`dropped`), not per episode.
        MonitorEvent::HighWaterMarkReached { .. }
        | MonitorEvent::MessagesDropped { .. }
        | MonitorEvent::Listening { .. }
        | MonitorEvent::Closed { .. } => {}
    }
}

#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub(crate) fn record(_socket: SocketType, _event: &MonitorEvent) {}

/// Counts `messages` dropped by a socket of type `socket`.
#[cfg(feature = "metrics")]
pub(crate) fn dropped(socket: SocketType, cause: DropCause, messages: u64) {
    let cause = match cause {
        DropCause::HighWaterMark => "hwm",
        DropCause::Unroutable => "unroutable",
    };
    metrics::counter!("zmtp_messages_dropped_total", "socket" => socket.as_str(), "cause" => cause)
        .increment(messages);
}

#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub(crate) fn dropped(_socket: SocketType, _cause: DropCause, _messages: u64) {}

/// The `reason` label of a failed handshake or an ended connection: the kind of failure, in a
/// few fixed words (the full reason is in the monitor event and the log).
#[cfg(feature = "metrics")]
pub(crate) fn reason_label(reason: &DisconnectReason) -> &'static str {
    use zmtp_core::ConnectionError as E;
    match reason {
        DisconnectReason::Connection(error) => match error {
            E::Malformed(_) => "malformed",
            E::Protocol(_) => "protocol",
            E::Incompatible(_) => "incompatible",
            E::Authentication(_) => "authentication",
            E::PeerError { .. } => "peer_error",
            E::Timeout(_) => "timeout",
            E::PeerDisconnected { .. } => "peer_disconnected",
            E::ClosedLocally => "closed",
            _ => "other",
        },
        DisconnectReason::Io(_) => "io",
        DisconnectReason::Closed => "closed",
        DisconnectReason::Refused(Refusal::PairTaken) => "pair_taken",
        DisconnectReason::Refused(Refusal::DuplicateIdentity) => "duplicate_identity",
        DisconnectReason::Refused(Refusal::TooManySubscriptions) => "too_many_subscriptions",
    }
}
