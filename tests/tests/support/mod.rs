//! libzmq helpers shared by the `interop_*` tests (the `zmq` crate, linked against the system
//! libzmq through pkg-config, is a dev-dependency, so these cannot live in `tests/src/lib.rs`).
//!
//! Every libzmq socket made here has `ZMQ_RCVTIMEO`, `ZMQ_SNDTIMEO` and `ZMQ_LINGER` set, so a
//! blocking call fails instead of hanging and dropping a context never waits long.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;

pub use zmtp_tests::*;

pub mod security;

/// Receive and send timeout of every libzmq socket, in milliseconds.
pub const TIMEOUT_MS: i32 = 5_000;
/// Linger of every libzmq socket, in milliseconds: long enough to flush what a test sent,
/// short enough that dropping a context never stalls a test.
pub const LINGER_MS: i32 = 500;

/// A new libzmq context, asserting the library really is libzmq 4.x.
pub fn context() -> zmq::Context {
    let (major, _, _) = zmq::version();
    assert_eq!(major, 4, "expected libzmq 4.x, found {:?}", zmq::version());
    zmq::Context::new()
}

/// A libzmq socket with the timeouts and linger above.
pub fn socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(kind).expect("libzmq socket");
    s.set_rcvtimeo(TIMEOUT_MS).unwrap();
    s.set_sndtimeo(TIMEOUT_MS).unwrap();
    s.set_linger(LINGER_MS).unwrap();
    s
}

/// Binds a libzmq socket to a free loopback port and returns `tcp://127.0.0.1:PORT`.
pub fn bind_tcp(s: &zmq::Socket) -> String {
    s.bind("tcp://127.0.0.1:*").expect("libzmq bind");
    last_endpoint(s)
}

/// The endpoint a libzmq socket was last bound to.
pub fn last_endpoint(s: &zmq::Socket) -> String {
    s.get_last_endpoint()
        .expect("ZMQ_LAST_ENDPOINT")
        .expect("utf-8 endpoint")
}

/// An `ipc://` endpoint for a fresh path inside `dir`.
pub fn ipc_endpoint(dir: &Path, name: &str) -> String {
    format!("ipc://{}", dir.join(name).display())
}

/// Receives one whole message, failing the test after [`TIMEOUT_MS`].
pub fn recv(s: &zmq::Socket, what: &str) -> Vec<Vec<u8>> {
    s.recv_multipart(0)
        .unwrap_or_else(|e| panic!("libzmq recv ({what}): {e}"))
}

/// A whole message if one is waiting now.
pub fn try_recv(s: &zmq::Socket) -> Option<Vec<Vec<u8>>> {
    match s.recv_multipart(zmq::DONTWAIT) {
        Ok(frames) => Some(frames),
        Err(zmq::Error::EAGAIN) => None,
        Err(e) => panic!("libzmq recv: {e}"),
    }
}

/// Sends one whole message, failing the test after [`TIMEOUT_MS`].
pub fn send(s: &zmq::Socket, frames: &[&[u8]], what: &str) {
    s.send_multipart(frames.iter().copied(), 0)
        .unwrap_or_else(|e| panic!("libzmq send ({what}): {e}"));
}

/// Owned copies of byte-string frames, to compare with received messages.
pub fn owned(frames: &[&[u8]]) -> Vec<Vec<u8>> {
    frames.iter().map(|f| f.to_vec()).collect()
}

/// Heartbeat options for a libzmq socket, in milliseconds.
pub fn set_heartbeats(s: &zmq::Socket, ivl_ms: i32, timeout_ms: i32, ttl_ms: i32) {
    s.set_heartbeat_ivl(ivl_ms).unwrap();
    s.set_heartbeat_timeout(timeout_ms).unwrap();
    s.set_heartbeat_ttl(ttl_ms).unwrap();
}

/// Waits (at most [`LIMIT`]) for a whole message on a libzmq socket from async code, polling
/// with `ZMQ_DONTWAIT` so that no runtime thread blocks.
pub async fn recv_async(s: &zmq::Socket, what: &str) -> Vec<Vec<u8>> {
    within(LIMIT, what, async {
        loop {
            if let Some(frames) = try_recv(s) {
                return frames;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    })
    .await
}

/// The transport a test runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `tcp://127.0.0.1` with a free port.
    Tcp,
    /// `ipc://` on a fresh path in a temporary directory.
    Ipc,
}

/// Which side binds; the other connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binder {
    /// Our socket binds, libzmq's connects.
    Ours,
    /// libzmq's socket binds, ours connects.
    Libzmq,
}

/// A link made by [`link`]: the endpoint, and the temporary directory of an ipc path.
#[derive(Debug)]
pub struct Link {
    /// The endpoint bound (with its real port).
    pub endpoint: String,
    _dir: Option<tempfile::TempDir>,
}

/// One of our sockets, typed or not: what [`link`] needs of it.
#[allow(async_fn_in_trait, dead_code)]
pub trait Ours {
    async fn bind_to(&self, endpoint: &str) -> zmtp_tokio::Result<zmtp_tokio::Endpoint>;
    fn connect_to(&self, endpoint: &str) -> zmtp_tokio::Result<()>;
}

impl<K: zmtp_tokio::Kind> Ours for zmtp_tokio::Socket<K> {
    async fn bind_to(&self, endpoint: &str) -> zmtp_tokio::Result<zmtp_tokio::Endpoint> {
        self.bind(endpoint).await
    }
    fn connect_to(&self, endpoint: &str) -> zmtp_tokio::Result<()> {
        self.connect(endpoint)
    }
}

impl Ours for zmtp_tokio::AnySocket {
    async fn bind_to(&self, endpoint: &str) -> zmtp_tokio::Result<zmtp_tokio::Endpoint> {
        self.bind(endpoint).await
    }
    fn connect_to(&self, endpoint: &str) -> zmtp_tokio::Result<()> {
        self.connect(endpoint)
    }
}

/// Binds one of the two sockets and connects the other to it.
pub async fn link(
    ours: &impl Ours,
    theirs: &zmq::Socket,
    binder: Binder,
    transport: Transport,
) -> Link {
    let dir = (transport == Transport::Ipc).then(|| tempfile::tempdir().expect("temp dir"));
    let requested = match (&dir, binder) {
        (Some(dir), _) => ipc_endpoint(dir.path(), "interop.sock"),
        (None, Binder::Ours) => "tcp://127.0.0.1:0".to_owned(),
        (None, Binder::Libzmq) => "tcp://127.0.0.1:*".to_owned(),
    };
    let endpoint = match binder {
        Binder::Ours => {
            let endpoint = within(LIMIT, "our bind", ours.bind_to(requested.as_str()))
                .await
                .expect("our bind")
                .to_string();
            theirs.connect(&endpoint).expect("libzmq connect");
            endpoint
        }
        Binder::Libzmq => {
            theirs.bind(&requested).expect("libzmq bind");
            let endpoint = last_endpoint(theirs);
            ours.connect_to(endpoint.as_str()).expect("our connect");
            endpoint
        }
    };
    Link {
        endpoint,
        _dir: dir,
    }
}

/// Sends one whole message on a libzmq socket from async code (at most [`LIMIT`]), polling
/// with `ZMQ_DONTWAIT` so that no runtime thread blocks while the socket has no peer yet.
pub async fn send_async(s: &zmq::Socket, frames: &[&[u8]], what: &str) {
    within(LIMIT, what, async {
        loop {
            match s.send_multipart(frames.iter().copied(), zmq::DONTWAIT) {
                Ok(()) => return,
                Err(zmq::Error::EAGAIN) => {
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await
                }
                Err(e) => panic!("libzmq send ({what}): {e}"),
            }
        }
    })
    .await
}

/// Borrowed frames of owned ones, for [`send`] and [`send_async`].
pub fn refs(frames: &[Vec<u8>]) -> Vec<&[u8]> {
    frames.iter().map(Vec::as_slice).collect()
}

/// For each `name => future`, a test `name` awaiting `future` on a two-thread runtime.
#[allow(unused_macros)] // only some files use it
macro_rules! interop_tests {
    ($($name:ident => $run:expr),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $run.await
            }
        )*
    };
}
#[allow(unused_imports)]
pub(crate) use interop_tests;

/// For each `name => run`, a module `name` of four tests calling `run(binder, transport)`:
/// either side binding (`ours_bind_*`, `libzmq_binds_*`), over tcp and ipc.
#[allow(unused_macros)] // only the files with such tables use it
macro_rules! every_link {
    ($($name:ident => $run:expr),* $(,)?) => {
        $(
            mod $name {
                use super::*;
                $crate::support::interop_tests!(
                    ours_bind_over_tcp => ($run)(Binder::Ours, Transport::Tcp),
                    libzmq_binds_over_tcp => ($run)(Binder::Libzmq, Transport::Tcp),
                    ours_bind_over_ipc => ($run)(Binder::Ours, Transport::Ipc),
                    libzmq_binds_over_ipc => ($run)(Binder::Libzmq, Transport::Ipc),
                );
            }
        )*
    };
}
#[allow(unused_imports)] // only the files with such tables use it
pub(crate) use every_link;

/// Waits (at most [`LIMIT`]) for the next failed handshake on `monitor` and asserts that our
/// socket refused the peer for `why`.
pub async fn assert_refused(
    monitor: &mut zmtp_tokio::Monitor,
    why: zmtp_tokio::Refusal,
    what: &str,
) {
    let reason = handshake_failure(monitor, what).await;
    assert!(
        matches!(reason, zmtp_tokio::DisconnectReason::Refused(r) if r == why),
        "{what}: expected a refusal ({why:?}), got {reason:?}"
    );
}
