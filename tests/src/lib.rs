//! Shared helpers for the workspace's integration tests (see `tests/tests/`).
//!
//! Everything here is independent of libzmq: deadlines for awaits, running blocking work on a
//! thread that a test can await, a TCP relay that counts and records the bytes passing through
//! it, monitor helpers, and raw ZMTP byte builders for scripted peers. The libzmq-specific
//! helpers live in `tests/tests/support/mod.rs`, since the `zmq` crate is a dev-dependency.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zmtp_tokio::{Message, Monitor, MonitorEvent};

/// The default bound on any single await in the interop tests.
pub const LIMIT: Duration = Duration::from_secs(5);

/// Awaits `future`, panicking with `what` if it takes longer than `limit`.
pub async fn within<F: Future>(limit: Duration, what: &str, future: F) -> F::Output {
    match tokio::time::timeout(limit, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out after {limit:?}: {what}"),
    }
}

/// The frames of one of our messages as owned byte vectors, to compare with what libzmq gives.
pub fn frames_of(message: &Message) -> Vec<Vec<u8>> {
    message.frames().iter().map(|f| f.to_vec()).collect()
}

/// One of our messages made of the given frames.
pub fn message_of<F: AsRef<[u8]>>(frames: &[F]) -> Message {
    Message::from(
        frames
            .iter()
            .map(|f| bytes::Bytes::copy_from_slice(f.as_ref()))
            .collect::<Vec<_>>(),
    )
}

/// A payload of `len` bytes with a position-dependent pattern, so that corruption, truncation or
/// reordering inside it is detected by a plain comparison.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ seed.wrapping_mul(31))
        .collect()
}

// ---- blocking work on a thread -----------------------------------------------------------------

/// Work running on its own OS thread (blocking libzmq calls), awaitable from async code.
///
/// The closure must bound its own blocking calls (libzmq sockets get `ZMQ_RCVTIMEO` and
/// `ZMQ_SNDTIMEO`); [`join`](Self::join) bounds the wait as well, so nothing can hang a test.
#[derive(Debug)]
pub struct Blocking<T> {
    name: String,
    done: tokio::sync::oneshot::Receiver<()>,
    handle: std::thread::JoinHandle<T>,
}

/// Runs `work` on a new thread named `name`.
pub fn blocking<T, F>(name: &str, work: F) -> Blocking<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, done) = tokio::sync::oneshot::channel();
    let handle = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let output = work();
            let _ = tx.send(());
            output
        })
        .expect("spawn thread");
    Blocking {
        name: name.to_owned(),
        done,
        handle,
    }
}

impl<T> Blocking<T> {
    /// Whether the work has ended (returned or panicked).
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Waits (at most 3 × [`LIMIT`]) for the work to end and returns its result; a panic on the
    /// thread is resumed here, so its assertion message reaches the test output.
    pub async fn join(self) -> T {
        let limit = LIMIT * 3;
        // The sender is dropped without sending when the work panics: both mean "ended".
        if tokio::time::timeout(limit, self.done).await.is_err() {
            panic!("thread {:?} still running after {limit:?}", self.name);
        }
        match self.handle.join() {
            Ok(output) => output,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

// ---- monitor helpers ---------------------------------------------------------------------------

/// Every event the monitor has queued now, without waiting.
pub fn queued_events(monitor: &mut Monitor) -> Vec<MonitorEvent> {
    let mut events = Vec::new();
    while let Some(Some(event)) = monitor.next_event().now_or_never() {
        events.push(event);
    }
    events
}

/// Waits (at most [`LIMIT`]) for an event matching `wanted`, skipping others.
pub async fn wait_for_event(
    monitor: &mut Monitor,
    what: &str,
    wanted: impl Fn(&MonitorEvent) -> bool,
) -> MonitorEvent {
    within(LIMIT, what, async {
        loop {
            match monitor.next_event().await {
                Some(event) if wanted(&event) => return event,
                Some(_) => {}
                None => panic!("monitor ended while waiting for: {what}"),
            }
        }
    })
    .await
}

/// The `auth` of the next successful handshake on `monitor`.
pub async fn handshake_auth(monitor: &mut Monitor, what: &str) -> Option<zmtp_tokio::PeerAuth> {
    match wait_for_event(monitor, what, |e| {
        matches!(e, MonitorEvent::HandshakeSucceeded { .. })
    })
    .await
    {
        MonitorEvent::HandshakeSucceeded { auth, .. } => auth,
        _ => unreachable!(),
    }
}

/// The reason of the next failed handshake on `monitor`.
pub async fn handshake_failure(monitor: &mut Monitor, what: &str) -> zmtp_tokio::DisconnectReason {
    match wait_for_event(monitor, what, |e| {
        matches!(e, MonitorEvent::HandshakeFailed { .. })
    })
    .await
    {
        MonitorEvent::HandshakeFailed { reason, .. } => reason,
        _ => unreachable!(),
    }
}

/// Whether an event says an established connection or a handshake ended.
pub fn is_disconnect(event: &MonitorEvent) -> bool {
    matches!(
        event,
        MonitorEvent::Disconnected { .. } | MonitorEvent::HandshakeFailed { .. }
    )
}

// ---- a byte-counting TCP relay -----------------------------------------------------------------

/// Bytes seen in one direction of a [`Relay`].
#[derive(Debug, Default)]
struct Traffic {
    bytes: AtomicU64,
    captured: Mutex<Vec<u8>>,
}

/// How much of each direction a relay keeps for inspection.
const CAPTURE_MAX: usize = 1 << 20;

impl Traffic {
    fn record(&self, data: &[u8]) {
        self.bytes.fetch_add(data.len() as u64, Ordering::SeqCst);
        let mut captured = self.captured.lock().unwrap_or_else(|e| e.into_inner());
        let room = CAPTURE_MAX.saturating_sub(captured.len());
        captured.extend_from_slice(&data[..data.len().min(room)]);
    }
}

/// A TCP relay between a client and `upstream`: counts and records (the first MiB of) the
/// bytes in each direction, to observe heartbeats and subscription commands on the wire.
/// Dropping it stops it and closes the connections it relays.
#[derive(Debug)]
pub struct Relay {
    addr: SocketAddr,
    to_upstream: Arc<Traffic>,
    from_upstream: Arc<Traffic>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Listens on a free loopback port and relays every accepted connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("relay bind");
        let addr = listener.local_addr().expect("relay address");
        let to_upstream = Arc::new(Traffic::default());
        let from_upstream = Arc::new(Traffic::default());
        let (up, down) = (to_upstream.clone(), from_upstream.clone());
        let task = tokio::spawn(async move {
            // Dropped with the task when the relay is dropped: that aborts every connection.
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (client_r, client_w) = client.into_split();
                let (server_r, server_w) = server.into_split();
                connections.spawn(pump(client_r, server_w, up.clone()));
                connections.spawn(pump(server_r, client_w, down.clone()));
            }
        });
        Relay {
            addr,
            to_upstream,
            from_upstream,
            task,
        }
    }

    /// The endpoint to connect to instead of the upstream.
    pub fn endpoint(&self) -> String {
        format!("tcp://{}", self.addr)
    }

    /// Bytes relayed from clients to the upstream so far.
    pub fn bytes_to_upstream(&self) -> u64 {
        self.to_upstream.bytes.load(Ordering::SeqCst)
    }

    /// Bytes relayed from the upstream to clients so far.
    pub fn bytes_from_upstream(&self) -> u64 {
        self.from_upstream.bytes.load(Ordering::SeqCst)
    }

    /// What clients sent to the upstream (the first MiB).
    pub fn captured_to_upstream(&self) -> Vec<u8> {
        let captured = self.to_upstream.captured.lock();
        captured.unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// What the upstream sent to clients (the first MiB).
    pub fn captured_from_upstream(&self) -> Vec<u8> {
        let captured = self.from_upstream.captured.lock();
        captured.unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    traffic: Arc<Traffic>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                traffic.record(&buf[..n]);
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

/// The socket address of a `tcp://host:port` endpoint string with a numeric host.
pub fn tcp_addr(endpoint: &str) -> SocketAddr {
    endpoint
        .strip_prefix("tcp://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("not a numeric tcp endpoint: {endpoint}"))
}

/// How often `needle` occurs in `haystack` (overlaps counted).
pub fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// The position of the first occurrence of `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---- raw ZMTP bytes, for scripted peers --------------------------------------------------------

/// Builders and a reader for raw ZMTP bytes (RFC 23), to script a peer by hand.
pub mod raw {
    use super::*;

    /// A ZMTP 3.x greeting for `mechanism` with the given version.
    pub fn greeting(major: u8, minor: u8, mechanism: &str, as_server: bool) -> Vec<u8> {
        let mut g = vec![0u8; 64];
        g[0] = 0xff;
        g[9] = 0x7f;
        g[10] = major;
        g[11] = minor;
        g[12..12 + mechanism.len()].copy_from_slice(mechanism.as_bytes());
        g[32] = u8::from(as_server);
        g
    }

    /// A frame with the given flags, in the short form when the body fits.
    pub fn frame(flags: u8, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(body.len() + 9);
        if body.len() <= 255 {
            out.push(flags);
            out.push(body.len() as u8);
        } else {
            out.push(flags | 0x02);
            out.extend_from_slice(&(body.len() as u64).to_be_bytes());
        }
        out.extend_from_slice(body);
        out
    }

    /// A command frame: name length, name, data.
    pub fn command(name: &str, data: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(data);
        frame(0x04, &body)
    }

    /// A NULL-mechanism READY command carrying only `Socket-Type`.
    pub fn ready(socket_type: &str) -> Vec<u8> {
        let mut data = vec![11u8];
        data.extend_from_slice(b"Socket-Type");
        data.extend_from_slice(&(socket_type.len() as u32).to_be_bytes());
        data.extend_from_slice(socket_type.as_bytes());
        command("READY", &data)
    }

    /// One frame as read off the wire.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Frame {
        /// The flags byte (0x01 MORE, 0x02 LONG, 0x04 COMMAND).
        pub flags: u8,
        /// The body.
        pub body: Vec<u8>,
    }

    impl Frame {
        /// Whether this is a command frame.
        pub fn is_command(&self) -> bool {
            self.flags & 0x04 != 0
        }

        /// Whether more frames of the same message follow.
        pub fn more(&self) -> bool {
            self.flags & 0x01 != 0
        }

        /// The command name, for a command frame.
        pub fn command_name(&self) -> Option<&[u8]> {
            let len = usize::from(*self.body.first()?);
            self.is_command().then(|| self.body.get(1..1 + len))?
        }
    }

    /// Reads the 64-byte greeting.
    pub async fn read_greeting(r: &mut (impl AsyncRead + Unpin)) -> io::Result<[u8; 64]> {
        let mut g = [0u8; 64];
        r.read_exact(&mut g).await?;
        Ok(g)
    }

    /// Reads one frame.
    pub async fn read_frame(r: &mut (impl AsyncRead + Unpin)) -> io::Result<Frame> {
        let flags = r.read_u8().await?;
        let len = if flags & 0x02 != 0 {
            r.read_u64().await? as usize
        } else {
            usize::from(r.read_u8().await?)
        };
        let mut body = vec![0u8; len];
        r.read_exact(&mut body).await?;
        Ok(Frame { flags, body })
    }

    /// Reads the next whole message, skipping commands (READY, PING, ...); frames' bodies.
    pub async fn read_message(r: &mut (impl AsyncRead + Unpin)) -> io::Result<Vec<Vec<u8>>> {
        let mut frames = Vec::new();
        loop {
            let frame = read_frame(r).await?;
            if frame.is_command() {
                continue;
            }
            let more = frame.more();
            frames.push(frame.body);
            if !more {
                return Ok(frames);
            }
        }
    }
}

// ---- socket behaviour tests (pattern_*, lifecycle, hostile_*, fault_*, endpoints, no_fd_leak) ----
pub mod faults;
pub mod hostile;
pub mod python_peer;
pub mod raw_peer;
pub mod socket_harness;
pub mod telemetry;
