//! Watching a socket's monitor: `--verbose` prints every lifecycle event to stderr, and a
//! handshake failure that cannot heal by retrying (an authentication failure of a PLAIN or
//! CURVE client, an incompatible peer of a socket that only connects) becomes the command's
//! error.

use tokio::sync::mpsc;
use zmtp_tokio::{AuthError, ConnectionError, DisconnectReason, Monitor, MonitorEvent, Security};

use crate::error::CliError;
use crate::security::Role;

/// How the watcher judges and reports events.
#[derive(Debug, Clone)]
pub(crate) struct WatchConfig {
    /// Print every event to stderr.
    pub(crate) verbose: bool,
    /// The security role: a client's authentication failure is fatal, a server's is reported.
    pub(crate) role: Role,
    /// Whether the socket uses CURVE as a client: a peer that hangs up during the handshake
    /// most likely could not open our HELLO (a wrong server key).
    pub(crate) curve_client: bool,
    /// Whether the socket only connects: a handshake refused for incompatibility is fatal.
    pub(crate) connects_only: bool,
    /// Printed before each event (`frontend: `, ...), or empty.
    pub(crate) label: String,
}

impl WatchConfig {
    /// The configuration for a socket with these options.
    pub(crate) fn new(verbose: bool, role: Role, security: &Security, connects_only: bool) -> Self {
        WatchConfig {
            verbose,
            role,
            curve_client: matches!(security, Security::CurveClient { .. }),
            connects_only,
            label: String::new(),
        }
    }
}

/// Fatal failures found by the watchers of one command.
#[derive(Debug)]
pub(crate) struct Failures {
    tx: mpsc::UnboundedSender<String>,
    rx: mpsc::UnboundedReceiver<String>,
}

impl Failures {
    /// No watcher yet.
    pub(crate) fn new() -> Failures {
        let (tx, rx) = mpsc::unbounded_channel();
        Failures { tx, rx }
    }

    /// Starts a task that reads `monitor` until the socket is gone.
    pub(crate) fn watch(&self, mut monitor: Monitor, config: WatchConfig) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            while let Some(event) = monitor.next_event().await {
                if config.verbose {
                    eprintln!("zmtp: {}{}", config.label, describe(&event));
                }
                if let MonitorEvent::HandshakeFailed { endpoint, reason } = &event {
                    match judge(&config, reason) {
                        Verdict::Fatal(why) => {
                            let _ = tx.send(format!("{}{endpoint}: {why}", config.label));
                        }
                        Verdict::Warn(why) if !config.verbose => {
                            eprintln!("zmtp: warning: {}{endpoint}: {why}", config.label);
                        }
                        Verdict::Warn(_) | Verdict::Ignore => {}
                    }
                }
            }
        });
    }

    /// Completes with the first fatal failure; never if there is none.
    pub(crate) async fn next(&mut self) -> CliError {
        match self.rx.recv().await {
            Some(why) => CliError::failed(why),
            // Unreachable while `self.tx` lives, but never complete with a fake failure.
            None => std::future::pending().await,
        }
    }
}

/// What a failed handshake means for the command.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// The command fails with this message.
    Fatal(String),
    /// Worth a warning on stderr; the command goes on.
    Warn(String),
    /// Retried in the background; only `--verbose` shows it.
    Ignore,
}

/// Judges a failed handshake.
fn judge(config: &WatchConfig, reason: &DisconnectReason) -> Verdict {
    let DisconnectReason::Connection(error) = reason else {
        return if config.curve_client
            && matches!(
                reason,
                DisconnectReason::Io(std::io::ErrorKind::ConnectionReset)
            ) {
            Verdict::Fatal(wrong_server_key(reason))
        } else {
            Verdict::Ignore
        };
    };
    match (config.role, error) {
        (Role::Client, ConnectionError::Authentication(e)) => {
            Verdict::Fatal(format!("authentication failed: {}", auth_reason(e)))
        }
        (Role::Client, ConnectionError::PeerError { reason }) => Verdict::Fatal(format!(
            "authentication failed: the server sent ERROR {:?}",
            String::from_utf8_lossy(reason)
        )),
        (Role::Client, ConnectionError::PeerDisconnected { .. }) if config.curve_client => {
            Verdict::Fatal(wrong_server_key(reason))
        }
        (Role::Server, ConnectionError::Authentication(e)) => {
            Verdict::Warn(format!("refused a client: {}", auth_reason(e)))
        }
        (_, ConnectionError::Incompatible(e)) if config.connects_only => {
            Verdict::Fatal(format!("handshake failed: {e}"))
        }
        _ => Verdict::Ignore,
    }
}

/// The message for a CURVE server that hung up on our HELLO.
fn wrong_server_key(reason: &DisconnectReason) -> String {
    format!(
        "CURVE handshake failed: the server hung up ({reason}); is --curve-server-key its public key?"
    )
}

/// An authentication error in words, with a hint for the common cases.
fn auth_reason(error: &AuthError) -> String {
    match error {
        AuthError::Rejected { reason } => format!(
            "the server refused our credentials (status {})",
            String::from_utf8_lossy(reason)
        ),
        other => other.to_string(),
    }
}

/// One line describing an event.
pub(crate) fn describe(event: &MonitorEvent) -> String {
    match event {
        MonitorEvent::Listening { endpoint } => format!("listening on {endpoint}"),
        MonitorEvent::Accepted {
            endpoint,
            peer_addr,
        } => format!("accepted {peer_addr} on {endpoint}"),
        MonitorEvent::Connected { endpoint } => format!("connected to {endpoint}"),
        MonitorEvent::ConnectRetried { endpoint, interval } => format!(
            "connecting to {endpoint}: retrying in {} ms",
            interval.as_millis()
        ),
        MonitorEvent::HandshakeSucceeded {
            endpoint,
            peer,
            auth,
            peer_info,
        } => {
            let mut line = format!(
                "handshake with a {peer} peer on {endpoint} succeeded ({})",
                peer_info.address
            );
            if let Some(auth) = auth {
                if !auth.user_id.is_empty() {
                    line.push_str(&format!(
                        ", user id {:?}",
                        String::from_utf8_lossy(&auth.user_id)
                    ));
                }
                if let Some(key) = &auth.peer_key {
                    line.push_str(&format!(", peer key {key}"));
                }
            }
            line
        }
        MonitorEvent::HandshakeFailed { endpoint, reason } => {
            format!("handshake on {endpoint} failed: {reason}")
        }
        MonitorEvent::Disconnected {
            endpoint,
            reason,
            peer_info,
        } => format!(
            "disconnected from {endpoint} ({}): {reason}",
            peer_info.address
        ),
        MonitorEvent::ConnectStopped {
            endpoint,
            reason,
            dropped_messages,
        } => format!(
            "stopped connecting to {endpoint}: {reason} ({dropped_messages} queued messages dropped)"
        ),
        MonitorEvent::Closed { endpoint } => format!("closed {endpoint}"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn config(role: Role, curve_client: bool, connects_only: bool) -> WatchConfig {
        WatchConfig {
            verbose: false,
            role,
            curve_client,
            connects_only,
            label: String::new(),
        }
    }

    fn auth(e: AuthError) -> DisconnectReason {
        DisconnectReason::Connection(ConnectionError::Authentication(e))
    }

    #[test]
    fn a_refused_client_fails_and_a_server_warns() {
        let rejected = auth(AuthError::Rejected {
            reason: Bytes::from_static(b"400"),
        });
        let Verdict::Fatal(why) = judge(&config(Role::Client, false, true), &rejected) else {
            panic!("fatal expected")
        };
        assert!(why.contains("400"), "{why}");
        assert!(matches!(
            judge(
                &config(Role::Server, false, false),
                &auth(AuthError::BadCookie)
            ),
            Verdict::Warn(_)
        ));
    }

    #[test]
    fn a_hang_up_is_fatal_only_for_curve_clients() {
        let hang_up =
            DisconnectReason::Connection(ConnectionError::PeerDisconnected { mid_message: false });
        assert!(matches!(
            judge(&config(Role::Client, true, true), &hang_up),
            Verdict::Fatal(_)
        ));
        assert_eq!(
            judge(&config(Role::Client, false, true), &hang_up),
            Verdict::Ignore
        );
        assert_eq!(
            judge(&config(Role::Null, false, true), &hang_up),
            Verdict::Ignore
        );
    }
}
