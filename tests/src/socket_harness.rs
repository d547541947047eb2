//! Helpers for the socket behaviour tests (`pattern_*.rs`, `lifecycle.rs`, `hostile_*.rs`,
//! `endpoints.rs`): transports to run a test over, unique IPC paths, bounded waits, and monitor
//! event matching.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use zmtp_tokio::{
    ConnectionError, DisconnectReason, Endpoint, Kind, Message, Monitor, MonitorEvent, Socket,
};

/// The transports a behaviour test can run over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `tcp://127.0.0.1:...`
    Tcp,
    /// `ipc:///tmp/...`
    Ipc,
    /// `mem://...`: in-memory pipes, for tests on tokio's paused clock.
    Memory,
    /// `inproc://...`: sockets linked pipe to pipe, no ZMTP.
    Inproc,
}

impl Transport {
    /// An endpoint to `bind` to: TCP with an OS-chosen port, or a fresh IPC path.
    pub fn bind_endpoint(self) -> String {
        match self {
            Transport::Tcp => "tcp://127.0.0.1:0".to_owned(),
            Transport::Ipc => unique_ipc_endpoint(),
            Transport::Memory => unique_memory_endpoint(),
            Transport::Inproc => unique_inproc_endpoint(),
        }
    }

    /// A concrete endpoint nobody listens on yet, to `connect` to before anything binds there.
    /// For TCP this is a port the OS just handed out and that was released again.
    pub fn free_endpoint(self) -> String {
        match self {
            Transport::Tcp => {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
                let port = listener.local_addr().expect("local addr").port();
                format!("tcp://127.0.0.1:{port}")
            }
            Transport::Ipc => unique_ipc_endpoint(),
            Transport::Memory => unique_memory_endpoint(),
            Transport::Inproc => unique_inproc_endpoint(),
        }
    }
}

/// A fresh `inproc://` endpoint, unique within the process's global context.
pub fn unique_inproc_endpoint() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!("inproc://beh-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A fresh `mem://` endpoint, unique within the process (the only place it can be reached).
pub fn unique_memory_endpoint() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!("mem://beh-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A fresh `ipc://` endpoint in the temporary directory, unique within and across processes.
pub fn unique_ipc_endpoint() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let path = std::env::temp_dir().join(format!(
        "zmtp-beh-{}-{n}-{nanos:x}.sock",
        std::process::id()
    ));
    format!("ipc://{}", path.display())
}

/// Awaits `future`, panicking with `what` if it takes longer than `limit`.
pub async fn within<F: Future>(limit: Duration, what: &str, future: F) -> F::Output {
    match tokio::time::timeout(limit, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out after {limit:?}: {what}"),
    }
}

/// Polls `condition` every few milliseconds until it holds; panics with `what` after `limit`
/// (tokio's clock, so that it also bounds a test on the paused clock).
pub async fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "condition not reached within {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The next monitor event; panics if none arrives within `limit` or the monitor ended.
pub async fn next_event(monitor: &mut Monitor, limit: Duration) -> MonitorEvent {
    within(limit, "waiting for a monitor event", monitor.next_event())
        .await
        .expect("monitor ended")
}

/// Reads monitor events until one satisfies `wanted`; returns it and the events skipped on the
/// way. Panics after `limit` with the events seen.
pub async fn wait_for_event(
    monitor: &mut Monitor,
    limit: Duration,
    mut wanted: impl FnMut(&MonitorEvent) -> bool,
) -> (MonitorEvent, Vec<MonitorEvent>) {
    let deadline = tokio::time::Instant::now() + limit;
    let mut skipped = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, monitor.next_event()).await {
            Ok(Some(event)) if wanted(&event) => return (event, skipped),
            Ok(Some(event)) => skipped.push(event),
            Ok(None) => panic!("monitor ended; events seen: {skipped:#?}"),
            Err(_) => panic!("wanted event not seen within {limit:?}; events seen: {skipped:#?}"),
        }
    }
}

/// Waits for the monitor to report a handshake failed on incompatible socket types, and
/// returns the events seen on the way.
pub async fn expect_incompatible(monitor: &mut Monitor, limit: Duration) -> Vec<MonitorEvent> {
    let (failed, skipped) = wait_for_event(monitor, limit, |e| {
        matches!(e, MonitorEvent::HandshakeFailed { .. })
    })
    .await;
    assert!(
        matches!(
            &failed,
            MonitorEvent::HandshakeFailed {
                reason: DisconnectReason::Connection(ConnectionError::Incompatible(_)),
                ..
            }
        ),
        "{failed:?}"
    );
    skipped
}

/// Binds `endpoint`, retrying while it is still in use (a TCP port or IPC path that a socket
/// being closed has not released yet).
pub async fn bind_retrying<K: Kind>(
    socket: &Socket<K>,
    endpoint: &Endpoint,
    limit: Duration,
) -> Endpoint {
    let deadline = Instant::now() + limit;
    loop {
        match socket.bind(endpoint).await {
            Ok(bound) => return bound,
            Err(e) if e.is_addr_in_use() && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("cannot bind {endpoint}: {e}"),
        }
    }
}

/// The frames of a message as text (lossy), for readable assertions.
pub fn texts(message: &Message) -> Vec<String> {
    message
        .frames()
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// The first frame of a message as text (lossy).
pub fn text(message: &Message) -> String {
    message
        .frames()
        .first()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .unwrap_or_default()
}

/// One test function running `super::$name` over one transport: tcp and ipc as
/// multi-threaded tokio tests on the wall clock, mem on the paused clock.
#[doc(hidden)]
#[macro_export]
macro_rules! transport_case {
    (tcp $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn tcp() {
            super::$name($crate::socket_harness::Transport::Tcp).await
        }
    };
    (ipc $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn ipc() {
            super::$name($crate::socket_harness::Transport::Ipc).await
        }
    };
    (inproc $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn inproc() {
            super::$name($crate::socket_harness::Transport::Inproc).await
        }
    };
    (mem $name:ident) => {
        #[tokio::test(start_paused = true)]
        async fn mem() {
            super::$name($crate::socket_harness::Transport::Memory).await
        }
    };
}

/// Runs a test body over the byte-stream transports, as `mod $name { tcp, ipc }`, each a
/// multi-threaded tokio test: for tests of what a peer's bytes can do, which inproc has none
/// of. The body is `async fn $name(t: Transport)` in the calling module.
#[macro_export]
macro_rules! over_tcp_and_ipc {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                $crate::transport_case!(tcp $name);
                $crate::transport_case!(ipc $name);
            }
        )*
    };
}

/// Runs a test body once per transport a socket really uses, as `mod $name { tcp, ipc,
/// inproc }`, each a multi-threaded tokio test. The body is `async fn $name(t: Transport)` in
/// the calling module.
#[macro_export]
macro_rules! over_tcp_ipc_inproc {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                $crate::transport_case!(tcp $name);
                $crate::transport_case!(ipc $name);
                $crate::transport_case!(inproc $name);
            }
        )*
    };
}

/// Runs a test body over tcp, ipc and inproc (multi-threaded tokio tests on the wall clock)
/// and over `mem://` on tokio's paused clock (`mod $name { tcp, ipc, inproc, mem }`). The body
/// is `async fn $name(t: Transport)` in the calling module.
#[macro_export]
macro_rules! over_every_transport {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                $crate::transport_case!(tcp $name);
                $crate::transport_case!(ipc $name);
                $crate::transport_case!(inproc $name);
                $crate::transport_case!(mem $name);
            }
        )*
    };
}

/// Runs a test body over the byte-stream transports, tcp and ipc (multi-threaded tokio tests
/// on the wall clock) and `mem://` on tokio's paused clock (`mod $name { tcp, ipc, mem }`):
/// for tests with raw peers, which inproc has no bytes for.
#[macro_export]
macro_rules! over_byte_streams {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                $crate::transport_case!(tcp $name);
                $crate::transport_case!(ipc $name);
                $crate::transport_case!(mem $name);
            }
        )*
    };
}

/// Runs a timing-dependent test body (heartbeats, reconnect, linger, timeouts) over `mem://`
/// on tokio's paused clock, as `mod $name { mem }`: time advances only when every task waits,
/// straight to the next timer, so the test is deterministic and takes no wall-clock time. Use
/// `tokio::time::Instant` for elapsed times in the body.
#[macro_export]
macro_rules! on_virtual_time {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                $crate::transport_case!(mem $name);
            }
        )*
    };
}
