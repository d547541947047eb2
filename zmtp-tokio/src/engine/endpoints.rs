//! Tasks that own endpoints: a listener accepting connections on a bound endpoint, and a
//! connector that connects, drives the connection, and reconnects with backoff for ever.

use std::sync::Arc;

use tokio::time::Instant;
use zmtp_core::{AuthError, ConnectionError};

use super::driver::{DriveOutcome, Driver, Origin};
use super::reconnect::Backoff;
use super::stop::StopSignal;
use super::{Link, PipeId, SocketContext};
use crate::close_report::Undelivered;
use crate::endpoint::Endpoint;
use crate::monitor::{DisconnectReason, MonitorEvent};
use crate::reconnect_stop::ReconnectStop;
use crate::transport::{self, Listener};

/// Accepts connections until `stop` fires; each gets its own driver task.
pub(crate) async fn listen(
    context: Arc<SocketContext>,
    link: Link,
    mut listener: Listener,
    endpoint: Endpoint,
    stop: StopSignal,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.token().cancelled() => None,
            accepted = listener.accept(&context.options.tcp) => Some(accepted),
        };
        let Some(accepted) = accepted else { break };
        match accepted {
            Ok((stream, peer_addr)) => {
                context.monitor.emit(MonitorEvent::Accepted {
                    endpoint: endpoint.clone(),
                    peer_addr: peer_addr.clone(),
                });
                let origin = Origin {
                    endpoint: endpoint.clone(),
                    pipe: None,
                    auth_address: auth_address(&peer_addr),
                    peer_address: peer_addr,
                    accepted: true,
                };
                match Driver::new(
                    context.clone(),
                    link.clone(),
                    origin,
                    stream.into_split(),
                    // The endpoint's own signal, shared: a connection is only ever stopped
                    // with its endpoint (a child token per connection cost a tree node each).
                    stop.clone(),
                ) {
                    Ok(driver) => {
                        context.spawn(driver.run());
                    }
                    Err(e) => tracing::warn!(%endpoint, error = %e, "cannot start connection"),
                }
            }
            Err(e) => {
                // Typically EMFILE: back off briefly instead of spinning.
                tracing::warn!(%endpoint, error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
    drop(listener);
    context.monitor.emit(MonitorEvent::Closed { endpoint });
}

/// Connects to `endpoint` and keeps the pipe `pipe` connected until `stop` fires (and, when
/// the whole socket is closing, until its queued messages are delivered or linger expires).
pub(crate) async fn connect(
    context: Arc<SocketContext>,
    link: Link,
    endpoint: Endpoint,
    pipe: PipeId,
    stop: StopSignal,
) {
    let options = &context.options;
    let mut backoff = Backoff::new(options.reconnect_interval, options.reconnect_interval_max);
    loop {
        if stop.token().is_cancelled() && !keep_lingering(&context, &link, pipe) {
            break;
        }
        let attempt = tokio::select! {
            _ = stop.token().cancelled(), if !stop.token().is_cancelled() => continue,
            attempt = transport::connect(&endpoint, &options.tcp) => attempt,
        };
        match attempt {
            Ok(stream) => {
                context.monitor.emit(MonitorEvent::Connected {
                    endpoint: endpoint.clone(),
                });
                let address = endpoint_address(&endpoint);
                let origin = Origin {
                    endpoint: endpoint.clone(),
                    pipe: Some(pipe),
                    peer_address: address.clone(),
                    auth_address: address,
                    accepted: false,
                };
                let driver = match Driver::new(
                    context.clone(),
                    link.clone(),
                    origin,
                    stream.into_split(),
                    stop.clone(),
                ) {
                    Ok(driver) => driver,
                    Err(e) => {
                        tracing::warn!(%endpoint, error = %e, "cannot start connection");
                        break;
                    }
                };
                let outcome = driver.run().await;
                if outcome.handshake_done {
                    backoff.reset();
                }
                if gives_up(&outcome, options.reconnect_stop) {
                    // A connection cut short by the socket's own close is not a failure.
                    if !stop.token().is_cancelled() {
                        stop_connecting(&context, &link, pipe, &endpoint, outcome.reason);
                    }
                    break;
                }
            }
            Err(e) => {
                tracing::debug!(%endpoint, error = %e, "connect failed");
                if e.kind() == std::io::ErrorKind::ConnectionRefused
                    && options.reconnect_stop.contains(ReconnectStop::CONN_REFUSED)
                {
                    let reason = DisconnectReason::Io(e.kind());
                    stop_connecting(&context, &link, pipe, &endpoint, reason);
                    break;
                }
            }
        }
        if stop.token().is_cancelled() && !keep_lingering(&context, &link, pipe) {
            break;
        }
        let wait = backoff.next_wait();
        context.monitor.emit(MonitorEvent::ConnectRetried {
            endpoint: endpoint.clone(),
            interval: wait,
        });
        tokio::select! {
            _ = stop.token().cancelled(), if !stop.token().is_cancelled() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
    connecting_pipe_closed(&context, &link, pipe, endpoint);
}

/// A connecting endpoint gives up: the monitor hears why and how many queued messages are
/// dropped with its pipe (by `connecting_pipe_closed`, which follows).
fn stop_connecting(
    context: &SocketContext,
    link: &Link,
    pipe: PipeId,
    endpoint: &Endpoint,
    reason: DisconnectReason,
) {
    tracing::warn!(%endpoint, %reason, "not reconnecting");
    context.monitor.emit(MonitorEvent::ConnectStopped {
        endpoint: endpoint.clone(),
        reason,
        dropped_messages: link.backlog(pipe).0,
    });
}

/// A connecting endpoint's end: what its pipe still holds is reported undelivered when the
/// socket closes, the pipe goes, and the monitor says the endpoint closed.
pub(crate) fn connecting_pipe_closed(
    context: &SocketContext,
    link: &Link,
    pipe: PipeId,
    endpoint: Endpoint,
) {
    if context.is_closing() {
        let mut undelivered = Undelivered::new(endpoint.clone(), None);
        (undelivered.queued_messages, undelivered.queued_bytes) = link.backlog(pipe);
        context.report_undelivered(undelivered);
    }
    link.remove(pipe);
    context.monitor.emit(MonitorEvent::Closed { endpoint });
}

/// After the socket closed, a connector keeps trying while its pipe holds messages and linger
/// allows (libzmq delivers queued messages to peers that come up during linger).
pub(crate) fn keep_lingering(context: &SocketContext, link: &Link, pipe: PipeId) -> bool {
    context.is_closing()
        && link.backlog(pipe).0 > 0
        && context.linger_deadline().is_none_or(|d| Instant::now() < d)
}

/// Reconnecting cannot help when the peer is of a kind we cannot talk to or told us to stop
/// with ERROR, e.g. a PLAIN or CURVE server refusing our credentials (libzmq stops reconnecting
/// on handshake failures too; RFC 37: the same credentials must not be retried). Timeouts,
/// transport errors and a server closing without ERROR (a temporary refusal) are retried,
/// unless `stop` asks to give up on every failed handshake (ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED).
fn gives_up(outcome: &DriveOutcome, stop: ReconnectStop) -> bool {
    if outcome.handshake_done {
        return false;
    }
    stop.contains(ReconnectStop::HANDSHAKE_FAILED)
        || matches!(
            outcome.reason,
            DisconnectReason::Connection(
                ConnectionError::Incompatible(_)
                    | ConnectionError::PeerError { .. }
                    | ConnectionError::Authentication(AuthError::Rejected { .. })
            )
        )
}

/// The client address an authenticator sees for an accepted connection: for tcp the IP address
/// without the port (as ZAP's `Address`), for ipc the socket path.
fn auth_address(peer_addr: &str) -> String {
    peer_addr
        .parse::<std::net::SocketAddr>()
        .map_or_else(|_| peer_addr.to_owned(), |addr| addr.ip().to_string())
}

/// The server address of a connecting endpoint: its host for tcp, its path for ipc.
fn endpoint_address(endpoint: &Endpoint) -> String {
    match endpoint {
        Endpoint::Tcp { host, .. } => host.clone(),
        Endpoint::Ipc(path) => path.display().to_string(),
        Endpoint::Inproc(name) => name.clone(),
        #[cfg(feature = "test-util")]
        Endpoint::Memory(name) => name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use zmtp_core::error::Timeout;

    use super::*;

    fn outcome(error: ConnectionError) -> DriveOutcome {
        DriveOutcome {
            reason: DisconnectReason::Connection(error),
            handshake_done: false,
        }
    }

    #[test]
    fn a_rejected_client_gives_up_but_retries_after_timeouts() {
        let rejected = ConnectionError::Authentication(AuthError::Rejected {
            reason: Bytes::from_static(b"400"),
        });
        let never = ReconnectStop::NEVER;
        assert!(gives_up(&outcome(rejected), never));
        let timeout = outcome(ConnectionError::Timeout(Timeout::Handshake));
        assert!(!gives_up(&timeout, never));
        assert!(!gives_up(
            &outcome(ConnectionError::Authentication(AuthError::BadCookie)),
            never
        ));
        // Unless every failed handshake should stop it.
        assert!(gives_up(&timeout, ReconnectStop::HANDSHAKE_FAILED));
        let mut after_handshake = timeout;
        after_handshake.handshake_done = true;
        assert!(!gives_up(&after_handshake, ReconnectStop::HANDSHAKE_FAILED));
    }

    #[test]
    fn authenticators_see_the_ip_without_the_port() {
        assert_eq!(auth_address("127.0.0.1:5555"), "127.0.0.1");
        assert_eq!(auth_address("[::1]:5555"), "::1");
        assert_eq!(auth_address("/tmp/x.sock"), "/tmp/x.sock");
    }
}
