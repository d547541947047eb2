//! Per-connection TCP settings beyond TCP_NODELAY: keepalive (libzmq's ZMQ_TCP_KEEPALIVE,
//! _IDLE, _CNT, _INTVL) and the retransmission timeout (ZMQ_TCP_MAXRT), applied to every
//! stream a socket accepts or connects, before its handshake.

use std::io;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};

/// TCP keepalive and retransmission settings of a socket's tcp:// connections. Every field
/// left at `None` keeps the operating system's default, as libzmq's `-1` does.
///
/// Keepalive lets a peer that vanished without a FIN (a pulled cable, a crashed host, a NAT
/// that forgot the flow) be noticed on an idle connection even without ZMTP heartbeats; the
/// retransmission timeout bounds how long unacknowledged data may wait before the connection
/// is dropped (and, for a connecting socket, reconnected).
///
/// ```
/// use std::time::Duration;
/// use zmtp_tokio::Options;
/// let options = Options::default()
///     .tcp_keepalive(true)
///     .tcp_keepalive_idle(Duration::from_secs(30))
///     .tcp_keepalive_interval(Duration::from_secs(5))
///     .tcp_keepalive_count(3)
///     .tcp_max_retransmit_timeout(Duration::from_secs(20));
/// assert_eq!(options.tcp.keepalive, Some(true));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TcpTuning {
    /// SO_KEEPALIVE on or off (ZMQ_TCP_KEEPALIVE: 1 or 0; `None` is its default, -1).
    pub keepalive: Option<bool>,
    /// Idle time before the first probe (ZMQ_TCP_KEEPALIVE_IDLE), when keepalive is on.
    pub keepalive_idle: Option<Duration>,
    /// Time between probes (ZMQ_TCP_KEEPALIVE_INTVL), when keepalive is on.
    pub keepalive_interval: Option<Duration>,
    /// Unanswered probes before the connection is dropped (ZMQ_TCP_KEEPALIVE_CNT), when
    /// keepalive is on.
    pub keepalive_count: Option<u32>,
    /// How long sent data may stay unacknowledged before the connection is dropped
    /// (ZMQ_TCP_MAXRT, TCP_USER_TIMEOUT on Linux). Applied on Linux, Android and Fuchsia;
    /// elsewhere ignored (libzmq applies it on Windows and Linux only).
    pub max_retransmit_timeout: Option<Duration>,
}

impl TcpTuning {
    /// Applies the settings to `stream`, as libzmq's `tune_tcp_keepalives` and
    /// `tune_tcp_maxrt` do: the probe parameters only when keepalive is switched on.
    pub(crate) fn apply(&self, stream: &tokio::net::TcpStream) -> io::Result<()> {
        let socket = SockRef::from(stream);
        if let Some(on) = self.keepalive {
            socket.set_keepalive(on)?;
            if on {
                if let Some(params) = self.keepalive_params() {
                    socket.set_tcp_keepalive(&params)?;
                }
            }
        }
        #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
        if let Some(timeout) = self.max_retransmit_timeout {
            socket.set_tcp_user_timeout(Some(timeout))?;
        }
        Ok(())
    }

    /// The probe parameters that were set, if any.
    fn keepalive_params(&self) -> Option<TcpKeepalive> {
        if self.keepalive_idle.is_none()
            && self.keepalive_interval.is_none()
            && self.keepalive_count.is_none()
        {
            return None;
        }
        let mut params = TcpKeepalive::new();
        if let Some(idle) = self.keepalive_idle {
            params = params.with_time(idle);
        }
        if let Some(interval) = self.keepalive_interval {
            params = params.with_interval(interval);
        }
        if let Some(count) = self.keepalive_count {
            params = params.with_retries(count);
        }
        Some(params)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A connected pair of tokio TCP streams on loopback.
    async fn pair() -> (tokio::net::TcpStream, tokio::net::TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) =
            tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    #[tokio::test]
    async fn every_setting_reaches_the_socket() {
        let (stream, _other) = pair().await;
        let tuning = TcpTuning {
            keepalive: Some(true),
            keepalive_idle: Some(Duration::from_secs(42)),
            keepalive_interval: Some(Duration::from_secs(7)),
            keepalive_count: Some(4),
            max_retransmit_timeout: Some(Duration::from_millis(12_345)),
        };
        tuning.apply(&stream).unwrap();
        let socket = SockRef::from(&stream);
        assert!(socket.keepalive().unwrap());
        assert_eq!(
            socket.tcp_keepalive_time().unwrap(),
            Duration::from_secs(42)
        );
        assert_eq!(
            socket.tcp_keepalive_interval().unwrap(),
            Duration::from_secs(7)
        );
        assert_eq!(socket.tcp_keepalive_retries().unwrap(), 4);
        assert_eq!(
            socket.tcp_user_timeout().unwrap(),
            Some(Duration::from_millis(12_345))
        );
    }

    #[tokio::test]
    async fn defaults_leave_the_socket_alone_and_off_switches_keepalive_off() {
        let (stream, _other) = pair().await;
        let before = SockRef::from(&stream).tcp_keepalive_time().unwrap();
        TcpTuning::default().apply(&stream).unwrap();
        let socket = SockRef::from(&stream);
        assert!(!socket.keepalive().unwrap());
        assert_eq!(socket.tcp_keepalive_time().unwrap(), before);
        assert_eq!(socket.tcp_user_timeout().unwrap(), None);

        socket.set_keepalive(true).unwrap();
        let off = TcpTuning {
            keepalive: Some(false),
            // Ignored while keepalive is off, as in libzmq.
            keepalive_idle: Some(Duration::from_secs(42)),
            ..TcpTuning::default()
        };
        off.apply(&stream).unwrap();
        assert!(!socket.keepalive().unwrap());
        assert_eq!(socket.tcp_keepalive_time().unwrap(), before);
    }
}
