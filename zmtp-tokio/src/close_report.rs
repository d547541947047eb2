//! What closing a socket could not deliver.
//!
//! A message is *delivered* when the peer's connection read it: the peer closed its side of
//! the stream after reading everything we sent (our end of stream comes after our last
//! message). "Written to the operating system" is not delivered: a connection that is
//! dropped while unread bytes wait in its receive buffer is reset by the kernel, and the reset
//! discards what the peer had not read yet (WIRE-NOTES 33). So a closing connection writes
//! everything, shuts its write side, and reads (discarding) until the peer's end of stream;
//! what could not get that far within the linger time is reported here.

use std::fmt;

use crate::endpoint::Endpoint;

/// The outcome of [`Socket::close`](crate::Socket::close): empty when every message the
/// socket accepted was delivered.
///
/// ```no_run
/// # async fn f(socket: zmtp_tokio::PushSocket) {
/// let report = socket.close().await;
/// if !report.is_complete() {
///     eprintln!("not delivered: {report}");
/// }
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloseReport {
    undelivered: Vec<Undelivered>,
    stopped_waiting: bool,
}

/// What one peer did not get when the socket closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Undelivered {
    /// The endpoint the peer was bound or connected through.
    pub endpoint: Endpoint,
    /// The peer's address (`ip:port` or an ipc path) for an accepted connection; `None` for a
    /// connecting endpoint (the endpoint is the address).
    pub peer_address: Option<String>,
    /// Messages still queued for the peer, never handed to a connection.
    pub queued_messages: usize,
    /// Their payload bytes.
    pub queued_bytes: usize,
    /// Encoded bytes of messages the connection had taken but not yet written (the peer got
    /// none or only part of those messages).
    pub unwritten_bytes: usize,
    /// Messages were written, but the peer had not confirmed reading them (by closing its side
    /// of the stream after our end of stream) when the linger time ran out or the connection
    /// failed: they may be lost.
    pub unconfirmed: bool,
}

impl Undelivered {
    /// An entry for `endpoint` with nothing in it yet.
    pub(crate) fn new(endpoint: Endpoint, peer_address: Option<String>) -> Undelivered {
        Undelivered {
            endpoint,
            peer_address,
            queued_messages: 0,
            queued_bytes: 0,
            unwritten_bytes: 0,
            unconfirmed: false,
        }
    }

    /// Whether anything was left undelivered.
    pub(crate) fn is_empty(&self) -> bool {
        self.queued_messages == 0 && self.unwritten_bytes == 0 && !self.unconfirmed
    }
}

impl CloseReport {
    pub(crate) fn new(undelivered: Vec<Undelivered>, stopped_waiting: bool) -> CloseReport {
        CloseReport {
            undelivered,
            stopped_waiting,
        }
    }

    /// Whether everything the socket accepted was delivered: no peer is listed, and the close
    /// waited for the end.
    pub fn is_complete(&self) -> bool {
        self.undelivered.is_empty() && !self.stopped_waiting
    }

    /// Each peer left with undelivered or unconfirmed messages.
    pub fn undelivered(&self) -> &[Undelivered] {
        &self.undelivered
    }

    /// Messages that never left the socket's queues, over all peers.
    pub fn queued_messages(&self) -> usize {
        self.undelivered.iter().map(|u| u.queued_messages).sum()
    }

    /// [`Socket::close_timeout`](crate::Socket::close_timeout) stopped waiting before linger
    /// ended: the socket's tasks are still delivering, and this report lists only what they
    /// had given up on by then.
    pub fn stopped_waiting(&self) -> bool {
        self.stopped_waiting
    }
}

impl fmt::Display for CloseReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_complete() {
            return f.write_str("everything delivered");
        }
        let mut parts = Vec::new();
        if self.stopped_waiting {
            parts.push("stopped waiting before the linger time ended".to_owned());
        }
        for u in &self.undelivered {
            let peer = match &u.peer_address {
                Some(address) => format!("{} (peer {address})", u.endpoint),
                None => u.endpoint.to_string(),
            };
            let mut what = Vec::new();
            if u.queued_messages > 0 {
                what.push(format!(
                    "{} messages ({} bytes) never sent",
                    u.queued_messages, u.queued_bytes
                ));
            }
            if u.unwritten_bytes > 0 {
                what.push(format!("{} bytes not written", u.unwritten_bytes));
            }
            if u.unconfirmed {
                what.push("written but not confirmed by the peer".to_owned());
            }
            parts.push(format!("{peer}: {}", what.join(", ")));
        }
        f.write_str(&parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_report_is_complete_unless_the_wait_was_cut_short() {
        assert!(CloseReport::default().is_complete());
        assert_eq!(CloseReport::default().to_string(), "everything delivered");
        let cut = CloseReport::new(Vec::new(), true);
        assert!(!cut.is_complete());
        assert!(cut.stopped_waiting());
    }

    #[test]
    fn a_report_names_each_peer_and_what_it_missed() {
        let endpoint: Endpoint = "tcp://127.0.0.1:5555".parse().unwrap();
        let mut u = Undelivered::new(endpoint, Some("127.0.0.1:40000".into()));
        assert!(u.is_empty());
        u.queued_messages = 3;
        u.queued_bytes = 30;
        u.unconfirmed = true;
        let report = CloseReport::new(vec![u], false);
        assert!(!report.is_complete());
        assert_eq!(report.queued_messages(), 3);
        assert_eq!(
            report.to_string(),
            "tcp://127.0.0.1:5555 (peer 127.0.0.1:40000): 3 messages (30 bytes) never sent, \
             written but not confirmed by the peer"
        );
    }
}
