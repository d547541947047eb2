//! When a connecting endpoint gives up (libzmq's ZMQ_RECONNECT_STOP).

use std::fmt;
use std::ops::BitOr;

/// The conditions on which a connecting endpoint stops reconnecting, combined with `|`
/// (ZMQ_RECONNECT_STOP and its flags). By default a socket reconnects for ever, except after a
/// handshake the peer refused (wrong socket type, ZMTP version, or credentials the server
/// rejected with ERROR), where retrying cannot help.
///
/// An endpoint that stops says so on the monitor
/// ([`MonitorEvent::ConnectStopped`](crate::MonitorEvent::ConnectStopped)), with the messages
/// its queue still held, which are dropped: they could only have gone to that peer.
///
/// ```
/// use zmtp_tokio::{Options, ReconnectStop};
/// let options = Options::default()
///     .reconnect_stop(ReconnectStop::CONN_REFUSED | ReconnectStop::HANDSHAKE_FAILED);
/// assert!(options.reconnect_stop.contains(ReconnectStop::CONN_REFUSED));
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ReconnectStop(u8);

impl ReconnectStop {
    /// Reconnect for ever (libzmq's default, 0).
    pub const NEVER: ReconnectStop = ReconnectStop(0);
    /// Stop when the connection is refused: nothing listens there
    /// (ZMQ_RECONNECT_STOP_CONN_REFUSED).
    pub const CONN_REFUSED: ReconnectStop = ReconnectStop(0x1);
    /// Stop when a connection closes before its handshake completed, for any reason: a
    /// protocol error, a timeout, a rejection (ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED).
    pub const HANDSHAKE_FAILED: ReconnectStop = ReconnectStop(0x2);
    /// Stop after `disconnect()` (ZMQ_RECONNECT_STOP_AFTER_DISCONNECT): accepted for
    /// libzmq's sake; here `disconnect` always stops the endpoint at once.
    pub const AFTER_DISCONNECT: ReconnectStop = ReconnectStop(0x4);

    /// Whether every condition of `other` is set.
    pub fn contains(self, other: ReconnectStop) -> bool {
        self.0 & other.0 == other.0
    }

    /// libzmq's integer value of the flags.
    pub fn bits(self) -> u8 {
        self.0
    }
}

impl BitOr for ReconnectStop {
    type Output = ReconnectStop;

    fn bitor(self, other: ReconnectStop) -> ReconnectStop {
        ReconnectStop(self.0 | other.0)
    }
}

impl fmt::Debug for ReconnectStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (ReconnectStop::CONN_REFUSED, "CONN_REFUSED"),
            (ReconnectStop::HANDSHAKE_FAILED, "HANDSHAKE_FAILED"),
            (ReconnectStop::AFTER_DISCONNECT, "AFTER_DISCONNECT"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect();
        match set.is_empty() {
            true => f.write_str("ReconnectStop(NEVER)"),
            false => write!(f, "ReconnectStop({})", set.join(" | ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_combine_and_keep_libzmqs_values() {
        let both = ReconnectStop::CONN_REFUSED | ReconnectStop::HANDSHAKE_FAILED;
        assert_eq!(both.bits(), 0x3);
        assert!(both.contains(ReconnectStop::CONN_REFUSED));
        assert!(!both.contains(ReconnectStop::AFTER_DISCONNECT));
        assert!(ReconnectStop::NEVER.contains(ReconnectStop::NEVER));
        assert_eq!(
            format!("{both:?}"),
            "ReconnectStop(CONN_REFUSED | HANDSHAKE_FAILED)"
        );
    }
}
